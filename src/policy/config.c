/*
 * Config loading (reference §3.1): parse one YAML document strictly, walk it against the
 * schema table (config_schema.c) into struct pl_config, apply the reference's defaults in its
 * order (zero values, security defaults, ApplyDefaults), resolve relative paths, validate
 * (config_validate.c). Everything is table-driven, including pl_config_free().
 */
#include "policy/config.h"

#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <string.h>

#include "policy/config_int.h"
#include "util/buf.h"

#define KPATH_MAX 512

struct kpath {
    char buf[KPATH_MAX];
    size_t len;
};

struct vec {
    void *v;
    size_t n;
};

/* ---------------------------------------------------------------- messages */

/* Copy s into out for a message: at most max bytes, control bytes shown as '?'. */
static void
sanitize(const char *s, size_t len, size_t max, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 4 < size; i++) {
        if (i >= max) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[o] = '\0';
}

static void
describe(const struct pl_ynode *n, char *buf, size_t size)
{
    char text[96];
    switch (n ? n->kind : PL_YNODE_NULL) {
    case PL_YNODE_MAP:
        snprintf(buf, size, "a mapping");
        break;
    case PL_YNODE_SEQ:
        snprintf(buf, size, "a list");
        break;
    case PL_YNODE_NULL:
        snprintf(buf, size, "null");
        break;
    default:
        sanitize(n->text, n->len, 64, text, sizeof(text));
        snprintf(buf, size, "%s\"%s\"", n->quoted ? "quoted string " : "", text);
        break;
    }
}

static int vfail(struct pl_cfg_load *ld, const struct pl_ynode *n, const char *fmt, va_list ap)
    PL_PRINTF(3, 0);

static int
vfail(struct pl_cfg_load *ld, const struct pl_ynode *n, const char *fmt, va_list ap)
{
    char msg[1024];
    int w;

    if (ld->err)
        return -EINVAL;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n && n->line)
        w = asprintf(&ld->err, "%s:%u:%u: %s", ld->name, n->line, n->col, msg);
    else
        w = asprintf(&ld->err, "%s: %s", ld->name, msg);
    if (w < 0)
        ld->err = pl_xstrdup("config error");
    return -EINVAL;
}

int
pl_cfg_fail(struct pl_cfg_load *ld, const struct pl_ynode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfail(ld, n, fmt, ap);
    va_end(ap);
    return r;
}

void
pl_cfg_warn(struct pl_cfg_load *ld, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    struct pl_strlist *w = &ld->cfg->warnings;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    w->v = pl_xrealloc(w->v, (w->n + 1) * sizeof(*w->v));
    w->v[w->n++] = pl_xstrdup(msg);
}

static int
type_error(struct pl_cfg_load *ld, const struct pl_ynode *n, const char *path, const char *what)
{
    char got[128];
    describe(n, got, sizeof(got));
    return pl_cfg_fail(ld, n, "%s: expected %s, got %s", path, what, got);
}

/* ---------------------------------------------------------------- scalars */

int
pl_cfg_parse_bool(const struct pl_ynode *n, bool *ret)
{
    static const char *const yes[] = {"true", "True", "TRUE", "y",  "Y", "yes",
                                      "Yes",  "YES",  "on",   "On", "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "n",   "N",  "no",
                                     "No",    "NO",    "off",   "Off", "OFF"};
    if (!n || n->kind != PL_YNODE_SCALAR || n->quoted)
        return -EINVAL;
    for (size_t i = 0; i < PL_ARRAY_SIZE(yes); i++) {
        if (strcmp(n->text, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (strcmp(n->text, no[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* Digit value for base-0 integer parsing; 99 for a non-digit (rejected by every base). */
static int
digit_value(char c)
{
    int v = pl_hex_value(c);
    return v < 0 ? 99 : v;
}

/* Go's strconv.ParseInt(s, 0, 64) after yaml.v3 dropped underscores: sign, 0x/0o/0b, leading-0
 * octal (falling back to decimal when a digit is 8 or 9, as yaml.v3's float path does). */
int
pl_cfg_parse_int(const struct pl_ynode *n, int64_t *ret)
{
    char buf[80];
    size_t len = 0;
    const char *s;
    bool neg = false;
    unsigned base = 10;
    uint64_t v = 0, limit;

    if (!n || n->kind != PL_YNODE_SCALAR || n->quoted)
        return -EINVAL;
    for (size_t i = 0; i < n->len; i++) {
        if (n->text[i] == '_')
            continue;
        if (len + 1 >= sizeof(buf))
            return -ERANGE;
        buf[len++] = n->text[i];
    }
    buf[len] = '\0';
    s = buf;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!*s)
        return -EINVAL;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    } else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
        base = 8;
        s += 2;
    } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        base = 2;
        s += 2;
    } else if (s[0] == '0' && s[1]) {
        base = strspn(s, "01234567") == strlen(s) ? 8 : 10;
    }
    if (!*s)
        return -EINVAL;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        int d = digit_value(*s);
        if (d >= (int)base)
            return -EINVAL;
        if (v > (limit - (uint64_t)d) / base)
            return -ERANGE;
        v = v * base + (uint64_t)d;
    }
    *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int
pl_cfg_parse_float(const struct pl_ynode *n, double *ret)
{
    int64_t i;
    const char *s;
    size_t digits = 0;

    if (!n || n->kind != PL_YNODE_SCALAR || n->quoted)
        return -EINVAL;
    if (pl_cfg_parse_int(n, &i) == 0) {
        *ret = (double)i;
        return 0;
    }
    /* [-+]? (digits [. digits?] | . digits) ([eE] [-+]? digits)? — no inf/nan/hex. */
    s = n->text;
    if (*s == '+' || *s == '-')
        s++;
    while (*s >= '0' && *s <= '9') {
        s++;
        digits++;
    }
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            s++;
            digits++;
        }
    }
    if (!digits)
        return -EINVAL;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return -EINVAL;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s)
        return -EINVAL;
    double d = strtod(n->text, NULL);
    if (!isfinite(d))
        return -ERANGE;
    *ret = d;
    return 0;
}

