/* DLP engine: compile, single-pass multi-target scan, PCRE2 confirmation, validators, views. */
#include <criterion/criterion.h>
#include <string.h>

#include "scan/dlp.h"

static struct pl_dlp_db *db;
static struct pl_dlp_scratch *sc;

static void
setup(void)
{
    char *err = NULL;
    cr_assert_eq(pl_dlp_compile_builtin(&db, &err), 0, "%s", err ? err : "");
    sc = pl_dlp_scratch_new();
    cr_assert_not_null(sc);
}

static void
teardown(void)
{
    pl_dlp_db_free(db);
    pl_dlp_scratch_free(sc);
}

TestSuite(dlp, .init = setup, .fini = teardown);

/* Name of the first blocking finding of text DLP on s, or "" when clean. */
static const char *
scan_text(const char *s)
{
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan_text(db, sc, pl_str_c(s), &res), 0);
    const struct pl_dlp_finding *f = pl_dlp_result_first_block(db, &res);
    return f ? pl_dlp_db_name(db, f->pattern) : "";
}

Test(dlp, builtins_all_go_to_vectorscan)
{
    cr_assert_eq(pl_dlp_db_pcre_only(db), 0);
    /* core + standard without the 7 standard copies of core patterns + BIP-39 + nesting */
    cr_assert_eq(pl_dlp_db_count(db), pl_dlp_core_count + pl_dlp_builtin_count - 7 + 2);
    cr_assert_gt(pl_dlp_db_bytes(db), 0);
}

static const struct {
    const char *text, *want;
} text_cases[] = {
    {"key AKIAIOSFODNN7EXAMPLE here", "AWS Access ID"},
    {"akiaiosfodnn7example", "AWS Access ID"}, /* (?i) as the reference */
    {"ghp_0123456789abcdefghijABCDEFGHIJ012345", "GitHub Token"},
    {"ghp_0123456789abcdefghijABCDEFGHIJ01234", ""}, /* 35 chars: one short */
    {"FOO_TOKEN=abcdefghijkl", "Environment Variable Secret"},
    {"foo_token=abcdefghijkl", ""}, /* the name part is case-sensitive */
    {"MAX_TOKENS=12345678", ""},
    {"card 4111 1111 1111 1111 end", "Credit Card Number"},
    {"card 4111 1111 1111 1112 end", ""},                               /* Luhn fails */
    {"x 4111111111111112 then 4111111111111111", "Credit Card Number"}, /* decoy first */
    {"GB82WEST12345698765432", "IBAN"},
    {"GB82WEST12345698765433", ""},
    {"-----BEGIN OPENSSH PRIVATE KEY-----", "Private Key Header"},
    {"-----BEGIN PUBLIC KEY-----", ""},
    {"ssn 123-45-6789.", "Social Security Number"},
    {"id 9123-45-67890", ""},
    {"sk-ant-\napi03-abcdefghijklmn", "Anthropic API Key"}, /* newline deleted */
    {"\xd0\x90KIAIOSFODNN7EXAMPLE", "AWS Access ID"},       /* Cyrillic A */
    {"\xef\xbc\xa1KIAIOSFODNN7EXAMPLE", "AWS Access ID"},   /* full-width A */
    {"sk-ant-api\xe2\x80\x8b"
     "03abcdefghij",
     "Anthropic API Key"}, /* zero-width space */
    {"the quick brown fox jumps over the lazy dog", ""},
};

Test(dlp, text_table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(text_cases); i++)
        cr_expect_str_eq(scan_text(text_cases[i].text), text_cases[i].want, "case %zu: %s", i,
                         text_cases[i].text);
}

Test(dlp, encoded_views)
{
    /* base64, hex, base32 and percent encodings of one key, alone and as a segment. */
    cr_assert_str_eq(scan_text("c2stYW50LWFwaTAzLWFiY2RlZmdoaWprbG1u"), "Anthropic API Key");
    cr_assert_str_eq(scan_text("x=736b2d616e742d61706930332d6162636465666768696a6b6c6d6e"),
                     "Anthropic API Key");
    cr_assert_str_eq(scan_text("ONVS2YLOOQWWC4DJGAZS2YLCMNSGKZTHNBUWU23MNVXA===="),
                     "Anthropic API Key");
    cr_assert_str_eq(scan_text("sk%2Dant%2Dapi03%2Dabcdefghijklmn"), "Anthropic API Key");
    /* dot-less view; but "sk-ant.api03" stays clean (the dash is gone), as in the reference */
    cr_assert_str_eq(scan_text("sk-ant-api03.abc.defghijklmn"), "Anthropic API Key");
    cr_assert_str_eq(scan_text("sk-ant.api03.abcdefghijklmn"), "");
    /* base64 of base64 (depth 2) */
    cr_assert_str_eq(scan_text("YzJzdFlXNTBMV0Z3YVRBekxXRmlZMlJsWm1kb2FXcHJiRzF1"),
                     "Anthropic API Key");
}

