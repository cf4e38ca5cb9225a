//! `vxscope dissect`: one line a packet, the full tree (`-V`), or JSON lines (`--json`).

use std::io::{Read, Write as _};

use std::process::ExitCode;

use vxscope_capture::{CaptureReader, Packet};
use vxscope_dissector::flannel::{self, Session};
use vxscope_dissector::render::json::{FrameInfo, JsonWriter};
use vxscope_dissector::render::{FrameView, NativeView, summary, tree};
use vxscope_dissector::{Config, Dissection, Dissector};

use crate::clock::Clock;
use crate::input::open_capture;
use crate::output::Output;
use crate::plugin::{Plugin, Stream};
use crate::{BUNDLED_SAMPLE, BUNDLED_SAMPLE_NAME, DecodeAs, DissectArgs};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    OneLine,
    Tree,
    Json,
}

/// Which frames to print.
struct Selection {
    first: u64,
    last: u64,
    count: Option<u64>,
}

impl Selection {
    fn from_args(args: &DissectArgs) -> Selection {
        let (first, last) = match (args.frame, args.frames) {
            (Some(n), _) => (n, n),
            (None, Some(range)) => range,
            (None, None) => (1, u64::MAX),
        };
        Selection {
            first,
            last,
            count: args.count,
        }
    }
}

struct Printer {
    mode: Mode,
    clock: Clock,
    json: JsonWriter,
    out: Output,
    /// Name files in the output (several files in one run).
    name_files: bool,
    /// Follows the capture(s) for the diagnoses that compare packets, and the summary.
    session: Session,
}

pub fn config_from_args(args: &DissectArgs) -> Config {
    let mut config = Config::default();
    config.add_vxlan_ports(&args.ports);
    config.add_gpe_ports(&args.gpe_ports);
    config.decode_8472_as_otv = args.decode_as == DecodeAs::Otv;
    config.gbp = args.gbp;
    config
}