/* Go time.ParseDuration. */
int
pl_cfg_parse_duration(const char *s, int64_t *ret_ns)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {
        {"ns", 1},
        {"us", 1000},
        {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
        {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
        {"ms", 1000000},
        {"s", 1000000000LL},
        {"m", 60LL * 1000000000LL},
        {"h", 3600LL * 1000000000LL},
    };
    bool neg = false;
    int64_t total = 0;

    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (strcmp(s, "0") == 0) {
        *ret_ns = 0;
        return 0;
    }
    if (!*s)
        return -EINVAL;
    while (*s) {
        int64_t whole = 0, frac = 0, scale = 1;
        bool any = false;
        while (*s >= '0' && *s <= '9') {
            if (__builtin_mul_overflow(whole, 10, &whole) ||
                __builtin_add_overflow(whole, *s - '0', &whole))
                return -ERANGE;
            s++;
            any = true;
        }
        if (*s == '.') {
            s++;
            while (*s >= '0' && *s <= '9') {
                if (scale < 1000000000000000000LL) {
                    frac = frac * 10 + (*s - '0');
                    scale *= 10;
                }
                s++;
                any = true;
            }
        }
        if (!any)
            return -EINVAL;
        size_t ulen = 0;
        int64_t unit = 0;
        for (size_t i = 0; i < PL_ARRAY_SIZE(units); i++) {
            size_t l = strlen(units[i].name);
            if (strncmp(s, units[i].name, l) == 0 && l > ulen) {
                ulen = l;
                unit = units[i].ns;
            }
        }
        if (!unit)
            return -EINVAL;
        s += ulen;
        int64_t v;
        if (__builtin_mul_overflow(whole, unit, &v))
            return -ERANGE;
        v += (int64_t)((double)frac * ((double)unit / (double)scale));
        if (v < 0 || __builtin_add_overflow(total, v, &total))
            return -ERANGE;
    }
    *ret_ns = neg ? -total : total;
    return 0;
}

/* ---------------------------------------------------------------- schema lookups */

static void *
slot(const struct pl_cfg_key *k, void *base)
{
    return (base && k->off) ? (char *)base + (k->off - 1) : NULL;
}

static const struct pl_cfg_key *
find_child(const struct pl_cfg_key *keys, const char *name, size_t len)
{
    for (const struct pl_cfg_key *k = keys; k->name; k++)
        if (strlen(k->name) == len && memcmp(k->name, name, len) == 0)
            return k;
    return NULL;
}

const struct pl_cfg_key *
pl_cfg_key_find(const char *dotted)
{
    const struct pl_cfg_key *keys = pl_cfg_schema, *k = NULL;
    while (keys && *dotted) {
        const char *dot = strchr(dotted, '.');
        size_t len = dot ? (size_t)(dot - dotted) : strlen(dotted);
        k = find_child(keys, dotted, len);
        if (!k)
            return NULL;
        dotted += len + (dot ? 1 : 0);
        keys = *dotted ? k->children : NULL;
    }
    return *dotted ? NULL : k;
}

static int
enum_index(const char *const *vals, const char *s)
{
    for (int i = 0; vals && vals[i]; i++)
        if (strcmp(vals[i], s) == 0)
            return i;
    return -1;
}

bool
pl_cfg_eff_bool(struct pl_cfg_load *ld, const struct pl_ynode *base, const char *path,
                const char *schema_path)
{
    const struct pl_ynode *n = pl_ynode_path(base ? base : ld->root, path);
    const struct pl_cfg_key *k = pl_cfg_key_find(schema_path ? schema_path : path);
    bool v;
    if (!pl_ynode_is_null(n) && pl_cfg_parse_bool(n, &v) == 0)
        return v;
    return k ? k->def.b : false;
}

int64_t
pl_cfg_eff_int(struct pl_cfg_load *ld, const struct pl_ynode *base, const char *path,
               const char *schema_path)
{
    const struct pl_ynode *n = pl_ynode_path(base ? base : ld->root, path);
    const struct pl_cfg_key *k = pl_cfg_key_find(schema_path ? schema_path : path);
    int64_t v;
    if (!pl_ynode_is_null(n) && pl_cfg_parse_int(n, &v) == 0) {
        if (k &&
            (((k->flags & PL_CFG_F_POSDEF) && v <= 0) || ((k->flags & PL_CFG_F_ZERODEF) && v == 0)))
            return k->def.i;
        return v;
    }
    return k ? k->def.i : 0;
}

const char *
pl_cfg_eff_str(struct pl_cfg_load *ld, const struct pl_ynode *base, const char *path,
               const char *schema_path)
{
    const struct pl_ynode *n = pl_ynode_path(base ? base : ld->root, path);
    const struct pl_cfg_key *k = pl_cfg_key_find(schema_path ? schema_path : path);
    if (!pl_ynode_is_null(n) && n->kind == PL_YNODE_SCALAR) {
        if (!(n->len == 0 && k && k->type == PL_CFG_ENUM && enum_index(k->enum_values, "") < 0))
            return n->text;
    }
    return (k && k->def.s && (k->type == PL_CFG_STR || k->type == PL_CFG_ENUM)) ? k->def.s : "";
}

/* ---------------------------------------------------------------- "did you mean" */

/* Optimal string alignment distance of two lower-cased strings of at most 64 bytes. */
static size_t
edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t best = PL_MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);
            best = PL_MIN(best, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]));
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                best = PL_MIN(best, d[i - 2][j - 2] + 1);
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/*
 * The closest valid key (ASCII case-insensitive), or NULL when nothing is close enough to be
 * a plausible typo: at most max(2, len/4) edits away, and fewer edits than the name has bytes.
 */
