/*
 * Server-sent events: the standard's examples; CR, LF and CRLF line ends, mixed and cut between
 * feeds; the leading BOM; comments; data, event, id (with a NUL), retry (valid, invalid,
 * overflowing) and unknown fields; events without data; raw_len; max_event_bytes at its exact
 * edge; errors that stick; callback errors; end of stream with and without pending input;
 * serialize, exactly and parsed back; init after done; linear time.
 *
 * Every table case is fed whole, cut at every point (at every pair of points for short inputs),
 * in random pieces with empty feeds (deterministic xorshift) and a byte at a time, and must give
 * the same items, status and pending flag each way; the items it gives are then serialized and
 * parsed back.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/sse.h"

/* ---- text ---- */

struct text {
    char *p; /* NUL-terminated once touched */
    size_t len, cap;
};

static void
text_put(struct text *t, const void *p, size_t n)
{
    if (!t->p || t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->p = realloc(t->p, cap);
        cr_assert_not_null(t->p);
        t->cap = cap;
    }
    if (n)
        memcpy(t->p + t->len, p, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void
text_puts(struct text *t, const char *s)
{
    text_put(t, s, strlen(s));
}

static const char *
text_str(struct text *t)
{
    if (!t->p)
        text_put(t, "", 0);
    return t->p;
}

static void
text_free(struct text *t)
{
    free(t->p);
    memset(t, 0, sizeof(*t));
}

/* s between quotes, escaped: \n \r \t \0 \' \\, and \xHH outside printable ASCII. */
static void
text_quote(struct text *t, struct pl_str s)
{
    text_puts(t, "'");
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        char esc[8];
        if (c == '\n')
            text_puts(t, "\\n");
        else if (c == '\r')
            text_puts(t, "\\r");
        else if (c == '\t')
            text_puts(t, "\\t");
        else if (c == '\0')
            text_puts(t, "\\0");
        else if (c == '\'' || c == '\\') {
            snprintf(esc, sizeof(esc), "\\%c", c);
            text_puts(t, esc);
        } else if (c < 0x20 || c > 0x7e) {
            snprintf(esc, sizeof(esc), "\\x%02x", c);
            text_puts(t, esc);
        } else
            text_put(t, &c, 1);
    }
    text_puts(t, "'");
}

/*
 * One item as text: "ev 'data' type='t' id='i' retry=N raw=N;" (type, id, retry and raw only
 * when there) or "c 'text' raw=N;".
 */
static void
render(struct text *t, const struct pl_sse_item *it, bool raw)
{
    char num[64];
    if (it->kind == PL_SSE_COMMENT) {
        text_puts(t, "c ");
        text_quote(t, it->comment);
    } else {
        text_puts(t, "ev ");
        text_quote(t, it->data);
        if (it->event.len > 0) {
            text_puts(t, " type=");
            text_quote(t, it->event);
        }
        if (it->has_id) {
            text_puts(t, " id=");
            text_quote(t, it->id);
        }
        if (it->retry >= 0) {
            snprintf(num, sizeof(num), " retry=%lld", (long long)it->retry);
            text_puts(t, num);
        }
    }
    if (raw) {
        snprintf(num, sizeof(num), " raw=%zu", it->raw_len);
        text_puts(t, num);
    }
    text_puts(t, ";");
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

/* ---- the parser under test ---- */

struct sink {
    struct text full;       /* items with raw_len */
    struct text plain;      /* items without */
    struct pl_buf canon;    /* pl_sse_serialize of each item */
    struct text canon_want; /* what parsing canon must give: comment text dropped, raw_len the
                               serialized length */
    size_t items;           /* calls of the callback */
    size_t raw_sum;
    size_t fail_on;      /* nonzero: the fail_on-th call returns -42 */
    bool failed;         /* it did */
    bool after_failing;  /* called again after that */
    bool in_finish;      /* set around pl_sse_finish, which must not call back */
    bool called_finish;  /* it did */
    bool called_frozen;  /* called on a parser in error */
    bool frozen;         /* the parser returned an error */
    int positive;        /* returned instead of 0 (must mean go on) */
    const char *context; /* for messages */
};

static void
check_slice(const char *what, struct pl_str s, const struct sink *k)
{
    cr_assert(s.p != NULL, "%s: %s slice with NULL pointer", k->context, what);
    volatile unsigned char any = 0;
    for (size_t i = 0; i < s.len; i++) /* read every byte so ASan sees bad slices */
        any |= (unsigned char)s.p[i];
    (void)any;
}

static int
sink_cb(void *ctx, const struct pl_sse_item *it)
{
    struct sink *k = ctx;
    if (k->failed)
        k->after_failing = true;
    if (k->in_finish)
        k->called_finish = true;
    if (k->frozen)
        k->called_frozen = true;
    k->items++;
    cr_assert(it->kind == PL_SSE_EVENT || it->kind == PL_SSE_COMMENT, "%s: kind %d", k->context,
              (int)it->kind);
    check_slice("event", it->event, k);
    check_slice("data", it->data, k);
    check_slice("id", it->id, k);
    check_slice("comment", it->comment, k);
    cr_assert_geq(it->retry, -1, "%s: retry %lld", k->context, (long long)it->retry);
    if (it->kind == PL_SSE_EVENT) {
        cr_assert(it->has_id || it->id.len == 0, "%s: id without has_id", k->context);
        cr_assert_eq(it->comment.len, 0, "%s: comment text on an event", k->context);
    } else {
        cr_assert(!it->has_id && it->retry == -1 && it->data.len == 0 && it->event.len == 0,
                  "%s: event fields on a comment", k->context);
        /* ':', the text, the line end, perhaps the LF of a CRLF before it */
        cr_assert(it->raw_len == it->comment.len + 2 || it->raw_len == it->comment.len + 3,
                  "%s: comment raw_len %zu", k->context, it->raw_len);
    }
    k->raw_sum += it->raw_len;
    render(&k->full, it, true);
    render(&k->plain, it, false);

    size_t before = k->canon.len;
    cr_assert_eq(pl_sse_serialize(it, &k->canon), 0, "%s: serialize", k->context);
    struct pl_sse_item back = *it;
    back.comment = PL_STR("");
    back.raw_len = k->canon.len - before;
    render(&k->canon_want, &back, true);

    if (k->fail_on && k->items == k->fail_on) {
        k->failed = true;
        return -42;
    }
    return k->positive;
}

static void
sink_init(struct sink *k, const char *context)
{
    memset(k, 0, sizeof(*k));
    pl_buf_init(&k->canon, SIZE_MAX);
    k->context = context;
}

static void
sink_done(struct sink *k)
{
    text_free(&k->full);
    text_free(&k->plain);
    text_free(&k->canon_want);
    pl_buf_done(&k->canon);
}

/* A split of the input: the lengths of the feeds, in order; zeros are empty feeds. */
struct pieces {
    size_t *len;
    size_t n, cap;
};

static void
pieces_add(struct pieces *ps, size_t len)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 16;
        ps->len = realloc(ps->len, ps->cap * sizeof(*ps->len));
        cr_assert_not_null(ps->len);
    }
    ps->len[ps->n++] = len;
}

static struct pieces
pieces_cuts(size_t n, size_t a, size_t b)
{
    struct pieces ps = {0};
    pieces_add(&ps, a);
    pieces_add(&ps, b - a);
    pieces_add(&ps, n - b);
    return ps;
}

