/*
 * Unit tests of scan/bip39: the word list, tokenising (separators, case, arbitrary bytes),
 * window lengths and min_words, the checksum, span reporting, and a differential test
 * against a naive tokenise-then-try-every-window implementation. Valid phrases were made
 * from random entropy with Python's hashlib (entropy given beside each); "abandon x11 about"
 * and "legal winner ... yellow" are the Trezor reference vectors.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "scan/bip39.h"
#include "util/sha256.h"

static const struct pl_bip39_opts verify = {12, true};
static const struct pl_bip39_opts no_verify = {12, false};

/* entropy 2291d8cdc310411e7ec27378a661c935 */
#define P12 "card mom cricket mail advice monkey wild example judge credit inch high"
/* same with the last word changed: checksum fails */
#define P12_BAD "card mom cricket mail advice monkey wild example judge credit inch hold"
/* entropy 187c07e4d5636e9bc3c400b27244b8cd3a97f11a */
#define P15                                                                           \
    "blur then weird print dad evil audit length raven mutual comfort omit practice " \
    "weasel harsh"
/* entropy e651070506a68a02f0e161af37f86cb9078738c370f07e8d */
#define P18                                                                           \
    "town market scout ask hamster accident seminar club quality save brass improve " \
    "journey organ assist bulk leader home"
/* entropy 3b583bad38c275f34aed056ad6ea8eeca4192fa1feb9dc4b1ebe55e5 */
#define P21                                                                               \
    "deputy scrub twice immense chef whale close pass hello resemble photo sun dose oak " \
    "margin strong sword flight question profit fiscal"
/* entropy b8f9b680eff76c81d4e9ab304d4896f9e17fd8f0816496da087a3ebecc676aaa */
#define P24                                                                        \
    "rib soap parent that item domain father cube core heart certain video blood " \
    "unaware search clutch nothing space burden latin under crisp primary drop"
#define ABOUT                                                                                  \
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon " \
    "about"

static bool
find(const char *text, const struct pl_bip39_opts *o, size_t *off, size_t *len)
{
    return pl_bip39_find(pl_str_c(text), o, off, len);
}

/* Found, and the span is exactly `want` starting at its first occurrence in text. */
static void
expect_span(const char *text, const struct pl_bip39_opts *o, const char *want)
{
    size_t off = 99, len = 99;
    const char *at = strstr(text, want);
    cr_assert(at, "test bug: want not in text");
    cr_assert(find(text, o, &off, &len), "not found in \"%s\"", text);
    cr_expect(off == (size_t)(at - text) && len == strlen(want),
              "span %zu+%zu \"%.*s\", want \"%s\"", off, len, (int)len, text + off, want);
}

/* ---- word list -------------------------------------------------------------------- */

Test(bip39_words, list_shape)
{
    cr_expect_eq(pl_bip39_word_index(PL_STR("abandon")), 0);
    cr_expect_eq(pl_bip39_word_index(PL_STR("ability")), 1);
    cr_expect_eq(pl_bip39_word_index(PL_STR("about")), 3);
    cr_expect_eq(pl_bip39_word_index(PL_STR("word")), 2027);
    cr_expect_eq(pl_bip39_word_index(PL_STR("zoo")), 2047);
    cr_expect(pl_str_eq(pl_bip39_word(0), PL_STR("abandon")));
    cr_expect(pl_str_eq(pl_bip39_word(2047), PL_STR("zoo")));
    cr_expect_null(pl_bip39_word(-1).p);
    cr_expect_null(pl_bip39_word(2048).p);

    for (int i = 0; i < PL_BIP39_WORDS; i++) {
        struct pl_str w = pl_bip39_word(i);
        cr_assert(w.len >= 3 && w.len <= 8, "word %d length %zu", i, w.len);
        cr_assert_eq(pl_bip39_word_index(w), i, "round trip of %d", i);
        if (i > 0) {
            struct pl_str p = pl_bip39_word(i - 1);
            int c = memcmp(p.p, w.p, PL_MIN(p.len, w.len));
            cr_assert(c < 0 || (c == 0 && p.len < w.len), "not sorted at %d", i);
        }
    }
}

