//! ICMP (RFC 792) and ICMPv6 (RFC 4443, RFC 4861): echo, and the errors with the packet they quote.
//!
//! The quoted packet is decoded in the quoted scope (`quoted.ip.dst`, `quoted.udp.dstport`,
//! `quoted.vxlan.vni`), so a port unreachable about UDP 8472 shows which VXLAN packet was refused.

use super::{Ctx, Net, array, be, checksum_note, data, ipv4, ipv6};
use crate::checksum;
use crate::fields::FieldId as F;
use crate::value::Value;

/// ICMP header layout (the 4 bytes after the checksum depend on the type).
pub mod field {
    use std::ops::Range;
    pub const TYPE: Range<usize> = 0..1;
    pub const CODE: Range<usize> = 1..2;
    pub const CHECKSUM: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..6;
    pub const SEQ_NUM: Range<usize> = 6..8;
    /// Unused bytes before the next-hop MTU of a "fragmentation needed" message.
    pub const MTU_UNUSED: Range<usize> = 4..6;
    pub const MTU: Range<usize> = 6..8;
    pub const GATEWAY: Range<usize> = 4..8;
    pub const POINTER: Range<usize> = 4..5;
    pub const REST: Range<usize> = 4..8;
    pub const HEADER_LEN: usize = 8;
}

/// ICMPv6 layout after the common 4 bytes.
pub mod v6_field {
    use std::ops::Range;
    pub const REST: Range<usize> = 4..8;
    pub const ND_TARGET: Range<usize> = 8..24;
    pub const ND_LEN: usize = 24;
}

/// How an ICMP message's checksum covers its bytes: whole messages only, and not inside an ICMP error's quote
/// (which rarely holds a whole message; tshark leaves these unverified too).
fn verify(
    cx: &mut Ctx<'_, '_>,
    what: &'static str,
    offset: usize,
    end: usize,
    net: &Net,
    pseudo: u64,
    status_at: Option<usize>,
) {
    if !net.whole || cx.quoted() || offset + net.len > end || !cx.verifies_checksums() {
        return;
    }
    let message = &cx.frame[offset..offset + net.len];
    let acc = checksum::sum(pseudo, message);
    let field = be(&message[field::CHECKSUM]) as u16;
    let good = checksum::fold(acc) == 0xffff;
    cx.out
        .set_value(status_at, Value::Text(if good { "good" } else { "bad" }));
    if !good {
        let expected = checksum::without_field(acc, field);
        checksum_note(
            cx,
            what,
            offset + field::CHECKSUM.start,
            field,
            expected,
            false,
        );
    }
}

