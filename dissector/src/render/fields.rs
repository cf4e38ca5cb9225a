//! Field extraction (`-T fields -e FIELD ...`): one line a frame, the values of the fields named, as tshark's
//! `-T fields` writes them (`-E header=y`, `separator=`, `quote=`, `occurrence=`, `aggregator=`).
//!
//! Names are those of display filters ([`crate::filter::resolve`]): registry fields in a scope, aliases,
//! `frame.number`, `frame.time_epoch`, `frame.len`, `frame.cap_len`, note codes (`1` when the note was raised).
//! Values are written as the tree writes them, except as tshark writes them: booleans `1` and `0`, and a hex
//! field of some bits of its bytes (`ip.flags`) with the digits of its whole bytes (`0x02`).

use crate::dissection::{Dissection, Field};
use crate::fields::{Base, FieldId, Kind};
use crate::filter::{FrameFacts, FrameField, Name, resolve, suggest};
use crate::value::{Value, write};

/// Which occurrences of a field a line holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Occurrence {
    First,
    Last,
    All,
}

/// How the values of a line are written (tshark's `-E` options).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Format {
    pub header: bool,
    pub separator: String,
    /// Between the occurrences of one field (`occurrence=a`).
    pub aggregator: String,
    /// The quote around each non-empty value (`quote=d`: `"`, `quote=s`: `'`), if any; a quote inside a value
    /// is doubled, as CSV does.
    pub quote: Option<char>,
    pub occurrence: Occurrence,
}

impl Default for Format {
    fn default() -> Self {
        Format {
            header: false,
            separator: "\t".to_string(),
            aggregator: ",".to_string(),
            quote: None,
            occurrence: Occurrence::All,
        }
    }
}

impl Format {
    /// Applies one `-E key=value` option.
    pub fn set(&mut self, option: &str) -> Result<(), String> {
        let (key, value) = option
            .split_once('=')
            .ok_or_else(|| format!("-E {option}: expected KEY=VALUE, for example separator=,"))?;
        let text = |v: &str| match v {
            "/t" => "\t".to_string(),
            "/s" => " ".to_string(),
            other => other.to_string(),
        };
        match key {
            "header" => {
                self.header = match value {
                    "y" => true,
                    "n" => false,
                    _ => return Err(format!("-E {option}: header is y or n")),
                }
            }
            "separator" => self.separator = text(value),
            "aggregator" => self.aggregator = text(value),
            "quote" => {
                self.quote = match value {
                    "d" => Some('"'),
                    "s" => Some('\''),
                    "n" => None,
                    _ => return Err(format!("-E {option}: quote is d, s or n")),
                }
            }
            "occurrence" => {
                self.occurrence = match value {
                    "f" => Occurrence::First,
                    "l" => Occurrence::Last,
                    "a" => Occurrence::All,
                    _ => return Err(format!("-E {option}: occurrence is f, l or a")),
                }
            }
            _ => {
                return Err(format!(
                    "-E {option}: the options are header, separator, aggregator, quote and occurrence"
                ));
            }
        }
        Ok(())
    }
}

/// The fields of a `-T fields` line, resolved, and how they are written.
#[derive(Clone, Debug)]
pub struct FieldList {
    columns: Vec<(String, Name)>,
    format: Format,
}

impl FieldList {
    /// Resolves each name; an unknown one is an error with a suggestion, a protocol one too (it has no value).
    pub fn new(names: &[String], format: Format) -> Result<FieldList, String> {
        if names.is_empty() {
            return Err("-T fields needs at least one -e FIELD".to_string());
        }
        let mut columns = Vec::with_capacity(names.len());
        for name in names {
            columns.push((name.clone(), resolve_column(name)?));
        }
        Ok(FieldList { columns, format })
    }

    /// The registry fields the lines read: what a dissection must record.
    pub fn fields_read(&self) -> Vec<FieldId> {
        let mut ids: Vec<FieldId> = self
            .columns
            .iter()
            .flat_map(|(_, n)| n.fields_read().iter().copied())
            .collect();
        ids.sort_by_key(|id| id.index());
        ids.dedup();
        ids
    }

