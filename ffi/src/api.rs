//! The exported functions. Each checks its pointers, runs its body under [`guard`] and returns a status.

use std::ffi::{CStr, c_char};
use std::os::unix::ffi::OsStrExt;

use vxscope_dissector::fields::{FIELDS, FieldId};
use vxscope_dissector::flannel::TopologySource;
use vxscope_dissector::notes::NOTES;
use vxscope_dissector::render::{self, hexdump};

use crate::abi::{
    self, Counts, FieldDefRecord, FieldRecord, LayerRecord, NoteDefRecord, NoteRecord,
    VXSCOPE_MAX_FRAME_LEN,
};
use crate::handles::{
    self, Context, DissectionHandle, Input, Options, SessionHandle, check, check_mut,
};
use crate::status::{
    self, Error, Result, Status, VXSCOPE_ERR_INVALID_ARGUMENT, VXSCOPE_ERR_IO,
    VXSCOPE_ERR_NOT_FOUND, VXSCOPE_ERR_OUT_OF_RANGE, VXSCOPE_ERR_TOO_LONG, guard,
};
use crate::strings::Registry;

/// Writes `value` through the out-pointer `out`, named `name` in messages.
///
/// # Safety
/// `out` is NULL or valid for writing a `T`.
unsafe fn put<T>(out: *mut T, name: &str, value: T) -> Result<()> {
    if out.is_null() {
        return Err(Error::null(name));
    }
    // SAFETY: non-null, and the caller promises it is writable.
    unsafe { out.write(value) };
    Ok(())
}

/// The `len` bytes of a frame at `bytes`; NULL is accepted only with length 0.
///
/// # Safety
/// `bytes` is NULL or valid for reading `len` bytes.
unsafe fn frame_slice<'a>(bytes: *const u8, len: usize, name: &str) -> Result<&'a [u8]> {
    if len > VXSCOPE_MAX_FRAME_LEN {
        return Err(Error::new(
            VXSCOPE_ERR_TOO_LONG,
            format!("{name}: {len} bytes is longer than the {VXSCOPE_MAX_FRAME_LEN}-byte limit"),
        ));
    }
    if len == 0 {
        return Ok(&[]);
    }
    if bytes.is_null() {
        return Err(Error::null(name));
    }
    // SAFETY: non-null, and the caller promises `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(bytes, len) })
}

/// A NUL-terminated string argument.
///
/// # Safety
/// `s` is NULL or a NUL-terminated string.
unsafe fn c_str<'a>(s: *const c_char, name: &str) -> Result<&'a CStr> {
    if s.is_null() {
        return Err(Error::null(name));
    }
    // SAFETY: non-null, and the caller promises a NUL-terminated string.
    Ok(unsafe { CStr::from_ptr(s) })
}

// ---------------------------------------------------------------------------------------------------------
// Versions and errors.

/// The ABI version of this library: `VXSCOPE_ABI_VERSION` as it was compiled. A program compiled against a
/// header of another ABI version must not use the library.
#[unsafe(no_mangle)]
pub extern "C" fn vxscope_abi_version() -> u32 {
    abi::VXSCOPE_ABI_VERSION
}

/// The version of vxscope the library was built from (`"0.1.0"`). Static.
#[unsafe(no_mangle)]
pub extern "C" fn vxscope_version() -> *const c_char {
    crate::VERSION.as_ptr()
}

/// The message of the last call on this thread that failed: which function, and what was wrong. Never NULL
/// (`""` before any failure). Owned by the library; valid until the next failing call on the same thread.
#[unsafe(no_mangle)]
pub extern "C" fn vxscope_last_error() -> *const c_char {
    status::last_error()
}

/// The layout of the records and of the plugin descriptor as this library was built: `*records` receives an
/// array of `*count` entries, one a member of `vxscope_counts`, `vxscope_layer`, `vxscope_field`,
/// `vxscope_note`, `vxscope_field_def`, `vxscope_note_def` and `vxscope_plugin`, with its offset and size.
/// Static. The same array as `vxscope_plugin_v1()->layout`, for a plugin that wraps this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_layout(
    records: *mut *const abi::Member,
    count: *mut usize,
) -> Status {
    guard("vxscope_layout", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        unsafe { put_slice(&vxscope_abi::LAYOUT.0, records, count) }
    })
}

// ---------------------------------------------------------------------------------------------------------
// Options.

