#include "util/str.h"

#include <stdarg.h>
#include <string.h>

void *
pl_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("pipelock: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *
pl_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("pipelock: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *
pl_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("pipelock: out of memory\n", stderr);
        abort();
    }
    return q;
}

char *
pl_xstrdup(const char *s)
{
    return pl_xstrndup(s, strlen(s));
}

char *
pl_xstrndup(const char *s, size_t n)
{
    char *p = pl_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

bool
pl_str_eq(struct pl_str a, struct pl_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool
pl_str_eq_ci(struct pl_str a, struct pl_str b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++)
        if (pl_ascii_lower(a.p[i]) != pl_ascii_lower(b.p[i]))
            return false;
    return true;
}

bool
pl_str_eq_ci_c(struct pl_str a, const char *b)
{
    return pl_str_eq_ci(a, pl_str_c(b));
}

bool
pl_str_has_prefix_ci(struct pl_str s, const char *prefix)
{
    struct pl_str p = pl_str_c(prefix);
    return s.len >= p.len && pl_str_eq_ci(pl_str_from(s.p, p.len), p);
}

bool
pl_str_has_suffix_ci(struct pl_str s, const char *suffix)
{
    struct pl_str p = pl_str_c(suffix);
    return s.len >= p.len && pl_str_eq_ci(pl_str_from(s.p + s.len - p.len, p.len), p);
}

struct pl_str
pl_str_trim_ows(struct pl_str s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

char *
pl_str_dup(struct pl_str s)
{
    char *p = malloc(s.len + 1);
    if (!p)
        return NULL;
    if (s.len)
        memcpy(p, s.p, s.len);
    p[s.len] = '\0';
    return p;
}

int
pl_str_to_u64(struct pl_str s, uint64_t max, uint64_t *ret)
{
    uint64_t v = 0;
    if (s.len == 0)
        return -EINVAL;
    for (size_t i = 0; i < s.len; i++) {
        unsigned d = (unsigned char)s.p[i] - '0';
        if (d > 9)
            return -EINVAL;
        /* d > max first: otherwise max - d wraps and a small max lets any digit through. */
        if (d > max || v > (max - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    *ret = v;
    return 0;
}

bool
pl_str_eq_consttime(struct pl_str a, struct pl_str b)
{
    /* Compare over the longer length so timing does not depend on the common prefix. */
    size_t n = PL_MAX(a.len, b.len);
    unsigned char diff = (unsigned char)(a.len != b.len);
    for (size_t i = 0; i < n; i++) {
        unsigned char x = i < a.len ? (unsigned char)a.p[i] : 0;
        unsigned char y = i < b.len ? (unsigned char)b.p[i] : 0;
        diff |= (unsigned char)(x ^ y);
    }
    return diff == 0;
}

int
pl_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n >= size)
        return -E2BIG;
    return n;
}
