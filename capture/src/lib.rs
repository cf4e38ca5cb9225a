//! Capture files: pcap (microsecond and nanosecond, either byte order) and pcapng (several sections and
//! interfaces, each with its link type and timestamp resolution), read as a stream.
//!
//! A file, pipe or standard input is read through one buffer the size of the largest record met (a file up to
//! the length it had when opened; a file cut short meanwhile is a clear error, never a signal); a file sealed
//! against change (a memfd) through a memory map whose pages are given back every few MiB behind the reading.
//! Either way memory does not grow with the file, and each packet the reader returns borrows its bytes. Damage stops the stream with a
//! [`CaptureError`] that says which frame and which byte offset; every packet before it has been returned.

mod compressed;
mod format;
mod read;
mod write;

pub use compressed::{Compression, MAX_ZSTD_WINDOW};
pub use read::{CaptureReader, OwnedPacket, Packet};
pub use write::{CaptureWriter, OutputFormat};

use vxscope_dissector::LinkType;

/// Largest captured length accepted for one packet (tcpdump's default snap length). A larger value in a
/// record header means the header is damaged.
pub const MAX_CAPLEN: u32 = 262_144;

/// Largest pcapng block holding a packet or a header (a packet of [`MAX_CAPLEN`] bytes plus generous room
/// for options). Other blocks are skipped whatever their size.
pub const MAX_BLOCK_LEN: u32 = 2 * 1024 * 1024;

/// A packet's capture time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Timestamp {
    pub sec: i64,
    /// 0 to 999 999 999.
    pub nsec: u32,
}

/// The container format of a capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Pcap {
        /// Timestamps in nanoseconds (magic 0xa1b23c4d) rather than microseconds.
        nanos: bool,
    },
    PcapNg,
}

/// Timestamp resolution of an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsResolution {
    /// Units of 10^-n seconds.
    Decimal(u8),
    /// Units of 2^-n seconds.
    Binary(u8),
}

impl TsResolution {
    pub const MICROS: TsResolution = TsResolution::Decimal(6);
    pub const NANOS: TsResolution = TsResolution::Decimal(9);

    /// Converts a count of units (plus an offset in seconds) to a timestamp.
    pub fn to_timestamp(self, units: u64, offset_sec: i64) -> Timestamp {
        let (sec, nsec) = match self {
            // The usual resolutions, with divisors the compiler turns into multiplications.
            TsResolution::MICROS => (units / 1_000_000, units % 1_000_000 * 1_000),
            TsResolution::NANOS => (units / 1_000_000_000, units % 1_000_000_000),
            TsResolution::Decimal(n) => {
                let n = u32::from(n.min(19));
                let div = 10u64.pow(n);
                let frac = units % div;
                let nsec = if n <= 9 {
                    frac * 10u64.pow(9 - n)
                } else {
                    frac / 10u64.pow(n - 9)
                };
                (units / div, nsec)
            }
            TsResolution::Binary(n) => {
                let n = u32::from(n.min(63));
                let frac = units & ((1u64 << n) - 1);
                (units >> n, ((u128::from(frac) * 1_000_000_000) >> n) as u64)
            }
        };
        Timestamp {
            sec: (sec as i64).saturating_add(offset_sec),
            nsec: nsec as u32,
        }
    }

    /// Digits after the decimal point worth printing: 9 when finer than a microsecond, else 6.
    pub fn digits(self) -> u8 {
        match self {
            TsResolution::Decimal(n) if n <= 6 => 6,
            TsResolution::Binary(n) if n <= 20 => 6,
            _ => 9,
        }
    }
}

/// One capture interface: every pcap file has one, pcapng sections have one per interface description block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub link_type: LinkType,
    pub snaplen: u32,
    pub ts_resolution: TsResolution,
    /// Seconds added to every timestamp (pcapng `if_tsoffset`).
    pub ts_offset: i64,
    /// Bytes of frame check sequence at the end of each frame, when the capture says.
    pub fcs_len: Option<u8>,
    pub name: Option<String>,
}

