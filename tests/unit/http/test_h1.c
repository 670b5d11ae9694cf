/*
 * HTTP/1.1 head parser: table-driven accept/reject cases (each rejection with its status),
 * request-smuggling shapes, limits, early errors on incomplete input, and equivalence of
 * one-shot, split and byte-at-a-time parsing.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "http/h1.h"

#define LIM_SL   8192
#define LIM_HEAD 65536
#define LIM_N    100

static const struct pl_h1_limits lim_default = {LIM_SL, LIM_HEAD, LIM_N};

/* ------------------------------------------------------------------ helpers */

struct outcome {
    int rc;
    struct pl_h1_error err;
};

static struct outcome
parse_req(const char *in, size_t len, const struct pl_h1_limits *lim, struct pl_h1_request *r)
{
    struct pl_h1_scan st = {0};
    struct outcome o = {0};
    o.rc = pl_h1_parse_request(in, len, lim, &st, r, &o.err);
    return o;
}

static struct outcome
parse_resp(const char *in, size_t len, const char *method, struct pl_h1_response *r)
{
    struct pl_h1_scan st = {0};
    struct outcome o = {0};
    o.rc = pl_h1_parse_response(in, len, &lim_default, pl_str_c(method), &st, r, &o.err);
    return o;
}

static const char *
errname(int rc)
{
    switch (rc) {
    case -EAGAIN:
        return "EAGAIN";
    case -EBADMSG:
        return "EBADMSG";
    case -E2BIG:
        return "E2BIG";
    case -ENOTSUP:
        return "ENOTSUP";
    default:
        return rc >= 0 ? "ok" : "other";
    }
}

static bool
slice_eq(struct pl_str a, const char *b)
{
    return pl_str_eq(a, pl_str_c(b));
}

/* Compare two parsed requests field by field (slices compared by offset into their buffers). */
static void
assert_req_same(const struct pl_h1_request *a, const char *abuf, const struct pl_h1_request *b,
                const char *bbuf, const char *name)
{
#define SAME_SLICE(x, y) \
    cr_assert((x).len == (y).len && (x).p - abuf == (y).p - bbuf, "%s: slice differs", name)
    SAME_SLICE(a->method, b->method);
    SAME_SLICE(a->target, b->target);
    cr_assert_eq(a->minor_version, b->minor_version, "%s", name);
    cr_assert_eq(a->form, b->form, "%s", name);
    cr_assert_eq(a->n_headers, b->n_headers, "%s", name);
    for (size_t i = 0; i < a->n_headers; i++) {
        SAME_SLICE(a->headers[i].name, b->headers[i].name);
        SAME_SLICE(a->headers[i].value, b->headers[i].value);
    }
    cr_assert_eq(a->body, b->body, "%s", name);
    cr_assert_eq(a->content_length, b->content_length, "%s", name);
    cr_assert_eq(a->keep_alive, b->keep_alive, "%s", name);
    cr_assert_eq(a->expect_continue, b->expect_continue, "%s", name);
    cr_assert_eq(a->has_upgrade, b->has_upgrade, "%s", name);
    cr_assert_eq(a->host_index, b->host_index, "%s", name);
#undef SAME_SLICE
}

/*
 * Feed in[0..len) one byte at a time with one scan state and check that the first
 * non-EAGAIN answer equals the one-shot answer (rc, status, reason, offset and, on success,
 * every field). Also checks that each EAGAIN left the whole prefix validated, i.e. the next call
 * resumes where this one stopped (no rescans).
 */
static void
check_incremental_req(const char *in, size_t len, const struct pl_h1_limits *lim, const char *name)
{
    static struct pl_h1_request one, inc;
    struct outcome o = parse_req(in, len, lim, &one);
    struct pl_h1_scan st = {0};
    struct pl_h1_error err = {0};
    int rc = -EAGAIN;
    size_t n;
    for (n = 1; n <= len; n++) {
        rc = pl_h1_parse_request(in, n, lim, &st, &inc, &err);
        if (rc != -EAGAIN)
            break;
        cr_assert_eq(st.checked, n, "%s: prefix %zu not fully consumed (%zu)", name, n, st.checked);
    }
    cr_assert_eq(rc, o.rc, "%s: byte-at-a-time rc %d (%s) vs one-shot %d (%s)", name, rc,
                 errname(rc), o.rc, errname(o.rc));
    if (rc >= 0) {
        cr_assert_eq(n, (size_t)rc, "%s: complete head reported late (%zu vs %d)", name, n, rc);
        assert_req_same(&one, in, &inc, in, name);
    } else if (rc != -EAGAIN) {
        cr_assert_eq(err.status, o.err.status, "%s", name);
        cr_assert_str_eq(err.reason, o.err.reason, "%s", name);
        cr_assert_eq(err.offset, o.err.offset, "%s", name);
        cr_assert_leq(err.offset, n, "%s: error after the bytes seen", name);
    }
}

/* Two calls: in[0..k) then in[0..len), for every k; the result must equal one-shot. */
static void
check_splits_req(const char *in, size_t len, const struct pl_h1_limits *lim, const char *name)
{
    static struct pl_h1_request one, two;
    struct outcome o = parse_req(in, len, lim, &one);
    /* the buffer is copied to a fresh allocation for the second call: offsets, not pointers */
    char *copy = malloc(len + 1);
    memcpy(copy, in, len);
    for (size_t k = 0; k <= len; k++) {
        struct pl_h1_scan st = {0};
        struct pl_h1_error err = {0};
        int rc = pl_h1_parse_request(in, k, lim, &st, &two, &err);
        if (rc == -EAGAIN)
            rc = pl_h1_parse_request(copy, len, lim, &st, &two, &err);
        else if (rc >= 0) {
            cr_assert_eq(rc, o.rc, "%s split %zu", name, k);
            continue;
        }
        cr_assert_eq(rc, o.rc, "%s split %zu: %d vs %d", name, k, rc, o.rc);
        if (rc >= 0)
            assert_req_same(&one, in, &two, copy, name);
        else if (rc != -EAGAIN)
            cr_assert_eq(err.offset, o.err.offset, "%s split %zu", name, k);
    }
    free(copy);
}

/* ------------------------------------------------------------------ accepted requests */

struct ok_case {
    const char *name;
    const char *in;
    size_t len;
    enum pl_h1_form form;
    enum pl_h1_body body;
    uint64_t cl;
    bool keep_alive;
};

#define OK(n, s, f, b, c, ka)            \
    {                                    \
        n, s, sizeof(s) - 1, f, b, c, ka \
    }
#define H "Host: example.com\r\n"

