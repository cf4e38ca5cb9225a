/*
 * vxscope.h: the C ABI of libvxscope, vxscope's dissector of VXLAN (UDP 8472 and 4789), VXLAN-GPE (4790)
 * and the frames they carry, every field with its byte offset and length.
 *
 * Linking: -lvxscope, against libvxscope.so or libvxscope.a (the static library also needs
 * -lpthread -ldl -lm). At run time, check that vxscope_abi_version() == VXSCOPE_ABI_VERSION.
 *
 * Handles. Four opaque handles, each freed by its own *_free call (which accepts NULL):
 *   vxscope_options     options being set up: ports, how to read 8472, the flannel topology's sources
 *                       (kubectl nodes JSON, node command outputs, pod lists); a context copies them, so
 *                       they may be freed as soon as the context is made.
 *   vxscope_context     an immutable dissector configuration and topology, made by vxscope_context_new.
 *   vxscope_session     one capture followed frame by frame (vxscope_session_dissect), for the diagnoses
 *                       that compare packets; optional.
 *   vxscope_dissection  one dissected frame and a copy of its bytes, made (or reused) by vxscope_dissect or
 *                       vxscope_session_dissect.
 *
 * Ownership. The caller frees the handles and nothing else. Every string the library returns is owned by
 * the library: the ones marked "static" (abbreviations, names, note codes, advice) live as long as the
 * library is loaded; the others (values, messages, the summary) belong to the dissection they came from and
 * live until it is freed or reused. Bytes passed in are only read during the call.
 *
 * Threads. A context never changes once made: any number of threads may dissect with one context at the
 * same time. A dissection belongs to one thread at a time (its accessors write text into it on first use):
 * give each thread its own; so does a session. Options are set up by one thread at a time.
 * vxscope_last_error() is per thread.
 *
 * Errors. Every call that can fail returns a vxscope_status: VXSCOPE_OK (0), or a negative VXSCOPE_ERR_*
 * code, after which vxscope_last_error() names the function and what was wrong. Every pointer argument is
 * checked for NULL, every index against its count, every handle against its kind; a fault inside the
 * library is returned as VXSCOPE_ERR_INTERNAL, never a crash. Out-pointers are written only on success.
 * Hostile bytes are not an error: the dissection reports what it found, with notes.
 *
 * What cannot be checked is the caller's error, with undefined behaviour: a pointer to fewer bytes than the
 * length says, a handle used after it was freed or freed twice, a context freed before its sessions and
 * dissections, one session or dissection used by two threads at once.
 *
 * Example (ffi/examples/dissect.c):
 *
 *     vxscope_context *ctx = NULL;
 *     vxscope_dissection *d = NULL;
 *     if (vxscope_context_new(NULL, &ctx) != VXSCOPE_OK ||
 *         vxscope_dissect(ctx, VXSCOPE_LINKTYPE_ETHERNET, frame, frame_len, frame_len, &d) != VXSCOPE_OK) {
 *         fprintf(stderr, "%s\n", vxscope_last_error());
 *         return 1;
 *     }
 *     vxscope_counts n;
 *     vxscope_dissection_counts(d, &n);
 *     for (size_t i = 0; i < n.fields; i++) {
 *         vxscope_field f;
 *         vxscope_dissection_field(d, i, &f);
 *         printf("%-28s %-20s @%u+%u\n", f.abbrev, f.value, f.offset, f.length);
 *     }
 *     vxscope_dissection_free(d);
 *     vxscope_context_free(ctx);
 */

#ifndef VXSCOPE_H
#define VXSCOPE_H

/* Generated from ffi/src by cbindgen with ffi/cbindgen.toml: do not edit by hand. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opaque handles (see "Handles" above). */
typedef struct vxscope_options vxscope_options;
typedef struct vxscope_context vxscope_context;
typedef struct vxscope_session vxscope_session;
typedef struct vxscope_dissection vxscope_dissection;

/**
 * The version of this ABI: the layout of every record and the plugin descriptor, and the meaning of every
 * call. A library and a program agree when `vxscope_abi_version()` equals the `VXSCOPE_ABI_VERSION` the
 * program was compiled with.
 */
#define VXSCOPE_ABI_VERSION 1

/**
 * Longest frame `vxscope_dissect` accepts, in bytes (16 MiB): byte offsets are 32-bit, and capture files
 * hold at most 256 KiB a packet.
 */
#define VXSCOPE_MAX_FRAME_LEN ((16 * 1024) * 1024)

/**
 * Scopes are numbered below this: 0 is the outer frame; the others are the frames inside VXLAN headers and
 * the packets quoted by ICMP errors (see `vxscope_field.scope`).
 */
#define VXSCOPE_SCOPE_LIMIT 16

/**
 * BSD loopback: a 4-byte address family in the capturing host's byte order.
 */
