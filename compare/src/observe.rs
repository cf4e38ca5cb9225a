//! What a capture saw of one packet: the match key (what survives the path) and the attributes that may change
//! on the way (TTL, MACs, the tunnel around it, addresses under NAT, DSCP/ECN), read from a dissection.
//!
//! The key is taken from the innermost packet (VXLAN is looked through): inner addresses, protocol, IPv4
//! identification (or the IPv6 flow label), length and fragment offset, the L4 header (ports, TCP sequence and
//! acknowledgement numbers and flags, ICMP type, code, identifier and sequence number) and a hash of the first
//! [`PAYLOAD_HASHED`] bytes of the L4 payload. TTL and hop limit, MACs, checksums (offload makes them differ
//! between the sender's capture and the wire) and every outer header are left out.

use vxscope_dissector::fields::{FieldId as F, Scope};
use vxscope_dissector::value::{IpBytes, Value};
use vxscope_dissector::{Dissection, Dissector, LinkType};

/// The fields [`Observer`] reads: its dissection records no others.
pub const FIELDS_READ: &[F] = &[
    F::EthSrc,
    F::EthDst,
    F::IpSrc,
    F::IpDst,
    F::IpProto,
    F::IpId,
    F::IpLen,
    F::IpTtl,
    F::IpDscp,
    F::IpEcn,
    F::IpFragOffset,
    F::IpFlagMf,
    F::Ipv6Src,
    F::Ipv6Dst,
    F::Ipv6Hlim,
    F::Ipv6Flow,
    F::Ipv6Plen,
    F::Ipv6Nxt,
    F::Ipv6Tclass,
    F::Ipv6FragId,
    F::Ipv6FragOffset,
    F::Ipv6FragMore,
    F::TcpSrcport,
    F::TcpDstport,
    F::TcpSeq,
    F::TcpAck,
    F::TcpFlags,
    F::UdpSrcport,
    F::UdpDstport,
    F::IcmpType,
    F::IcmpCode,
    F::IcmpIdent,
    F::IcmpSeq,
    F::Icmpv6Type,
    F::Icmpv6Code,
    F::Icmpv6EchoId,
    F::Icmpv6EchoSeq,
    F::VxlanVni,
    F::ArpOpcode,
    F::ArpSrcHwMac,
    F::ArpSrcProtoIpv4,
    F::ArpDstHwMac,
    F::ArpDstProtoIpv4,
];

/// How many bytes of the L4 payload the key hashes: enough to tell apart packets whose headers agree, few
/// enough that captures with different snap lengths still agree.
pub const PAYLOAD_HASHED: usize = 64;

/// How many bytes of each frame an observation keeps, to write its one-line summary should it stay unmatched:
/// every header of a VXLAN packet carrying TCP with options fits.
pub const HEAD_KEPT: usize = 256;

/// The part of the key that survives address and port translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct NatKey {
    /// 4, 6, or 0 for ARP.
    pub family: u8,
    /// The IP protocol of the L4 header (the last IPv6 next header).
    pub proto: u8,
    /// IPv4 identification, or the IPv6 flow label (the fragment identification for a fragment).
    pub id: u32,
    /// IPv4 total length, or the IPv6 payload length.
    pub length: u32,
    /// Fragment offset in 8-byte units and the more-fragments flag (bit 16).
    pub fragment: u32,
    /// TCP: sequence number, acknowledgement number, flags; ICMP: type and code, sequence number; ARP: opcode
    /// and the low bytes of the two hardware addresses.
    pub l4: [u32; 3],
    /// A hash of the first [`PAYLOAD_HASHED`] bytes of the L4 payload.
    pub payload: u64,
}

/// The whole match key: the addresses and ports (or the ICMP identifier) and the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExactKey {
    pub src: IpBytes,
    pub dst: IpBytes,
    /// TCP and UDP source port; the ICMP echo identifier.
    pub src_port: u16,
    pub dst_port: u16,
    pub rest: NatKey,
}

impl ExactKey {
    /// The source address and port.
    pub fn src_endpoint(&self) -> Endpoint {
        Endpoint {
            ip: self.src,
            port: self.src_port,
        }
    }

