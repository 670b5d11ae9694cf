/*
 * Strict, incremental, zero-copy HTTP/1.1 message heads (RFC 9110 / RFC 9112).
 *
 * Two passes, both linear:
 *  1. A resumable byte-level state machine validates the head as bytes arrive. Its position
 *     and the few facts later rules need (offsets, framing flags, counts) live in struct
 *     pl_h1_scan, so a client that sends one byte at a time costs O(1) per byte, never a
 *     rescan. Every syntax rule and limit fails on the byte that breaks it; each complete
 *     field line is checked (framing, Host, Connection) as soon as its LF arrives.
 *  2. Once the empty line is seen, one memchr-driven walk fills the caller's struct with slices
 *     into the buffer. It runs once per message and relies on pass 1 having validated
 *     everything, so it has no error paths.
 *
 * Smuggling-relevant choices are documented in h1.h; the rule names below are the `reason`
 * strings callers log.
 */
#include "http/h1.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "http/http_int.h"
#include "http/url.h"

#define DEFAULT_MAX_START_LINE 8192
#define DEFAULT_MAX_HEAD       65536
#define DEFAULT_MAX_HEADERS    100

enum {
    ST_FIRST = 0, /* nothing scanned yet */
    ST_RL_METHOD,
    ST_RL_TARGET,
    ST_RL_PCT1, /* after '%' in the target */
    ST_RL_PCT2,
    ST_RL_VERSION,
    ST_RL_LF,
    ST_SL_VERSION,
    ST_SL_STATUS,
    ST_SL_REASON,
    ST_SL_LF,
    ST_H_START, /* at the start of a field line or of the final empty line */
    ST_H_NAME,
    ST_H_VALUE,
    ST_H_LF,
    ST_H_END_LF,
    ST_DONE,
};

enum {
    F_CL = 1 << 0,        /* Content-Length seen (valid) */
    F_TE = 1 << 1,        /* Transfer-Encoding: chunked seen */
    F_CLOSE = 1 << 2,     /* Connection: close */
    F_KEEPALIVE = 1 << 3, /* Connection: keep-alive */
    F_EXPECT100 = 1 << 4, /* Expect: 100-continue */
    F_UPGRADE = 1 << 5,   /* Upgrade field present */
    F_CONNECT = 1 << 6,   /* request method is CONNECT */
};

struct ctx {
    const unsigned char *b;
    size_t len;
    size_t max_sl, max_head, max_headers;
    bool resp;
    struct pl_h1_scan *st;
    struct pl_h1_error *err;
};

static int
fail(struct ctx *x, int rc, int status, const char *reason, size_t off)
{
    if (x->err) {
        /* Anything wrong with an upstream response is a bad gateway for our client. */
        x->err->status = x->resp ? 502 : status;
        x->err->reason = reason;
        x->err->offset = off;
    }
    return rc;
}

#define BAD(reason, off)             fail(x, -EBADMSG, 400, (reason), (off))
#define TOO_BIG(status, reason, off) fail(x, -E2BIG, (status), (reason), (off))
#define NOTSUP(status, reason, off)  fail(x, -ENOTSUP, (status), (reason), (off))

bool
pl_h1_is_tchar(unsigned char c)
{
    return pl_http_is(c, PL_HC_TCHAR);
}

/* True when any of the 8 bytes at p is a control byte (< 0x20, incl. HTAB) or DEL. */
static inline bool
has_ctl8(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    uint64_t lt = (v - 0x2020202020202020ULL) & ~v & 0x8080808080808080ULL;
    uint64_t d = v ^ 0x7f7f7f7f7f7f7f7fULL;
    uint64_t del = (d - 0x0101010101010101ULL) & ~d & 0x8080808080808080ULL;
    return (lt | del) != 0;
}

/*
 * Skip field-value bytes (HTAB, SP, VCHAR, obs-text) from i; returns the first other offset.
 * 16 bytes per step with SSE2 (baseline on x86-64), 8 with SWAR elsewhere; HTAB leaves the
 * fast path for one byte.
 */
