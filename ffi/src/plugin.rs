//! The plugin descriptor: one exported symbol, `vxscope_plugin_v1`, through which a host that loads dissectors
//! by path finds everything else.

use std::ffi::c_char;

use vxscope_dissector::{DEFAULT_GPE_PORTS, DEFAULT_VXLAN_PORTS};

use crate::abi::{
    Counts, FieldDefRecord, FieldRecord, LayerRecord, NoteDefRecord, NoteRecord,
    VXSCOPE_ABI_VERSION,
};
use crate::api;
use crate::handles::{Context, DissectionHandle, Options, SessionHandle};
use crate::status::Status;

/// What a dissector plugin offers a host: its ABI version, its name, its default ports, and its functions.
///
/// `abi_version`, `struct_size` and `name` are the first members in every ABI version, so a host can read
/// them from a library built for another version and say which versions disagree; it reads nothing else
/// unless `abi_version` is the one it knows and `struct_size` is at least the size it expects. Every function
/// pointer is non-NULL and behaves as the function of the same name without the `vxscope_` prefix.
#[repr(C)]
pub struct Plugin {
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
    pub last_error: extern "C" fn() -> *const c_char,
    pub options_new: unsafe extern "C" fn(out: *mut *mut Options) -> Status,
    pub options_free: unsafe extern "C" fn(options: *mut Options) -> Status,
    pub options_add_vxlan_port: unsafe extern "C" fn(options: *mut Options, port: u16) -> Status,
    pub options_add_gpe_port: unsafe extern "C" fn(options: *mut Options, port: u16) -> Status,
    pub options_set_decode_as_otv: unsafe extern "C" fn(options: *mut Options, otv: bool) -> Status,
    pub options_set_gbp: unsafe extern "C" fn(options: *mut Options, gbp: bool) -> Status,
    pub options_set_annotation_prefix:
        unsafe extern "C" fn(options: *mut Options, prefix: *const c_char) -> Status,
    pub options_add_nodes_json: unsafe extern "C" fn(
        options: *mut Options,
        text: *const c_char,
        len: usize,
        source: *const c_char,
    ) -> Status,
    pub options_add_nodes_json_file:
        unsafe extern "C" fn(options: *mut Options, path: *const c_char) -> Status,
    pub options_add_node_info: unsafe extern "C" fn(
        options: *mut Options,
        text: *const c_char,
        len: usize,
        source: *const c_char,
        node: *const c_char,
    ) -> Status,
    pub options_add_node_info_file: unsafe extern "C" fn(
        options: *mut Options,
        path: *const c_char,
        node: *const c_char,
    ) -> Status,
    pub options_add_pods: unsafe extern "C" fn(
        options: *mut Options,
        text: *const c_char,
        len: usize,
        source: *const c_char,
    ) -> Status,
    pub options_add_pods_file:
        unsafe extern "C" fn(options: *mut Options, path: *const c_char) -> Status,
    pub context_new:
        unsafe extern "C" fn(options: *const Options, out: *mut *mut Context) -> Status,
    pub context_free: unsafe extern "C" fn(context: *mut Context) -> Status,
    pub session_new:
        unsafe extern "C" fn(context: *const Context, out: *mut *mut SessionHandle) -> Status,
    pub session_free: unsafe extern "C" fn(session: *mut SessionHandle) -> Status,
    pub session_dissect: unsafe extern "C" fn(
        session: *mut SessionHandle,
        link_type: u32,
        bytes: *const u8,
        len: usize,
        wire_len: u32,
        out: *mut *mut DissectionHandle,
    ) -> Status,
    pub dissect: unsafe extern "C" fn(
        context: *const Context,
        link_type: u32,
        bytes: *const u8,
        len: usize,
        wire_len: u32,
        out: *mut *mut DissectionHandle,
    ) -> Status,
    pub dissect_vxlan_payload: unsafe extern "C" fn(
        context: *const Context,
        payload: *const u8,
        len: usize,
        out: *mut *mut DissectionHandle,
    ) -> Status,
    pub dissection_free: unsafe extern "C" fn(dissection: *mut DissectionHandle) -> Status,
    pub dissection_counts:
        unsafe extern "C" fn(dissection: *const DissectionHandle, out: *mut Counts) -> Status,
    pub dissection_summary: unsafe extern "C" fn(
        dissection: *const DissectionHandle,
        text: *mut *const c_char,
        len: *mut usize,
    ) -> Status,
    pub dissection_hexdump: unsafe extern "C" fn(
        dissection: *const DissectionHandle,
        format: u32,
        language: u32,
        text: *mut *const c_char,
        len: *mut usize,
    ) -> Status,
    pub dissection_layer: unsafe extern "C" fn(
        dissection: *const DissectionHandle,
        index: usize,
        out: *mut LayerRecord,
    ) -> Status,
    pub dissection_field: unsafe extern "C" fn(
        dissection: *const DissectionHandle,
        index: usize,
        out: *mut FieldRecord,
    ) -> Status,
    pub dissection_note: unsafe extern "C" fn(
        dissection: *const DissectionHandle,
        index: usize,
        out: *mut NoteRecord,
    ) -> Status,
    pub dissection_layers: unsafe extern "C" fn(
        dissection: *const DissectionHandle,
        records: *mut *const LayerRecord,
        count: *mut usize,
    ) -> Status,
    pub dissection_fields: unsafe extern "C" fn(
        dissection: *const DissectionHandle,
        records: *mut *const FieldRecord,
        count: *mut usize,
    ) -> Status,
    pub dissection_notes: unsafe extern "C" fn(
        dissection: *const DissectionHandle,
        records: *mut *const NoteRecord,
        count: *mut usize,
    ) -> Status,
    pub dissection_find_field: unsafe extern "C" fn(
        dissection: *const DissectionHandle,
        abbrev: *const c_char,
        from: usize,
        index: *mut usize,
    ) -> Status,
    pub registry_field_count: extern "C" fn() -> usize,
    pub registry_field: unsafe extern "C" fn(index: usize, out: *mut FieldDefRecord) -> Status,
    pub registry_note_count: extern "C" fn() -> usize,
    pub registry_note: unsafe extern "C" fn(index: usize, out: *mut NoteDefRecord) -> Status,
}

