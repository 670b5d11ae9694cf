/* Unit tests of scan/decode: percent, base64, base32, hex, plausibility, noise stripping. */
#include <criterion/criterion.h>

#include <string.h>

#include "scan/decode.h"

#define OK    0
#define NOERR 1 /* marker: want_ret is the output length */

#define B64_STD_PAD   (PL_B64_STD | PL_B64_PAD_REQUIRED)
#define B64_URL_PAD   (PL_B64_URL | PL_B64_PAD_REQUIRED)
#define B64_STD_RAW   (PL_B64_STD | PL_B64_PAD_FORBIDDEN)
#define B64_URL_RAW   (PL_B64_URL | PL_B64_PAD_FORBIDDEN)
#define B64_BOTH      (PL_B64_STD | PL_B64_URL)
#define B64_BOTH_OPTP (PL_B64_STD | PL_B64_URL)

struct dcase {
    const char *in;
    unsigned flags;
    int want;        /* -EINVAL, or the decoded length */
    const char *out; /* expected bytes when want >= 0 */
};

static struct pl_str
S(const char *c) {
    return pl_str_c(c);
}

/* Run one decode into a buffer with guard bytes after cap and check result + guard. */
typedef int (*decode_fn)(struct pl_str, char *, size_t, unsigned);

static int
wrap_hex(struct pl_str in, char *out, size_t cap, unsigned flags)
{
    (void)flags;
    return pl_decode_hex(in, out, cap);
}

static void
run_cases(const char *what, decode_fn fn, const struct dcase *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char buf[256];
        memset(buf, 0xA5, sizeof(buf));
        int r = fn(S(c[i].in), buf, 128, c[i].flags);
        cr_expect_eq(r, c[i].want, "%s case %zu \"%s\" flags %#x: got %d want %d", what, i, c[i].in,
                     c[i].flags, r, c[i].want);
        if (r >= 0 && c[i].want >= 0)
            cr_expect(memcmp(buf, c[i].out, (size_t)r) == 0, "%s case %zu \"%s\": wrong bytes",
                      what, i, c[i].in);
        for (size_t k = 128; k < sizeof(buf); k++)
            cr_assert_eq((unsigned char)buf[k], 0xA5, "%s case %zu wrote past cap", what, i);
    }
}

/* ---------------------------------------------------------------- RFC 4648 section 10 */