#define VXSCOPE_LINKTYPE_NULL 0

/**
 * Ethernet II, with 802.1Q/802.1ad tags.
 */
#define VXSCOPE_LINKTYPE_ETHERNET 1

/**
 * Raw IPv4 or IPv6.
 */
#define VXSCOPE_LINKTYPE_RAW 101

/**
 * OpenBSD loopback.
 */
#define VXSCOPE_LINKTYPE_LOOP 108

/**
 * Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10).
 */
#define VXSCOPE_LINKTYPE_LINUX_SLL 113

/**
 * Raw IPv4.
 */
#define VXSCOPE_LINKTYPE_IPV4 228

/**
 * Raw IPv6.
 */
#define VXSCOPE_LINKTYPE_IPV6 229

/**
 * Linux cooked capture v2 (`tcpdump -i any` with libpcap 1.10 and later).
 */
#define VXSCOPE_LINKTYPE_LINUX_SLL2 276

/**
 * A protocol: a layer, no value of its own.
 */
#define VXSCOPE_KIND_PROTOCOL 0

#define VXSCOPE_KIND_BOOL 1

#define VXSCOPE_KIND_UINT8 2

#define VXSCOPE_KIND_UINT16 3

#define VXSCOPE_KIND_UINT24 4

#define VXSCOPE_KIND_UINT32 5

#define VXSCOPE_KIND_UINT64 6

#define VXSCOPE_KIND_MAC 7

#define VXSCOPE_KIND_IPV4 8

#define VXSCOPE_KIND_IPV6 9

/**
 * Raw bytes of the frame.
 */
#define VXSCOPE_KIND_BYTES 10

/**
 * Text (a checksum status, a node name).
 */
#define VXSCOPE_KIND_TEXT 11

/**
 * An IP network in CIDR notation.
 */
#define VXSCOPE_KIND_IPNET 12

/**
 * In decimal.
 */
#define VXSCOPE_BASE_DEC 0

/**
 * As `0x` and the field's width in hex digits.
 */
#define VXSCOPE_BASE_HEX 1

/**
 * No value (a protocol).
 */
#define VXSCOPE_VALUE_NONE 0

/**
 * A boolean: `value_int` is 0 or 1, the text `false` or `true`.
 */
#define VXSCOPE_VALUE_BOOL 1

/**
 * An unsigned integer, in `value_int`.
 */
#define VXSCOPE_VALUE_UINT 2

#define VXSCOPE_VALUE_MAC 3

#define VXSCOPE_VALUE_IPV4 4

#define VXSCOPE_VALUE_IPV6 5

/**
 * The field's bytes in the frame, written as hex.
 */
#define VXSCOPE_VALUE_BYTES 6

#define VXSCOPE_VALUE_TEXT 7

#define VXSCOPE_VALUE_IPNET 8

/**
 * Worth knowing, nothing wrong.
 */
#define VXSCOPE_SEVERITY_CHAT 0

/**
 * Unusual but legitimate.
 */
#define VXSCOPE_SEVERITY_NOTE 1

/**
 * Probably a problem.
 */
#define VXSCOPE_SEVERITY_WARNING 2

/**
 * Malformed, or certainly dropped.
 */
#define VXSCOPE_SEVERITY_ERROR 3

/**
 * tcpdump's `-XX` layout, each line followed by the fields that start on it.
 */
#define VXSCOPE_HEXDUMP_TEXT 0

/**
 * A fenced dump and a table of fields.
 */
#define VXSCOPE_HEXDUMP_MARKDOWN 1

/**
 * One self-contained HTML page, bytes coloured by layer.
 */
#define VXSCOPE_HEXDUMP_HTML 2

/**
 * English.
 */
#define VXSCOPE_LANG_EN 0

/**
 * Simplified Chinese.
 */
#define VXSCOPE_LANG_ZH 1

/**
 * What a call returned: `VXSCOPE_OK` (0) or one of the negative `VXSCOPE_ERR_*` codes.
 */
typedef int32_t vxscope_status;

/**
 * One member of a record or of the descriptor: where it is and how large, as the side that describes it was
 * built.
 */
typedef struct vxscope_member {
    /**
     * The C name of the record (`"vxscope_field"`, `"vxscope_plugin"`). Static.
     */
    const char *record;
    /**
     * The member's name (`"value_len"`). Static.
     */
    const char *member;
    /**
     * Byte offset of the member from the start of the record.
     */
    uint32_t offset;
    /**
     * Size of the member in bytes.
     */
    uint32_t size;
} vxscope_member;

/**
 * How many layers, fields and notes a dissection has.
 */
typedef struct vxscope_counts {
    size_t layers;
    size_t fields;
    size_t notes;
} vxscope_counts;

/**
 * One protocol layer of a dissected frame.
 */
