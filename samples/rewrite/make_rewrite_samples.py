#!/usr/bin/python3
"""Builds the captures in samples/rewrite/ with scapy (Debian's python3-scapy), deterministically.

Run from anywhere: /usr/bin/python3 samples/rewrite/make_rewrite_samples.py

The cluster is the one of the article in samples/ (../shared/seed): pod 10.244.1.12 on k8s-node1
(172.16.100.101, flannel.1 MAC fe:90:c4:18:69:a7) pings pod 10.244.2.14 on k8s-node2 (172.16.100.102,
flannel.1 MAC b6:72:ae:36:7b:6c); k8s-master is 172.16.100.100 (flannel.1 MAC 6e:f8:85:d7:09:17, pods
10.244.0.0/24). The pod's MAC (d6:10:b7:91:f0:ac) and cni0's (0a:58:0a:f4:01:01) are the article's too.

Packets are built with scapy (which computes lengths and checksums); the pcapng file is written block by block
here, so that it has what scapy's writer does not give: two interfaces of different link types and timestamp
resolutions, and packet comments.
"""
import os
import struct

from scapy.all import ARP, DNS, DNSQR, ICMP, IP, TCP, UDP, Ether, IPv6, Raw, fragment, wrpcap
from scapy.layers.l2 import CookedLinux, CookedLinuxV2, Dot1Q
from scapy.layers.vxlan import VXLAN

HERE = os.path.dirname(os.path.abspath(__file__))

NODE1_MAC, NODE2_MAC = "00:50:56:93:6a:3a", "00:50:56:93:63:3b"
NODE1_IP, NODE2_IP, MASTER_IP = "172.16.100.101", "172.16.100.102", "172.16.100.100"
VTEP1, VTEP2, VTEP_MASTER = "fe:90:c4:18:69:a7", "b6:72:ae:36:7b:6c", "6e:f8:85:d7:09:17"
POD_MAC, CNI0_MAC = "d6:10:b7:91:f0:ac", "0a:58:0a:f4:01:01"
POD_A, POD_B, POD_MASTER = "10.244.1.12", "10.244.2.14", "10.244.0.5"
# The ping's payload: a timestamp (0d1e55cf) then zeros, 56 bytes.
PING_PAYLOAD = bytes.fromhex("0d1e55cf") + bytes(52)
# The article's capture time is not in its dumps; this is the time of its publication (2021-09-06 00:30:47
# China time), as in samples/make_samples.py.
T0 = 1630859447


def ping(src, dst, ttl, ident, seq, reply=False, ip_id=8965):
    kind = 0 if reply else 8
    return IP(src=src, dst=dst, ttl=ttl, id=ip_id, flags="DF") / ICMP(type=kind, id=ident, seq=seq) / Raw(
        PING_PAYLOAD
    )


def flannel(outer_src, outer_dst, src_mac, dst_mac, inner, sport, ip_id, vtep_src, vtep_dst, checksum=True):
    """A frame as flannel.1 sends it over the node NIC: DF clear, TTL 64, UDP to 8472, VNI 1."""
    udp = UDP(sport=sport, dport=8472)
    if not checksum:
        udp.chksum = 0
    return (
        Ether(src=src_mac, dst=dst_mac)
        / IP(src=outer_src, dst=outer_dst, ttl=64, id=ip_id, flags=0)
        / udp
        / VXLAN(flags=0x08, vni=1)
        / Ether(src=vtep_src, dst=vtep_dst)
        / inner
    )


