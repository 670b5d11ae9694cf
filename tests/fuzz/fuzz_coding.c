/*
 * Fuzz target for http/coding: the content-coding decoders.
 *
 * Input layout: one selector byte, then the coded stream.
 *   selector bits 0-1: coding       0 identity, 1 gzip, 2 deflate, 3 br
 *   selector bits 2-4: max_out      0, 1, 100, 1024, 4096, 16384, 32768, 65536
 *   selector bits 5-7: chunk size   1, 2, 3, 7, 16, 64, 512, 4096
 * selector = coding | max_out_index << 2 | chunk_index << 5; e.g. 0xFD: gzip, 65536, 4096.
 *
 * The stream is fed in chunks of that size, then finished; then again in one piece.
 * Invariants (a violation aborts):
 *  - every status is 0, -EBADMSG, -E2BIG or -ENOMEM (and finish never -E2BIG unless a feed
 *    returned it first);
 *  - after every call the bytes delivered to the callback == pl_decoder_total <= max_out;
 *  - once an error is returned, later feeds and finish return the same error, the callback is
 *    not called again and the total does not move;
 *  - both runs end with the same status (for br see the exception below); the output of one
 *    is a prefix of the other's, and when both succeed they are the same bytes;
 *  - identity delivers a prefix of the input, all of it and status 0 iff it fits in max_out.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/coding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "fuzz_coding: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

#define MAX_IN  (1 << 20)
#define MAX_OUT 65536

static const size_t max_outs[8] = {0, 1, 100, 1024, 4096, 16384, 32768, MAX_OUT};
static const size_t chunks[8] = {1, 2, 3, 7, 16, 64, 512, 4096};

struct acc {
    unsigned char out[MAX_OUT]; /* a copy of everything delivered (never more than max_out) */
    size_t len;
    size_t calls;
    bool frozen; /* an error was returned: no more calls expected */
};

static int
cb(void *arg, const char *p, size_t n)
{
    struct acc *a = arg;
    CHECK(!a->frozen);
    CHECK(p != NULL || n == 0);
    CHECK(a->len + n <= MAX_OUT); /* max_out is at most MAX_OUT; checked exactly by the caller */
    memcpy(a->out + a->len, p, n);
    a->len += n;
    a->calls++;
    return 0;
}

static bool
status_ok(int r)
{
    return r == 0 || r == -EBADMSG || r == -E2BIG || r == -ENOMEM;
}

/* Checks after every call. */
static void
check_after(const struct pl_decoder *d, const struct acc *a, size_t max_out)
{
    CHECK(pl_decoder_total(d) == a->len);
    CHECK(a->len <= max_out);
}

/* The error sticks: another feed and finish return it and change nothing. */
static void
check_sticky(struct pl_decoder *d, struct acc *a, int err, const uint8_t *in, size_t n)
{
    size_t total = pl_decoder_total(d), len = a->len, calls = a->calls;
    a->frozen = true;
    CHECK(pl_decoder_feed(d, in, n, cb, a) == err);
    CHECK(pl_decoder_feed(d, in, 0, cb, a) == err);
    CHECK(pl_decoder_finish(d) == err);
    CHECK(pl_decoder_finish(d) == err);
    CHECK(pl_decoder_total(d) == total && a->len == len && a->calls == calls);
}

/* Feeds in[0..n) in pieces of chunk bytes (0: one piece) and finishes. -1: out of memory. */
static int
run(enum pl_coding c, size_t max_out, const uint8_t *in, size_t n, size_t chunk, struct acc *a)
{
    struct pl_decoder *d = pl_decoder_new(c, max_out);
    if (!d)
        return -1;
    CHECK(pl_decoder_total(d) == 0);
    a->len = a->calls = 0;
    a->frozen = false;
    int r = 0;
    size_t pos = 0;
    while (r == 0 && pos < n) {
        size_t k = chunk && chunk < n - pos ? chunk : n - pos;
        r = pl_decoder_feed(d, in + pos, k, cb, a);
        pos += k;
        CHECK(status_ok(r));
        check_after(d, a, max_out);
    }
    if (r == 0) {
        r = pl_decoder_finish(d);
        CHECK(r == 0 || r == -EBADMSG || r == -ENOMEM);
        check_after(d, a, max_out);
    }
    if (r != 0)
        check_sticky(d, a, r, in, n);
    pl_decoder_free(d);
    return r;
}

static struct acc chunked, whole;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (size > MAX_IN)
        size = MAX_IN;
    uint8_t sel = data[0];
    enum pl_coding c = (enum pl_coding)(sel & 3);
    size_t max_out = max_outs[(sel >> 2) & 7];
    size_t chunk = chunks[(sel >> 5) & 7];
    const uint8_t *in = data + 1;
    size_t n = size - 1;

    int r1 = run(c, max_out, in, n, chunk, &chunked);
    int r2 = run(c, max_out, in, n, 0, &whole);
    if (r1 == -1 || r2 == -1 || r1 == -ENOMEM || r2 == -ENOMEM)
        return 0;
    /*
     * One exception to "same status": libbrotli does not hand out what it decoded before it
     * finds an error, and when it flushes depends on where the input was cut, so for br a stream
     * that is both too long and corrupt may end with -E2BIG in one run and -EBADMSG in the
     * other. (zlib hands out the output before the error, so gzip and deflate get no excuse.)
     */
    bool br_order =
        c == PL_CODING_BR && (r1 == -E2BIG || r1 == -EBADMSG) && (r2 == -E2BIG || r2 == -EBADMSG);
    if (r1 != r2 && !br_order) {
        fprintf(stderr, "fuzz_coding: coding %d max_out %zu chunk %zu: chunked %d, whole %d\n",
                (int)c, max_out, chunk, r1, r2);
        CHECK(r1 == r2);
    }
    size_t common = chunked.len < whole.len ? chunked.len : whole.len;
    CHECK(memcmp(chunked.out, whole.out, common) == 0);
    if (r1 == 0)
        CHECK(chunked.len == whole.len);

    if (c == PL_CODING_IDENTITY) {
        CHECK(memcmp(whole.out, in, whole.len) == 0 && whole.len <= n);
        CHECK((r2 == 0) == (n <= max_out));
        if (r2 == 0)
            CHECK(whole.len == n);
        else
            CHECK(r2 == -E2BIG);
    }
    return 0;
}
