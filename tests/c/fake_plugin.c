/*
 * Plugins that are wrong on purpose, for the tests of `vxscope dissect --plugin` (tests/ffi_plugin.rs). Each
 * is libvxscope behind a descriptor of its own, built with gcc -shared -fPIC and one of:
 *
 *   -DFAKE_ABI_VERSION=N    the descriptor claims ABI version N
 *   -DFAKE_NO_ENTRY         the library exports no vxscope_plugin_v1 at all
 *   -DFAKE_NULL_MEMBER      the descriptor leaves dissection_notes NULL
 *   -DFAKE_FIELD_SIZE=N     the descriptor claims a vxscope_field of N bytes
 *   -DFAKE_FAIL_AT=N        the N-th call to session_dissect fails with VXSCOPE_ERR_INTERNAL
 *   -DFAKE_LEARN            the descriptor has session_learn, so that a host may decode frames on several
 *                           threads (without it, session_learn is NULL, as in a plugin of before it)
 *   -DFAKE_FAIL_LEN=N       session_dissect and dissect fail with VXSCOPE_ERR_INTERNAL on every frame of N
 *                           captured bytes (whichever thread decodes it)
 *   -DFAKE_SWAPPED_MEMBERS  the descriptor has dissection_fields and dissection_notes (two members of the same
 *                           size) in each other's place, as a plugin built against a header that declares
 *                           them in the other order would, and its layout says so
 */
#include <stddef.h>
#include <string.h>

#include "vxscope.h"

#ifndef FAKE_ABI_VERSION
#define FAKE_ABI_VERSION VXSCOPE_ABI_VERSION
#endif

#ifdef FAKE_NO_ENTRY

const char *not_a_vxscope_plugin(void) { return "no descriptor here"; }

#else

static const uint16_t VXLAN_PORTS[] = {8472, 4789};
static const uint16_t GPE_PORTS[] = {4790};
static unsigned calls;
/* Per thread, as libvxscope's last error is: frames may be decoded on several threads at once. */
static _Thread_local int failed_last;

static const char *fake_last_error(void) {
    return failed_last ? "fake plugin: refused this frame on purpose" : vxscope_last_error();
}

static vxscope_status fake_session_dissect(vxscope_session *session, uint32_t link_type, const uint8_t *bytes,
                                           size_t len, uint32_t wire_len, vxscope_dissection **out) {
    calls++;
    failed_last = 0;
#ifdef FAKE_FAIL_AT
    if (calls == FAKE_FAIL_AT) {
        failed_last = 1;
        return VXSCOPE_ERR_INTERNAL;
    }
#endif
#ifdef FAKE_FAIL_LEN
    if (len == FAKE_FAIL_LEN) {
        failed_last = 1;
        return VXSCOPE_ERR_INTERNAL;
    }
#endif
    return vxscope_session_dissect(session, link_type, bytes, len, wire_len, out);
}

static vxscope_status fake_dissect(const vxscope_context *context, uint32_t link_type, const uint8_t *bytes,
                                   size_t len, uint32_t wire_len, vxscope_dissection **out) {
    failed_last = 0;
#ifdef FAKE_FAIL_LEN
    if (len == FAKE_FAIL_LEN) {
        failed_last = 1;
        return VXSCOPE_ERR_INTERNAL;
    }
#endif
    return vxscope_dissect(context, link_type, bytes, len, wire_len, out);
}

static vxscope_plugin descriptor;

#ifdef FAKE_SWAPPED_MEMBERS
/* libvxscope's layout, with the two members' offsets exchanged. */
static vxscope_member swapped_layout[256];

static const vxscope_member *layout_of_fake(size_t *len) {
    const vxscope_member *base = NULL;
    if (vxscope_layout(&base, len) != VXSCOPE_OK || *len > sizeof swapped_layout / sizeof swapped_layout[0]) {
        *len = 0;
        return NULL;
    }
    memcpy(swapped_layout, base, *len * sizeof *base);
    vxscope_member *fields = NULL, *notes = NULL;
    for (size_t i = 0; i < *len; i++) {
        if (strcmp(swapped_layout[i].record, "vxscope_plugin") != 0) continue;
        if (strcmp(swapped_layout[i].member, "dissection_fields") == 0) fields = &swapped_layout[i];
        if (strcmp(swapped_layout[i].member, "dissection_notes") == 0) notes = &swapped_layout[i];
    }
    if (fields && notes) {
        uint32_t offset = fields->offset;
        fields->offset = notes->offset;
        notes->offset = offset;
    }
    return swapped_layout;
}
#else
static const vxscope_member *layout_of_fake(size_t *len) {
    const vxscope_member *base = NULL;
    if (vxscope_layout(&base, len) != VXSCOPE_OK) {
        *len = 0;
        return NULL;
    }
    return base;
}
#endif

