//! The C ABI of vxscope, defined once: the status codes, the constants, the records the accessors fill in and
//! the plugin descriptor, with the layout of each record member by member.
//!
//! `vxscope-ffi` (libvxscope, whose header cbindgen generates from these definitions) and every host that loads
//! plugins (`vxscope dissect --plugin`) use this crate, so the two sides cannot disagree on a member. It has no
//! dependencies.
//!
//! Every record holds only integers, `bool` and pointers to NUL-terminated strings. Enumerations are `uint32_t`
//! members with `VXSCOPE_*` constants (never C enums, whose size a compiler chooses), so that a value this
//! version does not know can still be read safely.

use std::ffi::c_char;
use std::mem::{MaybeUninit, offset_of};

/// What a call returned: `VXSCOPE_OK` (0) or one of the negative `VXSCOPE_ERR_*` codes.
pub type Status = i32;

/// The call succeeded.
pub const VXSCOPE_OK: Status = 0;
/// A pointer argument that must not be NULL was NULL.
pub const VXSCOPE_ERR_NULL_POINTER: Status = -1;
/// An argument has a value the call cannot accept (a string that is not UTF-8, for example).
pub const VXSCOPE_ERR_INVALID_ARGUMENT: Status = -2;
/// An index is not below the count it indexes.
pub const VXSCOPE_ERR_OUT_OF_RANGE: Status = -3;
/// A handle argument is not a live handle of the kind the call expects (an options handle where a context is
/// expected, for example).
pub const VXSCOPE_ERR_BAD_HANDLE: Status = -4;
/// The frame is longer than `VXSCOPE_MAX_FRAME_LEN`.
pub const VXSCOPE_ERR_TOO_LONG: Status = -5;
/// No field has the abbreviation asked for.
pub const VXSCOPE_ERR_NOT_FOUND: Status = -6;
/// A file could not be read.
pub const VXSCOPE_ERR_IO: Status = -7;
/// A text (a kubectl nodes JSON document, a node command's output) could not be parsed.
pub const VXSCOPE_ERR_PARSE: Status = -8;
/// A fault inside the library (a bug, caught at the boundary): the message says where.
pub const VXSCOPE_ERR_INTERNAL: Status = -9;

/// The version of this ABI: the layout of every record and the plugin descriptor, and the meaning of every
/// call. A library and a program agree when `vxscope_abi_version()` equals the `VXSCOPE_ABI_VERSION` the
/// program was compiled with.
pub const VXSCOPE_ABI_VERSION: u32 = 1;

/// Longest frame `vxscope_dissect` accepts, in bytes (16 MiB): byte offsets are 32-bit, and capture files
/// hold at most 256 KiB a packet.
pub const VXSCOPE_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// Scopes are numbered below this: 0 is the outer frame; the others are the frames inside VXLAN headers and
/// the packets quoted by ICMP errors (see `vxscope_field.scope`).
pub const VXSCOPE_SCOPE_LIMIT: u32 = 16;

// Link types (tcpdump.org LINKTYPE_ values) the dissector decodes; any other is dissected as data, with a note.

/// BSD loopback: a 4-byte address family in the capturing host's byte order.
pub const VXSCOPE_LINKTYPE_NULL: u32 = 0;
/// Ethernet II, with 802.1Q/802.1ad tags.
pub const VXSCOPE_LINKTYPE_ETHERNET: u32 = 1;
/// Raw IPv4 or IPv6.
pub const VXSCOPE_LINKTYPE_RAW: u32 = 101;
/// OpenBSD loopback.
pub const VXSCOPE_LINKTYPE_LOOP: u32 = 108;
/// Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10).
pub const VXSCOPE_LINKTYPE_LINUX_SLL: u32 = 113;
/// Raw IPv4.
pub const VXSCOPE_LINKTYPE_IPV4: u32 = 228;
/// Raw IPv6.
pub const VXSCOPE_LINKTYPE_IPV6: u32 = 229;
/// Linux cooked capture v2 (`tcpdump -i any` with libpcap 1.10 and later).
pub const VXSCOPE_LINKTYPE_LINUX_SLL2: u32 = 276;

// Kinds of field (`vxscope_field.kind`, `vxscope_field_def.kind`), as Wireshark's FT_* types.

