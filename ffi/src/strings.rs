//! The registries' strings as C reads them.
//!
//! [`Registry`] holds NUL-terminated copies of the registries' strings (abbreviations in every scope, names,
//! value names, note codes), built once and alive as long as the library is loaded: the ABI calls them static.
//! The text written for one dissection (values, messages, the summary) lives in the dissection
//! (`handles.rs`).

use std::ffi::c_char;
use std::sync::OnceLock;

use vxscope_dissector::fields::{FIELDS, FieldId, Scope};
use vxscope_dissector::notes::{NOTES, NoteCode};

use crate::abi;

/// NUL-terminated copies of the field and note registries, all in one buffer.
pub(crate) struct Registry {
    /// Every string, each followed by a NUL.
    text: Box<[u8]>,
    /// Every field in every scope, at `scope * FIELDS.len() + id`.
    scoped: Box<[ScopedField]>,
    blurbs: Box<[u32]>,
    /// The value-string names of all fields, field after field, parallel to their `vals`.
    value_names: Box<[u32]>,
    /// Where each field's value-string names start in `value_names`.
    value_names_start: Box<[u32]>,
    note_codes: Box<[u32]>,
    note_templates: Box<[u32]>,
    note_advice: Box<[u32]>,
}

/// What a field's record says that depends only on its registry row and its scope, ready to copy.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScopedField {
    /// Where `prefix + abbrev` starts in the text.
    abbrev: u32,
    /// Where the name starts in the text.
    name: u32,
    pub(crate) id: u32,
    pub(crate) scope: u32,
    pub(crate) depth: u32,
    pub(crate) kind: u32,
    pub(crate) base: u32,
    /// Whether the field names some of its values.
    pub(crate) has_value_names: bool,
}

/// Builds the one buffer of [`Registry`].
#[derive(Default)]
struct TextBuilder {
    text: Vec<u8>,
}

impl TextBuilder {
    /// Appends the concatenation of `parts` and a NUL; returns where it starts.
    fn add(&mut self, parts: &[&str]) -> u32 {
        let start = self.text.len() as u32;
        for part in parts {
            // Registry strings are literals without NUL bytes (a test checks); should one appear, it is cut.
            self.text.extend(part.bytes().take_while(|&b| b != 0));
        }
        self.text.push(0);
        start
    }

    fn all<'a>(&mut self, strings: impl Iterator<Item = &'a str>) -> Box<[u32]> {
        strings.map(|s| self.add(&[s])).collect()
    }
}

impl Registry {
    pub(crate) fn get() -> &'static Registry {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY.get_or_init(|| {
            let mut t = TextBuilder::default();
            let abbrevs = t.all(FIELDS.iter().map(|d| d.abbrev));
            let names = t.all(FIELDS.iter().map(|d| d.name));
            let mut scoped = Vec::with_capacity(FIELDS.len() * Scope::COUNT);
            for scope in all_scopes() {
                for (id, def) in FIELDS.iter().enumerate() {
                    scoped.push(ScopedField {
                        abbrev: if scope == Scope::OUTER {
                            abbrevs[id]
                        } else {
                            t.add(&[scope.prefix(), def.abbrev])
                        },
                        name: names[id],
                        id: id as u32,
                        scope: scope.index() as u32,
                        depth: u32::from(scope.total_depth()),
                        kind: abi::kind_code(def.kind),
                        base: abi::base_code(def.base),
                        has_value_names: !def.vals.is_empty(),
                    });
                }
            }
            let blurbs = t.all(FIELDS.iter().map(|d| d.blurb));
            let mut value_names_start = Vec::with_capacity(FIELDS.len());
            let mut value_names = Vec::new();
            for def in FIELDS {
                value_names_start.push(value_names.len() as u32);
                value_names.extend(def.vals.iter().map(|(_, name)| t.add(&[name])));
            }
            let note_codes = t.all(NOTES.iter().map(|n| n.code));
            let note_templates = t.all(NOTES.iter().map(|n| n.template));
            let note_advice = t.all(NOTES.iter().map(|n| n.advice));
            Registry {
                text: t.text.into_boxed_slice(),
                scoped: scoped.into_boxed_slice(),
                blurbs,
                value_names: value_names.into_boxed_slice(),
                value_names_start: value_names_start.into_boxed_slice(),
                note_codes,
                note_templates,
                note_advice,
            }
        })
    }

    fn at(&self, start: u32) -> *const c_char {
        self.text[start as usize..].as_ptr().cast()
    }

    /// The record parts of field `id` in `scope`.
    #[inline]
    pub(crate) fn scoped(&self, id: FieldId, scope: Scope) -> &ScopedField {
        &self.scoped[scope.index() * FIELDS.len() + id.index()]
    }

    /// The abbreviation with scope prefix of a scoped field.
    #[inline]
    pub(crate) fn scoped_abbrev(&self, field: &ScopedField) -> *const c_char {
        self.at(field.abbrev)
    }

    /// The name of a scoped field.
    #[inline]
    pub(crate) fn scoped_name(&self, field: &ScopedField) -> *const c_char {
        self.at(field.name)
    }

    /// The abbreviation of registry row `id` (as in the outer scope: no prefix).
    pub(crate) fn abbrev(&self, id: usize) -> *const c_char {
        self.at(self.scoped[Scope::OUTER.index() * FIELDS.len() + id].abbrev)
    }

    pub(crate) fn name(&self, id: usize) -> *const c_char {
        self.at(self.scoped[Scope::OUTER.index() * FIELDS.len() + id].name)
    }

    pub(crate) fn blurb(&self, id: usize) -> *const c_char {
        self.at(self.blurbs[id])
    }

    /// The name of an integer value of a field, or NULL.
    pub(crate) fn value_name(&self, id: FieldId, value: u64) -> *const c_char {
        let start = self.value_names_start[id.index()] as usize;
        id.def()
            .vals
            .iter()
            .position(|(v, _)| *v == value)
            .map_or(std::ptr::null(), |i| self.at(self.value_names[start + i]))
    }

    pub(crate) fn note_code(&self, code: NoteCode) -> *const c_char {
        self.at(self.note_codes[code as usize])
    }

    pub(crate) fn note_template(&self, code: NoteCode) -> *const c_char {
        self.at(self.note_templates[code as usize])
    }

    pub(crate) fn note_advice(&self, code: NoteCode) -> *const c_char {
        self.at(self.note_advice[code as usize])
    }
}

