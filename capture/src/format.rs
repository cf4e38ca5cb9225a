//! The on-disk layouts of pcap and pcapng, named once, with their nom parsers. The writer emits through the
//! same constants.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::take;
use nom::number::Endianness;
use nom::number::complete::{i64 as nom_i64, u16 as nom_u16, u32 as nom_u32};

pub const PCAP_MAGIC_MICROS: u32 = 0xa1b2_c3d4;
pub const PCAP_MAGIC_NANOS: u32 = 0xa1b2_3c4d;
pub const PCAP_HEADER_LEN: usize = 24;
pub const PCAP_RECORD_LEN: usize = 16;
pub const PCAP_VERSION: (u16, u16) = (2, 4);

pub const BLOCK_SHB: u32 = 0x0a0d_0d0a;
pub const BLOCK_IDB: u32 = 0x0000_0001;
pub const BLOCK_PB: u32 = 0x0000_0002;
pub const BLOCK_SPB: u32 = 0x0000_0003;
pub const BLOCK_EPB: u32 = 0x0000_0006;
pub const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
/// Block type and total length.
pub const BLOCK_HEADER_LEN: usize = 8;
/// The total length repeated at the end.
pub const BLOCK_TRAILER_LEN: usize = 4;
/// Byte-order magic, major and minor version, section length.
pub const SHB_BODY_LEN: usize = 16;
/// Link type, reserved, snap length.
pub const IDB_BODY_LEN: usize = 8;
/// Interface, timestamp (high, low), captured and original length.
pub const EPB_BODY_LEN: usize = 20;
/// Interface (16 bits), drops (16 bits), timestamp (high, low), captured and original length.
pub const PB_BODY_LEN: usize = 20;
/// Original length.
pub const SPB_BODY_LEN: usize = 4;

pub const OPT_END: u16 = 0;
pub const OPT_COMMENT: u16 = 1;
pub const SHB_USERAPPL: u16 = 4;
pub const IF_NAME: u16 = 2;
pub const IF_TSRESOL: u16 = 9;
pub const IF_FCSLEN: u16 = 13;
pub const IF_TSOFFSET: u16 = 14;

/// Rounds up to a multiple of 4 (pcapng pads data and options to 32 bits).
pub const fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// The pcap file header.
#[derive(Debug, Clone, Copy)]
pub struct PcapHeader {
    pub endian: Endianness,
    pub nanos: bool,
    pub major: u16,
    pub minor: u16,
    pub snaplen: u32,
    /// Link type in the low 16 bits; FCS information in the high bits.
    pub linktype: u32,
}

/// Parses a pcap file header whose magic has already been recognised as one of the two pcap magics.
pub fn pcap_header(input: &[u8]) -> IResult<&[u8], PcapHeader> {
    let (_, magic_le) = nom_u32(Endianness::Little).parse(input)?;
    let (endian, nanos) = match magic_le {
        PCAP_MAGIC_MICROS => (Endianness::Little, false),
        PCAP_MAGIC_NANOS => (Endianness::Little, true),
        m if m.swap_bytes() == PCAP_MAGIC_MICROS => (Endianness::Big, false),
        _ => (Endianness::Big, true),
    };
    let (input, (_magic, major, minor, _zone, _sigfigs, snaplen, linktype)) = (
        nom_u32(endian),
        nom_u16(endian),
        nom_u16(endian),
        nom_u32(endian),
        nom_u32(endian),
        nom_u32(endian),
        nom_u32(endian),
    )
        .parse(input)?;
    Ok((
        input,
        PcapHeader {
            endian,
            nanos,
            major,
            minor,
            snaplen,
            linktype,
        },
    ))
}

/// A pcap record header.
#[derive(Debug, Clone, Copy)]
pub struct RecordHeader {
    pub ts_sec: u32,
    pub ts_frac: u32,
    pub caplen: u32,
    pub orig_len: u32,
}

pub fn record_header(input: &[u8], endian: Endianness) -> IResult<&[u8], RecordHeader> {
    let (input, (ts_sec, ts_frac, caplen, orig_len)) = (
        nom_u32(endian),
        nom_u32(endian),
        nom_u32(endian),
        nom_u32(endian),
    )
        .parse(input)?;
    Ok((
        input,
        RecordHeader {
            ts_sec,
            ts_frac,
            caplen,
            orig_len,
        },
    ))
}

/// A pcapng block's type and total length.
pub fn block_header(input: &[u8], endian: Endianness) -> IResult<&[u8], (u32, u32)> {
    (nom_u32(endian), nom_u32(endian)).parse(input)
}

