/* Unit tests of scan/extract: Content-Type classification, JSON, form, multipart, text. */
#include <criterion/criterion.h>

#include <string.h>

#include "scan/extract.h"

#define MAXS 24

/* Collects delivered strings (copies), optionally stopping after stop_after of them. */
struct got {
    size_t n;
    char *s[MAXS];
    size_t len[MAXS];
    size_t stop_after; /* 0: never stop */
};

static int
collect(void *arg, struct pl_str s)
{
    struct got *g = arg;
    cr_assert(s.len > 0, "empty string delivered");
    cr_assert(g->n < MAXS, "too many strings delivered");
    g->s[g->n] = malloc(s.len + 1);
    cr_assert(g->s[g->n]);
    memcpy(g->s[g->n], s.p, s.len);
    g->s[g->n][s.len] = '\0';
    g->len[g->n] = s.len;
    g->n++;
    if (g->stop_after && g->n >= g->stop_after)
        return -ECANCELED;
    return 0;
}

static void
got_free(struct got *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->s[i]);
}

struct xcase {
    const char *ct;   /* NULL: no Content-Type */
    const char *body; /* NUL-terminated */
    int ret;
    const char *reason;           /* expected reason when ret < 0 */
    const char *want[MAXS];       /* NULL-terminated list of delivered strings, in order */
    struct pl_extract_limits lim; /* all zero: pass NULL */
};

static bool
lim_zero(const struct pl_extract_limits *l)
{
    return !l->max_depth && !l->max_parts && !l->max_part_bytes && !l->max_filename &&
           !l->max_strings;
}

static void
run_cases(const char *what, const struct xcase *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct got g = {0};
        const char *reason = "untouched";
        struct pl_str ct = c[i].ct ? pl_str_c(c[i].ct) : PL_STR_NULL;
        int r = pl_extract_body(ct, pl_str_c(c[i].body), lim_zero(&c[i].lim) ? NULL : &c[i].lim,
                                collect, &g, &reason);
        cr_expect_eq(r, c[i].ret, "%s case %zu: ret %d want %d (reason %s)", what, i, r, c[i].ret,
                     reason);
        if (c[i].ret < 0)
            cr_expect_str_eq(reason, c[i].reason, "%s case %zu: reason", what, i);
        else
            cr_expect_str_eq(reason, "untouched", "%s case %zu: reason set on success", what, i);
        if (c[i].ret == 0) {
            size_t want_n = 0;
            while (c[i].want[want_n])
                want_n++;
            cr_expect_eq(g.n, want_n, "%s case %zu: %zu strings, want %zu", what, i, g.n, want_n);
            for (size_t k = 0; k < g.n && k < want_n; k++)
                cr_expect(g.len[k] == strlen(c[i].want[k]) &&
                              memcmp(g.s[k], c[i].want[k], g.len[k]) == 0,
                          "%s case %zu string %zu: got \"%s\" want \"%s\"", what, i, k, g.s[k],
                          c[i].want[k]);
        }
        got_free(&g);
    }
}

#define JSON "application/json"
#define FORM "application/x-www-form-urlencoded"

/* ------------------------------------------------------------------------------ kind */

Test(extract, kind)
{
    static const struct {
        const char *ct;
        enum pl_body_kind want;
    } c[] = {
        {"application/json", PL_BODY_JSON},
        {"Application/JSON", PL_BODY_JSON},
        {"application/json; charset=utf-8", PL_BODY_JSON},
        {"  application/json  ;charset=utf-8", PL_BODY_JSON},
        {"application/vnd.api+json; charset=utf-8", PL_BODY_JSON},
        {"application/LD+JSON", PL_BODY_JSON},
        {"application/jsonx", PL_BODY_TEXT},
        {"application/json-seq", PL_BODY_TEXT},
        {"application/x-www-form-urlencoded", PL_BODY_FORM},
        {"APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8", PL_BODY_FORM},
        {"multipart/form-data; boundary=x", PL_BODY_MULTIPART},
        {"Multipart/Form-Data", PL_BODY_MULTIPART},
        {"multipart/mixed; boundary=x", PL_BODY_TEXT},
        {"text/plain", PL_BODY_TEXT},
        {"application/atom+xml", PL_BODY_TEXT},
        {"application/octet-stream", PL_BODY_TEXT},
        {"image/png", PL_BODY_TEXT},
        {"", PL_BODY_TEXT},
        {"; boundary=x", PL_BODY_TEXT},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(c); i++)
        cr_expect_eq(pl_extract_kind(pl_str_c(c[i].ct)), c[i].want, "\"%s\"", c[i].ct);
    cr_expect_eq(pl_extract_kind(PL_STR_NULL), PL_BODY_TEXT);
}