/// Makes a set of options holding the defaults: VXLAN on UDP 8472 and 4789, VXLAN-GPE on 4790, 8472 read as
/// VXLAN, no Group Based Policy. `*out` receives the handle, which `vxscope_options_free` frees.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_new(out: *mut *mut Options) -> Status {
    guard("vxscope_options_new", || {
        if out.is_null() {
            return Err(Error::null("out"));
        }
        let handle = handles::into_raw(Options::new());
        // SAFETY: checked non-null; the caller promises it is writable.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees options. NULL is accepted and does nothing. Contexts made from the options do not depend on them.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_free(options: *mut Options) -> Status {
    // SAFETY: the caller passes NULL or a live handle it no longer uses.
    guard("vxscope_options_free", || unsafe {
        handles::free(options, "options")
    })
}

/// Also decodes VXLAN on UDP port `port` (8472 and 4789 always are).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_add_vxlan_port(
    options: *mut Options,
    port: u16,
) -> Status {
    guard("vxscope_options_add_vxlan_port", || {
        // SAFETY: the caller passes NULL or a live handle.
        let o = unsafe { check_mut(options, "options")? };
        o.config.add_vxlan_ports(&[port]);
        Ok(())
    })
}

/// Also decodes VXLAN-GPE on UDP port `port` (4790 always is).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_add_gpe_port(options: *mut Options, port: u16) -> Status {
    guard("vxscope_options_add_gpe_port", || {
        // SAFETY: the caller passes NULL or a live handle.
        let o = unsafe { check_mut(options, "options")? };
        o.config.add_gpe_ports(&[port]);
        Ok(())
    })
}

/// Reads UDP 8472 as OTV (IANA's assignment, and what tcpdump 4.99 prints) when `otv` is true, as VXLAN (what
/// Linux and flannel send, the default) when false.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_set_decode_as_otv(
    options: *mut Options,
    otv: bool,
) -> Status {
    guard("vxscope_options_set_decode_as_otv", || {
        // SAFETY: the caller passes NULL or a live handle.
        let o = unsafe { check_mut(options, "options")? };
        o.config.decode_8472_as_otv = otv;
        Ok(())
    })
}

/// Whether the VXLAN Group Based Policy extension is in use (when false, a set G flag is reported).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_set_gbp(options: *mut Options, gbp: bool) -> Status {
    guard("vxscope_options_set_gbp", || {
        // SAFETY: the caller passes NULL or a live handle.
        let o = unsafe { check_mut(options, "options")? };
        o.config.gbp = gbp;
        Ok(())
    })
}

/// A string argument that must be UTF-8 (`what` names it in messages).
fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            VXSCOPE_ERR_INVALID_ARGUMENT,
            format!("{what} is not UTF-8 (at byte {})", e.valid_up_to()),
        )
    })
}

/// The text of a topology source: `len` bytes at `text`, UTF-8.
///
/// # Safety
/// `text` is NULL or valid for reading `len` bytes.
unsafe fn source_text(text: *const c_char, len: usize) -> Result<String> {
    if text.is_null() {
        return Err(Error::null("text"));
    }
    // SAFETY: non-null, and the caller promises `len` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) };
    utf8(bytes, "text").map(str::to_owned)
}

/// The name a source is given in messages: `label`, or `default` when it is NULL.
///
/// # Safety
/// `label` is NULL or a NUL-terminated string.
unsafe fn source_label(label: *const c_char, default: &str) -> Result<String> {
    if label.is_null() {
        return Ok(default.to_string());
    }
    // SAFETY: non-null, and the caller promises a NUL-terminated string.
    let label = unsafe { CStr::from_ptr(label) };
    utf8(label.to_bytes(), "source").map(str::to_owned)
}