/// The fixed part of a section header block after type and length.
pub fn shb_body(input: &[u8], endian: Endianness) -> IResult<&[u8], (u32, u16, u16, i64)> {
    (
        nom_u32(endian),
        nom_u16(endian),
        nom_u16(endian),
        nom_i64(endian),
    )
        .parse(input)
}

/// The fixed part of an interface description block: link type, reserved, snap length.
pub fn idb_body(input: &[u8], endian: Endianness) -> IResult<&[u8], (u16, u16, u32)> {
    (nom_u16(endian), nom_u16(endian), nom_u32(endian)).parse(input)
}

/// The fixed part of an enhanced packet block: interface, timestamp high and low, captured, original length.
pub fn epb_body(input: &[u8], endian: Endianness) -> IResult<&[u8], (u32, u32, u32, u32, u32)> {
    (
        nom_u32(endian),
        nom_u32(endian),
        nom_u32(endian),
        nom_u32(endian),
        nom_u32(endian),
    )
        .parse(input)
}

/// Interface, drops, timestamp high and low, captured and original length of an obsolete packet block.
pub type PbFixed = (u16, u16, u32, u32, u32, u32);

/// The fixed part of an obsolete packet block.
pub fn pb_body(input: &[u8], endian: Endianness) -> IResult<&[u8], PbFixed> {
    (
        nom_u16(endian),
        nom_u16(endian),
        nom_u32(endian),
        nom_u32(endian),
        nom_u32(endian),
        nom_u32(endian),
    )
        .parse(input)
}

/// One option: code, value (without padding). Returns the rest after the padding.
pub fn option(input: &[u8], endian: Endianness) -> IResult<&[u8], (u16, &[u8])> {
    let (input, (code, len)) = (nom_u16(endian), nom_u16(endian)).parse(input)?;
    let (input, value) = take(usize::from(len)).parse(input)?;
    let pad = pad4(usize::from(len)) - usize::from(len);
    let (input, _) = take(pad.min(input.len())).parse(input)?;
    Ok((input, (code, value)))
}

/// Iterates over the options of a block until the end-of-options marker, the end of the bytes, or a
/// malformed option.
pub struct Options<'a> {
    rest: &'a [u8],
    endian: Endianness,
}

impl<'a> Options<'a> {
    pub fn new(bytes: &'a [u8], endian: Endianness) -> Self {
        Options {
            rest: bytes,
            endian,
        }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (rest, (code, value)) = option(self.rest, self.endian).ok()?;
        if code == OPT_END {
            self.rest = &[];
            return None;
        }
        self.rest = rest;
        Some((code, value))
    }
}

/// Reads an unsigned integer option value of 1, 2, 4 or 8 bytes.
pub fn option_uint(value: &[u8], endian: Endianness) -> Option<u64> {
    Some(match value.len() {
        1 => u64::from(value[0]),
        2 => u64::from(
            nom_u16::<_, nom::error::Error<&[u8]>>(endian)
                .parse(value)
                .ok()?
                .1,
        ),
        4 => u64::from(
            nom_u32::<_, nom::error::Error<&[u8]>>(endian)
                .parse(value)
                .ok()?
                .1,
        ),
        8 => {
            nom_i64::<_, nom::error::Error<&[u8]>>(endian)
                .parse(value)
                .ok()?
                .1 as u64
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_stop_at_end_marker_and_skip_padding() {
        // comment "abc" (padded to 4), flags 0x1 (4 bytes), end.
        let bytes = [
            1, 0, 3, 0, b'a', b'b', b'c', 0, 2, 0, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 9,
        ];
        let opts: Vec<_> = Options::new(&bytes, Endianness::Little).collect();
        assert_eq!(opts, vec![(1, &b"abc"[..]), (2, &[1, 0, 0, 0][..])]);
        assert_eq!(option_uint(&[1, 0, 0, 0], Endianness::Little), Some(1));
        assert_eq!(option_uint(&[0, 0, 0, 1], Endianness::Big), Some(1));
        assert_eq!(pad4(5), 8);
    }

    #[test]
    fn both_pcap_byte_orders() {
        let le = [
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0,
        ];
        let (_, h) = pcap_header(&le).unwrap();
        assert!(
            !h.nanos && h.endian == Endianness::Little && h.snaplen == 0x40000 && h.linktype == 1
        );
        let be = [
            0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 113,
        ];
        let (_, h) = pcap_header(&be).unwrap();
        assert!(
            h.nanos
                && h.endian == Endianness::Big
                && h.linktype == 113
                && (h.major, h.minor) == (2, 4)
        );
    }
}
