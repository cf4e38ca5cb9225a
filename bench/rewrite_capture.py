#!/usr/bin/python3
"""Writes the rewriter's benchmark capture: flannel VXLAN traffic as a node NIC would capture it.

    /usr/bin/python3 bench/rewrite_capture.py OUT.pcap [PACKETS]

Deterministic (fixed seed): the same file on every machine. Microsecond pcap, Ethernet; outer IPv4
172.16.100.101 > 172.16.100.102, DF clear, TTL 64, UDP to 8472 from a per-flow source port in 32768-60999,
UDP checksum 0, VXLAN flags 0x08 VNI 1; inner frame between the two VTEP MACs, IPv4 10.244.1.0/24 >
10.244.2.0/24, TTL 63: 30 % ICMP echo requests, 70 % TCP segments, payloads of 64 to 1400 bytes; valid inner
checksums. 200,000 packets make about 170 MB.

Plain Python (struct, array) so that it runs in seconds without scapy.
"""
import array
import random
import struct
import sys

OUTER_SRC_MAC = bytes.fromhex("005056936a3a")
OUTER_DST_MAC = bytes.fromhex("00505693633b")
VTEP_SRC_MAC = bytes.fromhex("b672ae367b6c")
VTEP_DST_MAC = bytes.fromhex("fe90c41869a7")
OUTER_SRC_IP = bytes([172, 16, 100, 101])
OUTER_DST_IP = bytes([172, 16, 100, 102])
VXLAN_PORT = 8472
VNI = 1
FLOWS = 64


def csum(data):
    """RFC 1071 checksum (the ones' complement sum does not depend on the byte order of the words)."""
    if len(data) % 2:
        data += b"\0"
    words = array.array("H", data)
    if sys.byteorder == "little":
        words.byteswap()
    s = sum(words)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, ttl, ident, payload, df):
    flags = 0x4000 if df else 0
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, ttl, proto, 0, src, dst)
    c = csum(h)
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    rng = random.Random(8472)
    block = rng.randbytes(1 << 16)
    flows = []
    for i in range(FLOWS):
        flows.append(
            {
                "src": bytes([10, 244, 1, 2 + i % 200]),
                "dst": bytes([10, 244, 2, 2 + (i * 7) % 200]),
                "sport": 32768 + rng.randrange(60999 - 32768 + 1),
                "tcp_sport": 40000 + i,
                "seq": rng.randrange(1 << 32),
                "ack": rng.randrange(1 << 32),
                "icmp_id": rng.randrange(1 << 16),
                "icmp_seq": 0,
                "ip_id": rng.randrange(1 << 16),
            }
        )
    ts_sec, ts_usec = 1_700_000_000, 0
    outer_id = 0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        chunk = []
        for n in range(count):
            fl = flows[rng.randrange(FLOWS)]
            size = rng.randint(64, 1400)
            off = rng.randrange(len(block) - size)
            payload = block[off : off + size]
            fl["ip_id"] = (fl["ip_id"] + 1) & 0xFFFF
            if rng.random() < 0.3:
                fl["icmp_seq"] = (fl["icmp_seq"] + 1) & 0xFFFF
                icmp = struct.pack("!BBHHH", 8, 0, 0, fl["icmp_id"], fl["icmp_seq"]) + payload
                icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
                packet = ipv4(fl["src"], fl["dst"], 1, 63, fl["ip_id"], icmp, True)
            else:
                tcp = struct.pack(
                    "!HHIIBBHHH", fl["tcp_sport"], 80, fl["seq"], fl["ack"], 5 << 4, 0x18, 502, 0, 0
                ) + payload
                fl["seq"] = (fl["seq"] + size) & 0xFFFFFFFF
                pseudo = fl["src"] + fl["dst"] + struct.pack("!BBH", 0, 6, len(tcp))
                tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
                packet = ipv4(fl["src"], fl["dst"], 6, 63, fl["ip_id"], tcp, True)
            inner = VTEP_DST_MAC + VTEP_SRC_MAC + b"\x08\x00" + packet
            vxlan = struct.pack("!II", 0x08000000, VNI << 8) + inner
            udp = struct.pack("!HHHH", fl["sport"], VXLAN_PORT, 8 + len(vxlan), 0) + vxlan
            outer_id = (outer_id + 1) & 0xFFFF
            frame = OUTER_DST_MAC + OUTER_SRC_MAC + b"\x08\x00"
            frame += ipv4(OUTER_SRC_IP, OUTER_DST_IP, 17, 64, outer_id, udp, False)
            ts_usec += rng.randint(1, 200)
            ts_sec, ts_usec = ts_sec + ts_usec // 1_000_000, ts_usec % 1_000_000
            chunk.append(struct.pack("<IIII", ts_sec, ts_usec, len(frame), len(frame)))
            chunk.append(frame)
            if len(chunk) >= 4096:
                f.write(b"".join(chunk))
                chunk.clear()
        f.write(b"".join(chunk))


if __name__ == "__main__":
    main()
