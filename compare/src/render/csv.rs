//! `--csv`: one row a matched packet and hop, written as the packets are matched (nothing is held back).

use vxscope_dissector::flannel::Topology;

use crate::matcher::MatchedPair;
use crate::render::json::ts_text;
use crate::report::us;

/// The header row.
pub const HEADER: &str = "direction,from,from_frame,from_ts,to,to_frame,to_ts,latency_us,changes\n";

fn field(out: &mut Vec<u8>, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// Writes the row of one matched packet; `names` are the captures' names.
pub fn write_row(out: &mut Vec<u8>, m: &MatchedPair<'_>, names: &[String], topo: &Topology) {
    let changes: Vec<String> = m.changes.iter().map(|c| c.describe(topo)).collect();
    let cells = [
        m.direction.word().to_string(),
        names[m.from].clone(),
        m.from_frame.to_string(),
        ts_text(m.from_ts),
        names[m.to].clone(),
        m.to_frame.to_string(),
        ts_text(m.to_ts),
        us(m.to_ts - m.from_ts),
        changes.join("; "),
    ];
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        field(out, c);
    }
    out.push(b'\n');
}
