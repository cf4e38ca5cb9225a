//! One module a protocol. Each names its header layout once (`mod field`), takes its header with nom, records
//! its fields in the [`Dissection`] and hands the rest to the next protocol.
//!
//! Every layer function takes the offset where its header starts and the end of the bytes that belong to it
//! (bounded by what was captured and by the enclosing length fields), and returns the end of what it decoded,
//! so that the layer around it can label what follows (Ethernet padding).

pub mod arp;
pub mod ethernet;
pub mod icmp;
pub mod ipv4;
pub mod ipv6;
pub mod linux;
pub mod tcp;
pub mod udp;
pub mod vxlan;

use nom::Parser;
use nom::bytes::complete::take;

use crate::Dissector;
use crate::checksum;
use crate::dissection::{Dissection, Field, Note};
use crate::fields::{FieldId, Scope};
use crate::link::LinkType;
use crate::notes::NoteCode;
use crate::value::{IpBytes, Value};

/// The state of one dissection while layers are decoded.
pub(crate) struct Ctx<'a, 'd> {
    pub(crate) dissector: &'d Dissector,
    pub(crate) frame: &'a [u8],
    pub(crate) out: &'a mut Dissection<'d>,
    pub(crate) scope: Scope,
    layer: u16,
    level: u8,
    /// Decoding the payload of a first fragment: what it carries goes on in other frames.
    in_fragment: bool,
    /// The partial checksums decoded inside the current tunnel's payload (see [`checksum::PendingFill`]).
    pub(crate) pending_fill: checksum::PendingFill,
}

impl<'a, 'd> Ctx<'a, 'd> {
    pub(crate) fn new(
        dissector: &'d Dissector,
        frame: &'a [u8],
        out: &'a mut Dissection<'d>,
    ) -> Self {
        Ctx {
            dissector,
            frame,
            out,
            scope: Scope::OUTER,
            layer: 0,
            level: 0,
            in_fragment: false,
            pending_fill: checksum::PendingFill::default(),
        }
    }

    /// Starts a layer of protocol `proto` whose header starts at `offset`; fields added next belong to it.
    #[inline]
    pub(crate) fn begin(&mut self, proto: FieldId, offset: usize) -> u16 {
        self.layer = self.out.begin_layer(proto, self.scope, offset);
        self.level = 0;
        self.layer
    }

    /// Sets where a layer's header ends.
    #[inline]
    pub(crate) fn end(&mut self, layer: u16, end: usize) {
        self.out.end_layer(layer, end);
    }

    /// Goes back to adding fields to an earlier layer (after the layers it carries were decoded).
    pub(crate) fn resume(&mut self, layer: u16) {
        self.layer = layer;
        self.level = 0;
    }

    #[inline(always)]
    /// Adds a field; returns its index in the dissection, `None` when such fields are not recorded.
    pub(crate) fn field(
        &mut self,
        id: FieldId,
        offset: usize,
        len: usize,
        value: Value<'d>,
    ) -> Option<usize> {
        self.out.push_field(Field {
            id,
            scope: self.scope,
            layer: self.layer,
            level: self.level,
            offset: offset as u32,
            len: len as u32,
            value,
        })
    }

    #[inline(always)]
    pub(crate) fn uint(&mut self, id: FieldId, offset: usize, len: usize, value: u64) {
        self.field(id, offset, len, Value::UInt(value));
    }

    /// A field of some bits of the `len` bytes at `offset`, whose big-endian integer is `raw`: records and
    /// returns the value the registry row's mask and scale give ([`crate::fields::FieldDef::extract`]).
    #[inline(always)]
    pub(crate) fn bits(&mut self, id: FieldId, offset: usize, len: usize, raw: u64) -> u64 {
        let value = id.def().extract(raw);
        self.uint(id, offset, len, value);
        value
    }

    /// A one-bit flag of the `len` bytes at `offset`, whose big-endian integer is `raw`, at the bit of the
    /// registry row's mask: records and returns whether it is set.
    #[inline(always)]
    pub(crate) fn flag(&mut self, id: FieldId, offset: usize, len: usize, raw: u64) -> bool {
        let set = id.def().extract(raw) != 0;
        self.field(id, offset, len, Value::Bool(set));
        set
    }

    /// A field of `len` bytes holding the bytes themselves.
    pub(crate) fn bytes(&mut self, id: FieldId, offset: usize, len: usize) {
        self.field(id, offset, len, Value::Bytes);
    }

