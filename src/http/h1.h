/*
 * Strict, incremental, zero-copy HTTP/1.1 message-head parser (RFC 9110/9112).
 *
 * The parser does no I/O and no allocation. It reads a contiguous buffer holding the start of a
 * message and either finds a complete head (request/status line + header fields + empty line)
 * or says it needs more bytes. All pl_str slices in the results point into the caller's buffer
 * and stay valid until the caller moves or frees those bytes.
 *
 * Strictness (each rule is a named check with its own error text):
 *  - lines end in CRLF; a bare LF or bare CR anywhere in the head is rejected;
 *  - NUL and other control bytes (except HTAB in field values) are rejected;
 *  - method is a token; version is HTTP/1.0|1.1 exactly (other HTTP/x.y → 505; HTTP/0.9, a
 *    leading empty line and bytes before the method → 400); exactly one SP between parts;
 *  - request-target bytes are limited to the RFC 3986 set (unreserved, gen-delims except '#',
 *    sub-delims, '%' with two hex digits): controls, SP, DEL, non-ASCII and "<>\^`{|} are
 *    rejected even though some clients send them raw; '#' (a fragment) is rejected;
 *  - field names are tokens; whitespace between name and colon is rejected; obs-fold
 *    (a line starting with SP/HTAB) is rejected; leading/trailing OWS of values is trimmed;
 *    field values may hold HTAB, SP, VCHAR and obs-text only;
 *  - framing: Content-Length must be 1*DIGIT (leading zeros allowed, no sign, value < 2^63); a
 *    second Content-Length field or a comma list is rejected, even with identical members;
 *    Transfer-Encoding and Content-Length together are rejected; Transfer-Encoding
 *    must be exactly one field whose last coding is "chunked" (case-insensitive; otherwise
 *    400), and for this proxy any coding list other than a single "chunked" is rejected (501)
 *    since it cannot be decoded and scanned; Transfer-Encoding in an HTTP/1.0 message is
 *    rejected; Connection must be a list of tokens;
 *  - requests: exactly one Host field for HTTP/1.1 (missing or duplicate → 400); Host value
 *    must be a valid non-empty authority without userinfo; with an absolute-form target, Host
 *    is checked for agreement by the caller (pl_url_host_matches); absolute-form is recognised
 *    by "scheme://" and must be parsed further by the caller (pl_url_parse); CONNECT must use
 *    authority-form with a port, only CONNECT may, and it may carry no body (no
 *    Transfer-Encoding, Content-Length 0 at most); "*" only with OPTIONS;
 *  - responses: status is 3 digits 100..999, the SP and reason phrase after it are optional;
 *    every error is reported with status 502.
 *
 * Every rule fails on the byte that breaks it, before the head is complete, and a limit fails
 * as soon as it is passed (start line → 414, head bytes or field count → 431).
 */
#ifndef PL_HTTP_H1_H
#define PL_HTTP_H1_H

#include "util/str.h"

#define PL_H1_MAX_HEADERS 128

enum pl_h1_form {
    PL_H1_FORM_ORIGIN = 1, /* "/path?q" */
    PL_H1_FORM_ABSOLUTE,   /* "http://host/path" */
    PL_H1_FORM_AUTHORITY,  /* "host:port" (CONNECT) */
    PL_H1_FORM_ASTERISK,   /* "*" (OPTIONS) */
};

enum pl_h1_body {
    PL_H1_BODY_NONE = 0,  /* no body */
    PL_H1_BODY_LENGTH,    /* Content-Length bytes */
    PL_H1_BODY_CHUNKED,   /* chunked transfer coding */
    PL_H1_BODY_UNTIL_EOF, /* response only: read until the connection closes */
};

struct pl_h1_header {
    struct pl_str name;  /* as received */
    struct pl_str value; /* OWS-trimmed */
};

struct pl_h1_limits {
    size_t max_start_line; /* request line / status line bytes; over → 414 (req) / 502 */
    size_t max_head;       /* whole head incl. final CRLF; over → 431 */
    size_t max_headers;    /* field count (≤ PL_H1_MAX_HEADERS); over → 431 */
};

