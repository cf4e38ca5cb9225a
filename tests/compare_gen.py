"""Generates captures for tests/compare.rs with scapy, from a fixed seed.

  pod OUT SEED COUNT      the pod side: pod 10.244.1.12 on k8s-node1 pings 10.244.2.14 and sends it TCP segments,
                          TTL 64, the pod's MAC to cni0's, 100-300 us apart (nanosecond pcap)
  nic IN OUT SEED FACTS   the node NIC: the frames of IN (the pod side encapsulated by `vxscope encap`) each 40-60 us
                          later, 1 % of them dropped (never the first or last five); FACTS gets the dropped frame
                          numbers and each kept frame's delay in ns, as JSON
  nat OUT_A OUT_B SEED    a TCP exchange through a service: OUT_A (pod side) shows 10.96.0.10:80, OUT_B (the node
                          after kube-proxy) the pod 10.244.2.14:8080 it was translated to, 20-30 us later, both ways
"""
import json
import random
import sys
from decimal import Decimal

from scapy.all import Ether, ICMP, IP, TCP, Raw, rdpcap, wrpcap

POD1, POD2, SERVICE = "10.244.1.12", "10.244.2.14", "10.96.0.10"
POD1_MAC, CNI0_MAC = "0a:58:0a:f4:01:0c", "0a:58:0a:f4:01:01"
T0 = Decimal("1764669600.000000000")


def pod(out, seed, count):
    rng = random.Random(seed)
    t = T0
    packets = []
    seq = 1000
    for i in range(count):
        t += Decimal(rng.randint(100_000, 300_000)) / Decimal(1_000_000_000)
        if i % 3 == 0:
            l4 = ICMP(type=8, id=0x4242, seq=i // 3) / Raw(bytes(rng.getrandbits(8) for _ in range(56)))
        else:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 400)))
            l4 = TCP(sport=41000, dport=8080, flags="PA", seq=seq, ack=777) / Raw(data)
            seq += len(data)
        p = Ether(src=POD1_MAC, dst=CNI0_MAC) / IP(src=POD1, dst=POD2, ttl=64, id=(i * 7) & 0xFFFF, flags="DF") / l4
        p.time = t
        packets.append(p)
    wrpcap(out, packets, nano=True)


def nic(inp, out, seed, facts):
    rng = random.Random(seed)
    packets = rdpcap(inp)
    n = len(packets)
    kept, dropped, delays = [], [], {}
    for i, p in enumerate(packets, start=1):
        if 5 < i <= n - 5 and rng.random() < 0.01:
            dropped.append(i)
            continue
        delay = rng.randint(40_000, 60_000)
        p.time = Decimal(p.time) + Decimal(delay) / Decimal(1_000_000_000)
        delays[i] = delay
        kept.append(p)
    wrpcap(out, kept, nano=True)
    with open(facts, "w") as f:
        json.dump({"dropped": dropped, "delays": delays, "count": n}, f)


def nat(out_a, out_b, seed):
    rng = random.Random(seed)
    t = T0
    a, b = [], []
    for i in range(30):
        t += Decimal(rng.randint(500_000, 900_000)) / Decimal(1_000_000_000)
        delay = Decimal(rng.randint(20_000, 30_000)) / Decimal(1_000_000_000)
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(10, 200)))
        if i % 2 == 0:
            # Request: the pod side sees the service address, the node the pod kube-proxy chose.
            seen_a = IP(src=POD1, dst=SERVICE, ttl=64, id=100 + i) / TCP(sport=42000, dport=80, seq=i, ack=5, flags="PA") / Raw(data)
            seen_b = IP(src=POD1, dst=POD2, ttl=64, id=100 + i) / TCP(sport=42000, dport=8080, seq=i, ack=5, flags="PA") / Raw(data)
            first, second = (a, seen_a), (b, seen_b)
        else:
            # Reply: translated back on its way to the pod.
            seen_b = IP(src=POD2, dst=POD1, ttl=64, id=900 + i) / TCP(sport=8080, dport=42000, seq=5, ack=i, flags="PA") / Raw(data)
            seen_a = IP(src=SERVICE, dst=POD1, ttl=64, id=900 + i) / TCP(sport=80, dport=42000, seq=5, ack=i, flags="PA") / Raw(data)
            first, second = (b, seen_b), (a, seen_a)
        for (capture, packet), when in ((first, t), (second, t + delay)):
            p = Ether(src=POD1_MAC, dst=CNI0_MAC) / packet
            p.time = when
            capture.append(p)
    wrpcap(out_a, a, nano=True)
    wrpcap(out_b, b, nano=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "pod":
        pod(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "nic":
        nic(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif mode == "nat":
        nat(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(f"unknown mode {mode}")