    /// Fields added inside `f` are nested one level below the current one.
    pub(crate) fn nested<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        self.level += 1;
        let r = f(self);
        self.level -= 1;
        r
    }

    pub(crate) fn note(&mut self, code: NoteCode, offset: usize, len: usize, args: [Value<'d>; 3]) {
        self.out.push_note(Note {
            code,
            scope: self.scope,
            offset: offset as u32,
            len: len as u32,
            args,
        });
    }

    /// The `n` bytes at `offset`, if they lie before `end`; otherwise notes that `what` was cut short.
    #[inline]
    pub(crate) fn take(
        &mut self,
        what: &'static str,
        offset: usize,
        n: usize,
        end: usize,
    ) -> Option<&'a [u8]> {
        let available = self.frame.get(offset..end).unwrap_or(&[]);
        match take::<_, _, nom::error::Error<&[u8]>>(n).parse(available) {
            Ok((_, header)) => Some(header),
            Err(_) if self.scope.is_quoted() => None,
            Err(_) => {
                self.note(
                    NoteCode::Truncated,
                    offset,
                    available.len(),
                    [
                        Value::Text(what),
                        Value::UInt(n as u64),
                        Value::UInt(available.len() as u64),
                    ],
                );
                None
            }
        }
    }

    /// Whether this scope's packet is quoted by an ICMP error: cut short by design.
    pub(crate) fn quoted(&self) -> bool {
        self.scope.is_quoted()
    }

    /// Whether checksums are verified: not for a [`Dissection::layers_only`], which records no status.
    #[inline]
    pub(crate) fn verifies_checksums(&self) -> bool {
        self.out.verifies_checksums()
    }

    /// Whether the capture holds fewer bytes than were on the wire (cut by the snap length).
    pub(crate) fn snapped(&self) -> bool {
        self.out.caplen < self.out.len
    }

    /// Whether the packet being decoded goes on past the end of this frame: cut by the snap length, or carried
    /// by the first fragment of a datagram. Length fields may then say more than the frame holds.
    pub(crate) fn cut_short(&self) -> bool {
        self.snapped() || self.in_fragment
    }

    /// Runs `f` on the payload of a first fragment (see [`cut_short`](Self::cut_short)).
    pub(crate) fn in_first_fragment<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let saved = std::mem::replace(&mut self.in_fragment, true);
        let r = f(self);
        self.in_fragment = saved;
        r
    }

    /// Runs `f` in another scope (an encapsulated or quoted packet), then comes back.
    pub(crate) fn in_scope<R>(&mut self, scope: Scope, f: impl FnOnce(&mut Self) -> R) -> R {
        let (saved_scope, saved_layer, saved_level) = (self.scope, self.layer, self.level);
        self.scope = scope;
        let r = f(self);
        self.scope = saved_scope;
        self.layer = saved_layer;
        self.level = saved_level;
        r
    }
}

/// Reads a big-endian integer of 1 to 8 bytes.
#[inline]
pub(crate) fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

/// The bytes of a fixed-size field.
#[inline]
pub(crate) fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut a = [0; N];
    a.copy_from_slice(&bytes[..N]);
    a
}

/// What the network layer tells the transport layer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Net {
    pub src: IpBytes,
    pub dst: IpBytes,
    /// Length of the transport segment according to the network header (may exceed what was captured).
    pub len: usize,
    /// Whether the segment is whole: not a fragment. Checksums are verified only then (inside an ICMP error's
    /// quote too, when the quote holds every byte).
    pub whole: bool,
}

/// Records a partial checksum (offload on the sender) of a segment inside a tunnel, for the outer checksum of
/// the tunnel (see [`checksum::PendingFill`]), and notes it.
pub(crate) fn partial_checksum(
    cx: &mut Ctx<'_, '_>,
    what: &'static str,
    at: usize,
    field: u16,
    expected: u16,
) {
    if cx.quoted() {
        return;
    }
    cx.pending_fill.add(what, field, expected);
    cx.note(
        NoteCode::ChecksumPartial,
        at,
        2,
        [
            Value::Text(what),
            Value::UInt(u64::from(field)),
            Value::None,
        ],
    );
}

/// Raises the note for a wrong checksum: a flannel diagnosis inside VXLAN (inner) or on the outer UDP header
/// of a VXLAN packet, a plain checksum note elsewhere. A packet quoted by an ICMP error gets none: its status
/// field says it, but the packet is not the one on the wire (routers and NATs rewrite what they quote).
pub(crate) fn checksum_note(
    cx: &mut Ctx<'_, '_>,
    what: &'static str,
    at: usize,
    field: u16,
    expected: u16,
    vxlan_udp: bool,
) {
    if cx.quoted() {
        return;
    }
    let code = if cx.scope.total_depth() >= 1 {
        NoteCode::InnerChecksumBad
    } else if vxlan_udp {
        NoteCode::OuterChecksumBad
    } else {
        NoteCode::ChecksumBad
    };
    cx.note(
        code,
        at,
        2,
        [
            Value::Text(what),
            Value::UInt(u64::from(field)),
            Value::UInt(u64::from(expected)),
        ],
    );
}

