/* Unit tests of scan/normalize: primitives, the four pipelines, bounds and the fast paths. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "scan/normalize.h"

/* pipeline masks */
#define D   (1u << PL_NORM_DLP)
#define M   (1u << PL_NORM_MATCHING)
#define P   (1u << PL_NORM_POLICY)
#define T   (1u << PL_NORM_TOOLTEXT)
#define ALL (D | M | P | T)

struct ncase {
    unsigned pipes;
    const char *in;
    size_t in_len;
    const char *out;
    size_t out_len;
};

/* literals may hold NUL bytes, so lengths come from sizeof */
#define C(pipes, in, out)                                     \
    {                                                         \
        (pipes), (in), sizeof(in) - 1, (out), sizeof(out) - 1 \
    }

static const char *const pipe_names[] = {"DLP", "MATCHING", "POLICY", "TOOLTEXT"};

/* Normalise into a guarded buffer of exactly pl_norm_bound() bytes; check bytes and guard. */
static void
expect_norm(enum pl_norm_pipeline p, const char *in, size_t in_len, const char *want,
            size_t want_len, const char *what, size_t idx)
{
    size_t bound = pl_norm_bound(in_len);
    char *buf = malloc(bound + 16);
    cr_assert_not_null(buf);
    memset(buf, 0xA5, bound + 16);
    int r = pl_normalize(pl_str_from(in, in_len), p, buf, bound);
    cr_expect_eq(r, (int)want_len, "%s case %zu (%s): got length %d want %zu", what, idx,
                 pipe_names[p], r, want_len);
    if (r >= 0 && (size_t)r == want_len)
        cr_expect(memcmp(buf, want, want_len) == 0, "%s case %zu (%s): wrong bytes \"%.*s\"", what,
                  idx, pipe_names[p], r, buf);
    for (size_t k = bound; k < bound + 16; k++)
        cr_expect_eq((unsigned char)buf[k], 0xA5, "%s case %zu: write past cap", what, idx);
    free(buf);
}

static void
run_cases(const char *what, const struct ncase *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (unsigned p = PL_NORM_DLP; p <= PL_NORM_TOOLTEXT; p++)
            if (c[i].pipes & (1u << p))
                expect_norm((enum pl_norm_pipeline)p, c[i].in, c[i].in_len, c[i].out, c[i].out_len,
                            what, i);
}

#define RUN(what, cases) run_cases((what), (cases), sizeof(cases) / sizeof((cases)[0]))

Test(normalize, confusables)
{
    static const struct ncase cases[] = {
        /* Cyrillic capitals and small letters */
        C(ALL, "АВСЕНІЈКМОРЅТХ", "ABCEHIJKMOPSTX"),
        C(ALL,
          "\u0430\u0432\u0435\u043d\u0456\u043a\u043c\u043e\u0440\u0441\u0442\u0443\u0445"
          "\u0458\u0455",
          "avehikmopctyxjs"),
        /* Greek capitals and small letters */
        C(ALL,
          "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5"
          "\u03a7",
          "ABEZHIKMNOPTYX"),
        C(ALL, "\u03b1\u03b5\u03b9\u03ba\u03bd\u03bf", "aeikvo"),
        /* Armenian */
        C(ALL, "\u0555\u0585\u054d\u057d\u053c\u0570\u0578\u057c\u0561", "OoSsLhnna"),
        /* Cherokee GO I TLV DU E LA TA */
        C(ALL, "\u13aa\u13a2\u13e2\u13da\u13a1\u13b3\u13d4", "AIPSEWT"),
        /* stroke letters */
        C(ALL, "ØøĐđŁłĦħŦŧ", "OoDdLlHhTt"),
        /* Latin small capitals, no Q or X */
        C(ALL,
          "\u1d00\u0299\u1d04\u1d05\u1d07\ua730\u0262\u029c\u026a\u1d0a\u1d0b\u029f\u1d0d"
          "\u0274\u1d0f\u1d18\u0280\ua731\u1d1b\u1d1c\u1d20\u1d21\u028f\u1d22",
          "ABCDEFGHIJKLMNOPRSTUVWYZ"),
        /* negative squared letters: first, P, last; U+1F16F and U+1F18A just outside */
        C(ALL, "\U0001F170\U0001F17F\U0001F189", "APZ"),
        C(ALL, "\U0001F16F\U0001F18A", "\U0001F16F\U0001F18A"),
        /* regional indicators: first, last; U+1F1E5 just outside */
        C(ALL, "\U0001F1E6\U0001F1FF\U0001F1E5", "AZ\U0001F1E5"),
        /* not in the map: script g, dotless i, shha, ghe, pe, rho, tau, upsilon */
        C(ALL, "\u0261\u0131\u04bb\u0433\u043f\u03c1\u03c4\u03c5",
          "\u0261\u0131\u04bb\u0433\u043f\u03c1\u03c4\u03c5"),
        /* the map runs on NFKC output: е + U+0308 composes to ё, which is not mapped, and mark
         * stripping then gives the Cyrillic е back (as the reference) */
        C(ALL, "\u0435\u0308", "\u0435"),
        C(ALL, "\u0451", "\u0435"),
        /* NFKC first: full-width Cyrillic does not exist, but circled Latin goes to ASCII */
        C(ALL, "\u24b6\u24d1", "Ab"),
    };
    RUN("confusables", cases);
}

