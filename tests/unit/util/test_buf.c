/* Unit tests of util/buf: growth, hard maximum, unchanged on failure. */
#include <criterion/criterion.h>

#include <string.h>

#include "util/buf.h"

Test(buf, empty)
{
    struct pl_buf b;
    pl_buf_init(&b, 16);
    struct pl_str s = pl_buf_str(&b);
    cr_expect_eq(s.len, 0);
    cr_expect_not_null(s.p);
    cr_expect_str_eq(s.p, "");
    pl_buf_reset(&b);
    pl_buf_done(&b);
    pl_buf_done(&b);
    pl_buf_done(NULL);
}

Test(buf, append_and_terminate)
{
    struct pl_buf b;
    pl_buf_init(&b, 1024);
    cr_assert_eq(pl_buf_add(&b, "ab", 2), 0);
    cr_assert_eq(pl_buf_add_c(&b, "cd"), 0);
    cr_assert_eq(pl_buf_add_ch(&b, 'e'), 0);
    cr_assert_eq(pl_buf_add_str(&b, PL_STR("fg")), 0);
    cr_assert_eq(pl_buf_printf(&b, "%d-%s", 42, "x"), 0);
    cr_assert_eq(pl_buf_add(&b, NULL, 0), 0);
    cr_expect_eq(b.len, 11);
    cr_expect_str_eq(b.data, "abcdefg42-x");
    cr_expect(pl_str_eq(pl_buf_str(&b), PL_STR("abcdefg42-x")));
    pl_buf_reset(&b);
    cr_expect_eq(b.len, 0);
    cr_expect_str_eq(b.data, "");
    cr_assert_eq(pl_buf_add_c(&b, "z"), 0);
    cr_expect_str_eq(b.data, "z");
    pl_buf_done(&b);
    cr_expect_null(b.data);
    cr_expect_eq(b.len, 0);
}

Test(buf, grows_past_initial_capacity)
{
    struct pl_buf b;
    pl_buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        cr_assert_eq(pl_buf_add_ch(&b, (char)('a' + i % 26)), 0);
    cr_expect_eq(b.len, 10000);
    cr_expect_geq(b.cap, 10001);
    cr_expect_eq(b.data[10000], '\0');
    for (int i = 0; i < 10000; i++)
        cr_assert_eq(b.data[i], (char)('a' + i % 26), "byte %d", i);
    pl_buf_done(&b);
}

static void
expect_unchanged(const struct pl_buf *b, const char *want)
{
    cr_expect_eq(b->len, strlen(want));
    cr_expect_str_eq(b->data, want);
}

Test(buf, hard_maximum)
{
    struct pl_buf b;
    pl_buf_init(&b, 10);
    cr_assert_eq(pl_buf_add(&b, "0123456789", 10), 0); /* exactly max: fine */
    expect_unchanged(&b, "0123456789");
    cr_expect_eq(pl_buf_add_ch(&b, 'x'), -E2BIG);
    expect_unchanged(&b, "0123456789");
    cr_expect_eq(pl_buf_add(&b, "xy", 2), -E2BIG);
    expect_unchanged(&b, "0123456789");
    cr_expect_eq(pl_buf_printf(&b, "%s", "x"), -E2BIG);
    expect_unchanged(&b, "0123456789");
    cr_expect_eq(pl_buf_add(&b, "", 0), 0);
    expect_unchanged(&b, "0123456789");
    pl_buf_done(&b);

    /* A failed append in the middle leaves the earlier content. */
    pl_buf_init(&b, 10);
    cr_assert_eq(pl_buf_add_c(&b, "abc"), 0);
    cr_expect_eq(pl_buf_add_c(&b, "12345678"), -E2BIG);
    expect_unchanged(&b, "abc");
    cr_expect_eq(pl_buf_add_c(&b, "1234567"), 0);
    expect_unchanged(&b, "abc1234567");
    pl_buf_done(&b);

    /* Sizes that would wrap the arithmetic are refused, not wrapped. */
    pl_buf_init(&b, SIZE_MAX);
    cr_assert_eq(pl_buf_add_c(&b, "abc"), 0);
    cr_expect_eq(pl_buf_add(&b, "x", SIZE_MAX), -E2BIG);
    cr_expect_eq(pl_buf_add(&b, "x", SIZE_MAX - 2), -E2BIG);
    expect_unchanged(&b, "abc");
    pl_buf_done(&b);

    pl_buf_init(&b, 0);
    cr_expect_eq(pl_buf_add_ch(&b, 'x'), -E2BIG);
    cr_expect_eq(b.len, 0);
    pl_buf_done(&b);
}

Test(buf, printf_long_path_and_limit)
{
    /* Output longer than printf's 256-byte stack buffer takes the second path. */
    char big[1000];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    struct pl_buf b;
    pl_buf_init(&b, 1500);
    cr_assert_eq(pl_buf_add_c(&b, "<"), 0);
    cr_assert_eq(pl_buf_printf(&b, "%s>", big), 0);
    cr_expect_eq(b.len, 1001);
    cr_expect_eq(b.data[0], '<');
    cr_expect_eq(b.data[999], 'q');
    cr_expect_eq(b.data[1000], '>');
    cr_expect_eq(b.data[1001], '\0');
    /* The long path honours the maximum and leaves the buffer unchanged. */
    cr_expect_eq(pl_buf_printf(&b, "%s", big), -E2BIG);
    cr_expect_eq(b.len, 1001);
    cr_expect_eq(b.data[1001], '\0');
    pl_buf_done(&b);
}

Test(buf, append_from_itself)
{
    /* The source may live in the buffer being appended to, across a reallocation. */
    struct pl_buf b;
    pl_buf_init(&b, 1 << 20);
    cr_assert_eq(pl_buf_add_c(&b, "abcdefgh"), 0);
    for (int i = 0; i < 12; i++)
        cr_assert_eq(pl_buf_add(&b, b.data, b.len), 0);
    cr_expect_eq(b.len, 8u << 12);
    for (size_t i = 0; i < b.len; i++)
        cr_assert_eq(b.data[i], "abcdefgh"[i % 8], "byte %zu", i);
    pl_buf_done(&b);
}
