//! `vxscope dissect --summary`: packet counts per node pair and a count of each diagnosis.

use std::fmt::Write as _;

use vxscope_dissector::flannel::{Session, Topology};
use vxscope_dissector::notes::{NoteCode, Severity};
use vxscope_dissector::value::IpBytes;

fn label(topo: &Topology, ip: &IpBytes) -> String {
    match topo.node_by_ip(ip).and_then(|n| n.name.as_deref()) {
        Some(name) => format!("{name} ({ip})"),
        None => ip.to_string(),
    }
}

pub fn report(topo: &Topology, session: &Session) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nSummary: {} frame(s), {} with VXLAN",
        session.frames(),
        session.vxlan_frames()
    );
    if !session.pairs().is_empty() {
        out.push_str("\nVXLAN packets by node pair:\n");
        let rows: Vec<(String, u64)> = session
            .pairs()
            .iter()
            .map(|((s, d), n)| (format!("{} > {}", label(topo, s), label(topo, d)), *n))
            .collect();
        let width = rows
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        for (l, n) in rows {
            let _ = writeln!(out, "  {l:<width$}  {n:>8}");
        }
    }
    out.push_str("\nDiagnoses:\n");
    let mut any = false;
    for (code, n) in session.diagnoses() {
        let severity = NoteCode::from_code(code).map_or(Severity::Note, |c| c.def().severity);
        if severity == Severity::Chat {
            continue;
        }
        any = true;
        let _ = writeln!(out, "  {code:<32} {:<8} {n:>8}", severity.name());
    }
    if !any {
        out.push_str("  none\n");
    }
    out
}
