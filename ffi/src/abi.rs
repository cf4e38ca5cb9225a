//! The plain C types of the ABI, the constants and the records the accessors fill in, as `vxscope-abi` defines
//! them; and how the dissector's kinds, bases, values and severities map to their codes.

use vxscope_dissector::fields::{Base, Kind};
use vxscope_dissector::notes::Severity;
use vxscope_dissector::value::Value;

pub use vxscope_abi::{
    Counts, FieldDefRecord, FieldRecord, LayerRecord, Member, NoteDefRecord, NoteRecord,
    VXSCOPE_ABI_VERSION, VXSCOPE_BASE_DEC, VXSCOPE_BASE_HEX, VXSCOPE_HEXDUMP_HTML,
    VXSCOPE_HEXDUMP_MARKDOWN, VXSCOPE_HEXDUMP_TEXT, VXSCOPE_KIND_BOOL, VXSCOPE_KIND_BYTES,
    VXSCOPE_KIND_IPNET, VXSCOPE_KIND_IPV4, VXSCOPE_KIND_IPV6, VXSCOPE_KIND_MAC,
    VXSCOPE_KIND_PROTOCOL, VXSCOPE_KIND_TEXT, VXSCOPE_KIND_UINT8, VXSCOPE_KIND_UINT16,
    VXSCOPE_KIND_UINT24, VXSCOPE_KIND_UINT32, VXSCOPE_KIND_UINT64, VXSCOPE_LANG_EN,
    VXSCOPE_LANG_ZH, VXSCOPE_LINKTYPE_ETHERNET, VXSCOPE_LINKTYPE_IPV4, VXSCOPE_LINKTYPE_IPV6,
    VXSCOPE_LINKTYPE_LINUX_SLL, VXSCOPE_LINKTYPE_LINUX_SLL2, VXSCOPE_LINKTYPE_LOOP,
    VXSCOPE_LINKTYPE_NULL, VXSCOPE_LINKTYPE_RAW, VXSCOPE_MAX_FRAME_LEN, VXSCOPE_SCOPE_LIMIT,
    VXSCOPE_SEVERITY_CHAT, VXSCOPE_SEVERITY_ERROR, VXSCOPE_SEVERITY_NOTE, VXSCOPE_SEVERITY_WARNING,
    VXSCOPE_VALUE_BOOL, VXSCOPE_VALUE_BYTES, VXSCOPE_VALUE_IPNET, VXSCOPE_VALUE_IPV4,
    VXSCOPE_VALUE_IPV6, VXSCOPE_VALUE_MAC, VXSCOPE_VALUE_NONE, VXSCOPE_VALUE_TEXT,
    VXSCOPE_VALUE_UINT,
};

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
        // Its text is the value: `1:` and base64.
        Value::CommunityId(_) => VXSCOPE_VALUE_TEXT,
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
