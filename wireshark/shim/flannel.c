/*
 * flannel.c: the half of vxscope's Wireshark plugin that speaks epan, and the only one.
 *
 * - UDP 8472 (and every port of the preference flannel.udp_ports, 4789 and 8472 by default) goes to Wireshark's
 *   own "vxlan" dissector, so its fields (vxlan.vni, vxlan.flags, ...) and its eth_withoutfcs decoding of the
 *   inner frame apply on 8472 as on 4789. Where Wireshark already decodes a port as VXLAN (4789 always, 8472 from
 *   some release after 4.0) nothing is changed.
 * - A post-dissector, "flannel", dissects each frame with libvxscope (ffi/include/vxscope.h) and adds a flannel
 *   tree: the flannel fields of vxscope's field registry, registered from it, on the bytes they derive from, and
 *   every note of the dissection as an expert info registered from the note registry.
 * - The cross-packet diagnoses come from a vxscope session fed the frames in order on Wireshark's first pass;
 *   each frame's notes are kept (file scope) and used whenever the frame is dissected again, so a tree does not
 *   depend on the order in which frames are looked at.
 *
 * No Wireshark exception (a longjmp) may cross a Rust frame. libvxscope never calls epan, and this file calls
 * libvxscope only with plain data (bytes copied out of, or pointed to in, the frame's tvb beforehand), so no
 * epan function runs while a Rust frame is on the stack.
 *
 * Everything that depends on the Wireshark version is in this file; the build checks the version below.
 */

#define WS_BUILD_DLL
#define WS_LOG_DOMAIN "flannel"
#include <wireshark.h>

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto_data.h>
#include <wiretap/wtap.h>
#include <wsutil/wslog.h>

#include <string.h>

#include "vxscope.h"

_Static_assert(WIRESHARK_VERSION_MAJOR == VXWS_WANT_MAJOR && WIRESHARK_VERSION_MINOR == VXWS_WANT_MINOR,
               "the Wireshark headers found are not those of the version pkg-config reports");
_Static_assert(VXSCOPE_ABI_VERSION == 1, "this shim is written for libvxscope's ABI version 1");

/* Registration: the protocol, one hf a flannel field of the registry, one expert field a note code. */
static int proto_flannel = -1;
static gint ett_flannel = -1;
static int *hf_by_field;       /* by row of vxscope's field registry; -1 for rows that are not flannel's */
static size_t field_rows;
static uint32_t field_flannel = UINT32_MAX, field_vxlan = UINT32_MAX, field_gpe = UINT32_MAX;
static uint32_t field_src_node = UINT32_MAX, field_dst_node = UINT32_MAX;
static GHashTable *ei_by_code; /* note code -> expert_field * */
static expert_field ei_preference = EI_INIT;
static expert_field ei_library = EI_INIT;

/* Preferences. */
static const char *pref_nodes = "";
static const char *pref_pods = "";
static const char *pref_node_info = "";
static range_t *pref_ports;

static dissector_handle_t vxlan_handle;
static GArray *ports_given; /* the UDP ports this plugin handed to "vxlan" (guint32) */

/* The libvxscope state: a context built from the preferences, a session for the capture being read. */
static vxscope_context *context;
static vxscope_session *session;
static vxscope_dissection *dissection;
static gboolean context_stale = TRUE;
static char *context_problem; /* why a preference's file was not used, or NULL */

/* A note of a frame, as its first dissection found it. */
typedef struct {
    expert_field *ei;
    guint32 offset, length;
    const char *message;
} kept_note;

typedef struct {
    guint32 count;
    kept_note notes[];
} kept_notes;

/* The expert field of a note code: "flannel.<code>", or the code itself when it is one of flannel's. */
static char *expert_abbrev(const char *code)
{
    return strncmp(code, "flannel.", 8) == 0 ? g_strdup(code) : g_strconcat("flannel.", code, NULL);
}

static enum ftenum field_type(const vxscope_field_def *def)
{
    switch (def->kind) {
    case VXSCOPE_KIND_BOOL: return FT_BOOLEAN;
    case VXSCOPE_KIND_UINT8: return FT_UINT8;
    case VXSCOPE_KIND_UINT16: return FT_UINT16;
    case VXSCOPE_KIND_UINT24: return FT_UINT24;
    case VXSCOPE_KIND_UINT32: return FT_UINT32;
    case VXSCOPE_KIND_UINT64: return FT_UINT64;
    default: return FT_STRING; /* text, networks, addresses: added as vxscope writes them */
    }
}

