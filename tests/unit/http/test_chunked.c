/*
 * Chunked decoder: valid and invalid tables, identical results for the input split at every
 * byte boundary and fed one byte at a time, chunk-ext / trailer / size-digit limits.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "http/h1.h"

struct result {
    int rc;          /* 1 done, 0 needs more, < 0 error */
    size_t consumed; /* input bytes consumed in total */
    char data[20000];
    size_t data_len;
};

/*
 * Feed in[0..len) in pieces of `step` bytes (0: all at once), like a caller whose buffer
 * grows: each call gets the unconsumed rest of what has arrived.
 */
static void
run(const char *in, size_t len, size_t step, struct result *res)
{
    struct pl_h1_chunked c;
    pl_h1_chunked_init(&c);
    memset(res, 0, sizeof(*res));
    size_t avail = 0, pos = 0;
    for (;;) {
        avail = step == 0 ? len : PL_MIN(len, avail + step);
        while (pos < avail) {
            size_t consumed = 12345;
            struct pl_str data = {NULL, 99};
            int rc = pl_h1_chunked_decode(&c, in + pos, avail - pos, &consumed, &data);
            if (rc < 0) {
                res->rc = rc;
                return;
            }
            cr_assert_leq(consumed, avail - pos);
            cr_assert(consumed > 0 || rc == 1, "no progress at %zu", pos);
            if (data.len) {
                cr_assert(data.p >= in + pos && data.p + data.len <= in + pos + consumed,
                          "data outside consumed input");
                cr_assert_leq(res->data_len + data.len, sizeof(res->data));
                memcpy(res->data + res->data_len, data.p, data.len);
                res->data_len += data.len;
            }
            pos += consumed;
            res->consumed = pos;
            if (rc == 1) {
                res->rc = 1;
                /* the decoder stays done and consumes nothing more */
                cr_assert_eq(pl_h1_chunked_decode(&c, in + pos, avail - pos, &consumed, &data), 1);
                cr_assert_eq(consumed, 0);
                cr_assert_eq(data.len, 0);
                return;
            }
        }
        if (avail == len) {
            res->rc = 0;
            return;
        }
    }
}

/* Two pieces: in[0..k) then the rest. */
static void
run_split(const char *in, size_t len, size_t k, struct result *res)
{
    struct pl_h1_chunked c;
    pl_h1_chunked_init(&c);
    memset(res, 0, sizeof(*res));
    size_t pos = 0;
    size_t bounds[2] = {k, len};
    for (int piece = 0; piece < 2; piece++) {
        size_t avail = bounds[piece];
        while (pos < avail) {
            size_t consumed;
            struct pl_str data;
            int rc = pl_h1_chunked_decode(&c, in + pos, avail - pos, &consumed, &data);
            if (rc < 0) {
                res->rc = rc;
                return;
            }
            memcpy(res->data + res->data_len, data.p, data.len);
            res->data_len += data.len;
            pos += consumed;
            res->consumed = pos;
            if (rc == 1) {
                res->rc = 1;
                return;
            }
        }
    }
    res->rc = 0;
}

static void
assert_same(const struct result *a, const struct result *b, const char *name, const char *how)
{
    cr_assert_eq(a->rc, b->rc, "%s (%s): rc %d vs %d", name, how, a->rc, b->rc);
    cr_assert_eq(a->data_len, b->data_len, "%s (%s): data length", name, how);
    cr_assert(memcmp(a->data, b->data, a->data_len) == 0, "%s (%s): data", name, how);
    if (a->rc >= 0)
        cr_assert_eq(a->consumed, b->consumed, "%s (%s): consumed", name, how);
}

/* Exhaustive: every split point and byte-at-a-time must equal one-shot. */
static void
check_all_splits(const char *in, size_t len, const char *name)
{
    static struct result one, other;
    run(in, len, 0, &one);
    run(in, len, 1, &other);
    assert_same(&one, &other, name, "byte-at-a-time");
    run(in, len, 3, &other);
    assert_same(&one, &other, name, "3-byte steps");
    for (size_t k = 0; k <= len; k++) {
        run_split(in, len, k, &other);
        char how[32];
        snprintf(how, sizeof(how), "split %zu", k);
        assert_same(&one, &other, name, how);
    }
}

/* ------------------------------------------------------------------ tables */

struct ok_case {
    const char *name;
    const char *in;
    size_t len;
    const char *data;
    size_t data_len;
    size_t consumed; /* 0: whole input */
};

#define OK(n, s, d)                              \
    {                                            \
        n, s, sizeof(s) - 1, d, sizeof(d) - 1, 0 \
    }
#define OKC(n, s, d, c)                          \
    {                                            \
        n, s, sizeof(s) - 1, d, sizeof(d) - 1, c \
    }

