//! The plugin descriptor: one exported symbol, `vxscope_plugin_v1`, through which a host that loads dissectors
//! by path finds everything else.

use vxscope_dissector::{DEFAULT_GPE_PORTS, DEFAULT_VXLAN_PORTS};

use crate::abi::{Counts, FieldRecord, LayerRecord, NoteRecord, VXSCOPE_ABI_VERSION};
use crate::api;
use crate::handles::{Context, DissectionHandle, Options, SessionHandle};

/// The descriptor of `vxscope-abi` over libvxscope's handles (in C, `vxscope_plugin` itself).
///
/// cbindgen:ignore
pub type Plugin = vxscope_abi::Plugin<Options, Context, SessionHandle, DissectionHandle>;

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
    last_error: Some(api::vxscope_last_error),
    options_new: Some(api::vxscope_options_new),
    options_free: Some(api::vxscope_options_free),
    options_add_vxlan_port: Some(api::vxscope_options_add_vxlan_port),
    options_add_gpe_port: Some(api::vxscope_options_add_gpe_port),
    options_set_decode_as_otv: Some(api::vxscope_options_set_decode_as_otv),
    options_set_gbp: Some(api::vxscope_options_set_gbp),
    options_set_annotation_prefix: Some(api::vxscope_options_set_annotation_prefix),
    options_add_nodes_json: Some(api::vxscope_options_add_nodes_json),
    options_add_nodes_json_file: Some(api::vxscope_options_add_nodes_json_file),
    options_add_node_info: Some(api::vxscope_options_add_node_info),
    options_add_node_info_file: Some(api::vxscope_options_add_node_info_file),
    options_add_pods: Some(api::vxscope_options_add_pods),
    options_add_pods_file: Some(api::vxscope_options_add_pods_file),
    context_new: Some(api::vxscope_context_new),
    context_free: Some(api::vxscope_context_free),
    session_new: Some(api::vxscope_session_new),
    session_free: Some(api::vxscope_session_free),
    session_dissect: Some(api::vxscope_session_dissect),
    dissect: Some(api::vxscope_dissect),
    dissect_vxlan_payload: Some(api::vxscope_dissect_vxlan_payload),
    dissection_free: Some(api::vxscope_dissection_free),
    dissection_counts: Some(api::vxscope_dissection_counts),
    dissection_summary: Some(api::vxscope_dissection_summary),
    dissection_hexdump: Some(api::vxscope_dissection_hexdump),
    dissection_layer: Some(api::vxscope_dissection_layer),
    dissection_field: Some(api::vxscope_dissection_field),
    dissection_note: Some(api::vxscope_dissection_note),
    dissection_layers: Some(api::vxscope_dissection_layers),
    dissection_fields: Some(api::vxscope_dissection_fields),
    dissection_notes: Some(api::vxscope_dissection_notes),
    dissection_find_field: Some(api::vxscope_dissection_find_field),
    registry_field_count: Some(api::vxscope_registry_field_count),
    registry_field: Some(api::vxscope_registry_field),
    registry_note_count: Some(api::vxscope_registry_note_count),
    registry_note: Some(api::vxscope_registry_note),
    layout: vxscope_abi::LAYOUT.0.as_ptr(),
    layout_len: vxscope_abi::LAYOUT.0.len(),
    dissection_new_recording: Some(api::vxscope_dissection_new_recording),
    session_learn: Some(api::vxscope_session_learn),
});

/// The plugin descriptor: the one symbol a host that loads dissectors by path looks up. Static, never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxscope_plugin_v1()
-> *const vxscope_abi::Plugin<Options, Context, SessionHandle, DissectionHandle> {
    &DESCRIPTOR.0
}
