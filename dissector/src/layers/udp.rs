//! UDP (RFC 768): ports, length, checksum; VXLAN on the configured ports.

use super::{Ctx, Net, be, checksum_note, data, partial_checksum, vxlan};
use crate::Tunnel;
use crate::checksum::{self, Status};
use crate::dissection::Note;
use crate::fields::FieldId as F;
use crate::notes::NoteCode;
use crate::value::Value;

/// UDP header layout.
pub mod field {
    use std::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const LENGTH: Range<usize> = 4..6;
    pub const CHECKSUM: Range<usize> = 6..8;
    pub const HEADER_LEN: usize = 8;
}

const PROTOCOL: u8 = 17;

pub(crate) fn udp(cx: &mut Ctx<'_, '_>, offset: usize, end: usize, net: Net) -> usize {
    use field as f;
    let Some(h) = cx.take("UDP header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let layer = cx.begin(F::Udp, offset);
    let sport = be(&h[f::SRC_PORT]) as u16;
    let dport = be(&h[f::DST_PORT]) as u16;
    let length = be(&h[f::LENGTH]) as usize;
    let checksum_field = be(&h[f::CHECKSUM]) as u16;
    cx.uint(
        F::UdpSrcport,
        offset + f::SRC_PORT.start,
        2,
        u64::from(sport),
    );
    cx.uint(
        F::UdpDstport,
        offset + f::DST_PORT.start,
        2,
        u64::from(dport),
    );
    cx.uint(F::UdpLength, offset + f::LENGTH.start, 2, length as u64);
    cx.uint(
        F::UdpChecksum,
        offset + f::CHECKSUM.start,
        2,
        u64::from(checksum_field),
    );
    let tunnel = cx.dissector.tunnel(sport, dport);

    let datagram_len = if length == 0 && net.len > f::HEADER_LEN {
        // A GSO super-packet on the sender leaves the length for the NIC to fill in.
        cx.note(
            NoteCode::LengthZero,
            offset + f::LENGTH.start,
            2,
            [Value::Text("UDP"), Value::None, Value::None],
        );
        net.len
    } else if length < f::HEADER_LEN {
        cx.note(
            NoteCode::LengthShort,
            offset + f::LENGTH.start,
            2,
            [
                Value::Text("UDP length"),
                Value::UInt(length as u64),
                Value::UInt(f::HEADER_LEN as u64),
            ],
        );
        f::HEADER_LEN
    } else if length > net.len && net.whole && !cx.quoted() {
        // (The datagram of a first fragment goes on in the next fragments.)
        cx.note(
            NoteCode::LengthOverrun,
            offset + f::LENGTH.start,
            2,
            [
                Value::Text("UDP length"),
                Value::UInt(length as u64),
                Value::UInt(net.len as u64),
            ],
        );
        net.len.max(f::HEADER_LEN)
    } else {
        length
    };
    // The running sum of a tunnel's datagram whose checksum is wrong as captured: it may be right once the
    // partial checksums inside are filled in (local checksum offload), which only decoding them tells.
    let mut lco_candidate = None;
    let status = if checksum_field == 0 {
        // Zero means "no checksum" over IPv4, and for tunnels over IPv6 (RFC 6935).
        Status::Absent
    } else if !net.whole
        || offset + datagram_len > end
        || length != datagram_len
        || !cx.verifies_checksums()
    {
        Status::Unverified
    } else {
        let pseudo = checksum::pseudo_header_sum(&net.src, &net.dst, PROTOCOL, datagram_len as u32);
        let datagram = &cx.frame[offset..offset + datagram_len];
        let status = checksum::verify_transport(datagram, pseudo, checksum_field);
        if matches!(status, Status::Bad { .. }) && tunnel.is_some() && !cx.quoted() {
            lco_candidate = Some(checksum::sum(pseudo, datagram));
        }
        status
    };
    let status_at = cx.field(
        F::UdpChecksumStatus,
        offset + f::CHECKSUM.start,
        0,
        Value::Text(status.word()),
    );
    let note_at = cx.out.note_count();
    match status {
        Status::Bad { expected } => checksum_note(
            cx,
            "UDP",
            offset + f::CHECKSUM.start,
            checksum_field,
            expected,
            tunnel.is_some(),
        ),
        Status::Partial { expected } => partial_checksum(
            cx,
            "UDP",
            offset + f::CHECKSUM.start,
            checksum_field,
            expected,
        ),
        _ => {}
    }
    cx.end(layer, offset + f::HEADER_LEN);

    let payload = offset + f::HEADER_LEN;
    let udp_end = (offset + datagram_len).min(end);
    if payload >= udp_end {
        return udp_end.max(payload.min(end));
    }
    let around = std::mem::take(&mut cx.pending_fill);
    match tunnel {
        Some(Tunnel::Vxlan) => vxlan::vxlan(cx, payload, udp_end, Some((sport, dport))),
        Some(Tunnel::Gpe) => vxlan::gpe(cx, payload, udp_end),
        Some(Tunnel::Otv) => vxlan::otv(cx, payload, udp_end),
        None => data(cx, payload, udp_end),
    };
    let inside = std::mem::replace(&mut cx.pending_fill, around);
    if let Some(total) = lco_candidate
        && inside.completes(total)
    {
        // Not a fault: the bad-checksum note raised above becomes the note that says what it is.
        cx.out.set_value(status_at, Value::Text(Status::Lco.word()));
        cx.out.replace_note(
            note_at,
            Note {
                code: NoteCode::OuterChecksumLco,
                scope: cx.scope,
                offset: (offset + f::CHECKSUM.start) as u32,
                len: 2,
                args: [
                    Value::Text("UDP"),
                    Value::UInt(u64::from(checksum_field)),
                    Value::Text(inside.what),
                ],
            },
        );
    }
    // The tunnels around this one carry these partial checksums too.
    cx.pending_fill.merge(inside);
    udp_end
}
