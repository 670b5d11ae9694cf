/*
 * Fuzz target for scan/normalize. Every pipeline runs on the input with cap = pl_norm_bound()
 * (a buffer of exactly that size, so ASan catches a write past it) and again with one byte too
 * few. Invariants: the result is a length <= the bound; one byte less is -E2BIG; no control
 * bytes survive (DLP: none at all; MATCHING and POLICY: only \t \n \r; TOOLTEXT: none, and no
 * leetspeak character); pl_norm_is_identity() true implies the output is the input; for valid
 * UTF-8 input the output is valid UTF-8 with no C1 control, no exotic whitespace (DLP,
 * MATCHING, TOOLTEXT: also no invisible but the U+1160 NFKC makes of U+FFA0).
 *
 * Differential check: a naive implementation written here runs each step over the whole text
 * between invalid bytes with utf8proc_map (its quadratic reordering is fine at these sizes), so
 * the chunking, the taken-back ASCII byte and our own canonical ordering are checked against
 * whole-string normalisation. The confusable map is not duplicated: the reference asks the
 * library for single code points, which the unit tests pin down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "scan/normalize.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_normalize: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_IN 4096

struct obuf {
    char *p;
    size_t len, cap;
};

static void
ob_put(struct obuf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        CHECK(b->p);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void
ob_put_cp(struct obuf *b, int32_t c)
{
    uint8_t u[4];
    utf8proc_ssize_t n = utf8proc_encode_char(c, u);
    ob_put(b, u, (size_t)n);
}

static bool
is_control(int32_t c)
{
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F);
}

static bool
is_invisible(int32_t c)
{
    return c == 0xAD || c == 0x115F || c == 0x1160 || (c >= 0x200B && c <= 0x200F) ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) ||
           (c >= 0x2066 && c <= 0x2069) || c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F) ||
           c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0xE0000 && c <= 0xE007F) ||
           (c >= 0xE0100 && c <= 0xE01EF);
}

static bool
is_ws(int32_t c)
{
    return c == 0xA0 || c == 0x1680 || c == 0x180E || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Apply fn to every code point of UTF-8 s[0, n), appending to b. */
static void
each_cp(const uint8_t *s, size_t n, struct obuf *b, int32_t (*fn)(int32_t, void *), void *arg)
{
    size_t i = 0;
    while (i < n) {
        uint32_t c;
        size_t l = pl_utf8_decode(s + i, n - i, &c);
        CHECK(l > 0);
        int32_t m = fn((int32_t)c, arg);
        if (m >= 0)
            ob_put_cp(b, m);
        i += l;
    }
}

static int32_t
pre_filter(int32_t c, void *arg)
{
    enum pl_norm_pipeline p = *(enum pl_norm_pipeline *)arg;
    if (is_control(c)) {
        bool keep =
            (p == PL_NORM_MATCHING || p == PL_NORM_POLICY) && (c == '\t' || c == '\n' || c == '\r');
        return keep ? c : -1;
    }
    if (is_invisible(c))
        return p == PL_NORM_POLICY ? ' ' : -1;
    if (p == PL_NORM_DLP && is_ws(c))
        return -1;
    return c;
}

/* The confusable map through the library: a lone code point without decomposition. */
static int32_t
confuse(int32_t c, void *arg)
{
    (void)arg;
    if (c < 0x80)
        return c;
    const utf8proc_property_t *prop = utf8proc_get_property(c);
    if (prop->decomp_seqindex != UINT16_MAX || prop->category == UTF8PROC_CATEGORY_MN)
        return c;
    uint8_t u[4];
    char out[64];
    utf8proc_ssize_t n = utf8proc_encode_char(c, u);
    int r =
        pl_normalize(pl_str_from((const char *)u, (size_t)n), PL_NORM_MATCHING, out, sizeof(out));
    if (r == 1 && (unsigned char)out[0] < 0x80 && out[0] != ' ')
        return out[0];
    return c;
}

static int32_t
drop_mn(int32_t c, void *arg)
{
    (void)arg;
    if (c != 0x3099 && c != 0x309A && utf8proc_category(c) == UTF8PROC_CATEGORY_MN)
        return -1;
    return c;
}

static int32_t
post(int32_t c, void *arg)
{
    enum pl_norm_pipeline p = *(enum pl_norm_pipeline *)arg;
    if (p == PL_NORM_DLP)
        return is_control(c) ? -1 : c;
    return is_ws(c) ? ' ' : c;
}

/* Map s with utf8proc options into b (replacing its contents). */
static void
map(struct obuf *b, const char *s, size_t n, utf8proc_option_t opt)
{
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst, opt);
    CHECK(r >= 0);
    b->len = 0;
    ob_put(b, dst, (size_t)r);
    free(dst);
}

