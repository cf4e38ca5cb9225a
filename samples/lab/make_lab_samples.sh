#!/usr/bin/env bash
# Rebuilds samples/lab/: one run of scripts/flannel-lab for each scenario (as root), of which the NIC captures of
# both nodes, lab-node1's cni0 and flannel.1 captures, the kubectl and node outputs are kept. Then rewrite the
# expected outputs with `VXSCOPE_BLESS=1 cargo test -p vxscope-tests --test lab` and review `git diff samples/lab`.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for scenario in healthy vni-mismatch underlay-mtu port-closed port-mismatch stale-vtep-mac ipv6-underlay; do
    flag=()
    [ "$scenario" = healthy ] || flag=("--$scenario")
    scripts/flannel-lab --out "$tmp/$scenario" "${flag[@]}"
    grep -A1 "^## pod1 -> pod2 [TU]" "$tmp/$scenario/traffic.log"
    dest=samples/lab/$scenario
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$tmp/$scenario/nodes.json" "$tmp/$scenario/pods.txt" "$tmp/$scenario/lab.json" "$dest/"
    for node in lab-node1 lab-node2; do
        cp "$tmp/$scenario/$node/eth0.pcap" "$dest/$node-eth0.pcap"
        cp "$tmp/$scenario/$node/node-info.txt" "$dest/$node-node-info.txt"
    done
    for hop in cni0 flannel.1; do
        [ -e "$tmp/$scenario/lab-node1/$hop.pcap" ] && cp "$tmp/$scenario/lab-node1/$hop.pcap" "$dest/lab-node1-$hop.pcap"
    done
done
