//! The comparison: observations of every capture, pushed in time order, matched hop by hop.
//!
//! Each pair of consecutive captures keeps the packets one side has seen and the other not yet
//! ([`Pending`]). A packet is matched with the oldest packet of the other side with the same whole key within the
//! window, or failing that with the same NAT key (addresses and ports translated, the rest equal, one endpoint
//! unchanged). The direction of a packet is that of its address pair, fixed by the first match of the pair
//! (which capture saw it first) or, if the reverse pair was matched before, opposite to that; so a clock that is
//! off shows as negative latencies rather than as traffic flowing the other way. Packets still unmatched once
//! the window has passed are reported missing at the hop.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;
use vxscope_dissector::flannel::{self, Role};
use vxscope_dissector::render::summary;
use vxscope_dissector::value::IpBytes;
use vxscope_dissector::{Dissection, Dissector};

use crate::change::{Change, changes_between};
use crate::observe::{ExactKey, KeyHashes, Observation};
use crate::pending::Pending;
use crate::prehashed::HashMap;
use crate::report::{Capture, ClockSuspicion, Direction, Hop, Report, Unmatched};

/// How a comparison matches.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Packets further apart than this (ns) are never paired.
    pub window_ns: i64,
    /// Every capture ran over the whole time the captures span together (started before the first packet of
    /// any, stopped after the last): a packet the other capture of a hop did not see before its first packet
    /// or after its last is missing there, not "not compared".
    pub captured_together: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            window_ns: 1_000_000_000,
            captured_together: false,
        }
    }
}

/// A matched packet at one hop, handed to the sink as it is found (for `--csv`).
#[derive(Clone, Copy, Debug)]
pub struct MatchedPair<'a> {
    /// Index into the report's hops.
    pub hop: usize,
    pub direction: Direction,
    pub from: usize,
    pub to: usize,
    pub from_frame: u64,
    pub to_frame: u64,
    pub from_ts: i64,
    pub to_ts: i64,
    pub changes: &'a [Change],
}

/// One pair of consecutive captures.
#[derive(Default)]
struct Pair {
    /// Side 0 is the earlier capture of the path.
    pending: [Pending; 2],
    /// The direction of each address pair (by [`KeyHashes::pair`]), as each side saw its addresses.
    orientation: [HashMap<Direction>; 2],
    /// The outer IP datagrams each side saw in fragments and the other whole.
    split: [Split; 2],
}

/// Outer IP datagrams one side of a pair saw in fragments whose first fragment was matched with the packet
/// whole at the other side: the datagram was split (or joined again) on this hop, and its later fragments,
/// which the other side cannot have, belong to the matched packet. Kept for a window after the match.
#[derive(Default)]
struct Split {
    /// The direction the packet was matched in and when, by
    /// [`OuterFragment::datagram`](crate::observe::OuterFragment).
    matched: HashMap<(Direction, i64)>,
    order: VecDeque<(u64, i64)>,
}

impl Split {
    fn insert(&mut self, datagram: u64, direction: Direction, ts: i64) {
        self.matched.insert(datagram, (direction, ts));
        self.order.push_back((datagram, ts));
    }

    /// The direction the packet of `datagram` was matched in.
    fn direction(&self, datagram: u64) -> Option<Direction> {
        self.matched.get(&datagram).map(|&(d, _)| d)
    }

    /// Forgets the datagrams matched before `cutoff`.
    fn forget_before(&mut self, cutoff: i64) {
        while let Some(&(datagram, ts)) = self.order.front() {
            if ts >= cutoff {
                break;
            }
            self.order.pop_front();
            // A datagram matched again since (its identification reused) keeps its newer entry.
            if self.matched.get(&datagram).is_some_and(|&(_, at)| at == ts) {
                self.matched.remove(&datagram);
            }
        }
    }
}

/// The direction of an observation's address pair in `map`, or of the reverse pair, turned around.
fn direction_in(map: &HashMap<Direction>, hashes: &KeyHashes) -> Option<Direction> {
    map.get(&hashes.pair)
        .copied()
        .or_else(|| map.get(&hashes.reverse_pair).map(|d| d.opposite()))
}

