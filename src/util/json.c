#include "util/json.h"

#include "util/utf8.h"

#include <math.h>
#include <string.h>

void
pl_json_init(struct pl_json *j, struct pl_buf *out)
{
    j->out = out;
    j->depth = 0;
    j->need_comma[0] = false;
    j->err = 0;
}

static void
chk(struct pl_json *j, int r)
{
    if (r < 0 && !j->err)
        j->err = r;
}

static void
sep_key(struct pl_json *j, const char *key)
{
    if (j->need_comma[j->depth])
        chk(j, pl_buf_add_ch(j->out, ','));
    j->need_comma[j->depth] = true;
    if (key) {
        chk(j, pl_json_escape(j->out, pl_str_c(key)));
        chk(j, pl_buf_add_ch(j->out, ':'));
    }
}

static void
push(struct pl_json *j, char c)
{
    chk(j, pl_buf_add_ch(j->out, c));
    if (j->depth < (int)PL_ARRAY_SIZE(j->need_comma) - 1)
        j->depth++;
    else
        chk(j, -E2BIG);
    j->need_comma[j->depth] = false;
}

static void
pop(struct pl_json *j, char c)
{
    chk(j, pl_buf_add_ch(j->out, c));
    if (j->depth > 0)
        j->depth--;
}

void
pl_json_obj_begin(struct pl_json *j)
{
    if (j->depth > 0 || j->need_comma[0])
        sep_key(j, NULL);
    push(j, '{');
}

void
pl_json_obj_begin_key(struct pl_json *j, const char *key)
{
    sep_key(j, key);
    push(j, '{');
}

void
pl_json_obj_end(struct pl_json *j)
{
    pop(j, '}');
}

void
pl_json_arr_begin(struct pl_json *j, const char *key)
{
    sep_key(j, key);
    push(j, '[');
}

void
pl_json_arr_end(struct pl_json *j)
{
    pop(j, ']');
}

/* Length of a valid UTF-8 sequence starting at s (n bytes available), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
    uint32_t cp;
    return pl_utf8_decode(s, n, &cp);
}

/* Bytes that can be copied verbatim: printable ASCII except '"' and '\\'. */
static bool
plain_ascii(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '"' || p[i] == '\\')
            return false;
    return true;
}

int
pl_json_escape(struct pl_buf *out, struct pl_str s)
{
    static const char hex[] = "0123456789abcdef";
    if (s.len < 4096 && plain_ascii((const unsigned char *)s.p, s.len)) {
        /* Common case (ids, methods, URLs): one copy. */
        char small[4098];
        small[0] = '"';
        if (s.len)
            memcpy(small + 1, s.p, s.len);
        small[s.len + 1] = '"';
        return pl_buf_add(out, small, s.len + 2);
    }
    int r = pl_buf_add_ch(out, '"');
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0;
    while (r == 0 && i < s.len) {
        unsigned char c = p[i];
        size_t run = i;
        while (run < s.len && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i) {
            r = pl_buf_add(out, p + i, run - i);
            i = run;
            continue;
        }
        c = p[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            r = pl_buf_add(out, e, 2);
            i++;
        } else if (c == '\n') {
            r = pl_buf_add(out, "\\n", 2);
            i++;
        } else if (c == '\t') {
            r = pl_buf_add(out, "\\t", 2);
            i++;
        } else if (c == '\r') {
            r = pl_buf_add(out, "\\r", 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            r = pl_buf_add(out, e, 6);
            i++;
        } else {
            size_t n = utf8_len(p + i, s.len - i);
            /* C1 controls (U+0080..U+009F) are two bytes 0xc2 0x80..0x9f: escape them. */
            bool c1 = n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0;
            /* U+2028/U+2029 end a line for JavaScript and many log viewers. */
            bool sep = n == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
                       (p[i + 2] == 0xa8 || p[i + 2] == 0xa9);
            if (sep) {
                char e[6] = {'\\', 'u', '2', '0', '2', p[i + 2] == 0xa8 ? '8' : '9'};
                r = pl_buf_add(out, e, 6);
                i += 3;
            } else if (n == 0 || c1) {
                unsigned v = n == 0 ? c : p[i + 1];
                char e[6] = {'\\', 'u', '0', '0', hex[v >> 4], hex[v & 15]};
                r = pl_buf_add(out, e, 6);
                i += n == 0 ? 1 : 2;
            } else {
                r = pl_buf_add(out, p + i, n);
                i += n;
            }
        }
    }
    if (r == 0)
        r = pl_buf_add_ch(out, '"');
    return r;
}

void
pl_json_str(struct pl_json *j, const char *key, struct pl_str v)
{
    sep_key(j, key);
    chk(j, pl_json_escape(j->out, v));
}

void
pl_json_cstr(struct pl_json *j, const char *key, const char *v)
{
    pl_json_str(j, key, pl_str_c(v ? v : ""));
}

/* Decimal digits of v into the end of buf[24]; returns the start. */
static char *
u64_digits(uint64_t v, char *end)
{
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

void
pl_json_int(struct pl_json *j, const char *key, int64_t v)
{
    char buf[24];
    char *end = buf + sizeof(buf);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = u64_digits(u, end);
    if (v < 0)
        *--p = '-';
    sep_key(j, key);
    chk(j, pl_buf_add(j->out, p, (size_t)(end - p)));
}

void
pl_json_uint(struct pl_json *j, const char *key, uint64_t v)
{
    char buf[24];
    char *end = buf + sizeof(buf);
    char *p = u64_digits(v, end);
    sep_key(j, key);
    chk(j, pl_buf_add(j->out, p, (size_t)(end - p)));
}

void
pl_json_double(struct pl_json *j, const char *key, double v, int decimals)
{
    sep_key(j, key);
    if (!isfinite(v))
        v = 0;
    if (decimals < 0 || decimals > 6 || v < 0 || v > 1e12) {
        chk(j, pl_buf_printf(j->out, "%.*f", decimals < 0 ? 0 : decimals, v));
        return;
    }
    /* Fixed point without printf: this runs for every audit line (duration_ms). */
    uint64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    uint64_t fixed = (uint64_t)(v * (double)scale + 0.5);
    char buf[48];
    char *end = buf + sizeof(buf);
    char *p = end;
    if (decimals > 0) {
        uint64_t frac = fixed % scale;
        for (int i = 0; i < decimals; i++) {
            *--p = (char)('0' + frac % 10);
            frac /= 10;
        }
        *--p = '.';
    }
    p = u64_digits(fixed / scale, p);
    chk(j, pl_buf_add(j->out, p, (size_t)(end - p)));
}

void
pl_json_bool(struct pl_json *j, const char *key, bool v)
{
    sep_key(j, key);
    chk(j, pl_buf_add_c(j->out, v ? "true" : "false"));
}