static const struct dcase b64_cases[] = {
    /* RFC 4648 vectors, padded */
    {"", B64_STD_PAD, 0, ""},
    {"Zg==", B64_STD_PAD, 1, "f"},
    {"Zm8=", B64_STD_PAD, 2, "fo"},
    {"Zm9v", B64_STD_PAD, 3, "foo"},
    {"Zm9vYg==", B64_STD_PAD, 4, "foob"},
    {"Zm9vYmE=", B64_STD_PAD, 5, "fooba"},
    {"Zm9vYmFy", B64_STD_PAD, 6, "foobar"},
    /* RFC 4648 vectors, unpadded */
    {"", B64_STD_RAW, 0, ""},
    {"Zg", B64_STD_RAW, 1, "f"},
    {"Zm8", B64_STD_RAW, 2, "fo"},
    {"Zm9v", B64_STD_RAW, 3, "foo"},
    {"Zm9vYg", B64_STD_RAW, 4, "foob"},
    {"Zm9vYmE", B64_STD_RAW, 5, "fooba"},
    {"Zm9vYmFy", B64_STD_RAW, 6, "foobar"},
    /* padding optional (no PAD flag): both forms */
    {"Zg", PL_B64_STD, 1, "f"},
    {"Zg==", PL_B64_STD, 1, "f"},
    {"Zm8=", PL_B64_STD, 2, "fo"},
    {"Zm8", PL_B64_STD, 2, "fo"},
    /* padding errors */
    {"Zg", B64_STD_PAD, -EINVAL, NULL},      /* missing padding */
    {"Zg=", B64_STD_PAD, -EINVAL, NULL},     /* incomplete padding */
    {"Zg=", PL_B64_STD, -EINVAL, NULL},      /* incomplete padding, optional mode */
    {"Zg===", PL_B64_STD, -EINVAL, NULL},    /* too much padding */
    {"Zm8==", PL_B64_STD, -EINVAL, NULL},    /* wrong amount */
    {"Zm9v====", PL_B64_STD, -EINVAL, NULL}, /* padding after a full quantum */
    {"Zg==", B64_STD_RAW, -EINVAL, NULL},    /* raw rejects any '=' */
    {"Zm8=", B64_STD_RAW, -EINVAL, NULL},    /* raw rejects any '=' */
    {"Zg==Zg==", PL_B64_STD, -EINVAL, NULL}, /* '=' in the middle */
    {"Z=g=", PL_B64_STD, -EINVAL, NULL},     /* '=' in the middle */
    {"====", PL_B64_STD, -EINVAL, NULL},     /* only padding */
    {"=", PL_B64_STD, -EINVAL, NULL},        /* only padding */
    {"Zm9vY", PL_B64_STD, -EINVAL, NULL},    /* len % 4 == 1 */
    {"Z", B64_STD_RAW, -EINVAL, NULL},       /* len % 4 == 1 */
    {"Zm9vY===", PL_B64_STD, -EINVAL, NULL}, /* len % 4 == 1 with pads */
    {"Zg", B64_STD_PAD | PL_B64_PAD_FORBIDDEN, -EINVAL, NULL}, /* contradictory flags */
    {"Zg", PL_B64_PAD_REQUIRED, -EINVAL, NULL},                /* no alphabet */
    /* alphabets: 0xfb 0xff -> "+/8=" std, "-_8=" url */
    {"+/8=", B64_STD_PAD, 2, "\xfb\xff"},
    {"-_8=", B64_URL_PAD, 2, "\xfb\xff"},
    {"+/8", B64_STD_RAW, 2, "\xfb\xff"},
    {"-_8", B64_URL_RAW, 2, "\xfb\xff"},
    {"-_8=", B64_STD_PAD, -EINVAL, NULL}, /* url symbols, std alphabet */
    {"+/8=", B64_URL_PAD, -EINVAL, NULL}, /* std symbols, url alphabet */
    {"+/8=", B64_BOTH, 2, "\xfb\xff"},
    {"-_8=", B64_BOTH, 2, "\xfb\xff"},
    {"+_8=", B64_BOTH, -EINVAL, NULL},       /* mixed alphabets */
    {"-/8=", B64_BOTH, -EINVAL, NULL},       /* mixed alphabets */
    {"a+b_", B64_BOTH_OPTP, -EINVAL, NULL},  /* mixed alphabets */
    {"Zm9v!", PL_B64_STD, -EINVAL, NULL},    /* bad symbol */
    {"Zm9v\x80", PL_B64_STD, -EINVAL, NULL}, /* high byte */
    {"Zm.9", PL_B64_STD, -EINVAL, NULL},
    /* non-zero trailing bits: accepted by default, rejected with STRICT_BITS */
    {"Zh==", PL_B64_STD, 1, "f"},
    {"Zh==", PL_B64_STD | PL_B64_STRICT_BITS, -EINVAL, NULL},
    {"Zg==", PL_B64_STD | PL_B64_STRICT_BITS, 1, "f"},
    {"Zm9=", PL_B64_STD, 2, "fo"},
    {"Zm9=", PL_B64_STD | PL_B64_STRICT_BITS, -EINVAL, NULL},
    /* whitespace */
    {"Zm9v YmFy", PL_B64_STD, -EINVAL, NULL},
    {"Zm9v\nYmFy", PL_B64_STD, -EINVAL, NULL},
    {"Zm9v YmFy", PL_B64_STD | PL_B64_SKIP_WS, 6, "foobar"},
    {"Zm9v\r\nYm\tFy\n", PL_B64_STD | PL_B64_SKIP_WS, 6, "foobar"},
    {"Zg=\n=\n", PL_B64_STD | PL_B64_SKIP_WS, 1, "f"},
    {"Zg= x", PL_B64_STD | PL_B64_SKIP_WS, -EINVAL, NULL},
    {" ", PL_B64_STD | PL_B64_SKIP_WS, 0, ""},
};

Test(decode, base64_table)
{
    run_cases("base64", pl_decode_base64, b64_cases, PL_ARRAY_SIZE(b64_cases));
}

static int
b32(struct pl_str in, char *out, size_t cap, unsigned flags)
{
    return pl_decode_base32(in, out, cap, flags);
}

