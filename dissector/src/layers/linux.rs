//! Pseudo link-layer headers: Linux cooked capture v1 (SLL) and v2 (SLL2), BSD loopback (NULL, LOOP).

use super::{Ctx, array, be, data, ethertype, ipv4, ipv6};
use crate::fields::FieldId as F;
use crate::notes::NoteCode;
use crate::value::Value;

/// Linux cooked capture v1 layout (LINKTYPE_LINUX_SLL, 113).
pub mod sll_field {
    use std::ops::Range;
    pub const PKTTYPE: Range<usize> = 0..2;
    pub const HATYPE: Range<usize> = 2..4;
    pub const HALEN: Range<usize> = 4..6;
    pub const ADDR: Range<usize> = 6..14;
    pub const PROTOCOL: Range<usize> = 14..16;
    pub const HEADER_LEN: usize = 16;
}

/// Linux cooked capture v2 layout (LINKTYPE_LINUX_SLL2, 276).
pub mod sll2_field {
    use std::ops::Range;
    pub const PROTOCOL: Range<usize> = 0..2;
    pub const RESERVED: Range<usize> = 2..4;
    pub const IFINDEX: Range<usize> = 4..8;
    pub const HATYPE: Range<usize> = 8..10;
    pub const PKTTYPE: Range<usize> = 10..11;
    pub const HALEN: Range<usize> = 11..12;
    pub const ADDR: Range<usize> = 12..20;
    pub const HEADER_LEN: usize = 20;
}

/// BSD loopback layout: the address family.
pub mod null_field {
    use std::ops::Range;
    pub const FAMILY: Range<usize> = 0..4;
    pub const HEADER_LEN: usize = 4;
}

/// BSD loopback address family of IPv4.
pub const NULL_FAMILY_IPV4: u32 = 2;
/// BSD loopback address families of IPv6 (NetBSD and OpenBSD, FreeBSD, macOS).
pub const NULL_FAMILIES_IPV6: [u32; 3] = [24, 28, 30];

/// SLL protocol values that are not EtherTypes: 802.3 without LLC, and 802.2 LLC.
pub const SLL_NOT_ETHERTYPE: [u16; 2] = [0x0001, 0x0004];

pub(crate) fn sll(cx: &mut Ctx<'_, '_>, offset: usize, end: usize) -> usize {
    use sll_field as f;
    let Some(h) = cx.take("Linux cooked header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let layer = cx.begin(F::Sll, offset);
    cx.uint(
        F::SllPkttype,
        offset + f::PKTTYPE.start,
        2,
        be(&h[f::PKTTYPE]),
    );
    cx.uint(F::SllHatype, offset + f::HATYPE.start, 2, be(&h[f::HATYPE]));
    let halen = be(&h[f::HALEN]);
    cx.uint(F::SllHalen, offset + f::HALEN.start, 2, halen);
    address(cx, &h[f::ADDR], offset + f::ADDR.start, halen);
    let protocol = be(&h[f::PROTOCOL]) as u16;
    cx.uint(
        F::SllEtype,
        offset + f::PROTOCOL.start,
        2,
        u64::from(protocol),
    );
    cx.end(layer, offset + f::HEADER_LEN);
    payload(cx, protocol, offset + f::HEADER_LEN, end)
}

pub(crate) fn sll2(cx: &mut Ctx<'_, '_>, offset: usize, end: usize) -> usize {
    use sll2_field as f;
    let Some(h) = cx.take("Linux cooked v2 header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let layer = cx.begin(F::Sll2, offset);
    let protocol = be(&h[f::PROTOCOL]) as u16;
    cx.uint(
        F::SllEtype,
        offset + f::PROTOCOL.start,
        2,
        u64::from(protocol),
    );
    cx.uint(
        F::SllReserved,
        offset + f::RESERVED.start,
        2,
        be(&h[f::RESERVED]),
    );
    cx.uint(
        F::SllIfindex,
        offset + f::IFINDEX.start,
        4,
        be(&h[f::IFINDEX]),
    );
    cx.uint(F::SllHatype, offset + f::HATYPE.start, 2, be(&h[f::HATYPE]));
    cx.uint(
        F::SllPkttype,
        offset + f::PKTTYPE.start,
        1,
        be(&h[f::PKTTYPE]),
    );
    let halen = be(&h[f::HALEN]);
    cx.uint(F::SllHalen, offset + f::HALEN.start, 1, halen);
    address(cx, &h[f::ADDR], offset + f::ADDR.start, halen);
    cx.end(layer, offset + f::HEADER_LEN);
    payload(cx, protocol, offset + f::HEADER_LEN, end)
}

/// The 8-byte address field: a MAC when the address length is 6, otherwise bytes.
fn address(cx: &mut Ctx<'_, '_>, addr: &[u8], at: usize, halen: u64) {
    let used = (halen as usize).min(addr.len());
    if used == 6 {
        cx.field(F::SllSrcEth, at, 6, Value::Mac(array(addr)));
    } else if used > 0 {
        cx.bytes(F::SllSrcOther, at, used);
    }
    if used < addr.len() {
        cx.bytes(F::SllUnused, at + used, addr.len() - used);
    }
}

fn payload(cx: &mut Ctx<'_, '_>, protocol: u16, offset: usize, end: usize) -> usize {
    if SLL_NOT_ETHERTYPE.contains(&protocol) {
        data(cx, offset, end)
    } else {
        ethertype(cx, protocol, offset, end, 0)
    }
}

/// BSD loopback: `network_order` for LOOP (108); NULL (0) is in the capturing host's order, guessed here.
pub(crate) fn null(cx: &mut Ctx<'_, '_>, offset: usize, end: usize, network_order: bool) -> usize {
    use null_field as f;
    let Some(h) = cx.take("loopback header", offset, f::HEADER_LEN, end) else {
        return data(cx, offset, end);
    };
    let raw: [u8; 4] = array(&h[f::FAMILY]);
    // Families are small numbers: in the host's order, one end of the word is zero.
    let family = if network_order || (raw[0] == 0 && raw[1] == 0) {
        u32::from_be_bytes(raw)
    } else {
        u32::from_le_bytes(raw)
    };
    let layer = cx.begin(F::Null, offset);
    cx.uint(F::NullFamily, offset, 4, u64::from(family));
    cx.end(layer, offset + f::HEADER_LEN);
    let payload = offset + f::HEADER_LEN;
    match family {
        NULL_FAMILY_IPV4 => ipv4::ipv4(cx, payload, end),
        f if NULL_FAMILIES_IPV6.contains(&f) => ipv6::ipv6(cx, payload, end),
        _ => {
            cx.note(
                NoteCode::LinkUnsupported,
                offset,
                4,
                [Value::Text("loopback family"), Value::None, Value::None],
            );
            data(cx, payload, end)
        }
    }
}