/// A protocol: a layer, no value of its own.
pub const VXSCOPE_KIND_PROTOCOL: u32 = 0;
pub const VXSCOPE_KIND_BOOL: u32 = 1;
pub const VXSCOPE_KIND_UINT8: u32 = 2;
pub const VXSCOPE_KIND_UINT16: u32 = 3;
pub const VXSCOPE_KIND_UINT24: u32 = 4;
pub const VXSCOPE_KIND_UINT32: u32 = 5;
pub const VXSCOPE_KIND_UINT64: u32 = 6;
pub const VXSCOPE_KIND_MAC: u32 = 7;
pub const VXSCOPE_KIND_IPV4: u32 = 8;
pub const VXSCOPE_KIND_IPV6: u32 = 9;
/// Raw bytes of the frame.
pub const VXSCOPE_KIND_BYTES: u32 = 10;
/// Text (a checksum status, a node name).
pub const VXSCOPE_KIND_TEXT: u32 = 11;
/// An IP network in CIDR notation.
pub const VXSCOPE_KIND_IPNET: u32 = 12;

// How an integer is written (`vxscope_field.base`).

/// In decimal.
pub const VXSCOPE_BASE_DEC: u32 = 0;
/// As `0x` and the field's width in hex digits.
pub const VXSCOPE_BASE_HEX: u32 = 1;

// What a field's value holds in this frame (`vxscope_field.value_type`).

/// No value (a protocol).
pub const VXSCOPE_VALUE_NONE: u32 = 0;
/// A boolean: `value_int` is 0 or 1, the text `false` or `true`.
pub const VXSCOPE_VALUE_BOOL: u32 = 1;
/// An unsigned integer, in `value_int`.
pub const VXSCOPE_VALUE_UINT: u32 = 2;
pub const VXSCOPE_VALUE_MAC: u32 = 3;
pub const VXSCOPE_VALUE_IPV4: u32 = 4;
pub const VXSCOPE_VALUE_IPV6: u32 = 5;
/// The field's bytes in the frame, written as hex.
pub const VXSCOPE_VALUE_BYTES: u32 = 6;
pub const VXSCOPE_VALUE_TEXT: u32 = 7;
pub const VXSCOPE_VALUE_IPNET: u32 = 8;

// Severities of notes, in increasing order (`vxscope_note.severity`).

/// Worth knowing, nothing wrong.
pub const VXSCOPE_SEVERITY_CHAT: u32 = 0;
/// Unusual but legitimate.
pub const VXSCOPE_SEVERITY_NOTE: u32 = 1;
/// Probably a problem.
pub const VXSCOPE_SEVERITY_WARNING: u32 = 2;
/// Malformed, or certainly dropped.
pub const VXSCOPE_SEVERITY_ERROR: u32 = 3;

// Hex dump formats and languages (`vxscope_dissection_hexdump`).

/// tcpdump's `-XX` layout, each line followed by the fields that start on it.
pub const VXSCOPE_HEXDUMP_TEXT: u32 = 0;
/// A fenced dump and a table of fields.
pub const VXSCOPE_HEXDUMP_MARKDOWN: u32 = 1;
/// One self-contained HTML page, bytes coloured by layer.
pub const VXSCOPE_HEXDUMP_HTML: u32 = 2;
/// English.
pub const VXSCOPE_LANG_EN: u32 = 0;
/// Simplified Chinese.
pub const VXSCOPE_LANG_ZH: u32 = 1;

/// How many layers, fields and notes a dissection has.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub layers: usize,
    pub fields: usize,
    pub notes: usize,
}

/// One protocol layer of a dissected frame.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct LayerRecord {
    /// The protocol's abbreviation with its scope prefix (`"ip"`, `"inner.ip"`). Static.
    pub abbrev: *const c_char,
    /// The protocol's name (`"Internet Protocol Version 4"`). Static.
    pub name: *const c_char,
    /// The protocol's row in the field registry (see `vxscope_registry_field`).
    pub id: u32,
    /// Where the layer sits (see `vxscope_field.scope`).
    pub scope: u32,
    /// VXLAN encapsulations between the start of the frame and the layer: 0 for the outer frame.
    pub depth: u32,
    /// Byte offset of the layer's header from the start of the frame.
    pub offset: u32,
    /// Length of the layer's header in bytes (0 for a layer of computed fields).
    pub length: u32,
}

