//! Columns: the fields of each frame as typed columns, a batch of rows at a time, for columnar outputs
//! (`dissect --format parquet`). A column's type comes from its registry row's kind, before any frame is read:
//! integers as integers, booleans as booleans, the frame's time as nanoseconds since the epoch, everything else
//! (addresses, hex bytes, names, Community IDs) as the text the tree writes.
//!
//! A batch holds, for each column, its values and Parquet's levels: the definition level of each row (1: a
//! value, 0: none — the field is absent — or, in a list column, an empty list) and, in a list column, the
//! repetition level of each value (0: the first of its row, 1: a further one). No dependency on a file
//! format: the writer (`cli/src/columnar.rs`) hands these buffers to the Parquet crate as they are.

use crate::dissection::{Dissection, Field};
use crate::fields::{FieldId, Kind};
use crate::filter::{FrameFacts, FrameField, Name};
use crate::value::{Value, write};

use super::fields::{Occurrence, resolve_column};

/// The columns written without `-e`: the frame, its time and length, the outer addresses and ports, the VNI,
/// the inner five-tuple, the TTLs and hop limits, flannel's node names, and the notes' codes (`notes`).
pub const DEFAULT: &[&str] = &[
    "frame.number",
    "frame.time_epoch",
    "frame.len",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "udp.srcport",
    "udp.dstport",
    "vxlan.vni",
    "inner.ip.src",
    "inner.ip.dst",
    "inner.ipv6.src",
    "inner.ipv6.dst",
    "inner.ip.proto",
    "inner.ipv6.nxt",
    "inner.tcp.srcport",
    "inner.tcp.dstport",
    "inner.udp.srcport",
    "inner.udp.dstport",
    "ip.ttl",
    "ipv6.hlim",
    "inner.ip.ttl",
    "inner.ipv6.hlim",
    "flannel.src_node",
    "flannel.dst_node",
    NOTES,
];

/// The name of the column of note codes (a list of strings, in the order the notes were raised).
pub const NOTES: &str = "notes";

/// The type of a column's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// A signed 64-bit integer (every unsigned registry integer up to 32 bits, frame numbers and lengths).
    Int,
    /// An unsigned 64-bit integer (a `uint64` registry row), stored in the 64 bits of a signed one.
    UInt64,
    Bool,
    /// Nanoseconds since the epoch (UTC).
    Timestamp,
    /// UTF-8 text.
    Text,
}

/// One column.
#[derive(Clone, Debug)]
pub struct Column {
    /// The name given (`inner.ip.src`), or [`NOTES`].
    pub name: String,
    pub ty: ColumnType,
    /// Each row holds a list of values (every occurrence of the field, or the notes' codes).
    pub list: bool,
    source: Source,
}

#[derive(Clone, Copy, Debug)]
enum Source {
    Name(Name),
    Notes,
}

/// The values of one column in a batch.
#[derive(Clone, Debug)]
pub enum Values {
    /// `Int`, `UInt64` (its bits) and `Timestamp` columns.
    Int(Vec<i64>),
    Bool(Vec<bool>),
    /// The texts one after the other; `ends[i]` is where value `i` ends.
    Text {
        bytes: Vec<u8>,
        ends: Vec<usize>,
    },
}

/// One column of a batch: its values and levels.
#[derive(Clone, Debug)]
pub struct ColumnData {
    /// A definition level a value, or one for a row without a value.
    pub def: Vec<i16>,
    /// A repetition level a value (list columns only; empty otherwise).
    pub rep: Vec<i16>,
    pub values: Values,
}

/// Rows in columns.
#[derive(Clone, Debug)]
pub struct Batch {
    pub rows: usize,
    pub columns: Vec<ColumnData>,
}

impl Batch {
    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.rows = 0;
        for c in &mut self.columns {
            c.def.clear();
            c.rep.clear();
            match &mut c.values {
                Values::Int(v) => v.clear(),
                Values::Bool(v) => v.clear(),
                Values::Text { bytes, ends } => {
                    bytes.clear();
                    ends.clear();
                }
            }
        }
    }
}

/// The columns of an output and how a row is filled from a dissected frame.
#[derive(Clone, Debug)]
pub struct Columns {
    columns: Vec<Column>,
    occurrence: Occurrence,
}

