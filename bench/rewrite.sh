#!/usr/bin/env bash
# The rewriter against public tools on the benchmark capture (200,000 VXLAN packets, about 170 MB):
#   strip  vs  editcap -C 50 -L -F pcap  and  cp of the same file
#   remap  vs  tcprewrite --portmap=8472:4789 --fixcsum
# Wall time with hyperfine (each output removed before each run, so that no tool pays for freeing the last
# run's file), peak memory with /usr/bin/time, and peak memory on a capture five times larger.
#
#   bench/rewrite.sh              # writes bench/data/rewrite-*.md and prints them
#   RUNS=20 bench/rewrite.sh      # more runs
#
# Needs hyperfine, editcap (wireshark-common), tcprewrite (tcpreplay), python3; builds vxscope in release.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10}
DATA=bench/data
IN=$DATA/rewrite-200k.pcap
BIG=$DATA/rewrite-1m.pcap
OUT=$DATA/rewrite-out.pcap
VXSCOPE=target/release/vxscope
mkdir -p "$DATA"

for tool in hyperfine editcap tcprewrite; do
    command -v "$tool" >/dev/null || { echo "bench/rewrite.sh: $tool is not installed" >&2; exit 1; }
done
[ -f "$IN" ] || python3 bench/rewrite_capture.py "$IN" 200000
[ -f "$BIG" ] || python3 bench/rewrite_capture.py "$BIG" 1000000
cargo build --release --quiet -p vxscope-cli

echo "## $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) CPUs, $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Input: $IN, $(stat -c %s "$IN") bytes, 200000 packets"
echo

# Warm the page cache.
cat "$IN" "$BIG" >/dev/null

hyperfine -N --warmup 2 --runs "$RUNS" --prepare "rm -f $OUT" --export-json "$DATA/rewrite-strip.json" \
    -n "cp" "cp $IN $OUT" \
    -n "editcap -C 50 -L -F pcap" "editcap -C 50 -L -F pcap $IN $OUT" \
    -n "vxscope strip" "$VXSCOPE strip $IN $OUT"

hyperfine -N --warmup 2 --runs "$RUNS" --prepare "rm -f $OUT" --export-json "$DATA/rewrite-remap.json" \
    -n "tcprewrite --portmap=8472:4789 --fixcsum" "tcprewrite --portmap=8472:4789 --fixcsum -i $IN -o $OUT" \
    -n "vxscope remap --port 8472:4789" "$VXSCOPE remap $IN $OUT --port 8472:4789" \
    -n "vxscope remap --port 8472:4789 --udp-checksum compute" \
    "$VXSCOPE remap $IN $OUT --port 8472:4789 --udp-checksum compute"

# Peak resident memory (the largest of three runs), in KiB.
peak() {
    local best=0 kib record
    record=$(mktemp)
    for _ in 1 2 3; do
        rm -f "$OUT"
        /usr/bin/time -f "%M" -o "$record" "$@" >/dev/null 2>&1
        kib=$(tail -1 "$record")
        [ "$kib" -gt "$best" ] && best=$kib
    done
    rm -f "$record"
    echo "$best"
}

{
    echo "| command | peak RSS, 200k packets (KiB) | peak RSS, 1M packets (KiB) |"
    echo "|---|---|---|"
    echo "| cp | $(peak cp "$IN" "$OUT") | $(peak cp "$BIG" "$OUT") |"
    echo "| editcap -C 50 -L -F pcap | $(peak editcap -C 50 -L -F pcap "$IN" "$OUT") | $(peak editcap -C 50 -L -F pcap "$BIG" "$OUT") |"
    echo "| vxscope strip | $(peak "$VXSCOPE" strip "$IN" "$OUT") | $(peak "$VXSCOPE" strip "$BIG" "$OUT") |"
    echo "| tcprewrite --portmap=8472:4789 --fixcsum | $(peak tcprewrite --portmap=8472:4789 --fixcsum -i "$IN" -o "$OUT") | $(peak tcprewrite --portmap=8472:4789 --fixcsum -i "$BIG" -o "$OUT") |"
    echo "| vxscope remap --port 8472:4789 | $(peak "$VXSCOPE" remap "$IN" "$OUT" --port 8472:4789) | $(peak "$VXSCOPE" remap "$BIG" "$OUT" --port 8472:4789) |"
} > "$DATA/rewrite-memory.md"
rm -f "$OUT"

# Wall time (mean ± σ, min), user and system time, each relative to the first command of its table.
table() {
    python3 - "$1" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["mean"]
print("| command | mean ± σ (ms) | min (ms) | user (ms) | system (ms) | mean vs first |")
print("|---|---|---|---|---|---|")
for r in results:
    print("| `%s` | %.1f ± %.1f | %.1f | %.1f | %.1f | %.2f× |" % (
        r["command"], r["mean"] * 1e3, r["stddev"] * 1e3, r["min"] * 1e3,
        r["user"] * 1e3, r["system"] * 1e3, r["mean"] / base))
PY
}

table "$DATA/rewrite-strip.json" | tee "$DATA/rewrite-strip.md"
echo
table "$DATA/rewrite-remap.json" | tee "$DATA/rewrite-remap.md"
echo
cat "$DATA/rewrite-memory.md"