static const struct ok_case ok_cases[] = {
    OK("origin", "GET / HTTP/1.1\r\n" H "\r\n", PL_H1_FORM_ORIGIN, PL_H1_BODY_NONE, 0, true),
    OK("origin query", "GET /a/b?x=1&y=%20z HTTP/1.1\r\n" H "\r\n", PL_H1_FORM_ORIGIN,
       PL_H1_BODY_NONE, 0, true),
    OK("origin double slash", "GET //a HTTP/1.1\r\n" H "\r\n", PL_H1_FORM_ORIGIN, PL_H1_BODY_NONE,
       0, true),
    OK("origin all sub-delims", "GET /a:b@c!$&'()*+,;=~-._/?q=/?:@ HTTP/1.1\r\n" H "\r\n",
       PL_H1_FORM_ORIGIN, PL_H1_BODY_NONE, 0, true),
    OK("absolute", "GET http://example.com/x HTTP/1.1\r\n" H "\r\n", PL_H1_FORM_ABSOLUTE,
       PL_H1_BODY_NONE, 0, true),
    OK("absolute ipv6", "GET http://[::1]:8080/ HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
       PL_H1_FORM_ABSOLUTE, PL_H1_BODY_NONE, 0, true),
    OK("authority", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
       PL_H1_FORM_AUTHORITY, PL_H1_BODY_NONE, 0, true),
    OK("authority ipv6", "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n",
       PL_H1_FORM_AUTHORITY, PL_H1_BODY_NONE, 0, true),
    OK("authority CL 0", "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\nContent-Length: 0\r\n\r\n",
       PL_H1_FORM_AUTHORITY, PL_H1_BODY_NONE, 0, true),
    OK("asterisk", "OPTIONS * HTTP/1.1\r\n" H "\r\n", PL_H1_FORM_ASTERISK, PL_H1_BODY_NONE, 0,
       true),
    OK("http/1.0 no host", "GET / HTTP/1.0\r\n\r\n", PL_H1_FORM_ORIGIN, PL_H1_BODY_NONE, 0, false),
    OK("http/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", PL_H1_FORM_ORIGIN,
       PL_H1_BODY_NONE, 0, true),
    OK("connection close", "GET / HTTP/1.1\r\n" H "Connection: foo, close\r\n\r\n",
       PL_H1_FORM_ORIGIN, PL_H1_BODY_NONE, 0, false),
    OK("connection empty elements", "GET / HTTP/1.1\r\n" H "Connection: ,, keep-alive ,\r\n\r\n",
       PL_H1_FORM_ORIGIN, PL_H1_BODY_NONE, 0, true),
    OK("content-length", "POST /u HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\n", PL_H1_FORM_ORIGIN,
       PL_H1_BODY_LENGTH, 5, true),
    OK("content-length zero", "POST /u HTTP/1.1\r\n" H "Content-Length: 0\r\n\r\n",
       PL_H1_FORM_ORIGIN, PL_H1_BODY_LENGTH, 0, true),
    OK("content-length leading zeros", "POST /u HTTP/1.1\r\n" H "Content-Length: 0005\r\n\r\n",
       PL_H1_FORM_ORIGIN, PL_H1_BODY_LENGTH, 5, true),
    OK("content-length max", "POST /u HTTP/1.1\r\n" H "Content-Length: 9223372036854775807\r\n\r\n",
       PL_H1_FORM_ORIGIN, PL_H1_BODY_LENGTH, 9223372036854775807ULL, true),
    OK("content-length OWS", "POST /u HTTP/1.1\r\n" H "content-length:\t 7 \t\r\n\r\n",
       PL_H1_FORM_ORIGIN, PL_H1_BODY_LENGTH, 7, true),
    OK("chunked", "POST /u HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n", PL_H1_FORM_ORIGIN,
       PL_H1_BODY_CHUNKED, 0, true),
    OK("chunked case", "POST /u HTTP/1.1\r\n" H "transfer-encoding: CHUNKED\r\n\r\n",
       PL_H1_FORM_ORIGIN, PL_H1_BODY_CHUNKED, 0, true),
    OK("chunked tab OWS", "POST /u HTTP/1.1\r\n" H "Transfer-Encoding:\tchunked\t\r\n\r\n",
       PL_H1_FORM_ORIGIN, PL_H1_BODY_CHUNKED, 0, true),
    OK("empty value", "GET / HTTP/1.1\r\n" H "X-Empty:\r\nX-Sp:   \r\n\r\n", PL_H1_FORM_ORIGIN,
       PL_H1_BODY_NONE, 0, true),
    OK("obs-text value", "GET / HTTP/1.1\r\n" H "X-U: caf\xc3\xa9\r\n\r\n", PL_H1_FORM_ORIGIN,
       PL_H1_BODY_NONE, 0, true),
    OK("htab inside value", "GET / HTTP/1.1\r\n" H "X-T: a\tb\r\n\r\n", PL_H1_FORM_ORIGIN,
       PL_H1_BODY_NONE, 0, true),
    OK("extension method", "PROPFIND /d HTTP/1.1\r\n" H "\r\n", PL_H1_FORM_ORIGIN, PL_H1_BODY_NONE,
       0, true),
    OK("token method chars", "M-SEARCH! /d HTTP/1.1\r\n" H "\r\n", PL_H1_FORM_ORIGIN,
       PL_H1_BODY_NONE, 0, true),
    OK("host with port", "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", PL_H1_FORM_ORIGIN,
       PL_H1_BODY_NONE, 0, true),
    OK("host ipv4", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", PL_H1_FORM_ORIGIN, PL_H1_BODY_NONE,
       0, true),
    OK("long value",
       "GET / HTTP/1.1\r\n" H "Cookie: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=bbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n",
       PL_H1_FORM_ORIGIN, PL_H1_BODY_NONE, 0, true),
};

Test(h1_request, accepts_valid_forms)
{
    static struct pl_h1_request r;
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        const struct ok_case *c = &ok_cases[i];
        struct outcome o = parse_req(c->in, c->len, &lim_default, &r);
        cr_assert_eq(o.rc, (int)c->len, "%s: rc %d (%s) reason %s", c->name, o.rc, errname(o.rc),
                     o.err.reason ? o.err.reason : "-");
        cr_assert_eq(r.form, c->form, "%s: form", c->name);
        cr_assert_eq(r.body, c->body, "%s: body", c->name);
        cr_assert_eq(r.content_length, c->cl, "%s: cl", c->name);
        cr_assert_eq(r.keep_alive, c->keep_alive, "%s: keep-alive", c->name);
    }
}

Test(h1_request, accepted_incremental_equivalence)
{
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        check_incremental_req(ok_cases[i].in, ok_cases[i].len, &lim_default, ok_cases[i].name);
        check_splits_req(ok_cases[i].in, ok_cases[i].len, &lim_default, ok_cases[i].name);
    }
}

