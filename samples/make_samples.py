#!/usr/bin/python3
"""Builds the captures in samples/, deterministically: the same bytes on every run.

Run from anywhere: /usr/bin/python3 samples/make_samples.py   (Debian's python3-scapy)

scapy builds the protocol headers and computes their checksums; the VXLAN, VXLAN-GPE, Linux cooked and loopback
headers, and the capture files themselves, are written here byte by byte with `struct`, so that every flag and
every resolution is exactly what the sample means to show. Each capture is described in samples/README.md; the
expected outputs of `vxscope dissect` are the golden files in samples/golden/ (see the README for how to
regenerate them).
"""
import os
import struct

from scapy.all import (
    ARP,
    Dot1AD,
    Dot1Q,
    Ether,
    ICMP,
    IP,
    IPerror,
    IPv6,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6PacketTooBig,
    ICMPv6DestUnreach,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    Raw,
    TCP,
    UDP,
    UDPerror,
    DNS,
    DNSQR,
)

HERE = os.path.dirname(os.path.abspath(__file__))

# The packet of the article in ../shared/seed: k8s-node1's pod 10.244.1.12 pings 10.244.2.14 on k8s-node2;
# this is the frame on k8s-node1's NIC ens192, as `tcpdump -XX` printed it (148 bytes).
SEED_HEX = """
0050 5693 633b 0050 5693 6a3a 0800 4500
0086 7586 0000 4011 e3f4 ac10 6465 ac10
6466 9e90 2118 0072 0000 0800 0000 0000
0100 b672 ae36 7b6c fe90 c418 69a7 0800
4500 0054 2305 4000 3f01 ffa2 0af4 010c
0af4 020e 0800 847d 0c47 044e 0d1e 55cf
0000 0000 0000 0000 0000 0000 0000 0000
0000 0000 0000 0000 0000 0000 0000 0000
0000 0000 0000 0000 0000 0000 0000 0000
0000 0000
"""
SEED = bytes.fromhex("".join(SEED_HEX.split()))
# The article's capture time is not in the dump; this is the time of its publication (2021-09-06 00:30:47
# China time) with the microseconds of its veth capture.
SEED_TIME = (1630859447, 124500000)

# The two nodes of the article and their flannel.1 VTEPs.
NODE1_MAC, NODE2_MAC = "00:50:56:93:6a:3a", "00:50:56:93:63:3b"
NODE1_IP, NODE2_IP = "172.16.100.101", "172.16.100.102"
VTEP1_MAC, VTEP2_MAC = "fe:90:c4:18:69:a7", "b6:72:ae:36:7b:6c"
POD1_IP, POD2_IP = "10.244.1.12", "10.244.2.14"
NODE1_IP6, NODE2_IP6 = "fd00:172:16:100::101", "fd00:172:16:100::102"
POD1_IP6, POD2_IP6 = "fd00:10:244:1::c", "fd00:10:244:2::e"
ROUTER_IP, ROUTER_MAC = "172.16.100.1", "00:50:56:80:00:01"

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_LINUX_SLL2 = 276


# ---------------------------------------------------------------------------------------------------------
# Headers scapy does not build the way these samples need.


def vxlan(vni, flags=0x08, reserved24=0, reserved8=0):
    """An RFC 7348 VXLAN header (flannel sends flags 0x08 and zeros)."""
    return struct.pack("!B3s3sB", flags, reserved24.to_bytes(3, "big"), vni.to_bytes(3, "big"), reserved8)


def vxlan_gbp(vni, policy_flags, group):
    """A VXLAN header with the Group Based Policy extension (G and I flags)."""
    return struct.pack("!BBH3sB", 0x88, policy_flags, group, vni.to_bytes(3, "big"), 0)


def vxlan_gpe(vni, next_proto, flags=0x0C):
    """A VXLAN-GPE header (I and P flags) naming its next protocol."""
    return struct.pack("!BHB3sB", flags, 0, next_proto, vni.to_bytes(3, "big"), 0)