Test(normalize, invisible_ranges)
{
    /* first and last code point of each range: deleted, or a space in POLICY */
    static const char *const inside[] = {
        "a\u00adb",     "a\u115fb",     "a\u1160b",     "a\u200bb", "a\u200fb", "a\u202ab",
        "a\u202eb",     "a\u2060b",     "a\u2064b",     "a\u2066b", "a\u2069b", "a\u3164b",
        "a\ufe00b",     "a\ufe0fb",     "a\ufeffb",     "a\ufff9b", "a\ufffbb", "a\U000E0000b",
        "a\U000E007Fb", "a\U000E0100b", "a\U000E01EFb",
    };
    for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
        size_t len = strlen(inside[i]);
        expect_norm(PL_NORM_DLP, inside[i], len, "ab", 2, "invisible", i);
        expect_norm(PL_NORM_MATCHING, inside[i], len, "ab", 2, "invisible", i);
        expect_norm(PL_NORM_TOOLTEXT, inside[i], len, "ab", 2, "invisible", i);
        expect_norm(PL_NORM_POLICY, inside[i], len, "a b", 3, "invisible", i);
    }

    /* the code points just outside each range are not invisible */
    static const struct ncase cases[] = {
        C(ALL, "a\u00acb", "a\u00acb"),
        C(ALL, "a\u00aeb", "a\u00aeb"),
        C(ALL, "a\u115eb", "a\u115eb"),
        C(ALL, "a\u1161b", "a\u1161b"),
        C(D, "a\u200ab", "ab"), /* U+200A is exotic whitespace */
        C(M | P | T, "a\u200ab", "a b"),
        C(ALL, "a\u2010b", "a\u2010b"),
        C(D, "a\u2029b", "ab"), /* whitespace */
        C(M | P | T, "a\u2029b", "a b"),
        C(D, "a\u202fb", "ab"), /* whitespace */
        C(M | P | T, "a\u202fb", "a b"),
        C(D, "a\u205fb", "ab"), /* whitespace */
        C(M | P | T, "a\u205fb", "a b"),
        C(ALL, "a\u2065b", "a\u2065b"),
        C(ALL, "a\u206ab", "a\u206ab"),
        C(ALL, "a\u3163b", "a\u1175b"), /* NFKC: compatibility jamo -> conjoining jamo */
        C(ALL, "a\u3165b", "a\u1114b"),
        C(ALL, "a\ufdffb", "a\ufdffb"),
        C(ALL, "a\ufe10b", "a,b"), /* NFKC: vertical comma */
        C(ALL, "a\ufefeb", "a\ufefeb"),
        C(ALL, "a\ufff8b", "a\ufff8b"),
        C(ALL, "a\ufffcb", "a\ufffcb"),
        C(ALL, "a\U000DFFFFb", "a\U000DFFFFb"),
        C(ALL, "a\U000E0080b", "a\U000E0080b"),
        C(ALL, "a\U000E00FFb", "a\U000E00FFb"),
        C(ALL, "a\U000E01F0b", "a\U000E01F0b"),
        /* NFKC runs after the deletions (reference gap): U+FFA0 -> U+1160 survives */
        C(ALL, "a\uffa0b", "a\u1160b"),
    };
    RUN("invisible-outside", cases);
}

