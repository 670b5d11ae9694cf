#include "util/arena.h"

#include <string.h>

struct pl_arena_block {
    struct pl_arena_block *next;
    size_t used;
    size_t size;
    _Alignas(16) char data[];
};

void
pl_arena_init(struct pl_arena *a, size_t block_size, size_t max)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 4096;
    a->total = 0;
    a->max = max;
}

void
pl_arena_done(struct pl_arena *a)
{
    if (!a)
        return;
    struct pl_arena_block *b = a->head;
    while (b) {
        struct pl_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}

void *
pl_arena_alloc(struct pl_arena *a, size_t n)
{
    /* Reject sizes whose rounding or block header would wrap to a small allocation. */
    if (n > SIZE_MAX - sizeof(struct pl_arena_block) - 15)
        return NULL;
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    if (a->max && (n > a->max || a->total > a->max - n))
        return NULL;
    struct pl_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > a->block_size ? n : a->block_size;
        b = malloc(sizeof(*b) + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    return p;
}

char *
pl_arena_strdup(struct pl_arena *a, struct pl_str s)
{
    char *p = pl_arena_alloc(a, s.len + 1);
    if (!p)
        return NULL;
    if (s.len)
        memcpy(p, s.p, s.len);
    p[s.len] = '\0';
    return p;
}
