//! The writer: pcap (microsecond or nanosecond) and pcapng, through the layouts the reader parses.

use std::io::{self, Write};

use vxscope_dissector::LinkType;

use super::format as fmt;
use super::{Interface, Timestamp, TsResolution};

/// The container to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Pcap { nanos: bool },
    PcapNg,
}

impl OutputFormat {
    /// The format in a few words, for reports.
    pub fn describe(self) -> &'static str {
        match self {
            OutputFormat::Pcap { nanos: true } => "pcap (nanosecond timestamps)",
            OutputFormat::Pcap { nanos: false } => "pcap",
            OutputFormat::PcapNg => "pcapng",
        }
    }
}

/// Writes packets to a pcap or pcapng stream.
pub struct CaptureWriter<W: Write> {
    out: W,
    format: OutputFormat,
    /// pcapng: the interfaces described so far (timestamps are written in each one's resolution).
    interfaces: Vec<Interface>,
    scratch: Vec<u8>,
}

impl<W: Write> CaptureWriter<W> {
    /// Starts a pcap file with one link type.
    pub fn pcap(mut out: W, link_type: LinkType, snaplen: u32, nanos: bool) -> io::Result<Self> {
        let mut h = Vec::with_capacity(fmt::PCAP_HEADER_LEN);
        h.extend_from_slice(
            &(if nanos {
                fmt::PCAP_MAGIC_NANOS
            } else {
                fmt::PCAP_MAGIC_MICROS
            })
            .to_le_bytes(),
        );
        h.extend_from_slice(&fmt::PCAP_VERSION.0.to_le_bytes());
        h.extend_from_slice(&fmt::PCAP_VERSION.1.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&snaplen.to_le_bytes());
        h.extend_from_slice(&link_type.0.to_le_bytes());
        out.write_all(&h)?;
        let resolution = if nanos {
            TsResolution::NANOS
        } else {
            TsResolution::MICROS
        };
        let iface = Interface {
            link_type,
            snaplen,
            ts_resolution: resolution,
            ts_offset: 0,
            fcs_len: None,
            name: None,
        };
        Ok(CaptureWriter {
            out,
            format: OutputFormat::Pcap { nanos },
            interfaces: vec![iface],
            scratch: Vec::new(),
        })
    }