/// One field of a dissected frame.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct FieldRecord {
    /// The field's abbreviation with its scope prefix (`"udp.dstport"`, `"inner.ip.src"`). Static.
    pub abbrev: *const c_char,
    /// The field's display name (`"Destination port"`). Static.
    pub name: *const c_char,
    /// The value as text, as `vxscope dissect -V` shows it (`"8472"`, `"0x08"`, `"10.244.1.12"`, `"true"`, hex
    /// for bytes); `""` when the field has no value. Owned by the dissection.
    pub value: *const c_char,
    /// Length of `value` in bytes, without its terminating NUL.
    pub value_len: usize,
    /// The meaning of an integer value when the registry names it (`"IPv4"` for EtherType 0x0800), or NULL.
    /// Static.
    pub value_name: *const c_char,
    /// The value as an integer, when `has_int` is true (booleans are 0 or 1).
    pub value_int: u64,
    /// The field's row in the field registry (see `vxscope_registry_field`).
    pub id: u32,
    /// Where the field sits: 0 for the outer frame, others for frames inside VXLAN headers and packets quoted
    /// by ICMP errors; below `VXSCOPE_SCOPE_LIMIT`. Fields with the same `id` and `scope` have the same
    /// `abbrev`.
    pub scope: u32,
    /// Index of the field's layer (see `vxscope_dissection_layer`).
    pub layer: u32,
    /// VXLAN encapsulations between the start of the frame and the field: 0 for the outer frame.
    pub depth: u32,
    /// Nesting within its layer: 0 for a field of the layer, 1 for a field inside a field (a flag of a flags
    /// byte), and so on.
    pub level: u32,
    /// Byte offset of the field from the start of the frame.
    pub offset: u32,
    /// Length in bytes; 0 for a field computed from others.
    pub length: u32,
    /// The field's kind: a `VXSCOPE_KIND_*` constant.
    pub kind: u32,
    /// How an integer value is written: `VXSCOPE_BASE_DEC` or `VXSCOPE_BASE_HEX`.
    pub base: u32,
    /// What the value holds in this frame: a `VXSCOPE_VALUE_*` constant.
    pub value_type: u32,
    /// Whether `value_int` holds the value.
    pub has_int: bool,
}

/// One note of a dissected frame: an anomaly or a diagnosis, attached to the bytes it concerns.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NoteRecord {
    /// The note's stable code (`"malformed.truncated"`, `"flannel.inner_checksum_bad"`). Static.
    pub code: *const c_char,
    /// The message, with this frame's values filled in. Owned by the dissection.
    pub message: *const c_char,
    /// Length of `message` in bytes, without its terminating NUL.
    pub message_len: usize,
    /// What to do about it, or `""`. Static.
    pub advice: *const c_char,
    /// A `VXSCOPE_SEVERITY_*` constant.
    pub severity: u32,
    /// Where the note's bytes sit (see `vxscope_field.scope`).
    pub scope: u32,
    /// Byte offset of the bytes concerned from the start of the frame.
    pub offset: u32,
    /// Number of bytes concerned.
    pub length: u32,
}

/// One row of the field registry: a field or protocol as every dissection names it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct FieldDefRecord {
    /// Abbreviation without scope prefix (`"vxlan.vni"`). Static.
    pub abbrev: *const c_char,
    /// Display name. Static.
    pub name: *const c_char,
    /// One sentence on what the field means, or `""`. Static.
    pub blurb: *const c_char,
    /// Bit mask within the field's bytes (big-endian), 0 for whole-byte fields.
    pub mask: u64,
    /// A `VXSCOPE_KIND_*` constant.
    pub kind: u32,
    /// A `VXSCOPE_BASE_*` constant.
    pub base: u32,
}

/// One row of the note registry.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NoteDefRecord {
    /// Stable code (`"checksum.bad"`). Static.
    pub code: *const c_char,
    /// Message template: `{0}`..`{2}` stand for a note's values, `{1:x}` for one in hex. Static.
    pub message_template: *const c_char,
    /// What to do about it, or `""`. Static.
    pub advice: *const c_char,
    /// A `VXSCOPE_SEVERITY_*` constant.
    pub severity: u32,
}

