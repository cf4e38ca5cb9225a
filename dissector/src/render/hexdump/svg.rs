//! The picture of a frame: its layers as a row of boxes in wire order (outer Ethernet, 802.1Q tags, outer IP,
//! UDP, VXLAN, inner Ethernet, inner IP, L4, payload), each as wide as its bytes (beyond a minimum that keeps
//! its text readable), with its byte range and key values (MACs, addresses, ports, VNI, TTL, ICMP id/seq,
//! flannel's node and pod names when a topology is known); under it, the tunnel header zoomed bit by bit as
//! RFC 7348 draws it. One self-contained SVG (`--format svg`), or inline at the top of the HTML page.
//!
//! It is a view of the dissection: boxes are [`labels`] grouped by layer and category, their values are the
//! layer's fields, the bit cells are the tunnel layer's fields and their bit masks. Colours are
//! [`Category::colour`], and each box carries its category's hatching and its name, so it reads printed in
//! black and white.

use std::ops::Range;

use super::{
    Category, Frame, Lang, byte_count, byte_range, frame_title, labels, note_text, raw_value,
    summary, tunnelled, value_text,
};
use crate::dissection::{Dissection, Field};
use crate::fields::{FieldId, scoped_abbrev};
use crate::i18n::{self, Phrase};
use crate::notes::Severity;
use crate::render::svg::{MONO, Svg, text_width};

/// The fields a box shows, when its layer has them, in the dissection's order. Flannel's annotations (no
/// bytes of their own) join the box holding the bytes they were derived from.
const KEY_FIELDS: &[FieldId] = {
    use FieldId as F;
    &[
        F::EthDst,
        F::EthSrc,
        F::VlanId,
        F::VlanPriority,
        F::SllSrcEth,
        F::IpSrc,
        F::IpDst,
        F::IpTtl,
        F::Ipv6Src,
        F::Ipv6Dst,
        F::Ipv6Hlim,
        F::UdpSrcport,
        F::UdpDstport,
        F::TcpSrcport,
        F::TcpDstport,
        F::TcpSeq,
        F::TcpAck,
        F::TcpFlags,
        F::IcmpType,
        F::IcmpIdent,
        F::IcmpSeq,
        F::Icmpv6Type,
        F::Icmpv6EchoId,
        F::Icmpv6EchoSeq,
        F::ArpOpcode,
        F::ArpSrcProtoIpv4,
        F::ArpDstProtoIpv4,
        F::VxlanVni,
        F::VxlanGbp,
        F::VxlanNextProto,
        F::OtvOverlay,
        F::OtvInstance,
        F::FlannelSrcNode,
        F::FlannelDstNode,
        F::FlannelSrcVtepNode,
        F::FlannelDstVtepNode,
        F::FlannelSrcPod,
        F::FlannelDstPod,
    ]
};

// Sizes, in user units (pixels at 100 %).
const MARGIN: f64 = 20.0;
/// The width the row of boxes is given; a frame of many layers takes more.
const ROW_WIDTH: f64 = 1240.0;
const MIN_BOX: f64 = 56.0;
const PAD: f64 = 9.0;
const BAND: f64 = 9.0;
const TITLE_SIZE: f64 = 13.0;
const SMALL_SIZE: f64 = 10.0;
const VALUE_SIZE: f64 = 11.5;
const BIT: f64 = 34.0;
const WORD_HEIGHT: f64 = 50.0;
/// Room for a note's number in a box, right of its title.
const MARKER: f64 = 17.0;
const INK: &str = "#1a1a1a";
const GREY: &str = "#4d4d4d";

/// One box of the row: a run of bytes of one layer and category.
struct LayerBox {
    bytes: Range<usize>,
    category: Category,
    /// `Outer IPv4`.
    title: String,
    /// `ip`, `inner.icmp.data`.
    abbrev: &'static str,
    /// The layer's full name, for the tooltip (`Internet Protocol Version 4`).
    name: &'static str,
    /// (field name, value) lines.
    values: Vec<(String, String)>,
    depth: u8,
    tunnel: bool,
    /// The numbers of the notes listed under a standalone picture that concern the box's bytes.
    notes: Vec<usize>,
    width: f64,
}

impl LayerBox {
    fn min_width(&self, lang: Lang) -> f64 {
        let mut w =
            text_width(&self.title, TITLE_SIZE, false) * 1.1 + self.notes.len() as f64 * MARKER;
        w = w.max(text_width(&self.range_text(lang), SMALL_SIZE, false));
        w = w.max(text_width(self.abbrev, SMALL_SIZE, true));
        for (name, value) in &self.values {
            w = w.max(text_width(name, SMALL_SIZE, false));
            w = w.max(text_width(value, VALUE_SIZE, true));
        }
        (w + 2.0 * PAD).max(MIN_BOX).ceil()
    }

