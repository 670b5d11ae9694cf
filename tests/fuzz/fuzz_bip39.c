/*
 * Fuzz target for scan/bip39. The input is searched with and without the checksum (and with
 * min_words taken from the first byte). Besides "no crash", it checks what a match promises:
 * the span lies inside the input, starts and ends on token bytes at token boundaries, holds
 * 12-24 tokens, is found again at offset 0 with the same length when searched alone, and a
 * checksum match implies a match without the checksum that starts no later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/bip39.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_bip39: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static bool
is_sep(char c)
{
    return c != '\0' && strchr(" \t\n\v\f\r-,|;:.\"'()[]{}", c) != NULL;
}

static void
check_span(struct pl_str in, const struct pl_bip39_opts *o, size_t off, size_t len)
{
    CHECK(off <= in.len && len <= in.len - off && len > 0);
    CHECK(off == 0 || is_sep(in.p[off - 1]));
    CHECK(off + len == in.len || is_sep(in.p[off + len]));
    CHECK(!is_sep(in.p[off]) && !is_sep(in.p[off + len - 1]));

    size_t tokens = 0;
    for (size_t i = off; i < off + len; i++)
        tokens += !is_sep(in.p[i]) && (i == off || is_sep(in.p[i - 1]));
    CHECK(tokens >= 12 && tokens <= 24 && tokens % 3 == 0);

    size_t o2 = 1, l2 = 0;
    CHECK(pl_bip39_find(pl_str_from(in.p + off, len), o, &o2, &l2));
    CHECK(o2 == 0 && l2 == len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pl_str in = pl_str_from((const char *)data, size);
    struct pl_bip39_opts on = {12, true}, off = {12, false};
    size_t o1 = 0, l1 = 0, o2 = 0, l2 = 0;

    bool with = pl_bip39_find(in, &on, &o1, &l1);
    bool without = pl_bip39_find(in, &off, &o2, &l2);
    if (with) {
        CHECK(without && o2 <= o1);
        check_span(in, &on, o1, l1);
    }
    if (without)
        check_span(in, &off, o2, l2);

    if (size > 0) {
        struct pl_bip39_opts odd = {(int)(int8_t)data[0], (data[0] & 1) != 0};
        size_t o3 = 0, l3 = 0;
        if (pl_bip39_find(in, &odd, &o3, &l3)) {
            CHECK(odd.min_words <= 24);
            CHECK(odd.verify_checksum ? with : without);
        }
    }
    return 0;
}
