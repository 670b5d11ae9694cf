/*
 * Sharded sliding-window counters. A shard is a mutex, a chained hash table of fixed size
 * (a power of two >= the shard's capacity) and an LRU list of its entries, most recently
 * used first. Entries are allocated on first use and recycled on eviction, so a full
 * limiter allocates nothing more.
 */
#include "policy/ratelimit.h"

#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define MAX_SHARDS         64
#define MIN_KEYS_PER_SHARD 16
#define RING               PL_RATELIMIT_MAX_WINDOW

struct bucket {
    int64_t sec; /* the second this bucket counts; stale when outside the window */
    uint64_t n;
};

struct entry {
    struct entry *chain;               /* next in the hash chain */
    struct entry *lru_prev, *lru_next; /* LRU list, most recent at the head */
    uint64_t hash;
    int64_t latest; /* newest second recorded */
    struct bucket ring[RING];
    size_t key_len;
    char key[PL_RATELIMIT_KEY_MAX];
};

struct shard {
    pthread_mutex_t mu;
    struct entry **table; /* owned; nslots chains */
    size_t nslots;        /* power of two */
    struct entry *lru_head, *lru_tail;
    size_t count, cap;
};

struct pl_ratelimit {
    uint64_t seed;
    size_t nshards; /* power of two */
    struct shard shards[];
};

/* ---- hashing ---------------------------------------------------------------------- */

static uint64_t
random_seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
        /* No entropy yet (early boot): hash flooding only costs time, bounded per shard. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^ (uint64_t)(uintptr_t)&s;
    }
    return s;
}

/* Seeded FNV-1a with a final avalanche (splitmix64), so shard and slot bits both mix. */
static uint64_t
hash_key(uint64_t seed, struct pl_str key)
{
    uint64_t h = 0xcbf29ce484222325u ^ seed;
    for (size_t i = 0; i < key.len; i++) {
        h ^= (unsigned char)key.p[i];
        h *= 0x100000001b3u;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    h ^= h >> 31;
    return h;
}

/* ---- lifecycle -------------------------------------------------------------------- */

static size_t
pow2_floor(size_t n)
{
    size_t p = 1;
    while (p <= n / 2)
        p *= 2;
    return p;
}

struct pl_ratelimit *
pl_ratelimit_new(size_t max_keys)
{
    if (max_keys == 0)
        max_keys = PL_RATELIMIT_DEFAULT_KEYS;
    size_t nshards = PL_MIN(pow2_floor(PL_MAX(max_keys / MIN_KEYS_PER_SHARD, 1)), MAX_SHARDS);
    size_t cap = max_keys / nshards;
    size_t nslots = pow2_floor(cap);
    if (nslots < cap)
        nslots *= 2;

    struct pl_ratelimit *rl = calloc(1, sizeof(*rl) + nshards * sizeof(rl->shards[0]));
    if (!rl)
        return NULL;
    rl->seed = random_seed();
    for (size_t i = 0; i < nshards; i++) {
        struct shard *s = &rl->shards[i];
        s->table = calloc(nslots, sizeof(*s->table));
        if (!s->table || pthread_mutex_init(&s->mu, NULL) != 0) {
            free(s->table);
            s->table = NULL;
            goto fail;
        }
        rl->nshards = i + 1; /* shards [0, nshards) are initialised */
        s->nslots = nslots;
        s->cap = cap;
    }
    return rl;
fail:
    pl_ratelimit_free(rl);
    return NULL;
}

void
pl_ratelimit_free(struct pl_ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < rl->nshards; i++) {
        struct shard *s = &rl->shards[i];
        for (struct entry *e = s->lru_head, *next; e; e = next) {
            next = e->lru_next;
            free(e);
        }
        free(s->table);
        pthread_mutex_destroy(&s->mu);
    }
    free(rl);
}

/* ---- entries (shard lock held) ---------------------------------------------------- */

