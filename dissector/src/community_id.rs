//! Community ID flow hashes (corelight's community-id-spec, version 1, seed 0): the `community_id` of the
//! outer flow and `inner.community_id` (`inner.inner.community_id`, ...) of each encapsulated one, so a VXLAN
//! packet joins Zeek's, Suricata's or Elastic's records of either flow. A packet quoted by an ICMP error has none
//! (it is not a flow of this frame).
//!
//! The hash is over the seed, the two addresses, the IP protocol, a zero byte and the two ports (for ICMP the
//! type and the type of the answer, or the code of a message without answer), the lower endpoint first; it is
//! SHA-1, written `1:` and base64. It is computed from the bytes of the IP and transport layers, so it needs
//! none of the other fields recorded, and only when the dissection records `community_id`.

use crate::dissection::{Dissection, Field};
use crate::fields::{FieldId, Kind};
use crate::layers::{icmp, ipv4, ipv6, udp};
use crate::value::{IpBytes, Value};

/// The SHA-1 digest of a flow (`Value::CommunityId`).
pub type Digest = [u8; 20];

/// A flow as the spec hashes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flow {
    pub src: IpBytes,
    pub dst: IpBytes,
    pub proto: u8,
    /// Ports, or ICMP type and answer type (or code); `None` for a protocol without ports.
    pub ports: Option<(u16, u16)>,
    /// An ICMP message without an answer: the endpoints are not reordered.
    pub one_way: bool,
}

impl Flow {
    /// An ICMP (`proto` 1) or ICMPv6 (58) message's flow: the type and the type that answers it, or the code of
    /// a message no answer follows (as Zeek maps them).
    pub fn icmp(src: IpBytes, dst: IpBytes, proto: u8, icmp_type: u8, code: u8) -> Flow {
        const V4: &[(u8, u8)] = &[
            (8, 0),
            (0, 8),
            (13, 14),
            (14, 13),
            (15, 16),
            (16, 15),
            (10, 9),
            (9, 10),
            (17, 18),
            (18, 17),
        ];
        const V6: &[(u8, u8)] = &[
            (128, 129),
            (129, 128),
            (130, 131),
            (131, 130),
            (133, 134),
            (134, 133),
            (135, 136),
            (136, 135),
            (139, 140),
            (140, 139),
            (144, 145),
            (145, 144),
        ];
        let table = if proto == 58 { V6 } else { V4 };
        let (answer, one_way) = match table.iter().find(|(t, _)| *t == icmp_type) {
            Some(&(_, answer)) => (answer, false),
            None => (code, true),
        };
        Flow {
            src,
            dst,
            proto,
            ports: Some((u16::from(icmp_type), u16::from(answer))),
            one_way,
        }
    }

    /// The version 1 digest with `seed`.
    pub fn digest(&self, seed: u16) -> Digest {
        let (mut src, mut dst, mut ports) = (self.src, self.dst, self.ports);
        let swap = !self.one_way
            && match (src.as_bytes().cmp(dst.as_bytes()), ports) {
                (std::cmp::Ordering::Greater, _) => true,
                (std::cmp::Ordering::Equal, Some((s, d))) => s > d,
                _ => false,
            };
        if swap {
            std::mem::swap(&mut src, &mut dst);
            ports = ports.map(|(s, d)| (d, s));
        }
        let mut h = sha1_smol::Sha1::new();
        h.update(&seed.to_be_bytes());
        h.update(src.as_bytes());
        h.update(dst.as_bytes());
        h.update(&[self.proto, 0]);
        if let Some((s, d)) = ports {
            h.update(&s.to_be_bytes());
            h.update(&d.to_be_bytes());
        }
        h.digest().bytes()
    }
}

/// Length of a version 1 Community ID as text: `1:` and the 28 characters of 20 bytes in base64.
pub const TEXT_LEN: usize = 30;

/// A digest as the spec writes it: `1:` and base64.
pub fn text(digest: &Digest) -> [u8; TEXT_LEN] {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = [b'='; TEXT_LEN];
    out[..2].copy_from_slice(b"1:");
    for (c, chunk) in digest.chunks(3).enumerate() {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out[2 + 4 * c + i] = B64[(n >> (18 - 6 * i) & 63) as usize];
        }
    }
    out
}

/// Writes a digest as the spec does.
pub fn write(out: &mut Vec<u8>, digest: &Digest) {
    out.extend_from_slice(&text(digest));
}

