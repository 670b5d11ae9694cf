/*
 * Decoders for DLP views. Every loop is a table lookup per byte; writes go through a single
 * "o < cap" check so output is never written at or past out[cap], while o keeps counting the
 * full decoded length so -E2BIG is only returned once the whole input is known to be valid.
 */
#include "scan/decode.h"

#include <limits.h>
#include <string.h>

/*
 * The lookup tables store value ^ 0xFF so that every byte not listed (zero-initialised) reads
 * back as 0xFF, the "invalid" class, without a range initialiser that -Woverride-init rejects.
 * Read them only through TAB().
 */
#define ENC(v)    ((uint8_t)((v) ^ 0xFF))
#define TAB(t, c) tab_get((t), (unsigned char)(c))

static inline __attribute__((always_inline)) uint8_t
tab_get(const uint8_t *t, unsigned char c)
{
    return (uint8_t)(t[c] ^ 0xFF);
}

/* hex digit value, or 0xFF */
static const uint8_t hex_val[256] = {
    ['0'] = ENC(0),  ['1'] = ENC(1),  ['2'] = ENC(2),  ['3'] = ENC(3),  ['4'] = ENC(4),
    ['5'] = ENC(5),  ['6'] = ENC(6),  ['7'] = ENC(7),  ['8'] = ENC(8),  ['9'] = ENC(9),
    ['a'] = ENC(10), ['b'] = ENC(11), ['c'] = ENC(12), ['d'] = ENC(13), ['e'] = ENC(14),
    ['f'] = ENC(15), ['A'] = ENC(10), ['B'] = ENC(11), ['C'] = ENC(12), ['D'] = ENC(13),
    ['E'] = ENC(14), ['F'] = ENC(15),
};

/*
 * base64 symbol table: 0..63 for the shared symbols; B64_STD_BIT / B64_URL_BIT or'ed into the
 * alphabet-specific ones so "seen |= v" records which alphabets occurred. Special classes are
 * >= B64_PAD and never or'ed into seen.
 */
#define B64_STD_BIT 0x40
#define B64_URL_BIT 0x80
#define B64_PAD     0xFD
#define B64_WS      0xFE
#define B64_BAD     0xFF

/* 26 consecutive symbols starting at byte first, valued base, base + 1, ... */
#define R1(base, first, k) [(first) + (k)] = ENC((base) + (k))
#define R26(base, first)                                                                    \
    R1(base, first, 0), R1(base, first, 1), R1(base, first, 2), R1(base, first, 3),         \
        R1(base, first, 4), R1(base, first, 5), R1(base, first, 6), R1(base, first, 7),     \
        R1(base, first, 8), R1(base, first, 9), R1(base, first, 10), R1(base, first, 11),   \
        R1(base, first, 12), R1(base, first, 13), R1(base, first, 14), R1(base, first, 15), \
        R1(base, first, 16), R1(base, first, 17), R1(base, first, 18), R1(base, first, 19), \
        R1(base, first, 20), R1(base, first, 21), R1(base, first, 22), R1(base, first, 23), \
        R1(base, first, 24), R1(base, first, 25)

static const uint8_t b64_val[256] = {
    R26(0, 'A'),
    R26(26, 'a'),
    ['0'] = ENC(52),
    ['1'] = ENC(53),
    ['2'] = ENC(54),
    ['3'] = ENC(55),
    ['4'] = ENC(56),
    ['5'] = ENC(57),
    ['6'] = ENC(58),
    ['7'] = ENC(59),
    ['8'] = ENC(60),
    ['9'] = ENC(61),
    ['+'] = ENC(B64_STD_BIT | 62),
    ['/'] = ENC(B64_STD_BIT | 63),
    ['-'] = ENC(B64_URL_BIT | 62),
    ['_'] = ENC(B64_URL_BIT | 63),
    ['='] = ENC(B64_PAD),
    [' '] = ENC(B64_WS),
    ['\t'] = ENC(B64_WS),
    ['\r'] = ENC(B64_WS),
    ['\n'] = ENC(B64_WS),
};

/* base32 symbol table: 0..31, upper-case letters with B32_UPPER, lower-case with B32_LOWER. */
#define B32_LOWER 0x40
#define B32_UPPER 0x80
#define B32_PAD   0xFE
#define B32_BAD   0xFF

static const uint8_t b32_val[256] = {
    R26(B32_UPPER, 'A'), R26(B32_LOWER, 'a'), ['2'] = ENC(26),
    ['3'] = ENC(27),     ['4'] = ENC(28),     ['5'] = ENC(29),
    ['6'] = ENC(30),     ['7'] = ENC(31),     ['='] = ENC(B32_PAD),
};

/* percent decoding: 1 = '%', 2 = '+' */
static const uint8_t pct_special[256] = {['%'] = 1, ['+'] = 2};