Test(h1_request, slices_and_flags)
{
    static struct pl_h1_request r;
    static const char in[] = "POST http://Example.com:81/p?q HTTP/1.1\r\n"
                             "Host:   Example.com:81  \r\n"
                             "X-A: 1\r\n"
                             "Expect: 100-Continue\r\n"
                             "Upgrade: websocket\r\n"
                             "Content-Length: 12\r\n"
                             "\r\nbody follows";
    struct outcome o = parse_req(in, sizeof(in) - 1, &lim_default, &r);
    cr_assert_eq(o.rc, (int)(sizeof(in) - 1 - strlen("body follows")));
    cr_assert(slice_eq(r.method, "POST"));
    cr_assert(slice_eq(r.target, "http://Example.com:81/p?q"));
    cr_assert_eq(r.minor_version, 1);
    cr_assert_eq(r.n_headers, 5);
    cr_assert(slice_eq(r.headers[0].name, "Host"));
    cr_assert(slice_eq(r.headers[0].value, "Example.com:81"));
    cr_assert(slice_eq(r.headers[1].name, "X-A"));
    cr_assert(slice_eq(r.headers[1].value, "1"));
    cr_assert_eq(r.host_index, 0);
    cr_assert(r.expect_continue);
    cr_assert(r.has_upgrade);
    cr_assert_eq(r.body, PL_H1_BODY_LENGTH);
    cr_assert_eq(r.content_length, 12);
    cr_assert_eq(pl_h1_find_header(r.headers, r.n_headers, "content-length", 0), 4);
    cr_assert_eq(pl_h1_find_header(r.headers, r.n_headers, "x-a", 2), -1);
    cr_assert_eq(pl_h1_find_header(r.headers, r.n_headers, "nope", 0), -1);

    /* HTTP/1.0 without Host: host_index -1; no Expect/Upgrade */
    static const char in10[] = "GET / HTTP/1.0\r\nX: y\r\n\r\n";
    o = parse_req(in10, sizeof(in10) - 1, &lim_default, &r);
    cr_assert_eq(o.rc, (int)(sizeof(in10) - 1));
    cr_assert_eq(r.host_index, -1);
    cr_assert_eq(r.minor_version, 0);
    cr_assert(!r.expect_continue);
    cr_assert(!r.has_upgrade);
}

/* ------------------------------------------------------------------ rejected requests */

struct bad_case {
    const char *name;
    const char *in;
    size_t len;
    int rc;
    int status;
};

#define BAD(n, s, r, st)           \
    {                              \
        n, s, sizeof(s) - 1, r, st \
    }
#define B400(n, s) BAD(n, s, -EBADMSG, 400)
#define RL         "GET / HTTP/1.1\r\n"
#define PH         "POST / HTTP/1.1\r\n" H

