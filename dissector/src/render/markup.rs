//! Escaping for the markup renderers (the HTML dump, the SVG pictures): every string that comes from a packet,
//! a topology source or a translation goes through [`escape`] before it is written into an element or an
//! attribute.

/// Text with `&`, `<`, `>` and both quotes escaped, a line break as `&#10;` (kept in attribute values), and
/// the control characters XML 1.0 cannot hold at all replaced by U+FFFD: safe in element content and in
/// quoted attribute values of HTML and XML alike.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// [`escape`], appending to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push('\t'),
            // Not allowed in XML 1.0 (and meaningless in HTML text); U+FFFE and U+FFFF neither.
            '\0'..='\u{1f}' | '\u{7f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(
            escape("a<b & \"c\" 'd'\n"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&#10;"
        );
        assert_eq!(escape("pod\u{1b}[31m\0x"), "pod\u{fffd}[31m\u{fffd}x");
        assert_eq!(escape("外层以太网\tok"), "外层以太网\tok");
    }
}
