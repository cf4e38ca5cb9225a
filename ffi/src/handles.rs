//! The four handles C holds: options (being built), a context (immutable, shareable), a session (what a
//! capture's packets taught so far, one thread at a time), a dissection (one frame, one thread at a time).
//!
//! Each starts with a tag naming its kind, so that passing one kind of handle where another is expected is
//! an error code rather than a crash. On free the tag is cleared before the memory is released.

use std::cell::{Cell, UnsafeCell};
use std::ffi::c_char;

use vxscope_dissector::fields::FieldId;
use vxscope_dissector::flannel::{
    self, DEFAULT_ANNOTATION_PREFIX, Topology, TopologyBuilder, TopologySource,
};
use vxscope_dissector::notes;
use vxscope_dissector::render::{hexdump, summary};
use vxscope_dissector::value::{Value, write};
use vxscope_dissector::{Config, Dissection, Dissector, LinkType};

use crate::abi::{
    self, Counts, FieldRecord, LayerRecord, NoteRecord, VXSCOPE_VALUE_BOOL, VXSCOPE_VALUE_UINT,
};
use crate::status::{
    Error, Result, VXSCOPE_ERR_BAD_HANDLE, VXSCOPE_ERR_INVALID_ARGUMENT, VXSCOPE_ERR_OUT_OF_RANGE,
    VXSCOPE_ERR_PARSE,
};
use crate::strings::Registry;

const OPTIONS_TAG: u64 = u64::from_be_bytes(*b"vxs:opts");
const CONTEXT_TAG: u64 = u64::from_be_bytes(*b"vxs:ctx\0");
const DISSECTION_TAG: u64 = u64::from_be_bytes(*b"vxs:diss");
const SESSION_TAG: u64 = u64::from_be_bytes(*b"vxs:sess");
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
        SESSION_TAG => "a session",
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
    pub(crate) annotation_prefix: String,
    sources: Vec<TopologySource>,
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
            annotation_prefix: DEFAULT_ANNOTATION_PREFIX.to_string(),
            sources: Vec::new(),
        }
    }

    fn builder(&self) -> TopologyBuilder {
        let mut b = TopologyBuilder::new();
        b.annotation_prefix(&self.annotation_prefix);
        b
    }

    /// Adds a topology source, once it has been read without error on top of the sources before it.
    pub(crate) fn add_source(&mut self, source: TopologySource) -> Result<()> {
        let mut b = self.builder();
        for earlier in &self.sources {
            add_to(&mut b, earlier)?;
        }
        add_to(&mut b, &source)?;
        self.sources.push(source);
        Ok(())
    }

    /// The topology the sources describe (flannel's defaults without any).
    pub(crate) fn topology(&self) -> Result<Topology> {
        let mut b = self.builder();
        for source in &self.sources {
            add_to(&mut b, source)?;
        }
        Ok(b.build())
    }
}

/// Adds a source to the topology being built; a source that cannot be read is `VXSCOPE_ERR_PARSE`.
fn add_to(b: &mut TopologyBuilder, source: &TopologySource) -> Result<()> {
    b.add(source)
        .map(drop)
        .map_err(|e| Error::new(VXSCOPE_ERR_PARSE, e.to_string()))
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
    pub(crate) fn new(options: &Options) -> Result<Context> {
        Ok(Context {
            tag: CONTEXT_TAG,
            dissector: Dissector::with_topology(options.config.clone(), options.topology()?),
        })
    }
}

/// One capture followed frame by frame: what its packets show of the cluster, for the diagnoses that compare
/// packets (a VTEP MAC that changed, a VNI that differs from the rest).
#[repr(C)]
pub struct SessionHandle {
    tag: u64,
    /// The context it dissects with; it outlives the session by contract.
    context: *const Context,
    pub(crate) session: flannel::Session,
}

impl Handle for SessionHandle {
    const TAG: u64 = SESSION_TAG;
    const WHAT: &'static str = "a session";
    fn tag_mut(&mut self) -> &mut u64 {
        &mut self.tag
    }
}

impl SessionHandle {
    pub(crate) fn new(context: &Context) -> SessionHandle {
        SessionHandle {
            tag: SESSION_TAG,
            context,
            session: flannel::Session::new(),
        }
    }

    /// The session's context.
    pub(crate) fn context(&self) -> Result<&Context> {
        // SAFETY: the context outlives the session (the ABI's contract); its tag is checked like any handle's.
        unsafe { check(self.context, "the session's context") }
    }
}