static const struct bad_case bad_cases[] = {
    /* Host */
    B400("missing host", "GET / HTTP/1.1\r\n\r\n"),
    B400("duplicate host", RL H H "\r\n"),
    B400("duplicate host differing", RL H "host: other.example\r\n\r\n"),
    B400("host userinfo", RL "Host: user@example.com\r\n\r\n"),
    B400("host empty", RL "Host:\r\n\r\n"),
    B400("host space", RL "Host: exa mple.com\r\n\r\n"),
    B400("host bad port", RL "Host: example.com:99999\r\n\r\n"),
    B400("host empty port", RL "Host: example.com:\r\n\r\n"),
    B400("host unterminated ipv6", RL "Host: [::1\r\n\r\n"),
    /* request smuggling: CL.TE, TE.CL, TE.TE */
    B400("CL.TE", PH "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"),
    B400("TE.CL", PH "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n"),
    B400("TE chunked, identity", PH "Transfer-Encoding: chunked, identity\r\n\r\n"),
    B400("TE xchunked", PH "Transfer-Encoding: xchunked\r\n\r\n"),
    B400("TE chunkedx", PH "Transfer-Encoding: chunkedx\r\n\r\n"),
    B400("TE identity", PH "Transfer-Encoding: identity\r\n\r\n"),
    B400("TE chunked twice in list", PH "Transfer-Encoding: chunked, chunked\r\n\r\n"),
    B400("TE chunked with params", PH "Transfer-Encoding: chunked;q=1\r\n\r\n"),
    B400("TE empty", PH "Transfer-Encoding:\r\n\r\n"),
    B400("TE trailing comma", PH "Transfer-Encoding: chunked,\r\n\r\n"),
    B400("TE leading comma", PH "Transfer-Encoding: , chunked\r\n\r\n"),
    B400("TE quoted", PH "Transfer-Encoding: \"chunked\"\r\n\r\n"),
    B400("TE two fields", PH "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
    B400("TE two fields identity",
         PH "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n"),
    B400("TE tab before colon", PH "Transfer-Encoding\t: chunked\r\n\r\n"),
    B400("TE space before colon", PH "Transfer-Encoding : chunked\r\n\r\n"),
    B400("TE first-line leading space",
         "POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\n" H "\r\n"),
    B400("TE obs-fold value", PH "Transfer-Encoding:\r\n chunked\r\n\r\n"),
    B400("TE obs-fold line", PH "X: y\r\n Transfer-Encoding: chunked\r\n\r\n"),
    B400("TE vertical tab", PH "Transfer-Encoding: \x0b"
                               "chunked\r\n\r\n"),
    B400("TE formfeed", PH "Transfer-Encoding: chunked\x0c\r\n\r\n"),
    B400("TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
    B400("TE bare LF", PH "Transfer-Encoding: chunked\n\r\n"),
    B400("TE name with NUL", PH "Transfer-Encoding\0: chunked\r\n\r\n"),
    BAD("TE gzip, chunked", PH "Transfer-Encoding: gzip, chunked\r\n\r\n", -ENOTSUP, 501),
    BAD("TE gzip params, chunked", PH "Transfer-Encoding: gzip;x=\"a,b\" , chunked\r\n\r\n",
        -ENOTSUP, 501),
    BAD("TE quoted-pair param", PH "Transfer-Encoding: gzip; x = \"a\\\"b\", chunked\r\n\r\n",
        -ENOTSUP, 501),
    B400("TE bad quoted-pair", PH "Transfer-Encoding: gzip;x=\"a\\\x01\", chunked\r\n\r\n"),
    B400("TE unterminated quote", PH "Transfer-Encoding: gzip;x=\"a, chunked\r\n\r\n"),
    B400("TE param without value", PH "Transfer-Encoding: gzip;x, chunked\r\n\r\n"),
    /* Content-Length */
    B400("CL duplicate differing", PH "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"),
    B400("CL duplicate same", PH "Content-Length: 5\r\nContent-Length: 5\r\n\r\n"),
    B400("CL plus sign", PH "Content-Length: +5\r\n\r\n"),
    B400("CL minus", PH "Content-Length: -1\r\n\r\n"),
    B400("CL list", PH "Content-Length: 5, 5\r\n\r\n"),
    B400("CL space inside", PH "Content-Length: 5 5\r\n\r\n"),
    B400("CL hex", PH "Content-Length: 0x5\r\n\r\n"),
    B400("CL empty", PH "Content-Length:\r\n\r\n"),
    B400("CL decimal point", PH "Content-Length: 5.0\r\n\r\n"),
    B400("CL overflow", PH "Content-Length: 9223372036854775808\r\n\r\n"),
    B400("CL huge", PH "Content-Length: 99999999999999999999999\r\n\r\n"),
    B400("CL space before colon", PH "Content-Length : 5\r\n\r\n"),
    /* field syntax */
    B400("name with space", RL H "Bad Name: x\r\n\r\n"),
    B400("name with paren", RL H "Bad(Name): x\r\n\r\n"),
    B400("name non-ascii", RL H "N\xc3\xa4me: x\r\n\r\n"),
    B400("empty name", RL H ": x\r\n\r\n"),
    B400("no colon", RL H "NoColon\r\n\r\n"),
    B400("NUL in value", RL H "X: a\0b\r\n\r\n"),
    B400("NUL in name", RL H "X\0Y: a\r\n\r\n"),
    B400("SOH in value", RL H "X: a\x01"
                              "b\r\n\r\n"),
    B400("ESC in value", RL H "X: a\x1b[0m\r\n\r\n"),
    B400("DEL in value", RL H "X: a\x7f\r\n\r\n"),
    B400("bare CR in value", RL H "X: a\rb\r\n\r\n"),
    B400("bare CR before LF missing", RL H "X: a\r\r\n\r\n"),
    B400("obs-fold", RL H "X: a\r\n b\r\n\r\n"),
    B400("obs-fold tab", RL H "X: a\r\n\tb\r\n\r\n"),
    B400("LF-only lines", "GET / HTTP/1.1\nHost: a\n\n"),
    B400("LF-only header line", RL "Host: a\n\r\n"),
    B400("LF-only final line", RL H "\n"),
    B400("CR-only lines", "GET / HTTP/1.1\rHost: a\r\r"),
    B400("CR-only header line", RL "Host: a\rX: b\r\n\r\n"),
    B400("CR-only final line", RL H "\rX"),
    B400("connection junk", RL H "Connection: close;x\r\n\r\n"),
    B400("connection quoted", RL H "Connection: \"close\"\r\n\r\n"),
    /* request line */
    B400("empty line first", "\r\nGET / HTTP/1.1\r\n" H "\r\n"),
    B400("leading space", " GET / HTTP/1.1\r\n" H "\r\n"),
    B400("method not token", "G(T / HTTP/1.1\r\n" H "\r\n"),
    B400("method non-ascii", "G\xc3\xa9T / HTTP/1.1\r\n" H "\r\n"),
    B400("tab separator", "GET\t/ HTTP/1.1\r\n" H "\r\n"),
    B400("double space", "GET  / HTTP/1.1\r\n" H "\r\n"),
    B400("space before version twice", "GET /  HTTP/1.1\r\n" H "\r\n"),
    B400("http/0.9", "GET /\r\n\r\n"),
    B400("no version", "GET / \r\n" H "\r\n"),
    B400("lowercase version", "GET / http/1.1\r\n" H "\r\n"),
    B400("version trailing space", "GET / HTTP/1.1 \r\n" H "\r\n"),
    B400("version two digit minor", "GET / HTTP/1.10\r\n" H "\r\n"),
    B400("version short", "GET / HTTP/1\r\n" H "\r\n"),
    B400("request line bare LF", "GET / HTTP/1.1\n" H "\r\n"),
    B400("request line bare CR", "GET / HTTP/1.1\r" H "\r\n"),
    BAD("http/1.2", "GET / HTTP/1.2\r\n" H "\r\n", -ENOTSUP, 505),
    BAD("http/2.0", "GET / HTTP/2.0\r\n" H "\r\n", -ENOTSUP, 505),
    BAD("http/0.9 with version", "GET / HTTP/0.9\r\n" H "\r\n", -ENOTSUP, 505),
    BAD("h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", -ENOTSUP, 505),
    /* request-target bytes (RFC 3986 set only) */
    B400("target space", "GET /a b HTTP/1.1\r\n" H "\r\n"),
    B400("target quote", "GET /a\"b HTTP/1.1\r\n" H "\r\n"),
    B400("target lt", "GET /<script> HTTP/1.1\r\n" H "\r\n"),
    B400("target backslash", "GET /a\\b HTTP/1.1\r\n" H "\r\n"),
    B400("target caret", "GET /a^b HTTP/1.1\r\n" H "\r\n"),
    B400("target backtick", "GET /a`b HTTP/1.1\r\n" H "\r\n"),
    B400("target brace", "GET /a{b} HTTP/1.1\r\n" H "\r\n"),
    B400("target pipe", "GET /a|b HTTP/1.1\r\n" H "\r\n"),
    B400("target DEL", "GET /a\x7f HTTP/1.1\r\n" H "\r\n"),
    B400("target non-ascii", "GET /caf\xc3\xa9 HTTP/1.1\r\n" H "\r\n"),
    B400("target NUL", "GET /a\0 HTTP/1.1\r\n" H "\r\n"),
    B400("target tab", "GET /a\tb HTTP/1.1\r\n" H "\r\n"),
    B400("target fragment", "GET /a#frag HTTP/1.1\r\n" H "\r\n"),
    B400("target bad escape", "GET /a%zz HTTP/1.1\r\n" H "\r\n"),
    B400("target short escape", "GET /a%4 HTTP/1.1\r\n" H "\r\n"),
    B400("target escape at end", "GET /a% HTTP/1.1\r\n" H "\r\n"),
    /* target forms */
    B400("authority-form with GET", "GET example.com:443 HTTP/1.1\r\n" H "\r\n"),
    B400("asterisk with GET", "GET * HTTP/1.1\r\n" H "\r\n"),
    B400("asterisk prefix", "OPTIONS *x HTTP/1.1\r\n" H "\r\n"),
    B400("scheme without slashes", "GET mailto:a@example.com HTTP/1.1\r\n" H "\r\n"),
    B400("relative target", "GET a/b HTTP/1.1\r\n" H "\r\n"),
    B400("CONNECT no port", "CONNECT example.com HTTP/1.1\r\n" H "\r\n"),
    B400("CONNECT empty port", "CONNECT example.com: HTTP/1.1\r\n" H "\r\n"),
    B400("CONNECT port range", "CONNECT example.com:65536 HTTP/1.1\r\n" H "\r\n"),
    B400("CONNECT origin-form", "CONNECT / HTTP/1.1\r\n" H "\r\n"),
    B400("CONNECT absolute-form", "CONNECT http://example.com:443/ HTTP/1.1\r\n" H "\r\n"),
    B400("CONNECT userinfo", "CONNECT u@example.com:443 HTTP/1.1\r\n" H "\r\n"),
    B400("CONNECT ipv6 unbracketed", "CONNECT ::1:443 HTTP/1.1\r\n" H "\r\n"),
    B400("CONNECT with TE",
         "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\nTransfer-Encoding: chunked\r\n\r\n"),
    B400("CONNECT with body", "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\nContent-Length: 5\r\n\r\n"),
};

Test(h1_request, rejects_with_status)
{
    static struct pl_h1_request r;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct outcome o = parse_req(c->in, c->len, &lim_default, &r);
        cr_assert_eq(o.rc, c->rc, "%s: rc %d (%s), want %s", c->name, o.rc, errname(o.rc),
                     errname(c->rc));
        cr_assert_eq(o.err.status, c->status, "%s: status %d want %d (%s)", c->name, o.err.status,
                     c->status, o.err.reason);
        cr_assert_not_null(o.err.reason, "%s", c->name);
        cr_assert_lt(o.err.offset, c->len, "%s: offset", c->name);
    }
}

Test(h1_request, rejected_incremental_equivalence)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        check_incremental_req(bad_cases[i].in, bad_cases[i].len, &lim_default, bad_cases[i].name);
        check_splits_req(bad_cases[i].in, bad_cases[i].len, &lim_default, bad_cases[i].name);
    }
}

