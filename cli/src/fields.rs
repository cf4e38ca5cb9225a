//! `vxscope fields`: the field registry.

use std::process::ExitCode;

use vxscope_dissector::fields::{FIELDS, Kind};

pub fn run(prefix: Option<&str>) -> ExitCode {
    let mut out = String::new();
    out.push_str("# Fields of the encapsulated frame carry the prefix inner. (inner.ip.src); fields of a packet\n");
    out.push_str("# quoted by an ICMP error carry quoted. (quoted.udp.dstport).\n");
    for def in FIELDS {
        if prefix.is_some_and(|p| !def.abbrev.starts_with(p)) {
            continue;
        }
        let kind = if def.kind == Kind::Protocol {
            "protocol"
        } else {
            def.kind.name()
        };
        out.push_str(&format!("{:<34} {:<44} {}\n", def.abbrev, def.name, kind));
    }
    let mut o = crate::output::Output::new();
    o.buf.extend_from_slice(out.as_bytes());
    o.flush();
    ExitCode::SUCCESS
}