pub(crate) fn icmp(cx: &mut Ctx<'_, '_>, offset: usize, end: usize, net: Net) -> usize {
    use field as f;
    let Some(h) = cx.take("ICMP header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let layer = cx.begin(F::Icmp, offset);
    let (kind, code) = (h[f::TYPE.start], h[f::CODE.start]);
    cx.uint(F::IcmpType, offset, 1, u64::from(kind));
    cx.uint(F::IcmpCode, offset + f::CODE.start, 1, u64::from(code));
    cx.uint(
        F::IcmpChecksum,
        offset + f::CHECKSUM.start,
        2,
        be(&h[f::CHECKSUM]),
    );
    let status_at = cx.field(
        F::IcmpChecksumStatus,
        offset + f::CHECKSUM.start,
        0,
        Value::Text("unverified"),
    );
    verify(cx, "ICMP", offset, end, &net, 0, status_at);
    let body = offset + f::HEADER_LEN;
    let msg_end = (offset + net.len.max(f::HEADER_LEN)).min(end);
    let quotes = match kind {
        0 | 8 | 13 | 14 | 15 | 16 | 17 | 18 => {
            cx.uint(F::IcmpIdent, offset + f::IDENT.start, 2, be(&h[f::IDENT]));
            cx.uint(F::IcmpSeq, offset + f::SEQ_NUM.start, 2, be(&h[f::SEQ_NUM]));
            false
        }
        3 if code == 4 => {
            cx.bytes(F::IcmpUnused, offset + f::MTU_UNUSED.start, 2);
            cx.uint(F::IcmpMtu, offset + f::MTU.start, 2, be(&h[f::MTU]));
            true
        }
        3 | 4 | 11 => {
            cx.bytes(F::IcmpUnused, offset + f::REST.start, 4);
            true
        }
        5 => {
            cx.field(
                F::IcmpGateway,
                offset + f::GATEWAY.start,
                4,
                Value::Ipv4(array(&h[f::GATEWAY])),
            );
            true
        }
        12 => {
            cx.uint(
                F::IcmpPointer,
                offset + f::POINTER.start,
                1,
                u64::from(h[f::POINTER.start]),
            );
            cx.bytes(
                F::IcmpUnused,
                offset + f::POINTER.end,
                f::REST.end - f::POINTER.end,
            );
            true
        }
        // Extended echo (RFC 8335): identifier, then an 8-bit sequence number and the L bit.
        42 | 43 => {
            cx.uint(F::IcmpIdent, offset + f::IDENT.start, 2, be(&h[f::IDENT]));
            cx.bytes(F::IcmpRest, offset + f::SEQ_NUM.start, 2);
            false
        }
        _ => {
            cx.bytes(F::IcmpRest, offset + f::REST.start, 4);
            false
        }
    };
    match (quotes, cx.scope.quoted()) {
        (true, Some(quoted)) if body < msg_end => {
            cx.end(layer, body);
            cx.in_scope(quoted, |cx| ipv4::ipv4(cx, body, msg_end));
        }
        _ => {
            if body < msg_end {
                cx.bytes(F::IcmpData, body, msg_end - body);
            }
            cx.end(layer, msg_end);
        }
    }
    msg_end
}

pub(crate) fn icmpv6(cx: &mut Ctx<'_, '_>, offset: usize, end: usize, net: Net) -> usize {
    use field as f;
    let Some(h) = cx.take("ICMPv6 header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let layer = cx.begin(F::Icmpv6, offset);
    let (kind, code) = (h[f::TYPE.start], h[f::CODE.start]);
    cx.uint(F::Icmpv6Type, offset, 1, u64::from(kind));
    cx.uint(F::Icmpv6Code, offset + f::CODE.start, 1, u64::from(code));
    cx.uint(
        F::Icmpv6Checksum,
        offset + f::CHECKSUM.start,
        2,
        be(&h[f::CHECKSUM]),
    );
    let status_at = cx.field(
        F::Icmpv6ChecksumStatus,
        offset + f::CHECKSUM.start,
        0,
        Value::Text("unverified"),
    );
    let pseudo = checksum::pseudo_header_sum(&net.src, &net.dst, 58, net.len as u32);
    verify(cx, "ICMPv6", offset, end, &net, pseudo, status_at);
    let msg_end = (offset + net.len.max(f::HEADER_LEN)).min(end);
    let mut body = offset + f::HEADER_LEN;
    let rest = offset + v6_field::REST.start;
    let quotes = match kind {
        1 | 3 => {
            cx.bytes(F::Icmpv6Reserved, rest, 4);
            true
        }
        2 => {
            cx.uint(F::Icmpv6Mtu, rest, 4, be(&h[v6_field::REST]));
            true
        }
        4 => {
            cx.uint(F::Icmpv6Pointer, rest, 4, be(&h[v6_field::REST]));
            true
        }
        128 | 129 => {
            cx.uint(
                F::Icmpv6EchoId,
                offset + f::IDENT.start,
                2,
                be(&h[f::IDENT]),
            );
            cx.uint(
                F::Icmpv6EchoSeq,
                offset + f::SEQ_NUM.start,
                2,
                be(&h[f::SEQ_NUM]),
            );
            false
        }
        133 => {
            cx.bytes(F::Icmpv6Reserved, rest, 4);
            nd_options(cx, body, msg_end);
            body = msg_end;
            false
        }
        135 | 136 => {
            if kind == 135 {
                cx.bytes(F::Icmpv6Reserved, rest, 4);
            } else {
                cx.uint(F::Icmpv6NdFlags, rest, 4, be(&h[v6_field::REST]));
            }
            if let Some(t) = cx.take(
                "ICMPv6 neighbor discovery target",
                offset,
                v6_field::ND_LEN,
                msg_end,
            ) {
                cx.field(
                    F::Icmpv6NdTarget,
                    offset + v6_field::ND_TARGET.start,
                    16,
                    Value::Ipv6(array(&t[v6_field::ND_TARGET])),
                );
                nd_options(cx, offset + v6_field::ND_LEN, msg_end);
            }
            body = msg_end;
            false
        }
        // Extended echo (RFC 8335): identifier, then an 8-bit sequence number and the L bit, left in the data.
        160 | 161 => {
            cx.uint(
                F::Icmpv6EchoId,
                offset + f::IDENT.start,
                2,
                be(&h[f::IDENT]),
            );
            body = offset + f::SEQ_NUM.start;
            false
        }
        _ => {
            body = rest;
            false
        }
    };
    match (quotes, cx.scope.quoted()) {
        (true, Some(quoted)) if body < msg_end => {
            cx.end(layer, body);
            cx.in_scope(quoted, |cx| ipv6::ipv6(cx, body, msg_end));
        }
        _ => {
            if body < msg_end {
                cx.bytes(F::Icmpv6Data, body, msg_end - body);
            }
            cx.end(layer, msg_end);
        }
    }
    msg_end
}

/// Neighbor discovery options: type, length in 8-byte units, data; link-layer addresses decoded.
fn nd_options(cx: &mut Ctx<'_, '_>, mut at: usize, end: usize) {
    while at + 2 <= end {
        let (kind, units) = (cx.frame[at], usize::from(cx.frame[at + 1]));
        cx.uint(F::Icmpv6OptType, at, 1, u64::from(kind));
        cx.uint(F::Icmpv6OptLen, at + 1, 1, units as u64);
        let len = units * 8;
        if len < 2 || at + len > end {
            cx.bytes(F::Icmpv6OptData, at + 2, end - at - 2);
            return;
        }
        if matches!(kind, 1 | 2) && len == 8 {
            cx.field(
                F::Icmpv6OptLinkaddr,
                at + 2,
                6,
                Value::Mac(array(&cx.frame[at + 2..at + 8])),
            );
        } else {
            cx.bytes(F::Icmpv6OptData, at + 2, len - 2);
        }
        at += len;
    }
    if at < end {
        cx.bytes(F::Icmpv6OptData, at, end - at);
    }
}