/// Reads the file at `path` as a topology source: its text and its file name.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
unsafe fn source_file(path: *const c_char) -> Result<(String, String)> {
    // SAFETY: as promised by the caller.
    let path = unsafe { c_str(path, "path")? };
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path.to_bytes()));
    // At most one byte over the bound the parsers refuse, so that a huge file is never held whole.
    let limit = vxscope_dissector::flannel::MAX_SOURCE_LEN as u64 + 1;
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, limit), &mut text))
        .map_err(|e| Error::new(VXSCOPE_ERR_IO, format!("{}: {e}", path.display())))?;
    if text.len() as u64 == limit {
        // Over the bound, cut anywhere: the parsers refuse it for its size.
        let label = path.display().to_string();
        return Ok((String::from_utf8_lossy(&text).into_owned(), label));
    }
    let text = String::from_utf8(text).map_err(|e| {
        Error::new(
            VXSCOPE_ERR_INVALID_ARGUMENT,
            format!(
                "{}: not UTF-8 (at byte {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let label = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok((text, label))
}

/// Reads flannel's node annotations under `prefix` instead of `flannel.alpha.coreos.com` (for clusters that
/// changed `--kube-annotation-prefix`). Applies to every nodes document, whenever it was added.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_set_annotation_prefix(
    options: *mut Options,
    prefix: *const c_char,
) -> Status {
    guard("vxscope_options_set_annotation_prefix", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let o = unsafe { check_mut(options, "options")? };
        let prefix = unsafe { c_str(prefix, "prefix")? };
        o.annotation_prefix = utf8(prefix.to_bytes(), "prefix")?
            .trim_end_matches('/')
            .to_string();
        Ok(())
    })
}

/// The node a node output comes from, as the caller names it (NULL: the output says).
///
/// # Safety
/// `node` is NULL or a NUL-terminated string.
unsafe fn node_name(node: *const c_char) -> Result<Option<String>> {
    if node.is_null() {
        return Ok(None);
    }
    // SAFETY: as documented.
    unsafe { source_label(node, "") }.map(Some)
}

/// Adds the nodes of `kubectl get nodes -o json` (`len` bytes of UTF-8 at `text`) to the topology: names, pod
/// subnets, addresses and flannel's annotations. `source` names the document in messages and fields (NULL for
/// `"nodes JSON"`). A document that cannot be read is `VXSCOPE_ERR_PARSE`, and the options stay as they were.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_add_nodes_json(
    options: *mut Options,
    text: *const c_char,
    len: usize,
    source: *const c_char,
) -> Status {
    guard("vxscope_options_add_nodes_json", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let o = unsafe { check_mut(options, "options")? };
        let text = unsafe { source_text(text, len)? };
        let label = unsafe { source_label(source, "nodes JSON")? };
        o.add_source(TopologySource::Nodes { text, label })
    })
}

/// As `vxscope_options_add_nodes_json`, from the file at `path` (named by its file name). A file that cannot
/// be read is `VXSCOPE_ERR_IO`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_add_nodes_json_file(
    options: *mut Options,
    path: *const c_char,
) -> Status {
    guard("vxscope_options_add_nodes_json_file", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let o = unsafe { check_mut(options, "options")? };
        let (text, label) = unsafe { source_file(path)? };
        o.add_source(TopologySource::Nodes { text, label })
    })
}

/// Adds what was pasted from one node (`len` bytes of UTF-8 at `text`): any mix of `ip -d link show flannel.1`,
/// `bridge fdb show`, `ip neigh`, `arp -n`, `ip route`, `route -n` and `/run/flannel/subnet.env`. `node` names
/// the node when the text does not (a shell prompt such as `[root@k8s-node1 ~]#` does); it may be NULL.
/// `source` as for `vxscope_options_add_nodes_json` (NULL for `"node output"`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_add_node_info(
    options: *mut Options,
    text: *const c_char,
    len: usize,
    source: *const c_char,
    node: *const c_char,
) -> Status {
    guard("vxscope_options_add_node_info", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let o = unsafe { check_mut(options, "options")? };
        let text = unsafe { source_text(text, len)? };
        let label = unsafe { source_label(source, "node output")? };
        let node = unsafe { node_name(node)? };
        o.add_source(TopologySource::NodeInfo { text, label, node })
    })
}

/// As `vxscope_options_add_node_info`, from the file at `path`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_add_node_info_file(
    options: *mut Options,
    path: *const c_char,
    node: *const c_char,
) -> Status {
    guard("vxscope_options_add_node_info_file", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let o = unsafe { check_mut(options, "options")? };
        let (text, label) = unsafe { source_file(path)? };
        let node = unsafe { node_name(node)? };
        o.add_source(TopologySource::NodeInfo { text, label, node })
    })
}

