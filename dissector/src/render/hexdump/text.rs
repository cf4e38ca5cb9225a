//! The text dump: tcpdump's `-XX` layout, each line followed by the fields that start on it.
//!
//! ```text
//! Frame 1, 148 bytes, link type EN10MB (1): 172.16.100.101:40592 > 172.16.100.102:8472 VXLAN vni 1 | ...
//!     0x0000:  0050 5693 633b 0050 5693 6a3a 0800 4500  .PV.c;.PV.j:..E.
//!              | eth.dst 00:50:56:93:63:3b, eth.src 00:50:56:93:6a:3a, eth.type 0x0800 (IPv4)
//!              | ip.version 4, ip.hdr_len 20, ip.dsfield 0x00, ip.dsfield.dscp 0, ip.dsfield.ecn 0
//! ```
//!
//! The hex lines are tcpdump's own, byte for byte (each starts with a tab, shown above as spaces). The fields of one layer share an annotation line; lines
//! wrap at [`WIDTH`] columns. Every line that is not a hex line starts with a word that is not hex (`|`, `!`,
//! `Frame`), so the dump can be read back with `--from-text`.

use super::{Frame, Lang, by_offset, byte_range, field_entry, frame_title, note_text, summary};
use crate::i18n::{self, Phrase};

/// Columns a line may take, a tab counting as 8.
const WIDTH: usize = 100;

/// Bytes a hex line holds.
const BYTES_PER_LINE: usize = 16;

/// Annotations start under the first hex group.
const ANNOTATION: &str = "\t         | ";
const ANNOTATION_MORE: &str = "\t         |   ";

const NOTE: &str = "  ! ";
const NOTE_MORE: &str = "  |   ";

pub(super) fn frame(out: &mut Vec<u8>, frame: &Frame<'_, '_>, lang: Lang) {
    let d = frame.dissection;
    let bytes = frame.bytes;
    let mut text = String::new();
    text.push_str(&frame_title(frame, lang));
    text.push_str(i18n::phrase(Phrase::Colon, lang));
    text.push_str(&summary(frame));
    text.push('\n');

    let order = by_offset(d);
    let mut next = 0;
    let lines = bytes.len().div_ceil(BYTES_PER_LINE).max(1);
    for line in 0..lines {
        let start = line * BYTES_PER_LINE;
        if start < bytes.len() {
            hex_line(&mut text, bytes, start);
        }
        let end = if line + 1 == lines {
            usize::MAX
        } else {
            start + BYTES_PER_LINE
        };
        // The fields that start on this line, one annotation line for each run of fields of one layer.
        let mut group: Vec<String> = Vec::new();
        let mut group_layer = None;
        while let Some(&i) = order.get(next) {
            let field = &d.fields()[i];
            if field.offset as usize >= end {
                break;
            }
            next += 1;
            if group_layer.is_some_and(|l| l != field.layer) {
                wrap(&mut text, ANNOTATION, ANNOTATION_MORE, &group);
                group.clear();
            }
            group_layer = Some(field.layer);
            group.push(field_entry(field, bytes, lang));
        }
        if !group.is_empty() {
            wrap(&mut text, ANNOTATION, ANNOTATION_MORE, &group);
        }
    }

    if !d.notes().is_empty() {
        text.push_str(i18n::phrase(Phrase::Notes, lang));
        text.push('\n');
    }
    for note in d.notes() {
        let (message, advice) = note_text(note, lang);
        let (colon, comma) = (
            i18n::phrase(Phrase::Colon, lang),
            i18n::phrase(Phrase::Comma, lang),
        );
        let head = format!(
            "[{}] {}{comma}{}{colon}{message}",
            i18n::severity(note.severity(), lang),
            note.code.def().code,
            byte_range(note.offset, note.len, lang),
        );
        wrap(&mut text, NOTE, NOTE_MORE, &[head]);
        if !advice.is_empty() {
            let advice = format!("{}{colon}{advice}", i18n::phrase(Phrase::WhatToDo, lang));
            wrap(&mut text, NOTE_MORE, NOTE_MORE, &[advice]);
        }
    }
    text.push('\n');
    out.extend_from_slice(text.as_bytes());
}

/// One line as `tcpdump -XX` prints it: offset, 16 bytes in groups of two, the ASCII column.
pub(super) fn hex_line(text: &mut String, bytes: &[u8], start: usize) {
    use std::fmt::Write;
    let chunk = &bytes[start..(start + BYTES_PER_LINE).min(bytes.len())];
    let mut hex = String::with_capacity(40);
    for pair in chunk.chunks(2) {
        hex.push(' ');
        for b in pair {
            let _ = write!(hex, "{b:02x}");
        }
    }
    let ascii: String = chunk.iter().map(|&b| super::ascii(b)).collect();
    let _ = writeln!(text, "\t0x{start:04x}: {hex:<40}  {ascii}");
}