/// What dissects the frames: the built-in dissector, or a plugin loaded with `--plugin`.
enum Engine<'a, 'p> {
    Builtin(&'a Dissector),
    Plugin(&'a mut Stream<'p>),
}

pub fn run(args: &DissectArgs) -> ExitCode {
    let mode = if args.json {
        Mode::Json
    } else if args.verbose {
        Mode::Tree
    } else {
        Mode::OneLine
    };
    let plugin = match args.plugin.as_deref().map(Plugin::load).transpose() {
        Ok(plugin) => plugin,
        Err(message) => {
            eprintln!("vxscope: {message}");
            return ExitCode::FAILURE;
        }
    };
    let mut stream = match plugin
        .as_ref()
        .map(|p| {
            p.stream(
                &config_from_args(args),
                &args.topology,
                mode != Mode::OneLine,
            )
        })
        .transpose()
    {
        Ok(stream) => stream,
        Err(message) => {
            eprintln!("vxscope: {message}");
            return ExitCode::FAILURE;
        }
    };
    // The plugin builds its own topology from the same sources.
    let topology = if stream.is_some() {
        Ok(Default::default())
    } else {
        args.topology.load()
    };
    let topology = match topology {
        Ok(t) => t,
        Err(e) => {
            eprintln!("vxscope: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dissector = Dissector::with_topology(config_from_args(args), topology);
    let mut printer = Printer {
        mode,
        clock: Clock::new(args.utc),
        json: JsonWriter::new(),
        out: Output::new(),
        name_files: args.files.len() > 1,
        session: Session::new(),
    };
    let selection = Selection::from_args(args);
    let mut failed = false;
    for path in &args.files {
        let name = path.display().to_string();
        let mut engine = match stream.as_mut() {
            Some(s) => Engine::Plugin(s),
            None => Engine::Builtin(&dissector),
        };
        let result = open_capture(path)
            .and_then(|r| dissect_stream(&name, r, &mut engine, &selection, &mut printer));
        if let Err(message) = result {
            printer.out.flush();
            eprintln!("vxscope: {message}");
            failed = true;
        }
    }
    if args.summary {
        let report = crate::summary::report(dissector.topology(), &printer.session);
        printer.out.buf.extend_from_slice(report.as_bytes());
    }
    printer.out.flush();
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `vxscope` without arguments: the bundled sample, in full.
pub fn run_bundled_sample() -> ExitCode {
    let dissector = Dissector::new(Config::default());
    let mut printer = Printer {
        mode: Mode::Tree,
        clock: Clock::new(true),
        json: JsonWriter::new(),
        out: Output::new(),
        name_files: false,
        session: Session::new(),
    };
    let selection = Selection {
        first: 1,
        last: u64::MAX,
        count: None,
    };
    printer.out.buf.extend_from_slice(
        b"vxscope: the bundled sample, a ping from pod 10.244.1.12 on k8s-node1 to pod 10.244.2.14 on k8s-node2,\n\
          captured on k8s-node1's NIC (run `vxscope dissect FILE` for your own captures, `vxscope --help` for more)\n\n",
    );
    let reader = match CaptureReader::new(BUNDLED_SAMPLE) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vxscope: {BUNDLED_SAMPLE_NAME}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match dissect_stream(
        BUNDLED_SAMPLE_NAME,
        reader,
        &mut Engine::Builtin(&dissector),
        &selection,
        &mut printer,
    ) {
        Ok(()) => {
            printer.out.flush();
            ExitCode::SUCCESS
        }
        Err(message) => {
            printer.out.flush();
            eprintln!("vxscope: {message}");
            ExitCode::FAILURE
        }
    }
}

fn dissect_stream<R: Read>(
    name: &str,
    mut reader: CaptureReader<R>,
    engine: &mut Engine<'_, '_>,
    selection: &Selection,
    printer: &mut Printer,
) -> Result<(), String> {
    if printer.name_files && printer.mode != Mode::Json {
        printer
            .out
            .buf
            .extend_from_slice(format!("# {name}\n").as_bytes());
    }
    // One line a frame reads few fields: only those are recorded.
    let mut d = if printer.mode == Mode::OneLine {
        Dissection::recording(&[summary::FIELDS_READ, flannel::FIELDS_READ].concat())
    } else {
        Dissection::new()
    };
    let mut printed = 0u64;
    loop {
        let packet = match reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(()),
            Err(e) => return Err(format!("{name}: {e}")),
        };
        if packet.number > selection.last || selection.count.is_some_and(|c| printed >= c) {
            return Ok(());
        }
        // Frames before the selection are dissected too: what the session learns from them shapes the notes.
        let selected = packet.number >= selection.first;
        match engine {
            Engine::Builtin(dissector) => {
                let session = &mut printer.session;
                session.dissect(
                    dissector,
                    packet.link_type,
                    packet.data,
                    packet.orig_len,
                    &mut d,
                );
                if !selected {
                    continue;
                }
                let view = NativeView {
                    dissection: &d,
                    frame: packet.data,
                };
                printer.frame(name, &packet, &view);
            }
            Engine::Plugin(stream) => {
                let view = stream
                    .dissect(packet.link_type.0, packet.data, packet.orig_len, selected)
                    .map_err(|e| {
                        format!(
                            "{name}: frame {}, byte offset {}: {e}",
                            packet.number, packet.offset
                        )
                    })?;
                if !selected {
                    continue;
                }
                printer.frame(name, &packet, &view);
            }
        }
        printed += 1;
        if !printer.out.maybe_flush() {
            return Ok(());
        }
    }
}

impl Printer {
    fn frame(&mut self, name: &str, p: &Packet<'_>, view: &impl FrameView) {
        let out = &mut self.out.buf;
        match self.mode {
            Mode::OneLine => {
                self.clock.time_of_day(out, p.ts, p.ts_digits);
                out.push(b' ');
                view.summary(out);
                out.push(b'\n');
            }
            Mode::Tree => {
                // Written straight into the output buffer: no allocation a frame.
                let _ = write!(
                    out,
                    "Frame {}: {} bytes on the wire, {} captured, ",
                    p.number,
                    p.orig_len,
                    p.data.len()
                );
                self.clock.write_date_time(out, p.ts, p.ts_digits);
                let _ = writeln!(out, ", link type {}", p.link_type);
                out.extend_from_slice(b"Summary: ");
                view.summary(out);
                out.push(b'\n');
                tree::write(out, view);
                out.push(b'\n');
            }
            Mode::Json => {
                let info = FrameInfo {
                    number: p.number,
                    ts_sec: p.ts.sec,
                    ts_nsec: p.ts.nsec,
                    caplen: p.data.len() as u32,
                    len: p.orig_len,
                    file: self.name_files.then_some(name),
                };
                self.json.write_frame(out, &info, view);
            }
        }
    }
}
