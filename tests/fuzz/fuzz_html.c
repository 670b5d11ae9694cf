/*
 * Fuzz target for scan/html: HTML to title, visible and hidden text over arbitrary bytes.
 * Invariants: the result is 0, -E2BIG or -ENOMEM; on error *out is zeroed; on success every
 * output is non-NULL, NUL-terminated at its length, free of NUL bytes, at most max_out bytes,
 * and whitespace-collapsed (no leading or trailing space or line break, no double space, no
 * empty line, no space next to a line break); parsing again gives the same bytes; with a small
 * max_out (from the first input byte) the result is the same, each output is a prefix of the
 * full one, and truncated is set exactly when some full output does not fit; freeing zeroes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "fuzz_html: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

#define MAX_IN (64 * 1024)

static void
check_out(const char *s, size_t len, size_t max_out)
{
    CHECK(s != NULL);
    CHECK(len <= max_out);
    CHECK(s[len] == '\0');
    CHECK(memchr(s, '\0', len) == NULL);
    if (len == 0)
        return;
    CHECK(s[0] != ' ' && s[0] != '\n');
    CHECK(s[len - 1] != ' ' && s[len - 1] != '\n');
    for (size_t i = 0; i + 1 < len; i++) {
        bool ws0 = s[i] == ' ' || s[i] == '\n';
        bool ws1 = s[i + 1] == ' ' || s[i + 1] == '\n';
        CHECK(!(ws0 && ws1)); /* "  ", "\n\n", " \n", "\n " */
    }
    for (size_t i = 0; i < len; i++)
        CHECK(s[i] != '\t' && s[i] != '\r' && s[i] != '\f'); /* ASCII whitespace collapsed */
}

static bool
is_zero(const struct pl_html_text *t)
{
    return !t->title && !t->visible && !t->hidden && !t->title_len && !t->visible_len &&
           !t->hidden_len && !t->truncated;
}

static int
run(struct pl_str in, size_t max_out, struct pl_html_text *t)
{
    memset(t, 0xA5, sizeof(*t)); /* garbage: must be overwritten */
    int r = pl_html_to_text(in, max_out, t);
    CHECK(r == 0 || r == -E2BIG || r == -ENOMEM);
    if (r < 0) {
        CHECK(is_zero(t));
        return r;
    }
    size_t lim = max_out ? max_out : (size_t)1 << 20;
    check_out(t->title, t->title_len, lim);
    check_out(t->visible, t->visible_len, lim);
    check_out(t->hidden, t->hidden_len, lim);
    return r;
}

static bool
same(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

static bool
prefix(const char *a, size_t alen, const char *full, size_t flen)
{
    return alen <= flen && memcmp(a, full, alen) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_IN)
        size = MAX_IN;
    struct pl_str in = pl_str_from((const char *)data, size);
    struct pl_html_text a, b, s;

    int r = run(in, 0, &a);
    if (r == -ENOMEM)
        return 0;

    /* deterministic */
    int r2 = run(in, 0, &b);
    CHECK(r2 == r);
    if (r == 0) {
        CHECK(same(a.title, a.title_len, b.title, b.title_len));
        CHECK(same(a.visible, a.visible_len, b.visible, b.visible_len));
        CHECK(same(a.hidden, a.hidden_len, b.hidden, b.hidden_len));
        CHECK(a.truncated == b.truncated);
    }
    pl_html_text_free(&b);
    CHECK(is_zero(&b));

    /* a small max_out cuts each output to a prefix of the full one */
    size_t m = size > 0 ? (size_t)data[0] % 64 + 1 : 1;
    int r3 = run(in, m, &s);
    if (r3 != -ENOMEM)
        CHECK(r3 == r);
    if (r == 0 && r3 == 0) {
        CHECK(prefix(s.title, s.title_len, a.title, a.title_len));
        CHECK(prefix(s.visible, s.visible_len, a.visible, a.visible_len));
        CHECK(prefix(s.hidden, s.hidden_len, a.hidden, a.hidden_len));
        if (a.title_len <= m)
            CHECK(same(s.title, s.title_len, a.title, a.title_len));
        if (a.visible_len <= m)
            CHECK(same(s.visible, s.visible_len, a.visible, a.visible_len));
        if (a.hidden_len <= m)
            CHECK(same(s.hidden, s.hidden_len, a.hidden, a.hidden_len));
        if (!a.truncated) {
            bool over = a.title_len > m || a.visible_len > m || a.hidden_len > m;
            CHECK(s.truncated == over);
        }
    }
    pl_html_text_free(&s);
    CHECK(is_zero(&s));

    pl_html_text_free(&a);
    CHECK(is_zero(&a));
    return 0;
}
