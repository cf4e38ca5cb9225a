//! The HTML dump: one self-contained page (its style and script inline, nothing fetched), the bytes coloured
//! by layer with a legend, a rule before the first byte of each field, the field and value of a byte in its
//! tooltip and, when pointed at, in a panel under the dump; then the table of fields and the notes.
//!
//! Every byte is a `<span class="b ..." data-i="OFFSET" data-l="LABEL" title="...">hh</span>`, its ASCII
//! character a `<span class="a ..." data-i data-l>`; the page works without its script (tooltips, colours),
//! and prints in colour.

use std::fmt::Write;

use super::{
    Category, Frame, Lang, TableRow, ValueCell, abbrev, byte_range, frame_title, labels, meaning,
    note_text, summary, table_rows, tunnelled, value_text,
};
use crate::i18n::{self, Phrase};
use crate::render::markup::escape;

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

const BYTES_PER_LINE: usize = 16;

pub(super) fn start(out: &mut Vec<u8>, lang: Lang) {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"vxscope\">\n<title>{}</title>\n<style>\n{}{STYLE}</style>\n</head>\n<body>\n",
        lang.html_tag(),
        escape(i18n::phrase(Phrase::Title, lang)),
        palette_css(),
    );
    out.extend_from_slice(page.as_bytes());
}

pub(super) fn end(out: &mut Vec<u8>, _lang: Lang) {
    out.extend_from_slice(b"<script>\n");
    out.extend_from_slice(SCRIPT.as_bytes());
    out.extend_from_slice(b"</script>\n</body>\n</html>\n");
}