/* Random pieces of 1..maxpiece bytes, and an empty feed now and then. */
static struct pieces
pieces_random(size_t n, size_t maxpiece, uint64_t seed)
{
    struct pieces ps = {0};
    uint64_t x = seed | 1;
    for (size_t pos = 0; pos < n;) {
        if (xorshift(&x) % 8 == 0)
            pieces_add(&ps, 0);
        size_t k = 1 + xorshift(&x) % maxpiece;
        k = PL_MIN(k, n - pos);
        pieces_add(&ps, k);
        pos += k;
    }
    return ps;
}

static struct pieces
pieces_bytes(size_t n)
{
    struct pieces ps = {0};
    for (size_t i = 0; i < n; i++)
        pieces_add(&ps, 1);
    return ps;
}

/*
 * Parse in[0..n) with max, fed in the given pieces (NULL: one piece), then finish. Returns the
 * first error of a feed, else what finish returns; *ret_pending is pl_sse_pending after that.
 * Checks: finish does not call back; an error sticks (a feed of a whole event and finish return
 * it and deliver nothing); the callback is not called after refusing.
 */
static int
parse_pieces(const char *in, size_t n, size_t max, const struct pieces *ps, struct sink *k,
             bool *ret_pending)
{
    struct pl_sse_parser p;
    pl_sse_init(&p, max);
    int r = 0;
    size_t pos = 0;
    size_t count = ps ? ps->n : 1;
    for (size_t i = 0; i < count && r == 0; i++) {
        size_t len = ps ? ps->len[i] : n;
        cr_assert_leq(pos + len, n);
        r = pl_sse_feed(&p, len ? in + pos : NULL, len, sink_cb, k);
        pos += len;
        cr_assert(r == 0 || r == -E2BIG || r == -42, "%s: feed returned %d", k->context, r);
    }
    cr_assert(r != 0 || pos == n, "%s: pieces cover %zu of %zu bytes", k->context, pos, n);
    size_t items = k->items;
    if (r == 0) {
        k->in_finish = true;
        r = pl_sse_finish(&p, sink_cb, k);
        k->in_finish = false;
        cr_assert_eq(r, 0, "%s: finish returned %d", k->context, r);
    }
    cr_assert(!k->called_finish, "%s: finish called back", k->context);
    *ret_pending = pl_sse_pending(&p);
    if (r != 0) {
        k->frozen = true;
        cr_assert_eq(pl_sse_feed(&p, "data: x\n\n", 9, sink_cb, k), r, "%s: error not sticky",
                     k->context);
        cr_assert_eq(pl_sse_feed(&p, NULL, 0, sink_cb, k), r, "%s: error not sticky", k->context);
        cr_assert_eq(pl_sse_finish(&p, sink_cb, k), r, "%s: finish forgot error", k->context);
        cr_assert(!k->called_frozen, "%s: callback called after error %d", k->context, r);
        cr_assert_eq(k->items, items);
    }
    cr_assert(!k->after_failing, "%s: callback called after it returned -42", k->context);
    cr_assert_leq(k->raw_sum, n, "%s: raw_len sum %zu > input %zu", k->context, k->raw_sum, n);
    pl_sse_done(&p);
    return r;
}

/* What the whole input gives. */
struct whole {
    int rc;
    bool pending;
    struct sink k;
};

/*
 * Parse in every way; each must agree with the whole input in one feed. Then parse what was
 * serialized: the items come back (comment text dropped, raw_len the serialized length).
 */
static void
check_all_ways(const char *name, const char *in, size_t n, size_t max, size_t fail_on,
               struct whole *w)
{
    sink_init(&w->k, name);
    w->k.fail_on = fail_on;
    w->rc = parse_pieces(in, n, max, NULL, &w->k, &w->pending);

    char what[256];
    struct pieces ps;
    size_t ways = 0;
    for (size_t a = 0; a <= n; a++)
        for (size_t b = n <= 48 ? a : n; b <= n; b++) {
            ps = pieces_cuts(n, a, b);
            snprintf(what, sizeof(what), "%s: cut at %zu and %zu", name, a, b);
            struct sink k;
            sink_init(&k, what);
            k.fail_on = fail_on;
            k.positive = (int)(ways++ % 3); /* positive returns mean go on */
            bool pending;
            int r = parse_pieces(in, n, max, &ps, &k, &pending);
            cr_expect_eq(r, w->rc, "%s: status %d, whole %d", what, r, w->rc);
            cr_expect_str_eq(text_str(&k.full), text_str(&w->k.full), "%s", what);
            if (r == 0)
                cr_expect_eq(pending, w->pending, "%s: pending %d, whole %d", what, pending,
                             w->pending);
            sink_done(&k);
            free(ps.len);
        }
    for (int m = 0; m < 9; m++) {
        if (m < 8) {
            size_t maxpiece = (size_t[]){2, 3, 5, 8, 13, 64, 1, 4}[m];
            ps = pieces_random(n, maxpiece, 0x9e3779b97f4a7c15ULL * (uint64_t)(m + 1));
            snprintf(what, sizeof(what), "%s: random pieces of up to %zu", name, maxpiece);
        } else {
            ps = pieces_bytes(n);
            snprintf(what, sizeof(what), "%s: a byte at a time", name);
        }
        struct sink k;
        sink_init(&k, what);
        k.fail_on = fail_on;
        bool pending;
        int r = parse_pieces(in, n, max, &ps, &k, &pending);
        cr_expect_eq(r, w->rc, "%s: status %d, whole %d", what, r, w->rc);
        cr_expect_str_eq(text_str(&k.full), text_str(&w->k.full), "%s", what);
        if (r == 0)
            cr_expect_eq(pending, w->pending, "%s: pending %d, whole %d", what, pending,
                         w->pending);
        sink_done(&k);
        free(ps.len);
    }

    snprintf(what, sizeof(what), "%s: serialized and parsed back", name);
    struct sink back;
    sink_init(&back, what);
    bool pending;
    struct pl_str canon = pl_buf_str(&w->k.canon);
    int r = parse_pieces(canon.p, canon.len, SIZE_MAX, NULL, &back, &pending);
    cr_expect_eq(r, 0, "%s: status %d", what, r);
    cr_expect(!pending, "%s: pending", what);
    cr_expect_str_eq(text_str(&back.full), text_str(&w->k.canon_want), "%s", what);
    /* canonical is a fixed point */
    cr_expect(pl_str_eq(pl_buf_str(&back.canon), canon), "%s: canonical form not stable", what);
    sink_done(&back);
}

#define S(lit) lit, sizeof(lit) - 1
#define DEF    4096

struct sse_case {
    const char *name;
    const char *in;
    size_t len;
    size_t max;
    int rc;
    bool pending; /* after finish; checked when rc is 0 */
    const char *want;
};

static void
check_cases(const struct sse_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct sse_case *c = &cases[i];
        struct whole w;
        check_all_ways(c->name, c->in, c->len, c->max, 0, &w);
        cr_expect_eq(w.rc, c->rc, "%s: status %d, want %d", c->name, w.rc, c->rc);
        if (c->rc == 0)
            cr_expect_eq(w.pending, c->pending, "%s: pending %d, want %d", c->name, w.pending,
                         c->pending);
        cr_expect_str_eq(text_str(&w.k.plain), c->want, "%s", c->name);
        sink_done(&w.k);
    }
}

