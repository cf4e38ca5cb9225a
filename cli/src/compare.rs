//! `vxscope compare A B [C ...]`: follow packets across captures of successive hops of a path.
//!
//! Each capture is read and dissected on a thread of its own, by the frame loop, into observations
//! (`vxscope_compare::observe`), handed over in batches through a bounded channel; the comparison merges them in time order, so memory holds
//! the batches and the packets in flight, not the captures.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use clap::{Args, ValueEnum};
use vxscope_compare::render::{csv, html, json, svg, table};
use vxscope_compare::{Comparison, Direction, FrameRef, Observation, Options, merge, observe};
use vxscope_dissector::filter::Filter;
use vxscope_dissector::render::FrameView;
use vxscope_dissector::{Dissection, Dissector};

use crate::decode::DecodeArgs;
use crate::frames::{Consumer, Engine, Flow, Frame, FrameLoop, Record, Selection};
use crate::input::open_capture;
use crate::output::Output;

/// Observations a batch carries from a reading thread to the comparison.
const BATCH: usize = 1024;
/// Batches waiting per capture.
const QUEUED: usize = 2;

#[derive(Args)]
pub struct CompareArgs {
    /// Captures taken at successive hops of one path, in path order (pcap or pcapng; - for standard input)
    #[arg(value_name = "FILE", required = true, num_args = 2..)]
    pub files: Vec<PathBuf>,
    /// Packets further apart than this are never paired: 1s, 200ms, 500us (a bare number is seconds)
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub window: i64,
    /// What to write: a table (default), the JSON report, the CSV of matched packets (one row a packet and
    /// hop), a picture of the path (SVG), or a page with the picture and the tables (HTML)
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// The same as --format json
    #[arg(long, conflicts_with_all = ["format", "csv"])]
    pub json: bool,
    /// The same as --format csv
    #[arg(long, conflicts_with = "format")]
    pub csv: bool,
    /// Every capture ran over the whole time the captures span together: a packet the next capture did not see
    /// before its first packet (or after its last) is lost there, not "not compared" (without it, compare
    /// cannot tell a capture that was quiet from one not yet started)
    #[arg(long)]
    pub captured_together: bool,
    /// Only the hops of one direction (forward: in the order the captures are given)
    #[arg(long, value_enum, default_value = "both")]
    pub direction: DirectionArg,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Svg,
    Html,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    Both,
    Forward,
    Reverse,
}

/// `1s`, `200ms`, `500us` (or `µs`), `40000ns`, or a number of seconds, as nanoseconds.
fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{s:?}: expected a duration such as 1s, 200ms or 500us"))?;
    let scale = match unit.trim() {
        "" | "s" => 1e9,
        "ms" => 1e6,
        "us" | "µs" => 1e3,
        "ns" => 1.0,
        other => return Err(format!("{other:?}: the unit is s, ms, us or ns")),
    };
    let ns = value * scale;
    if !(1.0..1e18).contains(&ns) {
        return Err(format!("{s:?}: the window must be at least 1 ns"));
    }
    Ok(ns as i64)
}

/// What a reading thread sends.
enum Message {
    Batch(Vec<Observation>),
    /// Reading stopped: the capture could not be opened, or is damaged here.
    Error(String),
}

/// The consumer of one capture's frame loop: each frame's observation, sent in batches.
struct Observe {
    batch: Vec<Observation>,
    tx: SyncSender<Message>,
}

