//! `vxscope`: read flannel's VXLAN traffic (UDP 8472) byte by byte.

mod batch;
mod clock;
mod columnar;
mod compare;
mod decode;
mod dissect;
mod docs;
mod fields;
mod frames;
mod hexdump;
mod input;
mod live;
mod output;
mod plugin;
mod rewrite;
mod summary;
mod topology;
mod wireshark;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::decode::DecodeArgs;

/// The seed packet (k8s-node1's pod pinging a pod on k8s-node2, captured on the node NIC), dissected when
/// vxscope runs without arguments.
pub const BUNDLED_SAMPLE: &[u8] = include_bytes!("../../samples/seed.pcap");
pub const BUNDLED_SAMPLE_NAME: &str = "samples/seed.pcap (bundled)";

#[derive(Parser)]
#[command(
    name = "vxscope",
    version,
    about = "Decode VXLAN traffic on UDP 8472 (Linux and flannel) and 4789, every byte labelled",
    long_about = "Decode VXLAN traffic on UDP 8472 (Linux and flannel) and 4789, every byte labelled.\n\n\
                  Without a command, dissects the bundled sample packet (a pod-to-pod ping through flannel) in full."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Dissect capture files (pcap or pcapng; - for standard input)
    Dissect(DissectArgs),
    /// List the field registry: every field's abbreviation, name and type
    Fields(FieldsArgs),
    /// Strip VXLAN: each VXLAN packet becomes the Ethernet frame it carries, with the same timestamp
    Strip(rewrite::StripArgs),
    /// Wrap each frame in outer Ethernet, IP, UDP and VXLAN headers, as a Linux VXLAN device sends it
    #[command(mut_arg(decode::PORTS_ID, decode::vxlan_port_only))]
    Encap(rewrite::EncapArgs),
    /// Change the UDP port and the VNI of VXLAN packets in place; every other byte stays as it was
    #[command(mut_arg(decode::PORTS_ID, decode::vxlan_port_only))]
    Remap(rewrite::RemapArgs),
    /// Print the flannel node table the sources and the captures show (addresses, VTEP MACs, pod subnets, VNIs,
    /// ports, packet counts), and every conflict between them
    Topology(topology::TopologyCommand),
    /// Annotated hex dump of frames (from a capture or pasted hex text) as text, Markdown or HTML
    Hexdump(hexdump::HexdumpArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(docs::CompletionsArgs),
    /// Print the man page, or write one a command into a directory (--dir)
    Man(docs::ManArgs),
    /// Follow packets across captures of successive hops of a path (given in path order): matched, lost,
    /// latency, and what changed on the way
    Compare(compare::CompareArgs),
    /// Install, uninstall or check the Wireshark plugin (VXLAN on 8472 and a flannel tree in Wireshark)
    Wireshark(wireshark::WiresharkArgs),
}

