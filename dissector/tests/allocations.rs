//! The per-frame path allocates nothing once its buffers have grown: dissecting a frame and rendering it as a
//! summary, a tree and JSON, frame after frame, with one reused `Dissection` and output buffer. Counted by a
//! global allocator of this test binary, for the test's own thread (the test harness allocates in others).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::{flannel, hex, inner_ping};
use vxscope_dissector::filter::FrameFacts;
use vxscope_dissector::render::columns::Columns;
use vxscope_dissector::render::fields::Occurrence;
use vxscope_dissector::render::json::{FrameInfo, JsonWriter};
use vxscope_dissector::render::{NativeView, summary, tree};
use vxscope_dissector::{Config, Dissection, Dissector, LinkType};

struct Counting;

thread_local! {
    /// Allocations made by this thread.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // (`try_with`: the thread's storage may already be gone while it exits.)
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn frames_after_the_first_allocate_nothing() {
    let seed = flannel(40592, 8472, &inner_ping(1102));
    // An ICMP error quoting the seed's IP packet (its note message needs escaping in JSON).
    let mut quoted = hex(
        "005056936a3a 00505693633b 0800 4500 00b0 0001 0000 4001 0000 ac106466 ac106465 0303 0000 00000000",
    );
    quoted.extend_from_slice(&seed[14..]);
    let tcp = hex("45000040 4000 4000 3f06 0000 0af4010c 0af4020e
         a8ca 1f90 3b9aca00 00000000 a002 fd5c 0000 0000
         02040582 0402 080a000003e800000000 01 030307");
    let frames: Vec<(LinkType, Vec<u8>)> = vec![
        (LinkType::ETHERNET, seed.clone()),
        (LinkType::ETHERNET, quoted),
        (LinkType::IPV4, tcp),
        (LinkType::ETHERNET, seed[..46].to_vec()),
    ];
    let dissector = Dissector::new(Config::default());
    let mut d = Dissection::new();
    // The one-line view's dissection, which records only the fields it reads.
    let fields = [
        summary::FIELDS_READ,
        vxscope_dissector::flannel::FIELDS_READ,
    ]
    .concat();
    let mut few = Dissection::recording(&fields);
    let mut json = JsonWriter::new();
    let mut out = Vec::new();
    // Parquet's rows: the default columns, the batch emptied as a row group is written.
    let columns = Columns::new(&[], Occurrence::First).unwrap();
    let mut batch = columns.batch();
    let mut run = |rounds: usize| {
        for _ in 0..rounds {
            batch.clear();
            for (link, frame) in &frames {
                dissector.dissect(*link, frame, frame.len() as u32, &mut few);
                out.clear();
                summary::write(&mut out, &few, frame);
                dissector.dissect(*link, frame, frame.len() as u32, &mut d);
                summary::write(&mut out, &d, frame);
                let view = NativeView {
                    dissection: &d,
                    frame,
                };
                tree::write(&mut out, &view);
                let info = FrameInfo {
                    number: 1,
                    ts_sec: 1_630_859_447,
                    ts_nsec: 124_500_000,
                    caplen: frame.len() as u32,
                    len: frame.len() as u32,
                    file: None,
                };
                json.write_frame(&mut out, &info, &view);
                json.write_ek(&mut out, &info, &view);
                let facts = FrameFacts {
                    number: 1,
                    ts_sec: 1_630_859_447,
                    ts_nsec: 124_500_000,
                    ts_digits: 6,
                    len: frame.len() as u32,
                    cap_len: frame.len() as u32,
                };
                columns.push(&mut batch, &d, frame, &facts);
            }
        }
    };
    run(3);
    let before = allocations();
    run(1000);
    let after = allocations();
    assert_eq!(after - before, 0, "allocations in 4000 frames");
}