static void
lru_unlink(struct shard *s, struct entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        s->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        s->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void
lru_push_front(struct shard *s, struct entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = s->lru_head;
    if (s->lru_head)
        s->lru_head->lru_prev = e;
    else
        s->lru_tail = e;
    s->lru_head = e;
}

static struct entry **
slot_of(struct shard *s, uint64_t hash)
{
    return &s->table[hash & (s->nslots - 1)];
}

static void
chain_remove(struct shard *s, struct entry *e)
{
    struct entry **pp = slot_of(s, e->hash);
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
}

static struct entry *
lookup(struct shard *s, struct pl_str key, uint64_t hash)
{
    for (struct entry *e = *slot_of(s, hash); e; e = e->chain)
        if (e->hash == hash && e->key_len == key.len &&
            (key.len == 0 || memcmp(e->key, key.p, key.len) == 0))
            return e;
    return NULL;
}

/* New entry for key: a fresh allocation below the cap, else the recycled LRU entry. */
static struct entry *
insert(struct shard *s, struct pl_str key, uint64_t hash)
{
    struct entry *e;

    if (s->count < s->cap) {
        e = malloc(sizeof(*e));
        if (!e)
            return NULL;
        s->count++;
    } else {
        e = s->lru_tail;
        PL_BUG_ON(!e);
        lru_unlink(s, e);
        chain_remove(s, e);
    }
    memset(e, 0, sizeof(*e));
    for (size_t i = 0; i < RING; i++)
        e->ring[i].sec = INT64_MIN;
    e->latest = INT64_MIN;
    e->hash = hash;
    e->key_len = key.len;
    if (key.len > 0)
        memcpy(e->key, key.p, key.len);
    struct entry **slot = slot_of(s, hash);
    e->chain = *slot;
    *slot = e;
    lru_push_front(s, e);
    return e;
}

/* Find key, optionally creating it, and mark it most recently used. */
static struct entry *
get(struct shard *s, struct pl_str key, uint64_t hash, bool create)
{
    struct entry *e = lookup(s, key, hash);
    if (e) {
        lru_unlink(s, e);
        lru_push_front(s, e);
        return e;
    }
    return create ? insert(s, key, hash) : NULL;
}

static int64_t
effective_now(const struct entry *e, int64_t now)
{
    return PL_MAX(now, e->latest);
}

static uint64_t
window_sum(const struct entry *e, int64_t now, int window)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < RING; i++) {
        const struct bucket *b = &e->ring[i];
        /* now - b->sec < window, written so that INT64_MIN (never used) cannot overflow */
        if (b->sec != INT64_MIN && b->sec > now - window)
            sum = b->n > UINT64_MAX - sum ? UINT64_MAX : sum + b->n;
    }
    return sum;
}

static void
record(struct entry *e, int64_t now, uint64_t amount)
{
    struct bucket *b = &e->ring[(size_t)(((now % RING) + RING) % RING)];
    if (b->sec != now) {
        b->sec = now;
        b->n = 0;
    }
    b->n = amount > UINT64_MAX - b->n ? UINT64_MAX : b->n + amount;
    e->latest = now;
}

/* ---- public operations ------------------------------------------------------------ */

/* Keys over the maximum keep their end (a host name's significant part). */
static struct pl_str
clip_key(struct pl_str key)
{
    if (key.len > PL_RATELIMIT_KEY_MAX) {
        key.p += key.len - PL_RATELIMIT_KEY_MAX;
        key.len = PL_RATELIMIT_KEY_MAX;
    }
    return key;
}

static int
clamp_window(int window_sec)
{
    return PL_MIN(PL_MAX(window_sec, 1), PL_RATELIMIT_MAX_WINDOW);
}

/* Time bounded away from INT64_MIN/MAX so now - window and bucket arithmetic never wrap. */
static int64_t
clamp_time(int64_t now)
{
    const int64_t lim = INT64_MAX / 2;
    return PL_MIN(PL_MAX(now, -lim), lim);
}

static struct shard *
shard_of(struct pl_ratelimit *rl, uint64_t hash)
{
    return &rl->shards[(hash >> 32) & (rl->nshards - 1)];
}

bool
pl_ratelimit_check_and_record(struct pl_ratelimit *rl, struct pl_str key, int64_t now_sec,
                              int window_sec, uint64_t limit)
{
    bool allowed = false;

    if (limit == 0)
        return true;
    key = clip_key(key);
    uint64_t hash = hash_key(rl->seed, key);
    struct shard *s = shard_of(rl, hash);

    pthread_mutex_lock(&s->mu);
    struct entry *e = get(s, key, hash, true);
    if (!e)
        goto out;
    int64_t now = effective_now(e, clamp_time(now_sec));
    if (window_sum(e, now, clamp_window(window_sec)) >= limit)
        goto out;
    record(e, now, 1);
    allowed = true;
out:
    pthread_mutex_unlock(&s->mu);
    return allowed;
}

void
pl_ratelimit_add(struct pl_ratelimit *rl, struct pl_str key, int64_t now_sec, uint64_t amount)
{
    if (amount == 0)
        return;
    key = clip_key(key);
    uint64_t hash = hash_key(rl->seed, key);
    struct shard *s = shard_of(rl, hash);

    pthread_mutex_lock(&s->mu);
    struct entry *e = get(s, key, hash, true);
    if (e)
        record(e, effective_now(e, clamp_time(now_sec)), amount);
    pthread_mutex_unlock(&s->mu);
}

uint64_t
pl_ratelimit_sum(struct pl_ratelimit *rl, struct pl_str key, int64_t now_sec, int window_sec)
{
    uint64_t sum = 0;

    key = clip_key(key);
    uint64_t hash = hash_key(rl->seed, key);
    struct shard *s = shard_of(rl, hash);

    pthread_mutex_lock(&s->mu);
    struct entry *e = get(s, key, hash, false);
    if (e)
        sum = window_sum(e, effective_now(e, clamp_time(now_sec)), clamp_window(window_sec));
    pthread_mutex_unlock(&s->mu);
    return sum;
}

size_t
pl_ratelimit_count(struct pl_ratelimit *rl)
{
    size_t n = 0;
    for (size_t i = 0; i < rl->nshards; i++) {
        pthread_mutex_lock(&rl->shards[i].mu);
        n += rl->shards[i].count;
        pthread_mutex_unlock(&rl->shards[i].mu);
    }
    return n;
}
