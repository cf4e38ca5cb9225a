#!/usr/bin/env bash
# Batch runs: 20 captures of 10,000 VXLAN packets each through `vxscope strip DIR -o OUT` and
# `vxscope dissect --json DIR -o OUT`, with -j 1 (one core) and -j 2 (two), against the 20 one-file commands run
# one after the other, with -j 1 like the batch and with their default (every core: a file of 8.5 MB is decoded
# on two threads, and strip writes on a second thread). Each run is one whole process timed from outside (python3's
# monotonic clock, to the microsecond); the ways of a command run in turn, ROUNDS times, and the medians and the
# medians of the per-round ratios are reported (the machine may be shared: its load average is printed before
# and after).
#
#   bench/batch.sh                 # 7 rounds, each run's outputs removed before it (not timed)
#   ROUNDS=15 bench/batch.sh       # more
#   NEW_DIRS=1 bench/batch.sh      # each run writes into a new directory; all are removed at the end
#
# Where the output goes matters on a virtual machine whose memory the host backs only when first touched: a
# run writing new files into memory freed long ago pays for that (BENCHMARKS.md, "Batch runs").
#
# A failing run stops the script (its exit status is checked). Needs python3; builds vxscope and the benchmark capture generator in release.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-7}
NEW_DIRS=${NEW_DIRS:-0}
DATA=bench/data/batch
VXSCOPE=target/release/vxscope
cargo build --release --quiet -p vxscope-cli -p vxscope-bench
mkdir -p "$DATA/in"
for i in $(seq -w 1 20); do
    [ -f "$DATA/in/$i.pcap" ] || target/release/make-bench-capture "$DATA/in/$i.pcap" 10000 >/dev/null
done
cat "$DATA"/in/*.pcap >/dev/null
trap 'rm -rf "$DATA/out" "$DATA"/out-*' EXIT

echo "## $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) CPUs, $(uname -r)"
echo
echo "Input: 20 captures of 10,000 packets ($(du -sb "$DATA/in" | cut -f1) bytes); $ROUNDS rounds; outputs $([ "$NEW_DIRS" = 1 ] && echo "into a new directory each run" || echo "removed before each run")"
echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$VXSCOPE" "$DATA" "$ROUNDS" "$NEW_DIRS" <<'PY'
import os, shutil, statistics, subprocess, sys, time

vxscope, data, rounds, new_dirs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
inputs = sorted(os.path.join(data, "in", f) for f in os.listdir(os.path.join(data, "in")))

def strip_singles(*options):
    def run(out):
        for f in inputs:
            subprocess.run([vxscope, "strip", *options, f, os.path.join(out, os.path.basename(f))],
                           stderr=subprocess.DEVNULL, check=True)
    return run

def dissect_singles(*options):
    def run(out):
        for f in inputs:
            name = os.path.splitext(os.path.basename(f))[0] + ".jsonl"
            with open(os.path.join(out, name), "wb") as o:
                subprocess.run([vxscope, "dissect", "--json", *options, f], stdout=o, stderr=subprocess.DEVNULL,
                               check=True)
    return run

def batch(*args):
    def run(out):
        subprocess.run([vxscope, *args, os.path.join(data, "in"), "-o", out, "--quiet"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return run

ways = {
    "strip -j1": batch("strip", "-j", "1"),
    "strip -j2": batch("strip", "-j", "2"),
    "strip singles -j1": strip_singles("-j", "1"),
    "strip singles": strip_singles(),
    "dissect -j1": batch("dissect", "--json", "-j", "1"),
    "dissect -j2": batch("dissect", "--json", "-j", "2"),
    "dissect singles -j1": dissect_singles("-j", "1"),
    "dissect singles": dissect_singles(),
}
times = {name: [] for name in ways}
made = 0
for _ in range(rounds):
    for name, run in ways.items():
        if new_dirs:
            made += 1
            out = os.path.join(data, f"out-{made}")
        else:
            out = os.path.join(data, "out")
            shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        start = time.perf_counter()
        run(out)
        times[name].append(time.perf_counter() - start)

median = {name: statistics.median(t) for name, t in times.items()}
print("| command | median (s) | min (s) | max (s) |")
print("|---|---|---|---|")
for name, t in times.items():
    print(f"| {name} | {median[name]:.3f} | {min(t):.3f} | {max(t):.3f} |")
print()

def per_round(a, b):
    return statistics.median(x / y for x, y in zip(times[a], times[b]))

for command in ("strip", "dissect"):
    print(f"- {command}: -j 2 is {per_round(f'{command} -j1', f'{command} -j2'):.2f}x faster than -j 1 "
          f"(median of the rounds' ratios); -j 1 takes {per_round(f'{command} -j1', f'{command} singles -j1'):.2f}x "
          f"the time of the 20 one-file commands with -j 1, {per_round(f'{command} -j1', f'{command} singles'):.2f}x "
          f"the time of the 20 with every core; -j 2 takes {per_round(f'{command} -j2', f'{command} singles'):.2f}x "
          "the time of the 20 with every core")
PY
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