def sll(pkttype, mac, protocol=0x0800):
    """A Linux cooked capture v1 header (16 bytes)."""
    addr = bytes.fromhex(mac.replace(":", "")) + b"\0\0"
    return struct.pack("!HHH8sH", pkttype, 1, 6, addr, protocol)


def sll2(pkttype, ifindex, mac, protocol=0x0800):
    """A Linux cooked capture v2 header (20 bytes)."""
    addr = bytes.fromhex(mac.replace(":", "")) + b"\0\0"
    return struct.pack("!HHIHBB8s", protocol, 0, ifindex, 1, pkttype, 6, addr)


def null_header(family):
    """A BSD loopback header, in the little-endian order of the capturing host."""
    return struct.pack("<I", family)


def flannel_frame(inner, sport, src=NODE1_IP, dst=NODE2_IP, smac=NODE1_MAC, dmac=NODE2_MAC, ipid=0, vni=1,
                  port=8472, ttl=64):
    """An inner Ethernet frame encapsulated as the Linux VXLAN driver sends it: outer UDP checksum 0, DF clear."""
    return bytes(
        Ether(src=smac, dst=dmac)
        / IP(src=src, dst=dst, id=ipid, ttl=ttl, flags=0)
        / UDP(sport=sport, dport=port, chksum=0)
        / Raw(vxlan(vni) + bytes(inner))
    )


def pod_ping(kind, seq, src=POD1_IP, dst=POD2_IP, ipid=0x2305, ident=3143, smac=VTEP1_MAC, dmac=VTEP2_MAC,
             payload=None):
    """The inner frame of a ping between pods (TTL 63: decremented once by the sending node)."""
    data = payload if payload is not None else bytes(range(0x10, 0x10 + 48))
    return Ether(src=smac, dst=dmac) / IP(src=src, dst=dst, id=ipid, ttl=63, flags="DF") / ICMP(
        type=kind, id=ident, seq=seq
    ) / Raw(data)


# ---------------------------------------------------------------------------------------------------------
# Capture files, written byte by byte.


def write_pcap(name, linktype, records, nanos=False, big_endian=False, snaplen=262144):
    """records: (seconds, nanoseconds, bytes[, length on the wire])."""
    e = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    out = [struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for rec in records:
        sec, nsec, data = rec[0], rec[1], bytes(rec[2])
        orig = rec[3] if len(rec) > 3 else len(data)
        frac = nsec if nanos else nsec // 1000
        out.append(struct.pack(e + "IIII", sec, frac, len(data), orig) + data)
    save(name, b"".join(out))


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def option(code, value):
    return struct.pack("<HH", code, len(value)) + pad4(value)


END_OF_OPTIONS = b"\0\0\0\0"


def block(kind, body):
    body = pad4(body)
    total = 12 + len(body)
    return struct.pack("<II", kind, total) + body + struct.pack("<I", total)


def shb(application):
    return block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + option(4, application) + END_OF_OPTIONS)


def idb(linktype, snaplen, name, tsresol=None):
    opts = option(2, name.encode())
    if tsresol is not None:
        opts += option(9, bytes([tsresol]))
    return block(1, struct.pack("<HHI", linktype, 0, snaplen) + opts + END_OF_OPTIONS)


def epb(interface, units, data, orig_len=None, comment=None):
    data = bytes(data)
    body = struct.pack("<IIIII", interface, units >> 32, units & 0xFFFFFFFF, len(data),
                       orig_len if orig_len is not None else len(data)) + pad4(data)
    if comment is not None:
        body += option(1, comment.encode()) + END_OF_OPTIONS
    return block(6, body)


def save(name, data):
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        f.write(data)
    print("wrote", path)


# ---------------------------------------------------------------------------------------------------------
# The samples.


def seed():
    assert len(SEED) == 148
    write_pcap("seed.pcap", LINKTYPE_ETHERNET, [(SEED_TIME[0], SEED_TIME[1], SEED)], snaplen=65535)