    /// The destination address and port.
    pub fn dst_endpoint(&self) -> Endpoint {
        Endpoint {
            ip: self.dst,
            port: self.dst_port,
        }
    }

    /// Whether the protocol has ports (TCP, UDP) rather than an identifier in their place (ICMP echo).
    pub fn has_ports(&self) -> bool {
        matches!(self.rest.proto, 6 | 17 | 132)
    }
}

/// An address and a port (or ICMP identifier), as NAT rewrites them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub ip: IpBytes,
    pub port: u16,
}

/// The VXLAN header around a packet and the outer addresses it travelled between. The outer UDP source port is
/// a per-boot hash of the inner flow: it is left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tunnel {
    pub vni: u32,
    pub outer_src: IpBytes,
    pub outer_dst: IpBytes,
    pub port: u16,
}

/// What may change on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Attributes {
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    pub dscp: u8,
    pub ecn: u8,
    /// The Ethernet addresses of the innermost frame (none for raw IP and cooked captures).
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    /// The outermost VXLAN header, when the packet was seen encapsulated.
    pub tunnel: Option<Tunnel>,
}

/// The outer IP datagram a frame is a fragment of, when its outermost IP header is a fragment that carries
/// (the first) or continues (the others) a packet inside it. The later fragments hold no header of the packet
/// inside: their key is their own (outer addresses, identification, offset), and a hop where the datagram was
/// split or joined again sees them on one side only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OuterFragment {
    /// A hash of the outer source and destination addresses, protocol and identification: the same for every
    /// fragment of one datagram.
    pub datagram: u64,
    /// Whether this is the first fragment (offset 0), the one the key is read from.
    pub first: bool,
}

/// The first bytes of a frame, kept to write its summary later.
#[derive(Clone, Copy)]
pub struct Head {
    pub link_type: LinkType,
    /// The frame's length on the wire.
    pub wire_len: u32,
    /// How many of `bytes` hold the frame.
    pub len: u16,
    pub bytes: [u8; HEAD_KEPT],
}

impl Head {
    pub fn frame(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Head({} of {} bytes)", self.len, self.wire_len)
    }
}

/// Hashes of an observation's key, computed once where the frame is read (on its capture's thread), so the
/// comparison's maps do not hash keys again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyHashes {
    /// Of the whole key.
    pub exact: u64,
    /// Of the part NAT leaves.
    pub nat: u64,
    /// Of the address pair (source, destination), and of the pair turned around.
    pub pair: u64,
    pub reverse_pair: u64,
}

impl KeyHashes {
    pub fn of(key: &ExactKey) -> KeyHashes {
        use std::hash::BuildHasher;
        let h = rustc_hash::FxBuildHasher;
        KeyHashes {
            exact: h.hash_one(key),
            nat: h.hash_one(key.rest),
            pair: h.hash_one((key.src, key.dst)),
            reverse_pair: h.hash_one((key.dst, key.src)),
        }
    }
}

/// One packet as one capture saw it.
#[derive(Clone, Copy, Debug)]
pub struct Observation {
    /// The frame number in its capture, from 1.
    pub frame: u64,
    /// Nanoseconds since the epoch.
    pub ts: i64,
    /// `None`: not a packet that can be followed (neither IP nor ARP).
    pub key: Option<ExactKey>,
    pub hashes: KeyHashes,
    pub attrs: Attributes,
    /// Whether the same key was seen in this capture within the window before (a duplicate or retransmission);
    /// set by the comparison.
    pub duplicate: bool,
    /// The outer IP datagram this frame is a fragment of (see [`OuterFragment`]).
    pub outer_fragment: Option<OuterFragment>,
    pub head: Head,
}

/// Turns frames into observations; one per capture (it holds the dissection it reuses).
pub struct Observer<'d> {
    dissector: &'d Dissector,
    dissection: Dissection<'d>,
}

/// One frame as the capture reader gives it.
#[derive(Clone, Copy, Debug)]
pub struct FrameRef<'a> {
    pub number: u64,
    /// Nanoseconds since the epoch.
    pub ts: i64,
    pub link_type: LinkType,
    pub wire_len: u32,
    pub data: &'a [u8],
}

