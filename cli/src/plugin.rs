//! `vxscope dissect --plugin PATH`: the host for dissector plugins.
//!
//! Loads any shared library that exports the plugin descriptor `vxscope_plugin_v1` (libvxscope.so is one),
//! checks its ABI version before reading anything else, and dissects through the descriptor's function
//! pointers only. A dissection read through the C ABI is a [`FrameView`], so the tree and JSON renderers print
//! it exactly as they print a dissection made in process.
//!
//! The records and the descriptor are `vxscope-abi`'s, as libvxscope's are; the plugin states the layout of
//! each, member by member, and a library whose layout differs from this host's in one member's name, offset
//! or size is refused before it is used.

use std::ffi::{CStr, CString, c_char};
use std::path::{Path, PathBuf};

use libloading::Library;

use crate::topology::TopologyArgs;
use vxscope_abi::{
    Counts, FieldRecord, HostPlugin, LAYOUT, LayerRecord, Member, NoteRecord, Opaque, PluginHead,
    Status, VXSCOPE_ABI_VERSION, VXSCOPE_BASE_DEC, VXSCOPE_BASE_HEX, VXSCOPE_KIND_BOOL,
    VXSCOPE_KIND_BYTES, VXSCOPE_KIND_IPNET, VXSCOPE_KIND_IPV4, VXSCOPE_KIND_IPV6, VXSCOPE_KIND_MAC,
    VXSCOPE_KIND_PROTOCOL, VXSCOPE_KIND_TEXT, VXSCOPE_KIND_UINT8, VXSCOPE_KIND_UINT16,
    VXSCOPE_KIND_UINT24, VXSCOPE_KIND_UINT32, VXSCOPE_KIND_UINT64, VXSCOPE_OK, VXSCOPE_SCOPE_LIMIT,
    VXSCOPE_SEVERITY_CHAT, VXSCOPE_SEVERITY_ERROR, VXSCOPE_SEVERITY_NOTE, VXSCOPE_SEVERITY_WARNING,
    VXSCOPE_VALUE_BOOL, VXSCOPE_VALUE_BYTES, VXSCOPE_VALUE_IPNET, VXSCOPE_VALUE_IPV4,
    VXSCOPE_VALUE_IPV6, VXSCOPE_VALUE_MAC, VXSCOPE_VALUE_NONE, VXSCOPE_VALUE_TEXT,
    VXSCOPE_VALUE_UINT,
};
use vxscope_dissector::Config;
use vxscope_dissector::fields::{Base, Kind};
use vxscope_dissector::flannel::TopologySource;
use vxscope_dissector::notes::Severity;
use vxscope_dissector::render::{
    FieldMeta, FrameView, JsonKind, LayerMeta, NoteMeta, json_kind_of,
};
use vxscope_dissector::value::Value;

/// The ABI version this host speaks.
pub const ABI_VERSION: u32 = VXSCOPE_ABI_VERSION;

/// The symbol every plugin exports.
const ENTRY: &str = "vxscope_plugin_v1";

/// Most entries a plugin's layout may have (this version's has fewer than a hundred).
const MAX_LAYOUT_LEN: usize = 4096;

/// The descriptor as this host reads it.
type Descriptor = HostPlugin;

/// The functions the host calls, each checked to be present.
#[derive(Clone, Copy)]
struct Functions {
    last_error: unsafe extern "C" fn() -> *const c_char,
    options_new: unsafe extern "C" fn(*mut *mut Opaque) -> Status,
    options_free: unsafe extern "C" fn(*mut Opaque) -> Status,
    options_add_vxlan_port: unsafe extern "C" fn(*mut Opaque, u16) -> Status,
    options_add_gpe_port: unsafe extern "C" fn(*mut Opaque, u16) -> Status,
    options_set_decode_as_otv: unsafe extern "C" fn(*mut Opaque, bool) -> Status,
    options_set_gbp: unsafe extern "C" fn(*mut Opaque, bool) -> Status,
    options_set_annotation_prefix: unsafe extern "C" fn(*mut Opaque, *const c_char) -> Status,
    options_add_nodes_json:
        unsafe extern "C" fn(*mut Opaque, *const c_char, usize, *const c_char) -> Status,
    options_add_node_info: unsafe extern "C" fn(
        *mut Opaque,
        *const c_char,
        usize,
        *const c_char,
        *const c_char,
    ) -> Status,
    options_add_pods:
        unsafe extern "C" fn(*mut Opaque, *const c_char, usize, *const c_char) -> Status,
    context_new: unsafe extern "C" fn(*const Opaque, *mut *mut Opaque) -> Status,
    context_free: unsafe extern "C" fn(*mut Opaque) -> Status,
    session_new: unsafe extern "C" fn(*const Opaque, *mut *mut Opaque) -> Status,
    session_free: unsafe extern "C" fn(*mut Opaque) -> Status,
    session_dissect:
        unsafe extern "C" fn(*mut Opaque, u32, *const u8, usize, u32, *mut *mut Opaque) -> Status,
    dissect:
        unsafe extern "C" fn(*const Opaque, u32, *const u8, usize, u32, *mut *mut Opaque) -> Status,
    dissection_free: unsafe extern "C" fn(*mut Opaque) -> Status,
    dissection_summary:
        unsafe extern "C" fn(*const Opaque, *mut *const c_char, *mut usize) -> Status,
    dissection_layers:
        unsafe extern "C" fn(*const Opaque, *mut *const LayerRecord, *mut usize) -> Status,
    dissection_fields:
        unsafe extern "C" fn(*const Opaque, *mut *const FieldRecord, *mut usize) -> Status,
    dissection_notes:
        unsafe extern "C" fn(*const Opaque, *mut *const NoteRecord, *mut usize) -> Status,
    registry_field_count: unsafe extern "C" fn() -> usize,
    /// Optional: without it, a one-line stream's dissection records every field.
    dissection_new_recording:
        Option<unsafe extern "C" fn(*const u32, usize, bool, *mut *mut Opaque) -> Status>,
    /// Optional: without it, frames are dissected one after the other on one thread.
    session_learn: Option<unsafe extern "C" fn(*mut Opaque, *mut Opaque) -> Status>,
}