static const struct dcase b32_cases[] = {
    /* RFC 4648 vectors (reference semantics: flags 0 = upper case, padded) */
    {"", 0, 0, ""},
    {"MY======", 0, 1, "f"},
    {"MZXQ====", 0, 2, "fo"},
    {"MZXW6===", 0, 3, "foo"},
    {"MZXW6YQ=", 0, 4, "foob"},
    {"MZXW6YTB", 0, 5, "fooba"},
    {"MZXW6YTBOI======", 0, 6, "foobar"},
    /* unpadded: only with NOPAD_OK */
    {"MY", 0, -EINVAL, NULL},
    {"MZXW6YQ", 0, -EINVAL, NULL},
    {"MY", PL_B32_NOPAD_OK, 1, "f"},
    {"MZXQ", PL_B32_NOPAD_OK, 2, "fo"},
    {"MZXW6", PL_B32_NOPAD_OK, 3, "foo"},
    {"MZXW6YQ", PL_B32_NOPAD_OK, 4, "foob"},
    {"MZXW6YTBOI", PL_B32_NOPAD_OK, 6, "foobar"},
    {"MZXW6YTBOI======", PL_B32_NOPAD_OK, 6, "foobar"},
    /* lower case: only with ICASE; mixed case never */
    {"mzxw6ytboi======", 0, -EINVAL, NULL},
    {"mzxw6ytboi======", PL_B32_ICASE, 6, "foobar"},
    {"mzxw6ytboi", PL_B32_ICASE | PL_B32_NOPAD_OK, 6, "foobar"},
    {"MZxw6ytboi======", PL_B32_ICASE, -EINVAL, NULL},
    /* bad padding / lengths */
    {"MY=====", 0, -EINVAL, NULL},               /* short padding */
    {"MY=======", 0, -EINVAL, NULL},             /* long padding */
    {"MZXQ===", PL_B32_NOPAD_OK, -EINVAL, NULL}, /* wrong pad count */
    {"M=======", 0, -EINVAL, NULL},              /* remainder 1 */
    {"MZX=====", 0, -EINVAL, NULL},              /* remainder 3 */
    {"MZXW6Y==", 0, -EINVAL, NULL},              /* remainder 6 */
    {"M", PL_B32_NOPAD_OK, -EINVAL, NULL},
    {"MZXW6YTB========", 0, -EINVAL, NULL}, /* padding after full quantum */
    {"MY==MY==", 0, -EINVAL, NULL},         /* '=' in the middle */
    {"========", 0, -EINVAL, NULL},
    {"MZXW6YT1", 0, -EINVAL, NULL},  /* '1' is not base32 */
    {"MZXW6YT8", 0, -EINVAL, NULL},  /* '8' */
    {"MZXW 6YTB", 0, -EINVAL, NULL}, /* whitespace */
    /* non-zero trailing bits accepted (as Go): "MZ" -> 0x66 with bits 01 unused */
    {"MZ======", 0, 1, "f"},
};

Test(decode, base32_table)
{
    run_cases("base32", b32, b32_cases, PL_ARRAY_SIZE(b32_cases));
}

