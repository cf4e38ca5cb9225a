//! Where the VXLAN header and the frame it carries lie in a packet, read from the dissector's layers.
//!
//! The rewriter never parses headers itself: it dissects each packet with a [`Dissector`] built by
//! [`rewrite_config`] (VXLAN on the chosen ports, the encapsulated frame left undecoded as one `data` layer),
//! and reads offsets from the layers that dissection records.

use std::ops::Range;

use vxscope_dissector::fields::{FieldId as F, Scope};
use vxscope_dissector::layers::{udp, vxlan};
use vxscope_dissector::notes::NoteCode;
use vxscope_dissector::value::{IpBytes, Value};
use vxscope_dissector::{Config, Dissection, Field, Layer, PORT_LINUX_VXLAN};

/// The dissector configuration of a rewrite, from the decoding options' `config`: the same tunnel ports and GBP
/// setting (UDP 8472 read as OTV is not VXLAN, so not rewritten); the encapsulated frame not decoded (its extent
/// is all a rewrite needs), no flannel annotations.
pub fn rewrite_config(config: Config) -> Config {
    let mut config = Config {
        decode_encapsulated: false,
        annotate: false,
        ..config
    };
    if config.decode_8472_as_otv {
        config.vxlan_ports.retain(|&p| p != PORT_LINUX_VXLAN);
    }
    config
}

/// [`rewrite_config`] of the default decoding options with VXLAN on `extra_ports` too.
pub fn dissector_config(extra_ports: &[u16]) -> Config {
    let mut config = Config::default();
    config.add_vxlan_ports(extra_ports);
    rewrite_config(config)
}

/// Why a VXLAN packet cannot be rewritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Damage {
    /// The capture ends before the end of the VXLAN header.
    Truncated,
    /// The UDP length is shorter than the UDP and VXLAN headers, or longer than the IP packet.
    BadLength,
    /// The outer IP packet is a fragment: the frame it carries is split over several packets.
    Fragment,
    /// Nothing follows the VXLAN header.
    NoInnerFrame,
    /// The frame is too large to be carried in one UDP datagram once encapsulated.
    TooLarge,
}

impl Damage {
    pub const ALL: [Damage; 5] = [
        Damage::Truncated,
        Damage::BadLength,
        Damage::Fragment,
        Damage::NoInnerFrame,
        Damage::TooLarge,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// What happened, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Damage::Truncated => "VXLAN header cut short by the capture",
            Damage::BadLength => "UDP length inconsistent with the IP packet",
            Damage::Fragment => {
                "outer IP fragment not reassembled (IPv6, cut by the capture, or its datagram's fragments not all captured one after another)"
            }
            Damage::NoInnerFrame => "VXLAN header without a frame",
            Damage::TooLarge => "frame too large for one UDP datagram",
        }
    }
}

/// A VXLAN packet as found in a dissection: the offsets of its outer headers and of the frame it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VxlanSite {
    /// Index in the dissection's layers of the IP layer carrying the UDP datagram.
    pub ip_layer: usize,
    /// Offset of the outer IPv4 or IPv6 header carrying the UDP datagram.
    pub ip: usize,
    pub ipv6: bool,
    /// Index in the dissection's layers of the UDP layer.
    pub udp_layer: usize,
    /// Offset of the UDP header.
    pub udp: usize,
    /// The UDP length field.
    pub udp_len: u16,
    /// Offset of the VXLAN header.
    pub vxlan: usize,
    /// The captured bytes of the encapsulated frame.
    pub inner: Range<usize>,
    /// Length of the encapsulated frame on the wire (more than `inner.len()` when the capture cut it).
    pub inner_wire_len: u32,
    /// The outer IP packet is a fragment.
    pub fragment: bool,
    /// The UDP length is shorter than the headers or longer than the IP packet.
    pub bad_length: bool,
}

impl VxlanSite {
    /// Why the encapsulated frame cannot be cut out of this packet, if it cannot.
    pub fn strip_damage(&self) -> Option<Damage> {
        if self.fragment {
            Some(Damage::Fragment)
        } else if self.bad_length {
            Some(Damage::BadLength)
        } else if self.inner.is_empty() {
            Some(Damage::NoInnerFrame)
        } else {
            None
        }
    }
}

