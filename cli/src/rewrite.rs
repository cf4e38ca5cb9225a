//! `vxscope strip`, `vxscope encap`, `vxscope remap`: rewrite the VXLAN packets of a capture into another.

use std::fs::File;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use vxscope_capture::{CaptureReader, OutputFormat};
use vxscope_dissector::{Dissector, PORT_LINUX_VXLAN, filter::Filter, flannel};
use vxscope_rewriter::encap::{self, Encap, EncapConfig, FlannelRoute, Outer, Route, SourcePort};
use vxscope_rewriter::locate::{self, Damage};
use vxscope_rewriter::output::{self, AtomicFile, BackgroundWriter};
use vxscope_rewriter::remap::{self, Maps, Remap};
use vxscope_rewriter::run::{
    self, Options, OtherPolicy, OutputFormatChoice, Report, Rewrite, RunError,
};
use vxscope_rewriter::select::Selected;
use vxscope_rewriter::strip::Strip;

use crate::batch::{self, BatchArgs, Destination, Job, JobIo, Outcome, Report as Shown, Settings};
use crate::decode::DecodeArgs;

/// Bytes buffered before each write to the output, and how many such buffers the writer thread cycles.
const OUTPUT_BUFFER: usize = 1 << 20;
const OUTPUT_BUFFERS: usize = 3;

/// The inputs, the outputs and what to do with the packets that are not rewritten.
#[derive(Args, Clone, Debug)]
pub struct RewriteIo {
    /// `IN OUT`: the input capture (pcap or pcapng; - for standard input) and the output capture (written
    /// beside it under a temporary name, then put in its place; - for standard output). With -o DIR: the
    /// input captures, and directories walked for *.pcap, *.pcapng and *.cap
    #[arg(value_name = "IN", required = true)]
    pub paths: Vec<PathBuf>,
    /// Write each input's output into DIR, under the input's name (a directory's captures under the
    /// directory's name and their path in it), its extension changed by --format
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Output container [default: the input's; pcap keeps nanoseconds when the input has them]
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Packets that are not rewritten (not VXLAN, or damaged): keep them as they are (converted to Ethernet
    /// when a pcap output of link type Ethernet needs it), or drop them
    #[arg(long, value_enum, default_value = "keep")]
    pub other: OtherArg,
    /// Comment each rewritten packet with the outer headers' summary (pcapng output only)
    #[arg(long)]
    pub annotate: bool,
    #[command(flatten)]
    pub batch: BatchArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Pcap,
    Pcapng,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OtherArg {
    Keep,
    Drop,
}

#[derive(Args, Clone, Debug)]
pub struct StripArgs {
    #[command(flatten)]
    pub io: RewriteIo,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

#[derive(Args, Clone, Debug)]
pub struct EncapArgs {
    #[command(flatten)]
    pub io: RewriteIo,
    /// VXLAN network identifier [default: 1, or the node's with --node]
    #[arg(long)]
    pub vni: Option<u32>,
    /// Outer UDP destination port [default: 8472, or the node's with --node]
    #[arg(long)]
    pub port: Option<u16>,
    /// Outer source address (IPv4 or IPv6)
    #[arg(
        long,
        value_name = "IP",
        required_unless_present = "node",
        conflicts_with = "node"
    )]
    pub outer_src_ip: Option<IpAddr>,
    /// Outer destination address (IPv4 or IPv6, as the source)
    #[arg(
        long,
        value_name = "IP",
        required_unless_present = "node",
        conflicts_with = "node"
    )]
    pub outer_dst_ip: Option<IpAddr>,
    /// Outer source MAC address
    #[arg(long, value_name = "MAC", value_parser = parse_mac, default_value = "00:00:00:00:00:00")]
    pub outer_src_mac: [u8; 6],
    /// Outer destination MAC address
    #[arg(long, value_name = "MAC", value_parser = parse_mac, default_value = "00:00:00:00:00:00")]
    pub outer_dst_mac: [u8; 6],
    /// Outer UDP source port: a number, or `flow` (a hash of the inner flow into 32768-60999, as Linux
    /// spreads flows)
    #[arg(long, value_name = "N|flow", value_parser = parse_source_port, default_value = "flow")]
    pub src_port: SourcePort,
    /// Outer UDP checksum: computed (as Linux sends it) or zero (no checksum)
    #[arg(long, value_enum, default_value = "compute")]
    pub udp_checksum: EncapChecksumArg,
    /// Encapsulate as flannel.1 of this node does, from the topology (--nodes): the outer destination is the
    /// node owning the inner destination's pod subnet, the inner MACs the two VTEP MACs, the inner TTL one
    /// less. Frames it would not carry go by --other
    #[arg(long, value_name = "NAME", requires = "nodes")]
    pub node: Option<String>,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EncapChecksumArg {
    Zero,
    Compute,
}

#[derive(Args, Clone, Debug)]
pub struct RemapArgs {
    #[command(flatten)]
    pub io: RewriteIo,
    /// Move VXLAN from UDP port A to port B (repeatable)
    #[arg(long = "port", value_name = "A:B", value_parser = parse_pair::<u16>)]
    pub ports: Vec<(u16, u16)>,
    /// Change VNI A to VNI B (repeatable)
    #[arg(long = "vni", value_name = "A:B", value_parser = parse_pair::<u32>)]
    pub vnis: Vec<(u32, u32)>,
    /// Outer UDP checksum: keep it in the state it was (updated incrementally; zero stays zero), set it to
    /// zero, or compute it
    #[arg(long, value_enum, default_value = "keep")]
    pub udp_checksum: RemapChecksumArg,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RemapChecksumArg {
    Keep,
    Zero,
    Compute,
}

fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    flannel::parse_mac(s).ok_or_else(|| format!("{s:?} is not a MAC address (aa:bb:cc:dd:ee:ff)"))
}

fn parse_source_port(s: &str) -> Result<SourcePort, String> {
    if s == "flow" {
        return Ok(SourcePort::Flow);
    }
    s.parse()
        .map(SourcePort::Fixed)
        .map_err(|_| format!("{s:?} is neither a port number nor `flow`"))
}

fn parse_pair<T: std::str::FromStr>(s: &str) -> Result<(T, T), String> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?}: expected A:B, for example 8472:4789"))?;
    let number = |x: &str| {
        x.trim()
            .parse::<T>()
            .map_err(|_| format!("{x:?} is not a valid number here"))
    };
    Ok((number(a)?, number(b)?))
}