/* the reference's noise set: . / space \t \n \r + , ; | */
static const uint8_t noise[256] = {
    ['.'] = 1,  ['/'] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1,
    ['\r'] = 1, ['+'] = 1, [','] = 1, [';'] = 1,  ['|'] = 1,
};

/* separators of delimited hex */
static const uint8_t hex_sep[256] = {[':'] = 1, [' '] = 1, ['-'] = 1, [','] = 1};

/*
 * One percent round over in[0, n). Writes out[o] only while o < cap and returns the full
 * output length. Safe when out == in: the write index never exceeds the read index.
 */
static size_t
percent_round(const unsigned char *in, size_t n, char *out, size_t cap, bool plus, bool *changed)
{
    size_t i = 0, o = 0;
    bool ch = false;

    while (i < n) {
        /* copy a run of ordinary bytes in one go */
        size_t run = i;
        while (run < n && !pct_special[in[run]])
            run++;
        if (run > i) {
            size_t len = run - i;
            if (o < cap) {
                size_t w = PL_MIN(len, cap - o);
                if (out + o != (const char *)in + i)
                    memmove(out + o, in + i, w);
            }
            o += len;
            i = run;
            if (i == n)
                break;
        }
        unsigned char c = in[i];
        if (c == '%') {
            if (n - i >= 3) {
                uint8_t hi = TAB(hex_val, in[i + 1]), lo = TAB(hex_val, in[i + 2]);
                if ((hi | lo) < 16) {
                    if (o < cap)
                        out[o] = (char)((hi << 4) | lo);
                    o++;
                    i += 3;
                    ch = true;
                    continue;
                }
            }
            if (o < cap)
                out[o] = '%';
            o++;
            i++;
        } else if (plus) {
            if (o < cap)
                out[o] = ' ';
            o++;
            i++;
            ch = true;
        } else {
            if (o < cap)
                out[o] = '+';
            o++;
            i++;
        }
    }
    *changed = ch;
    return o;
}

int
pl_decode_percent(struct pl_str in, char *out, size_t cap, bool plus_as_space, bool *ret_changed)
{
    bool changed;
    size_t o;

    if (in.len > INT_MAX)
        return -E2BIG;
    o = percent_round((const unsigned char *)in.p, in.len, out, cap, plus_as_space, &changed);
    if (o > cap)
        return -E2BIG;
    if (ret_changed)
        *ret_changed = changed;
    return (int)o;
}

int
pl_decode_percent_iter(struct pl_str in, char *out, size_t cap, bool plus_as_space, int max_rounds,
                       int *ret_rounds)
{
    int rounds = 0;
    size_t len;

    if (in.len > INT_MAX)
        return -E2BIG;
    if (max_rounds <= 0) {
        if (in.len > cap)
            return -E2BIG;
        if (in.len && out != in.p)
            memmove(out, in.p, in.len);
        len = in.len;
    } else {
        bool changed;
        len = percent_round((const unsigned char *)in.p, in.len, out, cap, plus_as_space, &changed);
        if (len > cap)
            return -E2BIG;
        if (changed) {
            rounds = 1;
            /* each further round shrinks or keeps the length, in place within out */
            while (rounds < max_rounds) {
                len = percent_round((const unsigned char *)out, len, out, cap, plus_as_space,
                                    &changed);
                if (!changed)
                    break;
                rounds++;
            }
        }
    }
    if (ret_rounds)
        *ret_rounds = rounds;
    return (int)len;
}

