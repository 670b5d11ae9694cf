/*
 * Unit tests of policy/ratelimit: the limit boundary, the sliding window edge (an event at t
 * counts at t + 59, not at t + 60), key independence, unlimited, byte sums, LRU eviction,
 * clock and key edge cases, and a multithreaded check that check-and-record is atomic.
 */
#include <criterion/criterion.h>

#include <pthread.h>
#include <string.h>

#include "policy/ratelimit.h"

#define WIN 60
#define T0  1000000

Test(ratelimit, limit_boundary)
{
    struct pl_ratelimit *rl = pl_ratelimit_new(0);
    cr_assert_not_null(rl);
    struct pl_str k = PL_STR("example.com");

    for (int i = 1; i <= 60; i++)
        cr_assert(pl_ratelimit_check_and_record(rl, k, T0 + i / 10, WIN, 60), "request %d", i);
    cr_expect_not(pl_ratelimit_check_and_record(rl, k, T0 + 6, WIN, 60), "61st allowed");
    cr_expect_not(pl_ratelimit_check_and_record(rl, k, T0 + 7, WIN, 60), "62nd allowed");
    /* Refusals were not recorded. */
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 7, WIN), 60);
    /* A higher limit lets one more through. */
    cr_expect(pl_ratelimit_check_and_record(rl, k, T0 + 7, WIN, 61));
    cr_expect_not(pl_ratelimit_check_and_record(rl, k, T0 + 7, WIN, 61));
    pl_ratelimit_free(rl);
}

Test(ratelimit, window_expiry)
{
    struct pl_ratelimit *rl = pl_ratelimit_new(0);
    struct pl_str k = PL_STR("example.com");

    for (int i = 0; i < 3; i++)
        cr_assert(pl_ratelimit_check_and_record(rl, k, T0, WIN, 3));
    cr_expect_not(pl_ratelimit_check_and_record(rl, k, T0 + 59, WIN, 3), "t+59 not counted");
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 59, WIN), 3);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 60, WIN), 0);
    cr_expect(pl_ratelimit_check_and_record(rl, k, T0 + 60, WIN, 3), "t+60 still counted");
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 60, WIN), 1);
    pl_ratelimit_free(rl);
}

Test(ratelimit, sliding_not_fixed)
{
    /* Events spread over a minute leave the window one second at a time. */
    struct pl_ratelimit *rl = pl_ratelimit_new(0);
    struct pl_str k = PL_STR("k");
    for (int i = 0; i < 60; i++)
        cr_assert(pl_ratelimit_check_and_record(rl, k, T0 + i, WIN, 60));
    cr_expect_not(pl_ratelimit_check_and_record(rl, k, T0 + 59, WIN, 60));
    for (int i = 60; i < 200; i++) {
        cr_assert(pl_ratelimit_check_and_record(rl, k, T0 + i, WIN, 60), "second %d", i);
        cr_assert_not(pl_ratelimit_check_and_record(rl, k, T0 + i, WIN, 60), "second %d", i);
    }
    /* A long gap clears everything (stale buckets from many laps ago are ignored). */
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 100000, WIN), 0);
    pl_ratelimit_free(rl);
}

Test(ratelimit, shorter_windows)
{
    struct pl_ratelimit *rl = pl_ratelimit_new(0);
    struct pl_str k = PL_STR("k");
    pl_ratelimit_add(rl, k, T0, 1);
    pl_ratelimit_add(rl, k, T0 + 5, 10);
    pl_ratelimit_add(rl, k, T0 + 9, 100);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 9, 1), 100);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 9, 5), 110);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 9, 4), 100);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 9, 10), 111);
    /* Clamped to 1..60. */
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 9, 0), 100);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 9, -3), 100);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 59, 3600), 111);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 60, 3600), 110);
    pl_ratelimit_free(rl);
}

Test(ratelimit, keys_are_independent)
{
    struct pl_ratelimit *rl = pl_ratelimit_new(0);
    cr_assert(pl_ratelimit_check_and_record(rl, PL_STR("a.com"), T0, WIN, 1));
    cr_expect_not(pl_ratelimit_check_and_record(rl, PL_STR("a.com"), T0, WIN, 1));
    cr_expect(pl_ratelimit_check_and_record(rl, PL_STR("b.com"), T0, WIN, 1));
    cr_expect(pl_ratelimit_check_and_record(rl, PL_STR("a.co"), T0, WIN, 1));
    cr_expect(pl_ratelimit_check_and_record(rl, PL_STR("A.COM"), T0, WIN, 1), "keys are bytes");
    cr_expect(pl_ratelimit_check_and_record(rl, PL_STR(""), T0, WIN, 1));
    cr_expect_not(pl_ratelimit_check_and_record(rl, PL_STR(""), T0, WIN, 1));
    cr_expect_eq(pl_ratelimit_count(rl), 5);
    pl_ratelimit_free(rl);
}

