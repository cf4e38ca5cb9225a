//! The three handles C holds: options (being built), a context (immutable, shareable), a dissection (one
//! frame, one thread at a time).
//!
//! Each starts with a tag naming its kind, so that passing one kind of handle where another is expected is
//! an error code rather than a crash. On free the tag is cleared before the memory is released.

use std::cell::UnsafeCell;
use std::ffi::c_char;

use vxscope_dissector::fields::FIELDS;
use vxscope_dissector::notes;
use vxscope_dissector::render::summary;
use vxscope_dissector::value::write;
use vxscope_dissector::{Config, Dissection, Dissector, LinkType};

use crate::abi::{self, Counts, FieldRecord, LayerRecord, NoteRecord};
use crate::status::{Error, Result, VXSCOPE_ERR_BAD_HANDLE, VXSCOPE_ERR_OUT_OF_RANGE};
use crate::strings::{Registry, TextArena};

const OPTIONS_TAG: u64 = u64::from_be_bytes(*b"vxs:opts");
const CONTEXT_TAG: u64 = u64::from_be_bytes(*b"vxs:ctx\0");
const DISSECTION_TAG: u64 = u64::from_be_bytes(*b"vxs:diss");
const FREED_TAG: u64 = u64::from_be_bytes(*b"vxs:free");

/// A kind of handle: where its tag is, and what it is called in messages.
pub(crate) trait Handle: Sized {
    const TAG: u64;
    const WHAT: &'static str;
    fn tag_mut(&mut self) -> &mut u64;
}

/// The tag of whatever handle `ptr` points at. Every handle is `repr(C)` with its tag first.
///
/// # Safety
/// `ptr` is non-null and points at a live handle of some kind.
unsafe fn tag_at(ptr: *const u64) -> u64 {
    // SAFETY: the caller promises a live handle; all handles start with an aligned u64 tag.
    unsafe { ptr.read() }
}

/// Checks that `ptr` is a live handle of kind `H`.
///
/// # Safety
/// `ptr` is NULL or points at a live handle (of any kind).
pub(crate) unsafe fn check<'a, H: Handle>(ptr: *const H, name: &str) -> Result<&'a H> {
    if ptr.is_null() {
        return Err(Error::null(name));
    }
    // SAFETY: non-null, and the caller promises a live handle.
    match unsafe { tag_at(ptr.cast()) } {
        tag if tag == H::TAG => Ok(unsafe { &*ptr }),
        FREED_TAG => Err(Error::new(
            VXSCOPE_ERR_BAD_HANDLE,
            format!("{name} is a freed {}", H::WHAT),
        )),
        other => Err(Error::new(
            VXSCOPE_ERR_BAD_HANDLE,
            format!("{name} is not {} (it is {})", H::WHAT, describe_tag(other)),
        )),
    }
}

/// Like [`check`], for a handle the call changes.
///
/// # Safety
/// As [`check`], and nothing else uses the handle during the call.
pub(crate) unsafe fn check_mut<'a, H: Handle>(ptr: *mut H, name: &str) -> Result<&'a mut H> {
    // SAFETY: as promised by the caller.
    unsafe { check::<H>(ptr, name)? };
    Ok(unsafe { &mut *ptr })
}

fn describe_tag(tag: u64) -> &'static str {
    match tag {
        OPTIONS_TAG => "an options handle",
        CONTEXT_TAG => "a context",
        DISSECTION_TAG => "a dissection",
        _ => "not a vxscope handle",
    }
}

/// Moves a handle to the heap and hands it to C.
pub(crate) fn into_raw<H: Handle>(handle: H) -> *mut H {
    Box::into_raw(Box::new(handle))
}

/// Frees a handle: NULL is a no-op, another kind of handle an error.
///
/// # Safety
/// `ptr` is NULL or a live handle that nothing uses after this call.
pub(crate) unsafe fn free<H: Handle>(ptr: *mut H, name: &str) -> Result<()> {
    if ptr.is_null() {
        return Ok(());
    }
    // SAFETY: as promised by the caller.
    let handle = unsafe { check_mut::<H>(ptr, name)? };
    *handle.tag_mut() = FREED_TAG;
    // SAFETY: the handle came from `into_raw` and is not used again.
    drop(unsafe { Box::from_raw(ptr) });
    Ok(())
}

