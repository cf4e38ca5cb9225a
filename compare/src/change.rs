//! What changed on a packet between two hops, as counted in a report: TTL, MACs, the tunnel, NAT, DSCP/ECN.

use vxscope_dissector::flannel::{Topology, mac_text};
use vxscope_dissector::value::IpBytes;

use crate::observe::{Endpoint, ExactKey, Observation, Tunnel};

/// Which address (and port) a translation rewrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NatSide {
    /// The source (SNAT, masquerade).
    Source,
    /// The destination (DNAT, a service address translated to a pod's).
    Destination,
}

/// One change, with the values before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// IPv4 TTL or IPv6 hop limit.
    Ttl {
        from: u8,
        to: u8,
    },
    /// The Ethernet addresses of the innermost frame, `[source, destination]` before and after.
    Macs {
        from: [[u8; 6]; 2],
        to: [[u8; 6]; 2],
    },
    /// Seen plain, then inside VXLAN.
    Encapsulated(Tunnel),
    /// Seen inside VXLAN, then plain.
    Decapsulated(Tunnel),
    /// Inside VXLAN at both hops, with another VNI, outer address or port.
    Tunnel {
        from: Tunnel,
        to: Tunnel,
    },
    /// An address (and port, or ICMP identifier) translated.
    Nat {
        side: NatSide,
        from: Endpoint,
        to: Endpoint,
        /// Whether the endpoints carry ports (TCP, UDP) rather than an ICMP identifier.
        ports: bool,
    },
    Dscp {
        from: u8,
        to: u8,
    },
    Ecn {
        from: u8,
        to: u8,
    },
    /// Seen whole, then in outer IP fragments: the tunnel's datagram was split on the way (it exceeded an MTU).
    Fragmented,
    /// Seen in outer IP fragments, then whole: the fragments were joined again (reassembled).
    Reassembled,
}

impl Change {
    /// A short word for the kind of change, as the JSON's `"change"` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Ttl { .. } => "ttl",
            Change::Macs { .. } => "macs",
            Change::Encapsulated(_) => "encapsulated",
            Change::Decapsulated(_) => "decapsulated",
            Change::Tunnel { .. } => "tunnel",
            Change::Nat {
                side: NatSide::Source,
                ..
            } => "snat",
            Change::Nat {
                side: NatSide::Destination,
                ..
            } => "dnat",
            Change::Dscp { .. } => "dscp",
            Change::Ecn { .. } => "ecn",
            Change::Fragmented => "fragmented",
            Change::Reassembled => "reassembled",
        }
    }

    /// The change in words, naming nodes where the topology knows them.
    pub fn describe(&self, topo: &Topology) -> String {
        match *self {
            Change::Ttl { from, to } => {
                let delta = i16::from(to) - i16::from(from);
                format!("TTL {from} → {to} ({delta:+})").replace('-', "−")
            }
            Change::Macs { from, to } => {
                let mut s = format!(
                    "MACs {} > {} → {} > {}",
                    mac_text(&from[0]),
                    mac_text(&from[1]),
                    mac_text(&to[0]),
                    mac_text(&to[1])
                );
                if let (Some(a), Some(b)) =
                    (topo.node_by_vtep_mac(&to[0]), topo.node_by_vtep_mac(&to[1]))
                {
                    s.push_str(&format!(
                        " (the VTEP MACs of {} > {})",
                        a.label(),
                        b.label()
                    ));
                }
                s
            }
            Change::Encapsulated(t) => format!("encapsulated: {}", tunnel_text(&t, topo)),
            Change::Decapsulated(t) => format!("decapsulated: {}", tunnel_text(&t, topo)),
            Change::Tunnel { from, to } => format!(
                "tunnel changed: {} → {}",
                tunnel_text(&from, topo),
                tunnel_text(&to, topo)
            ),
            Change::Nat {
                side,
                from,
                to,
                ports,
            } => format!(
                "{} {} → {}",
                match side {
                    NatSide::Source => "SNAT",
                    NatSide::Destination => "DNAT",
                },
                endpoint_text(&from, ports, topo),
                endpoint_text(&to, ports, topo)
            ),
            Change::Dscp { from, to } => format!("DSCP {from} → {to}"),
            Change::Ecn { from, to } => format!("ECN {from} → {to}"),
            Change::Fragmented => {
                "fragmented: the tunnel's datagram left in outer IP fragments (larger than the MTU on the way)"
                    .into()
            }
            Change::Reassembled => "reassembled: the outer IP fragments were joined again".into(),
        }
    }

    /// The change in a few words, for pictures.
    pub fn short(&self, topo: &Topology) -> String {
        let node = |ip: &IpBytes| {
            topo.node_by_ip(ip)
                .and_then(|n| n.name.clone())
                .unwrap_or_else(|| ip.to_string())
        };
        match *self {
            Change::Ttl { from, to } => format!("TTL {from} → {to}"),
            Change::Macs { to, .. } => {
                match (topo.node_by_vtep_mac(&to[0]), topo.node_by_vtep_mac(&to[1])) {
                    (Some(a), Some(b)) => {
                        format!("MACs → VTEP MACs of {} > {}", a.label(), b.label())
                    }
                    _ => format!("MACs → {} > {}", mac_text(&to[0]), mac_text(&to[1])),
                }
            }
            Change::Encapsulated(t) => format!(
                "encapsulated VNI {} ({} > {})",
                t.vni,
                node(&t.outer_src),
                node(&t.outer_dst)
            ),
            Change::Decapsulated(t) => format!("decapsulated VNI {}", t.vni),
            Change::Tunnel { from, to } if from.vni != to.vni => {
                format!("VNI {} → {}", from.vni, to.vni)
            }
            Change::Tunnel { .. } => "outer addresses or port changed".into(),
            Change::Fragmented => "outer IP fragmented".into(),
            Change::Reassembled => "outer IP reassembled".into(),
            _ => self.describe(topo),
        }
    }

    /// The change as a JSON object (without its count).
    pub fn json(&self, topo: &Topology) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::json;
        let mut m = serde_json::Map::new();
        m.insert("change".into(), json!(self.kind()));
        match *self {
            Change::Ttl { from, to } | Change::Dscp { from, to } | Change::Ecn { from, to } => {
                m.insert("from".into(), json!(from));
                m.insert("to".into(), json!(to));
            }
            Change::Macs { from, to } => {
                m.insert(
                    "from".into(),
                    json!({"src": mac_text(&from[0]), "dst": mac_text(&from[1])}),
                );
                m.insert(
                    "to".into(),
                    json!({"src": mac_text(&to[0]), "dst": mac_text(&to[1])}),
                );
            }
            Change::Encapsulated(t) | Change::Decapsulated(t) => {
                m.insert("tunnel".into(), tunnel_json(&t, topo));
            }
            Change::Tunnel { from, to } => {
                m.insert("from".into(), tunnel_json(&from, topo));
                m.insert("to".into(), tunnel_json(&to, topo));
            }
            Change::Nat { from, to, .. } => {
                m.insert("from".into(), endpoint_json(&from));
                m.insert("to".into(), endpoint_json(&to));
            }
            Change::Fragmented | Change::Reassembled => {}
        }
        m.insert("text".into(), json!(self.describe(topo)));
        m
    }
}

