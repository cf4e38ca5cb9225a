//! VXLAN (RFC 7348) with the Group Based Policy extension, VXLAN-GPE, and the OTV reading of UDP 8472.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! |G|R|R|R|I|R|R|R|R|D|R|R|A|R|R|R|        Group Policy ID        |   (GBP; RFC 7348: flags, 24 reserved bits)
//! |                VXLAN Network Identifier (VNI) |   Reserved    |
//! ```
//!
//! [`emit_header`] writes what [`vxlan`] reads, through the same layout.

use std::sync::OnceLock;

use super::{Ctx, be, data, ethernet, ipv4, ipv6};
use crate::PORT_LINUX_VXLAN;
use crate::fields::FieldId as F;
use crate::notes::NoteCode;
use crate::value::Value;

/// VXLAN header layout (also the OTV reading of the same bytes).
pub mod field {
    use std::ops::Range;
    pub const FLAGS: Range<usize> = 0..1;
    /// With the G flag: the group policy flags and ID. Without it: 24 reserved bits.
    pub const GBP_FLAGS: Range<usize> = 1..2;
    pub const GROUP_POLICY_ID: Range<usize> = 2..4;
    pub const RESERVED24: Range<usize> = 1..4;
    pub const VNI: Range<usize> = 4..7;
    pub const RESERVED8: Range<usize> = 7..8;
    pub const HEADER_LEN: usize = 8;
}

/// VXLAN-GPE header layout.
pub mod gpe_field {
    use std::ops::Range;
    pub const FLAGS: Range<usize> = 0..1;
    pub const RESERVED16: Range<usize> = 1..3;
    pub const NEXT_PROTO: Range<usize> = 3..4;
    pub const VNI: Range<usize> = 4..7;
    pub const RESERVED8: Range<usize> = 7..8;
    pub const HEADER_LEN: usize = 8;
}

/// The I flag (VNI valid), at the bit the registry gives it.
pub const FLAG_I: u8 = F::VxlanFlagI.def().mask as u8;
/// Largest VNI (24 bits).
pub const MAX_VNI: u32 = 0xff_ffff;

/// The 8 bytes of a plain RFC 7348 header carrying `vni` (as flannel sends it: flags 0x08, all else zero).
pub fn emit_header(vni: u32) -> [u8; field::HEADER_LEN] {
    let mut h = [0u8; field::HEADER_LEN];
    h[field::FLAGS.start] = FLAG_I;
    write_vni(&mut h, vni);
    h
}

/// Writes `vni` into a VXLAN (or GPE) header in place, leaving every other bit as it is.
pub fn write_vni(header: &mut [u8], vni: u32) {
    header[field::VNI].copy_from_slice(&vni.to_be_bytes()[1..]);
}

/// The VNI of a VXLAN header.
pub fn read_vni(header: &[u8]) -> u32 {
    be(&header[field::VNI]) as u32
}

