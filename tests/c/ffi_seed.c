/*
 * The seed packet through the C ABI: a ping from pod 10.244.1.12 on k8s-node1 to pod 10.244.2.14 on
 * k8s-node2, encapsulated by flannel (VXLAN on UDP 8472, VNI 1) and captured on k8s-node1's NIC. Checks the
 * summary, fields, layers and notes against the bytes, the bulk arrays against the accessors, the bare-payload
 * call, reuse of a dissection, the flannel topology from node outputs (text) and from `kubectl get nodes -o
 * json` (a file, argv[1]), a session's diagnoses, the registries, the plugin descriptor, and one context shared
 * by four threads.
 *
 * Built and run by tests/ffi_c.rs with samples/flannel/nodes.json as argument (linked against libvxscope.so,
 * and against libvxscope.a), also under valgrind. Exits 0 when every check holds; prints each failed check.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxscope.h"
#include "common.h"

#define OK(call)                                                                                         \
    do {                                                                                                 \
        vxscope_status s_ = (call);                                                                      \
        if (s_ != VXSCOPE_OK) {                                                                          \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call, s_,             \
                    vxscope_last_error());                                                               \
            exit(2);                                                                                     \
        }                                                                                                \
    } while (0)

static const char SUMMARY[] =
    "172.16.100.101:40592 > 172.16.100.102:8472 VXLAN vni 1 | 10.244.1.12 > 10.244.2.14 ICMP echo request "
    "id 3143 seq 1102, ttl 63";

/* The first field named `abbrev`, which must exist. */
static vxscope_field field(const vxscope_dissection *d, const char *abbrev) {
    size_t index = 0;
    vxscope_field f;
    memset(&f, 0, sizeof f);
    if (vxscope_dissection_find_field(d, abbrev, 0, &index) != VXSCOPE_OK) {
        fprintf(stderr, "no field %s: %s\n", abbrev, vxscope_last_error());
        failures++;
        return f;
    }
    OK(vxscope_dissection_field(d, index, &f));
    CHECK(strcmp(f.abbrev, abbrev) == 0);
    return f;
}

static void check_uint(const vxscope_dissection *d, const char *abbrev, uint64_t value, const char *text,
                       uint32_t offset, uint32_t length) {
    vxscope_field f = field(d, abbrev);
    if (!f.has_int || f.value_int != value || strcmp(f.value, text) != 0 || f.value_len != strlen(text) ||
        f.offset != offset || f.length != length) {
        fprintf(stderr, "%s: got %s (int %llu, has_int %d) @%u+%u, want %s (%llu) @%u+%u\n", abbrev, f.value,
                (unsigned long long)f.value_int, f.has_int, f.offset, f.length, text, (unsigned long long)value,
                offset, length);
        failures++;
    }
}

static void check_text(const vxscope_dissection *d, const char *abbrev, const char *text, uint32_t value_type,
                       uint32_t offset, uint32_t length) {
    vxscope_field f = field(d, abbrev);
    if (f.has_int || f.value_type != value_type || strcmp(f.value, text) != 0 || f.offset != offset ||
        f.length != length) {
        fprintf(stderr, "%s: got %s (type %u) @%u+%u, want %s (type %u) @%u+%u\n", abbrev, f.value,
                f.value_type, f.offset, f.length, text, value_type, offset, length);
        failures++;
    }
}