Test(normalize, controls)
{
    static const struct ncase cases[] = {
        /* C0: first, last, NUL in the middle; space just outside */
        C(ALL, "a\0b", "ab"),
        C(ALL, "\0", ""),
        C(ALL,
          "a\x01\x1f"
          "b",
          "ab"),
        C(ALL, "a b", "a b"),
        /* DEL and the bytes around it */
        C(ALL,
          "a\x7f"
          "b~",
          "ab~"),
        /* C1 (UTF-8 encoded): first, last; U+00A1 just outside, U+00A0 is whitespace */
        C(ALL,
          "a\xc2\x80\xc2\x9f"
          "b",
          "ab"),
        C(ALL, "a\u00a1b", "a\u00a1b"),
        /* \t \n \r: deleted in DLP and TOOLTEXT, kept in MATCHING and POLICY */
        C(D | T, "a\tb\nc\rd", "abcd"),
        C(M | P, "a\tb\nc\rd", "a\tb\nc\rd"),
        C(M | P, "\t\t", "\t\t"),
        C(D, "sk-ant-\nabc", "sk-ant-abc"),
        C(D, "FOO_TOKEN=abc\r\nX=1", "FOO_TOKEN=abcX=1"),
        C(M,
          "a\tb\x0b"
          "c",
          "a\tbc"),
    };
    RUN("controls", cases);
}

Test(normalize, exotic_whitespace)
{
    static const char *const ws[] = {
        "\u00a0", "\u1680", "\u180e", "\u2000", "\u2001", "\u2002", "\u2003",
        "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a",
        "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
    };
    cr_assert_eq(sizeof(ws) / sizeof(ws[0]), 19);
    for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
        char in[16];
        size_t wl = strlen(ws[i]);
        in[0] = 'x';
        memcpy(in + 1, ws[i], wl);
        in[1 + wl] = 'y';
        expect_norm(PL_NORM_DLP, in, wl + 2, "xy", 2, "whitespace", i);
        expect_norm(PL_NORM_MATCHING, in, wl + 2, "x y", 3, "whitespace", i);
        expect_norm(PL_NORM_POLICY, in, wl + 2, "x y", 3, "whitespace", i);
        expect_norm(PL_NORM_TOOLTEXT, in, wl + 2, "x y", 3, "whitespace", i);
    }
}

Test(normalize, nfkc)
{
    static const struct ncase cases[] = {
        C(ALL, "ＡＫＩＡ", "AKIA"),
        C(D, "ＡＫＩＡ１２３４", "AKIA1234"),
        C(T, "ＡＫＩＡ１２３４", "AKIAi2ea"),            /* leetspeak after NFKC */
        C(ALL, "\U0001D400\U0001D401\U0001D402", "ABC"), /* mathematical bold */
        C(ALL, "\U0001D586\U0001D5C8", "ao"),            /* fraktur, sans-serif */
        C(ALL, "\ufb01le", "file"),                      /* ligature fi */
        C(ALL, "\u017f", "s"),                           /* long s */
        C(ALL, "\u212a", "K"),                           /* Kelvin sign */
        C(ALL, "\u2126", "\u03a9"),                      /* Ohm sign -> Greek Omega */
        C(ALL, "\u00b5", "\u03bc"),                      /* micro sign -> Greek mu */
        C(D, "\u2460", "1"),                             /* circled one */
        C(D, "x\u00b2", "x2"),                           /* superscript */
        C(ALL, "\ufdfa",
          "\u0635\u0644\u0649 \u0627\u0644\u0644\u0647 \u0639\u0644\u064a\u0647 "
          "\u0648\u0633\u0644\u0645"),
        C(ALL, "\uff83\uff9e", "\u30c7"),             /* half-width te + voiced mark -> デ */
        C(ALL, "\u3300", "\u30a2\u30d1\u30fc\u30c8"), /* square apaato */
    };
    RUN("nfkc", cases);
}

