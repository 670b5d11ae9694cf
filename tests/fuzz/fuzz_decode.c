/*
 * Fuzz target for scan/decode. Every decoder runs on the input with several caps (output
 * buffers sized exactly, so ASan catches a write past cap, plus a guard check). Invariants:
 * a result is -EINVAL, -E2BIG or a length <= cap and <= the encoding's bound; -E2BIG at one
 * cap agrees with the length found at a big cap; iterative percent decoding reports at most
 * max_rounds rounds and reaches a fixed point when it reports fewer; plausible_* is a
 * necessary condition for the decoder; and decode(encode(x)) == x for base64 (all four
 * variants), base32 and hex with reference encoders written here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "fuzz_decode: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

#define MAX_IN 4096

static const unsigned b64_flags[] = {
    PL_B64_STD | PL_B64_PAD_REQUIRED,
    PL_B64_URL | PL_B64_PAD_REQUIRED,
    PL_B64_STD | PL_B64_PAD_FORBIDDEN,
    PL_B64_URL | PL_B64_PAD_FORBIDDEN,
    PL_B64_STD | PL_B64_URL,
    PL_B64_STD | PL_B64_URL | PL_B64_SKIP_WS | PL_B64_STRICT_BITS,
};

enum which { W_B64, W_B32, W_HEX, W_PCT, W_PCT_PLUS, W_ITER };

static int
run(enum which w, struct pl_str in, char *out, size_t cap, unsigned flags)
{
    switch (w) {
    case W_B64:
        return pl_decode_base64(in, out, cap, flags);
    case W_B32:
        return pl_decode_base32(in, out, cap, flags);
    case W_HEX:
        return pl_decode_hex(in, out, cap);
    case W_PCT:
        return pl_decode_percent(in, out, cap, false, NULL);
    case W_PCT_PLUS:
        return pl_decode_percent(in, out, cap, true, NULL);
    default:
        return pl_decode_percent_iter(in, out, cap, flags & 1, 8, NULL);
    }
}

/* Upper bound of the decoded length for an input of n bytes. */
static size_t
bound(enum which w, size_t n)
{
    switch (w) {
    case W_B64:
        return n / 4 * 3 + 2;
    case W_B32:
        return n / 8 * 5 + 4;
    case W_HEX:
        return n / 2;
    default:
        return n;
    }
}

/* Run at a big cap and at a few small exact-size heap caps; check the invariants. */
static void
check_decoder(enum which w, struct pl_str in, unsigned flags)
{
    static char big[MAX_IN + 16];
    int full = run(w, in, big, sizeof(big), flags);
    CHECK(full == -EINVAL || full >= 0);
    if (w >= W_PCT)
        CHECK(full >= 0);
    if (full >= 0)
        CHECK((size_t)full <= bound(w, in.len));

    size_t caps[] = {0,     1, 3, (size_t)(full > 0 ? full - 1 : 0), (size_t)(full > 0 ? full : 0),
                     in.len};
    for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
        size_t cap = caps[k];
        char *buf = malloc(cap + 8);
        CHECK(buf != NULL);
        memset(buf, 0x5A, cap + 8);
        int r = run(w, in, buf, cap, flags);
        for (size_t g = cap; g < cap + 8; g++)
            CHECK((unsigned char)buf[g] == 0x5A);
        if (full == -EINVAL) {
            CHECK(r == -EINVAL);
        } else if (r == -E2BIG) {
            /* only the iterative decoder may need more room than its final result */
            CHECK(w == W_ITER || cap < (size_t)full);
        } else {
            CHECK(r == full);
            CHECK((size_t)r <= cap);
            CHECK(memcmp(buf, big, (size_t)r) == 0);
        }
        free(buf);
    }
}

static size_t
ref_b64(const unsigned char *in, size_t n, char *out, bool url, bool pad)
{
    const char *a = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        out[o++] = a[v & 63];
    }
    if (n - i) {
        uint32_t v = (uint32_t)in[i] << 16 | (n - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        if (n - i == 2)
            out[o++] = a[(v >> 6) & 63];
        if (pad)
            for (size_t k = n - i; k < 3; k++)
                out[o++] = '=';
    }
    return o;
}

static size_t
ref_b32(const unsigned char *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    static const size_t syms[6] = {0, 2, 4, 5, 7, 8};
    size_t o = 0;
    for (size_t i = 0; i < n; i += 5) {
        size_t m = n - i < 5 ? n - i : 5;
        uint64_t v = 0;
        for (size_t k = 0; k < 5; k++)
            v = v << 8 | (k < m ? in[i + k] : 0);
        for (size_t k = 0; k < 8; k++)
            out[o++] = k < syms[m] ? a[(v >> (35 - 5 * k)) & 31] : '=';
    }
    return o;
}

