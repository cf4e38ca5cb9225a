#!/usr/bin/python3
"""Writes bench/data/c_abi_200k.pcap: 200,000 frames of flannel VXLAN traffic for the C ABI benchmark.

Pod-to-pod traffic between ten nodes as flannel sends it (outer UDP to 8472, checksum 0, VXLAN flags 0x08,
VNI 1): TCP with and without options and payload, ICMP echo, UDP (DNS-sized), and ICMP port unreachable
errors quoting a UDP packet; a few ARP frames inside. Every checksum is right, so the dissector verifies them
all. Deterministic: the same file on every run.

    /usr/bin/python3 bench/make_c_abi_capture.py [COUNT]

Plain Python (struct), no dependencies; about 10 seconds.
"""
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "c_abi_200k.pcap")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ttl=64, ident=0, df=True):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000 if df else 0, ttl, proto, 0,
                      bytes(src), bytes(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def pseudo(src, dst, proto, length):
    return bytes(src) + bytes(dst) + struct.pack("!BBH", 0, proto, length)


def udp(src, dst, sport, dport, payload, checksum=True):
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo(src, dst, 17, length) + hdr + payload) if checksum else 0
    if checksum and c == 0:
        c = 0xFFFF
    return hdr[:6] + struct.pack("!H", c) + payload


def tcp(src, dst, sport, dport, seq, ack, flags, payload, options=b""):
    off = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 64240, 0, 0) + options
    c = csum(pseudo(src, dst, 6, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def icmp(kind, code, rest, payload):
    hdr = struct.pack("!BBH", kind, code, 0) + rest
    return hdr[:2] + struct.pack("!H", csum(hdr + payload)) + hdr[4:] + payload


def ether(dst, src, ethertype, payload):
    return bytes(dst) + bytes(src) + struct.pack("!H", ethertype) + payload


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rng = random.Random(8472)
    nodes = [
        {
            "ip": [172, 16, 100, 101 + i],
            "mac": [0x00, 0x50, 0x56, 0x93, 0x60, i],
            "vtep": [0x8E, 0x80, 0xB2, 0xE4, 0xBC, i],
            "pods": [[10, 244, i, 2 + p] for p in range(20)],
        }
        for i in range(10)
    ]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        t = 1_700_000_000.0
        for n in range(count):
            a, b = rng.sample(nodes, 2)
            src, dst = rng.choice(a["pods"]), rng.choice(b["pods"])
            r = rng.random()
            inner_ethertype = 0x0800
            if r < 0.50:
                flags = rng.choice([0x02, 0x12, 0x10, 0x18, 0x18, 0x18, 0x11])
                opts = b""
                if flags & 0x02:
                    # As Linux sends them: MSS, SACK permitted, timestamps, NOP, window scale (20 bytes).
                    opts = struct.pack("!BBHBBBBII", 2, 4, 1410, 4, 2, 8, 10, rng.getrandbits(32), 0)
                    opts += b"\x01\x03\x03\x07"
                payload = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 0, 64, 200, 517, 1360])
                                                                    if flags == 0x18 else 0))
                seg = tcp(src, dst, rng.randrange(32768, 61000), rng.choice([80, 443, 8080, 6379]),
                          rng.getrandbits(32), rng.getrandbits(32), flags, payload, opts)
                packet = ipv4(src, dst, 6, seg, ttl=63, ident=n & 0xFFFF)
            elif r < 0.80:
                payload = struct.pack("!II", int(t), n) + bytes(48)
                packet = ipv4(src, dst, 1, icmp(8, 0, struct.pack("!HH", 3143, n & 0xFFFF), payload), ttl=63,
                              ident=n & 0xFFFF)
            elif r < 0.95:
                payload = bytes(rng.getrandbits(8) for _ in range(rng.choice([33, 45, 120, 300, 512])))
                packet = ipv4(src, dst, 17, udp(src, dst, rng.randrange(32768, 61000), 53, payload), ttl=63,
                              ident=n & 0xFFFF)
            elif r < 0.99:
                quoted = ipv4(dst, src, 17, udp(dst, src, 5353, 53, bytes(20)), ttl=62)[:28]
                packet = ipv4(src, dst, 1, icmp(3, 3, bytes(4), quoted), ttl=63, df=False)
            else:
                inner_ethertype = 0x0806
                packet = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, bytes(a["vtep"]), bytes(src),
                                     bytes(6), bytes(dst))
            inner = ether(b["vtep"], a["vtep"], inner_ethertype, packet)
            vxlan = struct.pack("!BBHI", 0x08, 0, 0, 1 << 8) + inner
            outer_udp = udp(a["ip"], b["ip"], rng.randrange(32768, 61000), 8472, vxlan, checksum=False)
            frame = ether(b["mac"], a["mac"], 0x0800, ipv4(a["ip"], b["ip"], 17, outer_udp, ttl=64, df=False,
                                                          ident=rng.getrandbits(16)))
            t += rng.random() * 0.0002
            sec, usec = int(t), int((t - int(t)) * 1_000_000)
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)
    print("wrote", OUT, count, "frames")


if __name__ == "__main__":
    main()