/// Options from which contexts are made.
#[repr(C)]
pub struct Options {
    tag: u64,
    pub(crate) config: Config,
}

impl Handle for Options {
    const TAG: u64 = OPTIONS_TAG;
    const WHAT: &'static str = "an options handle";
    fn tag_mut(&mut self) -> &mut u64 {
        &mut self.tag
    }
}

impl Options {
    pub(crate) fn new() -> Options {
        Options {
            tag: OPTIONS_TAG,
            config: Config::default(),
        }
    }
}

/// An immutable dissector configuration, shared by any number of threads.
#[repr(C)]
pub struct Context {
    tag: u64,
    pub(crate) dissector: Dissector,
}

impl Handle for Context {
    const TAG: u64 = CONTEXT_TAG;
    const WHAT: &'static str = "a context";
    fn tag_mut(&mut self) -> &mut u64 {
        &mut self.tag
    }
}

impl Context {
    pub(crate) fn new(options: &Options) -> Context {
        Context {
            tag: CONTEXT_TAG,
            dissector: Dissector::new(options.config.clone()),
        }
    }
}

/// Text written for a dissection on demand, and where each piece is.
#[derive(Default)]
struct Texts {
    arena: TextArena,
    /// Value text of each field, once written.
    values: Vec<Option<(*const c_char, usize)>>,
    /// Message of each note, once written.
    messages: Vec<Option<(*const c_char, usize)>>,
    summary: Option<(*const c_char, usize)>,
    scratch: Vec<u8>,
}

impl Texts {
    fn reset(&mut self, fields: usize, notes: usize) {
        self.arena.clear();
        self.values.clear();
        self.values.resize(fields, None);
        self.messages.clear();
        self.messages.resize(notes, None);
        self.summary = None;
    }

    /// The text `write` produces, written once into the arena and remembered in `slot`.
    fn cached(
        arena: &mut TextArena,
        scratch: &mut Vec<u8>,
        slot: &mut Option<(*const c_char, usize)>,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> (*const c_char, usize) {
        if let Some(text) = *slot {
            return text;
        }
        scratch.clear();
        write(scratch);
        let text = (arena.push(scratch), scratch.len());
        *slot = Some(text);
        text
    }
}

/// One dissected frame: the dissection, a copy of the frame's bytes, and the text written for it.
#[repr(C)]
pub struct DissectionHandle {
    tag: u64,
    /// Borrows the context's dissector (text values); the context outlives the dissection by contract.
    dissection: Dissection<'static>,
    frame: Vec<u8>,
    /// Filled by the accessors, which take a shared handle: a dissection is used by one thread at a time.
    texts: UnsafeCell<Texts>,
}

impl Handle for DissectionHandle {
    const TAG: u64 = DISSECTION_TAG;
    const WHAT: &'static str = "a dissection";
    fn tag_mut(&mut self) -> &mut u64 {
        &mut self.tag
    }
}

/// What a dissection starts from: a whole frame from its link layer, or a bare VXLAN payload.
pub(crate) enum Input {
    Frame { link_type: u32, wire_len: u32 },
    VxlanPayload,
}

impl DissectionHandle {
    pub(crate) fn new() -> DissectionHandle {
        DissectionHandle {
            tag: DISSECTION_TAG,
            dissection: Dissection::new(),
            frame: Vec::new(),
            texts: UnsafeCell::new(Texts::default()),
        }
    }

    /// Dissects `bytes` (at most `VXSCOPE_MAX_FRAME_LEN` long) with `context`, replacing what the handle held.
    pub(crate) fn dissect(&mut self, context: &Context, input: Input, bytes: &[u8]) {
        // SAFETY: the caller keeps the context alive while this dissection is used (the ABI's contract), so
        // borrowing its dissector for as long as the handle lives is sound.
        let dissector: &'static Dissector = unsafe { &*(&context.dissector as *const Dissector) };
        self.frame.clear();
        self.frame.extend_from_slice(bytes);
        match input {
            Input::Frame {
                link_type,
                wire_len,
            } => dissector.dissect(
                LinkType(link_type),
                &self.frame,
                wire_len,
                &mut self.dissection,
            ),
            Input::VxlanPayload => {
                dissector.dissect_vxlan_payload(&self.frame, &mut self.dissection)
            }
        }
        let (fields, notes) = (
            self.dissection.fields().len(),
            self.dissection.notes().len(),
        );
        self.texts.get_mut().reset(fields, notes);
    }