Test(dlp, finding_offsets_point_at_the_match)
{
    const char *t = "abc AKIAIOSFODNN7EXAMPLE def";
    struct pl_dlp_target tg = {pl_str_c(t), PL_VIEW_RAW};
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan(db, sc, &tg, 1, PL_STR_NULL, &res), 0);
    const struct pl_dlp_finding *f = pl_dlp_result_first_block(db, &res);
    cr_assert_not_null(f);
    cr_assert_eq(f->off, 4);
    cr_assert_eq(f->len, 20);
    cr_assert(pl_dlp_db_is_core(db, f->pattern));
}

Test(dlp, targets_do_not_join)
{
    /* Two targets laid end to end must not form a match across the separator. */
    struct pl_dlp_target tg[2] = {{PL_STR("sk-ant-"), PL_VIEW_RAW},
                                  {PL_STR("api03abcdefghij"), PL_VIEW_RAW}};
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan(db, sc, tg, 2, PL_STR_NULL, &res), 0);
    cr_assert_eq(res.n, 0);
}

Test(dlp, core_reported_before_standard)
{
    struct pl_dlp_target tg[2] = {{PL_STR("sk-ant-api03abcdefghij"), PL_VIEW_RAW},
                                  {PL_STR("AKIAIOSFODNN7EXAMPLE"), PL_VIEW_URL}};
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan(db, sc, tg, 2, PL_STR_NULL, &res), 0);
    const struct pl_dlp_finding *f = pl_dlp_result_first_block(db, &res);
    cr_assert_not_null(f);
    cr_assert_str_eq(pl_dlp_db_name(db, f->pattern), "AWS Access ID");
}

Test(dlp, generic_patterns_found_at_block_edges)
{
    /* Card numbers straddling the 64-byte SIMD blocks of the region finder. */
    for (size_t pad = 40; pad < 140; pad++) {
        char buf[256];
        memset(buf, 'x', pad);
        buf[pad - 1] = ' ';
        strcpy(buf + pad, "4111111111111111 ok");
        cr_assert_str_eq(scan_text(buf), "Credit Card Number", "pad %zu", pad);
        memset(buf, 'x', pad);
        buf[pad - 1] = ' ';
        strcpy(buf + pad, "GB82WEST12345698765432 ok");
        cr_assert_str_eq(scan_text(buf), "IBAN", "pad %zu", pad);
    }
}

Test(dlp, user_pattern_fallbacks_and_errors)
{
    /* A back-reference: vectorscan takes it only as a prefilter (a superset), PCRE2 decides. */
    struct pl_dlp_spec sp[] = {
        {"Doubled", "(secret[0-9])-\\1", PL_SEV_HIGH, PL_VALIDATOR_NONE, false, false, NULL, 0},
    };
    struct pl_dlp_db *d = NULL;
    char *err = NULL;
    cr_assert_eq(pl_dlp_compile(sp, 1, &d, &err), 0);
    struct pl_dlp_target tg = {PL_STR("x secret7-secret7 y"), PL_VIEW_RAW};
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan(d, sc, &tg, 1, PL_STR_NULL, &res), 0);
    cr_assert_eq(res.n, 1);
    struct pl_dlp_target tg2 = {PL_STR("x secret7-secret8 y"), PL_VIEW_RAW};
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan(d, sc, &tg2, 1, PL_STR_NULL, &res), 0);
    cr_assert_eq(res.n, 0, "the prefilter's superset must be confirmed away");
    pl_dlp_db_free(d);

    struct pl_dlp_spec bad[] = {
        {"Broken", "(unclosed", PL_SEV_HIGH, PL_VALIDATOR_NONE, false, false, NULL, 0},
    };
    d = NULL;
    cr_assert_eq(pl_dlp_compile(bad, 1, &d, &err), -EINVAL);
    cr_assert_null(d);
    cr_assert_not_null(strstr(err, "Broken"));
    free(err);
}

