//! Per-packet flannel annotations (`flannel.*` fields) and the diagnoses one packet can tell on its own.

use super::{Node, PodSubnet, Role, Topology};
use crate::dissection::{Dissection, Field, Layer, Note};
use crate::fields::{FieldId as F, Scope};
use crate::notes::NoteCode;
use crate::value::{IpBytes, Value};
use crate::{Dissector, PortSet};

/// The fields the annotations and the session read (see [`Dissection::recording`]).
pub const FIELDS_READ: &[F] = &[
    F::EthSrc,
    F::EthDst,
    F::IpSrc,
    F::IpDst,
    F::IpTtl,
    F::IpLen,
    F::IpProto,
    F::IpFlagMf,
    F::IpFragOffset,
    F::Ipv6Src,
    F::Ipv6Dst,
    F::Ipv6Hlim,
    F::Ipv6Plen,
    F::Ipv6Fragment,
    F::UdpSrcport,
    F::UdpDstport,
    F::IcmpType,
    F::IcmpCode,
    F::IcmpMtu,
    F::Icmpv6Type,
    F::Icmpv6Code,
    F::Icmpv6Mtu,
    F::VxlanVni,
];

/// What one scope of a dissection says, as far as the flannel diagnoses need it. Each constructor looks up only
/// what its diagnoses read; the other facts stay `None`.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Facts {
    pub(super) src_ip: Option<(IpBytes, u32)>,
    pub(super) dst_ip: Option<(IpBytes, u32)>,
    /// TTL or hop limit, and its offset.
    pub(super) hops: Option<(u64, u32)>,
    /// Length of the IP packet (IPv4 total length; IPv6 payload length plus 40), and the header's offset.
    pub(super) ip_len: Option<(u64, u32)>,
    pub(super) ip_proto: Option<u64>,
    pub(super) fragment: bool,
    pub(super) src_mac: Option<([u8; 6], u32)>,
    pub(super) dst_mac: Option<([u8; 6], u32)>,
    pub(super) sport: Option<u64>,
    pub(super) dport: Option<(u64, u32)>,
    pub(super) vni: Option<(u64, u32)>,
    /// The ICMP or ICMPv6 message.
    pub(super) icmp: Option<IcmpMessage>,
    pub(super) icmp_mtu: Option<u64>,
}

/// An ICMP or ICMPv6 message: type, code, the message's offset, and `true` for ICMPv6.
pub(super) type IcmpMessage = (u64, u64, u32, bool);

/// The fields of one scope of a dissection (constant-time lookups).
#[derive(Clone, Copy)]
struct Scoped<'a, 'd> {
    d: &'a Dissection<'d>,
    scope: Scope,
}

impl Scoped<'_, '_> {
    fn uint(self, id: F) -> Option<(u64, u32)> {
        let f = self.d.find(id, self.scope)?;
        f.value.as_u64().map(|v| (v, f.offset))
    }

    /// The address of the IPv4 field `v4`, or else of the IPv6 field `v6`.
    fn ip(self, v4: F, v6: F) -> Option<(IpBytes, u32)> {
        let f = self
            .d
            .find(v4, self.scope)
            .or_else(|| self.d.find(v6, self.scope))?;
        f.value.as_ip().map(|ip| (ip, f.offset))
    }

    fn mac(self, id: F) -> Option<([u8; 6], u32)> {
        let f = self.d.find(id, self.scope)?;
        match f.value {
            Value::Mac(m) => Some((m, f.offset)),
            _ => None,
        }
    }

    fn src_ip(self) -> Option<(IpBytes, u32)> {
        self.ip(F::IpSrc, F::Ipv6Src)
    }

    fn dst_ip(self) -> Option<(IpBytes, u32)> {
        self.ip(F::IpDst, F::Ipv6Dst)
    }

    fn ip_len(self) -> Option<(u64, u32)> {
        self.uint(F::IpLen)
            .or_else(|| self.uint(F::Ipv6Plen).map(|(v, at)| (v + 40, at)))
    }

    fn icmp(self) -> Option<IcmpMessage> {
        match (self.uint(F::IcmpType), self.uint(F::Icmpv6Type)) {
            (Some((t, at)), _) => Some((t, self.uint(F::IcmpCode).map_or(0, |c| c.0), at, false)),
            (None, Some((t, at))) => {
                Some((t, self.uint(F::Icmpv6Code).map_or(0, |c| c.0), at, true))
            }
            (None, None) => None,
        }
    }
}