/// The flow of the IP layer at `index` of `d`, read from the frame's bytes, if the spec defines one: TCP, UDP
/// and ICMP with their header, other protocols without ports (none when a transport header is missing: a
/// later fragment, or a header cut short).
fn flow_at(d: &Dissection<'_>, frame: &[u8], index: usize) -> Option<Flow> {
    let layers = d.layers();
    let ip = layers[index];
    let bytes = |l: &crate::Layer| frame.get(l.offset as usize..(l.offset + l.len) as usize);
    let header = bytes(&ip)?;
    let (src, dst, proto) = match ip.proto {
        FieldId::Ip => (
            IpBytes::V4(header.get(ipv4::field::SRC)?.try_into().ok()?),
            IpBytes::V4(header.get(ipv4::field::DST)?.try_into().ok()?),
            *header.get(ipv4::field::PROTOCOL.start)?,
        ),
        FieldId::Ipv6 => (
            IpBytes::V6(header.get(ipv6::field::SRC)?.try_into().ok()?),
            IpBytes::V6(header.get(ipv6::field::DST)?.try_into().ok()?),
            *header.get(ipv6::field::NXT_HDR.start)?,
        ),
        _ => return None,
    };
    let next = layers
        .get(index + 1)
        .filter(|l| l.scope == ip.scope && l.offset >= ip.offset);
    let transport = next.and_then(|l| Some((l.proto, bytes(l)?)));
    let flow = match transport {
        Some((FieldId::Tcp | FieldId::Udp, t)) if t.len() >= udp::field::DST_PORT.end => {
            let port = |r: std::ops::Range<usize>| u16::from_be_bytes([t[r.start], t[r.start + 1]]);
            Flow {
                src,
                dst,
                proto: if next?.proto == FieldId::Tcp { 6 } else { 17 },
                ports: Some((port(udp::field::SRC_PORT), port(udp::field::DST_PORT))),
                one_way: false,
            }
        }
        Some((FieldId::Icmp | FieldId::Icmpv6, t)) if t.len() >= icmp::field::CODE.end => {
            Flow::icmp(
                src,
                dst,
                if next?.proto == FieldId::Icmp { 1 } else { 58 },
                t[icmp::field::TYPE.start],
                t[icmp::field::CODE.start],
            )
        }
        // A transport the spec hashes with ports, without its header here; or an IPv6 header whose next
        // header is an extension (the protocol beyond it is not known from the bytes of this layer).
        _ if matches!(proto, 1 | 6 | 17 | 58 | 132) => return None,
        _ if ip.proto == FieldId::Ipv6 && matches!(proto, 0 | 43 | 44 | 60) => return None,
        _ => Flow {
            src,
            dst,
            proto,
            ports: None,
            one_way: false,
        },
    };
    Some(flow)
}

