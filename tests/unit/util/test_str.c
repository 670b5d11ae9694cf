/* Unit tests of util/str: slices, case-insensitive compares, integer parsing, consttime. */
#include <criterion/criterion.h>

#include <string.h>

#include "util/str.h"

struct u64_case {
    const char *in;
    uint64_t max;
    int want;
    uint64_t val;
};

static const struct u64_case u64_cases[] = {
    {"0", UINT64_MAX, 0, 0},
    {"7", UINT64_MAX, 0, 7},
    {"007", UINT64_MAX, 0, 7},
    {"000000000000000000000000000000001", UINT64_MAX, 0, 1},
    {"18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
    {"18446744073709551616", UINT64_MAX, -ERANGE, 0},
    {"18446744073709551620", UINT64_MAX, -ERANGE, 0},
    {"99999999999999999999", UINT64_MAX, -ERANGE, 0},
    {"184467440737095516150", UINT64_MAX, -ERANGE, 0},
    {"255", 255, 0, 255},
    {"256", 255, -ERANGE, 0},
    {"0255", 255, 0, 255},
    {"1000", 255, -ERANGE, 0},
    /* max below 9: a single digit above max must still be refused */
    {"5", 5, 0, 5},
    {"7", 5, -ERANGE, 0},
    {"9", 5, -ERANGE, 0},
    {"0", 0, 0, 0},
    {"1", 0, -ERANGE, 0},
    {"00", 0, 0, 0},
    {"9", 9, 0, 9},
    {"10", 9, -ERANGE, 0},
    {"10", 10, 0, 10},
    {"11", 10, -ERANGE, 0},
    {"65535", 65535, 0, 65535},
    {"65536", 65535, -ERANGE, 0},
    {"9223372036854775807", INT64_MAX, 0, INT64_MAX},
    {"9223372036854775808", INT64_MAX, -ERANGE, 0},
    /* syntax */
    {"", UINT64_MAX, -EINVAL, 0},
    {"-1", UINT64_MAX, -EINVAL, 0},
    {"+1", UINT64_MAX, -EINVAL, 0},
    {" 1", UINT64_MAX, -EINVAL, 0},
    {"1 ", UINT64_MAX, -EINVAL, 0},
    {"12a", UINT64_MAX, -EINVAL, 0},
    {"0x10", UINT64_MAX, -EINVAL, 0},
    {"1.5", UINT64_MAX, -EINVAL, 0},
    {"/", UINT64_MAX, -EINVAL, 0},
    {":", UINT64_MAX, -EINVAL, 0},
    {"\xd9\xa1", UINT64_MAX, -EINVAL, 0},
};

Test(str, to_u64_table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(u64_cases); i++) {
        const struct u64_case *c = &u64_cases[i];
        uint64_t v = 0xdeadbeef;
        int r = pl_str_to_u64(pl_str_c(c->in), c->max, &v);
        cr_expect_eq(r, c->want, "to_u64(\"%s\", %llu) = %d", c->in, (unsigned long long)c->max, r);
        if (c->want == 0)
            cr_expect_eq(v, c->val, "to_u64(\"%s\") value %llu", c->in, (unsigned long long)v);
        else
            cr_expect_eq(v, 0xdeadbeef, "to_u64(\"%s\") touched output", c->in);
    }
}

Test(str, to_u64_every_small_max)
{
    /* Exhaustive over small limits: value accepted iff value <= max. */
    for (uint64_t max = 0; max < 300; max++) {
        for (uint64_t v = 0; v < 300; v++) {
            char buf[8];
            int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
            uint64_t got = 0;
            int r = pl_str_to_u64(pl_str_from(buf, (size_t)n), max, &got);
            if (v <= max) {
                cr_assert_eq(r, 0, "%llu <= %llu", (unsigned long long)v, (unsigned long long)max);
                cr_assert_eq(got, v);
            } else {
                cr_assert_eq(r, -ERANGE, "%llu > %llu", (unsigned long long)v,
                             (unsigned long long)max);
            }
        }
    }
}

