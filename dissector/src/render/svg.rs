//! Small pieces for writing self-contained SVG pictures — nothing fetched, no script, no font file: the
//! picture of a frame (`vxscope hexdump --format svg`) and any other picture of layers or hops.
//!
//! [`Svg`] writes one document (or an `<svg>` element inlined in an HTML page): elements with escaped
//! attributes and text, numbers written the same way every time (so pictures can be golden files), and
//! [`Svg::palette`], the layer colours of [`Category::colour`] as fills with the black-and-white hatching of
//! [`Category::hatch`] over them ([`Svg::hatch`] names a category's fill, [`Svg::legend_entry`] draws its
//! swatch and name). [`text_width`] estimates how wide a text will be, to size boxes around it.

use std::fmt::{self, Write};

use crate::i18n::Lang;
use crate::render::hexdump::Category;
use crate::render::markup::escape_into;

/// The fonts of the pictures: installed ones only (nothing is fetched), CJK ones for Chinese labels.
pub const SANS: &str = "DejaVu Sans, Noto Sans, Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, Arial, sans-serif";
pub const MONO: &str = "DejaVu Sans Mono, Noto Sans Mono, Noto Sans Mono CJK SC, WenQuanYi Micro Hei Mono, Menlo, Consolas, Liberation Mono, monospace";

/// A coordinate or length as the pictures write it: rounded to a tenth, without a trailing `.0`.
#[derive(Clone, Copy, Debug)]
pub struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tenths = (self.0 * 10.0).round() as i64;
        let (whole, tenth) = (tenths / 10, (tenths % 10).abs());
        let sign = if tenths < 0 && whole == 0 { "-" } else { "" };
        match tenth {
            0 => write!(f, "{sign}{whole}"),
            _ => write!(f, "{sign}{whole}.{tenth}"),
        }
    }
}

/// How wide `text` is likely to be at `font_size` (user units): wide (CJK, full-width) characters an em each,
/// others 0.61 em in a monospace font, about 0.62 em in the sans-serif one (DejaVu's widths; narrower fonts
/// leave room).
pub fn text_width(text: &str, font_size: f64, mono: bool) -> f64 {
    let narrow = if mono { 0.61 } else { 0.62 };
    text.chars()
        .map(|c| if is_wide(c) { 1.0 } else { narrow })
        .sum::<f64>()
        * font_size
}

/// Whether a character takes a full em: CJK ideographs and punctuation, kana, Hangul, full-width forms.
fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115f | 0x2e80..=0x303e | 0x3041..=0x33ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff
        | 0xa000..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xfe30..=0xfe4f | 0xff00..=0xff60
        | 0xffe0..=0xffe6)
}

/// An attribute value: text (escaped when written) or a number.
#[derive(Clone, Copy, Debug)]
pub enum Attr<'a> {
    Str(&'a str),
    Num(f64),
}

impl<'a> From<&'a str> for Attr<'a> {
    fn from(s: &'a str) -> Self {
        Attr::Str(s)
    }
}

impl<'a> From<&'a String> for Attr<'a> {
    fn from(s: &'a String) -> Self {
        Attr::Str(s)
    }
}

impl From<f64> for Attr<'_> {
    fn from(v: f64) -> Self {
        Attr::Num(v)
    }
}

/// One SVG document or inline `<svg>` element being written. Elements are opened and closed in order;
/// [`Svg::finish`] closes what is still open.
pub struct Svg {
    out: String,
    open: Vec<&'static str>,
    /// Written before every id this writer defines, so several pictures can share one HTML page.
    id_prefix: String,
}

impl Svg {
    /// A standalone document (`<?xml ...?>` first) of `width` × `height` user units, its `<title>` (what
    /// screen readers and file browsers show) and the language of its text.
    pub fn document(width: f64, height: f64, lang: Lang, title: &str) -> Svg {
        let mut svg = Svg {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            open: Vec::new(),
            id_prefix: String::new(),
        };
        svg.root(width, height, lang, title);
        svg
    }

