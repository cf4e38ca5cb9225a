//! The streaming reader.

use std::io::Read;

use nom::number::Endianness;
use vxscope_dissector::LinkType;

use super::compressed::Compression;
use super::format::{self as fmt, Options};
use super::{
    CaptureError, ErrorKind, FileFormat, Interface, MAX_BLOCK_LEN, MAX_CAPLEN, Timestamp,
    TsResolution,
};

/// Bytes read from the source at a time (and the buffer's starting size).
const CHUNK: usize = 256 * 1024;

/// One packet of a capture, borrowing the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// 1-based number of the packet in its file.
    pub number: u64,
    /// Byte offset of the packet's record (or block) from the start of the file.
    pub offset: u64,
    /// Index of the packet's pcapng section in the file (0 for the first, and for pcap). Interface indices
    /// restart with each section.
    pub section: u32,
    /// Index of the packet's interface in [`CaptureReader::interfaces`] (within its section).
    pub interface: u32,
    /// The description of that interface.
    pub iface: &'a Interface,
    pub link_type: LinkType,
    pub ts: Timestamp,
    /// Digits after the decimal point worth printing for this packet's timestamp (6 or 9).
    pub ts_digits: u8,
    /// Length on the wire (never less than the captured length).
    pub orig_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// The raw options of a pcapng packet block (empty for pcap).
    pub options: &'a [u8],
    endian: Endianness,
}

impl<'a> Packet<'a> {
    /// The packet's comments (pcapng `opt_comment`), as UTF-8 bytes.
    pub fn comments(&self) -> impl Iterator<Item = &'a [u8]> {
        Options::new(self.options, self.endian)
            .filter(|(code, _)| *code == fmt::OPT_COMMENT)
            .map(|(_, v)| v)
    }

    /// A copy of the packet that outlives the reader's next read (its buffers reused: `into` is cleared
    /// first).
    pub fn copy_into(&self, into: &mut OwnedPacket) {
        into.number = self.number;
        into.offset = self.offset;
        into.section = self.section;
        into.interface = self.interface;
        into.iface.clone_from(self.iface);
        into.link_type = self.link_type;
        into.ts = self.ts;
        into.ts_digits = self.ts_digits;
        into.orig_len = self.orig_len;
        into.data.clear();
        into.data.extend_from_slice(self.data);
        into.options.clear();
        into.options.extend_from_slice(self.options);
        into.endian = self.endian;
    }
}

/// A [`Packet`] with bytes of its own, kept while later packets are read.
#[derive(Clone, Debug)]
pub struct OwnedPacket {
    pub number: u64,
    pub offset: u64,
    pub section: u32,
    pub interface: u32,
    pub iface: Interface,
    pub link_type: LinkType,
    pub ts: Timestamp,
    pub ts_digits: u8,
    /// Length on the wire (never less than the captured length).
    pub orig_len: u32,
    /// The captured bytes.
    pub data: Vec<u8>,
    options: Vec<u8>,
    endian: Endianness,
}

impl Default for OwnedPacket {
    fn default() -> Self {
        OwnedPacket {
            number: 0,
            offset: 0,
            section: 0,
            interface: 0,
            iface: Interface {
                link_type: LinkType::ETHERNET,
                snaplen: 0,
                ts_resolution: TsResolution::MICROS,
                ts_offset: 0,
                fcs_len: None,
                name: None,
            },
            link_type: LinkType::ETHERNET,
            ts: Timestamp::default(),
            ts_digits: 6,
            orig_len: 0,
            data: Vec::new(),
            options: Vec::new(),
            endian: Endianness::Little,
        }
    }
}

impl OwnedPacket {
    /// The packet as the reader gave it.
    pub fn packet(&self) -> Packet<'_> {
        Packet {
            number: self.number,
            offset: self.offset,
            section: self.section,
            interface: self.interface,
            iface: &self.iface,
            link_type: self.link_type,
            ts: self.ts,
            ts_digits: self.ts_digits,
            orig_len: self.orig_len.max(self.data.len() as u32),
            data: &self.data,
            options: &self.options,
            endian: self.endian,
        }
    }
}

/// Where the reader's bytes are.
enum Store {
    /// Read from the source, chunk by chunk, into a buffer the size of the largest record.
    Buffer(Vec<u8>),
    /// The whole file, mapped into memory: no copy. The pages read are given back to the kernel every
    /// [`RELEASE`] bytes, so that resident memory does not grow with the file.
    Mapped { map: memmap2::Mmap, released: usize },
}