/// Adds the pods of `kubectl get pods -o wide` (text) or `-o json` (`len` bytes of UTF-8 at `text`): pod names,
/// and which node owns which pod subnet. `source` as for `vxscope_options_add_nodes_json` (NULL for `"pods"`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_add_pods(
    options: *mut Options,
    text: *const c_char,
    len: usize,
    source: *const c_char,
) -> Status {
    guard("vxscope_options_add_pods", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let o = unsafe { check_mut(options, "options")? };
        let text = unsafe { source_text(text, len)? };
        let label = unsafe { source_label(source, "pods")? };
        o.add_source(TopologySource::Pods { text, label })
    })
}

/// As `vxscope_options_add_pods`, from the file at `path`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_add_pods_file(
    options: *mut Options,
    path: *const c_char,
) -> Status {
    guard("vxscope_options_add_pods_file", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let o = unsafe { check_mut(options, "options")? };
        let (text, label) = unsafe { source_file(path)? };
        o.add_source(TopologySource::Pods { text, label })
    })
}

// ---------------------------------------------------------------------------------------------------------
// Contexts.

/// Makes a context from `options` (NULL for the defaults), building the flannel topology from their sources.
/// `*out` receives the handle, which `vxscope_context_free` frees. A context never changes: any number of
/// threads may dissect with it at once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_context_new(
    options: *const Options,
    out: *mut *mut Context,
) -> Status {
    guard("vxscope_context_new", || {
        let defaults;
        let o = if options.is_null() {
            defaults = Options::new();
            &defaults
        } else {
            // SAFETY: the caller passes a live handle.
            unsafe { check(options, "options")? }
        };
        if out.is_null() {
            return Err(Error::null("out"));
        }
        let handle = handles::into_raw(Context::new(o)?);
        // SAFETY: checked non-null; the caller promises it is writable.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees a context. NULL is accepted and does nothing. Free its dissections first: they refer to it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_context_free(context: *mut Context) -> Status {
    // SAFETY: the caller passes NULL or a live handle it no longer uses.
    guard("vxscope_context_free", || unsafe {
        handles::free(context, "context")
    })
}

// ---------------------------------------------------------------------------------------------------------
// Dissecting.

/// Runs `dissect` on the dissection `*inout` names, or on a new one then stored there.
///
/// # Safety
/// `inout` is NULL or valid for reading and writing a pointer, which is NULL or a live handle.
unsafe fn dissect_into(
    inout: *mut *mut DissectionHandle,
    dissect: impl FnOnce(&mut DissectionHandle),
) -> Result<()> {
    if inout.is_null() {
        return Err(Error::null("out"));
    }
    // SAFETY: checked non-null; the caller promises it is readable and writable.
    let current = unsafe { inout.read() };
    if current.is_null() {
        let mut handle = DissectionHandle::new();
        dissect(&mut handle);
        // SAFETY: as above. Written only now, so that a failure leaves `*inout` as it was.
        unsafe { inout.write(handles::into_raw(handle)) };
    } else {
        // SAFETY: the caller promises a live handle that no other thread uses.
        dissect(unsafe { check_mut(current, "*out")? });
    }
    Ok(())
}

/// Dissects one frame of `len` bytes at `bytes`, captured on a link of type `link_type` (a `LINKTYPE_` value:
/// `VXSCOPE_LINKTYPE_ETHERNET`, ...), which was `wire_len` bytes long on the wire (pass `len` if unknown; a
/// smaller value counts as `len`).
///
/// `*out` is either NULL, and receives a new dissection, or a dissection from an earlier call, which is reused:
/// its previous contents (and every string read from it) are replaced, and once its buffers are large enough
/// no memory is allocated. Free it with `vxscope_dissection_free`. On failure `*out` is left as it was.
///
/// The bytes are copied: the caller may reuse them as soon as the call returns. `bytes` may be NULL when
/// `len` is 0 (an empty frame, dissected as such). Malformed, truncated or hostile bytes are not an error:
/// the dissection says what it found, with notes. A session of the same context can learn from it afterwards
/// (`vxscope_session_learn`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissect(
    context: *const Context,
    link_type: u32,
    bytes: *const u8,
    len: usize,
    wire_len: u32,
    out: *mut *mut DissectionHandle,
) -> Status {
    guard("vxscope_dissect", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let context = unsafe { check(context, "context")? };
        let frame = unsafe { frame_slice(bytes, len, "bytes")? };
        let input = Input::Frame {
            link_type,
            wire_len,
        };
        unsafe { dissect_into(out, |d| d.dissect(context, input, frame)) }
    })
}

