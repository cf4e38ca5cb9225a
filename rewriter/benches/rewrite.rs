//! The per-packet cost of the rewrites, in memory (no file I/O): `cargo bench -p vxscope-rewriter`.
//!
//! The input is 10,000 VXLAN packets like the whole-process benchmark's (bench/rewrite.sh): the article's
//! ping and TCP segments of 64 to 1400 bytes, wrapped by encap as flannel sends them.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vxscope_capture::{CaptureReader, CaptureWriter, Timestamp};
use vxscope_dissector::{Dissector, LinkType};
use vxscope_rewriter::encap::{Encap, EncapConfig, Outer, Route, SourcePort, UdpChecksum};
use vxscope_rewriter::locate::dissector_config;
use vxscope_rewriter::remap::{ChecksumMode, Maps, Remap};
use vxscope_rewriter::run::{self, Options, Rewrite};
use vxscope_rewriter::strip::Strip;

const PACKETS: usize = 10_000;

/// Plain Ethernet/IPv4 frames of 64 to 1400 bytes of payload (a fixed sequence).
fn frames() -> Vec<u8> {
    let mut out = CaptureWriter::pcap(Vec::new(), LinkType::ETHERNET, 262_144, true).unwrap();
    let mut x: u32 = 8472;
    for i in 0..PACKETS {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let payload = 64 + (x >> 8) as usize % 1337;
        let mut frame = Vec::with_capacity(34 + payload);
        frame.extend_from_slice(&[
            0xb6, 0x72, 0xae, 0x36, 0x7b, 0x6c, 0xfe, 0x90, 0xc4, 0x18, 0x69, 0xa7, 8, 0,
        ]);
        let total = (20 + payload) as u16;
        frame.extend_from_slice(&[
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            63,
            6,
            0,
            0,
        ]);
        frame.extend_from_slice(&[10, 244, 1, 12, 10, 244, 2, (i % 200) as u8]);
        frame.extend((0..payload).map(|j| (j * 7 + i) as u8));
        let ts = Timestamp {
            sec: 1_700_000_000 + i as i64 / 1000,
            nsec: (i as u32 % 1000) * 1000,
        };
        out.write_packet(0, ts, frame.len() as u32, &frame, &[])
            .unwrap();
    }
    out.into_inner()
}

fn vxlan_capture() -> Vec<u8> {
    let plain = frames();
    let dissector = Dissector::new(dissector_config(&[]));
    let config = EncapConfig {
        vni: 1,
        port: 8472,
        src_port: SourcePort::Flow,
        udp_checksum: UdpChecksum::Zero,
    };
    let outer = Outer {
        src_ip: IpAddr::V4(Ipv4Addr::new(172, 16, 100, 101)),
        dst_ip: IpAddr::V4(Ipv4Addr::new(172, 16, 100, 102)),
        src_mac: [0, 0x50, 0x56, 0x93, 0x6a, 0x3a],
        dst_mac: [0, 0x50, 0x56, 0x93, 0x63, 0x3b],
    };
    let mut encap = Encap::new(&dissector, config, Route::Fixed(outer), false);
    let mut out = Vec::new();
    let mut reader = CaptureReader::new(&plain[..]).unwrap();
    run::run(&mut reader, &mut out, &mut encap, Options::default()).unwrap();
    out
}

fn bench_rewrite(c: &mut Criterion, name: &str, input: &[u8], rewrite: &mut dyn Rewrite) {
    let mut out = Vec::with_capacity(input.len() + PACKETS * 80);
    let mut group = c.benchmark_group("rewrite");
    group.throughput(Throughput::Elements(PACKETS as u64));
    group.bench_function(name, |b| {
        b.iter(|| {
            out.clear();
            let mut reader = CaptureReader::new(black_box(input)).unwrap();
            run::run(&mut reader, &mut out, rewrite, Options::default()).unwrap();
            black_box(out.len())
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let vxlan = vxlan_capture();
    let plain = frames();

    let dissector = Dissector::new(dissector_config(&[]));
    bench_rewrite(c, "strip", &vxlan, &mut Strip::new(&dissector, false));

    let maps = Maps {
        ports: vec![(8472, 4789)],
        vnis: vec![(1, 4096)],
    };
    let remap_dissector = Dissector::new(dissector_config(&maps.vxlan_ports()));
    bench_rewrite(
        c,
        "remap",
        &vxlan,
        &mut Remap::new(&remap_dissector, maps, ChecksumMode::Keep, false),
    );

    let config = EncapConfig {
        vni: 1,
        port: 8472,
        src_port: SourcePort::Flow,
        udp_checksum: UdpChecksum::Compute,
    };
    let outer = Outer {
        src_ip: IpAddr::V4(Ipv4Addr::new(172, 16, 100, 101)),
        dst_ip: IpAddr::V4(Ipv4Addr::new(172, 16, 100, 102)),
        src_mac: [0; 6],
        dst_mac: [0; 6],
    };
    bench_rewrite(
        c,
        "encap",
        &plain,
        &mut Encap::new(&dissector, config, Route::Fixed(outer), false),
    );
}

criterion_group!(group, benches);
criterion_main!(group);