int
pl_decode_base64(struct pl_str in, char *out, size_t cap, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)in.p;
    size_t n = in.len, i, o = 0, ndata = 0, npad = 0;
    uint32_t acc = 0;
    unsigned seen = 0, q = 0;
    bool skip_ws = flags & PL_B64_SKIP_WS;

    if (!(flags & (PL_B64_STD | PL_B64_URL)))
        return -EINVAL;
    if ((flags & PL_B64_PAD_REQUIRED) && (flags & PL_B64_PAD_FORBIDDEN))
        return -EINVAL;
    if (n > INT_MAX)
        return -E2BIG;

    for (i = 0; i < n; i++) {
        uint8_t v = TAB(b64_val, p[i]);
        if (PL_UNLIKELY(v >= B64_PAD)) {
            if (v == B64_WS && skip_ws)
                continue;
            if (v == B64_PAD)
                break;
            return -EINVAL;
        }
        seen |= v;
        acc = (acc << 6) | (v & 63u);
        ndata++;
        if (++q == 4) {
            if (PL_LIKELY(o + 3 <= cap)) {
                out[o] = (char)(acc >> 16);
                out[o + 1] = (char)(acc >> 8);
                out[o + 2] = (char)acc;
            } else {
                if (o < cap)
                    out[o] = (char)(acc >> 16);
                if (o + 1 < cap)
                    out[o + 1] = (char)(acc >> 8);
            }
            o += 3;
            q = 0;
            acc = 0;
        }
    }
    /* padding: only '=' (and skipped whitespace) may follow the first '=' */
    for (; i < n; i++) {
        uint8_t v = TAB(b64_val, p[i]);
        if (v == B64_PAD)
            npad++;
        else if (!(v == B64_WS && skip_ws))
            return -EINVAL;
    }

    if ((seen & B64_STD_BIT) && !(flags & PL_B64_STD))
        return -EINVAL;
    if ((seen & B64_URL_BIT) && !(flags & PL_B64_URL))
        return -EINVAL;
    if ((seen & B64_STD_BIT) && (seen & B64_URL_BIT))
        return -EINVAL; /* mixed alphabets */

    unsigned rem = (unsigned)(ndata % 4);
    if (rem == 1)
        return -EINVAL;
    if (npad) {
        if (flags & PL_B64_PAD_FORBIDDEN)
            return -EINVAL;
        if (rem == 0 || npad != 4 - rem)
            return -EINVAL;
    } else if (rem && (flags & PL_B64_PAD_REQUIRED)) {
        return -EINVAL;
    }

    if (rem == 2) {
        if ((flags & PL_B64_STRICT_BITS) && (acc & 0xF))
            return -EINVAL;
        if (o < cap)
            out[o] = (char)(acc >> 4);
        o++;
    } else if (rem == 3) {
        if ((flags & PL_B64_STRICT_BITS) && (acc & 0x3))
            return -EINVAL;
        if (o < cap)
            out[o] = (char)(acc >> 10);
        if (o + 1 < cap)
            out[o + 1] = (char)(acc >> 2);
        o += 2;
    }
    if (o > cap)
        return -E2BIG;
    return (int)o;
}

int
pl_decode_base32(struct pl_str in, char *out, size_t cap, unsigned flags)
{
    /* pads required after 0..7 trailing symbols; 0xFF = impossible remainder */
    static const uint8_t pad_for_rem[8] = {0, 0xFF, 6, 0xFF, 4, 3, 0xFF, 1};
    /* output bytes and unused bits for each remainder */
    static const uint8_t bytes_for_rem[8] = {0, 0, 1, 0, 2, 3, 0, 4};
    static const uint8_t unused_for_rem[8] = {0, 0, 2, 0, 4, 1, 0, 3};
    const unsigned char *p = (const unsigned char *)in.p;
    size_t n = in.len, i, o = 0, ndata = 0, npad = 0;
    uint64_t acc = 0;
    unsigned seen = 0, q = 0;

    if (n > INT_MAX)
        return -E2BIG;

    for (i = 0; i < n; i++) {
        uint8_t v = TAB(b32_val, p[i]);
        if (PL_UNLIKELY(v >= B32_PAD)) {
            if (v == B32_PAD)
                break;
            return -EINVAL;
        }
        seen |= v;
        acc = (acc << 5) | (v & 31u);
        ndata++;
        if (++q == 8) {
            for (unsigned k = 0; k < 5; k++, o++)
                if (o < cap)
                    out[o] = (char)(acc >> (32 - 8 * k));
            q = 0;
            acc = 0;
        }
    }
    for (; i < n; i++) {
        if (p[i] != '=')
            return -EINVAL;
        npad++;
    }

    if ((seen & B32_LOWER) && !(flags & PL_B32_ICASE))
        return -EINVAL;
    if ((seen & B32_LOWER) && (seen & B32_UPPER))
        return -EINVAL; /* mixed case */

    unsigned rem = (unsigned)(ndata % 8);
    if (pad_for_rem[rem] == 0xFF)
        return -EINVAL;
    if (npad) {
        if (npad != pad_for_rem[rem] || rem == 0)
            return -EINVAL;
    } else if (rem && !(flags & PL_B32_NOPAD_OK)) {
        return -EINVAL;
    }

    if (rem) {
        unsigned nb = bytes_for_rem[rem];
        uint64_t bits = acc >> unused_for_rem[rem];
        for (unsigned k = 0; k < nb; k++, o++)
            if (o < cap)
                out[o] = (char)(bits >> (8 * (nb - 1 - k)));
    }
    if (o > cap)
        return -E2BIG;
    return (int)o;
}

/* Plain hex: even length, every byte a hex digit. Returns the length or -EINVAL. */
static long
hex_plain(const unsigned char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;

    if (n % 2)
        return -EINVAL;
    for (size_t i = 0; i < n; i += 2, o++) {
        uint8_t hi = TAB(hex_val, p[i]), lo = TAB(hex_val, p[i + 1]);
        if ((hi | lo) & 0xF0)
            return -EINVAL;
        if (o < cap)
            out[o] = (char)((hi << 4) | lo);
    }
    return (long)o;
}