static const struct dcase hex_cases[] = {
    /* RFC 4648 section 10 (base16) */
    {"", 0, 0, ""},
    {"66", 0, 1, "f"},
    {"666F", 0, 2, "fo"},
    {"666F6F", 0, 3, "foo"},
    {"666F6F62", 0, 4, "foob"},
    {"666F6F6261", 0, 5, "fooba"},
    {"666F6F626172", 0, 6, "foobar"},
    {"666f6f626172", 0, 6, "foobar"},
    {"DeadBEEF", 0, 4, "\xde\xad\xbe\xef"},
    /* plain errors */
    {"6", 0, -EINVAL, NULL},
    {"666", 0, -EINVAL, NULL},
    {"6g", 0, -EINVAL, NULL},
    {"zz", 0, -EINVAL, NULL},
    /* every separator */
    {"de:ad:be:ef", 0, 4, "\xde\xad\xbe\xef"},
    {"de ad be ef", 0, 4, "\xde\xad\xbe\xef"},
    {"de-ad-be-ef", 0, 4, "\xde\xad\xbe\xef"},
    {"de,ad,be,ef", 0, 4, "\xde\xad\xbe\xef"},
    {"de, ad, be", 0, 3, "\xde\xad\xbe"},
    {"DE:AD", 0, 2, "\xde\xad"},
    {"dead:beef", 0, 4, "\xde\xad\xbe\xef"},
    /* every prefix */
    {"\\xde\\xad\\xbe\\xef", 0, 4, "\xde\xad\xbe\xef"},
    {"\\XDE\\XAD", 0, 2, "\xde\xad"},
    {"0xde 0xad", 0, 2, "\xde\xad"},
    {"0Xde,0Xad", 0, 2, "\xde\xad"},
    {"0xde, 0xad, 0xbe", 0, 3, "\xde\xad\xbe"},
    {"\\xde:\\xad", 0, 2, "\xde\xad"},
    {"0xdeadbeef", 0, 4, "\xde\xad\xbe\xef"},
    {"0xde", 0, 1, "\xde"},
    {"\\xde", 0, 1, "\xde"},
    /* mixed / inconsistent */
    {"de:ad-be", 0, -EINVAL, NULL},
    {"de:ad:be-ef", 0, -EINVAL, NULL},
    {"de, ad,be", 0, -EINVAL, NULL},
    {"de::ad", 0, -EINVAL, NULL},
    {"de  ad", 0, -EINVAL, NULL}, /* only one space may follow a separator */
    {"de ,ad", 0, -EINVAL, NULL},
    {"de: ad: be", 0, 3, "\xde\xad\xbe"},
    {"de:::ad", 0, -EINVAL, NULL},
    {"\\xde0xad", 0, -EINVAL, NULL},
    {"0xde \\xad", 0, -EINVAL, NULL},
    {"0xde\\Xad", 0, -EINVAL, NULL},
    {"0xde ad", 0, -EINVAL, NULL}, /* prefix on some groups only */
    {"de 0xad", 0, -EINVAL, NULL},
    {"0xde0xad", 0, -EINVAL, NULL}, /* greedy read of a prefixed group */
    {"de:a:be", 0, -EINVAL, NULL},  /* odd group */
    {"d:e:a:d", 0, -EINVAL, NULL},
    {":de:ad", 0, -EINVAL, NULL}, /* leading separator */
    {"de:ad:", 0, -EINVAL, NULL}, /* trailing separator */
    {"0x", 0, -EINVAL, NULL},
    {"0x0x", 0, -EINVAL, NULL},
    {"\\x", 0, -EINVAL, NULL},
    {"de:", 0, -EINVAL, NULL},    /* shorter than 4 */
    {"de\tad", 0, -EINVAL, NULL}, /* tab is not a separator */
    {"de.ad", 0, -EINVAL, NULL},
    {"de:ad:bg", 0, -EINVAL, NULL},
};

Test(decode, hex_table)
{
    run_cases("hex", wrap_hex, hex_cases, PL_ARRAY_SIZE(hex_cases));
}

/* ---------------------------------------------------------------- percent */

struct pcase {
    const char *in;
    bool plus;
    const char *out;
    bool changed;
};

static const struct pcase pct_cases[] = {
    {"", false, "", false},
    {"abc", false, "abc", false},
    {"%41", false, "A", true},
    {"%4a%4A", false, "JJ", true},
    {"a%20b", false, "a b", true},
    {"%2541", false, "%41", true},
    {"%252541", false, "%2541", true},
    {"%", false, "%", false},
    {"%4", false, "%4", false},
    {"%G1", false, "%G1", false},
    {"%4G", false, "%4G", false},
    {"%%41", false, "%A", true},
    {"100%", false, "100%", false},
    {"%41%", false, "A%", true},
    {"%00", false, "\0", true},
    {"%ff%FF", false, "\xff\xff", true},
    {"a+b", false, "a+b", false},
    {"a+b", true, "a b", true},
    {"%2B", true, "+", true},
    {"%2B", false, "+", true},
    {"++", true, "  ", true},
};

Test(decode, percent_table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(pct_cases); i++) {
        const struct pcase *c = &pct_cases[i];
        char buf[64];
        bool changed = !c->changed;
        size_t wl = c->in[0] == '%' && c->in[1] == '0' && c->in[2] == '0' ? 1 : strlen(c->out);
        int r = pl_decode_percent(S(c->in), buf, sizeof(buf), c->plus, &changed);
        cr_expect_eq(r, (int)wl, "case %zu \"%s\": got %d", i, c->in, r);
        cr_expect(r >= 0 && memcmp(buf, c->out, wl) == 0, "case %zu \"%s\": bytes", i, c->in);
        cr_expect_eq(changed, c->changed, "case %zu \"%s\": changed", i, c->in);
    }
}

struct icase {
    const char *in;
    bool plus;
    int max_rounds;
    const char *out;
    int rounds;
};