/// Decodes a VXLAN header and the Ethernet frame it carries. `ports` are the UDP ports it came on.
pub(crate) fn vxlan(
    cx: &mut Ctx<'_, '_>,
    offset: usize,
    end: usize,
    ports: Option<(u16, u16)>,
) -> usize {
    use field as f;
    let Some(h) = cx.take("VXLAN header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let layer = cx.begin(F::Vxlan, offset);
    let flags = h[f::FLAGS.start];
    cx.uint(F::VxlanFlags, offset, 1, u64::from(flags));
    let raw = u64::from(flags);
    let (g, i, mut reserved) = cx.nested(|cx| {
        (
            cx.flag(F::VxlanFlagG, offset, 1, raw),
            cx.flag(F::VxlanFlagI, offset, 1, raw),
            cx.bits(F::VxlanFlagsReserved, offset, 1, raw),
        )
    });
    if g {
        let gbp_flags = h[f::GBP_FLAGS.start];
        let at = offset + f::GBP_FLAGS.start;
        cx.uint(F::VxlanGbpFlags, at, 1, u64::from(gbp_flags));
        let gbp_reserved = cx.nested(|cx| {
            let raw = u64::from(gbp_flags);
            cx.flag(F::VxlanFlagD, at, 1, raw);
            cx.flag(F::VxlanFlagA, at, 1, raw);
            cx.bits(F::VxlanGbpFlagsReserved, at, 1, raw)
        });
        cx.uint(
            F::VxlanGbp,
            offset + f::GROUP_POLICY_ID.start,
            2,
            be(&h[f::GROUP_POLICY_ID]),
        );
        reserved |= gbp_reserved;
    } else {
        let r = be(&h[f::RESERVED24]);
        cx.uint(F::VxlanReserved, offset + f::RESERVED24.start, 3, r);
        reserved |= r;
    }
    let vni = be(&h[f::VNI]);
    cx.uint(F::VxlanVni, offset + f::VNI.start, 3, vni);
    let reserved8 = u64::from(h[f::RESERVED8.start]);
    cx.uint(F::VxlanReserved8, offset + f::RESERVED8.start, 1, reserved8);
    reserved |= reserved8;

    let problem = if !i {
        Some("the I flag is clear")
    } else if g && !cx.dissector.config().gbp {
        Some("the G flag (group based policy) is set, but GBP is not configured")
    } else if reserved != 0 {
        Some("reserved bits are set")
    } else {
        None
    };
    if let Some(problem) = problem {
        cx.note(
            NoteCode::VxlanFlagsInvalid,
            offset,
            f::HEADER_LEN,
            [
                Value::Text(problem),
                Value::UInt(u64::from(flags)),
                Value::UInt(reserved),
            ],
        );
    }
    // (tcpdump prints no OTV line for a packet quoted by an ICMP error: nothing to explain there.)
    if !cx.quoted() && ports.is_some_and(|(s, d)| s == PORT_LINUX_VXLAN || d == PORT_LINUX_VXLAN) {
        let overlay = be(&h[f::RESERVED24]);
        cx.note(
            NoteCode::Port8472,
            offset,
            f::HEADER_LEN,
            [
                Value::UInt(vni),
                Value::Text(tcpdump_otv_flags(flags)),
                Value::UInt(overlay),
            ],
        );
    }
    cx.end(layer, offset + f::HEADER_LEN);
    encapsulated(cx, offset + f::HEADER_LEN, end, ethernet::ethernet);
    end
}

/// The flags as tcpdump 4.99 prints them in its OTV line: `[I] (0x08)`, `[.] (0x00)`.
fn tcpdump_otv_flags(flags: u8) -> &'static str {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        (0..=u8::MAX)
            .map(|f| {
                let i = if f & FLAG_I != 0 { "I" } else { "." };
                format!("[{i}] (0x{f:02x})")
            })
            .collect()
    });
    &texts[usize::from(flags)]
}