static inline size_t
skip_field(const unsigned char *b, size_t i, size_t end)
{
    for (;;) {
#ifdef __SSE2__
        const __m128i sp = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
        while (end - i >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
            __m128i ok =
                _mm_andnot_si128(_mm_cmpeq_epi8(x, del), _mm_cmpeq_epi8(_mm_max_epu8(x, sp), x));
            unsigned bad = ~(unsigned)_mm_movemask_epi8(ok) & 0xffffu;
            if (bad) {
                i += (size_t)__builtin_ctz(bad);
                goto slow;
            }
            i += 16;
        }
#endif
        while (end - i >= 8 && !has_ctl8(b + i))
            i += 8;
#ifdef __SSE2__
    slow:
#endif
        if (i < end && pl_http_is(b[i], PL_HC_FIELD)) {
            i++;
            continue;
        }
        return i;
    }
}

/* Skip bytes of class cls from i, eight table lookups per branch while possible. */
static inline size_t
skip_class(const unsigned char *b, size_t i, size_t end, unsigned cls)
{
    const uint16_t *t = pl_http_ctype;
    while (end - i >= 8) {
        unsigned m = t[b[i]] & t[b[i + 1]] & t[b[i + 2]] & t[b[i + 3]] & t[b[i + 4]] & t[b[i + 5]] &
                     t[b[i + 6]] & t[b[i + 7]];
        if (!(m & cls))
            break;
        i += 8;
    }
    while (i < end && pl_http_is(b[i], cls))
        i++;
    return i;
}

/* OWS trim, inline (hot in pass 2). */
static inline struct pl_str
trim_ows(const char *p, size_t len)
{
    while (len && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    return pl_str_from(p, len);
}

/*
 * Case-insensitive match of a token against a lower-case literal of letters, digits and '-'.
 * For token bytes, c | 0x20 only maps upper-case letters onto lower-case ones ('^' and '_'
 * become '~' and DEL, which no literal contains), so this is exact.
 */
static inline bool
name_is(struct pl_str name, const char *lit, size_t len)
{
    if (name.len != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)name.p[i] | 0x20) != (unsigned char)lit[i])
            return false;
    return true;
}

#define NAME_IS(name, lit) name_is((name), (lit), sizeof(lit) - 1)

static void
skip_ows(struct pl_str v, size_t *i)
{
    while (*i < v.len && (v.p[*i] == ' ' || v.p[*i] == '\t'))
        (*i)++;
}

static size_t
skip_token(struct pl_str v, size_t i)
{
    while (i < v.len && pl_http_is((unsigned char)v.p[i], PL_HC_TCHAR))
        i++;
    return i;
}

/* quoted-string at v[i] == '"'; returns the offset after the closing quote or 0 if invalid. */
static size_t
skip_quoted(struct pl_str v, size_t i)
{
    for (i++; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c == '"')
            return i + 1;
        if (c == '\\') {
            if (++i == v.len || !pl_http_is((unsigned char)v.p[i], PL_HC_FIELD))
                return 0;
        } else if (!pl_http_is(c, PL_HC_QDTEXT)) {
            return 0;
        }
    }
    return 0;
}

/*
 * Transfer-Encoding = #transfer-coding, transfer-coding = token *( OWS ";" OWS
 * transfer-parameter ). Returns 0 for exactly one plain "chunked", 1 when the list is valid
 * and ends in a plain "chunked" but has other codings before it (unsupported here), -1
 * otherwise: not ending in chunked, chunked twice, empty elements, bad syntax.
 */