static const char *
suggest(const struct pl_cfg_key *keys, const char *name, size_t len)
{
    char a[64], b[64];
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    if (len == 0 || len > sizeof(a))
        return NULL;
    for (size_t i = 0; i < len; i++)
        a[i] = pl_ascii_lower(name[i]);
    for (const struct pl_cfg_key *k = keys; k->name; k++) {
        size_t kl = strlen(k->name);
        size_t limit = PL_MAX((size_t)2, kl / 4);
        if (kl > sizeof(b) || (kl > len ? kl - len : len - kl) > limit)
            continue; /* the length difference alone exceeds the limit */
        for (size_t i = 0; i < kl; i++)
            b[i] = pl_ascii_lower(k->name[i]);
        size_t d = edit_distance(a, len, b, kl);
        if (d <= limit && d < len && d < best_d) {
            best = k->name;
            best_d = d;
        }
    }
    return best;
}

/* ---------------------------------------------------------------- paths */

static size_t
kpath_key(struct kpath *p, const char *name, size_t len)
{
    size_t save = p->len;
    char clean[160];
    sanitize(name, len, 128, clean, sizeof(clean));
    int w = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "%s%s", p->len ? "." : "", clean);
    if (w > 0)
        p->len = PL_MIN(p->len + (size_t)w, sizeof(p->buf) - 1);
    return save;
}

static size_t
kpath_index(struct kpath *p, size_t i)
{
    size_t save = p->len;
    int w = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "[%zu]", i);
    if (w > 0)
        p->len = PL_MIN(p->len + (size_t)w, sizeof(p->buf) - 1);
    return save;
}

static void
kpath_pop(struct kpath *p, size_t save)
{
    p->len = save;
    p->buf[save] = '\0';
}

/* ---------------------------------------------------------------- storage helpers */