/// What [`find`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// No UDP datagram on a VXLAN port in the outer headers.
    NotVxlan,
    /// A UDP datagram on a VXLAN port whose VXLAN header is not all there.
    Damaged(Damage),
    Vxlan(VxlanSite),
}

/// The field `id` of the outer-scope layer at index `layer` (constant time when it is the scope's first such
/// field, as for the outermost headers).
pub(crate) fn layer_field<'a, 'd>(
    d: &'a Dissection<'d>,
    layer: usize,
    id: F,
) -> Option<&'a Field<'d>> {
    match d.find(id, Scope::OUTER) {
        Some(f) if usize::from(f.layer) == layer => Some(f),
        Some(_) => d
            .fields()
            .iter()
            .find(|f| usize::from(f.layer) == layer && f.id == id),
        None => None,
    }
}

/// The value of the first of the fields `ids` (an IPv4 and an IPv6 field, say) in the outer-scope layer at
/// index `layer`.
pub(crate) fn layer_value<'d>(d: &Dissection<'d>, layer: usize, ids: [F; 2]) -> Option<Value<'d>> {
    ids.iter()
        .find_map(|&id| layer_field(d, layer, id))
        .map(|f| f.value)
}

/// The integer value of the field `id` in the outer-scope layer at index `layer`.
pub(crate) fn layer_uint(d: &Dissection<'_>, layer: usize, id: F) -> Option<u64> {
    layer_value(d, layer, [id, id]).and_then(|v| v.as_u64())
}

/// Finds the outermost VXLAN packet of `frame` in its dissection, made with a [`rewrite_config`]
/// configuration (a [`Dissection::layers_only`] is enough: the UDP header's values are read from the bytes).
/// `vxlan_ports` are that configuration's ports; `wire_len` is the packet's length on the wire.
pub fn find(d: &Dissection<'_>, frame: &[u8], vxlan_ports: &[u16], wire_len: u32) -> Found {
    let layers = d.layers();
    let outer = |l: &Layer| l.scope == Scope::OUTER;
    let Some(udp_layer) = layers.iter().position(|l| l.proto == F::Udp && outer(l)) else {
        return Found::NotVxlan;
    };
    let udp_at = layers[udp_layer].offset as usize;
    // A UDP layer is made only once its whole header was captured.
    let Some(udp_header) = frame.get(udp_at..udp_at + udp::field::HEADER_LEN) else {
        return Found::NotVxlan;
    };
    let word = |at: std::ops::Range<usize>| {
        u16::from_be_bytes([udp_header[at.start], udp_header[at.start + 1]])
    };
    let udp_len = word(udp::field::LENGTH);
    let has_vxlan = layers
        .get(udp_layer + 1)
        .is_some_and(|l| l.proto == F::Vxlan && outer(l));
    if !has_vxlan {
        let on_vxlan_port = [udp::field::SRC_PORT, udp::field::DST_PORT]
            .into_iter()
            .any(|at| vxlan_ports.contains(&word(at)));
        if !on_vxlan_port {
            return Found::NotVxlan;
        }
        let headers = (udp::field::HEADER_LEN + vxlan::field::HEADER_LEN) as u16;
        return Found::Damaged(if udp_len != 0 && udp_len < headers {
            Damage::BadLength
        } else {
            Damage::Truncated
        });
    }
    let Some(ip_layer) = layers[..udp_layer]
        .iter()
        .rposition(|l| matches!(l.proto, F::Ip | F::Ipv6) && outer(l))
    else {
        return Found::NotVxlan;
    };
    let vxlan_at = layers[udp_layer + 1].offset as usize;
    let inner_start = vxlan_at + vxlan::field::HEADER_LEN;
    let inner = match layers.get(udp_layer + 2) {
        Some(l) if l.proto == F::Data && outer(l) && l.offset as usize == inner_start => {
            inner_start..inner_start + l.len as usize
        }
        _ => inner_start..inner_start,
    };
    let length_note = |code: NoteCode| {
        d.notes().iter().any(|n| {
            n.code == code
                && n.scope == Scope::OUTER
                && n.offset as usize == udp_at + udp::field::LENGTH.start
        })
    };
    let bad_length = length_note(NoteCode::LengthOverrun) || length_note(NoteCode::LengthShort);
    let fragment = d
        .notes()
        .iter()
        .any(|n| n.code == NoteCode::Fragment && n.scope == Scope::OUTER);
    let inner_wire_len = if udp_len == 0 {
        // A segmentation-offload super-packet leaves the UDP length to the NIC: the frame runs to the end of
        // the IP packet, which is all that is known of it.
        if inner.end as u64 == u64::from(wire_len) || d.caplen == d.len {
            inner.len() as u32
        } else {
            wire_len.saturating_sub(inner_start as u32)
        }
    } else {
        (udp_at + usize::from(udp_len)).saturating_sub(inner_start) as u32
    };
    Found::Vxlan(VxlanSite {
        ip_layer,
        ip: layers[ip_layer].offset as usize,
        ipv6: layers[ip_layer].proto == F::Ipv6,
        udp_layer,
        udp: udp_at,
        udp_len,
        vxlan: vxlan_at,
        inner_wire_len: inner_wire_len.max(inner.len() as u32),
        inner,
        fragment,
        bad_length,
    })
}