pub(super) fn frame(out: &mut Vec<u8>, frame: &Frame<'_, '_>, lang: Lang) {
    let d = frame.dissection;
    let bytes = frame.bytes;
    let labels = labels(d, bytes.len());
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<section class=\"frame\" id=\"frame-{}\">\n<h2>{}</h2>\n<p class=\"summary\"><code>{}</code></p>",
        frame.number,
        escape(&frame_title(frame, lang)),
        escape(&summary(frame)),
    );

    // The picture of the frame.
    let _ = writeln!(
        h,
        "<figure class=\"picture\">\n{}</figure>",
        super::svg::inline(frame, lang)
    );

    // The legend: the categories this frame has.
    let tunnelled = tunnelled(d);
    let _ = write!(
        h,
        "<ul class=\"legend\" aria-label=\"{}\">",
        escape(i18n::phrase(Phrase::Legend, lang))
    );
    for category in Category::ALL {
        if labels.iter().any(|l| l.category == category) {
            let _ = write!(
                h,
                "<li><span class=\"sw c-{}\"></span>{}</li>",
                category.css(),
                escape(category.name(tunnelled, lang))
            );
        }
    }
    h.push_str("</ul>\n");

    // The dump.
    let mut label_of = vec![0; bytes.len()];
    for (n, label) in labels.iter().enumerate() {
        label_of[label.range()].fill(n);
    }
    let titles: Vec<String> = labels
        .iter()
        .map(|label| {
            label
                .fields
                .iter()
                .map(|&i| {
                    let f = &d.fields()[i];
                    let value = value_text(f, bytes, lang);
                    let sep = if value.is_empty() { "" } else { " " };
                    format!("{}{sep}{value} — {}", abbrev(f), meaning(f, lang))
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    h.push_str("<div class=\"dump\">\n");
    let byte_word = i18n::phrase(Phrase::Byte, lang);
    for start in (0..bytes.len()).step_by(BYTES_PER_LINE) {
        let end = (start + BYTES_PER_LINE).min(bytes.len());
        let _ = write!(
            h,
            "<div class=\"row\"><span class=\"off\">0x{start:04x}</span><span class=\"hex\">"
        );
        for i in start..end {
            let label = &labels[label_of[i]];
            let mut class = format!("b c-{}", label.category.css());
            if label.start == i {
                class.push_str(" s");
            }
            if (i - start) % 2 == 1 && i + 1 < end {
                class.push_str(" g");
            }
            let mut title = format!("{byte_word} {i} (0x{i:04x}): {:02x}", bytes[i]);
            let label_title = &titles[label_of[i]];
            if label_title.is_empty() {
                title.push('\n');
                title.push_str(i18n::phrase(Phrase::NotDecoded, lang));
            } else {
                title.push('\n');
                title.push_str(label_title);
            }
            let _ = write!(
                h,
                "<span class=\"{class}\" data-i=\"{i}\" data-l=\"{}\" title=\"{}\">{:02x}</span>",
                label_of[i],
                escape(&title),
                bytes[i]
            );
        }
        h.push_str("</span><span class=\"asc\">");
        for i in start..end {
            let label = &labels[label_of[i]];
            let start_class = if label.start == i { " s" } else { "" };
            let _ = write!(
                h,
                "<span class=\"a c-{}{start_class}\" data-i=\"{i}\" data-l=\"{}\">{}</span>",
                label.category.css(),
                label_of[i],
                escape(&super::ascii(bytes[i]).to_string())
            );
        }
        h.push_str("</span></div>\n");
    }
    h.push_str("</div>\n");
    let _ = writeln!(
        h,
        "<div class=\"info\" aria-live=\"polite\">{}</div>",
        escape(i18n::phrase(Phrase::HoverHint, lang))
    );

    // The table of fields.
    let column = |p| escape(i18n::phrase(p, lang));
    let _ = writeln!(
        h,
        "<table class=\"fields\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
        column(Phrase::Offset),
        column(Phrase::BytesColumn),
        column(Phrase::Field),
        column(Phrase::Value),
        column(Phrase::Meaning),
    );
    let mut field_label = vec![None; d.fields().len()];
    for (n, label) in labels.iter().enumerate() {
        for &i in &label.fields {
            field_label[i].get_or_insert(n);
        }
    }
    for row in table_rows(d, bytes, lang) {
        let f = match row {
            TableRow::Layer {
                bytes,
                abbrev,
                name,
            } => {
                let range = bytes.map_or(String::new(), |(first, last)| format!("{first}–{last}"));
                let _ = writeln!(
                    h,
                    "<tr class=\"layer\"><td class=\"num\">{range}</td><td></td><td class=\"fld\"><code>{}</code></td><td></td><td>{}</td></tr>",
                    escape(abbrev),
                    escape(name),
                );
                continue;
            }
            TableRow::Field(f) => f,
        };
        let bytes_cell = match &f.bytes {
            None => format!("<em>{}</em>", column(Phrase::Computed)),
            Some(b) => {
                let mut cell = format!("<code>{}</code>", b.hex);
                if let Some(more) = &b.more {
                    let _ = write!(cell, " … ({})", escape(more));
                }
                if let Some(mask) = &b.mask {
                    let _ = write!(cell, " &amp; {mask}");
                }
                cell
            }
        };
        let value_cell = match &f.value {
            ValueCell::Empty => String::new(),
            ValueCell::ByteCount(n) => escape(n),
            ValueCell::Value(v) => format!("<code>{}</code>", escape(v)),
        };
        let field = &d.fields()[f.index];
        let (row_attr, category) = match field_label[f.index] {
            Some(n) => (format!(" data-l=\"{n}\""), labels[n].category.css()),
            None => (String::new(), Category::of(d, field).css()),
        };
        let _ = writeln!(
            h,
            "<tr{row_attr}><td class=\"num\">{}</td><td class=\"bytes\">{bytes_cell}</td><td class=\"fld c-{category}\"><span class=\"nest\">{}</span><code>{}</code></td><td class=\"val\">{value_cell}</td><td>{}</td></tr>",
            f.offset,
            "↳ ".repeat(usize::from(f.level)),
            escape(f.abbrev),
            escape(&f.meaning),
        );
    }
    h.push_str("</tbody>\n</table>\n");

    if !d.notes().is_empty() {
        let _ = writeln!(
            h,
            "<h3>{}</h3>\n<ul class=\"notes\">",
            column(Phrase::Notes)
        );
        for note in d.notes() {
            let (message, advice) = note_text(note, lang);
            let colon = i18n::phrase(Phrase::Colon, lang);
            let _ = write!(
                h,
                "<li class=\"sev-{}\"><strong>[{}]</strong> <code>{}</code> ({}){colon}{}",
                note.severity().name(),
                escape(i18n::severity(note.severity(), lang)),
                escape(note.code.def().code),
                escape(&byte_range(note.offset, note.len, lang)),
                with_code(&message),
            );
            if !advice.is_empty() {
                let _ = write!(
                    h,
                    "<br><em>{}</em>{colon}{}",
                    column(Phrase::WhatToDo),
                    with_code(advice)
                );
            }
            h.push_str("</li>\n");
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
    out.extend_from_slice(h.as_bytes());
}

/// The layer colours as CSS variables (`--ol: #cfe0fc;`), from [`Category::colour`].
fn palette_css() -> String {
    let mut css = String::from(":root {");
    for category in Category::ALL {
        let _ = write!(css, " --{}: {};", category.css(), category.colour());
    }
    css.push_str(" }\n");
    css
}

/// Escaped text whose `backquoted` parts become `<code>`.
fn with_code(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", escape(part))
            } else {
                escape(part)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & \"c\"\n"), "a&lt;b &amp; &quot;c&quot;&#10;");
        assert_eq!(
            with_code("run `ethtool -K <nic>` now"),
            "run <code>ethtool -K &lt;nic&gt;</code> now"
        );
    }
}
