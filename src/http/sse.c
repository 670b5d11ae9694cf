/*
 * text/event-stream framer (see sse.h). A line that lies whole in the fed bytes is read in
 * place; only the start of a line cut by the end of a feed is copied, and later feeds look
 * only at their new bytes for its end, so a line fed a byte at a time costs linear time.
 * Every copy (line, data, type, id) is counted against max_event_bytes before it is made.
 */
#include "http/sse.h"

#include <errno.h>
#include <string.h>

static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};

void
pl_sse_init(struct pl_sse_parser *p, size_t max_event_bytes)
{
    memset(p, 0, sizeof(*p));
    p->max = max_event_bytes;
    p->retry = -1;
    pl_buf_init(&p->line, max_event_bytes);
    pl_buf_init(&p->data, max_event_bytes);
    pl_buf_init(&p->type, max_event_bytes);
    pl_buf_init(&p->id, max_event_bytes);
}

void
pl_sse_done(struct pl_sse_parser *p)
{
    if (!p)
        return;
    pl_buf_done(&p->line);
    pl_buf_done(&p->data);
    pl_buf_done(&p->type);
    pl_buf_done(&p->id);
}

bool
pl_sse_pending(const struct pl_sse_parser *p)
{
    return p->in_event || p->line.len > 0 || (!p->bom_done && p->bom_len > 0);
}

static int
fail(struct pl_sse_parser *p, int err)
{
    p->err = err;
    return err;
}

/* Forget the event being received; the buffers keep their memory for the next one. */
static void
reset_event(struct pl_sse_parser *p)
{
    pl_buf_reset(&p->data);
    pl_buf_reset(&p->type);
    pl_buf_reset(&p->id);
    p->has_id = false;
    p->retry = -1;
    p->ev_bytes = 0;
    p->ev_raw = 0;
    p->in_event = false;
}

/* A blank line: deliver the event if it has data, and start a new one either way. */
static int
dispatch(struct pl_sse_parser *p, pl_sse_cb cb, void *ctx)
{
    int r = 0;
    if (p->data.len > 0) {
        struct pl_sse_item it = {
            .kind = PL_SSE_EVENT,
            .event = pl_buf_str(&p->type),
            .data = pl_str_from(p->data.data, p->data.len - 1), /* without the last '\n' */
            .id = pl_buf_str(&p->id),
            .has_id = p->has_id,
            .retry = p->retry,
            .comment = PL_STR(""),
            .raw_len = p->ev_raw,
        };
        r = cb(ctx, &it);
    }
    reset_event(p);
    return r < 0 ? r : 0;
}

/* A retry value: ASCII digits only, at least one; saturates at INT64_MAX. -1 if invalid. */
static int64_t
parse_retry(struct pl_str v)
{
    if (v.len == 0)
        return -1;
    int64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c < '0' || c > '9')
            return -1;
        int d = c - '0';
        n = n > (INT64_MAX - d) / 10 ? INT64_MAX : n * 10 + d;
    }
    return n;
}

static int
set_buf(struct pl_buf *b, struct pl_str v)
{
    pl_buf_reset(b);
    return pl_buf_add_str(b, v);
}

/* A field line of the event. The limit was checked on the whole line, which is longer. */
static int
field(struct pl_sse_parser *p, struct pl_str line)
{
    struct pl_str name = line, value = PL_STR("");
    const char *colon = memchr(line.p, ':', line.len);
    if (colon) {
        name.len = (size_t)(colon - line.p);
        value = pl_str_from(colon + 1, line.len - name.len - 1);
        if (value.len > 0 && value.p[0] == ' ') {
            value.p++;
            value.len--;
        }
    }
    p->in_event = true;
    p->ev_bytes += value.len;
    if (pl_str_eq(name, PL_STR("data"))) {
        p->ev_bytes++;
        int r = pl_buf_add_str(&p->data, value);
        return r < 0 ? r : pl_buf_add_ch(&p->data, '\n');
    }
    if (pl_str_eq(name, PL_STR("event")))
        return set_buf(&p->type, value);
    if (pl_str_eq(name, PL_STR("id"))) {
        if (memchr(value.p, '\0', value.len))
            return 0;
        p->has_id = true;
        return set_buf(&p->id, value);
    }
    if (pl_str_eq(name, PL_STR("retry"))) {
        int64_t n = parse_retry(value);
        if (n >= 0)
            p->retry = n;
    }
    return 0; /* unknown fields are ignored */
}

/* One complete line, without its line end; raw counts its input bytes. */
static int
take_line(struct pl_sse_parser *p, struct pl_str s, size_t raw, pl_sse_cb cb, void *ctx)
{
    if (s.len == 0) {
        p->ev_raw += raw;
        return dispatch(p, cb, ctx);
    }
    if (s.p[0] == ':') {
        struct pl_sse_item it = {
            .kind = PL_SSE_COMMENT,
            .event = PL_STR(""),
            .data = PL_STR(""),
            .id = PL_STR(""),
            .retry = -1,
            .comment = pl_str_from(s.p + 1, s.len - 1),
            .raw_len = raw,
        };
        int r = cb(ctx, &it);
        return r < 0 ? r : 0;
    }
    p->ev_raw += raw;
    return field(p, s);
}

/*
 * The first CR or LF in [s, end), or end. *nl and *cr cache the next LF and CR found (end
 * when none): each byte is searched once per feed, however many lines there are.
 */
