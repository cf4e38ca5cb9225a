//! Display filters (`-Y EXPR`), written as Wireshark writes them, over the field and note registries.
//!
//! A filter is parsed and checked against the registries once, before any packet is read
//! ([`Filter::parse`]): every name must be a field (in any scope: `inner.ip.src`), an alias (`ip.addr`), a
//! frame property (`frame.len`) or a note code (`malformed.truncated`), and every literal must be a value of
//! its field's kind. An error says at which column of the expression it is, with a suggestion for a
//! misspelt name. Then [`Filter::matches`] tests each dissected frame, reading only the fields the filter
//! names ([`Filter::fields_read`], which a consumer passes to [`Dissection::recording`]).
//!
//! Semantics follow Wireshark's: a comparison with a field the frame does not have is false; `==` and the
//! other comparisons hold when any occurrence satisfies them, `!=` when every occurrence differs (and there
//! is one); `matches` is a case-insensitive regular expression; a bare name tests presence (of a field, a
//! protocol layer or a note); an address compared with a network (`10.244.2.0/24`) tests membership.

mod lex;
mod names;
mod parse;

use std::fmt;

pub use names::{FrameFacts, FrameField, Name, resolve, suggest};

use crate::dissection::Dissection;
use crate::fields::{FieldId, Kind, Scope};
use crate::value::{IpBytes, IpNet, Value};
use lex::Rel;

/// A parse or check error, at a column (1-based, in characters) of the expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    pub column: usize,
    /// How many characters the error concerns (for a caret line).
    pub width: usize,
    pub message: String,
}

impl FilterError {
    fn at(column: usize, width: usize, message: impl Into<String>) -> FilterError {
        FilterError {
            column,
            width: width.max(1),
            message: message.into(),
        }
    }

    /// The error with the expression and a caret line under the characters at fault.
    pub fn with_expression(&self, expression: &str) -> String {
        format!(
            "{self}\n  {expression}\n  {}{}",
            " ".repeat(self.column.saturating_sub(1)),
            "^".repeat(self.width)
        )
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for FilterError {}

/// A checked display filter.
#[derive(Clone, Debug)]
pub struct Filter {
    root: Node,
    text: String,
}

#[derive(Clone, Debug)]
enum Node {
    /// `a and b and c`: a chain is one list, so a long one does not make a deep tree.
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Test(Name, Test),
}

#[derive(Clone, Debug)]
enum Test {
    Present,
    Compare(Rel, Literal),
    Contains(Vec<u8>),
    Matches(regex::bytes::Regex),
    In(Vec<Member>),
}

/// A value of a set (`in {...}`): one value, or an integer range `a..b`.
#[derive(Clone, Debug)]
enum Member {
    One(Literal),
    Range(u64, u64),
}

/// A literal, as the field it is compared with reads it.
#[derive(Clone, Debug, PartialEq)]
enum Literal {
    /// Integers and booleans (0 and 1).
    UInt(u64),
    Addr(IpBytes),
    /// A network: an address compared with it tests membership; a network field, equality.
    Net(IpNet),
    Mac([u8; 6]),
    Bytes(Vec<u8>),
    Text(String),
    /// Nanoseconds since the epoch (`frame.time_epoch`).
    Time(i128),
}

impl Filter {
    /// Parses and checks `text` against the registries.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let tokens = lex::tokens(text)?;
        let root = parse::Parser::new(&tokens, text.chars().count()).expression()?;
        Ok(Filter {
            root,
            text: text.to_string(),
        })
    }

    /// The expression as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The registry fields the filter reads: what a dissection must record for [`matches`](Self::matches).
    pub fn fields_read(&self) -> Vec<FieldId> {
        let mut out = Vec::new();
        fn walk(node: &Node, out: &mut Vec<FieldId>) {
            match node {
                Node::And(nodes) | Node::Or(nodes) => nodes.iter().for_each(|n| walk(n, out)),
                Node::Not(a) => walk(a, out),
                Node::Test(name, _) => out.extend(name.fields_read()),
            }
        }
        walk(&self.root, &mut out);
        out.sort_by_key(|id| id.index());
        out.dedup();
        out
    }

    /// Whether the frame (`d`, its bytes `frame`, its capture facts) passes the filter.
    pub fn matches(&self, d: &Dissection<'_>, frame: &[u8], facts: &FrameFacts) -> bool {
        eval(&self.root, d, frame, facts)
    }
}

fn eval(node: &Node, d: &Dissection<'_>, frame: &[u8], facts: &FrameFacts) -> bool {
    match node {
        Node::And(nodes) => nodes.iter().all(|n| eval(n, d, frame, facts)),
        Node::Or(nodes) => nodes.iter().any(|n| eval(n, d, frame, facts)),
        Node::Not(a) => !eval(a, d, frame, facts),
        Node::Test(name, test) => test_name(name, test, d, frame, facts),
    }
}

/// One value of a field in a frame, as a filter compares it.
#[derive(Clone, Copy, Debug)]
enum Operand<'a> {
    UInt(u64),
    Addr(IpBytes),
    Net(IpNet),
    Mac([u8; 6]),
    Bytes(&'a [u8]),
    Time(i128),
}

impl<'a> Operand<'a> {
    fn of(value: &Value<'a>, bytes: &'a [u8]) -> Option<Operand<'a>> {
        Some(match *value {
            Value::None => Operand::Bytes(bytes),
            Value::Bool(b) => Operand::UInt(u64::from(b)),
            Value::UInt(v) => Operand::UInt(v),
            Value::Mac(m) => Operand::Mac(m),
            Value::Ipv4(a) => Operand::Addr(IpBytes::V4(a)),
            Value::Ipv6(a) => Operand::Addr(IpBytes::V6(a)),
            Value::Bytes => Operand::Bytes(bytes),
            Value::Text(t) => Operand::Bytes(t.as_bytes()),
            Value::Net(n) => Operand::Net(n),
            // Compared as its text (see `test_name`).
            Value::CommunityId(_) => return None,
        })
    }

