/* Small macros shared by every layer. */
#ifndef PL_UTIL_COMMON_H
#define PL_UTIL_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PL_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define PL_MAX(a, b)     ((a) > (b) ? (a) : (b))
#define PL_LIKELY(x)     __builtin_expect(!!(x), 1)
#define PL_UNLIKELY(x)   __builtin_expect(!!(x), 0)
#define PL_UNUSED        __attribute__((unused))
#define PL_WARN_UNUSED   __attribute__((warn_unused_result))
#define PL_PRINTF(a, b)  __attribute__((format(printf, a, b)))

/* Internal invariant violated: a bug in pipelock, never a property of input. */
#define PL_BUG_ON(cond)                                                                 \
    do {                                                                                \
        if (PL_UNLIKELY(cond)) {                                                        \
            fprintf(stderr, "pipelock: BUG at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                    \
        }                                                                               \
    } while (0)

/* Free and clear the caller's pointer. */
#define PL_FREE(fn, p) \
    do {               \
        fn(p);         \
        (p) = NULL;    \
    } while (0)

/* malloc family that aborts on failure: start-up and config load only. */
void *pl_xmalloc(size_t n);
void *pl_xcalloc(size_t n, size_t size);
void *pl_xrealloc(void *p, size_t n);
char *pl_xstrdup(const char *s);
char *pl_xstrndup(const char *s, size_t n);

#endif
