//! Streams a capture through a rewrite into another capture: one packet read, rewritten and written at a
//! time, in the order of the input, with its timestamp and comments.
//!
//! A [`Rewrite`] says what becomes of each packet ([`Verdict`]); [`run`] applies the `--other` policy to the
//! packets it does not rewrite, gives each packet an interface of the output (pcapng: one per input interface
//! and link type; pcap: the one link type of the file, other link types converted to Ethernet by
//! [`link::to_ethernet`]), and counts everything in a [`Report`].

use std::io::{self, Read, Write};

use vxscope_dissector::{Dissection, LinkType};

use crate::defrag::{self, Offer, Reassembly};
use crate::link;
use crate::locate::Damage;
use vxscope_capture::{
    CaptureError, CaptureReader, CaptureWriter, FileFormat, Interface, MAX_CAPLEN, OutputFormat,
    Packet,
};

/// A packet as a rewrite made it.
#[derive(Debug, Default)]
pub struct Rewritten {
    pub link_type: LinkType,
    /// Length on the wire.
    pub orig_len: u32,
    pub data: Vec<u8>,
    /// When set, the rewritten packet is this range of the input packet's bytes, and `data` is not used
    /// (strip: the inner frame is written straight from the input).
    pub input_range: Option<std::ops::Range<usize>>,
    /// A comment to add to the packet (pcapng), empty for none.
    pub comment: Vec<u8>,
}

impl Rewritten {
    /// The rewritten bytes.
    pub fn bytes<'a>(&'a self, input: &'a [u8]) -> &'a [u8] {
        match &self.input_range {
            Some(r) => &input[r.clone()],
            None => &self.data,
        }
    }
}

/// What a rewrite did with one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Rewritten into [`Rewritten`].
    Rewritten,
    /// A packet the rewrite concerns but leaves as it is (remap: VXLAN on a port and VNI no map names).
    Unchanged,
    /// A packet the rewrite does not concern (not VXLAN for strip and remap, not a frame for encap).
    Other,
    /// A packet the rewrite concerns but cannot rewrite.
    Damaged(Damage),
}

/// One packet at a time.
pub trait Rewrite {
    /// Rewrites `packet` into `out` (whose buffers are reused from packet to packet).
    fn rewrite(&mut self, packet: &Packet<'_>, out: &mut Rewritten) -> Verdict;

    /// The dissection of the last packet given to [`rewrite`](Self::rewrite) (used to convert it to Ethernet
    /// when it is written as it is into a pcap of another link type).
    fn dissection(&self) -> &Dissection<'_>;

    /// The link type of the rewritten packets; `None` when it is the input's.
    fn output_link_type(&self) -> Option<LinkType>;

    /// How many bytes a rewritten packet may have more than the input packet (for the snap length).
    fn growth(&self) -> u32 {
        0
    }

    /// Lines for the report beyond the counts (what the rewrite noticed on the way).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether the outer IPv4 fragments of a datagram are put back together and the datagram rewritten
    /// ([`crate::defrag`]): strip.
    fn reassembles_outer_fragments(&self) -> bool {
        false
    }
}

/// What becomes of the packets a rewrite does not concern or cannot rewrite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OtherPolicy {
    /// Written as they are (converted to the output's link type where a pcap output needs it).
    #[default]
    Keep,
    Drop,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// The container to write; `None`: the input's.
    pub format: Option<OutputFormatChoice>,
    pub other: OtherPolicy,
}

/// The container asked for: the timestamp resolution of a pcap output follows the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormatChoice {
    Pcap,
    PcapNg,
}

impl OutputFormatChoice {
    /// The output format for an input of format `input`: pcap in nanoseconds unless the input is a pcap in
    /// microseconds (pcapng timestamps may be finer than microseconds, and nanoseconds keep them exactly).
    pub fn resolve(choice: Option<OutputFormatChoice>, input: FileFormat) -> OutputFormat {
        let pcap = OutputFormat::Pcap {
            nanos: !matches!(input, FileFormat::Pcap { nanos: false }),
        };
        match (choice, input) {
            (Some(OutputFormatChoice::Pcap), _) | (None, FileFormat::Pcap { .. }) => pcap,
            (Some(OutputFormatChoice::PcapNg), _) | (None, FileFormat::PcapNg) => {
                OutputFormat::PcapNg
            }
        }
    }
}

/// A count and the first frame it counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub first_frame: u64,
}

impl Tally {
    fn add(&mut self, frame: u64) {
        self.add_many(frame, 1);
    }