typedef struct vxscope_layer {
    /**
     * The protocol's abbreviation with its scope prefix (`"ip"`, `"inner.ip"`). Static.
     */
    const char *abbrev;
    /**
     * The protocol's name (`"Internet Protocol Version 4"`). Static.
     */
    const char *name;
    /**
     * The protocol's row in the field registry (see `vxscope_registry_field`).
     */
    uint32_t id;
    /**
     * Where the layer sits (see `vxscope_field.scope`).
     */
    uint32_t scope;
    /**
     * VXLAN encapsulations between the start of the frame and the layer: 0 for the outer frame.
     */
    uint32_t depth;
    /**
     * Byte offset of the layer's header from the start of the frame.
     */
    uint32_t offset;
    /**
     * Length of the layer's header in bytes (0 for a layer of computed fields).
     */
    uint32_t length;
} vxscope_layer;

/**
 * One field of a dissected frame.
 */
typedef struct vxscope_field {
    /**
     * The field's abbreviation with its scope prefix (`"udp.dstport"`, `"inner.ip.src"`). Static.
     */
    const char *abbrev;
    /**
     * The field's display name (`"Destination port"`). Static.
     */
    const char *name;
    /**
     * The value as text, as `vxscope dissect -V` shows it (`"8472"`, `"0x08"`, `"10.244.1.12"`, `"true"`, hex
     * for bytes); `""` when the field has no value. Owned by the dissection.
     */
    const char *value;
    /**
     * Length of `value` in bytes, without its terminating NUL.
     */
    size_t value_len;
    /**
     * The meaning of an integer value when the registry names it (`"IPv4"` for EtherType 0x0800), or NULL.
     * Static.
     */
    const char *value_name;
    /**
     * The value as an integer, when `has_int` is true (booleans are 0 or 1).
     */
    uint64_t value_int;
    /**
     * The field's row in the field registry (see `vxscope_registry_field`).
     */
    uint32_t id;
    /**
     * Where the field sits: 0 for the outer frame, others for frames inside VXLAN headers and packets quoted
     * by ICMP errors; below `VXSCOPE_SCOPE_LIMIT`. Fields with the same `id` and `scope` have the same
     * `abbrev`.
     */
    uint32_t scope;
    /**
     * Index of the field's layer (see `vxscope_dissection_layer`).
     */
    uint32_t layer;
    /**
     * VXLAN encapsulations between the start of the frame and the field: 0 for the outer frame.
     */
    uint32_t depth;
    /**
     * Nesting within its layer: 0 for a field of the layer, 1 for a field inside a field (a flag of a flags
     * byte), and so on.
     */
    uint32_t level;
    /**
     * Byte offset of the field from the start of the frame.
     */
    uint32_t offset;
    /**
     * Length in bytes; 0 for a field computed from others.
     */
    uint32_t length;
    /**
     * The field's kind: a `VXSCOPE_KIND_*` constant.
     */
    uint32_t kind;
    /**
     * How an integer value is written: `VXSCOPE_BASE_DEC` or `VXSCOPE_BASE_HEX`.
     */
    uint32_t base;
    /**
     * What the value holds in this frame: a `VXSCOPE_VALUE_*` constant.
     */
    uint32_t value_type;
    /**
     * Whether `value_int` holds the value.
     */
    bool has_int;
} vxscope_field;

/**
 * One note of a dissected frame: an anomaly or a diagnosis, attached to the bytes it concerns.
 */
typedef struct vxscope_note {
    /**
     * The note's stable code (`"malformed.truncated"`, `"flannel.inner_checksum_bad"`). Static.
     */
    const char *code;
    /**
     * The message, with this frame's values filled in. Owned by the dissection.
     */
    const char *message;
    /**
     * Length of `message` in bytes, without its terminating NUL.
     */
    size_t message_len;
    /**
     * What to do about it, or `""`. Static.
     */
    const char *advice;
    /**
     * A `VXSCOPE_SEVERITY_*` constant.
     */
    uint32_t severity;
    /**
     * Where the note's bytes sit (see `vxscope_field.scope`).
     */
    uint32_t scope;
    /**
     * Byte offset of the bytes concerned from the start of the frame.
     */
    uint32_t offset;
    /**
     * Number of bytes concerned.
     */
    uint32_t length;
} vxscope_note;

/**
 * One row of the field registry: a field or protocol as every dissection names it.
 */
typedef struct vxscope_field_def {
    /**
     * Abbreviation without scope prefix (`"vxlan.vni"`). Static.
     */
    const char *abbrev;
    /**
     * Display name. Static.
     */
    const char *name;
    /**
     * One sentence on what the field means, or `""`. Static.
     */
    const char *blurb;
    /**
     * Bit mask within the field's bytes (big-endian), 0 for whole-byte fields.
     */
    uint64_t mask;
    /**
     * A `VXSCOPE_KIND_*` constant.
     */
    uint32_t kind;
    /**
     * A `VXSCOPE_BASE_*` constant.
     */
    uint32_t base;
} vxscope_field_def;