static void
strlist_done(struct pl_strlist *l, bool wipe)
{
    for (size_t i = 0; i < l->n; i++) {
        if (wipe && l->v[i])
            explicit_bzero(l->v[i], strlen(l->v[i]));
        free(l->v[i]);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void
strlist_set_defaults(struct pl_strlist *l, const char *const *list)
{
    size_t n = 0;
    while (list[n])
        n++;
    l->v = pl_xcalloc(n ? n : 1, sizeof(*l->v));
    for (l->n = 0; l->n < n; l->n++)
        l->v[l->n] = pl_xstrdup(list[l->n]);
}

static void
set_str(char **p, const char *s, bool wipe)
{
    if (*p && wipe)
        explicit_bzero(*p, strlen(*p));
    free(*p);
    *p = pl_xstrdup(s ? s : "");
}

static void
free_keys(const struct pl_cfg_key *keys, void *base)
{
    for (const struct pl_cfg_key *k = keys; k->name; k++) {
        void *p = slot(k, base);
        bool wipe = k->flags & PL_CFG_F_SECRET;
        if (k->type == PL_CFG_SECTION) {
            free_keys(k->children, base);
            continue;
        }
        if (!p)
            continue;
        switch (k->type) {
        case PL_CFG_STR:
        case PL_CFG_ENUM:
            if (k->type == PL_CFG_ENUM && (k->flags & PL_CFG_F_ENUM_INT))
                break;
            if (*(char **)p && wipe)
                explicit_bzero(*(char **)p, strlen(*(char **)p));
            PL_FREE(free, *(char **)p);
            break;
        case PL_CFG_STRLIST:
        case PL_CFG_MAP: /* a stored map keeps its keys, in file order */
            strlist_done(p, wipe);
            break;
        case PL_CFG_CIDRLIST:
            pl_cidr_list_done(p);
            break;
        case PL_CFG_LIST: {
            struct vec *v = p;
            for (size_t i = 0; i < v->n; i++)
                free_keys(k->children, (char *)v->v + i * k->elem_size);
            PL_FREE(free, v->v);
            v->n = 0;
            break;
        }
        default:
            break;
        }
    }
}

static void
init_internal_defaults(struct pl_cidr_list *l)
{
    for (size_t i = 0; i < pl_ip_default_internal_count; i++) {
        struct pl_cidr c;
        PL_BUG_ON(pl_cidr_parse(pl_str_c(pl_ip_default_internal[i]), false, &c) < 0);
        if (pl_cidr_list_add(l, &c) < 0) {
            fprintf(stderr, "pipelock: out of memory\n");
            abort();
        }
    }
}

/* Zero values plus pointer/security defaults: what a key is when the file does not set it. */
static void
init_defaults(const struct pl_cfg_key *keys, void *base, bool from_defaults)
{
    for (const struct pl_cfg_key *k = keys; k->name; k++) {
        void *p = slot(k, base);
        if (k->type == PL_CFG_SECTION) {
            init_defaults(k->children, base, from_defaults);
            continue;
        }
        if (!p)
            continue;
        switch (k->type) {
        case PL_CFG_BOOL:
            *(bool *)p = k->def.b;
            break;
        case PL_CFG_INT:
            *(int *)p = (int)k->def.i;
            break;
        case PL_CFG_I64:
        case PL_CFG_DURATION:
            *(int64_t *)p = k->def.i;
            break;
        case PL_CFG_FLOAT:
            *(double *)p = k->def.d;
            break;
        case PL_CFG_STR:
            set_str(p, k->def.s, false);
            break;
        case PL_CFG_ENUM:
            if (k->flags & PL_CFG_F_ENUM_INT)
                *(int *)p = k->def.s ? PL_MAX(0, enum_index(k->enum_values, k->def.s)) : 0;
            else
                set_str(p, k->def.s, false);
            break;
        case PL_CFG_STRLIST:
            if (k->def.list && !(k->flags & PL_CFG_F_EMPTYDEF) &&
                (!(k->flags & PL_CFG_F_DEFONLY) || from_defaults))
                strlist_set_defaults(p, k->def.list);
            break;
        case PL_CFG_CIDRLIST:
            if (k->flags & PL_CFG_F_DEFINTERNAL)
                init_internal_defaults(p);
            break;
        default:
            break;
        }
    }
}

static bool
sibling_enabled(const struct pl_cfg_key *keys, void *base)
{
    const struct pl_cfg_key *en = find_child(keys, "enabled", 7);
    void *p = en ? slot(en, base) : NULL;
    return p && *(bool *)p;
}

/* The reference's ApplyDefaults: zero (or <= 0) numbers and empty strings/lists. */
static void
post_defaults(const struct pl_cfg_key *keys, void *base)
{
    for (const struct pl_cfg_key *k = keys; k->name; k++) {
        void *p = slot(k, base);
        bool pos = k->flags & PL_CFG_F_POSDEF, zero = k->flags & PL_CFG_F_ZERODEF;
        if (k->type == PL_CFG_SECTION) {
            post_defaults(k->children, base);
            continue;
        }
        if (!p)
            continue;
        switch (k->type) {
        case PL_CFG_INT:
            if ((pos && *(int *)p <= 0) || (zero && *(int *)p == 0))
                *(int *)p = (int)k->def.i;
            break;
        case PL_CFG_I64:
        case PL_CFG_DURATION:
            if ((pos && *(int64_t *)p <= 0) || (zero && *(int64_t *)p == 0))
                *(int64_t *)p = k->def.i;
            break;
        case PL_CFG_FLOAT:
            if ((pos && *(double *)p <= 0) || (zero && *(double *)p == 0))
                *(double *)p = k->def.d;
            break;
        case PL_CFG_STR:
        case PL_CFG_ENUM:
            if ((k->flags & PL_CFG_F_EMPTYDEF) && !(k->flags & PL_CFG_F_ENUM_INT) &&
                (!*(char **)p || !**(char **)p))
                set_str(p, k->def.s, false);
            break;
        case PL_CFG_STRLIST: {
            struct pl_strlist *l = p;
            if ((k->flags & PL_CFG_F_EMPTYDEF) && l->n == 0 && k->def.list &&
                (!(k->flags & PL_CFG_F_WHENON) || sibling_enabled(keys, base))) {
                free(l->v);
                strlist_set_defaults(l, k->def.list);
            }
            break;
        }
        case PL_CFG_LIST: {
            struct vec *v = p;
            for (size_t i = 0; i < v->n; i++)
                post_defaults(k->children, (char *)v->v + i * k->elem_size);
            break;
        }
        default:
            break;
        }
    }
}

/* ---------------------------------------------------------------- the walker */

static int walk_keys(struct pl_cfg_load *ld, const struct pl_cfg_key *keys,
                     const struct pl_ynode *map, void *base, struct kpath *path);

static int
budget(struct pl_cfg_load *ld, const struct pl_ynode *n)
{
    if (++ld->visits > PL_YTREE_MAX_VISITS)
        return pl_cfg_fail(ld, n,
                           "configuration too complex (more than %d values after expanding "
                           "aliases)",
                           PL_YTREE_MAX_VISITS);
    return 0;
}

static int
walk_int(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n, void *p,
         const char *path)
{
    int64_t v;
    int r = pl_cfg_parse_int(n, &v);
    if (r == -ERANGE)
        return pl_cfg_fail(ld, n, "%s: integer out of range", path);
    if (r < 0)
        return type_error(ld, n, path, "an integer");
    if (k->min < k->max && !((k->flags & PL_CFG_F_ZERODEF) && v == 0) && (v < k->min || v > k->max))
        return pl_cfg_fail(ld, n, "%s: must be between %lld and %lld, got %lld", path,
                           (long long)k->min, (long long)k->max, (long long)v);
    if (k->type == PL_CFG_INT && (v < INT_MIN || v > INT_MAX))
        return pl_cfg_fail(ld, n, "%s: integer out of range", path);
    if (p && k->type == PL_CFG_INT)
        *(int *)p = (int)v;
    else if (p)
        *(int64_t *)p = v;
    return 0;
}

static int
walk_enum(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n, void *p,
          const char *path)
{
    char vals[256], got[128];
    size_t len = 0;
    if (n->kind != PL_YNODE_SCALAR)
        return type_error(ld, n, path, "a string");
    int idx = enum_index(k->enum_values, n->text);
    if (idx < 0 && n->len == 0)
        return 0; /* "" = unset: the default stays */
    if (idx < 0) {
        vals[0] = '\0';
        for (size_t i = 0; k->enum_values[i]; i++) {
            if (!*k->enum_values[i])
                continue;
            int w = snprintf(vals + len, sizeof(vals) - len, "%s%s", len ? ", " : "",
                             k->enum_values[i]);
            if (w < 0 || (size_t)w >= sizeof(vals) - len)
                break;
            len += (size_t)w;
        }
        describe(n, got, sizeof(got));
        return pl_cfg_fail(ld, n, "%s: invalid value %s (expected one of: %s)", path, got, vals);
    }
    if (p && (k->flags & PL_CFG_F_ENUM_INT))
        *(int *)p = idx;
    else if (p)
        set_str(p, n->text, false);
    return 0;
}

static int
walk_strlist(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n, void *p,
             struct kpath *path)
{
    struct pl_strlist *l = p;
    if (n->kind != PL_YNODE_SEQ)
        return type_error(ld, n, path->buf, "a list of strings");
    for (size_t i = 0; i < n->n; i++) {
        const struct pl_ynode *it = n->vals[i];
        if (budget(ld, it) < 0)
            return -EINVAL;
        if (it->kind == PL_YNODE_MAP || it->kind == PL_YNODE_SEQ) {
            size_t save = kpath_index(path, i);
            int r = type_error(ld, it, path->buf, "a string");
            kpath_pop(path, save);
            return r;
        }
    }
    if (!l)
        return 0;
    strlist_done(l, k->flags & PL_CFG_F_SECRET);
    l->v = pl_xcalloc(n->n ? n->n : 1, sizeof(*l->v));
    for (; l->n < n->n; l->n++)
        l->v[l->n] = pl_xstrdup(n->vals[l->n]->kind == PL_YNODE_NULL ? "" : n->vals[l->n]->text);
    return 0;
}

static int
walk_cidrlist(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n, void *p,
              struct kpath *path)
{
    struct pl_cidr_list tmp = {0};
    bool strict = k->flags & PL_CFG_F_STRICT;
    int r = 0;

    if (n->kind != PL_YNODE_SEQ)
        return type_error(ld, n, path->buf, "a list of CIDRs");
    for (size_t i = 0; i < n->n && r == 0; i++) {
        const struct pl_ynode *it = n->vals[i];
        struct pl_cidr c;
        size_t save = kpath_index(path, i);
        if (budget(ld, it) < 0) {
            r = -EINVAL;
        } else if (it->kind != PL_YNODE_SCALAR) {
            r = type_error(ld, it, path->buf, "a CIDR string");
        } else if (pl_cidr_parse(pl_str_from(it->text, it->len), strict, &c) < 0) {
            char got[128];
            describe(it, got, sizeof(got));
            if (strict && pl_cidr_parse(pl_str_from(it->text, it->len), false, &c) == 0)
                r = pl_cfg_fail(ld, it,
                                "%s: invalid CIDR %s: must be canonical (no host bits set, "
                                "prefix not /0)",
                                path->buf, got);
            else
                r = pl_cfg_fail(ld, it, "%s: invalid CIDR %s (expected e.g. \"10.0.0.0/8\")",
                                path->buf, got);
        } else if (p && pl_cidr_list_add(&tmp, &c) < 0) {
            r = pl_cfg_fail(ld, it, "out of memory");
        }
        kpath_pop(path, save);
    }
    if (r == 0 && p) {
        pl_cidr_list_done(p);
        *(struct pl_cidr_list *)p = tmp;
        tmp = (struct pl_cidr_list){0};
    }
    pl_cidr_list_done(&tmp);
    return r;
}

static int
walk_list(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n, void *p,
          struct kpath *path)
{
    struct vec *v = p;
    if (n->kind != PL_YNODE_SEQ)
        return type_error(ld, n, path->buf, "a list");
    if (v) {
        for (size_t i = 0; i < v->n; i++)
            free_keys(k->children, (char *)v->v + i * k->elem_size);
        free(v->v);
        v->v = pl_xcalloc(n->n ? n->n : 1, k->elem_size);
        v->n = n->n;
        for (size_t i = 0; i < n->n; i++)
            init_defaults(k->children, (char *)v->v + i * k->elem_size, false);
    }
    for (size_t i = 0; i < n->n; i++) {
        const struct pl_ynode *it = n->vals[i];
        size_t save = kpath_index(path, i);
        int r;
        if (it->kind != PL_YNODE_MAP)
            r = type_error(ld, it, path->buf, "a mapping");
        else
            r = walk_keys(ld, k->children, it, v ? (char *)v->v + i * k->elem_size : NULL, path);
        kpath_pop(path, save);
        if (r < 0)
            return r;
    }
    return 0;
}

static int
walk_map_entry(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *v,
               struct kpath *path)
{
    switch (k->type) {
    case PL_CFG_MAP:
        if (v->kind == PL_YNODE_NULL)
            return walk_keys(ld, k->children, NULL, NULL, path);
        if (v->kind != PL_YNODE_MAP)
            return type_error(ld, v, path->buf, "a mapping");
        return walk_keys(ld, k->children, v, NULL, path);
    case PL_CFG_MAP_STR:
        if (v->kind == PL_YNODE_NULL)
            return 0;
        if (k->enum_values)
            return walk_enum(ld, k, v, NULL, path->buf);
        if (v->kind != PL_YNODE_SCALAR)
            return type_error(ld, v, path->buf, "a string");
        return 0;
    case PL_CFG_MAP_STRLIST:
        if (v->kind == PL_YNODE_NULL)
            return 0;
        return walk_strlist(ld, k, v, NULL, path);
    case PL_CFG_MAP_FLOAT: {
        double d;
        if (v->kind == PL_YNODE_NULL)
            return 0;
        if (pl_cfg_parse_float(v, &d) < 0)
            return type_error(ld, v, path->buf, "a number");
        return 0;
    }
    default:
        PL_BUG_ON(1);
        return -EINVAL;
    }
}

static int
walk_value(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n, void *base,
           struct kpath *path)
{
    void *p = slot(k, base);
    int r = 0;

    if (budget(ld, n) < 0)
        return -EINVAL;
    if (n->kind == PL_YNODE_NULL)
        return 0; /* null is "absent" everywhere (yaml.v3 zero value / nil pointer) */

    switch (k->type) {
    case PL_CFG_SECTION:
        if (n->kind != PL_YNODE_MAP)
            return type_error(ld, n, path->buf, "a mapping");
        r = walk_keys(ld, k->children, n, base, path);
        break;
    case PL_CFG_BOOL: {
        bool b;
        if (pl_cfg_parse_bool(n, &b) < 0)
            return type_error(ld, n, path->buf, "a boolean (true or false)");
        if (p)
            *(bool *)p = b;
        break;
    }
    case PL_CFG_INT:
    case PL_CFG_I64:
        r = walk_int(ld, k, n, p, path->buf);
        break;
    case PL_CFG_FLOAT: {
        double d;
        int e = pl_cfg_parse_float(n, &d);
        if (e == -ERANGE)
            return pl_cfg_fail(ld, n, "%s: must be a finite number", path->buf);
        if (e < 0)
            return type_error(ld, n, path->buf, "a number");
        if (p)
            *(double *)p = d;
        break;
    }
    case PL_CFG_STR:
        if (n->kind != PL_YNODE_SCALAR)
            return type_error(ld, n, path->buf, "a string");
        if (p)
            set_str(p, n->text, k->flags & PL_CFG_F_SECRET);
        break;
    case PL_CFG_ENUM:
        r = walk_enum(ld, k, n, p, path->buf);
        break;
    case PL_CFG_DURATION: {
        int64_t ns;
        char got[128];
        if (n->kind != PL_YNODE_SCALAR)
            return type_error(ld, n, path->buf, "a duration string");
        if (pl_cfg_parse_duration(n->text, &ns) < 0) {
            describe(n, got, sizeof(got));
            return pl_cfg_fail(ld, n,
                               "%s: invalid duration %s (expected a Go duration such as "
                               "\"24h\", \"90m\" or \"1h30m\")",
                               path->buf, got);
        }
        if (p)
            *(int64_t *)p = ns;
        break;
    }
    case PL_CFG_STRLIST:
        r = walk_strlist(ld, k, n, p, path);
        break;
    case PL_CFG_CIDRLIST:
        r = walk_cidrlist(ld, k, n, p, path);
        break;
    case PL_CFG_LIST:
        r = walk_list(ld, k, n, p, path);
        break;
    case PL_CFG_MAP:
    case PL_CFG_MAP_STR:
    case PL_CFG_MAP_STRLIST:
    case PL_CFG_MAP_FLOAT:
        if (n->kind != PL_YNODE_MAP)
            return type_error(ld, n, path->buf, "a mapping");
        if (p && k->type == PL_CFG_MAP) {
            struct pl_strlist *l = p;
            strlist_done(l, false);
            l->v = pl_xcalloc(n->n ? n->n : 1, sizeof(*l->v));
            for (; l->n < n->n; l->n++)
                l->v[l->n] = pl_xstrndup(n->keys[l->n]->text, n->keys[l->n]->len);
        }
        for (size_t i = 0; i < n->n && r == 0; i++) {
            size_t save = kpath_key(path, n->keys[i]->text, n->keys[i]->len);
            r = budget(ld, n->vals[i]);
            if (r == 0)
                r = walk_map_entry(ld, k, n->vals[i], path);
            kpath_pop(path, save);
        }
        break;
    }
    if (r == 0 && k->check)
        r = k->check(ld, k, n, path->buf);
    return r;
}

static int
walk_keys(struct pl_cfg_load *ld, const struct pl_cfg_key *keys, const struct pl_ynode *map,
          void *base, struct kpath *path)
{
    size_t nkeys = map ? map->n : 0;
    for (size_t i = 0; i < nkeys; i++) {
        const struct pl_ynode *kn = map->keys[i];
        const struct pl_cfg_key *k = find_child(keys, kn->text, kn->len);
        if (!k) {
            char name[160];
            const char *hint = suggest(keys, kn->text, kn->len);
            sanitize(kn->text, kn->len, 128, name, sizeof(name));
            if (hint)
                return pl_cfg_fail(ld, kn, "unknown key \"%s\" in %s (did you mean \"%s\"?)", name,
                                   path->len ? path->buf : "top level", hint);
            return pl_cfg_fail(ld, kn, "unknown key \"%s\" in %s", name,
                               path->len ? path->buf : "top level");
        }
        size_t save = kpath_key(path, k->name, strlen(k->name));
        int r = walk_value(ld, k, map->vals[i], base, path);
        kpath_pop(path, save);
        if (r < 0)
            return r;
    }
    for (const struct pl_cfg_key *k = keys; k->name; k++) {
        if (!(k->flags & PL_CFG_F_REQUIRED))
            continue;
        const struct pl_ynode *v = pl_ynode_get(map, k->name);
        if (pl_ynode_is_null(v) || (v->kind == PL_YNODE_SCALAR && v->len == 0))
            return pl_cfg_fail(ld, map, "%s: missing required key \"%s\"", path->buf, k->name);
    }
    return 0;
}

/* ---------------------------------------------------------------- after the walk */

static void
warn_unimplemented(struct pl_cfg_load *ld)
{
    const struct pl_ynode *root = ld->root;
    for (size_t i = 0; root && i < root->n; i++) {
        const struct pl_cfg_key *k =
            find_child(pl_cfg_schema, root->keys[i]->text, root->keys[i]->len);
        if (!k || (k->flags & PL_CFG_F_IMPL))
            continue;
        if (k->type == PL_CFG_SECTION || k->type == PL_CFG_LIST || k->type == PL_CFG_MAP)
            pl_cfg_warn(ld,
                        "%s: section accepted but not implemented by this build yet; its "
                        "settings have no effect",
                        k->name);
        else
            pl_cfg_warn(ld,
                        "%s: setting accepted but not implemented by this build yet; it has "
                        "no effect",
                        k->name);
    }
}

bool
pl_cfg_is_builtin_dlp(const char *name)
{
    for (size_t i = 0; i < pl_cfg_dlp_builtin_count; i++)
        if (strcmp(pl_cfg_dlp_builtin_names[i], name) == 0)
            return true;
    return false;
}

/* include_defaults: the 48 built-ins with user patterns merged by name; else user only. */
static void
count_dlp_patterns(struct pl_config *cfg)
{
    size_t n = cfg->dlp.include_defaults ? pl_cfg_dlp_builtin_count : 0;
    for (size_t i = 0; i < cfg->dlp.patterns.n; i++)
        if (!cfg->dlp.include_defaults || !pl_cfg_is_builtin_dlp(cfg->dlp.patterns.v[i].name))
            n++;
    cfg->dlp.n_patterns = n;
}

static void
special_defaults(struct pl_config *cfg)
{
    if (strcmp(cfg->response_scanning.action, "ask") == 0 &&
        cfg->response_scanning.ask_timeout_seconds <= 0)
        cfg->response_scanning.ask_timeout_seconds = 30;
}

static void
resolve_paths(const struct pl_cfg_key *keys, void *base, const char *dir)
{
    for (const struct pl_cfg_key *k = keys; k->name; k++) {
        char **p = slot(k, base);
        if (k->type == PL_CFG_SECTION) {
            resolve_paths(k->children, base, dir);
            continue;
        }
        if (!p || !(k->flags & PL_CFG_F_PATH) || !*p || !**p || **p == '/')
            continue;
        struct pl_buf b;
        pl_buf_init(&b, PATH_MAX);
        size_t dl = strlen(dir);
        if (pl_buf_printf(&b, "%s%s%s", dir, (dl && dir[dl - 1] == '/') ? "" : "/", *p) == 0) {
            free(*p);
            *p = b.data;
        } else {
            pl_buf_done(&b);
        }
    }
}

static void
hash_bytes(const char *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    static const char hex[] = "0123456789abcdef";
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        snprintf(out, 65, "unknown");
        return;
    }
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

static int
load_common(const char *name, const char *dir, const char *data, size_t len,
            struct pl_config **ret_cfg, char **ret_err)
{
    struct pl_cfg_load ld = {.name = name ? name : "<config>", .dir = dir};
    struct pl_ytree tree = {0};
    struct kpath path = {.len = 0};
    struct pl_config *cfg = pl_xcalloc(1, sizeof(*cfg));
    int r;

    ld.cfg = cfg;
    cfg->path = pl_xstrdup(ld.name);
    hash_bytes(data ? data : "", data ? len : 0, cfg->hash);
    init_defaults(pl_cfg_schema, cfg, false);

    r = pl_ytree_parse(ld.name, data ? data : "", data ? len : 0, &tree, &ld.err);
    if (r < 0)
        goto fail;
    ld.root = tree.root;
    if (ld.root && ld.root->kind == PL_YNODE_NULL)
        ld.root = NULL; /* a document holding only null, e.g. "---" or "~" */
    if (ld.root && ld.root->kind != PL_YNODE_MAP) {
        char got[128];
        describe(ld.root, got, sizeof(got));
        r = pl_cfg_fail(&ld, ld.root, "the configuration must be a mapping of keys, got %s", got);
        goto fail;
    }
    r = walk_keys(&ld, pl_cfg_schema, ld.root, cfg, &path);
    if (r < 0)
        goto fail;
    warn_unimplemented(&ld);
    post_defaults(pl_cfg_schema, cfg);
    special_defaults(cfg);
    count_dlp_patterns(cfg);
    if (dir)
        resolve_paths(pl_cfg_schema, cfg, dir);
    r = pl_cfg_validate(&ld);
    if (r < 0)
        goto fail;
    pl_ytree_done(&tree);
    *ret_cfg = cfg;
    return 0;
fail:
    pl_ytree_done(&tree);
    pl_config_free(cfg);
    if (!ld.err)
        ld.err = pl_xstrdup("invalid configuration");
    *ret_err = ld.err;
    return r < 0 ? r : -EINVAL;
}

/* ---------------------------------------------------------------- public API */

struct pl_config *
pl_config_defaults(void)
{
    struct pl_config *cfg = pl_xcalloc(1, sizeof(*cfg));
    snprintf(cfg->hash, sizeof(cfg->hash), "defaults");
    init_defaults(pl_cfg_schema, cfg, true);
    post_defaults(pl_cfg_schema, cfg);
    special_defaults(cfg);
    count_dlp_patterns(cfg);
    return cfg;
}

int
pl_config_load_buffer(const char *name, const char *data, size_t len, struct pl_config **ret_cfg,
                      char **ret_err)
{
    return load_common(name, NULL, data, len, ret_cfg, ret_err);
}

int
pl_config_load_file(const char *path, struct pl_config **ret_cfg, char **ret_err)
{
    char *data = NULL, *dir = NULL, *msg = NULL;
    size_t len = 0;
    FILE *f = NULL;
    int r, w = 0;

    f = fopen(path, "rb");
    if (!f) {
        r = -errno;
        w = asprintf(&msg, "%s: cannot read config file: %s", path, strerror(-r));
        goto out;
    }
    data = pl_xmalloc(PL_YTREE_MAX_INPUT + 1);
    len = fread(data, 1, PL_YTREE_MAX_INPUT + 1, f);
    if (ferror(f)) {
        r = errno ? -errno : -EIO;
        w = asprintf(&msg, "%s: cannot read config file: %s", path, strerror(-r));
        goto out;
    }
    if (len > PL_YTREE_MAX_INPUT) {
        r = -E2BIG;
        w = asprintf(&msg, "%s: configuration file too large (limit %d bytes)", path,
                     PL_YTREE_MAX_INPUT);
        goto out;
    }
    const char *slash = strrchr(path, '/');
    dir = slash ? pl_xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : pl_xstrdup(".");
    r = load_common(path, dir, data, len, ret_cfg, ret_err);
out:
    if (r < 0 && (msg || w < 0))
        *ret_err = w < 0 ? pl_xstrdup("cannot read config file") : msg;
    if (f)
        fclose(f);
    free(data);
    free(dir);
    return r;
}

bool
pl_strlist_eq(const struct pl_strlist *a, const struct pl_strlist *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]))
            return false;
    return true;
}

void
pl_config_free(struct pl_config *cfg)
{
    if (!cfg)
        return;
    free_keys(pl_cfg_schema, cfg);
    strlist_done(&cfg->warnings, false);
    free(cfg->path);
    free(cfg);
}

const char *
pl_mode_name(enum pl_mode m)
{
    switch (m) {
    case PL_MODE_BALANCED:
        return "balanced";
    case PL_MODE_STRICT:
        return "strict";
    case PL_MODE_AUDIT:
        return "audit";
    }
    return "unknown";
}
