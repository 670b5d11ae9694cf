/* Unit tests of util/arena. */
#include <criterion/criterion.h>

#include <string.h>

#include "util/arena.h"

Test(arena, alloc_aligned_and_disjoint)
{
    struct pl_arena a;
    pl_arena_init(&a, 256, 0);
    char *prev = NULL;
    size_t prev_n = 0;
    for (size_t n = 0; n < 600; n += 7) {
        char *p = pl_arena_alloc(&a, n);
        cr_assert_not_null(p);
        cr_expect_eq((uintptr_t)p % 16, 0, "alignment of %zu-byte allocation", n);
        memset(p, (int)(n & 0xff), n);
        if (prev && prev_n)
            cr_expect(p >= prev + prev_n || p + n <= prev, "overlap");
        prev = p;
        prev_n = n;
    }
    pl_arena_done(&a);
    cr_expect_null(a.head);
    cr_expect_eq(a.total, 0);
}

Test(arena, contents_survive_later_allocations)
{
    struct pl_arena a;
    pl_arena_init(&a, 64, 0);
    char *p[100];
    for (int i = 0; i < 100; i++) {
        p[i] = pl_arena_alloc(&a, 40);
        cr_assert_not_null(p[i]);
        memset(p[i], i, 40);
    }
    /* One allocation larger than the block size gets its own block. */
    char *big = pl_arena_alloc(&a, 10000);
    cr_assert_not_null(big);
    memset(big, 0xee, 10000);
    for (int i = 0; i < 100; i++)
        for (int k = 0; k < 40; k++)
            cr_assert_eq((unsigned char)p[i][k], (unsigned char)i, "block %d byte %d", i, k);
    pl_arena_done(&a);
}

Test(arena, maximum)
{
    struct pl_arena a;
    pl_arena_init(&a, 128, 64);
    cr_assert_not_null(pl_arena_alloc(&a, 32));
    cr_assert_not_null(pl_arena_alloc(&a, 17)); /* rounds to 32: total 64 = max */
    cr_expect_eq(a.total, 64);
    cr_expect_null(pl_arena_alloc(&a, 1));
    cr_expect_eq(a.total, 64);
    pl_arena_done(&a);
    /* Reusable after done, with the same maximum. */
    cr_expect_not_null(pl_arena_alloc(&a, 64));
    cr_expect_null(pl_arena_alloc(&a, 1));
    pl_arena_done(&a);
    pl_arena_init(&a, 0, 100);
    cr_expect_null(pl_arena_alloc(&a, 101));
    cr_expect_eq(a.total, 0);
    pl_arena_done(&a);
}

Test(arena, huge_sizes_fail_instead_of_wrapping)
{
    struct pl_arena a;
    pl_arena_init(&a, 0, 0);
    cr_expect_null(pl_arena_alloc(&a, SIZE_MAX));
    cr_expect_null(pl_arena_alloc(&a, SIZE_MAX - 15));
    cr_expect_eq(a.total, 0);
    pl_arena_done(&a);
}

Test(arena, strdup)
{
    struct pl_arena a;
    pl_arena_init(&a, 0, 0);
    char *s = pl_arena_strdup(&a, pl_str_from("hello world", 5));
    cr_assert_not_null(s);
    cr_expect_str_eq(s, "hello");
    char *e = pl_arena_strdup(&a, PL_STR_NULL);
    cr_assert_not_null(e);
    cr_expect_str_eq(e, "");
    char *z = pl_arena_strdup(&a, pl_str_from("a\0b", 3));
    cr_assert_not_null(z);
    cr_expect_eq(memcmp(z, "a\0b", 4), 0);
    cr_expect_str_eq(s, "hello");
    pl_arena_done(&a);
    pl_arena_init(&a, 0, 8);
    cr_expect_null(pl_arena_strdup(&a, PL_STR("this is longer than eight")));
    pl_arena_done(&a);
}