/* ---- the standard's examples ---- */

static const struct sse_case spec_cases[] = {
    {"stock ticker", S("data: YHOO\ndata: +2\ndata: 10\n\n"), DEF, 0, false,
     "ev 'YHOO\\n+2\\n10';"},
    {"test stream",
     S(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
       "data:  third event\n\n"),
     DEF, 0, false,
     "c ' test stream';ev 'first event' id='1';ev 'second event' id='';"
     "ev ' third event';"},
    {"test stream, last event not ended",
     S(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
       "data:  third event\n"),
     DEF, 0, true, "c ' test stream';ev 'first event' id='1';ev 'second event' id='';"},
    {"data, data:", S("data\n\ndata\ndata\n\ndata:"), DEF, 0, true, "ev '';ev '\\n';"},
    {"data, data:, ended", S("data\n\ndata\ndata\n\ndata:\n\n"), DEF, 0, false,
     "ev '';ev '\\n';ev '';"},
    {"data:test and data: test", S("data:test\n\ndata: test\n\n"), DEF, 0, false,
     "ev 'test';ev 'test';"},
    {"event types",
     S("event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n"),
     DEF, 0, false, "ev '73857293' type='add';ev '2153' type='remove';ev '113411' type='add';"},
    {"first, second, third message",
     S("data: This is the first message.\n\ndata: This is the second message, it\n"
       "data: has two lines.\n\ndata: This is the third message.\n\n"),
     DEF, 0, false,
     "ev 'This is the first message.';ev 'This is the second message, it\\nhas two lines.';"
     "ev 'This is the third message.';"},
    {"empty stream", S(""), DEF, 0, false, ""},
};

Test(sse, spec_examples)
{
    check_cases(spec_cases, PL_ARRAY_SIZE(spec_cases));
}

/* ---- line ends ---- */

static const struct sse_case eol_cases[] = {
    {"LF", S("data: a\ndata: b\n\n"), DEF, 0, false, "ev 'a\\nb';"},
    {"CRLF", S("data: a\r\ndata: b\r\n\r\n"), DEF, 0, false, "ev 'a\\nb';"},
    {"CR", S("data: a\rdata: b\r\r"), DEF, 0, false, "ev 'a\\nb';"},
    {"mixed", S("event: e\r\nid: 1\rdata: one\ndata: two\r\n\r\n: c\rdata: three\n\n"), DEF, 0,
     false, "ev 'one\\ntwo' type='e' id='1';c ' c';ev 'three';"},
    {"CRLF is one line end", S("data: a\r\ndata: b\r\n\r\n"), DEF, 0, false, "ev 'a\\nb';"},
    {"LF then CRLF", S("data: a\n\r\n"), DEF, 0, false, "ev 'a';"},
    {"CR CR LF", S("data: a\r\r\n"), DEF, 0, false, "ev 'a';"},
    {"CR CR LF LF", S("data: a\r\r\n\n"), DEF, 0, false, "ev 'a';"},
    {"LF CR", S("data: a\n\rdata: b\n\n"), DEF, 0, false, "ev 'a';ev 'b';"},
    {"LF CR LF CR", S("data: a\n\r\n\rdata: b\n\n"), DEF, 0, false, "ev 'a';ev 'b';"},
    {"CR ends a value", S("data: a\rb\n\n"), DEF, 0, false, "ev 'a';"},
    {"CR ends a value, CRLF", S("data: a\rdata: b\r\n\n"), DEF, 0, false, "ev 'a\\nb';"},
    {"blank lines only", S("\n\n\r\n\r\r\r\n\n"), DEF, 0, false, ""},
    {"last line end is a CR", S("data: a\n\r"), DEF, 0, false, "ev 'a';"},
    {"CR at the end, no event", S("data: a\r"), DEF, 0, true, ""},
    {"no line end at all", S("data: a"), DEF, 0, true, ""},
    {"CRLF stream", S(": hi\r\n\r\nevent: x\r\ndata: 1\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n"), DEF, 0,
     false, "c ' hi';ev '1\\n2' type='x';ev '3';"},
    {"CR stream", S(": hi\r\revent: x\rdata: 1\rdata: 2\r\rdata: 3\r\r"), DEF, 0, false,
     "c ' hi';ev '1\\n2' type='x';ev '3';"},
};

Test(sse, line_ends)
{
    check_cases(eol_cases, PL_ARRAY_SIZE(eol_cases));
}

struct feeds {
    const char *name;
    const char *feed[6]; /* NULL-terminated */
    const char *want;
};

/* A CR at the end of one feed and a LF at the start of the next are one line end. */
Test(sse, crlf_across_feeds)
{
    static const struct feeds cases[] = {
        {"CR | LF", {"data: a\r", "\ndata: b\n\n", NULL}, "ev 'a\\nb' raw=18;"},
        {"CR | empty | LF", {"data: a\r", "", "", "\ndata: b\n\n", NULL}, "ev 'a\\nb' raw=18;"},
        {"blank CR | LF",
         {"data: a\r\n\r", "\ndata: b\r\n\r\n", NULL},
         "ev 'a' raw=10;ev 'b' raw=11;"},
        {"CR | CR LF", {"data: a\r", "\r\n", NULL}, "ev 'a' raw=9;"},
        {"CR | LF | LF", {"data: a\r", "\n", "\n", NULL}, "ev 'a' raw=10;"},
        {"CR | LF one byte each", {"data: a", "\r", "\n", "\r", "\n", NULL}, "ev 'a' raw=10;"},
        {"comment CR | LF", {":x\r", "\n:y\n", NULL}, "c 'x' raw=3;c 'y' raw=4;"},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        struct sink k;
        sink_init(&k, cases[i].name);
        struct pl_sse_parser p;
        pl_sse_init(&p, DEF);
        for (size_t f = 0; cases[i].feed[f]; f++)
            cr_assert_eq(pl_sse_feed(&p, cases[i].feed[f], strlen(cases[i].feed[f]), sink_cb, &k),
                         0);
        cr_assert_eq(pl_sse_finish(&p, sink_cb, &k), 0);
        cr_expect(!pl_sse_pending(&p), "%s: pending", cases[i].name);
        cr_expect_str_eq(text_str(&k.full), cases[i].want, "%s", cases[i].name);
        pl_sse_done(&p);
        sink_done(&k);
    }
}

/* ---- BOM ---- */

