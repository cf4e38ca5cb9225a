//! Outer IPv4 fragments put back together for `strip`.
//!
//! When a node's underlay MTU is smaller than flannel.1's MTU plus the VXLAN overhead, the kernel sends each
//! large VXLAN datagram in IP fragments: only the first holds the UDP and VXLAN headers and the start of the
//! frame. [`Reassembly`] keeps the fragments of one datagram while they come one after another in the capture
//! (as Linux sends them, and as a capture at the NIC sees them), from the first (offset 0) to the last (no
//! more fragments), each starting where the one before ended; the datagram they make is handed back to the
//! rewrite in the place and with the time of the last fragment, which is when it exists whole. Anything else —
//! a fragment of another datagram or a packet in between, a gap, an overlap, a fragment the capture cut, the end
//! of the input — ends the keeping, and the fragments kept are given back to be written as they were, in their
//! order: no packet is lost or moved.
//!
//! The fragments are found from the dissection the rewrite made of each packet: its outer `ip.fragment` note
//! (byte offset, more fragments: `Note::fragment`) and the IPv4 layer that note belongs to, whose header is read at the offsets
//! of the dissector's layout (`layers::ipv4::field`). IPv6 fragments are left as they are.

use std::ops::Range;

use vxscope_capture::{OwnedPacket, Packet};
use vxscope_dissector::fields::{FieldId as F, Scope};
use vxscope_dissector::layers::ipv4::field as ip;
use vxscope_dissector::{Dissection, LinkType, checksum};

/// The largest IPv4 packet (its total length is 16 bits).
const MAX_DATAGRAM: usize = 65_535;
/// At most this many fragments are kept for one datagram (a datagram of 64 KiB at an MTU of 1280 has 52).
const MAX_FRAGMENTS: usize = 128;

/// Which datagram a fragment belongs to: RFC 791's source, destination, protocol and identification, on one
/// interface of the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Datagram {
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    section: u32,
    interface: u32,
    link_type: LinkType,
}

/// An outer IPv4 fragment captured whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OuterFragment {
    datagram: Datagram,
    /// Where its bytes go in the datagram's payload.
    offset: usize,
    /// More fragments follow.
    more: bool,
    /// The IPv4 header's offset in the frame, and the header's length.
    ip: usize,
    header_len: usize,
    /// The bytes of the frame it carries of the datagram's payload.
    payload: Range<usize>,
}

/// The outer IPv4 fragment `packet` is, from its dissection `d`; `None` for any other packet, and for a
/// fragment the capture cut (its bytes cannot be put back).
#[inline]
pub fn outer_fragment(d: &Dissection<'_>, packet: &Packet<'_>) -> Option<OuterFragment> {
    let (note, (offset, more)) = d
        .notes()
        .iter()
        .filter(|n| n.scope == Scope::OUTER)
        .find_map(|n| Some((n, n.fragment()?)))?;
    let layer = d.layers().iter().find(|l| {
        l.proto == F::Ip
            && l.scope == Scope::OUTER
            && l.offset as usize + ip::FLG_OFF.start == note.offset as usize
    })?;
    let at = layer.offset as usize;
    let header_len = layer.len as usize;
    let frame = packet.data;
    let header = frame.get(at..at + header_len.max(ip::HEADER_LEN))?;
    let word = |r: Range<usize>| u16::from_be_bytes([header[r.start], header[r.start + 1]]);
    let total_len = usize::from(word(ip::LENGTH));
    if header_len < ip::HEADER_LEN || total_len < header_len || at + total_len > frame.len() {
        return None;
    }
    let addr = |r: Range<usize>| -> [u8; 4] { header[r].try_into().expect("4 bytes") };
    Some(OuterFragment {
        datagram: Datagram {
            src: addr(ip::SRC),
            dst: addr(ip::DST),
            proto: header[ip::PROTOCOL.start],
            id: word(ip::IDENT),
            section: packet.section,
            interface: packet.interface,
            link_type: packet.link_type,
        },
        offset: offset as usize,
        more,
        ip: at,
        header_len,
        payload: at + header_len..at + total_len,
    })
}

/// What became of a packet offered to [`Reassembly::offer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// Kept: the datagram it belongs to is not whole yet.
    Kept,
    /// Kept, and it was the last fragment: [`Reassembly::datagram`] is the whole datagram.
    Whole,
    /// Not kept: it continues no datagram being put together and starts none.
    NotKept,
}