static const struct icase iter_cases[] = {
    {"abc", false, 8, "abc", 0},
    {"%41", false, 8, "A", 1},
    {"%2541", false, 8, "A", 2},     /* double */
    {"%252541", false, 8, "A", 3},   /* triple */
    {"%252541", false, 2, "%41", 2}, /* bounded by max_rounds */
    {"%252541", false, 1, "%2541", 1},
    {"%252541", false, 0, "%252541", 0},
    {"%252541", false, -3, "%252541", 0},
    {"%25%34%31", false, 8, "A", 2}, /* "%" "4" "1" assembled after round 1 */
    {"%%341", false, 8, "A", 2},     /* malformed "%" kept, then "%41" forms */
    {"%%34%31", false, 8, "A", 2},   /* "%" "4" "1" -> "%41" -> "A" */
    {"%G%41", false, 8, "%GA", 1},   /* malformed kept, the rest still decoded */
    {"a%2Bb", true, 8, "a b", 2},    /* %2B -> '+' -> ' ' */
    {"a%2Bb", false, 8, "a+b", 1},
    {"sk%252Dant%252Dapi", false, 8, "sk-ant-api", 2},
};

Test(decode, percent_iter_table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(iter_cases); i++) {
        const struct icase *c = &iter_cases[i];
        char buf[64];
        int rounds = -1;
        int r = pl_decode_percent_iter(S(c->in), buf, sizeof(buf), c->plus, c->max_rounds, &rounds);
        cr_expect_eq(r, (int)strlen(c->out), "case %zu \"%s\": got %d", i, c->in, r);
        cr_expect(r >= 0 && memcmp(buf, c->out, strlen(c->out)) == 0, "case %zu bytes", i);
        cr_expect_eq(rounds, c->rounds, "case %zu \"%s\": rounds %d want %d", i, c->in, rounds,
                     c->rounds);
    }
}

Test(decode, percent_in_place)
{
    char buf[] = "x%252541y%41%";
    size_t n = strlen(buf);
    bool ch = false;
    int r = pl_decode_percent(pl_str_from(buf, n), buf, n, false, &ch);
    cr_assert_eq(r, (int)strlen("x%2541yA%"));
    cr_assert(memcmp(buf, "x%2541yA%", (size_t)r) == 0);
    cr_assert(ch);

    char buf2[] = "x%252541y%41%";
    int rounds = 0;
    r = pl_decode_percent_iter(pl_str_from(buf2, n), buf2, n, false, 500, &rounds);
    cr_assert_eq(r, 5);
    cr_assert(memcmp(buf2, "xAyA%", 5) == 0);
    cr_assert_eq(rounds, 3);
}

Test(decode, percent_deep_stack_terminates)
{
    /* "%" followed by 25 layers of "25" then "41": needs 26 rounds */
    char in[128], out[128];
    size_t n = 0;
    in[n++] = '%';
    for (int k = 0; k < 25; k++) {
        in[n++] = '2';
        in[n++] = '5';
    }
    in[n++] = '4';
    in[n++] = '1';
    int rounds = 0;
    int r = pl_decode_percent_iter(pl_str_from(in, n), out, sizeof(out), false, 500, &rounds);
    cr_assert_eq(r, 1);
    cr_assert_eq(out[0], 'A');
    cr_assert_eq(rounds, 26);
    r = pl_decode_percent_iter(pl_str_from(in, n), out, sizeof(out), false, 8, &rounds);
    cr_assert_eq(rounds, 8);
    cr_assert_eq(r, (int)(n - 16)); /* each round removed two bytes */
}

Test(decode, percent_changed_untouched_on_error)
{
    char buf[2];
    bool ch = true;
    int rounds = 77;
    cr_assert_eq(pl_decode_percent(S("abc"), buf, 2, false, &ch), -E2BIG);
    cr_assert(ch);
    cr_assert_eq(pl_decode_percent_iter(S("abc"), buf, 2, false, 8, &rounds), -E2BIG);
    cr_assert_eq(rounds, 77);
    cr_assert_eq(pl_decode_percent(S("%41%42"), buf, 2, false, NULL), 2);
    /* the first round's output ("%41B") must fit, even though the final result would */
    cr_assert_eq(pl_decode_percent_iter(S("%2541%42"), buf, 2, false, 8, NULL), -E2BIG);
    char buf4[4];
    cr_assert_eq(pl_decode_percent_iter(S("%2541%42"), buf4, 4, false, 8, NULL), 2);
    cr_assert(memcmp(buf4, "AB", 2) == 0);
}

/* ---------------------------------------------------------------- bounds */