def ping_nanos():
    """Two pings and their replies between the pods of the article, through flannel, in a big-endian pcap with
    nanosecond timestamps (as a host of the other byte order, or `tcpdump --nano`, writes them)."""
    t = 1630859447
    recs = []
    for i, seq in enumerate((1102, 1103)):
        request = pod_ping(8, seq, ipid=0x2305 + 2 * i)
        reply = pod_ping(0, seq, src=POD2_IP, dst=POD1_IP, ipid=0x6b1a + i, smac=VTEP2_MAC, dmac=VTEP1_MAC)
        recs.append((t + i, 124500123, flannel_frame(request, 40592, ipid=0x7586 + i)))
        recs.append((t + i, 124987654, flannel_frame(reply, 57011, NODE2_IP, NODE1_IP, NODE2_MAC, NODE1_MAC,
                                                      ipid=0x1c2d + i)))
    write_pcap("ping-nanos-be.pcap", LINKTYPE_ETHERNET, recs, nanos=True, big_endian=True)


def tcp_flow():
    """A TCP connection between pods through VXLAN on 8472: handshake with MSS, SACK, timestamps and window
    scale, a request, a response, and the close."""
    c, s = (POD1_IP, 43210), (POD2_IP, 8080)
    cseq, sseq = 0x3B9ACA00, 0x7A1B2C3D
    req = b"GET /healthz HTTP/1.1\r\nHost: 10.244.2.14:8080\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    syn_opts = [("MSS", 1410), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None), ("WScale", 7)]
    ack_opts = [("NOP", None), ("NOP", None), ("Timestamp", (1001, 2000))]
    segs = [
        # (from client?, flags, seq, ack, options, payload)
        (True, "S", cseq, 0, syn_opts, b""),
        (False, "SA", sseq, cseq + 1, [("MSS", 1410), ("SAckOK", b""), ("Timestamp", (2000, 1000)),
                                       ("NOP", None), ("WScale", 7)], b""),
        (True, "A", cseq + 1, sseq + 1, ack_opts, b""),
        (True, "PA", cseq + 1, sseq + 1, ack_opts, req),
        (False, "A", sseq + 1, cseq + 1 + len(req), [("NOP", None), ("NOP", None), ("Timestamp", (2001, 1001))],
         b""),
        (False, "PA", sseq + 1, cseq + 1 + len(req), [("NOP", None), ("NOP", None), ("Timestamp", (2002, 1001))],
         resp),
        (True, "FA", cseq + 1 + len(req), sseq + 1 + len(resp), [("NOP", None), ("NOP", None),
                                                                  ("Timestamp", (1003, 2002))], b""),
        (False, "FA", sseq + 1 + len(resp), cseq + 2 + len(req), [("NOP", None), ("NOP", None),
                                                                  ("Timestamp", (2003, 1003))], b""),
        (True, "A", cseq + 2 + len(req), sseq + 2 + len(resp), [("NOP", None), ("NOP", None),
                                                                 ("Timestamp", (1004, 2003))], b""),
    ]
    recs = []
    for i, (client, flags, seq, ack, opts, payload) in enumerate(segs):
        (src, sport), (dst, dport) = (c, s) if client else (s, c)
        inner = (
            Ether(src=VTEP1_MAC if client else VTEP2_MAC, dst=VTEP2_MAC if client else VTEP1_MAC)
            / IP(src=src, dst=dst, id=0x4000 + i, ttl=63, flags="DF")
            / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=502, options=opts)
            / Raw(payload)
        )
        outer = (
            flannel_frame(inner, 51234, ipid=0x0A00 + i)
            if client
            else flannel_frame(inner, 38764, NODE2_IP, NODE1_IP, NODE2_MAC, NODE1_MAC, ipid=0x0B00 + i)
        )
        recs.append((1700000000, 100000000 + i * 250000, outer))
    write_pcap("tcp-vxlan.pcap", LINKTYPE_ETHERNET, recs)