/// Writes the outer headers of a VXLAN packet in one line:
/// `172.16.100.101:40592 > 172.16.100.102:8472 vni 1` (IPv6 addresses in brackets, outer VLAN IDs after).
pub fn write_outer_summary(out: &mut Vec<u8>, d: &Dissection<'_>, site: &VxlanSite) {
    let address = |ids: [F; 2]| layer_value(d, site.ip_layer, ids).and_then(|v| v.as_ip());
    let vlans = d
        .fields()
        .iter()
        .filter(|f| f.id == F::VlanId && f.scope == Scope::OUTER)
        .filter(|f| usize::from(f.layer) < site.ip_layer)
        .filter_map(|f| f.value.as_u64());
    OuterSummary {
        src: address([F::IpSrc, F::Ipv6Src]),
        sport: layer_uint(d, site.udp_layer, F::UdpSrcport),
        dst: address([F::IpDst, F::Ipv6Dst]),
        dport: layer_uint(d, site.udp_layer, F::UdpDstport),
        vni: layer_uint(d, site.udp_layer + 1, F::VxlanVni),
    }
    .write(out, vlans);
}

/// The values of the one-line summary of outer headers.
#[derive(Clone, Copy, Debug)]
pub struct OuterSummary {
    pub src: Option<IpBytes>,
    pub sport: Option<u64>,
    pub dst: Option<IpBytes>,
    pub dport: Option<u64>,
    pub vni: Option<u64>,
}

