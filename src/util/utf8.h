/* Strict UTF-8 decoding of one code point. */
#ifndef PL_UTIL_UTF8_H
#define PL_UTIL_UTF8_H

#include "util/common.h"

/*
 * Decode the UTF-8 sequence at p (n ≥ 1 bytes available). Returns its length (1–4) and the
 * code point in *ret_cp, or 0 when the bytes are not valid UTF-8: overlong forms, surrogates,
 * code points above U+10FFFF, truncated or malformed continuation bytes are all invalid.
 */
static inline size_t
pl_utf8_decode(const unsigned char *p, size_t n, uint32_t *ret_cp)
{
    unsigned char c = p[0];
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
        *ret_cp = c;
        return 1;
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
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *ret_cp = cp;
    return len;
}

#endif
