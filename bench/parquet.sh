#!/usr/bin/env bash
# Times `vxscope dissect -T parquet -o FILE` (the default columns) against the one-line output `vxscope dissect`
# on the benchmark capture, and `-T ek` against `--json`: PAIRS pairs of runs (the reference, then the format),
# each whole process under /usr/bin/time, text output to /dev/null; prints each run, the medians of wall and CPU
# time, the median of the pairs' ratios, and the Parquet file's size and peak memory.
#
#   bench/parquet.sh            # 200,000 packets, 5 pairs a benchmark
#   PAIRS=11 bench/parquet.sh
#   VXSCOPE=/path/to/vxscope bench/parquet.sh   # a binary built elsewhere (the same commit)
set -euo pipefail
cd "$(dirname "$0")/.."

packets="${PACKETS:-200000}"
pairs="${PAIRS:-5}"
capture="bench/data/vxlan-${packets}.pcap"
[ -x /usr/bin/time ] || { echo "bench/parquet.sh: needs GNU time (apt-get install time)" >&2; exit 1; }

if [ -z "${VXSCOPE:-}" ]; then
    cargo build --release --quiet -p vxscope-cli -p vxscope-bench
    VXSCOPE=target/release/vxscope
fi
mkdir -p bench/data
if [ ! -f "$capture" ]; then
    make_capture="$(dirname "$VXSCOPE")/make-bench-capture"
    [ -x "$make_capture" ] || { cargo build --release --quiet -p vxscope-bench; make_capture=target/release/make-bench-capture; }
    "$make_capture" "$capture" "$packets"
fi
out=bench/data/parquet-bench.parquet
echo "capture: $capture, $packets packets, $(stat -c %s "$capture") bytes; $pairs pairs a benchmark"
echo "tools: $($VXSCOPE --version); load: $(uptime)"

# Wall, user and system seconds and peak KiB of one run of "$@", output thrown away.
timed() {
    /usr/bin/time -f "%e %U %S %M" -o bench/data/parquet-time.txt "$@" >/dev/null 2>&1
    cat bench/data/parquet-time.txt
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One benchmark: the commands in the arrays `reference` and `format`, run alternately.
bench() {
    local name="$1"
    : >bench/data/parquet-runs.txt
    for ((p = 1; p <= pairs; p++)); do
        read -r rw ru rs rm < <(timed "${reference[@]}")
        read -r fw fu fs fm < <(timed "${format[@]}")
        echo "$rw $ru $rs $fw $fu $fs $rm $fm" >>bench/data/parquet-runs.txt
        echo "$p $rw $ru $rs $fw $fu $fs $rm $fm" | awk '{ printf "  pair %d: reference %.2fs wall, %.2fs CPU, %d MiB; format %.2fs wall, %.2fs CPU, %d MiB\n", $1, $2, $3 + $4, $8 / 1024, $5, $6 + $7, $9 / 1024 }' >&2
    done
    local rwall fwall rcpu fcpu wratio cratio fmem
    rwall=$(awk '{ print $1 }' bench/data/parquet-runs.txt | median)
    fwall=$(awk '{ print $4 }' bench/data/parquet-runs.txt | median)
    rcpu=$(awk '{ print $2 + $3 }' bench/data/parquet-runs.txt | median)
    fcpu=$(awk '{ print $5 + $6 }' bench/data/parquet-runs.txt | median)
    wratio=$(awk '{ print ($1 > 0 ? $4 / $1 : 0) }' bench/data/parquet-runs.txt | median)
    cratio=$(awk '{ c = $2 + $3; print (c > 0 ? ($5 + $6) / c : 0) }' bench/data/parquet-runs.txt | median)
    fmem=$(awk '{ print $8 }' bench/data/parquet-runs.txt | median)
    printf '| `%s` | %s | %s | %.2fx | %s | %s | %.2fx | %d |\n' "$name" "$rwall" "$fwall" "$wratio" "$rcpu" "$fcpu" "$cratio" "$((fmem / 1024))"
}

echo
echo "| benchmark | reference wall (s) | format wall (s) | format/reference wall | reference CPU (s) | format CPU (s) | format/reference CPU | format peak MiB |"
echo "|---|---|---|---|---|---|---|---|"
reference=("$VXSCOPE" dissect "$capture")
format=("$VXSCOPE" dissect -T parquet -o "$out" "$capture")
bench 'dissect -T parquet -o FILE (default columns) / dissect (one line)'
echo "Parquet file: $(stat -c %s "$out") bytes"
reference=("$VXSCOPE" dissect --json "$capture")
format=("$VXSCOPE" dissect -T ek "$capture")
bench 'dissect -T ek / dissect --json'
rm -f "$out"