def cni0_frames():
    """k8s-node1's cni0, as `tcpdump -i cni0 -w` saves it (microseconds)."""
    frames = [
        # The pod resolves its gateway.
        (0.100000, Ether(src=POD_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=POD_MAC, psrc=POD_A, pdst="10.244.1.1")),
        (0.100050, Ether(src=CNI0_MAC, dst=POD_MAC) / ARP(op=2, hwsrc=CNI0_MAC, psrc="10.244.1.1", hwdst=POD_MAC, pdst=POD_A)),
        # The article's ping to the pod on k8s-node2, and its reply (TTL 62: forwarded by both nodes).
        (0.124500, Ether(src=POD_MAC, dst=CNI0_MAC) / ping(POD_A, POD_B, 64, 3143, 1102)),
        (0.125328, Ether(src=CNI0_MAC, dst=POD_MAC) / ping(POD_B, POD_A, 62, 3143, 1102, reply=True, ip_id=40101)),
        # A ping to a pod on k8s-master.
        (0.300000, Ether(src=POD_MAC, dst=CNI0_MAC) / ping(POD_A, POD_MASTER, 64, 3144, 1, ip_id=9001)),
        # A ping to a pod on the same node: bridged by cni0, never encapsulated.
        (0.400000, Ether(src=POD_MAC, dst="d6:10:b7:91:f0:ad") / ping(POD_A, "10.244.1.13", 64, 3145, 1, ip_id=9002)),
        # A DNS query to the cluster DNS service (a ClusterIP, not a pod subnet).
        (
            0.500000,
            Ether(src=POD_MAC, dst=CNI0_MAC)
            / IP(src=POD_A, dst="10.96.0.10", ttl=64, id=9003)
            / UDP(sport=53001, dport=53)
            / DNS(id=7, rd=1, qd=DNSQR(qname="kubernetes.default.svc.cluster.local")),
        ),
        # A TCP segment to the pod on k8s-node2 (port 8080), with DSCP/ECN bits set (ECN CE).
        (
            0.600000,
            Ether(src=POD_MAC, dst=CNI0_MAC)
            / IP(src=POD_A, dst=POD_B, ttl=64, id=9004, tos=0x03, flags="DF")
            / TCP(sport=41000, dport=8080, flags="S", seq=1000, window=64800),
        ),
    ]
    out = []
    for dt, p in frames:
        p.time = T0 + dt
        out.append(p)
    return out


def nic_frames():
    """What k8s-node1's NIC and its `any` interface see, with nanosecond times and comments."""
    seed_inner = Ether(src=VTEP1, dst=VTEP2) / ping(POD_A, POD_B, 63, 3143, 1102)
    seed = flannel(NODE1_IP, NODE2_IP, NODE1_MAC, NODE2_MAC, ping(POD_A, POD_B, 63, 3143, 1102), 40592, 30086, VTEP1, VTEP2, checksum=False)
    assert bytes(seed)[50:] == bytes(seed_inner)
    reply = flannel(
        NODE2_IP, NODE1_IP, NODE2_MAC, NODE1_MAC,
        ping(POD_B, POD_A, 63, 3143, 1102, reply=True, ip_id=40101), 51234, 1201, VTEP2, VTEP1,
    )
    tagged = (
        Ether(src=NODE1_MAC, dst=NODE2_MAC)
        / Dot1Q(vlan=100)
        / IP(src=NODE1_IP, dst=NODE2_IP, ttl=64, id=30087, flags=0)
        / UDP(sport=40592, dport=8472)
        / VXLAN(vni=1)
        / Ether(src=VTEP1, dst=VTEP2)
        / ping(POD_A, POD_B, 63, 3143, 1103, ip_id=8966)
    )
    v6 = (
        Ether(src=NODE1_MAC, dst=NODE2_MAC)
        / IPv6(src="fd00:172:16:100::101", dst="fd00:172:16:100::102", hlim=64)
        / UDP(sport=33000, dport=4789)
        / VXLAN(vni=1)
        / Ether(src=VTEP1, dst=VTEP2)
        / IPv6(src="fd00:10:244:1::c", dst="fd00:10:244:2::e", hlim=63)
        / UDP(sport=5000, dport=5001)
        / Raw(b"over an IPv6 underlay")
    )
    arp = Ether(src=NODE2_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=NODE2_MAC, psrc=NODE2_IP, pdst=NODE1_IP)
    api = (
        Ether(src=NODE1_MAC, dst="00:50:56:93:11:22")
        / IP(src=NODE1_IP, dst=MASTER_IP, ttl=64, id=5)
        / TCP(sport=52000, dport=6443, flags="PA", seq=77, ack=99)
        / Raw(b"\x17\x03\x03\x00\x10" + bytes(16))
    )
    big = flannel(
        NODE1_IP, NODE2_IP, NODE1_MAC, NODE2_MAC,
        IP(src=POD_A, dst=POD_B, ttl=63, id=9100, flags="DF") / UDP(sport=6000, dport=6001) / Raw(bytes(range(256)) * 5),
        40593, 30100, VTEP1, VTEP2,
    )
    # An inner frame too large for the path: the outer IPv4 packet in two fragments (DF is clear).
    fragments = fragment(IP(bytes(big[IP])), fragsize=800)
    frag1, frag2 = (Ether(src=NODE1_MAC, dst=NODE2_MAC, type=0x0800) / IP(bytes(f)) for f in fragments)
    sll2_vxlan = CookedLinuxV2(proto=0x0800, ifindex=2, lladdrtype=1, pkttype=4, lladdrlen=6, src=b"\x00\x50\x56\x93\x6a\x3a\x00\x00") / seed[IP]
    sll2_dns = (
        CookedLinuxV2(proto=0x0800, ifindex=2, lladdrtype=1, pkttype=0, lladdrlen=6, src=b"\x00\x50\x56\x93\x11\x22\x00\x00")
        / IP(src="172.16.100.1", dst=NODE1_IP, ttl=64, id=6)
        / UDP(sport=53, dport=53002)
        / DNS(id=8, qr=1, qd=DNSQR(qname="example.org"))
    )
    # (interface, time as seconds + nanoseconds, frame, captured length or None, comments)
    return [
        (0, (T0, 124500123), seed, None, ["the article's packet (tcpdump -XX on ens192)"]),
        (0, (T0, 125327001), reply, None, []),
        (0, (T0, 200000000), arp, None, []),
        (0, (T0, 250000777), tagged, None, ["outer 802.1Q tag"]),
        (0, (T0, 300000001), v6, None, []),
        (0, (T0, 350000000), api, None, []),
        (0, (T0, 400000999), seed, 80, ["cut at 80 bytes by the snap length"]),
        (0, (T0, 450000000), frag1, None, []),
        (0, (T0, 450000010), frag2, None, []),
        (1, (T0, 500000000), sll2_vxlan, None, []),
        (1, (T0, 500001000), sll2_dns, None, ["not VXLAN"]),
    ]