def vlan():
    """VXLAN on 4789 on a trunk port: one 802.1Q tag, then QinQ (802.1ad outer tag), and a VXLAN packet whose
    inner frame carries its own 802.1Q tag; the inner traffic is a DNS query and its ARP."""
    dns = UDP(sport=53124, dport=53) / DNS(id=0x1234, rd=1, qd=DNSQR(qname="kubernetes.default.svc.cluster.local"))
    inner_dns = Ether(src="02:42:0a:00:00:05", dst="02:42:0a:00:00:02") / IP(
        src="10.0.0.5", dst="10.0.0.2", id=0x0101, ttl=64
    ) / dns

    def outer(tags, inner, ipid, sport):
        frame = Ether(src="52:54:00:12:34:56", dst="52:54:00:65:43:21")
        for t in tags:
            frame = frame / t
        return bytes(
            frame
            / IP(src="192.0.2.10", dst="192.0.2.20", id=ipid, ttl=64)
            / UDP(sport=sport, dport=4789, chksum=0)
            / Raw(vxlan(5001) + bytes(inner))
        )

    arp = Ether(src="02:42:0a:00:00:05", dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc="02:42:0a:00:00:05", psrc="10.0.0.5", pdst="10.0.0.2"
    )
    tagged_inner = Ether(src="02:42:0a:00:00:05", dst="02:42:0a:00:00:02") / Dot1Q(vlan=42, prio=5) / IP(
        src="10.0.0.5", dst="10.0.0.2", id=0x0102, ttl=64
    ) / dns
    recs = [
        (1700000100, 0, outer([Dot1Q(vlan=100)], arp, 0x2001, 49152)),
        (1700000100, 1000, outer([Dot1Q(vlan=100, prio=3)], inner_dns, 0x2002, 49153)),
        (1700000100, 2000, outer([Dot1AD(vlan=200), Dot1Q(vlan=100)], inner_dns, 0x2003, 49154)),
        (1700000100, 3000, outer([Dot1Q(vlan=100)], tagged_inner, 0x2004, 49155)),
    ]
    write_pcap("vlan-vxlan.pcap", LINKTYPE_ETHERNET, recs)


def ipv6_outer():
    """flannel's IPv6 backend: VXLAN over outer IPv6 on 8472 (UDP checksum required and present), carrying an
    IPv6 ping between pods, its reply, and an IPv4 ping (dual stack)."""

    def outer6(inner, sport, forward=True, hlim=64):
        src, dst = (NODE1_IP6, NODE2_IP6) if forward else (NODE2_IP6, NODE1_IP6)
        smac, dmac = (NODE1_MAC, NODE2_MAC) if forward else (NODE2_MAC, NODE1_MAC)
        return bytes(
            Ether(src=smac, dst=dmac)
            / IPv6(src=src, dst=dst, hlim=hlim, fl=0x5A5A5)
            / UDP(sport=sport, dport=8472)
            / Raw(vxlan(1) + bytes(inner))
        )

    req6 = Ether(src=VTEP1_MAC, dst=VTEP2_MAC) / IPv6(src=POD1_IP6, dst=POD2_IP6, hlim=63) / ICMPv6EchoRequest(
        id=0x0C48, seq=7, data=bytes(range(32))
    )
    rep6 = Ether(src=VTEP2_MAC, dst=VTEP1_MAC) / IPv6(src=POD2_IP6, dst=POD1_IP6, hlim=63) / ICMPv6EchoReply(
        id=0x0C48, seq=7, data=bytes(range(32))
    )
    recs = [
        (1700000200, 500000, outer6(req6, 44321)),
        (1700000200, 900000, outer6(rep6, 60112, forward=False)),
        (1700000201, 500000, outer6(pod_ping(8, 1), 44321)),
    ]
    write_pcap("ipv6-outer-vxlan.pcap", LINKTYPE_ETHERNET, recs)


