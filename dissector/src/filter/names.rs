//! What a name in a filter or a `-T fields -e` list stands for: a registry field in a scope, an alias of
//! several fields (`ip.addr`), a property of the frame as captured (`frame.len`), or a note code.

use crate::fields::{FIELDS, FieldId, Kind, Scope, split_scope};
use crate::notes::{NOTES, NoteCode};

/// A property of the frame as captured, not decoded: what Wireshark calls `frame.*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameField {
    /// 1-based number in its input.
    Number,
    /// Seconds since the epoch, with the capture's fraction digits.
    TimeEpoch,
    /// Length on the wire.
    Len,
    /// Bytes captured.
    CapLen,
}

impl FrameField {
    pub const ALL: &[(&str, FrameField)] = &[
        ("frame.number", FrameField::Number),
        ("frame.time_epoch", FrameField::TimeEpoch),
        ("frame.len", FrameField::Len),
        ("frame.cap_len", FrameField::CapLen),
    ];

    pub fn name(self) -> &'static str {
        FrameField::ALL.iter().find(|(_, f)| *f == self).unwrap().0
    }
}

/// What a filter or a field list knows of a frame besides its dissection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameFacts {
    pub number: u64,
    pub ts_sec: i64,
    pub ts_nsec: u32,
    /// Digits after the decimal point of the timestamp (6 or 9).
    pub ts_digits: u8,
    pub len: u32,
    pub cap_len: u32,
}

impl FrameFacts {
    /// The timestamp in nanoseconds since the epoch.
    pub fn time_ns(&self) -> i128 {
        i128::from(self.ts_sec) * 1_000_000_000 + i128::from(self.ts_nsec)
    }
}

/// A resolved name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Name {
    Frame(FrameField),
    /// One registry row, or the several an alias stands for (all of one kind), in a scope.
    Field {
        ids: &'static [FieldId],
        scope: Scope,
    },
    Note(NoteCode),
}

/// Wireshark's names for "either end": each stands for the source and the destination field.
const ALIASES: &[(&str, &[FieldId])] = &[
    ("eth.addr", &[FieldId::EthSrc, FieldId::EthDst]),
    ("ip.addr", &[FieldId::IpSrc, FieldId::IpDst]),
    ("ipv6.addr", &[FieldId::Ipv6Src, FieldId::Ipv6Dst]),
    ("udp.port", &[FieldId::UdpSrcport, FieldId::UdpDstport]),
    ("tcp.port", &[FieldId::TcpSrcport, FieldId::TcpDstport]),
];

impl Name {
    /// The registry fields the name reads (none for a protocol, whose layers are always recorded).
    pub fn fields_read(&self) -> &'static [FieldId] {
        match self {
            Name::Field { ids, .. } if ids[0].def().kind != Kind::Protocol => ids,
            _ => &[],
        }
    }

    /// The kind of value the name holds (`U64` for frame numbers and lengths, `Bool` for a note).
    pub fn kind(&self) -> Kind {
        match self {
            Name::Frame(FrameField::TimeEpoch) => Kind::Text,
            Name::Frame(_) => Kind::U64,
            Name::Field { ids, .. } => ids[0].def().kind,
            Name::Note(_) => Kind::Bool,
        }
    }
}

/// The meaning of `name`, if it has one.
pub fn resolve(name: &str) -> Option<Name> {
    if let Some((_, f)) = FrameField::ALL.iter().find(|(n, _)| *n == name) {
        return Some(Name::Frame(*f));
    }
    if let Some(code) = NoteCode::from_code(name) {
        return Some(Name::Note(code));
    }
    let (scope, rest) = split_scope(name);
    if let Some((_, ids)) = ALIASES.iter().find(|(a, _)| *a == rest) {
        return Some(Name::Field { ids, scope });
    }
    let id = FieldId::from_abbrev(rest)?;
    Some(Name::Field {
        ids: std::slice::from_ref(&FieldId::ALL[id.index()]),
        scope,
    })
}

/// The known name closest to an unknown one, if one is close enough to be what was meant.
pub fn suggest(name: &str) -> Option<String> {
    let (scope, rest) = split_scope(name);
    let prefix = scope.prefix();
    let scoped = FIELDS
        .iter()
        .map(|d| d.abbrev)
        .chain(ALIASES.iter().map(|(a, _)| *a))
        .map(|a| (distance(rest, a), format!("{prefix}{a}")));
    let unscoped = FrameField::ALL
        .iter()
        .map(|(n, _)| *n)
        .chain(NOTES.iter().map(|n| n.code))
        .map(|n| (distance(name, n), n.to_string()));
    let (d, best) = scoped.chain(unscoped).min_by_key(|(d, _)| *d)?;
    (d <= 2 + name.chars().count() / 6).then_some(best)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
