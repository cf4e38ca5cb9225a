//! Annotated hex dumps for documentation: every byte of a frame labelled with the field it belongs to, as
//! text (tcpdump's `-XX` layout with the fields under each line), Markdown (a fenced dump and a table of
//! fields), HTML (one self-contained page, bytes coloured by layer, the frame's picture at its top) or SVG
//! (the picture alone: the layers as boxes, the tunnel header bit by bit), in English or Chinese.
//!
//! [`write`] renders one frame as a whole document in one call. A document of several frames is
//! [`write_start`], [`write_frame`] for each, then [`write_end`].
//!
//! The dump is a view of the [`Dissection`]: [`labels`] cuts the frame into byte ranges, each labelled by the
//! fields that cover it — a field, the bit fields that share its bytes, and its nested fields when they cover
//! the same bytes. A field whose nested fields cover parts of it (TCP options) is labelled through them.
//! Fields of length 0 (computed: checksum status, flannel annotations) have no bytes; they are listed with the
//! fields that start on the same line, and a computed field named after a labelled one (`ip.checksum.status`)
//! joins that label. Bytes no field covers get a label of their own, "not decoded", so nothing is silently
//! left out.

mod html;
mod markdown;
mod svg;
mod text;

use std::ops::Range;

use crate::dissection::{Dissection, Field};
use crate::fields::{FieldId, scoped_abbrev};
use crate::i18n::{self, Phrase};
use crate::value::{Value, write};

pub use crate::i18n::Lang;

/// How a dump is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// tcpdump's `-XX` layout, each line followed by the fields that start on it.
    #[default]
    Text,
    /// A fenced dump and a table of fields.
    Markdown,
    /// One self-contained HTML page, the picture of each frame at its top.
    Html,
    /// The picture of one frame: its layers as boxes, the tunnel header bit by bit; one self-contained SVG
    /// document a frame.
    Svg,
}

/// One frame of a dump: its number (from 1), its bytes and their dissection.
#[derive(Clone, Copy)]
pub struct Frame<'a, 'd> {
    pub number: u64,
    pub bytes: &'a [u8],
    pub dissection: &'a Dissection<'d>,
}

/// Writes one frame as a whole document (numbered frame 1).
pub fn write(
    out: &mut Vec<u8>,
    dissection: &Dissection<'_>,
    frame: &[u8],
    format: Format,
    lang: Lang,
) {
    write_start(out, format, lang);
    let frame = Frame {
        number: 1,
        bytes: frame,
        dissection,
    };
    write_frame(out, &frame, format, lang);
    write_end(out, format, lang);
}

/// Writes what comes before the first frame (the head of the HTML page).
pub fn write_start(out: &mut Vec<u8>, format: Format, lang: Lang) {
    if format == Format::Html {
        html::start(out, lang);
    }
}

/// Writes one frame.
pub fn write_frame(out: &mut Vec<u8>, frame: &Frame<'_, '_>, format: Format, lang: Lang) {
    match format {
        Format::Text => text::frame(out, frame, lang),
        Format::Markdown => markdown::frame(out, frame, lang),
        Format::Html => html::frame(out, frame, lang),
        Format::Svg => svg::document(out, frame, lang),
    }
}

/// Writes what comes after the last frame.
pub fn write_end(out: &mut Vec<u8>, format: Format, lang: Lang) {
    if format == Format::Html {
        html::end(out, lang);
    }
}