def sll2_any():
    """`tcpdump -i any` on k8s-node1 with libpcap 1.10 (Linux cooked v2): the ping leaving the pod's veth, then
    encapsulated and leaving ens192, and the encapsulated reply arriving on ens192."""
    inner = pod_ping(8, 1102)
    reply = pod_ping(0, 1102, src=POD2_IP, dst=POD1_IP, ipid=0x6b1a, smac=VTEP2_MAC, dmac=VTEP1_MAC)
    ip_of = lambda frame: bytes(frame)[14:]  # noqa: E731
    recs = [
        # Received by the node from the pod's veth (host side, ifindex 7), PACKET_HOST.
        (1630859447, 124400000, sll2(0, 7, "6a:3b:22:c0:71:9e") + ip_of(inner)),
        # Leaving ens192 (ifindex 2), PACKET_OUTGOING.
        (1630859447, 124500000, sll2(4, 2, NODE1_MAC) + flannel_frame(inner, 40592, ipid=0x7586)[14:]),
        # The reply arriving on ens192, PACKET_HOST.
        (1630859447, 124987000, sll2(0, 2, NODE2_MAC)
         + flannel_frame(reply, 57011, NODE2_IP, NODE1_IP, NODE2_MAC, NODE1_MAC, ipid=0x1c2d)[14:]),
    ]
    write_pcap("sll2-vxlan.pcap", LINKTYPE_LINUX_SLL2, recs)


def pcapng_interfaces():
    """A pcapng file with four interfaces of different link types and timestamp resolutions, their packets
    interleaved: Ethernet (microseconds, the default), Linux cooked v1 (nanoseconds), raw IPv4 (milliseconds),
    and Ethernet again with a binary resolution of 2^-20 seconds; one packet carries a comment and one was cut
    by a snap length of 96 bytes."""
    inner = pod_ping(8, 1102)
    frame = flannel_frame(inner, 40592, ipid=0x7586)
    reply = flannel_frame(pod_ping(0, 1102, src=POD2_IP, dst=POD1_IP, ipid=0x6b1a, smac=VTEP2_MAC, dmac=VTEP1_MAC),
                          57011, NODE2_IP, NODE1_IP, NODE2_MAC, NODE1_MAC, ipid=0x1c2d)
    sec = 1630859447
    blocks = [
        shb(b"make_samples.py"),
        idb(LINKTYPE_ETHERNET, 262144, "ens192"),
        idb(LINKTYPE_LINUX_SLL, 262144, "any", tsresol=9),
        idb(LINKTYPE_IPV4, 262144, "tun0", tsresol=3),
        idb(LINKTYPE_ETHERNET, 96, "ens224", tsresol=0x80 | 20),
        epb(0, sec * 10**6 + 124500, frame, comment="the seed ping, leaving k8s-node1"),
        epb(1, sec * 10**9 + 124500321, sll(4, NODE1_MAC) + frame[14:]),
        epb(2, sec * 10**3 + 125, bytes(IP(src="192.168.255.1", dst="192.168.255.2", id=7, ttl=64)
                                        / UDP(sport=40000, dport=8472, chksum=0) / Raw(vxlan(1) + bytes(inner)))),
        # 2^-20 s units: 0.75 s is 786432 units.
        epb(3, (sec << 20) + 786432, reply[:96], orig_len=len(reply)),
        epb(0, (sec + 1) * 10**6 + 5, reply),
    ]
    save("interfaces.pcapng", b"".join(blocks))