/// Dissects a bare VXLAN header and the frame it carries, for a host that already decoded UDP and holds only
/// the payload: `len` bytes at `payload`, starting with the 8-byte VXLAN header. Offsets in the dissection
/// count from the start of `payload`. `*out` as for `vxscope_dissect`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissect_vxlan_payload(
    context: *const Context,
    payload: *const u8,
    len: usize,
    out: *mut *mut DissectionHandle,
) -> Status {
    guard("vxscope_dissect_vxlan_payload", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let context = unsafe { check(context, "context")? };
        let payload = unsafe { frame_slice(payload, len, "payload")? };
        unsafe { dissect_into(out, |d| d.dissect(context, Input::VxlanPayload, payload)) }
    })
}

/// Starts following a capture with `context`: `*out` receives a session, which `vxscope_session_free` frees.
/// Frames dissected through a session (`vxscope_session_dissect`) also get the diagnoses that compare packets:
/// a node whose VTEP MAC changed, a VNI or port that differs from the rest of the capture. A session belongs to
/// one thread at a time; the context must outlive it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_session_new(
    context: *const Context,
    out: *mut *mut SessionHandle,
) -> Status {
    guard("vxscope_session_new", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let context = unsafe { check(context, "context")? };
        if out.is_null() {
            return Err(Error::null("out"));
        }
        let handle = handles::into_raw(SessionHandle::new(context));
        // SAFETY: checked non-null; the caller promises it is writable.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees a session. NULL is accepted and does nothing. Dissections made through it stay valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_session_free(session: *mut SessionHandle) -> Status {
    // SAFETY: the caller passes NULL or a live handle it no longer uses.
    guard("vxscope_session_free", || unsafe {
        handles::free(session, "session")
    })
}

/// Dissects the next frame of the capture `session` follows, as `vxscope_dissect` does (same arguments, same
/// `*out`), and learns from it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_session_dissect(
    session: *mut SessionHandle,
    link_type: u32,
    bytes: *const u8,
    len: usize,
    wire_len: u32,
    out: *mut *mut DissectionHandle,
) -> Status {
    guard("vxscope_session_dissect", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let session = unsafe { check_mut(session, "session")? };
        let frame = unsafe { frame_slice(bytes, len, "bytes")? };
        let context: *const Context = session.context()?;
        // SAFETY: the context outlives the session (checked live above); the session is borrowed apart.
        let context = unsafe { &*context };
        let input = Input::SessionFrame {
            link_type,
            wire_len,
            session: &mut session.session,
        };
        unsafe { dissect_into(out, |d| d.dissect(context, input, frame)) }
    })
}

/// Lets `session` learn from a frame decoded with `vxscope_dissect` and the session's context, as if the frame had
/// been dissected through the session (`vxscope_session_dissect`): `dissection` then holds what that call gives,
/// the diagnoses that compare packets included. A host may so decode frames on several threads (a context may be
/// used by several at once, each with its own dissections), then let the session learn from them one at a time,
/// in the capture's order. A session learns from a dissection once: a dissection not made by `vxscope_dissect`,
/// made with another context, or learned from already gives `VXSCOPE_ERR_INVALID_ARGUMENT` and is left as it was.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_session_learn(
    session: *mut SessionHandle,
    dissection: *mut DissectionHandle,
) -> Status {
    guard("vxscope_session_learn", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let session = unsafe { check_mut(session, "session")? };
        let dissection = unsafe { check_mut(dissection, "dissection")? };
        dissection.learn(session)
    })
}

/// `index`, if it is a row of the field registry.
fn registry_row(index: usize) -> Result<usize> {
    if index < FIELDS.len() {
        Ok(index)
    } else {
        Err(Error::new(
            VXSCOPE_ERR_OUT_OF_RANGE,
            format!(
                "field registry index {index} is out of range: it has {}",
                FIELDS.len()
            ),
        ))
    }
}