impl<'d> Observer<'d> {
    pub fn new(dissector: &'d Dissector) -> Observer<'d> {
        Observer {
            dissector,
            dissection: Dissection::recording(FIELDS_READ),
        }
    }

    /// Dissects a frame and reads its key and attributes.
    pub fn observe(&mut self, frame: FrameRef<'_>) -> Observation {
        self.dissector.dissect(
            frame.link_type,
            frame.data,
            frame.wire_len,
            &mut self.dissection,
        );
        Observation::of(frame, &self.dissection)
    }
}

impl Observation {
    /// Whether the packet travels in outer IP fragments (the tunnel's datagram was split on the way, as it is
    /// when it exceeds an MTU) and this frame is the first, which holds the headers the key is read from.
    pub fn fragmented(&self) -> bool {
        self.outer_fragment.is_some_and(|f| f.first)
    }

    /// The observation of a frame dissected by someone else (a dissection that records at least
    /// [`FIELDS_READ`]).
    pub fn of(frame: FrameRef<'_>, dissection: &Dissection<'_>) -> Observation {
        let (key, attrs, outer_fragment) = read_key(dissection, frame.data);
        let len = frame.data.len().min(HEAD_KEPT);
        let mut head = Head {
            link_type: frame.link_type,
            wire_len: frame.wire_len,
            len: len as u16,
            bytes: [0; HEAD_KEPT],
        };
        head.bytes[..len].copy_from_slice(&frame.data[..len]);
        Observation {
            frame: frame.number,
            ts: frame.ts,
            key,
            hashes: key.as_ref().map(KeyHashes::of).unwrap_or_default(),
            attrs,
            duplicate: false,
            outer_fragment,
            head,
        }
    }
}

/// The outer IP datagram a frame is a fragment of: its outermost IP header (IPv4, or IPv6 with a fragment
/// header) is a fragment, and either it is the first and the key was read from a packet `inside` it (a
/// tunnel's), or it is a later one (whose key is its own: the dissector reads nothing after the IP header of a
/// later fragment). A first fragment whose key is its own (a pod's fragmented datagram, seen plain or in a
/// tunnel that is not split) is matched fragment by fragment, as its later fragments are: it is none of these.
fn outer_fragment(d: &Dissection<'_>, inside: bool) -> Option<OuterFragment> {
    use std::hash::BuildHasher;
    let outer = d
        .layers()
        .iter()
        .find(|l| l.scope == Scope::OUTER && matches!(l.proto, F::Ip | F::Ipv6))?;
    let s = Scope::OUTER;
    let v4 = outer.proto == F::Ip;
    // Whether it is a fragment first: most frames are not, and need no more lookups.
    let (offset, more) = if v4 {
        (F::IpFragOffset, F::IpFlagMf)
    } else {
        (F::Ipv6FragOffset, F::Ipv6FragMore)
    };
    let first = d.uint(offset, s).unwrap_or(0) == 0;
    if first && (d.uint(more, s).unwrap_or(0) == 0 || !inside) {
        return None;
    }
    let (src, dst, id, proto) = if v4 {
        (
            ip_of(d.value(F::IpSrc, s))?,
            ip_of(d.value(F::IpDst, s))?,
            d.uint(F::IpId, s)?,
            d.uint(F::IpProto, s).unwrap_or(0),
        )
    } else {
        (
            ip_of(d.value(F::Ipv6Src, s))?,
            ip_of(d.value(F::Ipv6Dst, s))?,
            d.uint(F::Ipv6FragId, s)?,
            0,
        )
    };
    let datagram = rustc_hash::FxBuildHasher.hash_one((src, dst, proto, id));
    Some(OuterFragment { datagram, first })
}

/// FNV-1a, 64 bits: small, fast on short inputs, and the same on every machine.
fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn ip_of(v: Option<Value<'_>>) -> Option<IpBytes> {
    v.and_then(|v| v.as_ip())
}

fn mac_of(v: Option<Value<'_>>) -> Option<[u8; 6]> {
    match v {
        Some(Value::Mac(m)) => Some(m),
        _ => None,
    }
}

fn mac_low(m: Option<[u8; 6]>) -> u32 {
    m.map_or(0, |m| u32::from_be_bytes([m[2], m[3], m[4], m[5]]))
}

/// Reads the key and the attributes of a dissected frame, and the outer IP datagram it is a fragment of.
pub fn read_key(
    d: &Dissection<'_>,
    frame: &[u8],
) -> (Option<ExactKey>, Attributes, Option<OuterFragment>) {
    let uint = |id: F, s: Scope| d.uint(id, s);
    let mut attrs = Attributes::default();
    // The innermost packet: the deepest scope (not quoted by an ICMP error) with an IP or ARP layer.
    let Some(net) = d
        .layers()
        .iter()
        .filter(|l| !l.scope.is_quoted() && matches!(l.proto, F::Ip | F::Ipv6 | F::Arp))
        .max_by_key(|l| l.scope.depth())
        .copied()
    else {
        return (None, attrs, None);
    };
    let s = net.scope;
    let fragment = outer_fragment(d, s.depth() > 0);
    // The outermost tunnel around it.
    if s.depth() > 0
        && let Some(vni) = uint(F::VxlanVni, Scope::OUTER)
    {
        let outer_src =
            ip_of(d.value(F::IpSrc, Scope::OUTER)).or(ip_of(d.value(F::Ipv6Src, Scope::OUTER)));
        let outer_dst =
            ip_of(d.value(F::IpDst, Scope::OUTER)).or(ip_of(d.value(F::Ipv6Dst, Scope::OUTER)));
        if let (Some(outer_src), Some(outer_dst)) = (outer_src, outer_dst) {
            attrs.tunnel = Some(Tunnel {
                vni: vni as u32,
                outer_src,
                outer_dst,
                port: uint(F::UdpDstport, Scope::OUTER).unwrap_or(0) as u16,
            });
        }
    }
    attrs.src_mac = mac_of(d.value(F::EthSrc, s));
    attrs.dst_mac = mac_of(d.value(F::EthDst, s));

    if net.proto == F::Arp {
        let (Some(src), Some(dst)) = (
            ip_of(d.value(F::ArpSrcProtoIpv4, s)),
            ip_of(d.value(F::ArpDstProtoIpv4, s)),
        ) else {
            return (None, attrs, fragment);
        };
        let rest = NatKey {
            family: 0,
            l4: [
                uint(F::ArpOpcode, s).unwrap_or(0) as u32,
                mac_low(mac_of(d.value(F::ArpSrcHwMac, s))),
                mac_low(mac_of(d.value(F::ArpDstHwMac, s))),
            ],
            ..NatKey::default()
        };
        let key = ExactKey {
            src,
            dst,
            src_port: 0,
            dst_port: 0,
            rest,
        };
        return (Some(key), attrs, fragment);
    }

    let v4 = net.proto == F::Ip;
    let (src, dst, ip_end) = if v4 {
        let total = uint(F::IpLen, s).unwrap_or(0) as usize;
        (
            ip_of(d.value(F::IpSrc, s)),
            ip_of(d.value(F::IpDst, s)),
            net.offset as usize + total,
        )
    } else {
        let plen = uint(F::Ipv6Plen, s).unwrap_or(0) as usize;
        (
            ip_of(d.value(F::Ipv6Src, s)),
            ip_of(d.value(F::Ipv6Dst, s)),
            net.offset as usize + 40 + plen,
        )
    };
    let (Some(src), Some(dst)) = (src, dst) else {
        return (None, attrs, fragment);
    };
    let mut rest = NatKey::default();
    if v4 {
        rest.family = 4;
        rest.proto = uint(F::IpProto, s).unwrap_or(0) as u8;
        rest.id = uint(F::IpId, s).unwrap_or(0) as u32;
        rest.length = uint(F::IpLen, s).unwrap_or(0) as u32;
        rest.fragment = uint(F::IpFragOffset, s).unwrap_or(0) as u32
            | (uint(F::IpFlagMf, s).unwrap_or(0) as u32) << 16;
        attrs.ttl = uint(F::IpTtl, s).unwrap_or(0) as u8;
        attrs.dscp = uint(F::IpDscp, s).unwrap_or(0) as u8;
        attrs.ecn = uint(F::IpEcn, s).unwrap_or(0) as u8;
    } else {
        rest.family = 6;
        rest.proto = uint(F::Ipv6Nxt, s).unwrap_or(0) as u8;
        rest.id = match uint(F::Ipv6FragId, s) {
            Some(id) => id as u32,
            None => uint(F::Ipv6Flow, s).unwrap_or(0) as u32,
        };
        rest.length = uint(F::Ipv6Plen, s).unwrap_or(0) as u32;
        rest.fragment = uint(F::Ipv6FragOffset, s).unwrap_or(0) as u32;
        attrs.ttl = uint(F::Ipv6Hlim, s).unwrap_or(0) as u8;
        let tclass = uint(F::Ipv6Tclass, s).unwrap_or(0) as u8;
        attrs.dscp = tclass >> 2;
        attrs.ecn = tclass & 3;
    }

    // The L4 header: the first such layer after the IP header, in the same scope.
    let l4 = d.layers().iter().find(|l| {
        l.scope == s
            && l.offset >= net.offset + net.len
            && matches!(l.proto, F::Tcp | F::Udp | F::Icmp | F::Icmpv6)
    });
    let (mut src_port, mut dst_port) = (0u16, 0u16);
    let payload_start = match l4 {
        Some(l) => {
            match l.proto {
                F::Tcp => {
                    rest.proto = 6;
                    src_port = uint(F::TcpSrcport, s).unwrap_or(0) as u16;
                    dst_port = uint(F::TcpDstport, s).unwrap_or(0) as u16;
                    rest.l4 = [
                        uint(F::TcpSeq, s).unwrap_or(0) as u32,
                        uint(F::TcpAck, s).unwrap_or(0) as u32,
                        uint(F::TcpFlags, s).unwrap_or(0) as u32,
                    ];
                }
                F::Udp => {
                    rest.proto = 17;
                    src_port = uint(F::UdpSrcport, s).unwrap_or(0) as u16;
                    dst_port = uint(F::UdpDstport, s).unwrap_or(0) as u16;
                }
                F::Icmp => {
                    rest.proto = 1;
                    src_port = uint(F::IcmpIdent, s).unwrap_or(0) as u16;
                    rest.l4 = [
                        (uint(F::IcmpType, s).unwrap_or(0) << 8 | uint(F::IcmpCode, s).unwrap_or(0))
                            as u32,
                        uint(F::IcmpSeq, s).unwrap_or(0) as u32,
                        0,
                    ];
                }
                _ => {
                    rest.proto = 58;
                    src_port = uint(F::Icmpv6EchoId, s).unwrap_or(0) as u16;
                    rest.l4 = [
                        (uint(F::Icmpv6Type, s).unwrap_or(0) << 8
                            | uint(F::Icmpv6Code, s).unwrap_or(0)) as u32,
                        uint(F::Icmpv6EchoSeq, s).unwrap_or(0) as u32,
                        0,
                    ];
                }
            }
            // ICMP: the 8 bytes of type, code, checksum and rest; the others: the header's own length.
            let header = if matches!(l.proto, F::Icmp | F::Icmpv6) {
                8
            } else {
                l.len
            };
            (l.offset + header) as usize
        }
        None => (net.offset + net.len) as usize,
    };
    let end = ip_end.min(frame.len());
    let payload = frame
        .get(payload_start..end.max(payload_start))
        .unwrap_or(&[]);
    rest.payload = hash_bytes(&payload[..payload.len().min(PAYLOAD_HASHED)]);
    let key = ExactKey {
        src,
        dst,
        src_port,
        dst_port,
        rest,
    };
    (Some(key), attrs, fragment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vxscope_dissector::Config;

    /// The seed packet: k8s-node1's pod 10.244.1.12 pings 10.244.2.14 on k8s-node2, captured on the node NIC
    /// (VXLAN on 8472, VNI 1, inner TTL 63, ICMP id 3143 seq 1102).
    fn seed() -> Vec<u8> {
        let mut frame = hex::decode(concat!(
            "00505693633b005056936a3a08004500008675860000",
            "4011e3f4ac106465ac1064669e9021180072000008000000000001",
            "00b672ae367b6cfe90c41869a7080045000054230540003f01ffa2",
            "0af4010c0af4020e0800847d0c47044e0d1e55cf",
        ))
        .unwrap();
        frame.resize(148, 0);
        frame
    }

    fn observe(frame: &[u8]) -> Observation {
        let dissector = Dissector::new(Config::default());
        let mut o = Observer::new(&dissector);
        o.observe(FrameRef {
            number: 1,
            ts: 0,
            link_type: LinkType::ETHERNET,
            wire_len: frame.len() as u32,
            data: frame,
        })
    }

    #[test]
    fn the_key_of_the_seed_is_its_inner_ping() {
        let o = observe(&seed());
        let k = o.key.unwrap();
        assert_eq!(k.src, IpBytes::V4([10, 244, 1, 12]));
        assert_eq!(k.dst, IpBytes::V4([10, 244, 2, 14]));
        assert_eq!(k.src_port, 3143);
        assert_eq!(k.rest.proto, 1);
        assert_eq!(k.rest.id, 0x2305);
        assert_eq!(k.rest.length, 84);
        assert_eq!(k.rest.l4, [0x0800, 1102, 0]);
        assert_eq!(o.attrs.ttl, 63);
        assert_eq!(o.attrs.dst_mac, Some([0xb6, 0x72, 0xae, 0x36, 0x7b, 0x6c]));
        assert_eq!(o.attrs.src_mac, Some([0xfe, 0x90, 0xc4, 0x18, 0x69, 0xa7]));
        let t = o.attrs.tunnel.unwrap();
        assert_eq!(t.vni, 1);
        assert_eq!(t.outer_src, IpBytes::V4([172, 16, 100, 101]));
        assert_eq!(t.port, 8472);
        assert_eq!(o.head.frame(), &seed()[..]);
    }

    #[test]
    fn outer_fragments_of_a_tunnel_are_told_apart_from_fragments_of_the_packet_followed() {
        // The seed in two outer fragments: the first (more fragments set) holds the tunnel and the inner ping,
        // the second (offset 16 bytes, the same identification) only the outer header and data.
        let mut first = seed();
        first[20] = 0x20;
        let o = observe(&first);
        let f = o.outer_fragment.expect("a first outer fragment");
        assert!(f.first);
        assert!(o.fragmented());
        assert_eq!(
            o.key,
            observe(&seed()).key,
            "the key is still the inner ping's"
        );
        let mut later = first[..34].to_vec();
        later.extend_from_slice(&[0xab; 24]);
        later[16..18].copy_from_slice(&44u16.to_be_bytes());
        later[20..22].copy_from_slice(&2u16.to_be_bytes());
        let o = observe(&later);
        assert_eq!(
            o.outer_fragment,
            Some(OuterFragment {
                datagram: f.datagram,
                first: false
            })
        );
        assert!(!o.fragmented());
        assert_eq!(o.key.unwrap().src, IpBytes::V4([172, 16, 100, 101]));
        // Another identification: another datagram.
        later[18] ^= 1;
        assert_ne!(observe(&later).outer_fragment.unwrap().datagram, f.datagram);
        // Not a fragment: nothing.
        let whole = observe(&seed());
        assert_eq!(whole.outer_fragment, None);
        assert!(!whole.fragmented());
        // The inner frame alone, a fragment itself: its key is its own, matched fragment by fragment.
        let mut plain = seed()[50..].to_vec();
        plain[14 + 6] = 0x20;
        let o = observe(&plain);
        assert_eq!(o.outer_fragment, None);
        assert!(!o.fragmented());
    }

    #[test]
    fn the_inner_frame_alone_has_the_same_key_and_ttl_macs_checksum_do_not_count() {
        let seed = seed();
        let outer = observe(&seed);
        // The inner Ethernet frame (after the 50 bytes of outer headers), as cni0 would carry it.
        let mut inner = seed[50..].to_vec();
        let plain = observe(&inner);
        assert_eq!(plain.key, outer.key);
        assert_eq!(plain.attrs.tunnel, None);
        // TTL 64, other MACs, another IP checksum: the same key.
        inner[14 + 8] = 64;
        inner[14 + 10] ^= 0xff;
        inner[0] ^= 0x02;
        inner[6] ^= 0x02;
        let changed = observe(&inner);
        assert_eq!(changed.key, outer.key);
        assert_eq!(changed.attrs.ttl, 64);
        // One byte of the ICMP payload: another key.
        inner[14 + 20 + 8] ^= 1;
        assert_ne!(observe(&inner).key, outer.key);
    }
}
