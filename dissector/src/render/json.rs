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
    /// The layer of each field of the current frame.
    field_layer: Vec<u16>,
    /// For `-T ek`: the object each layer's fields go into, the index of the first layer of its protocol and
    /// scope.
    layer_group: Vec<u16>,
    /// For `-T ek`: the fields' indices ordered by the group of their layer (a counting sort), and where each
    /// group's run starts in it.
    order: Vec<u32>,
    group_start: Vec<u32>,
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
        out.push(b',');
        summary(out, view);
        out.extend_from_slice(b",\"fields\":{");
        self.count(view);
        self.fields(out, view, Names::Dotted, None);
        self.uncount(view);
        out.extend_from_slice(b"},");
        notes(out, view);
        out.extend_from_slice(b"}\n");
    }

    /// Appends the two lines of Elasticsearch's bulk API that `tshark -T ek` writes for a frame: the index
    /// line (`{"index":{"_index":"packets-YYYY-MM-DD","_type":"doc"}}`, the frame's UTC date) and the
    /// document: `{"timestamp":"<milliseconds since the epoch>","layers":{"frame":{...},"eth":{...},
    /// "inner_ip":{...},...},"summary":"...","notes":[...]}`. The layers object holds an object a protocol
    /// in its scope (the layer's name with `_` for `.`), and in it the layer's fields, each named as in
    /// [`JsonWriter::write_frame`] with `_` for `.` (`inner_ip_src`: a name with dots would be an object
    /// path to Elasticsearch, and `ip.flags` both a value and the object of `ip.flags.df`), with the values
    /// `--json` writes; `frame` holds `frame_number`, `frame_time_epoch`, `frame_len`, `frame_cap_len`
    /// (and `frame_file` when several files are dissected).
    pub fn write_ek(&mut self, out: &mut Vec<u8>, info: &FrameInfo<'_>, view: &impl FrameView) {
        out.extend_from_slice(b"{\"index\":{\"_index\":\"packets-");
        utc_date(out, info.ts_sec);
        out.extend_from_slice(b"\",\"_type\":\"doc\"}}\n{\"timestamp\":\"");
        let ms = (i128::from(info.ts_sec) * 1000 + i128::from(info.ts_nsec) / 1_000_000) as i64;
        if ms < 0 {
            out.push(b'-');
        }
        write::u64_dec(out, ms.unsigned_abs());
        out.extend_from_slice(b"\",\"layers\":{\"frame\":{\"frame_number\":");
        write::u64_dec(out, info.number);
        if let Some(file) = info.file {
            out.extend_from_slice(b",\"frame_file\":");
            string(out, file.as_bytes());
        }
        out.extend_from_slice(b",\"frame_time_epoch\":\"");
        timestamp(out, info.ts_sec, info.ts_nsec);
        out.extend_from_slice(b"\",\"frame_len\":");
        write::u64_dec(out, u64::from(info.len));
        out.extend_from_slice(b",\"frame_cap_len\":");
        write::u64_dec(out, u64::from(info.caplen));
        out.push(b'}');
        // Layers of one protocol in one scope (two VLAN tags) make one object: the first one's.
        self.layer_group.clear();
        for i in 0..view.layer_count() {
            let layer = view.layer(i);
            let first = (0..i)
                .find(|&j| {
                    let other = view.layer(j);
                    other.prefix == layer.prefix && other.abbrev == layer.abbrev
                })
                .unwrap_or(i);
            self.layer_group.push(first as u16);
        }
        self.count(view);
        self.order_by_group();
        for i in 0..view.layer_count() {
            if usize::from(self.layer_group[i]) != i {
                continue;
            }
            let layer = view.layer(i);
            out.extend_from_slice(b",\"");
            let start = out.len();
            out.extend_from_slice(layer.prefix.as_bytes());
            out.extend_from_slice(layer.abbrev.as_bytes());
            underscores(out, start);
            out.extend_from_slice(b"\":{");
            self.fields(out, view, Names::Underscored, Some(i as u16));
            out.push(b'}');
        }
        self.uncount(view);
        out.extend_from_slice(b"},");
        summary(out, view);
        out.push(b',');
        notes(out, view);
        out.extend_from_slice(b"}\n");
    }

    /// Counts the occurrences of each field key of the frame, and notes each field's layer.
    fn count(&mut self, view: &impl FrameView) {
        let n = view.field_count();
        self.done.clear();
        self.done.resize(n, false);
        self.field_layer.clear();
        for i in 0..n {
            let meta = view.field(i);
            if meta.key >= self.counts.len() {
                self.counts.resize(meta.key + 1, 0);
            }
            self.counts[meta.key] = self.counts[meta.key].saturating_add(1);
            self.field_layer.push(meta.layer as u16);
        }
    }

    /// Orders the fields by the group of their layer, in frame order within a group.
    fn order_by_group(&mut self) {
        let groups = self.layer_group.len();
        self.group_start.clear();
        self.group_start.resize(groups + 1, 0);
        for &layer in &self.field_layer {
            if let Some(&g) = self.layer_group.get(usize::from(layer)) {
                self.group_start[usize::from(g) + 1] += 1;
            }
        }
        for g in 0..groups {
            self.group_start[g + 1] += self.group_start[g];
        }
        self.order.clear();
        self.order.resize(self.field_layer.len(), u32::MAX);
        // The next free place of each group: the starts, moved along as fields are placed.
        let mut next = std::mem::take(&mut self.group_start);
        for (i, &layer) in self.field_layer.iter().enumerate() {
            if let Some(&g) = self.layer_group.get(usize::from(layer)) {
                let at = &mut next[usize::from(g)];
                self.order[*at as usize] = i as u32;
                *at += 1;
            }
        }
        // `next[g]` is now where group g ends, the start of group g + 1: shift back by one group.
        for g in (1..=groups).rev() {
            next[g] = next[g - 1];
        }
        next[0] = 0;
        self.group_start = next;
    }

    /// Clears the counts of [`JsonWriter::count`] for the next frame.
    fn uncount(&mut self, view: &impl FrameView) {
        for i in 0..view.field_count() {
            let key = view.field(i).key;
            self.counts[key] = 0;
        }
    }

    /// The fields (of the layers of one `group` of [`JsonWriter::layer_group`], or all), as `"name":value`
    /// pairs (an array for a name that occurs more than once in the frame). [`JsonWriter::count`] first.
    fn fields(
        &mut self,
        out: &mut Vec<u8>,
        view: &impl FrameView,
        names: Names,
        group: Option<u16>,
    ) {
        let n = view.field_count();
        let (from, to) = match group {
            Some(g) => (
                self.group_start[usize::from(g)] as usize,
                self.group_start[usize::from(g) + 1] as usize,
            ),
            None => (0, n),
        };
        let mut first = true;
        for k in from..to {
            let i = match group {
                Some(_) => self.order[k] as usize,
                None => k,
            };
            if self.done[i] {
                continue;
            }
            let meta = view.field(i);
            if meta.json == JsonKind::Skip {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.push(b'"');
            let start = out.len();
            out.extend_from_slice(meta.prefix.as_bytes());
            out.extend_from_slice(meta.abbrev.as_bytes());
            if names == Names::Underscored {
                underscores(out, start);
            }
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
    }
}

/// How field names are written: as they are (`ip.flags.df`), or with `_` for `.` (`ip_flags_df`, for
/// Elasticsearch).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Names {
    Dotted,
    Underscored,
}

