//! The one-line summary, tcpdump-like: one segment an encapsulation level, joined by ` | `.
//!
//! `172.16.100.101:40592 > 172.16.100.102:8472 VXLAN vni 1 | 10.244.1.12 > 10.244.2.14 ICMP echo request id 3143 seq 1102, ttl 63`
//!
//! Notes of severity warning and above follow in brackets: `[flannel.inner_checksum_bad]`.

use crate::dissection::Dissection;
use crate::fields::{FieldId as F, MAX_DEPTH, Scope};
use crate::notes::Severity;
use crate::value::{Value, write};

/// The fields the summary reads: a dissection made to be summed up need record no others (see
/// [`Dissection::recording`]). The flannel annotations read their own ([`crate::flannel::FIELDS_READ`]).
pub const FIELDS_READ: &[F] = &[
    F::EthSrc,
    F::EthDst,
    F::EthType,
    F::EthLen,
    F::VlanEtype,
    F::ArpOpcode,
    F::ArpSrcHwMac,
    F::ArpSrcProtoIpv4,
    F::ArpDstProtoIpv4,
    F::IpSrc,
    F::IpDst,
    F::IpTtl,
    F::IpProto,
    F::Ipv6Src,
    F::Ipv6Dst,
    F::Ipv6Hlim,
    F::Ipv6Nxt,
    F::Ipv6ExtNxt,
    F::UdpSrcport,
    F::UdpDstport,
    F::UdpLength,
    F::TcpSrcport,
    F::TcpDstport,
    F::TcpFlags,
    F::TcpSeq,
    F::TcpAck,
    F::TcpWindow,
    F::TcpLen,
    F::IcmpType,
    F::IcmpCode,
    F::IcmpIdent,
    F::IcmpSeq,
    F::IcmpMtu,
    F::Icmpv6Type,
    F::Icmpv6Code,
    F::Icmpv6EchoId,
    F::Icmpv6EchoSeq,
    F::Icmpv6Mtu,
    F::Icmpv6NdTarget,
    F::VxlanGbp,
    F::VxlanVni,
    F::OtvOverlay,
    F::OtvInstance,
    F::FlannelSrcNode,
    F::FlannelDstNode,
];

/// What a dissection made for the one-line view records: the fields the line reads and those the flannel
/// annotations read, so that the line comes out whole, its node names and diagnoses included.
pub fn fields_recorded() -> impl Iterator<Item = F> {
    FIELDS_READ
        .iter()
        .chain(crate::flannel::FIELDS_READ)
        .copied()
}

/// Writes the summary of a dissected frame (without timestamp).
pub fn write(out: &mut Vec<u8>, d: &Dissection<'_>, frame: &[u8]) {
    // One pass over the layers: how deep the frame goes, and the tunnel header of each depth.
    let mut deepest = None;
    let mut tunnels = [None; MAX_DEPTH as usize + 1];
    for l in d.layers().iter().filter(|l| !l.scope.is_quoted()) {
        let depth = l.scope.depth();
        deepest = deepest.max(Some(depth));
        if l.proto.is_tunnel() {
            let tunnel = &mut tunnels[usize::from(depth)];
            *tunnel = Some(preferred_tunnel(*tunnel, l.proto));
        }
    }
    let Some(deepest) = deepest else {
        out.extend_from_slice(b"(nothing decoded)");
        notes(out, d);
        return;
    };
    for depth in 0..=deepest {
        if depth > 0 {
            out.extend_from_slice(b" | ");
        }
        segment(
            out,
            d,
            frame,
            Scope::at_depth(depth),
            tunnels[usize::from(depth)],
        );
    }
    notes(out, d);
}

fn notes(out: &mut Vec<u8>, d: &Dissection<'_>) {
    for (i, n) in d.notes().iter().enumerate() {
        if n.severity() >= Severity::Warning
            && !d.notes()[..i]
                .iter()
                .any(|m| m.code.def().code == n.code.def().code)
        {
            out.extend_from_slice(b" [");
            out.extend_from_slice(n.code.def().code.as_bytes());
            out.push(b']');
        }
    }
}