const vxscope_plugin *vxscope_plugin_v1(void) {
    size_t layout_len = 0;
    const vxscope_member *layout = layout_of_fake(&layout_len);
    descriptor = (vxscope_plugin){
        .abi_version = FAKE_ABI_VERSION,
        .struct_size = sizeof(vxscope_plugin),
        .name = "fake",
        .version = "0.0.0",
        .description = "libvxscope behind a descriptor that is wrong on purpose",
        .vxlan_ports = VXLAN_PORTS,
        .vxlan_port_count = 2,
        .gpe_ports = GPE_PORTS,
        .gpe_port_count = 1,
        .counts_size = sizeof(vxscope_counts),
        .layer_record_size = sizeof(vxscope_layer),
#ifdef FAKE_FIELD_SIZE
        .field_record_size = FAKE_FIELD_SIZE,
#else
        .field_record_size = sizeof(vxscope_field),
#endif
        .note_record_size = sizeof(vxscope_note),
        .last_error = fake_last_error,
        .options_new = vxscope_options_new,
        .options_free = vxscope_options_free,
        .options_add_vxlan_port = vxscope_options_add_vxlan_port,
        .options_add_gpe_port = vxscope_options_add_gpe_port,
        .options_set_decode_as_otv = vxscope_options_set_decode_as_otv,
        .options_set_gbp = vxscope_options_set_gbp,
        .options_set_annotation_prefix = vxscope_options_set_annotation_prefix,
        .options_add_nodes_json = vxscope_options_add_nodes_json,
        .options_add_nodes_json_file = vxscope_options_add_nodes_json_file,
        .options_add_node_info = vxscope_options_add_node_info,
        .options_add_node_info_file = vxscope_options_add_node_info_file,
        .options_add_pods = vxscope_options_add_pods,
        .options_add_pods_file = vxscope_options_add_pods_file,
        .context_new = vxscope_context_new,
        .context_free = vxscope_context_free,
        .session_new = vxscope_session_new,
        .session_free = vxscope_session_free,
        .session_dissect = fake_session_dissect,
        .dissect = fake_dissect,
        .dissect_vxlan_payload = vxscope_dissect_vxlan_payload,
        .dissection_free = vxscope_dissection_free,
        .dissection_counts = vxscope_dissection_counts,
        .dissection_summary = vxscope_dissection_summary,
        .dissection_hexdump = vxscope_dissection_hexdump,
        .dissection_layer = vxscope_dissection_layer,
        .dissection_field = vxscope_dissection_field,
        .dissection_note = vxscope_dissection_note,
        .dissection_layers = vxscope_dissection_layers,
#if defined(FAKE_SWAPPED_MEMBERS)
        /* Each in the other's place (through void (*)(void), as C allows a cast between function types). */
        .dissection_fields = (vxscope_status (*)(const vxscope_dissection *, const vxscope_field **,
                                                 size_t *))(void (*)(void))vxscope_dissection_notes,
        .dissection_notes = (vxscope_status (*)(const vxscope_dissection *, const vxscope_note **,
                                                size_t *))(void (*)(void))vxscope_dissection_fields,
#elif defined(FAKE_NULL_MEMBER)
        .dissection_fields = vxscope_dissection_fields,
        .dissection_notes = NULL,
#else
        .dissection_fields = vxscope_dissection_fields,
        .dissection_notes = vxscope_dissection_notes,
#endif
        .dissection_find_field = vxscope_dissection_find_field,
        .registry_field_count = vxscope_registry_field_count,
        .registry_field = vxscope_registry_field,
        .registry_note_count = vxscope_registry_note_count,
        .registry_note = vxscope_registry_note,
        .layout = layout,
        .layout_len = layout_len,
#ifdef FAKE_LEARN
        .session_learn = vxscope_session_learn,
#endif
    };
    return &descriptor;
}

#endif
