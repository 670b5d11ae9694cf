/* Bump allocator for memory that dies together (one request, one config load). */
#ifndef PL_UTIL_ARENA_H
#define PL_UTIL_ARENA_H

#include "util/str.h"

struct pl_arena_block;

struct pl_arena {
    struct pl_arena_block *head; /* owned list of blocks */
    size_t block_size;
    size_t total; /* bytes handed out */
    size_t max;   /* 0 = unlimited */
};

void pl_arena_init(struct pl_arena *a, size_t block_size, size_t max);
/* Release every block. The arena may be reused afterwards. */
void pl_arena_done(struct pl_arena *a);
/* Allocate n bytes aligned to 16; NULL on allocation failure or past the maximum. */
void *pl_arena_alloc(struct pl_arena *a, size_t n);
/* Copy s into the arena, NUL-terminated; returns NULL on failure. */
char *pl_arena_strdup(struct pl_arena *a, struct pl_str s);

#endif
