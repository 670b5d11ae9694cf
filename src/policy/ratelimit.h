/*
 * Per-key sliding-window counters shared by all worker threads: the per-base-domain request
 * rate limit (check-and-record one event) and the per-domain data budget (add byte counts,
 * query their sum).
 *
 * Each key keeps a ring of PL_RATELIMIT_MAX_WINDOW one-second buckets, so memory per key is
 * fixed (about 1.3 KiB) however many events it sees, and time advances without per-event
 * storage. An event recorded at second t counts while now - t < window_sec: with a 60 s
 * window, an event at t is still counted at t + 59 and no longer at t + 60.
 *
 * The caller passes the time (monotonic seconds), which keeps tests deterministic. Per key,
 * time never runs backwards: a now_sec older than the newest second recorded for that key
 * is taken as that second (threads that read the clock before waiting for a lock may arrive
 * out of order; the events then count slightly longer, never shorter).
 *
 * Keys are sharded by a seeded hash over 64 mutex-protected shards (fewer for small
 * capacities), so threads contend only when their keys share a shard. All functions are
 * thread-safe once pl_ratelimit_new() has returned.
 */
#ifndef PL_POLICY_RATELIMIT_H
#define PL_POLICY_RATELIMIT_H

#include "util/str.h"

/* Longest window, in seconds (the bucket ring size). Longer windows are clamped to it. */
#define PL_RATELIMIT_MAX_WINDOW 60
/* Longest key stored; longer keys keep their last PL_RATELIMIT_KEY_MAX bytes. */
#define PL_RATELIMIT_KEY_MAX 253
/* Capacity used when pl_ratelimit_new() is given 0. */
#define PL_RATELIMIT_DEFAULT_KEYS 100000

struct pl_ratelimit;

/*
 * New limiter holding at most max_keys keys (0 = PL_RATELIMIT_DEFAULT_KEYS). The capacity
 * is split evenly over the shards (a power of two, at most 64, with at least 16 keys each
 * when max_keys allows), rounding down, so at most max_keys keys are ever held and at least
 * one per shard. When a key must be added to a full shard, the shard's least recently used
 * key is evicted and its history forgotten: eviction can only make the limiter more
 * permissive, and only for a key that was idle longer than every other key of its shard.
 * Returns NULL on allocation failure. Free with pl_ratelimit_free().
 */
struct pl_ratelimit *pl_ratelimit_new(size_t max_keys);

/* Free the limiter and every key. Accepts NULL. No other thread may still be using it. */
void pl_ratelimit_free(struct pl_ratelimit *rl);

/*
 * Rate-limit check, atomic per key: if the events recorded for key in the last window_sec
 * seconds (clamped to 1..PL_RATELIMIT_MAX_WINDOW) number limit or more, return false and
 * record nothing; otherwise record one event at now_sec and return true. limit 0 means
 * unlimited: true, and nothing is stored. If memory for a new key cannot be allocated, the
 * answer is false (fail closed). Borrows key for the call only.
 */
bool pl_ratelimit_check_and_record(struct pl_ratelimit *rl, struct pl_str key, int64_t now_sec,
                                   int window_sec, uint64_t limit);

/*
 * Add amount (e.g. bytes transferred) to key's bucket for now_sec; the total saturates at
 * UINT64_MAX. amount 0 stores nothing. If memory for a new key cannot be allocated, the
 * amount is dropped. Borrows key for the call only.
 */
void pl_ratelimit_add(struct pl_ratelimit *rl, struct pl_str key, int64_t now_sec, uint64_t amount);

/*
 * Sum of what was recorded for key (events or amounts) in the last window_sec seconds
 * (clamped to 1..PL_RATELIMIT_MAX_WINDOW), saturating at UINT64_MAX; 0 for an unknown key.
 * Borrows key for the call only.
 */
uint64_t pl_ratelimit_sum(struct pl_ratelimit *rl, struct pl_str key, int64_t now_sec,
                          int window_sec);

/* Number of keys currently held (for tests and metrics; a snapshot under concurrency). */
size_t pl_ratelimit_count(struct pl_ratelimit *rl);

#endif