/// Bytes of a mapped file read between two releases of its pages.
const RELEASE: usize = 4 * 1024 * 1024;

impl Store {
    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            Store::Buffer(b) => b,
            Store::Mapped { map, .. } => map,
        }
    }
}

/// Reads packets from a pcap or pcapng stream.
pub struct CaptureReader<R> {
    src: R,
    store: Store,
    /// Start of unread bytes in the store.
    pos: usize,
    /// End of the bytes read into the store.
    filled: usize,
    /// File offset of the store's first byte.
    base: u64,
    eof: bool,
    /// The length of the file when it was opened: the bytes read, and what the file must still hold.
    length_at_open: Option<u64>,
    format: FileFormat,
    endian: Endianness,
    interfaces: Vec<Interface>,
    /// Section headers met so far.
    sections: u32,
    frames: u64,
    done: bool,
    /// The file's compression, when its bytes are decompressed as read.
    compression: Option<Compression>,
}

impl<'a> CaptureReader<Box<dyn Read + Send + 'a>> {
    /// Reads a capture from a stream (standard input, a pipe): as [`new`](Self::new), but a stream compressed
    /// with gzip or Zstandard (known by its first bytes) is decompressed as it is read, as
    /// [`from_file`](Self::from_file) does for a file.
    pub fn from_stream(mut src: impl Read + Send + 'a) -> Result<Self, CaptureError> {
        let mut start = [0u8; 4];
        let mut have = 0;
        while have < start.len() {
            match src.read(&mut start[have..]) {
                Ok(0) => break,
                Ok(n) => have += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(CaptureError {
                        kind: ErrorKind::Io(e),
                        frame: 0,
                        offset: 0,
                    });
                }
            }
        }
        let whole = std::io::Cursor::new(start).take(have as u64).chain(src);
        match Compression::sniff(&start[..have]) {
            Some(compression) => {
                let mut reader = Self::new(compression.decoder(whole))?;
                reader.compression = Some(compression);
                Ok(reader)
            }
            None => Self::new(Box::new(whole)),
        }
    }

    /// Reads a capture file: its bytes up to the length it had when opened (what another process appends
    /// later is not read). A regular file is read into the reader's buffer, never through a memory map: a map
    /// of a file that another process cuts short faults when a page past the new end is touched, and nothing
    /// can rule that out for a file whose length may change. A file that ends before that length (cut short
    /// while read) is a [`ErrorKind::Shrank`] error at the frame where it ended, every frame before it read.
    /// Only a file sealed against shrinking and writing (a memfd with `F_SEAL_SHRINK` and `F_SEAL_WRITE`:
    /// the kernel refuses to change it) is mapped, with no copy. Reads the file header like
    /// [`new`](Self::new).
    ///
    /// A file compressed with gzip or Zstandard (known by its first bytes, whatever its name) is decompressed
    /// as it is read; the byte offsets of its errors then count decompressed bytes, and
    /// [`compression`](Self::compression) says so.
    pub fn from_file(file: std::fs::File) -> Result<Self, CaptureError> {
        let meta = file.metadata().ok();
        let len = meta.as_ref().filter(|m| m.is_file()).map(|m| m.len());
        if let Some(len) = len {
            let mut start = [0u8; 4];
            let have = std::os::unix::fs::FileExt::read_at(&file, &mut start, 0).unwrap_or(0);
            if Compression::sniff(&start[..have]).is_some() {
                // From the start (where the magic number was read, and where a map would begin), as a stream
                // is read: the decompressor meets the same bytes in the same reads, so it fails, if it does,
                // with the same error.
                let mut file = file;
                std::io::Seek::rewind(&mut file).map_err(|e| CaptureError {
                    kind: ErrorKind::Io(e),
                    frame: 0,
                    offset: 0,
                })?;
                return Self::from_stream(file.take(len));
            }
        }
        let map = match len {
            Some(len) if len > 0 && sealed(&file) => {
                // SAFETY: the file's seals forbid shrinking it and writing to it, for every process, for as
                // long as it exists: the mapped bytes cannot change and no page of the map can go away.
                unsafe { memmap2::Mmap::map(&file) }.ok()
            }
            _ => None,
        };
        match map {
            Some(map) => {
                let _ = map.advise(memmap2::Advice::Sequential);
                let len = map.len();
                Self::with_store(
                    Box::new(file),
                    Store::Mapped { map, released: 0 },
                    len,
                    true,
                    None,
                )
            }
            None => match len {
                Some(len) => Self::with_store(
                    Box::new(file.take(len)),
                    Store::Buffer(vec![0; CHUNK]),
                    0,
                    false,
                    Some(len),
                ),
                None => Self::from_stream(file),
            },
        }
    }
}