static const struct ok_case ok_cases[] = {
    OK("empty body", "0\r\n\r\n", ""),
    OK("one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello"),
    OK("two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"),
    OK("upper hex", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
    OK("lower hex", "a\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
    OK("leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello"),
    OK("15 digits", "000000000000005\r\nhello\r\n0\r\n\r\n", "hello"),
    OK("ext name", "5;name\r\nhello\r\n0\r\n\r\n", "hello"),
    OK("ext value", "5;name=value\r\nhello\r\n0\r\n\r\n", "hello"),
    OK("ext quoted", "5;n=\"q \\\"s\\\" ; x=y\"\r\nhello\r\n0\r\n\r\n", "hello"),
    OK("ext BWS", "5 ; n = v\r\nhello\r\n0\r\n\r\n", "hello"),
    OK("ext BWS tabs", "5\t;\tn\t=\t\"v\"\t;m\r\nhello\r\n0\r\n\r\n", "hello"),
    OK("ext many", "5;a;b=c;d=\"\";e\r\nhello\r\n0\r\n\r\n", "hello"),
    OK("ext BWS after name", "5;a ;b =c\r\nhello\r\n0\r\n\r\n", "hello"),
    OK("ext on last", "0;ext=1\r\n\r\n", ""),
    OK("trailer", "0\r\nX-Trailer: v\r\n\r\n", ""),
    OK("trailers", "3\r\nabc\r\n0\r\nA: 1\r\nB:2\r\nC:\r\n\r\n", "abc"),
    OK("data with CRLF", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n"),
    OK("binary data", "3\r\n\0\xff\n\r\n0\r\n\r\n", "\0\xff\n"),
    OKC("next message follows", "0\r\n\r\nGET / HTTP/1.1\r\n", "", 5),
    OKC("pipelined", "2\r\nok\r\n0\r\n\r\n0\r\n\r\n", "ok", 12),
};

struct bad_case {
    const char *name;
    const char *in;
    size_t len;
    int rc;
};

#define BADC(n, s)                    \
    {                                 \
        n, s, sizeof(s) - 1, -EBADMSG \
    }
#define BIG(n, s)                   \
    {                               \
        n, s, sizeof(s) - 1, -E2BIG \
    }
#define MORE(n, s)             \
    {                          \
        n, s, sizeof(s) - 1, 0 \
    }

static const struct bad_case bad_cases[] = {
    BADC("LWS before size", " 5\r\nhello\r\n0\r\n\r\n"),
    BADC("tab before size", "\t5\r\nhello\r\n0\r\n\r\n"),
    BADC("trailing space", "5 \r\nhello\r\n0\r\n\r\n"),
    BADC("trailing tab", "5\t\r\nhello\r\n0\r\n\r\n"),
    BADC("semicolon without name", "5;\r\nhello\r\n0\r\n\r\n"),
    BADC("BWS semicolon without name", "5 ;\r\nhello\r\n0\r\n\r\n"),
    BADC("semicolon then space", "5; \r\nhello\r\n0\r\n\r\n"),
    BADC("ext without name", "5;=x\r\nhello\r\n0\r\n\r\n"),
    BADC("ext empty value", "5;a=\r\nhello\r\n0\r\n\r\n"),
    BADC("ext unterminated quote", "5;a=\"x\r\nhello\r\n0\r\n\r\n"),
    BADC("ext ws inside name", "5;a b\r\nhello\r\n0\r\n\r\n"),
    BADC("ext ws inside value", "5;a=b c\r\nhello\r\n0\r\n\r\n"),
    BADC("ext junk after quote", "5;a=\"x\"y\r\nhello\r\n0\r\n\r\n"),
    BADC("ext trailing ws after value", "5;a=b \r\nhello\r\n0\r\n\r\n"),
    BADC("ext control", "5;a=\x01\r\nhello\r\n0\r\n\r\n"),
    BADC("ext control in quote", "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n"),
    BADC("ext non-token name", "5;a@b\r\nhello\r\n0\r\n\r\n"),
    BADC("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"),
    BADC("minus", "-5\r\nhello\r\n0\r\n\r\n"),
    BADC("plus", "+5\r\nhello\r\n0\r\n\r\n"),
    BADC("bad hex", "g\r\n"),
    BADC("hex then junk", "5g\r\n"),
    BADC("empty size", "\r\n"),
    BADC("ext without size", ";a\r\n"),
    BADC("bare LF after size", "5\nhello\r\n0\r\n\r\n"),
    BADC("bare CR after size", "5\rhello\r\n0\r\n\r\n"),
    BADC("bare LF after data", "5\r\nhello\n0\r\n\r\n"),
    BADC("missing CRLF after data", "5\r\nhelloX\r\n0\r\n\r\n"),
    BADC("data too long", "3\r\nhello\r\n0\r\n\r\n"),
    BADC("bare CR after data", "5\r\nhello\r0\r\n\r\n"),
    BADC("CR junk after data", "5\r\nhello\rX0\r\n\r\n"),
    BADC("CRCR after data", "5\r\nhello\r\r0\r\n\r\n"),
    BADC("LF-only end", "5\r\nhello\r\n0\r\n\n"),
    BADC("CR-only end", "0\r\n\rX"),
    BADC("trailer bare LF", "0\r\nX: y\n\r\n"),
    BADC("trailer obs-fold", "0\r\nX: y\r\n z\r\n\r\n"),
    BADC("trailer leading space", "0\r\n X: y\r\n\r\n"),
    BADC("trailer ws before colon", "0\r\nX : y\r\n\r\n"),
    BADC("trailer no colon", "0\r\nX\r\n\r\n"),
    BADC("trailer empty name", "0\r\n: y\r\n\r\n"),
    BADC("trailer NUL", "0\r\nX: a\0\r\n\r\n"),
    BADC("trailer DEL", "0\r\nX: a\x7f\r\n\r\n"),
    BIG("16 digits", "1000000000000000\r\n"),
    BIG("16 digits leading zeros", "0000000000000001\r\n"),
    BIG("overflow", "ffffffffffffffffffff\r\n"),
    MORE("incomplete data", "5\r\nhello\r\n5\r\nwor"),
    MORE("max 15 digits", "fffffffffffffff\r\nabc"),
    MORE("incomplete size", "5"),
    MORE("incomplete ext", "5;a=\"x"),
    MORE("incomplete trailer", "0\r\nX: y\r\n"),
    MORE("only CR of end", "0\r\n\r"),
};

Test(chunked, valid_table)
{
    static struct result r;
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        const struct ok_case *c = &ok_cases[i];
        run(c->in, c->len, 0, &r);
        cr_assert_eq(r.rc, 1, "%s: rc %d", c->name, r.rc);
        cr_assert_eq(r.consumed, c->consumed ? c->consumed : c->len, "%s: consumed %zu", c->name,
                     r.consumed);
        cr_assert_eq(r.data_len, c->data_len, "%s: data length %zu", c->name, r.data_len);
        cr_assert(memcmp(r.data, c->data, c->data_len) == 0, "%s: data", c->name);
    }
}

Test(chunked, invalid_table)
{
    static struct result r;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        run(c->in, c->len, 0, &r);
        cr_assert_eq(r.rc, c->rc, "%s: rc %d want %d", c->name, r.rc, c->rc);
    }
}

Test(chunked, every_split_point_valid)
{
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++)
        check_all_splits(ok_cases[i].in, ok_cases[i].len, ok_cases[i].name);
}