static const struct sse_case bom_cases[] = {
    {"BOM",
     S("\xef\xbb\xbf"
       "data: a\n\n"),
     DEF, 0, false, "ev 'a';"},
    {"BOM, comment", S("\xef\xbb\xbf: c\n"), DEF, 0, false, "c ' c';"},
    {"BOM, blank line", S("\xef\xbb\xbf\n"), DEF, 0, false, ""},
    {"BOM only", S("\xef\xbb\xbf"), DEF, 0, false, ""},
    {"two BOMs: the second is text",
     S("\xef\xbb\xbf\xef\xbb\xbf"
       "data: a\n\n"),
     DEF, 0, false, ""},
    {"two BOMs, comment", S("\xef\xbb\xbf\xef\xbb\xbf: c\n"), DEF, 0, true, ""},
    {"BOM not at the start",
     S("data: a\n\xef\xbb\xbf"
       "data: b\n\n"),
     DEF, 0, false, "ev 'a';"},
    {"BOM in a value", S("data: \xef\xbb\xbfx\n\n"), DEF, 0, false, "ev '\\xef\\xbb\\xbfx';"},
    {"BOM in a comment", S(":\xef\xbb\xbf\n"), DEF, 0, false, "c '\\xef\\xbb\\xbf';"},
    {"half a BOM",
     S("\xef\xbb"
       "data: a\n\n"),
     DEF, 0, false, ""},
    {"a third of a BOM",
     S("\xef"
       "data: a\n\n"),
     DEF, 0, false, ""},
    {"half a BOM, then a line end", S("\xef\xbb\n"), DEF, 0, true, ""},
    {"half a BOM, then a blank line", S("\xef\xbb\n\n"), DEF, 0, false, ""},
    {"half a BOM at the end", S("\xef\xbb"), DEF, 0, true, ""},
    {"a third of a BOM at the end", S("\xef"), DEF, 0, true, ""},
    {"BOM with a wrong last byte", S("\xef\xbb\xbe: c\n"), DEF, 0, true, ""},
    {"BOM then CRLF", S("\xef\xbb\xbf\r\ndata: a\r\n\r\n"), DEF, 0, false, "ev 'a';"},
};

Test(sse, bom)
{
    check_cases(bom_cases, PL_ARRAY_SIZE(bom_cases));
}

/* ---- comments and fields ---- */

static const struct sse_case field_cases[] = {
    /* comments */
    {"empty comment", S(":\n"), DEF, 0, false, "c '';"},
    {"comment", S(": ping\n"), DEF, 0, false, "c ' ping';"},
    {"comment, colon", S("::x: y\n"), DEF, 0, false, "c ':x: y';"},
    {"comment inside an event", S("data: a\n: mid\ndata: b\n\n"), DEF, 0, false,
     "c ' mid';ev 'a\\nb';"},
    {"comment not ended", S(": x"), DEF, 0, true, ""},
    {"comments only", S(":a\n:b\r:c\r\n"), DEF, 0, false, "c 'a';c 'b';c 'c';"},
    {"comment with NUL", S(":a\0b\n"), DEF, 0, false, "c 'a\\0b';"},
    /* data */
    {"two spaces", S("data:  x\n\n"), DEF, 0, false, "ev ' x';"},
    {"tab is kept", S("data:\tx\n\n"), DEF, 0, false, "ev '\\tx';"},
    {"data:", S("data:\n\n"), DEF, 0, false, "ev '';"},
    {"data: space", S("data: \n\n"), DEF, 0, false, "ev '';"},
    {"data: two spaces", S("data:  \n\n"), DEF, 0, false, "ev ' ';"},
    {"data no colon", S("data\n\n"), DEF, 0, false, "ev '';"},
    {"colon in the value", S("data: a:b: c\n\n"), DEF, 0, false, "ev 'a:b: c';"},
    {"trailing space kept", S("data: a \n\n"), DEF, 0, false, "ev 'a ';"},
    {"empty lines in data", S("data: a\ndata\ndata:\ndata: b\n\n"), DEF, 0, false,
     "ev 'a\\n\\n\\nb';"},
    {"NUL in data", S("data: a\0b\n\n"), DEF, 0, false, "ev 'a\\0b';"},
    {"high bytes in data", S("data: \xff\xfe\x80\n\n"), DEF, 0, false, "ev '\\xff\\xfe\\x80';"},
    /* names are exact */
    {"Data", S("Data: x\n\n"), DEF, 0, false, ""},
    {"DATA then data", S("DATA: x\ndata: y\n\n"), DEF, 0, false, "ev 'y';"},
    {"space before name", S(" data: x\n\n"), DEF, 0, false, ""},
    {"space after name", S("data : x\n\n"), DEF, 0, false, ""},
    {"name with NUL", S("da\0ta: x\n\n"), DEF, 0, false, ""},
    {"datas", S("datas: x\n\n"), DEF, 0, false, ""},
    {"dat", S("dat: x\n\n"), DEF, 0, false, ""},
    /* event */
    {"event", S("event: add\ndata: x\n\n"), DEF, 0, false, "ev 'x' type='add';"},
    {"event, no value", S("event\ndata: x\n\n"), DEF, 0, false, "ev 'x';"},
    {"event, last wins", S("event: a\nevent: b\ndata: x\n\n"), DEF, 0, false, "ev 'x' type='b';"},
    {"event, emptied", S("event: a\nevent:\ndata: x\n\n"), DEF, 0, false, "ev 'x';"},
    {"event message", S("event: message\ndata: x\n\n"), DEF, 0, false, "ev 'x' type='message';"},
    {"event, space kept", S("event:  sp \ndata: x\n\n"), DEF, 0, false, "ev 'x' type=' sp ';"},
    {"event with NUL", S("event: a\0\ndata: x\n\n"), DEF, 0, false, "ev 'x' type='a\\0';"},
    {"Event", S("Event: a\ndata: x\n\n"), DEF, 0, false, "ev 'x';"},
    {"type does not carry over", S("event: a\ndata: x\n\ndata: y\n\n"), DEF, 0, false,
     "ev 'x' type='a';ev 'y';"},
    {"event without data resets the type", S("event: ignored\n\ndata: x\n\n"), DEF, 0, false,
     "ev 'x';"},
    /* id */
    {"id", S("id: 1\ndata: a\n\n"), DEF, 0, false, "ev 'a' id='1';"},
    {"id, last wins", S("id: 1\nid: 2\ndata: a\n\n"), DEF, 0, false, "ev 'a' id='2';"},
    {"id, no value", S("id\ndata: a\n\n"), DEF, 0, false, "ev 'a' id='';"},
    {"id:", S("id:\ndata: a\n\n"), DEF, 0, false, "ev 'a' id='';"},
    {"id with NUL ignored", S("id: 1\0\ndata: a\n\n"), DEF, 0, false, "ev 'a';"},
    {"id with NUL does not undo an id",
     S("id: 1\nid: 2\0"
       "3\ndata: a\n\n"),
     DEF, 0, false, "ev 'a' id='1';"},
    {"id NUL only", S("id:\0\ndata: a\n\n"), DEF, 0, false, "ev 'a';"},
    {"id after data", S("data: a\nid: 9\n\n"), DEF, 0, false, "ev 'a' id='9';"},
    {"id is per event here", S("id: 7\ndata: a\n\ndata: b\n\n"), DEF, 0, false,
     "ev 'a' id='7';ev 'b';"},
    {"id without data", S("id: 5\n\ndata: x\n\n"), DEF, 0, false, "ev 'x';"},
    {"id with spaces", S("id:  a b \ndata: x\n\n"), DEF, 0, false, "ev 'x' id=' a b ';"},
    {"ID", S("ID: 1\ndata: x\n\n"), DEF, 0, false, "ev 'x';"},
    /* retry */
    {"retry", S("retry: 5000\ndata: a\n\n"), DEF, 0, false, "ev 'a' retry=5000;"},
    {"retry 0", S("retry: 0\ndata: a\n\n"), DEF, 0, false, "ev 'a' retry=0;"},
    {"retry leading zeros", S("retry:007\ndata: a\n\n"), DEF, 0, false, "ev 'a' retry=7;"},
    {"retry, last valid wins", S("retry: 5000\nretry: 1a\nretry: -1\nretry:\nretry: 250\ndata\n\n"),
     DEF, 0, false, "ev '' retry=250;"},
    {"retry, invalid after valid", S("retry: 5\nretry: x\ndata\n\n"), DEF, 0, false,
     "ev '' retry=5;"},
    {"retry letters", S("retry: 1a\ndata\n\n"), DEF, 0, false, "ev '';"},
    {"retry negative", S("retry: -1\ndata\n\n"), DEF, 0, false, "ev '';"},
    {"retry plus", S("retry: +1\ndata\n\n"), DEF, 0, false, "ev '';"},
    {"retry empty", S("retry:\ndata\n\n"), DEF, 0, false, "ev '';"},
    {"retry no colon", S("retry\ndata\n\n"), DEF, 0, false, "ev '';"},
    {"retry two spaces", S("retry:  5\ndata\n\n"), DEF, 0, false, "ev '';"},
    {"retry trailing space", S("retry: 5 \ndata\n\n"), DEF, 0, false, "ev '';"},
    {"retry decimal point", S("retry: 1.5\ndata\n\n"), DEF, 0, false, "ev '';"},
    {"retry NUL", S("retry: 1\0\ndata\n\n"), DEF, 0, false, "ev '';"},
    {"retry arabic-indic digit", S("retry: \xd9\xa3\ndata\n\n"), DEF, 0, false, "ev '';"},
    {"retry INT64_MAX", S("retry: 9223372036854775807\ndata\n\n"), DEF, 0, false,
     "ev '' retry=9223372036854775807;"},
    {"retry INT64_MAX + 1", S("retry: 9223372036854775808\ndata\n\n"), DEF, 0, false,
     "ev '' retry=9223372036854775807;"},
    {"retry huge", S("retry: 000099999999999999999999999999999999999999\ndata\n\n"), DEF, 0, false,
     "ev '' retry=9223372036854775807;"},
    {"retry UINT64_MAX + 1", S("retry: 18446744073709551616\ndata\n\n"), DEF, 0, false,
     "ev '' retry=9223372036854775807;"},
    {"retry is per event here", S("retry: 5\ndata: a\n\ndata: b\n\n"), DEF, 0, false,
     "ev 'a' retry=5;ev 'b';"},
    {"Retry", S("Retry: 5\ndata\n\n"), DEF, 0, false, "ev '';"},
    /* unknown fields */
    {"unknown field", S("foo: bar\ndata: x\n\n"), DEF, 0, false, "ev 'x';"},
    {"unknown, no colon", S("foo\n\n"), DEF, 0, false, ""},
    {"unknown and comment", S(": ping\nfoo: bar\ndata: x\n\n"), DEF, 0, false, "c ' ping';ev 'x';"},
    {"colon first is a comment", S(": not a field\n\n"), DEF, 0, false, "c ' not a field';"},
    /* no data, no event */
    {"fields without data", S("event: a\nid: 1\nretry: 5\nfoo\n\n"), DEF, 0, false, ""},
    {"fields without data, then data", S("event: a\nid: 1\nretry: 5\n\ndata: b\n\n"), DEF, 0, false,
     "ev 'b';"},
    /* end of stream */
    {"last event not ended", S("data: a\n\ndata: b\n"), DEF, 0, true, "ev 'a';"},
    {"last line not ended", S("data: a\n\ndata: b"), DEF, 0, true, "ev 'a';"},
    {"id only, not ended", S("id: 1\n"), DEF, 0, true, ""},
    {"unknown only, not ended", S("foo\n"), DEF, 0, true, ""},
    {"ended", S("data: a\n\n"), DEF, 0, false, "ev 'a';"},
    {"blank line after event", S("data: a\n\n\n"), DEF, 0, false, "ev 'a';"},
};