static int
classify_te(struct pl_str v)
{
    size_t i = 0, n = 0;
    bool prev_chunked = false, chunked_twice = false;
    for (;;) {
        skip_ows(v, &i);
        size_t t0 = i;
        i = skip_token(v, i);
        if (i == t0)
            return -1;
        bool chunked = pl_str_eq_ci(pl_str_from(v.p + t0, i - t0), PL_STR("chunked"));
        skip_ows(v, &i);
        while (i < v.len && v.p[i] == ';') {
            chunked = false; /* chunked takes no parameters */
            i++;
            skip_ows(v, &i);
            size_t p0 = i;
            i = skip_token(v, i);
            if (i == p0)
                return -1;
            skip_ows(v, &i);
            if (i == v.len || v.p[i] != '=')
                return -1;
            i++;
            skip_ows(v, &i);
            if (i < v.len && v.p[i] == '"') {
                i = skip_quoted(v, i);
                if (i == 0)
                    return -1;
            } else {
                size_t q0 = i;
                i = skip_token(v, i);
                if (i == q0)
                    return -1;
            }
            skip_ows(v, &i);
        }
        if (prev_chunked)
            chunked_twice = true;
        prev_chunked = chunked;
        n++;
        if (i == v.len)
            break;
        if (v.p[i] != ',')
            return -1;
        i++;
    }
    if (!prev_chunked || chunked_twice)
        return -1;
    return n == 1 ? 0 : 1;
}

/* Connection = #connection-option; empty list elements are tolerated (RFC 9110 §5.6.1). */
static int
parse_connection(struct ctx *x, struct pl_str v)
{
    size_t i = 0;
    while (i < v.len) {
        skip_ows(v, &i);
        size_t t0 = i;
        i = skip_token(v, i);
        struct pl_str tok = pl_str_from(v.p + t0, i - t0);
        skip_ows(v, &i);
        if (i < v.len && v.p[i] != ',')
            return BAD("invalid Connection header",
                       (size_t)((const unsigned char *)v.p - x->b) + i);
        i++;
        if (pl_str_eq_ci(tok, PL_STR("close")))
            x->st->flags |= F_CLOSE;
        else if (pl_str_eq_ci(tok, PL_STR("keep-alive")))
            x->st->flags |= F_KEEPALIVE;
    }
    return 0;
}

/* Checks one complete field line (its CR is at offset cr) against the framing rules. */
static int
check_field(struct ctx *x, size_t cr)
{
    struct pl_h1_scan *st = x->st;
    const char *b = (const char *)x->b;
    struct pl_str name = pl_str_from(b + st->line_start, st->colon - st->line_start);
    struct pl_str v;
    size_t voff;

#define VALUE()                                              \
    do {                                                     \
        v = trim_ows(b + st->colon + 1, cr - st->colon - 1); \
        voff = (size_t)(v.p - b);                            \
    } while (0)

    switch (name.len) {
    case 4:
        if (x->resp || !NAME_IS(name, "host"))
            return 0;
        VALUE();
        if (st->host_pos)
            return BAD("duplicate Host header", st->line_start);
        if (pl_url_parse_authority(v, false, 0, NULL, NULL, NULL) < 0)
            return BAD("invalid Host header", voff);
        st->host_pos = (uint16_t)(st->n_headers + 1);
        return 0;
    case 6:
        if (x->resp || !NAME_IS(name, "expect"))
            return 0;
        VALUE();
        if (pl_str_eq_ci(v, PL_STR("100-continue")))
            st->flags |= F_EXPECT100;
        return 0;
    case 7:
        if (NAME_IS(name, "upgrade"))
            st->flags |= F_UPGRADE;
        return 0;
    case 10:
        if (!NAME_IS(name, "connection"))
            return 0;
        VALUE();
        return parse_connection(x, v);
    case 14: {
        if (!NAME_IS(name, "content-length"))
            return 0;
        VALUE();
        uint64_t n;
        if (st->flags & F_CL)
            return BAD("duplicate Content-Length", st->line_start);
        if (st->flags & F_TE)
            return BAD("Content-Length with Transfer-Encoding", st->line_start);
        /* 1*DIGIT only: no sign, no list, no spaces inside; fits an off_t. */
        if (pl_str_to_u64(v, INT64_MAX, &n) < 0)
            return BAD("invalid Content-Length", voff);
        if ((st->flags & F_CONNECT) && n > 0)
            return BAD("CONNECT request with a body", st->line_start);
        st->content_length = n;
        st->flags |= F_CL;
        return 0;
    }
    case 17: {
        if (!NAME_IS(name, "transfer-encoding"))
            return 0;
        VALUE();
        if (st->flags & F_TE)
            return BAD("duplicate Transfer-Encoding", st->line_start);
        if (st->flags & F_CL)
            return BAD("Transfer-Encoding with Content-Length", st->line_start);
        if (st->minor_version == 0)
            return BAD("Transfer-Encoding in an HTTP/1.0 message", st->line_start);
        if (st->flags & F_CONNECT)
            return BAD("CONNECT request with a body", st->line_start);
        int rc = classify_te(v);
        if (rc < 0)
            return BAD("Transfer-Encoding does not end in a single chunked", voff);
        if (rc > 0)
            return NOTSUP(501, "unsupported transfer coding", voff);
        st->flags |= F_TE;
        return 0;
    }
    default:
        return 0;
    }
#undef VALUE
}

