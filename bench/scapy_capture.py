#!/usr/bin/python3
"""A flannel VXLAN capture made with scapy, independently of vxscope's own generator (bench/src/main.rs):
two nodes (192.168.56.11 and .12, VTEP MACs of flannel.1, pod subnets 10.244.1.0/24 and 10.244.2.0/24),
UDP 8472 with outer UDP checksum 0 as Linux sends it, VNI 1; inside, ICMP echo requests and replies (half
the packets) and TCP segments of 16 flows (the other half) between pods, payloads of 64 to 1400 bytes drawn
uniformly from a seeded generator, every inner checksum computed by scapy.

    python3 bench/scapy_capture.py OUT.pcap [PACKETS]     # default 200000
"""
import random
import struct
import sys

from scapy.all import ICMP, IP, TCP, UDP, VXLAN, Ether, Raw

out_path = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
rng = random.Random(17)

nodes = [
    {"ip": "192.168.56.11", "mac": "08:00:27:00:00:11", "vtep": "a6:1f:3c:00:00:01", "pod": "10.244.1."},
    {"ip": "192.168.56.12", "mac": "08:00:27:00:00:12", "vtep": "a6:1f:3c:00:00:02", "pod": "10.244.2."},
]
payload_pool = bytes(rng.getrandbits(8) for _ in range(4096))
seq = {}

with open(out_path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    t = 1_700_000_000.0
    for n in range(count):
        a, b = (nodes[0], nodes[1]) if n % 2 == 0 else (nodes[1], nodes[0])
        flow = rng.randrange(16)
        src_pod = a["pod"] + str(10 + flow)
        dst_pod = b["pod"] + str(20 + flow)
        size = rng.randint(64, 1400)
        start = rng.randrange(len(payload_pool) - size)
        data = Raw(payload_pool[start : start + size])
        if rng.random() < 0.5:
            inner = IP(src=src_pod, dst=dst_pod, ttl=63) / ICMP(type=8 if n % 4 < 2 else 0, id=flow, seq=n & 0xFFFF) / data
        else:
            key = (src_pod, dst_pod)
            s = seq.get(key, 1000)
            seq[key] = (s + size) & 0xFFFFFFFF
            inner = IP(src=src_pod, dst=dst_pod, ttl=63) / TCP(sport=40000 + flow, dport=8080, flags="PA", seq=s, ack=1) / data
        frame = (
            Ether(src=a["mac"], dst=b["mac"])
            / IP(src=a["ip"], dst=b["ip"], ttl=64, flags="DF")
            / UDP(sport=rng.randrange(32768, 61000), dport=8472, chksum=0)
            / VXLAN(vni=1, flags=0x08)
            / Ether(src=a["vtep"], dst=b["vtep"])
            / inner
        )
        raw = bytes(frame)
        t += 0.00005
        sec = int(t)
        f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(raw), len(raw)))
        f.write(raw)
print(f"wrote {out_path}: {count} packets")
