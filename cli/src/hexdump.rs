//! `vxscope hexdump`: annotated hex dumps of frames from a capture or from hex text, as text, Markdown or
//! HTML, in English or Chinese.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use vxscope_dissector::filter::Filter;
use vxscope_dissector::render::FrameView;
use vxscope_dissector::render::hexdump::{self, Format, Lang};
use vxscope_dissector::{Dissection, Dissector, LinkType, hextext};

use crate::batch::{self, BatchArgs, Destination, Job, Outcome, Progress, Report, Settings, Watch};
use crate::decode::DecodeArgs;
use crate::frames::{
    Consumer, Ended, Engine, Flow, Frame, FrameLoop, HexFrames, Record, Selection,
};
use crate::input::open_capture;
use crate::output::Output;

#[derive(Args)]
#[command(after_help = "Examples:\n  \
    vxscope hexdump ens192.pcap --frame 3\n  \
    vxscope hexdump ens192.pcap --frame 3 --format html --lang zh -o frame3.html\n  \
    vxscope hexdump ens192.pcap --frame 3 --format svg -o frame3.svg   # the picture alone\n  \
    tcpdump -XX -r ens192.pcap | vxscope hexdump --from-text - --format markdown\n  \
    vxscope hexdump --from-text pasted.txt --link-type raw   # tcpdump -x: the dump starts at IP\n  \
    vxscope hexdump ens192.pcap --frame 3 --nodes nodes.json  # with the flannel annotations")]
pub struct HexdumpArgs {
    /// Capture files (pcap or pcapng), directories (walked for *.pcap, *.pcapng, *.cap), or - for standard
    /// input
    #[arg(
        value_name = "FILE",
        required_unless_present = "from_text",
        conflicts_with = "from_text"
    )]
    pub files: Vec<PathBuf>,
    /// Read frames from a hex dump instead (tcpdump -x/-xx/-X/-XX, xxd, od -Ax -tx1, text2pcap input,
    /// a hex stream), or - for standard input
    #[arg(long, value_name = "FILE")]
    pub from_text: Option<PathBuf>,
    /// Only frame N (1-based); every frame without it
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub frame: Option<u64>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    /// Language of field names, meanings and notes
    #[arg(long, value_enum, default_value = "en")]
    pub lang: LangArg,
    /// Link-layer type of hex text: ethernet (tcpdump -xx/-XX, xxd of a frame; the default), raw (tcpdump -x:
    /// the dump starts at the IP header), ipv4, ipv6, sll, sll2, null, or a LINKTYPE_ number
    #[arg(long, value_name = "TYPE", value_parser = parse_link_type, requires = "from_text")]
    pub link_type: Option<LinkType>,
    /// Write to FILE instead of standard output; with several inputs (or a directory as input, or an existing
    /// directory as FILE), into that directory: one file an input, under its name with the format's
    /// extension (.txt, .md, .html, .svg)
    #[arg(short, long, value_name = "FILE|DIR")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub decode: DecodeArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Markdown,
    Html,
    /// The picture of one frame (give --frame N)
    Svg,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    En,
    Zh,
}

fn parse_link_type(s: &str) -> Result<LinkType, String> {
    let named = match s.to_ascii_lowercase().as_str() {
        "ethernet" | "eth" | "en10mb" => LinkType::ETHERNET,
        "raw" | "ip" => LinkType::RAW,
        "ipv4" => LinkType::IPV4,
        "ipv6" => LinkType::IPV6,
        "sll" | "linux_sll" => LinkType::LINUX_SLL,
        "sll2" | "linux_sll2" => LinkType::LINUX_SLL2,
        "null" => LinkType::NULL,
        "loop" => LinkType::LOOP,
        other => match other.parse::<u32>() {
            Ok(n) => LinkType(n),
            Err(_) => {
                return Err(format!(
                    "{s:?} is not a link type: use ethernet, raw, ipv4, ipv6, sll, sll2, null, loop or a number"
                ));
            }
        },
    };
    Ok(named)
}

/// The consumer of `vxscope hexdump`: writes frames into the sink as they come.
struct Dumper<'t, 'w> {
    format: Format,
    lang: Lang,
    out: Output<'w>,
    /// The hex text read, when frames come from one whose link type was not given: each frame dumped that
    /// looks like IP is said to be so.
    warn_ip: Option<(&'t str, &'t [hextext::HexPacket])>,
}