/// Makes a new, empty dissection that records only some fields, for a host that reads only those: each
/// dissection into it (`*out` of `vxscope_dissect`, `vxscope_session_dissect`, ...) then costs less. It records
/// the `count` fields whose registry rows (`vxscope_registry_field`) are at `field_ids` (NULL when `count` is
/// 0), and, when `summary` is set, those `vxscope_dissection_summary` reads, so that the summary line comes out
/// whole, with the flannel annotations. Its layers and notes are all recorded; a field not recorded is not
/// among its fields (a search for it finds nothing, a hex dump leaves its bytes to the fields around them).
/// Without `summary`, `vxscope_dissection_summary` fails on it with `VXSCOPE_ERR_INVALID_ARGUMENT`. `*out`
/// receives the handle, which `vxscope_dissection_free` frees. `VXSCOPE_ERR_OUT_OF_RANGE` if an identifier is
/// not below `vxscope_registry_field_count()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_new_recording(
    field_ids: *const u32,
    count: usize,
    summary: bool,
    out: *mut *mut DissectionHandle,
) -> Status {
    guard("vxscope_dissection_new_recording", || {
        if out.is_null() {
            return Err(Error::null("out"));
        }
        let ids: &[u32] = if count == 0 {
            &[]
        } else if field_ids.is_null() {
            return Err(Error::null("field_ids"));
        } else {
            // SAFETY: non-null; the caller promises `count` readable identifiers.
            unsafe { std::slice::from_raw_parts(field_ids, count) }
        };
        let mut recorded = Vec::with_capacity(ids.len() + 64);
        for &id in ids {
            recorded.push(FieldId::ALL[registry_row(id as usize)?]);
        }
        if summary {
            recorded.extend(render::summary::fields_recorded());
        }
        let handle = handles::into_raw(DissectionHandle::recording(&recorded));
        // SAFETY: checked non-null; the caller promises it is writable.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees a dissection, and every string read from it. NULL is accepted and does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_free(dissection: *mut DissectionHandle) -> Status {
    // SAFETY: the caller passes NULL or a live handle it no longer uses.
    guard("vxscope_dissection_free", || unsafe {
        handles::free(dissection, "dissection")
    })
}

// ---------------------------------------------------------------------------------------------------------
// Reading a dissection.

/// How many layers, fields and notes the dissection has.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_counts(
    dissection: *const DissectionHandle,
    out: *mut Counts,
) -> Status {
    guard("vxscope_dissection_counts", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        unsafe { put(out, "out", d.counts()) }
    })
}

/// The one-line summary (`172.16.100.101:40592 > 172.16.100.102:8472 VXLAN vni 1 | 10.244.1.12 > ...`), as
/// `vxscope dissect` prints it after the time. `*text` receives the NUL-terminated line, owned by the
/// dissection; `*len` (if `len` is not NULL) its length.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_summary(
    dissection: *const DissectionHandle,
    text: *mut *const c_char,
    len: *mut usize,
) -> Status {
    guard("vxscope_dissection_summary", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        if text.is_null() {
            return Err(Error::null("text"));
        }
        let (s, n) = d.summary()?;
        unsafe { text.write(s) };
        if !len.is_null() {
            unsafe { len.write(n) };
        }
        Ok(())
    })
}

/// The frame's annotated hex dump, every byte labelled with the field it belongs to, as `vxscope hexdump`
/// writes it: `format` is `VXSCOPE_HEXDUMP_TEXT`, `_MARKDOWN` or `_HTML`, `language` `VXSCOPE_LANG_EN` or
/// `VXSCOPE_LANG_ZH`. `*text` receives the NUL-terminated document, owned by the dissection and valid until it
/// is freed, reused, or asked for another hex dump; `*len` (if `len` is not NULL) its length.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_hexdump(
    dissection: *const DissectionHandle,
    format: u32,
    language: u32,
    text: *mut *const c_char,
    len: *mut usize,
) -> Status {
    guard("vxscope_dissection_hexdump", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        if text.is_null() {
            return Err(Error::null("text"));
        }
        let format = match format {
            abi::VXSCOPE_HEXDUMP_TEXT => hexdump::Format::Text,
            abi::VXSCOPE_HEXDUMP_MARKDOWN => hexdump::Format::Markdown,
            abi::VXSCOPE_HEXDUMP_HTML => hexdump::Format::Html,
            other => {
                return Err(Error::new(
                    VXSCOPE_ERR_INVALID_ARGUMENT,
                    format!("format {other} is not a VXSCOPE_HEXDUMP_* constant"),
                ));
            }
        };
        let lang = match language {
            abi::VXSCOPE_LANG_EN => hexdump::Lang::En,
            abi::VXSCOPE_LANG_ZH => hexdump::Lang::Zh,
            other => {
                return Err(Error::new(
                    VXSCOPE_ERR_INVALID_ARGUMENT,
                    format!("language {other} is not a VXSCOPE_LANG_* constant"),
                ));
            }
        };
        let (s, n) = d.hexdump(format, lang);
        unsafe { text.write(s) };
        if !len.is_null() {
            unsafe { len.write(n) };
        }
        Ok(())
    })
}

