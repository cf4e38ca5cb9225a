//! `--format html`: one self-contained page for an incident report — the picture of the path
//! ([`super::svg`]), the table of the hops, and for each hop what changed, the packets missing with their
//! summaries, and clock warnings. Nothing is fetched; no script.

use std::fmt::Write as _;

use vxscope_dissector::render::markup::escape;

use crate::report::{Report, Unmatched, us};

const STYLE: &str = "body{font-family:DejaVu Sans,Noto Sans,Arial,sans-serif;margin:1.5em;color:#111}\
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #999;padding:2px 8px;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.loss{color:#b00020;font-weight:bold}\
code,pre{font-family:DejaVu Sans Mono,Noto Sans Mono,monospace}h2{font-size:1.1em;margin-top:1.5em}\
@media print{svg{max-width:100%;height:auto}}";

fn packets(s: &mut String, title: &str, list: &[Unmatched]) {
    if list.is_empty() {
        return;
    }
    let _ = write!(
        s,
        "<p>{} ({}):</p>\n<table><tr><th>frame</th><th>summary</th></tr>\n",
        escape(title),
        list.len()
    );
    for u in list {
        let _ = writeln!(
            s,
            "<tr><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
            u.frame,
            escape(&u.summary)
        );
    }
    s.push_str("</table>\n");
}

/// Writes the page.
pub fn write(out: &mut Vec<u8>, report: &Report) {
    let mut s = String::new();
    let title = format!(
        "vxscope compare: {} captures in path order",
        report.captures.len()
    );
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    s.push_str(&super::svg::picture(report, Some("path-")));
    s.push_str("<h2>Captures</h2>\n<table><tr><th>#</th><th>capture</th><th>frames</th><th>inside VXLAN</th><th>neither IP nor ARP</th><th>duplicates</th><th>read</th></tr>\n");
    for (i, c) in report.captures.iter().enumerate() {
        let _ = writeln!(
            s,
            "<tr><td class=\"n\">{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            i + 1,
            escape(&c.name),
            c.frames,
            c.encapsulated,
            c.unfollowable,
            c.duplicates,
            escape(c.error.as_deref().unwrap_or("to the end"))
        );
    }
    s.push_str("</table>\n<h2>Hops</h2>\n<table><tr><th>direction</th><th>from</th><th>to</th><th>matched</th><th>lost</th><th>extra</th><th>min µs</th><th>median µs</th><th>p99 µs</th><th>max µs</th></tr>\n");
    for h in &report.hops {
        let l = h.latency();
        let f = |v: Option<i64>| v.map_or_else(|| "-".to_string(), us);
        let class = |n: usize| if n > 0 { " loss" } else { "" };
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n{}\">{}</td><td class=\"n{}\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            h.direction.word(),
            escape(report.name(h.from)),
            escape(report.name(h.to)),
            h.matched,
            class(h.only_in_from.len()),
            h.only_in_from.len(),
            class(h.only_in_to.len()),
            h.only_in_to.len(),
            f(l.map(|l| l.min)),
            f(l.map(|l| l.median)),
            f(l.map(|l| l.p99)),
            f(l.map(|l| l.max)),
        );
    }
    s.push_str("</table>\n<p>lost: seen at the first capture of the hop and not at the second; extra: the reverse.</p>\n");
    for h in report.hops.iter().filter(|h| !h.is_empty()) {
        let _ = writeln!(
            s,
            "<h2>{} <code>{}</code> → <code>{}</code></h2>",
            h.direction.word(),
            escape(report.name(h.from)),
            escape(report.name(h.to))
        );
        if !h.changes.is_empty() {
            s.push_str("<table><tr><th>packets</th><th>changed on the way</th></tr>\n");
            for (c, n) in &h.changes {
                let _ = writeln!(
                    s,
                    "<tr><td class=\"n\">{n}</td><td>{}</td></tr>",
                    escape(&c.describe(&report.topology))
                );
            }
            s.push_str("</table>\n");
        }
        packets(
            &mut s,
            &format!("only in {}", report.name(h.from)),
            &h.only_in_from,
        );
        packets(
            &mut s,
            &format!("only in {}", report.name(h.to)),
            &h.only_in_to,
        );
        packets(
            &mut s,
            &format!("not forwarded, beside the path, at {}", report.name(h.from)),
            &h.local_from,
        );
        packets(
            &mut s,
            &format!("not forwarded, beside the path, at {}", report.name(h.to)),
            &h.local_to,
        );
        for (at, fragments) in [(h.from, &h.fragments_from), (h.to, &h.fragments_to)] {
            packets(
                &mut s,
                &format!(
                    "later outer IP fragments of packets matched whole, at {}",
                    report.name(at)
                ),
                fragments,
            );
        }
        for c in &h.clock {
            let _ = writeln!(
                s,
                "<p class=\"loss\">clock skew suspected: {}</p>",
                escape(&c.describe())
            );
        }
    }
    s.push_str("</body></html>\n");
    out.extend_from_slice(s.as_bytes());
}
