/*
 * Fuzz target for http/sse: the text/event-stream framer and serializer.
 *
 * Input layout: a selector byte, a seed byte, then the stream.
 *   selector bits 0-2: max_event_bytes  0, 1, 7, 16, 64, 256, 4096, 1 MiB
 *   selector bits 3-5: pieces           1, 2, 3, 7, 16, 64, 512 bytes, or 7: random pieces
 *                                       of 0..16 bytes (0: an empty feed) drawn from the seed
 *   selector bits 6-7: callback fails   never, or on the 1st, 3rd or 8th item (returns -42)
 * selector = max_index | pieces_index << 3 | fail_index << 6; e.g. 0x3e: 4096, random, never.
 *
 * The stream is parsed in one feed, and again in pieces; both are finished.
 * Invariants (a violation aborts):
 *  - every status is 0, -E2BIG, -ENOMEM or -42, and -42 exactly when the callback refused;
 *  - both runs give the same items (every field, raw_len too), the same status, and when that
 *    is 0 the same pl_sse_pending;
 *  - once an error is returned, later feeds and finish return it and never call back;
 *  - no -E2BIG when max_event_bytes >= the stream length (nothing held exceeds the input);
 *  - items are what the parser can produce: no CR or LF in event, id or comment, no CR in data,
 *    no NUL in id, retry >= -1, and raw_len sums to no more than the input;
 *  - every item serializes, and parsing that gives back exactly one item, the same but for a
 *    comment's text (dropped) and raw_len (the serialized length), with nothing pending.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_sse: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#define MAX_IN (1 << 20)

static const size_t maxes[8] = {0, 1, 7, 16, 64, 256, 4096, 1 << 20};
static const size_t pieces[8] = {1, 2, 3, 7, 16, 64, 512, 0};
static const size_t fails[4] = {0, 1, 3, 8};

struct run {
    struct pl_buf log; /* every item, see log_item */
    size_t items;
    size_t raw_sum;
    size_t fail_on; /* nonzero: the fail_on-th call returns -42 */
    bool refused;   /* it did */
    bool frozen;    /* the parser returned an error: no more calls expected */
    bool roundtrip; /* serialize and parse back each item */
};

/* Append everything of it (the slices' bytes, not their addresses) to log. */
static void
log_item(struct pl_buf *log, const struct pl_sse_item *it)
{
    struct {
        int64_t kind, has_id, retry;
        uint64_t raw_len, event, data, id, comment;
    } h;
    memset(&h, 0, sizeof(h));
    h.kind = it->kind;
    h.has_id = it->has_id;
    h.retry = it->retry;
    h.raw_len = it->raw_len;
    h.event = it->event.len;
    h.data = it->data.len;
    h.id = it->id.len;
    h.comment = it->comment.len;
    CHECK(pl_buf_add(log, &h, sizeof(h)) == 0);
    CHECK(pl_buf_add_str(log, it->event) == 0);
    CHECK(pl_buf_add_str(log, it->data) == 0);
    CHECK(pl_buf_add_str(log, it->id) == 0);
    CHECK(pl_buf_add_str(log, it->comment) == 0);
}

static bool
has(struct pl_str s, int c)
{
    return s.len > 0 && memchr(s.p, c, s.len) != NULL;
}

static void
check_item(const struct pl_sse_item *it)
{
    CHECK(it->event.p && it->data.p && it->id.p && it->comment.p);
    CHECK(!has(it->event, '\r') && !has(it->event, '\n'));
    CHECK(!has(it->id, '\r') && !has(it->id, '\n'));
    CHECK(!has(it->comment, '\r') && !has(it->comment, '\n'));
    CHECK(!has(it->data, '\r'));
    CHECK(it->retry >= -1);
    if (it->kind == PL_SSE_EVENT) {
        CHECK(it->has_id ? !has(it->id, '\0') : it->id.len == 0);
        CHECK(it->comment.len == 0);
        CHECK(it->raw_len >= 6); /* "data\n\n" */
    } else {
        CHECK(it->kind == PL_SSE_COMMENT);
        CHECK(!it->has_id && it->retry == -1 && it->event.len == 0 && it->data.len == 0);
        CHECK(it->raw_len == it->comment.len + 2 || it->raw_len == it->comment.len + 3);
    }
}

struct back {
    struct pl_buf log;
    size_t items;
};

static int
back_cb(void *ctx, const struct pl_sse_item *it)
{
    struct back *b = ctx;
    check_item(it);
    log_item(&b->log, it);
    b->items++;
    return 0;
}

