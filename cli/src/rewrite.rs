//! `vxscope strip`, `vxscope encap`, `vxscope remap`: rewrite the VXLAN packets of a capture into another.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use vxscope_capture::{CaptureReader, OutputFormat};
use vxscope_dissector::{Dissector, PORT_LINUX_VXLAN, flannel};
use vxscope_rewriter::encap::{self, Encap, EncapConfig, FlannelRoute, Outer, Route, SourcePort};
use vxscope_rewriter::locate::{self, Damage};
use vxscope_rewriter::output::{self, AtomicFile, BackgroundWriter};
use vxscope_rewriter::remap::{self, Maps, Remap};
use vxscope_rewriter::run::{
    self, Options, OtherPolicy, OutputFormatChoice, Report, Rewrite, RunError,
};
use vxscope_rewriter::select::Selected;
use vxscope_rewriter::strip::Strip;

use crate::decode::DecodeArgs;

/// Bytes buffered before each write to the output, and how many such buffers the writer thread cycles.
const OUTPUT_BUFFER: usize = 1 << 20;
const OUTPUT_BUFFERS: usize = 3;

/// The input, the output and what to do with the packets that are not rewritten.
#[derive(Args, Clone, Debug)]
pub struct RewriteIo {
    /// Input capture (pcap or pcapng), or - for standard input
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Output capture (written beside it under a temporary name, then put in its place); - for standard output
    #[arg(value_name = "OUT")]
    pub output: PathBuf,
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
    let strip = Strip::new(&dissector, args.io.annotate);
    execute_selected(&args.io, "strip", "stripped", &args.decode, strip)
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
    let encap = Encap::new(&dissector, config, route, args.io.annotate);
    execute_selected(&args.io, "encap", "encapsulated", &args.decode, encap)
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
    let remap = Remap::new(&dissector, maps, mode, args.io.annotate);
    execute_selected(&args.io, "remap", "remapped", &args.decode, remap)
}

fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// Runs a rewrite from `io.input` to `io.output` and reports on standard error.
/// [`execute`] over the packets the display filter (`-Y`) selects, if one is given; the others go by `--other`.
fn execute_selected(
    io: &RewriteIo,
    command: &str,
    verb: &str,
    decode: &DecodeArgs,
    mut rewrite: impl Rewrite,
) -> ExitCode {
    let fail = |message: String| {
        eprintln!("vxscope {command}: {message}");
        ExitCode::FAILURE
    };
    let filter = match decode.filter() {
        Ok(filter) => filter,
        Err(e) => return fail(e),
    };
    match filter {
        None => execute(io, command, verb, &mut rewrite),
        Some(filter) => match decode.dissector() {
            Ok(dissector) => execute(
                io,
                command,
                verb,
                &mut Selected::new(rewrite, &dissector, filter),
            ),
            Err(e) => fail(e),
        },
    }
}

fn execute(io: &RewriteIo, command: &str, verb: &str, rewrite: &mut dyn Rewrite) -> ExitCode {
    let in_name = io.input.display().to_string();
    let out_name = io.output.display().to_string();
    let fail = |message: String| {
        eprintln!("vxscope {command}: {message}");
        ExitCode::FAILURE
    };

    let reader = if is_stdio(&io.input) {
        let stdin = io::stdin();
        if !is_stdio(&io.output) {
            // Standard input may be redirected from the output file.
            let fd = std::os::fd::AsFd::as_fd(&stdin).try_clone_to_owned();
            if let Ok(fd) = fd
                && output::is_file_at(&File::from(fd), &io.output).unwrap_or(false)
            {
                return fail(format!(
                    "refusing to write {out_name}: it is the input (standard input)"
                ));
            }
        }
        CaptureReader::new(Box::new(stdin.lock()) as Box<dyn Read>)
    } else {
        if !is_stdio(&io.output) {
            match output::same_file(&io.input, &io.output) {
                Ok(false) => {}
                Ok(true) => {
                    return fail(format!(
                        "refusing to write {out_name}: it is the input {in_name} (the input is never modified)"
                    ));
                }
                Err(e) => return fail(format!("{out_name}: {e}")),
            }
        }
        match File::open(&io.input) {
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
        eprintln!(
            "vxscope {command}: --annotate writes packet comments, which only pcapng holds: add --format pcapng"
        );
        return ExitCode::from(2);
    }

    let (file, target): (Option<AtomicFile>, Box<dyn Write + Send>) = if is_stdio(&io.output) {
        (None, Box::new(io::stdout()))
    } else {
        let created = AtomicFile::create(&io.output)
            .and_then(|mut f| f.file().try_clone().map(|clone| (f, clone)));
        match created {
            Ok((f, clone)) => (Some(f), Box::new(clone)),
            Err(e) => return fail(format!("cannot create {out_name}: {e}")),
        }
    };
    let mut out = BackgroundWriter::new(target, OUTPUT_BUFFER, OUTPUT_BUFFERS);
    let result = run::run(&mut reader, &mut out, rewrite, options);
    let (report, error) = match result {
        Ok(report) => (report, None),
        Err(failure) => {
            let failure = *failure;
            (failure.report, Some(failure.error))
        }
    };
    let finished = out.finish();
    // On an error writing, the temporary file is removed when `file` is dropped.
    if let Some(RunError::Output(e)) = &error {
        return fail(format!("cannot write {out_name}: {e}"));
    }
    if let Err(e) = finished {
        return fail(format!("cannot write {out_name}: {e}"));
    }
    if let Some(f) = file
        && let Err(e) = f.commit()
    {
        return fail(format!("cannot rename the output into {out_name}: {e}"));
    }
    print_report(command, verb, &in_name, &out_name, &report, io, rewrite);
    match error {
        Some(e) => fail(format!(
            "{in_name}: {e}\n  (every packet before it was written to {out_name})"
        )),
        None => ExitCode::SUCCESS,
    }
}

fn print_report(
    command: &str,
    verb: &str,
    in_name: &str,
    out_name: &str,
    r: &Report,
    io: &RewriteIo,
    rewrite: &dyn Rewrite,
) {
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
    eprintln!("{text}");
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