/// Whether the file is sealed against shrinking and writing (`fcntl(F_GET_SEALS)`; only memfds can be).
fn sealed(file: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: F_GET_SEALS reads the seals of an open descriptor; it fails (EINVAL) on files without seals.
    let seals = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GET_SEALS) };
    seals >= 0
        && seals & (libc::F_SEAL_SHRINK | libc::F_SEAL_WRITE)
            == libc::F_SEAL_SHRINK | libc::F_SEAL_WRITE
}

impl<R: Read> CaptureReader<R> {
    /// Reads the file header (and, for pcapng, the first section header).
    pub fn new(src: R) -> Result<Self, CaptureError> {
        Self::with_store(src, Store::Buffer(vec![0; CHUNK]), 0, false, None)
    }

    fn with_store(
        src: R,
        store: Store,
        filled: usize,
        eof: bool,
        length_at_open: Option<u64>,
    ) -> Result<Self, CaptureError> {
        let mut r = CaptureReader {
            src,
            store,
            pos: 0,
            filled,
            base: 0,
            eof,
            length_at_open,
            format: FileFormat::PcapNg,
            endian: Endianness::Little,
            interfaces: Vec::new(),
            sections: 0,
            frames: 0,
            done: false,
            compression: None,
        };
        let at = |kind| CaptureError {
            kind,
            frame: 0,
            offset: 0,
        };
        r.fill(4).map_err(at)?;
        let have = r.available();
        if have == 0 {
            return Err(at(ErrorKind::Empty));
        }
        let mut magic = [0u8; 4];
        magic[..have.min(4)].copy_from_slice(&r.store.bytes()[..have.min(4)]);
        let m = u32::from_le_bytes(magic);
        let pcap = [fmt::PCAP_MAGIC_MICROS, fmt::PCAP_MAGIC_NANOS];
        if have >= 4 && (pcap.contains(&m) || pcap.contains(&m.swap_bytes())) {
            r.pcap_header()?;
        } else if have >= 4 && m == fmt::BLOCK_SHB {
            r.format = FileFormat::PcapNg;
        } else {
            return Err(at(ErrorKind::NotACapture { magic }));
        }
        Ok(r)
    }

    /// How the file was compressed (its offsets then count decompressed bytes), if it was.
    /// The length of the regular file read (as it was when opened), or `None` for a stream, a sealed memfd
    /// read through a map, or a compressed file.
    pub fn length_at_open(&self) -> Option<u64> {
        self.length_at_open
    }