/// Writes `items`, separated by commas, on lines that start with `first` and then `more`, wrapped at
/// [`WIDTH`] columns: between items where it can, inside an item (at a space or between Chinese characters)
/// when one is longer than a line.
fn wrap(text: &mut String, first: &str, more: &str, items: &[String]) {
    let mut line = String::from(first);
    let mut empty = true;
    let mut flush = |line: &mut String, empty: &mut bool| {
        text.push_str(line.trim_end());
        text.push('\n');
        line.clear();
        line.push_str(more);
        *empty = true;
    };
    for (k, item) in items.iter().enumerate() {
        let piece = if k + 1 < items.len() {
            format!("{item}, ")
        } else {
            item.clone()
        };
        if !empty && width(&line) + width(piece.trim_end()) > WIDTH {
            flush(&mut line, &mut empty);
        }
        if width(&line) + width(piece.trim_end()) <= WIDTH {
            line.push_str(&piece);
            empty = false;
            continue;
        }
        for atom in atoms(&piece) {
            let blank = atom.trim().is_empty();
            if !empty && width(&line) + width(atom.trim_end()) > WIDTH {
                flush(&mut line, &mut empty);
                if blank {
                    continue;
                }
            }
            line.push_str(atom);
            empty &= blank;
        }
    }
    if !empty {
        text.push_str(line.trim_end());
        text.push('\n');
    }
}

/// Pieces a line may break between: runs of spaces, words, and single Chinese characters (with the
/// punctuation after them, which may not start a line).
fn atoms(s: &str) -> Vec<&str> {
    let mut atoms = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = if is_wide(c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, p)) = chars.peek() {
                if !is_closing(p) {
                    break;
                }
                end = j + p.len_utf8();
                chars.next();
            }
            end
        } else {
            let space = c.is_whitespace();
            let mut end = i + c.len_utf8();
            while let Some(&(j, p)) = chars.peek() {
                if p.is_whitespace() != space || is_wide(p) && !is_closing(p) {
                    break;
                }
                end = j + p.len_utf8();
                chars.next();
            }
            end
        };
        atoms.push(&s[i..end]);
    }
    atoms
}

/// Punctuation that closes a phrase and may not start a line.
fn is_closing(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '：' | '；' | '、' | '）' | '！' | '？' | ',' | '.' | ':' | ';' | ')'
    )
}

/// Whether a character takes two columns in a terminal (Chinese, Japanese, Korean, full-width forms).
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115f
        | 0x2e80..=0x303e
        | 0x3041..=0x33ff
        | 0x3400..=0x4dbf
        | 0x4e00..=0x9fff
        | 0xa000..=0xa4cf
        | 0xac00..=0xd7a3
        | 0xf900..=0xfaff
        | 0xfe30..=0xfe4f
        | 0xff00..=0xff60
        | 0xffe0..=0xffe6)
}

/// Columns a line takes in a terminal: tabs to the next multiple of 8, wide characters two.
pub(super) fn width(s: &str) -> usize {
    s.chars().fold(0, |col, c| match c {
        '\t' => (col / 8 + 1) * 8,
        c if is_wide(c) => col + 2,
        _ => col + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_lines_are_tcpdumps() {
        let bytes: Vec<u8> = (0x1e..0x40).collect();
        let mut text = String::new();
        hex_line(&mut text, &bytes, 0);
        hex_line(&mut text, &bytes, 16);
        hex_line(&mut text, &bytes, 32);
        assert_eq!(
            text,
            "\t0x0000:  1e1f 2021 2223 2425 2627 2829 2a2b 2c2d  ...!\"#$%&'()*+,-\n\
             \t0x0010:  2e2f 3031 3233 3435 3637 3839 3a3b 3c3d  ./0123456789:;<=\n\
             \t0x0020:  3e3f                                     >?\n"
        );
        let mut odd = String::new();
        hex_line(&mut odd, &[0x45, 0x00, 0x7f], 0);
        assert_eq!(
            odd,
            "\t0x0000:  4500 7f                                  E..\n"
        );
    }

    #[test]
    fn long_annotations_wrap_between_items_then_inside_them() {
        let items: Vec<String> = (0..12).map(|i| format!("field.number{i} {i}")).collect();
        let mut text = String::new();
        wrap(&mut text, ANNOTATION, ANNOTATION_MORE, &items);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 1, "{text}");
        for line in &lines {
            assert!(width(line) <= WIDTH, "{line:?} is {} wide", width(line));
            assert!(line.starts_with("\t         |"), "{line:?}");
        }
        assert!(lines[0].ends_with(','), "{text}");
        assert!(lines[1].starts_with(ANNOTATION_MORE), "{text}");
        // Items are not cut in two while they fit on a line.
        let joined: Vec<String> = lines
            .iter()
            .map(|l| {
                l.trim_start_matches(ANNOTATION_MORE)
                    .trim_start_matches(ANNOTATION)
                    .to_string()
            })
            .collect();
        assert_eq!(joined.join(" "), items.join(", "));

        let chinese = vec!["说明".repeat(60)];
        let mut text = String::new();
        wrap(&mut text, NOTE, NOTE_MORE, &chinese);
        for line in text.lines() {
            assert!(width(line) <= WIDTH, "{line:?}");
        }
        assert_eq!(text.lines().count(), 3, "{text}");
    }

    #[test]
    fn chinese_punctuation_stays_with_its_word() {
        assert_eq!(
            atoms("校验和，错误 ok"),
            ["校", "验", "和，", "错", "误", " ", "ok"]
        );
        assert_eq!(width("\t校验"), 12);
    }
}
