/*
 * Chunked transfer coding (RFC 9112 §7.1) as a streaming, zero-copy state machine.
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-ext    = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 *
 * All state is in struct pl_h1_chunked, so input may be split at any byte and the result is
 * the same. Framing bytes are examined once each; chunk data is handed back as a slice and
 * never looked at. Whitespace is accepted only where the grammar has BWS (around ';' and '='),
 * so "5 \r\n" and "5;\r\n" are errors, as are a bare LF anywhere and a missing CRLF after data.
 */
#include "http/h1.h"

#include "http/http_int.h"

/* Positions inside a chunk-ext (state PL_H1_CHUNK_EXT). */
enum {
    X_AFTER_VAL = 0, /* after the size, an ext value or a quoted string: ';', BWS or CR */
    X_WS_AFTER_VAL,  /* BWS that must be followed by ';' */
    X_PRE_NAME,      /* after ';' */
    X_NAME,
    X_WS_AFTER_NAME, /* BWS that must be followed by '=' or ';' */
    X_PRE_VAL,       /* after '=' */
    X_TOKVAL,
    X_QS, /* inside a quoted-string */
    X_QP, /* after a backslash inside a quoted-string */
};

/* Positions inside a trailer field line (state PL_H1_CHUNK_TRAILER_LINE). */
enum {
    T_NAME = 0,
    T_VALUE,
};

void
pl_h1_chunked_init(struct pl_h1_chunked *c)
{
    *c = (struct pl_h1_chunked){.state = PL_H1_CHUNK_SIZE};
}

static inline bool
is_ws(unsigned char b)
{
    return b == ' ' || b == '\t';
}

/* One chunk-ext byte; returns 0 or -EBADMSG. CR is handled by the caller. */
static int
ext_byte(struct pl_h1_chunked *c, unsigned char b)
{
    switch (c->sub) {
    case X_AFTER_VAL:
        if (b == ';')
            c->sub = X_PRE_NAME;
        else if (is_ws(b))
            c->sub = X_WS_AFTER_VAL;
        else
            return -EBADMSG;
        return 0;
    case X_WS_AFTER_VAL:
        if (b == ';')
            c->sub = X_PRE_NAME;
        else if (!is_ws(b))
            return -EBADMSG;
        return 0;
    case X_PRE_NAME:
        if (pl_http_is(b, PL_HC_TCHAR))
            c->sub = X_NAME;
        else if (!is_ws(b))
            return -EBADMSG;
        return 0;
    case X_NAME:
        if (b == '=')
            c->sub = X_PRE_VAL;
        else if (b == ';')
            c->sub = X_PRE_NAME;
        else if (is_ws(b))
            c->sub = X_WS_AFTER_NAME;
        else if (!pl_http_is(b, PL_HC_TCHAR))
            return -EBADMSG;
        return 0;
    case X_WS_AFTER_NAME:
        if (b == '=')
            c->sub = X_PRE_VAL;
        else if (b == ';')
            c->sub = X_PRE_NAME;
        else if (!is_ws(b))
            return -EBADMSG;
        return 0;
    case X_PRE_VAL:
        if (b == '"')
            c->sub = X_QS;
        else if (pl_http_is(b, PL_HC_TCHAR))
            c->sub = X_TOKVAL;
        else if (!is_ws(b))
            return -EBADMSG;
        return 0;
    case X_TOKVAL:
        if (b == ';')
            c->sub = X_PRE_NAME;
        else if (is_ws(b))
            c->sub = X_WS_AFTER_VAL;
        else if (!pl_http_is(b, PL_HC_TCHAR))
            return -EBADMSG;
        return 0;
    case X_QS:
        if (b == '"')
            c->sub = X_AFTER_VAL;
        else if (b == '\\')
            c->sub = X_QP;
        else if (!pl_http_is(b, PL_HC_QDTEXT))
            return -EBADMSG;
        return 0;
    case X_QP:
        if (!pl_http_is(b, PL_HC_FIELD))
            return -EBADMSG;
        c->sub = X_QS;
        return 0;
    default:
        return -EBADMSG;
    }
}

/* May a CR end the chunk line here? Not after ';', '=', inside quotes or after BWS. */
static bool
ext_can_end(const struct pl_h1_chunked *c)
{
    return c->sub == X_AFTER_VAL || c->sub == X_NAME || c->sub == X_TOKVAL;
}

int
pl_h1_chunked_decode(struct pl_h1_chunked *c, const char *in, size_t len, size_t *ret_consumed,
                     struct pl_str *ret_data)
{
    const unsigned char *b = (const unsigned char *)in;
    size_t i = 0;
    struct pl_str data = {in, 0};
    int rc = 0;

