//! The plain C types of the ABI: constants and the records the accessors fill in.
//!
//! Every record holds only integers, `bool` and pointers to NUL-terminated strings. Enumerations are `uint32_t`
//! members with `VXSCOPE_*` constants (never C enums, whose size a compiler chooses), so that a value this
//! version does not know can still be read safely.

use std::ffi::c_char;

use vxscope_dissector::fields::{Base, Kind};
use vxscope_dissector::notes::Severity;
use vxscope_dissector::value::Value;

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

pub(crate) fn kind_code(kind: Kind) -> u32 {
    match kind {
        Kind::Protocol => VXSCOPE_KIND_PROTOCOL,
        Kind::Bool => VXSCOPE_KIND_BOOL,
        Kind::U8 => VXSCOPE_KIND_UINT8,
        Kind::U16 => VXSCOPE_KIND_UINT16,
        Kind::U24 => VXSCOPE_KIND_UINT24,
        Kind::U32 => VXSCOPE_KIND_UINT32,
        Kind::U64 => VXSCOPE_KIND_UINT64,
        Kind::Mac => VXSCOPE_KIND_MAC,
        Kind::Ipv4 => VXSCOPE_KIND_IPV4,
        Kind::Ipv6 => VXSCOPE_KIND_IPV6,
        Kind::Bytes => VXSCOPE_KIND_BYTES,
        Kind::Text => VXSCOPE_KIND_TEXT,
        Kind::IpNet => VXSCOPE_KIND_IPNET,
    }
}

pub(crate) fn base_code(base: Base) -> u32 {
    match base {
        Base::Dec => VXSCOPE_BASE_DEC,
        Base::Hex => VXSCOPE_BASE_HEX,
    }
}

pub(crate) fn value_type_code(value: &Value<'_>) -> u32 {
    match value {
        Value::None => VXSCOPE_VALUE_NONE,
        Value::Bool(_) => VXSCOPE_VALUE_BOOL,
        Value::UInt(_) => VXSCOPE_VALUE_UINT,
        Value::Mac(_) => VXSCOPE_VALUE_MAC,
        Value::Ipv4(_) => VXSCOPE_VALUE_IPV4,
        Value::Ipv6(_) => VXSCOPE_VALUE_IPV6,
        Value::Bytes => VXSCOPE_VALUE_BYTES,
        Value::Text(_) => VXSCOPE_VALUE_TEXT,
        Value::Net(_) => VXSCOPE_VALUE_IPNET,
    }
}

pub(crate) fn severity_code(severity: Severity) -> u32 {
    match severity {
        Severity::Chat => VXSCOPE_SEVERITY_CHAT,
        Severity::Note => VXSCOPE_SEVERITY_NOTE,
        Severity::Warning => VXSCOPE_SEVERITY_WARNING,
        Severity::Error => VXSCOPE_SEVERITY_ERROR,
    }
}
