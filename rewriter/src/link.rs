//! Frames of other link types made into Ethernet frames: for a pcap output, which has a single link type, and
//! for `encap`, which wraps Ethernet frames.
//!
//! What the conversion means, link type by link type:
//!
//! - **Linux cooked capture (SLL, SLL2)**, as `tcpdump -i any` writes it: the cooked header records the
//!   protocol, the packet type and the sender's link-layer address, not the destination's. The Ethernet frame
//!   gets the protocol as its EtherType, the recorded address as its source (00:00:00:00:00:00 when it is not
//!   a 6-byte address), and as its destination ff:ff:ff:ff:ff:ff for a broadcast packet, the IPv4 or IPv6
//!   group address for a multicast one, 00:00:00:00:00:00 otherwise. Cooked 802.2 LLC and raw 802.3 payloads
//!   become 802.3 frames with a length field; other non-Ethernet protocols (CAN, ...) cannot be converted.
//! - **Raw IP** (and IPv4, IPv6 link types): zero MACs, EtherType from the IP version.
//! - **BSD loopback** (NULL, LOOP): zero MACs, EtherType from the address family.
//!
//! The captured and original lengths change by the difference between the two headers.

use etherparse::{EtherType, Ethernet2Header};
use vxscope_dissector::fields::{FieldId as F, Scope};
use vxscope_dissector::layers::{ethernet, linux};
use vxscope_dissector::value::Value;
use vxscope_dissector::{Dissection, LinkType};

use crate::locate;

/// SLL packet types (`PACKET_*` of Linux).
const PACKET_BROADCAST: u64 = 1;
const PACKET_MULTICAST: u64 = 2;
/// Largest payload of an 802.3 frame with a length field.
const MAX_8023_PAYLOAD: u32 = 1500;

/// Writes into `out` the Ethernet frame equivalent to a packet of another link type, given the packet's
/// dissection. Returns the frame's length on the wire and where, in `data`, its payload started; `None` when
/// the link type has no Ethernet equivalent. An Ethernet packet is copied as it is.
pub fn to_ethernet(
    d: &Dissection<'_>,
    data: &[u8],
    orig_len: u32,
    out: &mut Vec<u8>,
) -> Option<(u32, usize)> {
    out.clear();
    if d.link_type == LinkType::ETHERNET {
        out.extend_from_slice(data);
        return Some((orig_len, 0));
    }
    let first = d.layers().first()?;
    let field = |id: F| locate::layer_value(d, 0, [id, id]);
    let uint = |id: F| locate::layer_uint(d, 0, id);
    let mut eth = Ethernet2Header {
        source: [0; 6],
        destination: [0; 6],
        ether_type: EtherType(0),
    };
    let payload = match first.proto {
        F::Sll | F::Sll2 => {
            let payload = (first.offset + first.len) as usize;
            if let Some(Value::Mac(mac)) = field(F::SllSrcEth) {
                eth.source = mac;
            }
            let protocol = uint(F::SllEtype)? as u16;
            eth.ether_type = EtherType(protocol);
            if linux::SLL_NOT_ETHERTYPE.contains(&protocol) {
                let len = orig_len.saturating_sub(payload as u32);
                if len > MAX_8023_PAYLOAD {
                    return None;
                }
                eth.ether_type = EtherType(len as u16);
            } else if protocol < ethernet::MIN_ETHERTYPE {
                return None;
            }
            eth.destination = match uint(F::SllPkttype) {
                Some(PACKET_BROADCAST) => [0xff; 6],
                Some(PACKET_MULTICAST) => group_mac(d).unwrap_or([0; 6]),
                _ => [0; 6],
            };
            payload
        }
        F::Null => {
            eth.ether_type = match uint(F::NullFamily)? as u32 {
                linux::NULL_FAMILY_IPV4 => EtherType::IPV4,
                f if linux::NULL_FAMILIES_IPV6.contains(&f) => EtherType::IPV6,
                _ => return None,
            };
            (first.offset + first.len) as usize
        }
        F::Ip if first.offset == 0 => {
            eth.ether_type = EtherType::IPV4;
            0
        }
        F::Ipv6 if first.offset == 0 => {
            eth.ether_type = EtherType::IPV6;
            0
        }
        _ => return None,
    };
    let payload = payload.min(data.len());
    out.extend_from_slice(&eth.to_bytes());
    out.extend_from_slice(&data[payload..]);
    let wire = (orig_len.saturating_sub(payload as u32))
        .saturating_add(ethernet::field::HEADER_LEN as u32)
        .max(out.len() as u32);
    Some((wire, payload))
}

