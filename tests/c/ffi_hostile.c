/*
 * Hostile calls through the C ABI: NULL for every pointer argument, length 0, frames longer than the limit,
 * more than 64 KiB of garbage on every link type, the seed packet cut at every length, indexes out of range,
 * one kind of handle passed where another is expected. Every misuse must return its error code and leave a
 * message naming the function; nothing may crash, leak or read out of bounds (run under valgrind too).
 *
 * Built and run by tests/ffi_c.rs. Exits 0 when every check holds; prints each failed check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxscope.h"
#include "common.h"

/* `call` returns `status`, and the error message names `function`. */
#define EXPECT(status, function, call)                                                                    \
    do {                                                                                                  \
        vxscope_status s_ = (call);                                                                       \
        if (s_ != (status)) {                                                                             \
            fprintf(stderr, "%s:%d: %s returned %d, expected %d (%s)\n", __FILE__, __LINE__, #call, s_,  \
                    (int)(status), vxscope_last_error());                                                 \
            failures++;                                                                                   \
        } else if ((status) != VXSCOPE_OK && strncmp(vxscope_last_error(), function ": ",                 \
                                                     strlen(function ": ")) != 0) {                       \
            fprintf(stderr, "%s:%d: message \"%s\" does not name %s\n", __FILE__, __LINE__,              \
                    vxscope_last_error(), function);                                                      \
            failures++;                                                                                   \
        }                                                                                                 \
    } while (0)

#define OK(call) EXPECT(VXSCOPE_OK, "", call)

/* Reads everything a dissection holds, checking that each string is as long as it says. */
static void read_all(const vxscope_dissection *d, size_t frame_len) {
    vxscope_counts n;
    OK(vxscope_dissection_counts(d, &n));
    const char *summary = NULL;
    size_t summary_len = 0;
    OK(vxscope_dissection_summary(d, &summary, &summary_len));
    CHECK(summary != NULL && strlen(summary) == summary_len && summary_len > 0);
    for (size_t i = 0; i < n.layers; i++) {
        vxscope_layer l;
        OK(vxscope_dissection_layer(d, i, &l));
        CHECK(l.abbrev != NULL && l.name != NULL && l.offset <= frame_len);
    }
    for (size_t i = 0; i < n.fields; i++) {
        vxscope_field f;
        OK(vxscope_dissection_field(d, i, &f));
        CHECK(f.abbrev != NULL && f.name != NULL && f.value != NULL && strlen(f.value) == f.value_len);
        CHECK(f.layer < n.layers && (uint64_t)f.offset + f.length <= frame_len);
        CHECK(f.scope < VXSCOPE_SCOPE_LIMIT);
    }
    for (size_t i = 0; i < n.notes; i++) {
        vxscope_note note;
        OK(vxscope_dissection_note(d, i, &note));
        CHECK(note.code != NULL && note.message != NULL && strlen(note.message) == note.message_len);
        CHECK(note.advice != NULL && note.severity <= VXSCOPE_SEVERITY_ERROR);
    }
}

static uint32_t lcg_state = 12345;
static uint8_t next_byte(void) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (uint8_t)(lcg_state >> 16);
}