/* Decode with every cap 0..want+2 and a guard: -E2BIG below want, never a write past cap. */
static void
check_caps(const char *what, int (*fn)(struct pl_str, char *, size_t, unsigned), struct pl_str in,
           unsigned flags, int want)
{
    cr_assert(want >= 0);
    for (size_t cap = 0; cap <= (size_t)want + 2; cap++) {
        char buf[300];
        cr_assert(cap + 16 <= sizeof(buf));
        memset(buf, 0x5A, sizeof(buf));
        int r = fn(in, buf, cap, flags);
        if (cap < (size_t)want)
            cr_expect_eq(r, -E2BIG, "%s cap %zu: got %d", what, cap, r);
        else
            cr_expect_eq(r, want, "%s cap %zu: got %d", what, cap, r);
        for (size_t k = cap; k < sizeof(buf); k++)
            cr_assert_eq((unsigned char)buf[k], 0x5A, "%s cap %zu: wrote byte %zu", what, cap, k);
    }
}

static int
pct_fn(struct pl_str in, char *out, size_t cap, unsigned flags)
{
    return pl_decode_percent(in, out, cap, flags != 0, NULL);
}

static int
iter_fn(struct pl_str in, char *out, size_t cap, unsigned flags)
{
    return pl_decode_percent_iter(in, out, cap, false, (int)flags, NULL);
}

Test(decode, bounds_guard)
{
    check_caps("b64", pl_decode_base64, S("Zm9vYmFyYmF6cXV4"), B64_STD_PAD, 12);
    check_caps("b64-2", pl_decode_base64, S("Zm9vYmE="), B64_STD_PAD, 5);
    check_caps("b64-3", pl_decode_base64, S("Zm9vYg"), B64_STD_RAW, 4);
    check_caps("b64-ws", pl_decode_base64, S("Zm9v Ym\nFy"), PL_B64_STD | PL_B64_SKIP_WS, 6);
    check_caps("b32", b32, S("MZXW6YTBOI======"), 0, 6);
    check_caps("b32-2", b32, S("MZXW6YQ="), 0, 4);
    check_caps("hex", wrap_hex, S("666f6f626172"), 0, 6);
    check_caps("hex-sep", wrap_hex, S("de:ad:be:ef"), 0, 4);
    check_caps("hex-pfx", wrap_hex, S("0xde, 0xad, 0xbe"), 0, 3);
    check_caps("pct", pct_fn, S("a%41b%42c%"), 0, 6);
    check_caps("pct+", pct_fn, S("a+b"), 1, 3);
    check_caps("iter", iter_fn, S("x%41y"), 8, 3);
    /* stacked: the first round's output (7 bytes) must fit, the result is 3 */
    for (size_t cap = 0; cap < 12; cap++) {
        char buf[32];
        memset(buf, 0x5A, sizeof(buf));
        int r = pl_decode_percent_iter(S("x%252541y"), buf, cap, false, 8, NULL);
        cr_expect_eq(r, cap < 7 ? -E2BIG : 3, "iter stacked cap %zu: %d", cap, r);
        for (size_t k = cap; k < sizeof(buf); k++)
            cr_assert_eq((unsigned char)buf[k], 0x5A, "iter stacked cap %zu wrote %zu", cap, k);
    }
    /* first round decides the size needed: "%2541" needs 3 bytes even though the result is 1 */
    check_caps("iter-0", iter_fn, S("%2541"), 0, 5);
}

Test(decode, invalid_wins_over_e2big)
{
    char buf[1];
    /* the error is at the end but the buffer overflows first: still -EINVAL */
    cr_assert_eq(pl_decode_base64(S("Zm9vYmFy!"), buf, 0, PL_B64_STD), -EINVAL);
    cr_assert_eq(pl_decode_base32(S("MZXW6YTBOI=====X"), buf, 0, 0), -EINVAL);
    cr_assert_eq(pl_decode_hex(S("de:ad:be-ef"), buf, 0), -EINVAL);
    cr_assert_eq(pl_decode_hex(S("deadbeefz"), buf, 0), -EINVAL);
}

/* ---------------------------------------------------------------- round trip vs encoders */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Reference encoders written from RFC 4648, independent of decode.c. */
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
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        if (pad)
            out[o++] = '=';
    }
    return o;
}

