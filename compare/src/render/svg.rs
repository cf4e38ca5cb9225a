//! `--format svg`: the path as a chain of hops, top to bottom — a box for each capture (its name, frames, how
//! many inside VXLAN), and between two captures a row for each direction: matched, lost and extra (losses
//! marked), the latency as a histogram over a box plot (min, median, p99, max), and what changed on the way.
//! One self-contained SVG (nothing fetched), in the layer colours of the hex dumps, readable in black and
//! white (every figure is text; boxes are hatched).

use vxscope_dissector::i18n::Lang;
use vxscope_dissector::render::hexdump::Category;
use vxscope_dissector::render::svg::{MONO, Svg, text_width};

use crate::report::{Direction, Hop, Report, us, window_text};

const MARGIN: f64 = 16.0;
const BOX_W: f64 = 330.0;
const BOX_H: f64 = 42.0;
/// Height of one direction's row between two capture boxes.
const ROW_H: f64 = 46.0;
const GAP: f64 = 2.0 * ROW_H + 12.0;
/// Where the figures of a row start, the latency picture, and the changes.
const COUNTS_X: f64 = 44.0;
const PLOT_X: f64 = 400.0;
const PLOT_W: f64 = 240.0;
const CHANGES_X: f64 = PLOT_X + PLOT_W + 24.0;
const WIDTH: f64 = 1180.0;
const BINS: usize = 24;
const LOSS: &str = "#b00020";

/// The hop of a pair in a direction, if the report kept it.
fn hop_of(report: &Report, from: usize, to: usize) -> Option<&Hop> {
    report.hops.iter().find(|h| h.from == from && h.to == to)
}

/// Writes the picture as a standalone SVG document.
pub fn write(out: &mut Vec<u8>, report: &Report) {
    out.extend_from_slice(picture(report, None).as_bytes());
}

/// The picture: a document, or (with an id prefix) an `<svg>` element for an HTML page.
pub fn picture(report: &Report, inline: Option<&str>) -> String {
    let n = report.captures.len();
    // Boxes as wide as the longest name needs.
    let box_w = report
        .captures
        .iter()
        .enumerate()
        .map(|(i, c)| text_width(&format!("{}. {}", i + 1, c.name), 12.0, true) + 24.0)
        .fold(BOX_W, f64::max);
    let width = WIDTH.max(box_w + 2.0 * MARGIN);
    let height = 2.0 * MARGIN + 24.0 + n as f64 * BOX_H + n.saturating_sub(1) as f64 * GAP;
    let title = format!(
        "vxscope compare: {} captures in path order, window {}",
        n,
        window_text(report.window_ns)
    );
    let mut svg = match inline {
        None => Svg::document(width, height, Lang::En, &title),
        Some(prefix) => Svg::inline(width, height, Lang::En, &title, prefix),
    };
    svg.palette();
    svg.rect(0.0, 0.0, width, height, &[("fill", "#ffffff".into())]);
    svg.text(
        MARGIN,
        MARGIN + 12.0,
        &[("font-size", 14.0.into()), ("font-weight", "bold".into())],
        &title,
    );
    // What the boxes' fills say.
    let x = svg.legend_entry(
        width - MARGIN - 330.0,
        MARGIN + 12.0,
        Category::InnerLink,
        "capture of plain frames",
    );
    svg.legend_entry(x, MARGIN + 12.0, Category::Tunnel, "inside VXLAN");
    let top = MARGIN + 24.0;
    for (i, c) in report.captures.iter().enumerate() {
        let y = top + i as f64 * (BOX_H + GAP);
        let category = if c.encapsulated > 0 {
            Category::Tunnel
        } else {
            Category::InnerLink
        };
        svg.open("g", &[("class", "capture".into())]);
        let hatch = svg.hatch(category);
        svg.rect(
            MARGIN,
            y,
            box_w,
            BOX_H,
            &[
                ("fill", hatch.as_str().into()),
                ("stroke", "#202020".into()),
                ("rx", 4.0.into()),
            ],
        );
        // A plain band for the text, so hatching never runs through it.
        svg.rect(
            MARGIN + 4.0,
            y + 4.0,
            box_w - 8.0,
            BOX_H - 8.0,
            &[("fill", category.colour().into()), ("rx", 2.0.into())],
        );
        svg.text(
            MARGIN + 10.0,
            y + 18.0,
            &[("font-size", 12.0.into()), ("font-family", MONO.into())],
            &format!("{}. {}", i + 1, c.name),
        );
        let mut what = format!("{} frames", c.frames);
        if c.encapsulated > 0 {
            what.push_str(&format!(", {} inside VXLAN", c.encapsulated));
        }
        if c.error.is_some() {
            what.push_str(", damaged: read up to the damage");
        }
        svg.text(
            MARGIN + 10.0,
            y + 33.0,
            &[("font-size", 11.0.into())],
            &what,
        );
        svg.close();
        if i + 1 < n {
            let y0 = y + BOX_H;
            // The path between the two boxes.
            svg.line(
                (MARGIN + 14.0, y0),
                (MARGIN + 14.0, y0 + GAP),
                &[("stroke", "#606060".into()), ("stroke-width", 2.0.into())],
            );
            let rows = [
                (hop_of(report, i, i + 1), Direction::Forward),
                (hop_of(report, i + 1, i), Direction::Reverse),
            ];
            for (k, (hop, direction)) in rows.into_iter().enumerate() {
                if let Some(hop) = hop {
                    row(
                        &mut svg,
                        report,
                        hop,
                        direction,
                        y0 + 6.0 + k as f64 * ROW_H,
                    );
                }
            }
        }
    }
    svg.finish()
}

