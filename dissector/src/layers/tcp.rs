//! TCP (RFC 9293): ports, sequence numbers, flags, options (MSS, window scale, SACK, timestamps), checksum.

use super::ipv4::tlv_options;
use super::{Ctx, Net, be, checksum_note, data, partial_checksum};
use crate::checksum::{self, Status};
use crate::fields::FieldId as F;
use crate::notes::NoteCode;
use crate::value::Value;

/// TCP header layout.
pub mod field {
    use std::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const SEQ_NUM: Range<usize> = 4..8;
    pub const ACK_NUM: Range<usize> = 8..12;
    pub const FLAGS: Range<usize> = 12..14;
    pub const WIN_SIZE: Range<usize> = 14..16;
    pub const CHECKSUM: Range<usize> = 16..18;
    pub const URGENT: Range<usize> = 18..20;
    pub const HEADER_LEN: usize = 20;
}

const PROTOCOL: u8 = 6;

/// The flag bits in the order of the flags field, with their fields.
const FLAG_BITS: [F; 9] = [
    F::TcpFlagAe,
    F::TcpFlagCwr,
    F::TcpFlagEce,
    F::TcpFlagUrg,
    F::TcpFlagAck,
    F::TcpFlagPush,
    F::TcpFlagReset,
    F::TcpFlagSyn,
    F::TcpFlagFin,
];

pub(crate) fn tcp(cx: &mut Ctx<'_, '_>, offset: usize, end: usize, net: Net) -> usize {
    use field as f;
    let h = match cx.take("TCP header", offset, f::HEADER_LEN, end) {
        Some(h) => h,
        // Cut short (an ICMP error quotes only the first 8 bytes: ports and sequence number): the whole
        // fields are decoded, the rest is data.
        None => return partial_header(cx, offset, end),
    };
    let layer = cx.begin(F::Tcp, offset);
    let (hdr_len, checksum_field, status_at) = fixed_fields(cx, h, offset);
    let at = offset + f::FLAGS.start;

    if hdr_len < f::HEADER_LEN {
        cx.note(
            NoteCode::LengthShort,
            at,
            1,
            [
                Value::Text("TCP data offset"),
                Value::UInt(hdr_len as u64),
                Value::UInt(f::HEADER_LEN as u64),
            ],
        );
        cx.end(layer, offset + f::HEADER_LEN);
        return data(cx, offset + f::HEADER_LEN, end);
    }
    let Some(header) = cx.take("TCP header with options", offset, hdr_len, end) else {
        cx.end(layer, end);
        return end;
    };
    if hdr_len > f::HEADER_LEN {
        let opts = &header[f::HEADER_LEN..];
        let opts_at = offset + f::HEADER_LEN;
        cx.bytes(F::TcpOptions, opts_at, opts.len());
        cx.nested(|cx| {
            tlv_options(
                cx,
                opts,
                opts_at,
                "TCP",
                [F::TcpOptionKind, F::TcpOptionLen, F::TcpOptionData],
                option_body,
            )
        });
    }
    let payload_len = net.len.saturating_sub(hdr_len);
    cx.uint(F::TcpLen, offset, 0, payload_len as u64);
    if net.whole && offset + net.len <= end && net.len >= hdr_len && cx.verifies_checksums() {
        let pseudo = checksum::pseudo_header_sum(&net.src, &net.dst, PROTOCOL, net.len as u32);
        let status =
            checksum::verify_transport(&cx.frame[offset..offset + net.len], pseudo, checksum_field);
        cx.out.set_value(status_at, Value::Text(status.word()));
        match status {
            Status::Bad { expected } => checksum_note(
                cx,
                "TCP",
                offset + f::CHECKSUM.start,
                checksum_field,
                expected,
                false,
            ),
            Status::Partial { expected } => partial_checksum(
                cx,
                "TCP",
                offset + f::CHECKSUM.start,
                checksum_field,
                expected,
            ),
            _ => {}
        }
    }
    cx.end(layer, offset + hdr_len);
    let seg_end = (offset + net.len.max(hdr_len)).min(end);
    data(cx, offset + hdr_len, seg_end);
    seg_end
}