/// A record built from the dissection on first use, once a frame.
struct Lazy<T> {
    built: Cell<bool>,
    value: UnsafeCell<T>,
}

impl<T: Default> Default for Lazy<T> {
    fn default() -> Self {
        Lazy {
            built: Cell::new(false),
            value: UnsafeCell::new(T::default()),
        }
    }
}

impl<T> Lazy<T> {
    /// The value, built by `build` (into last frame's value, to reuse its buffers) if this frame has not yet.
    fn get(&self, build: impl FnOnce(&mut T)) -> &T {
        if !self.built.get() {
            // SAFETY: nothing borrows the value: references to it are handed out only once it is built, and
            // `reset`, which takes `&mut self`, ended every borrow from the previous frame. A dissection is used
            // by one thread at a time (the ABI's contract).
            build(unsafe { &mut *self.value.get() });
            self.built.set(true);
        }
        // SAFETY: built, and from now on only read until the next `reset`.
        unsafe { &*self.value.get() }
    }

    fn reset(&mut self) {
        *self.built.get_mut() = false;
    }
}

/// Records with text: the text of all of them goes into one buffer, and pointers into it are taken only once
/// it is complete, so it may grow while it is written. Until then a record's text pointer holds the offset of
/// its text.
struct WithText<R> {
    records: Vec<R>,
    text: Vec<u8>,
}

impl<R> Default for WithText<R> {
    fn default() -> Self {
        WithText {
            records: Vec::new(),
            text: Vec::new(),
        }
    }
}

impl<R> WithText<R> {
    fn clear(&mut self) {
        self.records.clear();
        self.text.clear();
    }

    /// Writes one record's text with `write`, NUL-terminated; returns its offset (as a pointer without
    /// provenance, until [`WithText::finish`]) and its length.
    #[inline]
    fn write_text(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> (*const c_char, usize) {
        let start = self.text.len();
        write(&mut self.text);
        let len = self.text.len() - start;
        self.text.push(0);
        (std::ptr::without_provenance(start), len)
    }

    /// Points each record's text pointer (`text_of`) at its text, now complete.
    fn finish(&mut self, text_of: impl Fn(&mut R) -> &mut *const c_char) {
        let base = self.text.as_ptr();
        for record in &mut self.records {
            let p = text_of(record);
            // SAFETY: the offset was within the text when written, and the text only grew.
            *p = unsafe { base.add(p.addr()) }.cast();
        }
    }
}

/// What the accessors read. Cleared, not freed, from frame to frame: once the buffers are large enough a
/// dissection allocates nothing.
#[derive(Default)]
struct Records {
    fields: Lazy<WithText<FieldRecord>>,
    layers: Lazy<Vec<LayerRecord>>,
    notes: Lazy<WithText<NoteRecord>>,
    summary: Lazy<Vec<u8>>,
    /// The last hex dump asked for, replaced by the next.
    hexdump: UnsafeCell<Vec<u8>>,
}

impl Records {
    fn reset(&mut self) {
        self.fields.reset();
        self.layers.reset();
        self.notes.reset();
        self.summary.reset();
    }
}

/// One dissected frame: the dissection, a copy of the frame's bytes, and the records read from it.
#[repr(C)]
pub struct DissectionHandle {
    tag: u64,
    /// Borrows the context's dissector (text values); the context outlives the dissection by contract.
    dissection: Dissection<'static>,
    /// Whether the dissection records the fields of the summary line (what it records never changes).
    summarised: bool,
    frame: Vec<u8>,
    /// Built by the accessors, which take a shared handle.
    records: Records,
    /// What a session learns from the frame's VXLAN packets, gathered as it was decoded.
    gathered: flannel::Gathered,
    /// The context of a frame decoded with `vxscope_dissect` that no session has learned from yet (null
    /// otherwise): only a session of that context may learn from it, once.
    to_learn: *const Context,
}

impl Handle for DissectionHandle {
    const TAG: u64 = DISSECTION_TAG;
    const WHAT: &'static str = "a dissection";
    fn tag_mut(&mut self) -> &mut u64 {
        &mut self.tag
    }
}

/// What a dissection starts from: a whole frame from its link layer, or a bare VXLAN payload.
pub(crate) enum Input<'s> {
    Frame {
        link_type: u32,
        wire_len: u32,
    },
    /// A frame of a capture a session follows.
    SessionFrame {
        link_type: u32,
        wire_len: u32,
        session: &'s mut flannel::Session,
    },
    VxlanPayload,
}

impl DissectionHandle {
    pub(crate) fn new() -> DissectionHandle {
        Self::with(Dissection::new())
    }