    /// The ordering of the operand against a literal, when the two are comparable.
    fn cmp(&self, lit: &Literal) -> Option<std::cmp::Ordering> {
        match (self, lit) {
            (Operand::UInt(a), Literal::UInt(b)) => Some(a.cmp(b)),
            (Operand::Addr(a), Literal::Addr(b)) => same_family(a, b).then(|| a.cmp(b)),
            (Operand::Net(a), Literal::Net(b)) => Some(if a == b {
                std::cmp::Ordering::Equal
            } else {
                (a.addr, a.prefix).cmp(&(b.addr, b.prefix))
            }),
            (Operand::Mac(a), Literal::Mac(b)) => Some(a.cmp(b)),
            (Operand::Bytes(a), Literal::Bytes(b)) => Some((*a).cmp(b.as_slice())),
            (Operand::Bytes(a), Literal::Text(b)) => Some((*a).cmp(b.as_bytes())),
            (Operand::Time(a), Literal::Time(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// Equality with a literal; an address equals a network it lies in.
    fn eq(&self, lit: &Literal) -> bool {
        match (self, lit) {
            (Operand::Addr(a), Literal::Net(n)) => n.contains(*a),
            _ => self.cmp(lit) == Some(std::cmp::Ordering::Equal),
        }
    }

    fn bytes(&self) -> Option<&'a [u8]> {
        match *self {
            Operand::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

fn same_family(a: &IpBytes, b: &IpBytes) -> bool {
    matches!(
        (a, b),
        (IpBytes::V4(_), IpBytes::V4(_)) | (IpBytes::V6(_), IpBytes::V6(_))
    )
}

fn compare(op: &Operand<'_>, rel: Rel, lit: &Literal) -> bool {
    use std::cmp::Ordering::*;
    match rel {
        Rel::Eq => op.eq(lit),
        // `!=` is tested as "every occurrence differs" by the caller; per occurrence it is "not equal".
        Rel::Ne => !op.eq(lit),
        Rel::Lt => op.cmp(lit) == Some(Less),
        Rel::Le => matches!(op.cmp(lit), Some(Less | Equal)),
        Rel::Gt => op.cmp(lit) == Some(Greater),
        Rel::Ge => matches!(op.cmp(lit), Some(Greater | Equal)),
    }
}

fn test_operand(op: &Operand<'_>, test: &Test) -> bool {
    match test {
        Test::Present => true,
        Test::Compare(rel, lit) => compare(op, *rel, lit),
        Test::Contains(needle) => op.bytes().is_some_and(|hay| {
            needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle.as_slice())
        }),
        Test::Matches(re) => op.bytes().is_some_and(|hay| re.is_match(hay)),
        Test::In(set) => set.iter().any(|m| match m {
            Member::One(lit) => op.eq(lit),
            Member::Range(lo, hi) => matches!(op, Operand::UInt(v) if lo <= v && v <= hi),
        }),
    }
}

/// Runs `test` over every occurrence of `name`: any occurrence passing, or for `!=` every one (at least one).
fn test_name(
    name: &Name,
    test: &Test,
    d: &Dissection<'_>,
    frame: &[u8],
    facts: &FrameFacts,
) -> bool {
    let all = matches!(test, Test::Compare(Rel::Ne, _));
    let mut seen = false;
    let mut check = |op: Operand<'_>| -> Option<bool> {
        seen = true;
        let ok = test_operand(&op, test);
        // Stop at the first occurrence that decides.
        if all && !ok {
            Some(false)
        } else if !all && ok {
            Some(true)
        } else {
            None
        }
    };
    let decided = match *name {
        Name::Frame(f) => check(match f {
            FrameField::Number => Operand::UInt(facts.number),
            FrameField::Len => Operand::UInt(u64::from(facts.len)),
            FrameField::CapLen => Operand::UInt(u64::from(facts.cap_len)),
            FrameField::TimeEpoch => Operand::Time(facts.time_ns()),
        }),
        Name::Note(code) => {
            if d.has_note(code) {
                check(Operand::UInt(1))
            } else {
                None
            }
        }
        Name::Field { ids, scope } if ids[0].def().kind == Kind::Protocol => d
            .layers()
            .iter()
            .filter(|l| l.proto == ids[0] && l.scope == scope)
            .find_map(|l| {
                let bytes = frame
                    .get(l.offset as usize..(l.offset + l.len) as usize)
                    .unwrap_or(&[]);
                check(Operand::Bytes(bytes))
            }),
        Name::Field { ids, scope } => d
            .fields()
            .iter()
            .filter(|f| f.scope == scope && ids.contains(&f.id))
            .find_map(|f| match f.value {
                Value::CommunityId(digest) => {
                    check(Operand::Bytes(&crate::community_id::text(&digest)))
                }
                _ => check(Operand::of(&f.value, f.bytes(frame))?),
            }),
    };
    match decided {
        Some(result) => result,
        None => all && seen,
    }
}

/// The scope-qualified fields of a name, for callers that iterate occurrences themselves (`-T fields`).
pub fn occurrences<'a, 'd>(
    d: &'a Dissection<'d>,
    ids: &'a [FieldId],
    scope: Scope,
) -> impl Iterator<Item = &'a crate::dissection::Field<'d>> + 'a {
    d.fields()
        .iter()
        .filter(move |f| f.scope == scope && ids.contains(&f.id))
}

#[cfg(test)]
mod tests;
