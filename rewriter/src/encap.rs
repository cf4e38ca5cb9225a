//! `encap`: each frame wrapped in outer Ethernet, IPv4 or IPv6, UDP and VXLAN headers, as a Linux VXLAN device
//! sends it: outer TTL (hop limit) 64, DF clear, TOS 0 with the inner frame's ECN (congestion experienced
//! becomes ECT(0)), an IP identification counting up, the UDP source port a hash of the inner flow.
//!
//! The headers are built with etherparse; the VXLAN header is the dissector's [`vxlan::emit_header`], the
//! mirror of what it reads. Frames of other link types (cooked captures, raw IP) are made Ethernet frames
//! first ([`link::to_ethernet`]).
//!
//! Where a frame goes is a [`Route`]: fixed outer addresses, or what flannel.1 of a node would do
//! ([`FlannelRoute`]): the outer destination is the node owning the pod subnet of the inner destination, the
//! inner MACs become the two nodes' VTEP MACs, and the inner TTL (hop limit) drops by one with the IPv4 header
//! checksum updated, as the forwarding into flannel.1 does. Frames flannel.1 would not carry (no IP, bound to
//! the node's own pod subnet or outside the cluster, TTL expiring) are left to `--other`, and counted.

use std::net::IpAddr;

use vxscope_dissector::flannel::{self, Node, Topology};

use etherparse::{
    EtherType, Ethernet2Header, IpEcn, IpNumber, Ipv4Header, Ipv6FlowLabel, Ipv6Header, UdpHeader,
};
use vxscope_dissector::fields::{FieldId as F, Scope};
use vxscope_dissector::layers::{ethernet, ipv4, ipv6, udp, vxlan};
use vxscope_dissector::value::{IpBytes, Value};
use vxscope_dissector::{Dissection, Dissector, LinkType};

use crate::checksum;
use crate::link;
use crate::locate::{Damage, OuterSummary};
use crate::run::{Rewrite, Rewritten, Verdict};
use vxscope_capture::Packet;

/// The outer TTL (IPv4) or hop limit (IPv6).
pub const OUTER_TTL: u8 = 64;
/// The source ports of `--src-port flow`: Linux's default local port range (`ip_local_port_range`).
pub const FLOW_PORT_MIN: u16 = 32768;
pub const FLOW_PORT_MAX: u16 = 60999;

/// ECN codepoints (RFC 3168).
const ECN_MASK: u8 = 0b11;
const ECN_ECT0: u8 = 0b10;
const ECN_CE: u8 = 0b11;

/// The outer UDP source port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourcePort {
    Fixed(u16),
    /// A hash of the inner flow into 32768–60999, as Linux's `udp_flow_src_port` spreads flows (Linux seeds
    /// its hash at boot, so the port of a given flow differs; this hash is fixed, so runs are reproducible).
    Flow,
}

/// The outer UDP checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum UdpChecksum {
    Zero,
    /// Computed, as Linux does by default since 4.6 (frames the capture cut get 0: they cannot be summed).
    #[default]
    Compute,
}

/// Fixed outer addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outer {
    pub src_ip: IpAddr,
    pub dst_ip: IpAddr,
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
}

impl Outer {
    pub fn validate(&self) -> Result<(), String> {
        if self.src_ip.is_ipv4() != self.dst_ip.is_ipv4() {
            return Err(format!(
                "the outer addresses {} and {} are not of one family",
                self.src_ip, self.dst_ip
            ));
        }
        Ok(())
    }
}

/// How frames are wrapped, whatever their route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncapConfig {
    pub vni: u32,
    pub port: u16,
    pub src_port: SourcePort,
    pub udp_checksum: UdpChecksum,
}

impl EncapConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.vni > vxlan::MAX_VNI {
            return Err(format!(
                "VNI {} is over {} (24 bits)",
                self.vni,
                vxlan::MAX_VNI
            ));
        }
        Ok(())
    }
}