/// What a dissector plugin offers a host: its ABI version, its name, its default ports, and its functions.
///
/// `abi_version`, `struct_size` and `name` are the first members in every ABI version, so a host can read
/// them from a library built for another version and say which versions disagree; it reads nothing else
/// unless `abi_version` is the one it knows and `struct_size` is at least the size it expects. Every function
/// pointer is non-NULL and behaves as the function of the same name without the `vxscope_` prefix.
//
// The four handle types are parameters: libvxscope instantiates the descriptor with its own handles, a host
// with `Opaque` (`HostPlugin`). Every function pointer is an `Option` (NULL in C): a host checks each before
// use, since it comes from a library it does not trust to have filled it in.
#[repr(C)]
pub struct Plugin<O, C, S, D> {
    /// The `VXSCOPE_ABI_VERSION` the plugin was built with.
    pub abi_version: u32,
    /// `sizeof(vxscope_plugin)` as the plugin was built.
    pub struct_size: u32,
    /// The plugin's name (`"vxscope"`). Static.
    pub name: *const c_char,
    /// The plugin's own version (`"0.1.0"`). Static.
    pub version: *const c_char,
    /// One line on what the plugin dissects. Static.
    pub description: *const c_char,
    /// UDP ports the plugin decodes as VXLAN by default (8472, 4789).
    pub vxlan_ports: *const u16,
    pub vxlan_port_count: usize,
    /// UDP ports the plugin decodes as VXLAN-GPE by default (4790).
    pub gpe_ports: *const u16,
    pub gpe_port_count: usize,
    /// `sizeof` of the records the accessors fill in, as the plugin was built: a host checks them against its
    /// own.
    pub counts_size: u32,
    pub layer_record_size: u32,
    pub field_record_size: u32,
    pub note_record_size: u32,
    pub last_error: Option<unsafe extern "C" fn() -> *const c_char>,
    pub options_new: Option<unsafe extern "C" fn(out: *mut *mut O) -> Status>,
    pub options_free: Option<unsafe extern "C" fn(options: *mut O) -> Status>,
    pub options_add_vxlan_port: Option<unsafe extern "C" fn(options: *mut O, port: u16) -> Status>,
    pub options_add_gpe_port: Option<unsafe extern "C" fn(options: *mut O, port: u16) -> Status>,
    pub options_set_decode_as_otv:
        Option<unsafe extern "C" fn(options: *mut O, otv: bool) -> Status>,
    pub options_set_gbp: Option<unsafe extern "C" fn(options: *mut O, gbp: bool) -> Status>,
    pub options_set_annotation_prefix:
        Option<unsafe extern "C" fn(options: *mut O, prefix: *const c_char) -> Status>,
    pub options_add_nodes_json: Option<
        unsafe extern "C" fn(
            options: *mut O,
            text: *const c_char,
            len: usize,
            source: *const c_char,
        ) -> Status,
    >,
    pub options_add_nodes_json_file:
        Option<unsafe extern "C" fn(options: *mut O, path: *const c_char) -> Status>,
    pub options_add_node_info: Option<
        unsafe extern "C" fn(
            options: *mut O,
            text: *const c_char,
            len: usize,
            source: *const c_char,
            node: *const c_char,
        ) -> Status,
    >,
    pub options_add_node_info_file: Option<
        unsafe extern "C" fn(options: *mut O, path: *const c_char, node: *const c_char) -> Status,
    >,
    pub options_add_pods: Option<
        unsafe extern "C" fn(
            options: *mut O,
            text: *const c_char,
            len: usize,
            source: *const c_char,
        ) -> Status,
    >,
    pub options_add_pods_file:
        Option<unsafe extern "C" fn(options: *mut O, path: *const c_char) -> Status>,
    pub context_new: Option<unsafe extern "C" fn(options: *const O, out: *mut *mut C) -> Status>,
    pub context_free: Option<unsafe extern "C" fn(context: *mut C) -> Status>,
    pub session_new: Option<unsafe extern "C" fn(context: *const C, out: *mut *mut S) -> Status>,
    pub session_free: Option<unsafe extern "C" fn(session: *mut S) -> Status>,
    pub session_dissect: Option<
        unsafe extern "C" fn(
            session: *mut S,
            link_type: u32,
            bytes: *const u8,
            len: usize,
            wire_len: u32,
            out: *mut *mut D,
        ) -> Status,
    >,
    pub dissect: Option<
        unsafe extern "C" fn(
            context: *const C,
            link_type: u32,
            bytes: *const u8,
            len: usize,
            wire_len: u32,
            out: *mut *mut D,
        ) -> Status,
    >,
    pub dissect_vxlan_payload: Option<
        unsafe extern "C" fn(
            context: *const C,
            payload: *const u8,
            len: usize,
            out: *mut *mut D,
        ) -> Status,
    >,
    pub dissection_free: Option<unsafe extern "C" fn(dissection: *mut D) -> Status>,
    pub dissection_counts:
        Option<unsafe extern "C" fn(dissection: *const D, out: *mut Counts) -> Status>,
    pub dissection_summary: Option<
        unsafe extern "C" fn(
            dissection: *const D,
            text: *mut *const c_char,
            len: *mut usize,
        ) -> Status,
    >,
    pub dissection_hexdump: Option<
        unsafe extern "C" fn(
            dissection: *const D,
            format: u32,
            language: u32,
            text: *mut *const c_char,
            len: *mut usize,
        ) -> Status,
    >,
    pub dissection_layer: Option<
        unsafe extern "C" fn(dissection: *const D, index: usize, out: *mut LayerRecord) -> Status,
    >,
    pub dissection_field: Option<
        unsafe extern "C" fn(dissection: *const D, index: usize, out: *mut FieldRecord) -> Status,
    >,
    pub dissection_note: Option<
        unsafe extern "C" fn(dissection: *const D, index: usize, out: *mut NoteRecord) -> Status,
    >,
    pub dissection_layers: Option<
        unsafe extern "C" fn(
            dissection: *const D,
            records: *mut *const LayerRecord,
            count: *mut usize,
        ) -> Status,
    >,
    pub dissection_fields: Option<
        unsafe extern "C" fn(
            dissection: *const D,
            records: *mut *const FieldRecord,
            count: *mut usize,
        ) -> Status,
    >,
    pub dissection_notes: Option<
        unsafe extern "C" fn(
            dissection: *const D,
            records: *mut *const NoteRecord,
            count: *mut usize,
        ) -> Status,
    >,
    pub dissection_find_field: Option<
        unsafe extern "C" fn(
            dissection: *const D,
            abbrev: *const c_char,
            from: usize,
            index: *mut usize,
        ) -> Status,
    >,
    pub registry_field_count: Option<unsafe extern "C" fn() -> usize>,
    pub registry_field:
        Option<unsafe extern "C" fn(index: usize, out: *mut FieldDefRecord) -> Status>,
    pub registry_note_count: Option<unsafe extern "C" fn() -> usize>,
    pub registry_note:
        Option<unsafe extern "C" fn(index: usize, out: *mut NoteDefRecord) -> Status>,
    /// The layout of this descriptor and of the records (`vxscope_counts`, `vxscope_layer`, `vxscope_field`,
    /// `vxscope_note`, `vxscope_field_def`, `vxscope_note_def`, `vxscope_plugin`), every member of each with its
    /// offset and size, as the plugin was built: a host compares each member with its own and refuses a plugin
    /// that disagrees. A plugin that wraps libvxscope can point at libvxscope's (`vxscope_plugin_v1()->layout`).
    pub layout: *const Member,
    pub layout_len: usize,
    pub dissection_new_recording: Option<
        unsafe extern "C" fn(
            field_ids: *const u32,
            count: usize,
            summary: bool,
            out: *mut *mut D,
        ) -> Status,
    >,
    pub session_learn: Option<unsafe extern "C" fn(session: *mut S, dissection: *mut D) -> Status>,
}

