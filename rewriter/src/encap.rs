//! `encap`: each frame wrapped in outer Ethernet, IPv4 or IPv6, UDP and VXLAN headers, as a Linux VXLAN device
//! sends it: outer TTL (hop limit) 64, DF clear, TOS 0 with the inner frame's ECN (congestion experienced
//! becomes ECT(0)), an IP identification counting up, the UDP source port a hash of the inner flow.
//!
//! The headers are built with etherparse; the VXLAN header is the dissector's [`vxlan::emit_header`], the
//! mirror of what it reads. Frames of other link types (cooked captures, raw IP) are made Ethernet frames
//! first ([`link::to_ethernet`]).

use std::net::IpAddr;

use etherparse::{
    EtherType, Ethernet2Header, IpEcn, IpNumber, Ipv4Header, Ipv6FlowLabel, Ipv6Header, UdpHeader,
};
use vxscope_dissector::fields::{FieldId as F, Scope};
use vxscope_dissector::layers::{ethernet, udp, vxlan};
use vxscope_dissector::value::{IpBytes, Value};
use vxscope_dissector::{Dissection, Dissector, LinkType};

use crate::capture::Packet;
use crate::link;
use crate::locate::{Damage, OuterSummary};
use crate::run::{Rewrite, Rewritten, Verdict};

/// The outer TTL (IPv4) or hop limit (IPv6).
pub const OUTER_TTL: u8 = 64;
/// The source ports of `--src-port flow`: Linux's default local port range (`ip_local_port_range`).
pub const FLOW_PORT_MIN: u16 = 32768;
pub const FLOW_PORT_MAX: u16 = 60999;

const IPV4_HEADER_LEN: usize = 20;
const IPV6_HEADER_LEN: usize = 40;
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

/// The outer addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outer {
    pub src_ip: IpAddr,
    pub dst_ip: IpAddr,
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncapConfig {
    pub vni: u32,
    pub port: u16,
    pub outer: Outer,
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
        if self.outer.src_ip.is_ipv4() != self.outer.dst_ip.is_ipv4() {
            return Err(format!(
                "the outer addresses {} and {} are not of one family",
                self.outer.src_ip, self.outer.dst_ip
            ));
        }
        Ok(())
    }

    /// Bytes of the outer headers.
    pub fn overhead(&self) -> usize {
        let ip = if self.outer.dst_ip.is_ipv6() {
            IPV6_HEADER_LEN
        } else {
            IPV4_HEADER_LEN
        };
        ethernet::field::HEADER_LEN + ip + udp::field::HEADER_LEN + vxlan::field::HEADER_LEN
    }
}

/// The encap rewrite. `dissector` must be built with a [`crate::locate::dissector_config`].
pub struct Encap<'d> {
    dissector: &'d Dissector,
    dissection: Dissection<'d>,
    config: EncapConfig,
    annotate: bool,
    ip_id: u16,
    /// A frame of another link type made Ethernet.
    converted: Vec<u8>,
    /// Frames encapsulated with a zero UDP checksum because the capture cut them.
    pub checksum_not_computable: u64,
    /// Frames of other link types made Ethernet before being encapsulated.
    pub converted_frames: u64,
}

impl<'d> Encap<'d> {
    pub fn new(dissector: &'d Dissector, config: EncapConfig, annotate: bool) -> Self {
        Encap {
            dissector,
            dissection: Dissection::new(),
            config,
            annotate,
            ip_id: 0,
            converted: Vec::new(),
            checksum_not_computable: 0,
            converted_frames: 0,
        }
    }
}

/// The first value of one of `ids` in the outer scope.
fn value<'d>(d: &Dissection<'d>, ids: &[F]) -> Option<Value<'d>> {
    d.fields()
        .iter()
        .find(|f| f.scope == Scope::OUTER && ids.contains(&f.id))
        .map(|f| f.value)
}