    fn range_text(&self, lang: Lang) -> String {
        let len = self.bytes.len() as u32;
        let mut s = byte_range(self.bytes.start as u32, len, lang);
        if len > 1 {
            s.push_str(&format!(" ({len})"));
        }
        s
    }

    fn height(&self) -> f64 {
        // As drawn: title, abbreviation, byte range, then a name and a value a line each; room for descenders.
        BAND + 6.0 + 12.0 + 15.0 + 13.0 + 4.0 + self.values.len() as f64 * 27.0 + 10.0
    }
}

/// The box's title: the layer's short name after "Outer", "Inner" or "Quoted"; payload, padding and bytes
/// nothing decoded by their category.
fn title(d: &Dissection<'_>, layer: Option<usize>, category: Category, lang: Lang) -> String {
    let phrase = match category {
        Category::Payload => Some(Phrase::Payload),
        Category::Padding => Some(Phrase::Padding),
        Category::NotDecoded => Some(Phrase::NotDecoded),
        _ => None,
    };
    if let Some(p) = phrase {
        return i18n::phrase(p, lang).to_string();
    }
    let Some(l) = layer.and_then(|i| d.layers().get(i)) else {
        return i18n::phrase(Phrase::OtherHeaders, lang).to_string();
    };
    let short = i18n::protocol_short(l.proto, lang);
    let prefix = if l.scope.is_quoted() && l.scope.total_depth() > l.scope.depth() {
        // Inside the VXLAN header of a quoted packet.
        Some(Phrase::QuotedInnerPrefix)
    } else if l.scope.is_quoted() {
        Some(Phrase::QuotedPrefix)
    } else if l.scope.total_depth() > 0 {
        Some(Phrase::InnerPrefix)
    } else if tunnelled(d) && !l.proto.is_tunnel() {
        Some(Phrase::OuterPrefix)
    } else {
        None
    };
    match prefix {
        None => short.to_string(),
        Some(p) => {
            let prefix = i18n::phrase(p, lang);
            // Chinese runs words together, but keeps a space before a Latin name: 外层 IPv4, 外层以太网.
            let space = lang == Lang::Zh && short.starts_with(|c: char| c.is_ascii());
            format!("{prefix}{}{short}", if space { " " } else { "" })
        }
    }
}

/// A key value as a box shows it; a pod with its namespace (`kube-system/coredns-…`).
fn key_value(d: &Dissection<'_>, field: &Field<'_>, frame: &[u8], lang: Lang) -> String {
    let namespace = match field.id {
        FieldId::FlannelSrcPod => Some(FieldId::FlannelSrcNamespace),
        FieldId::FlannelDstPod => Some(FieldId::FlannelDstNamespace),
        _ => None,
    };
    let value = value_text(field, frame, lang);
    match namespace.and_then(|ns| d.find(ns, field.scope)) {
        Some(ns) => format!("{}/{value}", raw_value(ns, frame, lang)),
        None => value,
    }
}

/// The boxes of a frame, in wire order, covering every byte once.
fn boxes(d: &Dissection<'_>, frame: &[u8], lang: Lang) -> Vec<LayerBox> {
    let mut boxes: Vec<LayerBox> = Vec::new();
    let mut keys: Vec<(Option<usize>, Category)> = Vec::new();
    for label in labels(d, frame.len()) {
        let layer = label
            .fields
            .iter()
            .map(|&i| &d.fields()[i])
            .find(|f| f.len > 0)
            .map(|f| usize::from(f.layer));
        let key = (layer, label.category);
        if keys.last() == Some(&key) {
            if let Some(last) = boxes.last_mut() {
                last.bytes.end = label.end;
            }
            continue;
        }
        keys.push(key);
        let l = layer.and_then(|i| d.layers().get(i));
        let (abbrev, name) = match (l, label.category) {
            (_, Category::Payload | Category::Padding) => {
                let field = label.fields.first().map(|&i| &d.fields()[i]);
                field.map_or(("", ""), |f| {
                    (scoped_abbrev(f.id, f.scope), i18n::field_name(f.id, lang))
                })
            }
            (Some(l), _) => (
                scoped_abbrev(l.proto, l.scope),
                i18n::field_name(l.proto, lang),
            ),
            (None, _) => ("", i18n::phrase(Phrase::NotDecoded, lang)),
        };
        boxes.push(LayerBox {
            bytes: label.range(),
            category: label.category,
            title: title(d, layer, label.category, lang),
            abbrev,
            name,
            values: Vec::new(),
            depth: l.map_or(0, |l| l.scope.total_depth()),
            tunnel: l.is_some_and(|l| l.proto.is_tunnel()),
            notes: Vec::new(),
            width: 0.0,
        });
    }

    // Key values: the layer's own fields, and annotations at the offset of a byte of the box.
    for (n, b) in boxes.iter_mut().enumerate() {
        let (layer, category) = keys[n];
        if matches!(category, Category::Payload | Category::Padding) {
            let shown = &frame[b.bytes.start..b.bytes.end.min(b.bytes.start + 8)];
            let mut hex: String = shown.iter().map(|x| format!("{x:02x}")).collect();
            if b.bytes.len() > shown.len() {
                hex.push('…');
            }
            b.values.push((byte_count(b.bytes.len(), lang), hex));
            continue;
        }
        for f in d.fields() {
            if !KEY_FIELDS.contains(&f.id) {
                continue;
            }
            let own = Some(usize::from(f.layer)) == layer && f.len > 0;
            let annotation = f.len == 0
                && d.layers()
                    .get(usize::from(f.layer))
                    .is_some_and(|l| l.proto == FieldId::Flannel)
                && b.bytes.contains(&(f.offset as usize));
            if own || annotation {
                b.values.push((
                    i18n::field_name(f.id, lang).to_string(),
                    key_value(d, f, frame, lang),
                ));
            }
        }
    }
    boxes
}