/// What a byte is part of, for its colour and the legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    OuterLink,
    OuterNet,
    OuterTransport,
    Tunnel,
    InnerLink,
    InnerNet,
    InnerTransport,
    Payload,
    Padding,
    /// A layer of a protocol none of the above names.
    Other,
    NotDecoded,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::OuterLink,
        Category::OuterNet,
        Category::OuterTransport,
        Category::Tunnel,
        Category::InnerLink,
        Category::InnerNet,
        Category::InnerTransport,
        Category::Payload,
        Category::Padding,
        Category::Other,
        Category::NotDecoded,
    ];

    /// The category of a field: payload and padding by the field, the rest by its layer's protocol and how
    /// deep it is encapsulated.
    pub fn of(d: &Dissection<'_>, field: &Field<'_>) -> Category {
        match field.id {
            FieldId::DataData | FieldId::IcmpData | FieldId::Icmpv6Data => {
                return Category::Payload;
            }
            FieldId::EthPadding => return Category::Padding,
            _ => {}
        }
        let Some(layer) = d.layers().get(usize::from(field.layer)) else {
            return Category::Other;
        };
        let inner = layer.scope.total_depth() > 0;
        use FieldId as F;
        match (layer.proto, inner) {
            (F::Eth | F::Vlan | F::Sll | F::Sll2 | F::Null, false) => Category::OuterLink,
            (F::Eth | F::Vlan | F::Sll | F::Sll2 | F::Null, true) => Category::InnerLink,
            (F::Ip | F::Ipv6 | F::Arp, false) => Category::OuterNet,
            (F::Ip | F::Ipv6 | F::Arp, true) => Category::InnerNet,
            (F::Udp | F::Tcp | F::Icmp | F::Icmpv6, false) => Category::OuterTransport,
            (F::Udp | F::Tcp | F::Icmp | F::Icmpv6, true) => Category::InnerTransport,
            (proto, _) if proto.is_tunnel() => Category::Tunnel,
            (F::Data, _) => Category::Payload,
            _ => Category::Other,
        }
    }

    /// The colour of the category's bytes and boxes (`#rrggbb`): the one palette of the HTML dump, the SVG
    /// pictures and anything else that draws layers. Light enough for black text; in black and white the
    /// categories are told apart by [`Category::hatch`].
    pub fn colour(self) -> &'static str {
        match self {
            Category::OuterLink => "#cfe0fc",
            Category::OuterNet => "#d2f1d9",
            Category::OuterTransport => "#ffedb8",
            Category::Tunnel => "#f6cde4",
            Category::InnerLink => "#98bef5",
            Category::InnerNet => "#95d9a8",
            Category::InnerTransport => "#ffcf70",
            Category::Payload => "#e3e3e3",
            Category::Padding => "#f3f3f3",
            Category::Other => "#dcd3f5",
            Category::NotDecoded => "#ffb3b3",
        }
    }

    /// The category's black-and-white hatching: an SVG path drawn in an 8×8 tile (see
    /// [`crate::render::svg::Svg::palette`]), so a picture printed without colour still tells the layers
    /// apart. Outer layers have sparse single lines, inner ones denser or crossed ones; payload is plain.
    pub fn hatch(self) -> &'static str {
        match self {
            // Rising diagonals.
            Category::OuterLink => "M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4",
            // Horizontal lines.
            Category::OuterNet => "M0,2 h8 M0,6 h8",
            // Vertical lines.
            Category::OuterTransport => "M2,0 v8 M6,0 v8",
            // A check of squares.
            Category::Tunnel => "M0,0 h4 v4 h-4 z M4,4 h4 v4 h-4 z",
            // Falling diagonals, denser.
            Category::InnerLink => "M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4 M-2,2 l4,4 M2,-2 l8,8",
            // A grid.
            Category::InnerNet => "M0,2 h8 M0,6 h8 M2,0 v8 M6,0 v8",
            // Dots.
            Category::InnerTransport => "M1,1 h2 v2 h-2 z M5,5 h2 v2 h-2 z",
            Category::Payload => "",
            // Sparse dots.
            Category::Padding => "M3,3 h2 v2 h-2 z",
            // Crossed diagonals.
            Category::Other => "M0,0 l8,8 M8,0 l-8,8",
            // Dense crossed diagonals.
            Category::NotDecoded => {
                "M0,0 l8,8 M8,0 l-8,8 M-4,0 l8,8 M4,0 l8,8 M0,4 l-4,4 M12,-4 l-8,8"
            }
        }
    }

    /// The short name CSS classes use.
    pub fn css(self) -> &'static str {
        match self {
            Category::OuterLink => "ol",
            Category::OuterNet => "on",
            Category::OuterTransport => "ot",
            Category::Tunnel => "tu",
            Category::InnerLink => "il",
            Category::InnerNet => "in",
            Category::InnerTransport => "it",
            Category::Payload => "pl",
            Category::Padding => "pd",
            Category::Other => "xx",
            Category::NotDecoded => "nd",
        }
    }

    /// The legend's name for the category; "outer" is said only when the frame carries a tunnel.
    pub fn name(self, tunnelled: bool, lang: Lang) -> &'static str {
        let phrase = match (self, tunnelled) {
            (Category::OuterLink, true) => Phrase::OuterLink,
            (Category::OuterLink, false) => Phrase::Link,
            (Category::OuterNet, true) => Phrase::OuterNet,
            (Category::OuterNet, false) => Phrase::Net,
            (Category::OuterTransport, true) => Phrase::OuterTransport,
            (Category::OuterTransport, false) => Phrase::Transport,
            (Category::Tunnel, _) => Phrase::Tunnel,
            (Category::InnerLink, _) => Phrase::InnerLink,
            (Category::InnerNet, _) => Phrase::InnerNet,
            (Category::InnerTransport, _) => Phrase::InnerTransport,
            (Category::Payload, _) => Phrase::Payload,
            (Category::Padding, _) => Phrase::Padding,
            (Category::Other, _) => Phrase::OtherHeaders,
            (Category::NotDecoded, _) => Phrase::NotDecoded,
        };
        i18n::phrase(phrase, lang)
    }
}