impl Facts {
    /// What the diagnoses of an ICMP error and of a fragment need of one scope: addresses, length, destination
    /// port, the ICMP message, protocol and fragmentation.
    pub(super) fn of(d: &Dissection<'_>, scope: Scope) -> Facts {
        let s = Scoped { d, scope };
        Facts {
            src_ip: s.src_ip(),
            dst_ip: s.dst_ip(),
            ip_len: s.ip_len(),
            dport: s.uint(F::UdpDstport),
            icmp: s.icmp(),
            icmp_mtu: s
                .uint(F::IcmpMtu)
                .or_else(|| s.uint(F::Icmpv6Mtu))
                .map(|(v, _)| v),
            ip_proto: s.uint(F::IpProto).map(|(v, _)| v),
            fragment: s.uint(F::IpFlagMf).is_some_and(|(v, _)| v == 1)
                || s.uint(F::IpFragOffset).is_some_and(|(v, _)| v > 0)
                || d.find(F::Ipv6Fragment, scope).is_some(),
            ..Facts::default()
        }
    }

    /// The outside of a tunnel (the scope holding its VXLAN header): addresses, ports, VNI.
    fn of_tunnel_outside(d: &Dissection<'_>, scope: Scope) -> Facts {
        let s = Scoped { d, scope };
        Facts {
            src_ip: s.src_ip(),
            dst_ip: s.dst_ip(),
            sport: s.uint(F::UdpSrcport).map(|(v, _)| v),
            dport: s.uint(F::UdpDstport),
            vni: s.uint(F::VxlanVni),
            ..Facts::default()
        }
    }

    /// The frame a tunnel carries: addresses, MACs, hops, length.
    fn of_tunnel_inside(d: &Dissection<'_>, scope: Scope) -> Facts {
        let s = Scoped { d, scope };
        Facts {
            src_ip: s.src_ip(),
            dst_ip: s.dst_ip(),
            hops: s.uint(F::IpTtl).or_else(|| s.uint(F::Ipv6Hlim)),
            ip_len: s.ip_len(),
            src_mac: s.mac(F::EthSrc),
            dst_mac: s.mac(F::EthDst),
            ..Facts::default()
        }
    }
}

/// One VXLAN packet of a frame: the scope holding its VXLAN header, the facts of its outer and inner frames, and
/// the pod subnets of its inner addresses. The annotator gathers them and a [`Session`](super::Session) learns
/// from them, so that a packet's fields and subnets are looked up once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tunnel {
    pub(super) scope: Scope,
    /// Where its VXLAN (or VXLAN-GPE) header starts.
    at: u32,
    /// A VXLAN-GPE header rather than VXLAN.
    pub(super) gpe: bool,
    pub(super) outer: Facts,
    pub(super) inner: Facts,
    /// The pod subnets of the inner source and destination addresses.
    pub(super) subnets: [Option<PodSubnet>; 2],
}

impl Tunnel {
    /// The tunnel whose VXLAN (or VXLAN-GPE) header is layer `l`, if it is one and not quoted by an ICMP error.
    fn of_layer(topo: &Topology, d: &Dissection<'_>, l: &Layer) -> Option<Tunnel> {
        if !matches!(l.proto, F::Vxlan | F::VxlanGpe) || l.scope.is_quoted() {
            return None;
        }
        let outer = Facts::of_tunnel_outside(d, l.scope);
        let inner = l
            .scope
            .encapsulated()
            .map(|s| Facts::of_tunnel_inside(d, s))
            .unwrap_or_default();
        let subnet = |ip: Option<(IpBytes, u32)>| ip.and_then(|(ip, _)| topo.pod_subnet(&ip));
        Some(Tunnel {
            scope: l.scope,
            at: l.offset,
            gpe: l.proto == F::VxlanGpe,
            outer,
            inner,
            subnets: [subnet(inner.src_ip), subnet(inner.dst_ip)],
        })
    }
}