Test(chunked, every_split_point_invalid)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
        check_all_splits(bad_cases[i].in, bad_cases[i].len, bad_cases[i].name);
}

Test(chunked, data_returned_before_error)
{
    static struct result r;
    static const char in[] = "5\r\nhelloX";
    run(in, sizeof(in) - 1, 0, &r);
    cr_assert_eq(r.rc, -EBADMSG);
    cr_assert_eq(r.data_len, 5);
}

Test(chunked, zero_copy_slices)
{
    struct pl_h1_chunked c;
    pl_h1_chunked_init(&c);
    static const char in[] = "3;x=y\r\nabc\r\n";
    size_t consumed;
    struct pl_str d;
    cr_assert_eq(pl_h1_chunked_decode(&c, in, sizeof(in) - 1, &consumed, &d), 0);
    cr_assert_eq(d.p, in + 7);
    cr_assert_eq(d.len, 3);
    cr_assert_eq(consumed, 10);
    cr_assert_eq(pl_h1_chunked_decode(&c, in + 10, 2, &consumed, &d), 0);
    cr_assert_eq(consumed, 2);
    cr_assert_eq(d.len, 0);
    cr_assert_eq(c.state, PL_H1_CHUNK_SIZE);
}

Test(chunked, large_chunk_streams)
{
    /* a chunk larger than any one input piece is returned piece by piece */
    struct pl_h1_chunked c;
    pl_h1_chunked_init(&c);
    size_t consumed;
    struct pl_str d;
    cr_assert_eq(pl_h1_chunked_decode(&c, "fffffffffffffff\r\n", 17, &consumed, &d), 0);
    cr_assert_eq(consumed, 17);
    cr_assert_eq(c.state, PL_H1_CHUNK_DATA);
    cr_assert_eq(c.remaining, 0xfffffffffffffffULL);
    char buf[4096];
    memset(buf, 'x', sizeof(buf));
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(pl_h1_chunked_decode(&c, buf, sizeof(buf), &consumed, &d), 0);
        cr_assert_eq(consumed, sizeof(buf));
        cr_assert_eq(d.len, sizeof(buf));
    }
    cr_assert_eq(c.remaining, 0xfffffffffffffffULL - 100 * sizeof(buf));
}