/* ------------------------------------------------------------------------------ text */

Test(extract, text)
{
    static const struct xcase c[] = {
        {"text/plain", "hello world", 0, NULL, {"hello world"}},
        {NULL, "raw {not json", 0, NULL, {"raw {not json"}},
        {"application/octet-stream", "AKIA\x01\x02", 0, NULL, {"AKIA\x01\x02"}},
        {"application/xml", "<a>b</a>", 0, NULL, {"<a>b</a>"}},
        {"text/plain", "", 0, NULL, {NULL}},
    };
    run_cases("text", c, PL_ARRAY_SIZE(c));
}

/* ------------------------------------------------------------------------------ JSON */

Test(extract, json_values)
{
    static const struct xcase c[] = {
        {JSON, "\"abc\"", 0, NULL, {"abc"}},
        {JSON, " 42 ", 0, NULL, {"42"}},
        {JSON, "true", 0, NULL, {"true"}},
        {JSON, "false", 0, NULL, {"false"}},
        {JSON, "null", 0, NULL, {NULL}},
        {JSON, "\"\"", 0, NULL, {NULL}},
        {JSON, "{}", 0, NULL, {NULL}},
        {JSON, "[]", 0, NULL, {NULL}},
        {JSON, "[ ]", 0, NULL, {NULL}},
        {JSON, "{\"a\":\"b\",\"c\":1}", 0, NULL, {"a", "b", "c", "1"}},
        {JSON, "[1,\"x\",true,false,null]", 0, NULL, {"1", "x", "true", "false"}},
        {JSON,
         " { \"k\" : [ { \"n\" : { \"deep\" : \"v\" } } , [ [ ] ] ] , \"z\" : null } \r\n",
         0,
         NULL,
         {"k", "n", "deep", "v", "z"}},
        {JSON, "{\"\":\"empty key\"}", 0, NULL, {"empty key"}},
        /* numbers kept as source text: no float64 rounding */
        {JSON,
         "[4111111111111111111, -0, 0.5, 1e10, 1E+2, -1.25e-3]",
         0,
         NULL,
         {"4111111111111111111", "-0", "0.5", "1e10", "1E+2", "-1.25e-3"}},
        {JSON, "12345678901234567890123", 0, NULL, {"12345678901234567890123"}},
        /* raw UTF-8 and invalid bytes passed through */
        {JSON, "\"caf\xc3\xa9 \xff\"", 0, NULL, {"caf\xc3\xa9 \xff"}},
        {"application/vnd.api+json; charset=utf-8",
         "{\"data\":{\"id\":\"7\"}}",
         0,
         NULL,
         {"data", "id", "7"}},
    };
    run_cases("json values", c, PL_ARRAY_SIZE(c));
}

Test(extract, json_escapes)
{
    static const struct xcase c[] = {
        {JSON, "\"a\\nb\"", 0, NULL, {"a\nb"}},
        {JSON, "\"q\\\"q\"", 0, NULL, {"q\"q"}},
        {JSON, "\"\\\\ \\/ \\b\\f\\r\\t\"", 0, NULL, {"\\ / \b\f\r\t"}},
        {JSON, "\"caf\\u00e9\"", 0, NULL, {"caf\xc3\xa9"}},
        {JSON, "\"\\u0041\\u00E9\\u20AC\"", 0, NULL, {"A\xc3\xa9\xe2\x82\xac"}},
        /* surrogate pair: U+1F600 */
        {JSON, "\"\\ud83d\\ude00\"", 0, NULL, {"\xf0\x9f\x98\x80"}},
        /* lone surrogates become U+FFFD */
        {JSON, "\"x\\ud83dy\"", 0, NULL, {"x\xef\xbf\xbdy"}},
        {JSON, "\"\\ude00\"", 0, NULL, {"\xef\xbf\xbd"}},
        {JSON,
         "\"\\ud83d\\u0041\"",
         0,
         NULL,
         {"\xef\xbf\xbd"
          "A"}},
        {JSON, "\"\\ud83d\\ud83d\\ude00\"", 0, NULL, {"\xef\xbf\xbd\xf0\x9f\x98\x80"}},
        /* escaped keys are decoded too */
        {JSON, "{\"k\\u0065y\":\"v\"}", 0, NULL, {"key", "v"}},
    };
    run_cases("json escapes", c, PL_ARRAY_SIZE(c));
}