Test(bip39_words, not_words)
{
    static const char *const no[] = {
        "",        "a",         "ab",        "aban",  "abando", "abandonx", "abandons",
        "Abandon", "ABANDON",   "zoos",      "zo",    "zzz",    "aaa",      "abandon ",
        " zoo",    "abstractx", "abstracts", "hell0", "crypto", "bitcoin",
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(no); i++)
        cr_expect_eq(pl_bip39_word_index(pl_str_c(no[i])), -1, "\"%s\"", no[i]);
    cr_expect_eq(pl_bip39_word_index(PL_STR_NULL), -1);
    cr_expect_eq(pl_bip39_word_index(pl_str_from("zoo\0", 4)), -1);
}

/* ---- valid phrases ---------------------------------------------------------------- */

Test(bip39_find, every_length_valid)
{
    static const char *const ok[] = {P12,
                                     P15,
                                     P18,
                                     P21,
                                     P24,
                                     ABOUT,
                                     "legal winner thank year wave sausage worth useful legal "
                                     "winner thank yellow"};
    for (size_t i = 0; i < PL_ARRAY_SIZE(ok); i++) {
        expect_span(ok[i], &verify, ok[i]);
        expect_span(ok[i], &no_verify, ok[i]);
        expect_span(ok[i], NULL, ok[i]);
    }
}

Test(bip39_find, all_zero_24)
{
    const char *p = "abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                    "abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                    "abandon abandon abandon abandon abandon art";
    expect_span(p, &verify, p);
}

Test(bip39_find, checksum_failure)
{
    size_t off = 7, len = 7;
    cr_expect_not(find(P12_BAD, &verify, &off, &len));
    cr_expect(off == 7 && len == 7, "ret_* touched on failure");
    cr_expect_not(find(P12_BAD, NULL, NULL, NULL));
    expect_span(P12_BAD, &no_verify, P12_BAD);
}

Test(bip39_find, word_repeated_passes_checksum)
{
    /* Reference trap: 12 x "word" happens to have a valid checksum. 15-24 do not. */
    const char *w12 = "word word word word word word word word word word word word";
    expect_span(w12, &verify, w12);
    struct pl_bip39_opts min15 = {15, true};
    cr_expect_not(find("word word word word word word word word word word word word word word "
                       "word word word word word word word word word word",
                       &min15, NULL, NULL));
}

Test(bip39_find, twelve_abandon_fails_checksum)
{
    const char *a12 = "abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                      "abandon abandon abandon";
    cr_expect_not(find(a12, &verify, NULL, NULL));
    expect_span(a12, &no_verify, a12);
}

/* ---- tokenising ------------------------------------------------------------------- */

Test(bip39_find, separators)
{
    static const char *const texts[] = {
        "card,mom,cricket,mail,advice,monkey,wild,example,judge,credit,inch,high",
        "card-mom-cricket-mail-advice-monkey-wild-example-judge-credit-inch-high",
        "card|mom|cricket|mail|advice|monkey|wild|example|judge|credit|inch|high",
        "card\nmom\ncricket\nmail\nadvice\nmonkey\nwild\nexample\njudge\ncredit\ninch\nhigh",
        "card;mom;cricket;mail;advice;monkey;wild;example;judge;credit;inch;high",
        "card:mom:cricket:mail:advice:monkey:wild:example:judge:credit:inch:high",
        "card\tmom\r\ncricket\vmail\fadvice monkey wild example judge credit inch high",
        "card, mom - cricket | mail ;; advice :: monkey\n\n wild,-|;: example judge credit "
        "inch high",
        "1. card 2. mom",
    };
    for (size_t i = 0; i + 1 < PL_ARRAY_SIZE(texts); i++)
        expect_span(texts[i], &verify, texts[i]);
}