    /// A dissection that records only the fields `ids` (see [`Dissection::recording`]).
    pub(crate) fn recording(ids: &[FieldId]) -> DissectionHandle {
        Self::with(Dissection::recording(ids))
    }

    fn with(dissection: Dissection<'static>) -> DissectionHandle {
        DissectionHandle {
            tag: DISSECTION_TAG,
            summarised: summary::FIELDS_READ
                .iter()
                .all(|id| dissection.records(*id)),
            dissection,
            frame: Vec::new(),
            records: Records::default(),
            gathered: flannel::Gathered::default(),
            to_learn: std::ptr::null(),
        }
    }

    /// Dissects `bytes` (at most `VXSCOPE_MAX_FRAME_LEN` long) with `context`, replacing what the handle held.
    pub(crate) fn dissect(&mut self, context: &Context, input: Input<'_>, bytes: &[u8]) {
        // SAFETY: the caller keeps the context alive while this dissection is used (the ABI's contract), so
        // borrowing its dissector for as long as the handle lives is sound.
        let dissector: &'static Dissector = unsafe { &*(&context.dissector as *const Dissector) };
        self.frame.clear();
        self.frame.extend_from_slice(bytes);
        self.to_learn = std::ptr::null();
        match input {
            // Decoded as a session decodes (the same dissection), its facts kept for a session to learn later.
            Input::Frame {
                link_type,
                wire_len,
            } => {
                flannel::Session::decode(
                    dissector,
                    LinkType(link_type),
                    &self.frame,
                    wire_len,
                    &mut self.dissection,
                    &mut self.gathered,
                );
                self.to_learn = context as *const Context;
            }
            Input::SessionFrame {
                link_type,
                wire_len,
                session,
            } => session.dissect(
                dissector,
                LinkType(link_type),
                &self.frame,
                wire_len,
                &mut self.dissection,
            ),
            Input::VxlanPayload => {
                dissector.dissect_vxlan_payload(&self.frame, &mut self.dissection)
            }
        }
        self.records.reset();
    }

    /// Lets `session` learn from the frame, as `vxscope_session_dissect` would have: once, and only from a
    /// frame decoded with `vxscope_dissect` and the session's context.
    pub(crate) fn learn(&mut self, session: &mut SessionHandle) -> Result<()> {
        if self.to_learn.is_null() || self.to_learn != session.context {
            return Err(Error::new(
                VXSCOPE_ERR_INVALID_ARGUMENT,
                "a session learns only from a dissection made by vxscope_dissect with its context, once"
                    .to_string(),
            ));
        }
        let context = session.context()?;
        // SAFETY: as in `dissect`: the context outlives the dissection by the ABI's contract.
        let dissector: &'static Dissector = unsafe { &*(&context.dissector as *const Dissector) };
        session
            .session
            .learn(dissector.topology(), &mut self.dissection, &self.gathered);
        self.to_learn = std::ptr::null();
        self.records.reset();
        Ok(())
    }

    pub(crate) fn counts(&self) -> Counts {
        Counts {
            layers: self.dissection.layers().len(),
            fields: self.dissection.fields().len(),
            notes: self.dissection.notes().len(),
        }
    }

    /// The summary line, NUL-terminated, and its length; an error for a dissection that does not record the
    /// fields the line is made of.
    pub(crate) fn summary(&self) -> Result<(*const c_char, usize)> {
        if !self.summarised {
            return Err(Error::new(
                VXSCOPE_ERR_INVALID_ARGUMENT,
                "this dissection records only some fields, not those of the summary line \
                 (vxscope_dissection_new_recording without summary)"
                    .to_string(),
            ));
        }
        let line = self.records.summary.get(|line| {
            line.clear();
            summary::write(line, &self.dissection, &self.frame);
            line.push(0);
        });
        Ok((line.as_ptr().cast(), line.len() - 1))
    }

    /// The annotated hex dump of the frame, NUL-terminated, and its length. Replaces the previous one.
    pub(crate) fn hexdump(
        &self,
        format: hexdump::Format,
        lang: hexdump::Lang,
    ) -> (*const c_char, usize) {
        // SAFETY: a dissection is used by one thread at a time (the ABI's contract); no reference into the
        // buffer outlives this call (C holds a raw pointer, which this call is documented to invalidate).
        let text = unsafe { &mut *self.records.hexdump.get() };
        text.clear();
        hexdump::write(text, &self.dissection, &self.frame, format, lang);
        text.push(0);
        (text.as_ptr().cast(), text.len() - 1)
    }