/// Replaces every `.` written since `start` by `_`.
fn underscores(out: &mut [u8], start: usize) {
    for b in &mut out[start..] {
        if *b == b'.' {
            *b = b'_';
        }
    }
}

/// `"summary":"..."`.
fn summary(out: &mut Vec<u8>, view: &impl FrameView) {
    out.extend_from_slice(b"\"summary\":");
    let start = out.len();
    out.push(b'"');
    view.summary(out);
    escape_tail(out, start + 1);
    out.push(b'"');
}

/// The date (UTC) of a time in seconds since the epoch, `YYYY-MM-DD` (Howard Hinnant's `civil_from_days`).
fn utc_date(out: &mut Vec<u8>, sec: i64) {
    let z = sec.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if year < 0 {
        out.push(b'-');
    }
    let two = |out: &mut Vec<u8>, v: i64| {
        out.push(b'0' + (v / 10) as u8);
        out.push(b'0' + (v % 10) as u8);
    };
    let y = year.unsigned_abs();
    for d in [y / 1000 % 10, y / 100 % 10, y / 10 % 10, y % 10] {
        out.push(b'0' + d as u8);
    }
    out.push(b'-');
    two(out, month);
    out.push(b'-');
    two(out, day);
}

/// `"notes":[{"severity","code","message","advice","offset","length"},...]`.
fn notes(out: &mut Vec<u8>, view: &impl FrameView) {
    out.extend_from_slice(b"\"notes\":[");
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
    out.push(b']');
}