/// The network addresses of a scope and the hop count of its header.
struct NetAddrs<'d> {
    src: Value<'d>,
    dst: Value<'d>,
    /// The TTL (IPv4) or hop limit (IPv6).
    hops: Hops,
}

/// An IP header's hop count, as the line names it.
#[derive(Clone, Copy)]
enum Hops {
    Ttl(Option<u64>),
    Hlim(Option<u64>),
}

fn net_addrs<'d>(d: &Dissection<'d>, scope: Scope) -> Option<NetAddrs<'d>> {
    if let (Some(src), Some(dst)) = (d.value(F::IpSrc, scope), d.value(F::IpDst, scope)) {
        return Some(NetAddrs {
            src,
            dst,
            hops: Hops::Ttl(d.uint(F::IpTtl, scope)),
        });
    }
    if let (Some(src), Some(dst)) = (d.value(F::Ipv6Src, scope), d.value(F::Ipv6Dst, scope)) {
        return Some(NetAddrs {
            src,
            dst,
            hops: Hops::Hlim(d.uint(F::Ipv6Hlim, scope)),
        });
    }
    None
}

fn addr(out: &mut Vec<u8>, v: &Value<'_>) {
    match v {
        Value::Ipv4(a) => write::ipv4(out, a),
        Value::Ipv6(a) => write::ipv6(out, a),
        Value::Mac(m) => write::mac(out, m),
        _ => out.push(b'?'),
    }
}

fn addr_port(out: &mut Vec<u8>, v: &Value<'_>, port: Option<u64>) {
    let bracket = matches!(v, Value::Ipv6(_)) && port.is_some();
    if bracket {
        out.push(b'[');
    }
    addr(out, v);
    if bracket {
        out.push(b']');
    }
    if let Some(p) = port {
        out.push(b':');
        write::u64_dec(out, p);
    }
}

fn node_or_endpoint(out: &mut Vec<u8>, node: Option<Value<'_>>, ip: &Value<'_>, port: Option<u64>) {
    match node {
        Some(Value::Text(name)) => out.extend_from_slice(name.as_bytes()),
        _ => addr_port(out, ip, port),
    }
}

fn endpoints(out: &mut Vec<u8>, net: &NetAddrs<'_>, ports: Option<(u64, u64)>) {
    addr_port(out, &net.src, ports.map(|p| p.0));
    out.extend_from_slice(b" > ");
    addr_port(out, &net.dst, ports.map(|p| p.1));
}

/// ` label N`, when there is a value. The label's length is known when compiling: appending it is a few
/// stores, not a call to `memcpy`.
fn num<const N: usize>(out: &mut Vec<u8>, label: &[u8; N], v: Option<u64>) {
    if let Some(v) = v {
        out.extend_from_slice(label);
        write::u64_dec(out, v);
    }
}