static void check_frame(const vxscope_dissection *d) {
    const char *summary = NULL;
    size_t summary_len = 0;
    OK(vxscope_dissection_summary(d, &summary, &summary_len));
    CHECK(strcmp(summary, SUMMARY) == 0);
    CHECK(summary_len == strlen(SUMMARY));

    /* Outer Ethernet, IPv4, UDP. */
    check_text(d, "eth.dst", "00:50:56:93:63:3b", VXSCOPE_VALUE_MAC, 0, 6);
    check_text(d, "eth.src", "00:50:56:93:6a:3a", VXSCOPE_VALUE_MAC, 6, 6);
    check_uint(d, "eth.type", 0x0800, "0x0800", 12, 2);
    check_uint(d, "ip.ttl", 64, "64", 22, 1);
    check_uint(d, "ip.checksum", 0xe3f4, "0xe3f4", 24, 2);
    check_text(d, "ip.checksum.status", "good", VXSCOPE_VALUE_TEXT, 24, 0);
    check_text(d, "ip.src", "172.16.100.101", VXSCOPE_VALUE_IPV4, 26, 4);
    check_text(d, "ip.dst", "172.16.100.102", VXSCOPE_VALUE_IPV4, 30, 4);
    check_uint(d, "udp.srcport", 40592, "40592", 34, 2);
    check_uint(d, "udp.dstport", 8472, "8472", 36, 2);
    check_uint(d, "udp.length", 114, "114", 38, 2);
    /* VXLAN: flags 0x08 (I), VNI 1. */
    check_uint(d, "vxlan.flags", 8, "0x08", 42, 1);
    check_uint(d, "vxlan.flag_i", 1, "true", 42, 1);
    check_uint(d, "vxlan.flag_g", 0, "false", 42, 1);
    check_uint(d, "vxlan.vni", 1, "1", 46, 3);
    /* The encapsulated frame. */
    check_text(d, "inner.eth.dst", "b6:72:ae:36:7b:6c", VXSCOPE_VALUE_MAC, 50, 6);
    check_text(d, "inner.eth.src", "fe:90:c4:18:69:a7", VXSCOPE_VALUE_MAC, 56, 6);
    check_uint(d, "inner.ip.ttl", 63, "63", 72, 1);
    check_uint(d, "inner.ip.flags.df", 1, "true", 70, 1);
    check_text(d, "inner.ip.src", "10.244.1.12", VXSCOPE_VALUE_IPV4, 76, 4);
    check_text(d, "inner.ip.dst", "10.244.2.14", VXSCOPE_VALUE_IPV4, 80, 4);
    check_uint(d, "inner.icmp.type", 8, "8", 84, 1);
    check_uint(d, "inner.icmp.checksum", 0x847d, "0x847d", 86, 2);
    check_text(d, "inner.icmp.checksum.status", "good", VXSCOPE_VALUE_TEXT, 86, 0);
    check_uint(d, "inner.icmp.ident", 3143, "3143", 88, 2);
    check_uint(d, "inner.icmp.seq", 1102, "1102", 90, 2);
    /* The ping payload: 56 bytes from offset 92, a timestamp then zeros. */
    vxscope_field data = field(d, "inner.icmp.data");
    CHECK(data.value_type == VXSCOPE_VALUE_BYTES && data.kind == VXSCOPE_KIND_BYTES);
    CHECK(data.offset == 92 && data.length == 56 && data.value_len == 112);
    CHECK(strncmp(data.value, "0d1e55cf00000000", 16) == 0);

    vxscope_field type = field(d, "eth.type");
    CHECK(type.value_name != NULL && strcmp(type.value_name, "IPv4") == 0);
    CHECK(type.kind == VXSCOPE_KIND_UINT16 && type.base == VXSCOPE_BASE_HEX);
    CHECK(type.depth == 0 && type.scope == 0 && type.level == 0);
    vxscope_field vni = field(d, "vxlan.vni");
    CHECK(vni.kind == VXSCOPE_KIND_UINT24 && vni.base == VXSCOPE_BASE_DEC && vni.value_name == NULL);
    vxscope_field inner_ttl = field(d, "inner.ip.ttl");
    CHECK(inner_ttl.depth == 1 && inner_ttl.scope != 0);
    CHECK(strcmp(inner_ttl.name, "Time to live") == 0);
    vxscope_field flag_i = field(d, "vxlan.flag_i");
    CHECK(flag_i.level == 1 && flag_i.value_type == VXSCOPE_VALUE_BOOL && flag_i.kind == VXSCOPE_KIND_BOOL);

    /* A field's registry row names it without prefix; id and scope name the full abbreviation. */
    vxscope_field_def def;
    OK(vxscope_registry_field(inner_ttl.id, &def));
    CHECK(strcmp(def.abbrev, "ip.ttl") == 0 && def.kind == VXSCOPE_KIND_UINT8);
    CHECK(field(d, "ip.ttl").id == inner_ttl.id);

    /* Layers, outermost first: eth ip udp vxlan | inner eth ip icmp, then flannel's computed fields. */
    static const char *const LAYERS[] = {"eth",       "ip",       "udp",        "vxlan",
                                         "inner.eth", "inner.ip", "inner.icmp", "flannel"};
    static const uint32_t OFFSETS[] = {0, 14, 34, 42, 50, 64, 84, 42};
    vxscope_counts n;
    OK(vxscope_dissection_counts(d, &n));
    CHECK(n.layers == 8);
    CHECK(n.fields > 50);
    for (size_t i = 0; i < n.layers && i < 8; i++) {
        vxscope_layer l;
        OK(vxscope_dissection_layer(d, i, &l));
        if (strcmp(l.abbrev, LAYERS[i]) != 0 || l.offset != OFFSETS[i]) {
            fprintf(stderr, "layer %zu: got %s @%u, want %s @%u\n", i, l.abbrev, l.offset, LAYERS[i], OFFSETS[i]);
            failures++;
        }
        CHECK(l.depth == (i >= 4 && i < 7 ? 1u : 0u));
    }
    vxscope_layer flannel;
    OK(vxscope_dissection_layer(d, 7, &flannel));
    CHECK(flannel.length == 0 && strcmp(flannel.name, "Flannel") == 0);
    /* What flannel's defaults say without any topology: 10.244.X.0/24 a node. */
    check_text(d, "flannel.src_pod_subnet", "10.244.1.0/24", VXSCOPE_VALUE_IPNET, 76, 0);
    check_text(d, "flannel.dst_pod_subnet", "10.244.2.0/24", VXSCOPE_VALUE_IPNET, 80, 0);
    check_text(d, "flannel.src_role", "pod", VXSCOPE_VALUE_TEXT, 76, 0);
    CHECK(field(d, "flannel.src_pod_subnet").kind == VXSCOPE_KIND_IPNET);
    vxscope_layer vxlan;
    OK(vxscope_dissection_layer(d, 3, &vxlan));
    CHECK(strcmp(vxlan.name, "Virtual eXtensible Local Area Network") == 0 && vxlan.length == 8);
    /* Every field belongs to a layer, and lies within the frame. */
    for (size_t i = 0; i < n.fields; i++) {
        vxscope_field f;
        OK(vxscope_dissection_field(d, i, &f));
        CHECK(f.layer < n.layers);
        CHECK(f.offset + f.length <= sizeof SEED);
        CHECK(f.value != NULL && strlen(f.value) == f.value_len);
    }

    /* One note: UDP 8472, which tcpdump 4.99 reads as OTV. */
    CHECK(n.notes == 1);
    vxscope_note note;
    OK(vxscope_dissection_note(d, 0, &note));
    CHECK(strcmp(note.code, "vxlan.port_8472") == 0);
    CHECK(note.severity == VXSCOPE_SEVERITY_CHAT);
    CHECK(note.offset == 42 && note.length == 8);
    CHECK(strstr(note.message, "\"OTV, flags [I] (0x08), overlay 0, instance 1\", which is VXLAN VNI 1") != NULL);
    CHECK(strlen(note.message) == note.message_len);
    CHECK(strstr(note.advice, "tshark -d udp.port==8472,vxlan") != NULL);
}

