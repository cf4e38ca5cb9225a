/*
 * The C ABI over a fuzz corpus: each file named on the command line (or each file of each directory named) is an
 * input of the `ffi` fuzz target (fuzz/src/checks.rs: a link-type selector byte, an options byte, then a frame).
 * Each is dissected through vxscope_dissect (or vxscope_dissect_vxlan_payload), every record, the summary and
 * each hex dump in both languages are read and checked against their lengths and the frame, and the dissection
 * is freed. Run by scripts/test under valgrind (no invalid read, no leak) over fuzz/seeds/ffi, the inputs
 * that found faults (tests/data/fuzz/ffi) and, when present, the corpus fuzzing grew (fuzz/corpus/ffi).
 * Exits 0 when every check holds.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vxscope.h"
#include "common.h"

/* LinkType::DECODED of the dissector, in order: an input's first byte selects one (or, past them, itself). */
static const uint32_t DECODED[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};
#define N_DECODED (sizeof DECODED / sizeof DECODED[0])

static long inputs;

static void check_text(const char *text, size_t len) {
    CHECK(text != NULL);
    if (text != NULL) {
        CHECK(strlen(text) == len);
    }
}

static void dissect_input(vxscope_context *ctx, const uint8_t *data, size_t size) {
    if (size < 2) {
        return;
    }
    uint8_t selector = data[0], options = data[1];
    const uint8_t *frame = data + 2;
    size_t len = size - 2;
    uint32_t link = selector % (N_DECODED + 1) < N_DECODED ? DECODED[selector % (N_DECODED + 1)] : selector;
    vxscope_dissection *d = NULL;
    vxscope_status s;
    if ((options & 1) == 0) {
        s = vxscope_dissect(ctx, link, frame, len, (uint32_t)len + (options >> 4), &d);
    } else {
        s = vxscope_dissect_vxlan_payload(ctx, frame, len, &d);
    }
    inputs++;
    if (s != VXSCOPE_OK) {
        CHECK(d == NULL);
        CHECK(vxscope_last_error() != NULL);
        return;
    }
    vxscope_counts counts;
    CHECK(vxscope_dissection_counts(d, &counts) == VXSCOPE_OK);
    const vxscope_field *fields = NULL;
    size_t n = 0;
    CHECK(vxscope_dissection_fields(d, &fields, &n) == VXSCOPE_OK);
    CHECK(n == counts.fields);
    for (size_t i = 0; i < n; i++) {
        check_text(fields[i].value, fields[i].value_len);
        CHECK(fields[i].abbrev != NULL && fields[i].name != NULL);
        CHECK(fields[i].layer < counts.layers);
        CHECK((size_t)fields[i].offset + fields[i].length <= len);
    }
    const vxscope_layer *layers = NULL;
    CHECK(vxscope_dissection_layers(d, &layers, &n) == VXSCOPE_OK);
    CHECK(n == counts.layers);
    for (size_t i = 0; i < n; i++) {
        CHECK(layers[i].abbrev != NULL);
        CHECK((size_t)layers[i].offset + layers[i].length <= len);
    }
    const vxscope_note *notes = NULL;
    CHECK(vxscope_dissection_notes(d, &notes, &n) == VXSCOPE_OK);
    CHECK(n == counts.notes);
    for (size_t i = 0; i < n; i++) {
        check_text(notes[i].message, notes[i].message_len);
        CHECK(notes[i].code != NULL && notes[i].advice != NULL);
        CHECK(notes[i].severity <= VXSCOPE_SEVERITY_ERROR);
    }
    const char *text = NULL;
    size_t text_len = 0;
    CHECK(vxscope_dissection_summary(d, &text, &text_len) == VXSCOPE_OK);
    check_text(text, text_len);
    const uint32_t formats[] = {VXSCOPE_HEXDUMP_TEXT, VXSCOPE_HEXDUMP_MARKDOWN, VXSCOPE_HEXDUMP_HTML};
    for (size_t f = 0; f < 3; f++) {
        uint32_t lang = (options & 2) ? VXSCOPE_LANG_ZH : VXSCOPE_LANG_EN;
        CHECK(vxscope_dissection_hexdump(d, formats[f], lang, &text, &text_len) == VXSCOPE_OK);
        check_text(text, text_len);
    }
    CHECK(vxscope_dissection_free(d) == VXSCOPE_OK);
}

static void run_file(vxscope_context *ctx, const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open\n", path);
        failures++;
        return;
    }
    uint8_t *buf = malloc(1 << 20);
    size_t size = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    if (buf != NULL) {
        dissect_input(ctx, buf, size);
    }
    free(buf);
}

static void run_path(vxscope_context *ctx, const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        return; /* a corpus directory not grown on this machine */
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(ctx, path);
        return;
    }
    DIR *dir = opendir(path);
    if (dir == NULL) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *child = malloc(n);
        if (child == NULL) {
            break;
        }
        snprintf(child, n, "%s/%s", path, e->d_name);
        run_file(ctx, child);
        free(child);
    }
    closedir(dir);
}

int main(int argc, char **argv) {
    vxscope_context *ctx = NULL;
    if (vxscope_context_new(NULL, &ctx) != VXSCOPE_OK) {
        fprintf(stderr, "context: %s\n", vxscope_last_error());
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        run_path(ctx, argv[i]);
    }
    vxscope_context_free(ctx);
    printf("ffi_corpus: %ld inputs, %d failed checks\n", inputs, failures);
    return failures == 0 && inputs > 0 ? 0 : 1;
}