static const char *
find_eol(const char *s, const char *end, const char **nl, const char **cr)
{
    if (!*nl || *nl < s) {
        const char *q = memchr(s, '\n', (size_t)(end - s));
        *nl = q ? q : end;
    }
    if (!*cr || *cr < s) {
        const char *q = memchr(s, '\r', (size_t)(end - s));
        *cr = q ? q : end;
    }
    return *nl < *cr ? *nl : *cr;
}

/* Lines of [s, s + n), past any BOM. */
static int
parse(struct pl_sse_parser *p, const char *s, size_t n, pl_sse_cb cb, void *ctx)
{
    const char *end = s + n, *nl = NULL, *cr = NULL;
    while (s < end) {
        if (p->skip_lf) {
            p->skip_lf = false;
            if (*s == '\n') {
                p->lf_raw = 1;
                s++;
                continue;
            }
        }
        const char *q = find_eol(s, end, &nl, &cr);
        size_t k = (size_t)(q - s);
        /* Invariant: ev_bytes + line.len <= max, so the subtraction does not wrap. */
        if (k > p->max - p->ev_bytes - p->line.len)
            return fail(p, -E2BIG);
        if (q == end) { /* cut by the end of the feed: keep it for the next */
            int r = pl_buf_add(&p->line, s, k);
            return r < 0 ? fail(p, r) : 0;
        }
        struct pl_str l = pl_str_from(s, k);
        if (p->line.len > 0) {
            int r = pl_buf_add(&p->line, s, k);
            if (r < 0)
                return fail(p, r);
            l = pl_buf_str(&p->line);
        }
        p->skip_lf = *q == '\r';
        int r = take_line(p, l, p->lf_raw + l.len + 1, cb, ctx);
        pl_buf_reset(&p->line);
        p->lf_raw = 0;
        if (r < 0)
            return fail(p, r);
        s = q + 1;
    }
    return 0;
}

int
pl_sse_feed(struct pl_sse_parser *p, const void *data, size_t n, pl_sse_cb cb, void *ctx)
{
    if (p->err)
        return p->err;
    if (n == 0)
        return 0;
    const unsigned char *s = data;
    if (!p->bom_done) {
        /* One BOM at the start of the stream is dropped, even when cut across feeds. */
        while (n > 0 && p->bom_len < sizeof(bom) && *s == bom[p->bom_len]) {
            p->bom_len++;
            s++;
            n--;
        }
        if (p->bom_len < sizeof(bom) && n == 0)
            return 0; /* so far, a BOM */
        p->bom_done = true;
        if (p->bom_len < sizeof(bom)) {
            /* Not a BOM after all: what was matched is the start of the first line. */
            int r = parse(p, (const char *)bom, p->bom_len, cb, ctx);
            if (r < 0)
                return r;
        }
    }
    return parse(p, (const char *)s, n, cb, ctx);
}

int
pl_sse_finish(struct pl_sse_parser *p, pl_sse_cb cb, void *ctx)
{
    (void)cb;
    (void)ctx;
    return p->err;
}

static bool
has_byte(struct pl_str s, int c)
{
    return s.len > 0 && memchr(s.p, c, s.len) != NULL;
}

static int
add_field(struct pl_buf *out, const char *name, struct pl_str value)
{
    int r = pl_buf_add_c(out, name);
    if (r == 0 && value.len > 0) /* value.p may be NULL then */
        r = pl_buf_add_str(out, value);
    if (r == 0)
        r = pl_buf_add_ch(out, '\n');
    return r;
}

static int
serialize_event(const struct pl_sse_item *it, struct pl_buf *out)
{
    int r = 0;
    if (it->event.len > 0)
        r = add_field(out, "event: ", it->event);
    if (r == 0 && it->has_id)
        r = add_field(out, "id: ", it->id);
    if (r == 0 && it->retry >= 0)
        r = pl_buf_printf(out, "retry: %lld\n", (long long)it->retry);
    struct pl_str rest = it->data;
    while (r == 0) {
        const char *q = rest.len > 0 ? memchr(rest.p, '\n', rest.len) : NULL;
        size_t k = q ? (size_t)(q - rest.p) : rest.len;
        r = add_field(out, "data: ", pl_str_from(rest.p, k));
        if (!q)
            break;
        rest = pl_str_from(q + 1, rest.len - k - 1);
    }
    return r == 0 ? pl_buf_add_ch(out, '\n') : r;
}

int
pl_sse_serialize(const struct pl_sse_item *it, struct pl_buf *out)
{
    size_t len0 = out->len;
    int r;
    switch (it->kind) {
    case PL_SSE_COMMENT:
        r = pl_buf_add_c(out, ":\n");
        break;
    case PL_SSE_EVENT:
        /* What the parser cannot produce would not parse back the same: refuse it rather
         * than let a value add lines of its own. */
        if (has_byte(it->event, '\r') || has_byte(it->event, '\n') || has_byte(it->data, '\r') ||
            (it->has_id &&
             (has_byte(it->id, '\r') || has_byte(it->id, '\n') || has_byte(it->id, '\0'))) ||
            it->retry < -1)
            return -EINVAL;
        r = serialize_event(it, out);
        break;
    default:
        return -EINVAL;
    }
    if (r < 0 && out->data) {
        out->len = len0;
        out->data[len0] = '\0';
    }
    return r;
}