Test(sse, comments_and_fields)
{
    check_cases(field_cases, PL_ARRAY_SIZE(field_cases));
}

/* raw_len: the lines of the item, each with its CR or LF; a CRLF's LF goes with the next line. */
Test(sse, raw_len)
{
    static const struct {
        const char *name;
        const char *in;
        size_t len;
        const char *want;
    } cases[] = {
        {"LF", S("data: a\n\n"), "ev 'a' raw=9;"},
        {"CR", S("data: a\r\r"), "ev 'a' raw=9;"},
        {"CRLF", S("data: a\r\n\r\ndata: b\r\n\r\n"), "ev 'a' raw=10;ev 'b' raw=11;"},
        {"comment between", S("data: a\n: c\n\n"), "c ' c' raw=4;ev 'a' raw=9;"},
        {"comment CRLF", S(": c\r\n: d\r\n"), "c ' c' raw=4;c ' d' raw=5;"},
        {"unknown field counts", S("foo\ndata: a\n\n"), "ev 'a' raw=13;"},
        {"ignored id counts", S("id: \0\ndata: a\n\n"), "ev 'a' raw=15;"},
        {"BOM does not",
         S("\xef\xbb\xbf"
           "data: a\n\n"),
         "ev 'a' raw=9;"},
        {"half a BOM does", S("\xef\xbb:\ndata: a\n\n"), "ev 'a' raw=13;"},
        {"event without data does not", S("id: 1\n\ndata: a\n\n"), "ev 'a' raw=9;"},
        {"blank lines do not", S("\n\n\ndata: a\n\n\n"), "ev 'a' raw=9;"},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        struct whole w;
        check_all_ways(cases[i].name, cases[i].in, cases[i].len, DEF, 0, &w);
        cr_expect_eq(w.rc, 0);
        cr_expect_str_eq(text_str(&w.k.full), cases[i].want, "%s", cases[i].name);
        sink_done(&w.k);
    }
}

/* ---- limits ---- */

