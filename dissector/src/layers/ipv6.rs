//! IPv6 (RFC 8200) with its extension headers: hop-by-hop, routing, fragment, destination options.

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::be_u8;

use super::{Ctx, Net, array, be, data, ip_payload};
use crate::fields::FieldId as F;
use crate::notes::NoteCode;
use crate::value::{IpBytes, Value};

/// IPv6 header layout.
pub mod field {
    use std::ops::Range;
    pub const VER_TC_FLOW: Range<usize> = 0..4;
    pub const LENGTH: Range<usize> = 4..6;
    pub const NXT_HDR: Range<usize> = 6..7;
    pub const HOP_LIMIT: Range<usize> = 7..8;
    pub const SRC: Range<usize> = 8..24;
    pub const DST: Range<usize> = 24..40;
    pub const HEADER_LEN: usize = 40;
}

/// Extension header layout (hop-by-hop, routing, destination options; the fragment header is fixed-size).
pub mod ext_field {
    use std::ops::Range;
    pub const NXT_HDR: Range<usize> = 0..1;
    pub const LENGTH: Range<usize> = 1..2;
    pub const ROUTING_TYPE: Range<usize> = 2..3;
    pub const SEGMENTS_LEFT: Range<usize> = 3..4;
    pub const FRAG_OFFSET: Range<usize> = 2..4;
    pub const FRAG_IDENT: Range<usize> = 4..8;
    pub const FRAGMENT_LEN: usize = 8;
    /// Extension headers are this many bytes plus 8 times their length field.
    pub const MIN_LEN: usize = 8;
}

const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const DEST_OPTS: u8 = 60;
/// Option type of the jumbo payload option (RFC 2675).
const JUMBO: u8 = 0xc2;
/// Extension headers followed before the rest is left undecoded.
const MAX_EXTENSIONS: usize = 8;