/**
 * One row of the note registry.
 */
typedef struct vxscope_note_def {
    /**
     * Stable code (`"checksum.bad"`). Static.
     */
    const char *code;
    /**
     * Message template: `{0}`..`{2}` stand for a note's values, `{1:x}` for one in hex. Static.
     */
    const char *message_template;
    /**
     * What to do about it, or `""`. Static.
     */
    const char *advice;
    /**
     * A `VXSCOPE_SEVERITY_*` constant.
     */
    uint32_t severity;
} vxscope_note_def;

/**
 * What a dissector plugin offers a host: its ABI version, its name, its default ports, and its functions.
 *
 * `abi_version`, `struct_size` and `name` are the first members in every ABI version, so a host can read
 * them from a library built for another version and say which versions disagree; it reads nothing else
 * unless `abi_version` is the one it knows and `struct_size` is at least the size it expects. Every function
 * pointer is non-NULL and behaves as the function of the same name without the `vxscope_` prefix.
 */
typedef struct vxscope_plugin {
    /**
     * The `VXSCOPE_ABI_VERSION` the plugin was built with.
     */
    uint32_t abi_version;
    /**
     * `sizeof(vxscope_plugin)` as the plugin was built.
     */
    uint32_t struct_size;
    /**
     * The plugin's name (`"vxscope"`). Static.
     */
    const char *name;
    /**
     * The plugin's own version (`"0.1.0"`). Static.
     */
    const char *version;
    /**
     * One line on what the plugin dissects. Static.
     */
    const char *description;
    /**
     * UDP ports the plugin decodes as VXLAN by default (8472, 4789).
     */
    const uint16_t *vxlan_ports;
    size_t vxlan_port_count;
    /**
     * UDP ports the plugin decodes as VXLAN-GPE by default (4790).
     */
    const uint16_t *gpe_ports;
    size_t gpe_port_count;
    /**
     * `sizeof` of the records the accessors fill in, as the plugin was built: a host checks them against its
     * own.
     */
    uint32_t counts_size;
    uint32_t layer_record_size;
    uint32_t field_record_size;
    uint32_t note_record_size;
    const char *(*last_error)(void);
    vxscope_status (*options_new)(vxscope_options **out);
    vxscope_status (*options_free)(vxscope_options *options);
    vxscope_status (*options_add_vxlan_port)(vxscope_options *options, uint16_t port);
    vxscope_status (*options_add_gpe_port)(vxscope_options *options, uint16_t port);
    vxscope_status (*options_set_decode_as_otv)(vxscope_options *options, bool otv);
    vxscope_status (*options_set_gbp)(vxscope_options *options, bool gbp);
    vxscope_status (*options_set_annotation_prefix)(vxscope_options *options, const char *prefix);
    vxscope_status (*options_add_nodes_json)(vxscope_options *options,
                                             const char *text,
                                             size_t len,
                                             const char *source);
    vxscope_status (*options_add_nodes_json_file)(vxscope_options *options, const char *path);
    vxscope_status (*options_add_node_info)(vxscope_options *options,
                                            const char *text,
                                            size_t len,
                                            const char *source,
                                            const char *node);
    vxscope_status (*options_add_node_info_file)(vxscope_options *options, const char *path, const char *node);
    vxscope_status (*options_add_pods)(vxscope_options *options,
                                       const char *text,
                                       size_t len,
                                       const char *source);
    vxscope_status (*options_add_pods_file)(vxscope_options *options, const char *path);
    vxscope_status (*context_new)(const vxscope_options *options, vxscope_context **out);
    vxscope_status (*context_free)(vxscope_context *context);
    vxscope_status (*session_new)(const vxscope_context *context, vxscope_session **out);
    vxscope_status (*session_free)(vxscope_session *session);
    vxscope_status (*session_dissect)(vxscope_session *session,
                                      uint32_t link_type,
                                      const uint8_t *bytes,
                                      size_t len,
                                      uint32_t wire_len,
                                      vxscope_dissection **out);
    vxscope_status (*dissect)(const vxscope_context *context,
                              uint32_t link_type,
                              const uint8_t *bytes,
                              size_t len,
                              uint32_t wire_len,
                              vxscope_dissection **out);
    vxscope_status (*dissect_vxlan_payload)(const vxscope_context *context,
                                            const uint8_t *payload,
                                            size_t len,
                                            vxscope_dissection **out);
    vxscope_status (*dissection_free)(vxscope_dissection *dissection);
    vxscope_status (*dissection_counts)(const vxscope_dissection *dissection, struct vxscope_counts *out);
    vxscope_status (*dissection_summary)(const vxscope_dissection *dissection, const char **text, size_t *len);
    vxscope_status (*dissection_hexdump)(const vxscope_dissection *dissection,
                                         uint32_t format,
                                         uint32_t language,
                                         const char **text,
                                         size_t *len);
    vxscope_status (*dissection_layer)(const vxscope_dissection *dissection,
                                       size_t index,
                                       struct vxscope_layer *out);
    vxscope_status (*dissection_field)(const vxscope_dissection *dissection,
                                       size_t index,
                                       struct vxscope_field *out);
    vxscope_status (*dissection_note)(const vxscope_dissection *dissection,
                                      size_t index,
                                      struct vxscope_note *out);
    vxscope_status (*dissection_layers)(const vxscope_dissection *dissection,
                                        const struct vxscope_layer **records,
                                        size_t *count);
    vxscope_status (*dissection_fields)(const vxscope_dissection *dissection,
                                        const struct vxscope_field **records,
                                        size_t *count);
    vxscope_status (*dissection_notes)(const vxscope_dissection *dissection,
                                       const struct vxscope_note **records,
                                       size_t *count);
    vxscope_status (*dissection_find_field)(const vxscope_dissection *dissection,
                                            const char *abbrev,
                                            size_t from,
                                            size_t *index);
    size_t (*registry_field_count)(void);
    vxscope_status (*registry_field)(size_t index, struct vxscope_field_def *out);
    size_t (*registry_note_count)(void);
    vxscope_status (*registry_note)(size_t index, struct vxscope_note_def *out);
    /**
     * The layout of this descriptor and of the records (`vxscope_counts`, `vxscope_layer`, `vxscope_field`,
     * `vxscope_note`, `vxscope_field_def`, `vxscope_note_def`, `vxscope_plugin`), every member of each with its
     * offset and size, as the plugin was built: a host compares each member with its own and refuses a plugin
     * that disagrees. A plugin that wraps libvxscope can point at libvxscope's (`vxscope_plugin_v1()->layout`).
     */
    const struct vxscope_member *layout;
    size_t layout_len;
    vxscope_status (*dissection_new_recording)(const uint32_t *field_ids,
                                               size_t count,
                                               bool summary,
                                               vxscope_dissection **out);
    vxscope_status (*session_learn)(vxscope_session *session, vxscope_dissection *dissection);
} vxscope_plugin;