Test(normalize, marks_and_cjk)
{
    static const struct ncase cases[] = {
        C(ALL, "caf\u00e9", "cafe"),
        C(ALL, "cafe\u0301", "cafe"),
        C(ALL, "\u00c5ngstr\u00f6m", "Angstrom"),
        C(ALL, "a\u0301\u0316\u0302\u0303\u0304z", "az"),
        C(ALL, "\u1ead", "a"),      /* a with circumflex and dot below */
        C(ALL, "\u03ac", "\u03b1"), /* Greek alpha tonos: mark stripped after the map */
        C(ALL, "\u0457", "\u0456"), /* yi -> Ukrainian i, not mapped (after the map) */
        C(D, "e\n\u0301", "e"),
        C(M, "e\n\u0301", "e\n"),
        C(P, "e\u200b\u0301", "e "),
        /* deliberate differences from the reference: recomposed, voicing marks kept */
        C(ALL, "무시", "무시"),
        C(ALL, "\u1106\u116e\u1109\u1175", "무시"), /* conjoining jamo compose */
        C(ALL, "이전 지시를 무시", "이전 지시를 무시"),
        C(ALL, "で", "で"),
        C(ALL, "\u3066\u3099", "で"),
        C(ALL, "開発者モード", "開発者モード"),
        C(ALL, "忽略之前的指令", "忽略之前的指令"),
        C(ALL, "これまでの指示を無視", "これまでの指示を無視"),
        /* Mc signs stay (only Mn is stripped); Indic Mn goes */
        C(ALL, "\u0915\u093e", "\u0915\u093e"),
        C(ALL, "\u0915\u0941", "\u0915"),
    };
    RUN("marks", cases);
}

Test(normalize, pipelines)
{
    static const struct ncase cases[] = {
        C(P, "ignore\u200ball previous", "ignore all previous"),
        C(M, "ignore\u200ball previous", "ignoreall previous"),
        C(D | T, "ignore\u200ball previous", "ignoreall previous"),
        C(T, "1gn0r3 4ll pr3v10u5 1nstruct10ns $y$t3m @dmin",
          "ignore all previous instructions "
          "system admin"),
        C(T, "2 6 8 9 ! | \u20ac", "2 6 8 9 ! | \u20ac"),
        C(D | M | P, "1gn0r3 $y$t3m", "1gn0r3 $y$t3m"),
        C(D, "s\u043a-\u0430nt-\u00a0api03", "sk-ant-api03"),
        C(M, "\u0456gnore\u3000all\tprevious", "ignore all\tprevious"),
        C(ALL, "", ""),
        C(ALL, "plain ascii text", "plain ascii text"),
    };
    RUN("pipelines", cases);
}

Test(normalize, invalid_utf8)
{
    static const struct ncase cases[] = {
        C(ALL, "\xff", "\xff"),
        C(ALL,
          "a\xfe"
          "b",
          "a\xfe"
          "b"),
        C(ALL, "a\xc3", "a\xc3"),               /* truncated 2-byte */
        C(ALL, "\xe2\x82", "\xe2\x82"),         /* truncated 3-byte */
        C(ALL, "\xf0\x9f\x98", "\xf0\x9f\x98"), /* truncated 4-byte */
        C(ALL, "\xc0\xaf", "\xc0\xaf"),         /* overlong '/' */
        C(ALL, "\xe0\x80\xaf", "\xe0\x80\xaf"),
        C(ALL, "\xf0\x80\x80\xaf", "\xf0\x80\x80\xaf"),
        C(ALL, "\xed\xa0\x80", "\xed\xa0\x80"),         /* surrogate */
        C(ALL, "\xf4\x90\x80\x80", "\xf4\x90\x80\x80"), /* past U+10FFFF */
        C(ALL, "\x80\xbf", "\x80\xbf"),                 /* lone continuation bytes */
        C(ALL, "\xff\u0410\xff",
          "\xff"
          "A\xff"),
        C(ALL, "e\xff\u0301", "e\xff"), /* the mark does not reach back past the bad byte */
        C(D, "\xe2\x80\n\xa8", "\xe2\x80\xa8"),
        C(ALL, "\xc3\xa9\xc3", "e\xc3"),
    };
    RUN("invalid", cases);
}