Test(str, to_u64_does_not_read_past_len)
{
    uint64_t v;
    cr_expect_eq(pl_str_to_u64(pl_str_from("123x", 3), UINT64_MAX, &v), 0);
    cr_expect_eq(v, 123);
}

struct ci_case {
    const char *a, *b;
    bool want;
};

static const struct ci_case ci_cases[] = {
    {"", "", true},
    {"abc", "abc", true},
    {"ABC", "abc", true},
    {"Content-Length", "content-length", true},
    {"abc", "abd", false},
    {"abc", "ab", false},
    {"ab", "abc", false},
    {"@", "`", false}, /* 0x40 vs 0x60: only letters fold */
    {"[", "{", false}, /* 0x5b vs 0x7b */
    {"^", "~", false}, /* 0x5e vs 0x7e */
    {"Z", "z", true},
    {"A", "a", true},
    {"\xc3\x89", "\xc3\xa9", false}, /* É vs é: ASCII-only folding */
    {"\xc9", "\xe9", false},
};

Test(str, eq_ci_table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(ci_cases); i++) {
        const struct ci_case *c = &ci_cases[i];
        cr_expect_eq(pl_str_eq_ci(pl_str_c(c->a), pl_str_c(c->b)), c->want, "eq_ci(%s, %s)", c->a,
                     c->b);
        cr_expect_eq(pl_str_eq_ci_c(pl_str_c(c->a), c->b), c->want, "eq_ci_c(%s, %s)", c->a, c->b);
        cr_expect_eq(pl_str_eq_ci(pl_str_c(c->b), pl_str_c(c->a)), c->want, "symmetric");
    }
    /* Embedded NUL and length-bounded slices. */
    cr_expect(pl_str_eq_ci(pl_str_from("a\0b", 3), pl_str_from("A\0B", 3)));
    cr_expect_not(pl_str_eq_ci(pl_str_from("a\0b", 3), pl_str_from("A\0C", 3)));
    cr_expect(pl_str_eq_ci(pl_str_from("abX", 2), pl_str_from("ABY", 2)));
}

Test(str, eq)
{
    cr_expect(pl_str_eq(PL_STR("abc"), PL_STR("abc")));
    cr_expect_not(pl_str_eq(PL_STR("abc"), PL_STR("ABC")));
    cr_expect_not(pl_str_eq(PL_STR("abc"), PL_STR("abcd")));
    cr_expect(pl_str_eq(PL_STR_NULL, PL_STR("")));
    cr_expect_eq(pl_str_c(NULL).len, 0);
    cr_expect_eq(pl_str_c("abc").len, 3);
}

Test(str, prefix_suffix_ci)
{
    cr_expect(pl_str_has_prefix_ci(PL_STR("HTTP/1.1"), "http/"));
    cr_expect(pl_str_has_prefix_ci(PL_STR("abc"), ""));
    cr_expect(pl_str_has_prefix_ci(PL_STR("abc"), "ABC"));
    cr_expect_not(pl_str_has_prefix_ci(PL_STR("ab"), "abc"));
    cr_expect_not(pl_str_has_prefix_ci(PL_STR("xabc"), "abc"));
    cr_expect(pl_str_has_suffix_ci(PL_STR("www.Example.COM"), ".example.com"));
    cr_expect(pl_str_has_suffix_ci(PL_STR("abc"), ""));
    cr_expect_not(pl_str_has_suffix_ci(PL_STR("om"), ".com"));
    cr_expect_not(pl_str_has_suffix_ci(PL_STR("example.con"), ".com"));
    cr_expect_not(pl_str_has_suffix_ci(PL_STR(""), "a"));
}

