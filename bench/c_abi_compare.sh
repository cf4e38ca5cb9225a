#!/usr/bin/env bash
# Whole-process cost of the C ABI: `vxscope dissect` over the 200,000-frame capture with the built-in dissector
# and through libvxscope.so loaded as a plugin (--plugin), in each output mode. Prints a Markdown table: the
# fastest of RUNS wall-clock runs (the least disturbed by other programs), the mean user CPU time, and, with
# --instructions, the instructions executed over the first 20,000 frames (counted by valgrind, exact and
# independent of the machine's load).
#
#     /usr/bin/python3 bench/make_c_abi_capture.py      # once: writes bench/data/c_abi_200k.pcap
#     bench/c_abi_compare.sh [RUNS] [--instructions]
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5
instructions=false
for arg in "$@"; do
    case "$arg" in
        --instructions) instructions=true ;;
        *) runs="$arg" ;;
    esac
done

capture=bench/data/c_abi_200k.pcap
[ -f "$capture" ] || /usr/bin/python3 bench/make_c_abi_capture.py
cargo build --release --quiet -p vxscope-cli -p vxscope-ffi
vxscope=target/release/vxscope
plugin=target/release/libvxscope.so
command -v hyperfine >/dev/null || { echo "bench/c_abi_compare.sh needs hyperfine" >&2; exit 1; }

# Fastest wall time and mean user time of `vxscope dissect ARGS`, in seconds.
measure() {
    local json
    json=$(mktemp)
    hyperfine --warmup 1 --runs "$runs" -N --output=null --export-json "$json" "$vxscope dissect $*" >/dev/null 2>&1
    /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.3f %.3f" % (min(r["times"]), r["user"]))' "$json"
    rm -f "$json"
}

# Instructions of `vxscope dissect ARGS` over the first 20,000 frames.
count() {
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$vxscope" dissect -c 20000 "$@" 2>&1 >/dev/null | awk '/I *refs/ {gsub(",", "", $4); print $4}'
}

echo "| mode | built-in: fastest, user | --plugin: fastest, user | overhead (fastest) |$($instructions && echo ' instructions built-in | --plugin | overhead |')"
echo "|---|---|---|---|$($instructions && echo '---|---|---|')"
for mode in "" "-V" "--json"; do
    read -r b_min b_user < <(measure $mode "$capture")
    read -r p_min p_user < <(measure $mode --plugin "$plugin" "$capture")
    overhead=$(/usr/bin/python3 -c "print('%+.1f%%' % (100 * ($p_min / $b_min - 1)))")
    row="| \`dissect ${mode:-(one line)}\` | ${b_min} s, ${b_user} s | ${p_min} s, ${p_user} s | ${overhead} |"
    if $instructions; then
        b_ir=$(count $mode "$capture")
        p_ir=$(count $mode --plugin "$plugin" "$capture")
        ir_overhead=$(/usr/bin/python3 -c "print('%+.1f%%' % (100 * ($p_ir / $b_ir - 1)))")
        row="$row $((b_ir / 1000000))M | $((p_ir / 1000000))M | ${ir_overhead} |"
    fi
    echo "$row"
done