    pub fn compression(&self) -> Option<Compression> {
        self.compression
    }

    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// The interfaces described so far (for pcapng, those of the current section).
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// The next packet, `None` at the end of the stream, or the damage that stops it.
    #[allow(clippy::should_implement_trait)]
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let result = match self.format {
            FileFormat::Pcap { nanos } => self.next_pcap(nanos),
            FileFormat::PcapNg => self.next_pcapng(),
        };
        match result {
            Ok(Some((start, len, meta))) => {
                self.release_read_pages();
                let bytes = self.store.bytes();
                let data = &bytes[start..start + len];
                let options = &bytes[meta.options.0..meta.options.1];
                let iface = &self.interfaces[meta.interface as usize];
                Ok(Some(Packet {
                    number: self.frames,
                    offset: meta.offset,
                    section: self.sections.saturating_sub(1),
                    interface: meta.interface,
                    iface,
                    link_type: meta.link_type,
                    ts: meta.ts,
                    ts_digits: meta.ts_digits,
                    orig_len: meta.orig_len.max(len as u32),
                    data,
                    options,
                    endian: self.endian,
                }))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// Gives the pages of a mapped file that were read back to the kernel, every [`RELEASE`] bytes (they stay
    /// in the page cache; only this process's resident set shrinks).
    fn release_read_pages(&mut self) {
        const PAGE: usize = 4096;
        if let Store::Mapped { map, released } = &mut self.store {
            let upto = (self
                .pos
                .saturating_sub(fmt::BLOCK_HEADER_LEN + MAX_BLOCK_LEN as usize))
                & !(PAGE - 1);
            if upto >= *released + RELEASE {
                // SAFETY: the bytes before `upto` are behind every packet still to be returned (a packet is at
                // most MAX_BLOCK_LEN bytes before `pos`), and the map is read-only: a later access would read
                // the file's pages again.
                let _ = unsafe {
                    map.unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        *released,
                        upto - *released,
                    )
                };
                *released = upto;
            }
        }
    }

    fn available(&self) -> usize {
        self.filled - self.pos
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn error(&self, kind: ErrorKind, offset: u64) -> CaptureError {
        CaptureError {
            kind,
            frame: self.frames + 1,
            offset,
        }
    }

    /// Makes at least `need` unread bytes available, unless the stream ends first; a file that ends before the
    /// length it had when opened is [`ErrorKind::Shrank`].
    fn fill(&mut self, need: usize) -> Result<(), ErrorKind> {
        if self.available() >= need || self.eof {
            return Ok(());
        }
        let Store::Buffer(buf) = &mut self.store else {
            // A mapped file is all there from the start.
            return Ok(());
        };
        if self.pos > 0 {
            buf.copy_within(self.pos..self.filled, 0);
            self.base += self.pos as u64;
            self.filled -= self.pos;
            self.pos = 0;
        }
        if buf.len() < need {
            buf.resize(need.next_multiple_of(CHUNK), 0);
        }
        while self.filled < need {
            match self.src.read(&mut buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    let ended_at = self.base + self.filled as u64;
                    match self.length_at_open {
                        Some(length_at_open) if ended_at < length_at_open => {
                            return Err(ErrorKind::Shrank {
                                length_at_open,
                                ended_at,
                            });
                        }
                        _ => break,
                    }
                }
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ErrorKind::Io(e)),
            }
        }
        Ok(())
    }

    fn fill_or(&mut self, need: usize, at: u64) -> Result<bool, CaptureError> {
        self.fill(need).map_err(|kind| self.error(kind, at))?;
        Ok(self.available() >= need)
    }

    fn pcap_header(&mut self) -> Result<(), CaptureError> {
        let header_error = |kind| CaptureError {
            kind,
            frame: 0,
            offset: 0,
        };
        self.fill(fmt::PCAP_HEADER_LEN).map_err(header_error)?;
        if self.available() < fmt::PCAP_HEADER_LEN {
            return Err(header_error(ErrorKind::TruncatedHeader {
                what: "pcap file header",
                need: fmt::PCAP_HEADER_LEN as u64,
                have: self.available() as u64,
            }));
        }
        let (_, h) =
            fmt::pcap_header(&self.store.bytes()[..fmt::PCAP_HEADER_LEN]).map_err(|_| {
                header_error(ErrorKind::TruncatedHeader {
                    what: "pcap file header",
                    need: 24,
                    have: self.available() as u64,
                })
            })?;
        if h.major != fmt::PCAP_VERSION.0 {
            return Err(header_error(ErrorKind::UnsupportedVersion {
                major: h.major,
                minor: h.minor,
            }));
        }
        self.endian = h.endian;
        self.format = FileFormat::Pcap { nanos: h.nanos };
        self.interfaces.push(Interface {
            link_type: LinkType(h.linktype & 0xffff),
            snaplen: h.snaplen,
            ts_resolution: if h.nanos {
                TsResolution::NANOS
            } else {
                TsResolution::MICROS
            },
            ts_offset: 0,
            // Bit 26 says the FCS length in the top 4 bits (in 16-bit words) is valid.
            fcs_len: (h.linktype & 0x0400_0000 != 0).then(|| ((h.linktype >> 28) * 2) as u8),
            name: None,
        });
        self.pos = fmt::PCAP_HEADER_LEN;
        Ok(())
    }