Test(bip39_find, numbered_list_breaks_phrase)
{
    /* Tokens like "1." are not words: a numbered list is not one run (reference too). */
    cr_expect_not(find("1. card 2. mom 3. cricket 4. mail 5. advice 6. monkey 7. wild 8. "
                       "example 9. judge 10. credit 11. inch 12. high",
                       &no_verify, NULL, NULL));
}

Test(bip39_find, upper_and_mixed_case)
{
    expect_span("CARD MOM CRICKET MAIL ADVICE MONKEY WILD EXAMPLE JUDGE CREDIT INCH HIGH", &verify,
                "CARD MOM CRICKET MAIL ADVICE MONKEY WILD EXAMPLE JUDGE CREDIT INCH HIGH");
    expect_span("Card mOm criCKET Mail advice monkey wild example judge credit inch HIGH", &verify,
                "Card mOm criCKET Mail advice monkey wild example judge credit inch HIGH");
}

Test(bip39_find, embedded_in_prose)
{
    expect_span("Here is my backup, keep it safe: " P12 " -- thanks!", &verify, P12);
    expect_span("mnemonic: " P12 "\nbirthday: 2021", &verify, P12);
    /* Quotes and braces separate tokens (the reference lets a glued quote hide a word). */
    expect_span("{\"mnemonic\":\"" P12 "\"}", &verify, P12);
    /* Prose words that are list words do not hide the phrase (the window slides). */
    expect_span("the seed is this list: " P24 " ok bye", &verify, P24);
}

Test(bip39_find, punctuation_glued_to_a_word)
{
    /* '.', '"', brackets separate tokens: "high." is the word "high" (stricter than the
     * reference, where glued punctuation hides a phrase). */
    expect_span("my seed: " P12 ".", &verify, P12);
    expect_span("\"" P12 "\"", &verify, P12);
    expect_span("(" P12 ")", &verify, P12);
}

Test(bip39_find, non_ascii_bytes_are_token_bytes)
{
    /* "mom\xc2\xa0cricket": a no-break space is not a separator, so one non-word token. */
    cr_expect_not(find("card mom\xc2\xa0"
                       "cricket mail advice monkey wild example judge credit inch high",
                       &no_verify, NULL, NULL));
    /* Non-ASCII letters are not folded: "ÇARD" is not "card". */
    cr_expect_not(find("\xc3\x87"
                       "ARD mom cricket mail advice monkey wild example judge credit "
                       "inch high",
                       &no_verify, NULL, NULL));
    /* NUL bytes are ordinary token bytes too. */
    const char t[] = "card mom cricket mail advice monkey wild example judge credit inch high\0x";
    cr_expect_not(pl_bip39_find(pl_str_from(t, sizeof(t) - 1), &no_verify, NULL, NULL));
    size_t off = 0, len = 0;
    cr_expect(pl_bip39_find(pl_str_from(t, sizeof(t) - 3), &verify, &off, &len));
    cr_expect(off == 0 && len == sizeof(t) - 3);
}

/* ---- window lengths --------------------------------------------------------------- */

Test(bip39_find, eleven_words)
{
    cr_expect_not(find("card mom cricket mail advice monkey wild example judge credit inch",
                       &no_verify, NULL, NULL));
    cr_expect_not(find("mom cricket mail advice monkey wild example judge credit inch high",
                       &no_verify, NULL, NULL));
}

Test(bip39_find, thirteen_words_window_slides)
{
    /* "zoo" + the first 11 words fails the checksum; the second window is the phrase. */
    expect_span("zoo " P12, &verify, P12);
    expect_span(P12 " zoo", &verify, P12);
    /* Without the checksum the first window wins. */
    expect_span("zoo " P12, &no_verify,
                "zoo card mom cricket mail advice monkey wild example "
                "judge credit inch");
}

Test(bip39_find, non_word_in_the_middle)
{
    cr_expect_not(find("card mom cricket mail advice monkey bitcoin wild example judge credit "
                       "inch high",
                       &no_verify, NULL, NULL));
    cr_expect_not(find("card mom cricket mail advice monkey aban example judge credit inch high",
                       &no_verify, NULL, NULL));
}

