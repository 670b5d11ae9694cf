/* A growable linear byte buffer with a hard maximum set at creation. */
#ifndef PL_UTIL_BUF_H
#define PL_UTIL_BUF_H

#include "util/str.h"

struct pl_buf {
    char *data; /* owned; always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max; /* hard limit on len; appends beyond it fail with -E2BIG */
};

void pl_buf_init(struct pl_buf *b, size_t max);
void pl_buf_done(struct pl_buf *b);
void pl_buf_reset(struct pl_buf *b);
/* Append bytes. Returns 0, -E2BIG past the maximum, -ENOMEM. On failure b is unchanged. */
int pl_buf_add_slow(struct pl_buf *b, const void *p, size_t n) PL_WARN_UNUSED;
static inline PL_WARN_UNUSED int
pl_buf_add(struct pl_buf *b, const void *p, size_t n)
{
    /* Fast path: room already there (the common case on hot paths). */
    uintptr_t at = (uintptr_t)p, base = (uintptr_t)b->data;
    if (n <= (size_t)PTRDIFF_MAX && b->data && n < b->cap - b->len && b->len + n <= b->max &&
        (at < base || at >= base + b->cap)) {
        __builtin_memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
    }
    return pl_buf_add_slow(b, p, n);
}
int pl_buf_add_str(struct pl_buf *b, struct pl_str s) PL_WARN_UNUSED;
int pl_buf_add_c(struct pl_buf *b, const char *s) PL_WARN_UNUSED;
int pl_buf_add_ch(struct pl_buf *b, char c) PL_WARN_UNUSED;
int pl_buf_printf(struct pl_buf *b, const char *fmt, ...) PL_PRINTF(2, 3) PL_WARN_UNUSED;
static inline struct pl_str
pl_buf_str(const struct pl_buf *b)
{
    return (struct pl_str){b->data ? b->data : "", b->len};
}

#endif