/* Delimited hex (see decode.h). Returns the length or -EINVAL. */
static long
hex_delimited(const unsigned char *p, size_t n, char *out, size_t cap)
{
    size_t i = 0, o = 0, seplen = 0;
    unsigned char sep[2] = {0, 0};
    bool sep_known = false, prefixed = false;
    unsigned char pfx0 = 0, pfx1 = 0;

    if (n < 4)
        return -EINVAL;
    if ((p[0] == '\\' || p[0] == '0') && (p[1] == 'x' || p[1] == 'X')) {
        prefixed = true;
        pfx0 = p[0];
        pfx1 = p[1];
    }
    for (;;) {
        if (prefixed) {
            if (n - i < 2 || p[i] != pfx0 || p[i + 1] != pfx1)
                return -EINVAL;
            i += 2;
        }
        size_t start = i;
        while (i < n && TAB(hex_val, p[i]) < 16)
            i++;
        size_t glen = i - start;
        if (glen == 0 || glen % 2)
            return -EINVAL;
        for (size_t k = start; k < i; k += 2, o++)
            if (o < cap)
                out[o] = (char)((TAB(hex_val, p[k]) << 4) | TAB(hex_val, p[k + 1]));
        if (i == n)
            break;

        /* a separator is one of ": -," optionally followed by one space (", ") */
        size_t s = i;
        if (hex_sep[p[i]]) {
            i++;
            if (p[i - 1] != ' ' && i < n && p[i] == ' ')
                i++;
        }
        size_t len = i - s;
        if (!sep_known) {
            if (len == 0 && !prefixed)
                return -EINVAL;
            seplen = len;
            memcpy(sep, p + s, len);
            sep_known = true;
        } else if (len != seplen || memcmp(sep, p + s, len) != 0) {
            return -EINVAL;
        }
        if (i == n)
            return -EINVAL; /* trailing separator */
    }
    return (long)o;
}

int
pl_decode_hex(struct pl_str in, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in.p;
    long r;

    if (in.len > INT_MAX)
        return -E2BIG;
    r = hex_plain(p, in.len, out, cap);
    if (r < 0)
        r = hex_delimited(p, in.len, out, cap);
    if (r < 0)
        return (int)r;
    if ((size_t)r > cap)
        return -E2BIG;
    return (int)r;
}

bool
pl_decode_plausible_base64(struct pl_str s, size_t min_len)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i, ndata, npad;
    unsigned seen = 0;

    if (s.len < min_len)
        return false;
    for (i = 0; i < s.len; i++) {
        uint8_t v = TAB(b64_val, p[i]);
        if (v >= B64_PAD)
            break;
        seen |= v;
    }
    ndata = i;
    for (; i < s.len; i++)
        if (p[i] != '=')
            return false;
    npad = s.len - ndata;
    if ((seen & B64_STD_BIT) && (seen & B64_URL_BIT))
        return false;
    size_t rem = ndata % 4;
    if (rem == 1)
        return false;
    if (npad && (rem == 0 || npad != 4 - rem))
        return false;
    return true;
}

bool
pl_decode_plausible_base32(struct pl_str s, size_t min_len)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i, ndata, npad;
    unsigned seen = 0;

    if (s.len < min_len)
        return false;
    for (i = 0; i < s.len; i++) {
        uint8_t v = TAB(b32_val, p[i]);
        if (v >= B32_PAD)
            break;
        seen |= v;
    }
    ndata = i;
    for (; i < s.len; i++)
        if (p[i] != '=')
            return false;
    npad = s.len - ndata;
    if ((seen & B32_LOWER) && (seen & B32_UPPER))
        return false;
    switch (ndata % 8) {
    case 1:
    case 3:
    case 6:
        return false;
    case 0:
        return npad == 0;
    case 2:
        return npad == 0 || npad == 6;
    case 4:
        return npad == 0 || npad == 4;
    case 5:
        return npad == 0 || npad == 3;
    default: /* 7 */
        return npad == 0 || npad == 1;
    }
}

bool
pl_decode_plausible_hex(struct pl_str s, size_t min_len)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t digits = 0;

    if (s.len < min_len)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = p[i];
        if (TAB(hex_val, c) < 16)
            digits++;
        else if (!hex_sep[c] && c != '\\' && c != 'x' && c != 'X')
            return false;
    }
    return digits >= 2 || s.len == 0;
}

size_t
pl_decode_strip_noise(struct pl_str in, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in.p;
    size_t o = 0;

    for (size_t i = 0; i < in.len; i++) {
        unsigned char c = p[i];
        if (noise[c])
            continue;
        if (o < cap)
            out[o] = (char)c;
        o++;
    }
    return o;
}