/* Why a message was rejected; filled on -EBADMSG / -E2BIG / -ENOTSUP. */
struct pl_h1_error {
    int status;         /* HTTP status to answer with: 400, 414, 431, 501, 505 (502 for
                           every response error) */
    const char *reason; /* static text naming the rule, e.g. "obs-fold in header field" */
    size_t offset;      /* byte offset in the buffer where the problem was found */
};

/*
 * Incremental state: zero-initialise before the first call for a message. Holds offsets (never
 * pointers), so the caller may move its buffer between calls as long as the bytes already
 * passed stay the same. Everything but `checked` is private to the parser.
 */
struct pl_h1_scan {
    size_t checked;      /* bytes already validated (the resume point) */
    size_t line_start;   /* start of the field line being scanned */
    size_t colon;        /* offset of ':' in that line */
    size_t method_end;   /* request: offset of the SP after the method */
    size_t target_end;   /* request: offset of the SP after the target */
    size_t fields_start; /* offset of the first field line */
    uint64_t content_length;
    uint32_t flags;     /* private flag bits (h1.c) */
    uint16_t state;     /* private */
    uint16_t n_headers; /* complete field lines so far */
    uint16_t host_pos;  /* index + 1 of the Host field, 0 if none */
    uint16_t status;    /* response status code */
    uint8_t minor_version;
    uint8_t form; /* enum pl_h1_form */
};

struct pl_h1_request {
    struct pl_str method;
    struct pl_str target;
    int minor_version; /* 0 or 1 */
    enum pl_h1_form form;
    struct pl_h1_header headers[PL_H1_MAX_HEADERS];
    size_t n_headers;
    /* Derived framing and connection semantics. */
    enum pl_h1_body body;
    uint64_t content_length; /* valid when body == PL_H1_BODY_LENGTH */
    bool keep_alive;         /* HTTP/1.1 default true, "Connection: close" → false;
                                HTTP/1.0 only with "Connection: keep-alive" */
    bool expect_continue;    /* "Expect: 100-continue" */
    bool has_upgrade;        /* Upgrade header present */
    int host_index;          /* index of the Host field or -1 */
};

struct pl_h1_response {
    int minor_version;
    int status; /* 100..999 */
    struct pl_str reason;
    struct pl_h1_header headers[PL_H1_MAX_HEADERS];
    size_t n_headers;
    enum pl_h1_body body;
    uint64_t content_length;
    bool keep_alive;
};

/*
 * Parse a request head from buf[0..len). Call again with the same st and a longer buffer when
 * more bytes arrive (the buffer may have moved; the bytes already passed must be unchanged);
 * work already done is not repeated (no quadratic rescans on slow clients). Returns the head
 * length (> 0, bytes to consume; the body or the next message follows) when complete, and the
 * same again if called after completion; -EAGAIN when more bytes are needed and no rule is
 * broken so far; -EBADMSG (400), -E2BIG (414/431), -ENOTSUP (501, 505) with *ret_err filled
 * (reason is a static string); -EINVAL when len is below what st already validated. A request
 * line or head over the limits fails as soon as the limit is passed, even if incomplete. lim
 * may be NULL and zero fields take defaults (8192 start line, 65536 head, 100 fields);
 * max_headers is capped at PL_H1_MAX_HEADERS. ret_req is written only on success; its slices
 * point into buf. The framing rules of the file comment decide ret_req->body; a CONNECT
 * request always has PL_H1_BODY_NONE.
 */
int pl_h1_parse_request(const char *buf, size_t len, const struct pl_h1_limits *lim,
                        struct pl_h1_scan *st, struct pl_h1_request *ret_req,
                        struct pl_h1_error *ret_err);

/*
 * Parse a response head. req_method is the method of the request it answers (HEAD and
 * CONNECT change the body rules: RFC 9112 §6.3); 1xx/204/304 have no body; no framing
 * header → PL_H1_BODY_UNTIL_EOF. Same returns as pl_h1_parse_request (status in ret_err is
 * 502 for a malformed upstream response).
 */
int pl_h1_parse_response(const char *buf, size_t len, const struct pl_h1_limits *lim,
                         struct pl_str req_method, struct pl_h1_scan *st,
                         struct pl_h1_response *ret_resp, struct pl_h1_error *ret_err);