/// Labels `[offset, end)` as undecoded data. Returns `end`.
pub(crate) fn data(cx: &mut Ctx<'_, '_>, offset: usize, end: usize) -> usize {
    if offset < end {
        let layer = cx.begin(FieldId::Data, offset);
        cx.bytes(FieldId::DataData, offset, end - offset);
        cx.end(layer, end);
    }
    end.max(offset)
}

/// Decodes the frame from its link-layer header on.
pub(crate) fn dissect_link<'d>(
    dissector: &'d Dissector,
    link: LinkType,
    frame: &[u8],
    out: &mut Dissection<'d>,
) {
    let mut cx = Ctx::new(dissector, frame, out);
    let end = frame.len();
    match link {
        LinkType::ETHERNET => {
            ethernet::ethernet(&mut cx, 0, end);
        }
        LinkType::LINUX_SLL => {
            linux::sll(&mut cx, 0, end);
        }
        LinkType::LINUX_SLL2 => {
            linux::sll2(&mut cx, 0, end);
        }
        LinkType::RAW | LinkType::RAW_OPENBSD | LinkType::RAW_BSDOS => {
            raw_ip(&mut cx, 0, end);
        }
        LinkType::IPV4 => {
            ipv4::ipv4(&mut cx, 0, end);
        }
        LinkType::IPV6 => {
            ipv6::ipv6(&mut cx, 0, end);
        }
        LinkType::NULL | LinkType::LOOP => {
            linux::null(&mut cx, 0, end, link == LinkType::LOOP);
        }
        other => {
            cx.note(
                NoteCode::LinkUnsupported,
                0,
                0,
                [Value::UInt(u64::from(other.0)), Value::None, Value::None],
            );
            data(&mut cx, 0, end);
        }
    }
}

/// Decodes a VXLAN header at the start of `payload` and what it carries.
pub(crate) fn dissect_vxlan_payload<'d>(
    dissector: &'d Dissector,
    payload: &[u8],
    out: &mut Dissection<'d>,
) {
    let mut cx = Ctx::new(dissector, payload, out);
    vxlan::vxlan(&mut cx, 0, payload.len(), None);
}

/// IPv4 or IPv6, told apart by the version nibble.
pub(crate) fn raw_ip(cx: &mut Ctx<'_, '_>, offset: usize, end: usize) -> usize {
    match cx
        .frame
        .get(offset)
        .map(|&b| FieldId::IpVersion.def().extract(u64::from(b)))
    {
        Some(6) => ipv6::ipv6(cx, offset, end),
        Some(4) => ipv4::ipv4(cx, offset, end),
        Some(v) => {
            cx.note(
                NoteCode::BadVersion,
                offset,
                1,
                [Value::UInt(v), Value::Text("4 or 6"), Value::None],
            );
            data(cx, offset, end)
        }
        None => end,
    }
}

/// Hands the payload of an Ethernet (or SLL, or VLAN) header to the protocol its EtherType names.
pub(crate) fn ethertype(
    cx: &mut Ctx<'_, '_>,
    ethertype: u16,
    offset: usize,
    end: usize,
    vlan_tags: u8,
) -> usize {
    match ethertype {
        0x0800 => ipv4::ipv4(cx, offset, end),
        0x86dd => ipv6::ipv6(cx, offset, end),
        // RARP has ARP's layout.
        0x0806 | 0x8035 => arp::arp(cx, offset, end),
        0x8100 | 0x88a8 | 0x9100 if vlan_tags < ethernet::MAX_VLAN_TAGS => {
            ethernet::vlan(cx, offset, end, vlan_tags + 1)
        }
        _ => data(cx, offset, end),
    }
}

/// Hands the payload of an IP header to the protocol `proto` names.
pub(crate) fn ip_payload(
    cx: &mut Ctx<'_, '_>,
    proto: u8,
    offset: usize,
    end: usize,
    net: Net,
) -> usize {
    match proto {
        17 => udp::udp(cx, offset, end, net),
        6 => tcp::tcp(cx, offset, end, net),
        1 if matches!(net.src, IpBytes::V4(_)) => icmp::icmp(cx, offset, end, net),
        58 => icmp::icmpv6(cx, offset, end, net),
        4 => ipv4::ipv4(cx, offset, end),
        41 => ipv6::ipv6(cx, offset, end),
        _ => data(cx, offset, end),
    }
}
