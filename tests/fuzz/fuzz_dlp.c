/*
 * Fuzz target for the DLP engine: text DLP (normalisation, every view, recursive decoding,
 * the candidate-region fast path, PCRE2 confirmation) over arbitrary bytes. Invariants: the
 * scan returns 0 or a fail-closed error, findings lie inside their view, and scanning the
 * input again gives the same result (no state leaks through the scratch).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/dlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_dlp: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static struct pl_dlp_db *db;
static struct pl_dlp_scratch *sc;

static void
init(void)
{
    char *err = NULL;
    CHECK(pl_dlp_compile_builtin(&db, &err) == 0);
    sc = pl_dlp_scratch_new();
    CHECK(sc != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db)
        init();
    if (size > 65536)
        return 0;
    struct pl_str in = pl_str_from((const char *)data, size);
    struct pl_dlp_result a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    int r1 = pl_dlp_scan_text(db, sc, in, &a);
    CHECK(r1 == 0 || r1 == -E2BIG);
    for (size_t i = 0; i < a.n; i++)
        CHECK(a.f[i].pattern < pl_dlp_db_count(db));
    int r2 = pl_dlp_scan_text(db, sc, in, &b);
    CHECK(r1 == r2);
    CHECK(a.n == b.n);
    for (size_t i = 0; i < a.n; i++)
        CHECK(a.f[i].pattern == b.f[i].pattern && a.f[i].off == b.f[i].off);

    /* Streaming: the same input in one piece and in input-derived pieces (small blocks so
     * cuts happen) gives the same findings. */
    struct pl_dlp_result one, many;
    memset(&one, 0, sizeof(one));
    memset(&many, 0, sizeof(many));
    struct pl_dlp_stream *s1 = pl_dlp_stream_new_sized(db, sc, 64, 96, 32);
    struct pl_dlp_stream *s2 = pl_dlp_stream_new_sized(db, sc, 64, 96, 32);
    CHECK(s1 && s2);
    int e1 = pl_dlp_stream_feed(s1, (const char *)data, size, &one);
    if (e1 == 0)
        e1 = pl_dlp_stream_finish(s1, &one);
    int e2 = 0;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size && i < 16; i++)
        h = (h ^ data[i]) * 16777619u;
    for (size_t o = 0; o < size && e2 == 0;) {
        h = h * 1103515245u + 12345u;
        size_t k = PL_MIN((size_t)(h >> 16) % 97 + 1, size - o);
        e2 = pl_dlp_stream_feed(s2, (const char *)data + o, k, &many);
        o += k;
    }
    if (e2 == 0)
        e2 = pl_dlp_stream_finish(s2, &many);
    CHECK(e1 == e2);
    if (e1 == 0) {
        CHECK(one.n == many.n);
        for (size_t i = 0; i < one.n; i++) {
            bool found = false;
            for (size_t j = 0; j < many.n; j++)
                found |= one.f[i].pattern == many.f[j].pattern && one.f[i].view == many.f[j].view;
            CHECK(found);
        }
    }
    pl_dlp_stream_free(s1);
    pl_dlp_stream_free(s2);
    return 0;
}
