//! The default view: the captures, a table of the hops (matched, missing, latency), then for each hop that saw
//! anything what changed on the way, the packets missing with their summaries, and clock warnings.

use std::fmt::Write as _;

use crate::report::{Hop, Report, Unmatched, us, window_text};

/// Missing packets listed for each side of a hop, and kinds of change; `--json` lists them all.
pub const LISTED: usize = 20;

fn opt_us(v: Option<i64>) -> String {
    v.map_or_else(|| "-".into(), us)
}

/// Pads `s` to `w` characters (not bytes: names and arrows are not ASCII).
fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}

fn lpad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    format!("{}{s}", " ".repeat(w.saturating_sub(n)))
}

fn hop_name(report: &Report, h: &Hop) -> String {
    format!("{} → {}", report.name(h.from), report.name(h.to))
}

fn list(out: &mut String, title: &str, packets: &[Unmatched]) {
    if packets.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {title} ({}):", packets.len());
    for u in packets.iter().take(LISTED) {
        let _ = writeln!(out, "    frame {:<7} {}", u.frame, u.summary);
    }
    if packets.len() > LISTED {
        let _ = writeln!(
            out,
            "    ... and {} more (--json lists them all)",
            packets.len() - LISTED
        );
    }
}

/// Writes the report as text.
pub fn write(out: &mut Vec<u8>, report: &Report) {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "vxscope compare: {} captures in path order, window {}",
        report.captures.len(),
        window_text(report.window_ns)
    );
    for (i, c) in report.captures.iter().enumerate() {
        let _ = write!(s, "  {}. {}: {} frames", i + 1, c.name, c.frames);
        if c.unfollowable > 0 {
            let _ = write!(s, " ({} neither IP nor ARP)", c.unfollowable);
        }
        if c.duplicates > 0 {
            let _ = write!(s, ", {} duplicates", c.duplicates);
        }
        if let Some(e) = &c.error {
            let _ = write!(s, "; reading stopped: {e}");
        }
        s.push('\n');
    }
    s.push('\n');

    let names: Vec<String> = report.hops.iter().map(|h| hop_name(report, h)).collect();
    let w = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(3);
    let _ = writeln!(
        s,
        "{} {} {} {} {} {} {} {} {}",
        pad("direction", 9),
        pad("hop", w),
        lpad("matched", 8),
        lpad("lost", 6),
        lpad("extra", 6),
        lpad("min µs", 10),
        lpad("median µs", 10),
        lpad("p99 µs", 10),
        lpad("max µs", 10),
    );
    for (h, name) in report.hops.iter().zip(&names) {
        let l = h.latency();
        let _ = writeln!(
            s,
            "{} {} {} {} {} {} {} {} {}",
            pad(h.direction.word(), 9),
            pad(name, w),
            lpad(&h.matched.to_string(), 8),
            lpad(&h.only_in_from.len().to_string(), 6),
            lpad(&h.only_in_to.len().to_string(), 6),
            lpad(&opt_us(l.map(|l| l.min)), 10),
            lpad(&opt_us(l.map(|l| l.median)), 10),
            lpad(&opt_us(l.map(|l| l.p99)), 10),
            lpad(&opt_us(l.map(|l| l.max)), 10),
        );
    }
    let _ = writeln!(
        s,
        "(lost: seen at the first capture of the hop and not at the second; extra: the reverse)"
    );

    for (h, name) in report.hops.iter().zip(&names) {
        if h.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{} {name}", h.direction.word());
        let _ = write!(s, "  matched {}", h.matched);
        if h.translated > 0 {
            let _ = write!(s, " ({} through NAT)", h.translated);
        }
        if h.duplicates_from + h.duplicates_to > 0 {
            let _ = write!(
                s,
                ", duplicates {} / {}",
                h.duplicates_from, h.duplicates_to
            );
        }
        if h.not_compared > 0 {
            let _ = write!(
                s,
                ", {} not compared (outside the other capture's time; --captured-together counts them lost \
                 if it was capturing)",
                h.not_compared
            );
        }
        s.push('\n');
        if h.changes.is_empty() && h.matched > 0 {
            let _ = writeln!(s, "  changes: none");
        }
        for (c, n) in h.changes.iter().take(LISTED) {
            let _ = writeln!(s, "  changed {n}: {}", c.describe(&report.topology));
        }
        if h.changes.len() > LISTED {
            let _ = writeln!(
                s,
                "  ... and {} other changes (--json lists them all)",
                h.changes.len() - LISTED
            );
        }
        list(
            &mut s,
            &format!("only in {}", report.name(h.from)),
            &h.only_in_from,
        );
        list(
            &mut s,
            &format!("only in {}", report.name(h.to)),
            &h.only_in_to,
        );
        list(
            &mut s,
            &format!(
                "not forwarded, beside the path (ARP, a node's own address), at {}",
                report.name(h.from)
            ),
            &h.local_from,
        );
        list(
            &mut s,
            &format!(
                "not forwarded, beside the path (ARP, a node's own address), at {}",
                report.name(h.to)
            ),
            &h.local_to,
        );
        for (at, fragments) in [(h.from, &h.fragments_from), (h.to, &h.fragments_to)] {
            list(
                &mut s,
                &format!(
                    "later outer IP fragments of packets matched whole at the other capture (neither lost \
                     nor extra), at {}",
                    report.name(at)
                ),
                fragments,
            );
        }
        for c in &h.clock {
            let _ = writeln!(s, "  clock skew suspected: {}", c.describe());
        }
    }
    out.extend_from_slice(s.as_bytes());
}