    fn next_pcap(&mut self, nanos: bool) -> Result<Option<(usize, usize, Meta)>, CaptureError> {
        let at = self.offset();
        if !self.fill_or(fmt::PCAP_RECORD_LEN, at)? {
            if self.available() == 0 {
                return Ok(None);
            }
            return Err(self.error(
                ErrorKind::TruncatedHeader {
                    what: "record header",
                    need: fmt::PCAP_RECORD_LEN as u64,
                    have: self.available() as u64,
                },
                at,
            ));
        }
        let (_, r) = fmt::record_header(
            &self.store.bytes()[self.pos..self.pos + fmt::PCAP_RECORD_LEN],
            self.endian,
        )
        .map_err(|_| self.error(ErrorKind::TruncatedRecord { need: 16, have: 0 }, at))?;
        if r.caplen > MAX_CAPLEN {
            return Err(self.error(ErrorKind::CaplenTooLarge { caplen: r.caplen }, at));
        }
        let total = fmt::PCAP_RECORD_LEN + r.caplen as usize;
        if !self.fill_or(total, at)? {
            let have = self.available().saturating_sub(fmt::PCAP_RECORD_LEN);
            return Err(self.error(
                ErrorKind::TruncatedRecord {
                    need: u64::from(r.caplen),
                    have: have as u64,
                },
                at,
            ));
        }
        let start = self.pos + fmt::PCAP_RECORD_LEN;
        self.pos += total;
        self.frames += 1;
        let iface = &self.interfaces[0];
        let (sec, frac_ns) = if nanos {
            (
                u64::from(r.ts_sec) + u64::from(r.ts_frac / 1_000_000_000),
                r.ts_frac % 1_000_000_000,
            )
        } else {
            (
                u64::from(r.ts_sec) + u64::from(r.ts_frac / 1_000_000),
                (r.ts_frac % 1_000_000) * 1000,
            )
        };
        Ok(Some((
            start,
            r.caplen as usize,
            Meta {
                offset: at,
                interface: 0,
                link_type: iface.link_type,
                ts: Timestamp {
                    sec: sec as i64,
                    nsec: frac_ns,
                },
                ts_digits: iface.ts_resolution.digits(),
                orig_len: r.orig_len,
                options: (start, start),
            },
        )))
    }

    fn next_pcapng(&mut self) -> Result<Option<(usize, usize, Meta)>, CaptureError> {
        loop {
            let at = self.offset();
            if !self.fill_or(fmt::BLOCK_HEADER_LEN, at)? {
                if self.available() == 0 {
                    return Ok(None);
                }
                return Err(self.error(
                    ErrorKind::TruncatedHeader {
                        what: "pcapng block header",
                        need: fmt::BLOCK_HEADER_LEN as u64,
                        have: self.available() as u64,
                    },
                    at,
                ));
            }
            let (_, (mut block_type, mut len)) =
                fmt::block_header(&self.store.bytes()[self.pos..], self.endian)
                    .map_err(|_| self.error(ErrorKind::TruncatedRecord { need: 8, have: 0 }, at))?;
            if block_type == fmt::BLOCK_SHB
                || (at == 0 && block_type.swap_bytes() == fmt::BLOCK_SHB)
            {
                self.section_byte_order(at)?;
                (block_type, len) = fmt::block_header(&self.store.bytes()[self.pos..], self.endian)
                    .map_err(|_| self.error(ErrorKind::TruncatedRecord { need: 8, have: 0 }, at))?
                    .1;
            } else if at == 0 {
                return Err(CaptureError {
                    kind: ErrorKind::FirstBlockNotSectionHeader { block_type },
                    frame: 0,
                    offset: 0,
                });
            }
            let min = (fmt::BLOCK_HEADER_LEN + fmt::BLOCK_TRAILER_LEN) as u32;
            if len < min || len % 4 != 0 {
                return Err(self.error(ErrorKind::BadBlockLength { block_type, len }, at));
            }
            let parsed = matches!(
                block_type,
                fmt::BLOCK_SHB | fmt::BLOCK_IDB | fmt::BLOCK_EPB | fmt::BLOCK_SPB | fmt::BLOCK_PB
            );
            if !parsed {
                self.skip_block(len, at)?;
                continue;
            }
            if len > MAX_BLOCK_LEN {
                return Err(self.error(ErrorKind::BlockTooLarge { block_type, len }, at));
            }
            if !self.fill_or(len as usize, at)? {
                let have = self.available() as u64;
                return Err(self.error(
                    ErrorKind::TruncatedRecord {
                        need: u64::from(len),
                        have,
                    },
                    at,
                ));
            }
            let block = self.pos..self.pos + len as usize;
            let tail = self.u32_at(block.end - fmt::BLOCK_TRAILER_LEN);
            if tail != len {
                return Err(self.error(ErrorKind::BlockTrailerMismatch { head: len, tail }, at));
            }
            let body = block.start + fmt::BLOCK_HEADER_LEN..block.end - fmt::BLOCK_TRAILER_LEN;
            self.pos = block.end;
            match block_type {
                fmt::BLOCK_SHB => {
                    self.interfaces.clear();
                    self.sections += 1;
                }
                fmt::BLOCK_IDB => self.interface_block(body, at)?,
                _ => return self.packet_block(block_type, body, at).map(Some),
            }
        }
    }

