#!/usr/bin/env bash
# Times `vxscope dissect -Y 'flannel.dst_node == "k8s-node2"'` and `vxscope dissect -T fields -e inner.ip.src
# -e vxlan.vni` against the same tshark commands on the benchmark capture: PAIRS pairs of runs (vxscope, then
# tshark), each whole process under /usr/bin/time, output to /dev/null; prints each run and the medians of wall
# and CPU time, and the median of the pairs' ratios.
#
#   bench/filter.sh            # 200,000 packets, 5 pairs a benchmark
#   PAIRS=11 bench/filter.sh
#
# flannel.dst_node needs node names: samples/flannel/nodes.json names 172.16.100.102 k8s-node2 (one of the
# capture's eight nodes); tshark has no flannel fields, so its filter is the address itself.
set -euo pipefail
cd "$(dirname "$0")/.."

packets="${PACKETS:-200000}"
pairs="${PAIRS:-5}"
capture="bench/data/vxlan-${packets}.pcap"
[ -x /usr/bin/time ] || { echo "bench/filter.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
command -v tshark >/dev/null || { echo "bench/filter.sh: needs tshark" >&2; exit 1; }

cargo build --release --quiet -p vxscope-cli -p vxscope-bench
vxscope=target/release/vxscope
mkdir -p bench/data
[ -f "$capture" ] || target/release/make-bench-capture "$capture" "$packets"
echo "capture: $capture, $packets packets, $(stat -c %s "$capture") bytes; $pairs pairs a benchmark"
echo "tools: $($vxscope --version), $(tshark --version 2>/dev/null | head -1)"

# Wall, user and system seconds of one run of "$@", output thrown away.
timed() {
    /usr/bin/time -f "%e %U %S" -o bench/data/filter-time.txt "$@" >/dev/null 2>&1
    cat bench/data/filter-time.txt
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One benchmark: the commands in the arrays `ours` and `theirs`, run alternately.
bench() {
    local name="$1"
    : >bench/data/filter-runs.txt
    for ((p = 1; p <= pairs; p++)); do
        read -r vw vu vs < <(timed "${ours[@]}")
        read -r tw tu ts < <(timed "${theirs[@]}")
        echo "$vw $vu $vs $tw $tu $ts" >>bench/data/filter-runs.txt
        echo "$p $vw $vu $vs $tw $tu $ts" | awk '{ printf "  pair %d: vxscope %.2fs wall, %.2fs CPU; tshark %.2fs wall, %.2fs CPU\n", $1, $2, $3 + $4, $5, $6 + $7 }' >&2
    done
    local vwall twall vcpu tcpu wratio cratio
    vwall=$(awk '{ print $1 }' bench/data/filter-runs.txt | median)
    twall=$(awk '{ print $4 }' bench/data/filter-runs.txt | median)
    vcpu=$(awk '{ print $2 + $3 }' bench/data/filter-runs.txt | median)
    tcpu=$(awk '{ print $5 + $6 }' bench/data/filter-runs.txt | median)
    wratio=$(awk '{ print ($1 > 0 ? $4 / $1 : 0) }' bench/data/filter-runs.txt | median)
    cratio=$(awk '{ c = $2 + $3; print (c > 0 ? ($5 + $6) / c : 0) }' bench/data/filter-runs.txt | median)
    printf '| `%s` | %s | %s | %.1fx | %s | %s | %.1fx |\n' "$name" "$vwall" "$twall" "$wratio" "$vcpu" "$tcpu" "$cratio"
}

echo
echo "| benchmark | vxscope wall (s) | tshark wall (s) | tshark/vxscope wall | vxscope CPU (s) | tshark CPU (s) | tshark/vxscope CPU |"
echo "|---|---|---|---|---|---|---|"
ours=("$vxscope" dissect --nodes samples/flannel/nodes.json -Y 'flannel.dst_node == "k8s-node2"' "$capture")
theirs=(tshark -n -r "$capture" -d udp.port==8472,vxlan -Y 'ip.dst == 172.16.100.102')
bench 'dissect -Y flannel.dst_node == "k8s-node2"'
ours=("$vxscope" dissect -T fields -e inner.ip.src -e vxlan.vni "$capture")
theirs=(tshark -n -r "$capture" -d udp.port==8472,vxlan -T fields -e ip.src -e vxlan.vni)
bench 'dissect -T fields -e inner.ip.src -e vxlan.vni'