/// Keys seen recently in one capture, to count duplicates.
#[derive(Default)]
struct Recent {
    last: HashMap<i64>,
    order: VecDeque<(u64, i64)>,
}

/// Where matched packets go as they are found.
type Sink<'d> = Box<dyn FnMut(&MatchedPair<'_>) + 'd>;

/// The matching in progress.
pub struct Comparison<'d> {
    dissector: &'d Dissector,
    summary: Dissection<'d>,
    options: Options,
    captures: Vec<Capture>,
    pairs: Vec<Pair>,
    /// The direction of each address pair as first matched at any hop: a packet seen at one capture of a pair
    /// only takes the direction its addresses have elsewhere on the path.
    directions: HashMap<Direction>,
    recent: Vec<Recent>,
    hops: Vec<Hop>,
    counts: Vec<FxHashMap<Change, u64>>,
    now: i64,
    changes: Vec<Change>,
    sink: Option<Sink<'d>>,
}

impl<'d> Comparison<'d> {
    /// A comparison of captures named `names`, in path order (at least two).
    pub fn new(dissector: &'d Dissector, names: Vec<String>, options: Options) -> Self {
        let n = names.len();
        let pairs = n.saturating_sub(1);
        let mut hops = Vec::with_capacity(2 * pairs);
        for i in 0..pairs {
            hops.push(Hop::new(Direction::Forward, i, i + 1));
        }
        for i in (0..pairs).rev() {
            hops.push(Hop::new(Direction::Reverse, i + 1, i));
        }
        let fields = [summary::FIELDS_READ, flannel::FIELDS_READ].concat();
        Comparison {
            dissector,
            summary: Dissection::recording(&fields),
            options,
            captures: names
                .into_iter()
                .map(|name| Capture {
                    name,
                    ..Capture::default()
                })
                .collect(),
            pairs: (0..pairs).map(|_| Pair::default()).collect(),
            directions: HashMap::default(),
            recent: (0..n).map(|_| Recent::default()).collect(),
            counts: vec![FxHashMap::default(); 2 * pairs],
            hops,
            now: i64::MIN,
            changes: Vec::new(),
            sink: None,
        }
    }

