//! The grammar of a display filter, checked against the registries as it is parsed.
//!
//! ```text
//! or      := and (("||" | "or") and)*
//! and     := not (("&&" | "and") not)*
//! not     := ("!" | "not") not | primary
//! primary := "(" or ")" | NAME [ REL value | "contains" value | "matches" STRING | "in" (set | value) ]
//! set     := "{" member ([","] member)* "}"        member := value | INTEGER ".." INTEGER
//! ```

use std::net::IpAddr;

use super::lex::{Rel, Spanned, Tok};
use super::names::{FrameField, Name, resolve, suggest};
use super::{FilterError, Literal, Member, Node, Test};
use crate::fields::Kind;
use crate::value::{IpBytes, IpNet};

/// How deep parentheses and negations may nest: far beyond any filter written by hand, and shallow enough that
/// parsing, matching and dropping the tree never come near the end of a thread's stack.
pub const MAX_NESTING: usize = 256;

pub struct Parser<'t> {
    tokens: &'t [Spanned],
    pos: usize,
    /// Parentheses and negations open around the current token.
    nesting: usize,
    /// Characters in the expression: the column of "the end".
    len: usize,
}

impl<'t> Parser<'t> {
    pub fn new(tokens: &'t [Spanned], len: usize) -> Self {
        Parser {
            tokens,
            pos: 0,
            nesting: 0,
            len,
        }
    }

    pub fn expression(mut self) -> Result<Node, FilterError> {
        if self.tokens.is_empty() {
            return Err(FilterError::at(1, 1, "the filter is empty"));
        }
        let node = self.or()?;
        if let Some(t) = self.peek() {
            return Err(FilterError::at(
                t.column,
                t.width,
                "expected \"and\", \"or\" or the end of the filter",
            ));
        }
        Ok(node)
    }

