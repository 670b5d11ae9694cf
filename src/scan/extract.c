/*
 * Request-body string extraction. Three small parsers (JSON, form-urlencoded, multipart)
 * feed one emit() that counts strings and calls the caller. Strings that need decoding go
 * through one scratch buffer: an inline 256-byte array for short strings, a heap buffer
 * (grown to the longest decoded string, never beyond the body length) for the rest.
 */
#include "scan/extract.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>

#include "scan/decode.h"

#define JSON_STACK_BITS 512 /* containers tracked without allocating */
#define MAX_BOUNDARY    70  /* RFC 2046 section 5.1.1 */

struct ex {
    struct pl_extract_limits lim;
    pl_extract_cb cb;
    void *arg;
    size_t delivered;
    const char *reason; /* set by fail(); NULL when the callback stopped us */
    char *heap;         /* owned scratch, heap_cap bytes */
    size_t heap_cap;
    char small[256];
};

static int
fail(struct ex *x, int err, const char *reason)
{
    x->reason = reason;
    return err;
}

static int
emit(struct ex *x, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (x->delivered >= x->lim.max_strings)
        return fail(x, -E2BIG, "too many strings");
    x->delivered++;
    int r = x->cb(x->arg, pl_str_from(p, n));
    return r < 0 ? r : 0;
}

/* A buffer of at least n bytes, valid until the next call; NULL when out of memory. */
static char *
scratch(struct ex *x, size_t n)
{
    if (n <= sizeof(x->small))
        return x->small;
    if (n > x->heap_cap) {
        size_t cap = PL_MAX(n, x->heap_cap * 2);
        char *p = realloc(x->heap, cap);
        if (!p) {
            /* a doubled request may be what failed; try the exact size once */
            p = realloc(x->heap, n);
            if (!p)
                return NULL;
            cap = n;
        }
        x->heap = p;
        x->heap_cap = cap;
    }
    return x->heap;
}

static bool
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------------------------ JSON */

#define JSON_BAD(x) fail((x), -EBADMSG, "invalid JSON body")

static size_t
json_ws(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i;
}

static int
hex4(const char *p)
{
    int v = 0;
    for (int k = 0; k < 4; k++) {
        int d = pl_hex_value(p[k]);
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

static size_t
put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Decode the escapes of a validated string body s[0, n) into out (n bytes suffice: every
 * escape is at least as long as its UTF-8: \uXXXX (6) -> <= 3, a pair (12) -> 4).
 */
static size_t
json_unescape(const char *s, size_t n, char *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        const char *bs = memchr(s + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
        memcpy(out + o, s + i, run);
        o += run;
        i += run;
        if (i == n)
            break;
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            uint32_t cp = (uint32_t)hex4(s + i);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && n - i >= 6 && s[i] == '\\' && s[i + 1] == 'u') {
                uint32_t lo = (uint32_t)hex4(s + i + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD; /* lone surrogate, as Go's encoding/json */
            o += put_utf8(out + o, cp);
            break;
        }
        default: /* '"', '\\', '/' */
            out[o++] = e;
            break;
        }
    }
    return o;
}

/* The string starting at p[*i] == '"': validate, deliver decoded, leave *i after it. */
static int
json_string(struct ex *x, const char *p, size_t n, size_t *i)
{
    size_t start = *i + 1, j = start;
    bool esc = false;

    for (;;) {
#ifdef __SSE2__
        /* Ordinary string bytes 16 at a time: stop at '"', '\\' or a control byte. */
        while (j + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + j));
            __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                        _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
            stop = _mm_or_si128(stop, _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v));
            unsigned m = (unsigned)_mm_movemask_epi8(stop);
            if (m) {
                j += (unsigned)__builtin_ctz(m);
                break;
            }
            j += 16;
        }
#endif
        if (j >= n)
            return JSON_BAD(x);
        unsigned char c = (unsigned char)p[j];
        if (c == '"')
            break;
        if (c < 0x20)
            return JSON_BAD(x);
        if (c == '\\') {
            esc = true;
            if (j + 1 >= n)
                return JSON_BAD(x);
            char e = p[j + 1];
            if (e == 'u') {
                if (n - j < 6 || hex4(p + j + 2) < 0)
                    return JSON_BAD(x);
                j += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                j += 2;
            } else {
                return JSON_BAD(x);
            }
            continue;
        }
        j++;
    }
    *i = j + 1;
    size_t len = j - start;
    if (!esc)
        return emit(x, p + start, len);
    char *out = scratch(x, len);
    if (!out)
        return fail(x, -ENOMEM, "out of memory");
    return emit(x, out, json_unescape(p + start, len, out));
}