/* Whole-text pipeline on one run of valid UTF-8, appended to res. */
static void
naive_segment(const uint8_t *s, size_t n, enum pl_norm_pipeline p, struct obuf *res)
{
    struct obuf a = {0}, b = {0};

    each_cp(s, n, &a, pre_filter, &p);
    map(&b, a.p ? a.p : "", a.len, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    a.len = 0;
    each_cp((const uint8_t *)b.p, b.len, &a, confuse, NULL);
    map(&b, a.p ? a.p : "", a.len, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
    a.len = 0;
    each_cp((const uint8_t *)b.p, b.len, &a, drop_mn, NULL);
    map(&b, a.p ? a.p : "", a.len, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    a.len = 0;
    each_cp((const uint8_t *)b.p, b.len, &a, post, &p);
    if (a.len)
        ob_put(res, a.p, a.len);
    free(a.p);
    free(b.p);
}

static void
naive(const uint8_t *s, size_t n, enum pl_norm_pipeline p, struct obuf *res)
{
    size_t i = 0, start = 0;
    res->len = 0;
    while (i < n) {
        uint32_t c;
        size_t l = pl_utf8_decode(s + i, n - i, &c);
        if (l) {
            i += l;
            continue;
        }
        naive_segment(s + start, i - start, p, res);
        ob_put(res, s + i, 1);
        start = ++i;
    }
    naive_segment(s + start, n - start, p, res);
    if (p == PL_NORM_TOOLTEXT)
        pl_norm_fold_leet(res->p, res->len);
}

static bool
valid_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t l = pl_utf8_decode(s + i, n - i, &c);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

static void
check_output(enum pl_norm_pipeline p, const uint8_t *o, size_t n, bool valid_in)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = o[i];
        CHECK(c != 0x7F);
        if (c < 0x20)
            CHECK((p == PL_NORM_MATCHING || p == PL_NORM_POLICY) &&
                  (c == '\t' || c == '\n' || c == '\r'));
        if (p == PL_NORM_TOOLTEXT)
            CHECK(!strchr("013457@$", c) || c == 0);
    }
    if (!valid_in)
        return;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t l = pl_utf8_decode(o + i, n - i, &c);
        CHECK(l > 0);
        CHECK(!is_control((int32_t)c) || c == '\t' || c == '\n' || c == '\r');
        CHECK(!is_ws((int32_t)c));
        CHECK(!is_invisible((int32_t)c) || c == 0x1160);
        i += l;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pl_str in;
    struct obuf ref = {0};
    bool valid;

    if (size > MAX_IN)
        size = MAX_IN;
    in = pl_str_from((const char *)data, size);
    valid = valid_utf8(data, size);

    for (unsigned p = PL_NORM_DLP; p <= PL_NORM_TOOLTEXT; p++) {
        enum pl_norm_pipeline pipe = (enum pl_norm_pipeline)p;
        size_t bound = pl_norm_bound(size);
        char *out = malloc(bound ? bound : 1);
        CHECK(out);
        int r = pl_normalize(in, pipe, out, bound);
        CHECK(r >= 0);
        CHECK((size_t)r <= bound);
        check_output(pipe, (const uint8_t *)out, (size_t)r, valid);
        if (pl_norm_is_identity(in, pipe))
            CHECK((size_t)r == size && (size == 0 || memcmp(out, data, size) == 0));

        naive(data, size, pipe, &ref);
        if (ref.len != (size_t)r || (r > 0 && memcmp(ref.p, out, ref.len) != 0)) {
            fprintf(stderr, "pipeline %u: got %d bytes, naive %zu\n", p, r, ref.len);
            CHECK(false && "differs from whole-string normalisation");
        }

        if (r > 0) {
            char *small = malloc((size_t)r - 1 ? (size_t)r - 1 : 1);
            CHECK(small);
            CHECK(pl_normalize(in, pipe, small, (size_t)r - 1) == -E2BIG);
            free(small);
        }
        free(out);
    }
    free(ref.p);

    /* whitespace collapsing against the byte rule */
    char *col = malloc(size ? size : 1), *want = malloc(size ? size : 1);
    CHECK(col && want);
    size_t m = 0;
    bool prev = false;
    for (size_t i = 0; i < size; i++) {
        bool w = data[i] == ' ' || (data[i] >= '\t' && data[i] <= '\r');
        if (!w)
            want[m++] = (char)data[i];
        else if (!prev)
            want[m++] = ' ';
        prev = w;
    }
    CHECK(pl_norm_collapse_ws((const char *)data, size, col) == m);
    CHECK(m == 0 || memcmp(col, want, m) == 0);
    free(col);
    free(want);
    return 0;
}
