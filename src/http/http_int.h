/*
 * Internal to src/http: one byte-class table shared by the HTTP/1.1 parser, the chunked decoder
 * and the URL parser, so every per-byte test on the hot path is a single table lookup.
 */
#ifndef PL_HTTP_INT_H
#define PL_HTTP_INT_H

#include <stdint.h>

enum {
    PL_HC_TCHAR = 1 << 0,    /* token character (RFC 9110 §5.6.2) */
    PL_HC_FIELD = 1 << 1,    /* field-value byte: HTAB, SP, VCHAR, obs-text (§5.5) */
    PL_HC_TARGET = 1 << 2,   /* request-target byte except '%' and '#' (RFC 3986 set) */
    PL_HC_UNRES = 1 << 3,    /* unreserved: ALPHA DIGIT - . _ ~ */
    PL_HC_SUBDELIM = 1 << 4, /* sub-delims: ! $ & ' ( ) * + , ; = */
    PL_HC_HEX = 1 << 5,      /* HEXDIG */
    PL_HC_SCHEME = 1 << 6,   /* scheme continuation: ALPHA DIGIT + - . */
    PL_HC_QDTEXT = 1 << 7,   /* quoted-string qdtext: HTAB SP ! #-[ ]-~ obs-text */
    PL_HC_HOSTNORM = 1 << 8, /* allowed by pl_url_host_normalize */
};

/* Indexed by an unsigned byte; defined in url.c. */
extern const uint16_t pl_http_ctype[256];

static inline int
pl_http_is(unsigned char c, unsigned cls)
{
    return (pl_http_ctype[c] & cls) != 0;
}

/* Value of a hex digit; only meaningful when PL_HC_HEX is set for c. */
static inline unsigned
pl_http_hexval(unsigned char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

#endif