/// A run of bytes and the fields that label it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub start: usize,
    pub end: usize,
    /// Indices into [`Dissection::fields`], in dissection order: the fields covering the bytes and computed
    /// fields named after them. Empty for bytes nothing decoded.
    pub fields: Vec<usize>,
    pub category: Category,
}

impl Label {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// Indices of the fields nested in field `i` (those after it at a deeper level).
fn nested(fields: &[Field<'_>], i: usize) -> Range<usize> {
    let level = fields[i].level;
    let end = fields[i + 1..]
        .iter()
        .position(|f| f.level <= level || f.layer != fields[i].layer)
        .map_or(fields.len(), |p| i + 1 + p);
    i + 1..end
}

/// Cuts the first `len` bytes of a frame into labels, in order, covering every byte once.
pub fn labels(d: &Dissection<'_>, len: usize) -> Vec<Label> {
    let fields = d.fields();
    let clamp =
        |f: &Field<'_>| (f.offset as usize).min(len)..(f.offset as usize + f.len as usize).min(len);

    // Fields that label bytes themselves: not those whose nested fields label parts of them.
    let mut spans: Vec<(Range<usize>, usize)> = Vec::new();
    let mut umbrellas: Vec<usize> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let range = clamp(f);
        if range.is_empty() {
            continue;
        }
        let splits = nested(fields, i).any(|j| {
            let r = clamp(&fields[j]);
            !r.is_empty() && r != range
        });
        if splits {
            umbrellas.push(i);
        } else {
            spans.push((range, i));
        }
    }
    spans.sort_by_key(|(r, _)| r.start);

    // Overlapping spans (bit fields sharing bytes) make one label.
    let mut labels: Vec<Label> = Vec::new();
    for (range, i) in spans {
        match labels.last_mut() {
            Some(last) if range.start < last.end => {
                last.end = last.end.max(range.end);
                last.fields.push(i);
            }
            _ => labels.push(Label {
                start: range.start,
                end: range.end,
                fields: vec![i],
                category: Category::of(d, &fields[i]),
            }),
        }
    }

    // Bytes between labels: the rest of an umbrella field (option padding), or not decoded.
    let mut covered: Vec<Label> = Vec::with_capacity(labels.len() + 2);
    let mut at = 0;
    let gap = |start: usize, end: usize, out: &mut Vec<Label>| {
        let mut pos = start;
        while pos < end {
            let owner = umbrellas
                .iter()
                .rev()
                .find(|&&u| clamp(&fields[u]).contains(&pos));
            let stop = match owner {
                Some(&u) => clamp(&fields[u]).end.min(end),
                None => umbrellas
                    .iter()
                    .map(|&u| clamp(&fields[u]).start)
                    .filter(|&s| s > pos && s < end)
                    .min()
                    .unwrap_or(end),
            };
            out.push(Label {
                start: pos,
                end: stop,
                fields: owner.map(|&u| vec![u]).unwrap_or_default(),
                category: owner.map_or(Category::NotDecoded, |&u| Category::of(d, &fields[u])),
            });
            pos = stop;
        }
    };
    for label in labels {
        gap(at, label.start, &mut covered);
        at = label.end;
        covered.push(label);
    }
    gap(at, len, &mut covered);

    // Computed fields named after a labelled field join its label.
    for (i, f) in fields.iter().enumerate() {
        if f.len != 0 {
            continue;
        }
        let abbrev = f.id.def().abbrev;
        let owner = covered.iter_mut().find(|l| {
            l.fields.iter().any(|&j| {
                let other = &fields[j];
                other.scope == f.scope
                    && abbrev
                        .strip_prefix(other.id.def().abbrev)
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        });
        if let Some(label) = owner {
            label.fields.push(i);
        }
    }
    for label in &mut covered {
        label.fields.sort_unstable();
    }
    covered
}

/// Indices of the fields in the order of their first byte (dissection order among equals). A computed
/// field (no bytes) stays after the field the dissection recorded before it: `ip.checksum.status` after
/// `ip.checksum`, `tcp.len` after the TCP header, annotations added after decoding at the end.
fn by_offset(d: &Dissection<'_>) -> Vec<usize> {
    let fields = d.fields();
    let mut keys = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let key = match (f.len, i) {
            (0, 1..) => keys[i - 1],
            _ => f.offset,
        };
        keys.push(key);
    }
    let mut order: Vec<usize> = (0..fields.len()).collect();
    order.sort_by_key(|&i| keys[i]);
    order
}

/// A row of the table of fields of the Markdown and HTML dumps: a layer's heading, then its fields.
enum TableRow {
    Layer {
        /// First and last byte, for a layer with bytes of its own.
        bytes: Option<(u32, u32)>,
        abbrev: &'static str,
        name: &'static str,
    },
    Field(FieldRow),
}

/// A field's row, its cells as text; each renderer escapes and marks them up.
struct FieldRow {
    /// Index in the dissection's fields.
    index: usize,
    offset: u32,
    level: u8,
    /// `None` for a computed field.
    bytes: Option<FieldBytes>,
    value: ValueCell,
    abbrev: &'static str,
    meaning: String,
}

/// The bytes cell of a field's row.
struct FieldBytes {
    /// The first [`BYTES_SHOWN`] bytes in hex: `08 00`.
    hex: String,
    /// How many there are, when that is more: `56 bytes`.
    more: Option<String>,
    /// The bit mask of a field of some bits: `0x0fff`.
    mask: Option<String>,
}

/// The value cell of a field's row.
enum ValueCell {
    Empty,
    /// The length of a field of raw bytes (`56 bytes`), shown as plain text.
    ByteCount(String),
    /// A value, shown as code.
    Value(String),
}

/// The rows of the table of fields, in the order of the bytes.
fn table_rows(d: &Dissection<'_>, frame: &[u8], lang: Lang) -> Vec<TableRow> {
    let mut rows = Vec::new();
    let mut layer = None;
    for index in by_offset(d) {
        let field = &d.fields()[index];
        if layer != Some(field.layer) {
            layer = Some(field.layer);
            if let Some(l) = d.layers().get(usize::from(field.layer)) {
                rows.push(TableRow::Layer {
                    bytes: (l.len > 0).then(|| (l.offset, l.offset + l.len - 1)),
                    abbrev: scoped_abbrev(l.proto, l.scope),
                    name: i18n::field_name(l.proto, lang),
                });
            }
        }
        let field_bytes = field.bytes(frame);
        let bytes = (field.len > 0).then(|| {
            let shown: Vec<String> = field_bytes
                .iter()
                .take(BYTES_SHOWN)
                .map(|b| format!("{b:02x}"))
                .collect();
            let mask = field.id.def().mask;
            FieldBytes {
                hex: shown.join(" "),
                more: (field_bytes.len() > BYTES_SHOWN)
                    .then(|| byte_count(field_bytes.len(), lang)),
                mask: (mask != 0)
                    .then(|| format!("0x{mask:0width$x}", width = field.len as usize * 2)),
            }
        });
        let value = match field.value {
            Value::None => ValueCell::Empty,
            Value::Bytes => ValueCell::ByteCount(byte_count(field_bytes.len(), lang)),
            _ => ValueCell::Value(raw_value(field, frame, lang)),
        };
        rows.push(TableRow::Field(FieldRow {
            index,
            offset: field.offset,
            level: field.level,
            bytes,
            value,
            abbrev: abbrev(field),
            meaning: meaning(field, lang),
        }));
    }
    rows
}

/// Whether the frame carries a tunnel (so its first headers are "outer").
fn tunnelled(d: &Dissection<'_>) -> bool {
    d.layers().iter().any(|l| l.proto.is_tunnel())
}

/// The full abbreviation (`inner.ip.ttl`).
fn abbrev(field: &Field<'_>) -> &'static str {
    scoped_abbrev(field.id, field.scope)
}

/// How many leading bytes of a long bytes value are shown.
const BYTES_SHOWN: usize = 8;

/// A field's value as the dumps show it, with the name of the value after it in parentheses
/// (`0x0800 (IPv4)`).
fn value_text(field: &Field<'_>, frame: &[u8], lang: Lang) -> String {
    let mut s = raw_value(field, frame, lang);
    if let Some(name) = value_name(field, lang) {
        s.push_str(" (");
        s.push_str(name);
        s.push(')');
    }
    s
}

/// A field's value: booleans and fixed words in `lang`; long byte strings cut after [`BYTES_SHOWN`] bytes,
/// with their length.
fn raw_value(field: &Field<'_>, frame: &[u8], lang: Lang) -> String {
    let def = field.id.def();
    let mut out = Vec::new();
    match field.value {
        Value::None => {}
        Value::Bool(b) => out.extend_from_slice(
            i18n::phrase(if b { Phrase::True } else { Phrase::False }, lang).as_bytes(),
        ),
        Value::Text(t) => out.extend_from_slice(i18n::text(t, lang).as_bytes()),
        Value::Bytes => {
            let bytes = field.bytes(frame);
            write::hex_bytes(&mut out, &bytes[..bytes.len().min(BYTES_SHOWN)]);
            if bytes.len() > BYTES_SHOWN {
                out.extend_from_slice("… (".as_bytes());
                out.extend_from_slice(byte_count(bytes.len(), lang).as_bytes());
                out.push(b')');
            }
        }
        ref v => write::value(&mut out, def, v, field.bytes(frame)),
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The name of a field's value, if the registry knows one (`IPv4` for EtherType 0x0800).
fn value_name(field: &Field<'_>, lang: Lang) -> Option<&'static str> {
    match field.value {
        Value::UInt(v) => field.id.def().value_name(v).map(|n| i18n::text(n, lang)),
        _ => None,
    }
}

/// "56 bytes", "1 byte" / "56 字节".
fn byte_count(n: usize, lang: Lang) -> String {
    let word = if n == 1 { Phrase::Byte } else { Phrase::Bytes };
    format!("{n} {}", i18n::phrase(word, lang))
}

/// What a field means, in `lang`: its meaning from the registry (or its name when it has none) and the name
/// of its value: `Type: IPv4 — EtherType of the payload`, `Destination MAC address`.
fn meaning(field: &Field<'_>, lang: Lang) -> String {
    let name = i18n::field_name(field.id, lang);
    let blurb = i18n::field_blurb(field.id, lang);
    let blurb_says_name = blurb.starts_with(name);
    let mut s = String::from(if blurb_says_name { blurb } else { name });
    if let Some(value) = value_name(field, lang) {
        s.push_str(i18n::phrase(Phrase::Colon, lang));
        s.push_str(value);
    }
    if !blurb.is_empty() && !blurb_says_name {
        s.push_str(" — ");
        s.push_str(blurb);
    }
    s
}

/// A field as the text dump names it: `ip.ttl 64`, or in Chinese with the field's name, `ip.ttl 生存周期：64`.
fn field_entry(field: &Field<'_>, frame: &[u8], lang: Lang) -> String {
    let value = value_text(field, frame, lang);
    let mut s = abbrev(field).to_string();
    if lang == Lang::Zh {
        s.push(' ');
        s.push_str(i18n::field_name(field.id, lang));
        if !value.is_empty() {
            s.push('：');
        }
    } else if !value.is_empty() {
        s.push(' ');
    }
    s.push_str(&value);
    s
}

/// The frame's header line: `Frame 1, 148 bytes, link type EN10MB (1)`.
fn frame_title(frame: &Frame<'_, '_>, lang: Lang) -> String {
    let d = frame.dissection;
    let captured = frame.bytes.len();
    let mut bytes = byte_count(captured, lang);
    if (d.len as usize) > captured {
        bytes.push_str(&match lang {
            Lang::En => format!(" ({} on the wire)", d.len),
            Lang::Zh => format!("(线路上 {} 字节)", d.len),
        });
    }
    let comma = i18n::phrase(Phrase::Comma, lang);
    format!(
        "{} {}{comma}{bytes}{comma}{} {}",
        i18n::phrase(Phrase::Frame, lang),
        frame.number,
        i18n::phrase(Phrase::LinkType, lang),
        d.link_type,
    )
}

/// The one-line summary of the frame.
fn summary(frame: &Frame<'_, '_>) -> String {
    let mut out = Vec::new();
    super::summary::write(&mut out, frame.dissection, frame.bytes);
    String::from_utf8_lossy(&out).into_owned()
}

/// A note's message and advice in `lang`.
fn note_text(note: &crate::dissection::Note<'_>, lang: Lang) -> (String, &'static str) {
    let mut args = note.args;
    for arg in &mut args {
        if let Value::Text(t) = arg {
            *t = i18n::text(t, lang);
        }
    }
    let mut out = Vec::new();
    crate::notes::write_template(&mut out, i18n::note_template(note.code, lang), &args);
    (
        String::from_utf8_lossy(&out).into_owned(),
        i18n::note_advice(note.code, lang),
    )
}

/// `bytes 42-49` / `字节 42-49`, or `byte 42`.
fn byte_range(offset: u32, len: u32, lang: Lang) -> String {
    match len {
        0 | 1 => format!("{} {offset}", i18n::phrase(Phrase::Byte, lang)),
        _ => format!(
            "{} {offset}-{}",
            i18n::phrase(Phrase::Bytes, lang),
            offset + len - 1
        ),
    }
}

/// Printable ASCII as tcpdump prints it in `-X`: graphic characters, everything else (space too) a dot.
fn ascii(b: u8) -> char {
    if b.is_ascii_graphic() { b as char } else { '.' }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Dissector, LinkType};

    /// The seed packet: a flannel VXLAN ping, 148 bytes.
    pub(super) fn seed() -> Vec<u8> {
        crate::seed_frame()
    }

    #[test]
    fn the_seed_packet_is_labelled_byte_for_byte() {
        let frame = seed();
        let dissector = Dissector::new(Config::default());
        let mut d = Dissection::new();
        dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut d);
        let labels = labels(&d, frame.len());
        let mut at = 0;
        for label in &labels {
            assert_eq!(label.start, at, "{label:?}");
            assert!(label.end > label.start);
            at = label.end;
            let byte_fields: Vec<_> = label
                .fields
                .iter()
                .map(|&i| &d.fields()[i])
                .filter(|f| f.len > 0)
                .collect();
            assert!(
                !byte_fields.is_empty(),
                "bytes {:?} have no field",
                label.range()
            );
            // Several fields of the same level on the same bytes are bit fields of one byte range.
            let top = byte_fields.iter().map(|f| f.level).min().unwrap();
            let siblings: Vec<_> = byte_fields.iter().filter(|f| f.level == top).collect();
            if siblings.len() > 1 {
                assert!(
                    siblings.iter().all(|f| f.id.def().mask != 0),
                    "fields overlap without being bit fields: {siblings:?}"
                );
            }
        }
        assert_eq!(at, 148);
        let named = |abbrev: &str| {
            labels
                .iter()
                .find(|l| {
                    l.fields
                        .iter()
                        .any(|&i| scoped_abbrev(d.fields()[i].id, d.fields()[i].scope) == abbrev)
                })
                .map(|l| (l.range(), l.category))
        };
        assert_eq!(
            named("inner.icmp.ident"),
            Some((88..90, Category::InnerTransport))
        );
        assert_eq!(
            named("inner.icmp.seq"),
            Some((90..92, Category::InnerTransport))
        );
        assert_eq!(named("inner.icmp.data"), Some((92..148, Category::Payload)));
        assert_eq!(named("ip.frag_offset"), Some((20..22, Category::OuterNet)));
        assert_eq!(
            named("ip.checksum.status"),
            Some((24..26, Category::OuterNet))
        );
        assert_eq!(named("vxlan.vni"), Some((46..49, Category::Tunnel)));
        assert_eq!(named("inner.eth.dst"), Some((50..56, Category::InnerLink)));
    }

    #[test]
    fn bytes_nothing_decoded_are_labelled_so() {
        let frame = seed();
        let dissector = Dissector::new(Config::default());
        let mut d = Dissection::new();
        dissector.dissect(LinkType::ETHERNET, &frame[..20], 148, &mut d);
        // Claim more bytes than the dissection covers: the rest is "not decoded".
        let labels = labels(&d, 24);
        let last = labels.last().unwrap();
        assert_eq!(
            (last.range(), last.category),
            (20..24, Category::NotDecoded)
        );
        assert!(last.fields.is_empty());
    }
}