static int field_base(const vxscope_field_def *def, enum ftenum type)
{
    if (type == FT_STRING || type == FT_BOOLEAN)
        return BASE_NONE;
    return def->base == VXSCOPE_BASE_HEX ? BASE_HEX : BASE_DEC;
}

static int expert_group(const char *code)
{
    if (strncmp(code, "malformed.", 10) == 0)
        return PI_MALFORMED;
    if (strncmp(code, "checksum.", 9) == 0 || strstr(code, "checksum") != NULL)
        return PI_CHECKSUM;
    return PI_PROTOCOL;
}

static int expert_severity(uint32_t severity)
{
    switch (severity) {
    case VXSCOPE_SEVERITY_CHAT: return PI_CHAT;
    case VXSCOPE_SEVERITY_NOTE: return PI_NOTE;
    case VXSCOPE_SEVERITY_WARNING: return PI_WARN;
    default: return PI_ERROR;
    }
}

static void register_fields(void)
{
    field_rows = vxscope_registry_field_count();
    hf_by_field = g_new(int, field_rows);
    hf_register_info *hf = g_new0(hf_register_info, field_rows);
    int n = 0;
    for (size_t i = 0; i < field_rows; i++) {
        vxscope_field_def def;
        hf_by_field[i] = -1;
        if (vxscope_registry_field(i, &def) != VXSCOPE_OK)
            continue;
        if (strcmp(def.abbrev, "flannel") == 0)
            field_flannel = (uint32_t)i;
        else if (strcmp(def.abbrev, "vxlan") == 0)
            field_vxlan = (uint32_t)i;
        else if (strcmp(def.abbrev, "vxlan_gpe") == 0)
            field_gpe = (uint32_t)i;
        if (strncmp(def.abbrev, "flannel.", 8) != 0 || def.kind == VXSCOPE_KIND_PROTOCOL)
            continue;
        if (strcmp(def.abbrev, "flannel.src_node") == 0)
            field_src_node = (uint32_t)i;
        else if (strcmp(def.abbrev, "flannel.dst_node") == 0)
            field_dst_node = (uint32_t)i;
        enum ftenum type = field_type(&def);
        hf[n].p_id = &hf_by_field[i];
        hf[n].hfinfo = (header_field_info){def.name, def.abbrev, type, field_base(&def, type), NULL, 0,
                                           def.blurb[0] ? def.blurb : NULL, HFILL};
        n++;
    }
    /* Wireshark keeps the array: it is never freed. */
    proto_register_field_array(proto_flannel, hf, n);
}

static void register_experts(void)
{
    size_t rows = vxscope_registry_note_count();
    ei_register_info *ei = g_new0(ei_register_info, rows + 2);
    int n = 0;
    ei_by_code = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < rows; i++) {
        vxscope_note_def def;
        if (vxscope_registry_note(i, &def) != VXSCOPE_OK || g_hash_table_contains(ei_by_code, def.code))
            continue; /* a code with several rows (one a situation) is one expert info */
        expert_field *field = g_new(expert_field, 1);
        *field = (expert_field)EI_INIT;
        g_hash_table_insert(ei_by_code, (gpointer)def.code, field);
        ei[n] = (ei_register_info){field,
                                   {expert_abbrev(def.code), expert_group(def.code),
                                    expert_severity(def.severity), def.message_template, EXPFILL}};
        n++;
    }
    ei[n++] = (ei_register_info){&ei_preference,
                                 {"flannel.preference_error", PI_PROTOCOL, PI_WARN,
                                  "A file named in the flannel preferences could not be used", EXPFILL}};
    ei[n++] = (ei_register_info){&ei_library,
                                 {"flannel.library_error", PI_PROTOCOL, PI_WARN,
                                  "libvxscope could not dissect the frame", EXPFILL}};
    expert_register_field_array(expert_register_protocol(proto_flannel), ei, n);
}

/* ---- Ports: handed to Wireshark's "vxlan" dissector. */

