//! Compressed captures: gzip (`tcpdump -z gzip`, `*.pcap.gz`) and Zstandard (`*.pcap.zst`), recognised by
//! their first bytes and decompressed as they are read, in bounded memory.

use std::io::{self, BufReader, Read};

/// How a capture file is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    /// The compression whose magic number `start` (a file's first bytes) begins with.
    pub fn sniff(start: &[u8]) -> Option<Compression> {
        if start.starts_with(&GZIP_MAGIC) {
            Some(Compression::Gzip)
        } else if start.starts_with(&ZSTD_MAGIC) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }

    /// The file name suffix of the compression, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Compression::Gzip => "gz",
            Compression::Zstd => "zst",
        }
    }

    /// The compression a file name's last extension says (any case).
    pub fn of_extension(extension: &str) -> Option<Compression> {
        [Compression::Gzip, Compression::Zstd]
            .into_iter()
            .find(|c| c.extension().eq_ignore_ascii_case(extension))
    }

    /// The decompressed bytes of `src`, which starts with this compression's magic number.
    pub fn decoder<'a>(self, src: impl Read + Send + 'a) -> Box<dyn Read + Send + 'a> {
        // The decompressor is given whole buffers however the source hands out its bytes (a file, a pipe, a
        // byte at a time), so that a damaged stream fails at the same place, with the same error, whatever
        // the source: fed a byte at a time, a decompressor may hand out bytes it would have refused whole.
        let src = WholeReads(src);
        match self {
            // Every member of a file made of several (`cat a.gz b.gz`, as gzip itself reads it).
            Compression::Gzip => Box::new(Named {
                what: "gzip",
                inner: flate2::read::MultiGzDecoder::new(BufReader::new(src)),
            }),
            // Every frame of the file, as `zstd -d` reads it; libzstd hands out bytes as soon as they are
            // decoded.
            Compression::Zstd => match zstd_decoder(src) {
                Ok(inner) => Box::new(Named {
                    what: "zstd",
                    inner,
                }),
                Err(e) => Box::new(Failed(Some(e))),
            },
        }
    }
}

fn zstd_decoder<'a>(src: impl Read + 'a) -> io::Result<impl Read + 'a> {
    let mut decoder = zstd::stream::read::Decoder::new(src)?;
    decoder.window_log_max(MAX_ZSTD_WINDOW.trailing_zeros())?;
    Ok(decoder)
}

/// Reads that fill the buffer given, unless the source ends first.
struct WholeReads<R>(R);

impl<R: Read> Read for WholeReads<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.0.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }
}

/// A decoder that could not be made: its error, at the first read.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| io::Error::other("zstd decompression: no decoder")))
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The largest window a Zstandard frame may ask for (a power of two). The decoder keeps a window of
/// decompressed bytes (zstd's default level uses 2 MiB or less, `-19` 8 MiB, `--long` 128 MiB), so the window
/// is the reader's memory: a frame asking for more is refused (decompress it first with `zstd -d`) rather
/// than let a few bytes of a hostile file claim gigabytes.
pub const MAX_ZSTD_WINDOW: u64 = 32 * 1024 * 1024;

/// A decoder whose errors say which decompression failed.
struct Named<R> {
    what: &'static str,
    inner: R,
}

impl<R: Read> Read for Named<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let kind = e.kind();
            io::Error::new(kind, format!("{} decompression: {e}", self.what))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        io::Write::write_all(&mut e, data).unwrap();
        e.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        zstd::stream::encode_all(data, 3).unwrap()
    }

    fn all(c: Compression, bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        c.decoder(bytes).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn sniffs_by_magic() {
        assert_eq!(Compression::sniff(&gzip(b"x")), Some(Compression::Gzip));
        assert_eq!(Compression::sniff(&zstd(b"x")), Some(Compression::Zstd));
        assert_eq!(Compression::sniff(&[0xd4, 0xc3, 0xb2, 0xa1]), None);
        assert_eq!(Compression::sniff(&[0x1f]), None);
    }

    #[test]
    fn several_members_and_frames_are_one_stream() {
        let (a, b) = (vec![7u8; 100_000], b"second part".to_vec());
        let whole = [a.clone(), b.clone()].concat();
        assert_eq!(
            all(Compression::Gzip, &[gzip(&a), gzip(&b)].concat()).unwrap(),
            whole
        );
        // A skippable frame (magic 0x184D2A50, length 3) between two frames.
        let skippable = [0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3];
        let stream = [zstd(&a), skippable.to_vec(), zstd(&b)].concat();
        assert_eq!(all(Compression::Zstd, &stream).unwrap(), whole);
    }

    #[test]
    fn damage_is_an_error_naming_the_compression() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for c in [Compression::Gzip, Compression::Zstd] {
            let packed = if c == Compression::Gzip {
                gzip(&data)
            } else {
                zstd(&data)
            };
            let cut = &packed[..packed.len() / 2];
            let err = all(c, cut).expect_err("a stream cut in half");
            let name = if c == Compression::Gzip {
                "gzip"
            } else {
                "zstd"
            };
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn a_frame_asking_for_a_huge_window_is_refused() {
        // Frame header: magic, descriptor 0 (window descriptor follows, no checksum, no dictionary, no size),
        // window descriptor 0xF8: exponent 31 → 2^41 bytes.
        let frame = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0x01, 0x00, 0x00];
        let err = all(Compression::Zstd, &frame).expect_err("a 2 TiB window");
        assert!(err.to_string().contains("zstd"), "{err}");
    }
}
