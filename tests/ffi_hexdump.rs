//! The annotated hex dump through the C ABI is the one `vxscope hexdump` writes: the golden files of
//! `samples/golden/hexdump/`, in every format and language, with and without the flannel topology.

use std::ffi::CStr;
use std::ptr::{null, null_mut};

use vxscope::handles::{Context, DissectionHandle};
use vxscope::*;
use vxscope_tests::sample;

/// The seed frame's bytes: the one record of samples/seed.pcap (after the 24-byte file header and the 16-byte
/// record header).
fn seed_frame() -> Vec<u8> {
    let pcap = std::fs::read(sample("seed.pcap")).expect("read samples/seed.pcap");
    pcap[40..].to_vec()
}

fn hexdump(d: *const DissectionHandle, format: u32, lang: u32) -> String {
    let (mut text, mut len) = (null(), 0);
    // SAFETY: a live dissection, writable out-pointers.
    let status = unsafe { vxscope_dissection_hexdump(d, format, lang, &mut text, &mut len) };
    assert_eq!(status, VXSCOPE_OK);
    // SAFETY: NUL-terminated, owned by the dissection.
    let s = unsafe { CStr::from_ptr(text) }
        .to_str()
        .expect("UTF-8")
        .to_owned();
    assert_eq!(s.len(), len);
    s
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(sample(&format!("golden/hexdump/{name}")))
        .expect("read the golden file")
}

fn dissect(ctx: *const Context, frame: &[u8]) -> *mut DissectionHandle {
    let mut d = null_mut();
    // SAFETY: a live context, the frame's bytes.
    let status = unsafe {
        vxscope_dissect(
            ctx,
            VXSCOPE_LINKTYPE_ETHERNET,
            frame.as_ptr(),
            frame.len(),
            frame.len() as u32,
            &mut d,
        )
    };
    assert_eq!(status, VXSCOPE_OK);
    d
}

#[test]
fn the_seed_hex_dump_in_every_format_and_language() {
    let frame = seed_frame();
    assert_eq!(frame.len(), 148);
    let mut ctx = null_mut();
    // SAFETY: writable out-pointers; handles freed at the end.
    unsafe {
        assert_eq!(vxscope_context_new(null(), &mut ctx), VXSCOPE_OK);
        let d = dissect(ctx, &frame);
        for (format, ext) in [
            (VXSCOPE_HEXDUMP_TEXT, "txt"),
            (VXSCOPE_HEXDUMP_MARKDOWN, "md"),
            (VXSCOPE_HEXDUMP_HTML, "html"),
        ] {
            for (lang, code) in [(VXSCOPE_LANG_EN, "en"), (VXSCOPE_LANG_ZH, "zh")] {
                let name = format!("seed.{code}.{ext}");
                assert!(
                    hexdump(d, format, lang) == golden(&name),
                    "the ABI's hex dump differs from {name}"
                );
            }
        }
        let (mut text, mut len) = (null(), 0);
        assert_eq!(
            vxscope_dissection_hexdump(d, 3, VXSCOPE_LANG_EN, &mut text, &mut len),
            VXSCOPE_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            vxscope_dissection_hexdump(d, VXSCOPE_HEXDUMP_TEXT, 7, &mut text, &mut len),
            VXSCOPE_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            vxscope_dissection_hexdump(
                d,
                VXSCOPE_HEXDUMP_TEXT,
                VXSCOPE_LANG_EN,
                null_mut(),
                &mut len
            ),
            VXSCOPE_ERR_NULL_POINTER
        );
        assert_eq!(vxscope_dissection_free(d), VXSCOPE_OK);
        assert_eq!(vxscope_context_free(ctx), VXSCOPE_OK);
    }
}

#[test]
fn the_seed_hex_dump_with_the_topology_from_text_sources() {
    let frame = seed_frame();
    let nodes = std::fs::read_to_string(sample("flannel/nodes.json")).expect("read nodes.json");
    let pods =
        std::fs::read_to_string(sample("flannel/seed-pods.txt")).expect("read seed-pods.txt");
    let (mut options, mut ctx) = (null_mut(), null_mut());
    // SAFETY: strings that live through each call; handles freed at the end.
    unsafe {
        assert_eq!(vxscope_options_new(&mut options), VXSCOPE_OK);
        assert_eq!(
            vxscope_options_add_nodes_json(
                options,
                nodes.as_ptr().cast(),
                nodes.len(),
                c"nodes.json".as_ptr()
            ),
            VXSCOPE_OK
        );
        assert_eq!(
            vxscope_options_add_pods(
                options,
                pods.as_ptr().cast(),
                pods.len(),
                c"seed-pods.txt".as_ptr()
            ),
            VXSCOPE_OK
        );
        assert_eq!(vxscope_context_new(options, &mut ctx), VXSCOPE_OK);
        assert_eq!(vxscope_options_free(options), VXSCOPE_OK);
        let d = dissect(ctx, &frame);
        for (lang, code) in [(VXSCOPE_LANG_EN, "en"), (VXSCOPE_LANG_ZH, "zh")] {
            let name = format!("seed-flannel.{code}.txt");
            assert!(
                hexdump(d, VXSCOPE_HEXDUMP_TEXT, lang) == golden(&name),
                "the ABI's hex dump differs from {name}"
            );
        }
        assert_eq!(vxscope_dissection_free(d), VXSCOPE_OK);
        assert_eq!(vxscope_context_free(ctx), VXSCOPE_OK);
    }
}