Test(dlp, exempt_domains_and_warn)
{
    const char *ex[] = {"*.example.com"};
    struct pl_dlp_spec sp[] = {
        {"Ticket", "TCK-[0-9]{6}", PL_SEV_LOW, PL_VALIDATOR_NONE, false, false, ex, 1},
        {"Soft", "SOFT-[0-9]{6}", PL_SEV_LOW, PL_VALIDATOR_NONE, false, true, NULL, 0},
    };
    struct pl_dlp_db *d = NULL;
    char *err = NULL;
    cr_assert_eq(pl_dlp_compile(sp, 2, &d, &err), 0);
    struct pl_dlp_target tg = {PL_STR("TCK-123456 SOFT-654321"), PL_VIEW_RAW};
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan(d, sc, &tg, 1, PL_STR("api.example.com"), &res), 0);
    cr_assert_eq(res.n, 1); /* Ticket exempted for this host; Soft reported */
    cr_assert(pl_dlp_db_is_warn(d, res.f[0].pattern));
    cr_assert_null(pl_dlp_result_first_block(d, &res));
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan(d, sc, &tg, 1, PL_STR("other.org"), &res), 0);
    cr_assert_not_null(pl_dlp_result_first_block(d, &res));
    pl_dlp_db_free(d);
}

Test(dlp, literal_secrets_in_every_form)
{
    const char secret[] = "s3cr3t-Value-XYZ-0123";
    struct pl_dlp_literal lit = {secret, sizeof(secret) - 1, PL_DLP_LIT_ENV, NULL};
    struct pl_dlp_db *d = NULL;
    char *err = NULL;
    cr_assert_eq(pl_dlp_compile_with_literals(NULL, 0, &lit, 1, &d, &err), 0);
    const char *forms[] = {
        "raw s3cr3t-Value-XYZ-0123 end",
        "czNjcjN0LVZhbHVlLVhZWi0wMTIz",                /* base64 */
        "73336372337420a56616c75652d58595a2d30313233", /* not hex of it: decoy */
        "7333637233742d56616c75652d58595a2d30313233",  /* hex */
        "73:33:63:72:33:74:2d:56:61:6c:75:65:2d:58:59:5a:2d:30:31:32:33",
        "OMZWG4RTOQWVMYLMOVSS2WCZLIWTAMJSGM======", /* base32 */
    };
    bool want[] = {true, true, false, true, true, true};
    for (size_t i = 0; i < PL_ARRAY_SIZE(forms); i++) {
        struct pl_dlp_target tg = {pl_str_c(forms[i]), PL_VIEW_RAW};
        struct pl_dlp_result res;
        memset(&res, 0, sizeof(res));
        cr_assert_eq(pl_dlp_scan(d, sc, &tg, 1, PL_STR_NULL, &res), 0);
        cr_expect_eq(res.n > 0, want[i], "form %zu", i);
        if (res.n)
            cr_expect_str_eq(pl_dlp_db_name(d, res.f[0].pattern), "Environment Variable Leak");
    }
    /* The raw form is case-sensitive. */
    struct pl_dlp_target tg = {PL_STR("S3CR3T-VALUE-XYZ-0123"), PL_VIEW_RAW};
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan(d, sc, &tg, 1, PL_STR_NULL, &res), 0);
    cr_assert_eq(res.n, 0);
    pl_dlp_db_free(d);
}

Test(dlp, hostile_inputs_get_a_verdict)
{
    /* All-base64 text, 20 layers of base64, and invalid UTF-8: bounded work, no crash. */
    size_t n = 1 << 20;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = "ABCDEFGHabcdefgh0123456789+/"[i % 28];
    big[n] = '\0';
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    int r = pl_dlp_scan_text(db, sc, pl_str_from(big, n), &res);
    cr_assert(r == 0 || r == -E2BIG);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)(0x80 | (i * 7));
    memset(&res, 0, sizeof(res));
    r = pl_dlp_scan_text(db, sc, pl_str_from(big, n), &res);
    cr_assert(r == 0 || r == -E2BIG);
    free(big);
}

Test(dlp, big_base64_body_is_scanned_not_refused)
{
    /* A 3 MiB base64 blob (an image upload) gives thousands of candidate regions: the
     * engine confirms them in batches instead of failing closed on a legitimate body. */
    size_t raw = 3u << 20, n = (raw + 2) / 3 * 4;
    unsigned char *bin = malloc(raw);
    char *b64 = malloc(n + 1);
    uint32_t x = 12345;
    for (size_t i = 0; i < raw; i++) {
        x = x * 1103515245u + 12345u;
        bin[i] = (unsigned char)(x >> 16);
    }
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i + 3 <= raw; i += 3) {
        uint32_t v = (uint32_t)bin[i] << 16 | (uint32_t)bin[i + 1] << 8 | bin[i + 2];
        b64[o++] = a[v >> 18];
        b64[o++] = a[(v >> 12) & 63];
        b64[o++] = a[(v >> 6) & 63];
        b64[o++] = a[v & 63];
    }
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan_text(db, sc, pl_str_from(b64, o), &res), 0);
    free(bin);
    free(b64);
}