    /// The header line (`-E header=y`), or nothing.
    pub fn write_header(&self, out: &mut Vec<u8>) {
        if !self.format.header {
            return;
        }
        for (i, (name, _)) in self.columns.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(self.format.separator.as_bytes());
            }
            out.extend_from_slice(name.as_bytes());
        }
        out.push(b'\n');
    }

    /// The line of one frame.
    pub fn write_frame(
        &self,
        out: &mut Vec<u8>,
        d: &Dissection<'_>,
        frame: &[u8],
        facts: &FrameFacts,
    ) {
        for (i, (_, name)) in self.columns.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(self.format.separator.as_bytes());
            }
            let start = out.len();
            if let Some(q) = self.format.quote {
                push_char(out, q);
            }
            let opened = out.len();
            self.write_column(out, name, d, frame, facts);
            if out.len() == opened {
                // Nothing to quote: an empty column, as tshark writes it.
                out.truncate(start);
            } else if let Some(q) = self.format.quote {
                double_quotes(out, opened, q);
                push_char(out, q);
            }
        }
        out.push(b'\n');
    }

    fn write_column(
        &self,
        out: &mut Vec<u8>,
        name: &Name,
        d: &Dissection<'_>,
        frame: &[u8],
        facts: &FrameFacts,
    ) {
        match *name {
            Name::Frame(f) => match f {
                FrameField::Number => write::u64_dec(out, facts.number),
                FrameField::Len => write::u64_dec(out, u64::from(facts.len)),
                FrameField::CapLen => write::u64_dec(out, u64::from(facts.cap_len)),
                FrameField::TimeEpoch => write_epoch(out, facts.ts_sec, facts.ts_nsec),
            },
            Name::Note(code) => {
                if d.has_note(code) {
                    out.push(b'1');
                }
            }
            Name::Field { ids, scope } => {
                let mut each = d
                    .fields()
                    .iter()
                    .filter(|f| f.scope == scope && ids.contains(&f.id));
                match self.format.occurrence {
                    Occurrence::First => {
                        if let Some(f) = each.next() {
                            write_field(out, f, frame);
                        }
                    }
                    Occurrence::Last => {
                        if let Some(f) = each.next_back() {
                            write_field(out, f, frame);
                        }
                    }
                    Occurrence::All => {
                        for (n, f) in each.enumerate() {
                            if n > 0 {
                                out.extend_from_slice(self.format.aggregator.as_bytes());
                            }
                            write_field(out, f, frame);
                        }
                    }
                }
            }
        }
    }
}

