//! The C ABI from Rust: hostile calls (NULL pointers, length 0, more than 64 KiB of garbage, the wrong kind of
//! handle, indexes out of range) return their error codes and never crash; one context is shared by threads;
//! the error message is per thread. The same calls are made from C in `tests/c/ffi_hostile.c`.

use std::ffi::{CStr, c_char};
use std::ptr::{null, null_mut};

use proptest::prelude::*;
use vxscope::handles::{Context, DissectionHandle, Options, SessionHandle};
use vxscope::*;

/// The message of the last failed call on this thread.
fn last_error() -> String {
    // SAFETY: never NULL, NUL-terminated.
    unsafe { CStr::from_ptr(vxscope_last_error()) }
        .to_string_lossy()
        .into_owned()
}

fn text(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: the library's strings are NUL-terminated.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("UTF-8")
        .to_owned()
}

struct Ctx(*mut Context);

impl Ctx {
    fn new() -> Ctx {
        let mut c = null_mut();
        // SAFETY: a writable out-pointer.
        assert_eq!(unsafe { vxscope_context_new(null(), &mut c) }, VXSCOPE_OK);
        Ctx(c)
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: made above, not used again.
        assert_eq!(unsafe { vxscope_context_free(self.0) }, VXSCOPE_OK);
    }
}