    /// Hands every matched packet to `sink` as it is found.
    pub fn on_match(&mut self, sink: impl FnMut(&MatchedPair<'_>) + 'd) {
        self.sink = Some(Box::new(sink));
    }

    /// The hop of a pair in a direction.
    fn hop_index(&self, pair: usize, direction: Direction) -> usize {
        match direction {
            Direction::Forward => pair,
            Direction::Reverse => 2 * self.pairs.len() - 1 - pair,
        }
    }

    /// Packets held (pending in every pair), for tests and memory checks.
    pub fn in_flight(&self) -> usize {
        self.pairs
            .iter()
            .map(|p| p.pending[0].len() + p.pending[1].len())
            .sum()
    }

    /// Adds what capture `capture` saw; observations of all captures must come in time order (as far as the
    /// captures themselves are).
    pub fn push(&mut self, capture: usize, mut obs: Observation) {
        let window = self.options.window_ns;
        if obs.ts > self.now {
            self.now = obs.ts;
            self.expire(self.now.saturating_sub(window));
        }
        let c = &mut self.captures[capture];
        c.frames += 1;
        c.first_ts.get_or_insert(obs.ts);
        c.last_ts = Some(c.last_ts.map_or(obs.ts, |t| t.max(obs.ts)));
        c.encapsulated += u64::from(obs.attrs.tunnel.is_some());
        let Some(key) = obs.key else {
            c.unfollowable += 1;
            return;
        };
        obs.duplicate = self.recent_duplicate(capture, obs.hashes.exact, obs.ts);
        if obs.duplicate {
            self.captures[capture].duplicates += 1;
        }
        if capture > 0 {
            self.offer(capture - 1, 1, &key, &obs);
        }
        if capture + 1 < self.captures.len() {
            self.offer(capture, 0, &key, &obs);
        }
    }

    fn recent_duplicate(&mut self, capture: usize, h: u64, ts: i64) -> bool {
        let window = self.options.window_ns;
        let r = &mut self.recent[capture];
        while let Some(&(old, at)) = r.order.front() {
            if at >= ts.saturating_sub(window) {
                break;
            }
            r.order.pop_front();
            if r.last.get(&old) == Some(&at) {
                r.last.remove(&old);
            }
        }
        let dup = r.last.get(&h).is_some_and(|&at| (ts - at).abs() <= window);
        r.last.insert(h, ts);
        r.order.push_back((h, ts));
        dup
    }

    fn offer(&mut self, pair: usize, side: usize, key: &ExactKey, obs: &Observation) {
        let window = self.options.window_ns;
        let other = 1 - side;
        let p = &mut self.pairs[pair];
        let found = p.pending[other]
            .take_exact(key, obs.hashes.exact, obs.ts, window)
            .map(|o| (o, false))
            .or_else(|| {
                p.pending[other]
                    .take_nat(&key.rest, obs.hashes.nat, obs.ts, window, |k| {
                        k.src_endpoint() == key.src_endpoint()
                            || k.dst_endpoint() == key.dst_endpoint()
                    })
                    .map(|o| (o, true))
            });
        match found {
            Some((earlier, translated)) => {
                let (a, b) = if side == 1 {
                    (&earlier, obs)
                } else {
                    (obs, &earlier)
                };
                self.matched(pair, a, b, translated);
            }
            None => p.pending[side].insert(obs),
        }
    }

    /// `a` was seen at side 0 of the pair, `b` at side 1.
    fn matched(&mut self, pair: usize, a: &Observation, b: &Observation, translated: bool) {
        let p = &mut self.pairs[pair];
        let known = direction_in(&p.orientation[0], &a.hashes);
        let direction = known
            .or_else(|| direction_in(&self.directions, &a.hashes))
            .unwrap_or(if a.ts <= b.ts {
                Direction::Forward
            } else {
                Direction::Reverse
            });
        if known.is_none() {
            p.orientation[0].entry(a.hashes.pair).or_insert(direction);
            p.orientation[1].entry(b.hashes.pair).or_insert(direction);
            self.directions.entry(a.hashes.pair).or_insert(direction);
            self.directions.entry(b.hashes.pair).or_insert(direction);
        }
        let (from, to) = match direction {
            Direction::Forward => (a, b),
            Direction::Reverse => (b, a),
        };
        let index = self.hop_index(pair, direction);
        let hop = &mut self.hops[index];
        hop.matched += 1;
        hop.translated += u64::from(translated);
        hop.duplicates_from += u64::from(from.duplicate);
        hop.duplicates_to += u64::from(to.duplicate);
        hop.latencies.add(to.ts - from.ts, to.ts);
        changes_between(from, to, &mut self.changes);
        // One side saw the packet in outer IP fragments (this is the first), the other whole.
        if a.fragmented() != b.fragmented() {
            let (side, first) = if a.fragmented() { (0, a) } else { (1, b) };
            if let Some(f) = first.outer_fragment {
                self.pairs[pair].split[side].insert(f.datagram, direction, a.ts.max(b.ts));
            }
        }
        let counts = &mut self.counts[index];
        for c in &self.changes {
            *counts.entry(*c).or_insert(0) += 1;
        }
        if let Some(sink) = self.sink.as_mut() {
            sink(&MatchedPair {
                hop: index,
                direction,
                from: hop.from,
                to: hop.to,
                from_frame: from.frame,
                to_frame: to.frame,
                from_ts: from.ts,
                to_ts: to.ts,
                changes: &self.changes,
            });
        }
    }

    /// Reports the packets pending since before `cutoff` as missing.
    fn expire(&mut self, cutoff: i64) {
        let window = self.options.window_ns;
        for pair in 0..self.pairs.len() {
            for side in 0..2 {
                while let Some(obs) = self.pairs[pair].pending[side].pop_expired(cutoff) {
                    self.unmatched(pair, side, obs);
                }
                // The later fragments of a datagram come within the window of its first.
                self.pairs[pair].split[side].forget_before(cutoff.saturating_sub(window));
            }
        }
    }

    fn unmatched(&mut self, pair: usize, side: usize, obs: Observation) {
        let key = obs.key.expect("key");
        // A later fragment of a datagram split or joined on this hop: it goes with its first.
        if let Some(f) = obs.outer_fragment
            && !f.first
            && let Some(direction) = self.pairs[pair].split[side].direction(f.datagram)
        {
            let index = self.hop_index(pair, direction);
            let at_from = (side == 0) == (direction == Direction::Forward);
            let u = Unmatched {
                frame: obs.frame,
                ts: obs.ts,
                summary: self.summarize(&obs),
            };
            let hop = &mut self.hops[index];
            if at_from {
                hop.fragments_from.push(u);
            } else {
                hop.fragments_to.push(u);
            }
            return;
        }
        let direction = direction_in(&self.pairs[pair].orientation[side], &obs.hashes)
            .or_else(|| direction_in(&self.directions, &obs.hashes))
            .unwrap_or(if side == 0 {
                Direction::Forward
            } else {
                Direction::Reverse
            });
        let index = self.hop_index(pair, direction);
        let at_from = (side == 0) == (direction == Direction::Forward);
        let hop = &mut self.hops[index];
        if at_from {
            hop.duplicates_from += u64::from(obs.duplicate);
        } else {
            hop.duplicates_to += u64::from(obs.duplicate);
        }
        // ARP and IPv6 neighbour discovery, packets from or to a node's own addresses (flannel.1's X.0, cni0's
        // X.1, and its underlay address where the other capture is of the overlay), and packets whose
        // addresses never leave their link (IGMP and MLD reports, link-local multicast, link-local unicast)
        // begin or end beside the path: not forwarding them is not a loss.
        let topo = self.dissector.topology();
        let other = &self.captures[pair + 1 - side];
        // Traffic of the nodes' own underlay addresses outside any tunnel (an ICMP error one node sends
        // another, their ARP) never enters a capture that saw no VXLAN (flannel.1, cni0, a pod's veth): at such
        // a hop it ends, or begins, at the node.
        let underlay_at_overlay = obs.attrs.tunnel.is_none()
            && other.encapsulated == 0
            && [key.src, key.dst]
                .iter()
                .any(|ip| topo.node_by_ip(ip).is_some());
        let local = key.rest.family == 0
            || neighbour_discovery(&key)
            || underlay_at_overlay
            || [key.src, key.dst].iter().any(|ip| {
                stays_on_its_link(ip) || matches!(topo.role_of(ip), Role::Vtep | Role::Gateway)
            });
        // Outside the time the other capture covers (before its first packet, or after its last once it
        // ended): it may not have been capturing, nothing can be said.
        // With the captures known to have run together, only a capture that stopped at damage leaves time
        // uncovered (after the damage).
        let after_last = other.ended && other.last_ts.is_none_or(|l| obs.ts > l);
        let outside = if self.options.captured_together {
            other.error.is_some() && after_last
        } else {
            other.first_ts.is_none_or(|first| obs.ts < first) || after_last
        };
        if outside && !local {
            self.hops[index].not_compared += 1;
            return;
        }
        let u = Unmatched {
            frame: obs.frame,
            ts: obs.ts,
            summary: self.summarize(&obs),
        };
        let hop = &mut self.hops[index];
        match (local, at_from) {
            (true, true) => hop.local_from.push(u),
            (true, false) => hop.local_to.push(u),
            (false, true) => hop.only_in_from.push(u),
            (false, false) => hop.only_in_to.push(u),
        }
    }

    fn summarize(&mut self, obs: &Observation) -> String {
        self.dissector.dissect(
            obs.head.link_type,
            obs.head.frame(),
            obs.head.wire_len,
            &mut self.summary,
        );
        let mut out = Vec::with_capacity(128);
        summary::write(&mut out, &self.summary, obs.head.frame());
        // The snap length of the kept head is not the capture's: a cut frame is not news here.
        String::from_utf8_lossy(&out).replace(" [malformed.truncated]", "")
    }

    /// Capture `capture` has no more packets (`error`: it stopped at damage).
    pub fn end(&mut self, capture: usize, error: Option<String>) {
        let c = &mut self.captures[capture];
        c.ended = true;
        c.error = error;
    }

    /// Reports what is still pending as missing, and sums up.
    pub fn finish(mut self) -> Report {
        for c in &mut self.captures {
            c.ended = true;
        }
        self.expire(i64::MAX);
        let topology = self.dissector.topology().clone();
        let mut hops = std::mem::take(&mut self.hops);
        for (hop, counts) in hops.iter_mut().zip(self.counts.drain(..)) {
            let mut changes: Vec<(Change, u64)> = counts.into_iter().collect();
            changes.sort_by(|a, b| {
                b.1.cmp(&a.1)
                    .then_with(|| a.0.kind().cmp(b.0.kind()))
                    .then_with(|| a.0.describe(&topology).cmp(&b.0.describe(&topology)))
            });
            hop.changes = changes;
            for list in [
                &mut hop.only_in_from,
                &mut hop.only_in_to,
                &mut hop.local_from,
                &mut hop.local_to,
                &mut hop.fragments_from,
                &mut hop.fragments_to,
            ] {
                list.sort_by_key(|u| u.frame);
            }
            hop.clock = clock_suspicions(hop);
        }
        // Asymmetry between the two directions of a pair.
        let pairs = self.pairs.len();
        for pair in 0..pairs {
            let (f, r) = (pair, 2 * pairs - 1 - pair);
            if let (Some(fl), Some(rl)) = (hops[f].latency(), hops[r].latency()) {
                let offset = (fl.min - rl.min) / 2;
                let least = fl.min.abs().min(rl.min.abs());
                if offset.abs() > 1_000_000 && offset.abs() > 10 * least {
                    let s = ClockSuspicion::Asymmetry {
                        forward_min: fl.min,
                        reverse_min: rl.min,
                    };
                    hops[f].clock.push(s.clone());
                    hops[r].clock.push(s);
                }
            }
        }
        Report {
            captures: self.captures,
            hops,
            window_ns: self.options.window_ns,
            topology,
        }
    }
}

fn clock_suspicions(hop: &Hop) -> Vec<ClockSuspicion> {
    let mut out = Vec::new();
    let Some(l) = hop.latency() else {
        return out;
    };
    if l.negative > 0 {
        out.push(ClockSuspicion::Negative {
            count: l.negative,
            by: -l.min,
        });
    }
    if let Some(drift) = l.drift
        && drift.abs() > 100_000
        && drift.abs() > 2 * (l.p99 - l.min)
    {
        out.push(ClockSuspicion::Drift {
            drift,
            span_s: l.span_s,
        });
    }
    out
}

/// ICMPv6 neighbour discovery (RFC 4861: router and neighbour solicitations and advertisements, redirects),
/// which no router forwards, whatever its addresses: IPv6's ARP.
fn neighbour_discovery(key: &ExactKey) -> bool {
    key.rest.family == 6 && key.rest.proto == 58 && matches!(key.rest.l4[0] >> 8, 133..=137)
}

/// An address no router forwards: the unspecified and broadcast addresses, IPv4 link-local (169.254/16) and
/// the local network control block (224.0.0.0/24: IGMP reports, routing protocols), IPv6 link-local unicast
/// (fe80::/10) and multicast of interface or link scope (ff01::/16, ff02::/16: MLD, neighbour discovery).
fn stays_on_its_link(ip: &IpBytes) -> bool {
    match ip {
        IpBytes::V4(a) => {
            *a == [0; 4] || *a == [255; 4] || a[..2] == [169, 254] || a[..3] == [224, 0, 0]
        }
        IpBytes::V6(a) => {
            *a == [0; 16]
                || (a[0] == 0xfe && a[1] & 0xc0 == 0x80)
                || (a[0] == 0xff && a[1] & 0x0f <= 2)
        }
    }
}