static void
round_trips(const unsigned char *d, size_t n)
{
    static char enc[MAX_IN * 2 + 16], dec[MAX_IN + 16];
    for (int v = 0; v < 4; v++) {
        bool url = v & 1, pad = v & 2;
        size_t el = ref_b64(d, n, enc, url, pad);
        unsigned f = (url ? PL_B64_URL : PL_B64_STD) |
                     (pad ? PL_B64_PAD_REQUIRED : PL_B64_PAD_FORBIDDEN) | PL_B64_STRICT_BITS;
        int r = pl_decode_base64(pl_str_from(enc, el), dec, n, f);
        CHECK(r == (int)n);
        CHECK(n == 0 || memcmp(dec, d, n) == 0);
        CHECK(pl_decode_plausible_base64(pl_str_from(enc, el), el));
    }
    size_t bl = ref_b32(d, n, enc);
    CHECK(pl_decode_base32(pl_str_from(enc, bl), dec, n, 0) == (int)n);
    CHECK(n == 0 || memcmp(dec, d, n) == 0);
    for (size_t i = 0; i < n; i++) {
        enc[3 * i] = "0123456789abcdef"[d[i] >> 4];
        enc[3 * i + 1] = "0123456789ABCDEF"[d[i] & 15];
        enc[3 * i + 2] = ':';
    }
    size_t hl = n ? 3 * n - 1 : 0;
    CHECK(pl_decode_hex(pl_str_from(enc, hl), dec, n) == (int)n);
    CHECK(n == 0 || memcmp(dec, d, n) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[MAX_IN + 16], again[MAX_IN + 16];
    if (size > MAX_IN)
        size = MAX_IN;
    struct pl_str in = pl_str_from((const char *)data, size);

    for (size_t f = 0; f < sizeof(b64_flags) / sizeof(b64_flags[0]); f++)
        check_decoder(W_B64, in, b64_flags[f]);
    for (unsigned f = 0; f < 4; f++)
        check_decoder(W_B32, in, f);
    check_decoder(W_HEX, in, 0);
    check_decoder(W_PCT, in, 0);
    check_decoder(W_PCT_PLUS, in, 0);
    check_decoder(W_ITER, in, 0);
    check_decoder(W_ITER, in, 1);

    /* plausibility is necessary for success */
    if (pl_decode_base64(in, out, sizeof(out), PL_B64_STD | PL_B64_URL) >= 0)
        CHECK(pl_decode_plausible_base64(in, 0));
    for (unsigned f = 0; f < 4; f++)
        if (pl_decode_base32(in, out, sizeof(out), f) >= 0)
            CHECK(pl_decode_plausible_base32(in, 0));
    if (pl_decode_hex(in, out, sizeof(out)) >= 0)
        CHECK(pl_decode_plausible_hex(in, 0));
    CHECK(!pl_decode_plausible_base64(in, size + 1));

    /* iterative percent decoding: bounded rounds; fewer than max means a fixed point */
    for (int max = 0; max <= 8; max += 4) {
        int rounds = -1;
        int r = pl_decode_percent_iter(in, out, sizeof(out), true, max, &rounds);
        CHECK(r >= 0 && (size_t)r <= size);
        CHECK(rounds >= 0 && rounds <= (max > 0 ? max : 0));
        if (rounds < max) {
            bool changed = true;
            int r2 = pl_decode_percent(pl_str_from(out, (size_t)r), again, sizeof(again), true,
                                       &changed);
            CHECK(r2 == r && !changed && memcmp(out, again, (size_t)r) == 0);
        }
    }
    /* in place equals out of place */
    {
        int r1 = pl_decode_percent_iter(in, out, sizeof(out), false, 8, NULL);
        memcpy(again, data, size);
        int r2 = pl_decode_percent_iter(pl_str_from(again, size), again, size, false, 8, NULL);
        CHECK(r1 == r2 && memcmp(out, again, (size_t)r1) == 0);
    }

    /* noise stripping: never grows, truncation reports the full length */
    size_t full = pl_decode_strip_noise(in, out, sizeof(out));
    CHECK(full <= size);
    for (size_t i = 0; i < full; i++)
        CHECK(strchr("./ \t\n\r+,;|", out[i]) == NULL || out[i] == '\0');
    size_t half = pl_decode_strip_noise(in, again, full / 2);
    CHECK(half == full && memcmp(again, out, full / 2) == 0);

    round_trips(data, size > 1024 ? 1024 : size);
    return 0;
}
