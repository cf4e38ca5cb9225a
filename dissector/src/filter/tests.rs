use super::parse::MAX_NESTING;
use super::*;
use crate::{Config, Dissector, LinkType};

fn seed_matches(expr: &str) -> bool {
    let frame = crate::seed_frame();
    let dissector = Dissector::new(Config::default());
    let filter = Filter::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let mut d = Dissection::recording(
        &[filter.fields_read(), crate::flannel::FIELDS_READ.to_vec()].concat(),
    );
    dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut d);
    let facts = FrameFacts {
        number: 1,
        len: 148,
        cap_len: frame.len() as u32,
        ..FrameFacts::default()
    };
    filter.matches(&d, &frame, &facts)
}

#[test]
fn the_seed_against_expressions() {
    let table: &[(&str, bool)] = &[
        ("vxlan", true),
        ("inner.icmp", true),
        ("inner.tcp", false),
        ("vxlan.vni == 1", true),
        ("vxlan.vni != 1", false),
        ("vxlan.vni in {1 2 3}", true),
        ("vxlan.vni in {2..9}", false),
        ("udp.dstport in {8472, 4789}", true),
        ("udp.port == 8472", true),
        ("inner.ip.src == 10.244.1.12", true),
        ("inner.ip.dst in 10.244.2.0/24", true),
        ("inner.ip.dst == 10.244.1.0/24", false),
        ("ip.addr == 172.16.100.102", true),
        ("ip.src > 172.16.100.100 && ip.src < 172.16.100.102", true),
        ("inner.icmp.seq == 1102 and inner.icmp.type == 8", true),
        ("inner.icmp.type == \"Echo (ping) request\"", true),
        ("frame.len > 1400", false),
        ("frame.len == 148", true),
        ("frame.number == 1", true),
        ("!vxlan || inner.ip.ttl == 63", true),
        ("not (vxlan.vni == 1)", false),
        ("inner.eth.src == fe:90:c4:18:69:a7", true),
        ("inner.icmp.checksum.status == \"good\"", true),
        ("inner.icmp.checksum.status == bad", false),
        ("inner.icmp.checksum.status matches \"^GO+D$\"", true),
        ("inner.icmp.checksum.status contains \"oo\"", true),
        ("inner.icmp.data contains 0d:1e:55", true),
        ("inner.ip.flags.df == 1", true),
        ("inner.ip.flags.df", true),
        ("malformed.truncated", false),
        ("ip.ttl ge 64 or ip.ttl lt 2", true),
    ];
    for (expr, want) in table {
        assert_eq!(seed_matches(expr), *want, "{expr}");
    }
}

#[test]
fn errors_point_at_their_column() {
    let table: &[(&str, usize, &str)] = &[
        ("inner.ip.sr == 10.0.0.1", 1, "did you mean inner.ip.src?"),
        (
            "vxlan.vni == 1 && vxlan.vnii == 2",
            19,
            "did you mean vxlan.vni?",
        ),
        ("ip.src == \"foo\"", 11, "not an IPv4 address"),
        ("ip.ttl == 300", 11, "at most 255"),
        ("ip.ttl contains 3", 8, "\"contains\" needs text"),
        (
            "flannel.src_node matches \"(\"",
            26,
            "bad regular expression",
        ),
        ("(vxlan", 7, "expected \")\" at the end"),
        ("vxlan.vni ==", 13, "a value for vxlan.vni at the end"),
        ("vxlan vxlan", 7, "expected \"and\""),
        (
            "malformed.truncated == 1",
            21,
            "a note is tested by presence",
        ),
        ("ip.src == 1 @", 13, "unexpected character"),
        ("flannel.dst_node == \"k8s", 21, "string not closed"),
        ("", 1, "empty"),
    ];
    for (expr, column, text) in table {
        let e = Filter::parse(expr).expect_err(expr);
        assert_eq!(e.column, *column, "{expr}: {e}");
        assert!(e.message.contains(text), "{expr}: {e}");
    }
    let e = Filter::parse("inner.ip.sr == 1").unwrap_err();
    assert_eq!(
        e.with_expression("inner.ip.sr == 1"),
        "column 1: unknown field \"inner.ip.sr\" (did you mean inner.ip.src?)\n  inner.ip.sr == 1\n  ^^^^^^^^^^^"
    );
}

#[test]
fn a_filter_reads_only_the_fields_it_names() {
    let f = Filter::parse("inner.ip.src == 10.0.0.1 || udp.port == 1 || vxlan").unwrap();
    assert_eq!(
        f.fields_read(),
        vec![
            crate::fields::FieldId::IpSrc,
            crate::fields::FieldId::UdpSrcport,
            crate::fields::FieldId::UdpDstport
        ]
    );
}

#[test]
fn nesting_is_bounded_and_long_chains_stay_flat() {
    // As deep as allowed: parses and matches (an even number of negations of a true test).
    let deepest = format!(
        "{}vxlan{}",
        "(".repeat(MAX_NESTING),
        ")".repeat(MAX_NESTING)
    );
    assert!(seed_matches(&deepest));
    assert!(seed_matches(&format!("{}vxlan", "!".repeat(MAX_NESTING))));
    // One level more is an error at the token that opens it, not a stack overflow.
    for (expr, column) in [
        (
            format!(
                "{}vxlan{}",
                "(".repeat(MAX_NESTING + 1),
                ")".repeat(MAX_NESTING + 1)
            ),
            MAX_NESTING + 1,
        ),
        (
            format!("{}vxlan", "not ".repeat(100_000)),
            4 * MAX_NESTING + 1,
        ),
        (
            format!("vxlan && {}", "(".repeat(100_000)),
            10 + MAX_NESTING,
        ),
    ] {
        let e = Filter::parse(&expr).expect_err("too deep");
        assert_eq!(e.column, column, "{e}");
        assert!(e.message.contains("nest more than 256 deep"), "{e}");
    }
    // A chain of a hundred thousand tests is one list: it parses, matches and drops without deep recursion.
    let chain = vec!["vxlan.vni == 1"; 100_000].join(" && ");
    assert!(seed_matches(&chain));
    let chain = vec!["vxlan.vni == 2"; 100_000].join(" or ");
    assert!(!seed_matches(&chain));
}
