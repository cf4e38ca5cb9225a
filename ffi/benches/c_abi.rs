//! What the C ABI costs over calling the dissector in process, on the 200,000-frame capture that
//! `bench/make_c_abi_capture.py` writes to `bench/data/c_abi_200k.pcap`.
//!
//! Each pair does the same work both ways, frame after frame, one dissection reused throughout:
//! - `dissect`: dissect every frame (the C ABI also copies the frame into its handle);
//! - `summary`: dissect and write the one-line summary, as `vxscope dissect` prints it;
//! - `fields`: dissect and read every field: its abbreviation, its value as text, its offset and length.
//!
//! Both sides run in this one binary, so they share the same compiled dissector. Whole-process comparisons
//! through `vxscope dissect --plugin` are in `bench/c_abi_compare.sh`; figures in BENCHMARKS.md.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use vxscope::{Counts, FieldRecord, VXSCOPE_OK};
use vxscope_capture::CaptureReader;
use vxscope_dissector::fields::scoped_abbrev;
use vxscope_dissector::render::summary;
use vxscope_dissector::value::write;
use vxscope_dissector::{Config, Dissection, Dissector};

/// A frame of the capture: link type, bytes, length on the wire.
type Frame = (u32, Vec<u8>, u32);

fn capture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/data/c_abi_200k.pcap")
}

fn load() -> Option<Vec<Frame>> {
    let path = capture_path();
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!(
            "{}: missing; write it with /usr/bin/python3 bench/make_c_abi_capture.py",
            path.display()
        );
        return None;
    };
    let mut reader = match CaptureReader::new(std::io::BufReader::new(file)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return None;
        }
    };
    let mut frames = Vec::new();
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => frames.push((p.link_type.0, p.data.to_vec(), p.orig_len)),
            Ok(None) => return Some(frames),
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                return None;
            }
        }
    }
}

/// The C ABI's context and one reused dissection.
struct Abi {
    context: *mut vxscope::handles::Context,
    dissection: *mut vxscope::handles::DissectionHandle,
}

impl Abi {
    fn new() -> Abi {
        let mut context = std::ptr::null_mut();
        // SAFETY: a writable out-pointer.
        assert_eq!(
            unsafe { vxscope::vxscope_context_new(std::ptr::null(), &mut context) },
            VXSCOPE_OK
        );
        Abi {
            context,
            dissection: std::ptr::null_mut(),
        }
    }

    fn dissect(&mut self, (link, bytes, wire_len): &Frame) {
        // SAFETY: a live context, the frame's bytes, the reused dissection.
        let status = unsafe {
            vxscope::vxscope_dissect(
                self.context,
                *link,
                bytes.as_ptr(),
                bytes.len(),
                *wire_len,
                &mut self.dissection,
            )
        };
        debug_assert_eq!(status, VXSCOPE_OK);
    }
}

impl Drop for Abi {
    fn drop(&mut self) {
        // SAFETY: handles made above, not used again.
        unsafe {
            vxscope::vxscope_dissection_free(self.dissection);
            vxscope::vxscope_context_free(self.context);
        }
    }
}

/// A way of going through every frame: the in-process or C ABI side of one comparison.
type Workload = Box<dyn FnMut(&[Frame])>;