/// The fields of the fixed header that lie whole in `h` (all of them when `h` holds 20 bytes). Returns the
/// header length the data offset gives (0 if cut before it), the checksum field, and the index of the checksum
/// status field (`usize::MAX` if cut before it).
fn fixed_fields(cx: &mut Ctx<'_, '_>, h: &[u8], offset: usize) -> (usize, u16, Option<usize>) {
    use field as f;
    let has = |r: &std::ops::Range<usize>| h.len() >= r.end;
    for (id, r) in [
        (F::TcpSrcport, f::SRC_PORT),
        (F::TcpDstport, f::DST_PORT),
        (F::TcpSeq, f::SEQ_NUM),
        (F::TcpAck, f::ACK_NUM),
    ] {
        if has(&r) {
            cx.uint(id, offset + r.start, r.len(), be(&h[r]));
        }
    }
    let mut hdr_len = 0;
    if has(&f::FLAGS) {
        let off_flags = be(&h[f::FLAGS]);
        let at = offset + f::FLAGS.start;
        // The data offset is bits of the first byte; the flags span both bytes.
        hdr_len = cx.bits(F::TcpHdrLen, at, 1, u64::from(h[f::FLAGS.start])) as usize;
        cx.bits(F::TcpFlags, at, 2, off_flags);
        cx.nested(|cx| {
            cx.bits(F::TcpFlagRes, at, 2, off_flags);
            for id in FLAG_BITS {
                cx.flag(id, at, 2, off_flags);
            }
        });
    }
    if has(&f::WIN_SIZE) {
        cx.uint(
            F::TcpWindow,
            offset + f::WIN_SIZE.start,
            2,
            be(&h[f::WIN_SIZE]),
        );
    }
    let (mut checksum_field, mut status_at) = (0, None);
    if has(&f::CHECKSUM) {
        checksum_field = be(&h[f::CHECKSUM]) as u16;
        cx.uint(
            F::TcpChecksum,
            offset + f::CHECKSUM.start,
            2,
            u64::from(checksum_field),
        );
        status_at = cx.field(
            F::TcpChecksumStatus,
            offset + f::CHECKSUM.start,
            0,
            Value::Text("unverified"),
        );
    }
    if has(&f::URGENT) {
        cx.uint(
            F::TcpUrgentPointer,
            offset + f::URGENT.start,
            2,
            be(&h[f::URGENT]),
        );
    }
    (hdr_len, checksum_field, status_at)
}

/// A TCP header cut short: its whole fields, then the rest as data.
fn partial_header(cx: &mut Ctx<'_, '_>, offset: usize, end: usize) -> usize {
    let h = cx.frame.get(offset..end).unwrap_or(&[]);
    if h.len() < field::SRC_PORT.end {
        return data(cx, offset, end);
    }
    let layer = cx.begin(F::Tcp, offset);
    fixed_fields(cx, h, offset);
    cx.end(layer, end);
    end
}

/// Decodes the data of the options vxscope knows; returns whether it did.
fn option_body(cx: &mut Ctx<'_, '_>, kind: u8, at: usize, body: &[u8]) -> bool {
    match (kind, body.len()) {
        (2, 2) => cx.uint(F::TcpOptionMss, at, 2, be(body)),
        (3, 1) => cx.uint(F::TcpOptionWscale, at, 1, be(body)),
        (5, n) if n % 8 == 0 => {
            for (i, edge) in body.chunks_exact(8).enumerate() {
                cx.uint(F::TcpOptionSackLe, at + i * 8, 4, be(&edge[..4]));
                cx.uint(F::TcpOptionSackRe, at + i * 8 + 4, 4, be(&edge[4..]));
            }
        }
        (8, 8) => {
            cx.uint(F::TcpOptionTsval, at, 4, be(&body[..4]));
            cx.uint(F::TcpOptionTsecr, at + 4, 4, be(&body[4..]));
        }
        _ => return false,
    }
    true
}