/// A loaded plugin library.
pub struct Plugin {
    path: PathBuf,
    name: String,
    f: Functions,
    /// Rows in the plugin's field registry: field identifiers are below it.
    registry_len: usize,
    json_kinds: JsonKinds,
    /// Keeps the library loaded while the functions above are used; dropped last.
    _library: Library,
}

fn text_at(p: *const c_char) -> String {
    if p.is_null() {
        return "(null)".into();
    }
    // SAFETY: the plugin promises NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

impl Plugin {
    /// Loads the library at `path` and checks that it is a plugin this host can use.
    pub fn load(path: &Path) -> Result<Plugin, String> {
        let shown = path.display();
        // A path without a slash would be searched for in the library path; the user means this file.
        let path = if path.components().count() == 1 {
            Path::new(".").join(path)
        } else {
            path.to_path_buf()
        };
        // SAFETY: loading a library runs its initialisers; the user asked for this library by path.
        let library = unsafe { Library::new(&path) }
            .map_err(|e| format!("{shown}: cannot load the plugin: {e}"))?;
        // SAFETY: the symbol is looked up with the type every plugin exports it with.
        let entry =
            unsafe { library.get::<unsafe extern "C" fn() -> *const PluginHead>(ENTRY.as_bytes()) }
                .map_err(|_| {
                    format!("{shown}: not a vxscope plugin: it exports no {ENTRY} symbol")
                })?;
        // SAFETY: the entry point takes no arguments and returns a pointer to a static descriptor.
        let head_ptr = unsafe { entry() };
        if head_ptr.is_null() {
            return Err(format!("{shown}: {ENTRY}() returned NULL"));
        }
        // SAFETY: every ABI version starts with these members.
        let head = unsafe { &*head_ptr };
        let name = text_at(head.name);
        if head.abi_version != ABI_VERSION {
            return Err(format!(
                "{shown}: plugin {name:?} speaks vxscope ABI version {}, but this vxscope speaks ABI version \
                 {ABI_VERSION}: rebuild the plugin against vxscope.h of ABI version {ABI_VERSION}",
                head.abi_version
            ));
        }
        if (head.struct_size as usize) < size_of::<Descriptor>() {
            return Err(format!(
                "{shown}: plugin {name:?} has a descriptor of {} bytes, smaller than the {} bytes of ABI \
                 version {ABI_VERSION}",
                head.struct_size,
                size_of::<Descriptor>()
            ));
        }
        // SAFETY: the version and size say the descriptor has this layout.
        let d: Descriptor = unsafe { *head_ptr.cast::<Descriptor>() };
        for (what, theirs, ours) in [
            ("vxscope_counts", d.counts_size, size_of::<Counts>()),
            (
                "vxscope_layer",
                d.layer_record_size,
                size_of::<LayerRecord>(),
            ),
            (
                "vxscope_field",
                d.field_record_size,
                size_of::<FieldRecord>(),
            ),
            ("vxscope_note", d.note_record_size, size_of::<NoteRecord>()),
        ] {
            if theirs as usize != ours {
                return Err(format!(
                    "{shown}: plugin {name:?} has a {what} of {theirs} bytes, where ABI version {ABI_VERSION} \
                     has {ours}"
                ));
            }
        }
        check_layout(&d).map_err(|e| format!("{shown}: plugin {name:?} {e}"))?;
        let f = functions(&d).map_err(|member| {
            format!("{shown}: plugin {name:?} leaves the descriptor's {member} function NULL")
        })?;
        // SAFETY: checked present; takes no arguments.
        let registry_len = unsafe { (f.registry_field_count)() };
        Ok(Plugin {
            path,
            name,
            f,
            registry_len,
            json_kinds: JsonKinds::new(),
            _library: library,
        })
    }

    /// A dissection for frames that are read whole (`need_fields`) or only summarised: NULL (the plugin makes
    /// one on the first frame), or, for a summary and when the plugin can, one that records only what the
    /// summary line needs.
    fn new_dissection(&self, need_fields: bool) -> Result<*mut Opaque, String> {
        let mut dissection = std::ptr::null_mut();
        if let (false, Some(new_recording)) = (need_fields, self.f.dissection_new_recording) {
            // SAFETY: no field identifiers (NULL, 0), a writable out-pointer.
            self.check(
                unsafe { new_recording(std::ptr::null(), 0, true, &mut dissection) },
                "dissection_new_recording",
            )?;
        }
        Ok(dissection)
    }

    /// What the plugin said about its last failure on this thread.
    fn last_error(&self) -> String {
        // SAFETY: checked present; returns a NUL-terminated string (or NULL, which text_at handles).
        text_at(unsafe { (self.f.last_error)() })
    }

    /// A status turned into an error naming the plugin and the call.
    fn check(&self, status: Status, call: &str) -> Result<(), String> {
        if status == VXSCOPE_OK {
            Ok(())
        } else {
            Err(format!(
                "plugin {:?} ({}): {call} failed with status {status}: {}",
                self.name,
                self.path.display(),
                self.last_error()
            ))
        }
    }

    /// A context configured as `config` with the topology of `topology`'s sources, a session following the
    /// capture, and a dissection reused frame after frame.
    pub fn stream(
        &self,
        config: &Config,
        topology: &TopologyArgs,
        need_fields: bool,
    ) -> Result<Stream<'_>, String> {
        let f = &self.f;
        let mut options = std::ptr::null_mut();
        // SAFETY: every call gets the pointers the ABI asks for; the options are freed below.
        unsafe {
            self.check((f.options_new)(&mut options), "options_new")?;
            let context = self.configure(options, config, topology);
            let freed = self.check((f.options_free)(options), "options_free");
            let context = context?;
            freed?;
            let mut stream = Stream {
                plugin: self,
                context,
                session: std::ptr::null_mut(),
                dissection: std::ptr::null_mut(),
                reader: Reader::new(self, need_fields),
            };
            // Dropped on failure, which frees the context.
            self.check(
                (f.session_new)(stream.context, &mut stream.session),
                "session_new",
            )?;
            stream.dissection = self.new_dissection(need_fields)?;
            Ok(stream)
        }
    }

    /// Sets `options` up as the command line says, then makes a context from them.
    ///
    /// # Safety
    /// `options` is a live options handle of the plugin.
    unsafe fn configure(
        &self,
        options: *mut Opaque,
        config: &Config,
        topology: &TopologyArgs,
    ) -> Result<*mut Opaque, String> {
        let f = &self.f;
        // SAFETY: a live handle, and strings that live through each call.
        unsafe {
            for &port in &config.vxlan_ports {
                self.check(
                    (f.options_add_vxlan_port)(options, port),
                    "options_add_vxlan_port",
                )?;
            }
            for &port in &config.gpe_ports {
                self.check(
                    (f.options_add_gpe_port)(options, port),
                    "options_add_gpe_port",
                )?;
            }
            self.check(
                (f.options_set_decode_as_otv)(options, config.decode_8472_as_otv),
                "options_set_decode_as_otv",
            )?;
            self.check((f.options_set_gbp)(options, config.gbp), "options_set_gbp")?;
            let prefix = c_string(&topology.annotation_prefix)?;
            self.check(
                (f.options_set_annotation_prefix)(options, prefix.as_ptr()),
                "options_set_annotation_prefix",
            )?;
            // The topology's sources, read and named as `TopologyArgs::load` does.
            topology.each_source(|s| match s {
                TopologySource::Nodes { text, label } => {
                    let label = c_string(&label)?;
                    self.check(
                        (f.options_add_nodes_json)(
                            options,
                            text.as_ptr().cast(),
                            text.len(),
                            label.as_ptr(),
                        ),
                        "options_add_nodes_json",
                    )
                }
                TopologySource::NodeInfo { text, label, node } => {
                    let label = c_string(&label)?;
                    let node = node.as_deref().map(c_string).transpose()?;
                    let node = node.as_ref().map_or(std::ptr::null(), |n| n.as_ptr());
                    self.check(
                        (f.options_add_node_info)(
                            options,
                            text.as_ptr().cast(),
                            text.len(),
                            label.as_ptr(),
                            node,
                        ),
                        "options_add_node_info",
                    )
                }
                TopologySource::Pods { text, label } => {
                    let label = c_string(&label)?;
                    self.check(
                        (f.options_add_pods)(
                            options,
                            text.as_ptr().cast(),
                            text.len(),
                            label.as_ptr(),
                        ),
                        "options_add_pods",
                    )
                }
            })?;
            let mut context = std::ptr::null_mut();
            self.check((f.context_new)(options, &mut context), "context_new")?;
            Ok(context)
        }
    }
}