Test(normalize, long_runs)
{
    /* longer than the stack chunk: heap fallback and split points must not change output */
    size_t n = 6000;
    char *in = malloc(n * 6 + 8), *want = malloc(n * 6 + 8);
    cr_assert(in && want);

    /* "a" followed by thousands of marks of mixed classes */
    in[0] = 'a';
    for (size_t i = 0; i < n; i++)
        memcpy(in + 1 + 2 * i, i % 2 ? "\xcc\x81" : "\xcc\x96", 2); /* U+0301, U+0316 */
    in[1 + 2 * n] = 'z';
    expect_norm(PL_NORM_DLP, in, 2 + 2 * n, "az", 2, "long", 0);

    /* L V jamo pairs compose across chunk boundaries */
    for (size_t i = 0; i < n; i++) {
        memcpy(in + 6 * i, "\u1100\u1161", 6);
        memcpy(want + 3 * i, "\uac00", 3);
    }
    expect_norm(PL_NORM_MATCHING, in, 6 * n, want, 3 * n, "long", 1);

    /* L, many Mn of class 0, V: the marks go and L V compose */
    memcpy(in, "\u1100", 3);
    for (size_t i = 0; i < n; i++)
        memcpy(in + 3 + 3 * i, "\u0941", 3);
    memcpy(in + 3 + 3 * n, "\u1161", 3);
    expect_norm(PL_NORM_MATCHING, in, 6 + 3 * n, "\uac00", 3, "long", 2);

    /* a long Cyrillic run maps letter by letter */
    for (size_t i = 0; i < n; i++) {
        memcpy(in + 2 * i, i % 2 ? "\u0436" : "\u0430", 2);
        if (i % 2)
            memcpy(want + 3 * (i / 2) + 1, "\u0436", 2);
        else
            want[3 * (i / 2)] = 'a';
    }
    expect_norm(PL_NORM_DLP, in, 2 * n, want, 3 * (n / 2), "long", 3);
    free(in);
    free(want);
}

Test(normalize, is_identity)
{
    static const struct {
        const char *s;
        unsigned true_for;
    } cases[] = {
        {"", ALL},
        {"hello world", ALL},
        {"GET /v1/messages HTTP/1.1 {\"key\": \"value\"} ~`^&*()_+-=[]|;:',.<>?", ALL & ~T},
        {"a\tb\nc\r", M | P},
        {"h3llo", D | M | P},
        {"x@y.z", D | M | P},
        {"cost $5", D | M | P},
        {"hello 2 6 8 9", ALL},
        {"a\x7f", 0},
        {"a\x01", 0},
        {"caf\u00e9", 0},
        {"\xff", 0},
        {"this is a longer line of printable ascii text that spans several blocks!!", ALL},
        {"this is a longer line of printable ascii text that spans several blocks\xc2\xa0", 0},
        {"this is a longer line of printable ascii text that spans several blocks 0", D | M | P},
        {"this is a longer line of printable ascii text, with a tab\there and more text", M | P},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pl_str s = pl_str_c(cases[i].s);
        for (unsigned p = PL_NORM_DLP; p <= PL_NORM_TOOLTEXT; p++) {
            bool want = cases[i].true_for & (1u << p);
            bool got = pl_norm_is_identity(s, (enum pl_norm_pipeline)p);
            cr_expect_eq(got, want, "identity case %zu (%s): got %d", i, pipe_names[p], got);
            if (got)
                expect_norm((enum pl_norm_pipeline)p, s.p, s.len, s.p, s.len, "identity", i);
        }
    }
}