/// The meaning of `-e NAME`: a name a display filter takes that has a value (not a protocol); an unknown
/// one is an error with a suggestion. Every output of named fields (`-T fields`, Parquet) resolves through it.
pub fn resolve_column(name: &str) -> Result<Name, String> {
    let resolved = resolve(name).ok_or_else(|| match suggest(name) {
        Some(s) => format!("-e {name}: unknown field (did you mean {s}?)"),
        None => format!("-e {name}: unknown field (`vxscope fields` lists them)"),
    })?;
    if resolved.kind() == Kind::Protocol {
        return Err(format!(
            "-e {name}: a protocol has no value; name one of its fields (`vxscope fields {name}.`)"
        ));
    }
    Ok(resolved)
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Doubles every quote character written since `from` (a value holding the quote stays one CSV cell).
fn double_quotes(out: &mut Vec<u8>, from: usize, q: char) {
    if !q.is_ascii() || !out[from..].contains(&(q as u8)) {
        return;
    }
    let value: Vec<u8> = out.split_off(from);
    for b in value {
        out.push(b);
        if b == q as u8 {
            out.push(b);
        }
    }
}

fn write_field(out: &mut Vec<u8>, f: &Field<'_>, frame: &[u8]) {
    let def = f.id.def();
    match f.value {
        Value::Bool(b) => out.push(if b { b'1' } else { b'0' }),
        // A hex field of some bits of its bytes (`ip.flags`) is written with the digits of the whole bytes.
        Value::UInt(v) if def.base == Base::Hex && def.mask != 0 => {
            let bytes = match def.kind {
                Kind::U8 | Kind::Bool => 1,
                Kind::U16 => 2,
                Kind::U24 => 3,
                Kind::U32 => 4,
                _ => 8,
            };
            write::u64_hex(out, v, 2 * bytes)
        }
        ref v => write::value(out, f.id.def(), v, f.bytes(frame)),
    }
}

/// Seconds since the epoch with nine decimals, as tshark writes `frame.time_epoch`.
pub(crate) fn write_epoch(out: &mut Vec<u8>, sec: i64, nsec: u32) {
    if sec < 0 {
        // Before 1970: the fraction counts towards the past, as for tshark (-1.5 s is "-2.500000000" + 1 s).
        let total = i128::from(sec) * 1_000_000_000 + i128::from(nsec);
        let (whole, frac) = (
            total / 1_000_000_000,
            (total % 1_000_000_000).unsigned_abs(),
        );
        out.push(b'-');
        write::u64_dec(out, whole.unsigned_abs() as u64);
        out.push(b'.');
        let digits = format!("{frac:09}");
        out.extend_from_slice(digits.as_bytes());
        return;
    }
    write::u64_dec(out, sec as u64);
    out.push(b'.');
    let mut digits = [b'0'; 9];
    let mut v = nsec;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&digits);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Dissector, LinkType};

    fn seed_line(names: &[&str], options: &[&str]) -> String {
        let mut format = Format::default();
        for o in options {
            format.set(o).unwrap();
        }
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let list = FieldList::new(&names, format).unwrap();
        let frame = crate::seed_frame();
        let dissector = Dissector::new(Config::default());
        let mut d = Dissection::recording(&list.fields_read());
        dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut d);
        let facts = FrameFacts {
            number: 7,
            ts_sec: 1_630_859_447,
            ts_nsec: 124_500_000,
            ts_digits: 6,
            len: 148,
            cap_len: frame.len() as u32,
        };
        let mut out = Vec::new();
        list.write_header(&mut out);
        list.write_frame(&mut out, &d, &frame, &facts);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lines_of_the_seed() {
        assert_eq!(
            seed_line(
                &[
                    "frame.number",
                    "frame.time_epoch",
                    "frame.len",
                    "ip.src",
                    "inner.ip.src",
                    "vxlan.vni",
                    "tcp.srcport"
                ],
                &[]
            ),
            "7\t1630859447.124500000\t148\t172.16.100.101\t10.244.1.12\t1\t\n"
        );
        assert_eq!(
            seed_line(
                &["inner.ip.flags.df", "ip.addr", "inner.icmp.type"],
                &["header=y", "separator=,", "quote=d"]
            ),
            "inner.ip.flags.df,ip.addr,inner.icmp.type\n\"1\",\"172.16.100.101,172.16.100.102\",\"8\"\n"
        );
        assert_eq!(
            seed_line(&["ip.addr"], &["occurrence=f"]),
            "172.16.100.101\n"
        );
        assert_eq!(
            seed_line(&["ip.addr"], &["occurrence=l"]),
            "172.16.100.102\n"
        );
        assert_eq!(
            seed_line(
                &["ip.addr", "malformed.truncated"],
                &["aggregator=/s", "separator=/s"]
            ),
            "172.16.100.101 172.16.100.102 \n"
        );
    }

    #[test]
    fn bad_names_and_options() {
        let err = FieldList::new(&["inner.ip.sr".to_string()], Format::default()).unwrap_err();
        assert!(err.contains("did you mean inner.ip.src?"), "{err}");
        let err = FieldList::new(&["vxlan".to_string()], Format::default()).unwrap_err();
        assert!(err.contains("a protocol has no value"), "{err}");
        assert!(Format::default().set("quote=x").is_err());
        assert!(Format::default().set("colour=y").is_err());
        assert!(Format::default().set("header").is_err());
    }

    #[test]
    fn epochs() {
        let text = |s, n| {
            let mut out = Vec::new();
            write_epoch(&mut out, s, n);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(0, 0), "0.000000000");
        assert_eq!(text(100, 1), "100.000000001");
        assert_eq!(text(-1, 500_000_000), "-0.500000000");
        assert_eq!(text(-69_141_053, 0), "-69141053.000000000");
    }
}