/// Adds a `community_id` field to the first IP layer of each scope that is not quoted (at its offset, with no
/// bytes of its own).
pub(crate) fn annotate(d: &mut Dissection<'_>, frame: &[u8]) {
    debug_assert_eq!(FieldId::CommunityId.def().kind, Kind::Text);
    let mut done: u32 = 0;
    for index in 0..d.layers().len() {
        let layer = d.layers()[index];
        let bit = 1u32 << layer.scope.index();
        if !matches!(layer.proto, FieldId::Ip | FieldId::Ipv6)
            || layer.scope.is_quoted()
            || done & bit != 0
        {
            continue;
        }
        done |= bit;
        if let Some(flow) = flow_at(d, frame, index) {
            d.push_field(Field {
                id: FieldId::CommunityId,
                scope: layer.scope,
                layer: index as u16,
                level: 0,
                offset: layer.offset,
                len: 0,
                value: Value::CommunityId(flow.digest(0)),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(flow: Flow) -> String {
        let mut out = Vec::new();
        write(&mut out, &flow.digest(0));
        String::from_utf8(out).unwrap()
    }

    fn ip(s: &str) -> IpBytes {
        IpBytes::from_ip(s.parse().unwrap())
    }

    /// A baseline row: protocol, source, destination, ports, Community ID.
    type Row = (
        u8,
        &'static str,
        &'static str,
        Option<(u16, u16)>,
        &'static str,
    );

    /// The spec's baseline (corelight/community-id-spec, baseline/baseline_deflt.json): tuples whose ICMP
    /// "ports" are already the type and its answer (or code).
    #[test]
    fn the_specs_baseline() {
        let table: &[Row] = &[
            (
                58,
                "fe80::200:86ff:fe05:80da",
                "fe80::260:97ff:fe07:69ea",
                Some((135, 136)),
                "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=",
            ),
            (
                58,
                "fe80::260:97ff:fe07:69ea",
                "fe80::200:86ff:fe05:80da",
                Some((136, 135)),
                "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=",
            ),
            (
                58,
                "fe80::260:97ff:fe07:69ea",
                "fe80::200:86ff:fe05:80da",
                Some((135, 136)),
                "1:zavyT/cezQr1fmImYCwYnMXbgck=",
            ),
            (
                58,
                "3ffe:507:0:1:200:86ff:fe05:80da",
                "3ffe:501:0:1001::2",
                Some((128, 129)),
                "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=",
            ),
            (
                58,
                "fe80::200:86ff:fe05:80da",
                "ff02::2",
                Some((133, 134)),
                "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=",
            ),
            (
                58,
                "fe80::260:97ff:fe07:69ea",
                "ff02::1",
                Some((134, 133)),
                "1:pkvHqCL88/tg1k4cPigmZXUtL00=",
            ),
            (
                1,
                "192.168.0.89",
                "192.168.0.1",
                Some((8, 0)),
                "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
            ),
            (
                1,
                "192.168.0.1",
                "192.168.0.89",
                Some((0, 8)),
                "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
            ),
            (
                6,
                "2001:470:e5bf:dead:4957:2174:e82c:4887",
                "2607:f8b0:400c:c03::1a",
                Some((63943, 25)),
                "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
            ),
            (
                6,
                "2607:f8b0:400c:c03::1a",
                "2001:470:e5bf:dead:4957:2174:e82c:4887",
                Some((25, 63943)),
                "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
            ),
            (
                132,
                "192.168.170.8",
                "192.168.170.56",
                Some((7, 7)),
                "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
            ),
            (
                132,
                "192.168.170.56",
                "192.168.170.8",
                Some((7, 7)),
                "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
            ),
            (
                6,
                "128.232.110.120",
                "66.35.250.204",
                Some((34855, 80)),
                "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            ),
            (
                6,
                "66.35.250.204",
                "128.232.110.120",
                Some((80, 34855)),
                "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            ),
            (
                17,
                "192.168.1.52",
                "8.8.8.8",
                Some((54585, 53)),
                "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
            ),
            (
                17,
                "8.8.8.8",
                "192.168.1.52",
                Some((53, 54585)),
                "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
            ),
            (
                46,
                "10.1.12.1",
                "10.1.12.2",
                None,
                "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=",
            ),
            (
                46,
                "10.1.12.2",
                "10.1.12.1",
                None,
                "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=",
            ),
        ];
        for &(proto, s, d, ports, want) in table {
            let flow = Flow {
                src: ip(s),
                dst: ip(d),
                proto,
                ports,
                one_way: false,
            };
            assert_eq!(text(flow), want, "{proto} {s} {d} {ports:?}");
        }
        // One-way ICMP messages keep their order: time exceeded (11), and ICMPv6 messages without an answer.
        let one_way: &[(u8, &str, &str, u8, u8, &str)] = &[
            (
                1,
                "10.0.0.1",
                "10.0.0.2",
                11,
                0,
                "1:YHxtAirCG//0OzkcVAukqKQN9xM=",
            ),
            (
                58,
                "3ffe:501:1800:2345::2",
                "3ffe:507:0:1:200:86ff:fe05:80da",
                3,
                0,
                "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=",
            ),
            (
                58,
                "3ffe:501:410:0:2c0:dfff:fe47:33e",
                "3ffe:507:0:1:200:86ff:fe05:80da",
                1,
                4,
                "1:hLZd0XGWojozrvxqE0dWB1iM6R0=",
            ),
        ];
        for &(proto, s, d, t, c, want) in one_way {
            let flow = Flow::icmp(ip(s), ip(d), proto, t, c);
            assert!(flow.one_way);
            assert_eq!(text(flow), want, "{proto} {s} {d} {t} {c}");
        }
        // The mapping of an echo request gives the baseline's ports.
        let echo = Flow::icmp(ip("192.168.0.89"), ip("192.168.0.1"), 1, 8, 0);
        assert_eq!(text(echo), "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    }
}