/* A number at p[*i] ('-' or a digit): validate the RFC 8259 grammar, deliver its text. */
static int
json_number(struct ex *x, const char *p, size_t n, size_t *i)
{
    size_t s = *i, j = s;
    if (p[j] == '-')
        j++;
    if (j < n && p[j] == '0') {
        j++;
    } else if (j < n && p[j] >= '1' && p[j] <= '9') {
        while (j < n && is_digit(p[j]))
            j++;
    } else {
        return JSON_BAD(x);
    }
    if (j < n && p[j] == '.') {
        j++;
        if (j >= n || !is_digit(p[j]))
            return JSON_BAD(x);
        while (j < n && is_digit(p[j]))
            j++;
    }
    if (j < n && (p[j] == 'e' || p[j] == 'E')) {
        j++;
        if (j < n && (p[j] == '+' || p[j] == '-'))
            j++;
        if (j >= n || !is_digit(p[j]))
            return JSON_BAD(x);
        while (j < n && is_digit(p[j]))
            j++;
    }
    *i = j;
    return emit(x, p + s, j - s);
}

enum json_state {
    J_VALUE,        /* a value is required */
    J_VALUE_OR_END, /* after '[': a value or ']' */
    J_KEY,          /* after ',' in an object: a key is required */
    J_KEY_OR_END,   /* after '{': a key or '}' */
    J_AFTER,        /* after a value: ',' or the container's end, or the end of input */
};

static int
json_extract(struct ex *x, const char *p, size_t n)
{
    uint64_t small_stack[JSON_STACK_BITS / 64];
    uint64_t *stack = small_stack; /* bit d set: container at depth d is an object */
    size_t depth = 0, i = 0;
    enum json_state st = J_VALUE;
    int r = 0;

    /* depth can never exceed the number of bytes, so n bounds the stack too */
    size_t bits = PL_MIN((size_t)x->lim.max_depth, n);
    if (bits > JSON_STACK_BITS) {
        stack = calloc((bits + 63) / 64, sizeof(*stack));
        if (!stack)
            return fail(x, -ENOMEM, "out of memory");
    }

    for (;;) {
        i = json_ws(p, n, i);
        if (st == J_AFTER && depth == 0) {
            r = i == n ? 0 : JSON_BAD(x);
            goto out;
        }
        if (i == n) {
            r = JSON_BAD(x);
            goto out;
        }
        char c = p[i];
        switch (st) {
        case J_KEY_OR_END:
        case J_KEY:
            if (c == '}' && st == J_KEY_OR_END) {
                depth--;
                i++;
                st = J_AFTER;
                break;
            }
            if (c != '"') {
                r = JSON_BAD(x);
                goto out;
            }
            if ((r = json_string(x, p, n, &i)) < 0)
                goto out;
            i = json_ws(p, n, i);
            if (i == n || p[i] != ':') {
                r = JSON_BAD(x);
                goto out;
            }
            i++;
            st = J_VALUE;
            break;
        case J_AFTER: {
            bool obj = stack[(depth - 1) / 64] >> ((depth - 1) % 64) & 1;
            if (c == ',') {
                i++;
                st = obj ? J_KEY : J_VALUE;
            } else if (c == (obj ? '}' : ']')) {
                depth--;
                i++;
            } else {
                r = JSON_BAD(x);
                goto out;
            }
            break;
        }
        case J_VALUE:
        case J_VALUE_OR_END:
            if (c == ']' && st == J_VALUE_OR_END) {
                depth--;
                i++;
                st = J_AFTER;
                break;
            }
            if (c == '{' || c == '[') {
                if (depth >= x->lim.max_depth) {
                    r = fail(x, -E2BIG, "JSON nested too deeply");
                    goto out;
                }
                uint64_t bit = (uint64_t)1 << (depth % 64);
                if (c == '{')
                    stack[depth / 64] |= bit;
                else
                    stack[depth / 64] &= ~bit;
                depth++;
                i++;
                st = c == '{' ? J_KEY_OR_END : J_VALUE_OR_END;
                break;
            }
            st = J_AFTER;
            if (c == '"') {
                r = json_string(x, p, n, &i);
            } else if (c == '-' || is_digit(c)) {
                r = json_number(x, p, n, &i);
            } else if (n - i >= 4 && memcmp(p + i, "true", 4) == 0) {
                r = emit(x, p + i, 4);
                i += 4;
            } else if (n - i >= 5 && memcmp(p + i, "false", 5) == 0) {
                r = emit(x, p + i, 5);
                i += 5;
            } else if (n - i >= 4 && memcmp(p + i, "null", 4) == 0) {
                i += 4;
            } else {
                r = JSON_BAD(x);
            }
            if (r < 0)
                goto out;
            break;
        }
    }
out:
    if (stack != small_stack)
        free(stack);
    return r;
}