    fn peek(&self) -> Option<&'t Spanned> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<&'t Spanned> {
        let t = self.tokens.get(self.pos);
        self.pos += 1;
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek().is_some_and(|t| &t.tok == tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// An error at the current token, or at the end.
    fn expected(&self, what: &str) -> FilterError {
        match self.peek() {
            Some(t) => FilterError::at(t.column, t.width, format!("expected {what}")),
            None => FilterError::at(self.len + 1, 1, format!("expected {what} at the end")),
        }
    }

    fn or(&mut self) -> Result<Node, FilterError> {
        self.chain(Tok::Or, Self::and, Node::Or)
    }

    fn and(&mut self) -> Result<Node, FilterError> {
        self.chain(Tok::And, Self::not, Node::And)
    }

    /// `operand (op operand)*`: one operand alone, or a chain of them as one list node.
    fn chain(
        &mut self,
        op: Tok,
        operand: fn(&mut Self) -> Result<Node, FilterError>,
        list: fn(Vec<Node>) -> Node,
    ) -> Result<Node, FilterError> {
        let first = operand(self)?;
        if self.peek().is_none_or(|t| t.tok != op) {
            return Ok(first);
        }
        let mut nodes = vec![first];
        while self.eat(&op) {
            nodes.push(operand(self)?);
        }
        Ok(list(nodes))
    }

    fn not(&mut self) -> Result<Node, FilterError> {
        if self.peek().is_some_and(|t| t.tok == Tok::Not) {
            return self.nested(|p| Ok(Node::Not(Box::new(p.not()?))));
        }
        self.primary()
    }

    /// Parses what follows the current token (a "(" or a negation) one level deeper, refused beyond
    /// [`MAX_NESTING`] with an error at that token.
    fn nested(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<Node, FilterError>,
    ) -> Result<Node, FilterError> {
        if self.nesting == MAX_NESTING {
            let t = &self.tokens[self.pos];
            return Err(FilterError::at(
                t.column,
                t.width,
                format!("parentheses and \"not\" nest more than {MAX_NESTING} deep here"),
            ));
        }
        self.nesting += 1;
        self.pos += 1;
        let node = inner(self)?;
        self.nesting -= 1;
        Ok(node)
    }

    fn primary(&mut self) -> Result<Node, FilterError> {
        let Some(t) = self.peek() else {
            return Err(self.expected("a field name"));
        };
        if t.tok == Tok::LParen {
            return self.nested(|p| {
                let node = p.or()?;
                if !p.eat(&Tok::RParen) {
                    return Err(p.expected("\")\""));
                }
                Ok(node)
            });
        }
        let Tok::Word(word) = &t.tok else {
            return Err(self.expected("a field name"));
        };
        self.pos += 1;
        let name = resolve(word).ok_or_else(|| {
            let hint = match suggest(word) {
                Some(s) => format!(" (did you mean {s}?)"),
                None => " (`vxscope fields` lists them)".to_string(),
            };
            FilterError::at(t.column, t.width, format!("unknown field {word:?}{hint}"))
        })?;
        let kind = name.kind();
        let op = self.peek().map(|t| t.tok.clone());
        let test = match op {
            Some(Tok::Rel(rel)) => {
                let op_tok = self.next().unwrap();
                self.check_relation(&name, word, kind, rel, op_tok)?;
                Test::Compare(rel, self.value(&name, word, kind)?)
            }
            Some(Tok::Contains) => {
                let op_tok = self.next().unwrap();
                if !matches!(kind, Kind::Text | Kind::Bytes | Kind::Protocol) {
                    return Err(FilterError::at(
                        op_tok.column,
                        op_tok.width,
                        format!(
                            "{word} is {}: \"contains\" needs text, bytes or a protocol",
                            kind_name(&name)
                        ),
                    ));
                }
                match self.value(&name, word, kind)? {
                    Literal::Bytes(b) => Test::Contains(b),
                    Literal::Text(s) => Test::Contains(s.into_bytes()),
                    _ => unreachable!("text, bytes and protocols read text or bytes"),
                }
            }
            Some(Tok::Matches) => {
                let op_tok = self.next().unwrap();
                if !matches!(kind, Kind::Text | Kind::Bytes | Kind::Protocol) {
                    return Err(FilterError::at(
                        op_tok.column,
                        op_tok.width,
                        format!(
                            "{word} is {}: \"matches\" needs text, bytes or a protocol",
                            kind_name(&name)
                        ),
                    ));
                }
                let Some(Spanned {
                    tok: Tok::Str(pattern),
                    column,
                    width,
                }) = self.next()
                else {
                    self.pos -= 1;
                    return Err(self.expected("a quoted regular expression"));
                };
                let re = regex::bytes::RegexBuilder::new(pattern)
                    .case_insensitive(true)
                    .unicode(false)
                    .build()
                    .map_err(|e| {
                        let detail = e.to_string();
                        let last = detail.lines().last().unwrap_or("").trim().to_string();
                        FilterError::at(*column, *width, format!("bad regular expression: {last}"))
                    })?;
                Test::Matches(re)
            }
            Some(Tok::In) => {
                let op_tok = self.next().unwrap();
                self.check_relation(&name, word, kind, Rel::Eq, op_tok)?;
                Test::In(self.set(&name, word, kind)?)
            }
            _ => Test::Present,
        };
        Ok(Node::Test(name, test))
    }

    fn check_relation(
        &self,
        name: &Name,
        word: &str,
        kind: Kind,
        rel: Rel,
        op: &Spanned,
    ) -> Result<(), FilterError> {
        let why = match (kind, rel) {
            (Kind::Protocol, _) => {
                Some("a protocol is tested by presence, \"contains\" or \"matches\"")
            }
            (Kind::Bool, _) if matches!(name, Name::Note(_)) => {
                Some("a note is tested by presence (write the code alone)")
            }
            (Kind::Bool | Kind::IpNet, Rel::Lt | Rel::Le | Rel::Gt | Rel::Ge) => {
                Some("it has no order: use == or !=")
            }
            _ => None,
        };
        match why {
            Some(why) => Err(FilterError::at(
                op.column,
                op.width,
                format!("{word} is {}: {why}", kind_name(name)),
            )),
            None => Ok(()),
        }
    }

    fn set(&mut self, name: &Name, word: &str, kind: Kind) -> Result<Vec<Member>, FilterError> {
        if !self.eat(&Tok::LBrace) {
            // One value, or a network: `inner.ip.dst in 10.244.2.0/24`.
            return Ok(vec![Member::One(self.value(name, word, kind)?)]);
        }
        let mut members = Vec::new();
        loop {
            if self.eat(&Tok::RBrace) {
                break;
            }
            if !members.is_empty() {
                self.eat(&Tok::Comma);
            }
            // A range of integers, `1..10`, is one word.
            if let Some(Spanned {
                tok: Tok::Word(w),
                column,
                width,
            }) = self.peek()
                && kind.is_integer()
                && let Some((a, b)) = w.split_once("..")
            {
                let lo = integer(a).ok_or_else(|| {
                    FilterError::at(*column, *width, format!("{a:?} is not an integer"))
                })?;
                let hi = integer(b).ok_or_else(|| {
                    FilterError::at(*column, *width, format!("{b:?} is not an integer"))
                })?;
                self.pos += 1;
                members.push(Member::Range(lo, hi));
                continue;
            }
            if self.peek().is_none() {
                return Err(self.expected("\"}\""));
            }
            members.push(Member::One(self.value(name, word, kind)?));
        }
        if members.is_empty() {
            return Err(self.expected("a value in the set"));
        }
        Ok(members)
    }

    /// A literal read as the field `word` (of `kind`) holds values.
    fn value(&mut self, name: &Name, word: &str, kind: Kind) -> Result<Literal, FilterError> {
        let Some(t) = self.next() else {
            self.pos -= 1;
            return Err(self.expected(&format!("a value for {word}")));
        };
        let (text, quoted) = match &t.tok {
            Tok::Word(w) => (w.as_str(), false),
            Tok::Str(s) => (s.as_str(), true),
            _ => {
                self.pos -= 1;
                return Err(self.expected(&format!("a value for {word}")));
            }
        };
        let bad = |what: &str| {
            FilterError::at(
                t.column,
                t.width,
                format!("{text:?} is not {what} ({word} is {})", kind_name(name)),
            )
        };
        let literal = match kind {
            Kind::U8 | Kind::U16 | Kind::U24 | Kind::U32 | Kind::U64 => {
                let value = integer(text)
                    .or_else(|| value_named(name, text))
                    .ok_or_else(|| bad("an integer or a name of a value"))?;
                let max = match kind {
                    Kind::U8 => 0xff,
                    Kind::U16 => 0xffff,
                    Kind::U24 => 0xff_ffff,
                    Kind::U32 => 0xffff_ffff,
                    _ => u64::MAX,
                };
                if value > max {
                    return Err(bad(&format!("at most {max}")));
                }
                Literal::UInt(value)
            }
            Kind::Bool => match text {
                "1" | "true" | "True" | "TRUE" => Literal::UInt(1),
                "0" | "false" | "False" | "FALSE" => Literal::UInt(0),
                _ => return Err(bad("a boolean (1, 0, true, false)")),
            },
            Kind::Mac => Literal::Mac(
                hex_bytes(text)
                    .and_then(|b| <[u8; 6]>::try_from(b).ok())
                    .ok_or_else(|| bad("a MAC address"))?,
            ),
            Kind::Ipv4 | Kind::Ipv6 => {
                let v6 = kind == Kind::Ipv6;
                match address_or_network(text) {
                    Some(Literal::Addr(a)) if v6 == matches!(a, IpBytes::V6(_)) => Literal::Addr(a),
                    Some(Literal::Net(n)) if v6 == matches!(n.addr, IpBytes::V6(_)) => {
                        Literal::Net(n)
                    }
                    _ => {
                        return Err(bad(if v6 {
                            "an IPv6 address or network"
                        } else {
                            "an IPv4 address or network"
                        }));
                    }
                }
            }
            Kind::IpNet => match address_or_network(text) {
                Some(Literal::Net(n)) => Literal::Net(n),
                _ => return Err(bad("a network (address/prefix)")),
            },
            Kind::Text if matches!(name, Name::Frame(FrameField::TimeEpoch)) => Literal::Time(
                seconds(text).ok_or_else(|| bad("a time in seconds since the epoch"))?,
            ),
            Kind::Text => Literal::Text(text.to_string()),
            Kind::Bytes | Kind::Protocol => {
                if quoted {
                    Literal::Bytes(text.as_bytes().to_vec())
                } else {
                    Literal::Bytes(
                        hex_bytes(text)
                            .ok_or_else(|| bad("bytes (aa:bb:cc) or a quoted string"))?,
                    )
                }
            }
        };
        Ok(literal)
    }
}

fn kind_name(name: &Name) -> String {
    match name {
        Name::Note(_) => "a note".to_string(),
        Name::Frame(FrameField::TimeEpoch) => "a time".to_string(),
        _ => format!("of type {}", name.kind().name()),
    }
}

/// Decimal, `0x` hex, `0o` octal or `0b` binary.
fn integer(text: &str) -> Option<u64> {
    let (digits, radix) =
        if let Some(h) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            (h, 16)
        } else if let Some(o) = text.strip_prefix("0o") {
            (o, 8)
        } else if let Some(b) = text.strip_prefix("0b") {
            (b, 2)
        } else {
            (text, 10)
        };
    u64::from_str_radix(digits, radix).ok()
}

/// An integer field's value given by its name in the registry's value-string table (case-insensitive).
fn value_named(name: &Name, text: &str) -> Option<u64> {
    let Name::Field { ids, .. } = name else {
        return None;
    };
    ids[0]
        .def()
        .vals
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(text))
        .map(|(v, _)| *v)
}

