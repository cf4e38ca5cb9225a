//! `vxscope compare`: follow packets across captures taken at successive hops of a path (a pod's `eth0`, the
//! node's veth, `cni0`, `flannel.1`, the node NIC, the other node's NIC, ...).
//!
//! Each frame is dissected ([`observe`]) into its match key (what survives the path: inner addresses,
//! protocol, IP identification, L4 header, length, a hash of the payload; VXLAN looked through) and the
//! attributes that may change on the way. The [`Comparison`] matches the observations of consecutive captures
//! within a time window and counts what changed; [`Report`] is the result, and [`render`] its views (table,
//! JSON, CSV of the matched pairs, SVG and HTML pictures). Memory holds the packets in flight within the
//! window, not the captures.
//!
//! Reading the captures is the caller's: it turns each frame into an [`Observation`] with an [`Observer`] and
//! feeds them, merged in time order, to the comparison ([`merge`]).

pub mod change;
pub mod matcher;
pub mod observe;
mod pending;
mod prehashed;
pub mod render;
pub mod report;
pub mod stats;

pub use matcher::{Comparison, MatchedPair, Options};
pub use observe::{FrameRef, Observation, Observer};
pub use report::{Direction, Report};

/// Feeds the observations of every capture (`sources[i]`, in each capture's order) to `comparison` merged in
/// time order (ties go to the earlier capture of the path). A source that yields an error has stopped at
/// damage: what it gave before is compared, and the error is kept in the report.
pub fn merge<I>(comparison: &mut Comparison<'_>, sources: Vec<I>)
where
    I: Iterator<Item = Result<Observation, String>>,
{
    let mut sources = sources;
    let mut heads: Vec<Option<Observation>> = Vec::with_capacity(sources.len());
    for (i, source) in sources.iter_mut().enumerate() {
        heads.push(next(comparison, i, source));
    }
    loop {
        let mut best: Option<(usize, i64)> = None;
        for (i, h) in heads.iter().enumerate() {
            if let Some(o) = h
                && best.is_none_or(|(_, ts)| o.ts < ts)
            {
                best = Some((i, o.ts));
            }
        }
        let Some((i, _)) = best else { break };
        let obs = heads[i].take().expect("head");
        comparison.push(i, obs);
        heads[i] = next(comparison, i, &mut sources[i]);
    }
}

fn next<I>(comparison: &mut Comparison<'_>, i: usize, source: &mut I) -> Option<Observation>
where
    I: Iterator<Item = Result<Observation, String>>,
{
    match source.next() {
        Some(Ok(o)) => Some(o),
        Some(Err(e)) => {
            comparison.end(i, Some(e));
            None
        }
        None => {
            comparison.end(i, None);
            None
        }
    }
}