Test(ratelimit, unlimited_stores_nothing)
{
    struct pl_ratelimit *rl = pl_ratelimit_new(0);
    for (int i = 0; i < 1000; i++)
        cr_assert(pl_ratelimit_check_and_record(rl, PL_STR("x"), T0, WIN, 0));
    cr_expect_eq(pl_ratelimit_count(rl), 0);
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("x"), T0, WIN), 0);
    pl_ratelimit_free(rl);
}

Test(ratelimit, add_and_sum)
{
    struct pl_ratelimit *rl = pl_ratelimit_new(0);
    struct pl_str k = PL_STR("data.example");
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0, WIN), 0);
    cr_expect_eq(pl_ratelimit_count(rl), 0, "sum created a key");
    pl_ratelimit_add(rl, k, T0, 0);
    cr_expect_eq(pl_ratelimit_count(rl), 0, "add 0 created a key");
    pl_ratelimit_add(rl, k, T0, 1000);
    pl_ratelimit_add(rl, k, T0, 500);
    pl_ratelimit_add(rl, k, T0 + 30, 250);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 30, WIN), 1750);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 59, WIN), 1750);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 60, WIN), 250);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 89, WIN), 250);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 90, WIN), 0);
    /* Saturation. */
    pl_ratelimit_add(rl, k, T0 + 100, UINT64_MAX - 1);
    pl_ratelimit_add(rl, k, T0 + 100, 5);
    pl_ratelimit_add(rl, k, T0 + 101, 5);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 101, WIN), UINT64_MAX);
    /* Budget use: block once the sum reaches the limit. */
    cr_expect_not(pl_ratelimit_check_and_record(rl, k, T0 + 101, WIN, UINT64_MAX));
    pl_ratelimit_free(rl);
}

Test(ratelimit, time_going_backwards)
{
    struct pl_ratelimit *rl = pl_ratelimit_new(0);
    struct pl_str k = PL_STR("k");
    pl_ratelimit_add(rl, k, T0 + 100, 7);
    /* An older now is taken as the newest second seen: nothing is lost or overwritten. */
    pl_ratelimit_add(rl, k, T0 + 40, 3);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 40, WIN), 10);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 159, WIN), 10);
    cr_expect_eq(pl_ratelimit_sum(rl, k, T0 + 160, WIN), 0);
    /* Extreme and negative clocks do not overflow. */
    pl_ratelimit_add(rl, PL_STR("neg"), -5, 1);
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("neg"), -5, WIN), 1);
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("neg"), 54, WIN), 1);
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("neg"), 55, WIN), 0);
    pl_ratelimit_add(rl, PL_STR("max"), INT64_MAX, 1);
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("max"), INT64_MAX, WIN), 1);
    pl_ratelimit_add(rl, PL_STR("min"), INT64_MIN, 1);
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("min"), INT64_MIN, WIN), 1);
    pl_ratelimit_free(rl);
}

Test(ratelimit, long_keys_keep_their_end)
{
    struct pl_ratelimit *rl = pl_ratelimit_new(0);
    char a[400], b[400];
    memset(a, 'a', sizeof(a));
    memset(b, 'b', sizeof(b));
    memcpy(a + sizeof(a) - 12, ".example.com", 12);
    memcpy(b + sizeof(b) - 12, ".example.com", 12);
    memset(b + 100, 'a', sizeof(b) - 100 - 12); /* same last 253+ bytes as a */
    cr_assert(pl_ratelimit_check_and_record(rl, pl_str_from(a, sizeof(a)), T0, WIN, 1));
    cr_expect_not(pl_ratelimit_check_and_record(rl, pl_str_from(b, sizeof(b)), T0, WIN, 1));
    cr_expect(pl_ratelimit_check_and_record(rl, pl_str_from(a, 253), T0, WIN, 1));
    pl_ratelimit_free(rl);
}

