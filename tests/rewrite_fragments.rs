//! `vxscope strip` of VXLAN datagrams the underlay split in outer IPv4 fragments, on literal packets: the
//! fragments of a datagram read one after another become its one stripped frame, at the place and time of the
//! last; fragments that make no datagram (a packet between them, one missing, out of order, another datagram's,
//! not VXLAN, before the damage of the file) are written as they were, in their order. tshark, which puts
//! fragments back together too, finds the same frames.

#[path = "rewrite_common.rs"]
mod common;

use std::path::{Path, PathBuf};

use common::*;
use vxscope_tests as support;

const NODE1: [u8; 4] = [172, 16, 100, 101];
const NODE2: [u8; 4] = [172, 16, 100, 102];
const NODE1_MAC: [u8; 6] = [0x00, 0x50, 0x56, 0x93, 0x63, 0x3b];
const NODE2_MAC: [u8; 6] = [0x00, 0x50, 0x56, 0x93, 0x6a, 0x3a];

fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet frame from node 1 to node 2 holding an IPv4 packet of `proto` with identification `id`, the
/// flags and fragment offset word `flags_offset` and `payload`.
fn ipv4_frame(id: u16, flags_offset: u16, proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = [&NODE2_MAC[..], &NODE1_MAC, &[0x08, 0x00]].concat();
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&flags_offset.to_be_bytes());
    h.extend_from_slice(&[64, proto, 0, 0]);
    h.extend_from_slice(&NODE1);
    h.extend_from_slice(&NODE2);
    let c = internet_checksum(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&h);
    f.extend_from_slice(payload);
    f
}

/// The frame a pod sends: Ethernet between the two VTEPs, then `len` bytes counting up.
fn inner_frame(len: usize) -> Vec<u8> {
    let mut f = hex::decode("b672ae367b6cfe90c41869a70800").unwrap();
    f.extend((0..len).map(|i| i as u8));
    f
}

/// A UDP datagram to `port` (checksum 0, as Linux sends VXLAN), with a VXLAN header of VNI 1 before `inner`
/// when `port` is 8472.
fn datagram(port: u16, inner: &[u8]) -> Vec<u8> {
    let vxlan: &[u8] = if port == 8472 {
        &[0x08, 0, 0, 0, 0, 0, 1, 0]
    } else {
        &[]
    };
    let len = (8 + vxlan.len() + inner.len()) as u16;
    let mut d = [
        &40000u16.to_be_bytes()[..],
        &port.to_be_bytes(),
        &len.to_be_bytes(),
        &[0, 0],
    ]
    .concat();
    d.extend_from_slice(vxlan);
    d.extend_from_slice(inner);
    d
}

/// The UDP `datagram` in outer IPv4 fragments of identification `id`, each of `size` bytes of it (a multiple
/// of 8) but the last.
fn fragments(id: u16, datagram: &[u8], size: usize) -> Vec<Vec<u8>> {
    let chunks: Vec<&[u8]> = datagram.chunks(size).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let more = if i + 1 < chunks.len() { 0x2000 } else { 0 };
            ipv4_frame(id, more | (i * size / 8) as u16, 17, chunk)
        })
        .collect()
}

fn arp() -> Vec<u8> {
    let mut f = [&[0xff; 6][..], &NODE1_MAC, &[0x08, 0x06]].concat();
    f.extend_from_slice(&hex::decode("0001080006040001").unwrap());
    f.extend_from_slice(&NODE1_MAC);
    f.extend_from_slice(&NODE1);
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&NODE2);
    f
}

struct Stripped {
    status: Option<i32>,
    stderr: String,
    frames: Vec<Frame>,
}

/// `vxscope strip` of a capture of `frames` (frame `i` at `i` ms), with `args`; and the input, for tshark.
fn strip(name: &str, frames: &[Vec<u8>], args: &[&str]) -> (Stripped, PathBuf) {
    let dir = scratch(&format!("fragments-{name}"));
    let input = dir.join("in.pcap");
    write_pcap(&input, frames);
    (strip_file(&dir, &input, args), input)
}