Test(extract, json_invalid)
{
    static const char *bad[] = {
        "[1,]",
        "{\"a\":1,}",
        "{'a':1}",
        "['x']",
        "NaN",
        "[Infinity]",
        "-",
        "01",
        "[01]",
        "-01",
        "1.",
        ".5",
        "1e",
        "1e+",
        "+1",
        "\"abc",
        "[1, 2",
        "{\"a\":",
        "{\"a\"}",
        "{\"a\" 1}",
        "{1:2}",
        "[1 2]",
        "\"tab\there\"",
        "\"nl\nhere\"",
        "\"\\x41\"",
        "\"\\u12\"",
        "\"\\u12g4\"",
        "\"\\",
        "{} {}",
        "1 x",
        "\"a\" \"b\"",
        "tru",
        "truex",
        "nul",
        "[1]]",
        "]",
        "}",
        "{\"a\":1]",
        "[1}",
        "   ",
        ",",
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(bad); i++) {
        struct got g = {0};
        const char *reason = NULL;
        int r = pl_extract_body(PL_STR(JSON), pl_str_c(bad[i]), NULL, collect, &g, &reason);
        cr_expect_eq(r, -EBADMSG, "\"%s\": ret %d", bad[i], r);
        cr_expect(reason && strcmp(reason, "invalid JSON body") == 0, "\"%s\": reason", bad[i]);
        got_free(&g);
    }
}

Test(extract, json_depth)
{
    char buf[300];
    struct pl_extract_limits lim = {.max_depth = 3};
    const char *reason = NULL;
    struct got g = {0};

    /* exactly max_depth containers: fine */
    cr_expect_eq(
        pl_extract_body(PL_STR(JSON), PL_STR("[{\"a\":[\"x\"]}]"), &lim, collect, &g, &reason), 0);
    cr_expect_eq(g.n, 2);
    got_free(&g);
    g = (struct got){0};
    cr_expect_eq(
        pl_extract_body(PL_STR(JSON), PL_STR("[{\"a\":[[\"x\"]]}]"), &lim, collect, &g, &reason),
        -E2BIG);
    cr_expect_str_eq(reason, "JSON nested too deeply");
    got_free(&g);

    /* default 64 */
    for (size_t d = 64; d <= 65; d++) {
        memset(buf, '[', d);
        memset(buf + d, ']', d);
        reason = NULL;
        int r = pl_extract_body(PL_STR(JSON), pl_str_from(buf, 2 * d), NULL, collect, &g, &reason);
        cr_expect_eq(r, d == 64 ? 0 : -E2BIG, "depth %zu: %d", d, r);
        cr_expect_eq(reason == NULL, d == 64);
    }

    /* a big caller limit uses the allocated bit stack; objects and arrays interleave */
    static char deep[4 * 1000 + 16];
    size_t o = 0;
    for (int k = 0; k < 1000; k++) {
        if (k % 2) {
            memcpy(deep + o, "{\"\":", 4);
            o += 4;
        } else {
            deep[o++] = '[';
        }
    }
    deep[o++] = '1';
    for (int k = 999; k >= 0; k--)
        deep[o++] = k % 2 ? '}' : ']';
    lim = (struct pl_extract_limits){.max_depth = 1000};
    g = (struct got){0};
    cr_expect_eq(pl_extract_body(PL_STR(JSON), pl_str_from(deep, o), &lim, collect, &g, &reason),
                 0);
    cr_expect_eq(g.n, 1);
    cr_expect_str_eq(g.s[0], "1");
    got_free(&g);
    lim.max_depth = 999;
    g = (struct got){0};
    cr_expect_eq(pl_extract_body(PL_STR(JSON), pl_str_from(deep, o), &lim, collect, &g, &reason),
                 -E2BIG);
    got_free(&g);
}

