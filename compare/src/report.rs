//! The result of a comparison: the captures, and for each pair of consecutive captures and each direction a
//! [`Hop`]. Renderers (`render::*`) are views of this.

use vxscope_dissector::flannel::Topology;

use crate::change::Change;
use crate::stats::{Latencies, LatencySummary};

/// Which way packets travel along the path: in the order the captures were given, or back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Forward,
    Reverse,
}

impl Direction {
    pub fn word(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Reverse => "reverse",
        }
    }

    pub fn opposite(self) -> Direction {
        match self {
            Direction::Forward => Direction::Reverse,
            Direction::Reverse => Direction::Forward,
        }
    }
}

/// One capture of the path.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    pub name: String,
    /// Frames read.
    pub frames: u64,
    /// Frames that are neither IP nor ARP: nothing to follow.
    pub unfollowable: u64,
    /// Packets seen again within the window (same key).
    pub duplicates: u64,
    /// Frames seen inside VXLAN.
    pub encapsulated: u64,
    /// Nanoseconds since the epoch of the first and the last frame read.
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    /// Why reading stopped before the end (the file, frame and byte offset are in the message).
    pub error: Option<String>,
    /// Whether reading is over (at the end, or at the damage).
    pub ended: bool,
}

/// A packet one hop saw and the other did not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmatched {
    pub frame: u64,
    pub ts: i64,
    /// The one-line summary, as `vxscope dissect` prints it.
    pub summary: String,
}

/// Why the clocks of two captures are suspect.
#[derive(Clone, Debug, PartialEq)]
pub enum ClockSuspicion {
    /// Packets arrived before they left: the clocks differ by at least `by` ns.
    Negative { count: u64, by: i64 },
    /// The latency changed by `drift` ns over `span_s` seconds, as a clock running at another rate does.
    Drift { drift: i64, span_s: f64 },
    /// The least latencies of the two directions differ by `offset` ns (twice the clock offset, if the path is
    /// symmetric).
    Asymmetry { forward_min: i64, reverse_min: i64 },
}

impl ClockSuspicion {
    pub fn kind(&self) -> &'static str {
        match self {
            ClockSuspicion::Negative { .. } => "negative",
            ClockSuspicion::Drift { .. } => "drift",
            ClockSuspicion::Asymmetry { .. } => "asymmetry",
        }
    }

    pub fn describe(&self) -> String {
        match *self {
            ClockSuspicion::Negative { count, by } => format!(
                "{count} packet{} arrived before {} left: the clocks differ by at least {} µs",
                if count == 1 { "" } else { "s" },
                if count == 1 { "it" } else { "they" },
                us(by)
            ),
            ClockSuspicion::Drift { drift, span_s } => format!(
                "the latency drifts by {} µs over {span_s:.1} s: the clocks run at different rates",
                us(drift)
            ),
            ClockSuspicion::Asymmetry {
                forward_min,
                reverse_min,
            } => format!(
                "the least latencies of the two directions differ ({} µs forward, {} µs reverse): the clocks are \
                 about {} µs apart",
                us(forward_min),
                us(reverse_min),
                us((forward_min - reverse_min) / 2)
            ),
        }
    }
}

/// Nanoseconds as microseconds with three decimals, trailing zeros dropped.
pub fn us(ns: i64) -> String {
    let s = format!("{:.3}", ns as f64 / 1e3);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// A window as the reports write it: `1 s`, `200 ms`, `500 µs`.
pub fn window_text(ns: i64) -> String {
    if ns % 1_000_000_000 == 0 {
        format!("{} s", ns / 1_000_000_000)
    } else if ns % 1_000_000 == 0 {
        format!("{} ms", ns / 1_000_000)
    } else {
        format!("{} µs", us(ns))
    }
}

/// One pair of consecutive captures in one direction: `from` saw the packets first.
#[derive(Clone)]
pub struct Hop {
    pub direction: Direction,
    /// Indices into [`Report::captures`].
    pub from: usize,
    pub to: usize,
    pub matched: u64,
    /// Of the matched packets, those found only by the part of the key NAT leaves.
    pub translated: u64,
    /// Seen at `from`, not at `to`.
    pub only_in_from: Vec<Unmatched>,
    /// Seen at `to`, not at `from`.
    pub only_in_to: Vec<Unmatched>,
    /// Unmatched packets that begin or end beside the path, seen at `from` and at `to`: ARP (it stays on its
    /// link), packets from or to a node's own flannel addresses (flannel.1's X.0, cni0's X.1), and packets whose
    /// addresses no router forwards (IGMP and MLD reports, link-local multicast and unicast).
    pub local_from: Vec<Unmatched>,
    pub local_to: Vec<Unmatched>,
    /// Outer IP fragments after the first, of packets one capture saw in fragments and the other whole (split
    /// on the way to `to`, or joined again before it): they belong to the packet their first fragment matched,
    /// and are neither lost nor extra. Seen at `from` and at `to`.
    pub fragments_from: Vec<Unmatched>,
    pub fragments_to: Vec<Unmatched>,
    /// Duplicates (the same key again within the window) among this hop's packets, at each capture.
    pub duplicates_from: u64,
    pub duplicates_to: u64,
    /// Unmatched packets outside the time the other capture covers (before its first packet, after its last
    /// once it ended, as at damage), which say nothing of losses.
    pub not_compared: u64,
    pub latencies: Latencies,
    /// Each change and how many matched packets it happened to, most frequent first.
    pub changes: Vec<(Change, u64)>,
    pub clock: Vec<ClockSuspicion>,
}

impl Hop {
    pub fn new(direction: Direction, from: usize, to: usize) -> Hop {
        Hop {
            direction,
            from,
            to,
            matched: 0,
            translated: 0,
            only_in_from: Vec::new(),
            only_in_to: Vec::new(),
            local_from: Vec::new(),
            local_to: Vec::new(),
            fragments_from: Vec::new(),
            fragments_to: Vec::new(),
            duplicates_from: 0,
            duplicates_to: 0,
            not_compared: 0,
            latencies: Latencies::default(),
            changes: Vec::new(),
            clock: Vec::new(),
        }
    }

    pub fn latency(&self) -> Option<LatencySummary> {
        self.latencies.summary()
    }

    /// Whether the hop saw anything at all.
    pub fn is_empty(&self) -> bool {
        self.matched == 0
            && self.only_in_from.is_empty()
            && self.only_in_to.is_empty()
            && self.local_from.is_empty()
            && self.local_to.is_empty()
            && self.fragments_from.is_empty()
            && self.fragments_to.is_empty()
            && self.not_compared == 0
    }
}

/// Everything a comparison found.
pub struct Report {
    pub captures: Vec<Capture>,
    /// The forward hops in path order, then the reverse hops in their travel order.
    pub hops: Vec<Hop>,
    pub window_ns: i64,
    /// The topology the nodes and pods are named from.
    pub topology: Topology,
}

impl Report {
    /// Whether every capture was read to its end.
    pub fn complete(&self) -> bool {
        self.captures.iter().all(|c| c.error.is_none())
    }

    /// The name of a capture by index.
    pub fn name(&self, i: usize) -> &str {
        &self.captures[i].name
    }
}