/* The arrays hold the records the accessors return, one by one. */
static void check_arrays(const vxscope_dissection *d) {
    vxscope_counts n;
    OK(vxscope_dissection_counts(d, &n));
    const vxscope_layer *layers;
    const vxscope_field *fields;
    const vxscope_note *notes;
    size_t nl, nf, nn;
    OK(vxscope_dissection_layers(d, &layers, &nl));
    OK(vxscope_dissection_fields(d, &fields, &nf));
    OK(vxscope_dissection_notes(d, &notes, &nn));
    CHECK(nl == n.layers && nf == n.fields && nn == n.notes);
    for (size_t i = 0; i < nf; i++) {
        vxscope_field f;
        OK(vxscope_dissection_field(d, i, &f));
        CHECK(f.abbrev == fields[i].abbrev && f.value == fields[i].value && f.offset == fields[i].offset);
        CHECK(f.value_int == fields[i].value_int && f.has_int == fields[i].has_int);
    }
    for (size_t i = 0; i < nl; i++) {
        vxscope_layer l;
        OK(vxscope_dissection_layer(d, i, &l));
        CHECK(l.abbrev == layers[i].abbrev && l.offset == layers[i].offset && l.length == layers[i].length);
    }
    for (size_t i = 0; i < nn; i++) {
        vxscope_note note;
        OK(vxscope_dissection_note(d, i, &note));
        CHECK(note.code == notes[i].code && note.message == notes[i].message);
    }
}