Test(extract, json_long_escaped_string)
{
    /* longer than the inline scratch buffer, so the heap buffer is used (and reused) */
    static char body[4 * 3000 + 64];
    size_t o = 0;
    body[o++] = '[';
    for (int s = 0; s < 2; s++) {
        body[o++] = '"';
        for (int k = 0; k < 1000; k++) {
            memcpy(body + o, "\\u00e9", 6);
            o += 6;
        }
        body[o++] = '"';
        body[o++] = ',';
    }
    body[o - 1] = ']';
    struct got g = {0};
    cr_assert_eq(pl_extract_body(PL_STR(JSON), pl_str_from(body, o), NULL, collect, &g, NULL), 0);
    cr_assert_eq(g.n, 2);
    for (int s = 0; s < 2; s++) {
        cr_expect_eq(g.len[s], 2000);
        for (size_t k = 0; k < 2000; k += 2)
            cr_expect(g.s[s][k] == '\xc3' && g.s[s][k + 1] == '\xa9');
    }
    got_free(&g);
}

/* ------------------------------------------------------------------------------ form */

Test(extract, form)
{
    static const struct xcase c[] = {
        {FORM, "a=1&b=two", 0, NULL, {"a", "1", "b", "two"}},
        {FORM, "q=hello+world&k%20ey=%41%42c", 0, NULL, {"q", "hello world", "k ey", "ABc"}},
        {FORM, "&&a=&=b&c&", 0, NULL, {"a", "b", "c"}},
        {FORM, "x=a=b", 0, NULL, {"x", "a=b"}},
        {FORM, "tok=%2541", 0, NULL, {"tok", "%41"}}, /* one round only */
        {FORM, "k=%e2%82%ac", 0, NULL, {"k", "\xe2\x82\xac"}},
        {FORM, "a=%", -EBADMSG, "unparsable form body", {NULL}},
        {FORM, "a=%4", -EBADMSG, "unparsable form body", {NULL}},
        {FORM, "a=%zz", -EBADMSG, "unparsable form body", {NULL}},
        {FORM, "%g0=1", -EBADMSG, "unparsable form body", {NULL}},
        {FORM, "a=1;b=2", -EBADMSG, "unparsable form body", {NULL}},
    };
    run_cases("form", c, PL_ARRAY_SIZE(c));
}

/* ------------------------------------------------------------------------------ multipart */

#define MP   "multipart/form-data; boundary=XyZ"
#define CRLF "\r\n"

