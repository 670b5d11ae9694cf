#include "util/buf.h"

#include <stdarg.h>
#include <string.h>

void
pl_buf_init(struct pl_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void
pl_buf_done(struct pl_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
pl_buf_reset(struct pl_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int
reserve(struct pl_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return -E2BIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int
pl_buf_add_slow(struct pl_buf *b, const void *p, size_t n)
{
    /* p may point into b itself; reserve() can move the data, so keep an offset. */
    const char *src = p;
    uintptr_t at = (uintptr_t)src, base = (uintptr_t)b->data;
    bool inside = b->data && at >= base && at < base + b->cap;
    size_t off = inside ? (size_t)(at - base) : 0;
    int r = reserve(b, n);
    if (r < 0)
        return r;
    if (inside)
        src = b->data + off;
    if (n)
        memcpy(b->data + b->len, src, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
pl_buf_add_str(struct pl_buf *b, struct pl_str s)
{
    return pl_buf_add(b, s.p, s.len);
}

int
pl_buf_add_c(struct pl_buf *b, const char *s)
{
    return pl_buf_add(b, s, strlen(s));
}

int
pl_buf_add_ch(struct pl_buf *b, char c)
{
    return pl_buf_add(b, &c, 1);
}

int
pl_buf_printf(struct pl_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n < sizeof(small))
        return pl_buf_add(b, small, (size_t)n);
    int r = reserve(b, (size_t)n);
    if (r < 0)
        return r;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}