/* scheme "://" at the start of t: the only absolute-form a proxy serves. */
static bool
looks_absolute(struct pl_str t)
{
    size_t i = 1;
    if (t.len == 0 ||
        !(((unsigned char)t.p[0] | 0x20) >= 'a' && ((unsigned char)t.p[0] | 0x20) <= 'z'))
        return false;
    while (i < t.len && pl_http_is((unsigned char)t.p[i], PL_HC_SCHEME))
        i++;
    return t.len - i >= 3 && memcmp(t.p + i, "://", 3) == 0;
}

/* The request line is complete and syntactically valid: classify the target form. */
static int
finish_request_line(struct ctx *x)
{
    struct pl_h1_scan *st = x->st;
    const char *b = (const char *)x->b;
    struct pl_str m = pl_str_from(b, st->method_end);
    struct pl_str t = pl_str_from(b + st->method_end + 1, st->target_end - st->method_end - 1);
    size_t toff = st->method_end + 1;

    if (pl_str_eq(m, PL_STR("CONNECT"))) {
        st->flags |= F_CONNECT;
        if (pl_url_parse_authority(t, true, 0, NULL, NULL, NULL) < 0)
            return BAD("CONNECT target is not host:port", toff);
        st->form = PL_H1_FORM_AUTHORITY;
    } else if (t.p[0] == '/') {
        st->form = PL_H1_FORM_ORIGIN;
    } else if (t.len == 1 && t.p[0] == '*') {
        if (!pl_str_eq(m, PL_STR("OPTIONS")))
            return BAD("asterisk-form target without OPTIONS", toff);
        st->form = PL_H1_FORM_ASTERISK;
    } else if (looks_absolute(t)) {
        st->form = PL_H1_FORM_ABSOLUTE;
    } else {
        return BAD("invalid request-target form", toff);
    }
    return 0;
}

/*
 * One byte of "HTTP/" DIGIT "." DIGIT at index k of the version; k == 8 is the byte after it,
 * which must be `term`. Returns 1 when the version is complete, 0 to continue, < 0 on error.
 */
static int
version_byte(struct ctx *x, size_t i, size_t k, unsigned char term)
{
    static const char tpl[] = "HTTP/1.1";
    unsigned char c = x->b[i];
    if (k < 8) {
        if (i >= x->max_sl)
            return TOO_BIG(414, x->resp ? "status line too long" : "request line too long", i);
        bool ok = (k == 5 || k == 7) ? (c >= '0' && c <= '9') : c == (unsigned char)tpl[k];
        if (!ok)
            return BAD("malformed HTTP version", i);
        return 0;
    }
    if (c != term)
        return BAD("malformed HTTP version", i);
    if (x->b[i - 3] != '1' || (x->b[i - 1] != '0' && x->b[i - 1] != '1'))
        return NOTSUP(505, "unsupported HTTP version", i - 8);
    x->st->minor_version = (uint8_t)(x->b[i - 1] - '0');
    return 1;
}

