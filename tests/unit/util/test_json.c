/* Unit tests of util/json: escaping (log lines must never be split or forged) and structure. */
#include <criterion/criterion.h>

#include <string.h>

#include "util/json.h"

struct esc_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *out;
};

static const struct esc_case esc_cases[] = {
    {"", 0, "\"\""},
    {"plain text /path?q=1", 0, "\"plain text /path?q=1\""},
    {"say \"hi\"", 0, "\"say \\\"hi\\\"\""},
    {"back\\slash", 0, "\"back\\\\slash\""},
    {"a\nb", 0, "\"a\\nb\""},
    {"a\rb", 0, "\"a\\rb\""},
    {"a\tb", 0, "\"a\\tb\""},
    {"\r\n{\"forged\":1}", 0, "\"\\r\\n{\\\"forged\\\":1}\""},
    {"nul\0x", 5, "\"nul\\u0000x\""},
    {"\x01\x1f", 0, "\"\\u0001\\u001f\""},
    {"\b\f\v", 0, "\"\\u0008\\u000c\\u000b\""},
    {"\x1b[31mred", 0, "\"\\u001b[31mred\""},
    {"del\x7f", 0, "\"del\\u007f\""},
    {" ~", 0, "\" ~\""},
    /* valid multi-byte UTF-8 passes through */
    {"caf\xc3\xa9", 0, "\"caf\xc3\xa9\""},
    {"\xc2\xa0nbsp", 0, "\"\xc2\xa0nbsp\""},
    {"\xe2\x82\xac", 0, "\"\xe2\x82\xac\""},
    {"\xef\xbf\xbd", 0, "\"\xef\xbf\xbd\""},
    {"\xf0\x9f\x98\x80", 0, "\"\xf0\x9f\x98\x80\""},
    {"\xf4\x8f\xbf\xbf", 0, "\"\xf4\x8f\xbf\xbf\""},
    {"\xed\x9f\xbf", 0, "\"\xed\x9f\xbf\""},
    {"\xee\x80\x80", 0, "\"\xee\x80\x80\""},
    /* C1 controls U+0080..U+009F are escaped */
    {"\xc2\x80", 0, "\"\\u0080\""},
    {"\xc2\x85", 0, "\"\\u0085\""},
    {"\xc2\x9f", 0, "\"\\u009f\""},
    /* line and paragraph separators are escaped */
    {"a\xe2\x80\xa8"
     "b",
     0, "\"a\\u2028b\""},
    {"\xe2\x80\xa9", 0, "\"\\u2029\""},
    {"\xe2\x80\xa7", 0, "\"\xe2\x80\xa7\""},
    /* invalid UTF-8: every bad byte becomes \u00XX */
    {"\xff", 0, "\"\\u00ff\""},
    {"\xfe\xff", 0, "\"\\u00fe\\u00ff\""},
    {"\x80", 0, "\"\\u0080\""},
    {"\xbf", 0, "\"\\u00bf\""},
    {"\xc3\x28", 0, "\"\\u00c3(\""},
    {"\xc0\xaf", 0, "\"\\u00c0\\u00af\""},
    {"\xc1\xbf", 0, "\"\\u00c1\\u00bf\""},
    {"\xe0\x80\xaf", 0, "\"\\u00e0\\u0080\\u00af\""},
    {"\xe0\x9f\xbf", 0, "\"\\u00e0\\u009f\\u00bf\""},
    {"\xed\xa0\x80", 0, "\"\\u00ed\\u00a0\\u0080\""},
    {"\xed\xbf\xbf", 0, "\"\\u00ed\\u00bf\\u00bf\""},
    {"\xf0\x80\x80\xaf", 0, "\"\\u00f0\\u0080\\u0080\\u00af\""},
    {"\xf4\x90\x80\x80", 0, "\"\\u00f4\\u0090\\u0080\\u0080\""},
    {"\xf5\x80\x80\x80", 0, "\"\\u00f5\\u0080\\u0080\\u0080\""},
    {"\xe2\x82", 0, "\"\\u00e2\\u0082\""},
    {"x\xf0\x9f\x98", 0, "\"x\\u00f0\\u009f\\u0098\""},
    {"\xe2\x82\n", 0, "\"\\u00e2\\u0082\\n\""},
};

static void
check_escape(const char *in, size_t len, const char *want)
{
    struct pl_buf b;
    pl_buf_init(&b, 4096);
    cr_assert_eq(pl_json_escape(&b, pl_str_from(in, len)), 0);
    cr_expect_str_eq(b.data, want);
    pl_buf_done(&b);
}