Test(normalize, e2big_and_bound)
{
    char buf[64];

    cr_expect_eq(pl_norm_bound(0), 0);
    cr_expect_eq(pl_norm_bound(3), 33);
    cr_expect_eq(pl_norm_bound(SIZE_MAX), SIZE_MAX);
    cr_expect_eq(pl_norm_bound(SIZE_MAX / 11 + 1), SIZE_MAX);

    cr_expect_eq(pl_normalize(PL_STR("hello"), PL_NORM_DLP, buf, 4), -E2BIG);
    cr_expect_eq(pl_normalize(PL_STR("hello"), PL_NORM_DLP, buf, 5), 5);
    cr_expect_eq(pl_normalize(PL_STR("hello"), PL_NORM_DLP, buf, 0), -E2BIG);
    cr_expect_eq(pl_normalize(PL_STR(""), PL_NORM_DLP, NULL, 0), 0);
    cr_expect_eq(pl_normalize(PL_STR("\0\0\0"), PL_NORM_DLP, buf, 0), 0);
    cr_expect_eq(pl_normalize(PL_STR("ＡＫＩＡ"), PL_NORM_MATCHING, buf, 3), -E2BIG);
    cr_expect_eq(pl_normalize(PL_STR("ＡＫＩＡ"), PL_NORM_MATCHING, buf, 4), 4);
    cr_expect_eq(pl_normalize(PL_STR("abc\u00e9"), PL_NORM_MATCHING, buf, 3), -E2BIG);
    cr_expect_eq(pl_normalize(PL_STR("abc\u00e9"), PL_NORM_MATCHING, buf, 4), 4);
    cr_expect(memcmp(buf, "abce", 4) == 0);

    /* U+FDFA reaches the bound exactly */
    cr_expect_eq(pl_normalize(PL_STR("\ufdfa"), PL_NORM_DLP, buf, 32), -E2BIG);
    cr_expect_eq(pl_normalize(PL_STR("\ufdfa"), PL_NORM_DLP, buf, pl_norm_bound(3)), 33);
    cr_expect_eq(pl_normalize(PL_STR("x"), (enum pl_norm_pipeline)7, buf, sizeof(buf)), -EINVAL);

    /* cap one short of the result fails for every pipeline; guard bytes intact */
    static const char *const ins[] = {"abc", "caf\u00e9", "\ufb01", "a\u00a0b", "1gn0r3"};
    for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
        for (unsigned p = PL_NORM_DLP; p <= PL_NORM_TOOLTEXT; p++) {
            int full = pl_normalize(pl_str_c(ins[i]), (enum pl_norm_pipeline)p, buf, sizeof(buf));
            cr_assert_geq(full, 1);
            cr_expect_leq((size_t)full, pl_norm_bound(strlen(ins[i])));
            memset(buf, 0xA5, sizeof(buf));
            int r = pl_normalize(pl_str_c(ins[i]), (enum pl_norm_pipeline)p, buf, (size_t)full - 1);
            cr_expect_eq(r, -E2BIG, "case %zu (%s): %d", i, pipe_names[p], r);
            for (size_t k = (size_t)full - 1; k < sizeof(buf); k++)
                cr_expect_eq((unsigned char)buf[k], 0xA5, "case %zu: write past cap", i);
        }
    }
}

Test(normalize, bound_random)
{
    /* random strings over an alphabet of expanding, composing and deleted characters */
    static const char *const alpha[] = {
        "\ufdfa", "\u3316", "\u0301", "\u0316",     "a",      "e",      "\n",     "\u1100",
        "\u1161", "\u11a8", "\uac00", "\u200b",     "\u00a0", "\u0435", "\xff",   "\xe2\x82",
        "\u0390", "\u1f82", "\ufb01", "\U0001D400", "0",      "\u3099", "\uffa0", "\u0941",
    };
    char in[512];
    char out[512 * 11];
    unsigned seed = 12345;

    for (int iter = 0; iter < 2000; iter++) {
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        size_t parts = (seed >> 16) % 60;
        for (size_t k = 0; k < parts; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *a = alpha[(seed >> 16) % (sizeof(alpha) / sizeof(alpha[0]))];
            size_t al = strlen(a);
            memcpy(in + len, a, al);
            len += al;
        }
        for (unsigned p = PL_NORM_DLP; p <= PL_NORM_TOOLTEXT; p++) {
            int r = pl_normalize(pl_str_from(in, len), (enum pl_norm_pipeline)p, out,
                                 pl_norm_bound(len));
            cr_assert_geq(r, 0, "iter %d: %d", iter, r);
            cr_assert_leq((size_t)r, pl_norm_bound(len));
        }
    }
}