/*
 * Pass 1. Returns 1 when the head is complete (st->checked is its length), -EAGAIN when more
 * bytes are needed, or a negative error with x->err filled.
 */
static int
scan_head(struct ctx *x)
{
    const unsigned char *b = x->b;
    struct pl_h1_scan *st = x->st;
    size_t end = PL_MIN(x->len, x->max_head);
    size_t sl_end = PL_MIN(end, x->max_sl); /* start-line content may not reach max_sl */
    size_t i = st->checked;
    unsigned s = st->state;
    unsigned char c;
    int rc;

    while (i < end) {
        switch (s) {
        case ST_FIRST:
            s = x->resp ? ST_SL_VERSION : ST_RL_METHOD;
            break;

        /* ---------------- request line: method SP request-target SP HTTP-version CRLF */
        case ST_RL_METHOD:
            i = skip_class(b, i, sl_end, PL_HC_TCHAR);
            if (i == sl_end)
                goto sl_limit;
            if (b[i] == ' ') {
                if (i == 0)
                    return BAD("whitespace before method", i);
                st->method_end = i++;
                s = ST_RL_TARGET;
                break;
            }
            if (b[i] == '\r' || b[i] == '\n')
                return BAD(i == 0 ? "empty line before request line"
                                  : "request line without request-target",
                           i);
            return BAD(i == 0 ? "invalid character at start of request" : "method is not a token",
                       i);
        case ST_RL_TARGET:
            i = skip_class(b, i, sl_end, PL_HC_TARGET);
            if (i == sl_end)
                goto sl_limit;
            c = b[i];
            if (c == '%') {
                i++;
                s = ST_RL_PCT1;
                break;
            }
            if (c == ' ') {
                if (i == st->method_end + 1)
                    return BAD("empty request-target", i);
                st->target_end = i++;
                s = ST_RL_VERSION;
                break;
            }
            if (c == '\r' || c == '\n')
                return BAD("request line without HTTP version", i);
            if (c == '#')
                return BAD("fragment in request-target", i);
            return BAD("invalid character in request-target", i);
        case ST_RL_PCT1:
        case ST_RL_PCT2:
            if (i >= x->max_sl)
                return TOO_BIG(414, "request line too long", i);
            if (!pl_http_is(b[i], PL_HC_HEX))
                return BAD("malformed percent-encoding in request-target", i);
            i++;
            s = s == ST_RL_PCT1 ? ST_RL_PCT2 : ST_RL_TARGET;
            break;
        case ST_RL_VERSION:
            /* fast path: the whole "HTTP/1.x\r" is here and within the limit */
            if (i == st->target_end + 1 && end - i >= 9 && i + 8 <= x->max_sl &&
                memcmp(b + i, "HTTP/1.", 7) == 0 && (b[i + 7] == '1' || b[i + 7] == '0') &&
                b[i + 8] == '\r') {
                st->minor_version = (uint8_t)(b[i + 7] - '0');
                i += 9;
                s = ST_RL_LF;
                break;
            }
            rc = version_byte(x, i, i - st->target_end - 1, '\r');
            if (rc < 0)
                return rc;
            i++;
            if (rc > 0)
                s = ST_RL_LF;
            break;
        case ST_RL_LF:
            if (b[i] != '\n')
                return BAD("bare CR in request line", i - 1);
            rc = finish_request_line(x);
            if (rc < 0)
                return rc;
            st->fields_start = ++i;
            s = ST_H_START;
            break;

        /* ---------------- status line: HTTP-version SP 3DIGIT [SP reason-phrase] CRLF */
        case ST_SL_VERSION:
            if (i == 0 && end >= 9 && x->max_sl >= 9 && memcmp(b, "HTTP/1.", 7) == 0 &&
                (b[7] == '1' || b[7] == '0') && b[8] == ' ') {
                st->minor_version = (uint8_t)(b[7] - '0');
                i = 9;
                s = ST_SL_STATUS;
                break;
            }
            rc = version_byte(x, i, i, ' ');
            if (rc < 0)
                return rc;
            i++;
            if (rc > 0)
                s = ST_SL_STATUS;
            break;
        case ST_SL_STATUS: {
            size_t k = i - 9;
            c = b[i];
            if (k < 3) {
                if (i >= x->max_sl)
                    return TOO_BIG(502, "status line too long", i);
                if (c < (k == 0 ? '1' : '0') || c > '9')
                    return BAD("malformed status code", i);
                st->status = (uint16_t)(st->status * 10 + (c - '0'));
                i++;
                break;
            }
            /* The reason phrase is optional and so, in practice, is the SP before it. */
            if (c == ' ') {
                i++;
                s = ST_SL_REASON;
            } else if (c == '\r') {
                i++;
                s = ST_SL_LF;
            } else {
                return BAD("malformed status code", i);
            }
            break;
        }
        case ST_SL_REASON:
            i = skip_field(b, i, sl_end);
            if (i == sl_end)
                goto sl_limit;
            if (b[i] != '\r')
                return BAD(b[i] == '\n' ? "bare LF in status line"
                                        : "control character in reason phrase",
                           i);
            i++;
            s = ST_SL_LF;
            break;
        case ST_SL_LF:
            if (b[i] != '\n')
                return BAD("bare CR in status line", i - 1);
            st->fields_start = ++i;
            s = ST_H_START;
            break;

        /* ---------------- field lines: field-name ":" OWS field-value OWS CRLF */
        case ST_H_START:
            c = b[i];
            if (pl_http_is(c, PL_HC_TCHAR)) {
                if (st->n_headers >= x->max_headers)
                    return TOO_BIG(431, "too many header fields", i);
                st->line_start = i++;
                s = ST_H_NAME;
                break;
            }
            if (c == '\r') {
                i++;
                s = ST_H_END_LF;
                break;
            }
            if (c == ' ' || c == '\t')
                return BAD(st->n_headers == 0 ? "whitespace before first header field"
                                              : "obs-fold in header field",
                           i);
            if (c == '\n')
                return BAD("bare LF in header section", i);
            if (c == ':')
                return BAD("empty field name", i);
            return BAD("invalid character in field name", i);
        case ST_H_NAME:
            i = skip_class(b, i, end, PL_HC_TCHAR);
            if (i == end)
                goto out;
            c = b[i];
            if (c == ':') {
                st->colon = i++;
                s = ST_H_VALUE;
                break;
            }
            if (c == ' ' || c == '\t')
                return BAD("whitespace between field name and colon", i);
            if (c == '\r' || c == '\n')
                return BAD("field line without colon", i);
            return BAD("invalid character in field name", i);
        case ST_H_VALUE:
            i = skip_field(b, i, end);
            if (i == end)
                goto out;
            c = b[i];
            if (c == '\r') {
                i++;
                s = ST_H_LF;
                break;
            }
            if (c == '\n')
                return BAD("bare LF in field line", i);
            return BAD(c == 0 ? "NUL in field value" : "control character in field value", i);
        case ST_H_LF:
            if (b[i] != '\n')
                return BAD("bare CR in field line", i - 1);
            rc = check_field(x, i - 1);
            if (rc < 0)
                return rc;
            st->n_headers++;
            i++;
            s = ST_H_START;
            break;
        case ST_H_END_LF:
            if (b[i] != '\n')
                return BAD("bare CR in header section", i - 1);
            if (!x->resp && st->minor_version == 1 && !st->host_pos)
                return BAD("missing Host header", i - 1);
            i++;
            st->checked = i;
            st->state = ST_DONE;
            return 1;
        default:
            return fail(x, -EINVAL, 500, "parser state corrupt", i);
        }
    }
out:
    if (x->len > x->max_head)
        return TOO_BIG(431, "header section too large", x->max_head);
    st->checked = i;
    st->state = (uint16_t)s;
    return -EAGAIN;

sl_limit:
    /* A start-line content loop stopped at sl_end: either the data or the limit ran out. */
    if (sl_end == end)
        goto out;
    return TOO_BIG(x->resp ? 502 : 414, x->resp ? "status line too long" : "request line too long",
                   i);
}