Test(bip39_find, prefixes_are_not_words)
{
    cr_expect_not(find("aban aban aban aban aban aban aban aban aban aban aban aban", &no_verify,
                       NULL, NULL));
    cr_expect_not(find("abando abil abl abou abov abse abso abst absu abus acce acci", &no_verify,
                       NULL, NULL));
}

Test(bip39_find, longest_window_first)
{
    /* P24 words 4..15 form a valid 12-word phrase on their own; P24 is reported whole. */
    expect_span("x " P24, &verify, P24);
    struct pl_bip39_opts min24 = {24, true};
    expect_span(P24, &min24, P24);
    /* Without the first four words, the inner 12-word phrase is what remains. */
    expect_span("item domain father cube core heart certain video blood unaware search clutch "
                "nothing space",
                &verify,
                "item domain father cube core heart certain video blood unaware search clutch");
}

Test(bip39_find, min_words)
{
    struct pl_bip39_opts o = {15, true};
    cr_expect_not(find(P12, &o, NULL, NULL));
    expect_span(P15, &o, P15);
    o.min_words = 16;
    cr_expect_not(find(P15, &o, NULL, NULL));
    expect_span(P18, &o, P18);
    o.min_words = 0; /* acts as 12 */
    expect_span(P12, &o, P12);
    o.min_words = -5;
    expect_span(P12, &o, P12);
    o.min_words = 24;
    expect_span(P24, &o, P24);
    cr_expect_not(find(P21, &o, NULL, NULL));
    o.min_words = 25; /* nothing can match */
    cr_expect_not(find(P24, &o, NULL, NULL));
    o.verify_checksum = false;
    cr_expect_not(find(P24 " " P24, &o, NULL, NULL));
}

Test(bip39_find, degenerate_inputs)
{
    cr_expect_not(pl_bip39_find(PL_STR_NULL, NULL, NULL, NULL));
    cr_expect_not(find("", NULL, NULL, NULL));
    cr_expect_not(find(" , - | ; : \n", &no_verify, NULL, NULL));
    cr_expect(find(P12, NULL, NULL, NULL));
}

/* ---- long inputs ------------------------------------------------------------------ */

#define BIG (1u << 20)

Test(bip39_find, long_word_run_then_phrase)
{
    /* 1 MiB of "abandon " (no window passes the checksum), then the phrase. */
    static char t[BIG + sizeof(P12) + 8];
    size_t n = 0;
    while (n + 8 <= BIG) {
        memcpy(t + n, "abandon ", 8);
        n += 8;
    }
    cr_expect_not(pl_bip39_find(pl_str_from(t, n), &verify, NULL, NULL));
    memcpy(t + n, "zoo " P12, strlen(P12) + 4);
    size_t off = 0, len = 0;
    cr_assert(pl_bip39_find(pl_str_from(t, n + 4 + strlen(P12)), &verify, &off, &len));
    cr_expect(off == n + 4 && len == strlen(P12), "span %zu+%zu", off, len);
}

Test(bip39_find, long_tokens_and_separators)
{
    static char t[BIG];
    memset(t, 'a', sizeof(t));
    cr_expect_not(pl_bip39_find(pl_str_from(t, sizeof(t)), &no_verify, NULL, NULL));
    memset(t, ',', sizeof(t));
    cr_expect_not(pl_bip39_find(pl_str_from(t, sizeof(t)), &no_verify, NULL, NULL));
    for (size_t i = 0; i < sizeof(t); i++)
        t[i] = (char)(i * 131 + 7);
    (void)pl_bip39_find(pl_str_from(t, sizeof(t)), &verify, NULL, NULL);
}

/* ---- differential ----------------------------------------------------------------- */

/* Naive reference: tokenise into an array, try every start and every length. */
#define NAIVE_MAX 400

static bool
naive_sep(char c)
{
    return strchr(" \t\n\v\f\r-,|;:.\"'()[]{}", c) != NULL && c != '\0';
}