/* Many real clients send these unencoded; we still refuse them (see report / h1.h). */
Test(h1_request, target_rejects_every_byte_outside_rfc3986)
{
    static struct pl_h1_request r;
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                  "-._~:/?[]@!$&'()*+,;=";
    for (int c = 0; c < 256; c++) {
        char in[64];
        int n = snprintf(in, sizeof(in), "GET /a%cb HTTP/1.1\r\nHost: a\r\n\r\n", c ? c : 'x');
        if (c == 0)
            in[6] = '\0';
        struct outcome o = parse_req(in, (size_t)n, &lim_default, &r);
        bool ok = c != 0 && strchr(allowed, c) != NULL;
        if (c == '%')
            ok = false; /* "%b " is a malformed escape */
        if (ok)
            cr_assert_eq(o.rc, n, "byte 0x%02x should be accepted", c);
        else
            cr_assert_eq(o.rc, -EBADMSG, "byte 0x%02x should be rejected", c);
    }
}

Test(h1_request, field_value_rejects_every_control_byte)
{
    static struct pl_h1_request r;
    for (int c = 0; c < 256; c++) {
        char in[64];
        int n = snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: a\r\nX: a%cb\r\n\r\n", 'Q');
        in[29] = (char)c;
        cr_assert_eq(in[28], 'a');
        struct outcome o = parse_req(in, (size_t)n, &lim_default, &r);
        bool ok = c == '\t' || (c >= 0x20 && c != 0x7f);
        if (ok)
            cr_assert_eq(o.rc, n, "byte 0x%02x should be accepted", c);
        else
            cr_assert_eq(o.rc, -EBADMSG, "byte 0x%02x should be rejected", c);
    }
}

/* Long values take the 8-bytes-at-a-time path: a bad byte must be caught at every position. */
Test(h1_request, field_value_bad_byte_at_every_position)
{
    static struct pl_h1_request r;
    static const unsigned char bad[] = {0x00, 0x01, 0x08, 0x0a, 0x0b, 0x0d, 0x1f, 0x7f};
    static const unsigned char good[] = {'\t', ' ', 0x21, 0x7e, 0x80, 0xc3, 0xff};
    static const char pre[] = "GET / HTTP/1.1\r\nHost: a\r\nX-Long: ";
    char in[128];
    size_t p0 = sizeof(pre) - 1, vlen = 40;
    for (size_t pos = 0; pos < vlen; pos++) {
        for (int pass = 0; pass < 2; pass++) {
            const unsigned char *set = pass ? good : bad;
            size_t n = pass ? sizeof(good) : sizeof(bad);
            for (size_t j = 0; j < n; j++) {
                memcpy(in, pre, p0);
                memset(in + p0, 'v', vlen);
                in[p0 + pos] = (char)set[j];
                memcpy(in + p0 + vlen, "\r\n\r\n", 4);
                size_t len = p0 + vlen + 4;
                struct outcome o = parse_req(in, len, &lim_default, &r);
                if (pass) {
                    cr_assert_eq(o.rc, (int)len, "byte 0x%02x at %zu rejected", set[j], pos);
                } else {
                    cr_assert_eq(o.rc, -EBADMSG, "byte 0x%02x at %zu accepted", set[j], pos);
                    cr_assert_eq(o.err.offset, p0 + pos, "byte 0x%02x at %zu", set[j], pos);
                }
            }
        }
    }
}

/* ------------------------------------------------------------------ early errors */

struct early_case {
    const char *name;
    const char *in;
    size_t len;
    int rc;
};

#define EARLY(n, s, r)         \
    {                          \
        n, s, sizeof(s) - 1, r \
    }

/* Incomplete heads that already break a rule: the error must not wait for the empty line. */
static const struct early_case early_cases[] = {
    EARLY("NUL in value", RL H "X: \0", -EBADMSG),
    EARLY("duplicate CL", PH "Content-Length: 1\r\nContent-Length: 1\r\n", -EBADMSG),
    EARLY("CL then TE", PH "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n", -EBADMSG),
    EARLY("obs-fold", RL H "X: 1\r\n ", -EBADMSG),
    EARLY("space before colon", RL "Host ", -EBADMSG),
    EARLY("bad target byte", "GET /<", -EBADMSG),
    EARLY("bad version byte", "GET / HTTX", -EBADMSG),
    EARLY("bad method byte", "GE\x01", -EBADMSG),
    EARLY("bare LF", RL "\n", -EBADMSG),
    EARLY("bare CR", RL "Host: a\rX", -EBADMSG),
    EARLY("unsupported version", "GET / HTTP/3.0\r", -ENOTSUP),
    EARLY("bad TE", PH "Transfer-Encoding: gzip\r\n", -EBADMSG),
    EARLY("duplicate host", RL H H, -EBADMSG),
    EARLY("CONNECT target", "CONNECT a HTTP/1.1\r\n", -EBADMSG),
};

Test(h1_request, errors_before_head_is_complete)
{
    static struct pl_h1_request r;
    for (size_t i = 0; i < sizeof(early_cases) / sizeof(early_cases[0]); i++) {
        const struct early_case *c = &early_cases[i];
        struct outcome o = parse_req(c->in, c->len, &lim_default, &r);
        cr_assert_eq(o.rc, c->rc, "%s: rc %d (%s)", c->name, o.rc, errname(o.rc));
        check_incremental_req(c->in, c->len, &lim_default, c->name);
    }
}

Test(h1_request, incomplete_heads_need_more)
{
    static struct pl_h1_request r;
    static const char full[] =
        "POST http://example.com/x?y HTTP/1.1\r\n" H "Content-Length: 10\r\nX-A: b c\r\n\r\n";
    for (size_t n = 0; n < sizeof(full) - 1; n++) {
        struct outcome o = parse_req(full, n, &lim_default, &r);
        cr_assert_eq(o.rc, -EAGAIN, "prefix %zu: %d", n, o.rc);
    }
    cr_assert_eq(parse_req(full, sizeof(full) - 1, &lim_default, &r).rc, (int)sizeof(full) - 1);
}