/**
 * The call succeeded.
 */
#define VXSCOPE_OK 0

/**
 * A pointer argument that must not be NULL was NULL.
 */
#define VXSCOPE_ERR_NULL_POINTER -1

/**
 * An argument has a value the call cannot accept (a string that is not UTF-8, for example).
 */
#define VXSCOPE_ERR_INVALID_ARGUMENT -2

/**
 * An index is not below the count it indexes.
 */
#define VXSCOPE_ERR_OUT_OF_RANGE -3

/**
 * A handle argument is not a live handle of the kind the call expects (an options handle where a context is
 * expected, for example).
 */
#define VXSCOPE_ERR_BAD_HANDLE -4

/**
 * The frame is longer than `VXSCOPE_MAX_FRAME_LEN`.
 */
#define VXSCOPE_ERR_TOO_LONG -5

/**
 * No field has the abbreviation asked for.
 */
#define VXSCOPE_ERR_NOT_FOUND -6

/**
 * A file could not be read.
 */
#define VXSCOPE_ERR_IO -7

/**
 * A text (a kubectl nodes JSON document, a node command's output) could not be parsed.
 */
#define VXSCOPE_ERR_PARSE -8

/**
 * A fault inside the library (a bug, caught at the boundary): the message says where.
 */
#define VXSCOPE_ERR_INTERNAL -9

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The ABI version of this library: `VXSCOPE_ABI_VERSION` as it was compiled. A program compiled against a
 * header of another ABI version must not use the library.
 */
uint32_t vxscope_abi_version(void);

/**
 * The version of vxscope the library was built from (`"0.1.0"`). Static.
 */
const char *vxscope_version(void);

/**
 * The message of the last call on this thread that failed: which function, and what was wrong. Never NULL
 * (`""` before any failure). Owned by the library; valid until the next failing call on the same thread.
 */
const char *vxscope_last_error(void);

/**
 * The layout of the records and of the plugin descriptor as this library was built: `*records` receives an
 * array of `*count` entries, one a member of `vxscope_counts`, `vxscope_layer`, `vxscope_field`,
 * `vxscope_note`, `vxscope_field_def`, `vxscope_note_def` and `vxscope_plugin`, with its offset and size.
 * Static. The same array as `vxscope_plugin_v1()->layout`, for a plugin that wraps this library.
 */
vxscope_status vxscope_layout(const struct vxscope_member **records, size_t *count);

/**
 * Makes a set of options holding the defaults: VXLAN on UDP 8472 and 4789, VXLAN-GPE on 4790, 8472 read as
 * VXLAN, no Group Based Policy. `*out` receives the handle, which `vxscope_options_free` frees.
 */