fn value(out: &mut Vec<u8>, view: &impl FrameView, index: usize, kind: JsonKind) {
    match kind {
        JsonKind::Number | JsonKind::Bool => view.write_value(index, out),
        JsonKind::String | JsonKind::Skip => {
            out.push(b'"');
            let start = out.len();
            view.write_value(index, out);
            if view.value_may_need_escaping(index) {
                escape_tail(out, start);
            }
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

/// Whether any byte of `s` must be escaped in a JSON string: eight bytes at a time, with the bit tricks that
/// find a byte below a bound or equal to a value in a word (a borrow can only spill past a byte that already
/// matched, so the answer for the word is exact).
fn any_needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let mut words = s.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        if below(x, 0x20)
            | below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1)
            != 0
        {
            return true;
        }
    }
    words.remainder().iter().any(|&b| needs_escape(b))
}

/// Escapes `out[start..]` in place for a JSON string, without allocating once `out` has room: the escaped
/// text is laid out from the end backwards.
pub fn escape_tail(out: &mut Vec<u8>, start: usize) {
    if !any_needs_escape(&out[start..]) {
        return;
    }
    let extra: usize = out[start..]
        .iter()
        .filter(|&&b| needs_escape(b))
        .map(|&b| usize::from(escaped(b).1) - 1)
        .sum();
    let old_end = out.len();
    out.resize(old_end + extra, 0);
    // From the end backwards: runs of plain bytes are moved whole, escaped bytes are written out.
    let (mut read, mut write) = (old_end, old_end + extra);
    while read > start {
        let special = out[start..read].iter().rposition(|&b| needs_escape(b));
        let run_start = special.map_or(start, |p| start + p + 1);
        let run = read - run_start;
        out.copy_within(run_start..read, write - run);
        write -= run;
        read = run_start;
        if let Some(p) = special {
            let (text, len) = escaped(out[start + p]);
            let len = usize::from(len);
            write -= len;
            out[write..write + len].copy_from_slice(&text[..len]);
            read -= 1;
        }
    }
    debug_assert_eq!(write, start);
}

/// A byte as it is written in a JSON string, and how many bytes that takes.
fn escaped(b: u8) -> ([u8; 6], u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => (*b"\\\"____", 2),
        b'\\' => (*b"\\\\____", 2),
        b'\n' => (*b"\\n____", 2),
        b'\r' => (*b"\\r____", 2),
        b'\t' => (*b"\\t____", 2),
        b if b < 0x20 => (
            [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ],
            6,
        ),
        b => ([b, 0, 0, 0, 0, 0], 1),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn escape_test_agrees_with_the_byte_test_everywhere() {
        for b in 0..=u8::MAX {
            for at in 0..17 {
                for fill in [b'a', 0xe4, b' '] {
                    let mut s = vec![fill; 17];
                    s[at] = b;
                    assert_eq!(
                        any_needs_escape(&s),
                        needs_escape(b),
                        "byte {b:#04x} at {at} among {fill:#04x}"
                    );
                }
            }
        }
    }
    use super::*;

    #[test]
    fn ek_names_stay_distinct() {
        // `_` for `.` must not make two registry names one (a scope's prefix is the same for every name).
        let mut names = std::collections::HashSet::new();
        for def in crate::fields::FIELDS {
            assert!(names.insert(def.abbrev.replace('.', "_")), "{}", def.abbrev);
        }
    }

    #[test]
    fn utc_dates() {
        let date = |sec| {
            let mut out = Vec::new();
            utc_date(&mut out, sec);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_630_859_447), "2021-09-05");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(253_402_300_799), "9999-12-31");
    }

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

    #[test]
    fn the_fast_escape_test_agrees_with_the_byte_test() {
        // Every byte value at every position of a 20-byte string (crossing the 8-byte chunks).
        for b in 0..=255u8 {
            for at in 0..20 {
                let mut s = vec![b'a'; 20];
                s[at] = b;
                assert_eq!(any_needs_escape(&s), needs_escape(b), "byte {b:#x} at {at}");
            }
        }
        assert!(!any_needs_escape(b"0d1e55cf00000000000000000000000000"));
    }

    #[test]
    fn escaping_in_place_leaves_what_comes_before() {
        let mut out = b"{\"k\":\"".to_vec();
        let start = out.len();
        out.extend_from_slice(b"tab\there \"q\" back\\slash\r\n\x1f end");
        escape_tail(&mut out, start);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"k\":\"tab\\there \\\"q\\\" back\\\\slash\\r\\n\\u001f end"
        );
    }
}
