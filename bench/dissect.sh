#!/usr/bin/env bash
# Times `vxscope dissect` (one line a packet, and --json) against `tcpdump -nn -r` and
# `tshark -d udp.port==8472,vxlan` on the same VXLAN capture, output to /dev/null, in one run; then measures
# the peak resident memory of each with /usr/bin/time -v.
#
#   bench/dissect.sh                 # 200,000 packets (~170 MB), generated once into bench/data/
#   PACKETS=1000000 bench/dissect.sh # another size (its own file)
#   RUNS=5 bench/dissect.sh          # more runs a command (default 3)
#   SCAPY=1 bench/dissect.sh         # the capture made with scapy instead (bench/scapy_capture.py: two nodes,
#                                    # ICMP and TCP half and half), independent of our own generator
#
# Needs hyperfine, tcpdump, tshark and GNU time (installed with apt-get when missing, on Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

packets="${PACKETS:-200000}"
runs="${RUNS:-3}"
capture="bench/data/vxlan-${packets}.pcap"
[ -n "${SCAPY:-}" ] && capture="bench/data/scapy-${packets}.pcap"

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have hyperfine || missing+=(hyperfine)
have tcpdump || missing+=(tcpdump)
have tshark || missing+=(tshark)
[ -x /usr/bin/time ] || missing+=(time)
if ((${#missing[@]})); then
    echo "bench/dissect.sh: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cargo build --release --quiet -p vxscope-cli -p vxscope-bench
vxscope=target/release/vxscope
mkdir -p bench/data
if [ ! -f "$capture" ]; then
    if [ -n "${SCAPY:-}" ]; then
        /usr/bin/python3 bench/scapy_capture.py "$capture" "$packets"
    else
        target/release/make-bench-capture "$capture" "$packets"
    fi
fi
size=$(stat -c %s "$capture")
echo "capture: $capture, $packets packets, $size bytes"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "tools: $($vxscope --version), $(tcpdump --version 2>&1 | head -1), $(tshark --version 2>/dev/null | head -1)"
echo

names=("vxscope dissect" "vxscope dissect --json" "tcpdump -nn -r" "tshark -d udp.port==8472,vxlan"
    "vxscope dissect, one thread" "cat")
commands=(
    "$vxscope dissect $capture"
    "$vxscope dissect --json $capture"
    "tcpdump -nn -r $capture"
    "tshark -n -r $capture -d udp.port==8472,vxlan"
    "env VXSCOPE_THREADS=1 $vxscope dissect $capture"
    "cat $capture"
)

hyperfine_args=(--warmup 1 --runs "$runs" --style basic --export-json bench/data/dissect-times.json)
for i in "${!commands[@]}"; do
    hyperfine_args+=(-n "${names[$i]}" "${commands[$i]} > /dev/null 2>&1")
done
hyperfine "${hyperfine_args[@]}"

echo
echo "| command | mean (s) | ± (s) | vs tcpdump | peak RSS (MiB) |"
echo "|---|---|---|---|---|"
tcpdump_mean=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(r[2]["mean"])' bench/data/dissect-times.json)
for i in "${!commands[@]}"; do
    # Peak resident memory: GNU time's "Maximum resident set size" in KiB.
    rss_kib=$(/usr/bin/time -v sh -c "${commands[$i]} > /dev/null 2>/dev/null" 2>&1 >/dev/null |
        awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}')
    python3 - "$i" "$rss_kib" "$tcpdump_mean" "${names[$i]}" bench/data/dissect-times.json <<'EOF'
import json, sys
i, rss, tcpdump, name, path = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
r = json.load(open(path))["results"][i]
print(f"| `{name}` | {r['mean']:.3f} | {r['stddev']:.3f} | {tcpdump / r['mean']:.1f}x | {rss / 1024:.1f} |")
EOF
done