impl<O, C, S, D> Clone for Plugin<O, C, S, D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<O, C, S, D> Copy for Plugin<O, C, S, D> {}

/// The members every ABI version starts its descriptor with.
#[repr(C)]
pub struct PluginHead {
    pub abi_version: u32,
    pub struct_size: u32,
    pub name: *const c_char,
}

/// A handle of a plugin, as a host sees it: a pointer to something it never reads.
#[repr(C)]
pub struct Opaque {
    _private: [u8; 0],
}

/// The descriptor as a host reads it.
pub type HostPlugin = Plugin<Opaque, Opaque, Opaque, Opaque>;

/// One member of a record or of the descriptor: where it is and how large, as the side that describes it was
/// built.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Member {
    /// The C name of the record (`"vxscope_field"`, `"vxscope_plugin"`). Static.
    pub record: *const c_char,
    /// The member's name (`"value_len"`). Static.
    pub member: *const c_char,
    /// Byte offset of the member from the start of the record.
    pub offset: u32,
    /// Size of the member in bytes.
    pub size: u32,
}

/// The size of what `_` points at (for the size of a member, from its address).
const fn size_of_pointee<T>(_: *const T) -> usize {
    size_of::<T>()
}

/// The [`Member`] entry of `$record`'s member `$member`, its record named `$c_name` in C.
macro_rules! member {
    ($record:ty, $c_name:literal, $member:ident) => {
        Member {
            record: concat!($c_name, "\0").as_ptr().cast(),
            member: concat!(stringify!($member), "\0").as_ptr().cast(),
            offset: offset_of!($record, $member) as u32,
            size: {
                let probe = MaybeUninit::<$record>::uninit();
                // SAFETY: only the member's address is taken; nothing is read.
                size_of_pointee(unsafe { &raw const (*probe.as_ptr()).$member }) as u32
            },
        }
    };
}