/// Hex bytes: `aa:bb:cc`, `aa-bb-cc`, `aa.bb.cc`, or `aabbcc`.
fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let groups: Vec<&str> = text.split([':', '-', '.']).collect();
    if groups.len() > 1 {
        return groups
            .iter()
            .map(|g| {
                (g.len() == 2 || g.len() == 1)
                    .then(|| u8::from_str_radix(g, 16).ok())
                    .flatten()
            })
            .collect();
    }
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn address_or_network(text: &str) -> Option<Literal> {
    match text.split_once('/') {
        None => Some(Literal::Addr(IpBytes::from_ip(
            text.parse::<IpAddr>().ok()?,
        ))),
        Some((addr, prefix)) => {
            let addr = IpBytes::from_ip(addr.parse::<IpAddr>().ok()?);
            let prefix: u8 = prefix.parse().ok()?;
            let max = if matches!(addr, IpBytes::V4(_)) {
                32
            } else {
                128
            };
            (prefix <= max).then(|| Literal::Net(IpNet::of(addr, prefix)))
        }
    }
}

/// Seconds since the epoch with up to nine decimals, in nanoseconds.
fn seconds(text: &str) -> Option<i128> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i128 = whole.parse().ok()?;
    let frac: i128 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Some(whole * 1_000_000_000 + frac)
}
