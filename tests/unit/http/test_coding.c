/*
 * Content codings: Content-Encoding parsing and names; gzip, deflate (zlib-wrapped and raw), br
 * and identity decoders checked against the real encoders (zlib, brotli). Round trips fed in one
 * piece, in random pieces (deterministic xorshift) and a byte at a time; encoder parameter
 * matrices; gzip header fields and concatenated members; truncated, corrupted (checked against
 * the reference decoders first) and over-long streams; a preset dictionary; decompression bombs
 * against max_out; the exact limit; identity bounds; callback errors; errors that stick.
 */
#include <criterion/criterion.h>

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http/coding.h"

/* ---- byte buffers, inputs ---- */

struct bytes {
    unsigned char *p; /* never NULL once touched by bytes_put */
    size_t len, cap;
};

static void
bytes_put(struct bytes *b, const void *p, size_t n)
{
    if (!b->p || b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        cr_assert_not_null(b->p);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

static struct bytes
bytes_of(const void *p, size_t n)
{
    struct bytes b = {0};
    bytes_put(&b, p, n);
    return b;
}

static struct bytes
bytes_cat(const struct bytes *a, const void *p, size_t n)
{
    struct bytes b = bytes_of(a->p, a->len);
    bytes_put(&b, p, n);
    return b;
}

static void
bytes_free(struct bytes *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static uint64_t
xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* n bytes of word salad. */
static struct bytes
make_text(size_t n, uint64_t seed)
{
    static const char *const words[] = {
        "the",     "quick",    "brown", "fox",     "jumps",  "over",   "lazy",   "dog",
        "content", "encoding", "gzip",  "deflate", "brotli", "stream", "window", "pipelock",
        "agent",   "secret",   "token", "header",  "body",   "scan",   "proxy",  "firewall",
    };
    struct bytes b = bytes_of("", 0);
    seed |= 1;
    while (b.len < n) {
        const char *w = words[xorshift(&seed) % (sizeof(words) / sizeof(words[0]))];
        bytes_put(&b, w, strlen(w));
        bytes_put(&b, xorshift(&seed) % 13 ? " " : ".\n", xorshift(&seed) % 13 ? 1 : 2);
    }
    b.len = n;
    return b;
}

static struct bytes
make_random(size_t n, uint64_t seed)
{
    struct bytes b = bytes_of("", 0);
    seed |= 1;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = xorshift(&seed);
        bytes_put(&b, &x, PL_MIN(8, n - i));
    }
    return b;
}

enum { IN_EMPTY, IN_ONE, IN_TEXT, IN_RANDOM, N_INPUTS };

static const char *const input_name[] = {"empty", "1 byte", "100 KB text", "1 MB random"};

static struct bytes
make_input(int which)
{
    switch (which) {
    case IN_EMPTY:
        return bytes_of("", 0);
    case IN_ONE:
        return bytes_of("A", 1);
    case IN_TEXT:
        return make_text(100 * 1024, 42);
    default:
        return make_random(1 << 20, 7);
    }
}

/* ---- encoders (the real ones) ---- */

enum var { V_IDENTITY, V_GZIP, V_ZLIB, V_RAW, V_BR, N_VARS };

static const char *const var_name[] = {"identity", "gzip", "zlib deflate", "raw deflate", "br"};
static const enum pl_coding var_coding[] = {PL_CODING_IDENTITY, PL_CODING_GZIP, PL_CODING_DEFLATE,
                                            PL_CODING_DEFLATE, PL_CODING_BR};

#define WB_ZLIB 15
#define WB_RAW  (-15)
#define WB_GZIP (16 + 15)

static int
var_wbits(enum var v)
{
    return v == V_GZIP ? WB_GZIP : v == V_ZLIB ? WB_ZLIB : WB_RAW;
}

/* deflate with zlib; head (gzip only) may set header fields, dict a preset dictionary. */
static struct bytes
z_encode_ex(const void *in, size_t n, int wbits, int level, int strategy, gz_header *head,
            const char *dict)
{
    z_stream s = {0};
    cr_assert_eq(deflateInit2(&s, level, Z_DEFLATED, wbits, 8, strategy), Z_OK);
    if (head)
        cr_assert_eq(deflateSetHeader(&s, head), Z_OK);
    if (dict)
        cr_assert_eq(deflateSetDictionary(&s, (const Bytef *)dict, (uInt)strlen(dict)), Z_OK);
    struct bytes out = {0};
    out.cap = deflateBound(&s, n) + 1024;
    out.p = malloc(out.cap);
    cr_assert_not_null(out.p);
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)n;
    s.next_out = out.p;
    s.avail_out = (uInt)out.cap;
    cr_assert_eq(deflate(&s, Z_FINISH), Z_STREAM_END);
    out.len = s.total_out;
    deflateEnd(&s);
    return out;
}

static struct bytes
z_encode(const void *in, size_t n, int wbits)
{
    return z_encode_ex(in, n, wbits, 6, Z_DEFAULT_STRATEGY, NULL, NULL);
}

static struct bytes
br_encode_ex(const void *in, size_t n, int quality, int lgwin, BrotliEncoderMode mode)
{
    struct bytes out = {0};
    out.cap = BrotliEncoderMaxCompressedSize(n);
    cr_assert_gt(out.cap, 0);
    out.cap += 64;
    out.p = malloc(out.cap);
    cr_assert_not_null(out.p);
    out.len = out.cap;
    cr_assert(BrotliEncoderCompress(quality, lgwin, mode, n, in, &out.len, out.p));
    return out;
}

static struct bytes
br_encode(const void *in, size_t n)
{
    return br_encode_ex(in, n, n > 200000 ? 5 : 9, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC);
}

static struct bytes
encode(enum var v, const struct bytes *in)
{
    switch (v) {
    case V_IDENTITY:
        return bytes_of(in->p, in->len);
    case V_BR:
        return br_encode(in->p, in->len);
    default:
        return z_encode(in->p, in->len, var_wbits(v));
    }
}

/* `zeros` zero bytes, compressed in memory without materialising them. */
static struct bytes
z_bomb(size_t zeros, int wbits)
{
    static const unsigned char zero[1 << 16];
    z_stream s = {0};
    cr_assert_eq(deflateInit2(&s, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    struct bytes out = bytes_of("", 0);
    unsigned char buf[1 << 16];
    size_t left = zeros;
    int r;
    do {
        size_t k = PL_MIN(left, sizeof(zero));
        s.next_in = (Bytef *)zero;
        s.avail_in = (uInt)k;
        left -= k;
        do {
            s.next_out = buf;
            s.avail_out = sizeof(buf);
            r = deflate(&s, left ? Z_NO_FLUSH : Z_FINISH);
            cr_assert(r == Z_OK || r == Z_STREAM_END || r == Z_BUF_ERROR);
            bytes_put(&out, buf, sizeof(buf) - s.avail_out);
        } while (s.avail_out == 0);
    } while (left);
    cr_assert_eq(r, Z_STREAM_END);
    deflateEnd(&s);
    return out;
}

static struct bytes
br_bomb(size_t zeros)
{
    static const uint8_t zero[1 << 16];
    BrotliEncoderState *e = BrotliEncoderCreateInstance(NULL, NULL, NULL);
    cr_assert_not_null(e);
    cr_assert(BrotliEncoderSetParameter(e, BROTLI_PARAM_QUALITY, 5));
    struct bytes out = bytes_of("", 0);
    size_t left = zeros;
    for (;;) {
        size_t k = PL_MIN(left, sizeof(zero));
        left -= k;
        size_t avail_in = k;
        const uint8_t *next_in = zero;
        BrotliEncoderOperation op = left ? BROTLI_OPERATION_PROCESS : BROTLI_OPERATION_FINISH;
        do {
            uint8_t buf[1 << 16], *next_out = buf;
            size_t avail_out = sizeof(buf);
            cr_assert(BrotliEncoderCompressStream(e, op, &avail_in, &next_in, &avail_out, &next_out,
                                                  NULL));
            bytes_put(&out, buf, sizeof(buf) - avail_out);
        } while (avail_in || BrotliEncoderHasMoreOutput(e));
        if (!left && BrotliEncoderIsFinished(e))
            break;
        cr_assert(left, "brotli encoder did not finish");
    }
    BrotliEncoderDestroyInstance(e);
    return out;
}

/* ---- reference decoders: is in[0..n) exactly one complete stream? ---- */

static bool
z_valid(const unsigned char *in, size_t n, int wbits)
{
    z_stream s = {0};
    cr_assert_eq(inflateInit2(&s, wbits), Z_OK);
    unsigned char out[1 << 16];
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)n;
    bool ok = false;
    for (;;) {
        s.next_out = out;
        s.avail_out = sizeof(out);
        int r = inflate(&s, Z_NO_FLUSH);
        if (r == Z_STREAM_END) {
            if (s.avail_in == 0) {
                ok = true;
                break;
            }
            if (wbits != WB_GZIP) /* bytes after the end */
                break;
            inflateReset(&s); /* another gzip member */
            continue;
        }
        if (r != Z_OK) /* Z_BUF_ERROR: cut short; Z_DATA_ERROR; Z_NEED_DICT */
            break;
    }
    inflateEnd(&s);
    return ok;
}

static bool
br_valid(const unsigned char *in, size_t n)
{
    BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    cr_assert_not_null(s);
    size_t avail_in = n;
    const uint8_t *next_in = in;
    BrotliDecoderResult r;
    do {
        uint8_t out[1 << 16], *next_out = out;
        size_t avail_out = sizeof(out);
        r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, NULL);
    } while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
    bool ok = r == BROTLI_DECODER_RESULT_SUCCESS && avail_in == 0;
    BrotliDecoderDestroyInstance(s);
    return ok;
}

static bool
ref_valid(enum var v, const unsigned char *in, size_t n)
{
    return v == V_BR ? br_valid(in, n) : z_valid(in, n, var_wbits(v));
}

/* ---- the decoder under test ---- */

struct sink {
    struct bytes out; /* a copy of the accepted bytes, when keep */
    bool keep;
    bool zeros;            /* every delivered byte must be 0 (bombs) */
    bool nonzero_seen;     /* a delivered byte was not 0 */
    size_t total;          /* bytes in calls that returned 0 */
    size_t calls;          /* calls of the callback */
    size_t fail_on;        /* nonzero: the fail_on-th call returns -42 */
    bool failed;           /* that call happened */
    size_t failed_n;       /* its n */
    bool after_failing;    /* called again after returning -42 */
    bool status_at_finish; /* decode(): the status came from finish, not a feed */
};

static int
sink_cb(void *ctx, const char *p, size_t n)
{
    struct sink *s = ctx;
    if (s->failed)
        s->after_failing = true;
    cr_assert(p != NULL || n == 0, "callback got NULL data with n %zu", n);
    s->calls++;
    unsigned char any = 0;
    for (size_t i = 0; i < n; i++) /* read every byte so ASan sees bad slices */
        any |= (unsigned char)p[i];
    if (any)
        s->nonzero_seen = true;
    if (s->fail_on && s->calls == s->fail_on) {
        s->failed = true;
        s->failed_n = n;
        return -42;
    }
    s->total += n;
    if (s->keep)
        bytes_put(&s->out, p, n);
    return 0;
}

/*
 * pl_decoder_total is what the callback accepted (possibly plus the bytes of a call that
 * refused them), and neither it nor what the callback was offered exceeds max_out.
 */
static void
check_total(const char *what, const struct pl_decoder *d, const struct sink *s, size_t max_out)
{
    size_t t = pl_decoder_total(d);
    cr_assert(t == s->total || (s->failed && t == s->total + s->failed_n),
              "%s: pl_decoder_total %zu but the callback accepted %zu bytes", what, t, s->total);
    cr_assert_leq(t, max_out, "%s: pl_decoder_total %zu > max_out %zu", what, t, max_out);
    cr_assert_leq(s->total + s->failed_n, max_out, "%s: callback got %zu bytes > max_out %zu", what,
                  s->total + s->failed_n, max_out);
}

/*
 * Decode in[0..n) with a new decoder for c limited to max_out, fed in one piece (maxpiece 0)
 * or in pieces of 1..maxpiece bytes drawn from seed with empty feeds now and then. Returns the
 * first error of a feed, else what finish returns. Checks on the way: check_total after every
 * call; an error sticks (a further feed and finish return it, deliver nothing, leave the total);
 * the callback is not called after refusing.
 */
static int
decode(const char *what, enum pl_coding c, const void *in, size_t n, size_t max_out,
       size_t maxpiece, uint64_t seed, struct sink *s)
{
    struct pl_decoder *d = pl_decoder_new(c, max_out);
    cr_assert_not_null(d, "%s: pl_decoder_new", what);
    cr_assert_eq(pl_decoder_total(d), 0);
    const unsigned char *b = in;
    uint64_t x = seed | 1;
    size_t pos = 0;
    int r = 0;
    while (r == 0 && pos < n) {
        size_t k = n - pos;
        if (maxpiece) {
            size_t piece = 1 + xorshift(&x) % maxpiece; /* not inside PL_MIN: evaluated twice */
            k = PL_MIN(k, piece);
        }
        r = pl_decoder_feed(d, b + pos, k, sink_cb, s);
        pos += k;
        check_total(what, d, s, max_out);
        if (r == 0 && maxpiece && xorshift(&x) % 16 == 0) {
            r = pl_decoder_feed(d, b + pos, 0, sink_cb, s);
            check_total(what, d, s, max_out);
        }
    }
    s->status_at_finish = r == 0;
    if (r == 0) {
        r = pl_decoder_finish(d);
        check_total(what, d, s, max_out);
    }
    if (r != 0) {
        static const char more[] = "\x1f\x8b\x08\0\0\0\0\0\0\x03more bytes";
        size_t total = pl_decoder_total(d), calls = s->calls;
        int r2 = pl_decoder_feed(d, more, sizeof(more) - 1, sink_cb, s);
        cr_assert_eq(r2, r, "%s: after error %d a feed returned %d", what, r, r2);
        r2 = pl_decoder_finish(d);
        cr_assert_eq(r2, r, "%s: after error %d finish returned %d", what, r, r2);
        cr_assert_eq(pl_decoder_total(d), total, "%s: total moved after error", what);
        cr_assert_eq(s->calls, calls, "%s: callback called after error %d", what, r);
    }
    cr_assert(!s->after_failing, "%s: callback called after it returned -42", what);
    pl_decoder_free(d);
    return r;
}

static bool
is_prefix(const struct bytes *got, const void *want, size_t want_len)
{
    return got->len <= want_len && (got->len == 0 || memcmp(got->p, want, got->len) == 0);
}

static bool
same(const struct bytes *got, const void *want, size_t want_len)
{
    return got->len == want_len && is_prefix(got, want, want_len);
}

struct mode {
    size_t maxpiece; /* 0: one piece */
    uint64_t seed;
};

static const struct mode modes[] = {{0, 0}, {4096, 1}, {4096, 0x9e3779b97f4a7c15ULL}, {1, 1}};
#define N_MODES (sizeof(modes) / sizeof(modes[0]))

/* ---- parse, name ---- */

Test(coding, parse)
{
    static const struct {
        const char *v;
        int ret;
        enum pl_coding c;
    } cases[] = {
        {"gzip", 0, PL_CODING_GZIP},
        {"GZIP", 0, PL_CODING_GZIP},
        {"Gzip", 0, PL_CODING_GZIP},
        {"x-gzip", 0, PL_CODING_GZIP},
        {" x-gzip ", 0, PL_CODING_GZIP},
        {"X-Gzip", 0, PL_CODING_GZIP},
        {"\tgzip\t", 0, PL_CODING_GZIP},
        {"deflate", 0, PL_CODING_DEFLATE},
        {"DEFLATE", 0, PL_CODING_DEFLATE},
        {" deflate", 0, PL_CODING_DEFLATE},
        {"br", 0, PL_CODING_BR},
        {"BR", 0, PL_CODING_BR},
        {"br ", 0, PL_CODING_BR},
        {"identity", 0, PL_CODING_IDENTITY},
        {"IDENTITY", 0, PL_CODING_IDENTITY},
        {"", 0, PL_CODING_IDENTITY},
        {"  ", 0, PL_CODING_IDENTITY},
        {"compress", -ENOTSUP, 0},
        {"x-compress", -ENOTSUP, 0},
        {"zstd", -ENOTSUP, 0},
        {"gzip, br", -ENOTSUP, 0},
        {"gzip,gzip", -ENOTSUP, 0},
        {"identity, gzip", -ENOTSUP, 0},
        {"br;q=1", -ENOTSUP, 0},
        {"gzip br", -ENOTSUP, 0},
        {"g zip", -ENOTSUP, 0},
        {"gz", -ENOTSUP, 0},
        {"gzipp", -ENOTSUP, 0},
        {"xgzip", -ENOTSUP, 0},
        {"bro", -ENOTSUP, 0},
        {"\"gzip\"", -ENOTSUP, 0},
        {"identityx", -ENOTSUP, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum pl_coding got = (enum pl_coding)77;
        int r = pl_coding_parse(pl_str_c(cases[i].v), &got);
        cr_expect_eq(r, cases[i].ret, "parse \"%s\": %d want %d", cases[i].v, r, cases[i].ret);
        if (cases[i].ret == 0 && r == 0)
            cr_expect_eq(got, cases[i].c, "parse \"%s\": coding %d want %d", cases[i].v, (int)got,
                         (int)cases[i].c);
    }
    enum pl_coding got = (enum pl_coding)77;
    cr_expect_eq(pl_coding_parse(PL_STR_NULL, &got), 0, "absent value");
    cr_expect_eq(got, PL_CODING_IDENTITY);
    /* the length is honoured: no reading past it, no stopping at a NUL */
    cr_expect_eq(pl_coding_parse(pl_str_from("gzipped", 4), &got), 0);
    cr_expect_eq(got, PL_CODING_GZIP);
    cr_expect_eq(pl_coding_parse(pl_str_from("gzip\0", 5), &got), -ENOTSUP);
    cr_expect_eq(pl_coding_parse(pl_str_from("br\0gzip", 7), &got), -ENOTSUP);
}

Test(coding, name)
{
    static const struct {
        enum pl_coding c;
        const char *name;
    } names[] = {
        {PL_CODING_IDENTITY, "identity"},
        {PL_CODING_GZIP, "gzip"},
        {PL_CODING_DEFLATE, "deflate"},
        {PL_CODING_BR, "br"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *n = pl_coding_name(names[i].c);
        cr_assert_not_null(n);
        cr_expect_str_eq(n, names[i].name);
        enum pl_coding back = (enum pl_coding)77;
        cr_expect_eq(pl_coding_parse(pl_str_c(n), &back), 0, "parse(name(%d))", (int)names[i].c);
        cr_expect_eq(back, names[i].c, "round trip of %s", names[i].name);
    }
}

/* ---- round trips ---- */

static void
roundtrip(enum var v)
{
    for (int i = 0; i < N_INPUTS; i++) {
        struct bytes in = make_input(i);
        struct bytes enc = encode(v, &in);
        for (size_t m = 0; m < N_MODES; m++) {
            if (modes[m].maxpiece == 1 && enc.len > 200 * 1024)
                continue; /* a byte at a time only for the smaller streams */
            char what[128];
            snprintf(what, sizeof(what), "%s, %s, mode %zu", var_name[v], input_name[i], m);
            struct sink s = {.keep = true};
            size_t max_out = m == 0 ? SIZE_MAX : 2 * in.len + 16;
            int r = decode(what, var_coding[v], enc.p, enc.len, max_out, modes[m].maxpiece,
                           modes[m].seed, &s);
            cr_expect_eq(r, 0, "%s: status %d", what, r);
            cr_expect(same(&s.out, in.p, in.len), "%s: decoded %zu bytes, want %zu (or differ)",
                      what, s.out.len, in.len);
            bytes_free(&s.out);
        }
        bytes_free(&enc);
        bytes_free(&in);
    }
}

Test(coding, roundtrip_identity)
{
    roundtrip(V_IDENTITY);
}

Test(coding, roundtrip_gzip)
{
    roundtrip(V_GZIP);
}

Test(coding, roundtrip_deflate_zlib)
{
    roundtrip(V_ZLIB);
}

Test(coding, roundtrip_deflate_raw)
{
    roundtrip(V_RAW);
}

Test(coding, roundtrip_br)
{
    roundtrip(V_BR);
}

/* zlib levels, strategies and window sizes, for all three wrappings. */
Test(coding, zlib_parameters)
{
    struct bytes in = make_text(20000, 3);
    static const int levels[] = {0, 1, 6, 9};
    static const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE,
                                     Z_FIXED};
    static const int windows[] = {9, 12, 15};
    for (enum var v = V_GZIP; v <= V_RAW; v++)
        for (size_t l = 0; l < 4; l++)
            for (size_t st = 0; st < 5; st++)
                for (size_t w = 0; w < 3; w++) {
                    int wbits = windows[w];
                    if (v == V_GZIP)
                        wbits += 16;
                    else if (v == V_RAW)
                        wbits = -wbits;
                    struct bytes enc =
                        z_encode_ex(in.p, in.len, wbits, levels[l], strategies[st], NULL, NULL);
                    char what[128];
                    snprintf(what, sizeof(what), "%s level %d strategy %d wbits %d", var_name[v],
                             levels[l], strategies[st], wbits);
                    struct sink s = {.keep = true};
                    int r = decode(what, var_coding[v], enc.p, enc.len, in.len, 64, l + st + w, &s);
                    cr_expect_eq(r, 0, "%s: status %d", what, r);
                    cr_expect(same(&s.out, in.p, in.len), "%s: output differs", what);
                    bytes_free(&s.out);
                    bytes_free(&enc);
                }
    bytes_free(&in);
}

/* brotli qualities, windows and modes. */
Test(coding, br_parameters)
{
    struct bytes in = make_text(50000, 5);
    static const int qualities[] = {0, 1, 5, 11};
    static const int windows[] = {10, 16, 22, 24};
    static const BrotliEncoderMode bmodes[] = {BROTLI_MODE_GENERIC, BROTLI_MODE_TEXT};
    for (size_t q = 0; q < 4; q++)
        for (size_t w = 0; w < 4; w++)
            for (size_t md = 0; md < 2; md++) {
                struct bytes enc = br_encode_ex(in.p, in.len, qualities[q], windows[w], bmodes[md]);
                char what[128];
                snprintf(what, sizeof(what), "br quality %d lgwin %d mode %zu", qualities[q],
                         windows[w], md);
                for (size_t m = 0; m < 3; m++) {
                    struct sink s = {.keep = true};
                    int r = decode(what, PL_CODING_BR, enc.p, enc.len, in.len, modes[m].maxpiece,
                                   modes[m].seed + q, &s);
                    cr_expect_eq(r, 0, "%s: status %d", what, r);
                    cr_expect(same(&s.out, in.p, in.len), "%s: output differs", what);
                    bytes_free(&s.out);
                }
                bytes_free(&enc);
            }
    bytes_free(&in);
}

/* ---- gzip specifics ---- */

Test(coding, gzip_header_fields)
{
    static char name[] = "file.txt", comment[] = "a comment";
    static unsigned char extra[] = "XYZW\x02\0ab";
    gz_header h = {
        .text = 1,
        .time = 1700000000,
        .os = 3,
        .extra = extra,
        .extra_len = 8,
        .name = (Bytef *)name,
        .comment = (Bytef *)comment,
        .hcrc = 1,
    };
    static const char text[] = "hello, header fields";
    struct bytes enc =
        z_encode_ex(text, sizeof(text) - 1, WB_GZIP, 6, Z_DEFAULT_STRATEGY, &h, NULL);
    for (size_t m = 0; m < N_MODES; m++) {
        struct sink s = {.keep = true};
        int r = decode("gzip header fields", PL_CODING_GZIP, enc.p, enc.len, 1000,
                       modes[m].maxpiece ? 3 : 0, modes[m].seed, &s);
        cr_expect_eq(r, 0, "mode %zu: status %d", m, r);
        cr_expect(same(&s.out, text, sizeof(text) - 1), "mode %zu: output differs", m);
        bytes_free(&s.out);
    }
    /* a wrong header CRC is a bad stream */
    struct bytes bad = bytes_of(enc.p, enc.len);
    size_t hcrc_at = 10 + 2 + 8 + sizeof(name) + sizeof(comment);
    bad.p[hcrc_at] ^= 0x01;
    cr_assert(!z_valid(bad.p, bad.len, WB_GZIP), "test setup: header CRC position");
    struct sink s = {0};
    cr_expect_eq(decode("gzip bad header crc", PL_CODING_GZIP, bad.p, bad.len, 1000, 0, 0, &s),
                 -EBADMSG);
    bytes_free(&bad);
    bytes_free(&enc);
}

Test(coding, gzip_members)
{
    struct bytes a = z_encode("hello ", 6, WB_GZIP);
    struct bytes e = z_encode("", 0, WB_GZIP);
    struct bytes b = z_encode("world", 5, WB_GZIP);
    struct bytes ab = bytes_cat(&a, b.p, b.len);
    struct bytes aeb = bytes_cat(&a, e.p, e.len);
    bytes_put(&aeb, b.p, b.len);
    const struct bytes *cases[] = {&ab, &aeb};
    for (size_t c = 0; c < 2; c++)
        for (size_t m = 0; m < N_MODES; m++) {
            struct sink s = {.keep = true};
            int r = decode("gzip members", PL_CODING_GZIP, cases[c]->p, cases[c]->len, 11,
                           modes[m].maxpiece ? 7 : 0, modes[m].seed, &s);
            cr_expect_eq(r, 0, "case %zu mode %zu: status %d", c, m, r);
            cr_expect(same(&s.out, "hello world", 11), "case %zu mode %zu: got %zu bytes \"%.*s\"",
                      c, m, s.out.len, (int)s.out.len, (const char *)s.out.p);
            bytes_free(&s.out);
        }

    /* two large members: the halves of a text */
    struct bytes text = make_text(100 * 1024, 9);
    struct bytes h1 = z_encode(text.p, 40000, WB_GZIP);
    struct bytes h2 = z_encode(text.p + 40000, text.len - 40000, WB_GZIP);
    struct bytes hh = bytes_cat(&h1, h2.p, h2.len);
    for (size_t m = 0; m < 3; m++) {
        struct sink s = {.keep = true};
        int r = decode("gzip large members", PL_CODING_GZIP, hh.p, hh.len, text.len,
                       modes[m].maxpiece, modes[m].seed, &s);
        cr_expect_eq(r, 0, "mode %zu: status %d", m, r);
        cr_expect(same(&s.out, text.p, text.len), "mode %zu: output differs", m);
        bytes_free(&s.out);
    }

    /* a second member cut short, or just begun, is a truncated stream */
    size_t cuts[] = {1, 2, 10, b.len / 2, b.len - 4, b.len - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        struct bytes t = bytes_cat(&a, b.p, cuts[i]);
        struct sink s = {.keep = true};
        int r = decode("gzip second member cut", PL_CODING_GZIP, t.p, t.len, 100, 0, 0, &s);
        cr_expect_eq(r, -EBADMSG, "second member cut at %zu: status %d", cuts[i], r);
        cr_expect(is_prefix(&s.out, "hello world", 11), "cut at %zu: output not a prefix", cuts[i]);
        bytes_free(&s.out);
        bytes_free(&t);
    }
    bytes_free(&a);
    bytes_free(&e);
    bytes_free(&b);
    bytes_free(&ab);
    bytes_free(&aeb);
    bytes_free(&text);
    bytes_free(&h1);
    bytes_free(&h2);
    bytes_free(&hh);
}

/* ---- deflate specifics ---- */

Test(coding, deflate_raw_accepted)
{
    static const char text[] = "raw deflate, as some servers send it; raw deflate, again.";
    for (int level = 0; level <= 9; level += 3) {
        struct bytes enc =
            z_encode_ex(text, sizeof(text) - 1, WB_RAW, level, Z_DEFAULT_STRATEGY, NULL, NULL);
        for (size_t m = 0; m < N_MODES; m++) {
            struct sink s = {.keep = true};
            int r = decode("raw deflate", PL_CODING_DEFLATE, enc.p, enc.len, sizeof(text) - 1,
                           modes[m].maxpiece ? 2 : 0, modes[m].seed, &s);
            cr_expect_eq(r, 0, "level %d mode %zu: status %d", level, m, r);
            cr_expect(same(&s.out, text, sizeof(text) - 1), "level %d mode %zu: output differs",
                      level, m);
            bytes_free(&s.out);
        }
        bytes_free(&enc);
    }
}

Test(coding, deflate_preset_dictionary)
{
    static const char text[] = "hello world hello world hello world";
    struct bytes enc =
        z_encode_ex(text, sizeof(text) - 1, WB_ZLIB, 6, Z_DEFAULT_STRATEGY, NULL, "hello world");
    for (size_t m = 0; m < 2; m++) {
        struct sink s = {.keep = true};
        int r = decode("zlib with FDICT", PL_CODING_DEFLATE, enc.p, enc.len, 1000,
                       modes[m].maxpiece, modes[m].seed, &s);
        cr_expect_eq(r, -EBADMSG, "mode %zu: status %d", m, r);
        cr_expect_eq(s.out.len, 0, "mode %zu: output without the dictionary", m);
        bytes_free(&s.out);
    }
    bytes_free(&enc);
}

/* ---- broken streams ---- */

Test(coding, truncated)
{
    struct bytes short_text = bytes_of("The quick brown fox jumps over the lazy dog.\n", 45);
    struct bytes text = make_text(100 * 1024, 11);
    const struct bytes *ins[] = {&short_text, &text};
    for (enum var v = V_GZIP; v < N_VARS; v++)
        for (size_t i = 0; i < 2; i++) {
            struct bytes enc = encode(v, ins[i]);
            size_t L = enc.len;
            size_t cuts[] = {1,     2,     3,     5,     10,    18,    L / 3,
                             L / 2, L - 9, L - 8, L - 5, L - 4, L - 2, L - 1};
            for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
                if (cuts[c] < 1 || cuts[c] >= L)
                    continue;
                for (size_t m = 0; m < 2; m++) {
                    char what[128];
                    snprintf(what, sizeof(what), "%s input %zu (%zu bytes) cut at %zu mode %zu",
                             var_name[v], i, L, cuts[c], m);
                    struct sink s = {.keep = true};
                    int r = decode(what, var_coding[v], enc.p, cuts[c], SIZE_MAX, modes[m].maxpiece,
                                   modes[m].seed, &s);
                    cr_expect_eq(r, -EBADMSG, "%s: status %d", what, r);
                    cr_expect(is_prefix(&s.out, ins[i]->p, ins[i]->len),
                              "%s: output not a prefix of the input", what);
                    bytes_free(&s.out);
                }
            }
            bytes_free(&enc);
        }
    bytes_free(&short_text);
    bytes_free(&text);
}

Test(coding, corrupted)
{
    struct bytes small = make_text(2000, 13);
    struct bytes text = make_text(100 * 1024, 17);
    const struct bytes *ins[] = {&small, &text};
    static const unsigned char flips[] = {0x01, 0x10, 0x55, 0x80, 0xFF};
    size_t tested[N_VARS] = {0}, skipped[N_VARS] = {0};
    for (enum var v = V_GZIP; v < N_VARS; v++)
        for (size_t i = 0; i < 2; i++) {
            struct bytes enc = encode(v, ins[i]);
            size_t L = enc.len;
            size_t at[] = {L / 4, L / 3, L / 2, 2 * L / 3, 3 * L / 4, L - 3};
            for (size_t a = 0; a < sizeof(at) / sizeof(at[0]); a++)
                for (size_t f = 0; f < sizeof(flips); f++) {
                    struct bytes bad = bytes_of(enc.p, enc.len);
                    bad.p[at[a]] ^= flips[f];
                    if (ref_valid(v, bad.p, bad.len)) {
                        skipped[v]++; /* the flip made another valid stream */
                        bytes_free(&bad);
                        continue;
                    }
                    tested[v]++;
                    char what[128];
                    snprintf(what, sizeof(what), "%s input %zu byte %zu of %zu ^= 0x%02x",
                             var_name[v], i, at[a], L, flips[f]);
                    struct sink s = {0};
                    int r = decode(what, var_coding[v], bad.p, bad.len, SIZE_MAX, a % 2 ? 4096 : 0,
                                   a + f, &s);
                    cr_expect_eq(r, -EBADMSG, "%s: status %d", what, r);
                    bytes_free(&bad);
                }
            bytes_free(&enc);
        }
    for (enum var v = V_GZIP; v < N_VARS; v++)
        cr_expect_geq(tested[v], 10, "%s: only %zu corruptions tested (%zu skipped)", var_name[v],
                      tested[v], skipped[v]);
    bytes_free(&small);
    bytes_free(&text);
}

Test(coding, trailing_garbage)
{
    struct bytes short_text = bytes_of("hello world", 11);
    struct bytes text = make_text(100 * 1024, 19);
    const struct bytes *ins[] = {&short_text, &text};
    static const struct {
        const char *p;
        size_t n;
    } garbage[] = {{"x", 1}, {"\0", 1}, {"garbage after the end", 21}, {"\x1f\x8b", 2}};
    for (enum var v = V_GZIP; v < N_VARS; v++)
        for (size_t i = 0; i < 2; i++) {
            struct bytes enc = encode(v, ins[i]);
            for (size_t g = 0; g < sizeof(garbage) / sizeof(garbage[0]); g++) {
                char what[128];
                snprintf(what, sizeof(what), "%s input %zu + garbage %zu", var_name[v], i, g);
                struct bytes bad = bytes_cat(&enc, garbage[g].p, garbage[g].n);
                for (size_t m = 0; m < 3; m++) {
                    struct sink s = {.keep = true};
                    int r = decode(what, var_coding[v], bad.p, bad.len, SIZE_MAX, modes[m].maxpiece,
                                   modes[m].seed, &s);
                    cr_expect_eq(r, -EBADMSG, "%s mode %zu: status %d", what, m, r);
                    cr_expect(is_prefix(&s.out, ins[i]->p, ins[i]->len),
                              "%s mode %zu: output not a prefix", what, m);
                    bytes_free(&s.out);
                }
                bytes_free(&bad);

                /* the complete stream in one feed, then the garbage in another */
                struct pl_decoder *d = pl_decoder_new(var_coding[v], SIZE_MAX);
                cr_assert_not_null(d);
                struct sink s = {.keep = true};
                int r = pl_decoder_feed(d, enc.p, enc.len, sink_cb, &s);
                cr_expect_eq(r, 0, "%s: complete stream: status %d", what, r);
                cr_expect(same(&s.out, ins[i]->p, ins[i]->len),
                          "%s: a complete stream fed: %zu of %zu bytes delivered", what, s.out.len,
                          ins[i]->len);
                r = pl_decoder_feed(d, garbage[g].p, garbage[g].n, sink_cb, &s);
                if (v != V_GZIP) /* the end of a deflate or br stream is known */
                    cr_expect_eq(r, -EBADMSG, "%s: feed after the end: %d", what, r);
                else
                    cr_expect(r == 0 || r == -EBADMSG, "%s: feed after the end: %d", what, r);
                r = pl_decoder_finish(d);
                cr_expect_eq(r, -EBADMSG, "%s: finish after the garbage: %d", what, r);
                cr_expect_eq(pl_decoder_total(d), ins[i]->len);
                pl_decoder_free(d);
                bytes_free(&s.out);
            }
            bytes_free(&enc);
        }
    bytes_free(&short_text);
    bytes_free(&text);
}

/* ---- limits ---- */

static void
bomb(enum var v)
{
    const size_t zeros = (size_t)100 << 20, lim = 1 << 20;
    struct bytes enc = v == V_BR ? br_bomb(zeros) : z_bomb(zeros, var_wbits(v));
    cr_assert_lt(enc.len, 1 << 20, "test setup: the bomb is %zu bytes", enc.len);
    for (size_t m = 0; m < 3; m++) {
        char what[128];
        snprintf(what, sizeof(what), "%s bomb (%zu bytes) mode %zu", var_name[v], enc.len, m);
        struct sink s = {.zeros = true};
        int r =
            decode(what, var_coding[v], enc.p, enc.len, lim, modes[m].maxpiece, modes[m].seed, &s);
        cr_expect_eq(r, -E2BIG, "%s: status %d", what, r);
        cr_expect_leq(s.total, lim, "%s: %zu bytes delivered", what, s.total);
        cr_expect(!s.nonzero_seen, "%s: delivered a nonzero byte", what);
    }
    /* the limit exactly at the decoded size is fine */
    struct sink s = {.zeros = true};
    int r = decode("bomb at the exact limit", var_coding[v], enc.p, enc.len, zeros, 4096, 3, &s);
    cr_expect_eq(r, 0, "%s bomb, max_out = its size: status %d", var_name[v], r);
    cr_expect_eq(s.total, zeros, "%s bomb: %zu bytes delivered", var_name[v], s.total);
    cr_expect(!s.nonzero_seen, "%s bomb: delivered a nonzero byte", var_name[v]);
    bytes_free(&enc);
}

Test(coding, bomb_gzip)
{
    bomb(V_GZIP);
}

Test(coding, bomb_deflate_zlib)
{
    bomb(V_ZLIB);
}

Test(coding, bomb_deflate_raw)
{
    bomb(V_RAW);
}

Test(coding, bomb_br)
{
    bomb(V_BR);
}

Test(coding, exact_limit)
{
    static const int which[] = {IN_EMPTY, IN_ONE, IN_TEXT};
    for (enum var v = V_IDENTITY; v < N_VARS; v++)
        for (size_t i = 0; i < 3; i++) {
            struct bytes in = make_input(which[i]);
            struct bytes enc = encode(v, &in);
            for (size_t m = 0; m < 2; m++) {
                char what[128];
                snprintf(what, sizeof(what), "%s %s mode %zu", var_name[v], input_name[which[i]],
                         m);
                struct sink s = {.keep = true};
                int r = decode(what, var_coding[v], enc.p, enc.len, in.len, modes[m].maxpiece,
                               modes[m].seed, &s);
                cr_expect_eq(r, 0, "%s: max_out = decoded size: status %d", what, r);
                cr_expect(same(&s.out, in.p, in.len), "%s: output differs", what);
                bytes_free(&s.out);
                if (in.len == 0)
                    continue;
                struct sink t = {.keep = true};
                r = decode(what, var_coding[v], enc.p, enc.len, in.len - 1, modes[m].maxpiece,
                           modes[m].seed, &t);
                cr_expect_eq(r, -E2BIG, "%s: max_out = decoded size - 1: status %d", what, r);
                cr_expect(is_prefix(&t.out, in.p, in.len), "%s: output not a prefix", what);
                bytes_free(&t.out);
            }
            bytes_free(&enc);
            bytes_free(&in);
        }
}

Test(coding, identity_bounded)
{
    struct sink s = {.keep = true};
    struct pl_decoder *d = pl_decoder_new(PL_CODING_IDENTITY, 10);
    cr_assert_not_null(d);
    cr_expect_eq(pl_decoder_feed(d, "hello", 5, sink_cb, &s), 0);
    cr_expect_eq(pl_decoder_feed(d, "", 0, sink_cb, &s), 0);
    cr_expect_eq(pl_decoder_feed(d, "world", 5, sink_cb, &s), 0);
    cr_expect_eq(pl_decoder_total(d), 10);
    cr_expect(same(&s.out, "helloworld", 10));
    cr_expect_eq(pl_decoder_feed(d, "!", 1, sink_cb, &s), -E2BIG);
    cr_expect_eq(pl_decoder_total(d), 10);
    cr_expect(same(&s.out, "helloworld", 10), "bytes past the limit delivered");
    cr_expect_eq(pl_decoder_feed(d, "", 0, sink_cb, &s), -E2BIG);
    cr_expect_eq(pl_decoder_finish(d), -E2BIG);
    pl_decoder_free(d);
    bytes_free(&s.out);

    struct sink t = {.keep = true};
    d = pl_decoder_new(PL_CODING_IDENTITY, 10);
    cr_assert_not_null(d);
    cr_expect_eq(pl_decoder_feed(d, "hello, world", 12, sink_cb, &t), -E2BIG);
    cr_expect_leq(pl_decoder_total(d), 10);
    cr_expect_eq(pl_decoder_total(d), t.total);
    cr_expect(is_prefix(&t.out, "hello, world", 10), "not a prefix");
    pl_decoder_free(d);
    bytes_free(&t.out);

    struct sink u = {0};
    d = pl_decoder_new(PL_CODING_IDENTITY, 0);
    cr_assert_not_null(d);
    cr_expect_eq(pl_decoder_feed(d, "", 0, sink_cb, &u), 0);
    cr_expect_eq(pl_decoder_finish(d), 0);
    cr_expect_eq(u.total, 0);
    pl_decoder_free(d);

    struct sink w = {0};
    d = pl_decoder_new(PL_CODING_IDENTITY, 0);
    cr_assert_not_null(d);
    cr_expect_eq(pl_decoder_feed(d, "x", 1, sink_cb, &w), -E2BIG);
    cr_expect_eq(w.total, 0);
    cr_expect_eq(pl_decoder_total(d), 0);
    pl_decoder_free(d);
}

/* ---- callback errors, sticky errors ---- */

Test(coding, callback_error)
{
    struct bytes in = make_text(100 * 1024, 23);
    for (enum var v = V_IDENTITY; v < N_VARS; v++) {
        struct bytes enc = encode(v, &in);
        for (size_t fail_on = 1; fail_on <= 3; fail_on += 2)
            for (size_t m = 0; m < 2; m++) {
                char what[128];
                snprintf(what, sizeof(what), "%s fail on call %zu mode %zu", var_name[v], fail_on,
                         m);
                struct sink s = {.keep = true, .fail_on = fail_on};
                int r = decode(what, var_coding[v], enc.p, enc.len, SIZE_MAX, modes[m].maxpiece,
                               modes[m].seed, &s);
                if (fail_on > 1 && !s.failed) {
                    cr_expect_eq(r, 0, "%s: never reached, status %d", what, r);
                    bytes_free(&s.out);
                    continue;
                }
                cr_expect(s.failed, "%s: callback never called", what);
                cr_expect_eq(r, -42, "%s: status %d", what, r);
                cr_expect(!s.status_at_finish, "%s: -42 from finish, not from the feed", what);
                cr_expect_eq(s.calls, fail_on, "%s: %zu calls", what, s.calls);
                cr_expect(is_prefix(&s.out, in.p, in.len), "%s: output not a prefix", what);
                bytes_free(&s.out);
            }
        bytes_free(&enc);
    }
    bytes_free(&in);
}

Test(coding, errors_stick)
{
    struct bytes text = make_text(100 * 1024, 29);
    struct bytes gz = z_encode(text.p, text.len, WB_GZIP);
    struct sink s = {0};

    /* -EBADMSG: not gzip magic */
    struct pl_decoder *d = pl_decoder_new(PL_CODING_GZIP, SIZE_MAX);
    cr_assert_not_null(d);
    cr_expect_eq(pl_decoder_feed(d, "\x1f\x8c\x08\0\0\0\0\0\0\x03", 10, sink_cb, &s), -EBADMSG);
    cr_expect_eq(pl_decoder_feed(d, gz.p, gz.len, sink_cb, &s), -EBADMSG);
    cr_expect_eq(pl_decoder_finish(d), -EBADMSG);
    cr_expect_eq(pl_decoder_feed(d, gz.p, gz.len, sink_cb, &s), -EBADMSG);
    cr_expect_eq(pl_decoder_total(d), 0);
    cr_expect_eq(s.calls, 0);
    pl_decoder_free(d);

    /* -EBADMSG: a zlib header, then a block of the reserved type 3 */
    d = pl_decoder_new(PL_CODING_DEFLATE, SIZE_MAX);
    cr_assert_not_null(d);
    cr_expect_eq(pl_decoder_feed(d, "\x78\x9c\x07\0\0\0", 6, sink_cb, &s), -EBADMSG);
    cr_expect_eq(pl_decoder_feed(d, "\x03\0", 2, sink_cb, &s), -EBADMSG);
    cr_expect_eq(pl_decoder_finish(d), -EBADMSG);
    pl_decoder_free(d);

    /* -E2BIG */
    d = pl_decoder_new(PL_CODING_GZIP, 1000);
    cr_assert_not_null(d);
    cr_expect_eq(pl_decoder_feed(d, gz.p, gz.len, sink_cb, &s), -E2BIG);
    size_t total = pl_decoder_total(d), calls = s.calls;
    cr_expect_leq(total, 1000);
    cr_expect_eq(pl_decoder_feed(d, gz.p, gz.len, sink_cb, &s), -E2BIG);
    cr_expect_eq(pl_decoder_feed(d, "", 0, sink_cb, &s), -E2BIG);
    cr_expect_eq(pl_decoder_finish(d), -E2BIG);
    cr_expect_eq(pl_decoder_total(d), total);
    cr_expect_eq(s.calls, calls);
    pl_decoder_free(d);

    /* the callback's error */
    struct sink f = {.fail_on = 1};
    d = pl_decoder_new(PL_CODING_GZIP, SIZE_MAX);
    cr_assert_not_null(d);
    cr_expect_eq(pl_decoder_feed(d, gz.p, gz.len, sink_cb, &f), -42);
    cr_expect_eq(pl_decoder_feed(d, gz.p, gz.len, sink_cb, &f), -42);
    cr_expect_eq(pl_decoder_finish(d), -42);
    cr_expect_eq(f.calls, 1);
    pl_decoder_free(d);

    bytes_free(&gz);
    bytes_free(&text);
}

/*
 * Which error a stream gets must not depend on how its bytes were cut: a corrupt stream whose
 * output before the corruption already exceeds max_out. (Here the corruption is in the gzip
 * CRC / zlib Adler-32 trailer, after all the output.) Not for br: libbrotli does not hand out
 * what it decoded before it finds an error.
 */
Test(coding, status_independent_of_chunking)
{
    struct bytes in = make_text(4000, 31);
    for (enum var v = V_GZIP; v <= V_ZLIB; v++) {
        struct bytes enc = encode(v, &in);
        enc.p[enc.len - (v == V_GZIP ? 6 : 2)] ^= 0x01; /* CRC-32 / Adler-32 */
        cr_assert(!ref_valid(v, enc.p, enc.len), "test setup");
        int r[3];
        for (size_t m = 0; m < 3; m++) {
            struct sink s = {0};
            static const size_t pieces[] = {0, 1, 4096};
            r[m] = decode(var_name[v], var_coding[v], enc.p, enc.len, 100, pieces[m], 1, &s);
            cr_expect(r[m] == -EBADMSG || r[m] == -E2BIG, "%s: status %d", var_name[v], r[m]);
        }
        cr_expect(r[0] == r[1] && r[1] == r[2],
                  "%s: status %d in one piece, %d a byte at a time, %d in pieces", var_name[v],
                  r[0], r[1], r[2]);
        bytes_free(&enc);
    }
    bytes_free(&in);
}