/// The fragments of the datagram being put together, and the datagram so far.
#[derive(Default)]
pub struct Reassembly {
    /// The datagram being put together, and where its next fragment's bytes go.
    current: Option<(Datagram, usize)>,
    /// Its fragments as read, in order; the first `kept` are in use (their buffers are reused).
    fragments: Vec<OwnedPacket>,
    kept: usize,
    /// The first fragment's frame up to the end of its IPv4 header, then the payload of every fragment; once
    /// whole, with the metadata of the last fragment.
    whole: OwnedPacket,
    /// Where the IPv4 header is in `whole`, and its length.
    header: (usize, usize),
}

impl Reassembly {
    /// Whether fragments are kept (to be written by [`kept`](Self::kept) if they make no datagram).
    pub fn is_keeping(&self) -> bool {
        self.kept > 0
    }

    /// Whether `fragment` is the next one of the datagram being put together.
    pub fn continues(&self, fragment: Option<&OuterFragment>) -> bool {
        match (&self.current, fragment) {
            (Some((datagram, next)), Some(f)) => {
                f.datagram == *datagram
                    && f.offset == *next
                    && self.kept < MAX_FRAGMENTS
                    && self.header.1 + f.offset + f.payload.len() <= MAX_DATAGRAM
            }
            _ => false,
        }
    }

    /// Keeps `packet` if it is the next fragment of the datagram being put together, or the first fragment of
    /// one when none is. The caller gives back what was kept ([`kept`](Self::kept), [`clear`](Self::clear))
    /// before offering a packet that does not [`continue`](Self::continues) it.
    pub fn offer(&mut self, packet: &Packet<'_>, fragment: Option<OuterFragment>) -> Offer {
        let Some(f) = fragment else {
            return Offer::NotKept;
        };
        if self.current.is_some() {
            if !self.continues(Some(&f)) {
                return Offer::NotKept;
            }
        } else if f.offset != 0 || !f.more {
            return Offer::NotKept;
        } else {
            self.whole.data.clear();
            self.whole
                .data
                .extend_from_slice(&packet.data[..f.ip + f.header_len]);
            self.header = (f.ip, f.header_len);
        }
        self.whole
            .data
            .extend_from_slice(&packet.data[f.payload.clone()]);
        if self.fragments.len() == self.kept {
            self.fragments.push(OwnedPacket::default());
        }
        packet.copy_into(&mut self.fragments[self.kept]);
        self.kept += 1;
        if f.more {
            self.current = Some((f.datagram, f.offset + f.payload.len()));
            return Offer::Kept;
        }
        self.current = None;
        self.finish(packet);
        Offer::Whole
    }

    /// Makes `whole` the datagram as one packet: the last fragment's time and place, the IPv4 header of the
    /// first with its total length, no fragment offset and no more-fragments flag, and its checksum.
    fn finish(&mut self, last: &Packet<'_>) {
        let mut data = std::mem::take(&mut self.whole.data);
        last.copy_into(&mut self.whole);
        let (at, header_len) = self.header;
        let total = (data.len() - at) as u16;
        data[at + ip::LENGTH.start..at + ip::LENGTH.end].copy_from_slice(&total.to_be_bytes());
        // The reserved and don't-fragment bits stay; the more-fragments bit and the offset go.
        data[at + ip::FLG_OFF.start] &= 0xc0;
        data[at + ip::FLG_OFF.start + 1] = 0;
        data[at + ip::CHECKSUM.start..at + ip::CHECKSUM.end].fill(0);
        let sum = checksum::checksum(&data[at..at + header_len]);
        data[at + ip::CHECKSUM.start..at + ip::CHECKSUM.end].copy_from_slice(&sum.to_be_bytes());
        self.whole.orig_len = data.len() as u32;
        self.whole.data = data;
    }

    /// The datagram made whole by the last [`Offer::Whole`].
    pub fn datagram(&self) -> Packet<'_> {
        self.whole.packet()
    }

    /// The fragments kept, in the order read.
    pub fn kept(&self) -> impl Iterator<Item = Packet<'_>> {
        self.fragments[..self.kept].iter().map(OwnedPacket::packet)
    }

    /// How many fragments are kept.
    pub fn kept_count(&self) -> usize {
        self.kept
    }

    /// Forgets the fragments kept and the datagram.
    pub fn clear(&mut self) {
        self.current = None;
        self.kept = 0;
    }
}