Test(normalize, folds)
{
    char s[] = "0123456789@$!|ABC abc \xc3\xa9";
    cr_expect(pl_norm_fold_leet(s, sizeof(s) - 1));
    cr_expect_str_eq(s, "oi2eas6t89as!|ABC abc \xc3\xa9");
    char plain[] = "no leetspeak in this line, none at all: 2, 6, 8 and 9 stay";
    cr_expect_not(pl_norm_fold_leet(plain, sizeof(plain) - 1));
    char late[] = "sixteen bytes ok then a 0";
    cr_expect(pl_norm_fold_leet(late, sizeof(late) - 1));

    char v[] = "The quick brown fox; AEIOU aeiou xyz \xc3\xa9";
    pl_norm_fold_vowels(v, sizeof(v) - 1);
    cr_expect_str_eq(v, "Tha qaack brawn fax; AAAAA aaaaa xyz \xc3\xa9");

    char w[] = "instructions";
    pl_norm_fold_vowels(w, 4); /* only the first len bytes */
    cr_expect_str_eq(w, "anstructions");
    pl_norm_fold_leet(NULL, 0);
    pl_norm_fold_vowels(NULL, 0);
}

/* The vectorised vowel fold agrees with the byte rule on every byte value at every offset. */
Test(fold, vowels_every_byte_at_every_alignment)
{
    char buf[256 + 40], want[256 + 40];
    for (size_t shift = 0; shift < 20; shift++) {
        size_t n = 256 + shift;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)((i + shift * 7) & 0xff);
            buf[i] = (char)c;
            bool lv = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
            bool uv = c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
            want[i] = lv ? 'a' : uv ? 'A' : (char)c;
        }
        pl_norm_fold_vowels(buf, n);
        cr_assert(memcmp(buf, want, n) == 0, "shift %zu", shift);
    }
}

Test(collapse, runs_of_whitespace_become_one_space)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", ""},
        {"a", "a"},
        {" ", " "},
        {"a  b", "a b"},
        {"a\t\n\v\f\r b", "a b"},
        {"\n\nfrom now\ton\r\n", " from now on "},
        {"no-change here, at all.", "no-change here, at all."},
        {"0123456789abcdef  0123456789abcdef\n", "0123456789abcdef 0123456789abcdef "},
        {"\xc2\xa0x\x1fy", "\xc2\xa0x\x1fy"}, /* only ASCII \s */
    };
    char out[64];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = pl_norm_collapse_ws(cases[i].in, strlen(cases[i].in), out);
        cr_expect_eq(n, strlen(cases[i].want), "case %zu", i);
        cr_expect(n == strlen(cases[i].want) && memcmp(out, cases[i].want, n) == 0, "case %zu", i);
    }
}

/* The vectorised collapse agrees with the byte rule on pseudo-random whitespace-heavy text at
 * every alignment and across block boundaries. */
Test(collapse, agrees_with_byte_rule)
{
    static const char alphabet[] = "ab \t\n\v\f\r.\x80\xff";
    char in[300], out[300], want[300];
    unsigned x = 12345;
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(round % 280);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            in[i] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
        }
        size_t m = 0;
        bool prev = false;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)in[i];
            bool w = c == ' ' || (c >= 9 && c <= 13);
            if (!w)
                want[m++] = in[i];
            else if (!prev)
                want[m++] = ' ';
            prev = w;
        }
        size_t got = pl_norm_collapse_ws(in, n, out);
        cr_assert_eq(got, m, "round %d", round);
        cr_assert(memcmp(out, want, m) == 0, "round %d", round);
    }
}
