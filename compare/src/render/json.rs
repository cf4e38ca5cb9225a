//! `--json`: the report as one JSON object, `{"hops": [...]}` with one entry a pair of consecutive captures
//! and a direction (the forward ones first), and the captures read.

use serde_json::{Value, json};

use crate::report::{Hop, Report, Unmatched};

fn us(ns: i64) -> Value {
    json!((ns as f64) / 1e3)
}

fn packets(list: &[Unmatched]) -> Value {
    list.iter()
        .map(|u| json!({"frame": u.frame, "ts": ts_text(u.ts), "summary": u.summary}))
        .collect()
}

/// Seconds since the epoch with nine decimals, as text (a float would lose the nanoseconds).
pub fn ts_text(ns: i64) -> String {
    format!(
        "{}.{:09}",
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000)
    )
}

fn hop(report: &Report, h: &Hop) -> Value {
    let latency = match h.latency() {
        Some(l) => json!({
            "min": us(l.min), "median": us(l.median), "p99": us(l.p99), "max": us(l.max),
            "negative": l.negative,
        }),
        None => Value::Null,
    };
    let changes: Vec<Value> = h
        .changes
        .iter()
        .map(|(c, n)| {
            let mut m = c.json(&report.topology);
            m.insert("count".into(), json!(n));
            Value::Object(m)
        })
        .collect();
    let clock: Vec<Value> = h
        .clock
        .iter()
        .map(|s| json!({"suspicion": s.kind(), "text": s.describe()}))
        .collect();
    json!({
        "from": report.name(h.from),
        "to": report.name(h.to),
        "direction": h.direction.word(),
        "matched": h.matched,
        "translated": h.translated,
        "only_in_from": h.only_in_from.iter().map(|u| u.frame).collect::<Vec<_>>(),
        "only_in_to": h.only_in_to.iter().map(|u| u.frame).collect::<Vec<_>>(),
        "only_in_from_packets": packets(&h.only_in_from),
        "only_in_to_packets": packets(&h.only_in_to),
        "local": {
            "from": h.local_from.iter().map(|u| u.frame).collect::<Vec<_>>(),
            "to": h.local_to.iter().map(|u| u.frame).collect::<Vec<_>>(),
            "from_packets": packets(&h.local_from),
            "to_packets": packets(&h.local_to),
        },
        "fragments": {
            "from": h.fragments_from.iter().map(|u| u.frame).collect::<Vec<_>>(),
            "to": h.fragments_to.iter().map(|u| u.frame).collect::<Vec<_>>(),
            "from_packets": packets(&h.fragments_from),
            "to_packets": packets(&h.fragments_to),
        },
        "duplicates": {"from": h.duplicates_from, "to": h.duplicates_to},
        "not_compared": h.not_compared,
        "latency_us": latency,
        "changes": changes,
        "clock_skew_suspected": !h.clock.is_empty(),
        "clock": clock,
    })
}

/// The report as a JSON value.
pub fn value(report: &Report) -> Value {
    let captures: Vec<Value> = report
        .captures
        .iter()
        .map(|c| {
            json!({
                "file": c.name,
                "frames": c.frames,
                "unfollowable": c.unfollowable,
                "duplicates": c.duplicates,
                "first_ts": c.first_ts.map(ts_text),
                "last_ts": c.last_ts.map(ts_text),
                "error": c.error,
            })
        })
        .collect();
    json!({
        "window_us": us(report.window_ns),
        "complete": report.complete(),
        "captures": captures,
        "hops": report.hops.iter().map(|h| hop(report, h)).collect::<Vec<_>>(),
    })
}

/// The report as pretty-printed JSON, with a final newline.
pub fn write(out: &mut Vec<u8>, report: &Report) {
    // Serializing a `Value` into a Vec cannot fail.
    let _ = serde_json::to_writer_pretty(&mut *out, &value(report));
    out.push(b'\n');
}