/// [`Member`] entries for each of `$members` of `$record`.
macro_rules! members {
    ($record:ty, $c_name:literal, [$($member:ident),* $(,)?]) => {
        [$(member!($record, $c_name, $member)),*]
    };
}

/// The layout of the records and of the descriptor: every member of each, in order.
pub struct Layout(pub [Member; LAYOUT_LEN]);

// SAFETY: the entries point at static strings only, which no one writes.
unsafe impl Sync for Layout {}

const COUNTS: [Member; 3] = members!(Counts, "vxscope_counts", [layers, fields, notes]);
const LAYER: [Member; 7] = members!(
    LayerRecord,
    "vxscope_layer",
    [abbrev, name, id, scope, depth, offset, length]
);
const FIELD: [Member; 17] = members!(
    FieldRecord,
    "vxscope_field",
    [
        abbrev, name, value, value_len, value_name, value_int, id, scope, layer, depth, level,
        offset, length, kind, base, value_type, has_int,
    ]
);
const NOTE: [Member; 8] = members!(
    NoteRecord,
    "vxscope_note",
    [
        code,
        message,
        message_len,
        advice,
        severity,
        scope,
        offset,
        length
    ]
);
const FIELD_DEF: [Member; 6] = members!(
    FieldDefRecord,
    "vxscope_field_def",
    [abbrev, name, blurb, mask, kind, base]
);
const NOTE_DEF: [Member; 4] = members!(
    NoteDefRecord,
    "vxscope_note_def",
    [code, message_template, advice, severity]
);
const PLUGIN: [Member; PLUGIN_MEMBERS] = members!(
    HostPlugin,
    "vxscope_plugin",
    [
        abi_version,
        struct_size,
        name,
        version,
        description,
        vxlan_ports,
        vxlan_port_count,
        gpe_ports,
        gpe_port_count,
        counts_size,
        layer_record_size,
        field_record_size,
        note_record_size,
        last_error,
        options_new,
        options_free,
        options_add_vxlan_port,
        options_add_gpe_port,
        options_set_decode_as_otv,
        options_set_gbp,
        options_set_annotation_prefix,
        options_add_nodes_json,
        options_add_nodes_json_file,
        options_add_node_info,
        options_add_node_info_file,
        options_add_pods,
        options_add_pods_file,
        context_new,
        context_free,
        session_new,
        session_free,
        session_dissect,
        dissect,
        dissect_vxlan_payload,
        dissection_free,
        dissection_counts,
        dissection_summary,
        dissection_hexdump,
        dissection_layer,
        dissection_field,
        dissection_note,
        dissection_layers,
        dissection_fields,
        dissection_notes,
        dissection_find_field,
        registry_field_count,
        registry_field,
        registry_note_count,
        registry_note,
        layout,
        layout_len,
        dissection_new_recording,
        session_learn,
    ]
);
const PLUGIN_MEMBERS: usize = 53;
const LAYOUT_LEN: usize = 3 + 7 + 17 + 8 + 6 + 4 + PLUGIN_MEMBERS;

