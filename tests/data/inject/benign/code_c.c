/* A fixed-capacity ring buffer of bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ring {
    uint8_t *buf;
    size_t cap;  /* a power of two */
    size_t head; /* next byte to read */
    size_t tail; /* next byte to write */
};

static inline size_t
ring_used(const struct ring *r)
{
    return r->tail - r->head;
}

static inline size_t
ring_free(const struct ring *r)
{
    return r->cap - ring_used(r);
}

/* Copy up to n bytes in; returns how many fit. */
size_t
ring_write(struct ring *r, const void *src, size_t n)
{
    size_t room = ring_free(r);
    if (n > room)
        n = room;
    size_t off = r->tail & (r->cap - 1);
    size_t first = r->cap - off < n ? r->cap - off : n;
    memcpy(r->buf + off, src, first);
    memcpy(r->buf, (const uint8_t *)src + first, n - first);
    r->tail += n;
    return n;
}

/* Copy up to n bytes out; returns how many were available. */
size_t
ring_read(struct ring *r, void *dst, size_t n)
{
    size_t avail = ring_used(r);
    if (n > avail)
        n = avail;
    size_t off = r->head & (r->cap - 1);
    size_t first = r->cap - off < n ? r->cap - off : n;
    memcpy(dst, r->buf + off, first);
    memcpy((uint8_t *)dst + first, r->buf, n - first);
    r->head += n;
    return n;
}

#ifdef RING_SELFTEST
#include <assert.h>
#include <stdio.h>

int
main(void)
{
    uint8_t storage[8], out[8];
    struct ring r = {storage, sizeof(storage), 0, 0};
    assert(ring_write(&r, "abcdef", 6) == 6);
    assert(ring_read(&r, out, 4) == 4 && memcmp(out, "abcd", 4) == 0);
    assert(ring_write(&r, "ghijkl", 6) == 6); /* wraps around */
    assert(ring_read(&r, out, 8) == 8 && memcmp(out, "efghijkl", 8) == 0);
    puts("ok");
    return 0;
}
#endif