const SEED: &[u8] = &[
    0x00, 0x50, 0x56, 0x93, 0x63, 0x3b, 0x00, 0x50, 0x56, 0x93, 0x6a, 0x3a, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x86, 0x75, 0x86, 0x00, 0x00, 0x40, 0x11, 0xe3, 0xf4, 0xac, 0x10, 0x64, 0x65, 0xac, 0x10,
    0x64, 0x66, 0x9e, 0x90, 0x21, 0x18, 0x00, 0x72, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0xb6, 0x72, 0xae, 0x36, 0x7b, 0x6c, 0xfe, 0x90, 0xc4, 0x18, 0x69, 0xa7, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x54, 0x23, 0x05, 0x40, 0x00, 0x3f, 0x01, 0xff, 0xa2, 0x0a, 0xf4, 0x01, 0x0c,
    0x0a, 0xf4, 0x02, 0x0e, 0x08, 0x00, 0x84, 0x7d, 0x0c, 0x47, 0x04, 0x4e, 0x0d, 0x1e, 0x55, 0xcf,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// Reads everything a dissection holds; checks each string against its length and each field against the
/// frame. Returns the summary.
fn read_all(d: *const DissectionHandle, frame_len: usize) -> String {
    let mut counts = Counts::default();
    // SAFETY: a live dissection and writable records throughout.
    unsafe {
        assert_eq!(vxscope_dissection_counts(d, &mut counts), VXSCOPE_OK);
        let (mut records, mut n): (*const FieldRecord, usize) = (null(), 0);
        assert_eq!(
            vxscope_dissection_fields(d, &mut records, &mut n),
            VXSCOPE_OK
        );
        assert_eq!(n, counts.fields);
        for i in 0..n {
            let f = &*records.add(i);
            assert_eq!(text(f.value).len(), f.value_len);
            assert!(!text(f.abbrev).is_empty() && !text(f.name).is_empty());
            assert!((f.layer as usize) < counts.layers);
            assert!(f.offset as usize + f.length as usize <= frame_len);
        }
        let (mut notes, mut n): (*const NoteRecord, usize) = (null(), 0);
        assert_eq!(vxscope_dissection_notes(d, &mut notes, &mut n), VXSCOPE_OK);
        for i in 0..n {
            let note = &*notes.add(i);
            assert_eq!(text(note.message).len(), note.message_len);
            assert!(note.severity <= VXSCOPE_SEVERITY_ERROR);
        }
        let (mut s, mut len) = (null(), 0);
        assert_eq!(vxscope_dissection_summary(d, &mut s, &mut len), VXSCOPE_OK);
        let summary = text(s);
        assert_eq!(summary.len(), len);
        summary
    }
}

#[test]
fn null_pointers_are_error_codes_naming_the_function() {
    let ctx = Ctx::new();
    let mut d = null_mut();
    let mut counts = Counts::default();
    // SAFETY: every pointer is NULL or valid; that is the point.
    unsafe {
        let cases: Vec<(Status, &str)> = vec![
            (vxscope_options_new(null_mut()), "vxscope_options_new"),
            (
                vxscope_options_add_vxlan_port(null_mut(), 4790),
                "vxscope_options_add_vxlan_port",
            ),
            (
                vxscope_options_set_annotation_prefix(null_mut(), c"x".as_ptr()),
                "vxscope_options_set_annotation_prefix",
            ),
            (
                vxscope_options_add_nodes_json(null_mut(), c"{}".as_ptr(), 2, null()),
                "vxscope_options_add_nodes_json",
            ),
            (
                vxscope_context_new(null(), null_mut()),
                "vxscope_context_new",
            ),
            (
                vxscope_dissect(null(), 1, SEED.as_ptr(), SEED.len(), 0, &mut d),
                "vxscope_dissect",
            ),
            (
                vxscope_dissect(ctx.0, 1, null(), 12, 0, &mut d),
                "vxscope_dissect",
            ),
            (
                vxscope_dissect(ctx.0, 1, SEED.as_ptr(), SEED.len(), 0, null_mut()),
                "vxscope_dissect",
            ),
            (
                vxscope_dissect_vxlan_payload(ctx.0, null(), 8, &mut d),
                "vxscope_dissect_vxlan_payload",
            ),
            (
                vxscope_session_new(null(), &mut null_mut()),
                "vxscope_session_new",
            ),
            (
                vxscope_session_dissect(null_mut(), 1, SEED.as_ptr(), SEED.len(), 0, &mut d),
                "vxscope_session_dissect",
            ),
            (
                vxscope_dissection_counts(null(), &mut counts),
                "vxscope_dissection_counts",
            ),
            (
                vxscope_dissection_fields(null(), &mut null(), &mut 0),
                "vxscope_dissection_fields",
            ),
            (
                vxscope_dissection_find_field(null(), c"ip.src".as_ptr(), 0, &mut 0),
                "vxscope_dissection_find_field",
            ),
            (
                vxscope_registry_field(0, null_mut()),
                "vxscope_registry_field",
            ),
        ];
        for (status, function) in cases {
            assert_eq!(status, VXSCOPE_ERR_NULL_POINTER, "{function}");
        }
        // The message names the last failing function.
        assert!(
            last_error().starts_with("vxscope_registry_field: out is NULL"),
            "{}",
            last_error()
        );
        assert!(d.is_null(), "a failed call wrote *out");
    }
}

#[test]
fn the_wrong_kind_of_handle_is_refused() {
    let ctx = Ctx::new();
    let mut options = null_mut();
    let mut d = null_mut();
    // SAFETY: live handles of the wrong kind: the library tells them apart.
    unsafe {
        assert_eq!(vxscope_options_new(&mut options), VXSCOPE_OK);
        assert_eq!(
            vxscope_dissect(ctx.0, 1, SEED.as_ptr(), SEED.len(), 148, &mut d),
            VXSCOPE_OK
        );
        let as_context = options.cast::<Context>();
        assert_eq!(
            vxscope_dissect(as_context, 1, SEED.as_ptr(), SEED.len(), 148, &mut d),
            VXSCOPE_ERR_BAD_HANDLE
        );
        assert_eq!(
            last_error(),
            "vxscope_dissect: context is not a context (it is an options handle)"
        );
        assert_eq!(
            vxscope_session_dissect(d.cast::<SessionHandle>(), 1, SEED.as_ptr(), 10, 10, &mut d),
            VXSCOPE_ERR_BAD_HANDLE
        );
        assert_eq!(
            vxscope_options_free(ctx.0.cast::<Options>()),
            VXSCOPE_ERR_BAD_HANDLE
        );
        // Still usable.
        assert!(read_all(d, SEED.len()).starts_with("172.16.100.101:40592 > 172.16.100.102:8472"));
        assert_eq!(vxscope_dissection_free(d), VXSCOPE_OK);
        assert_eq!(vxscope_options_free(options), VXSCOPE_OK);
    }
}

#[test]
fn indexes_out_of_range_and_missing_fields() {
    let ctx = Ctx::new();
    let mut d = null_mut();
    // SAFETY: valid pointers; only the indexes are wrong.
    unsafe {
        assert_eq!(
            vxscope_dissect(ctx.0, 1, SEED.as_ptr(), SEED.len(), 148, &mut d),
            VXSCOPE_OK
        );
        let mut counts = Counts::default();
        assert_eq!(vxscope_dissection_counts(d, &mut counts), VXSCOPE_OK);
        let mut field = std::mem::MaybeUninit::<FieldRecord>::uninit();
        assert_eq!(
            vxscope_dissection_field(d, counts.fields, field.as_mut_ptr()),
            VXSCOPE_ERR_OUT_OF_RANGE
        );
        assert_eq!(
            last_error(),
            format!(
                "vxscope_dissection_field: field index {} is out of range: the dissection has {}",
                counts.fields, counts.fields
            )
        );
        let mut layer = std::mem::MaybeUninit::<LayerRecord>::uninit();
        assert_eq!(
            vxscope_dissection_layer(d, usize::MAX, layer.as_mut_ptr()),
            VXSCOPE_ERR_OUT_OF_RANGE
        );
        let mut index = 0;
        assert_eq!(
            vxscope_dissection_find_field(d, c"inner.icmp.seq".as_ptr(), 0, &mut index),
            VXSCOPE_OK
        );
        assert_eq!(
            vxscope_dissection_find_field(d, c"inner.icmp.seq".as_ptr(), index + 1, &mut index),
            VXSCOPE_ERR_NOT_FOUND
        );
        assert_eq!(vxscope_dissection_free(d), VXSCOPE_OK);
    }
}

#[test]
fn one_field_value_is_the_value_of_its_record() {
    let ctx = Ctx::new();
    let mut d = null_mut();
    // SAFETY: valid pointers and lengths, except where a test says otherwise.
    unsafe {
        assert_eq!(
            vxscope_dissect(ctx.0, 1, SEED.as_ptr(), SEED.len(), 148, &mut d),
            VXSCOPE_OK
        );
        // Read before the records are built (the call builds none), then compared with every record.
        let mut counts = Counts::default();
        assert_eq!(vxscope_dissection_counts(d, &mut counts), VXSCOPE_OK);
        let mut values = Vec::new();
        for i in 0..counts.fields {
            let mut buf = [0 as c_char; 512];
            let mut len = 0;
            assert_eq!(
                vxscope_dissection_field_value(d, i, buf.as_mut_ptr(), buf.len(), &mut len),
                VXSCOPE_OK
            );
            let value = text(buf.as_ptr());
            assert_eq!(value.len(), len);
            values.push(value);
        }
        for (i, value) in values.iter().enumerate() {
            let mut record = std::mem::MaybeUninit::<FieldRecord>::uninit();
            assert_eq!(
                vxscope_dissection_field(d, i, record.as_mut_ptr()),
                VXSCOPE_OK
            );
            assert_eq!(&text(record.assume_init().value), value, "field {i}");
        }
        let mut index = 0;
        assert_eq!(
            vxscope_dissection_find_field(d, c"inner.ip.src".as_ptr(), 0, &mut index),
            VXSCOPE_OK
        );
        assert_eq!(values[index], "10.244.1.12");
        // By registry row and scope: the same field.
        let mut record = std::mem::MaybeUninit::<FieldRecord>::uninit();
        assert_eq!(
            vxscope_dissection_field(d, index, record.as_mut_ptr()),
            VXSCOPE_OK
        );
        let record = record.assume_init();
        assert_eq!(record.scope, 1);
        let mut by_id = usize::MAX;
        assert_eq!(
            vxscope_dissection_find_field_id(d, record.id, record.scope, 0, &mut by_id),
            VXSCOPE_OK
        );
        assert_eq!(by_id, index);
        assert_eq!(
            vxscope_dissection_find_field_id(d, record.id, record.scope, index + 1, &mut by_id),
            VXSCOPE_ERR_NOT_FOUND
        );
        assert_eq!(
            vxscope_dissection_find_field_id(d, record.id, 0, 0, &mut by_id),
            VXSCOPE_OK
        );
        assert_eq!(values[by_id], "172.16.100.101", "ip.src of the outer frame");
        assert_eq!(
            vxscope_dissection_find_field_id(d, record.id, 0, 0, null_mut()),
            VXSCOPE_ERR_NULL_POINTER
        );
        // Cut to fit, NUL-terminated; the length is the whole text's.
        let mut small = [0x55 as c_char; 6];
        let mut len = 0;
        assert_eq!(
            vxscope_dissection_field_value(d, index, small.as_mut_ptr(), small.len(), &mut len),
            VXSCOPE_OK
        );
        assert_eq!((text(small.as_ptr()).as_str(), len), ("10.24", 11));
        // No buffer: the length alone.
        assert_eq!(
            vxscope_dissection_field_value(d, index, null_mut(), 0, &mut len),
            VXSCOPE_OK
        );
        assert_eq!(len, 11);
        // A buffer missing, an index out of range, the wrong handle: error codes, nothing written.
        assert_eq!(
            vxscope_dissection_field_value(d, index, null_mut(), 8, &mut len),
            VXSCOPE_ERR_NULL_POINTER
        );
        assert_eq!(
            vxscope_dissection_field_value(d, counts.fields, small.as_mut_ptr(), 6, &mut len),
            VXSCOPE_ERR_OUT_OF_RANGE
        );
        assert_eq!(
            last_error(),
            format!(
                "vxscope_dissection_field_value: field index {} is out of range: the dissection has {}",
                counts.fields, counts.fields
            )
        );
        assert_eq!(
            vxscope_dissection_field_value(ctx.0.cast(), 0, small.as_mut_ptr(), 6, &mut len),
            VXSCOPE_ERR_BAD_HANDLE
        );
        assert_eq!(vxscope_dissection_free(d), VXSCOPE_OK);
    }
}

#[test]
fn one_context_many_threads() {
    let ctx = Ctx::new();
    // Frames that differ: the seed with each inner ICMP sequence number.
    let frames: Vec<Vec<u8>> = (0..64u16)
        .map(|seq| {
            let mut f = SEED.to_vec();
            f[90..92].copy_from_slice(&seq.to_be_bytes());
            f
        })
        .collect();
    let context = ctx.0 as usize;
    std::thread::scope(|s| {
        for t in 0..8 {
            let frames = &frames;
            s.spawn(move || {
                let ctx = context as *const Context;
                let mut d = null_mut();
                for round in 0..50 {
                    let seq = (t * 7 + round) % frames.len();
                    let f = &frames[seq];
                    // SAFETY: a live context shared read-only; this thread's own dissection.
                    unsafe {
                        assert_eq!(
                            vxscope_dissect(ctx, 1, f.as_ptr(), f.len(), f.len() as u32, &mut d),
                            VXSCOPE_OK
                        );
                        let mut index = 0;
                        assert_eq!(
                            vxscope_dissection_find_field(
                                d,
                                c"inner.icmp.seq".as_ptr(),
                                0,
                                &mut index
                            ),
                            VXSCOPE_OK
                        );
                        let mut r = std::mem::MaybeUninit::<FieldRecord>::uninit();
                        assert_eq!(
                            vxscope_dissection_field(d, index, r.as_mut_ptr()),
                            VXSCOPE_OK
                        );
                        let r = r.assume_init();
                        assert_eq!(r.value_int, seq as u64);
                        assert_eq!(text(r.value), seq.to_string());
                    }
                    // Each thread's failures leave their own message.
                    // SAFETY: a NULL out-pointer, on purpose.
                    unsafe { vxscope_dissection_counts(d, null_mut()) };
                    assert_eq!(last_error(), "vxscope_dissection_counts: out is NULL");
                }
                // SAFETY: this thread's dissection, not used again.
                assert_eq!(unsafe { vxscope_dissection_free(d) }, VXSCOPE_OK);
            });
        }
    });
}

#[test]
fn more_than_64_kib_of_garbage_on_every_link_type() {
    let ctx = Ctx::new();
    let mut d = null_mut();
    let mut state = 0x2118_u64;
    let garbage: Vec<u8> = (0..100_000)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as u8
        })
        .collect();
    for link in [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, u32::MAX] {
        for wire_len in [0, 3, 100_000, u32::MAX] {
            // SAFETY: valid pointers; the bytes are the hostile part.
            let status = unsafe {
                vxscope_dissect(
                    ctx.0,
                    link,
                    garbage.as_ptr(),
                    garbage.len(),
                    wire_len,
                    &mut d,
                )
            };
            assert_eq!(status, VXSCOPE_OK, "link type {link}");
            assert!(!read_all(d, garbage.len()).is_empty());
        }
    }
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            vxscope_dissect_vxlan_payload(ctx.0, garbage.as_ptr(), garbage.len(), &mut d),
            VXSCOPE_OK
        );
        read_all(d, garbage.len());
        // Length 0 with a NULL pointer is an empty frame.
        assert_eq!(vxscope_dissect(ctx.0, 1, null(), 0, 0, &mut d), VXSCOPE_OK);
        assert_eq!(read_all(d, 0), "(nothing decoded) [malformed.truncated]");
        assert_eq!(vxscope_dissection_free(d), VXSCOPE_OK);
    }
}