/// The bytes of a NUL-terminated string of the plugin's layout.
fn layout_name<'a>(p: *const c_char) -> Result<&'a [u8], String> {
    if p.is_null() {
        return Err("gives a layout with a NULL name".into());
    }
    // SAFETY: the plugin promises NUL-terminated static strings.
    Ok(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// Compares the plugin's layout of the records and the descriptor with this host's ([`LAYOUT`]), member by
/// member: every member this host reads must be there, under its name, at its offset, of its size.
fn check_layout(d: &Descriptor) -> Result<(), String> {
    if d.layout.is_null() || d.layout_len == 0 {
        return Err(
            "gives no layout of its records (the descriptor's layout is NULL or empty)".into(),
        );
    }
    if d.layout_len > MAX_LAYOUT_LEN {
        return Err(format!(
            "gives a layout of {} members, more than {MAX_LAYOUT_LEN}: its descriptor is damaged",
            d.layout_len
        ));
    }
    // SAFETY: the plugin promises `layout_len` entries at `layout`, static.
    let theirs: &[Member] = unsafe { std::slice::from_raw_parts(d.layout, d.layout_len) };
    let theirs = theirs
        .iter()
        .map(|m| {
            Ok((
                layout_name(m.record)?,
                layout_name(m.member)?,
                m.offset,
                m.size,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    for ours in &LAYOUT.0 {
        let (record, member) = (layout_name(ours.record)?, layout_name(ours.member)?);
        let shown = format!(
            "{}.{}",
            String::from_utf8_lossy(record),
            String::from_utf8_lossy(member)
        );
        match theirs.iter().find(|t| t.0 == record && t.1 == member) {
            None => {
                return Err(format!(
                    "has no member {shown}, which ABI version {ABI_VERSION} has at byte offset {} ({} bytes)",
                    ours.offset, ours.size
                ));
            }
            Some(&(_, _, offset, size)) if (offset, size) != (ours.offset, ours.size) => {
                return Err(format!(
                    "has {shown} at byte offset {offset} ({size} bytes), where ABI version {ABI_VERSION} has it \
                     at byte offset {} ({} bytes)",
                    ours.offset, ours.size
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// A string for the plugin, NUL-terminated.
fn c_string(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("{s:?} holds a NUL byte"))
}

fn functions(d: &Descriptor) -> Result<Functions, &'static str> {
    // Members the host does not call must be present too: the descriptor promises all of them.
    d.options_add_nodes_json_file
        .ok_or("options_add_nodes_json_file")?;
    d.options_add_node_info_file
        .ok_or("options_add_node_info_file")?;
    d.options_add_pods_file.ok_or("options_add_pods_file")?;
    d.dissect_vxlan_payload.ok_or("dissect_vxlan_payload")?;
    d.dissection_counts.ok_or("dissection_counts")?;
    d.dissection_hexdump.ok_or("dissection_hexdump")?;
    d.dissection_layer.ok_or("dissection_layer")?;
    d.dissection_field.ok_or("dissection_field")?;
    d.dissection_note.ok_or("dissection_note")?;
    d.dissection_find_field.ok_or("dissection_find_field")?;
    d.registry_field.ok_or("registry_field")?;
    d.registry_note_count.ok_or("registry_note_count")?;
    d.registry_note.ok_or("registry_note")?;
    Ok(Functions {
        last_error: d.last_error.ok_or("last_error")?,
        options_new: d.options_new.ok_or("options_new")?,
        options_free: d.options_free.ok_or("options_free")?,
        options_add_vxlan_port: d.options_add_vxlan_port.ok_or("options_add_vxlan_port")?,
        options_add_gpe_port: d.options_add_gpe_port.ok_or("options_add_gpe_port")?,
        options_set_decode_as_otv: d
            .options_set_decode_as_otv
            .ok_or("options_set_decode_as_otv")?,
        options_set_gbp: d.options_set_gbp.ok_or("options_set_gbp")?,
        options_set_annotation_prefix: d
            .options_set_annotation_prefix
            .ok_or("options_set_annotation_prefix")?,
        options_add_nodes_json: d.options_add_nodes_json.ok_or("options_add_nodes_json")?,
        options_add_node_info: d.options_add_node_info.ok_or("options_add_node_info")?,
        options_add_pods: d.options_add_pods.ok_or("options_add_pods")?,
        context_new: d.context_new.ok_or("context_new")?,
        context_free: d.context_free.ok_or("context_free")?,
        session_new: d.session_new.ok_or("session_new")?,
        session_free: d.session_free.ok_or("session_free")?,
        session_dissect: d.session_dissect.ok_or("session_dissect")?,
        dissect: d.dissect.ok_or("dissect")?,
        dissection_free: d.dissection_free.ok_or("dissection_free")?,
        dissection_summary: d.dissection_summary.ok_or("dissection_summary")?,
        dissection_layers: d.dissection_layers.ok_or("dissection_layers")?,
        dissection_fields: d.dissection_fields.ok_or("dissection_fields")?,
        dissection_notes: d.dissection_notes.ok_or("dissection_notes")?,
        registry_field_count: d.registry_field_count.ok_or("registry_field_count")?,
        dissection_new_recording: d.dissection_new_recording,
        session_learn: d.session_learn,
    })
}

/// A string of the plugin's, checked to be UTF-8 once: `(pointer, length)`.
type PluginStr = (*const u8, usize);

/// A static string of the plugin (an abbreviation, a name), as `&str`.
///
/// # Safety
/// `s` was made by [`static_str`] from a string that lives as long as the library.
unsafe fn as_str<'a>(s: PluginStr) -> &'a str {
    // SAFETY: checked UTF-8 when made; static in the plugin.
    unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(s.0, s.1)) }
}

/// Reads a NUL-terminated static string of the plugin, checking it is UTF-8.
fn static_str(p: *const c_char, what: &str) -> Result<PluginStr, String> {
    if p.is_null() {
        return Err(format!("the plugin returned a NULL {what}"));
    }
    // SAFETY: the plugin promises NUL-terminated strings.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    std::str::from_utf8(bytes)
        .map_err(|_| format!("the plugin returned a {what} that is not UTF-8"))?;
    Ok((bytes.as_ptr(), bytes.len()))
}

/// Abbreviation and name of a field or layer, remembered by key with the pointers they were read from.
#[derive(Clone, Copy)]
struct Names {
    abbrev_ptr: *const c_char,
    name_ptr: *const c_char,
    abbrev: PluginStr,
    name: PluginStr,
}

impl Names {
    /// No names (a key no record has used yet).
    const NONE: Names = Names {
        abbrev_ptr: std::ptr::null(),
        name_ptr: std::ptr::null(),
        abbrev: (b"".as_ptr(), 0),
        name: (b"".as_ptr(), 0),
    };
}

/// What the host works out once a frame about each field record, which it reads in place.
#[derive(Clone, Copy)]
struct FieldExtra {
    /// The field's abbreviation and name, checked.
    abbrev: PluginStr,
    name: PluginStr,
    /// Same for every field with the same abbreviation.
    key: u32,
    json: JsonKind,
}

struct HostLayer {
    names: Names,
    depth: u8,
    offset: u32,
    len: u32,
}

struct HostNote {
    severity: &'static str,
    code: PluginStr,
    advice: PluginStr,
    message: PluginStr,
    offset: u32,
    len: u32,
}

/// A context of the plugin, a session following the capture, and one dissection reused frame after frame.
pub struct Stream<'p> {
    plugin: &'p Plugin,
    context: *mut Opaque,
    session: *mut Opaque,
    dissection: *mut Opaque,
    reader: Reader<'p>,
}

impl Drop for Stream<'_> {
    fn drop(&mut self) {
        let f = &self.plugin.f;
        // SAFETY: the handles came from the plugin and are not used again; NULL is accepted. The context goes
        // last: the others refer to it.
        unsafe {
            (f.dissection_free)(self.dissection);
            (f.session_free)(self.session);
            (f.context_free)(self.context);
        }
    }
}

/// What the host reads of the plugin's dissection of a frame, checked, and what it remembers from frame to
/// frame (names, note strings): the renderers read it through a [`PluginView`].
struct Reader<'p> {
    plugin: &'p Plugin,
    /// The dissection read last (not owned).
    dissection: *mut Opaque,
    /// Whether frames are read whole (tree, JSON) or only summarised (one line).
    need_fields: bool,
    /// The plugin's field records of the current frame (valid until the next dissection), and what the host
    /// worked out about each.
    fields: (*const FieldRecord, usize),
    extras: Vec<FieldExtra>,
    layers: Vec<HostLayer>,
    notes: Vec<HostNote>,
    /// Names by key (`scope * registry_len + id`), checked once; [`Names::NONE`] where none was seen yet.
    names: Vec<Names>,
    /// Note codes and advice by the pointer they were read from, checked once.
    note_strs: Vec<(*const c_char, PluginStr)>,
}

/// A pointer to a handle of the plugin that may cross threads: the context, which the ABI lets any number of
/// threads dissect with at once, and the session, which the pool's threads use one at a time, in turn.
#[derive(Clone, Copy)]
struct Shared(*mut Opaque);

// SAFETY: see above: the ABI allows the context on several threads at once, and a session on one at a time,
// which the decoding pool's turns ensure.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

/// The session of a [`Stream`], for decoding threads that let it learn from their frames in turn.
pub struct Learner<'p> {
    plugin: &'p Plugin,
    session: Shared,
}

/// A decoding thread's dissections, one for each frame of a chunk, made with the stream's context; the
/// [`Learner`] learns from them in turn, then the thread renders them.
pub struct Lane<'p> {
    plugin: &'p Plugin,
    context: Shared,
    dissections: Vec<*mut Opaque>,
    reader: Reader<'p>,
}

// SAFETY: the dissections belong to the lane alone (one thread at a time, as the ABI asks); the context is
// `Shared`.
unsafe impl Send for Lane<'_> {}

impl Drop for Lane<'_> {
    fn drop(&mut self) {
        for &d in &self.dissections {
            // SAFETY: the lane's own dissections, not used again.
            unsafe { (self.plugin.f.dissection_free)(d) };
        }
    }
}

/// How JSON writes a field, by the codes of its kind, base and value type: [`json_kind_of`] worked out once
/// for every combination the ABI knows.
struct JsonKinds([JsonKind; JsonKinds::LEN]);

impl JsonKinds {
    const KINDS: u32 = VXSCOPE_KIND_IPNET + 1;
    const BASES: u32 = VXSCOPE_BASE_HEX + 1;
    const VALUE_TYPES: u32 = VXSCOPE_VALUE_IPNET + 1;
    const LEN: usize = (Self::KINDS * Self::BASES * Self::VALUE_TYPES) as usize;

    fn index(kind: u32, base: u32, value_type: u32) -> Option<usize> {
        (kind < Self::KINDS && base < Self::BASES && value_type < Self::VALUE_TYPES)
            .then(|| ((kind * Self::BASES + base) * Self::VALUE_TYPES + value_type) as usize)
    }

    fn new() -> JsonKinds {
        let mut table = [JsonKind::Skip; Self::LEN];
        for kind in 0..Self::KINDS {
            for base in 0..Self::BASES {
                for value_type in 0..Self::VALUE_TYPES {
                    if let (Some(k), Some(b), Some(v), Some(i)) = (
                        kind_of(kind),
                        base_of(base),
                        value_like(value_type),
                        Self::index(kind, base, value_type),
                    ) {
                        table[i] = json_kind_of(k, b, &v);
                    }
                }
            }
        }
        JsonKinds(table)
    }

    fn get(&self, kind: u32, base: u32, value_type: u32) -> Option<JsonKind> {
        Self::index(kind, base, value_type).map(|i| self.0[i])
    }
}

fn kind_of(code: u32) -> Option<Kind> {
    Some(match code {
        VXSCOPE_KIND_PROTOCOL => Kind::Protocol,
        VXSCOPE_KIND_BOOL => Kind::Bool,
        VXSCOPE_KIND_UINT8 => Kind::U8,
        VXSCOPE_KIND_UINT16 => Kind::U16,
        VXSCOPE_KIND_UINT24 => Kind::U24,
        VXSCOPE_KIND_UINT32 => Kind::U32,
        VXSCOPE_KIND_UINT64 => Kind::U64,
        VXSCOPE_KIND_MAC => Kind::Mac,
        VXSCOPE_KIND_IPV4 => Kind::Ipv4,
        VXSCOPE_KIND_IPV6 => Kind::Ipv6,
        VXSCOPE_KIND_BYTES => Kind::Bytes,
        VXSCOPE_KIND_TEXT => Kind::Text,
        VXSCOPE_KIND_IPNET => Kind::IpNet,
        _ => return None,
    })
}

fn base_of(code: u32) -> Option<Base> {
    match code {
        VXSCOPE_BASE_DEC => Some(Base::Dec),
        VXSCOPE_BASE_HEX => Some(Base::Hex),
        _ => None,
    }
}

/// A value of the variant the ABI's `value_type` names, for [`json_kind_of`].
fn value_like(value_type: u32) -> Option<Value<'static>> {
    Some(match value_type {
        VXSCOPE_VALUE_NONE => Value::None,
        VXSCOPE_VALUE_BOOL => Value::Bool(false),
        VXSCOPE_VALUE_UINT => Value::UInt(0),
        VXSCOPE_VALUE_MAC => Value::Mac([0; 6]),
        VXSCOPE_VALUE_IPV4 => Value::Ipv4([0; 4]),
        VXSCOPE_VALUE_IPV6 => Value::Ipv6([0; 16]),
        VXSCOPE_VALUE_BYTES => Value::Bytes,
        VXSCOPE_VALUE_TEXT => Value::Text(""),
        VXSCOPE_VALUE_IPNET => Value::Net(vxscope_dissector::value::IpNet {
            addr: vxscope_dissector::value::IpBytes::V4([0; 4]),
            prefix: 0,
        }),
        _ => return None,
    })
}

fn severity_name(code: u32) -> Option<&'static str> {
    Some(
        match code {
            VXSCOPE_SEVERITY_CHAT => Severity::Chat,
            VXSCOPE_SEVERITY_NOTE => Severity::Note,
            VXSCOPE_SEVERITY_WARNING => Severity::Warning,
            VXSCOPE_SEVERITY_ERROR => Severity::Error,
            _ => return None,
        }
        .name(),
    )
}