/// Bytes of the outer headers over an IPv4 or IPv6 underlay.
pub fn overhead(ipv6: bool) -> usize {
    let ip = if ipv6 {
        ipv6::field::HEADER_LEN
    } else {
        ipv4::field::HEADER_LEN
    };
    ethernet::field::HEADER_LEN + ip + udp::field::HEADER_LEN + vxlan::field::HEADER_LEN
}

/// Where frames go.
#[derive(Clone, Debug)]
pub enum Route {
    Fixed(Outer),
    Flannel(Box<FlannelRoute>),
}

/// Why flannel.1 would not carry a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotCarried {
    /// Not an IPv4 or IPv6 packet (ARP stays on the bridge).
    NotIp,
    /// Bound to the node's own pod subnet (bridged by cni0).
    LocalSubnet,
    /// Bound outside the cluster network, or to an address no node's pod subnet holds (a service address
    /// before its translation).
    NoPodSubnet,
    /// The owning node has no address of the inner packet's family, or no VTEP MAC for it.
    NodeIncomplete,
    /// The TTL (hop limit) would run out in the forwarding.
    TtlExpired,
}

impl NotCarried {
    pub const ALL: [NotCarried; 5] = [
        NotCarried::NotIp,
        NotCarried::LocalSubnet,
        NotCarried::NoPodSubnet,
        NotCarried::NodeIncomplete,
        NotCarried::TtlExpired,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            NotCarried::NotIp => "not IP",
            NotCarried::LocalSubnet => "bound to the node's own pod subnet",
            NotCarried::NoPodSubnet => "bound to no other node's pod subnet",
            NotCarried::NodeIncomplete => {
                "the destination node has no address or VTEP MAC of that family"
            }
            NotCarried::TtlExpired => "TTL would expire",
        }
    }
}

/// What flannel.1 of one node does with a frame from its cni0: the topology of the cluster and which node
/// sends.
#[derive(Clone, Debug)]
pub struct FlannelRoute {
    topology: Topology,
    local: usize,
    /// The NICs' MAC addresses (not in the topology).
    pub outer_src_mac: [u8; 6],
    pub outer_dst_mac: [u8; 6],
}

/// A node's first address of one family.
fn address_of(node: &Node, v6: bool) -> Option<IpBytes> {
    node.ips
        .iter()
        .copied()
        .find(|a| matches!(a, IpBytes::V6(_)) == v6)
}

fn vtep_mac(node: &Node, v6: bool) -> Option<[u8; 6]> {
    if v6 { node.vtep_mac_v6 } else { node.vtep_mac }
}

impl FlannelRoute {
    /// The route of node `name` of `topology`.
    pub fn new(topology: Topology, name: &str) -> Result<FlannelRoute, String> {
        let Some(local) = topology
            .nodes
            .iter()
            .position(|n| n.name.as_deref() == Some(name))
        else {
            let names: Vec<String> = topology.nodes.iter().map(Node::label).collect();
            return Err(if names.is_empty() {
                format!("no node {name:?}: the topology names no node (give --nodes)")
            } else {
                format!(
                    "no node {name:?} in the topology (its nodes: {})",
                    names.join(", ")
                )
            });
        };
        let node = &topology.nodes[local];
        if node.ips.is_empty() {
            return Err(format!("node {name} has no address in the topology"));
        }
        if node.vtep_mac.is_none() && node.vtep_mac_v6.is_none() {
            return Err(format!("node {name} has no VTEP MAC in the topology"));
        }
        Ok(FlannelRoute {
            topology,
            local,
            outer_src_mac: [0; 6],
            outer_dst_mac: [0; 6],
        })
    }

    pub fn local(&self) -> &Node {
        &self.topology.nodes[self.local]
    }

    /// The VNI and port of the sending node (flannel's defaults where the topology does not say).
    pub fn vni_and_port(&self) -> (u32, u16) {
        let n = self.local();
        (
            n.vni.unwrap_or(flannel::DEFAULT_VNI),
            n.port.unwrap_or(flannel::DEFAULT_PORT),
        )
    }