/* ------------------------------------------------------------------------------ form */

#define FORM_BAD(x) fail((x), -EBADMSG, "unparsable form body")

/* Deliver one percent-encoded component, rejecting malformed escapes as Go's QueryUnescape. */
static int
form_component(struct ex *x, const char *p, size_t n)
{
    bool plain = true;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%') {
            if (n - i < 3 || pl_hex_value(p[i + 1]) < 0 || pl_hex_value(p[i + 2]) < 0)
                return FORM_BAD(x);
            plain = false;
        } else if (p[i] == '+') {
            plain = false;
        }
    }
    if (plain)
        return emit(x, p, n);
    char *out = scratch(x, n);
    if (!out)
        return fail(x, -ENOMEM, "out of memory");
    int len = pl_decode_percent(pl_str_from(p, n), out, n, true, NULL);
    if (len < 0) /* only for a component over INT_MAX bytes */
        return fail(x, -E2BIG, "form field too large");
    return emit(x, out, (size_t)len);
}

static int
form_extract(struct ex *x, const char *p, size_t n)
{
    size_t i = 0;
    while (i <= n) {
        const char *amp = i < n ? memchr(p + i, '&', n - i) : NULL;
        size_t end = amp ? (size_t)(amp - p) : n;
        const char *f = p + i;
        size_t flen = end - i;
        i = end + 1;
        if (flen == 0)
            continue;
        /* Go (>= 1.17) rejects ';' as a separator; the reference blocks such bodies */
        if (memchr(f, ';', flen))
            return FORM_BAD(x);
        const char *eq = memchr(f, '=', flen);
        size_t klen = eq ? (size_t)(eq - f) : flen;
        int r = form_component(x, f, klen);
        if (r < 0)
            return r;
        if (eq && (r = form_component(x, eq + 1, flen - klen - 1)) < 0)
            return r;
    }
    return 0;
}

/* ------------------------------------------------------------------------------ parameters */

/* One "; name=value" parameter; value is the raw text (between the quotes when quoted). */
struct param {
    struct pl_str name;
    struct pl_str value;
    bool quoted;
};

static bool
is_param_name_char(char c)
{
    return (unsigned char)c > 0x20 && c != 0x7f && c != ';' && c != '=' && c != '"';
}

/*
 * Parse the next parameter of s starting at *pos (the first call passes the position of the
 * first ';', or s.len). Empty parameters (";;", a trailing ';') are skipped.
 * Returns 1 with *ret filled, 0 at the end, -EBADMSG when malformed.
 */
static int
param_next(struct pl_str s, size_t *pos, struct param *ret)
{
    const char *p = s.p;
    size_t n = s.len, i = *pos;

    for (;;) {
        while (i < n && is_ows(p[i]))
            i++;
        if (i == n) {
            *pos = i;
            return 0;
        }
        if (p[i] != ';')
            return -EBADMSG;
        i++;
        while (i < n && is_ows(p[i]))
            i++;
        if (i < n && p[i] != ';')
            break;
    }
    size_t ns = i;
    while (i < n && is_param_name_char(p[i]))
        i++;
    if (i == ns)
        return -EBADMSG;
    ret->name = pl_str_from(p + ns, i - ns);
    while (i < n && is_ows(p[i]))
        i++;
    if (i == n || p[i] != '=')
        return -EBADMSG;
    i++;
    while (i < n && is_ows(p[i]))
        i++;
    if (i < n && p[i] == '"') {
        size_t vs = ++i;
        while (i < n && p[i] != '"') {
            if (p[i] == '\\' && ++i == n)
                return -EBADMSG;
            i++;
        }
        if (i == n)
            return -EBADMSG;
        ret->value = pl_str_from(p + vs, i - vs);
        ret->quoted = true;
        i++;
    } else {
        size_t vs = i;
        while (i < n && !is_ows(p[i]) && p[i] != ';')
            i++;
        if (i == vs)
            return -EBADMSG;
        ret->value = pl_str_from(p + vs, i - vs);
        ret->quoted = false;
    }
    *pos = i;
    return 1;
}

