//! ARP (RFC 826). flannel never tunnels ARP (its neighbour entries are permanent), so ARP inside VXLAN points
//! at a peer that is not flannel.

use super::{Ctx, array, be, data};
use crate::fields::FieldId as F;
use crate::value::Value;

/// ARP header layout; the addresses follow, sized by the two size fields.
pub mod field {
    use std::ops::Range;
    pub const HTYPE: Range<usize> = 0..2;
    pub const PTYPE: Range<usize> = 2..4;
    pub const HLEN: Range<usize> = 4..5;
    pub const PLEN: Range<usize> = 5..6;
    pub const OPER: Range<usize> = 6..8;
    pub const HEADER_LEN: usize = 8;
}

pub(crate) fn arp(cx: &mut Ctx<'_, '_>, offset: usize, end: usize) -> usize {
    use field as f;
    let Some(h) = cx.take("ARP header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let (hlen, plen) = (usize::from(h[f::HLEN.start]), usize::from(h[f::PLEN.start]));
    let total = f::HEADER_LEN + 2 * (hlen + plen);
    let Some(body) = cx.take("ARP addresses", offset, total, end) else {
        return data(cx, offset, end);
    };
    let layer = cx.begin(F::Arp, offset);
    cx.uint(F::ArpHwType, offset + f::HTYPE.start, 2, be(&h[f::HTYPE]));
    let ptype = be(&h[f::PTYPE]);
    cx.uint(F::ArpProtoType, offset + f::PTYPE.start, 2, ptype);
    cx.uint(F::ArpHwSize, offset + f::HLEN.start, 1, hlen as u64);
    cx.uint(F::ArpProtoSize, offset + f::PLEN.start, 1, plen as u64);
    cx.uint(F::ArpOpcode, offset + f::OPER.start, 2, be(&h[f::OPER]));
    let typed = hlen == 6 && plen == 4 && ptype == 0x0800;
    let mut at = f::HEADER_LEN;
    for (hw, hw_mac, proto, proto_ipv4) in [
        (
            F::ArpSrcHw,
            F::ArpSrcHwMac,
            F::ArpSrcProto,
            F::ArpSrcProtoIpv4,
        ),
        (
            F::ArpDstHw,
            F::ArpDstHwMac,
            F::ArpDstProto,
            F::ArpDstProtoIpv4,
        ),
    ] {
        if typed {
            cx.field(hw_mac, offset + at, 6, Value::Mac(array(&body[at..])));
            cx.field(
                proto_ipv4,
                offset + at + 6,
                4,
                Value::Ipv4(array(&body[at + 6..])),
            );
        } else {
            if hlen > 0 {
                cx.bytes(hw, offset + at, hlen);
            }
            if plen > 0 {
                cx.bytes(proto, offset + at + hlen, plen);
            }
        }
        at += hlen + plen;
    }
    cx.end(layer, offset + total);
    offset + total
}