    while (i < len && c->state != PL_H1_CHUNK_DONE) {
        unsigned char ch = b[i];
        switch (c->state) {
        case PL_H1_CHUNK_SIZE:
            if (pl_http_is(ch, PL_HC_HEX)) {
                if (c->size_digits == PL_H1_CHUNK_MAX_SIZE_DIGITS)
                    return -E2BIG;
                c->remaining = (c->remaining << 4) | pl_http_hexval(ch);
                c->size_digits++;
                i++;
                break;
            }
            /* no digit yet: LWS, ';', "0x", CR or LF before the size are all errors */
            if (c->size_digits == 0)
                return -EBADMSG;
            c->last_chunk = c->remaining == 0;
            c->ext_len = 0;
            c->sub = X_AFTER_VAL;
            c->state = PL_H1_CHUNK_EXT;
            /* ch is the first byte after the size: handle it as a chunk-ext byte */
            /* fallthrough */
        case PL_H1_CHUNK_EXT:
            if (ch == '\r') {
                if (!ext_can_end(c))
                    return -EBADMSG;
                c->state = PL_H1_CHUNK_SIZE_LF;
            } else {
                if (++c->ext_len > PL_H1_CHUNK_MAX_EXT)
                    return -E2BIG;
                if (ext_byte(c, ch) < 0)
                    return -EBADMSG;
            }
            i++;
            break;
        case PL_H1_CHUNK_SIZE_LF:
            if (ch != '\n')
                return -EBADMSG;
            i++;
            c->state = c->last_chunk ? PL_H1_CHUNK_TRAILER : PL_H1_CHUNK_DATA;
            break;
        case PL_H1_CHUNK_DATA: {
            size_t n = len - i;
            if ((uint64_t)n > c->remaining)
                n = (size_t)c->remaining;
            data = pl_str_from(in + i, n);
            i += n;
            c->remaining -= n;
            if (c->remaining == 0)
                c->state = PL_H1_CHUNK_DATA_CR;
            /* At most one data run per call: hand it back now. */
            goto out;
        }
        case PL_H1_CHUNK_DATA_CR:
            if (ch != '\r')
                return -EBADMSG;
            i++;
            c->state = PL_H1_CHUNK_DATA_LF;
            break;
        case PL_H1_CHUNK_DATA_LF:
            if (ch != '\n')
                return -EBADMSG;
            i++;
            c->state = PL_H1_CHUNK_SIZE;
            c->size_digits = 0;
            c->remaining = 0;
            break;
        case PL_H1_CHUNK_TRAILER:
        case PL_H1_CHUNK_TRAILER_LINE:
        case PL_H1_CHUNK_TRAILER_LF:
        case PL_H1_CHUNK_END_LF:
            if (++c->trailer_len > PL_H1_CHUNK_MAX_TRAILER)
                return -E2BIG;
            if (c->state == PL_H1_CHUNK_TRAILER) {
                if (ch == '\r') {
                    c->state = PL_H1_CHUNK_END_LF;
                } else if (pl_http_is(ch, PL_HC_TCHAR)) {
                    c->state = PL_H1_CHUNK_TRAILER_LINE;
                    c->sub = T_NAME;
                } else {
                    return -EBADMSG; /* obs-fold, bare LF, ':' or junk */
                }
            } else if (c->state == PL_H1_CHUNK_TRAILER_LINE) {
                if (c->sub == T_NAME) {
                    if (ch == ':')
                        c->sub = T_VALUE;
                    else if (!pl_http_is(ch, PL_HC_TCHAR))
                        return -EBADMSG;
                } else if (ch == '\r') {
                    c->state = PL_H1_CHUNK_TRAILER_LF;
                } else if (!pl_http_is(ch, PL_HC_FIELD)) {
                    return -EBADMSG;
                }
            } else if (c->state == PL_H1_CHUNK_TRAILER_LF) {
                if (ch != '\n')
                    return -EBADMSG;
                c->state = PL_H1_CHUNK_TRAILER;
            } else {
                if (ch != '\n')
                    return -EBADMSG;
                c->state = PL_H1_CHUNK_DONE;
            }
            i++;
            break;
        default:
            return -EBADMSG;
        }
    }
out:
    if (c->state == PL_H1_CHUNK_DONE)
        rc = 1;
    *ret_consumed = i;
    *ret_data = data;
    return rc;
}

size_t
pl_h1_chunk_header(char *buf, uint64_t n)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];
    size_t k = 0, len = 0;
    do {
        tmp[k++] = hex[n & 0xf];
        n >>= 4;
    } while (n);
    while (k)
        buf[len++] = tmp[--k];
    buf[len++] = '\r';
    buf[len++] = '\n';
    return len;
}