/// What went wrong, without where.
#[derive(Debug)]
pub enum ErrorKind {
    Empty,
    NotACapture {
        magic: [u8; 4],
    },
    TruncatedHeader {
        what: &'static str,
        need: u64,
        have: u64,
    },
    TruncatedRecord {
        need: u64,
        have: u64,
    },
    CaplenTooLarge {
        caplen: u32,
    },
    BadBlockLength {
        block_type: u32,
        len: u32,
    },
    BlockTooLarge {
        block_type: u32,
        len: u32,
    },
    BlockTrailerMismatch {
        head: u32,
        tail: u32,
    },
    BlockTooShort {
        block_type: u32,
        len: u32,
        need: u32,
    },
    BadByteOrderMagic {
        magic: u32,
    },
    UnsupportedVersion {
        major: u16,
        minor: u16,
    },
    NoInterface {
        id: u32,
        count: usize,
    },
    FirstBlockNotSectionHeader {
        block_type: u32,
    },
    /// The file ended before the length it had when it was opened: another process cut it short while it was
    /// read.
    Shrank {
        length_at_open: u64,
        /// Where reading ended: the new end of the file, or (when it was cut behind the reader) what had
        /// been read.
        ended_at: u64,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorKind::Empty => write!(f, "empty file: not a pcap or pcapng capture"),
            ErrorKind::NotACapture { magic } => write!(
                f,
                "not a pcap or pcapng capture: it starts with {:02x} {:02x} {:02x} {:02x}",
                magic[0], magic[1], magic[2], magic[3]
            ),
            ErrorKind::TruncatedHeader { what, need, have } => {
                write!(
                    f,
                    "{what} cut short: {need} bytes needed, {have} left in the file"
                )
            }
            ErrorKind::TruncatedRecord { need, have } => {
                write!(
                    f,
                    "record cut short: its header announces {need} bytes, only {have} are left in the file"
                )
            }
            ErrorKind::CaplenTooLarge { caplen } => write!(
                f,
                "captured length {caplen} is over the {MAX_CAPLEN}-byte limit: the record header is damaged"
            ),
            ErrorKind::BadBlockLength { block_type, len } => write!(
                f,
                "pcapng block of type {block_type:#x} has invalid length {len} (at least 12, a multiple of 4)"
            ),
            ErrorKind::BlockTooLarge { block_type, len } => write!(
                f,
                "pcapng block of type {block_type:#x} is {len} bytes, over the {MAX_BLOCK_LEN}-byte limit: its length is damaged"
            ),
            ErrorKind::BlockTrailerMismatch { head, tail } => {
                write!(
                    f,
                    "pcapng block length {head} at its start does not match {tail} at its end"
                )
            }
            ErrorKind::BlockTooShort {
                block_type,
                len,
                need,
            } => write!(
                f,
                "pcapng block of type {block_type:#x} is {len} bytes, too short for its {need}-byte body"
            ),
            ErrorKind::BadByteOrderMagic { magic } => {
                write!(
                    f,
                    "pcapng section header has byte-order magic {magic:#010x}, not 0x1a2b3c4d"
                )
            }
            ErrorKind::UnsupportedVersion { major, minor } => {
                write!(f, "unsupported format version {major}.{minor}")
            }
            ErrorKind::NoInterface { id, count } => {
                write!(
                    f,
                    "packet names interface {id}, but the section describes {count} interface(s)"
                )
            }
            ErrorKind::FirstBlockNotSectionHeader { block_type } => {
                write!(
                    f,
                    "pcapng file starts with block type {block_type:#x}, not a section header"
                )
            }
            ErrorKind::Shrank {
                length_at_open,
                ended_at,
            } => write!(
                f,
                "the file was cut short while it was read: it was {length_at_open} bytes when opened, only {ended_at} could be read"
            ),
            ErrorKind::Io(e) => write!(f, "read error: {e}"),
        }
    }
}

/// A damaged or unreadable capture: what, in which frame (0 for the file header), at which byte offset.
#[derive(Debug)]
pub struct CaptureError {
    pub kind: ErrorKind,
    /// 1-based number of the frame being read, or 0 when the damage is in a file or section header.
    pub frame: u64,
    /// Byte offset of the damaged record or block from the start of the file.
    pub offset: u64,
}

impl std::fmt::Display for CaptureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.frame == 0 {
            write!(
                f,
                "file header, before frame 1, byte offset {}: {}",
                self.offset, self.kind
            )
        } else {
            write!(
                f,
                "frame {}, byte offset {}: {}",
                self.frame, self.offset, self.kind
            )
        }
    }
}

impl std::error::Error for CaptureError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_resolutions() {
        assert_eq!(
            TsResolution::MICROS.to_timestamp(1_700_000_000_000_019, 0),
            Timestamp {
                sec: 1_700_000_000,
                nsec: 19_000
            }
        );
        assert_eq!(
            TsResolution::NANOS.to_timestamp(1_700_000_000_000_000_019, 0),
            Timestamp {
                sec: 1_700_000_000,
                nsec: 19
            }
        );
        assert_eq!(
            TsResolution::Decimal(3).to_timestamp(1500, 10),
            Timestamp {
                sec: 11,
                nsec: 500_000_000
            }
        );
        assert_eq!(
            TsResolution::Binary(10).to_timestamp(1024 + 512, 0),
            Timestamp {
                sec: 1,
                nsec: 500_000_000
            }
        );
        assert_eq!(
            TsResolution::Decimal(12).to_timestamp(1_000_000_000_123_456, 0),
            Timestamp {
                sec: 1000,
                nsec: 123
            }
        );
        assert_eq!(TsResolution::MICROS.digits(), 6);
        assert_eq!(TsResolution::NANOS.digits(), 9);
    }
}