    /// The outer addresses and inner MACs (source, destination) for a packet to `dst`.
    fn resolve(&self, dst: IpBytes) -> Result<(Outer, [u8; 6], [u8; 6]), NotCarried> {
        let v6 = matches!(dst, IpBytes::V6(_));
        let Some((_, Some(node))) = self.topology.subnet_of(&dst) else {
            return Err(NotCarried::NoPodSubnet);
        };
        let local = self.local();
        if std::ptr::eq(node, local) {
            return Err(NotCarried::LocalSubnet);
        }
        let (Some(src_ip), Some(dst_ip), Some(src_vtep), Some(dst_vtep)) = (
            address_of(local, v6).or_else(|| local.ips.first().copied()),
            address_of(node, v6).or_else(|| node.ips.first().copied()),
            vtep_mac(local, v6),
            vtep_mac(node, v6),
        ) else {
            return Err(NotCarried::NodeIncomplete);
        };
        if matches!(src_ip, IpBytes::V6(_)) != matches!(dst_ip, IpBytes::V6(_)) {
            return Err(NotCarried::NodeIncomplete);
        }
        Ok((
            Outer {
                src_ip: src_ip.to_ip(),
                dst_ip: dst_ip.to_ip(),
                src_mac: self.outer_src_mac,
                dst_mac: self.outer_dst_mac,
            },
            src_vtep,
            dst_vtep,
        ))
    }
}

/// The encap rewrite. `dissector` must be built with a [`crate::locate::rewrite_config`].
pub struct Encap<'d> {
    dissector: &'d Dissector,
    dissection: Dissection<'d>,
    config: EncapConfig,
    route: Route,
    annotate: bool,
    counters: Counters,
    /// The frame being wrapped, when it had to be changed first (another link type; flannel's forwarding).
    frame: Vec<u8>,
}

/// What the wrapping counts.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    ip_id: u16,
    /// Frames encapsulated with a zero UDP checksum because the capture cut them.
    pub checksum_not_computable: u64,
    /// Frames of other link types made Ethernet before being encapsulated.
    pub converted: u64,
    /// Frames flannel.1 would not carry, by reason.
    pub not_carried: [u64; NotCarried::ALL.len()],
}

impl<'d> Encap<'d> {
    pub fn new(
        dissector: &'d Dissector,
        config: EncapConfig,
        route: Route,
        annotate: bool,
    ) -> Self {
        Encap {
            dissector,
            dissection: Dissection::unindexed(),
            config,
            route,
            annotate,
            counters: Counters::default(),
            frame: Vec::new(),
        }
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

/// The first value of one of `ids` in the outer scope.
fn value<'d>(d: &Dissection<'d>, ids: &[F]) -> Option<Value<'d>> {
    ids.iter()
        .find_map(|&id| d.find(id, Scope::OUTER))
        .map(|f| f.value)
}

