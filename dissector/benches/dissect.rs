//! Nanoseconds per frame for the seed packet (148 bytes, VXLAN on 8472, inner ICMP echo): the dissection
//! alone, and with each renderer. Run: `cargo bench -p vxscope-dissector --bench dissect`.
//!
//! Every iteration reuses one `Dissection` and one output buffer, as `vxscope dissect` does, so the figures
//! are those of the allocation-free steady state.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vxscope_dissector::flannel;
use vxscope_dissector::render::json::{FrameInfo, JsonWriter};
use vxscope_dissector::render::{NativeView, summary, tree};
use vxscope_dissector::{Config, Dissection, Dissector, LinkType};

const SEED: &str = concat!(
    "00505693633b005056936a3a08004500",
    "0086758600004011e3f4ac106465ac10",
    "64669e90211800720000080000000000",
    "0100b672ae367b6cfe90c41869a70800",
    "45000054230540003f01ffa20af4010c",
    "0af4020e0800847d0c47044e0d1e55cf",
    "00000000000000000000000000000000",
    "00000000000000000000000000000000",
    "00000000000000000000000000000000",
    "00000000",
);

fn bench(c: &mut Criterion) {
    let frame = hex::decode(SEED).expect("seed hex");
    assert_eq!(frame.len(), 148);
    let dissector = Dissector::new(Config::default());
    let wire = frame.len() as u32;
    let info = FrameInfo {
        number: 1,
        ts_sec: 1_630_859_447,
        ts_nsec: 124_500_000,
        caplen: wire,
        len: wire,
        file: None,
    };

    let mut group = c.benchmark_group("seed packet");
    group.throughput(Throughput::Elements(1));

    let mut d = Dissection::new();
    group.bench_function("dissect", |b| {
        b.iter(|| {
            dissector.dissect(LinkType::ETHERNET, black_box(&frame), wire, &mut d);
            black_box(d.fields().len())
        })
    });

    // As `vxscope dissect` does for one line a frame: only the fields the line and the annotations read.
    let mut d = Dissection::recording(&[summary::FIELDS_READ, flannel::FIELDS_READ].concat());
    let mut out = Vec::with_capacity(4096);
    group.bench_function("dissect + summary", |b| {
        b.iter(|| {
            dissector.dissect(LinkType::ETHERNET, black_box(&frame), wire, &mut d);
            out.clear();
            summary::write(&mut out, &d, &frame);
            black_box(out.len())
        })
    });

    let mut d = Dissection::new();
    let mut json = JsonWriter::new();
    group.bench_function("dissect + JSON", |b| {
        b.iter(|| {
            dissector.dissect(LinkType::ETHERNET, black_box(&frame), wire, &mut d);
            out.clear();
            let view = NativeView {
                dissection: &d,
                frame: &frame,
            };
            json.write_frame(&mut out, &info, &view);
            black_box(out.len())
        })
    });

    let mut d = Dissection::new();
    group.bench_function("dissect + tree", |b| {
        b.iter(|| {
            dissector.dissect(LinkType::ETHERNET, black_box(&frame), wire, &mut d);
            out.clear();
            let view = NativeView {
                dissection: &d,
                frame: &frame,
            };
            tree::write(&mut out, &view);
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