/* The held bytes: the event's field values (a data value with its '\n') + the line so far. */
static const struct sse_case limit_cases[] = {
    {"line of max", S("data: 0123456789\n\n"), 16, 0, false, "ev '0123456789';"},
    {"line of max + 1", S("data: 0123456789\n\n"), 15, -E2BIG, false, ""},
    {"line of max, no line end", S("data: 0123456789"), 16, 0, true, ""},
    {"line of max + 1, no line end", S("data: 0123456789"), 15, -E2BIG, false, ""},
    {"line ends do not count", S("data: 0123456789\r\n\r\n"), 16, 0, false, "ev '0123456789';"},
    {"BOM does not count",
     S("\xef\xbb\xbf"
       "data: 0123456789\n\n"),
     16, 0, false, "ev '0123456789';"},
    /* 11 held after the first line; the second may have 9 bytes */
    {"event of max", S("data: 0123456789\ndata: abc\n\n"), 20, 0, false, "ev '0123456789\\nabc';"},
    {"event of max + 1", S("data: 0123456789\ndata: abc\n\n"), 19, -E2BIG, false, ""},
    {"event of max + 1, no line end", S("data: 0123456789\ndata: abc"), 19, -E2BIG, false, ""},
    {"items before the error stand", S(": c\ndata: 0\n\ndata: 0123456789\ndata: abc\n\n"), 19,
     -E2BIG, false, "c ' c';ev '0';"},
    {"limit is per event", S("data: 0123456789\n\ndata: 0123456789\n\ndata: 0123456789\n\n"), 16, 0,
     false, "ev '0123456789';ev '0123456789';ev '0123456789';"},
    /* a flood of empty data lines: each adds a '\n' */
    {"empty data lines, max", S("data\ndata\ndata\ndata\ndata\ndata\ndata\n\n"), 10, 0, false,
     "ev '\\n\\n\\n\\n\\n\\n';"},
    {"empty data lines, max + 1", S("data\ndata\ndata\ndata\ndata\ndata\ndata\ndata\n\n"), 10,
     -E2BIG, false, ""},
    /* every field value counts, unknown and replaced ones too */
    {"unknown fields, max", S("foo: 12345\nfoo: 12\n\n"), 12, 0, false, ""},
    {"unknown fields, max + 1", S("foo: 12345\nfoo: 123\n\n"), 12, -E2BIG, false, ""},
    {"event values add up", S("event: 1234\nevent: 1\ndata\n\n"), 12, 0, false, "ev '' type='1';"},
    {"event values add up, max + 1", S("event: 1234\nevent: 12\ndata\n\n"), 12, -E2BIG, false, ""},
    /* a comment line counts while it is held, not after */
    {"comment in an event, max", S("data: abcde\n: 1234\ndata:a\n\n"), 12, 0, false,
     "c ' 1234';ev 'abcde\\na';"},
    {"comment in an event, max + 1", S("data: abcde\n: 12345\n\n"), 12, -E2BIG, false, ""},
    {"comment of max", S(":abcd\n"), 5, 0, false, "c 'abcd';"},
    {"comment of max + 1", S(":abcde\n"), 5, -E2BIG, false, ""},
    /* max 0: only blank lines */
    {"max 0, blank lines", S("\n\r\n\r"), 0, 0, false, ""},
    {"max 0, BOM", S("\xef\xbb\xbf\n"), 0, 0, false, ""},
    {"max 0, half a BOM", S("\xef\xbb\n"), 0, -E2BIG, false, ""},
    {"max 0, data", S("data\n\n"), 0, -E2BIG, false, ""},
    {"max 0, comment", S(":\n"), 0, -E2BIG, false, ""},
    {"max 1, comment", S(":\n"), 1, 0, false, "c '';"},
    {"half a BOM counts", S("\xef\xbb\n\n"), 2, 0, false, ""},
    {"half a BOM counts, max + 1",
     S("\xef\xbb"
       "x\n\n"),
     2, -E2BIG, false, ""},
    {"SIZE_MAX", S("data: x\n\n"), SIZE_MAX, 0, false, "ev 'x';"},
};

Test(sse, limits)
{
    check_cases(limit_cases, PL_ARRAY_SIZE(limit_cases));
}

/* A long line without a line end, fed in pieces: refused once past max, not held whole. */
Test(sse, long_line)
{
    const size_t max = 1000;
    char piece[64];
    memset(piece, 'x', sizeof(piece));
    struct sink k;
    sink_init(&k, "long line");
    struct pl_sse_parser p;
    pl_sse_init(&p, max);
    cr_assert_eq(pl_sse_feed(&p, "data: ", 6, sink_cb, &k), 0);
    size_t fed = 6;
    int r = 0;
    while (r == 0 && fed < 100 * max) {
        r = pl_sse_feed(&p, piece, sizeof(piece), sink_cb, &k);
        if (r == 0)
            fed += sizeof(piece);
    }
    cr_expect_eq(r, -E2BIG);
    cr_expect_leq(fed, max, "held %zu bytes", fed);
    cr_expect_gt(fed + sizeof(piece), max);
    cr_expect_leq(p.line.cap, 2 * (max + 1), "line buffer of %zu bytes", p.line.cap);
    cr_expect_eq(pl_sse_feed(&p, "\n\n", 2, sink_cb, &k), -E2BIG);
    cr_expect_eq(pl_sse_finish(&p, sink_cb, &k), -E2BIG);
    cr_expect_eq(k.items, 0);
    pl_sse_done(&p);
    sink_done(&k);
}

/* What is held stays within max_event_bytes, whatever the stream. */
Test(sse, memory_bounded)
{
    const size_t max = 300;
    uint64_t x = 12345;
    static const char *const lines[] = {"data: 0123456789abcdef",
                                        "data",
                                        "event: type",
                                        "id: 42",
                                        "retry: 10",
                                        "foo: bar",
                                        ": comment",
                                        ""};
    struct pl_sse_parser p;
    pl_sse_init(&p, max);
    struct sink k;
    sink_init(&k, "memory bounded");
    int r = 0;
    size_t events = 0;
    for (int i = 0; i < 20000 && r == 0; i++) {
        const char *l = lines[xorshift(&x) % PL_ARRAY_SIZE(lines)];
        if (!*l || p.ev_bytes > max - 30) {
            l = "";
            events++;
        }
        r = pl_sse_feed(&p, l, strlen(l), sink_cb, &k);
        if (r == 0)
            r = pl_sse_feed(&p, "\r\n", 2, sink_cb, &k);
        size_t held = p.line.len + p.data.len + p.type.len + p.id.len;
        cr_assert_leq(held, max, "holding %zu bytes", held);
    }
    cr_expect_eq(r, 0);
    cr_expect_gt(events, 1000);
    size_t cap = PL_MAX(64, 2 * (max + 1));
    cr_expect(p.line.cap <= cap && p.data.cap <= cap && p.type.cap <= cap && p.id.cap <= cap,
              "buffers %zu %zu %zu %zu", p.line.cap, p.data.cap, p.type.cap, p.id.cap);
    pl_sse_done(&p);
    sink_done(&k);
}

/* ---- errors ---- */

Test(sse, errors_stick)
{
    struct sink k;
    sink_init(&k, "errors stick");
    struct pl_sse_parser p;
    pl_sse_init(&p, 8);
    cr_assert_eq(pl_sse_feed(&p, "data: a\n\n", 9, sink_cb, &k), 0);
    cr_assert_eq(k.items, 1);
    cr_assert_eq(pl_sse_feed(&p, "data: 01234", 11, sink_cb, &k), -E2BIG);
    k.frozen = true;
    cr_expect_eq(pl_sse_feed(&p, "\n\ndata: a\n\n", 11, sink_cb, &k), -E2BIG);
    cr_expect_eq(pl_sse_feed(&p, NULL, 0, sink_cb, &k), -E2BIG);
    cr_expect_eq(pl_sse_finish(&p, sink_cb, &k), -E2BIG);
    cr_expect_eq(pl_sse_finish(&p, sink_cb, &k), -E2BIG);
    cr_expect(!k.called_frozen);
    cr_expect_eq(k.items, 1);
    pl_sse_done(&p);
    sink_done(&k);
}

Test(sse, callback_error)
{
    static const char in[] = ": a\ndata: 1\n\n: b\ndata: 2\nid: 2\n\n: c\ndata: 3\n\n";
    static const char *const want[] = {
        "",
        "c ' a' raw=4;",
        "c ' a' raw=4;ev '1' raw=9;",
        "c ' a' raw=4;ev '1' raw=9;c ' b' raw=4;",
        "c ' a' raw=4;ev '1' raw=9;c ' b' raw=4;ev '2' id='2' raw=15;",
        "c ' a' raw=4;ev '1' raw=9;c ' b' raw=4;ev '2' id='2' raw=15;c ' c' raw=4;",
        "c ' a' raw=4;ev '1' raw=9;c ' b' raw=4;ev '2' id='2' raw=15;c ' c' raw=4;ev '3' raw=9;",
    };
    for (size_t fail_on = 1; fail_on <= 7; fail_on++) {
        char name[64];
        snprintf(name, sizeof(name), "callback fails on item %zu", fail_on);
        struct whole w;
        check_all_ways(name, in, sizeof(in) - 1, DEF, fail_on, &w);
        cr_expect_eq(w.rc, fail_on <= 6 ? -42 : 0, "%s: status %d", name, w.rc);
        /* the refused item was offered, nothing after it */
        cr_expect_str_eq(text_str(&w.k.full), want[PL_MIN(fail_on, 6)], "%s", name);
        sink_done(&w.k);
    }
}