/// FNV-1a, 32 bits.
fn fnv1a(hash: u32, bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(hash, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}
const FNV_OFFSET: u32 = 0x811c_9dc5;

/// A hash of a frame's flow, the same in both directions (as Linux's flow hash is): addresses, protocol and
/// ports of its IP packet, or its MAC addresses and EtherType when it is no IP packet.
pub fn flow_hash(d: &Dissection<'_>, frame: &[u8]) -> u32 {
    let src = value(d, &[F::IpSrc, F::Ipv6Src]).and_then(|v| v.as_ip());
    let dst = value(d, &[F::IpDst, F::Ipv6Dst]).and_then(|v| v.as_ip());
    let (Some(src), Some(dst)) = (src, dst) else {
        let macs = frame.get(..ethernet::field::ETHERTYPE.end).unwrap_or(frame);
        return fnv1a(FNV_OFFSET, macs);
    };
    let proto = value(d, &[F::IpProto])
        .or_else(|| {
            d.fields()
                .iter()
                .rev()
                .find(|f| f.scope == Scope::OUTER && matches!(f.id, F::Ipv6Nxt | F::Ipv6ExtNxt))
                .map(|f| f.value)
        })
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as u8;
    let port = |ids: &[F]| value(d, ids).and_then(|v| v.as_u64()).unwrap_or(0) as u16;
    let sport = port(&[F::TcpSrcport, F::UdpSrcport]);
    let dport = port(&[F::TcpDstport, F::UdpDstport]);
    let (a, b) = if (src, sport) <= (dst, dport) {
        ((src, sport), (dst, dport))
    } else {
        ((dst, dport), (src, sport))
    };
    let mut h = fnv1a(FNV_OFFSET, a.0.as_bytes());
    h = fnv1a(h, b.0.as_bytes());
    h = fnv1a(h, &[proto]);
    h = fnv1a(h, &a.1.to_be_bytes());
    fnv1a(h, &b.1.to_be_bytes())
}

/// A flow hash scaled into 32768–60999 as Linux's `udp_flow_src_port` does it.
pub fn flow_source_port(hash: u32) -> u16 {
    let hash = hash ^ (hash << 16);
    let span = u64::from(FLOW_PORT_MAX - FLOW_PORT_MIN) + 1;
    ((u64::from(hash) * span) >> 32) as u16 + FLOW_PORT_MIN
}

/// The outer ECN field for an inner one (RFC 6040 normal mode, as Linux's `INET_ECN_encapsulate`).
fn outer_ecn(inner: u8) -> u8 {
    if inner & ECN_MASK == ECN_CE {
        ECN_ECT0
    } else {
        inner & ECN_MASK
    }
}

/// A frame to wrap, and what the outer headers take from it.
struct Inner<'a> {
    /// The Ethernet frame as captured.
    frame: &'a [u8],
    /// Its length on the wire.
    wire_len: u32,
    /// The outer UDP source port.
    sport: u16,
    /// Its ECN bits.
    ecn: u8,
}