impl<'p> Stream<'p> {
    /// Dissects the next frame of the capture through the plugin; the view reads it until the next call.
    /// Unless `read` is set the frame is only dissected (the session learns from it), not read.
    pub fn dissect(
        &mut self,
        link_type: u32,
        frame: &[u8],
        wire_len: u32,
        read: bool,
    ) -> Result<PluginView<'_, 'p>, String> {
        let f = self.plugin.f;
        // SAFETY: the frame is valid for its length; the dissection is NULL or the plugin's own.
        let status = unsafe {
            (f.session_dissect)(
                self.session,
                link_type,
                frame.as_ptr(),
                frame.len(),
                wire_len,
                &mut self.dissection,
            )
        };
        self.plugin.check(status, "session_dissect")?;
        self.reader.read(self.dissection, read)
    }

    /// `n` lanes for decoding threads and the session they learn in, when the plugin can let a session learn
    /// from frames decoded apart (`session_learn`); `None` when it cannot.
    pub fn lanes(&mut self, n: usize) -> Option<(Learner<'p>, Vec<Lane<'p>>)> {
        self.plugin.f.session_learn?;
        let lanes = (0..n)
            .map(|_| Lane {
                plugin: self.plugin,
                context: Shared(self.context),
                dissections: Vec::new(),
                reader: Reader::new(self.plugin, self.reader.need_fields),
            })
            .collect();
        let learner = Learner {
            plugin: self.plugin,
            session: Shared(self.session),
        };
        Some((learner, lanes))
    }
}