/* What k8s-node1 showed the article's author (arp -n, route -n), as pasted. */
static const char NODE1_OUTPUTS[] =
    "[root@k8s-node1 ~]# arp -n\n"
    "10.244.2.0               ether   b6:72:Ae:36:7b:6c   CM                    flannel.1\n"
    "10.244.0.0               ether   6e:f8:85:d7:09:17   CM                    flannel.1\n"
    "[root@k8s-node1 ~]# route -n\n"
    "Kernel IP routing table\n"
    "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n"
    "0.0.0.0         172.16.100.254  0.0.0.0         UG    100    0        0 ens192\n"
    "10.244.0.0      10.244.0.0      255.255.255.0   UG    0      0        0 flannel.1\n"
    "10.244.1.0      0.0.0.0         255.255.255.0   U     0      0        0 cni0\n"
    "10.244.2.0      10.244.2.0      255.255.255.0   UG    0      0        0 flannel.1\n"
    "172.16.100.0    0.0.0.0         255.255.255.0   U     100    0        0 ens192\n";

/* The topology from node outputs (text) and from a nodes JSON file names the seed's nodes. */
static void check_topology(const char *nodes_json) {
    vxscope_options *opts = NULL;
    vxscope_context *ctx = NULL;
    vxscope_dissection *d = NULL;
    OK(vxscope_options_new(&opts));
    OK(vxscope_options_add_node_info(opts, NODE1_OUTPUTS, strlen(NODE1_OUTPUTS), "node1.txt", NULL));
    OK(vxscope_context_new(opts, &ctx));
    OK(vxscope_options_free(opts));
    OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, SEED, sizeof SEED, sizeof SEED, &d));
    /* The shell prompt named the node; its route table says which subnet is its own. */
    check_text(d, "flannel.src_subnet_node", "k8s-node1", VXSCOPE_VALUE_TEXT, 76, 0);
    OK(vxscope_context_free(ctx));

    OK(vxscope_options_new(&opts));
    OK(vxscope_options_add_nodes_json_file(opts, nodes_json));
    OK(vxscope_context_new(opts, &ctx));
    OK(vxscope_options_free(opts));
    /* The dissection made with the first context is reused with the second. */
    OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, SEED, sizeof SEED, sizeof SEED, &d));
    check_text(d, "flannel.src_node", "k8s-node1", VXSCOPE_VALUE_TEXT, 26, 0);
    check_text(d, "flannel.dst_node", "k8s-node2", VXSCOPE_VALUE_TEXT, 30, 0);
    check_text(d, "flannel.dst_vtep_node", "k8s-node2", VXSCOPE_VALUE_TEXT, 50, 0);
    const char *summary;
    OK(vxscope_dissection_summary(d, &summary, NULL));
    CHECK(strncmp(summary, "k8s-node1 > k8s-node2 VXLAN vni 1 | 10.244.1.12 > 10.244.2.14 ICMP", 66) == 0);
    check_arrays(d);
    /* A dissection that records only the summary line's fields gives the same line. */
    vxscope_dissection *lean = NULL;
    OK(vxscope_dissection_new_recording(NULL, 0, true, &lean));
    OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, SEED, sizeof SEED, sizeof SEED, &lean));
    const char *lean_summary;
    OK(vxscope_dissection_summary(lean, &lean_summary, NULL));
    CHECK(strcmp(lean_summary, summary) == 0);
    vxscope_counts all_counts, lean_counts;
    OK(vxscope_dissection_counts(d, &all_counts));
    OK(vxscope_dissection_counts(lean, &lean_counts));
    CHECK(lean_counts.fields < all_counts.fields && lean_counts.notes == all_counts.notes);
    OK(vxscope_dissection_free(lean));
    OK(vxscope_dissection_free(d));
    OK(vxscope_context_free(ctx));
}

