//! The Markdown dump: the frame's title and summary, a fenced hex dump (tcpdump's `-XX` lines), and a table
//! of every field (offset, bytes, field, value, meaning) with a row for each layer, then the notes.

use super::{
    Frame, Lang, TableRow, ValueCell, byte_range, frame_title, note_text, summary, table_rows, text,
};
use crate::i18n::{self, Phrase};

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
    for row in table_rows(d, bytes, lang) {
        match row {
            TableRow::Layer {
                bytes,
                abbrev,
                name,
            } => {
                let range =
                    bytes.map_or(String::new(), |(first, last)| format!("**{first}–{last}**"));
                md.push_str(&format!(
                    "| {range} | | **{}** | | **{}** |\n",
                    cell(abbrev),
                    escape(name),
                ));
            }
            TableRow::Field(f) => {
                let bytes_cell = match &f.bytes {
                    None => format!("*{}*", column(Phrase::Computed)),
                    Some(b) => {
                        let mut text = cell(&b.hex);
                        if let Some(more) = &b.more {
                            text.push_str(&format!(" … ({more})"));
                        }
                        if let Some(mask) = &b.mask {
                            text.push_str(&format!(" & {mask}"));
                        }
                        text
                    }
                };
                let value_cell = match &f.value {
                    ValueCell::Empty => String::new(),
                    ValueCell::ByteCount(n) => n.clone(),
                    ValueCell::Value(v) => cell(v),
                };
                md.push_str(&format!(
                    "| {} | {} | {}{} | {} | {} |\n",
                    f.offset,
                    bytes_cell,
                    "↳ ".repeat(usize::from(f.level)),
                    cell(f.abbrev),
                    value_cell,
                    escape(&f.meaning),
                ));
            }
        }
    }

    if !d.notes().is_empty() {
        md.push_str(&format!("\n**{}**\n\n", column(Phrase::Notes)));
    }
    for note in d.notes() {
        let (message, advice) = note_text(note, lang);
        let colon = i18n::phrase(Phrase::Colon, lang);
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

/// Text as a code span: fenced by one backquote more than the longest run of them in the text (CommonMark ends
/// a span at a run of exactly its fence's length), on one line (a line break would end a table row).
fn code(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
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
            '&' => out.push_str("&amp;"),
            // A line break would end a table row or a paragraph.
            c if c.is_control() => out.push(' '),
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