    /// An `<svg>` element to put inside an HTML page; its ids start with `id_prefix` (distinct for each
    /// picture of the page).
    pub fn inline(width: f64, height: f64, lang: Lang, title: &str, id_prefix: &str) -> Svg {
        let mut svg = Svg {
            out: String::new(),
            open: Vec::new(),
            id_prefix: id_prefix.to_string(),
        };
        svg.root(width, height, lang, title);
        svg
    }

    fn root(&mut self, width: f64, height: f64, lang: Lang, title: &str) {
        let view_box = format!("0 0 {} {}", Num(width), Num(height));
        self.open(
            "svg",
            &[
                ("xmlns", "http://www.w3.org/2000/svg".into()),
                ("width", width.into()),
                ("height", height.into()),
                ("viewBox", (&view_box).into()),
                ("role", "img".into()),
                ("xml:lang", lang.html_tag().into()),
                ("font-family", SANS.into()),
            ],
        );
        self.element("title", &[], title);
    }

    /// An id this writer defines or refers to: `name` after the writer's prefix.
    pub fn id(&self, name: &str) -> String {
        format!("{}{name}", self.id_prefix)
    }

    /// `url(#id)` of an id of this writer.
    pub fn url(&self, name: &str) -> String {
        format!("url(#{}{name})", self.id_prefix)
    }

    fn attrs(&mut self, attrs: &[(&str, Attr<'_>)]) {
        for (name, value) in attrs {
            let _ = write!(self.out, " {name}=\"");
            match value {
                Attr::Str(s) => escape_into(&mut self.out, s),
                Attr::Num(v) => {
                    let _ = write!(self.out, "{}", Num(*v));
                }
            }
            self.out.push('"');
        }
    }

    /// Opens an element; [`Svg::close`] closes it.
    pub fn open(&mut self, name: &'static str, attrs: &[(&str, Attr<'_>)]) {
        let _ = write!(self.out, "<{name}");
        self.attrs(attrs);
        self.out.push_str(">\n");
        self.open.push(name);
    }

    /// Closes the element opened last.
    pub fn close(&mut self) {
        if let Some(name) = self.open.pop() {
            let _ = writeln!(self.out, "</{name}>");
        }
    }