/* The note of a frame with this code, or NULL. */
static const char *note_message(const vxscope_dissection *d, const char *code) {
    const vxscope_note *notes;
    size_t count;
    OK(vxscope_dissection_notes(d, &notes, &count));
    for (size_t i = 0; i < count; i++)
        if (strcmp(notes[i].code, code) == 0)
            return notes[i].message;
    return NULL;
}

/* A session compares packets: after the seed (VNI 1), the same packet with VNI 2 differs from the capture. */
static void check_session(const vxscope_context *ctx) {
    uint8_t vni2[sizeof SEED];
    memcpy(vni2, SEED, sizeof SEED);
    vni2[48] = 2;
    vxscope_session *session = NULL;
    vxscope_dissection *d = NULL;
    OK(vxscope_session_new(ctx, &session));
    OK(vxscope_session_dissect(session, VXSCOPE_LINKTYPE_ETHERNET, SEED, sizeof SEED, sizeof SEED, &d));
    CHECK(note_message(d, "flannel.vni_mismatch") == NULL);
    OK(vxscope_session_dissect(session, VXSCOPE_LINKTYPE_ETHERNET, vni2, sizeof vni2, sizeof vni2, &d));
    const char *message = note_message(d, "flannel.vni_mismatch");
    CHECK(message != NULL && strstr(message, "earlier packets of this capture") != NULL);
    check_uint(d, "vxlan.vni", 2, "2", 46, 3);
    /* Without a session, one packet alone says nothing of the others. */
    OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, vni2, sizeof vni2, sizeof vni2, &d));
    CHECK(note_message(d, "flannel.vni_mismatch") == NULL);
    /* Decoded apart, then learned from by a session: the same note as through the session, once. */
    vxscope_session *learning = NULL;
    vxscope_dissection *first = NULL;
    OK(vxscope_session_new(ctx, &learning));
    OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, SEED, sizeof SEED, sizeof SEED, &first));
    OK(vxscope_session_learn(learning, first));
    CHECK(vxscope_session_learn(learning, first) == VXSCOPE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(vxscope_last_error(), "vxscope_session_learn") != NULL);
    OK(vxscope_session_learn(learning, d));
    message = note_message(d, "flannel.vni_mismatch");
    CHECK(message != NULL && strstr(message, "earlier packets of this capture") != NULL);
    OK(vxscope_session_free(learning));
    OK(vxscope_dissection_free(first));
    OK(vxscope_session_free(session));
    OK(vxscope_dissection_free(d));
}