vxscope_status vxscope_options_new(vxscope_options **out);

/**
 * Frees options. NULL is accepted and does nothing. Contexts made from the options do not depend on them.
 */
vxscope_status vxscope_options_free(vxscope_options *options);

/**
 * Also decodes VXLAN on UDP port `port` (8472 and 4789 always are).
 */
vxscope_status vxscope_options_add_vxlan_port(vxscope_options *options, uint16_t port);

/**
 * Also decodes VXLAN-GPE on UDP port `port` (4790 always is).
 */
vxscope_status vxscope_options_add_gpe_port(vxscope_options *options, uint16_t port);

/**
 * Reads UDP 8472 as OTV (IANA's assignment, and what tcpdump 4.99 prints) when `otv` is true, as VXLAN (what
 * Linux and flannel send, the default) when false.
 */
vxscope_status vxscope_options_set_decode_as_otv(vxscope_options *options, bool otv);

/**
 * Whether the VXLAN Group Based Policy extension is in use (when false, a set G flag is reported).
 */
vxscope_status vxscope_options_set_gbp(vxscope_options *options, bool gbp);

/**
 * Reads flannel's node annotations under `prefix` instead of `flannel.alpha.coreos.com` (for clusters that
 * changed `--kube-annotation-prefix`). Applies to every nodes document, whenever it was added.
 */
vxscope_status vxscope_options_set_annotation_prefix(vxscope_options *options, const char *prefix);

/**
 * Adds the nodes of `kubectl get nodes -o json` (`len` bytes of UTF-8 at `text`) to the topology: names, pod
 * subnets, addresses and flannel's annotations. `source` names the document in messages and fields (NULL for
 * `"nodes JSON"`). A document that cannot be read is `VXSCOPE_ERR_PARSE`, and the options stay as they were.
 */
vxscope_status vxscope_options_add_nodes_json(vxscope_options *options,
                                              const char *text,
                                              size_t len,
                                              const char *source);

/**
 * As `vxscope_options_add_nodes_json`, from the file at `path` (named by its file name). A file that cannot
 * be read is `VXSCOPE_ERR_IO`.
 */
vxscope_status vxscope_options_add_nodes_json_file(vxscope_options *options, const char *path);

/**
 * Adds what was pasted from one node (`len` bytes of UTF-8 at `text`): any mix of `ip -d link show flannel.1`,
 * `bridge fdb show`, `ip neigh`, `arp -n`, `ip route`, `route -n` and `/run/flannel/subnet.env`. `node` names
 * the node when the text does not (a shell prompt such as `[root@k8s-node1 ~]#` does); it may be NULL.
 * `source` as for `vxscope_options_add_nodes_json` (NULL for `"node output"`).
 */
vxscope_status vxscope_options_add_node_info(vxscope_options *options,
                                             const char *text,
                                             size_t len,
                                             const char *source,
                                             const char *node);

/**
 * As `vxscope_options_add_node_info`, from the file at `path`.
 */
vxscope_status vxscope_options_add_node_info_file(vxscope_options *options,
                                                  const char *path,
                                                  const char *node);

/**
 * Adds the pods of `kubectl get pods -o wide` (text) or `-o json` (`len` bytes of UTF-8 at `text`): pod names,
 * and which node owns which pod subnet. `source` as for `vxscope_options_add_nodes_json` (NULL for `"pods"`).
 */
vxscope_status vxscope_options_add_pods(vxscope_options *options,
                                        const char *text,
                                        size_t len,
                                        const char *source);

/**
 * As `vxscope_options_add_pods`, from the file at `path`.
 */
vxscope_status vxscope_options_add_pods_file(vxscope_options *options, const char *path);

/**
 * Makes a context from `options` (NULL for the defaults), building the flannel topology from their sources.
 * `*out` receives the handle, which `vxscope_context_free` frees. A context never changes: any number of
 * threads may dissect with it at once.
 */
vxscope_status vxscope_context_new(const vxscope_options *options, vxscope_context **out);

/**
 * Frees a context. NULL is accepted and does nothing. Free its dissections first: they refer to it.
 */
vxscope_status vxscope_context_free(vxscope_context *context);

/**
 * Dissects one frame of `len` bytes at `bytes`, captured on a link of type `link_type` (a `LINKTYPE_` value:
 * `VXSCOPE_LINKTYPE_ETHERNET`, ...), which was `wire_len` bytes long on the wire (pass `len` if unknown; a
 * smaller value counts as `len`).
 *
 * `*out` is either NULL, and receives a new dissection, or a dissection from an earlier call, which is reused:
 * its previous contents (and every string read from it) are replaced, and once its buffers are large enough
 * no memory is allocated. Free it with `vxscope_dissection_free`. On failure `*out` is left as it was.
 *
 * The bytes are copied: the caller may reuse them as soon as the call returns. `bytes` may be NULL when
 * `len` is 0 (an empty frame, dissected as such). Malformed, truncated or hostile bytes are not an error:
 * the dissection says what it found, with notes. A session of the same context can learn from it afterwards
 * (`vxscope_session_learn`).
 */