pub(crate) fn ipv6(cx: &mut Ctx<'_, '_>, offset: usize, end: usize) -> usize {
    use field as f;
    let Some(h) = cx.take("IPv6 header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let first = be(&h[f::VER_TC_FLOW]);
    let version = F::Ipv6Version.def().extract(first);
    if version != 6 {
        cx.note(
            NoteCode::BadVersion,
            offset,
            1,
            [Value::UInt(version), Value::UInt(6), Value::None],
        );
        return data(cx, offset, end);
    }
    let layer = cx.begin(F::Ipv6, offset);
    cx.bits(F::Ipv6Version, offset, 4, first);
    cx.bits(F::Ipv6Tclass, offset, 4, first);
    cx.bits(F::Ipv6Flow, offset, 4, first);
    let plen = be(&h[f::LENGTH]) as usize;
    cx.uint(F::Ipv6Plen, offset + f::LENGTH.start, 2, plen as u64);
    let mut next = h[f::NXT_HDR.start];
    cx.uint(F::Ipv6Nxt, offset + f::NXT_HDR.start, 1, u64::from(next));
    cx.uint(
        F::Ipv6Hlim,
        offset + f::HOP_LIMIT.start,
        1,
        u64::from(h[f::HOP_LIMIT.start]),
    );
    let src: [u8; 16] = array(&h[f::SRC]);
    let dst: [u8; 16] = array(&h[f::DST]);
    cx.field(F::Ipv6Src, offset + f::SRC.start, 16, Value::Ipv6(src));
    cx.field(F::Ipv6Dst, offset + f::DST.start, 16, Value::Ipv6(dst));

    let mut at = offset + f::HEADER_LEN;
    let mut jumbo = None;
    let mut fragment: Option<(u64, bool)> = None;
    let mut final_dst = None;
    for _ in 0..MAX_EXTENSIONS {
        if !matches!(next, HOP_BY_HOP | ROUTING | FRAGMENT | DEST_OPTS) {
            break;
        }
        let Some(ext) = extension(cx, next, at, end) else {
            cx.end(layer, end);
            return end;
        };
        jumbo = jumbo.or(ext.jumbo);
        fragment = fragment.or(ext.fragment);
        final_dst = final_dst.or(ext.final_dst);
        next = ext.next;
        at += ext.len;
    }
    if matches!(next, HOP_BY_HOP | ROUTING | FRAGMENT | DEST_OPTS) && at < end {
        cx.note(
            NoteCode::TooManyExtensions,
            at,
            end - at,
            [Value::UInt(MAX_EXTENSIONS as u64), Value::None, Value::None],
        );
    }
    cx.end(layer, at);

    let reported_end = if plen == 0 {
        match jumbo {
            Some(j) => offset + f::HEADER_LEN + j as usize,
            None => {
                if at < end {
                    cx.note(
                        NoteCode::LengthZero,
                        offset + f::LENGTH.start,
                        2,
                        [Value::Text("IPv6 payload"), Value::None, Value::None],
                    );
                }
                end
            }
        }
    } else {
        offset + f::HEADER_LEN + plen
    };
    if reported_end > end && !cx.cut_short() && !cx.quoted() {
        cx.note(
            NoteCode::LengthOverrun,
            offset + f::LENGTH.start,
            2,
            [
                Value::Text("IPv6 payload length"),
                Value::UInt(plen as u64),
                Value::UInt(end.saturating_sub(offset + f::HEADER_LEN) as u64),
            ],
        );
    }
    let ip_end = reported_end.min(end).max(at.min(end));
    if let Some((frag_offset, more)) = fragment {
        cx.note(
            NoteCode::Fragment,
            at,
            0,
            [
                Value::Text("IPv6"),
                Value::UInt(frag_offset),
                Value::Bool(more),
            ],
        );
        if frag_offset > 0 {
            return data(cx, at, ip_end).max(ip_end);
        }
    }
    let net = Net {
        src: IpBytes::V6(src),
        // The transport checksum covers the final destination (RFC 8200, 8.1), which a routing header with
        // segments left names.
        dst: IpBytes::V6(final_dst.unwrap_or(dst)),
        len: reported_end.saturating_sub(at),
        // An atomic fragment (offset 0, no more to come; RFC 6946) is a whole packet.
        whole: fragment.is_none_or(|(offset, more)| offset == 0 && !more),
    };
    if at > ip_end {
        return ip_end;
    }
    if net.whole {
        ip_payload(cx, next, at, ip_end, net).max(ip_end)
    } else {
        cx.in_first_fragment(|cx| ip_payload(cx, next, at, ip_end, net))
            .max(ip_end)
    }
}

struct Extension {
    next: u8,
    len: usize,
    jumbo: Option<u32>,
    fragment: Option<(u64, bool)>,
    /// The final destination a routing header with segments left names.
    final_dst: Option<[u8; 16]>,
}

/// Decodes one extension header at `at` as fields of the IPv6 layer.
fn extension(cx: &mut Ctx<'_, '_>, kind: u8, at: usize, end: usize) -> Option<Extension> {
    use ext_field as e;
    let (container, what) = match kind {
        HOP_BY_HOP => (F::Ipv6HopOpts, "IPv6 hop-by-hop options"),
        ROUTING => (F::Ipv6Routing, "IPv6 routing header"),
        FRAGMENT => (F::Ipv6Fragment, "IPv6 fragment header"),
        _ => (F::Ipv6DstOpts, "IPv6 destination options"),
    };
    let first = cx.take(what, at, e::MIN_LEN, end)?;
    let len = if kind == FRAGMENT {
        e::FRAGMENT_LEN
    } else {
        e::MIN_LEN + 8 * usize::from(first[e::LENGTH.start])
    };
    let h = cx.take(what, at, len, end)?;
    let next = h[e::NXT_HDR.start];
    let mut ext = Extension {
        next,
        len,
        jumbo: None,
        fragment: None,
        final_dst: None,
    };
    cx.bytes(container, at, len);
    cx.nested(|cx| {
        cx.uint(F::Ipv6ExtNxt, at, 1, u64::from(next));
        match kind {
            FRAGMENT => {
                cx.uint(
                    F::Ipv6FragReserved,
                    at + e::LENGTH.start,
                    1,
                    u64::from(h[e::LENGTH.start]),
                );
                let off_m = be(&h[e::FRAG_OFFSET]);
                let frag_at = at + e::FRAG_OFFSET.start;
                let frag_offset = cx.bits(F::Ipv6FragOffset, frag_at, 2, off_m);
                let more = cx.flag(F::Ipv6FragMore, frag_at, 2, off_m);
                cx.uint(
                    F::Ipv6FragId,
                    at + e::FRAG_IDENT.start,
                    4,
                    be(&h[e::FRAG_IDENT]),
                );
                ext.fragment = Some((frag_offset, more));
            }
            ROUTING => {
                ext.final_dst = final_destination(h);
                cx.uint(
                    F::Ipv6ExtLen,
                    at + e::LENGTH.start,
                    1,
                    u64::from(h[e::LENGTH.start]),
                );
                cx.uint(
                    F::Ipv6RoutingType,
                    at + e::ROUTING_TYPE.start,
                    1,
                    u64::from(h[e::ROUTING_TYPE.start]),
                );
                cx.uint(
                    F::Ipv6RoutingSegleft,
                    at + e::SEGMENTS_LEFT.start,
                    1,
                    u64::from(h[e::SEGMENTS_LEFT.start]),
                );
                cx.bytes(
                    F::Ipv6RoutingData,
                    at + e::SEGMENTS_LEFT.end,
                    len - e::SEGMENTS_LEFT.end,
                );
            }
            _ => {
                cx.uint(
                    F::Ipv6ExtLen,
                    at + e::LENGTH.start,
                    1,
                    u64::from(h[e::LENGTH.start]),
                );
                ext.jumbo = options(cx, &h[e::LENGTH.end..], at + e::LENGTH.end, what);
            }
        }
    });
    Some(ext)
}

/// The final destination named by a routing header that still has segments left: the last address of a type
/// 0 or type 2 header, the first segment (Segment List[0]) of a segment routing header (type 4, RFC 8754).
fn final_destination(h: &[u8]) -> Option<[u8; 16]> {
    use ext_field as e;
    if h[e::SEGMENTS_LEFT.start] == 0 {
        return None;
    }
    let addresses = h.get(e::MIN_LEN..)?;
    let address = match h[e::ROUTING_TYPE.start] {
        0 | 2 => addresses.rchunks_exact(16).next()?,
        4 => addresses.chunks_exact(16).next()?,
        _ => return None,
    };
    Some(array(address))
}

/// Hop-by-hop and destination options: Pad1 is one byte; others are type, data length, data. Returns the
/// jumbo payload length if the jumbo option is present.
fn options(cx: &mut Ctx<'_, '_>, opts: &[u8], at: usize, what: &'static str) -> Option<u32> {
    let mut rest = opts;
    let mut jumbo = None;
    while let Ok((after_type, kind)) = be_u8::<_, nom::error::Error<&[u8]>>(rest) {
        let pos = at + (opts.len() - rest.len());
        cx.uint(F::Ipv6OptType, pos, 1, u64::from(kind));
        if kind == 0 {
            rest = after_type;
            continue;
        }
        let parsed = be_u8::<_, nom::error::Error<&[u8]>>(after_type).and_then(|(i, len)| {
            take(usize::from(len))
                .parse(i)
                .map(|(after, body)| (after, (len, body)))
        });
        let Ok((after, (len, body))) = parsed else {
            cx.note(
                NoteCode::BadOption,
                pos,
                rest.len(),
                [Value::Text(what), Value::UInt(pos as u64), Value::None],
            );
            if !after_type.is_empty() {
                cx.bytes(F::Ipv6OptData, pos + 1, after_type.len());
            }
            break;
        };
        cx.uint(F::Ipv6OptLen, pos + 1, 1, u64::from(len));
        if kind == JUMBO && body.len() == 4 {
            let j = be(body) as u32;
            cx.uint(F::Ipv6OptJumbo, pos + 2, 4, u64::from(j));
            jumbo = Some(j);
        } else if !body.is_empty() {
            cx.bytes(F::Ipv6OptData, pos + 2, body.len());
        }
        rest = after;
    }
    jumbo
}