/* ---- end of stream ---- */

Test(sse, finish)
{
    struct sink k;
    sink_init(&k, "finish");
    struct pl_sse_parser p;

    pl_sse_init(&p, DEF);
    cr_expect(!pl_sse_pending(&p));
    cr_expect_eq(pl_sse_finish(&p, sink_cb, &k), 0, "empty stream");
    cr_expect(!pl_sse_pending(&p));
    pl_sse_done(&p);

    pl_sse_init(&p, DEF);
    cr_assert_eq(pl_sse_feed(&p, "data: a\n\n", 9, sink_cb, &k), 0);
    cr_expect(!pl_sse_pending(&p));
    cr_expect_eq(pl_sse_finish(&p, sink_cb, &k), 0);
    cr_expect(!pl_sse_pending(&p));
    cr_expect_eq(k.items, 1);
    pl_sse_done(&p);

    /* pending: an event without its blank line, discarded at the end */
    static const char *const pending[] = {"data: b\n", "data: b", "d",   ":",
                                          "id: 1\n",   "x\r",     "\xef"};
    for (size_t i = 0; i < PL_ARRAY_SIZE(pending); i++) {
        pl_sse_init(&p, DEF);
        size_t items = k.items;
        cr_assert_eq(pl_sse_feed(&p, pending[i], strlen(pending[i]), sink_cb, &k), 0);
        cr_expect(pl_sse_pending(&p), "\"%s\" before finish", pending[i]);
        k.in_finish = true;
        cr_expect_eq(pl_sse_finish(&p, sink_cb, &k), 0, "\"%s\"", pending[i]);
        k.in_finish = false;
        cr_expect(pl_sse_pending(&p), "\"%s\" after finish", pending[i]);
        cr_expect_eq(k.items, items, "\"%s\": delivered at the end", pending[i]);
        pl_sse_done(&p);
    }
    cr_expect(!k.called_finish);
    sink_done(&k);
}

/* ---- serialize ---- */

Test(sse, serialize)
{
    static const struct {
        struct pl_sse_item it;
        const char *want;
        size_t want_len;
    } cases[] = {
        {{.kind = PL_SSE_EVENT, .data = PL_STR("x"), .retry = -1}, S("data: x\n\n")},
        {{.kind = PL_SSE_EVENT, .data = PL_STR(""), .retry = -1}, S("data: \n\n")},
        {{.kind = PL_SSE_EVENT, .data = PL_STR("\n"), .retry = -1}, S("data: \ndata: \n\n")},
        {{.kind = PL_SSE_EVENT, .data = PL_STR("a\n"), .retry = -1}, S("data: a\ndata: \n\n")},
        {{.kind = PL_SSE_EVENT, .data = PL_STR("YHOO\n+2\n10"), .retry = -1},
         S("data: YHOO\ndata: +2\ndata: 10\n\n")},
        {{.kind = PL_SSE_EVENT, .data = PL_STR(" x"), .retry = -1}, S("data:  x\n\n")},
        {{.kind = PL_SSE_EVENT,
          .event = PL_STR("add"),
          .data = PL_STR("1\n2"),
          .id = PL_STR("7"),
          .has_id = true,
          .retry = 3000,
          .raw_len = 99},
         S("event: add\nid: 7\nretry: 3000\ndata: 1\ndata: 2\n\n")},
        {{.kind = PL_SSE_EVENT, .data = PL_STR("x"), .has_id = true, .retry = 0},
         S("id: \nretry: 0\ndata: x\n\n")},
        {{.kind = PL_SSE_EVENT, .data = PL_STR("x"), .id = PL_STR("unused"), .retry = -1},
         S("data: x\n\n")},
        {{.kind = PL_SSE_EVENT, .data = PL_STR("x"), .retry = INT64_MAX},
         S("retry: 9223372036854775807\ndata: x\n\n")},
        {{.kind = PL_SSE_EVENT, .event = PL_STR("a\0b"), .data = PL_STR("\0"), .retry = -1},
         S("event: a\0b\ndata: \0\n\n")},
        {{.kind = PL_SSE_COMMENT, .comment = PL_STR(" keep-alive text")}, S(":\n")},
        {{.kind = PL_SSE_COMMENT}, S(":\n")},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        struct pl_buf out;
        pl_buf_init(&out, 1 << 20);
        cr_assert_eq(pl_buf_add_c(&out, "prefix"), 0);
        cr_expect_eq(pl_sse_serialize(&cases[i].it, &out), 0, "case %zu", i);
        struct text want = {0};
        text_puts(&want, "prefix");
        text_put(&want, cases[i].want, cases[i].want_len);
        cr_expect(out.len == want.len && memcmp(out.data, want.p, want.len) == 0,
                  "case %zu: got %zu bytes \"%.*s\"", i, out.len, (int)out.len, out.data);
        text_free(&want);
        pl_buf_done(&out);
    }
}

Test(sse, serialize_refuses)
{
    static const struct pl_sse_item bad[] = {
        {.kind = PL_SSE_EVENT, .event = PL_STR("a\nb"), .data = PL_STR("x"), .retry = -1},
        {.kind = PL_SSE_EVENT, .event = PL_STR("a\r"), .data = PL_STR("x"), .retry = -1},
        {.kind = PL_SSE_EVENT, .data = PL_STR("x\ry"), .retry = -1},
        {.kind = PL_SSE_EVENT,
         .data = PL_STR("x"),
         .id = PL_STR("1\n"),
         .has_id = true,
         .retry = -1},
        {.kind = PL_SSE_EVENT,
         .data = PL_STR("x"),
         .id = PL_STR("\r1"),
         .has_id = true,
         .retry = -1},
        {.kind = PL_SSE_EVENT,
         .data = PL_STR("x"),
         .id = PL_STR("1\0"),
         .has_id = true,
         .retry = -1},
        {.kind = PL_SSE_EVENT, .data = PL_STR("x"), .retry = -2},
        {.kind = PL_SSE_EVENT, .data = PL_STR("x"), .retry = INT64_MIN},
        {.kind = (enum pl_sse_kind)7, .data = PL_STR("x"), .retry = -1},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(bad); i++) {
        struct pl_buf out;
        pl_buf_init(&out, 1 << 20);
        cr_assert_eq(pl_buf_add_c(&out, "keep"), 0);
        cr_expect_eq(pl_sse_serialize(&bad[i], &out), -EINVAL, "case %zu", i);
        cr_expect(out.len == 4 && strcmp(out.data, "keep") == 0, "case %zu: out changed", i);
        pl_buf_done(&out);
    }
    /* an id with a NUL is fine while has_id is false: it is not written */
    struct pl_sse_item ok = {
        .kind = PL_SSE_EVENT, .data = PL_STR("x"), .id = PL_STR("\0"), .retry = -1};
    struct pl_buf out;
    pl_buf_init(&out, 100);
    cr_expect_eq(pl_sse_serialize(&ok, &out), 0);
    cr_expect_str_eq(out.data, "data: x\n\n");
    pl_buf_done(&out);
}