/// One scope's part of the line; `tunnel` is the protocol of its tunnel header, if it has one.
fn segment(out: &mut Vec<u8>, d: &Dissection<'_>, frame: &[u8], scope: Scope, tunnel: Option<F>) {
    let Some(net) = net_addrs(d, scope) else {
        return link_segment(out, d, frame, scope);
    };
    let udp_ports = d
        .uint(F::UdpSrcport, scope)
        .zip(d.uint(F::UdpDstport, scope));
    if let Some(proto) = tunnel {
        // Node names, where the flannel topology knows them, stand for the outer addresses.
        let src = d.value(F::FlannelSrcNode, scope);
        let dst = d.value(F::FlannelDstNode, scope);
        node_or_endpoint(out, src, &net.src, udp_ports.map(|p| p.0));
        out.extend_from_slice(b" > ");
        node_or_endpoint(out, dst, &net.dst, udp_ports.map(|p| p.1));
        tunnel_header(out, d, scope, proto);
        return;
    }
    let tcp_ports = d
        .uint(F::TcpSrcport, scope)
        .zip(d.uint(F::TcpDstport, scope));
    if let Some(ports) = tcp_ports {
        endpoints(out, &net, Some(ports));
        out.extend_from_slice(b" TCP");
        // (A header cut short may end before its flags.)
        let flags = d.uint(F::TcpFlags, scope);
        if let Some(flags) = flags {
            tcp_flags(out, flags);
        }
        num(out, b" seq ", d.uint(F::TcpSeq, scope));
        if flags.is_some_and(|f| f & F::TcpFlagAck.def().mask != 0) {
            num(out, b" ack ", d.uint(F::TcpAck, scope));
        }
        num(out, b" win ", d.uint(F::TcpWindow, scope));
        num(out, b" len ", d.uint(F::TcpLen, scope));
    } else if let Some(ports) = udp_ports {
        endpoints(out, &net, Some(ports));
        out.extend_from_slice(b" UDP");
        num(
            out,
            b" len ",
            d.uint(F::UdpLength, scope).map(|l| l.saturating_sub(8)),
        );
    } else if let Some(kind) = d.uint(F::IcmpType, scope) {
        endpoints(out, &net, None);
        out.extend_from_slice(b" ICMP ");
        icmp(out, d, scope, kind);
    } else if let Some(kind) = d.uint(F::Icmpv6Type, scope) {
        endpoints(out, &net, None);
        out.extend_from_slice(b" ICMPv6 ");
        icmpv6(out, d, scope, kind);
    } else {
        endpoints(out, &net, None);
        let proto = d
            .uint(F::IpProto, scope)
            .or_else(|| last_next_header(d, scope));
        match proto.and_then(|p| F::IpProto.def().value_name(p)) {
            Some(name) => {
                out.push(b' ');
                out.extend_from_slice(name.as_bytes());
            }
            None => num(out, b" ip-proto-", proto),
        }
        // A later fragment carries no header of its own: say where its bytes go.
        num(out, b" fragment offset ", later_fragment_offset(d, scope));
    }
    match net.hops {
        Hops::Ttl(ttl) => num(out, b", ttl ", ttl),
        Hops::Hlim(hlim) => num(out, b", hlim ", hlim),
    }
}

/// ` [S.]`: the flags as tcpdump writes them.
fn tcp_flags(out: &mut Vec<u8>, flags: u64) {
    out.extend_from_slice(b" [");
    let mut any = false;
    for (flag, letter) in [
        (F::TcpFlagFin, b'F'),
        (F::TcpFlagSyn, b'S'),
        (F::TcpFlagReset, b'R'),
        (F::TcpFlagPush, b'P'),
        (F::TcpFlagAck, b'.'),
        (F::TcpFlagUrg, b'U'),
        (F::TcpFlagEce, b'E'),
        (F::TcpFlagCwr, b'W'),
    ] {
        // The flag's mask applies to tcp.flags, which shares its bytes and has no shift.
        if flags & flag.def().mask != 0 {
            out.push(letter);
            any = true;
        }
    }
    if !any {
        out.extend_from_slice(b"none");
    }
    out.push(b']');
}

/// The byte offset of a later IP fragment (the first has its transport header decoded), from the scope's
/// fragment note (notes are recorded whatever fields are).
fn later_fragment_offset(d: &Dissection<'_>, scope: Scope) -> Option<u64> {
    d.notes()
        .iter()
        .filter(|n| n.scope == scope)
        .find_map(|n| n.fragment())
        .map(|(offset, _)| offset)
        .filter(|&offset| offset > 0)
}

fn last_next_header(d: &Dissection<'_>, scope: Scope) -> Option<u64> {
    d.fields()
        .iter()
        .rev()
        .find(|f| f.scope == scope && matches!(f.id, F::Ipv6Nxt | F::Ipv6ExtNxt))
        .and_then(|f| f.value.as_u64())
}

/// Which of two tunnel headers of one scope the line names: OTV, else VXLAN-GPE, else VXLAN.
fn preferred_tunnel(a: Option<F>, b: F) -> F {
    match (a, b) {
        (Some(F::Otv), _) | (_, F::Otv) => F::Otv,
        (Some(F::VxlanGpe), _) | (_, F::VxlanGpe) => F::VxlanGpe,
        _ => b,
    }
}