def icmp_errors():
    """ICMP errors about VXLAN packets, each quoting the packet it refers to: port unreachable (the peer has no
    VXLAN device on 8472), fragmentation needed with the next-hop MTU, time exceeded, the ICMPv6 packet too big
    and port unreachable about VXLAN over IPv6, and a port unreachable between pods inside the tunnel."""
    vx = flannel_frame(pod_ping(8, 1102), 40592, ipid=0x7586)
    vx_ip = vx[14:]
    big_inner = pod_ping(8, 2000, payload=bytes(1400))
    big = bytes(Ether(src=NODE1_MAC, dst=ROUTER_MAC) / IP(src=NODE1_IP, dst="172.16.200.102", id=0x7600, ttl=64,
                                                          flags="DF")
                / UDP(sport=40592, dport=8472, chksum=0) / Raw(vxlan(1) + bytes(big_inner)))[14:]
    ttl1 = bytes(IP(src=NODE1_IP, dst="172.16.200.102", id=0x7601, ttl=1) / UDP(sport=40592, dport=8472, chksum=0)
                 / Raw(vxlan(1) + bytes(pod_ping(8, 2001))))

    def icmp_from(src, dst, smac, dmac, icmp, quoted, ipid):
        return bytes(Ether(src=smac, dst=dmac) / IP(src=src, dst=dst, id=ipid, ttl=64) / icmp / Raw(quoted))

    v6 = bytes(IPv6(src=NODE1_IP6, dst=NODE2_IP6, hlim=64) / UDP(sport=44321, dport=8472)
               / Raw(vxlan(1) + bytes(pod_ping(8, 3000, payload=bytes(1400)))))
    # Inside the tunnel: pod 10.244.2.14 answers a DNS query from 10.244.1.12 with port unreachable.
    dns = bytes(IP(src=POD1_IP, dst=POD2_IP, id=0x3344, ttl=63) / UDP(sport=41000, dport=53) / DNS(
        id=0xBEEF, rd=1, qd=DNSQR(qname="example.org")))
    inner_err = Ether(src=VTEP2_MAC, dst=VTEP1_MAC) / IP(src=POD2_IP, dst=POD1_IP, id=0x5566, ttl=63) / ICMP(
        type=3, code=3) / Raw(dns)
    recs = [
        # The peer's kernel has nothing listening on 8472: it quotes the whole VXLAN packet (it fits in 576).
        (1700000300, 0, icmp_from(NODE2_IP, NODE1_IP, NODE2_MAC, NODE1_MAC, ICMP(type=3, code=3), vx_ip, 0x9101)),
        # A router on the underlay cannot forward 1500+50 bytes with DF: it quotes the IP header and 8 bytes.
        (1700000300, 1000, icmp_from(ROUTER_IP, NODE1_IP, ROUTER_MAC, NODE1_MAC, ICMP(type=3, code=4, nexthopmtu=1400),
                                     big[:28], 0x0001)),
        # TTL 1 runs out at the router: it quotes the IP header, UDP and the VXLAN header and more.
        (1700000300, 2000, icmp_from(ROUTER_IP, NODE1_IP, ROUTER_MAC, NODE1_MAC, ICMP(type=11, code=0),
                                     ttl1[:64], 0x0002)),
        # Over IPv6: packet too big (MTU 1280) quoting as much as fits in 1280 bytes.
        (1700000300, 3000, bytes(Ether(src=ROUTER_MAC, dst=NODE1_MAC) / IPv6(src="fd00:172:16:100::1",
                                                                           dst=NODE1_IP6, hlim=64)
                                 / ICMPv6PacketTooBig(mtu=1280) / Raw(v6[:1280 - 48]))),
        (1700000300, 4000, bytes(Ether(src=NODE2_MAC, dst=NODE1_MAC) / IPv6(src=NODE2_IP6, dst=NODE1_IP6, hlim=64)
                                 / ICMPv6DestUnreach(code=4) / Raw(v6[:200]))),
        # Between pods, inside VXLAN.
        (1700000300, 5000, flannel_frame(inner_err, 57011, NODE2_IP, NODE1_IP, NODE2_MAC, NODE1_MAC, ipid=0x1d00)),
    ]
    write_pcap("icmp-errors-vxlan.pcap", LINKTYPE_ETHERNET, recs)