impl Columns {
    /// The columns named (`-e`, in order; [`DEFAULT`] when none is), each resolved as `-T fields` resolves
    /// it. A field's column holds its first occurrence in the frame (`Occurrence::First`), its last, or a list
    /// of all of them (`Occurrence::All`).
    pub fn new(names: &[String], occurrence: Occurrence) -> Result<Columns, String> {
        let default: Vec<String>;
        let names = if names.is_empty() {
            default = DEFAULT.iter().map(|s| s.to_string()).collect();
            &default
        } else {
            names
        };
        let mut columns: Vec<Column> = Vec::with_capacity(names.len());
        for name in names {
            if columns.iter().any(|c| c.name == *name) {
                return Err(format!("-e {name}: named twice (a column a name)"));
            }
            let column = if name == NOTES {
                Column {
                    name: name.clone(),
                    ty: ColumnType::Text,
                    list: true,
                    source: Source::Notes,
                }
            } else {
                let resolved = resolve_column(name)?;
                let ty = match resolved {
                    Name::Frame(FrameField::TimeEpoch) => ColumnType::Timestamp,
                    Name::Frame(_) => ColumnType::Int,
                    Name::Note(_) => ColumnType::Bool,
                    Name::Field { .. } => match resolved.kind() {
                        Kind::U64 => ColumnType::UInt64,
                        k if k.is_integer() => ColumnType::Int,
                        Kind::Bool => ColumnType::Bool,
                        _ => ColumnType::Text,
                    },
                };
                Column {
                    name: name.clone(),
                    ty,
                    list: occurrence == Occurrence::All && matches!(resolved, Name::Field { .. }),
                    source: Source::Name(resolved),
                }
            };
            columns.push(column);
        }
        Ok(Columns {
            columns,
            occurrence,
        })
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The registry fields the rows read: what a dissection must record.
    pub fn fields_read(&self) -> Vec<FieldId> {
        let mut ids: Vec<FieldId> = self
            .columns
            .iter()
            .flat_map(|c| match c.source {
                Source::Name(n) => n.fields_read(),
                Source::Notes => &[],
            })
            .copied()
            .collect();
        ids.sort_by_key(|id| id.index());
        ids.dedup();
        ids
    }

    /// An empty batch of these columns.
    pub fn batch(&self) -> Batch {
        Batch {
            rows: 0,
            columns: self
                .columns
                .iter()
                .map(|c| ColumnData {
                    def: Vec::new(),
                    rep: Vec::new(),
                    values: match c.ty {
                        ColumnType::Int | ColumnType::UInt64 | ColumnType::Timestamp => {
                            Values::Int(Vec::new())
                        }
                        ColumnType::Bool => Values::Bool(Vec::new()),
                        ColumnType::Text => Values::Text {
                            bytes: Vec::new(),
                            ends: Vec::new(),
                        },
                    },
                })
                .collect(),
        }
    }

    /// Appends the row of one frame. Allocates nothing once the batch's buffers have grown.
    pub fn push(&self, batch: &mut Batch, d: &Dissection<'_>, frame: &[u8], facts: &FrameFacts) {
        for (column, data) in self.columns.iter().zip(&mut batch.columns) {
            match column.source {
                Source::Notes => {
                    let mut rep = 0;
                    for n in d.notes() {
                        data.def.push(1);
                        data.rep.push(rep);
                        rep = 1;
                        push_text(&mut data.values, n.code.def().code.as_bytes());
                    }
                    if rep == 0 {
                        // An empty list.
                        data.def.push(0);
                        data.rep.push(0);
                    }
                }
                Source::Name(Name::Frame(f)) => {
                    data.def.push(1);
                    let v = match f {
                        FrameField::Number => facts.number as i64,
                        FrameField::Len => i64::from(facts.len),
                        FrameField::CapLen => i64::from(facts.cap_len),
                        FrameField::TimeEpoch => facts.time_ns() as i64,
                    };
                    push_int(&mut data.values, v);
                }
                Source::Name(Name::Note(code)) => {
                    data.def.push(1);
                    push_bool(&mut data.values, d.has_note(code));
                }
                Source::Name(Name::Field { ids, scope }) => {
                    let mut each = d
                        .fields()
                        .iter()
                        .filter(|f| f.scope == scope && ids.contains(&f.id) && has_value(f));
                    if column.list {
                        let mut rep = 0;
                        for f in each {
                            if push_field(&mut data.values, column.ty, f, frame) {
                                data.def.push(1);
                                data.rep.push(rep);
                                rep = 1;
                            }
                        }
                        if rep == 0 {
                            data.def.push(0);
                            data.rep.push(0);
                        }
                    } else {
                        let found = match (self.occurrence, ids) {
                            (Occurrence::Last, _) => each.next_back(),
                            // One field's first occurrence: the dissection's index, in constant time.
                            (_, [id]) => match d.find(*id, scope) {
                                Some(f) if has_value(f) => Some(f),
                                Some(_) => each.next(),
                                None => None,
                            },
                            _ => each.next(),
                        };
                        let pushed = found
                            .is_some_and(|f| push_field(&mut data.values, column.ty, f, frame));
                        data.def.push(i16::from(pushed));
                    }
                }
            }
        }
        batch.rows += 1;
    }
}

/// Whether the field has a value to write (JSON leaves out those without: protocols, `Value::None`).
fn has_value(f: &Field<'_>) -> bool {
    !matches!(f.value, Value::None)
}

/// Appends the field's value in the column's type; false (nothing appended) when the value is not of it.
fn push_field(values: &mut Values, ty: ColumnType, f: &Field<'_>, frame: &[u8]) -> bool {
    match (ty, values) {
        (ColumnType::Bool, Values::Bool(v)) => match f.value.as_u64() {
            Some(x) => {
                v.push(x != 0);
                true
            }
            None => false,
        },
        (ColumnType::Int | ColumnType::UInt64 | ColumnType::Timestamp, Values::Int(v)) => {
            match f.value {
                Value::UInt(x) => {
                    // A uint64 row keeps its bits; every other integer row is at most 32 bits.
                    v.push(x as i64);
                    true
                }
                _ => false,
            }
        }
        (_, Values::Text { bytes, ends }) => {
            write::value(bytes, f.id.def(), &f.value, f.bytes(frame));
            ends.push(bytes.len());
            true
        }
        _ => false,
    }
}

fn push_int(values: &mut Values, x: i64) {
    if let Values::Int(v) = values {
        v.push(x);
    }
}

fn push_bool(values: &mut Values, b: bool) {
    if let Values::Bool(v) = values {
        v.push(b);
    }
}

fn push_text(values: &mut Values, text: &[u8]) {
    if let Values::Text { bytes, ends } = values {
        bytes.extend_from_slice(text);
        ends.push(bytes.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Dissector, LinkType};

    #[test]
    fn the_seed_in_columns() {
        let names: Vec<String> = [
            "frame.number",
            "frame.time_epoch",
            "inner.ip.src",
            "vxlan.vni",
            "inner.ip.flags.df",
            "ip.checksum",
            "tcp.srcport",
            "ip.addr",
            "malformed.truncated",
            "notes",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let columns = Columns::new(&names, Occurrence::First).unwrap();
        let types: Vec<ColumnType> = columns.columns().iter().map(|c| c.ty).collect();
        use ColumnType::*;
        assert_eq!(
            types,
            [Int, Timestamp, Text, Int, Bool, Int, Int, Text, Bool, Text]
        );
        let frame = crate::seed_frame();
        let dissector = Dissector::new(Config::default());
        let mut d = Dissection::recording(&columns.fields_read());
        dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut d);
        let facts = FrameFacts {
            number: 7,
            ts_sec: 1_630_859_447,
            ts_nsec: 124_500_000,
            ts_digits: 6,
            len: 148,
            cap_len: frame.len() as u32,
        };
        let mut batch = columns.batch();
        columns.push(&mut batch, &d, &frame, &facts);
        columns.push(&mut batch, &d, &frame, &facts);
        assert_eq!(batch.rows, 2);
        let c = &batch.columns;
        assert!(matches!(&c[0].values, Values::Int(v) if v == &[7, 7]));
        assert!(matches!(&c[1].values, Values::Int(v) if v[0] == 1_630_859_447_124_500_000));
        match &c[2].values {
            Values::Text { bytes, ends } => {
                assert_eq!(&bytes[..ends[0]], b"10.244.1.12");
                assert_eq!(ends.len(), 2);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&c[3].values, Values::Int(v) if v == &[1, 1]));
        assert!(matches!(&c[4].values, Values::Bool(v) if v == &[true, true]));
        // Absent: a definition level of 0 and no value.
        assert_eq!(c[6].def, [0, 0]);
        assert!(matches!(&c[6].values, Values::Int(v) if v.is_empty()));
        // The first of ip.addr's two.
        match &c[7].values {
            Values::Text { bytes, ends } => assert_eq!(&bytes[..ends[0]], b"172.16.100.101"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(&c[8].values, Values::Bool(v) if v == &[false, false]));
        assert_eq!(c[9].def.len(), c[9].rep.len());
        batch.clear();
        assert_eq!(batch.rows, 0);
        assert!(batch.columns.iter().all(|c| c.def.is_empty()));
    }

    #[test]
    fn every_occurrence_as_a_list() {
        let names = vec!["ip.addr".to_string()];
        let columns = Columns::new(&names, Occurrence::All).unwrap();
        assert!(columns.columns()[0].list);
        let frame = crate::seed_frame();
        let dissector = Dissector::new(Config::default());
        let mut d = Dissection::recording(&columns.fields_read());
        dissector.dissect(LinkType::ETHERNET, &frame, 148, &mut d);
        let mut batch = columns.batch();
        columns.push(&mut batch, &d, &frame, &FrameFacts::default());
        assert_eq!(batch.columns[0].def, [1, 1]);
        assert_eq!(batch.columns[0].rep, [0, 1]);
    }

    #[test]
    fn bad_names() {
        let err = Columns::new(&["inner.ip.sr".to_string()], Occurrence::First).unwrap_err();
        assert!(err.contains("did you mean inner.ip.src?"), "{err}");
        let twice = ["vxlan.vni".to_string(), "vxlan.vni".to_string()];
        assert!(Columns::new(&twice, Occurrence::First).is_err());
        assert_eq!(
            Columns::new(&[], Occurrence::First)
                .unwrap()
                .columns()
                .len(),
            DEFAULT.len()
        );
    }
}