/// Wraps `inner` into `out`, with `outer`'s addresses and `c`'s VNI, port and checksum.
fn wrap(
    counters: &mut Counters,
    c: &EncapConfig,
    outer: &Outer,
    inner: Inner<'_>,
    annotate: bool,
    out: &mut Rewritten,
) -> Verdict {
    let Inner {
        frame,
        wire_len,
        sport,
        ecn,
    } = inner;
    let ipv6 = outer.dst_ip.is_ipv6();
    let overhead = overhead(ipv6);
    let udp_at = overhead - udp::field::HEADER_LEN - vxlan::field::HEADER_LEN;
    let udp_len = u64::from(wire_len) + (udp::field::HEADER_LEN + vxlan::field::HEADER_LEN) as u64;
    let limit = if ipv6 {
        u64::from(u16::MAX)
    } else {
        u64::from(u16::MAX) - ipv4::field::HEADER_LEN as u64
    };
    if udp_len > limit {
        return Verdict::Damaged(Damage::TooLarge);
    }
    let udp_len = udp_len as u16;
    out.link_type = LinkType::ETHERNET;
    out.orig_len = overhead as u32 + wire_len;
    out.data.clear();
    out.data.resize(udp_at + udp::field::HEADER_LEN, 0);
    out.data.extend_from_slice(&vxlan::emit_header(c.vni));
    out.data.extend_from_slice(frame);

    let eth = Ethernet2Header {
        source: outer.src_mac,
        destination: outer.dst_mac,
        ether_type: if ipv6 {
            EtherType::IPV6
        } else {
            EtherType::IPV4
        },
    };
    out.data[..ethernet::field::HEADER_LEN].copy_from_slice(&eth.to_bytes());
    let ecn = IpEcn::try_new(outer_ecn(ecn)).unwrap_or(IpEcn::NotEct);
    let mut udp_header = UdpHeader {
        source_port: sport,
        destination_port: c.port,
        length: udp_len,
        checksum: 0,
    };
    let whole = frame.len() as u32 == wire_len;
    let compute = c.udp_checksum == UdpChecksum::Compute;
    if compute && !whole {
        counters.checksum_not_computable += 1;
    }
    let payload = udp_at + udp::field::HEADER_LEN;
    match (outer.src_ip, outer.dst_ip) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let mut h = Ipv4Header::new(
                udp_len,
                OUTER_TTL,
                IpNumber::UDP,
                src.octets(),
                dst.octets(),
            )
            .expect("length checked above");
            h.dont_fragment = false;
            counters.ip_id = counters.ip_id.wrapping_add(1);
            h.identification = counters.ip_id;
            h.ecn = ecn;
            h.header_checksum = h.calc_header_checksum();
            out.data[ethernet::field::HEADER_LEN..udp_at].copy_from_slice(&h.to_bytes());
            if compute && whole {
                udp_header.checksum = udp_header
                    .calc_checksum_ipv4_raw(h.source, h.destination, &out.data[payload..])
                    .expect("length checked above");
            }
        }
        (src, dst) => {
            let as_v6 = |a: IpAddr| match a {
                IpAddr::V6(a) => a.octets(),
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            };
            let h = Ipv6Header {
                traffic_class: ecn.value(),
                flow_label: Ipv6FlowLabel::ZERO,
                payload_length: udp_len,
                next_header: IpNumber::UDP,
                hop_limit: OUTER_TTL,
                source: as_v6(src),
                destination: as_v6(dst),
            };
            out.data[ethernet::field::HEADER_LEN..udp_at].copy_from_slice(&h.to_bytes());
            if compute && whole {
                udp_header.checksum = udp_header
                    .calc_checksum_ipv6_raw(h.source, h.destination, &out.data[payload..])
                    .expect("length checked above");
            }
        }
    }
    out.data[udp_at..payload].copy_from_slice(&udp_header.to_bytes());
    out.comment.clear();
    if annotate {
        OuterSummary {
            src: Some(IpBytes::from_ip(outer.src_ip)),
            sport: Some(u64::from(sport)),
            dst: Some(IpBytes::from_ip(outer.dst_ip)),
            dport: Some(u64::from(c.port)),
            vni: Some(u64::from(c.vni)),
        }
        .write(&mut out.comment, []);
    }
    Verdict::Rewritten
}

/// The forwarding step into flannel.1, on a copy of the frame: VTEP MACs, and the TTL (hop limit) less one
/// with the IPv4 header checksum updated. `shift` moves the dissection's offsets to the frame's (a frame of
/// another link type made Ethernet).
fn forward(
    d: &Dissection<'_>,
    frame: &mut [u8],
    shift: isize,
    src_vtep: [u8; 6],
    dst_vtep: [u8; 6],
) -> Result<(), NotCarried> {
    let at = |id: F| {
        d.find(id, Scope::OUTER)
            .map(|f| (f.offset as isize + shift) as usize)
    };
    if let Some(ttl_at) = at(F::IpTtl).filter(|&i| i < frame.len()) {
        let ttl = frame[ttl_at];
        if ttl <= 1 {
            return Err(NotCarried::TtlExpired);
        }
        // The TTL shares a 16-bit word with the protocol; the word starts at an even offset of the header.
        let word = |f: &[u8]| [f[ttl_at], f.get(ttl_at + 1).copied().unwrap_or(0)];
        let old = word(frame);
        frame[ttl_at] = ttl - 1;
        if let Some(sum_at) = at(F::IpChecksum).filter(|&i| i + 2 <= frame.len()) {
            let sum = u16::from_be_bytes([frame[sum_at], frame[sum_at + 1]]);
            let new = checksum::update(sum, &old, &word(frame));
            frame[sum_at..sum_at + 2].copy_from_slice(&new.to_be_bytes());
        }
    } else if let Some(hlim_at) = at(F::Ipv6Hlim).filter(|&i| i < frame.len()) {
        if frame[hlim_at] <= 1 {
            return Err(NotCarried::TtlExpired);
        }
        frame[hlim_at] -= 1;
    }
    frame[ethernet::field::DST].copy_from_slice(&dst_vtep);
    frame[ethernet::field::SRC].copy_from_slice(&src_vtep);
    Ok(())
}

