/*
 * Fuzz target: URL canonicalisation and reference resolution (pl_url_canonical,
 * pl_url_resolve). The input is split at the first NUL (or, failing that, newline) into a base
 * and a reference; without either byte the whole input is both the base and the reference.
 *
 * Invariants (a violation traps):
 *  - every successful result parses with pl_url_parse() and is its own canonical form;
 *  - the canonical form of the base is what an empty reference resolves to against it;
 *  - resolving against the base or against its canonical form gives the same result;
 *  - a canonical absolute reference without dot segments resolves to itself;
 *  - on failure the output is empty and the error is -EINVAL or -E2BIG; a result never exceeds
 *    the buffer maximum.
 */
#include <stdint.h>
#include <string.h>

#include "http/url.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)              \
    do {                      \
        if (!(x))             \
            __builtin_trap(); \
    } while (0)

#define MAX_OUT 4096

/* A successful result: parses, and canonicalising it again changes nothing. */
static void
check_output(struct pl_str s)
{
    struct pl_url u;
    struct pl_buf again;
    CHECK(s.len <= MAX_OUT);
    CHECK(pl_url_parse(s, &u) == 0);
    CHECK(u.fragment.len == 0);
    pl_buf_init(&again, MAX_OUT);
    CHECK(pl_url_canonical(s, &again) == 0);
    CHECK(pl_str_eq(pl_buf_str(&again), s));
    pl_buf_done(&again);
}

static void
check_rc(int rc, const struct pl_buf *b)
{
    CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG);
    if (rc < 0)
        CHECK(b->len == 0);
    else
        check_output(pl_buf_str(b));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *sep = size ? memchr(p, '\0', size) : NULL;
    struct pl_str base, ref;
    struct pl_buf cb, cr, res, again;
    int rb, rr, rs;

    if (!sep && size)
        sep = memchr(p, '\n', size);
    if (sep) {
        base = pl_str_from(p, (size_t)(sep - p));
        ref = pl_str_from(sep + 1, size - base.len - 1);
    } else {
        base = ref = pl_str_from(p, size);
    }

    pl_buf_init(&cb, MAX_OUT);
    pl_buf_init(&cr, MAX_OUT);
    pl_buf_init(&res, MAX_OUT);
    pl_buf_init(&again, MAX_OUT);

    rb = pl_url_canonical(base, &cb);
    check_rc(rb, &cb);
    rr = pl_url_canonical(ref, &cr);
    check_rc(rr, &cr);
    rs = pl_url_resolve(base, ref, &res);
    check_rc(rs, &res);

    /* An empty reference gives the canonical base. */
    int re = pl_url_resolve(base, PL_STR(""), &again);
    CHECK(re == rb);
    if (re == 0)
        CHECK(pl_str_eq(pl_buf_str(&again), pl_buf_str(&cb)));

    /* Canonicalising the base first changes nothing (the encoding commutes with resolution). */
    if (rb == 0) {
        int rc2 = pl_url_resolve(pl_buf_str(&cb), ref, &again);
        CHECK(rc2 == rs);
        if (rs == 0)
            CHECK(pl_str_eq(pl_buf_str(&again), pl_buf_str(&res)));
    }

    /* Resolving a canonical absolute reference with an authority, without dot segments,
     * gives that reference back, whatever the base. */
    if (rr == 0 && rb == 0 && !memmem(cr.data, cr.len, "/.", 2)) {
        int rc3 = pl_url_resolve(pl_buf_str(&cb), pl_buf_str(&cr), &again);
        CHECK(rc3 == 0);
        CHECK(pl_str_eq(pl_buf_str(&again), pl_buf_str(&cr)));
    }

    pl_buf_done(&cb);
    pl_buf_done(&cr);
    pl_buf_done(&res);
    pl_buf_done(&again);
    return 0;
}