impl Learner<'_> {
    /// Lets the session learn from dissection `slot` of `lane`, decoded last.
    pub fn learn(&mut self, lane: &mut Lane<'_>, slot: usize) -> Result<(), String> {
        let learn = self
            .plugin
            .f
            .session_learn
            .ok_or("the plugin cannot learn")?;
        // SAFETY: the session is used by this thread alone while it holds the learner (the pool's turn); the
        // dissection is the lane's own.
        let status = unsafe { learn(self.session.0, lane.dissections[slot]) };
        self.plugin.check(status, "session_learn")
    }
}

impl<'p> Lane<'p> {
    /// Decodes `frame` into dissection `slot` (made on first use), with the stream's context.
    pub fn decode(
        &mut self,
        slot: usize,
        link_type: u32,
        frame: &[u8],
        wire_len: u32,
    ) -> Result<(), String> {
        while self.dissections.len() <= slot {
            let d = self.plugin.new_dissection(self.reader.need_fields)?;
            self.dissections.push(d);
        }
        let f = self.plugin.f;
        // SAFETY: the context may be used by several threads at once; the dissection is NULL or this lane's.
        let status = unsafe {
            (f.dissect)(
                self.context.0,
                link_type,
                frame.as_ptr(),
                frame.len(),
                wire_len,
                &mut self.dissections[slot],
            )
        };
        self.plugin.check(status, "dissect")
    }

