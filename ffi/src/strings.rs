//! Strings handed to C.
//!
//! [`Registry`] holds NUL-terminated copies of the registries' strings (abbreviations in every scope, names,
//! value names, note codes), built once and alive as long as the library is loaded: the ABI calls them static.
//! [`TextArena`] holds the text written for one dissection (values, messages, the summary), where it stays
//! until the dissection is reused or freed.

use std::ffi::c_char;
use std::sync::OnceLock;

use vxscope_dissector::fields::{FIELDS, FieldId, Scope};
use vxscope_dissector::notes::{NOTES, NoteCode};

/// The empty C string.
pub(crate) const EMPTY: *const c_char = c"".as_ptr();

/// NUL-terminated copies of the field and note registries, all in one buffer.
pub(crate) struct Registry {
    /// Every string, each followed by a NUL.
    text: Box<[u8]>,
    /// Where `prefix + abbrev` of every field in every scope starts, at `scope * FIELDS.len() + id`.
    scoped_abbrevs: Box<[u32]>,
    abbrevs: Box<[u32]>,
    names: Box<[u32]>,
    blurbs: Box<[u32]>,
    /// The value-string names of all fields, field after field, parallel to their `vals`.
    value_names: Box<[u32]>,
    /// Where each field's value-string names start in `value_names`.
    value_names_start: Box<[u32]>,
    note_codes: Box<[u32]>,
    note_templates: Box<[u32]>,
    note_advice: Box<[u32]>,
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
            let scoped_abbrevs = (0..Scope::COUNT)
                .flat_map(|scope| {
                    FIELDS
                        .iter()
                        .map(move |def| (scope_prefix(scope), def.abbrev))
                })
                .map(|(prefix, abbrev)| t.add(&[prefix, abbrev]))
                .collect();
            let abbrevs = t.all(FIELDS.iter().map(|d| d.abbrev));
            let names = t.all(FIELDS.iter().map(|d| d.name));
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
                scoped_abbrevs,
                abbrevs,
                names,
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

    pub(crate) fn scoped_abbrev(&self, id: FieldId, scope: Scope) -> *const c_char {
        self.at(self.scoped_abbrevs[scope.index() * FIELDS.len() + id.index()])
    }

    pub(crate) fn abbrev(&self, id: usize) -> *const c_char {
        self.at(self.abbrevs[id])
    }

    pub(crate) fn name(&self, id: usize) -> *const c_char {
        self.at(self.names[id])
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

/// The prefix of scope number `index` (0 to `Scope::COUNT - 1`).
fn scope_prefix(index: usize) -> &'static str {
    // Scopes are reached from the outer one by encapsulating and quoting; walk them all once.
    let mut seen = [None; Scope::COUNT];
    let mut stack = vec![Scope::OUTER];
    while let Some(s) = stack.pop() {
        if seen[s.index()].is_some() {
            continue;
        }
        seen[s.index()] = Some(s.prefix());
        stack.extend(s.encapsulated());
        stack.extend(s.quoted());
    }
    seen[index].unwrap_or("")
}

/// Smallest block of text the arena allocates.
const BLOCK: usize = 16 * 1024;

/// NUL-terminated strings that stay where they were written until [`TextArena::clear`].
///
/// Text goes into blocks that never grow past their capacity, so a pointer handed out earlier stays valid
/// while later text is added. Cleared blocks are kept, so a dissection reused frame after frame stops
/// allocating once its blocks are large enough.
#[derive(Default)]
pub(crate) struct TextArena {
    blocks: Vec<Vec<u8>>,
    /// The block being filled.
    current: usize,
}

impl TextArena {
    pub(crate) fn clear(&mut self) {
        for b in &mut self.blocks {
            b.clear();
        }
        self.current = 0;
    }

    /// Copies `text` and a NUL into the arena; returns where the copy starts.
    pub(crate) fn push(&mut self, text: &[u8]) -> *const c_char {
        if text.is_empty() {
            return EMPTY;
        }
        let need = text.len() + 1;
        loop {
            if self.current == self.blocks.len() {
                self.blocks.push(Vec::with_capacity(need.max(BLOCK)));
            }
            let block = &mut self.blocks[self.current];
            if block.capacity() - block.len() >= need {
                let start = block.len();
                // Within capacity: the block's buffer does not move, earlier pointers into it stay valid.
                block.extend_from_slice(text);
                block.push(0);
                // SAFETY: `start` is within the block's initialized length.
                return unsafe { block.as_ptr().add(start) }.cast();
            }
            if block.is_empty() {
                // Nothing points into an empty block: it may move while it grows.
                block.reserve(need);
                continue;
            }
            self.current += 1;
        }
    }
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
        assert_eq!(text(r.scoped_abbrev(FieldId::IpSrc, inner)), "inner.ip.src");
        assert_eq!(
            text(r.scoped_abbrev(FieldId::IcmpSeq, quoted_inner)),
            "quoted.inner.icmp.seq"
        );
        assert_eq!(text(r.value_name(FieldId::EthType, 0x0800)), "IPv4");
        assert!(r.value_name(FieldId::EthType, 0x1234).is_null());
        for (i, def) in FIELDS.iter().enumerate() {
            assert_eq!(text(r.abbrev(i)), def.abbrev);
            assert_eq!(text(r.name(i)), def.name);
            assert_eq!(text(r.blurb(i)), def.blurb);
        }
        for scope in 0..Scope::COUNT {
            assert!(!text(r.at(r.scoped_abbrevs[scope * FIELDS.len()])).is_empty());
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

    #[test]
    fn arena_pointers_survive_later_text() {
        let mut arena = TextArena::default();
        let mut written = Vec::new();
        for i in 0..5000 {
            let s = format!("value {i} {}", "x".repeat(i % 300));
            written.push((arena.push(s.as_bytes()), s));
        }
        let long = "y".repeat(3 * BLOCK);
        written.push((arena.push(long.as_bytes()), long));
        for (p, s) in &written {
            assert_eq!(unsafe { CStr::from_ptr(*p) }.to_str().unwrap(), s);
        }
        assert_eq!(unsafe { CStr::from_ptr(arena.push(b"")) }.to_bytes(), b"");
        let blocks = arena.blocks.len();
        arena.clear();
        for (_, s) in &written {
            arena.push(s.as_bytes());
        }
        assert!(arena.blocks.len() <= blocks + 1);
    }
}