/* Serialize it, parse that: one item, the same but for the comment text and raw_len. */
static void
roundtrip(const struct pl_sse_item *it)
{
    struct pl_buf canon, want;
    pl_buf_init(&canon, SIZE_MAX);
    pl_buf_init(&want, SIZE_MAX);
    CHECK(pl_sse_serialize(it, &canon) == 0);
    struct pl_sse_item w = *it;
    if (w.kind == PL_SSE_COMMENT)
        w.comment = pl_str_from(w.comment.p, 0);
    w.raw_len = canon.len;
    log_item(&want, &w);

    struct back b = {.items = 0};
    pl_buf_init(&b.log, SIZE_MAX);
    struct pl_sse_parser p;
    pl_sse_init(&p, SIZE_MAX);
    CHECK(pl_sse_feed(&p, canon.data, canon.len, back_cb, &b) == 0);
    CHECK(pl_sse_finish(&p, back_cb, &b) == 0);
    CHECK(!pl_sse_pending(&p));
    CHECK(b.items == 1);
    CHECK(b.log.len == want.len && memcmp(b.log.data, want.data, want.len) == 0);
    pl_sse_done(&p);
    pl_buf_done(&b.log);
    pl_buf_done(&want);
    pl_buf_done(&canon);
}

static int
cb(void *ctx, const struct pl_sse_item *it)
{
    struct run *r = ctx;
    CHECK(!r->frozen && !r->refused);
    check_item(it);
    log_item(&r->log, it);
    r->items++;
    r->raw_sum += it->raw_len;
    if (r->roundtrip)
        roundtrip(it);
    if (r->fail_on && r->items == r->fail_on) {
        r->refused = true;
        return -42;
    }
    return 0;
}

static uint64_t
xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/*
 * Feed in[0..n) in pieces of piece bytes (0: random pieces from seed; SIZE_MAX: one piece) and
 * finish. Returns the status; *ret_pending is pl_sse_pending after finish.
 */
static int
run(struct run *r, const uint8_t *in, size_t n, size_t max, size_t piece, uint64_t seed,
    bool *ret_pending)
{
    struct pl_sse_parser p;
    pl_sse_init(&p, max);
    int rc = 0;
    size_t pos = 0;
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
    while (rc == 0 && pos < n) {
        size_t k = piece ? piece : xorshift(&x) % 17;
        k = k < n - pos ? k : n - pos;
        rc = pl_sse_feed(&p, k ? in + pos : NULL, k, cb, r);
        pos += k;
        CHECK(rc == 0 || rc == -E2BIG || rc == -ENOMEM || rc == -42);
    }
    if (rc == 0)
        rc = pl_sse_finish(&p, cb, r);
    CHECK((rc == -42) == r->refused);
    *ret_pending = pl_sse_pending(&p);
    if (rc != 0) {
        size_t items = r->items;
        r->frozen = true;
        CHECK(pl_sse_feed(&p, "data: x\n\n", 9, cb, r) == rc);
        CHECK(pl_sse_feed(&p, NULL, 0, cb, r) == rc);
        CHECK(pl_sse_finish(&p, cb, r) == rc);
        CHECK(r->items == items);
    }
    CHECK(r->raw_sum <= n);
    pl_sse_done(&p);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (size > MAX_IN)
        size = MAX_IN;
    uint8_t sel = data[0];
    size_t max = maxes[sel & 7];
    size_t piece = pieces[(sel >> 3) & 7];
    size_t fail_on = fails[sel >> 6];
    const uint8_t *in = data + 2;
    size_t n = size - 2;

    struct run whole = {.fail_on = fail_on, .roundtrip = true};
    struct run cut = {.fail_on = fail_on};
    pl_buf_init(&whole.log, SIZE_MAX);
    pl_buf_init(&cut.log, SIZE_MAX);
    bool pending_whole, pending_cut;
    int r1 = run(&whole, in, n, max, SIZE_MAX, 0, &pending_whole);
    int r2 = run(&cut, in, n, max, piece, data[1], &pending_cut);
    if (r1 == -ENOMEM || r2 == -ENOMEM)
        goto out;
    if (r1 != r2) {
        fprintf(stderr, "fuzz_sse: max %zu pieces %zu: whole %d, in pieces %d\n", max, piece, r1,
                r2);
        CHECK(r1 == r2);
    }
    CHECK(whole.items == cut.items);
    CHECK(whole.log.len == cut.log.len);
    CHECK(cut.log.len == 0 || memcmp(whole.log.data, cut.log.data, cut.log.len) == 0);
    if (r1 == 0)
        CHECK(pending_whole == pending_cut);
    if (max >= n)
        CHECK(r1 != -E2BIG);
out:
    pl_buf_done(&whole.log);
    pl_buf_done(&cut.log);
    return 0;
}