/// Whether an ICMP message reports an error flannel can explain: a VXLAN port unreachable (or prohibited), or a
/// packet too big. Other messages need no facts gathered.
fn icmp_error_kind((kind, code, _, v6): IcmpMessage) -> Option<IcmpError> {
    let unreachable = if v6 {
        kind == 1 && matches!(code, 1 | 4)
    } else {
        kind == 3 && matches!(code, 3 | 9 | 10 | 13)
    };
    let too_big = if v6 {
        kind == 2
    } else {
        kind == 3 && code == 4
    };
    if unreachable {
        Some(IcmpError::Unreachable)
    } else if too_big {
        Some(IcmpError::TooBig)
    } else {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IcmpError {
    Unreachable,
    TooBig,
}

/// Adds the flannel fields and the diagnoses of one packet. With `tunnels`, also hands the facts of its VXLAN
/// packets to a [`Session`](super::Session), which then need not look them up again.
pub(crate) fn annotate<'d>(
    dissector: &'d Dissector,
    out: &mut Dissection<'d>,
    mut tunnels: Option<&mut Vec<Tunnel>>,
) {
    let topo = dissector.topology();
    let mut cx = Annotator {
        topo,
        out,
        layer: None,
        layer_at: (Scope::OUTER, 0),
    };
    // The tunnels, outermost first (the flannel layers added go after the last).
    for i in 0..cx.out.layers().len() {
        let Some(t) = Tunnel::of_layer(topo, cx.out, &cx.out.layers()[i]) else {
            continue;
        };
        cx.tunnel(&t);
        if let Some(v) = tunnels.as_deref_mut() {
            v.push(t);
        }
    }
    let fragment = cx.out.has_note(crate::notes::NoteCode::Fragment);
    // The ICMP errors and fragments: a frame with neither (no ICMP header anywhere; the ICMP fields are
    // only in ICMP layers) has no scope to look at.
    if !fragment
        && !cx
            .out
            .layers()
            .iter()
            .any(|l| matches!(l.proto, F::Icmp | F::Icmpv6))
    {
        return;
    }
    for depth in 0..=crate::fields::MAX_DEPTH {
        let scope = Scope::at_depth(depth);
        if !cx.out.layers().iter().any(|l| l.scope == scope) {
            break;
        }
        let error = Scoped { d: cx.out, scope }.icmp().and_then(icmp_error_kind);
        if error.is_none() && !fragment {
            continue;
        }
        let here = Facts::of(cx.out, scope);
        if let (Some(icmp), Some(error), Some(q)) = (here.icmp, error, scope.quoted()) {
            let quoted = Facts::of(cx.out, q);
            cx.icmp_error(&dissector.vxlan_ports, &here, icmp, error, &quoted);
        }
        if here.fragment && here.ip_proto == Some(17) && here.icmp.is_none() {
            cx.fragment(&here, scope, cx.out.has_layer(F::Vxlan, scope));
        }
    }
}

struct Annotator<'a, 'd> {
    topo: &'d Topology,
    out: &'a mut Dissection<'d>,
    /// The flannel layer of the tunnel being annotated, made when its first field is added; and where it goes.
    layer: Option<u16>,
    layer_at: (Scope, u32),
}

/// A node as a note value: its name, or its first address.
fn node_value(n: &Node) -> Value<'_> {
    match (&n.name, n.ips.first()) {
        (Some(name), _) => Value::Text(name),
        (None, Some(ip)) => ip.value(),
        (None, None) => Value::Text("a node"),
    }
}