int main(void) {
    vxscope_options *opts = NULL;
    vxscope_context *ctx = NULL;
    vxscope_dissection *d = NULL;
    OK(vxscope_options_new(&opts));
    OK(vxscope_context_new(opts, &ctx));

    /* NULL where a pointer is required. */
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_new", vxscope_options_new(NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_add_vxlan_port", vxscope_options_add_vxlan_port(NULL, 1));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_add_gpe_port", vxscope_options_add_gpe_port(NULL, 1));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_set_decode_as_otv",
           vxscope_options_set_decode_as_otv(NULL, true));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_set_gbp", vxscope_options_set_gbp(NULL, true));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_context_new", vxscope_context_new(opts, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_context_new", vxscope_context_new(NULL, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissect", vxscope_dissect(NULL, 1, SEED, sizeof SEED, 148, &d));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissect", vxscope_dissect(ctx, 1, NULL, sizeof SEED, 148, &d));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissect", vxscope_dissect(ctx, 1, SEED, sizeof SEED, 148, NULL));
    CHECK(d == NULL); /* Failed calls leave *out alone. */
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissect_vxlan_payload",
           vxscope_dissect_vxlan_payload(NULL, SEED + 42, 106, &d));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissect_vxlan_payload",
           vxscope_dissect_vxlan_payload(ctx, NULL, 106, &d));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissect_vxlan_payload",
           vxscope_dissect_vxlan_payload(ctx, SEED + 42, 106, NULL));
    CHECK(d == NULL);
    vxscope_counts n;
    vxscope_field f;
    vxscope_layer l;
    vxscope_note note;
    const char *text;
    size_t index;
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_counts", vxscope_dissection_counts(NULL, &n));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_summary", vxscope_dissection_summary(NULL, &text, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_layer", vxscope_dissection_layer(NULL, 0, &l));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_field", vxscope_dissection_field(NULL, 0, &f));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_note", vxscope_dissection_note(NULL, 0, &note));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_find_field",
           vxscope_dissection_find_field(NULL, "ip.src", 0, &index));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_registry_field", vxscope_registry_field(0, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_registry_note", vxscope_registry_note(0, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_hexdump",
           vxscope_dissection_hexdump(NULL, VXSCOPE_HEXDUMP_TEXT, VXSCOPE_LANG_EN, &text, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_layers", vxscope_dissection_layers(NULL, NULL, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_fields", vxscope_dissection_fields(NULL, NULL, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_notes", vxscope_dissection_notes(NULL, NULL, NULL));
    /* The topology's sources and sessions. */
    static const char JSON[] = "{\"kind\":\"List\",\"items\":[]}";
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_set_annotation_prefix",
           vxscope_options_set_annotation_prefix(NULL, "example.com"));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_set_annotation_prefix",
           vxscope_options_set_annotation_prefix(opts, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_add_nodes_json",
           vxscope_options_add_nodes_json(NULL, JSON, strlen(JSON), NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_add_nodes_json",
           vxscope_options_add_nodes_json(opts, NULL, 10, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_add_nodes_json_file",
           vxscope_options_add_nodes_json_file(opts, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_add_node_info",
           vxscope_options_add_node_info(opts, NULL, 0, NULL, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_add_node_info_file",
           vxscope_options_add_node_info_file(NULL, "node.txt", NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_add_pods", vxscope_options_add_pods(opts, NULL, 0, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_options_add_pods_file", vxscope_options_add_pods_file(opts, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_session_new", vxscope_session_new(NULL, &(vxscope_session *){NULL}));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_session_new", vxscope_session_new(ctx, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_session_dissect",
           vxscope_session_dissect(NULL, 1, SEED, sizeof SEED, 148, &d));
    /* Sources that cannot be read or parsed leave the options as they were. */
    EXPECT(VXSCOPE_ERR_PARSE, "vxscope_options_add_nodes_json",
           vxscope_options_add_nodes_json(opts, "{\"kind\":", 9, "broken.json"));
    CHECK(strstr(vxscope_last_error(), "broken.json") != NULL);
    EXPECT(VXSCOPE_ERR_PARSE, "vxscope_options_add_nodes_json",
           vxscope_options_add_nodes_json(opts, "{\"kind\":\"Pod\"}", 14, NULL));
    EXPECT(VXSCOPE_ERR_INVALID_ARGUMENT, "vxscope_options_add_node_info",
           vxscope_options_add_node_info(opts, "\xff\xfe", 2, NULL, NULL));
    EXPECT(VXSCOPE_ERR_IO, "vxscope_options_add_nodes_json_file",
           vxscope_options_add_nodes_json_file(opts, "/no/such/nodes.json"));
    CHECK(strstr(vxscope_last_error(), "/no/such/nodes.json") != NULL);
    EXPECT(VXSCOPE_ERR_IO, "vxscope_options_add_pods_file", vxscope_options_add_pods_file(opts, "/"));
    OK(vxscope_options_add_nodes_json(opts, JSON, strlen(JSON), NULL)); /* An empty list is fine. */
    EXPECT(VXSCOPE_ERR_PARSE, "vxscope_options_add_pods", vxscope_options_add_pods(opts, "", 0, NULL));
    /* Freeing NULL does nothing, as free(NULL) does. */
    OK(vxscope_options_free(NULL));
    OK(vxscope_context_free(NULL));
    OK(vxscope_session_free(NULL));
    OK(vxscope_dissection_free(NULL));

    /* With a dissection: NULL out-pointers, out-of-range indexes. */
    OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, SEED, sizeof SEED, sizeof SEED, &d));
    CHECK(d != NULL);
    OK(vxscope_dissection_counts(d, &n));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_counts", vxscope_dissection_counts(d, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_summary", vxscope_dissection_summary(d, NULL, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_layer", vxscope_dissection_layer(d, 0, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_field", vxscope_dissection_field(d, 0, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_note", vxscope_dissection_note(d, 0, NULL));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_find_field",
           vxscope_dissection_find_field(d, NULL, 0, &index));
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_dissection_find_field",
           vxscope_dissection_find_field(d, "ip.src", 0, NULL));
    EXPECT(VXSCOPE_ERR_OUT_OF_RANGE, "vxscope_dissection_layer", vxscope_dissection_layer(d, n.layers, &l));
    EXPECT(VXSCOPE_ERR_OUT_OF_RANGE, "vxscope_dissection_field", vxscope_dissection_field(d, n.fields, &f));
    EXPECT(VXSCOPE_ERR_OUT_OF_RANGE, "vxscope_dissection_field", vxscope_dissection_field(d, SIZE_MAX, &f));
    EXPECT(VXSCOPE_ERR_OUT_OF_RANGE, "vxscope_dissection_note", vxscope_dissection_note(d, n.notes, &note));
    EXPECT(VXSCOPE_ERR_OUT_OF_RANGE, "vxscope_registry_field",
           vxscope_registry_field(vxscope_registry_field_count(), &(vxscope_field_def){0}));
    EXPECT(VXSCOPE_ERR_OUT_OF_RANGE, "vxscope_registry_note",
           vxscope_registry_note(vxscope_registry_note_count(), &(vxscope_note_def){0}));
    EXPECT(VXSCOPE_ERR_NOT_FOUND, "vxscope_dissection_find_field",
           vxscope_dissection_find_field(d, "no.such.field", 0, &index));
    EXPECT(VXSCOPE_ERR_NOT_FOUND, "vxscope_dissection_find_field",
           vxscope_dissection_find_field(d, "ip.src", n.fields, &index));
    EXPECT(VXSCOPE_ERR_NOT_FOUND, "vxscope_dissection_find_field",
           vxscope_dissection_find_field(d, "", 0, &index));
    /* ip.src twice: the outer one, then after it none (the inner one is inner.ip.src). */
    OK(vxscope_dissection_find_field(d, "ip.src", 0, &index));
    EXPECT(VXSCOPE_ERR_NOT_FOUND, "vxscope_dissection_find_field",
           vxscope_dissection_find_field(d, "ip.src", index + 1, &index));

    EXPECT(VXSCOPE_ERR_INVALID_ARGUMENT, "vxscope_dissection_hexdump",
           vxscope_dissection_hexdump(d, 99, VXSCOPE_LANG_EN, &text, NULL));

    /* One kind of handle where another is expected. */
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_dissect",
           vxscope_dissect((const vxscope_context *)opts, 1, SEED, sizeof SEED, 148, &d));
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_dissection_counts",
           vxscope_dissection_counts((const vxscope_dissection *)ctx, &n));
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_options_set_gbp",
           vxscope_options_set_gbp((vxscope_options *)d, true));
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_context_new",
           vxscope_context_new((const vxscope_options *)ctx, &(vxscope_context *){NULL}));
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_context_free", vxscope_context_free((vxscope_context *)opts));
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_dissection_free", vxscope_dissection_free((vxscope_dissection *)ctx));
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_options_free", vxscope_options_free((vxscope_options *)d));
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_session_new",
           vxscope_session_new((const vxscope_context *)d, &(vxscope_session *){NULL}));
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_session_dissect",
           vxscope_session_dissect((vxscope_session *)ctx, 1, SEED, sizeof SEED, 148, &d));
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_session_free", vxscope_session_free((vxscope_session *)opts));
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_dissection_fields",
           vxscope_dissection_fields((const vxscope_dissection *)ctx, &(const vxscope_field *){NULL},
                                     &(size_t){0}));
    vxscope_dissection *not_a_dissection = (vxscope_dissection *)ctx;
    EXPECT(VXSCOPE_ERR_BAD_HANDLE, "vxscope_dissect",
           vxscope_dissect(ctx, 1, SEED, sizeof SEED, 148, &not_a_dissection));
    CHECK(not_a_dissection == (vxscope_dissection *)ctx);
    /* After all that, the handles still work. */
    read_all(d, sizeof SEED);
    OK(vxscope_options_set_gbp(opts, true));

    /* Length 0 is an empty frame; NULL bytes are accepted with it. Too long is an error. */
    OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, NULL, 0, 0, &d));
    OK(vxscope_dissection_counts(d, &n));
    CHECK(n.layers == 0 && n.fields == 0 && n.notes == 1);
    OK(vxscope_dissection_summary(d, &text, NULL));
    CHECK(strcmp(text, "(nothing decoded) [malformed.truncated]") == 0);
    OK(vxscope_dissect_vxlan_payload(ctx, NULL, 0, &d));
    read_all(d, 0);
    OK(vxscope_dissection_counts(d, &n));
    CHECK(n.notes == 1);
    OK(vxscope_dissection_note(d, 0, &note));
    CHECK(strcmp(note.code, "malformed.truncated") == 0);
    vxscope_dissection *before = d;
    uint8_t *huge = calloc(VXSCOPE_MAX_FRAME_LEN + 1, 1);
    EXPECT(VXSCOPE_ERR_TOO_LONG, "vxscope_dissect",
           vxscope_dissect(ctx, 1, huge, VXSCOPE_MAX_FRAME_LEN + 1, 0, &d));
    EXPECT(VXSCOPE_ERR_TOO_LONG, "vxscope_dissect_vxlan_payload",
           vxscope_dissect_vxlan_payload(ctx, huge, VXSCOPE_MAX_FRAME_LEN + 1, &d));
    CHECK(d == before);
    vxscope_dissection *fresh = NULL;
    EXPECT(VXSCOPE_ERR_TOO_LONG, "vxscope_dissect",
           vxscope_dissect(ctx, 1, huge, SIZE_MAX, 0, &fresh));
    CHECK(fresh == NULL);
    /* The longest accepted frame, all zeros: an 802.3 header and data. */
    OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, huge, VXSCOPE_MAX_FRAME_LEN, 0, &d));
    OK(vxscope_dissection_counts(d, &n));
    CHECK(n.layers >= 1);
    OK(vxscope_dissection_summary(d, &text, NULL));
    free(huge);

    /* More than 64 KiB of garbage, on every link type, and as a bare VXLAN payload. */
    enum { GARBAGE = 100000 };
    uint8_t *garbage = malloc(GARBAGE);
    static const uint32_t LINKS[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 0xffffffffu};
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < GARBAGE; i++)
            garbage[i] = next_byte();
        if (round >= 2) /* A plausible start, garbage after it. */
            memcpy(garbage, SEED, round == 2 ? 50 : 92);
        for (size_t k = 0; k < sizeof LINKS / sizeof LINKS[0]; k++) {
            OK(vxscope_dissect(ctx, LINKS[k], garbage, GARBAGE, GARBAGE + 7, &d));
            read_all(d, GARBAGE);
            OK(vxscope_dissect(ctx, LINKS[k], garbage, GARBAGE, 3, &d));
            read_all(d, GARBAGE);
        }
        OK(vxscope_dissect_vxlan_payload(ctx, garbage + 42, GARBAGE - 42, &d));
        read_all(d, GARBAGE - 42);
    }
    free(garbage);

    /* Garbage through a session, which learns from whatever it sees. */
    vxscope_session *session = NULL;
    OK(vxscope_session_new(ctx, &session));
    lcg_state = 8472;
    uint8_t frame[1500];
    for (int i = 0; i < 2000; i++) {
        size_t len = 42 + next_byte() % 200;
        memcpy(frame, SEED, 50);
        for (size_t k = (i % 3 == 0 ? 14 : 42); k < len; k++)
            frame[k] = (k % 7 == 0) ? next_byte() : SEED[k % sizeof SEED] ^ (next_byte() & 0x0f);
        OK(vxscope_session_dissect(session, VXSCOPE_LINKTYPE_ETHERNET, frame, len, (uint32_t)len, &d));
        if (i % 100 == 0)
            read_all(d, len);
    }
    EXPECT(VXSCOPE_ERR_NULL_POINTER, "vxscope_session_dissect",
           vxscope_session_dissect(session, 1, NULL, 10, 10, &d));
    EXPECT(VXSCOPE_ERR_TOO_LONG, "vxscope_session_dissect",
           vxscope_session_dissect(session, 1, SEED, SIZE_MAX, 10, &d));
    OK(vxscope_session_free(session));

    /* The seed cut short at every length, whole and as a bare payload. */
    for (size_t len = 0; len <= sizeof SEED; len++) {
        uint8_t *cut = malloc(len ? len : 1); /* exactly len bytes, so valgrind sees any overread */
        memcpy(cut, SEED, len);
        OK(vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, cut, len, sizeof SEED, &d));
        read_all(d, len);
        if (len >= 42) {
            OK(vxscope_dissect_vxlan_payload(ctx, cut + 42, len - 42, &d));
            read_all(d, len - 42);
        }
        free(cut);
    }

    OK(vxscope_dissection_free(d));
    OK(vxscope_context_free(ctx));
    OK(vxscope_options_free(opts));
    if (failures) {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    printf("ffi_hostile: all checks passed\n");
    return 0;
}