/// The tunnel header of a scope that has one, as the line names it.
fn tunnel_proto(d: &Dissection<'_>, scope: Scope) -> F {
    d.layers()
        .iter()
        .filter(|l| l.scope == scope && l.proto.is_tunnel())
        .fold(None, |a, l| Some(preferred_tunnel(a, l.proto)))
        .unwrap_or(F::Vxlan)
}

/// ` VXLAN vni N`: the tunnel header `proto` of a scope.
fn tunnel_header(out: &mut Vec<u8>, d: &Dissection<'_>, scope: Scope, proto: F) {
    match proto {
        F::Otv => {
            out.extend_from_slice(b" OTV");
            num(out, b" overlay ", d.uint(F::OtvOverlay, scope));
            num(out, b" instance ", d.uint(F::OtvInstance, scope));
            return;
        }
        F::VxlanGpe => out.extend_from_slice(b" VXLAN-GPE"),
        _ => {
            out.extend_from_slice(b" VXLAN");
            num(out, b" gbp ", d.uint(F::VxlanGbp, scope));
        }
    }
    num(out, b" vni ", d.uint(F::VxlanVni, scope));
}

fn icmp(out: &mut Vec<u8>, d: &Dissection<'_>, scope: Scope, kind: u64) {
    let code = d.uint(F::IcmpCode, scope).unwrap_or(0);
    match kind {
        0 | 8 => {
            out.extend_from_slice(if kind == 8 {
                b"echo request"
            } else {
                b"echo reply"
            });
            num(out, b" id ", d.uint(F::IcmpIdent, scope));
            num(out, b" seq ", d.uint(F::IcmpSeq, scope));
        }
        3 => {
            let text = match code {
                0 => "net unreachable",
                1 => "host unreachable",
                2 => "protocol unreachable",
                3 => "port unreachable",
                4 => "fragmentation needed",
                9 | 10 | 13 => "administratively prohibited",
                _ => "unreachable",
            };
            out.extend_from_slice(text.as_bytes());
            if code == 4 {
                num(out, b", mtu ", d.uint(F::IcmpMtu, scope));
            }
            quoted(out, d, scope);
        }
        11 => {
            out.extend_from_slice(if code == 1 {
                b"time exceeded in reassembly"
            } else {
                b"time exceeded in transit"
            });
            quoted(out, d, scope);
        }
        5 => {
            out.extend_from_slice(b"redirect");
            quoted(out, d, scope);
        }
        12 => {
            out.extend_from_slice(b"parameter problem");
            quoted(out, d, scope);
        }
        _ => {
            num(out, b"type ", Some(kind));
            num(out, b" code ", Some(code));
        }
    }
}

fn icmpv6(out: &mut Vec<u8>, d: &Dissection<'_>, scope: Scope, kind: u64) {
    match kind {
        128 | 129 => {
            out.extend_from_slice(if kind == 128 {
                b"echo request"
            } else {
                b"echo reply"
            });
            num(out, b" id ", d.uint(F::Icmpv6EchoId, scope));
            num(out, b" seq ", d.uint(F::Icmpv6EchoSeq, scope));
        }
        1 => {
            out.extend_from_slice(if d.uint(F::Icmpv6Code, scope) == Some(4) {
                b"port unreachable"
            } else {
                b"destination unreachable"
            });
            quoted(out, d, scope);
        }
        2 => {
            out.extend_from_slice(b"packet too big");
            num(out, b", mtu ", d.uint(F::Icmpv6Mtu, scope));
            quoted(out, d, scope);
        }
        3 => {
            out.extend_from_slice(b"time exceeded");
            quoted(out, d, scope);
        }
        4 => {
            out.extend_from_slice(b"parameter problem");
            quoted(out, d, scope);
        }
        135 | 136 => {
            out.extend_from_slice(if kind == 135 {
                b"neighbor solicitation, who has "
            } else {
                b"neighbor advertisement, tgt is "
            });
            if let Some(t) = d.value(F::Icmpv6NdTarget, scope) {
                addr(out, &t);
            }
        }
        133 => out.extend_from_slice(b"router solicitation"),
        134 => out.extend_from_slice(b"router advertisement"),
        _ => {
            num(out, b"type ", Some(kind));
            num(out, b" code ", d.uint(F::Icmpv6Code, scope));
        }
    }
}