impl Consumer for Dumper<'_, '_> {
    fn frame(
        &mut self,
        frame: &Frame<'_>,
        _: &impl FrameView,
        dissection: Option<&Dissection<'_>>,
    ) -> Result<Flow, String> {
        let dissection = dissection.ok_or("a hex dump needs the built-in dissector")?;
        if let Some((name, packets)) = self.warn_ip
            && let Some(packet) = usize::try_from(frame.number - 1)
                .ok()
                .and_then(|i| packets.get(i))
        {
            warn_if_ip(name, frame.number, packet);
        }
        let frame = hexdump::Frame {
            number: frame.number,
            bytes: frame.data,
            dissection,
        };
        hexdump::write_frame(&mut self.out.buf, &frame, self.format, self.lang);
        Ok(if self.out.maybe_flush() {
            Flow::Continue
        } else {
            Flow::Stop
        })
    }
}

impl Dumper<'_, '_> {
    /// Closes the document (also after an error, so what was written is a whole page) and flushes.
    fn finish(mut self) -> std::io::Result<()> {
        hexdump::write_end(&mut self.out.buf, self.format, self.lang);
        self.out.finish()
    }
}

impl FormatArg {
    /// The extension of an output file in a directory.
    fn extension(self) -> &'static str {
        match self {
            FormatArg::Text => "txt",
            FormatArg::Markdown => "md",
            FormatArg::Html => "html",
            FormatArg::Svg => "svg",
        }
    }
}

/// The jobs: the hex text, or the captures; to standard output, to one file, or into a directory.
fn plan(args: &HexdumpArgs) -> Result<(Vec<Job>, Report), String> {
    let inputs = match &args.from_text {
        Some(path) => std::slice::from_ref(path),
        None => args.files.as_slice(),
    };
    let one_file = inputs.len() == 1 && !inputs[0].is_dir();
    let jobs = match &args.output {
        Some(out) if one_file && !out.is_dir() => {
            let jobs = vec![Job::new(inputs[0].clone(), Destination::File(out.clone()))];
            batch::refuse_collisions(&jobs)?;
            jobs
        }
        Some(dir) if args.from_text.is_some() => {
            let name = inputs[0].file_name().map(PathBuf::from).unwrap_or_default();
            let out = dir.join(name).with_extension(args.format.extension());
            let jobs = vec![Job {
                make_directory: true,
                ..Job::new(inputs[0].clone(), Destination::File(out))
            }];
            batch::refuse_collisions(&jobs)?;
            jobs
        }
        Some(dir) => batch::plan(inputs, Some(dir), |relative| {
            relative.with_extension(args.format.extension())
        })?,
        None if args.from_text.is_some() => vec![Job::new(inputs[0].clone(), Destination::Stdout)],
        None => batch::plan(inputs, None, Path::to_path_buf)?,
    };
    let report = if one_file && args.output.as_ref().is_none_or(|o| !o.is_dir()) {
        Report::Detail
    } else {
        Report::Table
    };
    Ok((jobs, report))
}

pub fn run(args: &HexdumpArgs) -> ExitCode {
    let format = match args.format {
        FormatArg::Text => Format::Text,
        FormatArg::Markdown => Format::Markdown,
        FormatArg::Html => Format::Html,
        FormatArg::Svg => Format::Svg,
    };
    if format == Format::Svg && args.frame.is_none() {
        eprintln!(
            "vxscope: --format svg draws one frame: give --frame N (--format html draws every frame)"
        );
        return ExitCode::FAILURE;
    }
    let lang = match args.lang {
        LangArg::En => Lang::En,
        LangArg::Zh => Lang::Zh,
    };
    let dissector = match args.decode.dissector() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("vxscope: {e}");
            return ExitCode::FAILURE;
        }
    };
    let filter = match args.decode.filter_or_exit("vxscope") {
        Ok(f) => f,
        Err(status) => return status,
    };
    let (jobs, report) = match plan(args) {
        Ok(planned) => planned,
        Err(e) => {
            eprintln!("vxscope: {e}");
            return ExitCode::from(2);
        }
    };
    // Dumps printed one after the other are each headed by their file's name.
    let named = jobs.len() > 1
        && jobs[0].output == Destination::Stdout
        && matches!(format, Format::Text | Format::Markdown);
    let settings = Settings {
        who: "vxscope",
        cores: args.batch.cores(),
        quiet: args.batch.quiet,
        report,
    };
    batch::run(&jobs, &settings, |job, io| {
        // Hex text is read whole and checked before anything is written.
        let text = match &args.from_text {
            Some(_) => match read_hex_text(&job.input) {
                Ok(text) => Some(text),
                Err(e) => return Outcome::failed(e),
            },
            None => None,
        };
        batch::write_output(job, io, |out, progress| {
            let mut dumper = Dumper {
                format,
                lang,
                out: Output::to(out),
                warn_ip: None,
            };
            if named {
                let heading = format!("# {}\n\n", job.name);
                dumper.out.buf.extend_from_slice(heading.as_bytes());
            }
            let result = dump(
                args,
                &dissector,
                job,
                text.as_ref(),
                &mut dumper,
                progress,
                filter.as_ref(),
            );
            let written = dumper.finish();
            let outcome = match result {
                Ok(ended) => Outcome {
                    packets: ended.last_frame,
                    counts: vec![("dumped", ended.consumed)],
                    ..Outcome::default()
                },
                Err(message) => Outcome::failed(message),
            };
            (outcome, written)
        })
    })
    .finish(&settings)
}