    pub(crate) fn counts(&self) -> Counts {
        Counts {
            layers: self.dissection.layers().len(),
            fields: self.dissection.fields().len(),
            notes: self.dissection.notes().len(),
        }
    }

    #[allow(clippy::mut_from_ref)]
    fn texts(&self) -> &mut Texts {
        // SAFETY: a dissection is used by one thread at a time (the ABI's contract) and no reference into
        // `texts` outlives the accessor that takes it, so this is the only reference.
        unsafe { &mut *self.texts.get() }
    }

    pub(crate) fn summary(&self) -> (*const c_char, usize) {
        let t = self.texts();
        Texts::cached(&mut t.arena, &mut t.scratch, &mut t.summary, |out| {
            summary::write(out, &self.dissection, &self.frame)
        })
    }

    pub(crate) fn layer(&self, index: usize) -> Result<LayerRecord> {
        let layers = self.dissection.layers();
        let l = layers
            .get(index)
            .ok_or_else(|| out_of_range("layer", index, layers.len()))?;
        let registry = Registry::get();
        Ok(LayerRecord {
            abbrev: registry.scoped_abbrev(l.proto, l.scope),
            name: registry.name(l.proto.index()),
            id: l.proto.index() as u32,
            scope: l.scope.index() as u32,
            depth: u32::from(l.scope.total_depth()),
            offset: l.offset,
            length: l.len,
        })
    }

    pub(crate) fn field(&self, index: usize) -> Result<FieldRecord> {
        let fields = self.dissection.fields();
        let f = fields
            .get(index)
            .ok_or_else(|| out_of_range("field", index, fields.len()))?;
        let def = f.id.def();
        let t = self.texts();
        let (value, value_len) =
            Texts::cached(&mut t.arena, &mut t.scratch, &mut t.values[index], |out| {
                write::value(out, def, &f.value, f.bytes(&self.frame))
            });
        let registry = Registry::get();
        let int = f.value.as_u64();
        let value_name = match f.value {
            vxscope_dissector::value::Value::UInt(v) => registry.value_name(f.id, v),
            _ => std::ptr::null(),
        };
        Ok(FieldRecord {
            abbrev: registry.scoped_abbrev(f.id, f.scope),
            name: registry.name(f.id.index()),
            value,
            value_len,
            value_name,
            value_int: int.unwrap_or(0),
            id: f.id.index() as u32,
            scope: f.scope.index() as u32,
            layer: u32::from(f.layer),
            depth: u32::from(f.scope.total_depth()),
            level: u32::from(f.level),
            offset: f.offset,
            length: f.len,
            kind: abi::kind_code(def.kind),
            base: abi::base_code(def.base),
            value_type: abi::value_type_code(&f.value),
            has_int: int.is_some(),
        })
    }

    pub(crate) fn note(&self, index: usize) -> Result<NoteRecord> {
        let all = self.dissection.notes();
        let n = all
            .get(index)
            .ok_or_else(|| out_of_range("note", index, all.len()))?;
        let t = self.texts();
        let (message, message_len) = Texts::cached(
            &mut t.arena,
            &mut t.scratch,
            &mut t.messages[index],
            |out| notes::write_message(out, n.code, &n.args),
        );
        let registry = Registry::get();
        Ok(NoteRecord {
            code: registry.note_code(n.code),
            message,
            message_len,
            advice: registry.note_advice(n.code),
            severity: abi::severity_code(n.severity()),
            scope: n.scope.index() as u32,
            offset: n.offset,
            length: n.len,
        })
    }

    /// The index of the first field at or after `from` whose scoped abbreviation is `abbrev`.
    pub(crate) fn find_field(&self, abbrev: &[u8], from: usize) -> Option<usize> {
        self.dissection
            .fields()
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, f)| {
                abbrev
                    .strip_prefix(f.scope.prefix().as_bytes())
                    .is_some_and(|rest| rest == f.id.def().abbrev.as_bytes())
            })
            .map(|(i, _)| i)
    }
}

fn out_of_range(what: &str, index: usize, count: usize) -> Error {
    Error::new(
        VXSCOPE_ERR_OUT_OF_RANGE,
        format!("{what} index {index} is out of range: the dissection has {count}"),
    )
}

/// Number of rows in the field registry.
pub(crate) fn field_def_count() -> usize {
    FIELDS.len()
}