/// The descriptor, in a static: its pointers all point at statics, which no one writes.
struct Descriptor(Plugin);

// SAFETY: the descriptor and everything it points at are immutable statics.
unsafe impl Sync for Descriptor {}

static VXLAN_PORTS: [u16; 2] = DEFAULT_VXLAN_PORTS;
static GPE_PORTS: [u16; 1] = DEFAULT_GPE_PORTS;

static DESCRIPTOR: Descriptor = Descriptor(Plugin {
    abi_version: VXSCOPE_ABI_VERSION,
    struct_size: size_of::<Plugin>() as u32,
    name: c"vxscope".as_ptr(),
    version: crate::VERSION.as_ptr(),
    description:
        c"VXLAN (UDP 8472, 4789), VXLAN-GPE (4790) and the frames they carry, every byte labelled"
            .as_ptr(),
    vxlan_ports: VXLAN_PORTS.as_ptr(),
    vxlan_port_count: VXLAN_PORTS.len(),
    gpe_ports: GPE_PORTS.as_ptr(),
    gpe_port_count: GPE_PORTS.len(),
    counts_size: size_of::<Counts>() as u32,
    layer_record_size: size_of::<LayerRecord>() as u32,
    field_record_size: size_of::<FieldRecord>() as u32,
    note_record_size: size_of::<NoteRecord>() as u32,
    last_error: api::vxscope_last_error,
    options_new: api::vxscope_options_new,
    options_free: api::vxscope_options_free,
    options_add_vxlan_port: api::vxscope_options_add_vxlan_port,
    options_add_gpe_port: api::vxscope_options_add_gpe_port,
    options_set_decode_as_otv: api::vxscope_options_set_decode_as_otv,
    options_set_gbp: api::vxscope_options_set_gbp,
    options_set_annotation_prefix: api::vxscope_options_set_annotation_prefix,
    options_add_nodes_json: api::vxscope_options_add_nodes_json,
    options_add_nodes_json_file: api::vxscope_options_add_nodes_json_file,
    options_add_node_info: api::vxscope_options_add_node_info,
    options_add_node_info_file: api::vxscope_options_add_node_info_file,
    options_add_pods: api::vxscope_options_add_pods,
    options_add_pods_file: api::vxscope_options_add_pods_file,
    context_new: api::vxscope_context_new,
    context_free: api::vxscope_context_free,
    session_new: api::vxscope_session_new,
    session_free: api::vxscope_session_free,
    session_dissect: api::vxscope_session_dissect,
    dissect: api::vxscope_dissect,
    dissect_vxlan_payload: api::vxscope_dissect_vxlan_payload,
    dissection_free: api::vxscope_dissection_free,
    dissection_counts: api::vxscope_dissection_counts,
    dissection_summary: api::vxscope_dissection_summary,
    dissection_hexdump: api::vxscope_dissection_hexdump,
    dissection_layer: api::vxscope_dissection_layer,
    dissection_field: api::vxscope_dissection_field,
    dissection_note: api::vxscope_dissection_note,
    dissection_layers: api::vxscope_dissection_layers,
    dissection_fields: api::vxscope_dissection_fields,
    dissection_notes: api::vxscope_dissection_notes,
    dissection_find_field: api::vxscope_dissection_find_field,
    registry_field_count: api::vxscope_registry_field_count,
    registry_field: api::vxscope_registry_field,
    registry_note_count: api::vxscope_registry_note_count,
    registry_note: api::vxscope_registry_note,
});

/// The plugin descriptor: the one symbol a host that loads dissectors by path looks up. Static, never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxscope_plugin_v1() -> *const Plugin {
    &DESCRIPTOR.0
}