/* Unescape a quoted-string body into out (v.len bytes suffice); returns the length. */
static size_t
unquote(struct pl_str v, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] == '\\')
            i++; /* param_next() guarantees a byte follows */
        out[o++] = v.p[i];
    }
    return o;
}

static size_t
unquoted_len(struct param *pm)
{
    if (!pm->quoted)
        return pm->value.len;
    size_t len = 0;
    for (size_t i = 0; i < pm->value.len; i++, len++)
        if (pm->value.p[i] == '\\')
            i++;
    return len;
}

/* Where the parameters of a header value start: its first ';', or its end. */
static size_t
params_start(struct pl_str s)
{
    const char *semi = s.len ? memchr(s.p, ';', s.len) : NULL;
    return semi ? (size_t)(semi - s.p) : s.len;
}

enum pl_body_kind
pl_extract_kind(struct pl_str content_type)
{
    struct pl_str mt = pl_str_from(content_type.p, params_start(content_type));
    mt = pl_str_trim_ows(mt);
    if (pl_str_eq_ci_c(mt, "application/json") || pl_str_has_suffix_ci(mt, "+json"))
        return PL_BODY_JSON;
    if (pl_str_eq_ci_c(mt, "application/x-www-form-urlencoded"))
        return PL_BODY_FORM;
    if (pl_str_eq_ci_c(mt, "multipart/form-data"))
        return PL_BODY_MULTIPART;
    return PL_BODY_TEXT;
}

/* ------------------------------------------------------------------------------ multipart */

#define MP_BAD(x, why) fail((x), -EBADMSG, "multipart: " why)

struct mp {
    const char *p;
    size_t n;
    char delim[3 + MAX_BOUNDARY]; /* "\n--" boundary */
    size_t dlen;                  /* length of delim */
};

/*
 * Is p[j..] the rest of a delimiter line, j being just after "--boundary"? Either "--"
 * (close delimiter) then optional whitespace and a line break or the end, or optional
 * whitespace and a line break. *ret_next receives the offset after the line.
 */
static bool
delim_tail(const struct mp *m, size_t j, bool *ret_final, size_t *ret_next)
{
    const char *p = m->p;
    size_t n = m->n;
    bool final = n - j >= 2 && p[j] == '-' && p[j + 1] == '-';
    if (final)
        j += 2;
    while (j < n && is_ows(p[j]))
        j++;
    if (j == n && final) {
        /* close delimiter at the very end */
    } else if (j < n && p[j] == '\n') {
        j++;
    } else if (n - j >= 2 && p[j] == '\r' && p[j + 1] == '\n') {
        j += 2;
    } else {
        return false;
    }
    *ret_final = final;
    *ret_next = j;
    return true;
}

/*
 * Find the first delimiter at or after from: "--boundary" right at from (allowed at the start
 * of the body and of a part body), else "\n--boundary" with a valid tail. *ret_end receives
 * where the content before it ends (its line break excluded, never before from).
 */
static bool
find_delim(const struct mp *m, size_t from, size_t *ret_end, bool *ret_final, size_t *ret_next)
{
    size_t blen2 = m->dlen - 1; /* "--boundary" */
    if (m->n - from >= blen2 && memcmp(m->p + from, m->delim + 1, blen2) == 0 &&
        delim_tail(m, from + blen2, ret_final, ret_next)) {
        *ret_end = from;
        return true;
    }
    size_t k = from;
    while (m->n - k >= m->dlen) {
        const char *h = memmem(m->p + k, m->n - k, m->delim, m->dlen);
        if (!h)
            return false;
        size_t at = (size_t)(h - m->p);
        if (delim_tail(m, at + m->dlen, ret_final, ret_next)) {
            *ret_end = at > from && m->p[at - 1] == '\r' ? at - 1 : at;
            return true;
        }
        k = at + 1;
    }
    return false;
}

/* Deliver the raw value and the parameter values of Content-Disposition / Content-Type. */
static int
mp_param_header(struct ex *x, struct pl_str v, bool disposition)
{
    int r = emit(x, v.p, v.len);
    if (r < 0)
        return r;
    size_t pos = params_start(v);
    struct param pm;
    while ((r = param_next(v, &pos, &pm)) > 0) {
        size_t len = unquoted_len(&pm);
        if (disposition &&
            (pl_str_eq_ci_c(pm.name, "filename") || pl_str_eq_ci_c(pm.name, "filename*")) &&
            len > x->lim.max_filename)
            return MP_BAD(x, "filename too long");
        if (!pm.quoted) {
            r = emit(x, pm.value.p, pm.value.len);
        } else {
            char *out = scratch(x, pm.value.len);
            if (!out)
                return fail(x, -ENOMEM, "out of memory");
            r = emit(x, out, unquote(pm.value, out));
        }
        if (r < 0)
            return r;
    }
    return r < 0 ? MP_BAD(x, "malformed part header") : 0;
}