/// Decodes the OTV reading of the 8 bytes (as tcpdump 4.99 prints UDP 8472) and the Ethernet frame after it.
pub(crate) fn otv(cx: &mut Ctx<'_, '_>, offset: usize, end: usize) -> usize {
    use field as f;
    let Some(h) = cx.take("OTV header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let layer = cx.begin(F::Otv, offset);
    cx.uint(F::OtvFlags, offset, 1, u64::from(h[f::FLAGS.start]));
    cx.uint(
        F::OtvOverlay,
        offset + f::RESERVED24.start,
        3,
        be(&h[f::RESERVED24]),
    );
    cx.uint(F::OtvInstance, offset + f::VNI.start, 3, be(&h[f::VNI]));
    cx.uint(
        F::OtvReserved,
        offset + f::RESERVED8.start,
        1,
        u64::from(h[f::RESERVED8.start]),
    );
    cx.end(layer, offset + f::HEADER_LEN);
    encapsulated(cx, offset + f::HEADER_LEN, end, ethernet::ethernet);
    end
}

/// Decodes a VXLAN-GPE header and the packet its next-protocol field names.
pub(crate) fn gpe(cx: &mut Ctx<'_, '_>, offset: usize, end: usize) -> usize {
    use gpe_field as f;
    let Some(h) = cx.take("VXLAN-GPE header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let layer = cx.begin(F::VxlanGpe, offset);
    let flags = h[f::FLAGS.start];
    cx.uint(F::VxlanFlags, offset, 1, u64::from(flags));
    let next_proto_present = cx.nested(|cx| {
        let raw = u64::from(flags);
        cx.bits(F::VxlanGpeVersion, offset, 1, raw);
        cx.flag(F::VxlanFlagI, offset, 1, raw);
        let p = cx.flag(F::VxlanFlagP, offset, 1, raw);
        cx.flag(F::VxlanFlagB, offset, 1, raw);
        cx.flag(F::VxlanFlagO, offset, 1, raw);
        cx.bits(F::VxlanGpeFlagsReserved, offset, 1, raw);
        p
    });
    cx.uint(
        F::VxlanReserved16,
        offset + f::RESERVED16.start,
        2,
        be(&h[f::RESERVED16]),
    );
    let next = h[f::NEXT_PROTO.start];
    cx.uint(
        F::VxlanNextProto,
        offset + f::NEXT_PROTO.start,
        1,
        u64::from(next),
    );
    cx.uint(F::VxlanVni, offset + f::VNI.start, 3, be(&h[f::VNI]));
    cx.uint(
        F::VxlanReserved8,
        offset + f::RESERVED8.start,
        1,
        u64::from(h[f::RESERVED8.start]),
    );
    cx.end(layer, offset + f::HEADER_LEN);
    let payload = offset + f::HEADER_LEN;
    // Without the P flag the payload is Ethernet, as in plain VXLAN.
    let next = if next_proto_present { next } else { 3 };
    match next {
        1 => encapsulated(cx, payload, end, ipv4::ipv4),
        2 => encapsulated(cx, payload, end, ipv6::ipv6),
        3 => encapsulated(cx, payload, end, ethernet::ethernet),
        other => {
            cx.note(
                NoteCode::GpeNextProtocol,
                offset + f::NEXT_PROTO.start,
                1,
                [Value::UInt(u64::from(other)), Value::None, Value::None],
            );
            data(cx, payload, end);
        }
    }
    end
}

/// Decodes an encapsulated packet one scope deeper, or notes that nesting is too deep.
fn encapsulated(
    cx: &mut Ctx<'_, '_>,
    at: usize,
    end: usize,
    decode: impl FnOnce(&mut Ctx<'_, '_>, usize, usize) -> usize,
) {
    if at >= end {
        return;
    }
    if !cx.dissector.config().decode_encapsulated {
        data(cx, at, end);
        return;
    }
    match cx.scope.encapsulated() {
        Some(inner) => {
            cx.in_scope(inner, |cx| decode(cx, at, end));
        }
        None => {
            cx.note(
                NoteCode::TooDeep,
                at,
                end - at,
                [
                    Value::UInt(u64::from(crate::fields::MAX_DEPTH)),
                    Value::None,
                    Value::None,
                ],
            );
            data(cx, at, end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_and_read_mirror_each_other() {
        for vni in [0, 1, 4096, 5_569_041, MAX_VNI] {
            let h = emit_header(vni);
            assert_eq!(read_vni(&h), vni);
            assert_eq!(h[0], 0x08);
            assert_eq!(&h[1..4], &[0, 0, 0]);
            assert_eq!(h[7], 0);
        }
        assert_eq!(emit_header(1), [0x08, 0, 0, 0, 0, 0, 1, 0]);
    }

    #[test]
    fn without_decoding_the_encapsulated_frame_it_is_one_data_layer() {
        use crate::fields::{FieldId, Scope};
        use crate::{Config, Dissection, Dissector, LinkType};
        // The seed packet (k8s-node1 to k8s-node2 on the node NIC), with two bytes of Ethernet padding added
        // after the UDP datagram: the data layer ends where the UDP length says.
        let mut frame = crate::seed_frame();
        frame.extend_from_slice(&[0xee, 0xee]);
        // Without the flannel annotations either: only the decoded layers.
        let dissector = Dissector::new(Config {
            decode_encapsulated: false,
            annotate: false,
            ..Config::default()
        });
        let mut d = Dissection::new();
        dissector.dissect(LinkType::ETHERNET, &frame, frame.len() as u32, &mut d);
        let protos: Vec<_> = d.layers().iter().map(|l| (l.proto, l.scope)).collect();
        use FieldId as F;
        let outer = Scope::OUTER;
        assert_eq!(
            protos,
            [
                (F::Eth, outer),
                (F::Ip, outer),
                (F::Udp, outer),
                (F::Vxlan, outer),
                (F::Data, outer)
            ]
        );
        let data = d.layers()[4];
        assert_eq!((data.offset, data.len), (50, 98));
        assert_eq!(d.uint(F::VxlanVni, outer), Some(1));
        assert!(d.fields().iter().all(|f| f.scope == outer));

        // Decoded, the same bytes give the inner frame in the next scope.
        let full = Dissector::new(Config::default());
        full.dissect(LinkType::ETHERNET, &frame, frame.len() as u32, &mut d);
        assert!(d.has_layer(F::Icmp, outer.encapsulated().unwrap()));
    }
}