Test(extract, multipart)
{
    static const struct xcase c[] = {
        /* two fields and a file, preamble and epilogue ignored */
        {MP,
         "preamble AKIA" CRLF "--XyZ" CRLF "Content-Disposition: form-data; name=\"user\"" CRLF CRLF
         "alice" CRLF "--XyZ" CRLF "Content-Disposition: form-data; name=pass" CRLF CRLF
         "hunter2" CRLF "--XyZ" CRLF
         "Content-Disposition: form-data; name=\"f\"; filename=\"a \\\"b\\\".txt\"" CRLF
         "Content-Type: text/plain; charset=utf-8" CRLF "X-Custom:  secret value " CRLF CRLF
         "line1" CRLF "line2" CRLF "--XyZ--" CRLF "epilogue",
         0,
         NULL,
         {"form-data; name=\"user\"", "user", "alice", "form-data; name=pass", "pass", "hunter2",
          "form-data; name=\"f\"; filename=\"a \\\"b\\\".txt\"", "f", "a \"b\".txt",
          "text/plain; charset=utf-8", "utf-8", "secret value", "line1" CRLF "line2"}},
        /* quoted boundary, LF-only line endings, empty part body */
        {"multipart/form-data; charset=utf-8; boundary=\"a b:c\"",
         "--a b:c\nContent-Disposition: form-data; name=x\n\nv1\n--a b:c\n"
         "Content-Disposition: form-data; name=y\n\n--a b:c--",
         0,
         NULL,
         {"form-data; name=x", "x", "v1", "form-data; name=y", "y"}},
        /* base64 part: raw and decoded */
        {MP,
         "--XyZ" CRLF "Content-Transfer-Encoding: base64" CRLF CRLF "c2VjcmV0IHRv" CRLF "a2Vu" CRLF
         "--XyZ--",
         0,
         NULL,
         {"base64", "c2VjcmV0IHRv" CRLF "a2Vu", "secret token"}},
        /* quoted-printable part: raw and decoded (soft breaks, either hex case) */
        {MP,
         "--XyZ" CRLF "Content-Transfer-Encoding: Quoted-Printable" CRLF CRLF "caf=C3=a9 to=" CRLF
         "ken=3D1=  \nend" CRLF "--XyZ--" CRLF,
         0,
         NULL,
         {"Quoted-Printable", "caf=C3=a9 to=" CRLF "ken=3D1=  \nend", "caf\xc3\xa9 token=1end"}},
        /* "--XyZ" inside content without a valid tail is content; transport padding allowed */
        {MP,
         "--XyZ  " CRLF CRLF "a" CRLF "--XyZzy" CRLF "--XyZ-x" CRLF "--XyZ-- " CRLF,
         0,
         NULL,
         {"a" CRLF "--XyZzy" CRLF "--XyZ-x"}},
        /* quoted boundary with a backslash escape: the boundary is q"x */
        {"multipart/form-data; boundary=\"q\\\"x\"",
         "--q\"x" CRLF CRLF "v" CRLF "--q\"x--",
         0,
         NULL,
         {"v"}},
        /* no parts at all */
        {MP, "--XyZ--", 0, NULL, {NULL}},
        /* delimiter directly after the header block: empty body */
        {MP, "--XyZ" CRLF "A: b" CRLF CRLF "--XyZ--", 0, NULL, {"b"}},
        /* 7bit is identity; header names are case-insensitive */
        {MP,
         "--XyZ" CRLF "content-transfer-encoding: 7BIT" CRLF "CONTENT-TYPE: text/x" CRLF CRLF
         "body" CRLF "--XyZ--",
         0,
         NULL,
         {"7BIT", "text/x", "body"}},
    };
    run_cases("multipart", c, PL_ARRAY_SIZE(c));
}