static bool
naive_checksum(const int *idx, int n)
{
    uint8_t bytes[33] = {0}, d[32];
    int bit = 0;
    for (int i = 0; i < n; i++)
        for (int b = 10; b >= 0; b--, bit++)
            if (idx[i] & (1 << b))
                bytes[bit / 8] |= (uint8_t)(1 << (7 - bit % 8));
    int cs = n * 11 / 33, ent = n * 11 - cs;
    pl_sha256(bytes, (size_t)ent / 8, d);
    for (int i = 0; i < cs; i++) {
        int want = d[i / 8] >> (7 - i % 8) & 1;
        int got = bytes[(ent + i) / 8] >> (7 - (ent + i) % 8) & 1;
        if (want != got)
            return false;
    }
    return true;
}

static bool
naive_find(const char *t, size_t tl, int min_words, bool verify_cs, size_t *off, size_t *len)
{
    static const int lens[] = {24, 21, 18, 15, 12};
    size_t start[NAIVE_MAX], end[NAIVE_MAX];
    int idx[NAIVE_MAX], n = 0;
    for (size_t i = 0; i < tl;) {
        if (naive_sep(t[i])) {
            i++;
            continue;
        }
        size_t b = i;
        while (i < tl && !naive_sep(t[i]))
            i++;
        char low[16];
        size_t wl = i - b;
        for (size_t k = 0; k < wl && k < sizeof(low); k++)
            low[k] = pl_ascii_lower(t[b + k]);
        cr_assert(n < NAIVE_MAX);
        start[n] = b;
        end[n] = i;
        idx[n++] = wl < sizeof(low) ? pl_bip39_word_index(pl_str_from(low, wl)) : -1;
    }
    for (int s = 0; s < n; s++) {
        for (size_t li = 0; li < 5; li++) {
            int L = lens[li];
            if (L < min_words || s + L > n)
                continue;
            bool all = true;
            for (int k = s; k < s + L; k++)
                all = all && idx[k] >= 0;
            if (!all || (verify_cs && !naive_checksum(idx + s, L)))
                continue;
            *off = start[s];
            *len = end[s + L - 1] - start[s];
            return true;
        }
    }
    return false;
}

Test(bip39_find, differential_random_texts)
{
    static const char *const seps[] = {" ", ",", "-", " | ", "\n", ";:", "  "};
    static const char *const junk[] = {"x", "Aban", "1.", "bitcoin", "ZOO", "word"};
    uint64_t rng = 0x9e3779b97f4a7c15u;
    int matches = 0;

    for (int iter = 0; iter < 3000; iter++) {
        char t[4096];
        size_t tl = 0;
        int ntok = (int)(rng % 60);
        for (int k = 0; k < ntok; k++) {
            rng = rng * 6364136223846793005u + 1442695040888963407u;
            unsigned r = (unsigned)(rng >> 33);
            struct pl_str w = r % 40 == 0 ? pl_str_c(junk[r / 40 % 6])
                                          : pl_bip39_word((int)(r / 40 % PL_BIP39_WORDS));
            const char *sep = seps[r / 7 % PL_ARRAY_SIZE(seps)];
            memcpy(t + tl, w.p, w.len);
            tl += w.len;
            memcpy(t + tl, sep, strlen(sep));
            tl += strlen(sep);
        }
        rng = rng * 6364136223846793005u + 1442695040888963407u;
        int min_words = 10 + (int)(rng >> 60);
        for (int v = 0; v < 2; v++) {
            struct pl_bip39_opts o = {min_words, v == 1};
            size_t o1 = 0, l1 = 0, o2 = 0, l2 = 0;
            bool got = pl_bip39_find(pl_str_from(t, tl), &o, &o1, &l1);
            bool want = naive_find(t, tl, PL_MAX(min_words, 12), v == 1, &o2, &l2);
            cr_assert_eq(got, want, "iter %d verify %d: \"%.*s\"", iter, v, (int)tl, t);
            if (got) {
                matches += v;
                cr_assert(o1 == o2 && l1 == l2, "iter %d: span %zu+%zu want %zu+%zu", iter, o1, l1,
                          o2, l2);
            }
        }
    }
    cr_expect(matches > 50, "differential test found only %d checksum matches", matches);
}