def block(kind, body):
    body += bytes(-len(body) % 4)
    total = 12 + len(body)
    return struct.pack("<II", kind, total) + body + struct.pack("<I", total)


def option(code, value):
    return struct.pack("<HH", code, len(value)) + value + bytes(-len(value) % 4)


def write_pcapng(path, interfaces, packets):
    """interfaces: (link type, name, tsresol exponent); packets: (interface, (sec, nsec), frame, caplen, comments)."""
    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + option(4, b"make_rewrite_samples.py") + option(0, b""))]
    for link, name, resol in interfaces:
        out.append(block(1, struct.pack("<HHI", link, 0, 262144) + option(2, name.encode()) + option(9, bytes([resol])) + option(0, b"")))
    for iface, (sec, nsec), frame, caplen, comments in packets:
        data = bytes(frame)
        wire = len(data)
        if caplen is not None:
            data = data[:caplen]
        units = sec * 10 ** interfaces[iface][2] + nsec // 10 ** (9 - interfaces[iface][2])
        body = struct.pack("<IIIII", iface, units >> 32, units & 0xFFFFFFFF, len(data), wire) + data + bytes(-len(data) % 4)
        if comments:
            body += b"".join(option(1, c.encode()) for c in comments) + option(0, b"")
        out.append(block(6, body))
    with open(path, "wb") as f:
        f.write(b"".join(out))
    print("wrote", path)


def sll_frames():
    """`tcpdump -i any` with libpcap before 1.10 (Linux cooked v1), microseconds: VXLAN and other packets."""
    seed = flannel(NODE1_IP, NODE2_IP, NODE1_MAC, NODE2_MAC, ping(POD_A, POD_B, 63, 3143, 1102), 40592, 30086, VTEP1, VTEP2, checksum=False)
    out = [
        CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=b"\x00\x50\x56\x93\x6a\x3a\x00\x00", proto=0x0800) / seed[IP],
        CookedLinux(pkttype=1, lladdrtype=1, lladdrlen=6, src=b"\x00\x50\x56\x93\x63\x3b\x00\x00", proto=0x0806)
        / ARP(op=1, hwsrc=NODE2_MAC, psrc=NODE2_IP, pdst=NODE1_IP),
        CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b"\x00\x50\x56\x93\x11\x22\x00\x00", proto=0x0800)
        / IP(src=MASTER_IP, dst=NODE1_IP, ttl=64, id=7)
        / TCP(sport=6443, dport=52000, flags="A", seq=99, ack=98),
        # Loopback (ARPHRD_LOOPBACK, no address).
        CookedLinux(pkttype=0, lladdrtype=772, lladdrlen=0, src=b"\x00" * 8, proto=0x0800)
        / IP(src="127.0.0.1", dst="127.0.0.1", ttl=64, id=8)
        / UDP(sport=40000, dport=10250)
        / Raw(b"kubelet"),
    ]
    for i, p in enumerate(out):
        p.time = T0 + 0.7 + i / 1000
    return out


def main():
    wrpcap(os.path.join(HERE, "cni0.pcap"), cni0_frames())
    print("wrote", os.path.join(HERE, "cni0.pcap"))
    write_pcapng(
        os.path.join(HERE, "node-nic.pcapng"),
        [(1, "ens192", 9), (276, "any", 6)],
        nic_frames(),
    )
    wrpcap(os.path.join(HERE, "any-sll.pcap"), sll_frames())
    print("wrote", os.path.join(HERE, "any-sll.pcap"))


if __name__ == "__main__":
    main()