Test(h1_request, done_state_is_stable)
{
    static struct pl_h1_request r;
    static const char in[] = "GET / HTTP/1.1\r\n" H "\r\nGET /next HTTP/1.1\r\n";
    struct pl_h1_scan st = {0};
    struct pl_h1_error e = {0};
    int rc = pl_h1_parse_request(in, sizeof(in) - 1, &lim_default, &st, &r, &e);
    cr_assert_eq(rc, (int)strlen("GET / HTTP/1.1\r\n" H "\r\n"));
    int rc2 = pl_h1_parse_request(in, sizeof(in) - 1, &lim_default, &st, &r, &e);
    cr_assert_eq(rc2, rc);
    cr_assert(slice_eq(r.target, "/"));
}

Test(h1_request, shrinking_buffer_is_refused)
{
    static struct pl_h1_request r;
    struct pl_h1_scan st = {0};
    struct pl_h1_error e = {0};
    cr_assert_eq(pl_h1_parse_request("GET / HT", 8, &lim_default, &st, &r, &e), -EAGAIN);
    cr_assert_eq(pl_h1_parse_request("GET / HT", 4, &lim_default, &st, &r, &e), -EINVAL);
}

/* ------------------------------------------------------------------ limits */

static char *
make_line_request(size_t target_len, size_t *ret_len)
{
    /* "GET /aaaa HTTP/1.1" has 15 + target_len bytes; target includes the '/' */
    size_t n = 4 + target_len + 9 + 2 + 9 + 2;
    char *b = malloc(n + 1);
    size_t k = 0;
    memcpy(b + k, "GET ", 4);
    k += 4;
    b[k++] = '/';
    memset(b + k, 'a', target_len - 1);
    k += target_len - 1;
    memcpy(b + k, " HTTP/1.1\r\nHost: a\r\n\r\n", 22);
    k += 22;
    *ret_len = k;
    return b;
}

Test(h1_limits, request_line)
{
    static struct pl_h1_request r;
    struct pl_h1_limits lim = {100, 4096, 10};
    size_t len;
    /* request line = 4 + t + 9 = 100 bytes → exactly at the limit */
    char *b = make_line_request(87, &len);
    cr_assert_eq(parse_req(b, len, &lim, &r).rc, (int)len);
    free(b);
    b = make_line_request(88, &len);
    struct outcome o = parse_req(b, len, &lim, &r);
    cr_assert_eq(o.rc, -E2BIG);
    cr_assert_eq(o.err.status, 414);
    cr_assert_eq(o.err.offset, 100);
    check_incremental_req(b, len, &lim, "request line 101");
    /* reported as soon as byte 101 arrives, before any CRLF */
    o = parse_req(b, 101, &lim, &r);
    cr_assert_eq(o.rc, -E2BIG);
    cr_assert_eq(parse_req(b, 100, &lim, &r).rc, -EAGAIN);
    free(b);
    /* the limit also holds for a long method and inside a percent-escape */
    char m[200];
    memset(m, 'M', sizeof(m));
    o = parse_req(m, sizeof(m), &lim, &r);
    cr_assert_eq(o.rc, -E2BIG);
    cr_assert_eq(o.err.status, 414);
    memcpy(m, "GET /", 5);
    memset(m + 5, 'a', 94);
    m[99] = '%';
    m[100] = '4';
    cr_assert_eq(parse_req(m, 100, &lim, &r).rc, -EAGAIN);
    cr_assert_eq(parse_req(m, 101, &lim, &r).rc, -E2BIG);
}

Test(h1_limits, head_size)
{
    static struct pl_h1_request r;
    struct pl_h1_limits lim = {1000, 200, 50};
    char b[400];
    static const char start[] = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
    size_t k = sizeof(start) - 1;
    memcpy(b, start, k);
    /* head = k + v + 4 bytes; v chosen so it is exactly 200 */
    size_t v = 200 - k - 4;
    memset(b + k, 'v', v);
    memcpy(b + k + v, "\r\n\r\n", 4);
    cr_assert_eq(parse_req(b, 200, &lim, &r).rc, 200);
    /* one more value byte → 431, already when byte 201 is available */
    memset(b + k, 'v', v + 1);
    memcpy(b + k + v + 1, "\r\n\r\n", 4);
    struct outcome o = parse_req(b, 201, &lim, &r);
    cr_assert_eq(o.rc, -E2BIG);
    cr_assert_eq(o.err.status, 431);
    cr_assert_eq(parse_req(b, 200, &lim, &r).rc, -EAGAIN);
    check_incremental_req(b, 201, &lim, "head 201");
}