fn strip_file(dir: &Path, input: &Path, args: &[&str]) -> Stripped {
    let output = dir.join("out.pcap");
    let _ = std::fs::remove_file(&output);
    let mut all = vec!["strip", input.to_str().unwrap(), output.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = vxscope(&all);
    Stripped {
        status: o.status.code(),
        stderr: support::stderr(&o),
        frames: read_capture(&output).frames,
    }
}

fn data(frames: &[Frame]) -> Vec<Vec<u8>> {
    frames.iter().map(|f| f.data.clone()).collect()
}

fn ms(f: &Frame) -> u128 {
    f.ts_ns / 1_000_000
}

#[test]
fn the_fragments_of_a_datagram_become_its_one_stripped_frame() {
    let inner = inner_frame(1386);
    let pieces = fragments(0x7c01, &datagram(8472, &inner), 512);
    assert_eq!(pieces.len(), 3);
    let input = [vec![arp()], pieces, vec![arp()]].concat();
    let (s, path) = strip("whole", &input, &[]);
    assert_eq!(s.status, Some(0), "{}", s.stderr);
    assert_eq!(data(&s.frames), [arp(), inner.clone(), arp()]);
    // The frame is written where and when its last fragment was read (frame 4, at 3 ms); the others keep theirs.
    assert_eq!(s.frames.iter().map(ms).collect::<Vec<_>>(), [0, 3, 4]);
    assert_eq!(s.frames[1].orig_len as usize, inner.len());
    assert!(
        s.stderr.contains("5 packets read")
            && s.stderr.contains("1 stripped, 2 kept, 0 dropped, 0 damaged")
            && s.stderr.contains(
                "reassembled: 3 outer IP fragments (first: frame 2) into 1 datagram, each stripped at the place and time of its last fragment"
            ),
        "{}",
        s.stderr
    );
    // tshark puts the fragments back together at the same frame, and finds the same inner frame.
    let theirs = tshark_inner_frames(&path);
    assert_eq!(theirs.len(), 1);
    assert_eq!((theirs[0].frame, &theirs[0].inner), (4, &inner));

    // Two datagrams one after the other, and the same with a display filter that only the whole datagrams
    // pass (each fragment is shorter than 600 bytes).
    let two = [
        fragments(1, &datagram(8472, &inner), 512),
        fragments(2, &datagram(8472, &inner_frame(700)), 512),
    ]
    .concat();
    let (s, _) = strip("two", &two, &[]);
    assert_eq!(data(&s.frames), [inner.clone(), inner_frame(700)]);
    let (s, _) = strip(
        "filtered",
        &two,
        &["-Y", "frame.len > 600", "--other", "drop"],
    );
    assert_eq!(data(&s.frames), [inner, inner_frame(700)], "{}", s.stderr);
}

#[test]
fn fragments_that_make_no_datagram_are_written_as_they_were_in_order() {
    let pieces = |id| fragments(id, &datagram(8472, &inner_frame(1386)), 512);
    let [a, b, c] = <[Vec<u8>; 3]>::try_from(pieces(7)).unwrap();
    let other = pieces(8);
    let cases: [(&str, Vec<Vec<u8>>); 6] = [
        (
            "a packet between them",
            vec![a.clone(), arp(), b.clone(), c.clone()],
        ),
        ("the last one missing", vec![arp(), a.clone(), b.clone()]),
        ("out of order", vec![b.clone(), a.clone(), c.clone()]),
        ("a gap", vec![a.clone(), c.clone(), arp()]),
        (
            "another datagram's in between",
            vec![a.clone(), other[1].clone(), b.clone(), c.clone()],
        ),
        ("no first fragment", vec![b.clone(), c.clone()]),
    ];
    for (name, input) in cases {
        let (s, _) = strip(&name.replace(' ', "-"), &input, &[]);
        assert_eq!(s.status, Some(0), "{name}: {}", s.stderr);
        assert_eq!(data(&s.frames), input, "{name}: written as they were");
        let times: Vec<u128> = (0..input.len() as u128).collect();
        assert_eq!(s.frames.iter().map(ms).collect::<Vec<_>>(), times, "{name}");
        assert!(
            !s.stderr.contains("reassembled:") && s.stderr.contains("0 stripped"),
            "{name}: {}",
            s.stderr
        );
        // The first fragments are the damaged packets (the UDP and VXLAN headers without all of the frame).
        let firsts = input.iter().filter(|f| **f == a || **f == other[0]).count();
        assert!(
            s.stderr.contains(&format!("{firsts} damaged")),
            "{name}: {}",
            s.stderr
        );
    }
}

#[test]
fn a_fragmented_datagram_that_is_not_vxlan_is_left_as_it_was() {
    // DNS over UDP, in fragments: not VXLAN, so nothing for strip to change.
    let input = fragments(9, &datagram(53, &[0x5a; 1500]), 800);
    let (s, _) = strip("dns", &input, &[]);
    assert_eq!(data(&s.frames), input);
    assert!(
        s.stderr
            .contains("0 stripped, 2 kept, 0 dropped, 0 damaged"),
        "{}",
        s.stderr
    );
}

#[test]
fn fragments_kept_when_the_file_turns_out_damaged_are_written_before_the_error() {
    let pieces = fragments(3, &datagram(8472, &inner_frame(1386)), 512);
    let dir = scratch("fragments-damaged");
    let input = dir.join("in.pcap");
    write_pcap(&input, &[arp(), pieces[0].clone(), pieces[1].clone()]);
    // The third record is cut in the middle of its bytes.
    let bytes = std::fs::read(&input).unwrap();
    std::fs::write(&input, &bytes[..bytes.len() - 100]).unwrap();
    let s = strip_file(&dir, &input, &[]);
    assert_eq!(s.status, Some(1), "{}", s.stderr);
    assert!(s.stderr.contains("frame 3"), "{}", s.stderr);
    assert_eq!(data(&s.frames), [arp(), pieces[0].clone()], "{}", s.stderr);
}
