//! The tokens of a display filter, each with the column it starts at.

use super::FilterError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    /// `==`, `!=`, `<`, ... (and `eq`, `ne`, ... as words).
    Rel(Rel),
    And,
    Or,
    Not,
    Contains,
    Matches,
    In,
    /// A quoted string, its escapes resolved.
    Str(String),
    /// Anything else: a field name, a number, an address, a bare word.
    Word(String),
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rel {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A token and where it is: 1-based column (in characters) and width.
#[derive(Clone, Debug)]
pub struct Spanned {
    pub tok: Tok,
    pub column: usize,
    pub width: usize,
}

/// Whether `c` may be part of a bare word: field names, numbers, addresses (IPv4, IPv6, MAC, CIDR), node names.
fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-')
}

pub fn tokens(text: &str) -> Result<Vec<Spanned>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let two = |s: &str| chars[i..].iter().take(2).copied().eq(s.chars());
        let (tok, width) = if c.is_whitespace() {
            i += 1;
            continue;
        } else if c == '"' {
            let (s, end) = string(&chars, i)?;
            (Tok::Str(s), end - i)
        } else if two("==") {
            (Tok::Rel(Rel::Eq), 2)
        } else if two("!=") {
            (Tok::Rel(Rel::Ne), 2)
        } else if two("<=") {
            (Tok::Rel(Rel::Le), 2)
        } else if two(">=") {
            (Tok::Rel(Rel::Ge), 2)
        } else if two("&&") {
            (Tok::And, 2)
        } else if two("||") {
            (Tok::Or, 2)
        } else {
            match c {
                '(' => (Tok::LParen, 1),
                ')' => (Tok::RParen, 1),
                '{' => (Tok::LBrace, 1),
                '}' => (Tok::RBrace, 1),
                ',' => (Tok::Comma, 1),
                '<' => (Tok::Rel(Rel::Lt), 1),
                '>' => (Tok::Rel(Rel::Gt), 1),
                '!' => (Tok::Not, 1),
                '=' => (Tok::Rel(Rel::Eq), 1),
                '~' => (Tok::Matches, 1),
                c if word_char(c) => {
                    let end = (i..chars.len())
                        .find(|&j| !word_char(chars[j]))
                        .unwrap_or(chars.len());
                    let word: String = chars[i..end].iter().collect();
                    let tok = match word.as_str() {
                        "and" => Tok::And,
                        "or" => Tok::Or,
                        "not" => Tok::Not,
                        "contains" => Tok::Contains,
                        "matches" => Tok::Matches,
                        "in" => Tok::In,
                        "eq" => Tok::Rel(Rel::Eq),
                        "ne" => Tok::Rel(Rel::Ne),
                        "lt" => Tok::Rel(Rel::Lt),
                        "le" => Tok::Rel(Rel::Le),
                        "gt" => Tok::Rel(Rel::Gt),
                        "ge" => Tok::Rel(Rel::Ge),
                        _ => Tok::Word(word),
                    };
                    (tok, end - i)
                }
                other => {
                    return Err(FilterError::at(
                        column,
                        1,
                        format!("unexpected character {other:?}"),
                    ));
                }
            }
        };
        out.push(Spanned { tok, column, width });
        i += width;
    }
    Ok(out)
}

/// A quoted string starting at `start` (the opening quote): its text and the index after the closing quote.
fn string(chars: &[char], start: usize) -> Result<(String, usize), FilterError> {
    let mut s = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok((s, i + 1)),
            '\\' => {
                let Some(&e) = chars.get(i + 1) else { break };
                match e {
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    'r' => s.push('\r'),
                    '0' => s.push('\0'),
                    '\\' | '"' => s.push(e),
                    'x' => {
                        let hex: String = chars.iter().skip(i + 2).take(2).collect();
                        let byte = u8::from_str_radix(&hex, 16).map_err(|_| {
                            FilterError::at(i + 1, 2, "\\x must be followed by two hex digits")
                        })?;
                        s.push(char::from(byte));
                        i += 2;
                    }
                    other => {
                        return Err(FilterError::at(
                            i + 1,
                            2,
                            format!("unknown escape \\{other}"),
                        ));
                    }
                }
                i += 2;
            }
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err(FilterError::at(
        start + 1,
        chars.len() - start,
        "string not closed (a \" is missing)",
    ))
}