/// Every scope, in the order of their indexes.
fn all_scopes() -> [Scope; Scope::COUNT] {
    // Scopes are reached from the outer one by encapsulating and quoting; walk them all once.
    let mut seen = [None; Scope::COUNT];
    let mut stack = vec![Scope::OUTER];
    while let Some(s) = stack.pop() {
        if seen[s.index()].is_some() {
            continue;
        }
        seen[s.index()] = Some(s);
        stack.extend(s.encapsulated());
        stack.extend(s.quoted());
    }
    seen.map(|s| s.unwrap_or(Scope::OUTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn registry_strings_match_the_registries() {
        let r = Registry::get();
        let inner = Scope::OUTER.encapsulated().unwrap();
        let quoted_inner = Scope::OUTER.quoted().unwrap().encapsulated().unwrap();
        let text = |p: *const c_char| unsafe { CStr::from_ptr(p) }.to_str().unwrap();
        let abbrev = |id, scope| text(r.scoped_abbrev(r.scoped(id, scope)));
        assert_eq!(abbrev(FieldId::IpSrc, Scope::OUTER), "ip.src");
        assert_eq!(abbrev(FieldId::IpSrc, inner), "inner.ip.src");
        assert_eq!(
            abbrev(FieldId::IcmpSeq, quoted_inner),
            "quoted.inner.icmp.seq"
        );
        let seq = r.scoped(FieldId::IcmpSeq, quoted_inner);
        assert_eq!((seq.scope as usize, seq.depth), (quoted_inner.index(), 1));
        assert_eq!(text(r.scoped_name(seq)), "Sequence number");
        assert_eq!(text(r.value_name(FieldId::EthType, 0x0800)), "IPv4");
        assert!(r.value_name(FieldId::EthType, 0x1234).is_null());
        for (i, def) in FIELDS.iter().enumerate() {
            assert_eq!(text(r.abbrev(i)), def.abbrev);
            assert_eq!(text(r.name(i)), def.name);
            assert_eq!(text(r.blurb(i)), def.blurb);
        }
        for (i, scope) in all_scopes().into_iter().enumerate() {
            assert_eq!(scope.index(), i);
            for id in FieldId::ALL {
                let f = r.scoped(*id, scope);
                let want = format!("{}{}", scope.prefix(), id.def().abbrev);
                assert_eq!(text(r.scoped_abbrev(f)), want);
                assert_eq!((f.id as usize, f.scope as usize), (id.index(), i));
            }
        }
        let literals = FIELDS
            .iter()
            .flat_map(|d| {
                [d.abbrev, d.name, d.blurb]
                    .into_iter()
                    .chain(d.vals.iter().map(|v| v.1))
            })
            .chain(NOTES.iter().flat_map(|n| [n.code, n.template, n.advice]));
        for literal in literals {
            assert!(!literal.contains('\0'), "{literal:?} holds a NUL byte");
        }
        for code in NoteCode::ALL {
            assert_eq!(text(r.note_code(*code)), code.def().code);
            assert_eq!(text(r.note_template(*code)), code.def().template);
        }
    }
}