    /// Counts `n` more, the first of them at `frame`.
    fn add_many(&mut self, frame: u64, n: u64) {
        if self.count == 0 && n > 0 {
            self.first_frame = frame;
        }
        self.count += n;
    }
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub read: u64,
    pub rewritten: u64,
    /// Packets the rewrite concerned and left as they were.
    pub unchanged: u64,
    /// Packets the rewrite did not concern, written as they were.
    pub kept: u64,
    /// Packets left out: by `--other drop`, or because the pcap output cannot hold their link type.
    pub dropped: u64,
    /// Packets the rewrite concerned but could not rewrite (written as they were with `--other keep`).
    pub damaged: u64,
    pub damage: [Tally; Damage::ALL.len()],
    /// Outer IP fragments put back together into datagrams that were rewritten (counted once, among the
    /// rewritten packets, each at its last fragment), and how many datagrams they made.
    pub reassembled: Tally,
    pub datagrams: u64,
    /// Packets left out because the pcap output's link type is another one and they cannot be converted.
    pub unconvertible: Tally,
    /// Packets converted to Ethernet for the pcap output.
    pub converted: u64,
    pub output_format: Option<OutputFormat>,
    pub output_link_type: Option<LinkType>,
}

/// Why a run stopped before the end of its input.
#[derive(Debug)]
pub enum RunError {
    /// The input is damaged (or unreadable) here; every packet before was written.
    Input(CaptureError),
    /// Writing the output failed.
    Output(io::Error),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Input(e) => e.fmt(f),
            RunError::Output(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

/// A run that stopped early, with what it did until then.
#[derive(Debug)]
pub struct Failure {
    pub report: Report,
    pub error: RunError,
}

/// Reads every packet of `reader`, rewrites it with `rewrite` and writes the result to `out`, which is flushed
/// at the end, also when the input turns out to be damaged (every packet before the damage is written).
pub fn run<R: Read, W: Write>(
    reader: &mut CaptureReader<R>,
    out: W,
    rewrite: &mut dyn Rewrite,
    options: Options,
) -> Result<Report, Box<Failure>> {
    let format = OutputFormatChoice::resolve(options.format, reader.format());
    let mut sink = Sink::new(out, format, rewrite.output_link_type(), rewrite.growth());
    let mut report = Report {
        output_format: Some(format),
        ..Report::default()
    };
    let mut rewritten = Rewritten::default();
    let mut converted = Vec::new();
    let mut out = Output {
        sink: &mut sink,
        report: &mut report,
        rewritten: &mut rewritten,
        converted: &mut converted,
        keep_others: options.other == OtherPolicy::Keep,
    };
    let mut reassembly = rewrite
        .reassembles_outer_fragments()
        .then(Reassembly::default);
    let mut result = loop {
        let packet = match reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break Ok(()),
            Err(e) => break Err(RunError::Input(e)),
        };
        out.report.read += 1;
        let Some(reassembly) = reassembly.as_mut() else {
            if let Err(e) = out.rewrite_and_write(rewrite, &packet) {
                break Err(e);
            }
            continue;
        };
        out.rewritten.input_range = None;
        let verdict = rewrite.rewrite(&packet, out.rewritten);
        let fragment = defrag::outer_fragment(rewrite.dissection(), &packet);
        if fragment.is_none() && !reassembly.is_keeping() {
            if let Err(e) = out.write(rewrite, &packet, verdict) {
                break Err(e);
            }
            continue;
        }
        let mut redo = false;
        if reassembly.is_keeping() && !reassembly.continues(fragment.as_ref()) {
            // The fragments kept make no datagram: written as they were, before this packet.
            if let Err(e) = out.write_kept(rewrite, reassembly) {
                break Err(e);
            }
            redo = true;
        }
        let written = match reassembly.offer(&packet, fragment) {
            Offer::Kept => Ok(()),
            Offer::Whole => out.write_datagram(rewrite, reassembly),
            // (Writing the kept fragments rewrote them after this packet: it is rewritten again.)
            Offer::NotKept if redo => out.rewrite_and_write(rewrite, &packet),
            Offer::NotKept => out.write(rewrite, &packet, verdict),
        };
        if let Err(e) = written {
            break Err(e);
        }
    };
    // Fragments kept at the end of the input (or before its damage) are written as they were.
    if let Some(r) = reassembly.as_mut()
        && r.is_keeping()
        && !matches!(result, Err(RunError::Output(_)))
        && let Err(e) = out.write_kept(rewrite, r)
    {
        result = Err(e);
    }
    let fallback_link = reader.interfaces().first().map(|i| i.link_type);
    let finished = sink.finish(fallback_link);
    report.output_link_type = sink.link_type;
    match (result, finished) {
        (Ok(()), Ok(())) => Ok(report),
        (Err(error), _) | (Ok(()), Err(error)) => Err(Box::new(Failure { report, error })),
    }
}

/// Where a run writes its packets, and what it counts of them.
struct Output<'o, W: Write> {
    sink: &'o mut Sink<W>,
    report: &'o mut Report,
    rewritten: &'o mut Rewritten,
    converted: &'o mut Vec<u8>,
    keep_others: bool,
}