impl<'d> Annotator<'_, 'd> {
    /// Whether the value of field `id` is worth looking up: the dissection records it, or the flannel layer,
    /// which a field with a value makes (and `-Y flannel` looks for whatever is recorded), is not made yet.
    fn wants(&self, id: F) -> bool {
        self.layer.is_none() || self.out.records(id)
    }

    fn field(&mut self, scope: Scope, id: F, at: u32, value: Value<'d>) {
        let (layer_scope, layer_at) = self.layer_at;
        let layer = *self.layer.get_or_insert_with(|| {
            self.out
                .push_layer(F::Flannel, layer_scope, layer_at as usize, 0)
        });
        self.out.push_field(Field {
            id,
            scope,
            layer,
            level: 0,
            offset: at,
            len: 0,
            value,
        });
    }

    fn text(&mut self, scope: Scope, id: F, at: u32, text: Option<&'d str>) {
        if let Some(t) = text {
            self.field(scope, id, at, Value::Text(t));
        }
    }

    fn note(&mut self, code: NoteCode, scope: Scope, offset: u32, len: u32, args: [Value<'d>; 3]) {
        self.out.push_note(Note {
            code,
            scope,
            offset,
            len,
            args,
        });
    }

    /// The fields and diagnoses of one VXLAN packet.
    fn tunnel(&mut self, t: &Tunnel) {
        let topo = self.topo;
        let (scope, outer, inner) = (t.scope, &t.outer, &t.inner);
        // Nothing to say of a packet outside the cluster network that no source names: no flannel layer.
        self.layer = None;
        self.layer_at = (scope, t.at);
        // The receiver is looked up for the diagnoses; the other nodes only for fields that are recorded.
        let dst_node = outer.dst_ip.and_then(|(ip, _)| topo.node_by_ip(&ip));
        if let Some((ip, at)) = outer.src_ip
            && self.wants(F::FlannelSrcNode)
        {
            let src_node = topo.node_by_ip(&ip);
            self.text(
                scope,
                F::FlannelSrcNode,
                at,
                src_node.and_then(|n| n.name.as_deref()),
            );
        }
        if let Some((_, at)) = outer.dst_ip {
            self.text(
                scope,
                F::FlannelDstNode,
                at,
                dst_node.and_then(|n| n.name.as_deref()),
            );
        }
        for (mac, id) in [
            (inner.src_mac, F::FlannelSrcVtepNode),
            (inner.dst_mac, F::FlannelDstVtepNode),
        ] {
            if let Some((mac, at)) = mac
                && self.wants(id)
            {
                let node = topo.node_by_vtep_mac(&mac);
                self.text(scope, id, at, node.and_then(|n| n.name.as_deref()));
            }
        }
        let ends = [
            (
                inner.src_ip,
                t.subnets[0],
                [
                    F::FlannelSrcPodSubnet,
                    F::FlannelSrcSubnetNode,
                    F::FlannelSrcRole,
                    F::FlannelSrcPod,
                    F::FlannelSrcNamespace,
                    F::FlannelSrcPodNode,
                ],
            ),
            (
                inner.dst_ip,
                t.subnets[1],
                [
                    F::FlannelDstPodSubnet,
                    F::FlannelDstSubnetNode,
                    F::FlannelDstRole,
                    F::FlannelDstPod,
                    F::FlannelDstNamespace,
                    F::FlannelDstPodNode,
                ],
            ),
        ];
        for (ip, pod_subnet, [subnet, subnet_node, role, pod, namespace, pod_node]) in ends {
            let Some((ip, at)) = ip else { continue };
            if let Some(PodSubnet { net, owner }) = pod_subnet {
                let owner = owner.map(|i| &topo.nodes[i]);
                self.field(scope, subnet, at, Value::Net(net));
                if self.wants(role) {
                    let word = super::role_in(&ip, &net).word();
                    self.field(scope, role, at, Value::Text(word));
                }
                self.text(
                    scope,
                    subnet_node,
                    at,
                    owner.and_then(|n| n.name.as_deref()),
                );
                if topo.subnet_in_conflict(&net) {
                    let claimed_by = owner.map_or(Value::Text("a node"), node_value);
                    self.note(
                        NoteCode::SubnetClaimed,
                        scope,
                        at,
                        4,
                        [Value::Net(net), claimed_by, Value::None],
                    );
                }
            }
            let pod_fields = [pod, namespace, pod_node];
            if pod_fields.into_iter().any(|id| self.wants(id))
                && let Some(p) = topo.pod_by_ip(&ip)
            {
                self.field(scope, pod, at, Value::Text(&p.name));
                self.text(scope, namespace, at, p.namespace.as_deref());
                self.text(scope, pod_node, at, p.node.as_deref());
            }
        }
        for mac in [inner.src_mac, inner.dst_mac].into_iter().flatten() {
            if topo.mac_in_conflict(&mac.0) {
                self.note(
                    NoteCode::VtepMacClaimed,
                    scope,
                    mac.1,
                    6,
                    [Value::Mac(mac.0), Value::None, Value::None],
                );
            }
        }
        self.diagnose_tunnel(t, dst_node);
    }

    fn diagnose_tunnel(&mut self, t: &Tunnel, dst_node: Option<&'d Node>) {
        let topo = self.topo;
        let (scope, outer, inner) = (t.scope, &t.outer, &t.inner);
        let outer_v6 = matches!(outer.src_ip, Some((IpBytes::V6(_), _)));
        let inner_v6 = matches!(inner.src_ip, Some((IpBytes::V6(_), _)));
        // The receiver's VTEP MAC (flannel-v6.1's for IPv6 inside).
        if let (Some(node), Some((mac, at))) = (dst_node, inner.dst_mac) {
            let expected = if inner_v6 {
                node.vtep_mac_v6.or(node.vtep_mac)
            } else {
                node.vtep_mac
            };
            if let Some(expected) = expected.filter(|e| *e != mac && mac[0] & 1 == 0) {
                self.note(
                    NoteCode::VtepMacMismatch,
                    scope,
                    at,
                    6,
                    [Value::Mac(mac), Value::Mac(expected), node_value(node)],
                );
            }
        }
        if let Some((vni, at)) = outer.vni
            && let Some((expected, who)) = expected(
                dst_node,
                |n| n.vni.map(u64::from),
                topo.cluster_vni().map(u64::from),
            )
            && vni != expected
        {
            self.note(
                NoteCode::VniMismatch,
                scope,
                at,
                3,
                [Value::UInt(vni), Value::UInt(expected), who],
            );
        }
        if let Some((port, at)) = outer.dport
            && topo.from_sources
        {
            let (expected, who) = expected(
                dst_node,
                |n| n.port.map(u64::from),
                topo.cluster_port().map(u64::from),
            )
            .unwrap_or((
                u64::from(super::DEFAULT_PORT),
                Value::Text("flannel's default"),
            ));
            // A datagram matched as VXLAN by its source port carries the expected port there.
            if port != expected && outer.sport != Some(expected) {
                self.note(
                    NoteCode::PortMismatch,
                    scope,
                    at,
                    2,
                    [Value::UInt(port), Value::UInt(expected), who],
                );
            }
        }
        if let Some((len, at)) = inner.ip_len {
            let mtu = u64::from(topo.vxlan_mtu(outer_v6));
            let overhead = if outer_v6 { 70 } else { 50 };
            if len > 2 * mtu || (len == 0 && inner.src_ip.is_some()) {
                let shown = if len == 0 {
                    u64::from(self.out.caplen)
                } else {
                    len
                };
                self.note(
                    NoteCode::OffloadArtefact,
                    scope,
                    at,
                    2,
                    [Value::UInt(shown), Value::UInt(mtu), Value::None],
                );
            } else if len > mtu {
                self.note(
                    NoteCode::MtuInner,
                    scope,
                    at,
                    2,
                    [Value::UInt(len), Value::UInt(mtu), Value::UInt(overhead)],
                );
            }
        }
        // The role of the inner source (as `Topology::role_of` tells it) from the subnet already looked up.
        if let (Some((ttl, at)), Some((src, _)), Some(src_subnet)) =
            (inner.hops, inner.src_ip, t.subnets[0])
            && super::role_in(&src, &src_subnet.net) == Role::Pod
            && matches!(ttl, 64 | 128 | 255)
        {
            self.note(
                NoteCode::InnerTtl,
                scope,
                at,
                1,
                [Value::UInt(ttl), src.value(), Value::None],
            );
        }
    }

    /// An ICMP error about a VXLAN packet (or, for "fragmentation needed", about a pod's packet).
    fn icmp_error(
        &mut self,
        vxlan_ports: &PortSet,
        here: &Facts,
        (_, code, at, v6): IcmpMessage,
        error: IcmpError,
        quoted: &Facts,
    ) {
        let scope = Scope::OUTER;
        let refused_port = quoted
            .dport
            .map(|(p, _)| p)
            .filter(|p| vxlan_ports.contains(*p as u16));
        let sender = here
            .src_ip
            .map_or(Value::Text("a host"), |(ip, _)| ip.value());
        if error == IcmpError::Unreachable
            && let Some(port) = refused_port
        {
            let what = match (v6, code) {
                (false, 3) | (true, 4) => "port unreachable",
                _ => "administratively prohibited",
            };
            self.note(
                NoteCode::PortUnreachable,
                scope,
                at,
                2,
                [sender, Value::UInt(port), Value::Text(what)],
            );
        }
        if error == IcmpError::TooBig {
            let about_pods = quoted
                .src_ip
                .is_some_and(|(ip, _)| self.topo.role_of(&ip) != Role::Outside);
            if refused_port.is_some() || about_pods {
                let mtu = here.icmp_mtu.unwrap_or(0);
                let size = quoted.ip_len.map_or(0, |(l, _)| l);
                self.note(
                    NoteCode::MtuIcmp,
                    scope,
                    at,
                    8,
                    [sender, Value::UInt(mtu), Value::UInt(size)],
                );
            }
        }
    }

    /// An IP fragment of a VXLAN packet (the first fragment shows VXLAN; later ones travel between two nodes).
    fn fragment(&mut self, here: &Facts, scope: Scope, is_vxlan: bool) {
        let between_nodes = matches!((here.src_ip, here.dst_ip), (Some((s, _)), Some((d, _)))
            if self.topo.node_by_ip(&s).is_some() && self.topo.node_by_ip(&d).is_some());
        if is_vxlan || between_nodes {
            let (len, at) = here.ip_len.unwrap_or((0, 0));
            self.note(
                NoteCode::MtuFragment,
                scope,
                at,
                2,
                [Value::UInt(len), Value::None, Value::None],
            );
        }
    }
}

/// The value packets to `node` should carry, from the node itself or else the `cluster`'s, with who says so.
fn expected<'d>(
    node: Option<&'d Node>,
    fact: impl Fn(&Node) -> Option<u64>,
    cluster: Option<u64>,
) -> Option<(u64, Value<'d>)> {
    if let Some(n) = node
        && let Some(v) = fact(n)
    {
        return Some((v, node_value(n)));
    }
    cluster.map(|v| (v, Value::Text("the cluster")))
}
