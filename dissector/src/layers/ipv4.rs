//! IPv4 (RFC 791): options, fragments, header checksum.

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::be_u8;

use super::{Ctx, Net, array, be, checksum_note, data, ip_payload};
use crate::checksum;
use crate::fields::FieldId as F;
use crate::notes::NoteCode;
use crate::value::{IpBytes, Value};

/// IPv4 header layout.
pub mod field {
    use std::ops::Range;
    pub const VER_IHL: Range<usize> = 0..1;
    pub const DSCP_ECN: Range<usize> = 1..2;
    pub const LENGTH: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..6;
    pub const FLG_OFF: Range<usize> = 6..8;
    pub const TTL: Range<usize> = 8..9;
    pub const PROTOCOL: Range<usize> = 9..10;
    pub const CHECKSUM: Range<usize> = 10..12;
    pub const SRC: Range<usize> = 12..16;
    pub const DST: Range<usize> = 16..20;
    pub const HEADER_LEN: usize = 20;
}

pub(crate) fn ipv4(cx: &mut Ctx<'_, '_>, offset: usize, end: usize) -> usize {
    use field as f;
    let Some(h) = cx.take("IPv4 header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let version = F::IpVersion.def().extract(u64::from(h[0]));
    if version != 4 {
        cx.note(
            NoteCode::BadVersion,
            offset,
            1,
            [Value::UInt(version), Value::UInt(4), Value::None],
        );
        return data(cx, offset, end);
    }
    let layer = cx.begin(F::Ip, offset);
    let first = u64::from(h[0]);
    cx.bits(F::IpVersion, offset, 1, first);
    let hdr_len = cx.bits(F::IpHdrLen, offset, 1, first) as usize;
    let ds = u64::from(h[f::DSCP_ECN.start]);
    cx.uint(F::IpDsfield, offset + f::DSCP_ECN.start, 1, ds);
    cx.nested(|cx| {
        cx.bits(F::IpDscp, offset + f::DSCP_ECN.start, 1, ds);
        cx.bits(F::IpEcn, offset + f::DSCP_ECN.start, 1, ds);
    });
    let total_len = be(&h[f::LENGTH]) as usize;
    cx.uint(F::IpLen, offset + f::LENGTH.start, 2, total_len as u64);
    cx.uint(F::IpId, offset + f::IDENT.start, 2, be(&h[f::IDENT]));
    let flg_off = be(&h[f::FLG_OFF]);
    let at = offset + f::FLG_OFF.start;
    // The flags are bits of the first byte; the fragment offset spans both bytes.
    let flags = u64::from(h[f::FLG_OFF.start]);
    cx.bits(F::IpFlags, at, 1, flags);
    let more_fragments = cx.nested(|cx| {
        cx.flag(F::IpFlagRb, at, 1, flags);
        cx.flag(F::IpFlagDf, at, 1, flags);
        cx.flag(F::IpFlagMf, at, 1, flags)
    });
    let frag_offset = cx.bits(F::IpFragOffset, at, 2, flg_off);
    cx.uint(
        F::IpTtl,
        offset + f::TTL.start,
        1,
        u64::from(h[f::TTL.start]),
    );
    let proto = h[f::PROTOCOL.start];
    cx.uint(F::IpProto, offset + f::PROTOCOL.start, 1, u64::from(proto));
    let checksum_field = be(&h[f::CHECKSUM]) as u16;
    cx.uint(
        F::IpChecksum,
        offset + f::CHECKSUM.start,
        2,
        u64::from(checksum_field),
    );
    let status_at = cx.field(
        F::IpChecksumStatus,
        offset + f::CHECKSUM.start,
        0,
        Value::Text("unverified"),
    );
    let src: [u8; 4] = array(&h[f::SRC]);
    let dst: [u8; 4] = array(&h[f::DST]);
    cx.field(F::IpSrc, offset + f::SRC.start, 4, Value::Ipv4(src));
    cx.field(F::IpDst, offset + f::DST.start, 4, Value::Ipv4(dst));

    if hdr_len < f::HEADER_LEN {
        cx.note(
            NoteCode::LengthShort,
            offset,
            1,
            [
                Value::Text("IPv4 header length"),
                Value::UInt(hdr_len as u64),
                Value::UInt(f::HEADER_LEN as u64),
            ],
        );
        cx.end(layer, offset + f::HEADER_LEN);
        return data(cx, offset + f::HEADER_LEN, end);
    }
    let Some(header) = cx.take("IPv4 header with options", offset, hdr_len, end) else {
        cx.end(layer, end);
        return end;
    };
    if hdr_len > f::HEADER_LEN {
        options(cx, &header[f::HEADER_LEN..], offset + f::HEADER_LEN);
    }
    if cx.verifies_checksums() {
        let computed = checksum::checksum(header);
        let status = if computed == 0 { "good" } else { "bad" };
        cx.out.set_value(status_at, Value::Text(status));
        if computed != 0 {
            let expected = checksum::without_field(checksum::sum(0, header), checksum_field);
            checksum_note(
                cx,
                "IPv4 header",
                offset + f::CHECKSUM.start,
                checksum_field,
                expected,
                false,
            );
        }
    }
    cx.end(layer, offset + hdr_len);

    let payload = offset + hdr_len;
    let ip_end = if total_len == 0 {
        cx.note(
            NoteCode::LengthZero,
            offset + f::LENGTH.start,
            2,
            [Value::Text("IPv4 total"), Value::None, Value::None],
        );
        end
    } else if total_len < hdr_len {
        cx.note(
            NoteCode::LengthShort,
            offset + f::LENGTH.start,
            2,
            [
                Value::Text("IPv4 total length"),
                Value::UInt(total_len as u64),
                Value::UInt(hdr_len as u64),
            ],
        );
        payload
    } else if offset + total_len > end {
        if !cx.cut_short() && !cx.scope.is_quoted() {
            cx.note(
                NoteCode::LengthOverrun,
                offset + f::LENGTH.start,
                2,
                [
                    Value::Text("IPv4 total length"),
                    Value::UInt(total_len as u64),
                    Value::UInt((end - offset) as u64),
                ],
            );
        }
        end
    } else {
        offset + total_len
    };
    let fragment = more_fragments || frag_offset > 0;
    if fragment {
        cx.note(
            NoteCode::Fragment,
            offset + f::FLG_OFF.start,
            2,
            [
                Value::Text("IPv4"),
                Value::UInt(frag_offset),
                Value::Bool(more_fragments),
            ],
        );
    }
    if frag_offset > 0 {
        return data(cx, payload, ip_end).max(ip_end);
    }
    let net = Net {
        src: IpBytes::V4(src),
        dst: IpBytes::V4(dst),
        len: if total_len == 0 {
            ip_end - payload
        } else {
            total_len.saturating_sub(hdr_len)
        },
        whole: !fragment,
    };
    if fragment {
        cx.in_first_fragment(|cx| ip_payload(cx, proto, payload, ip_end, net))
            .max(ip_end)
    } else {
        ip_payload(cx, proto, payload, ip_end, net).max(ip_end)
    }
}

/// IPv4 options: type, length (of the whole option) and data; End of List and No-Operation are one byte.
fn options(cx: &mut Ctx<'_, '_>, opts: &[u8], at: usize) {
    cx.bytes(F::IpOptions, at, opts.len());
    cx.nested(|cx| {
        tlv_options(
            cx,
            opts,
            at,
            "IPv4",
            [F::IpOptType, F::IpOptLen, F::IpOptData],
            |_, _, _, _| false,
        );
    });
}

/// Walks options in the IPv4/TCP style: kind 0 ends the list (what follows is padding), kind 1 is one byte,
/// other kinds carry a length that counts the kind and length bytes. `body` decodes the data of the kinds it
/// knows and returns whether it did; other data is recorded as bytes.
pub(crate) fn tlv_options<'d>(
    cx: &mut Ctx<'_, 'd>,
    opts: &[u8],
    at: usize,
    what: &'static str,
    [kind_field, len_field, data_field]: [F; 3],
    mut body: impl FnMut(&mut Ctx<'_, 'd>, u8, usize, &[u8]) -> bool,
) {
    let mut rest = opts;
    while let Ok((after_kind, kind)) = be_u8::<_, nom::error::Error<&[u8]>>(rest) {
        let pos = at + (opts.len() - rest.len());
        cx.uint(kind_field, pos, 1, u64::from(kind));
        match kind {
            0 => {
                if !after_kind.is_empty() {
                    cx.bytes(data_field, pos + 1, after_kind.len());
                }
                return;
            }
            1 => rest = after_kind,
            _ => match option_body(after_kind) {
                Some((len, data, after)) => {
                    cx.uint(len_field, pos + 1, 1, u64::from(len));
                    if !data.is_empty() && !body(cx, kind, pos + 2, data) {
                        cx.bytes(data_field, pos + 2, data.len());
                    }
                    rest = after;
                }
                None => {
                    cx.note(
                        NoteCode::BadOption,
                        pos,
                        rest.len(),
                        [Value::Text(what), Value::UInt(pos as u64), Value::None],
                    );
                    if !after_kind.is_empty() {
                        cx.bytes(data_field, pos + 1, after_kind.len());
                    }
                    return;
                }
            },
        }
    }
}

/// The length byte of an option and its data, if the length is sane and the data is all there.
fn option_body(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (input, len) = be_u8::<_, nom::error::Error<&[u8]>>(input).ok()?;
    let data_len = usize::from(len).checked_sub(2)?;
    let (after, data) = take::<_, _, nom::error::Error<&[u8]>>(data_len)
        .parse(input)
        .ok()?;
    Some((len, data, after))
}