#[test]
fn the_library_loaded_by_path_answers_the_same() {
    // Through the shared library, as a host loads it: its descriptor's functions check their pointers too.
    vxscope_tests::build_workspace();
    let path = vxscope_tests::target_dir().join("libvxscope.so");
    // SAFETY: loading the library built from this workspace.
    let lib = unsafe { libloading::Library::new(&path) }.expect("load libvxscope.so");
    // SAFETY: the symbol's type as the header declares it.
    let entry = unsafe { lib.get::<unsafe extern "C" fn() -> *const Plugin>(b"vxscope_plugin_v1") }
        .expect("vxscope_plugin_v1");
    // SAFETY: a static descriptor.
    let p = unsafe { &*entry() };
    assert_eq!(p.abi_version, VXSCOPE_ABI_VERSION);
    assert_eq!(p.struct_size as usize, size_of::<Plugin>());
    // SAFETY: NULL pointers on purpose; the library's own last error.
    unsafe {
        assert_eq!(
            p.context_new.expect("context_new")(null(), null_mut()),
            VXSCOPE_ERR_NULL_POINTER
        );
        assert_eq!(
            text(p.last_error.expect("last_error")()),
            "vxscope_context_new: out is NULL"
        );
        assert_eq!(
            p.dissect.expect("dissect")(null(), 1, SEED.as_ptr(), SEED.len(), 0, &mut null_mut()),
            VXSCOPE_ERR_NULL_POINTER
        );
        let mut ctx = null_mut();
        assert_eq!(
            p.context_new.expect("context_new")(null(), &mut ctx),
            VXSCOPE_OK
        );
        let mut d = null_mut();
        assert_eq!(
            p.dissect.expect("dissect")(ctx, 1, SEED.as_ptr(), SEED.len(), 148, &mut d),
            VXSCOPE_OK
        );
        let (mut s, mut len) = (null(), 0);
        assert_eq!(
            p.dissection_summary.expect("dissection_summary")(d, &mut s, &mut len),
            VXSCOPE_OK
        );
        assert!(text(s).ends_with("ICMP echo request id 3143 seq 1102, ttl 63"));
        assert_eq!(p.dissection_free.expect("dissection_free")(d), VXSCOPE_OK);
        assert_eq!(p.context_free.expect("context_free")(ctx), VXSCOPE_OK);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any bytes, any link type, any wire length: a dissection every field of which lies within the frame.
    #[test]
    fn any_bytes_dissect_without_error(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
        link in prop_oneof![Just(1u32), Just(101), Just(113), Just(276), Just(0), any::<u32>()],
        wire_len in any::<u32>(),
        seed_prefix in 0usize..148,
    ) {
        // Half the cases start like the seed, so that the layers deep inside are reached.
        let mut frame = SEED[..seed_prefix].to_vec();
        frame.extend_from_slice(&bytes);
        let ctx = Ctx::new();
        let mut d = null_mut();
        // SAFETY: valid pointers.
        let status = unsafe { vxscope_dissect(ctx.0, link, frame.as_ptr(), frame.len(), wire_len, &mut d) };
        prop_assert_eq!(status, VXSCOPE_OK);
        read_all(d, frame.len());
        // SAFETY: valid pointers.
        let status = unsafe { vxscope_dissect_vxlan_payload(ctx.0, bytes.as_ptr(), bytes.len(), &mut d) };
        prop_assert_eq!(status, VXSCOPE_OK);
        read_all(d, bytes.len());
        // SAFETY: made above.
        prop_assert_eq!(unsafe { vxscope_dissection_free(d) }, VXSCOPE_OK);
    }
}

/// A dissection that records only some fields: the same layers, notes and summary line as one that records
/// every field (with `summary`), only the fields asked for, reused frame after frame; identifiers out of range
/// and NULL pointers are error codes.
#[test]
fn a_dissection_recording_only_some_fields() {
    let ctx = Ctx::new();
    // SAFETY: valid pointers and lengths, except where a test says otherwise.
    unsafe {
        let mut full = null_mut();
        assert_eq!(
            vxscope_dissect(ctx.0, 1, SEED.as_ptr(), SEED.len(), 148, &mut full),
            VXSCOPE_OK
        );
        let whole = read_all(full, SEED.len());
        let mut full_counts = Counts::default();
        assert_eq!(
            vxscope_dissection_counts(full, &mut full_counts),
            VXSCOPE_OK
        );

        // The summary's fields only: the same line and notes from far fewer fields.
        let mut few = null_mut();
        assert_eq!(
            vxscope_dissection_new_recording(null(), 0, true, &mut few),
            VXSCOPE_OK
        );
        for _ in 0..2 {
            assert_eq!(
                vxscope_dissect(ctx.0, 1, SEED.as_ptr(), SEED.len(), 148, &mut few),
                VXSCOPE_OK
            );
            assert_eq!(read_all(few, SEED.len()), whole);
            let mut counts = Counts::default();
            assert_eq!(vxscope_dissection_counts(few, &mut counts), VXSCOPE_OK);
            assert_eq!(counts.notes, full_counts.notes);
            assert!(
                counts.fields > 0 && counts.fields < full_counts.fields / 2,
                "{} fields of {}",
                counts.fields,
                full_counts.fields
            );
        }

        // One field by its registry row, and nothing else: the ICMP sequence number of the seed's ping.
        let mut index = 0;
        assert_eq!(
            vxscope_dissection_find_field(full, c"inner.icmp.seq".as_ptr(), 0, &mut index),
            VXSCOPE_OK
        );
        let mut seq = std::mem::MaybeUninit::<FieldRecord>::uninit();
        assert_eq!(
            vxscope_dissection_field(full, index, seq.as_mut_ptr()),
            VXSCOPE_OK
        );
        let seq = seq.assume_init();
        let mut one = null_mut();
        assert_eq!(
            vxscope_dissection_new_recording(&seq.id, 1, false, &mut one),
            VXSCOPE_OK
        );
        assert_eq!(
            vxscope_dissect(ctx.0, 1, SEED.as_ptr(), SEED.len(), 148, &mut one),
            VXSCOPE_OK
        );
        let mut counts = Counts::default();
        assert_eq!(vxscope_dissection_counts(one, &mut counts), VXSCOPE_OK);
        assert_eq!(counts.fields, 1);
        let mut record = std::mem::MaybeUninit::<FieldRecord>::uninit();
        assert_eq!(
            vxscope_dissection_field(one, 0, record.as_mut_ptr()),
            VXSCOPE_OK
        );
        assert_eq!(text(record.assume_init().value), "1102");
        assert_eq!(
            vxscope_dissection_find_field(one, c"inner.ip.src".as_ptr(), 0, &mut index),
            VXSCOPE_ERR_NOT_FOUND
        );
        let (mut line, mut len) = (null(), 0);
        assert_eq!(
            vxscope_dissection_summary(one, &mut line, &mut len),
            VXSCOPE_ERR_INVALID_ARGUMENT
        );
        assert!(last_error().contains("summary"), "{}", last_error());

        // Hostile calls.
        let rows = vxscope_registry_field_count() as u32;
        let mut untouched = null_mut();
        assert_eq!(
            vxscope_dissection_new_recording(&rows, 1, false, &mut untouched),
            VXSCOPE_ERR_OUT_OF_RANGE
        );
        assert!(last_error().contains("out of range"), "{}", last_error());
        assert_eq!(
            vxscope_dissection_new_recording(null(), 3, false, &mut untouched),
            VXSCOPE_ERR_NULL_POINTER
        );
        assert!(last_error().contains("field_ids"), "{}", last_error());
        assert_eq!(
            vxscope_dissection_new_recording(null(), 0, true, null_mut()),
            VXSCOPE_ERR_NULL_POINTER
        );
        assert!(untouched.is_null());
        for d in [full, few, one] {
            assert_eq!(vxscope_dissection_free(d), VXSCOPE_OK);
        }
    }
}

/// The summary, the number of layers and fields, and every note's message of a dissection.
fn what_it_says(d: *const DissectionHandle) -> String {
    let mut counts = Counts::default();
    // SAFETY: a live dissection and writable out-pointers.
    unsafe {
        assert_eq!(vxscope_dissection_counts(d, &mut counts), VXSCOPE_OK);
        let (mut s, mut len) = (null(), 0);
        assert_eq!(vxscope_dissection_summary(d, &mut s, &mut len), VXSCOPE_OK);
        let mut said = format!(
            "{} | {} layers, {} fields",
            text(s),
            counts.layers,
            counts.fields
        );
        let (mut notes, mut n): (*const NoteRecord, usize) = (null(), 0);
        assert_eq!(vxscope_dissection_notes(d, &mut notes, &mut n), VXSCOPE_OK);
        for i in 0..n {
            said.push_str(" | ");
            said.push_str(&text((*notes.add(i)).message));
        }
        said
    }
}

#[test]
fn a_session_learns_from_frames_decoded_apart_as_from_frames_it_dissects() {
    use vxscope_capture::CaptureReader;
    let ctx = {
        let (mut options, mut c) = (null_mut(), null_mut());
        let nodes = std::ffi::CString::new(
            vxscope_tests::sample("flannel/nodes.json")
                .to_str()
                .unwrap(),
        )
        .unwrap();
        // SAFETY: writable out-pointers, a NUL-terminated path; the options are freed once used.
        unsafe {
            assert_eq!(vxscope_options_new(&mut options), VXSCOPE_OK);
            assert_eq!(
                vxscope_options_add_nodes_json_file(options, nodes.as_ptr()),
                VXSCOPE_OK,
                "{}",
                last_error()
            );
            assert_eq!(vxscope_context_new(options, &mut c), VXSCOPE_OK);
            assert_eq!(vxscope_options_free(options), VXSCOPE_OK);
        }
        Ctx(c)
    };
    let mut files = vxscope_tests::captures_under(&vxscope_tests::sample("flannel"));
    files.extend(vxscope_tests::captures_under(
        &vxscope_tests::root().join("samples"),
    ));
    files.sort();
    files.dedup();
    let (mut frames, mut taught) = (0, 0);
    for path in &files {
        let mut reader = CaptureReader::from_file(std::fs::File::open(path).unwrap()).unwrap();
        let (mut through, mut learning) = (null_mut(), null_mut());
        let (mut dissected, mut decoded, mut alone) = (null_mut(), null_mut(), null_mut());
        // SAFETY: live handles, writable out-pointers, frames valid for their lengths.
        unsafe {
            assert_eq!(vxscope_session_new(ctx.0, &mut through), VXSCOPE_OK);
            assert_eq!(vxscope_session_new(ctx.0, &mut learning), VXSCOPE_OK);
            while let Some(p) = reader.next_packet().unwrap() {
                let (bytes, len, lt) = (p.data.as_ptr(), p.data.len(), p.link_type.0);
                assert_eq!(
                    vxscope_session_dissect(through, lt, bytes, len, p.orig_len, &mut dissected),
                    VXSCOPE_OK
                );
                assert_eq!(
                    vxscope_dissect(ctx.0, lt, bytes, len, p.orig_len, &mut decoded),
                    VXSCOPE_OK
                );
                assert_eq!(
                    vxscope_dissect(ctx.0, lt, bytes, len, p.orig_len, &mut alone),
                    VXSCOPE_OK
                );
                assert_eq!(vxscope_session_learn(learning, decoded), VXSCOPE_OK);
                let said = what_it_says(dissected);
                assert_eq!(
                    what_it_says(decoded),
                    said,
                    "{} frame {}",
                    path.display(),
                    p.number
                );
                if what_it_says(alone) != said {
                    taught += 1;
                }
                frames += 1;
                // Once only, and only from a frame decoded apart with the session's context.
                assert_eq!(
                    vxscope_session_learn(learning, decoded),
                    VXSCOPE_ERR_INVALID_ARGUMENT
                );
                assert!(last_error().contains("once"), "{}", last_error());
                assert_eq!(
                    vxscope_session_learn(learning, dissected),
                    VXSCOPE_ERR_INVALID_ARGUMENT
                );
            }
            for h in [dissected, decoded, alone] {
                assert_eq!(vxscope_dissection_free(h), VXSCOPE_OK);
            }
            for s in [through, learning] {
                assert_eq!(vxscope_session_free(s), VXSCOPE_OK);
            }
        }
    }
    // The session's diagnoses (a VNI, a port or a VTEP MAC unlike the rest of the capture, the one-time
    // explanation of UDP 8472) made some frames say something else than alone.
    assert!(frames > 200, "{frames} frames");
    assert!(taught > 0, "no frame said anything more through a session");

    // Another context's session, and NULL pointers.
    let other = Ctx::new();
    // SAFETY: live handles or NULL, writable out-pointers.
    unsafe {
        let (mut session, mut d) = (null_mut(), null_mut());
        assert_eq!(vxscope_session_new(other.0, &mut session), VXSCOPE_OK);
        assert_eq!(
            vxscope_dissect(ctx.0, 1, SEED.as_ptr(), SEED.len(), 148, &mut d),
            VXSCOPE_OK
        );
        assert_eq!(
            vxscope_session_learn(session, d),
            VXSCOPE_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            vxscope_session_learn(null_mut(), d),
            VXSCOPE_ERR_NULL_POINTER
        );
        assert!(last_error().contains("session"), "{}", last_error());
        assert_eq!(
            vxscope_session_learn(session, null_mut()),
            VXSCOPE_ERR_NULL_POINTER
        );
        assert_eq!(vxscope_dissection_free(d), VXSCOPE_OK);
        assert_eq!(vxscope_session_free(session), VXSCOPE_OK);
    }
}