Test(str, trim_ows)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},       {"a", "a"},  {" a", "a"},        {"a ", "a"},      {" \t a b \t ", "a b"},
        {"\t\t", ""},   {"   ", ""}, {"\na\n", "\na\n"}, {"\r a", "\r a"}, {" a\r", "a\r"},
        {"\va", "\va"},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        struct pl_str in = pl_str_c(cases[i].in);
        struct pl_str t = pl_str_trim_ows(in);
        cr_expect(pl_str_eq(t, pl_str_c(cases[i].out)), "trim(\"%s\") = \"%.*s\"", cases[i].in,
                  (int)t.len, t.p);
        /* The result is a sub-slice of the input. */
        cr_expect(t.len == 0 || (t.p >= in.p && t.p + t.len <= in.p + in.len));
    }
}

Test(str, dup)
{
    char *d = pl_str_dup(pl_str_from("abcdef", 3));
    cr_assert_not_null(d);
    cr_expect_str_eq(d, "abc");
    free(d);
    d = pl_str_dup(PL_STR_NULL);
    cr_assert_not_null(d);
    cr_expect_str_eq(d, "");
    free(d);
    d = pl_str_dup(pl_str_from("a\0b", 3));
    cr_assert_not_null(d);
    cr_expect_eq(memcmp(d, "a\0b", 4), 0);
    free(d);
}

Test(str, eq_consttime)
{
    static const struct {
        const char *a;
        size_t alen;
        const char *b;
        size_t blen;
        bool want;
    } cases[] = {
        {"", 0, "", 0, true},
        {"secret", 6, "secret", 6, true},
        {"secret", 6, "secreT", 6, false},
        {"secret", 6, "Secret", 6, false},
        {"secret", 6, "secre", 5, false},
        {"secre", 5, "secret", 6, false},
        {"", 0, "a", 1, false},
        {"a", 1, "", 0, false},
        /* a shorter string is not equal to a longer one padded with NULs */
        {"ab", 2, "ab\0", 3, false},
        {"a\0c", 3, "a\0c", 3, true},
        {"a\0c", 3, "a\0d", 3, false},
        {"\x80", 1, "\x00", 1, false},
        {"\x01", 1, "\x81", 1, false},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        struct pl_str a = pl_str_from(cases[i].a, cases[i].alen);
        struct pl_str b = pl_str_from(cases[i].b, cases[i].blen);
        cr_expect_eq(pl_str_eq_consttime(a, b), cases[i].want, "case %zu", i);
        cr_expect_eq(pl_str_eq_consttime(b, a), cases[i].want, "case %zu reversed", i);
        cr_expect_eq(pl_str_eq_consttime(a, b), pl_str_eq(a, b), "agrees with eq, case %zu", i);
    }
    /* Every single-bit difference at every position is seen. */
    char x[32], y[32];
    memset(x, 'k', sizeof(x));
    for (size_t pos = 0; pos < sizeof(x); pos++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(y, x, sizeof(x));
            y[pos] = (char)(y[pos] ^ (1 << bit));
            cr_assert_not(pl_str_eq_consttime(pl_str_from(x, 32), pl_str_from(y, 32)),
                          "pos %zu bit %d", pos, bit);
        }
    }
}

Test(str, snprintf_bounded)
{
    char buf[8];
    cr_expect_eq(pl_snprintf(buf, sizeof(buf), "%s", "abc"), 3);
    cr_expect_str_eq(buf, "abc");
    cr_expect_eq(pl_snprintf(buf, sizeof(buf), "%s", "1234567"), 7);
    cr_expect_str_eq(buf, "1234567");
    memset(buf, 'X', sizeof(buf));
    cr_expect_eq(pl_snprintf(buf, sizeof(buf), "%s", "12345678"), -E2BIG);
    cr_expect_eq(buf[7], '\0');
    cr_expect_str_eq(buf, "1234567");
    cr_expect_eq(pl_snprintf(buf, 0, "%d", 1), -E2BIG);
}
