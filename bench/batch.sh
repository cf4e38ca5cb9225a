#!/usr/bin/env bash
# Batch runs: 20 captures of 10,000 VXLAN packets each through `vxscope strip DIR -o OUT` and
# `vxscope dissect --json DIR -o OUT`, with -j 1 and -j 2 (and -j 1 with one decoding thread a file), against the
# 20 one-file commands run one after the other. Wall time of each from /usr/bin/time; the three ways of a command run in turn, ROUNDS times, and the
# medians are reported (the machine may be shared: its load average is printed before and after).
#
#   bench/batch.sh             # 7 rounds
#   ROUNDS=11 bench/batch.sh   # more
#
# Needs GNU time (/usr/bin/time) and python3; builds vxscope and the benchmark capture generator in release.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-7}
DATA=bench/data/batch
VXSCOPE=target/release/vxscope
[ -x /usr/bin/time ] || { echo "bench/batch.sh: /usr/bin/time (GNU time) is not installed" >&2; exit 1; }
cargo build --release --quiet -p vxscope-cli -p vxscope-bench
mkdir -p "$DATA/in"
for i in $(seq -w 1 20); do
    [ -f "$DATA/in/$i.pcap" ] || target/release/make-bench-capture "$DATA/in/$i.pcap" 10000 >/dev/null
done
cat "$DATA"/in/*.pcap >/dev/null

record=$(mktemp)
results=$(mktemp)
trap 'rm -f "$record" "$results"; rm -rf "$DATA/out"' EXIT

# Seconds of wall time of one run of "$@" (outputs removed first, so no run pays for freeing the last one's).
wall() {
    rm -rf "$DATA/out"
    mkdir -p "$DATA/out"
    /usr/bin/time -f "%e" -o "$record" "$@" >/dev/null 2>&1 || true
    tail -1 "$record"
}

strip_singles() {
    for f in "$DATA"/in/*.pcap; do "$VXSCOPE" strip "$f" "$DATA/out/$(basename "$f")"; done
}
dissect_singles() {
    for f in "$DATA"/in/*.pcap; do "$VXSCOPE" dissect --json "$f" >"$DATA/out/$(basename "$f" .pcap).jsonl"; done
}
export -f strip_singles dissect_singles
export VXSCOPE DATA

echo "## $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) CPUs, $(uname -r)"
echo
echo "Input: 20 captures of 10,000 packets ($(du -sb "$DATA/in" | cut -f1) bytes); $ROUNDS rounds"
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
for round in $(seq "$ROUNDS"); do
    echo "strip -j1 $(wall "$VXSCOPE" strip "$DATA/in" -o "$DATA/out" -j 1)" >>"$results"
    echo "strip -j2 $(wall "$VXSCOPE" strip "$DATA/in" -o "$DATA/out" -j 2)" >>"$results"
    echo "strip singles $(wall bash -c strip_singles)" >>"$results"
    echo "dissect -j1 $(wall "$VXSCOPE" dissect --json "$DATA/in" -o "$DATA/out" -j 1)" >>"$results"
    echo "dissect -j1-one-thread $(wall env VXSCOPE_THREADS=1 "$VXSCOPE" dissect --json "$DATA/in" -o "$DATA/out" -j 1)" >>"$results"
    echo "dissect -j2 $(wall "$VXSCOPE" dissect --json "$DATA/in" -o "$DATA/out" -j 2)" >>"$results"
    echo "dissect singles $(wall bash -c dissect_singles)" >>"$results"
done
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    *name, seconds = line.split()
    runs.setdefault(" ".join(name), []).append(float(seconds))
median = {name: statistics.median(times) for name, times in runs.items()}
print("| command | median (s) | runs (s) |")
print("|---|---|---|")
for name, times in runs.items():
    print(f"| {name} | {median[name]:.3f} | {' '.join(f'{t:.2f}' for t in times)} |")
print()
for command in ("strip", "dissect"):
    one, two, singles = (median[f"{command} {w}"] for w in ("-j1", "-j2", "singles"))
    print(f"- {command}: -j 2 is {one / two:.2f}x faster than -j 1; -j 1 takes {one / singles:.2f}x the time of the 20 one-file commands")
# A file of 10,000 packets (8.5 MB) is decoded on two threads when it is alone (-j 1): one thread a file is the
# comparison of the workers alone.
alone = median["dissect -j1-one-thread"]
print(f"- dissect: -j 2 is {alone / median['dissect -j2']:.2f}x faster than -j 1 with one decoding thread a file (VXSCOPE_THREADS=1)")
PY
