#!/usr/bin/env bash
# Times tshark with vxscope's Wireshark plugin (UDP 8472 decoded as VXLAN, the flannel tree on every VXLAN
# packet) against tshark without it, told `-d udp.port==8472,vxlan`, on the same capture: RUNS alternating
# pairs (default 7), output to /dev/null; prints each run (GNU time) and the medians of wall and CPU time, and
# their ratios.
#
#   bench/wireshark.sh                 # the 200,000-packet capture of bench/dissect.sh (~170 MB)
#   RUNS=11 PACKETS=50000 bench/wireshark.sh
#   ARGS="-V" bench/wireshark.sh       # extra tshark arguments for both (here: the full tree)
#
# tshark ignores the personal plugin folder as root, so as root both run as nobody (setpriv) with a temporary
# HOME each: one holding the plugin in its personal folder, one empty. The global folder is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."

packets="${PACKETS:-200000}"
runs="${RUNS:-7}"
extra="${ARGS:-}"
capture="bench/data/vxlan-${packets}.pcap"

cargo build --release --quiet -p vxscope-wireshark -p vxscope-bench
mkdir -p bench/data
[ -f "$capture" ] || target/release/make-bench-capture "$capture" "$packets"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/with" "$work/without"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    chmod 755 "$work"
    chown 65534:65534 "$work/with" "$work/without"
fi
folder=$(env HOME="$work/with" "${as_user[@]}" tshark -G folders | awk -F'\t' '/^Personal Plugins:/ {print $2}')
mkdir -p "$folder/epan"
cp target/release/libvxscope_wireshark.so "$folder/epan/vxscope.so"
cp "$capture" "$work/capture.pcap"
[ "$(id -u)" -ne 0 ] || chown -R 65534:65534 "$work"
env HOME="$work/with" "${as_user[@]}" tshark -G plugins | grep -q '^vxscope.so' ||
    { echo "bench/wireshark.sh: tshark does not load the plugin" >&2; exit 1; }

echo "capture: $capture, $packets packets, $(stat -c %s "$capture") bytes; tshark arguments: -n -r FILE $extra"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools: $(tshark --version 2>/dev/null | head -1)"

# One timed run: wall, user and system seconds (GNU time).
timed() {
    local home=$1
    shift
    /usr/bin/time -f "%e %U %S" -o "$work/time" env HOME="$home" "${as_user[@]}" \
        tshark -n -r "$work/capture.pcap" $extra "$@" >/dev/null 2>&1
    cat "$work/time"
}

: >"$work/runs"
for ((i = 1; i <= runs; i++)); do
    a=$(timed "$work/with")
    b=$(timed "$work/without" -d udp.port==8472,vxlan)
    echo "run $i: plugin $a | -d udp.port==8472,vxlan $b (wall user system, s)"
    echo "$a $b" >>"$work/runs"
done

python3 - "$work/runs" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
med = lambda xs: statistics.median(xs)
wall_p, wall_d = med([r[0] for r in rows]), med([r[3] for r in rows])
cpu_p, cpu_d = med([r[1] + r[2] for r in rows]), med([r[4] + r[5] for r in rows])
ratios = [r[0] / r[3] for r in rows]
print()
print("| figure | tshark + plugin, median (s) | tshark -d udp.port==8472,vxlan, median (s) | ratio |")
print("|---|---|---|---|")
print(f"| wall | {wall_p:.2f} | {wall_d:.2f} | {wall_p / wall_d:.3f}x (median of pair ratios {med(ratios):.3f}x, {min(ratios):.3f}–{max(ratios):.3f}) |")
print(f"| CPU, user + system | {cpu_p:.2f} | {cpu_d:.2f} | {cpu_p / cpu_d:.3f}x |")
PY