vxscope_status vxscope_dissect(const vxscope_context *context,
                               uint32_t link_type,
                               const uint8_t *bytes,
                               size_t len,
                               uint32_t wire_len,
                               vxscope_dissection **out);

/**
 * Dissects a bare VXLAN header and the frame it carries, for a host that already decoded UDP and holds only
 * the payload: `len` bytes at `payload`, starting with the 8-byte VXLAN header. Offsets in the dissection
 * count from the start of `payload`. `*out` as for `vxscope_dissect`.
 */
vxscope_status vxscope_dissect_vxlan_payload(const vxscope_context *context,
                                             const uint8_t *payload,
                                             size_t len,
                                             vxscope_dissection **out);

/**
 * Starts following a capture with `context`: `*out` receives a session, which `vxscope_session_free` frees.
 * Frames dissected through a session (`vxscope_session_dissect`) also get the diagnoses that compare packets:
 * a node whose VTEP MAC changed, a VNI or port that differs from the rest of the capture. A session belongs to
 * one thread at a time; the context must outlive it.
 */
vxscope_status vxscope_session_new(const vxscope_context *context,
                                   vxscope_session **out);

/**
 * Frees a session. NULL is accepted and does nothing. Dissections made through it stay valid.
 */
vxscope_status vxscope_session_free(vxscope_session *session);

/**
 * Dissects the next frame of the capture `session` follows, as `vxscope_dissect` does (same arguments, same
 * `*out`), and learns from it.
 */
vxscope_status vxscope_session_dissect(vxscope_session *session,
                                       uint32_t link_type,
                                       const uint8_t *bytes,
                                       size_t len,
                                       uint32_t wire_len,
                                       vxscope_dissection **out);

/**
 * Lets `session` learn from a frame decoded with `vxscope_dissect` and the session's context, as if the frame had
 * been dissected through the session (`vxscope_session_dissect`): `dissection` then holds what that call gives,
 * the diagnoses that compare packets included. A host may so decode frames on several threads (a context may be
 * used by several at once, each with its own dissections), then let the session learn from them one at a time,
 * in the capture's order. A session learns from a dissection once: a dissection not made by `vxscope_dissect`,
 * made with another context, or learned from already gives `VXSCOPE_ERR_INVALID_ARGUMENT` and is left as it was.
 */
vxscope_status vxscope_session_learn(vxscope_session *session,
                                     vxscope_dissection *dissection);

/**
 * Makes a new, empty dissection that records only some fields, for a host that reads only those: each
 * dissection into it (`*out` of `vxscope_dissect`, `vxscope_session_dissect`, ...) then costs less. It records
 * the `count` fields whose registry rows (`vxscope_registry_field`) are at `field_ids` (NULL when `count` is
 * 0), and, when `summary` is set, those `vxscope_dissection_summary` reads, so that the summary line comes out
 * whole, with the flannel annotations. Its layers and notes are all recorded; a field not recorded is not
 * among its fields (a search for it finds nothing, a hex dump leaves its bytes to the fields around them).
 * Without `summary`, `vxscope_dissection_summary` fails on it with `VXSCOPE_ERR_INVALID_ARGUMENT`. `*out`
 * receives the handle, which `vxscope_dissection_free` frees. `VXSCOPE_ERR_OUT_OF_RANGE` if an identifier is
 * not below `vxscope_registry_field_count()`.
 */
vxscope_status vxscope_dissection_new_recording(const uint32_t *field_ids,
                                                size_t count,
                                                bool summary,
                                                vxscope_dissection **out);

/**
 * Frees a dissection, and every string read from it. NULL is accepted and does nothing.
 */
vxscope_status vxscope_dissection_free(vxscope_dissection *dissection);

/**
 * How many layers, fields and notes the dissection has.
 */
vxscope_status vxscope_dissection_counts(const vxscope_dissection *dissection, struct vxscope_counts *out);

/**
 * The one-line summary (`172.16.100.101:40592 > 172.16.100.102:8472 VXLAN vni 1 | 10.244.1.12 > ...`), as
 * `vxscope dissect` prints it after the time. `*text` receives the NUL-terminated line, owned by the
 * dissection; `*len` (if `len` is not NULL) its length.
 */
vxscope_status vxscope_dissection_summary(const vxscope_dissection *dissection,
                                          const char **text,
                                          size_t *len);

