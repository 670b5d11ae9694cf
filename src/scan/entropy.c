#include "scan/entropy.h"

#include <math.h>
#include <string.h>

#include "util/utf8.h"

/* One symbol: a code point, or 0x110000 + byte for an invalid byte (kept distinct). */
static uint32_t
next_cp(const unsigned char *p, size_t n, size_t *adv)
{
    uint32_t cp;
    size_t len = pl_utf8_decode(p, n, &cp);
    *adv = len ? len : 1;
    return len ? cp : 0x110000u + p[0];
}

#define WIDE_SLOTS 4096 /* open addressing for non-ASCII symbols; ≤ 65536/2 distinct */

double
pl_entropy(struct pl_str s, size_t *ret_chars)
{
    uint32_t ascii[128];
    size_t n = PL_MIN(s.len, (size_t)PL_ENTROPY_MAX_LEN);
    const unsigned char *p = (const unsigned char *)s.p;
    size_t chars = 0;
    bool wide = false;
    memset(ascii, 0, sizeof(ascii));
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x80) {
            wide = true;
            break;
        }
        ascii[p[i]]++;
    }
    double h = 0;
    if (!wide) {
        chars = n;
        for (int c = 0; c < 128; c++) {
            if (ascii[c]) {
                double q = (double)ascii[c] / (double)chars;
                h -= q * log2(q);
            }
        }
    } else {
        /* Rare path: count every symbol in a hash table on the stack (32 KiB). */
        uint32_t keys[WIDE_SLOTS];
        uint32_t counts[WIDE_SLOTS];
        size_t used = 0;
        memset(counts, 0, sizeof(counts));
        for (size_t i = 0; i < n;) {
            size_t adv;
            uint32_t cp = next_cp(p + i, n - i, &adv);
            i += adv;
            chars++;
            uint32_t slot = (cp * 2654435761u) & (WIDE_SLOTS - 1);
            while (counts[slot] && keys[slot] != cp)
                slot = (slot + 1) & (WIDE_SLOTS - 1);
            if (!counts[slot]) {
                if (used == WIDE_SLOTS - 1)
                    break; /* table full: measure what was counted */
                keys[slot] = cp;
                used++;
            }
            counts[slot]++;
        }
        for (size_t k = 0; k < WIDE_SLOTS; k++) {
            if (counts[k]) {
                double q = (double)counts[k] / (double)chars;
                h -= q * log2(q);
            }
        }
    }
    if (ret_chars)
        *ret_chars = chars;
    return h > 0 ? h : 0;
}