/// ` for SRC:PORT > DST:PORT UDP VXLAN vni N`: the packet an ICMP error quotes.
fn quoted(out: &mut Vec<u8>, d: &Dissection<'_>, scope: Scope) {
    let Some(q) = scope.quoted() else { return };
    let Some(net) = net_addrs(d, q) else { return };
    out.extend_from_slice(b" for ");
    let udp = d.uint(F::UdpSrcport, q).zip(d.uint(F::UdpDstport, q));
    let tcp = d.uint(F::TcpSrcport, q).zip(d.uint(F::TcpDstport, q));
    endpoints(out, &net, udp.or(tcp));
    if udp.is_some() {
        out.extend_from_slice(b" UDP");
    } else if tcp.is_some() {
        out.extend_from_slice(b" TCP");
    } else if let Some(p) = d
        .uint(F::IpProto, q)
        .and_then(|p| F::IpProto.def().value_name(p))
    {
        out.push(b' ');
        out.extend_from_slice(p.as_bytes());
    }
    if d.has_layer(F::Vxlan, q) || d.has_layer(F::VxlanGpe, q) {
        tunnel_header(out, d, q, tunnel_proto(d, q));
    }
}

/// A segment without IP: ARP, or the Ethernet addresses and EtherType.
fn link_segment(out: &mut Vec<u8>, d: &Dissection<'_>, frame: &[u8], scope: Scope) {
    if let Some(op) = d.uint(F::ArpOpcode, scope) {
        let spa = d.value(F::ArpSrcProtoIpv4, scope);
        let tpa = d.value(F::ArpDstProtoIpv4, scope);
        let sha = d.value(F::ArpSrcHwMac, scope);
        match (op, spa, tpa) {
            (1, Some(spa), Some(tpa)) => {
                out.extend_from_slice(b"ARP who-has ");
                addr(out, &tpa);
                out.extend_from_slice(b" tell ");
                addr(out, &spa);
            }
            (2, Some(spa), _) => {
                out.extend_from_slice(b"ARP reply ");
                addr(out, &spa);
                out.extend_from_slice(b" is-at ");
                if let Some(sha) = sha {
                    addr(out, &sha);
                }
            }
            _ => num(out, b"ARP opcode ", Some(op)),
        }
        return;
    }
    if let (Some(src), Some(dst)) = (d.value(F::EthSrc, scope), d.value(F::EthDst, scope)) {
        addr(out, &src);
        out.extend_from_slice(b" > ");
        addr(out, &dst);
        let ethertype = d
            .fields()
            .iter()
            .rev()
            .find(|f| f.scope == scope && matches!(f.id, F::EthType | F::VlanEtype))
            .and_then(|f| f.value.as_u64());
        if let Some(t) = ethertype {
            out.extend_from_slice(b" ethertype ");
            write::u64_hex(out, t, 4);
            if let Some(name) = F::EthType.def().value_name(t) {
                out.extend_from_slice(b" (");
                out.extend_from_slice(name.as_bytes());
                out.push(b')');
            }
        } else {
            num(out, b" 802.3 length ", d.uint(F::EthLen, scope));
        }
        return;
    }
    let first = d.layers().iter().find(|l| l.scope == scope);
    match first {
        Some(l) => {
            out.extend_from_slice(l.proto.def().name.as_bytes());
            num(out, b", ", Some(u64::from(l.len)));
            out.extend_from_slice(b" bytes");
        }
        None => {
            num(out, b"", Some(frame.len() as u64));
            out.extend_from_slice(b" bytes");
        }
    }
}
