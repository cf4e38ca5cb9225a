#!/usr/bin/python3
"""Builds the flannel samples with scapy (Debian's python3-scapy), deterministically.

Run from anywhere: /usr/bin/python3 samples/flannel/make_flannel_samples.py

- cluster.pcap: clean flannel traffic between the three nodes of nodes.json (the seed article's cluster).
- diagnoses/*.pcap: one capture a diagnosis, each raising exactly the note it is named after (see README.md).
"""
import os

from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw, fragment, wrpcap
from scapy.layers.vxlan import VXLAN

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1630859447.0

# The cluster of the article: node IPs, NIC MACs (outer), flannel.1 MACs (VTEP), pod subnets.
NODES = {
    "k8s-master": dict(ip="172.16.100.100", nic="00:50:56:93:10:00", vtep="6e:f8:85:d7:09:17", net="10.244.0"),
    "k8s-node1": dict(ip="172.16.100.101", nic="00:50:56:93:6a:3a", vtep="fe:90:c4:18:69:a7", net="10.244.1"),
    "k8s-node2": dict(ip="172.16.100.102", nic="00:50:56:93:63:3b", vtep="b6:72:ae:36:7b:6c", net="10.244.2"),
}
STALE_VTEP_NODE2 = "e2:3f:07:99:cf:6f"


def vxlan(src, dst, inner, sport=40592, dport=8472, vni=1, flags=0x08, udp_checksum=True, outer_ttl=64, ip_id=1):
    """The frame flannel.1 of node `src` sends to node `dst` on the wire: outer Ethernet/IPv4 (DF clear)/UDP/VXLAN."""
    s, d = NODES[src], NODES[dst]
    udp = UDP(sport=sport, dport=dport) if udp_checksum else UDP(sport=sport, dport=dport, chksum=0)
    return (
        Ether(src=s["nic"], dst=d["nic"])
        / IP(src=s["ip"], dst=d["ip"], ttl=outer_ttl, id=ip_id, flags=0)
        / udp
        / VXLAN(flags=flags, vni=vni)
        / inner
    )


def inner_frame(src, dst, payload, src_mac=None, dst_mac=None):
    """The frame inside: VTEP MAC of the sender to VTEP MAC of the receiver (as flannel.1 rewrites them)."""
    return Ether(src=src_mac or NODES[src]["vtep"], dst=dst_mac or NODES[dst]["vtep"]) / payload


def ping(src_ip, dst_ip, ident, seq, ttl=63, reply=False, size=56):
    data = bytes(i % 256 for i in range(size))
    return IP(src=src_ip, dst=dst_ip, ttl=ttl, flags="DF", id=0x2300 + seq) / ICMP(
        type=0 if reply else 8, id=ident, seq=seq
    ) / Raw(data[:size])


def stamp(packets, start=T0, step=0.001):
    for i, p in enumerate(packets):
        p.time = start + i * step
    return packets