/* Findings as a sorted list of "pattern/view" for set comparison. */
static void
finding_set(const struct pl_dlp_result *res, char out[][64], size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < res->n; i++)
        snprintf(out[(*n)++], 64, "%s/%s", pl_dlp_db_name(db, res->f[i].pattern),
                 pl_dlp_view_name((enum pl_dlp_view)res->f[i].view));
    for (size_t i = 1; i < *n; i++)
        for (size_t j = i; j > 0 && strcmp(out[j - 1], out[j]) > 0; j--) {
            char t[64];
            memcpy(t, out[j], 64);
            memcpy(out[j], out[j - 1], 64);
            memcpy(out[j - 1], t, 64);
        }
}

static void
stream_scan(const char *text, size_t len, size_t chunk, size_t block, size_t max,
            struct pl_dlp_result *res)
{
    struct pl_dlp_stream *st = pl_dlp_stream_new_sized(db, sc, block, max, 64);
    cr_assert_not_null(st);
    memset(res, 0, sizeof(*res));
    for (size_t o = 0; o < len; o += chunk)
        cr_assert_eq(pl_dlp_stream_feed(st, text + o, PL_MIN(chunk, len - o), res), 0);
    cr_assert_eq(pl_dlp_stream_finish(st, res), 0);
    pl_dlp_stream_free(st);
}

Test(dlp, stream_finds_secrets_across_cuts_and_chunkings)
{
    /* Prose with secrets placed on both sides of block cuts (block 200, overlap 64). */
    char text[4096] = "";
    for (int i = 0; i < 12; i++)
        strcat(text, "the quick brown fox jumps over the lazy dog again and again ");
    strcat(text, "key AKIAIOSFODNN7EXAMPLE and ");
    for (int i = 0; i < 6; i++)
        strcat(text, "lorem ipsum dolor sit amet consectetur adipiscing elit ");
    strcat(text, "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end ");
    strcat(text, "c2stYW50LWFwaTAzLWFiY2RlZmdoaWprbG1u tail");
    size_t len = strlen(text);
    char want[PL_DLP_MAX_FINDINGS][64], got[PL_DLP_MAX_FINDINGS][64];
    size_t nw, ng;
    struct pl_dlp_result res;
    stream_scan(text, len, len, 200, 1024, &res);
    finding_set(&res, want, &nw);
    cr_assert_geq(nw, 3, "AWS id, AWS secret, base64 Anthropic key");
    for (size_t chunk = 1; chunk < 300; chunk += 37) {
        stream_scan(text, len, chunk, 200, 1024, &res);
        finding_set(&res, got, &ng);
        cr_assert_eq(ng, nw, "chunk %zu", chunk);
        for (size_t i = 0; i < nw; i++)
            cr_assert_str_eq(got[i], want[i], "chunk %zu", chunk);
    }
}

Test(dlp, seed_phrases_in_text)
{
    cr_assert_str_eq(scan_text("my wallet words: abandon abandon abandon abandon abandon "
                               "abandon abandon abandon abandon abandon abandon about. thanks"),
                     "BIP-39 Seed Phrase");
    cr_assert_str_eq(scan_text("abandon,abandon,abandon,abandon,abandon,abandon,abandon,abandon,"
                               "abandon,abandon,abandon,about"),
                     "BIP-39 Seed Phrase");
    /* One word short, and one wrong checksum word: clean. */
    cr_assert_str_eq(scan_text("abandon abandon abandon abandon abandon abandon abandon abandon "
                               "abandon abandon about"),
                     "");
    cr_assert_str_eq(scan_text("abandon abandon abandon abandon abandon abandon abandon abandon "
                               "abandon abandon abandon abandon"),
                     "");
    /* A phrase spread over JSON fields is found in the joined text. */
    struct pl_str parts[] = {PL_STR("abandon abandon abandon abandon abandon abandon"),
                             PL_STR("abandon abandon abandon abandon abandon about")};
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan_texts(db, sc, parts, 2, &res), 0);
    const struct pl_dlp_finding *f = pl_dlp_result_first_block(db, &res);
    cr_assert_not_null(f);
    cr_assert_str_eq(pl_dlp_db_name(db, f->pattern), "BIP-39 Seed Phrase");
}

