//! Ethernet II (and IEEE 802.3 length frames) with 802.1Q / 802.1ad tags.

use super::{Ctx, array, be, data, ethertype};
use crate::fields::FieldId as F;
use crate::value::Value;

/// Ethernet II header layout.
pub mod field {
    use std::ops::Range;
    pub const DST: Range<usize> = 0..6;
    pub const SRC: Range<usize> = 6..12;
    pub const ETHERTYPE: Range<usize> = 12..14;
    pub const HEADER_LEN: usize = 14;
}

/// 802.1Q tag layout (after the TPID, which is the EtherType before it).
pub mod vlan_field {
    use std::ops::Range;
    pub const TCI: Range<usize> = 0..2;
    pub const ETHERTYPE: Range<usize> = 2..4;
    pub const HEADER_LEN: usize = 4;
}

/// Most VLAN tags decoded in one frame (QinQ and one more); further tags are data.
pub const MAX_VLAN_TAGS: u8 = 3;

/// EtherTypes below this are IEEE 802.3 lengths.
pub const MIN_ETHERTYPE: u16 = 0x0600;

/// Decodes an Ethernet frame in `[offset, end)`; labels bytes after the network-layer packet as padding.
pub(crate) fn ethernet(cx: &mut Ctx<'_, '_>, offset: usize, end: usize) -> usize {
    let Some(h) = cx.take("Ethernet header", offset, field::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let layer = cx.begin(F::Eth, offset);
    cx.field(
        F::EthDst,
        offset + field::DST.start,
        6,
        Value::Mac(array(&h[field::DST])),
    );
    cx.field(
        F::EthSrc,
        offset + field::SRC.start,
        6,
        Value::Mac(array(&h[field::SRC])),
    );
    let type_or_len = be(&h[field::ETHERTYPE]) as u16;
    let payload = offset + field::HEADER_LEN;
    let payload_end = if type_or_len < MIN_ETHERTYPE {
        cx.uint(
            F::EthLen,
            offset + field::ETHERTYPE.start,
            2,
            u64::from(type_or_len),
        );
        cx.end(layer, payload);
        data(cx, payload, end.min(payload + usize::from(type_or_len)))
    } else {
        cx.uint(
            F::EthType,
            offset + field::ETHERTYPE.start,
            2,
            u64::from(type_or_len),
        );
        cx.end(layer, payload);
        ethertype(cx, type_or_len, payload, end, 0)
    };
    if payload_end < end {
        cx.resume(layer);
        cx.bytes(F::EthPadding, payload_end, end - payload_end);
    }
    end
}

/// Decodes one 802.1Q tag and what follows it.
pub(crate) fn vlan(cx: &mut Ctx<'_, '_>, offset: usize, end: usize, tags: u8) -> usize {
    let Some(h) = cx.take("802.1Q tag", offset, vlan_field::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let layer = cx.begin(F::Vlan, offset);
    let tci = be(&h[vlan_field::TCI]);
    let at = offset + vlan_field::TCI.start;
    cx.bits(F::VlanPriority, at, 2, tci);
    cx.flag(F::VlanDei, at, 2, tci);
    cx.bits(F::VlanId, at, 2, tci);
    let next = be(&h[vlan_field::ETHERTYPE]) as u16;
    cx.uint(
        F::VlanEtype,
        offset + vlan_field::ETHERTYPE.start,
        2,
        u64::from(next),
    );
    cx.end(layer, offset + vlan_field::HEADER_LEN);
    ethertype(cx, next, offset + vlan_field::HEADER_LEN, end, tags)
}