enum cte { CTE_NONE, CTE_IDENTITY, CTE_BASE64, CTE_QP };

/*
 * Quoted-printable (RFC 2045 section 6.7) into out (n bytes suffice): "=XX" (either case) is
 * a byte, "=" followed by optional whitespace and a line break (or the end) is a soft line
 * break, anything else after '=' is invalid (-EBADMSG, as the reference's validator).
 */
static int
qp_decode(const char *p, size_t n, char *out, size_t *ret_len)
{
    size_t i = 0, o = 0;
    while (i < n) {
        const char *eq = memchr(p + i, '=', n - i);
        size_t run = eq ? (size_t)(eq - (p + i)) : n - i;
        memcpy(out + o, p + i, run);
        o += run;
        i += run;
        if (i == n)
            break;
        i++;
        int hi = i < n ? pl_hex_value(p[i]) : -1;
        int lo = i + 1 < n ? pl_hex_value(p[i + 1]) : -1;
        if (hi >= 0 && lo >= 0) {
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
            continue;
        }
        while (i < n && is_ows(p[i]))
            i++;
        if (i == n)
            break;
        if (p[i] == '\n')
            i++;
        else if (n - i >= 2 && p[i] == '\r' && p[i + 1] == '\n')
            i += 2;
        else
            return -EBADMSG;
    }
    *ret_len = o;
    return 0;
}

/*
 * Parse the header block of a part starting at *pos, delivering values; leaves *pos at the
 * start of the body and the transfer encoding in *ret_cte.
 */
static int
mp_headers(struct ex *x, const struct mp *m, size_t *pos, enum cte *ret_cte)
{
    size_t i = *pos;
    enum cte cte = CTE_NONE;
    int r;

    for (;;) {
        const char *lf = i < m->n ? memchr(m->p + i, '\n', m->n - i) : NULL;
        if (!lf)
            return MP_BAD(x, "malformed part header");
        size_t e = (size_t)(lf - m->p);
        struct pl_str line = pl_str_from(m->p + i, e - i);
        i = e + 1;
        if (line.len && line.p[line.len - 1] == '\r')
            line.len--;
        if (line.len == 0)
            break;
        if (is_ows(line.p[0]))
            return MP_BAD(x, "malformed part header"); /* obs-fold */
        const char *colon = memchr(line.p, ':', line.len);
        if (!colon || colon == line.p)
            return MP_BAD(x, "malformed part header");
        struct pl_str name = pl_str_trim_ows(pl_str_from(line.p, (size_t)(colon - line.p)));
        size_t vo = (size_t)(colon - line.p) + 1;
        struct pl_str val = pl_str_trim_ows(pl_str_from(line.p + vo, line.len - vo));

        if (pl_str_eq_ci_c(name, "content-disposition")) {
            r = mp_param_header(x, val, true);
        } else if (pl_str_eq_ci_c(name, "content-type")) {
            r = mp_param_header(x, val, false);
        } else {
            if (pl_str_eq_ci_c(name, "content-transfer-encoding")) {
                if (cte != CTE_NONE)
                    return MP_BAD(x, "duplicate transfer encoding");
                if (pl_str_eq_ci_c(val, "base64"))
                    cte = CTE_BASE64;
                else if (pl_str_eq_ci_c(val, "quoted-printable"))
                    cte = CTE_QP;
                else if (pl_str_eq_ci_c(val, "7bit") || pl_str_eq_ci_c(val, "8bit") ||
                         pl_str_eq_ci_c(val, "binary"))
                    cte = CTE_IDENTITY;
                else
                    return MP_BAD(x, "unsupported transfer encoding");
            }
            r = emit(x, val.p, val.len);
        }
        if (r < 0)
            return r;
    }
    *pos = i;
    *ret_cte = cte;
    return 0;
}