Test(extract, multipart_errors)
{
    static const struct xcase c[] = {
        {"multipart/form-data",
         "--x" CRLF CRLF "a" CRLF "--x--",
         -EBADMSG,
         "multipart: missing boundary",
         {NULL}},
        {"multipart/form-data; boundary=",
         "--x--",
         -EBADMSG,
         "multipart: missing boundary",
         {NULL}},
        {"multipart/form-data; boundary=\"\"",
         "--x--",
         -EBADMSG,
         "multipart: missing boundary",
         {NULL}},
        {"multipart/form-data; boundary=\"x",
         "--x--",
         -EBADMSG,
         "multipart: missing boundary",
         {NULL}},
        {"multipart/form-data; boundary=a; boundary=b",
         "--a--",
         -EBADMSG,
         "multipart: invalid boundary",
         {NULL}},
        {"multipart/form-data; boundary="
         "12345678901234567890123456789012345678901234567890123456789012345678901",
         "--x--",
         -EBADMSG,
         "multipart: invalid boundary",
         {NULL}},
        {MP, "no delimiter here", -EBADMSG, "multipart: missing boundary delimiter", {NULL}},
        {MP,
         "--XyZ" CRLF "A: b" CRLF CRLF "body without close",
         -EBADMSG,
         "multipart: missing closing boundary",
         {NULL}},
        {MP,
         "--XyZ" CRLF "A: b" CRLF CRLF "body" CRLF "--XyZ",
         -EBADMSG,
         "multipart: missing closing boundary",
         {NULL}},
        {MP,
         "--XyZ" CRLF "A: b" CRLF CRLF "body" CRLF "--XyZ--junk",
         -EBADMSG,
         "multipart: missing closing boundary",
         {NULL}},
        {MP,
         "--XyZ" CRLF "no colon" CRLF CRLF "b" CRLF "--XyZ--",
         -EBADMSG,
         "multipart: malformed part header",
         {NULL}},
        {MP,
         "--XyZ" CRLF "A: b" CRLF " folded" CRLF CRLF "b" CRLF "--XyZ--",
         -EBADMSG,
         "multipart: malformed part header",
         {NULL}},
        {MP,
         "--XyZ" CRLF "A: b" CRLF "--XyZ--",
         -EBADMSG,
         "multipart: malformed part header",
         {NULL}},
        {MP,
         "--XyZ" CRLF "Content-Disposition: form-data; name=\"x" CRLF CRLF "b" CRLF "--XyZ--",
         -EBADMSG,
         "multipart: malformed part header",
         {NULL}},
        {MP,
         "--XyZ" CRLF "Content-Disposition: form-data; name" CRLF CRLF "b" CRLF "--XyZ--",
         -EBADMSG,
         "multipart: malformed part header",
         {NULL}},
        {MP,
         "--XyZ" CRLF "Content-Transfer-Encoding: base64" CRLF CRLF "not base64!" CRLF "--XyZ--",
         -EBADMSG,
         "multipart: invalid base64 part",
         {NULL}},
        {MP,
         "--XyZ" CRLF "Content-Transfer-Encoding: quoted-printable" CRLF CRLF "a=zz" CRLF "--XyZ--",
         -EBADMSG,
         "multipart: invalid quoted-printable part",
         {NULL}},
        {MP,
         "--XyZ" CRLF "Content-Transfer-Encoding: x-gzip" CRLF CRLF "a" CRLF "--XyZ--",
         -EBADMSG,
         "multipart: unsupported transfer encoding",
         {NULL}},
        {MP,
         "--XyZ" CRLF "Content-Transfer-Encoding: 7bit" CRLF
         "Content-Transfer-Encoding: base64" CRLF CRLF "a" CRLF "--XyZ--",
         -EBADMSG,
         "multipart: duplicate transfer encoding",
         {NULL}},
    };
    run_cases("multipart errors", c, PL_ARRAY_SIZE(c));
}

Test(extract, multipart_limits)
{
    static const struct xcase c[] = {
        /* 2 parts with max_parts 2: fine; 3: too many */
        {MP,
         "--XyZ" CRLF CRLF "a" CRLF "--XyZ" CRLF CRLF "b" CRLF "--XyZ--",
         0,
         NULL,
         {"a", "b"},
         {.max_parts = 2}},
        {MP,
         "--XyZ" CRLF CRLF "a" CRLF "--XyZ" CRLF CRLF "b" CRLF "--XyZ" CRLF CRLF "c" CRLF "--XyZ--",
         -E2BIG,
         "multipart: too many parts",
         {NULL},
         {.max_parts = 2}},
        /* part body of exactly max_part_bytes: fine; one more: too large */
        {MP, "--XyZ" CRLF CRLF "abcd" CRLF "--XyZ--", 0, NULL, {"abcd"}, {.max_part_bytes = 4}},
        {MP,
         "--XyZ" CRLF CRLF "abcde" CRLF "--XyZ--",
         -E2BIG,
         "multipart: part too large",
         {NULL},
         {.max_part_bytes = 4}},
        /* filename length counted after unquoting */
        {MP,
         "--XyZ" CRLF "Content-Disposition: form-data; name=f; filename=\"ab\\cd\"" CRLF CRLF
         "x" CRLF "--XyZ--",
         0,
         NULL,
         {"form-data; name=f; filename=\"ab\\cd\"", "f", "abcd", "x"},
         {.max_filename = 4}},
        {MP,
         "--XyZ" CRLF "Content-Disposition: form-data; name=f; filename=abcde" CRLF CRLF "x" CRLF
         "--XyZ--",
         -EBADMSG,
         "multipart: filename too long",
         {NULL},
         {.max_filename = 4}},
        {MP,
         "--XyZ" CRLF "Content-Disposition: form-data; FILENAME*=utf-8''abcde" CRLF CRLF "x" CRLF
         "--XyZ--",
         -EBADMSG,
         "multipart: filename too long",
         {NULL},
         {.max_filename = 11}},
        /* a long filename in Content-Type is not a filename */
        {MP,
         "--XyZ" CRLF "Content-Type: a/b; filename=abcde" CRLF CRLF "--XyZ--",
         0,
         NULL,
         {"a/b; filename=abcde", "abcde"},
         {.max_filename = 4}},
        /* max_strings counts every delivered string */
        {MP,
         "--XyZ" CRLF "A: 1" CRLF CRLF "b" CRLF "--XyZ--",
         0,
         NULL,
         {"1", "b"},
         {.max_strings = 2}},
        {MP,
         "--XyZ" CRLF "A: 1" CRLF "B: 2" CRLF CRLF "b" CRLF "--XyZ--",
         -E2BIG,
         "too many strings",
         {NULL},
         {.max_strings = 2}},
        {FORM, "a=1&b=2", -E2BIG, "too many strings", {NULL}, {.max_strings = 3}},
    };
    run_cases("multipart limits", c, PL_ARRAY_SIZE(c));
}