/// The dissector of a rewrite: the decoding options' configuration (with VXLAN on `vxlan_ports` too) as a
/// rewrite reads it, over their topology.
fn rewrite_dissector(
    command: &str,
    decode: &DecodeArgs,
    vxlan_ports: &[u16],
) -> Result<Dissector, ExitCode> {
    let mut config = decode.config();
    config.add_vxlan_ports(vxlan_ports);
    decode
        .dissector_of(locate::rewrite_config(config))
        .map_err(|e| {
            eprintln!("vxscope {command}: {e}");
            ExitCode::FAILURE
        })
}

pub fn strip(args: &StripArgs) -> ExitCode {
    let dissector = match rewrite_dissector("strip", &args.decode, &[]) {
        Ok(d) => d,
        Err(status) => return status,
    };
    let annotate = args.io.annotate;
    batch_run(&args.io, "strip", &args.decode, |job, io, filter| {
        let strip = Strip::new(&dissector, annotate);
        execute_selected(&args.io, job, io, "strip", "stripped", filter, strip)
    })
}

pub fn encap(args: &EncapArgs) -> ExitCode {
    let usage = |e: String| {
        eprintln!("vxscope encap: {e}");
        ExitCode::from(2)
    };
    let (route, defaults) = match (&args.node, args.outer_src_ip, args.outer_dst_ip) {
        (Some(name), _, _) => {
            let topology = match args.decode.topology() {
                Ok(t) => t,
                Err(e) => return usage(e),
            };
            let mut route = match FlannelRoute::new(topology, name) {
                Ok(r) => r,
                Err(e) => return usage(e),
            };
            route.outer_src_mac = args.outer_src_mac;
            route.outer_dst_mac = args.outer_dst_mac;
            let defaults = route.vni_and_port();
            (Route::Flannel(Box::new(route)), defaults)
        }
        (None, Some(src_ip), Some(dst_ip)) => {
            let outer = Outer {
                src_ip,
                dst_ip,
                src_mac: args.outer_src_mac,
                dst_mac: args.outer_dst_mac,
            };
            if let Err(e) = outer.validate() {
                return usage(e);
            }
            (Route::Fixed(outer), (1, PORT_LINUX_VXLAN))
        }
        _ => return usage("give --outer-src-ip and --outer-dst-ip, or --nodes and --node".into()),
    };
    let config = EncapConfig {
        vni: args.vni.unwrap_or(defaults.0),
        port: args.port.unwrap_or(defaults.1),
        src_port: args.src_port,
        udp_checksum: match args.udp_checksum {
            EncapChecksumArg::Zero => encap::UdpChecksum::Zero,
            EncapChecksumArg::Compute => encap::UdpChecksum::Compute,
        },
    };
    if let Err(e) = config.validate() {
        return usage(e);
    }
    let dissector = match rewrite_dissector("encap", &args.decode, &[]) {
        Ok(d) => d,
        Err(status) => return status,
    };
    batch_run(&args.io, "encap", &args.decode, |job, io, filter| {
        let encap = Encap::new(&dissector, config, route.clone(), args.io.annotate);
        execute_selected(&args.io, job, io, "encap", "encapsulated", filter, encap)
    })
}