static void
build_ext(char *buf, size_t ext_len, size_t *ret_len)
{
    size_t k = 0;
    buf[k++] = '1';
    buf[k++] = ';';
    memset(buf + k, 'e', ext_len - 1);
    k += ext_len - 1;
    memcpy(buf + k, "\r\nx\r\n0\r\n\r\n", 10);
    *ret_len = k + 10;
}

Test(chunked, ext_limit)
{
    static struct result r;
    static char buf[PL_H1_CHUNK_MAX_EXT + 64];
    size_t len;
    build_ext(buf, PL_H1_CHUNK_MAX_EXT, &len);
    run(buf, len, 0, &r);
    cr_assert_eq(r.rc, 1);
    cr_assert_eq(r.data_len, 1);
    build_ext(buf, PL_H1_CHUNK_MAX_EXT + 1, &len);
    run(buf, len, 0, &r);
    cr_assert_eq(r.rc, -E2BIG);
    run(buf, len, 1, &r);
    cr_assert_eq(r.rc, -E2BIG);
    /* reported before the line ends */
    run(buf, 2 + PL_H1_CHUNK_MAX_EXT, 0, &r);
    cr_assert_eq(r.rc, -E2BIG);
    /* the limit is per chunk line: many lines with long extensions are fine */
    static char many[8 * (PL_H1_CHUNK_MAX_EXT + 16)];
    size_t k = 0;
    for (int i = 0; i < 6; i++) {
        size_t n;
        build_ext(many + k, PL_H1_CHUNK_MAX_EXT, &n);
        k += n - 5; /* drop "0\r\n\r\n" */
    }
    memcpy(many + k, "0\r\n\r\n", 5);
    run(many, k + 5, 0, &r);
    cr_assert_eq(r.rc, 1);
    cr_assert_eq(r.data_len, 6);
}

static size_t
build_trailer(char *buf, size_t trailer_len)
{
    /* trailer section = "X: " v "\r\n" "\r\n" */
    size_t k = 0;
    memcpy(buf, "0\r\nX: ", 6);
    k = 6;
    size_t v = trailer_len - 7;
    memset(buf + k, 't', v);
    k += v;
    memcpy(buf + k, "\r\n\r\n", 4);
    return k + 4;
}

Test(chunked, trailer_limit)
{
    static struct result r;
    static char buf[PL_H1_CHUNK_MAX_TRAILER + 64];
    size_t len = build_trailer(buf, PL_H1_CHUNK_MAX_TRAILER);
    run(buf, len, 0, &r);
    cr_assert_eq(r.rc, 1);
    cr_assert_eq(r.consumed, len);
    len = build_trailer(buf, PL_H1_CHUNK_MAX_TRAILER + 1);
    run(buf, len, 0, &r);
    cr_assert_eq(r.rc, -E2BIG);
    run(buf, len, 7, &r);
    cr_assert_eq(r.rc, -E2BIG);
}

Test(chunked, chunk_header)
{
    char buf[20];
    cr_assert_eq(pl_h1_chunk_header(buf, 0), 3);
    cr_assert(memcmp(buf, "0\r\n", 3) == 0);
    cr_assert_eq(pl_h1_chunk_header(buf, 255), 4);
    cr_assert(memcmp(buf, "ff\r\n", 4) == 0);
    cr_assert_eq(pl_h1_chunk_header(buf, 0x1a2b), 6);
    cr_assert(memcmp(buf, "1a2b\r\n", 6) == 0);
    cr_assert_eq(pl_h1_chunk_header(buf, UINT64_MAX), 18);
    cr_assert(memcmp(buf, "ffffffffffffffff\r\n", 18) == 0);
}

/* Round trip: our own chunk headers decode back to the data. */
Test(chunked, encode_decode_round_trip)
{
    static char enc[8192];
    static struct result r;
    static const size_t sizes[] = {1, 2, 15, 16, 17, 255, 256, 1000};
    size_t k = 0, total = 0;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        k += pl_h1_chunk_header(enc + k, sizes[i]);
        for (size_t j = 0; j < sizes[i]; j++)
            enc[k++] = (char)('a' + (total + j) % 26);
        total += sizes[i];
        enc[k++] = '\r';
        enc[k++] = '\n';
    }
    k += pl_h1_chunk_header(enc + k, 0);
    enc[k++] = '\r';
    enc[k++] = '\n';
    run(enc, k, 0, &r);
    cr_assert_eq(r.rc, 1);
    cr_assert_eq(r.data_len, total);
    for (size_t j = 0; j < total; j++)
        cr_assert_eq(r.data[j], (char)('a' + j % 26));
    check_all_splits(enc, k, "round trip");
}