static void give_ports(void)
{
    dissector_table_t udp = find_dissector_table("udp.port");
    if (!vxlan_handle || !udp)
        return;
    for (guint i = 0; i < ports_given->len; i++)
        dissector_delete_uint("udp.port", g_array_index(ports_given, guint32, i), vxlan_handle);
    g_array_set_size(ports_given, 0);
    for (guint r = 0; pref_ports && r < pref_ports->nranges; r++) {
        for (guint32 port = pref_ports->ranges[r].low; port <= pref_ports->ranges[r].high && port <= 65535;
             port++) {
            /* A port Wireshark already gives to vxlan (4789, or its own 8472) stays its own. */
            if (port == 0 || dissector_get_uint_handle(udp, port) == vxlan_handle)
                continue;
            dissector_add_uint("udp.port", port, vxlan_handle);
            g_array_append_val(ports_given, port);
        }
    }
}

/* ---- The libvxscope context, rebuilt from the preferences when they change. */

static void problem(GString *problems, const char *pref, const char *value)
{
    /* The message names the preference, the file and what is wrong (libvxscope's message names the call). */
    if (problems->len)
        g_string_append(problems, "; ");
    g_string_append_printf(problems, "flannel.%s (%s): %s", pref, value, vxscope_last_error());
}

static void add_node_info(vxscope_options *options, GString *problems)
{
    gchar **items = g_strsplit(pref_node_info, ",", -1);
    for (gchar **item = items; *item; item++) {
        gchar *spec = g_strstrip(*item);
        if (!*spec)
            continue;
        /* [NODE=]FILE, as vxscope --node-info takes it: a name has no '/'. */
        const char *node = NULL, *path = spec;
        char *eq = strchr(spec, '=');
        if (eq && memchr(spec, '/', (size_t)(eq - spec)) == NULL) {
            *eq = '\0';
            node = spec;
            path = eq + 1;
        }
        if (vxscope_options_add_node_info_file(options, path, node) != VXSCOPE_OK)
            problem(problems, "node_info", path);
    }
    g_strfreev(items);
}

static void drop_context(void)
{
    vxscope_dissection_free(dissection);
    dissection = NULL;
    vxscope_session_free(session);
    session = NULL;
    vxscope_context_free(context);
    context = NULL;
}

static void build_context(void)
{
    GString *problems = g_string_new(NULL);
    vxscope_options *options = NULL;
    drop_context();
    if (vxscope_options_new(&options) != VXSCOPE_OK) {
        problem(problems, "udp_ports", "");
    } else {
        for (guint r = 0; pref_ports && r < pref_ports->nranges; r++)
            for (guint32 port = pref_ports->ranges[r].low; port <= pref_ports->ranges[r].high && port <= 65535;
                 port++)
                if (port != 8472 && port != 4789 && vxscope_options_add_vxlan_port(options, (uint16_t)port))
                    problem(problems, "udp_ports", "");
        if (pref_nodes && *pref_nodes && vxscope_options_add_nodes_json_file(options, pref_nodes) != VXSCOPE_OK)
            problem(problems, "nodes", pref_nodes);
        if (pref_node_info && *pref_node_info)
            add_node_info(options, problems);
        if (pref_pods && *pref_pods && vxscope_options_add_pods_file(options, pref_pods) != VXSCOPE_OK)
            problem(problems, "pods", pref_pods);
        if (vxscope_context_new(options, &context) != VXSCOPE_OK) {
            problem(problems, "nodes, flannel.pods and flannel.node_info", "together");
            context = NULL;
            /* Without the sources, the defaults still decode. */
            if (vxscope_context_new(NULL, &context) != VXSCOPE_OK)
                context = NULL;
        }
        vxscope_options_free(options);
    }
    g_free(context_problem);
    context_problem = problems->len ? g_strdup(problems->str) : NULL;
    g_string_free(problems, TRUE);
    if (context_problem)
        ws_warning("%s", context_problem);
    context_stale = FALSE;
}

/* A new capture (or a re-dissection of the whole file): a new session, on the latest preferences. */
static void init_capture(void)
{
    if (context_stale || !context)
        build_context();
    vxscope_session_free(session);
    session = NULL;
    if (context && vxscope_session_new(context, &session) != VXSCOPE_OK)
        session = NULL;
}

static void cleanup_capture(void)
{
    vxscope_session_free(session);
    session = NULL;
}

static void prefs_changed(void)
{
    context_stale = TRUE;
    give_ports();
}