    /// A view of dissection `slot`, read whole when `read` is set and frames are read whole.
    pub fn view(&mut self, slot: usize, read: bool) -> Result<PluginView<'_, 'p>, String> {
        self.reader.read(self.dissections[slot], read)
    }
}

impl<'p> Reader<'p> {
    fn new(plugin: &'p Plugin, need_fields: bool) -> Reader<'p> {
        Reader {
            plugin,
            dissection: std::ptr::null_mut(),
            need_fields,
            fields: (std::ptr::null(), 0),
            extras: Vec::new(),
            layers: Vec::new(),
            notes: Vec::new(),
            names: Vec::new(),
            note_strs: Vec::new(),
        }
    }

    /// Reads `dissection` (the plugin's, just made) when `read` is set and frames are read whole; the view
    /// reads it until the next dissection.
    fn read(&mut self, dissection: *mut Opaque, read: bool) -> Result<PluginView<'_, 'p>, String> {
        self.dissection = dissection;
        self.fields = (std::ptr::null(), 0);
        self.extras.clear();
        self.layers.clear();
        self.notes.clear();
        if read && self.need_fields {
            self.read_fields()?;
            self.read_layers()?;
            self.read_notes()?;
        }
        Ok(PluginView { session: self })
    }

    /// Makes sure the names of key `key` are the strings at these pointers, checked.
    #[inline]
    fn names(
        &mut self,
        key: usize,
        abbrev: *const c_char,
        name: *const c_char,
    ) -> Result<(), String> {
        match self.names.get(key) {
            Some(n) if n.abbrev_ptr == abbrev && n.name_ptr == name && !abbrev.is_null() => Ok(()),
            _ => self.check_names(key, abbrev, name),
        }
    }

    /// Reads and checks the names of key `key`, seen for the first time (or at new pointers).
    #[cold]
    fn check_names(
        &mut self,
        key: usize,
        abbrev: *const c_char,
        name: *const c_char,
    ) -> Result<(), String> {
        let names = Names {
            abbrev_ptr: abbrev,
            name_ptr: name,
            abbrev: static_str(abbrev, "abbreviation")?,
            name: static_str(name, "name")?,
        };
        if key >= self.names.len() {
            self.names.resize(key + 1, Names::NONE);
        }
        self.names[key] = names;
        Ok(())
    }

    /// A static string of a note, checked the first time its pointer is seen.
    fn note_str(&mut self, p: *const c_char, what: &str) -> Result<PluginStr, String> {
        if let Some((_, s)) = self.note_strs.iter().find(|(q, _)| *q == p) {
            return Ok(*s);
        }
        let s = static_str(p, what)?;
        self.note_strs.push((p, s));
        Ok(s)
    }

    fn key(&self, id: u32, scope: u32) -> Result<usize, String> {
        if id as usize >= self.plugin.registry_len || scope >= VXSCOPE_SCOPE_LIMIT {
            return Err(format!(
                "the plugin returned field id {id} in scope {scope}, outside its registry of {} rows and \
                 {VXSCOPE_SCOPE_LIMIT} scopes",
                self.plugin.registry_len
            ));
        }
        Ok(scope as usize * self.plugin.registry_len + id as usize)
    }

    /// An array of records the plugin owns until the next dissection.
    fn records<R>(
        &self,
        call: unsafe extern "C" fn(*const Opaque, *mut *const R, *mut usize) -> Status,
        name: &str,
    ) -> Result<&'static [R], String> {
        let mut records = std::ptr::null();
        let mut count = 0;
        // SAFETY: the session's current dissection, writable out-pointers.
        self.plugin.check(
            unsafe { call(self.dissection, &mut records, &mut count) },
            name,
        )?;
        if count == 0 {
            return Ok(&[]);
        }
        if records.is_null() {
            return Err(format!(
                "the plugin's {name} returned NULL for {count} records"
            ));
        }
        // SAFETY: the plugin hands out `count` records that live until the next dissection; the session copies
        // what it needs from them before then.
        Ok(unsafe { std::slice::from_raw_parts(records, count) })
    }