/**
 * The frame's annotated hex dump, every byte labelled with the field it belongs to, as `vxscope hexdump`
 * writes it: `format` is `VXSCOPE_HEXDUMP_TEXT`, `_MARKDOWN` or `_HTML`, `language` `VXSCOPE_LANG_EN` or
 * `VXSCOPE_LANG_ZH`. `*text` receives the NUL-terminated document, owned by the dissection and valid until it
 * is freed, reused, or asked for another hex dump; `*len` (if `len` is not NULL) its length.
 */
vxscope_status vxscope_dissection_hexdump(const vxscope_dissection *dissection,
                                          uint32_t format,
                                          uint32_t language,
                                          const char **text,
                                          size_t *len);

/**
 * Layer `index` (below `counts.layers`), outermost first.
 */
vxscope_status vxscope_dissection_layer(const vxscope_dissection *dissection,
                                        size_t index,
                                        struct vxscope_layer *out);

/**
 * Field `index` (below `counts.fields`), in the order of the frame's bytes within each layer.
 */
vxscope_status vxscope_dissection_field(const vxscope_dissection *dissection,
                                        size_t index,
                                        struct vxscope_field *out);

/**
 * Note `index` (below `counts.notes`).
 */
vxscope_status vxscope_dissection_note(const vxscope_dissection *dissection,
                                       size_t index,
                                       struct vxscope_note *out);

/**
 * All layers at once: `*records` receives an array of `*count` layers, owned by the dissection (valid until
 * it is freed or reused). The same records as `vxscope_dissection_layer`, without a call each.
 */
vxscope_status vxscope_dissection_layers(const vxscope_dissection *dissection,
                                         const struct vxscope_layer **records,
                                         size_t *count);

/**
 * All fields at once: `*records` receives an array of `*count` fields, owned by the dissection (valid until
 * it is freed or reused). The same records as `vxscope_dissection_field`, without a call each.
 */
vxscope_status vxscope_dissection_fields(const vxscope_dissection *dissection,
                                         const struct vxscope_field **records,
                                         size_t *count);

/**
 * All notes at once: `*records` receives an array of `*count` notes, owned by the dissection (valid until it
 * is freed or reused). The same records as `vxscope_dissection_note`, without a call each.
 */
vxscope_status vxscope_dissection_notes(const vxscope_dissection *dissection,
                                        const struct vxscope_note **records,
                                        size_t *count);

/**
 * Finds the first field at index `from` or later whose abbreviation, with its scope prefix, is `abbrev`
 * (`"vxlan.vni"`, `"inner.icmp.seq"`); `*index` receives its index. `VXSCOPE_ERR_NOT_FOUND` if there is none.
 */
vxscope_status vxscope_dissection_find_field(const vxscope_dissection *dissection,
                                             const char *abbrev,
                                             size_t from,
                                             size_t *index);

/**
 * Finds the first field at index `from` or later whose registry row is `id` (see `vxscope_registry_field`) and
 * whose scope is `scope` (0 for the outer frame; see `vxscope_field.scope`); `*index` receives its index.
 * `VXSCOPE_ERR_NOT_FOUND` if there is none. The same search as `vxscope_dissection_find_field` without
 * comparing text, for a host that looks fields up on every frame.
 */
vxscope_status vxscope_dissection_find_field_id(const vxscope_dissection *dissection,
                                                uint32_t id,
                                                uint32_t scope,
                                                size_t from,
                                                size_t *index);

/**
 * Writes the value of field `index` (below `counts.fields`) as text, as `vxscope_field.value` holds it, into
 * `buf`: at most `cap` bytes, the terminating NUL included, cut short to fit (`buf` may be NULL when `cap` is
 * 0). `*len` (if `len` is not NULL) receives the whole text's length without the NUL: `*len >= cap` means the
 * text was cut. Builds none of the dissection's records, so it costs a fraction of
 * `vxscope_dissection_fields` for a host that reads one or two fields a frame (found with
 * `vxscope_dissection_find_field`), as the Wireshark plugin does for the info column.
 */
vxscope_status vxscope_dissection_field_value(const vxscope_dissection *dissection,
                                              size_t index,
                                              char *buf,
                                              size_t cap,
                                              size_t *len);

/**
 * Number of rows in the field registry: every field and protocol a dissection can hold.
 */
size_t vxscope_registry_field_count(void);

/**
 * Row `index` (below `vxscope_registry_field_count()`) of the field registry; `vxscope_field.id` is such an index.
 */
vxscope_status vxscope_registry_field(size_t index,
                                      struct vxscope_field_def *out);

/**
 * Number of rows in the note registry.
 */
size_t vxscope_registry_note_count(void);

/**
 * Row `index` (below `vxscope_registry_note_count()`) of the note registry.
 */
vxscope_status vxscope_registry_note(size_t index, struct vxscope_note_def *out);

/**
 * The plugin descriptor: the one symbol a host that loads dissectors by path looks up. Static, never NULL.
 */
const struct vxscope_plugin *vxscope_plugin_v1(void);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* VXSCOPE_H */
