//! `vxscope dissect`: one line a packet, the full tree (`-V`), JSON lines (`--json`), or the fields named by `-e`
//! (`-T fields`).

use std::io::Write as _;
use std::process::ExitCode;

use vxscope_capture::CaptureReader;
use vxscope_dissector::flannel;
use vxscope_dissector::render::columns::Columns;
use vxscope_dissector::render::fields::{self, FieldList};
use vxscope_dissector::render::json::{FrameInfo, JsonWriter};
use vxscope_dissector::render::{FrameView, tree};
use vxscope_dissector::{Config, Dissection, Dissector};

use crate::batch::{self, Job, JobIo, Outcome, Report, Settings, Watch};
use crate::clock::Clock;
use crate::columnar::ParquetWriter;
use crate::frames::{
    Consumer, Engine, Flow, Frame, FrameLoop, PluginRender, Record, Render, Selection,
};
use crate::input::open_capture;
use crate::live::LiveCapture;
use crate::output::Output;
use crate::plugin::Plugin;
use crate::{BUNDLED_SAMPLE, BUNDLED_SAMPLE_NAME, DissectArgs, OutputFormat};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    OneLine,
    Tree,
    Json,
    /// `-T fields`: the printer's field list.
    Fields,
    /// `-T ek`: Elasticsearch bulk-API lines.
    Ek,
    /// `-T parquet`: a Parquet file (not the printer: [`ParquetWriter`]).
    Parquet,
}

/// The columns of `-T fields`, from `-e` and `-E`.
fn field_list(args: &DissectArgs) -> Result<FieldList, String> {
    let mut format = fields::Format::default();
    for option in &args.field_options {
        format.set(option)?;
    }
    FieldList::new(&args.fields, format)
}

/// Which frames to print: `--frame`, `--frames`, `-c`.
fn selection(args: &DissectArgs) -> Selection {
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

/// The consumer of `vxscope dissect`: writes each selected frame in the chosen view.
struct Printer<'w> {
    mode: Mode,
    clock: Clock,
    json: JsonWriter,
    /// The columns of `-T fields`.
    columns: Option<FieldList>,
    out: Output<'w>,
    /// The file being read, named in the output when several files are printed one after the other.
    file: Option<String>,
    /// Reading a live capture: each frame is written out as soon as it is printed.
    live: bool,
}

impl Mode {
    /// The extension of an output file under `-o DIR`.
    fn extension(self) -> &'static str {
        match self {
            Mode::OneLine | Mode::Tree | Mode::Fields => "txt",
            Mode::Json => "jsonl",
            Mode::Ek => "ek.jsonl",
            Mode::Parquet => "parquet",
        }
    }
}

