//! The Markdown dump: the frame's title and summary, a fenced hex dump (tcpdump's `-XX` lines), and a table
//! of every field (offset, bytes, field, value, meaning) with a row for each layer, then the notes.

use super::{
    BYTES_SHOWN, Frame, Lang, abbrev, by_offset, byte_count, byte_range, frame_title, meaning,
    note_text, raw_value, summary, text,
};
use crate::fields::scoped_abbrev;
use crate::i18n::{self, Phrase};
use crate::value::Value;

pub(super) fn frame(out: &mut Vec<u8>, frame: &Frame<'_, '_>, lang: Lang) {
    let d = frame.dissection;
    let bytes = frame.bytes;
    let mut md = String::new();
    md.push_str("### ");
    md.push_str(&escape(&frame_title(frame, lang)));
    md.push_str("\n\n");
    md.push_str(&code(&summary(frame)));
    md.push_str("\n\n```text\n");
    for start in (0..bytes.len()).step_by(16) {
        let mut line = String::new();
        text::hex_line(&mut line, bytes, start);
        md.push_str(line.trim_start_matches('\t'));
    }
    md.push_str("```\n\n");

    let column = |p| i18n::phrase(p, lang);
    md.push_str(&format!(
        "| {} | {} | {} | {} | {} |\n|---:|---|---|---|---|\n",
        column(Phrase::Offset),
        column(Phrase::BytesColumn),
        column(Phrase::Field),
        column(Phrase::Value),
        column(Phrase::Meaning),
    ));
    let mut layer = None;
    for i in by_offset(d) {
        let field = &d.fields()[i];
        if layer != Some(field.layer) {
            layer = Some(field.layer);
            if let Some(l) = d.layers().get(usize::from(field.layer)) {
                let range = if l.len > 0 {
                    format!("**{}–{}**", l.offset, l.offset + l.len - 1)
                } else {
                    String::new()
                };
                md.push_str(&format!(
                    "| {range} | | **{}** | | **{}** |\n",
                    cell(scoped_abbrev(l.proto, l.scope)),
                    escape(i18n::field_name(l.proto, lang)),
                ));
            }
        }
        let field_bytes = field.bytes(bytes);
        let bytes_cell = if field.len == 0 {
            format!("*{}*", column(Phrase::Computed))
        } else {
            let shown: Vec<String> = field_bytes
                .iter()
                .take(BYTES_SHOWN)
                .map(|b| format!("{b:02x}"))
                .collect();
            let mut text = cell(&shown.join(" "));
            if field_bytes.len() > BYTES_SHOWN {
                text.push_str(&format!(" … ({})", byte_count(field_bytes.len(), lang)));
            }
            let mask = field.id.def().mask;
            if mask != 0 {
                text.push_str(&format!(
                    " & 0x{mask:0width$x}",
                    width = field.len as usize * 2
                ));
            }
            text
        };
        let value_cell = match field.value {
            Value::None => String::new(),
            Value::Bytes => byte_count(field_bytes.len(), lang),
            _ => cell(&raw_value(field, bytes, lang)),
        };
        md.push_str(&format!(
            "| {} | {} | {}{} | {} | {} |\n",
            field.offset,
            bytes_cell,
            "↳ ".repeat(usize::from(field.level)),
            cell(abbrev(field)),
            value_cell,
            escape(&meaning(field, lang)),
        ));
    }

    if !d.notes().is_empty() {
        md.push_str(&format!("\n**{}**\n\n", column(Phrase::Notes)));
    }
    for note in d.notes() {
        let (message, advice) = note_text(note, lang);
        let colon = match lang {
            Lang::En => ": ",
            Lang::Zh => "：",
        };
        md.push_str(&format!(
            "- **{}** {} ({}){colon}{}",
            i18n::severity(note.severity(), lang),
            code(note.code.def().code),
            byte_range(note.offset, note.len, lang),
            inline(&message),
        ));
        if !advice.is_empty() {
            md.push_str(&format!(
                "  \n  *{}*{colon}{}",
                column(Phrase::WhatToDo),
                inline(advice)
            ));
        }
        md.push('\n');
    }
    md.push('\n');
    out.extend_from_slice(md.as_bytes());
}

/// Text as a code span, safe inside a table cell (where a `|` must be escaped, even in code).
fn cell(s: &str) -> String {
    code(&s.replace('|', "\\|"))
}

/// Text as a code span.
fn code(s: &str) -> String {
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Plain text with the characters Markdown (and a table cell) would read as markup escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '[' | ']' | '`' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text whose `backquoted` parts are code: those are kept, the rest is escaped.
fn inline(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("`{part}`")
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
    fn markup_is_escaped_and_code_kept() {
        assert_eq!(
            escape("a|b <nic> *x* flannel_1"),
            "a\\|b &lt;nic&gt; \\*x\\* flannel\\_1"
        );
        assert_eq!(cell("a|b"), "`a\\|b`");
        assert_eq!(code("a | b"), "`a | b`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(
            inline("run `ethtool -K <nic> off` on <node>"),
            "run `ethtool -K <nic> off` on &lt;node&gt;"
        );
    }
}
