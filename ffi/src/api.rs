//! The exported functions. Each checks its pointers, runs its body under [`guard`] and returns a status.

use std::ffi::{CStr, c_char};

use vxscope_dissector::fields::FIELDS;
use vxscope_dissector::notes::NOTES;

use crate::abi::{
    self, Counts, FieldDefRecord, FieldRecord, LayerRecord, NoteDefRecord, NoteRecord,
    VXSCOPE_MAX_FRAME_LEN,
};
use crate::handles::{self, Context, DissectionHandle, Input, Options, check, check_mut};
use crate::status::{
    self, Error, Result, Status, VXSCOPE_ERR_NOT_FOUND, VXSCOPE_ERR_OUT_OF_RANGE,
    VXSCOPE_ERR_TOO_LONG, guard, guard_value,
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
        if !o.config.vxlan_ports.contains(&port) {
            o.config.vxlan_ports.push(port);
        }
        Ok(())
    })
}

/// Also decodes VXLAN-GPE on UDP port `port` (4790 always is).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_options_add_gpe_port(options: *mut Options, port: u16) -> Status {
    guard("vxscope_options_add_gpe_port", || {
        // SAFETY: the caller passes NULL or a live handle.
        let o = unsafe { check_mut(options, "options")? };
        if !o.config.gpe_ports.contains(&port) {
            o.config.gpe_ports.push(port);
        }
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
        if otv
            && !o
                .config
                .vxlan_ports
                .contains(&vxscope_dissector::PORT_LINUX_VXLAN)
        {
            o.config
                .vxlan_ports
                .push(vxscope_dissector::PORT_LINUX_VXLAN);
        }
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

// ---------------------------------------------------------------------------------------------------------
// Contexts.

/// Makes a context from `options` (NULL for the defaults). `*out` receives the handle, which
/// `vxscope_context_free` frees. A context never changes: any number of threads may dissect with it at once.
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
        let handle = handles::into_raw(Context::new(o));
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
/// the dissection says what it found, with notes.
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
        let (s, n) = d.summary();
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

// ---------------------------------------------------------------------------------------------------------
// The registries.

/// Number of rows in the field registry: every field and protocol a dissection can hold.
#[unsafe(no_mangle)]
pub extern "C" fn vxscope_registry_field_count() -> usize {
    guard_value("vxscope_registry_field_count", 0, handles::field_def_count)
}

/// Row `index` (below `vxscope_registry_field_count()`) of the field registry; `vxscope_field.id` is such an index.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vxscope_registry_field(index: usize, out: *mut FieldDefRecord) -> Status {
    guard("vxscope_registry_field", || {
        let def = FIELDS.get(index).ok_or_else(|| {
            Error::new(
                VXSCOPE_ERR_OUT_OF_RANGE,
                format!(
                    "field registry index {index} is out of range: it has {}",
                    FIELDS.len()
                ),
            )
        })?;
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
