/*
 * Fuzz target for scan/extract. The input is the body; it is extracted as JSON, form,
 * multipart and text, with the default limits and with small ones. For multipart the boundary
 * is taken from the input itself: the run of boundary characters after a leading "--" (so a
 * seed "--XyZ\r\n..." parses as written), passed both as a token and as a quoted-string.
 * Invariants: the result is 0, -EBADMSG or -E2BIG; a reason is set exactly on error; no
 * delivered string is empty; the delivered bytes are bounded (JSON and form never more than
 * the input, text exactly the input once, multipart at most twice the input); the string count
 * respects max_strings; a callback that stops after k strings stops the extraction with its
 * own error and no reason; two runs deliver the same strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "fuzz_extract: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

#define MAX_IN 65536

struct acc {
    size_t count;
    size_t bytes;
    uint64_t hash; /* reads every delivered byte, so ASan sees out-of-bounds slices */
    size_t stop_after;
};

static int
cb(void *arg, struct pl_str s)
{
    struct acc *a = arg;
    CHECK(s.len > 0 && s.p != NULL);
    a->count++;
    a->bytes += s.len;
    for (size_t i = 0; i < s.len; i++)
        a->hash = (a->hash ^ (unsigned char)s.p[i]) * 0x100000001b3ULL;
    a->hash = (a->hash ^ 0xFF) * 0x100000001b3ULL; /* string boundary */
    if (a->stop_after && a->count >= a->stop_after)
        return -ECANCELED;
    return 0;
}

static bool
is_bchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           strchr("'()+_,-./:=?", c) != NULL;
}

static void
check_one(struct pl_str ct, struct pl_str body, const struct pl_extract_limits *lim)
{
    struct acc a = {0}, b = {0};
    const char *reason = NULL, *reason2 = NULL;
    enum pl_body_kind kind = pl_extract_kind(ct);

    int r = pl_extract_body(ct, body, lim, cb, &a, &reason);
    CHECK(r == 0 || r == -EBADMSG || r == -E2BIG);
    CHECK((r < 0) == (reason != NULL));
    size_t max_strings = lim && lim->max_strings ? lim->max_strings : 1000000;
    CHECK(a.count <= max_strings);
    switch (kind) {
    case PL_BODY_TEXT:
        CHECK(r == 0);
        CHECK(a.bytes == body.len && a.count == (body.len > 0));
        break;
    case PL_BODY_JSON:
    case PL_BODY_FORM:
        CHECK(a.bytes <= body.len);
        break;
    case PL_BODY_MULTIPART:
        CHECK(a.bytes <= 2 * body.len);
        break;
    }
    if (body.len == 0)
        CHECK(r == 0 && a.count == 0);

    /* deterministic */
    int r2 = pl_extract_body(ct, body, lim, cb, &b, &reason2);
    CHECK(r2 == r && b.count == a.count && b.bytes == a.bytes && b.hash == a.hash);
    CHECK(reason2 == reason || (reason && reason2 && strcmp(reason, reason2) == 0));

    /* a callback that stops early stops the extraction with its own error */
    if (a.count > 0) {
        struct acc s = {.stop_after = (a.count + 1) / 2};
        const char *reason3 = NULL;
        int r3 = pl_extract_body(ct, body, lim, cb, &s, &reason3);
        CHECK(r3 == -ECANCELED && reason3 == NULL && s.count == s.stop_after);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_IN)
        size = MAX_IN;
    struct pl_str body = pl_str_from((const char *)data, size);

    /* boundary: the boundary characters after a leading "--", else "b" */
    char bnd[80] = "b";
    size_t blen = 1;
    if (size > 2 && data[0] == '-' && data[1] == '-') {
        size_t k = 2;
        while (k < size && k - 2 < 75 && is_bchar((char)data[k]))
            k++;
        if (k > 2) {
            blen = k - 2;
            memcpy(bnd, data + 2, blen);
        }
    }
    char ct_tok[160], ct_q[160];
    snprintf(ct_tok, sizeof(ct_tok), "multipart/form-data; boundary=%.*s", (int)blen, bnd);
    snprintf(ct_q, sizeof(ct_q), "Multipart/Form-Data ; charset=utf-8; boundary=\"%.*s\"",
             (int)blen, bnd);

    const struct pl_str cts[] = {
        PL_STR("application/json"),
        PL_STR("application/vnd.api+json; charset=utf-8"),
        PL_STR("application/x-www-form-urlencoded"),
        pl_str_c(ct_tok),
        pl_str_c(ct_q),
        PL_STR("multipart/form-data"),
        PL_STR("text/plain"),
        PL_STR_NULL,
    };
    const struct pl_extract_limits small = {
        .max_depth = 4,
        .max_parts = 3,
        .max_part_bytes = 32,
        .max_filename = 8,
        .max_strings = 12,
    };
    for (size_t i = 0; i < sizeof(cts) / sizeof(cts[0]); i++) {
        check_one(cts[i], body, NULL);
        check_one(cts[i], body, &small);
    }
    return 0;
}