static int
setup(struct ctx *x, const char *buf, size_t len, const struct pl_h1_limits *lim,
      struct pl_h1_scan *st, struct pl_h1_error *err, bool resp)
{
    x->b = (const unsigned char *)buf;
    x->len = len;
    x->resp = resp;
    x->st = st;
    x->err = err;
    x->max_sl = lim && lim->max_start_line ? lim->max_start_line : DEFAULT_MAX_START_LINE;
    x->max_head = lim && lim->max_head ? lim->max_head : DEFAULT_MAX_HEAD;
    x->max_headers = lim && lim->max_headers ? lim->max_headers : DEFAULT_MAX_HEADERS;
    if (x->max_headers > PL_H1_MAX_HEADERS)
        x->max_headers = PL_H1_MAX_HEADERS;
    if (!st || (!buf && len) || len < st->checked)
        return fail(x, -EINVAL, 500, "invalid parser call", 0);
    if (st->state == ST_DONE)
        return 1;
    if (len == st->checked)
        return len > x->max_head ? TOO_BIG(431, "header section too large", x->max_head) : -EAGAIN;
    return scan_head(x);
}

/* Pass 2: slices for every field line of a validated head (names hold no ':', values no CR). */
static void
fill_headers(const char *b, size_t pos, size_t head_len, size_t n, struct pl_h1_header *h)
{
    for (size_t k = 0; k < n; k++) {
        const char *line = b + pos, *colon = line;
        while (*colon != ':')
            colon++;
        const char *cr = memchr(colon + 1, '\r', head_len - (size_t)(colon + 1 - b));
        h[k].name = pl_str_from(line, (size_t)(colon - line));
        h[k].value = trim_ows(colon + 1, (size_t)(cr - colon - 1));
        pos = (size_t)(cr - b) + 2;
    }
}