Test(dlp, encodings_nested_deeper_than_we_follow_are_reported)
{
    /* base64 applied 6 times to a key: past the depth limit, yet still decoding. */
    const char *key = "sk-ant-api03-abcdefghijklmnop";
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char cur[8192], next[8192];
    strcpy(cur, key);
    for (int layer = 0; layer < 6; layer++) {
        size_t n = strlen(cur), o = 0;
        for (size_t i = 0; i < n; i += 3) {
            uint32_t v = (uint32_t)(unsigned char)cur[i] << 16;
            if (i + 1 < n)
                v |= (uint32_t)(unsigned char)cur[i + 1] << 8;
            if (i + 2 < n)
                v |= (unsigned char)cur[i + 2];
            next[o++] = a[v >> 18];
            next[o++] = a[(v >> 12) & 63];
            next[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
            next[o++] = i + 2 < n ? a[v & 63] : '=';
        }
        next[o] = '\0';
        strcpy(cur, next);
        if (layer == 1)
            cr_assert_str_eq(scan_text(cur), "Anthropic API Key", "two layers are decoded");
    }
    cr_assert_str_eq(scan_text(cur), "Excessive Encoding Depth");
    /* A lock-file integrity hash (base64 of binary) is not nested. */
    cr_assert_str_eq(scan_text("\"integrity\": \"sha512-3Wm3zG1Qn0o5s0Pz1x8VYl3K4nq9bT7cE2mF6hJ8kL0"
                               "pR4sU7vW9yA1bC3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA==\""),
                     "");
}

/*
 * The block-wise prefilters (64 bytes at a time: seed-phrase spans, encoded segments, digit
 * and alphanumeric regions) must not depend on where the interesting bytes fall relative to
 * the blocks: slide each case across two block boundaries.
 */
static const char filler[] =
    "Of the reports in the quarter, it is to be said that we met on time and it was fine by "
    "all of us in the team; so it goes on and on for a while as it is to be in a report. ";

static void
slide(const char *mid, const char *after, const char *want)
{
    char buf[1024];
    for (size_t k = 0; k < 140; k++) {
        snprintf(buf, sizeof(buf), "%.*s %s%s", (int)k, filler, mid, after);
        cr_assert_str_eq(scan_text(buf), want, "offset %zu: %s", k, buf);
    }
}

Test(dlp, block_prefilters_do_not_depend_on_alignment)
{
    const char *phrase = "abandon abandon abandon abandon abandon abandon abandon abandon "
                         "abandon abandon abandon about";
    slide(phrase, " and so on", "BIP-39 Seed Phrase");
    slide(phrase, ".", "BIP-39 Seed Phrase");
    /* The last word glued to a digit is not a list word: one word short. */
    slide("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
          "abandon about1",
          " x", "");
    /* "AKIAIOSFODNN7EXAMPLE" in base64 between spaces (the '=' pad is a separator). */
    slide(" QUtJQUlPU0ZPRE5ON0VYQU1QTEU= ", "tail", "AWS Access ID");
    slide(" QUtJQUlPU0ZPRE5ON0VYQU1QTEU", "", "AWS Access ID");
    /* A card number, a spaced one, and an IBAN. */
    slide(" 4111 1111 1111 1111 ", "end", "Credit Card Number");
    slide(" 4111111111111111", "", "Credit Card Number");
    slide(" GB82WEST12345698765432 ", "ok", "IBAN");
    /* A dotted AWS key id is found in the dot-less view. */
    slide(" A.K.I.A.I.O.S.F.O.D.N.N.7.E.X.A.M.P.L.E ", "done", "AWS Access ID");
}

/* First blocking finding of pl_dlp_scan_texts() over two texts, or "". */
static const char *
scan_two(const char *a, const char *b)
{
    struct pl_str t[] = {pl_str_c(a), pl_str_c(b)};
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    cr_assert_eq(pl_dlp_scan_texts(db, sc, t, 2, &res), 0);
    const struct pl_dlp_finding *f = pl_dlp_result_first_block(db, &res);
    return f ? pl_dlp_db_name(db, f->pattern) : "";
}

Test(dlp, texts_are_scanned_alone_and_concatenated)
{
    /* A key split over two fields that sort next to each other. */
    cr_assert_str_eq(scan_two("AKIAIOSF", "ODNN7EXAMPLE"), "AWS Access ID");
    /* A card number as its own field, next to a word that would glue onto it. */
    cr_assert_str_eq(scan_two("card", "4111111111111111"), "Credit Card Number");
    /* A base64 key ending one field, followed by another field. */
    cr_assert_str_eq(scan_two("key: QUtJQUlPU0ZPRE5ON0VYQU1QTEU", "zzz"), "AWS Access ID");
    /* Clean fields stay clean. */
    cr_assert_str_eq(scan_two("hello", "world"), "");
}
