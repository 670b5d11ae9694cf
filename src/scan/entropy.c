#include "scan/entropy.h"

#include <math.h>
#include <string.h>

/* Decode one UTF-8 code point; invalid sequences yield 0x110000 + byte (distinct symbols). */
static uint32_t
next_cp(const unsigned char *p, size_t n, size_t *adv)
{
    unsigned char c = p[0];
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
        *adv = 1;
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        goto invalid;
    }
    if (n < len)
        goto invalid;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            goto invalid;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        goto invalid;
    *adv = len;
    return cp;
invalid:
    *adv = 1;
    return 0x110000u + c;
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