static int
count_cb(void *arg, struct pl_str s)
{
    (void)s;
    (*(size_t *)arg)++;
    return 0;
}

Test(extract, multipart_default_limits)
{
    /* 100 parts pass with the defaults, 101 do not */
    static char body[101 * 16 + 16];
    for (int parts = 100; parts <= 101; parts++) {
        size_t o = 0, count = 0;
        for (int k = 0; k < parts; k++) {
            memcpy(body + o, "--B\r\n\r\nv\r\n", 10);
            o += 10;
        }
        memcpy(body + o, "--B--", 5);
        o += 5;
        const char *reason = NULL;
        int r = pl_extract_body(PL_STR("multipart/form-data; boundary=B"), pl_str_from(body, o),
                                NULL, count_cb, &count, &reason);
        if (parts == 100) {
            cr_expect_eq(r, 0);
            cr_expect_eq(count, 100);
        } else {
            cr_expect_eq(r, -E2BIG);
            cr_expect_str_eq(reason, "multipart: too many parts");
        }
    }

    /* filename of 256 bytes passes, 257 does not */
    static char mp[600];
    for (size_t len = 256; len <= 257; len++) {
        size_t o = 0, count = 0;
        const char *head = "--B\r\nContent-Disposition: form-data; name=f; filename=";
        memcpy(mp, head, strlen(head));
        o += strlen(head);
        memset(mp + o, 'n', len);
        o += len;
        memcpy(mp + o, "\r\n\r\nx\r\n--B--", 12);
        o += 12;
        const char *reason = NULL;
        int r = pl_extract_body(PL_STR("multipart/form-data; boundary=B"), pl_str_from(mp, o), NULL,
                                count_cb, &count, &reason);
        cr_expect_eq(r, len == 256 ? 0 : -EBADMSG, "filename %zu: %d", len, r);
        if (len == 257)
            cr_expect_str_eq(reason, "multipart: filename too long");
    }
}

Test(extract, callback_stops)
{
    struct got g = {.stop_after = 2};
    const char *reason = "untouched";
    int r =
        pl_extract_body(PL_STR(JSON), PL_STR("[\"a\",\"b\",\"c\"]"), NULL, collect, &g, &reason);
    cr_expect_eq(r, -ECANCELED);
    cr_expect_eq(g.n, 2);
    cr_expect_str_eq(reason, "untouched");
    got_free(&g);

    /* ret_reason may be NULL */
    g = (struct got){0};
    cr_expect_eq(pl_extract_body(PL_STR(JSON), PL_STR("[1,]"), NULL, collect, &g, NULL), -EBADMSG);
    got_free(&g);
}

Test(extract, empty_body)
{
    static const char *cts[] = {JSON, FORM, "multipart/form-data", "text/plain", ""};
    for (size_t i = 0; i < PL_ARRAY_SIZE(cts); i++) {
        struct got g = {0};
        const char *reason = "untouched";
        cr_expect_eq(pl_extract_body(pl_str_c(cts[i]), PL_STR_NULL, NULL, collect, &g, &reason), 0,
                     "%s", cts[i]);
        cr_expect_eq(g.n, 0);
        cr_expect_str_eq(reason, "untouched");
    }
}