    /// Every layer's record.
    pub(crate) fn layers(&self) -> &[LayerRecord] {
        self.records.layers.get(|records| {
            let registry = Registry::get();
            records.clear();
            records.extend(self.dissection.layers().iter().map(|l| {
                let s = registry.scoped(l.proto, l.scope);
                LayerRecord {
                    abbrev: registry.scoped_abbrev(s),
                    name: registry.scoped_name(s),
                    id: s.id,
                    scope: s.scope,
                    depth: s.depth,
                    offset: l.offset,
                    length: l.len,
                }
            }));
        })
    }

    /// Every field's record, with its value written as text.
    pub(crate) fn fields(&self) -> &[FieldRecord] {
        &self
            .records
            .fields
            .get(|built| {
                let registry = Registry::get();
                built.clear();
                built.records.reserve(self.dissection.fields().len());
                for f in self.dissection.fields() {
                    let s = registry.scoped(f.id, f.scope);
                    let (value, value_len) = built.write_text(|out| {
                        write::value(out, f.id.def(), &f.value, f.bytes(&self.frame))
                    });
                    let (value_type, int, value_name) = match f.value {
                        Value::UInt(v) => (
                            VXSCOPE_VALUE_UINT,
                            Some(v),
                            if s.has_value_names {
                                registry.value_name(f.id, v)
                            } else {
                                std::ptr::null()
                            },
                        ),
                        Value::Bool(b) => {
                            (VXSCOPE_VALUE_BOOL, Some(u64::from(b)), std::ptr::null())
                        }
                        ref other => (abi::value_type_code(other), None, std::ptr::null()),
                    };
                    built.records.push(FieldRecord {
                        abbrev: registry.scoped_abbrev(s),
                        name: registry.scoped_name(s),
                        value,
                        value_len,
                        value_name,
                        value_int: int.unwrap_or(0),
                        id: s.id,
                        scope: s.scope,
                        layer: u32::from(f.layer),
                        depth: s.depth,
                        level: u32::from(f.level),
                        offset: f.offset,
                        length: f.len,
                        kind: s.kind,
                        base: s.base,
                        value_type,
                        has_int: int.is_some(),
                    });
                }
                built.finish(|record| &mut record.value);
            })
            .records
    }

    /// Every note's record, with its message written.
    pub(crate) fn notes(&self) -> &[NoteRecord] {
        &self
            .records
            .notes
            .get(|built| {
                let registry = Registry::get();
                built.clear();
                for n in self.dissection.notes() {
                    let (message, message_len) =
                        built.write_text(|out| notes::write_message(out, n.code, &n.args));
                    built.records.push(NoteRecord {
                        code: registry.note_code(n.code),
                        message,
                        message_len,
                        advice: registry.note_advice(n.code),
                        severity: abi::severity_code(n.severity()),
                        scope: n.scope.index() as u32,
                        offset: n.offset,
                        length: n.len,
                    });
                }
                built.finish(|record| &mut record.message);
            })
            .records
    }

    pub(crate) fn layer(&self, index: usize) -> Result<LayerRecord> {
        let all = self.layers();
        all.get(index)
            .copied()
            .ok_or_else(|| out_of_range("layer", index, all.len()))
    }

    pub(crate) fn field(&self, index: usize) -> Result<FieldRecord> {
        let all = self.fields();
        all.get(index)
            .copied()
            .ok_or_else(|| out_of_range("field", index, all.len()))
    }

    pub(crate) fn note(&self, index: usize) -> Result<NoteRecord> {
        let all = self.notes();
        all.get(index)
            .copied()
            .ok_or_else(|| out_of_range("note", index, all.len()))
    }

    /// The index of the first field at or after `from` of registry row `id` in scope `scope`.
    pub(crate) fn find_field_id(&self, id: u32, scope: u32, from: usize) -> Option<usize> {
        self.dissection
            .fields()
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, f)| f.id.index() as u32 == id && f.scope.index() as u32 == scope)
            .map(|(i, _)| i)
    }

    /// Writes the value of field `index` as text, as its record's `value` reads, to `out`; builds no record.
    pub(crate) fn write_field_value(&self, index: usize, out: &mut Vec<u8>) -> Result<()> {
        let fields = self.dissection.fields();
        let f = fields
            .get(index)
            .ok_or_else(|| out_of_range("field", index, fields.len()))?;
        write::value(out, f.id.def(), &f.value, f.bytes(&self.frame));
        Ok(())
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
