/*
 * Fuzz target: chunked transfer decoding (pl_h1_chunked_decode).
 *
 * The whole input is a chunked body. Invariants (a violation traps):
 *  - each call consumes at most what it was given and makes progress unless it reports done;
 *  - returned data lies inside the bytes consumed by that call; total data <= input;
 *  - after completion the decoder stays done and consumes nothing;
 *  - feeding the input split at a pseudo-random point, and one byte at a time, gives the same
 *    outcome, the same consumed count and the same decoded bytes (compared by hash and length).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)              \
    do {                      \
        if (!(x))             \
            __builtin_trap(); \
    } while (0)

struct outcome {
    int rc;
    size_t consumed;
    size_t data_len;
    uint64_t hash;
};

/* Decode the input arriving in steps: cuts[] are ascending end offsets, the last is its size. */
static struct outcome
decode(const char *in, const size_t *cuts, size_t ncuts)
{
    struct pl_h1_chunked c;
    struct outcome o = {0, 0, 0, 1469598103934665603ULL};
    size_t pos = 0;
    pl_h1_chunked_init(&c);
    for (size_t ci = 0; ci < ncuts; ci++) {
        size_t avail = cuts[ci];
        while (pos < avail) {
            size_t consumed = SIZE_MAX;
            struct pl_str d = {NULL, SIZE_MAX};
            int rc = pl_h1_chunked_decode(&c, in + pos, avail - pos, &consumed, &d);
            CHECK(rc == 0 || rc == 1 || rc == -EBADMSG || rc == -E2BIG);
            if (rc < 0) {
                o.rc = rc;
                return o;
            }
            CHECK(consumed <= avail - pos);
            CHECK(consumed > 0 || rc == 1);
            if (d.len) {
                CHECK(d.p >= in + pos && d.p + d.len <= in + pos + consumed);
                for (size_t i = 0; i < d.len; i++)
                    o.hash = (o.hash ^ (unsigned char)d.p[i]) * 1099511628211ULL;
                o.data_len += d.len;
            }
            pos += consumed;
            o.consumed = pos;
            if (rc == 1) {
                CHECK(c.state == PL_H1_CHUNK_DONE);
                CHECK(pl_h1_chunked_decode(&c, in + pos, avail - pos, &consumed, &d) == 1);
                CHECK(consumed == 0 && d.len == 0);
                o.rc = 1;
                return o;
            }
        }
    }
    o.rc = 0;
    return o;
}

static void
same(struct outcome a, struct outcome b)
{
    CHECK(a.rc == b.rc && a.data_len == b.data_len && a.hash == b.hash);
    if (a.rc >= 0)
        CHECK(a.consumed == b.consumed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    size_t whole[1] = {size};
    struct outcome one = decode(in, whole, 1);
    CHECK(one.data_len <= size && one.consumed <= size);
    if (one.rc == 0)
        CHECK(one.consumed == size);

    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    size_t split[2] = {size ? h % (size + 1) : 0, size};
    same(one, decode(in, split, 2));

    if (size <= 2048) {
        size_t *cuts = malloc((size ? size : 1) * sizeof(*cuts));
        if (!cuts)
            return 0;
        for (size_t i = 0; i < size; i++)
            cuts[i] = i + 1;
        same(one, decode(in, cuts, size));
        free(cuts);
    }

    char hdr[20];
    uint64_t v = 0;
    memcpy(&v, data, size < sizeof(v) ? size : sizeof(v));
    size_t hl = pl_h1_chunk_header(hdr, v);
    CHECK(hl >= 3 && hl <= 18 && hdr[hl - 2] == '\r' && hdr[hl - 1] == '\n');
    return 0;
}