/* ---- Dissection. */

static uint32_t link_type(int encap)
{
    switch (encap) {
    case WTAP_ENCAP_ETHERNET: return VXSCOPE_LINKTYPE_ETHERNET;
    case WTAP_ENCAP_RAW_IP: return VXSCOPE_LINKTYPE_RAW;
    case WTAP_ENCAP_RAW_IP4: return VXSCOPE_LINKTYPE_IPV4;
    case WTAP_ENCAP_RAW_IP6: return VXSCOPE_LINKTYPE_IPV6;
    case WTAP_ENCAP_NULL: return VXSCOPE_LINKTYPE_NULL;
    case WTAP_ENCAP_LOOP: return VXSCOPE_LINKTYPE_LOOP;
    case WTAP_ENCAP_SLL: return VXSCOPE_LINKTYPE_LINUX_SLL;
    case WTAP_ENCAP_SLL2: return VXSCOPE_LINKTYPE_LINUX_SLL2;
    default: return UINT32_MAX;
    }
}

/* A flannel field has no bytes of its own (length 0, at the offset of what it derives from: an outer address,
 * an inner MAC or address): it highlights the shortest field of the frame starting there. */
static guint32 source_length(const vxscope_field *fields, size_t count, guint32 offset)
{
    guint32 best = 0;
    for (size_t i = 0; i < count; i++) {
        const vxscope_field *f = &fields[i];
        if (f->offset == offset && f->length > 0 && f->kind != VXSCOPE_KIND_PROTOCOL &&
            (best == 0 || f->length < best))
            best = f->length;
    }
    return best;
}

/* Offsets and lengths kept inside the frame's captured bytes, so no item can throw. */
static void clamp(guint32 captured, guint32 *offset, guint32 *length)
{
    if (*offset > captured)
        *offset = captured;
    if (*length > captured - *offset)
        *length = captured - *offset;
}

static gboolean is_tunnel_layer(uint32_t id)
{
    return id == field_flannel || id == field_vxlan || id == field_gpe;
}

static gboolean is_tunnel_note(const char *code)
{
    return strncmp(code, "flannel.", 8) == 0 || strncmp(code, "vxlan.", 6) == 0;
}

static void add_field(proto_tree *tree, tvbuff_t *tvb, const vxscope_field *f, const vxscope_field *fields,
                      size_t count, guint32 captured)
{
    int hf = f->id < field_rows ? hf_by_field[f->id] : -1;
    if (hf < 0)
        return;
    guint32 offset = f->offset, length = f->length ? f->length : source_length(fields, count, f->offset);
    clamp(captured, &offset, &length);
    switch (proto_registrar_get_ftype(hf)) {
    case FT_STRING:
        proto_tree_add_string(tree, hf, tvb, (gint)offset, (gint)length, f->value);
        break;
    case FT_BOOLEAN:
        proto_tree_add_boolean(tree, hf, tvb, (gint)offset, (gint)length, f->value_int != 0);
        break;
    case FT_UINT64:
        proto_tree_add_uint64(tree, hf, tvb, (gint)offset, (gint)length, f->value_int);
        break;
    default:
        proto_tree_add_uint(tree, hf, tvb, (gint)offset, (gint)length, (guint32)f->value_int);
        break;
    }
}

/* The notes of a frame's first dissection, kept for its later ones. */
static kept_notes *keep_notes(const vxscope_note *notes, size_t count, guint32 captured)
{
    kept_notes *kept = wmem_alloc(wmem_file_scope(), sizeof *kept + count * sizeof(kept_note));
    kept->count = 0;
    for (size_t i = 0; i < count; i++) {
        expert_field *ei = g_hash_table_lookup(ei_by_code, notes[i].code);
        if (!ei)
            continue;
        kept_note *k = &kept->notes[kept->count++];
        k->ei = ei;
        k->offset = notes[i].offset;
        k->length = notes[i].length;
        clamp(captured, &k->offset, &k->length);
        k->message = wmem_strdup(wmem_file_scope(), notes[i].message);
    }
    return kept;
}