/* out too small: -E2BIG at any point of the output, and out as it was. */
Test(sse, serialize_out_full)
{
    struct pl_sse_item it = {.kind = PL_SSE_EVENT,
                             .event = PL_STR("add"),
                             .data = PL_STR("1\n2"),
                             .id = PL_STR("7"),
                             .has_id = true,
                             .retry = 3000};
    static const char want[] = "event: add\nid: 7\nretry: 3000\ndata: 1\ndata: 2\n\n";
    for (size_t max = 2; max < sizeof(want) + 2; max++) {
        struct pl_buf out;
        pl_buf_init(&out, max);
        cr_assert_eq(pl_buf_add_c(&out, "ab"), 0);
        int r = pl_sse_serialize(&it, &out);
        if (max >= sizeof(want) + 1) {
            cr_expect_eq(r, 0, "max %zu", max);
            cr_expect_str_eq(out.data + 2, want);
        } else {
            cr_expect_eq(r, -E2BIG, "max %zu", max);
            cr_expect(out.len == 2 && strcmp(out.data, "ab") == 0, "max %zu: out changed", max);
        }
        pl_buf_done(&out);
    }
}

/* ---- random streams ---- */

/* Appends the NUL-terminated fragment f (a lone "" stands for one NUL byte) if it fits. */
static void
put_frag(char *in, size_t *n, size_t cap, const char *f)
{
    size_t fl = *f ? strlen(f) : 1;
    if (*n + fl <= cap) {
        memcpy(in + *n, f, fl);
        *n += fl;
    }
}

/*
 * Streams of random lines: a field name or comment colon, value fragments that matter (NUL,
 * BOM, digits, spaces, colons), one of the three line ends or none (so lines run together),
 * blank lines. Each is fed every way and round-tripped by check_all_ways (one cut only: the
 * inputs are up to 160 bytes).
 */
Test(sse, random_streams)
{
    static const char *const names[] = {
        "data",   "data:", "data: ", "data:  ", "event: ", "event",        "id: ", "id", "retry: ",
        "retry:", ":",     ": ",     "foo: ",   "Data: ",  "\xef\xbb\xbf", "\xef", "",
    };
    static const char *const values[] = {
        "x",       "hello", " ",    ":", "1", "007", "", "\xef\xbb\xbf", "99999999999999999999",
        "message", "\t",    "\xff",
    };
    static const char *const eols[] = {"\n", "\n", "\r", "\r\n", ""};
    static const size_t maxes[] = {0, 8, 24, 64, DEF, DEF, DEF, SIZE_MAX};
    uint64_t x = 0x1234567;
    size_t items = 0;
    for (int i = 0; i < 400; i++) {
        char in[160];
        size_t n = 0;
        size_t target = xorshift(&x) % sizeof(in);
        while (n < target) {
            if (xorshift(&x) % 4 == 0) { /* a blank line */
                put_frag(in, &n, sizeof(in), eols[xorshift(&x) % 4]);
                continue;
            }
            const char *field = names[xorshift(&x) % PL_ARRAY_SIZE(names)];
            if (*field)
                put_frag(in, &n, sizeof(in), field);
            for (uint64_t v = xorshift(&x) % 4; v > 0; v--)
                put_frag(in, &n, sizeof(in), values[xorshift(&x) % PL_ARRAY_SIZE(values)]);
            const char *eol = eols[xorshift(&x) % PL_ARRAY_SIZE(eols)];
            if (*eol)
                put_frag(in, &n, sizeof(in), eol);
            if (n + 4 > sizeof(in))
                break;
        }
        char name[64];
        size_t max = maxes[xorshift(&x) % PL_ARRAY_SIZE(maxes)];
        snprintf(name, sizeof(name), "random stream %d (max %zu)", i, max);
        struct whole w;
        check_all_ways(name, in, n, max, 0, &w);
        items += w.k.items;
        sink_done(&w.k);
    }
    cr_expect_gt(items, 300, "only %zu items in all", items); /* about one per 40 bytes */
}

/* ---- reuse ---- */

Test(sse, init_after_done)
{
    struct sink k;
    sink_init(&k, "reuse");
    struct pl_sse_parser p;
    pl_sse_init(&p, 4);
    cr_expect_eq(pl_sse_feed(&p, "data: too long\n\n", 16, sink_cb, &k), -E2BIG);
    pl_sse_done(&p);
    pl_sse_done(&p); /* twice is fine */
    pl_sse_done(NULL);

    pl_sse_init(&p, DEF);
    cr_expect(!pl_sse_pending(&p));
    cr_expect_eq(pl_sse_feed(&p,
                             "\xef\xbb\xbf"
                             "data: a\nid: 1\n",
                             17, sink_cb, &k),
                 0);
    pl_sse_done(&p);

    pl_sse_init(&p, DEF); /* nothing of the last stream is left: BOM, event, id */
    cr_expect(!pl_sse_pending(&p));
    cr_expect_eq(pl_sse_feed(&p,
                             "\xef\xbb\xbf"
                             "data: b\n\n",
                             12, sink_cb, &k),
                 0);
    cr_expect_eq(pl_sse_finish(&p, sink_cb, &k), 0);
    cr_expect_str_eq(text_str(&k.plain), "ev 'b';");
    pl_sse_done(&p);

    pl_sse_init(&p, DEF); /* done right after init */
    pl_sse_done(&p);
    sink_done(&k);
}

/* ---- time ---- */

static int
count_cb(void *ctx, const struct pl_sse_item *it)
{
    size_t *count = ctx;
    (void)it;
    (*count)++;
    return 0;
}

/*
 * Linear time: a 4 MiB line a byte at a time (each feed looks at its own byte only), and 32 MiB
 * of lines ended by one kind of line end while the other kind comes only at the very end (each
 * byte is searched once). Rescanning held bytes or the rest of the feed for each line would
 * take minutes to hours here.
 */
Test(sse, linear_time, .timeout = 60)
{
    const size_t n = 32u << 20, line = 4u << 20;
    char *big = malloc(n + 2);
    cr_assert_not_null(big);
    size_t items = 0;
    struct pl_sse_parser p;

    pl_sse_init(&p, n);
    cr_assert_eq(pl_sse_feed(&p, "data: ", 6, count_cb, &items), 0);
    for (size_t i = 0; i < line; i++)
        if (pl_sse_feed(&p, "y", 1, count_cb, &items) != 0)
            cr_assert_fail("feed %zu failed", i);
    cr_assert_eq(pl_sse_feed(&p, "\n\n", 2, count_cb, &items), 0);
    cr_expect_eq(items, 1);
    pl_sse_done(&p);

    for (int lf = 0; lf < 2; lf++) {
        /* "data\r" repeated, then "\n\n"; "data\n" repeated, then "\r\r" */
        size_t len = 0;
        while (len + 5 <= n) {
            memcpy(big + len, "data", 4);
            big[len + 4] = lf ? '\n' : '\r';
            len += 5;
        }
        big[len++] = lf ? '\r' : '\n';
        big[len++] = lf ? '\r' : '\n';
        pl_sse_init(&p, n);
        items = 0;
        cr_assert_eq(pl_sse_feed(&p, big, len, count_cb, &items), 0);
        cr_expect_eq(items, 1, "lf %d", lf);
        pl_sse_done(&p);
    }
    free(big);
}