def gbp_gpe():
    """The VXLAN extensions: Group Based Policy on 4789 (policy applied, don't learn, group 100), and VXLAN-GPE on
    4790 carrying IPv4, IPv6, Ethernet, and NSH (which vxscope leaves undecoded, with a note)."""
    ping4 = IP(src="10.1.1.1", dst="10.1.1.2", id=0x0042, ttl=64) / ICMP(id=77, seq=1) / Raw(b"gpe-ipv4")
    ping6 = IPv6(src="2001:db8:1::1", dst="2001:db8:1::2", hlim=64) / ICMPv6EchoRequest(id=77, seq=2, data=b"gpe-ipv6")
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / ping4

    def outer(payload, dport, ipid, sport=50000):
        return bytes(Ether(src="52:54:00:00:00:01", dst="52:54:00:00:00:02")
                     / IP(src="192.0.2.1", dst="192.0.2.2", id=ipid, ttl=64)
                     / UDP(sport=sport, dport=dport, chksum=0) / Raw(payload))

    nsh = bytes.fromhex("0fc6010100000001") + bytes(ping4)  # NSH base and service path headers, then IPv4
    recs = [
        (1700000400, 0, outer(vxlan_gbp(3000001, 0x48, 100) + bytes(eth), 4789, 0x0101)),
        (1700000400, 1000, outer(vxlan_gpe(1000, 1) + bytes(ping4), 4790, 0x0102)),
        (1700000400, 2000, outer(vxlan_gpe(1000, 2) + bytes(ping6), 4790, 0x0103)),
        (1700000400, 3000, outer(vxlan_gpe(1000, 3) + bytes(eth), 4790, 0x0104)),
        (1700000400, 4000, outer(vxlan_gpe(1000, 4) + nsh, 4790, 0x0105)),
    ]
    write_pcap("gbp-gpe.pcap", LINKTYPE_ETHERNET, recs)


def bad_checksums():
    """Checksums gone wrong, and one that only looks wrong: the inner TCP checksum of flannel's tx-checksum
    offload bug, a wrong outer UDP checksum on 8472, a wrong outer IPv4 header checksum, a wrong inner ICMP
    checksum, and an inner UDP checksum left partial by checksum offload on the sending host."""
    syn = Ether(src=VTEP1_MAC, dst=VTEP2_MAC) / IP(src=POD1_IP, dst=POD2_IP, id=0x4100, ttl=63, flags="DF") / TCP(
        sport=43211, dport=8080, flags="S", seq=1000, window=64860, options=[("MSS", 1410)], chksum=0xDEAD)
    ok_ping = pod_ping(8, 1200)
    bad_ping = pod_ping(8, 1201)
    bad_ping[ICMP].chksum = 0x1234

    # The outer UDP checksum computed (as an encapsulation with udpcsum on sends it), then spoilt.
    frame_udp_bad = bytearray(bytes(Ether(src=NODE1_MAC, dst=NODE2_MAC) / IP(src=NODE1_IP, dst=NODE2_IP, id=0x7700)
                                    / UDP(sport=40600, dport=8472) / Raw(vxlan(1) + bytes(ok_ping))))
    frame_udp_bad[40:42] = struct.pack("!H", struct.unpack("!H", frame_udp_bad[40:42])[0] ^ 0x00FF)

    frame_ip_bad = bytearray(flannel_frame(ok_ping, 40601, ipid=0x7701))
    frame_ip_bad[24:26] = b"\xbe\xef"

    # Checksum offload: the UDP checksum field holds the pseudo-header sum only, as on the sending host.
    src, dst = bytes([10, 244, 1, 12]), bytes([10, 244, 2, 14])
    dns = UDP(sport=41001, dport=53) / DNS(id=1, rd=1, qd=DNSQR(qname="example.org"))
    udp_len = len(bytes(dns))
    words = struct.unpack("!4H", src + dst)
    total = sum(words) + 17 + udp_len
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    dns[UDP].chksum = total
    partial = Ether(src=VTEP1_MAC, dst=VTEP2_MAC) / IP(src=POD1_IP, dst=POD2_IP, id=0x4101, ttl=63) / dns
    recs = [
        (1700000500, 0, flannel_frame(syn, 40602, ipid=0x7702)),
        (1700000500, 1000, bytes(frame_udp_bad)),
        (1700000500, 2000, bytes(frame_ip_bad)),
        (1700000500, 3000, flannel_frame(bad_ping, 40603, ipid=0x7703)),
        (1700000500, 4000, flannel_frame(partial, 40604, ipid=0x7704)),
    ]
    write_pcap("bad-checksums.pcap", LINKTYPE_ETHERNET, recs)