impl OuterSummary {
    /// `172.16.100.101:40592 > 172.16.100.102:8472 vni 1`, then ` vlan N` for each outer VLAN tag.
    pub fn write(&self, out: &mut Vec<u8>, vlans: impl IntoIterator<Item = u64>) {
        use vxscope_dissector::value::write;
        let number = |out: &mut Vec<u8>, n: Option<u64>| match n {
            Some(n) => write::u64_dec(out, n),
            None => out.push(b'?'),
        };
        let endpoint = |out: &mut Vec<u8>, addr: Option<IpBytes>, port: Option<u64>| {
            match addr {
                Some(IpBytes::V4(a)) => write::ipv4(out, &a),
                Some(IpBytes::V6(a)) => {
                    out.push(b'[');
                    write::ipv6(out, &a);
                    out.push(b']');
                }
                None => out.push(b'?'),
            }
            out.push(b':');
            number(out, port);
        };
        endpoint(out, self.src, self.sport);
        out.extend_from_slice(b" > ");
        endpoint(out, self.dst, self.dport);
        out.extend_from_slice(b" vni ");
        number(out, self.vni);
        for vlan in vlans {
            out.extend_from_slice(b" vlan ");
            write::u64_dec(out, vlan);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vxscope_dissector::{Dissector, LinkType};

    /// The seed packet: k8s-node1's pod pings a pod on k8s-node2, on k8s-node1's NIC.
    pub(crate) fn seed() -> Vec<u8> {
        let mut frame = hex::decode(
            concat!(
                "00505693633b005056936a3a08004500008675860000 4011e3f4ac106465ac106466",
                "9e90211800720000 0800000000000100 b672ae367b6cfe90c41869a70800",
                "45000054230540003f01ffa20af4010c0af4020e0800847d0c47044e0d1e55cf",
            )
            .replace(' ', ""),
        )
        .unwrap();
        frame.resize(148, 0);
        frame
    }

    fn found(frame: &[u8], wire_len: u32) -> (Found, String) {
        let config = dissector_config(&[]);
        let ports = config.vxlan_ports.clone();
        let dissector = Dissector::new(config);
        let mut d = Dissection::new();
        dissector.dissect(LinkType::ETHERNET, frame, wire_len, &mut d);
        let found = find(&d, frame, &ports, wire_len);
        // Without the fields, the same packet is found in the same place.
        let mut layers = Dissection::layers_only();
        dissector.dissect(LinkType::ETHERNET, frame, wire_len, &mut layers);
        assert!(layers.fields().is_empty());
        assert_eq!(find(&layers, frame, &ports, wire_len), found);
        let mut summary = Vec::new();
        if let Found::Vxlan(site) = &found {
            write_outer_summary(&mut summary, &d, site);
        }
        (found, String::from_utf8(summary).unwrap())
    }

    #[test]
    fn the_seed_packet() {
        let frame = seed();
        let (found, summary) = found(&frame, 148);
        let Found::Vxlan(site) = found else {
            panic!("{found:?}")
        };
        assert_eq!((site.ip, site.udp, site.vxlan), (14, 34, 42));
        assert_eq!(site.inner, 50..148);
        assert_eq!(site.inner_wire_len, 98);
        assert_eq!(site.udp_len, 0x72);
        assert!(!site.ipv6 && site.strip_damage().is_none());
        assert_eq!(summary, "172.16.100.101:40592 > 172.16.100.102:8472 vni 1");
    }

    #[test]
    fn padding_after_the_datagram_is_not_part_of_the_inner_frame() {
        let mut frame = seed();
        frame.extend_from_slice(&[0xaa; 6]);
        let (Found::Vxlan(site), _) = found(&frame, 154) else {
            panic!()
        };
        assert_eq!(site.inner, 50..148);
    }

    #[test]
    fn cut_by_the_capture() {
        let frame = seed();
        // Cut inside the inner frame: what was captured, and the length on the wire from the UDP length.
        let (Found::Vxlan(site), _) = found(&frame[..80], 148) else {
            panic!()
        };
        assert_eq!((site.inner.clone(), site.inner_wire_len), (50..80, 98));
        // Cut inside the VXLAN header, or right after it.
        assert_eq!(
            found(&frame[..46], 148).0,
            Found::Damaged(Damage::Truncated)
        );
        let (Found::Vxlan(site), _) = found(&frame[..50], 148) else {
            panic!()
        };
        assert_eq!(site.strip_damage(), Some(Damage::NoInnerFrame));
    }

    #[test]
    fn inconsistent_lengths_and_fragments() {
        let mut frame = seed();
        frame[38..40].copy_from_slice(&12u16.to_be_bytes());
        assert_eq!(found(&frame, 148).0, Found::Damaged(Damage::BadLength));
        let mut frame = seed();
        frame[38..40].copy_from_slice(&0x200u16.to_be_bytes());
        let (Found::Vxlan(site), _) = found(&frame, 148) else {
            panic!()
        };
        assert_eq!(site.strip_damage(), Some(Damage::BadLength));
        let mut frame = seed();
        frame[20] = 0x20; // more fragments
        let (Found::Vxlan(site), _) = found(&frame, 148) else {
            panic!()
        };
        assert_eq!(site.strip_damage(), Some(Damage::Fragment));
    }

    #[test]
    fn other_ports_are_not_vxlan() {
        let mut frame = seed();
        frame[36..38].copy_from_slice(&53u16.to_be_bytes());
        assert_eq!(found(&frame, 148).0, Found::NotVxlan);
        assert_eq!(found(&frame[..30], 148).0, Found::NotVxlan);
    }
}