#[derive(Args, Clone)]
pub struct DissectArgs {
    /// Capture files (pcap or pcapng), directories (walked for *.pcap, *.pcapng, *.cap), or - for standard
    /// input
    #[arg(value_name = "FILE", required_unless_present = "interface")]
    pub files: Vec<PathBuf>,
    /// Capture live on this network interface instead (libpcap; `any` for all); Ctrl-C ends it
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        conflicts_with = "files"
    )]
    pub interface: Option<String>,
    /// With -i: only packets matching this BPF filter (tcpdump's syntax, e.g. 'udp port 8472')
    #[arg(
        short = 'f',
        long = "filter",
        value_name = "BPF",
        requires = "interface"
    )]
    pub filter: Option<String>,
    /// With -i: also write the packets read to this pcap file (put in place when the capture ends)
    #[arg(
        short = 'w',
        long = "write",
        value_name = "FILE",
        requires = "interface"
    )]
    pub write: Option<PathBuf>,
    /// Write each input's dissection into DIR, under the input's name with the extension .txt (.jsonl with
    /// --json, .ek.jsonl with -T ek, .parquet with -T parquet), instead of standard output; with -T parquet
    /// and one input, a name ending in .parquet is the output file itself
    #[arg(
        short = 'o',
        long = "output-dir",
        value_name = "DIR",
        conflicts_with = "interface"
    )]
    pub output_dir: Option<PathBuf>,
    #[command(flatten)]
    pub batch: batch::BatchArgs,
    /// Print every field with its offset and length (the full tree)
    #[arg(short = 'V', long)]
    pub verbose: bool,
    /// Print one JSON object a frame (JSON lines)
    #[arg(long, conflicts_with = "verbose")]
    pub json: bool,
    /// Output format: `fields` writes the values of the fields named by -e, one line a frame (tshark's -T
    /// fields); `ek`, Elasticsearch bulk-API lines (tshark's -T ek); `parquet`, a Parquet file (needs -o), a
    /// column a field of -e (or the default set), a row a frame
    #[arg(short = 'T', long = "format", value_enum, value_name = "FORMAT", conflicts_with_all = ["verbose", "json", "plugin"])]
    pub output_format: Option<OutputFormat>,
    /// A field for -T fields or -T parquet (repeatable, in column order): any name of `vxscope fields` with its
    /// scope (`inner.ip.src`), `frame.number`, `frame.time_epoch`, `frame.len`, `frame.cap_len`, or a note
    /// code; with -T parquet also `notes`, the list of the frame's note codes
    #[arg(short = 'e', value_name = "FIELD", requires = "output_format")]
    pub fields: Vec<String>,
    /// How -T fields writes: header=y|n, separator=/t|/s|C, aggregator=/s|C, quote=d|s|n, occurrence=f|l|a
    /// (repeatable)
    #[arg(short = 'E', value_name = "KEY=VALUE", requires = "output_format")]
    pub field_options: Vec<String>,
    /// Stop after N frames
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Only frame N (1-based, as Wireshark numbers them)
    #[arg(long, value_name = "N", conflicts_with = "frames")]
    pub frame: Option<u64>,
    /// Only frames A to B (inclusive; `A-` for A to the end)
    #[arg(long, value_name = "A-B", value_parser = parse_range)]
    pub frames: Option<(u64, u64)>,
    /// Print times in UTC instead of local time
    #[arg(long)]
    pub utc: bool,
    /// End with packet counts per node pair and a count of each diagnosis
    #[arg(long)]
    pub summary: bool,
    #[command(flatten)]
    pub decode: DecodeArgs,
    /// Dissect through this plugin: a shared library exporting vxscope_plugin_v1, such as libvxscope.so
    #[arg(long, value_name = "PATH", conflicts_with_all = ["summary", "display_filter"])]
    pub plugin: Option<PathBuf>,
}

/// What `dissect -T` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// The fields named by -e, one line a frame
    Fields,
    /// Elasticsearch bulk-API lines: an index line and a document a frame
    Ek,
    /// A Parquet file: a row a frame, a column a field (-o FILE.parquet or -o DIR)
    Parquet,
}

#[derive(Args)]
struct FieldsArgs {
    /// Only fields whose abbreviation starts with this (`vxlan`, `ip.`)
    prefix: Option<String>,
}

fn parse_range(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s.split_once('-').ok_or("expected A-B, for example 10-20")?;
    let a: u64 = a
        .trim()
        .parse()
        .map_err(|_| format!("{a:?} is not a frame number"))?;
    let b: u64 = if b.trim().is_empty() {
        u64::MAX
    } else {
        b.trim()
            .parse()
            .map_err(|_| format!("{b:?} is not a frame number"))?
    };
    if a == 0 || b < a {
        return Err(format!(
            "{s}: frames are numbered from 1 and the range must not be empty"
        ));
    }
    Ok((a, b))
}

/// Asks glibc's allocator to keep the memory a finished file's buffers give back, for the next file's: by default
/// it returns buffers of 128 KiB and more to the kernel (`munmap`, or shrinking the heap), and every file of a
/// batch then faults in and zeroes fresh pages for its reader's, writer's and decoder's buffers (a seventh of a
/// `strip` batch's time, most of it in the kernel). The peak is unchanged: only the giving back is.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets two of the allocator's parameters; it is called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    match cli.command {
        None => dissect::run_bundled_sample(),
        Some(Command::Dissect(args)) => dissect::run(&args),
        Some(Command::Fields(args)) => fields::run(args.prefix.as_deref()),
        Some(Command::Strip(args)) => rewrite::strip(&args),
        Some(Command::Encap(args)) => rewrite::encap(&args),
        Some(Command::Remap(args)) => rewrite::remap(&args),
        Some(Command::Topology(args)) => topology::run(&args),
        Some(Command::Hexdump(args)) => hexdump::run(&args),
        Some(Command::Completions(args)) => docs::completions(&args),
        Some(Command::Man(args)) => docs::man(&args),
        Some(Command::Compare(args)) => compare::run(&args),
        Some(Command::Wireshark(args)) => wireshark::run(&args),
    }
}
