//! The full tree (`-V`): each layer, each field with its value, meaning, abbreviation, byte offset and
//! length, then the notes with what to do.
//!
//! ```text
//! Internet Protocol Version 4 (ip), bytes 14-33
//!     Time to live: 64                                        ip.ttl @22+1
//! ```

use super::FrameView;
use crate::value::write;

/// Longest value shown whole; longer ones (payloads) are cut, with their length.
const MAX_VALUE_WIDTH: usize = 48;

/// Column where the abbreviation starts.
const ABBREV_COLUMN: usize = 60;

/// Writes the tree of one frame.
pub fn write<V: FrameView>(out: &mut Vec<u8>, view: &V) {
    for l in 0..view.layer_count() {
        let layer = view.layer(l);
        let indent = 2 * usize::from(layer.depth);
        pad(out, indent);
        out.extend_from_slice(layer.name.as_bytes());
        out.extend_from_slice(b" (");
        out.extend_from_slice(layer.prefix.as_bytes());
        out.extend_from_slice(layer.abbrev.as_bytes());
        out.push(b')');
        if layer.len > 0 {
            out.extend_from_slice(b", bytes ");
            write::u64_dec(out, u64::from(layer.offset));
            out.push(b'-');
            write::u64_dec(out, u64::from(layer.offset + layer.len - 1));
        }
        out.push(b'\n');
        for i in 0..view.field_count() {
            let f = view.field(i);
            if f.layer != l {
                continue;
            }
            let start = out.len();
            pad(out, indent + 4 + 4 * usize::from(f.level));
            out.extend_from_slice(f.name.as_bytes());
            out.extend_from_slice(b": ");
            let value_at = out.len();
            view.write_value(i, out);
            if out.len() - value_at > MAX_VALUE_WIDTH {
                // Cut at a character's start: a value may be text of many bytes a character (a pod or node
                // name from a topology file).
                let mut cut = value_at + MAX_VALUE_WIDTH - 16;
                while cut > value_at && out[cut] & 0xc0 == 0x80 {
                    cut -= 1;
                }
                out.truncate(cut);
                out.extend_from_slice("…".as_bytes());
                if f.len > 0 {
                    out.extend_from_slice(b" (");
                    write::u64_dec(out, u64::from(f.len));
                    out.extend_from_slice(b" bytes)");
                }
            }
            let mark = out.len();
            out.extend_from_slice(b" (");
            if view.write_value_name(i, out) {
                out.push(b')');
            } else {
                out.truncate(mark);
            }
            let width = String::from_utf8_lossy(&out[start..]).chars().count();
            pad(out, ABBREV_COLUMN.saturating_sub(width).max(2));
            out.extend_from_slice(f.prefix.as_bytes());
            out.extend_from_slice(f.abbrev.as_bytes());
            out.extend_from_slice(b" @");
            write::u64_dec(out, u64::from(f.offset));
            if f.len > 0 {
                out.push(b'+');
                write::u64_dec(out, u64::from(f.len));
            } else {
                out.extend_from_slice(b" (computed)");
            }
            out.push(b'\n');
        }
    }
    if view.note_count() > 0 {
        out.extend_from_slice(b"Notes\n");
    }
    for i in 0..view.note_count() {
        let n = view.note(i);
        out.extend_from_slice(b"    [");
        out.extend_from_slice(n.severity.as_bytes());
        out.extend_from_slice(b"] ");
        out.extend_from_slice(n.code.as_bytes());
        out.extend_from_slice(b" @");
        write::u64_dec(out, u64::from(n.offset));
        out.push(b'+');
        write::u64_dec(out, u64::from(n.len));
        out.extend_from_slice(b": ");
        view.write_note_message(i, out);
        out.push(b'\n');
        if !n.advice.is_empty() {
            out.extend_from_slice(b"        what to do: ");
            out.extend_from_slice(n.advice.as_bytes());
            out.push(b'\n');
        }
    }
}

fn pad(out: &mut Vec<u8>, n: usize) {
    out.resize(out.len() + n, b' ');
}