static size_t
ref_b32(const unsigned char *in, size_t n, char *out, bool lower, bool pad)
{
    const char *a = lower ? "abcdefghijklmnopqrstuvwxyz234567" : "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 5) {
        size_t m = n - i < 5 ? n - i : 5;
        uint64_t v = 0;
        for (size_t k = 0; k < 5; k++)
            v = v << 8 | (k < m ? in[i + k] : 0);
        static const size_t syms[6] = {0, 2, 4, 5, 7, 8};
        for (size_t k = 0; k < syms[m]; k++)
            out[o++] = a[(v >> (35 - 5 * k)) & 31];
        if (pad)
            for (size_t k = syms[m]; k < 8; k++)
                out[o++] = '=';
    }
    return o;
}

static size_t
ref_hex(const unsigned char *in, size_t n, char *out, const char *pfx, const char *sep, bool upper)
{
    const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            for (const char *s = sep; *s; s++)
                out[o++] = *s;
        for (const char *s = pfx; *s; s++)
            out[o++] = *s;
        out[o++] = d[in[i] >> 4];
        out[o++] = d[in[i] & 15];
    }
    return o;
}

Test(decode, round_trip_property)
{
    static const char *const seps[] = {"", ":", " ", "-", ",", ", "};
    static const char *const pfxs[] = {"", "\\x", "0x", "\\X", "0X"};
    unsigned char src[80];
    char enc[600], dec[600];
    unsigned iters = 0;

    for (int it = 0; it < 3000; it++) {
        size_t n = rnd() % sizeof(src);
        for (size_t i = 0; i < n; i++)
            src[i] = (unsigned char)rnd();

        for (int v = 0; v < 4; v++) {
            bool url = v & 1, pad = v & 2;
            size_t el = ref_b64(src, n, enc, url, pad);
            unsigned fl = (url ? PL_B64_URL : PL_B64_STD) |
                          (pad ? PL_B64_PAD_REQUIRED : PL_B64_PAD_FORBIDDEN);
            int r = pl_decode_base64(pl_str_from(enc, el), dec, sizeof(dec), fl);
            cr_assert_eq(r, (int)n, "b64 v%d n %zu: %d", v, n, r);
            cr_assert(memcmp(dec, src, n) == 0);
            /* also with strict bits, both alphabets, optional padding */
            r = pl_decode_base64(pl_str_from(enc, el), dec, sizeof(dec),
                                 B64_BOTH | PL_B64_STRICT_BITS);
            cr_assert_eq(r, (int)n);
            cr_assert(memcmp(dec, src, n) == 0);
            cr_assert(pl_decode_plausible_base64(pl_str_from(enc, el), el));

            size_t bl = ref_b32(src, n, enc, url, pad);
            unsigned bf = (url ? PL_B32_ICASE : 0) | (pad ? 0 : PL_B32_NOPAD_OK);
            r = pl_decode_base32(pl_str_from(enc, bl), dec, sizeof(dec), bf);
            cr_assert_eq(r, (int)n, "b32 v%d n %zu: %d", v, n, r);
            cr_assert(memcmp(dec, src, n) == 0);
            cr_assert(pl_decode_plausible_base32(pl_str_from(enc, bl), bl));
            iters++;
        }

        const char *pfx = pfxs[rnd() % PL_ARRAY_SIZE(pfxs)];
        const char *sep = seps[rnd() % PL_ARRAY_SIZE(seps)];
        if (!*pfx && !*sep)
            sep = (n % 2) ? "" : sep; /* plain form */
        size_t hl = ref_hex(src, n, enc, pfx, sep, rnd() & 1);
        int r = pl_decode_hex(pl_str_from(enc, hl), dec, sizeof(dec));
        /* "0x" without separator only works as a single group */
        bool expect_ok = n == 0 || (!(pfx[0] == '0' && !*sep && n > 1) && !(*pfx && hl < 4));
        if (expect_ok) {
            cr_assert_eq(r, (int)n, "hex pfx '%s' sep '%s' n %zu: %d", pfx, sep, n, r);
            cr_assert(memcmp(dec, src, n) == 0);
            cr_assert(pl_decode_plausible_hex(pl_str_from(enc, hl), hl));
        } else {
            cr_assert_eq(r, -EINVAL);
        }
    }
    cr_assert_eq(iters, 12000);
}