/// Layer `index` (below `counts.layers`), outermost first.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_layer(
    dissection: *const DissectionHandle,
    index: usize,
    out: *mut LayerRecord,
) -> Status {
    guard("vxscope_dissection_layer", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        if out.is_null() {
            return Err(Error::null("out"));
        }
        let record = d.layer(index)?;
        unsafe { put(out, "out", record) }
    })
}

/// Field `index` (below `counts.fields`), in the order of the frame's bytes within each layer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_field(
    dissection: *const DissectionHandle,
    index: usize,
    out: *mut FieldRecord,
) -> Status {
    guard("vxscope_dissection_field", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        if out.is_null() {
            return Err(Error::null("out"));
        }
        let record = d.field(index)?;
        unsafe { put(out, "out", record) }
    })
}

/// Note `index` (below `counts.notes`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_note(
    dissection: *const DissectionHandle,
    index: usize,
    out: *mut NoteRecord,
) -> Status {
    guard("vxscope_dissection_note", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        if out.is_null() {
            return Err(Error::null("out"));
        }
        let record = d.note(index)?;
        unsafe { put(out, "out", record) }
    })
}

/// Writes a slice of records through the out-pointers of a bulk accessor.
///
/// # Safety
/// `records` and `count` are NULL or writable.
unsafe fn put_slice<T>(slice: &[T], records: *mut *const T, count: *mut usize) -> Result<()> {
    if records.is_null() {
        return Err(Error::null("records"));
    }
    if count.is_null() {
        return Err(Error::null("count"));
    }
    // SAFETY: checked non-null; the caller promises they are writable.
    unsafe {
        records.write(slice.as_ptr());
        count.write(slice.len());
    }
    Ok(())
}

/// All layers at once: `*records` receives an array of `*count` layers, owned by the dissection (valid until
/// it is freed or reused). The same records as `vxscope_dissection_layer`, without a call each.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_layers(
    dissection: *const DissectionHandle,
    records: *mut *const LayerRecord,
    count: *mut usize,
) -> Status {
    guard("vxscope_dissection_layers", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        unsafe { put_slice(d.layers(), records, count) }
    })
}

/// All fields at once: `*records` receives an array of `*count` fields, owned by the dissection (valid until
/// it is freed or reused). The same records as `vxscope_dissection_field`, without a call each.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_fields(
    dissection: *const DissectionHandle,
    records: *mut *const FieldRecord,
    count: *mut usize,
) -> Status {
    guard("vxscope_dissection_fields", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        unsafe { put_slice(d.fields(), records, count) }
    })
}

/// All notes at once: `*records` receives an array of `*count` notes, owned by the dissection (valid until it
/// is freed or reused). The same records as `vxscope_dissection_note`, without a call each.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_notes(
    dissection: *const DissectionHandle,
    records: *mut *const NoteRecord,
    count: *mut usize,
) -> Status {
    guard("vxscope_dissection_notes", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        unsafe { put_slice(d.notes(), records, count) }
    })
}

/// Finds the first field at index `from` or later whose abbreviation, with its scope prefix, is `abbrev`
/// (`"vxlan.vni"`, `"inner.icmp.seq"`); `*index` receives its index. `VXSCOPE_ERR_NOT_FOUND` if there is none.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_find_field(
    dissection: *const DissectionHandle,
    abbrev: *const c_char,
    from: usize,
    index: *mut usize,
) -> Status {
    guard("vxscope_dissection_find_field", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        let abbrev = unsafe { c_str(abbrev, "abbrev")? };
        if index.is_null() {
            return Err(Error::null("index"));
        }
        match d.find_field(abbrev.to_bytes(), from) {
            Some(i) => unsafe { put(index, "index", i) },
            None => Err(Error::new(
                VXSCOPE_ERR_NOT_FOUND,
                format!("no field {} from index {from}", abbrev.to_string_lossy()),
            )),
        }
    })
}