fn node_suffix(ip: &IpBytes, topo: &Topology) -> String {
    match topo.node_by_ip(ip).and_then(|n| n.name.as_deref()) {
        Some(name) => format!(" ({name})"),
        None => String::new(),
    }
}

fn tunnel_text(t: &Tunnel, topo: &Topology) -> String {
    format!(
        "VXLAN vni {} {}{} > {}{} port {}",
        t.vni,
        t.outer_src,
        node_suffix(&t.outer_src, topo),
        t.outer_dst,
        node_suffix(&t.outer_dst, topo),
        t.port
    )
}

fn tunnel_json(t: &Tunnel, topo: &Topology) -> serde_json::Value {
    let name = |ip: &IpBytes| topo.node_by_ip(ip).and_then(|n| n.name.clone());
    serde_json::json!({
        "vni": t.vni,
        "outer_src": t.outer_src.to_string(),
        "outer_dst": t.outer_dst.to_string(),
        "port": t.port,
        "src_node": name(&t.outer_src),
        "dst_node": name(&t.outer_dst),
    })
}

fn endpoint_text(e: &Endpoint, ports: bool, topo: &Topology) -> String {
    let pod = topo
        .pod_by_ip(&e.ip)
        .map(|p| format!(" ({})", p.name))
        .unwrap_or_default();
    match (ports, e.ip) {
        (true, IpBytes::V6(_)) => format!("[{}]:{}{pod}", e.ip, e.port),
        (true, _) => format!("{}:{}{pod}", e.ip, e.port),
        (false, _) => format!("{} id {}{pod}", e.ip, e.port),
    }
}

fn endpoint_json(e: &Endpoint) -> serde_json::Value {
    serde_json::json!({"ip": e.ip.to_string(), "port": e.port})
}

/// The changes from `first` (seen first, at the hop the packet left) to `second`, in a fixed order, written
/// into `out` (cleared first).
pub fn changes_between(first: &Observation, second: &Observation, out: &mut Vec<Change>) {
    out.clear();
    let (a, b) = (&first.attrs, &second.attrs);
    if let (Some(ka), Some(kb)) = (&first.key, &second.key) {
        nat_changes(ka, kb, out);
    }
    if a.ttl != b.ttl {
        out.push(Change::Ttl {
            from: a.ttl,
            to: b.ttl,
        });
    }
    if let (Some(sa), Some(da), Some(sb), Some(db)) = (a.src_mac, a.dst_mac, b.src_mac, b.dst_mac)
        && (sa, da) != (sb, db)
    {
        out.push(Change::Macs {
            from: [sa, da],
            to: [sb, db],
        });
    }
    match (a.tunnel, b.tunnel) {
        (None, Some(t)) => out.push(Change::Encapsulated(t)),
        (Some(t), None) => out.push(Change::Decapsulated(t)),
        (Some(x), Some(y)) if x != y => out.push(Change::Tunnel { from: x, to: y }),
        _ => {}
    }
    match (first.fragmented(), second.fragmented()) {
        (false, true) => out.push(Change::Fragmented),
        (true, false) => out.push(Change::Reassembled),
        _ => {}
    }
    if a.dscp != b.dscp {
        out.push(Change::Dscp {
            from: a.dscp,
            to: b.dscp,
        });
    }
    if a.ecn != b.ecn {
        out.push(Change::Ecn {
            from: a.ecn,
            to: b.ecn,
        });
    }
}

fn nat_changes(a: &ExactKey, b: &ExactKey, out: &mut Vec<Change>) {
    let ports = a.has_ports();
    if a.src_endpoint() != b.src_endpoint() {
        out.push(Change::Nat {
            side: NatSide::Source,
            from: a.src_endpoint(),
            to: b.src_endpoint(),
            ports,
        });
    }
    if a.dst_endpoint() != b.dst_endpoint() {
        out.push(Change::Nat {
            side: NatSide::Destination,
            from: a.dst_endpoint(),
            to: b.dst_endpoint(),
            ports,
        });
    }
}