/* Deliver a part body raw, then decoded when it has a transfer encoding. */
static int
mp_body(struct ex *x, const char *p, size_t n, enum cte cte)
{
    int r = emit(x, p, n);
    if (r < 0 || n == 0 || (cte != CTE_BASE64 && cte != CTE_QP))
        return r;
    char *out = scratch(x, n);
    if (!out)
        return fail(x, -ENOMEM, "out of memory");
    size_t len;
    if (cte == CTE_BASE64) {
        int d = pl_decode_base64(pl_str_from(p, n), out, n, PL_B64_STD | PL_B64_SKIP_WS);
        if (d == -E2BIG)
            return fail(x, -E2BIG, "multipart: part too large");
        if (d < 0)
            return MP_BAD(x, "invalid base64 part");
        len = (size_t)d;
    } else if (qp_decode(p, n, out, &len) < 0) {
        return MP_BAD(x, "invalid quoted-printable part");
    }
    return emit(x, out, len);
}

/* The unescaped boundary parameter of content_type into m->delim; 0 or -EBADMSG. */
static int
mp_boundary(struct ex *x, struct pl_str ct, struct mp *m)
{
    size_t pos = params_start(ct);
    struct param pm, b = {0};
    bool found = false;
    int r;

    while ((r = param_next(ct, &pos, &pm)) > 0) {
        if (!pl_str_eq_ci_c(pm.name, "boundary"))
            continue;
        if (found)
            return MP_BAD(x, "invalid boundary"); /* duplicate, as Go's ParseMediaType */
        b = pm;
        found = true;
    }
    if (r < 0 || !found)
        return MP_BAD(x, "missing boundary");
    size_t len = unquoted_len(&b);
    if (len == 0)
        return MP_BAD(x, "missing boundary");
    if (len > MAX_BOUNDARY)
        return MP_BAD(x, "invalid boundary");
    memcpy(m->delim, "\n--", 3);
    if (b.quoted)
        unquote(b.value, m->delim + 3);
    else
        memcpy(m->delim + 3, b.value.p, len);
    m->dlen = 3 + len;
    return 0;
}

static int
mp_extract(struct ex *x, struct pl_str ct, const char *p, size_t n)
{
    struct mp m = {.p = p, .n = n};
    int r = mp_boundary(x, ct, &m);
    if (r < 0)
        return r;

    size_t end, pos;
    bool final;
    if (!find_delim(&m, 0, &end, &final, &pos))
        return MP_BAD(x, "missing boundary delimiter");
    for (unsigned parts = 0; !final; parts++) {
        if (parts >= x->lim.max_parts)
            return fail(x, -E2BIG, "multipart: too many parts");
        enum cte cte;
        if ((r = mp_headers(x, &m, &pos, &cte)) < 0)
            return r;
        size_t body = pos;
        if (!find_delim(&m, body, &end, &final, &pos))
            return MP_BAD(x, "missing closing boundary");
        if (end - body > x->lim.max_part_bytes)
            return fail(x, -E2BIG, "multipart: part too large");
        if ((r = mp_body(x, p + body, end - body, cte)) < 0)
            return r;
    }
    return 0;
}

/* ------------------------------------------------------------------------------ entry */

int
pl_extract_body(struct pl_str content_type, struct pl_str body,
                const struct pl_extract_limits *limits, pl_extract_cb cb, void *arg,
                const char **ret_reason)
{
    struct ex x = {.cb = cb, .arg = arg};
    int r;

    if (limits)
        x.lim = *limits;
    if (!x.lim.max_depth)
        x.lim.max_depth = PL_EXTRACT_DEFAULT_MAX_DEPTH;
    if (!x.lim.max_parts)
        x.lim.max_parts = PL_EXTRACT_DEFAULT_MAX_PARTS;
    if (!x.lim.max_part_bytes)
        x.lim.max_part_bytes = SIZE_MAX;
    if (!x.lim.max_filename)
        x.lim.max_filename = PL_EXTRACT_DEFAULT_MAX_FILENAME;
    if (!x.lim.max_strings)
        x.lim.max_strings = PL_EXTRACT_DEFAULT_MAX_STRINGS;

    if (body.len == 0)
        return 0;
    switch (pl_extract_kind(content_type)) {
    case PL_BODY_JSON:
        r = json_extract(&x, body.p, body.len);
        break;
    case PL_BODY_FORM:
        r = form_extract(&x, body.p, body.len);
        break;
    case PL_BODY_MULTIPART:
        r = mp_extract(&x, content_type, body.p, body.len);
        break;
    default:
        r = emit(&x, body.p, body.len);
        break;
    }
    free(x.heap);
    if (r < 0 && x.reason && ret_reason)
        *ret_reason = x.reason;
    return r;
}