static bool
keep_alive(const struct pl_h1_scan *st)
{
    if (st->flags & F_CLOSE)
        return false;
    return st->minor_version >= 1 || (st->flags & F_KEEPALIVE);
}

int
pl_h1_parse_request(const char *buf, size_t len, const struct pl_h1_limits *lim,
                    struct pl_h1_scan *st, struct pl_h1_request *ret_req,
                    struct pl_h1_error *ret_err)
{
    struct ctx x;
    int rc = setup(&x, buf, len, lim, st, ret_err, false);
    if (rc <= 0)
        return rc;
    if (st->checked > INT32_MAX)
        return fail(&x, -E2BIG, 431, "header section too large", 0);

    struct pl_h1_request *r = ret_req;
    r->method = pl_str_from(buf, st->method_end);
    r->target = pl_str_from(buf + st->method_end + 1, st->target_end - st->method_end - 1);
    r->minor_version = st->minor_version;
    r->form = (enum pl_h1_form)st->form;
    r->n_headers = st->n_headers;
    fill_headers(buf, st->fields_start, st->checked, st->n_headers, r->headers);
    if (st->flags & F_CONNECT)
        r->body = PL_H1_BODY_NONE;
    else if (st->flags & F_TE)
        r->body = PL_H1_BODY_CHUNKED;
    else if (st->flags & F_CL)
        r->body = PL_H1_BODY_LENGTH;
    else
        r->body = PL_H1_BODY_NONE;
    r->content_length = r->body == PL_H1_BODY_LENGTH ? st->content_length : 0;
    r->keep_alive = keep_alive(st);
    r->expect_continue = (st->flags & F_EXPECT100) != 0;
    r->has_upgrade = (st->flags & F_UPGRADE) != 0;
    r->host_index = (int)st->host_pos - 1;
    return (int)st->checked;
}