/// Appends `part` to `out` from index `at`; returns the index after it.
const fn append<const N: usize>(
    out: &mut [Member; LAYOUT_LEN],
    at: usize,
    part: [Member; N],
) -> usize {
    let mut i = 0;
    while i < N {
        out[at + i] = part[i];
        i += 1;
    }
    at + N
}

/// Every member of every record of the ABI and of the descriptor, as this crate lays them out.
pub static LAYOUT: Layout = Layout({
    let mut out = [COUNTS[0]; LAYOUT_LEN];
    let mut at = 0;
    at = append(&mut out, at, COUNTS);
    at = append(&mut out, at, LAYER);
    at = append(&mut out, at, FIELD);
    at = append(&mut out, at, NOTE);
    at = append(&mut out, at, FIELD_DEF);
    at = append(&mut out, at, NOTE_DEF);
    at = append(&mut out, at, PLUGIN);
    assert!(at == LAYOUT_LEN);
    out
});

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn text(p: *const c_char) -> &'static str {
        // SAFETY: the layout's names are static NUL-terminated strings.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap()
    }

    /// Each record's entries, in order, cover it whole: they start at 0, each follows the one before with at
    /// most the padding its alignment needs, and the last ends within the record's trailing padding. A member
    /// left out of the table leaves a hole; one listed twice or out of order overlaps.
    #[test]
    fn the_layout_lists_every_member_of_every_record_once_in_order() {
        let records: [(&str, usize, usize); 7] = [
            ("vxscope_counts", size_of::<Counts>(), align_of::<Counts>()),
            (
                "vxscope_layer",
                size_of::<LayerRecord>(),
                align_of::<LayerRecord>(),
            ),
            (
                "vxscope_field",
                size_of::<FieldRecord>(),
                align_of::<FieldRecord>(),
            ),
            (
                "vxscope_note",
                size_of::<NoteRecord>(),
                align_of::<NoteRecord>(),
            ),
            (
                "vxscope_field_def",
                size_of::<FieldDefRecord>(),
                align_of::<FieldDefRecord>(),
            ),
            (
                "vxscope_note_def",
                size_of::<NoteDefRecord>(),
                align_of::<NoteDefRecord>(),
            ),
            (
                "vxscope_plugin",
                size_of::<HostPlugin>(),
                align_of::<HostPlugin>(),
            ),
        ];
        let mut seen = 0;
        for (record, size, align) in records {
            let members: Vec<&Member> = LAYOUT
                .0
                .iter()
                .filter(|m| text(m.record) == record)
                .collect();
            assert!(!members.is_empty(), "{record}");
            seen += members.len();
            let mut end = 0usize;
            let mut names = Vec::new();
            for m in &members {
                let (offset, len) = (m.offset as usize, m.size as usize);
                let name = text(m.member);
                assert!(!names.contains(&name), "{record}.{name} twice");
                names.push(name);
                // Members here are integers, bools and pointers: their alignment is their size.
                assert!(
                    offset >= end && offset - end < len.max(1),
                    "{record}.{name} at {offset} after a member ending at {end}"
                );
                end = offset + len;
            }
            assert!(
                end <= size && size - end < align,
                "{record}: members end at {end} of {size}"
            );
        }
        assert_eq!(seen, LAYOUT.0.len(), "entries of records not listed here");
    }

    #[test]
    fn the_descriptor_starts_with_its_head_and_keeps_its_first_members() {
        assert_eq!(
            offset_of!(HostPlugin, abi_version),
            offset_of!(PluginHead, abi_version)
        );
        assert_eq!(
            offset_of!(HostPlugin, struct_size),
            offset_of!(PluginHead, struct_size)
        );
        assert_eq!(offset_of!(HostPlugin, name), offset_of!(PluginHead, name));
        let first: Vec<&str> = LAYOUT
            .0
            .iter()
            .filter(|m| text(m.record) == "vxscope_plugin")
            .take(3)
            .map(|m| text(m.member))
            .collect();
        assert_eq!(first, ["abi_version", "struct_size", "name"]);
    }
}