/// Dumps one input (its hex text, or its capture) into `dumper`.
fn dump<'t>(
    args: &HexdumpArgs,
    dissector: &Dissector,
    job: &Job,
    text: Option<&'t (String, Vec<hextext::HexPacket>)>,
    dumper: &mut Dumper<'t, '_>,
    progress: &mut Progress<'_>,
    filter: Option<&Filter>,
) -> Result<Ended, String> {
    hexdump::write_start(&mut dumper.out.buf, dumper.format, dumper.lang);
    // Frames before the one asked for are dissected too, as `vxscope dissect` does: what the session learns
    // from them shapes the notes of later ones.
    let selection = args.frame.map_or(Selection::ALL, Selection::only);
    let mut frames = FrameLoop::new(Engine::Builtin(dissector), selection, Record::Everything)
        .filtered(filter.cloned());
    let filtered = filter.is_some();
    let missing = |name: &str, ended: Ended, input: &str, unit: &str| match args.frame {
        Some(f) if ended.consumed == 0 && filtered && f <= ended.last_frame => Err(format!(
            "{name}: frame {f} does not pass the display filter"
        )),
        Some(f) if ended.consumed == 0 => Err(format!(
            "{name}: there is no frame {f}: the {input} holds {} {unit}{}",
            ended.last_frame,
            if ended.last_frame == 1 { "" } else { "s" }
        )),
        _ => Ok(ended),
    };
    match text {
        Some((name, packets)) => {
            if args.link_type.is_none() {
                dumper.warn_ip = Some((name, packets));
            }
            let link_type = args.link_type.unwrap_or(LinkType::ETHERNET);
            let mut watch = Watch {
                progress,
                inner: dumper,
            };
            frames
                .run(name, &mut HexFrames::new(packets, link_type), &mut watch)
                .and_then(|ended| missing(name, ended, "text", "packet"))
        }
        None => {
            let name = &job.name;
            let mut watch = Watch {
                progress,
                inner: dumper,
            };
            open_capture(&job.input)
                .and_then(|mut r| frames.run(name, &mut r, &mut watch))
                .and_then(|ended| missing(name, ended, "capture", "frame"))
        }
    }
}

/// Reads and parses hex text; errors name the file and the line.
fn read_hex_text(path: &Path) -> Result<(String, Vec<hextext::HexPacket>), String> {
    let name = if path.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    let mut raw = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().lock().read_to_end(&mut raw)
    } else {
        File::open(path).and_then(|mut f| f.read_to_end(&mut raw))
    };
    read.map_err(|e| format!("{name}: {e}"))?;
    let text = String::from_utf8(raw).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!("{name}: line {line}: not text (invalid UTF-8 at byte offset {at}); is this a capture file? Give it without --from-text")
    })?;
    let packets = hextext::parse(&text).map_err(|e| format!("{name}: {e}"))?;
    if packets.is_empty() {
        return Err(format!(
            "{name}: no hex dump found (expected lines like tcpdump -XX's \"0x0000:  0050 5693 ...\", xxd's, od -Ax -tx1's, or a hex stream)"
        ));
    }
    Ok((name, packets))
}

/// Says so when a frame read as Ethernet looks like an IPv4 or IPv6 header (tcpdump -x prints from IP).
fn warn_if_ip(name: &str, number: u64, packet: &hextext::HexPacket) {
    let b = &packet.bytes;
    let ipv4 = b.len() >= 20 && b[0] >> 4 == 4 && b[0] & 0xf >= 5 && {
        let total = usize::from(u16::from_be_bytes([b[2], b[3]]));
        total == b.len()
    };
    let ipv6 = b.len() >= 40
        && b[0] >> 4 == 6
        && usize::from(u16::from_be_bytes([b[4], b[5]])) + 40 == b.len();
    if ipv4 || ipv6 {
        eprintln!(
            "vxscope: {name}: line {}: packet {number} looks like it starts at an IPv{} header, not at Ethernet; if the dump is tcpdump -x (without -xx), add --link-type raw",
            packet.line,
            if ipv4 { 4 } else { 6 }
        );
    }
}