/* Four threads dissect with one context, each with its own dissection. */
static void *worker(void *arg) {
    const vxscope_context *ctx = arg;
    vxscope_dissection *d = NULL;
    for (int i = 0; i < 200; i++) {
        OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, SEED, sizeof SEED, sizeof SEED, &d));
        size_t index;
        vxscope_field f;
        OK(vxscope_dissection_find_field(d, "inner.icmp.seq", 0, &index));
        OK(vxscope_dissection_field(d, index, &f));
        if (f.value_int != 1102)
            return (void *)1;
    }
    OK(vxscope_dissection_free(d));
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s samples/flannel/nodes.json\n", argv[0]);
        return 2;
    }
    CHECK(vxscope_abi_version() == VXSCOPE_ABI_VERSION);
    CHECK(strlen(vxscope_version()) > 0);
    CHECK(strcmp(vxscope_last_error(), "") == 0);

    vxscope_context *ctx = NULL;
    vxscope_dissection *d = NULL;
    OK(vxscope_context_new(NULL, &ctx));
    CHECK(ctx != NULL);

    /* The frame is copied: scribbling over the caller's buffer afterwards changes nothing. */
    uint8_t *copy = malloc(sizeof SEED);
    memcpy(copy, SEED, sizeof SEED);
    OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, copy, sizeof SEED, sizeof SEED, &d));
    memset(copy, 0xff, sizeof SEED);
    free(copy);
    CHECK(d != NULL);
    check_frame(d);
    check_arrays(d);

    /* Reused for another frame (a bare payload), then for the seed again: the same handle each time. */
    vxscope_dissection *first = d;
    OK(vxscope_dissect_vxlan_payload(ctx, SEED + 42, sizeof SEED - 42, &d));
    CHECK(d == first);
    check_uint(d, "vxlan.vni", 1, "1", 4, 3);
    check_text(d, "inner.ip.src", "10.244.1.12", VXSCOPE_VALUE_IPV4, 34, 4);
    vxscope_layer l0;
    OK(vxscope_dissection_layer(d, 0, &l0));
    CHECK(strcmp(l0.abbrev, "vxlan") == 0 && l0.offset == 0);
    vxscope_counts pn;
    OK(vxscope_dissection_counts(d, &pn));
    CHECK(pn.notes == 0); /* No UDP port, so no note about 8472. */
    OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, SEED, sizeof SEED, sizeof SEED, &d));
    CHECK(d == first);
    check_frame(d);

    /* The same frame with 8472 read as OTV, as tcpdump 4.99 prints it. */
    vxscope_options *opts = NULL;
    vxscope_context *otv = NULL;
    OK(vxscope_options_new(&opts));
    OK(vxscope_options_set_decode_as_otv(opts, true));
    OK(vxscope_context_new(opts, &otv));
    OK(vxscope_options_free(opts)); /* The context copied them. */
    vxscope_dissection *od = NULL;
    OK(vxscope_dissect(otv, VXSCOPE_LINKTYPE_ETHERNET, SEED, sizeof SEED, sizeof SEED, &od));
    check_uint(od, "otv.instance", 1, "1", 46, 3);
    check_uint(od, "otv.overlay", 0, "0", 43, 3);
    const char *otv_summary;
    OK(vxscope_dissection_summary(od, &otv_summary, NULL));
    CHECK(strstr(otv_summary, " OTV overlay 0 instance 1 | 10.244.1.12 > 10.244.2.14 ICMP") != NULL);
    OK(vxscope_dissection_free(od));
    OK(vxscope_context_free(otv));

    /* An extra VXLAN port: the seed's UDP header moved to 4790 + 1 is dissected only with it added. */
    uint8_t moved[sizeof SEED];
    memcpy(moved, SEED, sizeof SEED);
    moved[36] = 0x12, moved[37] = 0xbf; /* destination port 4799 */
    vxscope_dissection *md = NULL;
    size_t at;
    OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, moved, sizeof moved, sizeof moved, &md));
    CHECK(vxscope_dissection_find_field(md, "vxlan.vni", 0, &at) == VXSCOPE_ERR_NOT_FOUND);
    OK(vxscope_options_new(&opts));
    OK(vxscope_options_add_vxlan_port(opts, 4799));
    vxscope_context *extra = NULL;
    OK(vxscope_context_new(opts, &extra));
    OK(vxscope_options_free(opts));
    OK(vxscope_dissect(extra, VXSCOPE_LINKTYPE_ETHERNET, moved, sizeof moved, sizeof moved, &md));
    check_uint(md, "vxlan.vni", 1, "1", 46, 3);
    OK(vxscope_dissection_free(md));
    OK(vxscope_context_free(extra));

    /* The annotated hex dump, as vxscope hexdump writes it. */
    const char *dump = NULL;
    size_t dump_len = 0;
    OK(vxscope_dissection_hexdump(d, VXSCOPE_HEXDUMP_TEXT, VXSCOPE_LANG_EN, &dump, &dump_len));
    CHECK(strlen(dump) == dump_len);
    CHECK(strncmp(dump, "Frame 1, 148 bytes, link type EN10MB (1): ", 42) == 0);
    CHECK(strstr(dump, "\t0x0020:  6466 9e90 2118 0072 0000 0800 0000 0000  df..!..r........\n") != NULL);
    CHECK(strstr(dump, "udp.dstport 8472") != NULL);
    OK(vxscope_dissection_hexdump(d, VXSCOPE_HEXDUMP_HTML, VXSCOPE_LANG_ZH, &dump, NULL));
    CHECK(strncmp(dump, "<!DOCTYPE html>", 15) == 0);

    check_topology(argv[1]);
    check_session(ctx);

    /* The registries. */
    size_t nfields = vxscope_registry_field_count(), nnotes = vxscope_registry_note_count();
    CHECK(nfields > 100 && nnotes > 10);
    int found_vni = 0, found_port_note = 0;
    for (size_t i = 0; i < nfields; i++) {
        vxscope_field_def def;
        OK(vxscope_registry_field(i, &def));
        if (strcmp(def.abbrev, "vxlan.vni") == 0)
            found_vni = def.kind == VXSCOPE_KIND_UINT24 && strcmp(def.name, "VNI") == 0;
    }
    for (size_t i = 0; i < nnotes; i++) {
        vxscope_note_def def;
        OK(vxscope_registry_note(i, &def));
        if (strcmp(def.code, "vxlan.port_8472") == 0)
            found_port_note = def.severity == VXSCOPE_SEVERITY_CHAT && strstr(def.message_template, "{0}");
    }
    CHECK(found_vni && found_port_note);

    /* The plugin descriptor points at these very functions. */
    const vxscope_plugin *p = vxscope_plugin_v1();
    CHECK(p->abi_version == VXSCOPE_ABI_VERSION && p->struct_size == sizeof(vxscope_plugin));
    CHECK(strcmp(p->name, "vxscope") == 0 && strcmp(p->version, vxscope_version()) == 0);
    CHECK(p->vxlan_port_count == 2 && p->vxlan_ports[0] == 8472 && p->vxlan_ports[1] == 4789);
    CHECK(p->gpe_port_count == 1 && p->gpe_ports[0] == 4790);
    CHECK(p->field_record_size == sizeof(vxscope_field) && p->layer_record_size == sizeof(vxscope_layer));
    CHECK(p->note_record_size == sizeof(vxscope_note) && p->counts_size == sizeof(vxscope_counts));
    CHECK(p->dissect == vxscope_dissect && p->dissection_field == vxscope_dissection_field);
    CHECK(p->registry_note == vxscope_registry_note && p->last_error == vxscope_last_error);
    CHECK(p->session_dissect == vxscope_session_dissect && p->dissection_fields == vxscope_dissection_fields);
    CHECK(p->options_add_nodes_json == vxscope_options_add_nodes_json);

    /* The layout the library describes is the header's, member by member: every entry of vxscope_layout() names a
     * member this compiler places at the same offset with the same size. */
    const vxscope_member *layout = NULL;
    size_t layout_len = 0;
    CHECK(vxscope_layout(&layout, &layout_len) == VXSCOPE_OK);
    CHECK(layout == p->layout && layout_len == p->layout_len);