/// Widths proportional to the bytes beyond each box's minimum, the row filling [`ROW_WIDTH`] when the
/// minimums leave room: the scale `s` (units a byte) solves `Σ max(minᵢ, bytesᵢ·s) = ROW_WIDTH`.
fn size(boxes: &mut [LayerBox], lang: Lang) {
    let mins: Vec<f64> = boxes.iter().map(|b| b.min_width(lang)).collect();
    let total = |s: f64| -> f64 {
        boxes
            .iter()
            .zip(&mins)
            .map(|(b, &m)| m.max(b.bytes.len() as f64 * s))
            .sum()
    };
    let bytes: usize = boxes.iter().map(|b| b.bytes.len()).sum();
    let (mut low, mut high) = (0.0, ROW_WIDTH / bytes.max(1) as f64);
    if total(0.0) < ROW_WIDTH {
        for _ in 0..60 {
            let mid = (low + high) / 2.0;
            if total(mid) < ROW_WIDTH {
                low = mid;
            } else {
                high = mid;
            }
        }
    }
    for (b, &m) in boxes.iter_mut().zip(&mins) {
        b.width = m.max(b.bytes.len() as f64 * low).floor();
    }
}

/// One cell of the zoomed tunnel header: bits `bits` (from the header's first bit) of one field.
struct BitCell {
    bits: Range<usize>,
    /// A letter for a one-bit flag (`I`), or the field's name.
    label: String,
    /// The value, for a cell wide enough to show it.
    value: String,
}

/// A letter for a flag bit, as RFC 7348 draws them: the letter a flag's name gives in parentheses
/// (`VNI valid (I)`), `R` for reserved bits, the first letter of its name otherwise.
fn bit_letter(field: &Field<'_>) -> String {
    let def = field.id.def();
    if let Some(open) = def.name.rfind('(') {
        let inner = def.name[open + 1..].trim_end_matches(')');
        if !inner.is_empty() && inner.len() <= 2 {
            return inner.to_string();
        }
    }
    if def.abbrev.contains("reserved") {
        return "R".to_string();
    }
    def.name
        .chars()
        .next()
        .map(String::from)
        .unwrap_or_default()
}

/// The tunnel header zoomed: its cells, the flag fields a key under them explains, and the spans drawn over
/// fields of bit fields (`Flags 0x08`).
#[derive(Default)]
struct Zoom {
    cells: Vec<BitCell>,
    /// Indices of the fields the key explains.
    explained: Vec<usize>,
    spans: Vec<(Range<usize>, String)>,
}