def truncated():
    """Frames cut short: by a snap length of 96 bytes (as `tcpdump -s 96` writes them: whole headers, payload
    cut), by 46 bytes (inside the VXLAN header), and three frames damaged on the wire: an inner IPv4 total length
    larger than the frame, an inner TCP header cut short, and a VXLAN packet whose inner frame is 6 bytes."""
    full = flannel_frame(pod_ping(8, 1102), 40592, ipid=0x7586)
    tcp_inner = bytes(Ether(src=VTEP1_MAC, dst=VTEP2_MAC) / IP(src=POD1_IP, dst=POD2_IP, id=0x4200, ttl=63)
                      / TCP(sport=43212, dport=8080, flags="S", seq=5))
    # Inner IPv4 total length 400 in a 98-byte packet (header checksum computed over it, so only the length is
    # wrong).
    bad_len = Ether(src=VTEP1_MAC, dst=VTEP2_MAC) / IP(src=POD1_IP, dst=POD2_IP, id=0x2306, ttl=63, flags="DF",
                                                       len=400) / ICMP(id=3143, seq=1103) / Raw(bytes(56))
    recs = [
        (1700000600, 0, full[:96], len(full)),
        (1700000600, 1000, full[:46], len(full)),
        (1700000600, 2000, flannel_frame(Raw(bytes(bad_len)), 40593, ipid=0x7587)),
        (1700000600, 3000, flannel_frame(Raw(tcp_inner[:14 + 20 + 12]), 40594, ipid=0x7588)),
        (1700000600, 4000, flannel_frame(Raw(tcp_inner[:6]), 40595, ipid=0x7589)),
    ]
    write_pcap("truncated-vxlan.pcap", LINKTYPE_ETHERNET, recs)


def raw_and_loopback():
    """VXLAN without an Ethernet header around it: raw IP (link type 101, as captured on a tun or WireGuard
    device), IPv4 and IPv6 alike; and BSD loopback (link type 0), VXLAN between two processes on 127.0.0.1."""
    inner = pod_ping(8, 1)
    v4 = bytes(IP(src="100.64.0.1", dst="100.64.0.2", id=0x0301, ttl=64) / UDP(sport=33333, dport=8472, chksum=0)
               / Raw(vxlan(1) + bytes(inner)))
    v6 = bytes(IPv6(src="fd7a:115c:a1e0::1", dst="fd7a:115c:a1e0::2", hlim=64) / UDP(sport=33334, dport=4789)
               / Raw(vxlan(2) + bytes(inner)))
    write_pcap("raw-ip-vxlan.pcap", LINKTYPE_RAW, [(1700000700, 0, v4), (1700000700, 1000, v6)])
    lo = bytes(IP(src="127.0.0.1", dst="127.0.0.1", id=0x0401, ttl=64) / UDP(sport=47101, dport=4789, chksum=0)
               / Raw(vxlan(4242) + bytes(inner)))
    lo6 = bytes(IPv6(src="::1", dst="::1", hlim=64) / IPv6ExtHdrDestOpt() / UDP(sport=47102, dport=4789)
                / Raw(vxlan(4243) + bytes(inner)))
    frag = IPv6(src="::1", dst="::1", hlim=64) / IPv6ExtHdrFragment(id=0xABCD, m=1, offset=0, nh=17) / Raw(
        bytes(UDP(sport=47103, dport=4789, len=8 + 8 + len(bytes(inner)), chksum=0)) + vxlan(4244) + bytes(inner)[:40])
    write_pcap("loopback-vxlan.pcap", LINKTYPE_NULL, [
        (1700000800, 0, null_header(2) + lo),
        (1700000800, 1000, null_header(30) + lo6),
        (1700000800, 2000, null_header(30) + bytes(frag)),
    ])


def main():
    seed()
    ping_nanos()
    tcp_flow()
    vlan()
    ipv6_outer()
    sll2_any()
    pcapng_interfaces()
    icmp_errors()
    gbp_gpe()
    bad_checksums()
    truncated()
    raw_and_loopback()


if __name__ == "__main__":
    main()