impl<W: Write> Output<'_, W> {
    /// Rewrites `packet` and writes what becomes of it.
    fn rewrite_and_write(
        &mut self,
        rewrite: &mut dyn Rewrite,
        packet: &Packet<'_>,
    ) -> Result<(), RunError> {
        self.rewritten.input_range = None;
        let verdict = rewrite.rewrite(packet, self.rewritten);
        self.write(rewrite, packet, verdict)
    }

    /// Writes the fragments `reassembly` kept as they were (each rewritten again, as read), and forgets them.
    fn write_kept(
        &mut self,
        rewrite: &mut dyn Rewrite,
        reassembly: &mut Reassembly,
    ) -> Result<(), RunError> {
        let written = reassembly
            .kept()
            .try_for_each(|p| self.rewrite_and_write(rewrite, &p));
        reassembly.clear();
        written
    }

    /// Writes the datagram `reassembly` made whole, rewritten in place of its fragments; when the rewrite does
    /// not rewrite it, its fragments as they were.
    fn write_datagram(
        &mut self,
        rewrite: &mut dyn Rewrite,
        reassembly: &mut Reassembly,
    ) -> Result<(), RunError> {
        let datagram = reassembly.datagram();
        self.rewritten.input_range = None;
        if rewrite.rewrite(&datagram, self.rewritten) != Verdict::Rewritten {
            return self.write_kept(rewrite, reassembly);
        }
        self.write(rewrite, &datagram, Verdict::Rewritten)?;
        let first = reassembly.kept().next().map_or(0, |p| p.number);
        self.report
            .reassembled
            .add_many(first, reassembly.kept_count() as u64);
        self.report.datagrams += 1;
        reassembly.clear();
        Ok(())
    }

    /// Writes `packet` as `verdict` (the rewrite's of it, whose output is in `rewritten`) and the `--other`
    /// policy say, converted to the output's link type where a pcap output needs it, and counts it.
    #[inline(always)]
    fn write(
        &mut self,
        rewrite: &dyn Rewrite,
        packet: &Packet<'_>,
        verdict: Verdict,
    ) -> Result<(), RunError> {
        let report = &mut *self.report;
        let keep_others = self.keep_others;
        let write_it = match verdict {
            Verdict::Rewritten | Verdict::Unchanged => true,
            Verdict::Other => keep_others,
            Verdict::Damaged(damage) => {
                report.damaged += 1;
                report.damage[damage.index()].add(packet.number);
                keep_others
            }
        };
        if !write_it {
            if verdict == Verdict::Other {
                report.dropped += 1;
            }
            return Ok(());
        }
        let rewritten = &*self.rewritten;
        let (link_type, is_rewritten, orig_len, data, comment) = if verdict == Verdict::Rewritten {
            (
                rewritten.link_type,
                true,
                rewritten.orig_len,
                rewritten.bytes(packet.data),
                &rewritten.comment[..],
            )
        } else {
            (
                packet.link_type,
                false,
                packet.orig_len,
                packet.data,
                &[][..],
            )
        };
        let sink = &mut *self.sink;
        let converted = &mut *self.converted;
        let written = match sink.needs_conversion(link_type) {
            Conversion::None => sink
                .write(packet, link_type, is_rewritten, orig_len, data, comment)
                .map(|()| true),
            Conversion::ToEthernet => {
                match link::to_ethernet(rewrite.dissection(), data, orig_len, converted) {
                    Some((wire, _)) => {
                        report.converted += 1;
                        sink.write(
                            packet,
                            LinkType::ETHERNET,
                            is_rewritten,
                            wire,
                            converted,
                            comment,
                        )
                        .map(|()| true)
                    }
                    None => Ok(false),
                }
            }
            Conversion::Impossible => Ok(false),
        };
        match written {
            Err(e) => return Err(RunError::Output(e)),
            Ok(true) => match verdict {
                Verdict::Rewritten => report.rewritten += 1,
                Verdict::Unchanged => report.unchanged += 1,
                Verdict::Other => report.kept += 1,
                Verdict::Damaged(_) => {}
            },
            Ok(false) => {
                report.unconvertible.add(packet.number);
                if !matches!(verdict, Verdict::Damaged(_)) {
                    report.dropped += 1;
                }
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Conversion {
    None,
    ToEthernet,
    Impossible,
}

/// An output interface: which input interface and link type it stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
struct InterfaceKey {
    section: u32,
    interface: u32,
    link_type: LinkType,
    rewritten: bool,
}

/// The output capture, opened at the first packet (a pcap file header needs the link type).
struct Sink<W: Write> {
    pending: Option<W>,
    writer: Option<CaptureWriter<W>>,
    format: OutputFormat,
    /// The pcap output's link type, once known.
    link_type: Option<LinkType>,
    growth: u32,
    /// pcapng: the output interface of each input interface and link type met so far, and its description.
    interfaces: Vec<(InterfaceKey, u32, Interface)>,
}

impl<W: Write> Sink<W> {
    fn new(out: W, format: OutputFormat, link_type: Option<LinkType>, growth: u32) -> Self {
        Sink {
            pending: Some(out),
            writer: None,
            format,
            link_type,
            growth,
            interfaces: Vec::new(),
        }
    }

    fn needs_conversion(&self, link_type: LinkType) -> Conversion {
        match (self.format, self.link_type) {
            (OutputFormat::PcapNg, _) | (_, None) => Conversion::None,
            (_, Some(file)) if file == link_type => Conversion::None,
            (_, Some(LinkType::ETHERNET)) => Conversion::ToEthernet,
            _ => Conversion::Impossible,
        }
    }

    fn snaplen(&self, iface: &Interface, rewritten: bool) -> u32 {
        let snaplen = if iface.snaplen == 0 {
            MAX_CAPLEN
        } else {
            iface.snaplen
        };
        if rewritten {
            snaplen.saturating_add(self.growth)
        } else {
            snaplen
        }
    }

    fn open(&mut self, first: Option<(&Interface, LinkType, bool)>) -> io::Result<()> {
        if self.writer.is_some() {
            return Ok(());
        }
        let Some(out) = self.pending.take() else {
            return Ok(());
        };
        self.writer = Some(match self.format {
            OutputFormat::Pcap { nanos } => {
                let link = self
                    .link_type
                    .or(first.map(|(_, link, _)| link))
                    .unwrap_or(LinkType::ETHERNET);
                self.link_type = Some(link);
                let snaplen =
                    first.map_or(MAX_CAPLEN, |(i, _, rewritten)| self.snaplen(i, rewritten));
                CaptureWriter::pcap(out, link, snaplen, nanos)?
            }
            OutputFormat::PcapNg => CaptureWriter::pcapng(out)?,
        });
        Ok(())
    }

    fn write(
        &mut self,
        packet: &Packet<'_>,
        link_type: LinkType,
        rewritten: bool,
        orig_len: u32,
        data: &[u8],
        comment: &[u8],
    ) -> io::Result<()> {
        if self.writer.is_none() {
            self.open(Some((packet.iface, link_type, rewritten)))?;
        }
        let interface = match self.format {
            OutputFormat::Pcap { .. } => 0,
            OutputFormat::PcapNg => self.interface(packet, link_type, rewritten)?,
        };
        let extra = (!comment.is_empty()).then_some(comment);
        let writer = self.writer.as_mut().expect("opened above");
        writer.write_packet_with(
            interface,
            packet.ts,
            orig_len,
            data,
            packet.comments().chain(extra),
        )
    }

    /// The pcapng interface for packets of this input interface and link type, described at first use.
    fn interface(
        &mut self,
        packet: &Packet<'_>,
        link_type: LinkType,
        rewritten: bool,
    ) -> io::Result<u32> {
        let key = InterfaceKey {
            section: packet.section,
            interface: packet.interface,
            link_type,
            rewritten,
        };
        if let Some((_, id, _)) = self.interfaces.iter().find(|(k, _, _)| *k == key) {
            return Ok(*id);
        }
        let mut iface = packet.iface.clone();
        iface.snaplen = self.snaplen(packet.iface, rewritten);
        if iface.link_type != link_type {
            iface.link_type = link_type;
            iface.fcs_len = None;
        }
        // Rewritten and unchanged packets of one input interface share an output interface when it would be
        // described the same way.
        let same = self.interfaces.iter().find(|(k, _, described)| {
            (k.section, k.interface) == (key.section, key.interface) && *described == iface
        });
        let id = match same {
            Some((_, id, _)) => *id,
            None => self
                .writer
                .as_mut()
                .expect("opened before")
                .add_interface(&iface)?,
        };
        self.interfaces.push((key, id, iface));
        Ok(id)
    }

    /// Writes the file header if no packet did, and flushes.
    fn finish(&mut self, fallback_link: Option<LinkType>) -> Result<(), RunError> {
        if self.writer.is_none() {
            self.link_type = self.link_type.or(fallback_link);
            self.open(None).map_err(RunError::Output)?;
        }
        match self.writer.as_mut() {
            Some(w) => w.flush().map_err(RunError::Output),
            None => Ok(()),
        }
    }
}