#define MEMBER(type, member) {#type, #member, offsetof(type, member), sizeof(((type *)0)->member)}
    static const struct {
        const char *record, *member;
        size_t offset, size;
    } known[] = {
        MEMBER(vxscope_counts, notes),
        MEMBER(vxscope_layer, length),
        MEMBER(vxscope_field, value_len),
        MEMBER(vxscope_field, value_int),
        MEMBER(vxscope_field, has_int),
        MEMBER(vxscope_note, severity),
        MEMBER(vxscope_field_def, mask),
        MEMBER(vxscope_note_def, severity),
        MEMBER(vxscope_plugin, name),
        MEMBER(vxscope_plugin, dissection_fields),
        MEMBER(vxscope_plugin, dissection_notes),
        MEMBER(vxscope_plugin, registry_note),
        MEMBER(vxscope_plugin, layout_len),
        MEMBER(vxscope_plugin, session_learn),
    };
#undef MEMBER
    size_t plugin_members = 0;
    for (size_t i = 0; i < layout_len; i++) {
        plugin_members += strcmp(layout[i].record, "vxscope_plugin") == 0;
    }
    CHECK(plugin_members == 53);
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        int found = 0;
        for (size_t i = 0; i < layout_len; i++) {
            if (strcmp(layout[i].record, known[k].record) == 0 && strcmp(layout[i].member, known[k].member) == 0) {
                found++;
                CHECK(layout[i].offset == known[k].offset && layout[i].size == known[k].size);
            }
        }
        CHECK(found == 1);
    }
    CHECK(vxscope_layout(NULL, &layout_len) == VXSCOPE_ERR_NULL_POINTER);

    /* One context, four threads. */
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&threads[i], NULL, worker, ctx) == 0);
    for (int i = 0; i < 4; i++) {
        void *result = (void *)1;
        CHECK(pthread_join(threads[i], &result) == 0);
        CHECK(result == NULL);
    }

    OK(vxscope_dissection_free(d));
    OK(vxscope_context_free(ctx));
    if (failures) {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    printf("ffi_seed: all checks passed\n");
    return 0;
}