    fn u32_at(&self, i: usize) -> u32 {
        let b = [
            self.store.bytes()[i],
            self.store.bytes()[i + 1],
            self.store.bytes()[i + 2],
            self.store.bytes()[i + 3],
        ];
        match self.endian {
            Endianness::Big => u32::from_be_bytes(b),
            _ => u32::from_le_bytes(b),
        }
    }

    /// Reads the byte-order magic of a section header and switches to its byte order.
    fn section_byte_order(&mut self, at: u64) -> Result<(), CaptureError> {
        let need = fmt::BLOCK_HEADER_LEN + fmt::SHB_BODY_LEN;
        if !self.fill_or(need, at)? {
            let kind = ErrorKind::TruncatedHeader {
                what: "pcapng section header",
                need: need as u64,
                have: self.available() as u64,
            };
            return Err(CaptureError {
                kind,
                frame: if at == 0 { 0 } else { self.frames + 1 },
                offset: at,
            });
        }
        let magic_at = self.pos + fmt::BLOCK_HEADER_LEN;
        let bytes = [
            self.store.bytes()[magic_at],
            self.store.bytes()[magic_at + 1],
            self.store.bytes()[magic_at + 2],
            self.store.bytes()[magic_at + 3],
        ];
        self.endian = if u32::from_le_bytes(bytes) == fmt::BYTE_ORDER_MAGIC {
            Endianness::Little
        } else if u32::from_be_bytes(bytes) == fmt::BYTE_ORDER_MAGIC {
            Endianness::Big
        } else {
            let kind = ErrorKind::BadByteOrderMagic {
                magic: u32::from_be_bytes(bytes),
            };
            return Err(CaptureError {
                kind,
                frame: if at == 0 { 0 } else { self.frames + 1 },
                offset: at,
            });
        };
        let (_, (_, major, minor, _)) = fmt::shb_body(&self.store.bytes()[magic_at..], self.endian)
            .map_err(|_| self.error(ErrorKind::TruncatedRecord { need: 16, have: 0 }, at))?;
        if major != 1 {
            return Err(CaptureError {
                kind: ErrorKind::UnsupportedVersion { major, minor },
                frame: self.frames + 1,
                offset: at,
            });
        }
        Ok(())
    }

    /// Skips a block vxscope does not read, without holding it in memory.
    fn skip_block(&mut self, len: u32, at: u64) -> Result<(), CaptureError> {
        let mut remaining = len as usize;
        while remaining > 0 {
            let step = remaining.min(CHUNK);
            if !self.fill_or(step, at)? {
                let have = (len as usize - remaining + self.available()) as u64;
                return Err(self.error(
                    ErrorKind::TruncatedRecord {
                        need: u64::from(len),
                        have,
                    },
                    at,
                ));
            }
            if step == remaining {
                let tail = self.u32_at(self.pos + step - fmt::BLOCK_TRAILER_LEN);
                if tail != len {
                    return Err(self.error(ErrorKind::BlockTrailerMismatch { head: len, tail }, at));
                }
            }
            self.pos += step;
            remaining -= step;
        }
        Ok(())
    }