    /// An element without content: `<rect .../>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, Attr<'_>)]) {
        let _ = write!(self.out, "<{name}");
        self.attrs(attrs);
        self.out.push_str("/>\n");
    }

    /// An element holding text, escaped: `<text ...>10.244.1.12</text>`, `<title>...</title>`.
    pub fn element(&mut self, name: &str, attrs: &[(&str, Attr<'_>)], text: &str) {
        let _ = write!(self.out, "<{name}");
        self.attrs(attrs);
        self.out.push('>');
        escape_into(&mut self.out, text);
        let _ = writeln!(self.out, "</{name}>");
    }

    /// A rectangle.
    pub fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, attrs: &[(&str, Attr<'_>)]) {
        let mut all: Vec<(&str, Attr<'_>)> = vec![
            ("x", x.into()),
            ("y", y.into()),
            ("width", width.into()),
            ("height", height.into()),
        ];
        all.extend_from_slice(attrs);
        self.empty("rect", &all);
    }

    /// A line.
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), attrs: &[(&str, Attr<'_>)]) {
        let mut all: Vec<(&str, Attr<'_>)> = vec![
            ("x1", from.0.into()),
            ("y1", from.1.into()),
            ("x2", to.0.into()),
            ("y2", to.1.into()),
        ];
        all.extend_from_slice(attrs);
        self.empty("line", &all);
    }

    /// A line of text whose baseline starts at (`x`, `y`) (or is centred or ends there, by `text-anchor`).
    pub fn text(&mut self, x: f64, y: f64, attrs: &[(&str, Attr<'_>)], text: &str) {
        let mut all: Vec<(&str, Attr<'_>)> = vec![("x", x.into()), ("y", y.into())];
        all.extend_from_slice(attrs);
        self.element("text", &all, text);
    }

    /// A circle.
    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, attrs: &[(&str, Attr<'_>)]) {
        let mut all: Vec<(&str, Attr<'_>)> =
            vec![("cx", cx.into()), ("cy", cy.into()), ("r", r.into())];
        all.extend_from_slice(attrs);
        self.empty("circle", &all);
    }

    /// The fill of a category, its colour under its hatching: `url(#hatch-ol)` (defined by [`Svg::palette`]).
    pub fn hatch(&self, category: Category) -> String {
        self.url(&format!("hatch-{}", category.css()))
    }

    /// One entry of a legend whose text's baseline is at `y`: a swatch of the category (colour and
    /// hatching), then `name`. Returns where the next entry starts.
    pub fn legend_entry(&mut self, x: f64, y: f64, category: Category, name: &str) -> f64 {
        let fill = self.hatch(category);
        self.rect(
            x,
            y - 11.0,
            22.0,
            14.0,
            &[
                ("fill", (&fill).into()),
                ("stroke", "#1a1a1a".into()),
                ("stroke-width", 1.0.into()),
            ],
        );
        self.text(
            x + 28.0,
            y,
            &[("font-size", 11.0.into()), ("fill", "#1a1a1a".into())],
            name,
        );
        x + 28.0 + text_width(name, 11.0, false) + 18.0
    }

    /// Markup written as it is: only for constant markup of the caller, never for text from a packet.
    pub fn raw(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    /// `<defs>` with the palette: for each [`Category`] a pattern `hatch-<css>` (its colour, the hatching of
    /// [`Category::hatch`] over it in dark grey). Fill a box with `svg.url(&format!("hatch-{}", c.css()))`, or
    /// with the plain colour where text sits on it.
    pub fn palette(&mut self) {
        self.open("defs", &[]);
        for category in Category::ALL {
            let id = self.id(&format!("hatch-{}", category.css()));
            self.open(
                "pattern",
                &[
                    ("id", (&id).into()),
                    ("width", 8.0.into()),
                    ("height", 8.0.into()),
                    ("patternUnits", "userSpaceOnUse".into()),
                ],
            );
            self.rect(0.0, 0.0, 8.0, 8.0, &[("fill", category.colour().into())]);
            let hatch = category.hatch();
            if !hatch.is_empty() {
                self.empty(
                    "path",
                    &[
                        ("d", hatch.into()),
                        ("fill", "#404040".into()),
                        ("stroke", "#404040".into()),
                        ("stroke-width", 1.0.into()),
                    ],
                );
            }
            self.close();
        }
        self.close();
    }

    /// Closes every element still open and returns the markup.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_to_a_tenth() {
        let shown: Vec<String> = [0.0, 12.0, 12.34, 12.36, -0.25, -3.0, 1e-9]
            .iter()
            .map(|v| Num(*v).to_string())
            .collect();
        assert_eq!(shown, ["0", "12", "12.3", "12.4", "-0.3", "-3", "0"]);
    }

    #[test]
    fn wide_characters_count_an_em() {
        assert_eq!(text_width("abcde", 10.0, true), 30.5);
        assert_eq!(text_width("外层", 10.0, false), 20.0);
    }

    #[test]
    fn a_document_escapes_what_it_is_given_and_closes_what_is_open() {
        let mut svg = Svg::document(100.0, 20.5, Lang::Zh, "frame <1>");
        svg.open("g", &[("class", "box \"x\"".into())]);
        svg.text(1.0, 2.25, &[("font-size", 11.0.into())], "pod & <ns>");
        let doc = svg.finish();
        assert!(doc.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"20.5\" viewBox=\"0 0 100 20.5\" role=\"img\" xml:lang=\"zh-CN\""), "{doc}");
        assert!(doc.contains("<title>frame &lt;1&gt;</title>"), "{doc}");
        assert!(doc.contains("<g class=\"box &quot;x&quot;\">\n<text x=\"1\" y=\"2.3\" font-size=\"11\">pod &amp; &lt;ns&gt;</text>\n</g>\n</svg>\n"), "{doc}");
    }

    #[test]
    fn the_palette_defines_a_pattern_a_category() {
        let mut svg = Svg::inline(10.0, 10.0, Lang::En, "t", "f2-");
        svg.palette();
        let doc = svg.finish();
        for category in Category::ALL {
            assert!(doc.contains(&format!("id=\"f2-hatch-{}\"", category.css())));
            assert!(doc.contains(category.colour()));
        }
    }
}