static int dissect_flannel(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (!context || !session || !pinfo->rec || pinfo->rec->rec_type != REC_TYPE_PACKET)
        return 0;
    uint32_t link = link_type(pinfo->rec->rec_header.packet_header.pkt_encap);
    guint32 captured = tvb_captured_length(tvb);
    if (link == UINT32_MAX || captured == 0 || captured > VXSCOPE_MAX_FRAME_LEN)
        return 0;
    const guint8 *bytes = tvb_get_ptr(tvb, 0, (gint)captured);
    guint32 wire = tvb_reported_length(tvb);
    gboolean first = !pinfo->fd->visited;

    /* libvxscope: plain data in and out, no epan call until the records are read. */
    const vxscope_layer *layers = NULL;
    const vxscope_field *fields = NULL;
    const vxscope_note *notes = NULL;
    size_t layer_count = 0, field_count = 0, note_count = 0;
    vxscope_status status = first ? vxscope_session_dissect(session, link, bytes, captured, wire, &dissection)
                                  : vxscope_dissect(context, link, bytes, captured, wire, &dissection);
    if (status == VXSCOPE_OK)
        status = vxscope_dissection_layers(dissection, &layers, &layer_count);
    if (status == VXSCOPE_OK)
        status = vxscope_dissection_notes(dissection, &notes, &note_count);
    /* The field records (a text for every field) only for a tree; without one, the node names alone. */
    const char *src_node = NULL, *dst_node = NULL;
    if (status == VXSCOPE_OK && tree)
        status = vxscope_dissection_fields(dissection, &fields, &field_count);
    else if (status == VXSCOPE_OK) {
        static char src_text[256], dst_text[256];
        size_t index;
        gboolean flannel = FALSE;
        for (size_t i = 0; i < layer_count && !flannel; i++)
            flannel = layers[i].id == field_flannel;
        if (flannel && vxscope_dissection_find_field_id(dissection, field_src_node, 0, 0, &index) == VXSCOPE_OK &&
            vxscope_dissection_field_value(dissection, index, src_text, sizeof src_text, NULL) == VXSCOPE_OK)
            src_node = src_text;
        if (flannel && vxscope_dissection_find_field_id(dissection, field_dst_node, 0, 0, &index) == VXSCOPE_OK &&
            vxscope_dissection_field_value(dissection, index, dst_text, sizeof dst_text, NULL) == VXSCOPE_OK)
            dst_node = dst_text;
    }
    const char *failure = status == VXSCOPE_OK ? NULL : vxscope_last_error();

    if (failure) {
        proto_item *ti = proto_tree_add_item(tree, proto_flannel, tvb, 0, 0, ENC_NA);
        proto_tree_add_expert_format(proto_item_add_subtree(ti, ett_flannel), pinfo, &ei_library, tvb, 0, 0,
                                     "%s", failure);
        return 0;
    }

    gboolean tunnel = FALSE;
    for (size_t i = 0; i < layer_count && !tunnel; i++)
        tunnel = is_tunnel_layer(layers[i].id);
    for (size_t i = 0; i < note_count && !tunnel; i++)
        tunnel = is_tunnel_note(notes[i].code);
    if (!tunnel)
        return 0;

    kept_notes *kept = NULL;
    if (first) {
        if (note_count) {
            kept = keep_notes(notes, note_count, captured);
            p_add_proto_data(wmem_file_scope(), pinfo, proto_flannel, 0, kept);
        }
    } else {
        kept = p_get_proto_data(wmem_file_scope(), pinfo, proto_flannel, 0);
    }

    /* One flannel subtree a VXLAN packet (a frame may nest them); notes go to the first. */
    proto_tree *first_tree = NULL, *current = NULL;
    proto_item *first_item = NULL;
    uint32_t current_layer = UINT32_MAX;
    for (size_t i = 0; i < field_count; i++) {
        const vxscope_field *f = &fields[i];
        if (f->layer >= layer_count || layers[f->layer].id != field_flannel)
            continue;
        if (f->layer != current_layer) {
            guint32 at = layers[f->layer].offset, none = 0;
            clamp(captured, &at, &none);
            proto_item *ti = proto_tree_add_item(tree, proto_flannel, tvb, (gint)at, 0, ENC_NA);
            current = proto_item_add_subtree(ti, ett_flannel);
            current_layer = f->layer;
            if (!first_tree) {
                first_tree = current;
                first_item = ti;
            }
        }
        if (current == first_tree) {
            if (f->id == field_src_node && !src_node)
                src_node = f->value;
            else if (f->id == field_dst_node && !dst_node)
                dst_node = f->value;
        }
        add_field(current, tvb, f, fields, field_count, captured);
    }
    if (!first_tree) {
        first_item = proto_tree_add_item(tree, proto_flannel, tvb, 0, 0, ENC_NA);
        first_tree = proto_item_add_subtree(first_item, ett_flannel);
    }
    if (src_node || dst_node) {
        proto_item_append_text(first_item, ", %s > %s", src_node ? src_node : "?", dst_node ? dst_node : "?");
        col_append_fstr(pinfo->cinfo, COL_INFO, " [%s > %s]", src_node ? src_node : "?",
                        dst_node ? dst_node : "?");
    }
    if (context_problem)
        proto_tree_add_expert_format(first_tree, pinfo, &ei_preference, tvb, 0, 0, "%s", context_problem);
    for (guint32 i = 0; kept && i < kept->count; i++) {
        const kept_note *k = &kept->notes[i];
        proto_tree_add_expert_format(first_tree, pinfo, k->ei, tvb, (gint)k->offset, (gint)k->length, "%s",
                                     k->message);
    }
    return (int)captured;
}

