//! Renderers: views of a dissection as text. They know nothing of how the bytes were decoded.
//!
//! The one-line summary reads a [`Dissection`] directly. The tree and JSON read a [`FrameView`], which a
//! native dissection provides ([`NativeView`]) and so does a dissection obtained from a plugin through the C
//! ABI, so both paths print the same bytes.

pub mod columns;
pub mod fields;
pub mod hexdump;
pub mod json;
pub mod markup;
pub mod summary;
pub mod svg;
pub mod tree;

use crate::dissection::Dissection;
use crate::fields::{Base, FieldId, Kind};
use crate::notes;
use crate::value::{Value, write};

/// How JSON writes a field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    /// Not written (a protocol).
    Skip,
    /// A bare number (decimal integers).
    Number,
    /// `true` / `false`.
    Bool,
    /// A quoted string.
    String,
}

/// What a renderer needs of one field, besides its value.
#[derive(Clone, Copy, Debug)]
pub struct FieldMeta<'a> {
    /// Scope prefix (`inner.`), written before the abbreviation.
    pub prefix: &'a str,
    pub abbrev: &'a str,
    pub name: &'a str,
    /// Two fields with the same key have the same full abbreviation.
    pub key: usize,
    pub layer: usize,
    pub level: u8,
    pub offset: u32,
    pub len: u32,
    pub json: JsonKind,
}

/// What a renderer needs of one layer.
#[derive(Clone, Copy, Debug)]
pub struct LayerMeta<'a> {
    pub name: &'a str,
    pub prefix: &'a str,
    pub abbrev: &'a str,
    /// Encapsulation depth, for indentation.
    pub depth: u8,
    pub offset: u32,
    pub len: u32,
}

/// What a renderer needs of one note, besides its message.
#[derive(Clone, Copy, Debug)]
pub struct NoteMeta<'a> {
    pub severity: &'a str,
    pub code: &'a str,
    pub advice: &'a str,
    pub offset: u32,
    pub len: u32,
}

/// A dissected frame as the tree and JSON renderers see it.
pub trait FrameView {
    fn summary(&self, out: &mut Vec<u8>);
    fn layer_count(&self) -> usize;
    fn layer(&self, index: usize) -> LayerMeta<'_>;
    fn field_count(&self) -> usize;
    fn field(&self, index: usize) -> FieldMeta<'_>;
    /// Writes the value as text (numbers in their base, booleans as `true`/`false`).
    fn write_value(&self, index: usize, out: &mut Vec<u8>);
    /// Writes the meaning of the value, if it has a name (`IPv4` for EtherType 0x0800). Returns whether it did.
    fn write_value_name(&self, index: usize, out: &mut Vec<u8>) -> bool;
    fn note_count(&self) -> usize;
    fn note(&self, index: usize) -> NoteMeta<'_>;
    fn write_note_message(&self, index: usize, out: &mut Vec<u8>);
    /// Whether the text of a value may hold characters a JSON string must escape (quotes, backslashes,
    /// control characters). Numbers, addresses and hex never do; a view that cannot tell says yes.
    fn value_may_need_escaping(&self, _index: usize) -> bool {
        true
    }
}

/// A native dissection and the bytes of its frame.
pub struct NativeView<'v, 'd> {
    pub dissection: &'v Dissection<'d>,
    pub frame: &'v [u8],
}

impl FrameView for NativeView<'_, '_> {
    fn summary(&self, out: &mut Vec<u8>) {
        summary::write(out, self.dissection, self.frame);
    }

    fn layer_count(&self) -> usize {
        self.dissection.layers().len()
    }

    fn layer(&self, index: usize) -> LayerMeta<'_> {
        let l = &self.dissection.layers()[index];
        let def = l.proto.def();
        LayerMeta {
            name: def.name,
            prefix: l.scope.prefix(),
            abbrev: def.abbrev,
            depth: l.scope.total_depth(),
            offset: l.offset,
            len: l.len,
        }
    }

    fn field_count(&self) -> usize {
        self.dissection.fields().len()
    }

    fn field(&self, index: usize) -> FieldMeta<'_> {
        let f = &self.dissection.fields()[index];
        let def = f.id.def();
        FieldMeta {
            prefix: f.scope.prefix(),
            abbrev: def.abbrev,
            name: def.name,
            key: f.scope.index() * crate::fields::FIELD_COUNT + f.id.index(),
            layer: usize::from(f.layer),
            level: f.level,
            offset: f.offset,
            len: f.len,
            json: json_kind(f.id, &f.value),
        }
    }

    fn write_value(&self, index: usize, out: &mut Vec<u8>) {
        let f = &self.dissection.fields()[index];
        write::value(out, f.id.def(), &f.value, f.bytes(self.frame));
    }

    fn write_value_name(&self, index: usize, out: &mut Vec<u8>) -> bool {
        let f = &self.dissection.fields()[index];
        match f.value {
            Value::UInt(v) => match f.id.def().value_name(v) {
                Some(name) => {
                    out.extend_from_slice(name.as_bytes());
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    fn note_count(&self) -> usize {
        self.dissection.notes().len()
    }

    fn note(&self, index: usize) -> NoteMeta<'_> {
        let n = &self.dissection.notes()[index];
        let def = n.code.def();
        NoteMeta {
            severity: def.severity.name(),
            code: def.code,
            advice: def.advice,
            offset: n.offset,
            len: n.len,
        }
    }

    fn write_note_message(&self, index: usize, out: &mut Vec<u8>) {
        let n = &self.dissection.notes()[index];
        notes::write_message(out, n.code, &n.args);
    }

    fn value_may_need_escaping(&self, index: usize) -> bool {
        matches!(self.dissection.fields()[index].value, Value::Text(_))
    }
}

/// How JSON writes a value of this field.
pub fn json_kind(id: FieldId, value: &Value<'_>) -> JsonKind {
    let def = id.def();
    json_kind_of(def.kind, def.base, value)
}

/// How JSON writes a value of a field of this kind and base. A view without registry rows (a dissection read
/// through the C ABI) passes a value of the same variant as the one it holds.
pub fn json_kind_of(kind: Kind, base: Base, value: &Value<'_>) -> JsonKind {
    match value {
        _ if kind == Kind::Protocol => JsonKind::Skip,
        Value::None => JsonKind::Skip,
        Value::Bool(_) => JsonKind::Bool,
        Value::UInt(_) if base == Base::Dec && kind != Kind::Text => JsonKind::Number,
        _ => JsonKind::String,
    }
}