/// The workloads by name (`dissect/in_process`, `dissect/c_abi`, ...), in the order they are compared.
fn workloads() -> Vec<(&'static str, Workload)> {
    let dissector: &'static Dissector = Box::leak(Box::new(Dissector::new(Config::default())));
    let mut list: Vec<(&'static str, Workload)> = Vec::new();

    let mut d = Dissection::new();
    list.push((
        "dissect/in_process",
        Box::new(move |frames| {
            for (link, bytes, wire_len) in frames {
                dissector.dissect(vxscope_dissector::LinkType(*link), bytes, *wire_len, &mut d);
                black_box(d.fields().len());
            }
        }),
    ));
    let mut abi = Abi::new();
    list.push((
        "dissect/c_abi",
        Box::new(move |frames| {
            let mut counts = Counts::default();
            for frame in frames {
                abi.dissect(frame);
                // SAFETY: the dissection just made, a writable record.
                unsafe { vxscope::vxscope_dissection_counts(abi.dissection, &mut counts) };
                black_box(counts.fields);
            }
        }),
    ));

    let mut d = Dissection::new();
    let mut line = Vec::new();
    list.push((
        "summary/in_process",
        Box::new(move |frames| {
            for (link, bytes, wire_len) in frames {
                dissector.dissect(vxscope_dissector::LinkType(*link), bytes, *wire_len, &mut d);
                line.clear();
                summary::write(&mut line, &d, bytes);
                black_box(line.len());
            }
        }),
    ));
    let mut abi = Abi::new();
    list.push((
        "summary/c_abi",
        Box::new(move |frames| {
            for frame in frames {
                abi.dissect(frame);
                let (mut text, mut len) = (std::ptr::null(), 0);
                // SAFETY: the dissection just made, writable out-pointers.
                unsafe { vxscope::vxscope_dissection_summary(abi.dissection, &mut text, &mut len) };
                black_box(len);
            }
        }),
    ));

    let mut d = Dissection::new();
    let mut values = Vec::new();
    list.push((
        "fields/in_process",
        Box::new(move |frames| {
            for (link, bytes, wire_len) in frames {
                dissector.dissect(vxscope_dissector::LinkType(*link), bytes, *wire_len, &mut d);
                values.clear();
                let mut sum = 0u64;
                for f in d.fields() {
                    let abbrev = scoped_abbrev(f.id, f.scope);
                    write::value(&mut values, f.id.def(), &f.value, f.bytes(bytes));
                    values.push(0);
                    sum += abbrev.as_ptr() as u64 + u64::from(f.offset) + u64::from(f.len);
                }
                black_box((sum, values.len()));
            }
        }),
    ));
    let mut abi = Abi::new();
    list.push((
        "fields/c_abi",
        Box::new(move |frames| {
            for frame in frames {
                abi.dissect(frame);
                let (mut records, mut count): (*const FieldRecord, usize) = (std::ptr::null(), 0);
                // SAFETY: the dissection just made, writable out-pointers; the records live until the next
                // dissection.
                unsafe {
                    vxscope::vxscope_dissection_fields(abi.dissection, &mut records, &mut count)
                };
                let records = unsafe { std::slice::from_raw_parts(records, count) };
                let mut sum = 0u64;
                for r in records {
                    sum += r.abbrev as u64
                        + u64::from(r.offset)
                        + u64::from(r.length)
                        + r.value_len as u64;
                }
                black_box(sum);
            }
        }),
    ));
    list
}

fn bench(c: &mut Criterion, frames: &[Frame]) {
    let mut group = c.benchmark_group("c_abi");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15))
        .throughput(Throughput::Elements(frames.len() as u64));
    for (name, mut workload) in workloads() {
        group.bench_function(name, |b| b.iter(|| workload(frames)));
    }
    group.finish();
}

/// Runs each pair of workloads alternately, `rounds` times over the whole capture, and prints the fastest and
/// the median time of each side: taking turns, both sides meet the same load from other programs.
fn alternate(frames: &[Frame], rounds: usize) {
    let mut list = workloads();
    println!(
        "| workload | in process: fastest, median | C ABI: fastest, median | overhead (fastest) |"
    );
    println!("|---|---|---|---|");
    while list.len() >= 2 {
        let (name_b, mut b) = list.remove(1);
        let (name_a, mut a) = list.remove(0);
        let (mut ta, mut tb) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let start = std::time::Instant::now();
            a(frames);
            ta.push(start.elapsed().as_secs_f64());
            let start = std::time::Instant::now();
            b(frames);
            tb.push(start.elapsed().as_secs_f64());
        }
        ta.sort_by(f64::total_cmp);
        tb.sort_by(f64::total_cmp);
        let workload = name_a.split('/').next().unwrap_or(name_a);
        println!(
            "| {workload} ({name_a} / {name_b}) | {:.0} ms, {:.0} ms | {:.0} ms, {:.0} ms | {:+.1}% |",
            ta[0] * 1e3,
            ta[rounds / 2] * 1e3,
            tb[0] * 1e3,
            tb[rounds / 2] * 1e3,
            100.0 * (tb[0] / ta[0] - 1.0)
        );
    }
}

/// `VXSCOPE_BENCH_ONCE=fields/c_abi`: runs one workload once over the capture, without criterion, for
/// counting instructions under valgrind (a measure the other programs on the machine do not disturb).
/// `VXSCOPE_BENCH_ALTERNATE=N`: see [`alternate`].
fn main() {
    let Some(frames) = load() else { return };
    if let Ok(name) = std::env::var("VXSCOPE_BENCH_ONCE") {
        match workloads().into_iter().find(|(n, _)| *n == name) {
            Some((_, mut workload)) => workload(&frames),
            None => eprintln!("no workload {name}"),
        }
        return;
    }
    if let Ok(rounds) = std::env::var("VXSCOPE_BENCH_ALTERNATE") {
        alternate(&frames, rounds.parse().unwrap_or(10).max(1));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &frames);
    c.final_summary();
}