Test(ratelimit, lru_eviction)
{
    /* Three keys fit one shard (capacities below 32 use a single shard). */
    struct pl_ratelimit *rl = pl_ratelimit_new(3);
    cr_assert_not_null(rl);
    cr_assert(pl_ratelimit_check_and_record(rl, PL_STR("a"), T0, WIN, 1));
    cr_assert(pl_ratelimit_check_and_record(rl, PL_STR("b"), T0, WIN, 1));
    cr_assert(pl_ratelimit_check_and_record(rl, PL_STR("c"), T0, WIN, 1));
    cr_expect_eq(pl_ratelimit_count(rl), 3);
    /* Touch "a" (a refused check is a use too), so "b" is now least recently used. */
    cr_expect_not(pl_ratelimit_check_and_record(rl, PL_STR("a"), T0 + 1, WIN, 1));
    cr_assert(pl_ratelimit_check_and_record(rl, PL_STR("d"), T0 + 2, WIN, 1));
    cr_expect_eq(pl_ratelimit_count(rl), 3);
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("b"), T0 + 2, WIN), 0, "b not evicted");
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("a"), T0 + 2, WIN), 1);
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("c"), T0 + 2, WIN), 1);
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("d"), T0 + 2, WIN), 1);
    /* The evicted key starts over: more permissive, never stricter. */
    cr_expect(pl_ratelimit_check_and_record(rl, PL_STR("b"), T0 + 3, WIN, 1));
    /* That evicted "a" (LRU after the sums above touched a, c, d in that order). */
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("a"), T0 + 3, WIN), 0);
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("c"), T0 + 3, WIN), 1);
    cr_expect_eq(pl_ratelimit_count(rl), 3);
    pl_ratelimit_free(rl);
}

Test(ratelimit, capacity_is_never_exceeded)
{
    static const size_t caps[] = {1, 2, 31, 32, 100, 1000, 1023};
    for (size_t c = 0; c < PL_ARRAY_SIZE(caps); c++) {
        struct pl_ratelimit *rl = pl_ratelimit_new(caps[c]);
        cr_assert_not_null(rl);
        for (int i = 0; i < 5000; i++) {
            char key[32];
            int n = snprintf(key, sizeof(key), "host%d.example", i);
            cr_assert(pl_ratelimit_check_and_record(rl, pl_str_from(key, (size_t)n), T0, WIN, 1));
        }
        size_t held = pl_ratelimit_count(rl);
        cr_expect(held >= 1 && held <= caps[c], "max_keys %zu holds %zu", caps[c], held);
        /* The most recent key always survives. */
        cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("host4999.example"), T0, WIN), 1);
        pl_ratelimit_free(rl);
    }
    pl_ratelimit_free(NULL);
}

/* ---- threads ---------------------------------------------------------------------- */

#define THREADS      4
#define PER_THREAD   10000
#define SHARED_LIMIT 1000

struct worker {
    struct pl_ratelimit *rl;
    int id;
    unsigned allowed;
};

static void *
hammer(void *arg)
{
    struct worker *w = arg;
    char other[16];
    int n = snprintf(other, sizeof(other), "own%d", w->id);
    for (int i = 0; i < PER_THREAD; i++) {
        w->allowed +=
            pl_ratelimit_check_and_record(w->rl, PL_STR("shared.example"), T0, WIN, SHARED_LIMIT);
        /* Traffic on other keys, some in the same shard, meanwhile. */
        pl_ratelimit_add(w->rl, pl_str_from(other, (size_t)n), T0, 1);
    }
    return NULL;
}

Test(ratelimit, threads_exact_limit)
{
    struct pl_ratelimit *rl = pl_ratelimit_new(0);
    pthread_t t[THREADS];
    struct worker w[THREADS];
    unsigned total = 0;

    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){rl, i, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        total += w[i].allowed;
    }
    cr_expect_eq(total, SHARED_LIMIT);
    cr_expect_eq(pl_ratelimit_sum(rl, PL_STR("shared.example"), T0, WIN), SHARED_LIMIT);
    for (int i = 0; i < THREADS; i++) {
        char other[16];
        int n = snprintf(other, sizeof(other), "own%d", i);
        cr_expect_eq(pl_ratelimit_sum(rl, pl_str_from(other, (size_t)n), T0, WIN), PER_THREAD);
    }
    pl_ratelimit_free(rl);
}