    /// Starts a pcapng section; interfaces are added with [`add_interface`](Self::add_interface).
    pub fn pcapng(mut out: W) -> io::Result<Self> {
        let mut body = Vec::new();
        body.extend_from_slice(&fmt::BYTE_ORDER_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        push_option(
            &mut body,
            fmt::SHB_USERAPPL,
            concat!("vxscope ", env!("CARGO_PKG_VERSION")).as_bytes(),
        );
        push_end_of_options(&mut body);
        write_block(&mut out, fmt::BLOCK_SHB, &body)?;
        Ok(CaptureWriter {
            out,
            format: OutputFormat::PcapNg,
            interfaces: Vec::new(),
            scratch: Vec::new(),
        })
    }

    /// Describes an interface (pcapng); returns its index. A pcap file has its one interface already.
    pub fn add_interface(&mut self, iface: &Interface) -> io::Result<u32> {
        if let OutputFormat::Pcap { .. } = self.format {
            return Ok(0);
        }
        let mut body = Vec::new();
        body.extend_from_slice(&(iface.link_type.0 as u16).to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&iface.snaplen.to_le_bytes());
        if let Some(name) = &iface.name {
            push_option(&mut body, fmt::IF_NAME, name.as_bytes());
        }
        if iface.ts_resolution != TsResolution::MICROS {
            let r = match iface.ts_resolution {
                TsResolution::Decimal(n) => n,
                TsResolution::Binary(n) => 0x80 | n,
            };
            push_option(&mut body, fmt::IF_TSRESOL, &[r]);
        }
        if iface.ts_offset != 0 {
            push_option(&mut body, fmt::IF_TSOFFSET, &iface.ts_offset.to_le_bytes());
        }
        if let Some(fcs) = iface.fcs_len {
            push_option(&mut body, fmt::IF_FCSLEN, &[fcs]);
        }
        if body.len() > fmt::IDB_BODY_LEN {
            push_end_of_options(&mut body);
        }
        write_block(&mut self.out, fmt::BLOCK_IDB, &body)?;
        self.interfaces.push(iface.clone());
        Ok((self.interfaces.len() - 1) as u32)
    }

    /// Writes one packet. `orig_len` is its length on the wire; `comments` go into pcapng comment options
    /// (pcap has no room for them).
    pub fn write_packet(
        &mut self,
        interface: u32,
        ts: Timestamp,
        orig_len: u32,
        data: &[u8],
        comments: &[&[u8]],
    ) -> io::Result<()> {
        self.write_packet_with(interface, ts, orig_len, data, comments.iter().copied())
    }

    /// Writes one packet, its comments given by an iterator (so that they can borrow from where they are,
    /// without collecting them).
    pub fn write_packet_with<'c>(
        &mut self,
        interface: u32,
        ts: Timestamp,
        orig_len: u32,
        data: &[u8],
        comments: impl IntoIterator<Item = &'c [u8]>,
    ) -> io::Result<()> {
        let orig_len = orig_len.max(data.len() as u32);
        match self.format {
            OutputFormat::Pcap { nanos } => {
                let frac = if nanos { ts.nsec } else { ts.nsec / 1000 };
                let mut h = [0u8; fmt::PCAP_RECORD_LEN];
                h[0..4].copy_from_slice(&(ts.sec as u32).to_le_bytes());
                h[4..8].copy_from_slice(&frac.to_le_bytes());
                h[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
                h[12..16].copy_from_slice(&orig_len.to_le_bytes());
                self.out.write_all(&h)?;
                self.out.write_all(data)
            }
            OutputFormat::PcapNg => {
                let iface = self.interfaces.get(interface as usize).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("no interface {interface} described"),
                    )
                })?;
                let units = to_units(ts, iface.ts_resolution, iface.ts_offset);
                let mut body = std::mem::take(&mut self.scratch);
                body.clear();
                body.extend_from_slice(&interface.to_le_bytes());
                body.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
                body.extend_from_slice(&(units as u32).to_le_bytes());
                body.extend_from_slice(&(data.len() as u32).to_le_bytes());
                body.extend_from_slice(&orig_len.to_le_bytes());
                body.extend_from_slice(data);
                body.resize(fmt::pad4(body.len()), 0);
                let mut any = false;
                for c in comments {
                    push_option(&mut body, fmt::OPT_COMMENT, c);
                    any = true;
                }
                if any {
                    push_end_of_options(&mut body);
                }
                let r = write_block(&mut self.out, fmt::BLOCK_EPB, &body);
                self.scratch = body;
                r
            }
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// A timestamp in units of an interface's resolution (exact when it was read in that resolution).
fn to_units(ts: Timestamp, resolution: TsResolution, offset: i64) -> u64 {
    let sec = ts.sec.saturating_sub(offset).max(0) as u64;
    match resolution {
        // The usual resolutions, with divisors the compiler turns into multiplications.
        TsResolution::MICROS => sec
            .saturating_mul(1_000_000)
            .saturating_add(u64::from(ts.nsec) / 1_000),
        TsResolution::NANOS => sec
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(ts.nsec)),
        TsResolution::Decimal(n) => {
            let n = u32::from(n.min(19));
            let frac = if n <= 9 {
                u64::from(ts.nsec) / 10u64.pow(9 - n)
            } else {
                u64::from(ts.nsec) * 10u64.pow(n - 9)
            };
            sec.saturating_mul(10u64.pow(n)).saturating_add(frac)
        }
        TsResolution::Binary(n) => {
            let n = u32::from(n.min(63));
            let frac = ((u128::from(ts.nsec) << n).div_ceil(1_000_000_000)) as u64;
            (sec << n) | frac
        }
    }
}

fn push_option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
    let len = value.len().min(usize::from(u16::MAX));
    body.extend_from_slice(&code.to_le_bytes());
    body.extend_from_slice(&(len as u16).to_le_bytes());
    body.extend_from_slice(&value[..len]);
    body.resize(fmt::pad4(body.len()), 0);
}

fn push_end_of_options(body: &mut Vec<u8>) {
    body.extend_from_slice(&[0, 0, 0, 0]);
}

fn write_block(out: &mut impl Write, block_type: u32, body: &[u8]) -> io::Result<()> {
    let total = (fmt::BLOCK_HEADER_LEN + body.len() + fmt::BLOCK_TRAILER_LEN) as u32;
    out.write_all(&block_type.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_come_back_from_timestamps() {
        let resolutions = [
            TsResolution::MICROS,
            TsResolution::NANOS,
            TsResolution::Decimal(3),
            TsResolution::Decimal(7),
            TsResolution::Binary(20),
        ];
        for res in resolutions {
            for units in [
                0,
                1,
                999_999,
                1_000_000,
                1_700_000_000_123_456,
                4_294_967_295_007,
            ] {
                let ts = res.to_timestamp(units, 5);
                assert_eq!(to_units(ts, res, 5), units, "{res:?} {units}");
            }
        }
        // Finer than a nanosecond: the digits past it are lost.
        let pico = TsResolution::Decimal(12);
        assert_eq!(
            to_units(pico.to_timestamp(1_000_123_456_789, 0), pico, 0),
            1_000_123_456_000
        );
    }
}