pub fn remap(args: &RemapArgs) -> ExitCode {
    let maps = Maps {
        ports: args.ports.clone(),
        vnis: args.vnis.clone(),
    };
    if let Err(e) = maps.validate() {
        eprintln!("vxscope remap: {e}");
        return ExitCode::from(2);
    }
    let mode = match args.udp_checksum {
        RemapChecksumArg::Keep => remap::ChecksumMode::Keep,
        RemapChecksumArg::Zero => remap::ChecksumMode::Zero,
        RemapChecksumArg::Compute => remap::ChecksumMode::Compute,
    };
    let dissector = match rewrite_dissector("remap", &args.decode, &maps.vxlan_ports()) {
        Ok(d) => d,
        Err(status) => return status,
    };
    batch_run(&args.io, "remap", &args.decode, |job, io, filter| {
        let remap = Remap::new(&dissector, maps.clone(), mode, args.io.annotate);
        execute_selected(&args.io, job, io, "remap", "remapped", filter, remap)
    })
}

fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// The jobs of a rewrite: `IN OUT`, or inputs and `-o DIR` (outputs renamed by `--format`).
fn plan(io: &RewriteIo) -> Result<(Vec<Job>, Shown), String> {
    let Some(dir) = &io.output_dir else {
        return match io.paths.as_slice() {
            [input, output] => {
                let output = if is_stdio(output) {
                    Destination::Stdout
                } else {
                    Destination::File(output.clone())
                };
                Ok((vec![Job::new(input.clone(), output)], Shown::Detail))
            }
            _ => {
                Err("give one input and its output (IN OUT), or the inputs and -o DIR".to_string())
            }
        };
    };
    if dir.exists() && !dir.is_dir() {
        return Err(format!("-o {}: not a directory", dir.display()));
    }
    let extension = io.format.map(|f| match f {
        FormatArg::Pcap => "pcap",
        FormatArg::Pcapng => "pcapng",
    });
    let jobs = batch::plan(&io.paths, Some(dir), |relative| match extension {
        Some(e) => relative.with_extension(e),
        None => relative.to_path_buf(),
    })?;
    Ok((jobs, Shown::Table))
}

/// The display filter (`-Y`) of a rewrite, and the dissector (the decoding options', with every field)
/// that reads the packets it is matched against.
pub struct DisplayFilter {
    filter: Filter,
    dissector: Dissector,
}

