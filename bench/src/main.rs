//! `make-bench-capture PATH [PACKETS]`: writes the capture vxscope's dissect benchmark reads: by default
//! 200,000 VXLAN packets (about 170 MB) between eight flannel nodes on UDP 8472 (one in eight on 4789), the
//! frames inside being ICMP echo, TCP and UDP between pods, with payloads of 64 to 1400 bytes. Deterministic:
//! the same bytes on every run. Packets are built with etherparse (headers, lengths, checksums) and written
//! with vxscope's capture writer.

use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

use etherparse::PacketBuilder;
use vxscope_capture::{CaptureWriter, MAX_CAPLEN, Timestamp};
use vxscope_dissector::LinkType;
use vxscope_dissector::layers::vxlan::emit_header;

/// xorshift64*: a small deterministic generator (no need for cryptographic quality).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const NODES: u8 = 8;

fn node_ip(n: u8) -> [u8; 4] {
    [172, 16, 100, 101 + n]
}

fn node_mac(n: u8) -> [u8; 6] {
    [0x00, 0x50, 0x56, 0x93, 0x60, n]
}

fn vtep_mac(n: u8) -> [u8; 6] {
    [0xfe, 0x90, 0xc4, 0x18, 0x69, n]
}

fn pod_ip(node: u8, pod: u8) -> [u8; 4] {
    [10, 244, node + 1, pod]
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: make-bench-capture PATH [PACKETS]");
        return ExitCode::FAILURE;
    };
    let packets: u64 = match args.next().map(|a| a.parse()) {
        None => 200_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("make-bench-capture: PACKETS: {e}");
            return ExitCode::FAILURE;
        }
    };
    match write(&path, packets) {
        Ok(bytes) => {
            eprintln!("wrote {path}: {packets} packets, {bytes} bytes");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("make-bench-capture: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(path: &str, packets: u64) -> std::io::Result<u64> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut w = CaptureWriter::pcap(file, LinkType::ETHERNET, MAX_CAPLEN, false)?;
    let mut rng = Rng(0x5eed_1630_8594_4712);
    let mut inner = Vec::with_capacity(2048);
    let mut outer_payload = Vec::with_capacity(2048);
    let mut frame = Vec::with_capacity(2048);
    let payload_bytes: Vec<u8> = (0..1400u32).map(|i| (i * 7 + 3) as u8).collect();
    let mut tcp_seq = [0u32; 64];
    let mut bytes = 24u64;
    let start = 1_700_000_000i64;
    for i in 0..packets {
        let (src, dst) = {
            let s = rng.below(u64::from(NODES)) as u8;
            let d = (s + 1 + rng.below(u64::from(NODES) - 1) as u8) % NODES;
            (s, d)
        };
        let (src_pod, dst_pod) = (
            pod_ip(src, 2 + rng.below(60) as u8),
            pod_ip(dst, 2 + rng.below(60) as u8),
        );
        let len = 64 + rng.below(1400 - 64 + 1) as usize;
        let payload = &payload_bytes[..len];
        let inner_builder =
            PacketBuilder::ethernet2(vtep_mac(src), vtep_mac(dst)).ipv4(src_pod, dst_pod, 63);
        inner.clear();
        let kind = rng.below(10);
        let written = if kind < 4 {
            let seq = (i & 0xffff) as u16;
            inner_builder
                .icmpv4_echo_request(0x0c47 + u16::from(src), seq)
                .write(&mut inner, payload)
                .map_err(|e| e.to_string())
        } else if kind < 8 {
            let flow = rng.below(64) as usize;
            let seq = tcp_seq[flow];
            tcp_seq[flow] = seq.wrapping_add(len as u32);
            inner_builder
                .tcp(40000 + flow as u16, 8080, seq, 502)
                .ack(0x1000_0000 + flow as u32)
                .psh()
                .write(&mut inner, payload)
                .map_err(|e| e.to_string())
        } else {
            inner_builder
                .udp(50000 + rng.below(1000) as u16, 53)
                .write(&mut inner, payload)
                .map_err(|e| e.to_string())
        };
        written.map_err(std::io::Error::other)?;

        outer_payload.clear();
        let port = if rng.below(8) == 0 { 4789 } else { 8472 };
        // The VXLAN header flannel sends: flags 0x08, VNI 1 (4096 for 4789, as a VTEP with its own VNI).
        outer_payload.extend_from_slice(&emit_header(if port == 8472 { 1 } else { 4096 }));
        outer_payload.extend_from_slice(&inner);
        frame.clear();
        let sport = 32768 + rng.below(28232) as u16;
        PacketBuilder::ethernet2(node_mac(src), node_mac(dst))
            .ipv4(node_ip(src), node_ip(dst), 64)
            .udp(sport, port)
            .write(&mut frame, &outer_payload)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        // Linux sends VXLAN over IPv4 without a UDP checksum.
        frame[40..42].copy_from_slice(&[0, 0]);
        let ts = Timestamp {
            sec: start + (i / 20_000) as i64,
            nsec: ((i % 20_000) * 50_000) as u32,
        };
        w.write_packet(0, ts, frame.len() as u32, &frame, &[])?;
        bytes += 16 + frame.len() as u64;
    }
    w.flush()?;
    Ok(bytes)
}