impl Consumer for Observe {
    fn frame(
        &mut self,
        frame: &Frame<'_>,
        _view: &impl FrameView,
        dissection: Option<&Dissection<'_>>,
    ) -> Result<Flow, String> {
        let dissection = dissection.ok_or("compare dissects with the built-in dissector only")?;
        let frame = FrameRef {
            number: frame.number,
            ts: frame
                .ts
                .sec
                .saturating_mul(1_000_000_000)
                .saturating_add(i64::from(frame.ts.nsec)),
            link_type: frame.link_type,
            wire_len: frame.orig_len,
            data: frame.data,
        };
        self.batch.push(Observation::of(frame, dissection));
        if self.batch.len() == BATCH {
            let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            // The comparison has gone: nothing more to read.
            if self.tx.send(Message::Batch(full)).is_err() {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }
}

/// Reads and observes one capture through the frame loop, sending its observations in batches.
fn read_capture(
    path: &Path,
    dissector: &Dissector,
    filter: Option<Filter>,
    tx: SyncSender<Message>,
) {
    let name = path.display().to_string();
    let mut source = match open_capture(path) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Message::Error(e));
            return;
        }
    };
    let mut frames = FrameLoop::new(
        Engine::Builtin(dissector),
        Selection::ALL,
        Record::Fields(observe::FIELDS_READ.into()),
    )
    .filtered(filter);
    let mut consumer = Observe {
        batch: Vec::with_capacity(BATCH),
        tx,
    };
    let result = frames.run(&name, &mut source, &mut consumer);
    let Observe { batch, tx } = consumer;
    let _ = tx.send(Message::Batch(batch));
    if let Err(e) = result {
        let _ = tx.send(Message::Error(e));
    }
}

/// The observations of one capture as they arrive.
struct Received {
    rx: Receiver<Message>,
    batch: std::vec::IntoIter<Observation>,
    done: bool,
}

impl Iterator for Received {
    type Item = Result<Observation, String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(o) = self.batch.next() {
                return Some(Ok(o));
            }
            if self.done {
                return None;
            }
            match self.rx.recv() {
                Ok(Message::Batch(b)) => self.batch = b.into_iter(),
                Ok(Message::Error(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Err(_) => return None,
            }
        }
    }
}

pub fn run(args: &CompareArgs) -> ExitCode {
    if args.files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        eprintln!("vxscope: standard input (-) can be only one of the captures");
        return ExitCode::from(2);
    }
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
    let format = if args.json {
        Format::Json
    } else if args.csv {
        Format::Csv
    } else {
        args.format
    };
    let names: Vec<String> = args.files.iter().map(|p| p.display().to_string()).collect();
    let mut comparison = Comparison::new(
        &dissector,
        names.clone(),
        Options {
            window_ns: args.window,
            captured_together: args.captured_together,
        },
    );
    if format == Format::Csv {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout());
        let _ = out.write_all(csv::HEADER.as_bytes());
        let topology = dissector.topology();
        let mut row = Vec::with_capacity(256);
        let mut closed = false;
        comparison.on_match(move |m| {
            if closed {
                return;
            }
            row.clear();
            csv::write_row(&mut row, m, &names, topology);
            // A closed pipe (`| head`) stops the rows, not the comparison.
            closed = out.write_all(&row).is_err();
        });
    }
    std::thread::scope(|scope| {
        let (dissector, filter) = (&dissector, &filter);
        let sources: Vec<Received> = args
            .files
            .iter()
            .map(|path| {
                let (tx, rx) = sync_channel(QUEUED);
                let filter = filter.clone();
                scope.spawn(move || read_capture(path, dissector, filter, tx));
                Received {
                    rx,
                    batch: Vec::new().into_iter(),
                    done: false,
                }
            })
            .collect();
        merge(&mut comparison, sources);
    });
    let mut report = comparison.finish();
    match args.direction {
        DirectionArg::Both => {}
        DirectionArg::Forward => report.hops.retain(|h| h.direction == Direction::Forward),
        DirectionArg::Reverse => report.hops.retain(|h| h.direction == Direction::Reverse),
    }
    let mut out = Output::new();
    match format {
        Format::Table => table::write(&mut out.buf, &report),
        Format::Json => json::write(&mut out.buf, &report),
        Format::Svg => svg::write(&mut out.buf, &report),
        Format::Html => html::write(&mut out.buf, &report),
        Format::Csv => {}
    }
    out.flush();
    let mut failed = false;
    for c in &report.captures {
        if let Some(e) = &c.error {
            if c.frames > 0 {
                eprintln!("vxscope: {e} (the {} frames before are compared)", c.frames);
            } else {
                eprintln!("vxscope: {e}");
            }
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Ok(1_000_000_000));
        assert_eq!(parse_duration("200ms"), Ok(200_000_000));
        assert_eq!(parse_duration("500us"), Ok(500_000));
        assert_eq!(parse_duration("0.5"), Ok(500_000_000));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("s").is_err());
    }
}