Test(json, escape_table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(esc_cases); i++) {
        const struct esc_case *c = &esc_cases[i];
        check_escape(c->in, c->len ? c->len : strlen(c->in), c->out);
    }
}

/* Independent oracle: Unicode Table 3-7 well-formed byte sequences. Returns length or 0. */
static size_t
wellformed(const unsigned char *s, size_t n)
{
    static const struct {
        unsigned char lo[4], hi[4];
        size_t len;
    } rows[] = {
        {{0x00}, {0x7f}, 1},
        {{0xc2, 0x80}, {0xdf, 0xbf}, 2},
        {{0xe0, 0xa0, 0x80}, {0xe0, 0xbf, 0xbf}, 3},
        {{0xe1, 0x80, 0x80}, {0xec, 0xbf, 0xbf}, 3},
        {{0xed, 0x80, 0x80}, {0xed, 0x9f, 0xbf}, 3},
        {{0xee, 0x80, 0x80}, {0xef, 0xbf, 0xbf}, 3},
        {{0xf0, 0x90, 0x80, 0x80}, {0xf0, 0xbf, 0xbf, 0xbf}, 4},
        {{0xf1, 0x80, 0x80, 0x80}, {0xf3, 0xbf, 0xbf, 0xbf}, 4},
        {{0xf4, 0x80, 0x80, 0x80}, {0xf4, 0x8f, 0xbf, 0xbf}, 4},
    };
    for (size_t r = 0; r < PL_ARRAY_SIZE(rows); r++) {
        if (rows[r].len > n)
            continue;
        bool ok = true;
        for (size_t k = 0; k < rows[r].len && ok; k++)
            ok = s[k] >= rows[r].lo[k] && s[k] <= rows[r].hi[k];
        if (ok)
            return rows[r].len;
    }
    return 0;
}

static void
put_utf8(char *out, size_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (char)(0xc0 | cp >> 6);
        out[(*o)++] = (char)(0x80 | (cp & 63));
    } else {
        out[(*o)++] = (char)(0xe0 | cp >> 12);
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 63));
        out[(*o)++] = (char)(0x80 | (cp & 63));
    }
}

/*
 * Property over random bytes: the output is a single line of printable, well-formed UTF-8
 * with no raw C0/C1/DEL/U+2028/U+2029; decoding it as JSON gives the input with every
 * invalid byte b read as U+00b (a lossless rendering for valid UTF-8).
 */
Test(json, escape_random_bytes_property)
{
    uint64_t st = 0x243f6a8885a308d3u;
    for (int iter = 0; iter < 5000; iter++) {
        unsigned char in[64];
        size_t n = (size_t)(iter % 64);
        for (size_t i = 0; i < n; i++) {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            /* Bias towards the interesting bytes. */
            static const unsigned char pick[] = {'"',  '\\', '\n', 0,    0x7f, 0x80, 0x9f,
                                                 0xbf, 0xc2, 0xc3, 0xe2, 0xed, 0xf0, 0xf4,
                                                 0xff, 'a',  0xa8, 0xa9, 0x85, '/'};
            in[i] = (st & 1) ? pick[(st >> 8) % sizeof(pick)] : (unsigned char)(st >> 16);
        }
        struct pl_buf b;
        pl_buf_init(&b, 1 << 16);
        cr_assert_eq(pl_json_escape(&b, pl_str_from((const char *)in, n)), 0);
        const unsigned char *o = (const unsigned char *)b.data;
        cr_assert(b.len >= 2 && o[0] == '"' && o[b.len - 1] == '"');
        /* Expected decoding. */
        char want[64 * 3 + 1];
        size_t w = 0;
        for (size_t i = 0; i < n;) {
            size_t l = wellformed(in + i, n - i);
            if (l == 0) {
                put_utf8(want, &w, in[i]);
                i++;
            } else {
                memcpy(want + w, in + i, l);
                w += l;
                i += l;
            }
        }
        /* Decode the JSON string and check the raw-output invariants on the way. */
        char got[64 * 3 + 1];
        size_t g = 0;
        for (size_t i = 1; i + 1 < b.len;) {
            unsigned char c = o[i];
            cr_assert(c >= 0x20 && c != 0x7f, "raw control byte 0x%02x in output", c);
            cr_assert(c != '"', "unescaped quote");
            if (c == '\\') {
                unsigned char e = o[i + 1];
                if (e == 'u') {
                    char hex[5] = {(char)o[i + 2], (char)o[i + 3], (char)o[i + 4], (char)o[i + 5],
                                   0};
                    uint32_t cp = (uint32_t)strtoul(hex, NULL, 16);
                    put_utf8(got, &g, cp);
                    i += 6;
                } else {
                    const char *map = strchr("\"\"\\\\n\nr\rt\t", e);
                    cr_assert_not_null(map, "bad escape \\%c", e);
                    got[g++] = map[1];
                    i += 2;
                }
                continue;
            }
            size_t l = wellformed(o + i, b.len - 1 - i);
            cr_assert_gt(l, 0, "ill-formed UTF-8 in output");
            if (l == 2)
                cr_assert(!(o[i] == 0xc2 && o[i + 1] < 0xa0), "raw C1 control in output");
            if (l == 3)
                cr_assert(!(o[i] == 0xe2 && o[i + 1] == 0x80 && (o[i + 2] & 0xfe) == 0xa8),
                          "raw U+2028/2029 in output");
            memcpy(got + g, o + i, l);
            g += l;
            i += l;
        }
        cr_assert_eq(g, w, "decoded length, iteration %d", iter);
        cr_assert_eq(memcmp(got, want, w), 0, "decoded bytes, iteration %d", iter);
        pl_buf_done(&b);
    }
}