/* ---- Registration. */

static void register_protoinfo(void)
{
    static gint *ett[] = {&ett_flannel};
    proto_flannel = proto_register_protocol("Flannel (vxscope)", "Flannel", "flannel");
    register_fields();
    proto_register_subtree_array(ett, array_length(ett));
    register_experts();

    module_t *module = prefs_register_protocol(proto_flannel, prefs_changed);
    prefs_register_filename_preference(
        module, "nodes", "Nodes (kubectl get nodes -o json)",
        "The output of kubectl get nodes -o json: node names, pod subnets, addresses, flannel's annotations",
        &pref_nodes, FALSE);
    prefs_register_filename_preference(module, "pods", "Pods (kubectl get pods -o wide, or -o json)",
                                       "A pod list: pod names, and which node owns which pod subnet", &pref_pods,
                                       FALSE);
    prefs_register_string_preference(
        module, "node_info", "Node outputs ([NODE=]FILE, comma-separated)",
        "Files of what was pasted from nodes (ip -d link show flannel.1, bridge fdb show, ip neigh, ip route, "
        "/run/flannel/subnet.env), each as [NODE=]FILE, as vxscope --node-info takes them",
        &pref_node_info);
    range_convert_str(wmem_epan_scope(), &pref_ports, "4789,8472", 65535);
    prefs_register_range_preference(module, "udp_ports", "VXLAN UDP ports",
                                    "UDP ports decoded as VXLAN by Wireshark's vxlan dissector, with a flannel tree",
                                    &pref_ports, 65535);

    register_init_routine(init_capture);
    register_cleanup_routine(cleanup_capture);
}

/* Wireshark's own VXLAN dissector: registered by name in some releases; in 4.0 only as the handle of protocol
 * "vxlan" in the udp.port table (where Decode As finds it). */
static dissector_handle_t find_vxlan(void)
{
    dissector_handle_t found = find_dissector("vxlan");
    dissector_table_t udp = find_dissector_table("udp.port");
    int proto_vxlan = proto_get_id_by_filter_name("vxlan");
    if (found || !udp || proto_vxlan < 0)
        return found;
    /* The table's own list: not ours to free. */
    for (GSList *h = dissector_table_get_dissector_handles(udp); h && !found; h = h->next)
        if (dissector_handle_get_protocol_index((dissector_handle_t)h->data) == proto_vxlan)
            found = (dissector_handle_t)h->data;
    return found;
}

static void register_handoff(void)
{
    ports_given = g_array_new(FALSE, FALSE, sizeof(guint32));
    vxlan_handle = find_vxlan();
    if (!vxlan_handle)
        ws_warning("Wireshark has no \"vxlan\" dissector: UDP 8472 is not decoded as VXLAN");
    give_ports();
    register_postdissector(create_dissector_handle(dissect_flannel, proto_flannel));
}

/* Called from plugin_register (wireshark/src/lib.rs). */
void vxws_plugin_register(void);
void vxws_plugin_register(void)
{
    static proto_plugin plugin;
    plugin.register_protoinfo = register_protoinfo;
    plugin.register_handoff = register_handoff;
    proto_register_plugin(&plugin);
}
