//! The comparison on literal frames: pings and TCP segments built byte by byte, plain on the pod side and
//! inside VXLAN on the node side, with drops, duplicates, NAT, look-alikes and a capture that stops.

use vxscope_compare::render::{json, table};
use vxscope_compare::{Comparison, Direction, FrameRef, Observer, Options, Report, merge};
use vxscope_dissector::{Config, Dissector, LinkType};

const POD1: [u8; 4] = [10, 244, 1, 12];
const POD2: [u8; 4] = [10, 244, 2, 14];
const SERVICE: [u8; 4] = [10, 96, 0, 10];
const POD1_MAC: [u8; 6] = [0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x0c];
const GW1_MAC: [u8; 6] = [0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x01];
const VTEP1: [u8; 6] = [0xfe, 0x90, 0xc4, 0x18, 0x69, 0xa7];
const VTEP2: [u8; 6] = [0xb6, 0x72, 0xae, 0x36, 0x7b, 0x6c];
const NODE1: [u8; 4] = [172, 16, 100, 101];
const NODE2: [u8; 4] = [172, 16, 100, 102];

fn ethernet(dst: [u8; 6], src: [u8; 6], ip: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(ip);
    f
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, id: u16, ttl: u8, l4: &[u8]) -> Vec<u8> {
    let len = (20 + l4.len()) as u16;
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&len.to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&[0x40, 0, ttl, proto, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let sum = !fold(&h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    h.extend_from_slice(l4);
    h
}

fn fold(bytes: &[u8]) -> u16 {
    let mut s: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))
        .sum();
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

fn icmp_echo(reply: bool, id: u16, seq: u16) -> Vec<u8> {
    let mut m = vec![if reply { 0 } else { 8 }, 0, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend((0..56u8).map(|i| i.wrapping_add(seq as u8)));
    let sum = !fold(&m);
    m[2..4].copy_from_slice(&sum.to_be_bytes());
    m
}

fn tcp(sport: u16, dport: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&1u32.to_be_bytes());
    t.extend_from_slice(&[0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

/// The frame inside VXLAN VNI 1 between the two nodes, as flannel.1 sends it.
fn vxlan(inner: &[u8]) -> Vec<u8> {
    let mut udp = vec![0x9e, 0x90, 0x21, 0x18];
    udp.extend_from_slice(&((8 + 8 + inner.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0, 0x08, 0, 0, 0, 0, 0, 1, 0]);
    udp.extend_from_slice(inner);
    ethernet(
        [0, 0x50, 0x56, 0x93, 0x63, 0x3b],
        [0, 0x50, 0x56, 0x93, 0x6a, 0x3a],
        &ipv4(NODE1, NODE2, 17, 0x7586, 64, &udp),
    )
}

struct Frame {
    ts: i64,
    data: Vec<u8>,
}

fn compare(captures: &[Vec<Frame>], window_ns: i64) -> Report {
    compare_with(
        captures,
        Options {
            window_ns,
            ..Options::default()
        },
    )
}

fn compare_with(captures: &[Vec<Frame>], options: Options) -> Report {
    let dissector = Dissector::new(Config::default());
    let names = (0..captures.len()).map(|i| format!("c{i}.pcap")).collect();
    let mut cmp = Comparison::new(&dissector, names, options);
    let sources: Vec<_> = captures
        .iter()
        .map(|frames| {
            let mut observer = Observer::new(&dissector);
            frames
                .iter()
                .enumerate()
                .map(move |(i, f)| {
                    Ok(observer.observe(FrameRef {
                        number: i as u64 + 1,
                        ts: f.ts,
                        link_type: LinkType::ETHERNET,
                        wire_len: f.data.len() as u32,
                        data: &f.data,
                    }))
                })
                .collect::<Vec<_>>()
                .into_iter()
        })
        .collect();
    merge(&mut cmp, sources);
    cmp.finish()
}

/// 100 pings from pod 1 to pod 2: the pod side sees the request with TTL 64 and the reply 500 µs later; the
/// node NIC sees the request inside VXLAN 50 µs after the pod, and the reply 450 µs after the pod's request.
fn ping_pair(dropped_at_nic: &[u16]) -> (Vec<Frame>, Vec<Frame>) {
    let (mut pod, mut nic) = (Vec::new(), Vec::new());
    for seq in 0..100u16 {
        let t = 1_000_000_000_000 + i64::from(seq) * 1_000_000;
        let request = icmp_echo(false, 7, seq);
        let reply = icmp_echo(true, 7, seq);
        pod.push(Frame {
            ts: t,
            data: ethernet(
                GW1_MAC,
                POD1_MAC,
                &ipv4(POD1, POD2, 1, 100 + seq, 64, &request),
            ),
        });
        if !dropped_at_nic.contains(&seq) {
            nic.push(Frame {
                ts: t + 50_000,
                data: vxlan(&ethernet(
                    VTEP2,
                    VTEP1,
                    &ipv4(POD1, POD2, 1, 100 + seq, 63, &request),
                )),
            });
        }
        nic.push(Frame {
            ts: t + 450_000,
            data: vxlan(&ethernet(
                VTEP1,
                VTEP2,
                &ipv4(POD2, POD1, 1, 900 + seq, 63, &reply),
            )),
        });
        pod.push(Frame {
            ts: t + 500_000,
            data: ethernet(
                POD1_MAC,
                GW1_MAC,
                &ipv4(POD2, POD1, 1, 900 + seq, 62, &reply),
            ),
        });
    }
    (pod, nic)
}

#[test]
fn pings_matched_both_ways_with_the_dropped_ones_missing_at_the_hop() {
    let (pod, nic) = ping_pair(&[10, 55]);
    let report = compare(&[pod, nic], 1_000_000_000);
    assert!(report.complete());
    let [fwd, rev] = &report.hops[..] else {
        panic!("two hops")
    };
    assert_eq!(
        (fwd.direction, fwd.from, fwd.to),
        (Direction::Forward, 0, 1)
    );
    assert_eq!(
        (rev.direction, rev.from, rev.to),
        (Direction::Reverse, 1, 0)
    );
    assert_eq!(fwd.matched, 98);
    // The requests are frames 1, 3, 5, ... of the pod capture: seq 10 is frame 21, seq 55 frame 111.
    let lost: Vec<u64> = fwd.only_in_from.iter().map(|u| u.frame).collect();
    assert_eq!(lost, [21, 111]);
    assert!(
        fwd.only_in_from[0]
            .summary
            .contains("ICMP echo request id 7 seq 10"),
        "{}",
        fwd.only_in_from[0].summary
    );
    assert!(fwd.only_in_to.is_empty() && rev.only_in_from.is_empty() && rev.only_in_to.is_empty());
    assert_eq!(rev.matched, 100);
    let l = fwd.latency().unwrap();
    assert_eq!((l.min, l.median, l.max), (50_000, 50_000, 50_000));
    assert_eq!(rev.latency().unwrap().median, 50_000);
    let changes: Vec<(String, u64)> = fwd
        .changes
        .iter()
        .map(|(c, n)| (c.describe(&report.topology), *n))
        .collect();
    assert!(
        changes.contains(&("TTL 64 → 63 (−1)".into(), 98)),
        "{changes:?}"
    );
    assert!(
        changes.contains(&(
            "encapsulated: VXLAN vni 1 172.16.100.101 > 172.16.100.102 port 8472".into(),
            98
        )),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|(c, n)| c
            .starts_with("MACs 0a:58:0a:f4:01:0c > 0a:58:0a:f4:01:01 → fe:90:c4:18:69:a7 > b6:72")
            && *n == 98)
    );
    assert_eq!(changes.len(), 3);
    assert!(rev.changes.iter().any(|(c, _)| c.kind() == "decapsulated"));
    assert!(fwd.clock.is_empty() && rev.clock.is_empty());

    let mut text = Vec::new();
    table::write(&mut text, &report);
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("frame 21 "), "{text}");
    let mut j = Vec::new();
    json::write(&mut j, &report);
    let v: serde_json::Value = serde_json::from_slice(&j).unwrap();
    assert_eq!(v["hops"][0]["only_in_from"], serde_json::json!([21, 111]));
    assert_eq!(v["hops"][0]["latency_us"]["median"], 50.0);
    assert_eq!(v["hops"][1]["direction"], "reverse");
    assert_eq!(v["hops"][1]["from"], "c1.pcap");
}

#[test]
fn three_captures_each_hop_on_its_own() {
    // pod, then cni0 (same frame 10 µs later), then the NIC; the request of seq 3 is lost between cni0 and
    // the NIC.
    let (pod, nic) = ping_pair(&[3]);
    let cni0: Vec<Frame> = pod
        .iter()
        .map(|f| Frame {
            ts: if f.data[26..30] == POD1 {
                f.ts + 10_000
            } else {
                f.ts - 10_000
            },
            data: f.data.clone(),
        })
        .collect();
    let report = compare(&[pod, cni0, nic], 1_000_000_000);
    let names: Vec<(Direction, usize, usize, u64, usize)> = report
        .hops
        .iter()
        .map(|h| (h.direction, h.from, h.to, h.matched, h.only_in_from.len()))
        .collect();
    assert_eq!(
        names,
        [
            (Direction::Forward, 0, 1, 100, 0),
            (Direction::Forward, 1, 2, 99, 1),
            (Direction::Reverse, 2, 1, 100, 0),
            (Direction::Reverse, 1, 0, 100, 0),
        ]
    );
    assert_eq!(report.hops[0].changes, []);
    assert_eq!(report.hops[0].latency().unwrap().max, 10_000);
    assert_eq!(report.hops[1].only_in_from[0].frame, 7);
}

#[test]
fn a_service_address_translated_to_a_pod_is_matched_and_reported() {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for i in 0..20u32 {
        let t = 5_000_000_000 + i64::from(i) * 100_000;
        let payload = format!("GET /{i} HTTP/1.1\r\n\r\n");
        a.push(Frame {
            ts: t,
            data: ethernet(
                GW1_MAC,
                POD1_MAC,
                &ipv4(
                    POD1,
                    SERVICE,
                    6,
                    40 + i as u16,
                    64,
                    &tcp(40000, 80, 1000 + i * 100, payload.as_bytes()),
                ),
            ),
        });
        b.push(Frame {
            ts: t + 30_000,
            data: vxlan(&ethernet(
                VTEP2,
                VTEP1,
                &ipv4(
                    POD1,
                    POD2,
                    6,
                    40 + i as u16,
                    63,
                    &tcp(40000, 8080, 1000 + i * 100, payload.as_bytes()),
                ),
            )),
        });
    }
    let report = compare(&[a, b], 1_000_000_000);
    let fwd = &report.hops[0];
    assert_eq!((fwd.matched, fwd.translated), (20, 20));
    assert!(fwd.only_in_from.is_empty() && fwd.only_in_to.is_empty());
    let nat: Vec<String> = fwd
        .changes
        .iter()
        .filter(|(c, _)| c.kind() == "dnat")
        .map(|(c, n)| format!("{n} {}", c.describe(&report.topology)))
        .collect();
    assert_eq!(nat, ["20 DNAT 10.96.0.10:80 → 10.244.2.14:8080"]);
}

#[test]
fn duplicates_paired_in_order_and_look_alikes_beyond_the_window_not_paired() {
    let request = |ttl| {
        ethernet(
            GW1_MAC,
            POD1_MAC,
            &ipv4(POD1, POD2, 1, 5, ttl, &icmp_echo(false, 1, 1)),
        )
    };
    let a = vec![
        Frame {
            ts: 0,
            data: request(64),
        },
        Frame {
            ts: 1_000_000,
            data: request(64),
        },
        // The same key 10 s later: another packet that looks alike.
        Frame {
            ts: 10_000_000_000,
            data: request(64),
        },
        Frame {
            ts: 30_000_000_000,
            data: request(64),
        },
    ];
    let b = vec![
        Frame {
            ts: 40_000,
            data: request(63),
        },
        Frame {
            ts: 1_060_000,
            data: request(63),
        },
        Frame {
            ts: 20_000_000_000,
            data: request(63),
        },
        Frame {
            ts: 30_000_040_000,
            data: request(63),
        },
    ];
    let report = compare(&[a, b], 1_000_000_000);
    let fwd = &report.hops[0];
    assert_eq!(fwd.matched, 3);
    let l = fwd.latency().unwrap();
    // In order: 40 µs then 60 µs (not 1.06 ms and −960 µs).
    assert_eq!((l.min, l.max), (40_000, 60_000));
    assert_eq!((fwd.duplicates_from, fwd.duplicates_to), (1, 1));
    assert_eq!(report.captures[0].duplicates, 1);
    assert_eq!(
        fwd.only_in_from.iter().map(|u| u.frame).collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(
        fwd.only_in_to.iter().map(|u| u.frame).collect::<Vec<_>>(),
        [3]
    );
}

fn observe_all(
    dissector: &Dissector,
    frames: &[Frame],
) -> Vec<Result<vxscope_compare::Observation, String>> {
    let mut o = Observer::new(dissector);
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            Ok(o.observe(FrameRef {
                number: i as u64 + 1,
                ts: f.ts,
                link_type: LinkType::ETHERNET,
                wire_len: f.data.len() as u32,
                data: &f.data,
            }))
        })
        .collect()
}

#[test]
fn a_capture_damaged_half_way_is_compared_up_to_the_damage() {
    let (pod, mut nic) = ping_pair(&[]);
    // The NIC capture is damaged after 100 frames (50 pings).
    nic.truncate(100);
    let dissector = Dissector::new(Config::default());
    let mut cmp = Comparison::new(
        &dissector,
        vec!["pod".into(), "nic".into()],
        Options::default(),
    );
    let mut nic_obs = observe_all(&dissector, &nic);
    nic_obs.push(Err(
        "nic: frame 101, byte offset 17000: record cut short".to_string()
    ));
    merge(
        &mut cmp,
        vec![
            observe_all(&dissector, &pod).into_iter(),
            nic_obs.into_iter(),
        ],
    );
    let report = cmp.finish();
    assert!(!report.complete());
    assert_eq!(
        report.captures[1].error.as_deref(),
        Some("nic: frame 101, byte offset 17000: record cut short")
    );
    let [fwd, rev] = &report.hops[..] else {
        panic!()
    };
    assert_eq!((fwd.matched, rev.matched), (50, 50));
    // The pings after the NIC capture's last packet are not counted as lost.
    assert!(
        fwd.only_in_from.is_empty() && rev.only_in_to.is_empty(),
        "{:?}",
        fwd.only_in_from
    );
    assert_eq!(fwd.not_compared + rev.not_compared, 100);
}

#[test]
fn a_clock_behind_shows_as_negative_latencies() {
    let (pod, mut nic) = ping_pair(&[]);
    // The NIC's clock is 2 ms behind: more than any latency, so the first packet seen decides nothing.
    for f in &mut nic {
        f.ts -= 2_000_000;
    }
    let report = compare(&[pod, nic], 1_000_000_000);
    let [fwd, rev] = &report.hops[..] else {
        panic!()
    };
    assert_eq!(fwd.matched + rev.matched, 200);
    let least = fwd.latency().unwrap().min.min(rev.latency().unwrap().min);
    assert_eq!(least, -2_050_000);
    let suspicions: Vec<String> = fwd
        .clock
        .iter()
        .chain(&rev.clock)
        .map(|s| s.describe())
        .collect();
    assert_eq!(
        suspicions,
        ["100 packets arrived before they left: the clocks differ by at least 2050 µs"]
    );
}

#[test]
fn memory_holds_the_packets_in_flight_not_the_captures() {
    let dissector = Dissector::new(Config::default());
    let mut cmp = Comparison::new(&dissector, vec!["a".into(), "b".into()], Options::default());
    let mut oa = Observer::new(&dissector);
    let mut ob = Observer::new(&dissector);
    let mut most = 0;
    for seq in 0..20_000u32 {
        let t = i64::from(seq) * 20_000;
        let a = ethernet(
            GW1_MAC,
            POD1_MAC,
            &ipv4(
                POD1,
                POD2,
                1,
                seq as u16,
                64,
                &icmp_echo(false, (seq >> 16) as u16, seq as u16),
            ),
        );
        let b = vxlan(&ethernet(
            VTEP2,
            VTEP1,
            &ipv4(
                POD1,
                POD2,
                1,
                seq as u16,
                63,
                &icmp_echo(false, (seq >> 16) as u16, seq as u16),
            ),
        ));
        cmp.push(
            0,
            oa.observe(FrameRef {
                number: u64::from(seq) + 1,
                ts: t,
                link_type: LinkType::ETHERNET,
                wire_len: a.len() as u32,
                data: &a,
            }),
        );
        cmp.push(
            1,
            ob.observe(FrameRef {
                number: u64::from(seq) + 1,
                ts: t + 50_000,
                link_type: LinkType::ETHERNET,
                wire_len: b.len() as u32,
                data: &b,
            }),
        );
        most = most.max(cmp.in_flight());
    }
    // Pushed slightly out of order (b 50 µs later than a, which comes 20 µs apart): a few in flight at most.
    assert!(most <= 4, "{most}");
    let report = cmp.finish();
    assert_eq!(report.hops[0].matched, 20_000);
}

fn ipv6_udp(hlim: u8, tclass: u8, flow: u32, seq: u8) -> Vec<u8> {
    let payload = [seq; 32];
    let mut udp = vec![0x13, 0x88, 0x13, 0x89];
    udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(&payload);
    let first = 6u32 << 28 | u32::from(tclass) << 20 | (flow & 0xf_ffff);
    let mut ip = first.to_be_bytes().to_vec();
    ip.extend_from_slice(&(udp.len() as u16).to_be_bytes());
    ip.extend_from_slice(&[17, hlim]);
    ip.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    ip.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    ip.extend_from_slice(&udp);
    let mut f = Vec::new();
    f.extend_from_slice(&GW1_MAC);
    f.extend_from_slice(&POD1_MAC);
    f.extend_from_slice(&[0x86, 0xdd]);
    f.extend_from_slice(&ip);
    f
}

#[test]
fn ipv6_matched_on_flow_label_and_payload_with_hop_limit_and_dscp_ecn_changes_counted() {
    // DSCP 46 (EF) set and ECN marked CE on the way; the hop limit down by one.
    let a: Vec<Frame> = (0..10u8)
        .map(|i| Frame {
            ts: i64::from(i) * 1_000_000,
            data: ipv6_udp(64, 0, 0x12345, i),
        })
        .collect();
    let b: Vec<Frame> = (0..10u8)
        .filter(|i| *i != 4)
        .map(|i| Frame {
            ts: i64::from(i) * 1_000_000 + 20_000,
            data: ipv6_udp(63, 46 << 2 | 3, 0x12345, i),
        })
        .collect();
    let report = compare(&[a, b], 1_000_000_000);
    let fwd = &report.hops[0];
    assert_eq!(fwd.matched, 9);
    assert_eq!(
        fwd.only_in_from.iter().map(|u| u.frame).collect::<Vec<_>>(),
        [5]
    );
    let mut changes: Vec<String> = fwd
        .changes
        .iter()
        .map(|(c, n)| format!("{n} {}", c.describe(&report.topology)))
        .collect();
    changes.sort();
    assert_eq!(
        changes,
        ["9 DSCP 0 → 46", "9 ECN 0 → 3", "9 TTL 64 → 63 (−1)"]
    );
    // Another flow label is another packet.
    let c = vec![Frame {
        ts: 0,
        data: ipv6_udp(64, 0, 0x54321, 0),
    }];
    let d = vec![Frame {
        ts: 20_000,
        data: ipv6_udp(64, 0, 0x12345, 0),
    }];
    let report = compare(&[c, d], 1_000_000_000);
    assert_eq!(report.hops[0].matched + report.hops[1].matched, 0);
}

/// An IGMPv3 membership report (0.0.0.0 > 224.0.0.22, what the kernel sends when an interface comes up),
/// seen at the node NIC only: it never leaves its link, so it is beside the path, not lost or extra.
#[test]
fn link_local_multicast_seen_at_one_hop_is_beside_the_path() {
    let (pod, mut nic) = ping_pair(&[]);
    let report_v3 = [0x22, 0, 0xf9, 0x02, 0, 0, 0, 1, 4, 0, 0, 0, 224, 0, 0, 251];
    let mut igmp = ipv4([0; 4], [224, 0, 0, 22], 2, 0, 1, &report_v3);
    igmp[6] = 0; // DF clear, as the kernel sends it
    nic.insert(
        3,
        Frame {
            ts: nic[2].ts + 1_000,
            data: ethernet([0x01, 0x00, 0x5e, 0, 0, 0x16], VTEP1, &igmp),
        },
    );
    let report = compare(&[pod, nic], 1_000_000_000);
    for hop in &report.hops {
        assert!(
            hop.only_in_from.is_empty() && hop.only_in_to.is_empty(),
            "{:?} {:?}",
            hop.only_in_from,
            hop.only_in_to
        );
    }
    let beside: Vec<(u64, &str)> = report
        .hops
        .iter()
        .flat_map(|h| h.local_from.iter().chain(&h.local_to))
        .map(|u| (u.frame, u.summary.as_str()))
        .collect();
    assert_eq!(beside.len(), 1, "{beside:?}");
    assert_eq!(beside[0].0, 4);
    assert!(beside[0].1.contains("224.0.0.22"), "{beside:?}");
    assert_eq!(report.hops[0].matched + report.hops[1].matched, 200);
}

/// A frame of one IPv4 packet (Ethernet, a 20-byte header) split in two fragments, the first carrying
/// `first_len` bytes of its payload (a multiple of 8), as the kernel splits a datagram larger than the MTU.
fn fragments(frame: &[u8], first_len: usize) -> [Vec<u8>; 2] {
    let (eth, header, payload) = (&frame[..14], &frame[14..34], &frame[34..]);
    let piece = |data: &[u8], offset: usize, more: bool| {
        let mut h = header.to_vec();
        h[2..4].copy_from_slice(&((20 + data.len()) as u16).to_be_bytes());
        let flags = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
        h[6..8].copy_from_slice(&flags.to_be_bytes());
        h[10..12].fill(0);
        let sum = !fold(&h);
        h[10..12].copy_from_slice(&sum.to_be_bytes());
        [eth, &h, data].concat()
    };
    [
        piece(&payload[..first_len], 0, true),
        piece(&payload[first_len..], first_len, false),
    ]
}

#[test]
fn a_tunnel_split_in_outer_fragments_is_matched_whole_and_its_later_fragments_set_apart() {
    // flannel.1 (the inner frames), the node NIC (each tunnel datagram in two outer fragments) and the wire,
    // where one later fragment is missing: 20 TCP segments of 200 bytes.
    let (mut inner, mut nic, mut wire) = (Vec::new(), Vec::new(), Vec::new());
    for seq in 0..20u16 {
        let t = 1_000_000_000_000 + i64::from(seq) * 1_000_000;
        let frame = ethernet(
            VTEP2,
            VTEP1,
            &ipv4(
                POD1,
                POD2,
                6,
                100 + seq,
                63,
                &tcp(41000, 8080, 1000 * u32::from(seq), &[seq as u8; 200]),
            ),
        );
        let mut tunnel = vxlan(&frame);
        // Each datagram its own identification, as the kernel gives them.
        tunnel[18..20].copy_from_slice(&(0x4000 + seq).to_be_bytes());
        tunnel[20] = 0; // no don't-fragment: flannel's VXLAN lets the kernel split
        // The first fragment holds the outer UDP and VXLAN headers, the inner headers and 90 bytes of data.
        let [first, later] = fragments(&tunnel, 160);
        inner.push(Frame { ts: t, data: frame });
        nic.push(Frame {
            ts: t + 10_000,
            data: first.clone(),
        });
        nic.push(Frame {
            ts: t + 11_000,
            data: later.clone(),
        });
        wire.push(Frame {
            ts: t + 20_000,
            data: first,
        });
        if seq != 7 {
            wire.push(Frame {
                ts: t + 21_000,
                data: later,
            });
        }
    }
    let report = compare(&[inner, nic, wire], 1_000_000_000);
    let (split, on_wire) = (&report.hops[0], &report.hops[1]);
    assert_eq!(
        (split.from, split.to, split.direction),
        (0, 1, Direction::Forward)
    );
    assert_eq!(split.matched, 20);
    assert!(split.only_in_from.is_empty() && split.only_in_to.is_empty());
    // The later fragments are the NIC's even frames.
    let set_apart: Vec<u64> = split.fragments_to.iter().map(|u| u.frame).collect();
    assert_eq!(set_apart, (1..=20).map(|i| 2 * i).collect::<Vec<u64>>());
    assert!(split.fragments_from.is_empty());
    let changes: Vec<(&str, u64)> = split.changes.iter().map(|(c, n)| (c.kind(), *n)).collect();
    assert!(changes.contains(&("fragmented", 20)), "{changes:?}");
    assert!(changes.contains(&("encapsulated", 20)), "{changes:?}");
    // Between the NIC and the wire each fragment is matched on its own: the one missing is lost.
    assert_eq!(on_wire.matched, 39);
    let lost: Vec<u64> = on_wire.only_in_from.iter().map(|u| u.frame).collect();
    assert_eq!(lost, [16]);
    assert!(on_wire.fragments_from.is_empty() && on_wire.fragments_to.is_empty());
    assert!(on_wire.changes.is_empty(), "{:?}", on_wire.changes);
    let mut text = Vec::new();
    table::write(&mut text, &report);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("later outer IP fragments of packets matched whole at the other capture"),
        "{text}"
    );
}

/// An ICMPv6 neighbour advertisement between two global addresses (the node NICs of an IPv6 underlay), as
/// the kernel answers a solicitation: hop limit 255, never forwarded.
fn neighbour_advertisement() -> Vec<u8> {
    let src = [0xfd, 0x11, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12];
    let dst = [0xfd, 0x11, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11];
    let mut icmp = vec![136, 0, 0, 0, 0x60, 0, 0, 0];
    icmp.extend_from_slice(&src);
    let mut ip = (6u32 << 28).to_be_bytes().to_vec();
    ip.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    ip.extend_from_slice(&[58, 255]);
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    ip.extend_from_slice(&icmp);
    let mut f = Vec::new();
    f.extend_from_slice(&[0x52, 0x54, 0, 0x11, 0, 0x11]);
    f.extend_from_slice(&[0x52, 0x54, 0, 0x11, 0, 0x12]);
    f.extend_from_slice(&[0x86, 0xdd]);
    f.extend_from_slice(&ip);
    f
}

#[test]
fn neighbour_discovery_seen_at_one_hop_is_beside_the_path_whatever_its_addresses() {
    let (pod, mut nic) = ping_pair(&[]);
    nic.insert(
        5,
        Frame {
            ts: nic[4].ts + 1_000,
            data: neighbour_advertisement(),
        },
    );
    let report = compare(&[pod, nic], 1_000_000_000);
    for hop in &report.hops {
        assert!(hop.only_in_from.is_empty() && hop.only_in_to.is_empty());
    }
    let beside: Vec<(u64, &str)> = report
        .hops
        .iter()
        .flat_map(|h| h.local_from.iter().chain(&h.local_to))
        .map(|u| (u.frame, u.summary.as_str()))
        .collect();
    assert_eq!(beside.len(), 1, "{beside:?}");
    assert_eq!(beside[0].0, 6);
    assert!(
        beside[0].1.contains("ICMPv6 neighbor advertisement"),
        "{beside:?}"
    );
}

#[test]
fn captured_together_counts_what_the_next_capture_missed_before_its_first_packet_as_lost() {
    // The NIC capture sees nothing of the first 30 pings (a node dropping them, say): their requests come
    // before its first packet.
    let (pod, nic) = ping_pair(&(0..30).collect::<Vec<u16>>());
    let nic: Vec<Frame> = nic
        .into_iter()
        .filter(|f| f.ts >= 1_000_030_000_000)
        .collect();
    let captures = [pod, nic];
    let run = |captured_together| {
        compare_with(
            &captures,
            Options {
                window_ns: 1_000_000_000,
                captured_together,
            },
        )
    };
    // Without it: the pod's 30 requests and 30 replies came before the NIC's first packet: not compared.
    let report = run(false);
    let fwd = &report.hops[0];
    assert!(fwd.only_in_from.is_empty());
    assert_eq!(fwd.not_compared + report.hops[1].not_compared, 60);
    // With it: the 30 requests are lost at the hop (frames 1, 3, ..., 59 of the pod capture), and the
    // replies the pod saw that the NIC did not are extra at the pod's side of the reverse hop.
    let report = run(true);
    let fwd = &report.hops[0];
    let lost: Vec<u64> = fwd.only_in_from.iter().map(|u| u.frame).collect();
    assert_eq!(lost, (0..30).map(|i| 2 * i + 1).collect::<Vec<u64>>());
    assert_eq!(fwd.not_compared + report.hops[1].not_compared, 0);
    assert_eq!(fwd.matched, 70);
    let extra: Vec<u64> = report.hops[1].only_in_to.iter().map(|u| u.frame).collect();
    assert_eq!(extra, (0..30).map(|i| 2 * i + 2).collect::<Vec<u64>>());
}
