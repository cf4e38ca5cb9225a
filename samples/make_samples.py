#!/usr/bin/python3
"""Builds the captures in samples/ with scapy (Debian's python3-scapy), deterministically.

Run from anywhere: /usr/bin/python3 samples/make_samples.py
Each capture is described in samples/README.md; their expected outputs are the golden files in samples/golden/.
"""
import os
import struct

from scapy.all import Ether, wrpcap  # noqa: F401

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
SEED_TIME = 1630859447.124500


def write(name, packets, **kw):
    path = os.path.join(HERE, name)
    wrpcap(path, packets, **kw)
    print("wrote", path)


def main():
    assert len(SEED) == 148
    seed = Ether(SEED)
    seed.time = SEED_TIME
    write("seed.pcap", [seed])


if __name__ == "__main__":
    main()