fn ip(v: Option<Value<'_>>) -> Option<IpBytes> {
    match v? {
        Value::Ipv4(a) => Some(IpBytes::V4(a)),
        Value::Ipv6(a) => Some(IpBytes::V6(a)),
        _ => None,
    }
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
    let src = ip(value(d, &[F::IpSrc, F::Ipv6Src]));
    let dst = ip(value(d, &[F::IpDst, F::Ipv6Dst]));
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

impl Encap<'_> {
    /// Wraps the Ethernet frame `frame` (`wire_len` bytes on the wire) into `out`.
    fn wrap(
        &mut self,
        frame: &[u8],
        wire_len: u32,
        sport: u16,
        ecn: u8,
        out: &mut Rewritten,
    ) -> Verdict {
        let c = self.config;
        let ipv6 = c.outer.dst_ip.is_ipv6();
        let overhead = c.overhead();
        let udp_at = overhead - udp::field::HEADER_LEN - vxlan::field::HEADER_LEN;
        let udp_len =
            u64::from(wire_len) + (udp::field::HEADER_LEN + vxlan::field::HEADER_LEN) as u64;
        let limit = if ipv6 {
            u64::from(u16::MAX)
        } else {
            u64::from(u16::MAX) - IPV4_HEADER_LEN as u64
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
            source: c.outer.src_mac,
            destination: c.outer.dst_mac,
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
            self.checksum_not_computable += 1;
        }
        let payload = udp_at + udp::field::HEADER_LEN;
        match (c.outer.src_ip, c.outer.dst_ip) {
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
                self.ip_id = self.ip_id.wrapping_add(1);
                h.identification = self.ip_id;
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
        if self.annotate {
            OuterSummary {
                src: Some(IpBytes::from_ip(c.outer.src_ip)),
                sport: Some(u64::from(sport)),
                dst: Some(IpBytes::from_ip(c.outer.dst_ip)),
                dport: Some(u64::from(c.port)),
                vni: Some(u64::from(c.vni)),
            }
            .write(&mut out.comment, []);
        }
        Verdict::Rewritten
    }
}

impl Rewrite for Encap<'_> {
    fn rewrite(&mut self, packet: &Packet<'_>, out: &mut Rewritten) -> Verdict {
        self.dissector.dissect(
            packet.link_type,
            packet.data,
            packet.orig_len,
            &mut self.dissection,
        );
        let mut converted = std::mem::take(&mut self.converted);
        let (frame, wire_len) = if packet.link_type == LinkType::ETHERNET {
            (packet.data, packet.orig_len)
        } else {
            match link::to_ethernet(
                &self.dissection,
                packet.data,
                packet.orig_len,
                &mut converted,
            ) {
                Some((wire, _)) => {
                    self.converted_frames += 1;
                    (&converted[..], wire)
                }
                None => {
                    self.converted = converted;
                    return Verdict::Other;
                }
            }
        };
        let d = &self.dissection;
        let sport = match self.config.src_port {
            SourcePort::Fixed(p) => p,
            SourcePort::Flow => flow_source_port(flow_hash(d, frame)),
        };
        let ecn = value(d, &[F::IpEcn, F::Ipv6Tclass])
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as u8;
        let verdict = self.wrap(frame, wire_len, sport, ecn, out);
        self.converted = converted;
        verdict
    }

    fn dissection(&self) -> &Dissection<'_> {
        &self.dissection
    }

    fn output_link_type(&self) -> Option<LinkType> {
        Some(LinkType::ETHERNET)
    }

    fn growth(&self) -> u32 {
        self.config.overhead() as u32
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.converted_frames > 0 {
            notes.push(format!(
                "{} frames of other link types made Ethernet frames first",
                self.converted_frames
            ));
        }
        if self.checksum_not_computable > 0 {
            notes.push(format!(
                "{} frames cut by the capture: UDP checksum left zero (it cannot be summed)",
                self.checksum_not_computable
            ));
        }
        notes
    }
}