/* plausible_* is a necessary condition: whenever a decoder succeeds, the check says yes. */
Test(decode, plausible_is_necessary)
{
    static const char alpha[] = "AZaz09+/-_=MYmy27:, \\x0X8!";
    char s[24], out[64];
    for (int it = 0; it < 200000; it++) {
        size_t n = rnd() % sizeof(s);
        for (size_t i = 0; i < n; i++)
            s[i] = alpha[rnd() % (sizeof(alpha) - 1)];
        struct pl_str in = pl_str_from(s, n);
        static const unsigned b64f[] = {PL_B64_STD,  PL_B64_URL,  B64_BOTH,
                                        B64_STD_PAD, B64_URL_RAW, B64_BOTH | PL_B64_STRICT_BITS};
        for (size_t f = 0; f < PL_ARRAY_SIZE(b64f); f++)
            if (pl_decode_base64(in, out, sizeof(out), b64f[f]) >= 0)
                cr_assert(pl_decode_plausible_base64(in, 0), "b64 \"%.*s\"", (int)n, s);
        for (unsigned f = 0; f < 4; f++)
            if (pl_decode_base32(in, out, sizeof(out), f) >= 0)
                cr_assert(pl_decode_plausible_base32(in, 0), "b32 \"%.*s\"", (int)n, s);
        if (pl_decode_hex(in, out, sizeof(out)) >= 0)
            cr_assert(pl_decode_plausible_hex(in, 0), "hex \"%.*s\"", (int)n, s);
    }
}

struct plcase {
    const char *in;
    size_t min;
    bool b64, b32, hex;
};

static const struct plcase plausible_cases[] = {
    {"c2stYW50LWFwaTAzLXh4eA==", 10, true, false, false},
    {"c2stYW50LWFwaTAzLXh4eA==", 30, false, false, false}, /* below min_len */
    {"MZXW6YTBOI======", 10, false, true, false},          /* six pads: not base64 */
    {"deadbeefcafebabe", 10, true, true, true},
    {"de:ad:be:ef:ca:fe", 10, false, false, true},
    {"0xde, 0xad, 0xbe", 10, false, false, true},
    {"hello world!", 10, false, false, false},
    {"a+b_c+d_e+f_", 10, false, false, false},     /* mixed base64 alphabets */
    {"abcdefghi", 10, false, false, false},        /* too short */
    {"abcdefghijklm", 10, false, true, false},     /* b64: 13 % 4 == 1; b32: 13 % 8 == 5 */
    {"Zm9vYmFyYg=", 10, false, false, false},      /* incomplete padding */
    {"MZXW6YTBO=======", 10, false, false, false}, /* 9 symbols */
    {"MZXW6YQ=", 8, true, true, false},
    {"", 0, true, true, true},
    {"x:x:x:x:x:", 4, false, false, false}, /* fewer than two hex digits */
};

Test(decode, plausible_table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(plausible_cases); i++) {
        const struct plcase *c = &plausible_cases[i];
        cr_expect_eq(pl_decode_plausible_base64(S(c->in), c->min), c->b64, "b64 case %zu", i);
        cr_expect_eq(pl_decode_plausible_base32(S(c->in), c->min), c->b32, "b32 case %zu", i);
        cr_expect_eq(pl_decode_plausible_hex(S(c->in), c->min), c->hex, "hex case %zu", i);
    }
}

/* ---------------------------------------------------------------- noise */

Test(decode, strip_noise)
{
    char buf[64];
    size_t r = pl_decode_strip_noise(S("sk-ant./ \t\n\r+,;|api03"), buf, sizeof(buf));
    cr_assert_eq(r, strlen("sk-antapi03"));
    cr_assert(memcmp(buf, "sk-antapi03", r) == 0);
    r = pl_decode_strip_noise(S("/pay/4111/1111/"), buf, sizeof(buf));
    cr_assert_eq(r, 11);
    cr_assert(memcmp(buf, "pay41111111", r) == 0);
    r = pl_decode_strip_noise(S(""), buf, sizeof(buf));
    cr_assert_eq(r, 0);
    r = pl_decode_strip_noise(S("a-b_c:d=e"), buf, sizeof(buf));
    cr_assert_eq(r, 9); /* - _ : = are not noise */

    /* truncation: returns the full length, writes only cap bytes */
    memset(buf, 0x5A, sizeof(buf));
    r = pl_decode_strip_noise(S("a.b.c.d.e"), buf, 3);
    cr_assert_eq(r, 5);
    cr_assert(memcmp(buf, "abc", 3) == 0);
    for (size_t k = 3; k < sizeof(buf); k++)
        cr_assert_eq((unsigned char)buf[k], 0x5A);

    /* in place */
    char ip[] = "a.b/c d";
    r = pl_decode_strip_noise(pl_str_from(ip, 7), ip, 7);
    cr_assert_eq(r, 4);
    cr_assert(memcmp(ip, "abcd", 4) == 0);
}