/// The cells of the tunnel layer.
fn bit_cells(d: &Dissection<'_>, layer: usize, frame: &[u8], lang: Lang) -> Zoom {
    let l = &d.layers()[layer];
    let start = l.offset as usize;
    let end = (start + l.len as usize).min(frame.len());
    let fields: Vec<(usize, &Field<'_>)> = d
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| usize::from(f.layer) == layer && f.len > 0)
        .collect();
    let mut cells = Vec::new();
    let mut explained = Vec::new();
    let mut spans = Vec::new();
    for (n, &(_, f)) in fields.iter().enumerate() {
        if f.level != 0 {
            continue;
        }
        let first = (f.offset as usize).saturating_sub(start) * 8;
        let width = (f.len as usize).min(end.saturating_sub(f.offset as usize)) * 8;
        // Bit fields of a field of at most 8 bytes (its mask is a u64).
        let parts: Vec<&(usize, &Field<'_>)> = fields[n + 1..]
            .iter()
            .take_while(|(_, c)| c.level > 0)
            .filter(|(_, c)| c.id.def().mask != 0 && c.offset == f.offset && f.len <= 8)
            .collect();
        if parts.is_empty() {
            cells.push(BitCell {
                bits: first..first + width,
                label: i18n::field_name(f.id, lang).to_string(),
                value: value_text(f, frame, lang),
            });
            continue;
        }
        // A field of bit fields: a cell a bit field's run of bits (a flag a bit each), a span over them all.
        spans.push((
            first..first + width,
            format!(
                "{} {}",
                i18n::field_name(f.id, lang),
                value_text(f, frame, lang)
            ),
        ));
        let field_bits = f.len as usize * 8;
        let owner = |bit: usize| {
            parts.iter().rev().find(|(_, c)| {
                let mask = c.id.def().mask;
                (mask >> (field_bits - 1 - bit)) & 1 == 1
            })
        };
        let mut bit = 0;
        while bit < width {
            let Some(&&(index, part)) = owner(bit) else {
                cells.push(BitCell {
                    bits: first + bit..first + bit + 1,
                    label: String::new(),
                    value: String::new(),
                });
                bit += 1;
                continue;
            };
            let mask = part.id.def().mask;
            let contiguous = (mask >> mask.trailing_zeros()).count_ones()
                == 64 - (mask >> mask.trailing_zeros()).leading_zeros();
            let mut run = 1;
            while contiguous
                && bit + run < width
                && owner(bit + run).is_some_and(|&&(i, _)| i == index)
            {
                run += 1;
            }
            let (label, value) = if run == 1 {
                (bit_letter(part), String::new())
            } else {
                (
                    i18n::field_name(part.id, lang).to_string(),
                    value_text(part, frame, lang),
                )
            };
            if !explained.contains(&index) {
                explained.push(index);
            }
            cells.push(BitCell {
                bits: first + bit..first + bit + run,
                label,
                value,
            });
            bit += run;
        }
    }
    Zoom {
        cells,
        explained,
        spans,
    }
}

/// Writes the picture of one frame as a standalone SVG document.
pub(super) fn document(out: &mut Vec<u8>, frame: &Frame<'_, '_>, lang: Lang) {
    out.extend_from_slice(picture(frame, lang, None).as_bytes());
}

/// The picture of one frame as an `<svg>` element of an HTML page (its ids prefixed by the frame number).
pub(super) fn inline(frame: &Frame<'_, '_>, lang: Lang) -> String {
    picture(frame, lang, Some(&format!("f{}-", frame.number)))
}

fn picture(frame: &Frame<'_, '_>, lang: Lang, inline_prefix: Option<&str>) -> String {
    let d = frame.dissection;
    let bytes = frame.bytes;
    let mut boxes = boxes(d, bytes, lang);
    // Standalone, the picture says which frame it is and ends with a legend; in the HTML page, the page does.
    let standalone = inline_prefix.is_none();
    // So do the warnings and errors, numbered on the boxes holding their first byte.
    let notes = if standalone {
        listed_notes(d, lang)
    } else {
        Vec::new()
    };
    for (n, (offset, _)) in notes.iter().enumerate() {
        let holder = boxes
            .iter()
            .position(|b| b.bytes.contains(&(*offset as usize)))
            .unwrap_or(boxes.len().saturating_sub(1));
        if let Some(b) = boxes.get_mut(holder) {
            b.notes.push(n + 1);
        }
    }
    size(&mut boxes, lang);

    let heading = frame_title(frame, lang);
    let line = summary(frame);
    let row_width: f64 = boxes.iter().map(|b| b.width).sum();
    let tunnel = d
        .layers()
        .iter()
        .position(|l| l.proto.is_tunnel() && l.len > 0);
    let zoom_width = 32.0 * BIT;
    let mut width = row_width.max(zoom_width);
    if standalone {
        width = width
            .max(text_width(&line, 11.0, true))
            .max(text_width(&heading, 15.0, false));
    }
    for (_, text) in &notes {
        width = width.max(24.0 + text_width(text, 11.0, false));
    }
    let width = (2.0 * MARGIN + width).ceil();

    // Vertical layout.
    let heading_y = MARGIN + 14.0;
    let summary_y = heading_y + 20.0;
    let carried = boxes.iter().position(|b| b.depth > 0);
    let bracket_y = if standalone { summary_y + 26.0 } else { MARGIN };
    let offsets_y = bracket_y + if carried.is_some() { 20.0 } else { 0.0 };
    let row_y = offsets_y + 6.0;
    let row_height = boxes.iter().map(LayerBox::height).fold(0.0, f64::max);
    let row_bottom = row_y + row_height;
    let zoom_y = row_bottom + 56.0;
    let zoom = tunnel.map_or_else(Zoom::default, |t| bit_cells(d, t, bytes, lang));
    let words = zoom
        .cells
        .iter()
        .map(|c| c.bits.end.div_ceil(32))
        .max()
        .unwrap_or(0);
    let words_y = zoom_y + 46.0;
    let key_y = words_y + words as f64 * WORD_HEIGHT + 22.0;
    let zoom_bottom = if tunnel.is_some() {
        key_y + zoom.explained.len() as f64 * 16.0
    } else {
        row_bottom
    };
    let legend_y = zoom_bottom + 30.0;
    let notes_y = legend_y + 30.0;
    let height = if standalone {
        notes_y - 10.0 + notes.len() as f64 * 20.0 + MARGIN
    } else {
        zoom_bottom + MARGIN
    }
    .ceil();

    let title = format!("{heading}: {line}");
    let mut svg = match inline_prefix {
        None => Svg::document(width, height, lang, &title),
        Some(prefix) => Svg::inline(width, height, lang, &title, prefix),
    };
    svg.palette();
    svg.rect(0.0, 0.0, width, height, &[("fill", "#ffffff".into())]);
    if standalone {
        svg.text(
            MARGIN,
            heading_y,
            &[
                ("font-size", 15.0.into()),
                ("font-weight", "bold".into()),
                ("fill", INK.into()),
            ],
            &heading,
        );
        svg.text(
            MARGIN,
            summary_y,
            &[
                ("font-size", 11.0.into()),
                ("font-family", MONO.into()),
                ("fill", INK.into()),
            ],
            &line,
        );
    }

    // Box positions.
    let mut xs = Vec::with_capacity(boxes.len());
    let mut x = MARGIN;
    for b in &boxes {
        xs.push(x);
        x += b.width;
    }
    let row_end = x;

    if let Some(first) = carried {
        bracket(&mut svg, &boxes, &xs, first, bracket_y, lang);
    }

    // The row of boxes.
    let row = Row {
        offsets_y,
        y: row_y,
        height: row_height,
    };
    for (b, &x) in boxes.iter().zip(&xs) {
        draw_box(&mut svg, b, x, &row, lang);
    }
    svg.text(
        row_end - 2.0,
        offsets_y,
        &[
            ("font-size", 9.0.into()),
            ("font-family", MONO.into()),
            ("fill", GREY.into()),
            ("text-anchor", "end".into()),
        ],
        &bytes.len().to_string(),
    );

    // The tunnel header, bit by bit.
    if let Some(t) = tunnel {
        let place = ZoomPlace {
            header: boxes
                .iter()
                .zip(&xs)
                .find(|(b, _)| b.tunnel)
                .map(|(b, &x)| (x, x + b.width)),
            row_bottom,
            zoom_y,
            words_y,
            key_y,
        };
        draw_zoom(&mut svg, d, bytes, t, &zoom, &place, lang);
    }

    if standalone {
        legend(&mut svg, d, &boxes, legend_y, lang);
    }
    // The notes' texts under the legend.
    for (n, (_, text)) in notes.iter().enumerate() {
        let y = notes_y + n as f64 * 20.0;
        note_marker(&mut svg, MARGIN + 7.0, y - 4.0, n + 1);
        svg.text(
            MARGIN + 20.0,
            y,
            &[
                ("class", "note".into()),
                ("font-size", 11.0.into()),
                ("fill", INK.into()),
            ],
            text,
        );
    }
    svg.finish()
}

/// The warnings and errors of a frame, as a standalone picture lists them: the offset of the first byte each
/// concerns, and `[error] flannel.inner_checksum_bad (bytes 100-101): TCP checksum …`.
fn listed_notes(d: &Dissection<'_>, lang: Lang) -> Vec<(u32, String)> {
    d.notes()
        .iter()
        .filter(|n| n.severity() >= Severity::Warning)
        .map(|note| {
            let (message, _) = note_text(note, lang);
            let text = format!(
                "[{}] {} ({}){}{}",
                i18n::severity(note.severity(), lang),
                note.code.def().code,
                byte_range(note.offset, note.len, lang),
                i18n::phrase(Phrase::Colon, lang),
                message.replace('`', ""),
            );
            (note.offset, text)
        })
        .collect()
}

/// A note's number in a black disc.
fn note_marker(svg: &mut Svg, cx: f64, cy: f64, number: usize) {
    svg.circle(cx, cy, 6.5, &[("fill", INK.into())]);
    svg.text(
        cx,
        cy + 3.3,
        &[
            ("class", "marker".into()),
            ("font-size", 9.5.into()),
            ("font-weight", "bold".into()),
            ("text-anchor", "middle".into()),
            ("fill", "#ffffff".into()),
        ],
        &number.to_string(),
    );
}

/// The bracket over the boxes of the frame the tunnel carries, from box `first` on.
fn bracket(
    svg: &mut Svg,
    boxes: &[LayerBox],
    xs: &[f64],
    first: usize,
    bracket_y: f64,
    lang: Lang,
) {
    let last = boxes.iter().rposition(|b| b.depth > 0).unwrap_or(first);
    let (x0, x1) = (xs[first] + 1.0, xs[last] + boxes[last].width - 1.0);
    let y = bracket_y + 4.0;
    let stroke = [("stroke", INK.into()), ("stroke-width", 1.2.into())];
    svg.line((x0, y), (x1, y), &stroke);
    svg.line((x0, y), (x0, y + 7.0), &stroke);
    svg.line((x1, y), (x1, y + 7.0), &stroke);
    let carried_bytes = boxes[first].bytes.start..boxes[last].bytes.end;
    let text = format!(
        "{} ({})",
        i18n::phrase(Phrase::EncapsulatedFrame, lang),
        byte_range(carried_bytes.start as u32, carried_bytes.len() as u32, lang)
    );
    let tw = text_width(&text, SMALL_SIZE, false) + 8.0;
    let mid = (x0 + x1) / 2.0;
    svg.rect(
        mid - tw / 2.0,
        y - 7.0,
        tw,
        14.0,
        &[("fill", "#ffffff".into())],
    );
    svg.text(
        mid,
        y + 3.5,
        &[
            ("font-size", SMALL_SIZE.into()),
            ("text-anchor", "middle".into()),
            ("fill", INK.into()),
        ],
        &text,
    );
}

/// Where the row of boxes is drawn.
struct Row {
    /// The baseline of the offsets over the boxes.
    offsets_y: f64,
    y: f64,
    height: f64,
}

/// One box at `x`: the offset of its first byte over its left edge, its hatched band, title, abbreviation,
/// byte range and key values, and its layer's full name as its tooltip.
fn draw_box(svg: &mut Svg, b: &LayerBox, x: f64, row: &Row, lang: Lang) {
    let hatch = svg.hatch(b.category);
    svg.open("g", &[]);
    svg.element(
        "title",
        &[],
        &format!(
            "{}{}{}",
            b.name,
            if b.abbrev.is_empty() {
                String::new()
            } else {
                format!(" ({})", b.abbrev)
            },
            format_args!(", {}", b.range_text(lang))
        ),
    );
    svg.text(
        x + 2.0,
        row.offsets_y,
        &[
            ("font-size", 9.0.into()),
            ("font-family", MONO.into()),
            ("fill", GREY.into()),
        ],
        &b.bytes.start.to_string(),
    );
    svg.rect(
        x,
        row.y,
        b.width,
        row.height,
        &[("fill", b.category.colour().into())],
    );
    svg.rect(x, row.y, b.width, BAND, &[("fill", (&hatch).into())]);
    svg.rect(
        x,
        row.y,
        b.width,
        row.height,
        &[
            ("fill", "none".into()),
            ("stroke", INK.into()),
            ("stroke-width", 1.0.into()),
        ],
    );
    let tx = x + PAD;
    let mut y = row.y + BAND + 6.0 + 12.0;
    svg.text(
        tx,
        y,
        &[
            ("class", "layer".into()),
            ("font-size", TITLE_SIZE.into()),
            ("font-weight", "bold".into()),
            ("fill", INK.into()),
        ],
        &b.title,
    );
    // The numbers of the notes about these bytes, from the right edge.
    for (k, &number) in b.notes.iter().enumerate() {
        let cx = x + b.width - PAD - 6.5 - k as f64 * MARKER;
        note_marker(svg, cx, y - 4.5, number);
    }
    y += 15.0;
    svg.text(
        tx,
        y,
        &[
            ("font-size", SMALL_SIZE.into()),
            ("font-family", MONO.into()),
            ("fill", GREY.into()),
        ],
        b.abbrev,
    );
    y += 13.0;
    svg.text(
        tx,
        y,
        &[
            ("class", "range".into()),
            ("font-size", SMALL_SIZE.into()),
            ("fill", GREY.into()),
        ],
        &b.range_text(lang),
    );
    y += 4.0;
    for (name, value) in &b.values {
        y += 13.0;
        svg.text(
            tx,
            y,
            &[
                ("class", "name".into()),
                ("font-size", SMALL_SIZE.into()),
                ("fill", GREY.into()),
            ],
            name,
        );
        y += 14.0;
        svg.text(
            tx,
            y,
            &[
                ("class", "value".into()),
                ("font-size", VALUE_SIZE.into()),
                ("font-family", MONO.into()),
                ("fill", INK.into()),
            ],
            value,
        );
    }
    svg.close();
}

/// Where the zoomed tunnel header is drawn.
struct ZoomPlace {
    /// The left and right edges of the tunnel header's box, which the zoom lines start from.
    header: Option<(f64, f64)>,
    row_bottom: f64,
    /// The baseline of the units of the bit numbers.
    zoom_y: f64,
    /// The top of the first 32-bit word.
    words_y: f64,
    /// The baseline of the first line of the key to the flag letters.
    key_y: f64,
}

/// The tunnel header bit by bit, as RFC 7348 draws it: bit numbers, spans over fields of bit fields, a cell a
/// field (a flag a bit), each bit's value, and what the flag letters stand for.
fn draw_zoom(
    svg: &mut Svg,
    d: &Dissection<'_>,
    bytes: &[u8],
    tunnel: usize,
    zoom: &Zoom,
    place: &ZoomPlace,
    lang: Lang,
) {
    let layer = &d.layers()[tunnel];
    let x0 = MARGIN;
    let x1 = MARGIN + 32.0 * BIT;
    if let Some((left, right)) = place.header {
        let dash = [
            ("stroke", GREY.into()),
            ("stroke-width", 1.0.into()),
            ("stroke-dasharray", "4 3".into()),
        ];
        svg.line((left, place.row_bottom), (x0, place.zoom_y - 30.0), &dash);
        svg.line((right, place.row_bottom), (x1, place.zoom_y - 30.0), &dash);
    }
    let heading = format!(
        "{} ({}), {}",
        i18n::protocol_short(layer.proto, lang),
        byte_range(layer.offset, layer.len, lang),
        i18n::phrase(Phrase::HeaderBits, lang)
    );
    svg.text(
        x0,
        place.zoom_y - 16.0,
        &[
            ("font-size", TITLE_SIZE.into()),
            ("font-weight", "bold".into()),
            ("fill", INK.into()),
        ],
        &heading,
    );
    // Bit numbers as the RFCs write them: tens over units.
    let mono9 = [
        ("font-size", 9.5.into()),
        ("font-family", MONO.into()),
        ("fill", GREY.into()),
        ("text-anchor", "middle".into()),
    ];
    for bit in 0..32 {
        let cx = x0 + bit as f64 * BIT + BIT / 2.0;
        if bit % 10 == 0 {
            svg.text(cx, place.zoom_y, &mono9, &(bit / 10).to_string());
        }
        svg.text(cx, place.zoom_y + 12.0, &mono9, &(bit % 10).to_string());
    }
    // Spans over fields of bit fields (the flags byte).
    for (bits, text) in &zoom.spans {
        let (sx0, sx1) = (
            x0 + (bits.start % 32) as f64 * BIT + 2.0,
            x0 + ((bits.end - 1) % 32 + 1) as f64 * BIT - 2.0,
        );
        let sy = place.words_y - 20.0 + (bits.start / 32) as f64 * WORD_HEIGHT;
        let stroke = [("stroke", INK.into()), ("stroke-width", 1.0.into())];
        svg.line((sx0, sy + 12.0), (sx0, sy + 17.0), &stroke);
        svg.line((sx0, sy + 12.0), (sx1, sy + 12.0), &stroke);
        svg.line((sx1, sy + 12.0), (sx1, sy + 17.0), &stroke);
        svg.text(
            (sx0 + sx1) / 2.0,
            sy + 8.0,
            &[
                ("font-size", SMALL_SIZE.into()),
                ("text-anchor", "middle".into()),
                ("fill", INK.into()),
            ],
            text,
        );
    }
    let hatch = svg.hatch(Category::Tunnel);
    let start = layer.offset as usize;
    for cell in &zoom.cells {
        // A cell never crosses a 32-bit word in the headers drawn here; split it if one does.
        let mut bit = cell.bits.start;
        while bit < cell.bits.end {
            let word = bit / 32;
            let stop = cell.bits.end.min((word + 1) * 32);
            let cx = x0 + (bit % 32) as f64 * BIT;
            let cw = (stop - bit) as f64 * BIT;
            let cy = place.words_y + word as f64 * WORD_HEIGHT;
            svg.open("g", &[]);
            svg.rect(
                cx,
                cy,
                cw,
                WORD_HEIGHT,
                &[("fill", Category::Tunnel.colour().into())],
            );
            svg.rect(cx, cy, cw, 5.0, &[("fill", (&hatch).into())]);
            svg.rect(
                cx,
                cy,
                cw,
                WORD_HEIGHT,
                &[
                    ("fill", "none".into()),
                    ("stroke", INK.into()),
                    ("stroke-width", 1.2.into()),
                ],
            );
            let mid = cx + cw / 2.0;
            let label = if cell.value.is_empty() || stop - bit < 4 {
                cell.label.clone()
            } else {
                format!("{} {}", cell.label, cell.value)
            };
            svg.text(
                mid,
                cy + 21.0,
                &[
                    ("class", "cell".into()),
                    ("font-size", 12.0.into()),
                    ("font-weight", "bold".into()),
                    ("text-anchor", "middle".into()),
                    ("fill", INK.into()),
                ],
                &label,
            );
            // The bits themselves, one a column, with a tick between bits.
            for b in bit..stop {
                let bx = x0 + (b % 32) as f64 * BIT;
                if b > bit {
                    svg.line(
                        (bx, cy + WORD_HEIGHT - 6.0),
                        (bx, cy + WORD_HEIGHT),
                        &[("stroke", INK.into()), ("stroke-width", 1.0.into())],
                    );
                }
                let byte = bytes.get(start + b / 8).copied().unwrap_or(0);
                let value = (byte >> (7 - b % 8)) & 1;
                svg.text(
                    bx + BIT / 2.0,
                    cy + WORD_HEIGHT - 9.0,
                    &[
                        ("class", "bit".into()),
                        ("font-size", 11.0.into()),
                        ("font-family", MONO.into()),
                        ("text-anchor", "middle".into()),
                        ("fill", INK.into()),
                    ],
                    &value.to_string(),
                );
            }
            svg.close();
            bit = stop;
        }
    }
    // What the flag letters stand for.
    for (n, &index) in zoom.explained.iter().enumerate() {
        let f = &d.fields()[index];
        let text = format!(
            "{} = {}{}{}",
            bit_letter(f),
            i18n::field_name(f.id, lang),
            i18n::phrase(Phrase::Colon, lang),
            value_text(f, bytes, lang)
        );
        svg.text(
            x0,
            place.key_y + n as f64 * 16.0,
            &[("font-size", 11.0.into()), ("fill", INK.into())],
            &text,
        );
    }
}

/// The legend: the categories shown, each with its colour, hatching and name.
fn legend(svg: &mut Svg, d: &Dissection<'_>, boxes: &[LayerBox], legend_y: f64, lang: Lang) {
    let legend_tunnelled = tunnelled(d);
    let mut lx = MARGIN;
    for category in Category::ALL {
        if !boxes.iter().any(|b| b.category == category) {
            continue;
        }
        lx = svg.legend_entry(
            lx,
            legend_y,
            category,
            category.name(legend_tunnelled, lang),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Dissector, LinkType};

    #[test]
    fn boxes_cover_the_frame_in_order_as_wide_as_their_bytes_beyond_a_minimum() {
        let frame = crate::seed_frame();
        let dissector = Dissector::new(Config::default());
        let mut d = Dissection::new();
        dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut d);
        let mut boxes = boxes(&d, &frame, Lang::En);
        size(&mut boxes, Lang::En);
        let mut at = 0;
        for b in &boxes {
            assert_eq!(b.bytes.start, at);
            at = b.bytes.end;
            assert!(b.width >= b.min_width(Lang::En), "{}", b.title);
        }
        assert_eq!(at, 148);
        // The row fills its width (to a pixel a box, from rounding down).
        let total: f64 = boxes.iter().map(|b| b.width).sum();
        assert!((ROW_WIDTH - total).abs() <= boxes.len() as f64, "{total}");
        // Boxes wider than their minimum share one scale: units a byte.
        let scaled: Vec<f64> = boxes
            .iter()
            .filter(|b| b.width > b.min_width(Lang::En))
            .map(|b| b.width / b.bytes.len() as f64)
            .collect();
        assert!(!scaled.is_empty());
        for s in &scaled {
            assert!((s - scaled[0]).abs() < 0.1, "{scaled:?}");
        }
        // The payload (56 bytes) is the widest box.
        let widest = boxes
            .iter()
            .max_by(|a, b| a.width.total_cmp(&b.width))
            .unwrap();
        assert_eq!(widest.title, "Payload");
    }

    #[test]
    fn flag_letters_are_rfc_7348s() {
        let frame = crate::seed_frame();
        let dissector = Dissector::new(Config::default());
        let mut d = Dissection::new();
        dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut d);
        let vxlan = d
            .layers()
            .iter()
            .position(|l| l.proto == FieldId::Vxlan)
            .unwrap();
        let zoom = bit_cells(&d, vxlan, &frame, Lang::En);
        let cells: Vec<(Range<usize>, &str)> = zoom
            .cells
            .iter()
            .map(|c| (c.bits.clone(), c.label.as_str()))
            .collect();
        assert_eq!(
            cells,
            [
                (0..1, "G"),
                (1..2, "R"),
                (2..3, "R"),
                (3..4, "R"),
                (4..5, "I"),
                (5..6, "R"),
                (6..7, "R"),
                (7..8, "R"),
                (8..32, "Reserved"),
                (32..56, "VNI"),
                (56..64, "Reserved"),
            ]
        );
        assert_eq!(zoom.spans, [(0..8, "Flags 0x08".to_string())]);
    }
}