/* Index of the first header at or after start (< 0 counts as 0) whose name equals name
 * case-insensitively, or -1. */
int pl_h1_find_header(const struct pl_h1_header *h, size_t n, const char *name, int start);

/*
 * True when name is a hop-by-hop field that a proxy must not forward: Connection,
 * Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE, Trailer,
 * Transfer-Encoding, Upgrade, or any field nominated in a Connection field of h[0..n)
 * (the headers of the same message; comma lists, OWS, case-insensitive; no allocation).
 * Exception: Content-Length is never treated as nominated, since dropping it while the body
 * is relayed would desynchronise the next hop (request/response smuggling).
 */
bool pl_h1_is_hop_by_hop(struct pl_str name, const struct pl_h1_header *h, size_t n);

/* Token character per RFC 9110 §5.6.2. */
bool pl_h1_is_tchar(unsigned char c);

/* -------- chunked transfer coding (RFC 9112 §7.1) -------- */

enum pl_h1_chunk_state {
    PL_H1_CHUNK_SIZE = 0,
    PL_H1_CHUNK_EXT,
    PL_H1_CHUNK_SIZE_LF,
    PL_H1_CHUNK_DATA,
    PL_H1_CHUNK_DATA_CR,
    PL_H1_CHUNK_DATA_LF,
    PL_H1_CHUNK_TRAILER,      /* at the start of a trailer line */
    PL_H1_CHUNK_TRAILER_LINE, /* inside a trailer line */
    PL_H1_CHUNK_TRAILER_LF,
    PL_H1_CHUNK_END_LF,
    PL_H1_CHUNK_DONE,
};

struct pl_h1_chunked {
    enum pl_h1_chunk_state state;
    uint64_t remaining;   /* bytes left in the current chunk */
    unsigned size_digits; /* hex digits seen in the current size line */
    size_t ext_len;       /* bytes of chunk-extension on the current line */
    size_t trailer_len;   /* bytes of trailer section so far */
    bool last_chunk;      /* size was 0 */
    bool saw_data_in_ext; /* internal, unused */
    uint8_t sub;          /* internal: position inside a chunk-ext or trailer line */
};

#define PL_H1_CHUNK_MAX_EXT         1024 /* chunk-ext bytes per chunk line */
#define PL_H1_CHUNK_MAX_TRAILER     8192 /* whole trailer section */
#define PL_H1_CHUNK_MAX_SIZE_DIGITS 15   /* ≤ 2^60 */

/* Reset c to the start of a chunked body (before the first chunk-size). */
void pl_h1_chunked_init(struct pl_h1_chunked *c);

/*
 * Decode chunked framing from in[0..len). Zero-copy: returns at most one run of body data per
 * call through *ret_data (pointing into in; may be empty) and the number of input bytes used in
 * *ret_consumed (framing + data; the call stops right after a data run). Every byte given is
 * consumed unless the message ends or an error occurs, so consumed == 0 with len > 0 only
 * happens once the message is complete. Call repeatedly until all input is consumed or the
 * message ends; any split of the input gives the same result. Chunk extensions are
 * syntax-checked (BWS ";" BWS token [BWS "=" BWS (token|quoted-string)]) and discarded;
 * trailer fields are syntax-checked like header fields and discarded. Bare LF, a missing CRLF
 * after data, bad hex, "0x", a sign, LWS before the size, whitespace not followed by an
 * extension, ";" without a name are -EBADMSG; more than PL_H1_CHUNK_MAX_SIZE_DIGITS hex digits
 * (leading zeros count, so sizes cannot overflow), an extension or trailer over the limits are
 * -E2BIG. Returns 1 when the message is complete (terminating CRLF consumed; bytes after it
 * belong to the next message; later calls return 1 and consume nothing), 0 when more input is
 * needed or data was returned. On error *ret_consumed and *ret_data are not written.
 */
int pl_h1_chunked_decode(struct pl_h1_chunked *c, const char *in, size_t len, size_t *ret_consumed,
                         struct pl_str *ret_data);

/* Write the chunk header for n bytes ("1a2b\r\n") into buf (≥ 20 bytes); returns length. */
size_t pl_h1_chunk_header(char *buf, uint64_t n);

#endif