    fn interface_block(
        &mut self,
        body: std::ops::Range<usize>,
        at: u64,
    ) -> Result<(), CaptureError> {
        let bytes = &self.store.bytes()[body];
        let Ok((opts, (link, _, snaplen))) = fmt::idb_body(bytes, self.endian) else {
            return Err(self.error(
                ErrorKind::BlockTooShort {
                    block_type: fmt::BLOCK_IDB,
                    len: (bytes.len() + 12) as u32,
                    need: fmt::IDB_BODY_LEN as u32,
                },
                at,
            ));
        };
        let mut iface = Interface {
            link_type: LinkType(u32::from(link)),
            snaplen,
            ts_resolution: TsResolution::MICROS,
            ts_offset: 0,
            fcs_len: None,
            name: None,
        };
        for (code, value) in Options::new(opts, self.endian) {
            match code {
                fmt::IF_TSRESOL if value.len() == 1 => {
                    let r = value[0];
                    iface.ts_resolution = if r & 0x80 != 0 {
                        TsResolution::Binary(r & 0x7f)
                    } else {
                        TsResolution::Decimal(r)
                    };
                }
                fmt::IF_TSOFFSET => {
                    iface.ts_offset = fmt::option_uint(value, self.endian).unwrap_or(0) as i64
                }
                fmt::IF_FCSLEN if value.len() == 1 => iface.fcs_len = Some(value[0]),
                fmt::IF_NAME => iface.name = Some(String::from_utf8_lossy(value).into_owned()),
                _ => {}
            }
        }
        self.interfaces.push(iface);
        Ok(())
    }

    fn packet_block(
        &mut self,
        block_type: u32,
        body: std::ops::Range<usize>,
        at: u64,
    ) -> Result<(usize, usize, Meta), CaptureError> {
        let bytes = &self.store.bytes()[body.clone()];
        let too_short = |need: usize| ErrorKind::BlockTooShort {
            block_type,
            len: (bytes.len() + 12) as u32,
            need: need as u32,
        };
        let (iface_id, units, caplen, orig_len, fixed) = match block_type {
            fmt::BLOCK_EPB => {
                let (_, (iface, high, low, caplen, orig)) = fmt::epb_body(bytes, self.endian)
                    .map_err(|_| self.error(too_short(fmt::EPB_BODY_LEN), at))?;
                (
                    iface,
                    (u64::from(high) << 32) | u64::from(low),
                    caplen,
                    orig,
                    fmt::EPB_BODY_LEN,
                )
            }
            fmt::BLOCK_PB => {
                let (_, (iface, _drops, high, low, caplen, orig)) =
                    fmt::pb_body(bytes, self.endian)
                        .map_err(|_| self.error(too_short(fmt::PB_BODY_LEN), at))?;
                (
                    u32::from(iface),
                    (u64::from(high) << 32) | u64::from(low),
                    caplen,
                    orig,
                    fmt::PB_BODY_LEN,
                )
            }
            _ => {
                // Simple packet block: no timestamp; the captured length follows from the block length and
                // the snap length of interface 0.
                if bytes.len() < fmt::SPB_BODY_LEN {
                    return Err(self.error(too_short(fmt::SPB_BODY_LEN), at));
                }
                let orig = self.u32_at(body.start);
                let room = (bytes.len() - fmt::SPB_BODY_LEN) as u32;
                let snap = self.interfaces.first().map_or(0, |i| i.snaplen);
                let caplen = orig.min(room).min(if snap == 0 { u32::MAX } else { snap });
                (0, 0, caplen, orig, fmt::SPB_BODY_LEN)
            }
        };
        if caplen > MAX_CAPLEN {
            return Err(self.error(ErrorKind::CaplenTooLarge { caplen }, at));
        }
        let data_end = fixed + fmt::pad4(caplen as usize);
        if data_end > bytes.len()
            && !(block_type == fmt::BLOCK_SPB && fixed + caplen as usize <= bytes.len())
        {
            return Err(self.error(too_short(fixed + caplen as usize), at));
        }
        let Some(iface) = self.interfaces.get(iface_id as usize) else {
            return Err(self.error(
                ErrorKind::NoInterface {
                    id: iface_id,
                    count: self.interfaces.len(),
                },
                at,
            ));
        };
        let start = body.start + fixed;
        let options = (body.start + data_end.min(bytes.len()), body.end);
        self.frames += 1;
        Ok((
            start,
            caplen as usize,
            Meta {
                offset: at,
                interface: iface_id,
                link_type: iface.link_type,
                ts: iface.ts_resolution.to_timestamp(units, iface.ts_offset),
                ts_digits: iface.ts_resolution.digits(),
                orig_len,
                options,
            },
        ))
    }
}

/// Where a packet is and what its record says, before it is lent out.
struct Meta {
    offset: u64,
    interface: u32,
    link_type: LinkType,
    ts: Timestamp,
    ts_digits: u8,
    orig_len: u32,
    options: (usize, usize),
}