    fn read_fields(&mut self) -> Result<(), String> {
        let records = self.records(self.plugin.f.dissection_fields, "dissection_fields")?;
        for r in records {
            let key = self.key(r.id, r.scope)?;
            self.names(key, r.abbrev, r.name)?;
            if r.value.is_null() {
                return Err("the plugin returned a field with a NULL value".into());
            }
            let Some(json) = self.plugin.json_kinds.get(r.kind, r.base, r.value_type) else {
                return Err(format!(
                    "the plugin returned a field of kind {}, base {}, value type {}, not all known to ABI \
                     version {ABI_VERSION}",
                    r.kind, r.base, r.value_type
                ));
            };
            let names = self.names[key];
            self.extras.push(FieldExtra {
                abbrev: names.abbrev,
                name: names.name,
                key: key as u32,
                json,
            });
        }
        self.fields = (records.as_ptr(), records.len());
        Ok(())
    }

    /// Field record `index` of the current frame.
    #[inline]
    fn field_record(&self, index: usize) -> &FieldRecord {
        assert!(index < self.fields.1, "field {index} of {}", self.fields.1);
        // SAFETY: below the count; the plugin's records live until the next dissection, which needs `&mut self`.
        unsafe { &*self.fields.0.add(index) }
    }

    /// The field records of the current frame.
    fn field_records(&self) -> &[FieldRecord] {
        if self.fields.1 == 0 {
            return &[];
        }
        // SAFETY: the plugin's records, alive until the next dissection, which needs `&mut self`.
        unsafe { std::slice::from_raw_parts(self.fields.0, self.fields.1) }
    }