/// Finds the first field at index `from` or later whose registry row is `id` (see `vxscope_registry_field`) and
/// whose scope is `scope` (0 for the outer frame; see `vxscope_field.scope`); `*index` receives its index.
/// `VXSCOPE_ERR_NOT_FOUND` if there is none. The same search as `vxscope_dissection_find_field` without
/// comparing text, for a host that looks fields up on every frame.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_find_field_id(
    dissection: *const DissectionHandle,
    id: u32,
    scope: u32,
    from: usize,
    index: *mut usize,
) -> Status {
    guard("vxscope_dissection_find_field_id", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        if index.is_null() {
            return Err(Error::null("index"));
        }
        match d.find_field_id(id, scope, from) {
            Some(i) => unsafe { put(index, "index", i) },
            None => Err(Error::new(
                VXSCOPE_ERR_NOT_FOUND,
                format!("no field of registry row {id} in scope {scope} from index {from}"),
            )),
        }
    })
}

thread_local! {
    /// The text `vxscope_dissection_field_value` writes before copying it out (grown once, then reused).
    static FIELD_VALUE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Writes the value of field `index` (below `counts.fields`) as text, as `vxscope_field.value` holds it, into
/// `buf`: at most `cap` bytes, the terminating NUL included, cut short to fit (`buf` may be NULL when `cap` is
/// 0). `*len` (if `len` is not NULL) receives the whole text's length without the NUL: `*len >= cap` means the
/// text was cut. Builds none of the dissection's records, so it costs a fraction of
/// `vxscope_dissection_fields` for a host that reads one or two fields a frame (found with
/// `vxscope_dissection_find_field`), as the Wireshark plugin does for the info column.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_dissection_field_value(
    dissection: *const DissectionHandle,
    index: usize,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> Status {
    guard("vxscope_dissection_field_value", || {
        // SAFETY: the caller passes valid pointers or NULL, as documented.
        let d = unsafe { check(dissection, "dissection")? };
        if buf.is_null() && cap > 0 {
            return Err(Error::null("buf"));
        }
        FIELD_VALUE.with_borrow_mut(|text| {
            text.clear();
            d.write_field_value(index, text)?;
            if cap > 0 {
                let n = text.len().min(cap - 1);
                // SAFETY: `buf` is non-null and, as the caller promises, writable for `cap` bytes; n < cap.
                unsafe {
                    std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
                    buf.add(n).write(0);
                }
            }
            if !len.is_null() {
                // SAFETY: non-null, and the caller promises it is writable.
                unsafe { len.write(text.len()) };
            }
            Ok(())
        })
    })
}

// ---------------------------------------------------------------------------------------------------------
// The registries.

/// Number of rows in the field registry: every field and protocol a dissection can hold.
#[unsafe(no_mangle)]
pub extern "C" fn vxscope_registry_field_count() -> usize {
    FIELDS.len()
}

/// Row `index` (below `vxscope_registry_field_count()`) of the field registry; `vxscope_field.id` is such an index.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_registry_field(index: usize, out: *mut FieldDefRecord) -> Status {
    guard("vxscope_registry_field", || {
        let def = &FIELDS[registry_row(index)?];
        let registry = Registry::get();
        let record = FieldDefRecord {
            abbrev: registry.abbrev(index),
            name: registry.name(index),
            blurb: registry.blurb(index),
            mask: def.mask,
            kind: abi::kind_code(def.kind),
            base: abi::base_code(def.base),
        };
        // SAFETY: the caller passes NULL or a writable record.
        unsafe { put(out, "out", record) }
    })
}

/// Number of rows in the note registry.
#[unsafe(no_mangle)]
pub extern "C" fn vxscope_registry_note_count() -> usize {
    NOTES.len()
}

/// Row `index` (below `vxscope_registry_note_count()`) of the note registry.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_registry_note(index: usize, out: *mut NoteDefRecord) -> Status {
    guard("vxscope_registry_note", || {
        let code = vxscope_dissector::notes::NoteCode::ALL
            .get(index)
            .copied()
            .ok_or_else(|| {
                Error::new(
                    VXSCOPE_ERR_OUT_OF_RANGE,
                    format!(
                        "note registry index {index} is out of range: it has {}",
                        NOTES.len()
                    ),
                )
            })?;
        let registry = Registry::get();
        let record = NoteDefRecord {
            code: registry.note_code(code),
            message_template: registry.note_template(code),
            advice: registry.note_advice(code),
            severity: abi::severity_code(code.def().severity),
        };
        // SAFETY: the caller passes NULL or a writable record.
        unsafe { put(out, "out", record) }
    })
}
