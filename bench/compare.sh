#!/usr/bin/env bash
# Times `vxscope compare` of two captures of one path against `vxscope dissect` of both, and measures the peak
# resident memory of compare, with /usr/bin/time, runs alternating.
#
# The pair: the dissect benchmark's capture (VXLAN between flannel nodes, made by make-bench-capture) and the
# same packets stripped of their tunnel by `vxscope strip` (the inner frames, as flannel.1 would show them):
# every packet is matched, decapsulated.
#
#   bench/compare.sh                  # 200,000 packets a capture (~170 MB), made once into bench/data/
#   PACKETS=1000000 bench/compare.sh  # another size (its own files)
#   RUNS=7 bench/compare.sh           # runs of each command (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."

packets="${PACKETS:-200000}"
runs="${RUNS:-5}"
a="bench/data/vxlan-${packets}.pcap"
b="bench/data/vxlan-${packets}-inner.pcap"

[ -x /usr/bin/time ] || { echo "bench/compare.sh: needs GNU time (/usr/bin/time)" >&2; exit 1; }
cargo build --release --quiet -p vxscope-cli -p vxscope-bench
vxscope=target/release/vxscope
mkdir -p bench/data
[ -f "$a" ] || target/release/make-bench-capture "$a" "$packets"
[ -f "$b" ] || $vxscope strip "$a" "$b" 2>/dev/null
echo "captures: $a ($(stat -c %s "$a") bytes), $b ($(stat -c %s "$b") bytes), $packets packets each"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# Seconds of wall, user + system, and peak RSS (KiB) of a command, from /usr/bin/time.
times=$(mktemp)
trap 'rm -f "$times"' EXIT
measure() {
    /usr/bin/time -o "$times" -f '%e %U %S %M' "$@" >/dev/null 2>&1 || true
    tail -1 "$times"
}

compare_wall=() compare_cpu=() compare_rss=() dissect_wall=() dissect_cpu=()
for i in $(seq "$runs"); do
    read -r w u s m <<<"$(measure $vxscope compare "$a" "$b")"
    compare_wall+=("$w") compare_cpu+=("$(echo "$u + $s" | bc)") compare_rss+=("$m")
    read -r w1 u1 s1 _ <<<"$(measure $vxscope dissect "$a")"
    read -r w2 u2 s2 _ <<<"$(measure $vxscope dissect "$b")"
    dissect_wall+=("$(echo "$w1 + $w2" | bc)") dissect_cpu+=("$(echo "$u1 + $s1 + $u2 + $s2" | bc)")
    echo "run $i: compare ${compare_wall[-1]} s wall, ${compare_cpu[-1]} s CPU, ${compare_rss[-1]} KiB;" \
        "dissect of both ${dissect_wall[-1]} s wall, ${dissect_cpu[-1]} s CPU"
done

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
cw=$(median "${compare_wall[@]}") cc=$(median "${compare_cpu[@]}") cm=$(median "${compare_rss[@]}")
dw=$(median "${dissect_wall[@]}") dc=$(median "${dissect_cpu[@]}")
echo
echo "| figure | vxscope compare A B | vxscope dissect A; vxscope dissect B | ratio |"
echo "|---|---|---|---|"
echo "| wall, median (s) | $cw | $dw | $(echo "scale=2; $cw / $dw" | bc) |"
echo "| CPU, user + system, median (s) | $cc | $dc | $(echo "scale=2; $cc / $dc" | bc) |"
echo "| peak RSS, median (MiB) | $(echo "scale=1; $cm / 1024" | bc) | | |"