/// The Ethernet group address of a packet's IPv4 or IPv6 multicast destination.
fn group_mac(d: &Dissection<'_>) -> Option<[u8; 6]> {
    d.fields()
        .iter()
        .filter(|f| f.scope == Scope::OUTER)
        .find_map(|f| match (f.id, f.value) {
            (F::IpDst, Value::Ipv4(a)) if a[0] & 0xf0 == 0xe0 => {
                Some([0x01, 0x00, 0x5e, a[1] & 0x7f, a[2], a[3]])
            }
            (F::Ipv6Dst, Value::Ipv6(a)) if a[0] == 0xff => {
                Some([0x33, 0x33, a[12], a[13], a[14], a[15]])
            }
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vxscope_dissector::{Config, Dissector};

    fn convert(link: LinkType, data: &[u8]) -> Option<(Vec<u8>, u32)> {
        let dissector = Dissector::new(Config::default());
        let mut d = Dissection::new();
        dissector.dissect(link, data, data.len() as u32, &mut d);
        let mut out = Vec::new();
        to_ethernet(&d, data, data.len() as u32, &mut out).map(|(wire, _)| (out, wire))
    }

    const IPV4_UDP: &str = "4500001c000100004011f97dc0a80001c0a800020035003500080000";

    #[test]
    fn cooked_captures() {
        // SLL, outgoing (4), ARPHRD_ETHER, address 00:50:56:93:6a:3a, IPv4.
        let ip = hex::decode(IPV4_UDP).unwrap();
        let mut sll = hex::decode("000400010006005056936a3a00000800").unwrap();
        sll.extend_from_slice(&ip);
        let (eth, wire) = convert(LinkType::LINUX_SLL, &sll).unwrap();
        assert_eq!(
            &eth[..14],
            hex::decode("000000000000005056936a3a0800").unwrap()
        );
        assert_eq!(&eth[14..], &ip[..]);
        assert_eq!(wire as usize, ip.len() + 14);

        // SLL2, broadcast, IPv4.
        let mut sll2 = hex::decode("08000000000000020001010600505693633b0000").unwrap();
        sll2.extend_from_slice(&ip);
        let (eth, _) = convert(LinkType::LINUX_SLL2, &sll2).unwrap();
        assert_eq!(
            &eth[..14],
            hex::decode("ffffffffffff00505693633b0800").unwrap()
        );

        // 802.2 LLC over SLL: an 802.3 frame with a length field.
        let mut llc = hex::decode("000000010006005056936a3a00000004").unwrap();
        llc.extend_from_slice(&[0x42, 0x42, 0x03, 0, 0, 0]);
        let (eth, _) = convert(LinkType::LINUX_SLL, &llc).unwrap();
        assert_eq!(&eth[12..14], &[0, 6]);

        // CAN over SLL has no Ethernet equivalent.
        let mut can = hex::decode("000000010006005056936a3a0000000c").unwrap();
        can.extend_from_slice(&[0; 16]);
        assert!(convert(LinkType::LINUX_SLL, &can).is_none());
    }

    #[test]
    fn raw_ip_and_loopback() {
        let ip = hex::decode(IPV4_UDP).unwrap();
        let (eth, _) = convert(LinkType::RAW, &ip).unwrap();
        assert_eq!(
            &eth[..14],
            hex::decode("0000000000000000000000000800").unwrap()
        );
        let mut null = vec![2, 0, 0, 0];
        null.extend_from_slice(&ip);
        let (eth, wire) = convert(LinkType::NULL, &null).unwrap();
        assert_eq!(&eth[12..], hex::decode(format!("0800{IPV4_UDP}")).unwrap());
        assert_eq!(wire as usize, ip.len() + 14);
        assert!(convert(LinkType::RAW, &[0x15, 0, 0, 0]).is_none());
        assert!(convert(LinkType(147), &ip).is_none());
    }
}