def write(path, packets):
    full = os.path.join(HERE, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    wrpcap(full, packets)
    print("wrote", full)


def cluster():
    """Pod-to-pod pings both ways between node1 and node2, a TCP handshake from node2 to a pod on the master,
    and host-originated traffic (from node1's flannel.1 address 10.244.1.0) — all as flannel sends them."""
    pkts = []
    for seq in range(1, 4):
        pkts.append(vxlan("k8s-node1", "k8s-node2", inner_frame("k8s-node1", "k8s-node2", ping("10.244.1.12", "10.244.2.14", 3143, seq)),
                          sport=40592, ip_id=30086 + seq))
        pkts.append(vxlan("k8s-node2", "k8s-node1", inner_frame("k8s-node2", "k8s-node1", ping("10.244.2.14", "10.244.1.12", 3143, seq, reply=True)),
                          sport=51234, ip_id=4000 + seq))
    syn = IP(src="10.244.2.13", dst="10.244.0.5", ttl=63, flags="DF", id=100) / TCP(sport=43210, dport=53, flags="S", seq=1000, options=[("MSS", 1410), ("SAckOK", b""), ("WScale", 7)])
    synack = IP(src="10.244.0.5", dst="10.244.2.13", ttl=63, flags="DF", id=0) / TCP(sport=53, dport=43210, flags="SA", seq=5000, ack=1001, options=[("MSS", 1410)])
    ack = IP(src="10.244.2.13", dst="10.244.0.5", ttl=63, flags="DF", id=101) / TCP(sport=43210, dport=53, flags="A", seq=1001, ack=5001)
    pkts.append(vxlan("k8s-node2", "k8s-master", inner_frame("k8s-node2", "k8s-master", syn), sport=37000, ip_id=7001))
    pkts.append(vxlan("k8s-master", "k8s-node2", inner_frame("k8s-master", "k8s-node2", synack), sport=45000, ip_id=9001))
    pkts.append(vxlan("k8s-node2", "k8s-master", inner_frame("k8s-node2", "k8s-master", ack), sport=37000, ip_id=7002))
    # Host-originated (node1's kubelet probing a pod on node2): source is flannel.1's X.0 address, TTL 64.
    probe = IP(src="10.244.1.0", dst="10.244.2.14", ttl=64, flags="DF", id=555) / TCP(sport=50000, dport=8080, flags="S", seq=42)
    pkts.append(vxlan("k8s-node1", "k8s-node2", inner_frame("k8s-node1", "k8s-node2", probe), sport=33333, ip_id=30100))
    write("cluster.pcap", stamp(pkts))


def diagnoses():
    n1, n2 = "k8s-node1", "k8s-node2"
    good = lambda seq: inner_frame(n1, n2, ping("10.244.1.12", "10.244.2.14", 3143, seq))  # noqa: E731

    # flannel.inner_checksum_bad: the inner ICMP checksum is wrong (the tx-checksum-offload bug).
    bad_icmp = ping("10.244.1.12", "10.244.2.14", 3143, 1)
    bad_icmp[ICMP].chksum = 0x1234
    write("diagnoses/inner_checksum_bad.pcap", stamp([vxlan(n1, n2, inner_frame(n1, n2, bad_icmp))]))

    # flannel.outer_checksum_bad: the outer UDP checksum is present and wrong.
    p = vxlan(n1, n2, good(1))
    p[UDP].chksum = 0xbeef
    write("diagnoses/outer_checksum_bad.pcap", stamp([p]))

    # flannel.mtu_exceeded, three ways: an inner packet over 1450 bytes; an outer IPv4 fragment pair of a VXLAN
    # packet; an ICMP "fragmentation needed" (from a router on the path) about a VXLAN packet.
    big = vxlan(n1, n2, inner_frame(n1, n2, ping("10.244.1.12", "10.244.2.14", 3143, 2, size=1452)))
    whole = vxlan(n1, n2, inner_frame(n1, n2, ping("10.244.1.12", "10.244.2.14", 3143, 3, size=1440)), ip_id=777)
    first, second = (Ether(bytes(whole)[:14]) / f for f in fragment(whole[IP], fragsize=1376))
    quoted = bytes(vxlan(n1, n2, good(4))[IP])[:28 + 8 + 14 + 20 + 8]
    frag_needed = (
        Ether(src="00:50:56:93:ff:fe", dst=NODES[n1]["nic"])
        / IP(src="172.16.100.254", dst=NODES[n1]["ip"], ttl=255, id=9)
        / ICMP(type=3, code=4, nexthopmtu=1400)
        / Raw(quoted)
    )
    write("diagnoses/mtu_exceeded.pcap", stamp([big, first, second, frag_needed]))

    # flannel.port_unreachable: node2 answers node1's VXLAN packet with ICMP port unreachable (8472 closed).
    quoted = bytes(vxlan(n1, n2, good(5))[IP])[:20 + 8 + 8 + 14 + 20 + 8]
    unreach = (
        Ether(src=NODES[n2]["nic"], dst=NODES[n1]["nic"])
        / IP(src=NODES[n2]["ip"], dst=NODES[n1]["ip"], ttl=64, id=10)
        / ICMP(type=3, code=3)
        / Raw(quoted)
    )
    write("diagnoses/port_unreachable.pcap", stamp([unreach]))

    # flannel.vtep_mac_mismatch: node1 still sends to node2's old VTEP MAC (the stale fdb entry of the article).
    stale = vxlan(n1, n2, inner_frame(n1, n2, ping("10.244.1.12", "10.244.2.14", 3143, 6), dst_mac=STALE_VTEP_NODE2))
    write("diagnoses/vtep_mac_mismatch.pcap", stamp([stale]))

    # flannel.vni_mismatch: VNI 4096 (a Windows-style VNI) towards node2, whose VNI is 1.
    write("diagnoses/vni_mismatch.pcap", stamp([vxlan(n1, n2, good(7), vni=4096)]))

    # flannel.port_mismatch: VXLAN on 4789 where the cluster uses 8472.
    write("diagnoses/port_mismatch.pcap", stamp([vxlan(n1, n2, good(8), dport=4789)]))

    # vxlan.flags_invalid: the G flag set without GBP configured; the I flag clear; a reserved bit set.
    write("diagnoses/flags_invalid.pcap", stamp([
        vxlan(n1, n2, good(9), flags=0x88),
        vxlan(n1, n2, good(10), flags=0x00),
        vxlan(n1, n2, good(11), flags=0x0c),
    ]))

    # flannel.inner_ttl: a pod's packet on the wire with TTL 64: not routed through the node.
    write("diagnoses/inner_ttl.pcap", stamp([vxlan(n1, n2, inner_frame(n1, n2, ping("10.244.1.12", "10.244.2.14", 3143, 12, ttl=64)))]))

    # flannel.subnet_conflict: with nodes-conflict.json, node2 and a second node both claim 10.244.2.0/24; then
    # the master sends with node1's VTEP MAC, which node1 sent with first: a VTEP MAC claimed by two nodes.
    claimed = ping("10.244.0.5", "10.244.2.14", 3143, 15)
    write("diagnoses/subnet_conflict.pcap", stamp([
        vxlan(n1, n2, good(13)),
        vxlan("k8s-master", n2, inner_frame("k8s-master", n2, claimed, src_mac=NODES[n1]["vtep"]), sport=45001),
    ]))

    # malformed.truncated: captured with a 74-byte snap length, the inner IPv4 header is cut short.
    t = vxlan(n1, n2, good(14))
    full = bytes(t)
    cut = Ether(full[:74])
    write("diagnoses/truncated.pcap", [])
    from scapy.utils import PcapWriter
    w = PcapWriter(os.path.join(HERE, "diagnoses/truncated.pcap"), snaplen=74)
    cut.time = T0
    w.write_header(cut)
    w.write_packet(cut, wirelen=len(full))
    w.close()

    # Not faults: a GSO super-packet captured on the sender (inner 4000 bytes: segmentation offload), and an inner
    # TCP checksum holding only the pseudo-header sum (checksum offload, captured before the NIC).
    gso_inner = IP(src="10.244.1.12", dst="10.244.2.14", ttl=63, flags="DF", id=1) / TCP(sport=40000, dport=80, flags="PA", seq=1, ack=1) / Raw(b"x" * 3960)
    gso = vxlan(n1, n2, inner_frame(n1, n2, gso_inner))
    partial_inner = IP(src="10.244.1.12", dst="10.244.2.14", ttl=63, flags="DF", id=2) / TCP(sport=40000, dport=80, flags="PA", seq=1, ack=1) / Raw(b"hello")
    built = IP(bytes(partial_inner))
    # The pseudo-header sum Linux leaves for the NIC (CHECKSUM_PARTIAL): not complemented.
    s = 0
    for part in (bytes(map(int, "10.244.1.12".split("."))), bytes(map(int, "10.244.2.14".split(".")))):
        s += (part[0] << 8 | part[1]) + (part[2] << 8 | part[3])
    s += 6 + len(bytes(built[TCP]))
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    built[TCP].chksum = s
    partial = vxlan(n1, n2, inner_frame(n1, n2, built))
    write("diagnoses/offload.pcap", stamp([gso, partial]))


if __name__ == "__main__":
    cluster()
    diagnoses()
