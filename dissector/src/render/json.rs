//! JSON lines: one object a frame.
//!
//! `{"frame":1,"ts":"1630859447.124500000","caplen":148,"len":148,"summary":"...","fields":{"eth.dst":"00:50:56:93:63:3b",...,"vxlan.vni":1},"notes":[{"severity":"chat","code":"...","message":"...","offset":42,"length":8}]}`
//!
//! Decimal integers are numbers, booleans are booleans, everything else (addresses, hex values, bytes, text)
//! is a string. A name that occurs more than once in a frame (two VLAN tags, several TCP options) maps to an
//! array of its values in order.

use super::{FrameView, JsonKind};
use crate::value::write;

/// A frame's place in its capture.
#[derive(Clone, Copy, Debug)]
pub struct FrameInfo<'a> {
    /// 1-based frame number within its file.
    pub number: u64,
    pub ts_sec: i64,
    pub ts_nsec: u32,
    pub caplen: u32,
    pub len: u32,
    /// The capture file, when several are dissected in one run.
    pub file: Option<&'a str>,
}

/// Writes frames as JSON lines, reusing its bookkeeping from frame to frame.
#[derive(Default)]
pub struct JsonWriter {
    /// Occurrences of each field key in the current frame.
    counts: Vec<u16>,
    /// Fields already written as part of an array.
    done: Vec<bool>,
}

impl JsonWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one JSON object and a newline to `out`.
    pub fn write_frame(&mut self, out: &mut Vec<u8>, info: &FrameInfo<'_>, view: &impl FrameView) {
        out.extend_from_slice(b"{\"frame\":");
        write::u64_dec(out, info.number);
        if let Some(file) = info.file {
            out.extend_from_slice(b",\"file\":");
            string(out, file.as_bytes());
        }
        out.extend_from_slice(b",\"ts\":\"");
        timestamp(out, info.ts_sec, info.ts_nsec);
        out.extend_from_slice(b"\",\"caplen\":");
        write::u64_dec(out, u64::from(info.caplen));
        out.extend_from_slice(b",\"len\":");
        write::u64_dec(out, u64::from(info.len));
        out.extend_from_slice(b",\"summary\":");
        let start = out.len();
        out.push(b'"');
        view.summary(out);
        escape_tail(out, start + 1);
        out.push(b'"');
        out.extend_from_slice(b",\"fields\":{");
        self.fields(out, view);
        out.extend_from_slice(b"},\"notes\":[");
        for i in 0..view.note_count() {
            let n = view.note(i);
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"severity\":");
            string(out, n.severity.as_bytes());
            out.extend_from_slice(b",\"code\":");
            string(out, n.code.as_bytes());
            out.extend_from_slice(b",\"message\":\"");
            let start = out.len();
            view.write_note_message(i, out);
            escape_tail(out, start);
            out.push(b'"');
            if !n.advice.is_empty() {
                out.extend_from_slice(b",\"advice\":");
                string(out, n.advice.as_bytes());
            }
            out.extend_from_slice(b",\"offset\":");
            write::u64_dec(out, u64::from(n.offset));
            out.extend_from_slice(b",\"length\":");
            write::u64_dec(out, u64::from(n.len));
            out.push(b'}');
        }
        out.extend_from_slice(b"]}\n");
    }

    fn fields(&mut self, out: &mut Vec<u8>, view: &impl FrameView) {
        let n = view.field_count();
        self.done.clear();
        self.done.resize(n, false);
        for i in 0..n {
            let key = view.field(i).key;
            if key >= self.counts.len() {
                self.counts.resize(key + 1, 0);
            }
            self.counts[key] = self.counts[key].saturating_add(1);
        }
        let mut first = true;
        for i in 0..n {
            let meta = view.field(i);
            if meta.json == JsonKind::Skip || self.done[i] {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.push(b'"');
            out.extend_from_slice(meta.prefix.as_bytes());
            out.extend_from_slice(meta.abbrev.as_bytes());
            out.extend_from_slice(b"\":");
            if self.counts[meta.key] > 1 {
                out.push(b'[');
                value(out, view, i, meta.json);
                for j in i + 1..n {
                    let other = view.field(j);
                    if other.key == meta.key && other.json != JsonKind::Skip {
                        out.push(b',');
                        value(out, view, j, other.json);
                        self.done[j] = true;
                    }
                }
                out.push(b']');
            } else {
                value(out, view, i, meta.json);
            }
        }
        for i in 0..n {
            let key = view.field(i).key;
            self.counts[key] = 0;
        }
    }
}

fn value(out: &mut Vec<u8>, view: &impl FrameView, index: usize, kind: JsonKind) {
    match kind {
        JsonKind::Number | JsonKind::Bool => view.write_value(index, out),
        JsonKind::String | JsonKind::Skip => {
            out.push(b'"');
            let start = out.len();
            view.write_value(index, out);
            escape_tail(out, start);
            out.push(b'"');
        }
    }
}

/// `seconds.nanoseconds`, nine digits after the point.
pub fn timestamp(out: &mut Vec<u8>, sec: i64, nsec: u32) {
    if sec < 0 {
        out.push(b'-');
    }
    write::u64_dec(out, sec.unsigned_abs());
    out.push(b'.');
    let mut digits = [b'0'; 9];
    let mut v = nsec.min(999_999_999);
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&digits);
}

/// A JSON string, quoted and escaped.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.extend_from_slice(s);
    escape_tail(out, start);
    out.push(b'"');
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Escapes `out[start..]` in place for a JSON string (rarely needed: only then does it allocate).
pub fn escape_tail(out: &mut Vec<u8>, start: usize) {
    if !out[start..].iter().any(|&b| needs_escape(b)) {
        return;
    }
    let tail = out.split_off(start);
    for b in tail {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b if b < 0x20 => {
                out.extend_from_slice(b"\\u00");
                out.push(b"0123456789abcdef"[usize::from(b >> 4)]);
                out.push(b"0123456789abcdef"[usize::from(b & 0xf)]);
            }
            b => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_timestamps() {
        let mut out = Vec::new();
        string(&mut out, b"a\"b\\c\nd\x01");
        assert_eq!(out, b"\"a\\\"b\\\\c\\nd\\u0001\"");
        out.clear();
        timestamp(&mut out, 1_630_859_447, 124_500_000);
        assert_eq!(out, b"1630859447.124500000");
        out.clear();
        timestamp(&mut out, 0, 5);
        assert_eq!(out, b"0.000000005");
    }
}