Test(h1_limits, header_count)
{
    static struct pl_h1_request r;
    struct pl_h1_limits lim = {1000, 10000, 5};
    char b[1000];
    size_t k = (size_t)snprintf(b, sizeof(b), "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 4; i++)
        k += (size_t)snprintf(b + k, sizeof(b) - k, "X-%d: v\r\n", i);
    memcpy(b + k, "\r\n", 2);
    cr_assert_eq(parse_req(b, k + 2, &lim, &r).rc, (int)k + 2);
    cr_assert_eq(r.n_headers, 5);
    k += (size_t)snprintf(b + k, sizeof(b) - k, "X-5: v\r\n\r\n");
    struct outcome o = parse_req(b, k, &lim, &r);
    cr_assert_eq(o.rc, -E2BIG);
    cr_assert_eq(o.err.status, 431);
    check_incremental_req(b, k, &lim, "6 headers");
}

Test(h1_limits, header_count_clamped_to_array)
{
    static struct pl_h1_request r;
    struct pl_h1_limits lim = {1000, 100000, 100000};
    static char b[20000];
    size_t k = (size_t)snprintf(b, sizeof(b), "GET / HTTP/1.1\r\n");
    for (int i = 0; i < PL_H1_MAX_HEADERS; i++)
        k += (size_t)snprintf(b + k, sizeof(b) - k, "%s: v\r\n", i == 0 ? "Host" : "X");
    memcpy(b + k, "\r\n", 2);
    cr_assert_eq(parse_req(b, k + 2, &lim, &r).rc, (int)k + 2);
    cr_assert_eq(r.n_headers, PL_H1_MAX_HEADERS);
    k += (size_t)snprintf(b + k, sizeof(b) - k, "X: v\r\n\r\n");
    cr_assert_eq(parse_req(b, k, &lim, &r).rc, -E2BIG);
}

Test(h1_limits, defaults_when_zero_or_null)
{
    static struct pl_h1_request r;
    struct pl_h1_scan st = {0};
    struct pl_h1_error e = {0};
    static const char in[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    cr_assert_eq(pl_h1_parse_request(in, sizeof(in) - 1, NULL, &st, &r, &e), (int)sizeof(in) - 1);
    struct pl_h1_limits zero = {0, 0, 0};
    memset(&st, 0, sizeof(st));
    cr_assert_eq(pl_h1_parse_request(in, sizeof(in) - 1, &zero, &st, &r, &e), (int)sizeof(in) - 1);
}

/* A large head fed one byte at a time: every call resumes exactly where the last stopped. */
Test(h1_limits, slow_client_is_linear)
{
    static struct pl_h1_request r;
    size_t vlen = 60000;
    static const char start[] = "GET / HTTP/1.1\r\nHost: a\r\nCookie: ";
    size_t len = sizeof(start) - 1 + vlen + 4;
    char *b = malloc(len);
    memcpy(b, start, sizeof(start) - 1);
    memset(b + sizeof(start) - 1, 'c', vlen);
    memcpy(b + len - 4, "\r\n\r\n", 4);
    struct pl_h1_scan st = {0};
    struct pl_h1_error e = {0};
    for (size_t n = 1; n < len; n++) {
        size_t before = st.checked;
        cr_assert_eq(pl_h1_parse_request(b, n, &lim_default, &st, &r, &e), -EAGAIN);
        cr_assert_eq(before, n - 1);
        cr_assert_eq(st.checked, n);
    }
    cr_assert_eq(pl_h1_parse_request(b, len, &lim_default, &st, &r, &e), (int)len);
    cr_assert_eq(r.headers[1].value.len, vlen);
    free(b);
}

/* ------------------------------------------------------------------ responses */

struct resp_case {
    const char *name;
    const char *method;
    const char *in;
    size_t len;
    int rc; /* 0: accepted (whole input is the head) */
    int status;
    enum pl_h1_body body;
    uint64_t cl;
    bool keep_alive;
};

#define ROK(n, m, s, st, b, c, ka)              \
    {                                           \
        n, m, s, sizeof(s) - 1, 0, st, b, c, ka \
    }
#define RBAD(n, s, r)                                                 \
    {                                                                 \
        n, "GET", s, sizeof(s) - 1, r, 502, PL_H1_BODY_NONE, 0, false \
    }

static const struct resp_case resp_cases[] = {
    ROK("200 CL", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", 200, PL_H1_BODY_LENGTH, 3,
        true),
    ROK("200 chunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200,
        PL_H1_BODY_CHUNKED, 0, true),
    ROK("200 until EOF", "GET", "HTTP/1.1 200 OK\r\nX: y\r\n\r\n", 200, PL_H1_BODY_UNTIL_EOF, 0,
        false),
    ROK("200 close", "GET", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n",
        200, PL_H1_BODY_LENGTH, 1, false),
    ROK("HEAD with CL", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 200,
        PL_H1_BODY_NONE, 0, true),
    ROK("HEAD with chunked", "HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200,
        PL_H1_BODY_NONE, 0, true),
    ROK("204", "GET", "HTTP/1.1 204 No Content\r\n\r\n", 204, PL_H1_BODY_NONE, 0, true),
    ROK("304 with CL", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n", 304,
        PL_H1_BODY_NONE, 0, true),
    ROK("100", "POST", "HTTP/1.1 100 Continue\r\n\r\n", 100, PL_H1_BODY_NONE, 0, true),
    ROK("101", "GET", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 101,
        PL_H1_BODY_NONE, 0, true),
    ROK("103", "GET", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", 103, PL_H1_BODY_NONE, 0,
        true),
    ROK("CONNECT 200", "CONNECT", "HTTP/1.1 200 Connection established\r\n\r\n", 200,
        PL_H1_BODY_NONE, 0, true),
    ROK("CONNECT 407", "CONNECT", "HTTP/1.1 407 Auth\r\nContent-Length: 4\r\n\r\n", 407,
        PL_H1_BODY_LENGTH, 4, true),
    ROK("no reason", "GET", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 200, PL_H1_BODY_LENGTH, 0,
        true),
    ROK("empty reason", "GET", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", 200, PL_H1_BODY_LENGTH,
        0, true),
    ROK("reason obs-text tab", "GET",
        "HTTP/1.1 200 \xc3\xa9t\xc3\xa9\tok\r\nContent-Length: 0\r\n\r\n", 200, PL_H1_BODY_LENGTH,
        0, true),
    ROK("1.0 CL", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", 200, PL_H1_BODY_LENGTH, 2,
        false),
    ROK("1.0 keep-alive", "GET",
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n", 200,
        PL_H1_BODY_LENGTH, 2, true),
    ROK("1.0 until EOF", "GET", "HTTP/1.0 200 OK\r\n\r\n", 200, PL_H1_BODY_UNTIL_EOF, 0, false),
    ROK("999", "GET", "HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n", 999, PL_H1_BODY_LENGTH, 0,
        true),
    ROK("500 chunked", "POST", "HTTP/1.1 500 Oops\r\ntransfer-encoding: Chunked\r\n\r\n", 500,
        PL_H1_BODY_CHUNKED, 0, true),
    RBAD("status 099", "HTTP/1.1 099 X\r\n\r\n", -EBADMSG),
    RBAD("status 2 digits", "HTTP/1.1 20 OK\r\n\r\n", -EBADMSG),
    RBAD("status 4 digits", "HTTP/1.1 2000 OK\r\n\r\n", -EBADMSG),
    RBAD("status letters", "HTTP/1.1 2O0 OK\r\n\r\n", -EBADMSG),
    RBAD("double space", "HTTP/1.1  200 OK\r\n\r\n", -EBADMSG),
    RBAD("http/2", "HTTP/2.0 200 OK\r\n\r\n", -ENOTSUP),
    RBAD("http/1.2", "HTTP/1.2 200 OK\r\n\r\n", -ENOTSUP),
    RBAD("lowercase", "http/1.1 200 OK\r\n\r\n", -EBADMSG),
    RBAD("ICY", "ICY 200 OK\r\n\r\n", -EBADMSG),
    RBAD("reason control", "HTTP/1.1 200 O\x01K\r\n\r\n", -EBADMSG),
    RBAD("status bare LF", "HTTP/1.1 200 OK\n\r\n", -EBADMSG),
    RBAD("status bare CR", "HTTP/1.1 200 OK\rX: y\r\n\r\n", -EBADMSG),
    RBAD("status bare CR no reason", "HTTP/1.1 200\rX: y\r\n\r\n", -EBADMSG),
    RBAD("TE gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", -EBADMSG),
    RBAD("TE gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
         -ENOTSUP),
    RBAD("TE chunked, gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
         -EBADMSG),
    RBAD("CL+TE", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
         -EBADMSG),
    RBAD("TE in 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", -EBADMSG),
    RBAD("CL duplicate", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
         -EBADMSG),
    RBAD("CL list", "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n", -EBADMSG),
    RBAD("obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", -EBADMSG),
    RBAD("space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\n", -EBADMSG),
    RBAD("LF only", "HTTP/1.1 200 OK\nContent-Length: 3\n\n", -EBADMSG),
    RBAD("NUL in value", "HTTP/1.1 200 OK\r\nX: \0\r\n\r\n", -EBADMSG),
};

Test(h1_response, table)
{
    static struct pl_h1_response r;
    for (size_t i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
        const struct resp_case *c = &resp_cases[i];
        struct outcome o = parse_resp(c->in, c->len, c->method, &r);
        if (c->rc == 0) {
            cr_assert_eq(o.rc, (int)c->len, "%s: rc %d (%s) %s", c->name, o.rc, errname(o.rc),
                         o.err.reason ? o.err.reason : "");
            cr_assert_eq(r.status, c->status, "%s", c->name);
            cr_assert_eq(r.body, c->body, "%s: body %d", c->name, r.body);
            cr_assert_eq(r.content_length, c->cl, "%s", c->name);
            cr_assert_eq(r.keep_alive, c->keep_alive, "%s: keep-alive", c->name);
        } else {
            cr_assert_eq(o.rc, c->rc, "%s: rc %d (%s)", c->name, o.rc, errname(o.rc));
            cr_assert_eq(o.err.status, 502, "%s", c->name);
        }
        /* byte-at-a-time equivalence */
        struct pl_h1_scan st = {0};
        struct pl_h1_error e = {0};
        static struct pl_h1_response r2;
        int rc = -EAGAIN;
        for (size_t n = 1; n <= c->len && rc == -EAGAIN; n++)
            rc = pl_h1_parse_response(c->in, n, &lim_default, pl_str_c(c->method), &st, &r2, &e);
        cr_assert_eq(rc, o.rc, "%s: incremental %d vs %d", c->name, rc, o.rc);
        if (rc >= 0) {
            cr_assert_eq(r2.body, r.body, "%s", c->name);
            cr_assert(pl_str_eq(r2.reason, r.reason), "%s", c->name);
        }
    }
}

Test(h1_response, slices)
{
    static struct pl_h1_response r;
    static const char in[] = "HTTP/1.1 404 Not Found\r\nServer: x\r\nContent-Length: 9\r\n\r\n";
    struct outcome o = parse_resp(in, sizeof(in) - 1, "GET", &r);
    cr_assert_eq(o.rc, (int)sizeof(in) - 1);
    cr_assert_eq(r.minor_version, 1);
    cr_assert(slice_eq(r.reason, "Not Found"));
    cr_assert_eq(r.n_headers, 2);
    cr_assert(slice_eq(r.headers[0].name, "Server"));
    cr_assert(slice_eq(r.headers[1].value, "9"));
    static const char noreason[] = "HTTP/1.1 200\r\n\r\n";
    o = parse_resp(noreason, sizeof(noreason) - 1, "GET", &r);
    cr_assert_eq(o.rc, (int)sizeof(noreason) - 1);
    cr_assert_eq(r.reason.len, 0);
}

Test(h1_response, limits_map_to_502)
{
    static struct pl_h1_response r;
    struct pl_h1_limits lim = {20, 60, 2};
    struct pl_h1_scan st = {0};
    struct pl_h1_error e = {0};
    static const char longsl[] = "HTTP/1.1 200 a very long reason phrase\r\n\r\n";
    int rc = pl_h1_parse_response(longsl, sizeof(longsl) - 1, &lim, PL_STR("GET"), &st, &r, &e);
    cr_assert_eq(rc, -E2BIG);
    cr_assert_eq(e.status, 502);
    struct pl_h1_limits tiny = {10, 60, 2};
    static const char digits[] = "HTTP/1.1 200\r\n\r\n";
    memset(&st, 0, sizeof(st));
    cr_assert_eq(pl_h1_parse_response(digits, 10, &tiny, PL_STR("GET"), &st, &r, &e), -EAGAIN);
    rc = pl_h1_parse_response(digits, 11, &tiny, PL_STR("GET"), &st, &r, &e);
    cr_assert_eq(rc, -E2BIG);
    cr_assert_eq(e.status, 502);
    static const char many[] = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    memset(&st, 0, sizeof(st));
    rc = pl_h1_parse_response(many, sizeof(many) - 1, &lim, PL_STR("GET"), &st, &r, &e);
    cr_assert_eq(rc, -E2BIG);
    cr_assert_eq(e.status, 502);
    static const char big[] =
        "HTTP/1.1 200 OK\r\nA: 0123456789012345678901234567890123456789\r\n\r\n";
    memset(&st, 0, sizeof(st));
    rc = pl_h1_parse_response(big, sizeof(big) - 1, &lim, PL_STR("GET"), &st, &r, &e);
    cr_assert_eq(rc, -E2BIG);
    cr_assert_eq(e.status, 502);
}

/* ------------------------------------------------------------------ hop-by-hop, tchar */

Test(h1_misc, hop_by_hop_static)
{
    static const char *const hop[] = {"Connection",
                                      "keep-alive",
                                      "PROXY-CONNECTION",
                                      "Proxy-Authenticate",
                                      "proxy-authorization",
                                      "TE",
                                      "Trailer",
                                      "Transfer-Encoding",
                                      "Upgrade"};
    for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
        cr_assert(pl_h1_is_hop_by_hop(pl_str_c(hop[i]), NULL, 0), "%s", hop[i]);
    static const char *const e2e[] = {"Host", "Content-Type", "Cookie", "Trailers",
                                      "T",    "Connection2",  "",       "Content-Length"};
    for (size_t i = 0; i < sizeof(e2e) / sizeof(e2e[0]); i++)
        cr_assert(!pl_h1_is_hop_by_hop(pl_str_c(e2e[i]), NULL, 0), "%s", e2e[i]);
}

Test(h1_misc, hop_by_hop_nominated)
{
    struct pl_h1_header h[] = {
        {PL_STR("Connection"), PL_STR("close, X-Foo ,\tx-bar\t,,  ")},
        {PL_STR("X-Foo"), PL_STR("1")},
        {PL_STR("connection"), PL_STR("X-Second")},
        {PL_STR("X-Other"), PL_STR("Connection-ish")},
        {PL_STR("CONNECTION"), PL_STR("content-length, Keep-Alive")},
    };
    size_t n = sizeof(h) / sizeof(h[0]);
    cr_assert(pl_h1_is_hop_by_hop(PL_STR("x-foo"), h, n));
    cr_assert(pl_h1_is_hop_by_hop(PL_STR("X-BAR"), h, n));
    cr_assert(pl_h1_is_hop_by_hop(PL_STR("x-second"), h, n));
    cr_assert(pl_h1_is_hop_by_hop(PL_STR("close"), h, n));
    cr_assert(!pl_h1_is_hop_by_hop(PL_STR("X-Fo"), h, n));
    cr_assert(!pl_h1_is_hop_by_hop(PL_STR("X-Foo2"), h, n));
    cr_assert(!pl_h1_is_hop_by_hop(PL_STR("X-Other"), h, n));
    cr_assert(!pl_h1_is_hop_by_hop(PL_STR("Connection-ish"), h, n));
    cr_assert(!pl_h1_is_hop_by_hop(PL_STR(""), h, n));
    /* a nominated Content-Length is never dropped (smuggling) */
    cr_assert(!pl_h1_is_hop_by_hop(PL_STR("Content-Length"), h, n));
    /* only the first n headers count */
    cr_assert(!pl_h1_is_hop_by_hop(PL_STR("x-second"), h, 2));
}

Test(h1_misc, tchar)
{
    static const char t[] = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (int c = 0; c < 256; c++)
        cr_assert_eq(pl_h1_is_tchar((unsigned char)c), c != 0 && strchr(t, c) != NULL, "0x%02x", c);
}