/// Plans the jobs of a rewrite and runs `work` over them, with the display filter if one is given.
fn batch_run<F>(io: &RewriteIo, command: &str, decode: &DecodeArgs, work: F) -> ExitCode
where
    F: Fn(&Job, &mut JobIo<'_>, Option<&DisplayFilter>) -> Outcome + Sync,
{
    let filter = match decode.filter_or_exit(&format!("vxscope {command}")) {
        Ok(filter) => filter,
        Err(status) => return status,
    };
    let filter = filter
        .map(|filter| {
            decode
                .dissector()
                .map(|dissector| DisplayFilter { filter, dissector })
        })
        .transpose();
    let filter = match filter {
        Ok(f) => f,
        Err(e) => {
            eprintln!("vxscope {command}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (jobs, report) = match plan(io) {
        Ok(planned) => planned,
        Err(e) => {
            eprintln!("vxscope {command}: {e}");
            return ExitCode::from(2);
        }
    };
    let who = format!("vxscope {command}");
    let settings = Settings {
        who: &who,
        cores: io.batch.cores(),
        quiet: io.batch.quiet,
        report,
    };
    batch::run(&jobs, &settings, |job, job_io| {
        work(job, job_io, filter.as_ref())
    })
    .finish(&settings)
}

/// [`execute`] over the packets the display filter (`-Y`) selects, if one is given; the others go by `--other`.
fn execute_selected(
    io: &RewriteIo,
    job: &Job,
    job_io: &mut JobIo<'_>,
    command: &str,
    verb: &'static str,
    filter: Option<&DisplayFilter>,
    mut rewrite: impl Rewrite,
) -> Outcome {
    match filter {
        None => execute(io, job, job_io, command, verb, &mut rewrite),
        Some(f) => {
            let mut selected = Selected::new(rewrite, &f.dissector, f.filter.clone());
            execute(io, job, job_io, command, verb, &mut selected)
        }
    }
}

/// Runs a rewrite of one job's input into its output.
fn execute(
    io: &RewriteIo,
    job: &Job,
    job_io: &mut JobIo<'_>,
    command: &str,
    verb: &'static str,
    rewrite: &mut dyn Rewrite,
) -> Outcome {
    let input = &job.input;
    let in_name = job.name.clone();
    let out_name = match &job.output {
        Destination::Stdout => "-".to_string(),
        Destination::File(p) => p.display().to_string(),
    };
    let fail = Outcome::failed;

    let reader = if is_stdio(input) {
        let stdin = io::stdin();
        if let Some(out) = job.output_file() {
            // Standard input may be redirected from the output file.
            let fd = std::os::fd::AsFd::as_fd(&stdin).try_clone_to_owned();
            if let Ok(fd) = fd
                && output::is_file_at(&File::from(fd), out).unwrap_or(false)
            {
                return fail(format!(
                    "refusing to write {out_name}: it is the input (standard input)"
                ));
            }
        }
        CaptureReader::from_stream(stdin)
    } else {
        if let Some(out) = job.output_file() {
            match output::same_file(input, out) {
                Ok(false) => {}
                Ok(true) => {
                    return fail(format!(
                        "refusing to write {out_name}: it is the input {in_name} (the input is never modified)"
                    ));
                }
                Err(e) => return fail(format!("{out_name}: {e}")),
            }
        }
        match File::open(input) {
            Ok(f) => CaptureReader::from_file(f),
            Err(e) => return fail(format!("{in_name}: {e}")),
        }
    };
    let mut reader = match reader {
        Ok(r) => r,
        Err(e) => return fail(format!("{in_name}: {e}")),
    };
    let options = Options {
        format: io.format.map(|f| match f {
            FormatArg::Pcap => OutputFormatChoice::Pcap,
            FormatArg::Pcapng => OutputFormatChoice::PcapNg,
        }),
        other: match io.other {
            OtherArg::Keep => OtherPolicy::Keep,
            OtherArg::Drop => OtherPolicy::Drop,
        },
    };
    let format = OutputFormatChoice::resolve(options.format, reader.format());
    if io.annotate && format != OutputFormat::PcapNg {
        return Outcome {
            bad_arguments: true,
            ..fail(format!(
                "{in_name}: --annotate writes packet comments, which only pcapng holds: add --format pcapng"
            ))
        };
    }

    let (file, target): (Option<AtomicFile>, Box<dyn Write + Send>) = match job.output_file() {
        None => (None, Box::new(io::stdout())),
        Some(out) => {
            if job.make_directory
                && let Err(e) = batch::create_parent(out)
            {
                return fail(e);
            }
            let created = AtomicFile::create(out)
                .and_then(|mut f| f.file().try_clone().map(|clone| (f, clone)));
            match created {
                Ok((f, clone)) => (Some(f), Box::new(batch::Stoppable(clone))),
                Err(e) => return fail(format!("cannot create {out_name}: {e}")),
            }
        }
    };
    // A writing thread when the file has a second core of `-j`'s; else this thread writes too.
    let mut out = if batch::cores_per_input() > 1 {
        BackgroundWriter::new(target, OUTPUT_BUFFER, OUTPUT_BUFFERS)
    } else {
        BackgroundWriter::inline(target, OUTPUT_BUFFER)
    };
    let mut watched = batch::WatchRewrite {
        progress: &mut job_io.progress,
        inner: rewrite,
    };
    let result = run::run(&mut reader, &mut out, &mut watched, options);
    let (report, error) = match result {
        Ok(report) => (report, None),
        Err(failure) => {
            let failure = *failure;
            (failure.report, Some(failure.error))
        }
    };
    let finished = out.finish();
    let mut outcome = Outcome {
        packets: report.read,
        counts: counts(command, verb, &report),
        damaged: Some(report.damaged),
        ..Outcome::default()
    };
    // Stopped by Ctrl-C: the temporary file is removed when `file` is dropped.
    if batch::interrupted() {
        outcome.interrupted = true;
        return outcome;
    }
    // On an error writing, the temporary file is removed when `file` is dropped.
    if let Some(RunError::Output(e)) = &error {
        outcome.failure = Some(format!("cannot write {out_name}: {e}"));
        return outcome;
    }
    if let Err(e) = finished {
        outcome.failure = Some(format!("cannot write {out_name}: {e}"));
        return outcome;
    }
    if let Some(f) = file
        && let Err(e) = f.commit()
    {
        outcome.failure = Some(format!("cannot rename the output into {out_name}: {e}"));
        return outcome;
    }
    outcome.detail = report_text(
        command,
        verb,
        &in_name,
        &out_name,
        &report,
        io,
        watched.inner,
    );
    outcome.failure = error
        .map(|e| format!("{in_name}: {e}\n  (every packet before it was written to {out_name})"));
    outcome
}

/// The summary's columns of a rewrite.
fn counts(command: &str, verb: &'static str, r: &Report) -> Vec<(&'static str, u64)> {
    let mut counts = vec![(verb, r.rewritten)];
    if command == "remap" {
        counts.push(("unchanged", r.unchanged));
    }
    counts.push(("kept", r.kept));
    counts.push(("dropped", r.dropped));
    if command == "strip" {
        counts.push(("fragments joined", r.reassembled.count));
    }
    counts
}

/// The report of one file, as a one-file run prints it.
fn report_text(
    command: &str,
    verb: &str,
    in_name: &str,
    out_name: &str,
    r: &Report,
    io: &RewriteIo,
    rewrite: &dyn Rewrite,
) -> String {
    let mut text = format!(
        "vxscope {command}: {} packets read from {in_name}: {} {verb}",
        r.read, r.rewritten
    );
    if command == "remap" || r.unchanged > 0 {
        text += &format!(", {} unchanged", r.unchanged);
    }
    text += &format!(
        ", {} kept, {} dropped, {} damaged\n",
        r.kept, r.dropped, r.damaged
    );
    let fate = match io.other {
        OtherArg::Keep => "written as they were",
        OtherArg::Drop => "dropped",
    };
    if r.reassembled.count > 0 {
        text += &format!(
            "  reassembled: {} outer IP fragments (first: frame {}) into {} datagram{}, each {verb} at the place and time of its last fragment\n",
            r.reassembled.count,
            r.reassembled.first_frame,
            r.datagrams,
            if r.datagrams == 1 { "" } else { "s" }
        );
    }
    for damage in Damage::ALL {
        let t = r.damage[damage.index()];
        if t.count > 0 {
            text += &format!(
                "  damaged: {} {} (first: frame {}), {fate}\n",
                t.count,
                damage.describe(),
                t.first_frame
            );
        }
    }
    let link = r
        .output_link_type
        .map_or_else(|| "?".to_string(), |l| l.to_string());
    if r.unconvertible.count > 0 {
        text += &format!(
            "  {} packets left out (first: frame {}): a pcap of link type {link} cannot hold them; --format pcapng keeps them\n",
            r.unconvertible.count, r.unconvertible.first_frame
        );
    }
    if r.converted > 0 {
        text += &format!(
            "  {} packets of other link types written as Ethernet frames (the pcap output has one link type)\n",
            r.converted
        );
    }
    for note in rewrite.notes() {
        text += &format!("  {note}\n");
    }
    let format = r.output_format.unwrap_or(OutputFormat::PcapNg).describe();
    let shown_out = if out_name == "-" {
        "standard output"
    } else {
        out_name
    };
    text += &format!("  wrote {shown_out}: {format}");
    if let Some(OutputFormat::Pcap { .. }) = r.output_format {
        text += &format!(", link type {link}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert_eq!(
            parse_mac("fe:90:c4:18:69:a7"),
            Ok([0xfe, 0x90, 0xc4, 0x18, 0x69, 0xa7])
        );
        assert_eq!(parse_mac("0-1-2-3-4-5"), Ok([0, 1, 2, 3, 4, 5]));
        assert!(parse_mac("fe:90:c4:18:69").is_err());
        assert!(parse_mac("fe:90:c4:18:69:a7g").is_err());
        assert_eq!(parse_pair::<u16>("8472:4789"), Ok((8472, 4789)));
        assert!(parse_pair::<u16>("8472").is_err());
        assert!(parse_pair::<u16>("8472:70000").is_err());
        assert_eq!(parse_source_port("flow"), Ok(SourcePort::Flow));
        assert_eq!(parse_source_port("40592"), Ok(SourcePort::Fixed(40592)));
        assert!(parse_source_port("any").is_err());
    }
}
