/* Borrowed byte slices and small string helpers. */
#ifndef PL_UTIL_STR_H
#define PL_UTIL_STR_H

#include "util/common.h"

/* A borrowed run of bytes; not NUL-terminated. Lifetime is that of the owner. */
struct pl_str {
    const char *p;
    size_t len;
};

#define PL_STR(lit)   ((struct pl_str){(lit), sizeof(lit) - 1})
#define PL_STR_NULL   ((struct pl_str){NULL, 0})
#define PL_STR_FMT    "%.*s"
#define PL_STR_ARG(s) (int)(s).len, (s).p

static inline struct pl_str
pl_str_from(const char *p, size_t len)
{
    return (struct pl_str){p, len};
}

static inline struct pl_str
pl_str_c(const char *cstr)
{
    struct pl_str s = {cstr, 0};
    if (cstr)
        while (cstr[s.len])
            s.len++;
    return s;
}

static inline char
pl_ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Value of a hexadecimal digit (either case), or -1. */
static inline int
pl_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool pl_str_eq(struct pl_str a, struct pl_str b);
/* ASCII case-insensitive equality. */
bool pl_str_eq_ci(struct pl_str a, struct pl_str b);
bool pl_str_eq_ci_c(struct pl_str a, const char *b);
bool pl_str_has_prefix_ci(struct pl_str s, const char *prefix);
bool pl_str_has_suffix_ci(struct pl_str s, const char *suffix);
/* Strip leading and trailing SP and HTAB. */
struct pl_str pl_str_trim_ows(struct pl_str s);
/* Return a malloc'd NUL-terminated copy, or NULL on allocation failure. */
char *pl_str_dup(struct pl_str s);
/*
 * Parse a non-negative decimal integer spanning all of s (no sign, no spaces).
 * Returns 0, -EINVAL if s is empty or has a non-digit, -ERANGE if it exceeds max.
 */
int pl_str_to_u64(struct pl_str s, uint64_t max, uint64_t *ret);
/* Compare two byte strings in time independent of their content (lengths may leak). */
bool pl_str_eq_consttime(struct pl_str a, struct pl_str b);
/* Bounded formatted write that never overflows and always NUL-terminates; returns length
 * written or -E2BIG when truncated. */
int pl_snprintf(char *buf, size_t size, const char *fmt, ...) PL_PRINTF(3, 4);

#endif