/// One direction of one hop, its top at `y`.
fn row(svg: &mut Svg, report: &Report, hop: &Hop, direction: Direction, y: f64) {
    svg.open(
        "g",
        &[
            ("class", "hop".into()),
            ("data-from", report.name(hop.from).into()),
            ("data-to", report.name(hop.to).into()),
            ("data-direction", direction.word().into()),
        ],
    );
    let arrow = match direction {
        Direction::Forward => "↓ forward",
        Direction::Reverse => "↑ reverse",
    };
    svg.text(
        COUNTS_X,
        y + 13.0,
        &[("font-size", 11.0.into()), ("font-weight", "bold".into())],
        arrow,
    );
    let lost = hop.only_in_from.len();
    let extra = hop.only_in_to.len();
    let mut x = COUNTS_X + 80.0;
    for (label, value, bad) in [
        ("matched", hop.matched as usize, false),
        ("lost", lost, lost > 0),
        ("extra", extra, extra > 0),
    ] {
        let text = format!("{label} {value}");
        let mut attrs: Vec<(&str, vxscope_dissector::render::svg::Attr<'_>)> =
            vec![("font-size", 11.0.into())];
        if bad {
            attrs.push(("fill", LOSS.into()));
            attrs.push(("font-weight", "bold".into()));
        }
        svg.text(x, y + 13.0, &attrs, &text);
        x += text_width(&text, 11.0, false) + 14.0;
    }
    if lost > 0 {
        let frames: Vec<String> = hop
            .only_in_from
            .iter()
            .take(8)
            .map(|u| u.frame.to_string())
            .collect();
        let more = if lost > 8 { ", ..." } else { "" };
        svg.text(
            COUNTS_X + 80.0,
            y + 28.0,
            &[("font-size", 10.0.into()), ("fill", LOSS.into())],
            &format!(
                "✕ lost at {}: frames {}{more}",
                report.name(hop.from),
                frames.join(", ")
            ),
        );
    }
    let mut notes = Vec::new();
    if !hop.local_from.is_empty() || !hop.local_to.is_empty() {
        notes.push(format!(
            "{} beside the path",
            hop.local_from.len() + hop.local_to.len()
        ));
    }
    let fragments = hop.fragments_from.len() + hop.fragments_to.len();
    if fragments > 0 {
        notes.push(format!("{fragments} later outer IP fragments"));
    }
    if hop.not_compared > 0 {
        notes.push(format!("{} not compared", hop.not_compared));
    }
    if !hop.clock.is_empty() {
        notes.push("clock skew suspected".into());
    }
    if !notes.is_empty() {
        svg.text(
            COUNTS_X + 80.0,
            y + if lost > 0 { 40.0 } else { 28.0 },
            &[("font-size", 10.0.into()), ("fill", "#404040".into())],
            &notes.join(" · "),
        );
    }
    latency(svg, hop, y);
    for (k, (change, count)) in hop.changes.iter().take(3).enumerate() {
        svg.text(
            CHANGES_X,
            y + 12.0 + k as f64 * 12.0,
            &[("font-size", 10.0.into()), ("class", "change".into())],
            &format!("{count} × {}", change.short(&report.topology)),
        );
    }
    if hop.changes.len() > 3 {
        svg.text(
            CHANGES_X,
            y + 12.0 + 36.0,
            &[("font-size", 10.0.into())],
            &format!("and {} more changes", hop.changes.len() - 3),
        );
    }
    svg.close();
}

/// The latency of a row: a histogram of `BINS` bars from min to max, a box plot under it (whiskers min and
/// max, the box from the median to p99, a bar at the median), and the figures.
fn latency(svg: &mut Svg, hop: &Hop, y: f64) {
    let Some(l) = hop.latency() else {
        svg.text(
            PLOT_X,
            y + 20.0,
            &[("font-size", 10.0.into()), ("fill", "#606060".into())],
            "no latency: nothing matched",
        );
        return;
    };
    let bins = hop.latencies.bins(BINS);
    let most = bins.iter().copied().max().unwrap_or(1).max(1) as f64;
    let bar_w = PLOT_W / BINS as f64;
    let hist_h = 16.0;
    svg.open("g", &[("class", "latency".into())]);
    for (i, count) in bins.iter().enumerate() {
        if *count == 0 {
            continue;
        }
        let h = (*count as f64 / most * hist_h).max(1.0);
        svg.rect(
            PLOT_X + i as f64 * bar_w,
            y + hist_h - h,
            (bar_w - 1.0).max(1.0),
            h,
            &[("fill", "#5a5a5a".into())],
        );
    }
    let span = (l.max - l.min).max(1) as f64;
    let at = |v: i64| PLOT_X + (v - l.min) as f64 / span * PLOT_W;
    let by = y + hist_h + 6.0;
    let grey = [("stroke", "#202020".into()), ("stroke-width", 1.0.into())];
    svg.line((at(l.min), by), (at(l.max), by), &grey);
    svg.line((at(l.min), by - 4.0), (at(l.min), by + 4.0), &grey);
    svg.line((at(l.max), by - 4.0), (at(l.max), by + 4.0), &grey);
    svg.rect(
        at(l.median),
        by - 4.0,
        (at(l.p99) - at(l.median)).max(1.0),
        8.0,
        &[
            ("fill", Category::InnerTransport.colour().into()),
            ("stroke", "#202020".into()),
        ],
    );
    svg.line(
        (at(l.median), by - 5.0),
        (at(l.median), by + 5.0),
        &[("stroke", "#000000".into()), ("stroke-width", 2.0.into())],
    );
    svg.text(
        PLOT_X,
        by + 16.0,
        &[
            ("font-size", 9.0.into()),
            ("class", "latency-figures".into()),
        ],
        &format!(
            "µs: min {}  median {}  p99 {}  max {}",
            us(l.min),
            us(l.median),
            us(l.p99),
            us(l.max)
        ),
    );
    svg.close();
}