pub fn run(args: &DissectArgs) -> ExitCode {
    if args.interface.is_none() && (args.filter.is_some() || args.write.is_some()) {
        eprintln!("vxscope: -f and -w belong to a live capture: give the interface with -i IFACE");
        return ExitCode::from(2);
    }
    let mode = if args.output_format == Some(OutputFormat::Fields) {
        Mode::Fields
    } else if args.output_format == Some(OutputFormat::Ek) {
        Mode::Ek
    } else if args.output_format == Some(OutputFormat::Parquet) {
        Mode::Parquet
    } else if args.json {
        Mode::Json
    } else if args.verbose {
        Mode::Tree
    } else {
        Mode::OneLine
    };
    if let Err(message) = check_format_options(args, mode) {
        eprintln!("vxscope: {message}");
        return ExitCode::from(2);
    }
    let output_file = mode == Mode::Parquet
        && args
            .output_dir
            .as_deref()
            .is_some_and(|o| o.extension().is_some_and(|e| e == "parquet"));
    let planned = if output_file {
        plan_one_file(args)
    } else {
        batch::plan(&args.files, args.output_dir.as_deref(), |relative| {
            relative.with_extension(mode.extension())
        })
    };
    let jobs = match planned {
        Ok(jobs) => jobs,
        Err(e) => {
            eprintln!("vxscope: {e}");
            return ExitCode::from(2);
        }
    };
    let settings = Settings {
        who: "vxscope",
        cores: args.batch.cores(),
        quiet: args.batch.quiet,
        report: if !output_file && (jobs.len() > 1 || args.output_dir.is_some()) {
            Report::Table
        } else {
            Report::Detail
        },
    };
    // Printed one after the other on standard output, each file is named before its frames.
    let named = jobs.len() > 1 && args.output_dir.is_none();
    let plugin = match args.plugin.as_deref().map(Plugin::load).transpose() {
        Ok(plugin) => plugin,
        Err(message) => {
            eprintln!("vxscope: {message}");
            return ExitCode::FAILURE;
        }
    };
    let config = args.decode.config();
    let mut stream = match plugin
        .as_ref()
        .map(|p| p.stream(&config, &args.decode.topology, mode != Mode::OneLine))
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
        args.decode.topology()
    };
    let topology = match topology {
        Ok(t) => t,
        Err(e) => {
            eprintln!("vxscope: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dissector = Dissector::with_topology(config, topology);
    let columns = match mode {
        Mode::Fields => match field_list(args) {
            Ok(list) => Some(list),
            Err(message) => {
                eprintln!("vxscope: {message}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    let table = match mode {
        Mode::Parquet => match parquet_columns(args) {
            Ok(columns) => Some(columns),
            Err(message) => {
                eprintln!("vxscope: {message}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    let record = match (mode, &columns, &table) {
        (Mode::Fields, Some(list), _) => Record::Fields(
            [&list.fields_read()[..], flannel::FIELDS_READ]
                .concat()
                .into(),
        ),
        (Mode::Parquet, _, Some(table)) => Record::Fields(
            [&table.fields_read()[..], flannel::FIELDS_READ]
                .concat()
                .into(),
        ),
        (Mode::OneLine | Mode::Fields | Mode::Parquet, _, _) => Record::OneLine,
        (Mode::Tree | Mode::Json | Mode::Ek, _, _) => Record::Everything,
    };
    let filter = match args.decode.filter_or_exit("vxscope") {
        Ok(f) => f,
        Err(status) => return status,
    };
    let job = |frames: &mut FrameLoop<'_, '_>, job: &Job, io: &mut JobIo<'_>| {
        if let Some(table) = &table {
            return write_parquet(frames, table, job, io);
        }
        batch::write_output(job, io, |out, progress| {
            let mut printer = Printer {
                mode,
                clock: Clock::new(args.utc),
                json: JsonWriter::new(),
                columns: columns.clone(),
                out: Output::to(out),
                file: named.then(|| job.name.clone()),
                live: false,
            };
            // The header of -T fields: once on standard output, in each file under -o DIR.
            if let Some(list) = &printer.columns
                && (args.output_dir.is_some() || std::ptr::eq(job, &jobs[0]))
            {
                list.write_header(&mut printer.out.buf);
            }
            if named && matches!(mode, Mode::OneLine | Mode::Tree) {
                printer
                    .out
                    .buf
                    .extend_from_slice(format!("# {}\n", job.name).as_bytes());
            }
            let mut watch = Watch {
                progress,
                inner: &mut printer,
            };
            let result = open_capture(&job.input)
                .and_then(|mut r| frames.run(&job.name, &mut r, &mut watch));
            let outcome = match result {
                Ok(ended) => Outcome {
                    packets: ended.last_frame,
                    counts: vec![("printed", ended.consumed)],
                    ..Outcome::default()
                },
                Err(message) => Outcome::failed(message),
            };
            let written = printer.out.finish();
            (outcome, written)
        })
    };
    if let Some(interface) = &args.interface {
        // A live capture: one source, printed as it comes, until Ctrl-C.
        let engine = match stream.as_mut() {
            Some(s) => Engine::Plugin(s),
            None => Engine::Builtin(&dissector),
        };
        let mut frames = FrameLoop::new(engine, selection(args), record).filtered(filter);
        let mut printer = Printer {
            mode,
            clock: Clock::new(args.utc),
            json: JsonWriter::new(),
            columns,
            out: Output::new(),
            file: None,
            live: true,
        };
        if let Some(list) = &printer.columns {
            list.write_header(&mut printer.out.buf);
        }
        let result = LiveCapture::open(interface, args.filter.as_deref(), args.write.as_deref())
            .and_then(|mut live| {
                let ran = frames.run(interface, &mut live, &mut printer);
                printer.out.flush();
                let finished = live.finish();
                ran.and(finished)
            });
        if let Err(message) = &result {
            printer.out.flush();
            eprintln!("vxscope: {message}");
        }
        if args.summary {
            let report = crate::summary::report(dissector.topology(), &frames.session);
            printer.out.buf.extend_from_slice(report.as_bytes());
        }
        printer.out.flush();
        return if result.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let results = if args.summary || stream.is_some() {
        // One session follows every file (the summary counts them all); a plugin's stream is not shared
        // between threads: one file after the other.
        let engine = match stream.as_mut() {
            Some(s) => Engine::Plugin(s),
            None => Engine::Builtin(&dissector),
        };
        let mut frames = FrameLoop::new(engine, selection(args), record).filtered(filter);
        let results = batch::run_in_order(&jobs, &settings, |j, io| job(&mut frames, j, io));
        if args.summary && !batch::stopped() {
            let report = crate::summary::report(dissector.topology(), &frames.session);
            let mut out = Output::new();
            out.buf.extend_from_slice(report.as_bytes());
            out.flush();
        }
        results
    } else {
        // Each file on its own, as if it were the only one.
        batch::run(&jobs, &settings, |j, io| {
            let mut frames =
                FrameLoop::new(Engine::Builtin(&dissector), selection(args), record.clone())
                    .filtered(filter.clone());
            job(&mut frames, j, io)
        })
    };
    results.finish(&settings)
}

/// Refuses options that mean nothing with the output format chosen, before anything is read.
fn check_format_options(args: &DissectArgs, mode: Mode) -> Result<(), String> {
    match mode {
        Mode::Ek if !args.fields.is_empty() || !args.field_options.is_empty() => {
            Err("-T ek writes every field: -e and -E belong to -T fields and -T parquet".into())
        }
        Mode::Parquet if args.output_dir.is_none() => Err(
            "-T parquet writes a binary file: give -o FILE.parquet (one input) or -o DIR (one file an \
             input), not standard output"
                .into(),
        ),
        Mode::Parquet if args.interface.is_some() => {
            Err("-T parquet reads capture files, not a live interface".into())
        }
        _ => Ok(()),
    }
}

/// `-o FILE.parquet`: the one input's job, writing that file (never an input).
fn plan_one_file(args: &DissectArgs) -> Result<Vec<Job>, String> {
    let output = args.output_dir.clone().unwrap_or_default();
    match &args.files[..] {
        [input] if !input.is_dir() => {
            let job = Job::new(input.clone(), batch::Destination::File(output));
            batch::refuse_collisions(std::slice::from_ref(&job))?;
            Ok(vec![job])
        }
        _ => Err(format!(
            "-o {}: a file name takes one capture file; give -o DIR for several inputs or a directory",
            output.display()
        )),
    }
}

/// The columns of `-T parquet`: those named by `-e` (the default set without), and `-E occurrence=`.
fn parquet_columns(args: &DissectArgs) -> Result<Columns, String> {
    let mut format = fields::Format {
        occurrence: fields::Occurrence::First,
        ..Default::default()
    };
    for option in &args.field_options {
        if !option.starts_with("occurrence=") {
            return Err(format!(
                "-E {option}: -T parquet takes only -E occurrence=f|l|a (the first, the last, or a list of all)"
            ));
        }
        format.set(option)?;
    }
    Columns::new(&args.fields, format.occurrence)
}

/// One job of `-T parquet`: the frames of the input, a row each, into the job's file (a temporary file put in
/// place once whole).
fn write_parquet(
    frames: &mut FrameLoop<'_, '_>,
    table: &Columns,
    job: &Job,
    io: &mut JobIo<'_>,
) -> Outcome {
    batch::write_output(job, io, |out, progress| {
        let mut writer = match ParquetWriter::new(table, out) {
            Ok(w) => w,
            Err(e) => return (Outcome::failed(e), Ok(())),
        };
        let mut watch = Watch {
            progress,
            inner: &mut writer,
        };
        let result =
            open_capture(&job.input).and_then(|mut r| frames.run(&job.name, &mut r, &mut watch));
        let outcome = match result {
            Ok(ended) => Outcome {
                packets: ended.last_frame,
                counts: vec![("rows", ended.consumed)],
                ..Outcome::default()
            },
            Err(message) => Outcome::failed(message),
        };
        (outcome, writer.finish().map_err(std::io::Error::other))
    })
}

/// `vxscope` without arguments: the bundled sample, in full.
pub fn run_bundled_sample() -> ExitCode {
    let dissector = Dissector::new(Config::default());
    let mut printer = Printer {
        mode: Mode::Tree,
        clock: Clock::new(true),
        json: JsonWriter::new(),
        columns: None,
        out: Output::new(),
        file: None,
        live: false,
    };
    printer.out.buf.extend_from_slice(
        b"vxscope: the bundled sample, a ping from pod 10.244.1.12 on k8s-node1 to pod 10.244.2.14 on k8s-node2,\n\
          captured on k8s-node1's NIC (run `vxscope dissect FILE` for your own captures, `vxscope --help` for more)\n\n",
    );
    let mut frames = FrameLoop::new(
        Engine::Builtin(&dissector),
        Selection::ALL,
        Record::Everything,
    );
    let result = CaptureReader::new(BUNDLED_SAMPLE)
        .map_err(|e| format!("{BUNDLED_SAMPLE_NAME}: {e}"))
        .and_then(|mut r| frames.run(BUNDLED_SAMPLE_NAME, &mut r, &mut printer));
    printer.out.flush();
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("vxscope: {message}");
            ExitCode::FAILURE
        }
    }
}

impl Consumer for Printer<'_> {
    fn frame(
        &mut self,
        frame: &Frame<'_>,
        view: &impl FrameView,
        dissection: Option<&Dissection<'_>>,
    ) -> Result<Flow, String> {
        match (&self.columns, dissection) {
            (Some(list), Some(d)) => {
                list.write_frame(&mut self.out.buf, d, frame.data, &frame.facts())
            }
            _ => self.write(frame, view),
        }
        if self.live {
            self.out.flush();
        }
        Ok(if self.out.maybe_flush() {
            Flow::Continue
        } else {
            Flow::Stop
        })
    }

    /// Frames rendered on a decoding thread: the same views, into a buffer joined in frame order (not for a
    /// live capture, printed as it comes).
    fn renderer(&self) -> Option<Render> {
        if self.live {
            return None;
        }
        let (mode, mut clock, mut json) = (self.mode, self.clock.clone(), JsonWriter::new());
        let (columns, file) = (self.columns.clone(), self.file.clone());
        Some(Box::new(move |frame, view, d, out| match &columns {
            Some(list) => list.write_frame(out, d, frame.data, &frame.facts()),
            None => write_frame(
                out,
                mode,
                &mut clock,
                &mut json,
                file.as_deref(),
                frame,
                view,
            ),
        }))
    }

    /// The same for frames a plugin dissected (which have no columns: they print as `frame` prints them).
    fn plugin_renderer(&self) -> Option<PluginRender> {
        if self.live {
            return None;
        }
        let (mode, mut clock, mut json) = (self.mode, self.clock.clone(), JsonWriter::new());
        let file = self.file.clone();
        Some(Box::new(move |frame, view, out| {
            write_frame(
                out,
                mode,
                &mut clock,
                &mut json,
                file.as_deref(),
                frame,
                view,
            )
        }))
    }

    fn rendered(&mut self, bytes: &[u8], _last_offset: u64) -> Result<Flow, String> {
        self.out.buf.extend_from_slice(bytes);
        Ok(if self.out.maybe_flush() {
            Flow::Continue
        } else {
            Flow::Stop
        })
    }
}

impl Printer<'_> {
    fn write(&mut self, p: &Frame<'_>, view: &impl FrameView) {
        let out = &mut self.out.buf;
        write_frame(
            out,
            self.mode,
            &mut self.clock,
            &mut self.json,
            self.file.as_deref(),
            p,
            view,
        );
    }
}

/// Writes a frame in the one-line, tree or JSON view.
fn write_frame(
    out: &mut Vec<u8>,
    mode: Mode,
    clock: &mut Clock,
    json: &mut JsonWriter,
    file: Option<&str>,
    p: &Frame<'_>,
    view: &impl FrameView,
) {
    {
        match mode {
            Mode::OneLine => {
                clock.time_of_day(out, p.ts, p.ts_digits);
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
                clock.write_date_time(out, p.ts, p.ts_digits);
                let _ = writeln!(out, ", link type {}", p.link_type);
                out.extend_from_slice(b"Summary: ");
                view.summary(out);
                out.push(b'\n');
                tree::write(out, view);
                out.push(b'\n');
            }
            // Written by the field list, from the native dissection; Parquet by its own consumer.
            Mode::Fields | Mode::Parquet => {}
            Mode::Json | Mode::Ek => {
                let info = FrameInfo {
                    number: p.number,
                    ts_sec: p.ts.sec,
                    ts_nsec: p.ts.nsec,
                    caplen: p.data.len() as u32,
                    len: p.orig_len,
                    file,
                };
                if mode == Mode::Ek {
                    json.write_ek(out, &info, view);
                } else {
                    json.write_frame(out, &info, view);
                }
            }
        }
    }
}