    fn read_layers(&mut self) -> Result<(), String> {
        let records = self.records(self.plugin.f.dissection_layers, "dissection_layers")?;
        for r in records {
            let key = self.key(r.id, r.scope)?;
            self.names(key, r.abbrev, r.name)?;
            self.layers.push(HostLayer {
                names: self.names[key],
                depth: r.depth.min(u32::from(u8::MAX)) as u8,
                offset: r.offset,
                len: r.length,
            });
        }
        if let Some(f) = self
            .field_records()
            .iter()
            .find(|f| f.layer as usize >= self.layers.len())
        {
            return Err(format!(
                "the plugin returned a field of layer {} of {}",
                f.layer,
                self.layers.len()
            ));
        }
        Ok(())
    }

    fn read_notes(&mut self) -> Result<(), String> {
        let records = self.records(self.plugin.f.dissection_notes, "dissection_notes")?;
        for r in records {
            let severity = severity_name(r.severity).ok_or_else(|| {
                format!(
                    "the plugin returned a note of unknown severity {}",
                    r.severity
                )
            })?;
            if r.message.is_null() {
                return Err("the plugin returned a note with a NULL message".into());
            }
            let code = self.note_str(r.code, "note code")?;
            let advice = self.note_str(r.advice, "note advice")?;
            self.notes.push(HostNote {
                severity,
                code,
                advice,
                message: (r.message.cast(), r.message_len),
                offset: r.offset,
                len: r.length,
            });
        }
        Ok(())
    }
}

/// The frame a [`Stream`] or a [`Lane`] dissected last, as the renderers read it.
pub struct PluginView<'s, 'p> {
    session: &'s Reader<'p>,
}

/// Bytes of the plugin's that live until the next dissection.
///
/// # Safety
/// `s` points into the current dissection of the session the view borrows.
unsafe fn bytes<'a>(s: PluginStr) -> &'a [u8] {
    if s.1 == 0 {
        return &[];
    }
    // SAFETY: as promised by the caller.
    unsafe { std::slice::from_raw_parts(s.0, s.1) }
}

impl FrameView for PluginView<'_, '_> {
    fn summary(&self, out: &mut Vec<u8>) {
        let s = self.session;
        let mut text = std::ptr::null();
        let mut len = 0;
        // SAFETY: the session's current dissection, writable out-pointers.
        let status = unsafe { (s.plugin.f.dissection_summary)(s.dissection, &mut text, &mut len) };
        if status == VXSCOPE_OK && !text.is_null() {
            // SAFETY: the plugin wrote `len` bytes at `text`, alive until the next dissection.
            out.extend_from_slice(unsafe { bytes((text.cast(), len)) });
        } else {
            out.extend_from_slice(format!("(plugin error: {})", s.plugin.last_error()).as_bytes());
        }
    }

    fn layer_count(&self) -> usize {
        self.session.layers.len()
    }

    fn layer(&self, index: usize) -> LayerMeta<'_> {
        let l = &self.session.layers[index];
        LayerMeta {
            // SAFETY: checked UTF-8 and static in the plugin.
            name: unsafe { as_str(l.names.name) },
            prefix: "",
            abbrev: unsafe { as_str(l.names.abbrev) },
            depth: l.depth,
            offset: l.offset,
            len: l.len,
        }
    }

    #[inline]
    fn field_count(&self) -> usize {
        self.session.extras.len()
    }

    #[inline]
    fn field(&self, index: usize) -> FieldMeta<'_> {
        let extra = &self.session.extras[index];
        let r = self.session.field_record(index);
        FieldMeta {
            prefix: "",
            // SAFETY: checked UTF-8 and static in the plugin.
            abbrev: unsafe { as_str(extra.abbrev) },
            name: unsafe { as_str(extra.name) },
            key: extra.key as usize,
            layer: r.layer as usize,
            level: r.level.min(u32::from(u8::MAX)) as u8,
            offset: r.offset,
            len: r.length,
            json: extra.json,
        }
    }

    #[inline]
    fn write_value(&self, index: usize, out: &mut Vec<u8>) {
        let r = self.session.field_record(index);
        // SAFETY: the value belongs to the current dissection.
        out.extend_from_slice(unsafe { bytes((r.value.cast(), r.value_len)) });
    }

    fn write_value_name(&self, index: usize, out: &mut Vec<u8>) -> bool {
        let p = self.session.field_record(index).value_name;
        if p.is_null() {
            return false;
        }
        // SAFETY: a static NUL-terminated string of the plugin.
        out.extend_from_slice(unsafe { CStr::from_ptr(p) }.to_bytes());
        true
    }

    fn note_count(&self) -> usize {
        self.session.notes.len()
    }

    fn note(&self, index: usize) -> NoteMeta<'_> {
        let n = &self.session.notes[index];
        NoteMeta {
            severity: n.severity,
            // SAFETY: checked UTF-8 and static in the plugin.
            code: unsafe { as_str(n.code) },
            advice: unsafe { as_str(n.advice) },
            offset: n.offset,
            len: n.len,
        }
    }

    #[inline]
    fn value_may_need_escaping(&self, index: usize) -> bool {
        // As the native view: only text can hold what JSON escapes; numbers, addresses and hex never do.
        self.session.field_record(index).value_type == VXSCOPE_VALUE_TEXT
    }

    fn write_note_message(&self, index: usize, out: &mut Vec<u8>) {
        // SAFETY: the message belongs to the current dissection.
        out.extend_from_slice(unsafe { bytes(self.session.notes[index].message) });
    }
}