Test(json, nested_structure_and_commas)
{
    struct pl_buf b;
    struct pl_json j;
    pl_buf_init(&b, 4096);
    pl_json_init(&j, &b);
    pl_json_obj_begin(&j);
    pl_json_cstr(&j, "a", "x");
    pl_json_arr_begin(&j, "arr");
    pl_json_int(&j, NULL, 1);
    pl_json_int(&j, NULL, INT64_MIN);
    pl_json_obj_begin(&j);
    pl_json_bool(&j, "t", true);
    pl_json_bool(&j, "f", false);
    pl_json_obj_end(&j);
    pl_json_arr_begin(&j, NULL);
    pl_json_arr_end(&j);
    pl_json_obj_begin(&j);
    pl_json_obj_end(&j);
    pl_json_cstr(&j, NULL, NULL);
    pl_json_arr_end(&j);
    pl_json_obj_begin_key(&j, "o");
    pl_json_uint(&j, "u", UINT64_MAX);
    pl_json_obj_begin_key(&j, "inner");
    pl_json_obj_end(&j);
    pl_json_obj_end(&j);
    pl_json_double(&j, "d", 1.5, 2);
    pl_json_double(&j, "nan", 0.0 / 0.0, 1);
    pl_json_str(&j, "k\"ey", PL_STR("v\n"));
    pl_json_obj_end(&j);
    cr_expect_eq(pl_json_error(&j), 0);
    cr_expect_str_eq(b.data,
                     "{\"a\":\"x\",\"arr\":[1,-9223372036854775808,{\"t\":true,\"f\":false},"
                     "[],{},\"\"],\"o\":{\"u\":18446744073709551615,\"inner\":{}},"
                     "\"d\":1.50,\"nan\":0.0,\"k\\\"ey\":\"v\\n\"}");
    pl_buf_done(&b);
}

Test(json, empty_object)
{
    struct pl_buf b;
    struct pl_json j;
    pl_buf_init(&b, 64);
    pl_json_init(&j, &b);
    pl_json_obj_begin(&j);
    pl_json_obj_end(&j);
    cr_expect_eq(pl_json_error(&j), 0);
    cr_expect_str_eq(b.data, "{}");
    pl_buf_done(&b);
}

Test(json, depth_limit_is_an_error)
{
    struct pl_buf b;
    struct pl_json j;
    pl_buf_init(&b, 4096);
    pl_json_init(&j, &b);
    pl_json_obj_begin(&j);
    for (int i = 0; i < 14; i++)
        pl_json_arr_begin(&j, i == 0 ? "a" : NULL);
    cr_expect_eq(pl_json_error(&j), 0, "15 levels fit");
    pl_json_arr_begin(&j, NULL);
    cr_expect_eq(pl_json_error(&j), -E2BIG, "the 16th level is refused");
    pl_buf_done(&b);
}

Test(json, buffer_limit_is_sticky)
{
    struct pl_buf b;
    struct pl_json j;
    pl_buf_init(&b, 16);
    pl_json_init(&j, &b);
    pl_json_obj_begin(&j);
    pl_json_cstr(&j, "key", "a value that does not fit");
    cr_expect_eq(pl_json_error(&j), -E2BIG);
    pl_json_cstr(&j, "k", "v");
    pl_json_obj_end(&j);
    cr_expect_eq(pl_json_error(&j), -E2BIG, "first error is kept");
    cr_expect_leq(b.len, 16);
    pl_buf_done(&b);

    pl_buf_init(&b, 5);
    cr_expect_eq(pl_json_escape(&b, PL_STR("abcdef")), -E2BIG);
    pl_buf_done(&b);
}