impl Rewrite for Encap<'_> {
    fn rewrite(&mut self, packet: &Packet<'_>, out: &mut Rewritten) -> Verdict {
        self.dissector.dissect(
            packet.link_type,
            packet.data,
            packet.orig_len,
            &mut self.dissection,
        );
        let d = &self.dissection;
        // The frame as Ethernet, and how far the dissection's offsets move in it.
        let (mut wire_len, mut shift, mut copied) = (packet.orig_len, 0isize, false);
        if packet.link_type != LinkType::ETHERNET {
            match link::to_ethernet(d, packet.data, packet.orig_len, &mut self.frame) {
                Some((wire, payload)) => {
                    self.counters.converted += 1;
                    wire_len = wire;
                    shift = ethernet::field::HEADER_LEN as isize - payload as isize;
                    copied = true;
                }
                None => return Verdict::Other,
            }
        }
        let sport = match self.config.src_port {
            SourcePort::Fixed(p) => p,
            SourcePort::Flow => {
                let frame = if copied { &self.frame[..] } else { packet.data };
                flow_source_port(flow_hash(d, frame))
            }
        };
        let ecn = value(d, &[F::IpEcn, F::Ipv6Tclass])
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as u8;
        let outer = match &self.route {
            Route::Fixed(outer) => *outer,
            Route::Flannel(route) => {
                let carried = value(d, &[F::IpDst, F::Ipv6Dst])
                    .and_then(|v| v.as_ip())
                    .ok_or(NotCarried::NotIp)
                    .and_then(|dst| route.resolve(dst))
                    .and_then(|(outer, src_vtep, dst_vtep)| {
                        if !copied {
                            self.frame.clear();
                            self.frame.extend_from_slice(packet.data);
                            copied = true;
                        }
                        forward(d, &mut self.frame, shift, src_vtep, dst_vtep).map(|()| outer)
                    });
                match carried {
                    Ok(outer) => outer,
                    Err(reason) => {
                        self.counters.not_carried[reason as usize] += 1;
                        return Verdict::Other;
                    }
                }
            }
        };
        let frame = if copied { &self.frame[..] } else { packet.data };
        let inner = Inner {
            frame,
            wire_len,
            sport,
            ecn,
        };
        wrap(
            &mut self.counters,
            &self.config,
            &outer,
            inner,
            self.annotate,
            out,
        )
    }

    fn dissection(&self) -> &Dissection<'_> {
        &self.dissection
    }

    fn output_link_type(&self) -> Option<LinkType> {
        Some(LinkType::ETHERNET)
    }

    fn growth(&self) -> u32 {
        overhead(true) as u32
    }

    fn notes(&self) -> Vec<String> {
        let c = &self.counters;
        let mut notes = Vec::new();
        if c.converted > 0 {
            notes.push(format!(
                "{} frames of other link types made Ethernet frames first",
                c.converted
            ));
        }
        if c.checksum_not_computable > 0 {
            notes.push(format!(
                "{} frames cut by the capture: UDP checksum left zero (it cannot be summed)",
                c.checksum_not_computable
            ));
        }
        if let Route::Flannel(route) = &self.route {
            for reason in NotCarried::ALL {
                let n = c.not_carried[reason as usize];
                if n > 0 {
                    notes.push(format!(
                        "{n} frames flannel.1 of {} would not carry: {}",
                        route.local().label(),
                        reason.describe()
                    ));
                }
            }
        }
        notes
    }
}