int
pl_h1_parse_response(const char *buf, size_t len, const struct pl_h1_limits *lim,
                     struct pl_str req_method, struct pl_h1_scan *st,
                     struct pl_h1_response *ret_resp, struct pl_h1_error *ret_err)
{
    struct ctx x;
    int rc = setup(&x, buf, len, lim, st, ret_err, true);
    if (rc <= 0)
        return rc;
    if (st->checked > INT32_MAX)
        return fail(&x, -E2BIG, 502, "header section too large", 0);

    struct pl_h1_response *r = ret_resp;
    unsigned status = st->status;
    size_t rs = 13; /* "HTTP/1.1 200 " */
    size_t re = st->fields_start - 2;
    r->minor_version = st->minor_version;
    r->status = (int)status;
    r->reason = re > rs ? pl_str_from(buf + rs, re - rs) : pl_str_from(buf + re, 0);
    r->n_headers = st->n_headers;
    fill_headers(buf, st->fields_start, st->checked, st->n_headers, r->headers);
    /* RFC 9112 §6.3, in order. */
    if (status < 200 || status == 204 || status == 304 || pl_str_eq(req_method, PL_STR("HEAD")) ||
        (pl_str_eq(req_method, PL_STR("CONNECT")) && status < 300))
        r->body = PL_H1_BODY_NONE;
    else if (st->flags & F_TE)
        r->body = PL_H1_BODY_CHUNKED;
    else if (st->flags & F_CL)
        r->body = PL_H1_BODY_LENGTH;
    else
        r->body = PL_H1_BODY_UNTIL_EOF;
    r->content_length = r->body == PL_H1_BODY_LENGTH ? st->content_length : 0;
    r->keep_alive = r->body != PL_H1_BODY_UNTIL_EOF && keep_alive(st);
    return (int)st->checked;
}

int
pl_h1_find_header(const struct pl_h1_header *h, size_t n, const char *name, int start)
{
    struct pl_str want = pl_str_c(name);
    for (size_t i = start > 0 ? (size_t)start : 0; i < n; i++)
        if (pl_str_eq_ci(h[i].name, want))
            return i > INT32_MAX ? -1 : (int)i;
    return -1;
}

bool
pl_h1_is_hop_by_hop(struct pl_str name, const struct pl_h1_header *h, size_t n)
{
    switch (name.len) {
    case 2:
        if (pl_str_eq_ci(name, PL_STR("te")))
            return true;
        break;
    case 7:
        if (pl_str_eq_ci(name, PL_STR("trailer")) || pl_str_eq_ci(name, PL_STR("upgrade")))
            return true;
        break;
    case 10:
        if (pl_str_eq_ci(name, PL_STR("connection")) || pl_str_eq_ci(name, PL_STR("keep-alive")))
            return true;
        break;
    case 14:
        /* Never honour a nomination of Content-Length: dropping it while relaying the body
         * would let the client smuggle a second request (or response) past us. */
        if (pl_str_eq_ci(name, PL_STR("content-length")))
            return false;
        break;
    case 16:
        if (pl_str_eq_ci(name, PL_STR("proxy-connection")))
            return true;
        break;
    case 17:
        if (pl_str_eq_ci(name, PL_STR("transfer-encoding")))
            return true;
        break;
    case 18:
        if (pl_str_eq_ci(name, PL_STR("proxy-authenticate")))
            return true;
        break;
    case 19:
        if (pl_str_eq_ci(name, PL_STR("proxy-authorization")))
            return true;
        break;
    default:
        break;
    }
    if (name.len == 0 || !h)
        return false;
    for (size_t k = 0; k < n; k++) {
        if (h[k].name.len != 10 || !pl_str_eq_ci(h[k].name, PL_STR("connection")))
            continue;
        struct pl_str v = h[k].value;
        size_t i = 0;
        while (i < v.len) {
            skip_ows(v, &i);
            size_t t0 = i;
            while (i < v.len && v.p[i] != ',')
                i++;
            struct pl_str tok = pl_str_trim_ows(pl_str_from(v.p + t0, i - t0));
            if (pl_str_eq_ci(tok, name))
                return true;
            i++;
        }
    }
    return false;
}
