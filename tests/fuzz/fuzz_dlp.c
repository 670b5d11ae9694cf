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
    return 0;
}
