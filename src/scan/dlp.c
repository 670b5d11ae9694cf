/*
 * DLP engine: one vectorscan database for every pattern and literal secret of a policy,
 * confirmed per hit with PCRE2 (see dlp.h).
 *
 * Targets are scanned in one vectorscan call: they are laid end to end in the scratch buffer,
 * separated by '\n'. Normalised views never contain '\n' (the DLP normalisation deletes every
 * control), so with multi-line mode '^' and '\b' behave at each target's start as at a
 * string start. A hit that straddles two targets can only be reported, never lost: every hit
 * is confirmed with PCRE2 on its own target alone before it becomes a finding.
 */
#include "scan/dlp.h"

#include <hs/hs.h>
#include <stdatomic.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "scan/bip39.h"
#include "scan/decode.h"
#include "scan/domain.h"
#include "scan/normalize.h"
#include "scan/validate.h"
#include "util/utf8.h"

/* Backtracking bound per PCRE2 call; a hit that needs more blocks (fail closed). */
#define MATCH_LIMIT 1000000u
#define DEPTH_LIMIT 10000u
/* Distinct (pattern, target) hits kept per scan before they are de-duplicated. */
#define MAX_HITS 4096

struct pat {
    char *name; /* owned */
    enum pl_severity severity;
    enum pl_validator validator;
    bool core, warn, literal;
    bool pcre_only; /* not in the vectorscan database */
    uint8_t fast;   /* FAST_*: scanned only inside candidate regions (generic patterns) */
    pcre2_code *re; /* owned; NULL for literal pseudo-patterns */
    char **exempt;  /* owned */
    size_t n_exempt;
};

/* One vectorscan expression: a pattern, or one encoded form of a literal secret. */
struct expr {
    uint32_t pat;
    uint32_t lit_len; /* > 0: a literal form of that many bytes (no PCRE2 confirmation) */
};

/*
 * The unanchored generic built-ins (cards, SSN, IBAN, WIF, Discord) have no literal factor,
 * so vectorscan would have to run them over every byte at a few hundred MB/s. They go into a
 * second database that only sees candidate regions: runs of [0-9 -] holding at least 9
 * digits (every card or SSN match lies in one), and runs of [A-Za-z0-9._-] holding at least
 * 15 consecutive alphanumerics (every IBAN, WIF or Discord token lies in one). Regions are
 * found at SIMD speed and are rare in ordinary text, and the split is exact: a match of one
 * of these patterns cannot exist outside a region.
 */
enum {
    FAST_NONE = 0,
    FAST_DIGITS = 1,
    FAST_ALNUM = 2,
};
#define DIGIT_RUN_MIN 9
#define ALNUM_RUN_MIN 15

/* Distinguishes databases for scratch sizing (an address can be reused after a free). */
static atomic_uint_fast64_t db_generation;

struct pl_dlp_db {
    uint64_t gen;
    struct pat *pats;
    size_t n_pats;
    struct expr *exprs;
    size_t n_exprs;
    hs_database_t *hs;      /* NULL when no expression went into vectorscan */
    hs_database_t *hs_fast; /* generic patterns, run on candidate regions only */
    uint32_t seed_pat;      /* the "BIP-39 Seed Phrase" pseudo-pattern */
    uint32_t nested_pat;    /* the "Excessive Encoding Depth" pseudo-pattern */
    size_t min_width;       /* no pattern or literal matches fewer bytes than this */
    bool seed_enabled, seed_verify;
    int seed_min_words;
    uint8_t fast_kinds; /* FAST_* present */
    size_t hs_bytes, pcre_bytes, n_pcre_only;
    pcre2_match_context *mctx;
};

struct hit {
    uint32_t pat;
    uint32_t target;
    uint32_t off; /* literal hits: exact extent; region hits: the region inside the target */
    uint32_t len;
    bool exact;
    bool region;
};

struct pl_dlp_scratch {
    hs_scratch_t *hs;
    uint64_t hs_gen; /* database generation the vectorscan scratch was sized for */
    pcre2_match_data *md;
    char *buf; /* targets laid end to end */
    size_t buf_cap;
    size_t *ends; /* end offset (exclusive) of each target in buf */
    size_t ends_cap;
    size_t *starts; /* start offset of each target in buf */
    size_t starts_cap;
    char *cbuf; /* candidate regions for the generic patterns, laid end to end */
    size_t cbuf_cap, cbuf_len;
    size_t *cends;  /* end offset of each region in cbuf */
    uint32_t *ctgt; /* target index of each region */
    size_t *csrc;   /* offset of each region in buf (the laid-out targets) */
    size_t n_regions, regions_cap;
    /* current view set */
    char *vbuf; /* owned view bytes */
    size_t vbuf_cap, vbuf_len, vbudget;
    struct vent {
        const char *borrowed; /* NULL: bytes at vbuf + off */
        size_t off, len;
        uint8_t view;
    } * vents;
    size_t n_vents, vents_cap;
    struct pl_dlp_target *vtargets;
    size_t vtargets_cap;
    char *tmp; /* decode work buffer */
    size_t tmp_cap;
    struct hit *hits;
    size_t n_hits;
    uint32_t *last_target; /* per pattern: last target recorded + 1 (0 = none) */
    size_t last_cap;
    bool overflow;
    bool nested;     /* a decoding at the depth limit still decodes: encodings nested too deep */
    size_t min_view; /* decodings shorter than this are not kept (text DLP: the db's min width) */
};

static const char *const view_names[PL_VIEW__COUNT] = {
    [PL_VIEW_RAW] = "raw",       [PL_VIEW_URL] = "url",       [PL_VIEW_DOTLESS] = "dotless",
    [PL_VIEW_BASE64] = "base64", [PL_VIEW_HEX] = "hex",       [PL_VIEW_BASE32] = "base32",
    [PL_VIEW_NOISE] = "noise",   [PL_VIEW_CONCAT] = "concat", [PL_VIEW_SUBSEQ] = "subseq",
    [PL_VIEW_PATH] = "path",     [PL_VIEW_QUERY] = "query",   [PL_VIEW_HOST] = "host",
};

const char *
pl_dlp_view_name(enum pl_dlp_view v)
{
    return (unsigned)v < PL_VIEW__COUNT ? view_names[v] : "unknown";
}

static const char *const sev_names[] = {"low", "medium", "high", "critical"};

const char *
pl_severity_name(enum pl_severity s)
{
    return (unsigned)s < PL_ARRAY_SIZE(sev_names) ? sev_names[s] : "unknown";
}

int
pl_severity_parse(struct pl_str s, enum pl_severity *ret)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(sev_names); i++) {
        if (pl_str_eq_ci(s, pl_str_c(sev_names[i]))) {
            *ret = (enum pl_severity)i;
            return 0;
        }
    }
    return -EINVAL;
}

int
pl_validator_parse(struct pl_str s, enum pl_validator *ret)
{
    static const char *const names[] = {"", "luhn", "mod97", "aba", "wif"};
    for (size_t i = 0; i < PL_ARRAY_SIZE(names); i++) {
        if (pl_str_eq_ci(s, pl_str_c(names[i]))) {
            *ret = (enum pl_validator)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* ---- compile ---- */

static char *fmt_err(const char *fmt, ...) PL_PRINTF(1, 2);

#include <stdarg.h>

static char *
fmt_err(const char *fmt, ...)
{
    va_list ap;
    char tmp[512];
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    return strdup(tmp);
}

static void
db_free_pats(struct pl_dlp_db *db)
{
    for (size_t i = 0; i < db->n_pats; i++) {
        struct pat *p = &db->pats[i];
        free(p->name);
        pcre2_code_free(p->re);
        for (size_t j = 0; j < p->n_exempt; j++)
            free(p->exempt[j]);
        free(p->exempt);
    }
    free(db->pats);
}

void
pl_dlp_db_free(struct pl_dlp_db *db)
{
    if (!db)
        return;
    db_free_pats(db);
    free(db->exprs);
    hs_free_database(db->hs);
    hs_free_database(db->hs_fast);
    pcre2_match_context_free(db->mctx);
    free(db);
}

/* Append a regex expression; the growable arrays are owned by the caller. */
struct exprbuf {
    char **re; /* owned strings */
    unsigned *flags;
    struct expr *e;
    size_t n, cap;
};

static int
exprbuf_add(struct exprbuf *b, char *re, unsigned flags, uint32_t pat, uint32_t lit_len)
{
    if (!re)
        return -ENOMEM;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        char **r = realloc(b->re, cap * sizeof(*r));
        if (r)
            b->re = r;
        unsigned *f = realloc(b->flags, cap * sizeof(*f));
        if (f)
            b->flags = f;
        struct expr *e = realloc(b->e, cap * sizeof(*e));
        if (e)
            b->e = e;
        if (!r || !f || !e) {
            free(re);
            return -ENOMEM;
        }
        b->cap = cap;
    }
    b->re[b->n] = re;
    b->flags[b->n] = flags;
    b->e[b->n] = (struct expr){pat, lit_len};
    b->n++;
    return 0;
}

static void
exprbuf_done(struct exprbuf *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->re[i]);
    free(b->re);
    free(b->flags);
    free(b->e);
}

/* A regex matching exactly the bytes of s (every byte as \xHH). */
static char *
escape_literal(const char *s, size_t len)
{
    char *out = malloc(len * 4 + 1);
    if (!out)
        return NULL;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i * 4] = '\\';
        out[i * 4 + 1] = 'x';
        out[i * 4 + 2] = hex[c >> 4];
        out[i * 4 + 3] = hex[c & 15];
    }
    out[len * 4] = '\0';
    return out;
}

static size_t
enc_base64(const unsigned char *in, size_t n, char *out, bool url, bool pad)
{
    const char *a = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        out[o++] = a[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        if (pad)
            out[o++] = '=';
    }
    return o;
}

static size_t
enc_base32(const unsigned char *in, size_t n, char *out, bool pad)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t o = 0;
    uint64_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = a[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = a[(acc << (5 - bits)) & 31];
    if (pad)
        while (o % 8)
            out[o++] = '=';
    return o;
}

/* Hex of in, each byte preceded by prefix and followed (except the last) by sep. */
static size_t
enc_hex(const unsigned char *in, size_t n, char *out, const char *prefix, const char *sep)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, pl = strlen(prefix), sl = strlen(sep);
    for (size_t i = 0; i < n; i++) {
        memcpy(out + o, prefix, pl);
        o += pl;
        out[o++] = hex[in[i] >> 4];
        out[o++] = hex[in[i] & 15];
        if (i + 1 < n) {
            memcpy(out + o, sep, sl);
            o += sl;
        }
    }
    return o;
}

#define LIT_MIN 8
#define LIT_MAX 4096

static int
add_literal_forms(struct exprbuf *b, const struct pl_dlp_literal *l, uint32_t pat)
{
    const unsigned char *v = (const unsigned char *)l->value;
    size_t n = l->len;
    char *tmp = malloc(n * 4 + 16);
    if (!tmp)
        return -ENOMEM;
    int r;
    /* Raw: case-sensitive for secrets, any case for canaries (as the reference compares). */
    unsigned raw_flags = HS_FLAG_SINGLEMATCH;
    if (l->kind == PL_DLP_LIT_CANARY)
        raw_flags |= HS_FLAG_CASELESS;
    if ((r = exprbuf_add(b, escape_literal(l->value, n), raw_flags, pat, (uint32_t)n)))
        goto out;
    for (int k = 0; k < 4; k++) {
        size_t m = enc_base64(v, n, tmp, k & 1, k & 2);
        if (k & 2 && n % 3 == 0)
            continue; /* padded == unpadded */
        if ((r = exprbuf_add(b, escape_literal(tmp, m), HS_FLAG_SINGLEMATCH, pat, (uint32_t)m)))
            goto out;
    }
    static const char *const hexforms[][2] = {{"", ""},  {"", ":"},   {"", " "}, {"", "-"},
                                              {"", ","}, {"\\x", ""}, {"0x", ""}};
    for (size_t k = 0; k < PL_ARRAY_SIZE(hexforms); k++) {
        size_t m = enc_hex(v, n, tmp, hexforms[k][0], hexforms[k][1]);
        if ((r = exprbuf_add(b, escape_literal(tmp, m), HS_FLAG_SINGLEMATCH | HS_FLAG_CASELESS, pat,
                             (uint32_t)m)))
            goto out;
    }
    for (int pad = 0; pad < 2; pad++) {
        size_t m = enc_base32(v, n, tmp, pad);
        if (pad && n % 5 == 0)
            continue;
        if ((r = exprbuf_add(b, escape_literal(tmp, m), HS_FLAG_SINGLEMATCH | HS_FLAG_CASELESS, pat,
                             (uint32_t)m)))
            goto out;
    }
    r = 0;
out:
    free(tmp);
    return r;
}

static int
compile_pcre(struct pat *p, const char *regex, char **ret_err)
{
    int code;
    PCRE2_SIZE eoff;
    p->re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
                          PCRE2_CASELESS | PCRE2_MULTILINE, &code, &eoff, NULL);
    if (!p->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        *ret_err = fmt_err("dlp.patterns: %s: invalid regex at offset %zu: %s", p->name,
                           (size_t)eoff, (const char *)msg);
        return -EINVAL;
    }
    /* JIT is an optimisation; interpretation gives the same answers. */
    (void)pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE);
    return 0;
}

/*
 * Compile the expressions into vectorscan. An expression it rejects is retried in prefilter
 * mode (a superset: PCRE2 confirms every hit anyway) and otherwise dropped from the database
 * and marked PCRE2-only. Literal forms cannot fail.
 */
static int
compile_hs(struct pl_dlp_db *db, struct exprbuf *b, bool fast, hs_database_t **ret, char **ret_err)
{
    for (;;) {
        size_t n = 0;
        const char **res = malloc((b->n + 1) * sizeof(*res));
        unsigned *ids = malloc((b->n + 1) * sizeof(*ids));
        unsigned *flags = malloc((b->n + 1) * sizeof(*flags));
        if (!res || !ids || !flags) {
            free(res);
            free(ids);
            free(flags);
            return -ENOMEM;
        }
        for (size_t i = 0; i < b->n; i++) {
            const struct pat *p = &db->pats[b->e[i].pat];
            if ((p->pcre_only && !b->e[i].lit_len) || (p->fast != 0) != fast)
                continue;
            res[n] = b->re[i];
            ids[n] = (unsigned)i;
            flags[n] = b->flags[i];
            n++;
        }
        if (n == 0) {
            free(res);
            free(ids);
            free(flags);
            return 0;
        }
        hs_compile_error_t *ce = NULL;
        hs_database_t *hdb = NULL;
        hs_error_t err =
            hs_compile_multi(res, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &hdb, &ce);
        int bad = ce ? ce->expression : -1;
        free(res);
        if (err == HS_SUCCESS) {
            free(ids);
            free(flags);
            *ret = hdb;
            size_t sz = 0;
            hs_database_size(hdb, &sz);
            db->hs_bytes += sz;
            return 0;
        }
        if (bad < 0) {
            *ret_err = fmt_err("dlp: pattern database compile failed: %s",
                               ce ? ce->message : "unknown error");
            hs_free_compile_error(ce);
            free(ids);
            free(flags);
            return -EINVAL;
        }
        hs_free_compile_error(ce);
        size_t ei = ids[bad];
        bool was_prefilter = flags[bad] & HS_FLAG_PREFILTER;
        free(ids);
        free(flags);
        if (!was_prefilter && !b->e[ei].lit_len) {
            b->flags[ei] |= HS_FLAG_PREFILTER;
        } else {
            db->pats[b->e[ei].pat].pcre_only = true;
            db->n_pcre_only++;
        }
    }
}

/* The fast-path class of a spec: only the built-in generic patterns, recognised by regex. */
static uint8_t
fast_class(const char *regex)
{
    static const char *const digit_names[] = {"Credit Card Number", "Social Security Number"};
    static const char *const alnum_names[] = {"IBAN", "Bitcoin WIF Private Key",
                                              "Discord Bot Token"};
    for (size_t i = 0; i < pl_dlp_builtin_count; i++) {
        const struct pl_dlp_def *d = &pl_dlp_builtin_defs[i];
        if (strcmp(d->regex, regex) != 0)
            continue;
        for (size_t k = 0; k < PL_ARRAY_SIZE(digit_names); k++)
            if (!strcmp(d->name, digit_names[k]))
                return FAST_DIGITS;
        for (size_t k = 0; k < PL_ARRAY_SIZE(alnum_names); k++)
            if (!strcmp(d->name, alnum_names[k]))
                return FAST_ALNUM;
    }
    return FAST_NONE;
}

int
pl_dlp_compile_with_literals(const struct pl_dlp_spec *specs, size_t n,
                             const struct pl_dlp_literal *lits, size_t n_lits,
                             struct pl_dlp_db **ret, char **ret_err)
{
    struct exprbuf b = {0};
    char *err = NULL;
    int r = -ENOMEM;
    struct pl_dlp_db *db = calloc(1, sizeof(*db));
    if (!db)
        goto fail;
    db->gen = atomic_fetch_add(&db_generation, 1) + 1;
    db->pats = calloc(n + n_lits + 4, sizeof(*db->pats));
    if (!db->pats)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        struct pat *p = &db->pats[db->n_pats];
        p->name = strdup(specs[i].name);
        if (!p->name)
            goto fail;
        db->n_pats++;
        p->severity = specs[i].severity;
        p->validator = specs[i].validator;
        p->core = specs[i].core;
        p->warn = specs[i].warn;
        p->fast = fast_class(specs[i].regex);
        db->fast_kinds |= p->fast;
        if (specs[i].n_exempt) {
            p->exempt = calloc(specs[i].n_exempt, sizeof(char *));
            if (!p->exempt)
                goto fail;
            for (size_t j = 0; j < specs[i].n_exempt; j++) {
                if (!(p->exempt[j] = strdup(specs[i].exempt_domains[j])))
                    goto fail;
                p->n_exempt++;
            }
        }
        if ((r = compile_pcre(p, specs[i].regex, &err)) < 0)
            goto fail;
        size_t sz = 0;
        pcre2_pattern_info(p->re, PCRE2_INFO_SIZE, &sz);
        db->pcre_bytes += sz;
        /* The shortest match this pattern can have (0 when vectorscan cannot tell). */
        hs_expr_info_t *info = NULL;
        hs_compile_error_t *ie = NULL;
        size_t w = 0;
        if (hs_expression_info(specs[i].regex, HS_FLAG_CASELESS | HS_FLAG_MULTILINE, &info, &ie) ==
            HS_SUCCESS)
            w = info->min_width;
        free(info);
        hs_free_compile_error(ie);
        db->min_width = i == 0 ? w : PL_MIN(db->min_width, w);
        r = exprbuf_add(&b, strdup(specs[i].regex),
                        HS_FLAG_CASELESS | HS_FLAG_MULTILINE | HS_FLAG_ALLOWEMPTY,
                        (uint32_t)(db->n_pats - 1), 0);
        if (r < 0)
            goto fail;
    }
    /* Literal secrets: one pseudo-pattern per kind (env, file), one per canary name. */
    uint32_t kind_pat[2] = {UINT32_MAX, UINT32_MAX};
    static const char *const kind_names[2] = {"Environment Variable Leak", "Known Secret Leak"};
    for (size_t i = 0; i < n_lits; i++) {
        const struct pl_dlp_literal *l = &lits[i];
        if (l->len < LIT_MIN || l->len > LIT_MAX || memchr(l->value, '\n', l->len))
            continue;
        if (n == 0 && i == 0)
            db->min_width = SIZE_MAX;
        db->min_width = PL_MIN(db->min_width, (size_t)LIT_MIN);
        uint32_t pid;
        if (l->kind == PL_DLP_LIT_CANARY) {
            pid = (uint32_t)db->n_pats;
            struct pat *p = &db->pats[db->n_pats];
            char name[300];
            snprintf(name, sizeof(name), "Canary Token (%s)", l->name ? l->name : "");
            if (!(p->name = strdup(name)))
                goto fail;
            db->n_pats++;
            p->severity = PL_SEV_CRITICAL;
            p->literal = true;
        } else {
            unsigned k = l->kind == PL_DLP_LIT_ENV ? 0 : 1;
            if (kind_pat[k] == UINT32_MAX) {
                kind_pat[k] = (uint32_t)db->n_pats;
                struct pat *p = &db->pats[db->n_pats];
                if (!(p->name = strdup(kind_names[k])))
                    goto fail;
                db->n_pats++;
                p->severity = PL_SEV_CRITICAL;
                p->literal = true;
            }
            pid = kind_pat[k];
        }
        if ((r = add_literal_forms(&b, l, pid)) < 0)
            goto fail;
    }
    db->seed_pat = (uint32_t)db->n_pats;
    if (!(db->pats[db->n_pats].name = strdup("BIP-39 Seed Phrase")))
        goto fail;
    db->pats[db->n_pats].severity = PL_SEV_CRITICAL;
    db->pats[db->n_pats].literal = true;
    db->n_pats++;
    pl_dlp_db_set_seed_phrase(db, true, 12, true);
    db->nested_pat = (uint32_t)db->n_pats;
    if (!(db->pats[db->n_pats].name = strdup("Excessive Encoding Depth")))
        goto fail;
    db->pats[db->n_pats].severity = PL_SEV_HIGH;
    db->pats[db->n_pats].literal = true;
    db->n_pats++;
    db->mctx = pcre2_match_context_create(NULL);
    if (!db->mctx)
        goto fail;
    pcre2_set_match_limit(db->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(db->mctx, DEPTH_LIMIT);
    if ((r = compile_hs(db, &b, false, &db->hs, &err)) < 0 ||
        (r = compile_hs(db, &b, true, &db->hs_fast, &err)) < 0)
        goto fail;
    db->exprs = b.e;
    db->n_exprs = b.n;
    b.e = NULL;
    exprbuf_done(&b);
    *ret = db;
    return 0;
fail:
    exprbuf_done(&b);
    pl_dlp_db_free(db);
    if (ret_err)
        *ret_err = err ? err : strdup("dlp: out of memory compiling patterns");
    else
        free(err);
    return r < 0 ? r : -ENOMEM;
}

int
pl_dlp_compile(const struct pl_dlp_spec *specs, size_t n, struct pl_dlp_db **ret, char **ret_err)
{
    return pl_dlp_compile_with_literals(specs, n, NULL, 0, ret, ret_err);
}

void
pl_dlp_db_set_seed_phrase(struct pl_dlp_db *db, bool enabled, int min_words, bool verify_checksum)
{
    db->seed_enabled = enabled;
    db->seed_min_words = min_words;
    db->seed_verify = verify_checksum;
}

int
pl_dlp_compile_builtin(struct pl_dlp_db **ret, char **ret_err)
{
    struct pl_dlp_spec specs[PL_DLP_BUILTIN_MAX];
    size_t n = pl_dlp_builtin_specs(specs, true, NULL);
    return pl_dlp_compile(specs, n, ret, ret_err);
}

size_t
pl_dlp_db_count(const struct pl_dlp_db *db)
{
    return db->n_pats;
}

const char *
pl_dlp_db_name(const struct pl_dlp_db *db, unsigned id)
{
    return id < db->n_pats ? db->pats[id].name : "unknown";
}

enum pl_severity
pl_dlp_db_severity(const struct pl_dlp_db *db, unsigned id)
{
    return id < db->n_pats ? db->pats[id].severity : PL_SEV_CRITICAL;
}

bool
pl_dlp_db_is_core(const struct pl_dlp_db *db, unsigned id)
{
    return id < db->n_pats && db->pats[id].core;
}

bool
pl_dlp_db_is_warn(const struct pl_dlp_db *db, unsigned id)
{
    return id < db->n_pats && db->pats[id].warn;
}

size_t
pl_dlp_db_bytes(const struct pl_dlp_db *db)
{
    return db->hs_bytes + db->pcre_bytes;
}

size_t
pl_dlp_db_pcre_only(const struct pl_dlp_db *db)
{
    return db->n_pcre_only;
}

/* ---- scan ---- */

struct pl_dlp_scratch *
pl_dlp_scratch_new(void)
{
    struct pl_dlp_scratch *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->md = pcre2_match_data_create(1, NULL);
    s->hits = malloc(MAX_HITS * sizeof(*s->hits));
    if (!s->md || !s->hits) {
        pl_dlp_scratch_free(s);
        return NULL;
    }
    return s;
}

void
pl_dlp_scratch_free(struct pl_dlp_scratch *s)
{
    if (!s)
        return;
    hs_free_scratch(s->hs);
    pcre2_match_data_free(s->md);
    free(s->buf);
    free(s->ends);
    free(s->starts);
    free(s->hits);
    free(s->vbuf);
    free(s->vents);
    free(s->vtargets);
    free(s->tmp);
    free(s->cbuf);
    free(s->cends);
    free(s->ctgt);
    free(s->csrc);
    free(s->last_target);
    free(s);
}

static int
grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

struct scan_ctx {
    const struct pl_dlp_db *db;
    struct pl_dlp_scratch *s;
    size_t n_targets;
    const size_t *ends; /* end of each unit (target or region) in the scanned buffer */
    size_t n_units;
    const uint32_t *units; /* unit -> target; NULL when units are the targets */
    const struct pl_dlp_target *targets;
    struct pl_str exempt_host;
    struct pl_dlp_result *res;
    int err; /* confirmation error met inside the callback */
};

static int confirm_hits(struct scan_ctx *c);

static int
hit_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->pat != y->pat)
        return x->pat < y->pat ? -1 : 1;
    if (x->target != y->target)
        return x->target < y->target ? -1 : 1;
    if (x->region != y->region)
        return x->region ? 1 : -1;
    if (x->region && x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return 0;
}

static void
dedupe_hits(struct pl_dlp_scratch *s)
{
    qsort(s->hits, s->n_hits, sizeof(*s->hits), hit_cmp);
    size_t o = 0;
    for (size_t i = 0; i < s->n_hits; i++)
        if (o == 0 || hit_cmp(&s->hits[o - 1], &s->hits[i]) != 0)
            s->hits[o++] = s->hits[i];
    s->n_hits = o;
}

static int
on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
    (void)from;
    (void)flags;
    struct scan_ctx *c = ctx;
    struct pl_dlp_scratch *s = c->s;
    const struct expr *e = &c->db->exprs[id];
    /* Unit whose range holds the end of the match (binary search). */
    size_t lo = 0, hi = c->n_units;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->ends[mid] < to)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= c->n_units)
        return 0;
    uint32_t t = c->units ? c->units[lo] : (uint32_t)lo;
    if (e->lit_len) {
        if (to - s->starts[t] < e->lit_len)
            return 0; /* straddles the separator: not inside one target */
    }
    /* One hit per (pattern, unit): a unit is a target, or a region of the fast path. */
    if (s->last_target[e->pat] == lo + 1)
        return 0;
    s->last_target[e->pat] = (uint32_t)lo + 1;
    if (s->n_hits == MAX_HITS) {
        /* Many distinct hits (a huge body): confirm what we have and go on. */
        int r = confirm_hits(c);
        if (r < 0) {
            c->err = r;
            s->overflow = true;
            return 1; /* stop scanning */
        }
    }
    struct hit *h = &s->hits[s->n_hits++];
    h->pat = e->pat;
    h->target = t;
    h->exact = e->lit_len > 0;
    h->region = c->units != NULL;
    h->off = h->exact ? (uint32_t)(to - e->lit_len - s->starts[t]) : 0;
    h->len = e->lit_len;
    if (h->region) {
        /* The region's bytes inside the target (context bytes included, clipped). */
        size_t beg = lo ? c->ends[lo - 1] + 1 : 0;
        size_t a = s->csrc[lo], b = a + (c->ends[lo] - beg);
        size_t ts = s->starts[t], te = s->ends[t];
        a = PL_MAX(a, ts);
        b = PL_MIN(b, te);
        h->off = (uint32_t)(a - ts);
        h->len = (uint32_t)(b > a ? b - a : 0);
    }
    return 0;
}

static bool
validate(enum pl_validator v, struct pl_str m)
{
    switch (v) {
    case PL_VALIDATOR_LUHN:
        return pl_validate_luhn_card(m);
    case PL_VALIDATOR_MOD97:
        return pl_validate_iban(m);
    case PL_VALIDATOR_ABA:
        return pl_validate_aba(m);
    case PL_VALIDATOR_WIF:
        return pl_validate_wif(m);
    case PL_VALIDATOR_NONE:
        break;
    }
    return true;
}

/*
 * Run pattern p with PCRE2 over text; on the first match that validates, fill *ret_off/len
 * and return 1. 0 when nothing matches, negative when PCRE2 could not decide.
 */
static int
confirm(const struct pl_dlp_db *db, struct pl_dlp_scratch *s, const struct pat *p,
        struct pl_str text, uint32_t *ret_off, uint32_t *ret_len)
{
    PCRE2_SIZE start = 0;
    while (start <= text.len) {
        int rc = pcre2_match(p->re, (PCRE2_SPTR)text.p, text.len, start, 0, s->md, db->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            return 0;
        if (rc < 0)
            return -E2BIG;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
        struct pl_str m = pl_str_from(text.p + ov[0], ov[1] - ov[0]);
        if (validate(p->validator, m)) {
            *ret_off = (uint32_t)ov[0];
            *ret_len = (uint32_t)(ov[1] - ov[0]);
            return 1;
        }
        start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    return 0;
}

static bool
exempted(const struct pat *p, struct pl_str host)
{
    if (!p->n_exempt || !host.len || p->core)
        return false;
    return pl_domain_match_any(host, p->exempt, p->n_exempt);
}

static void
add_finding(struct pl_dlp_result *res, uint32_t pat, const struct pl_dlp_target *t, uint32_t ti,
            uint32_t off, uint32_t len)
{
    for (size_t i = 0; i < res->n; i++)
        if (res->f[i].pattern == pat && res->f[i].view == t->view)
            return; /* the same pattern in the same kind of view: one finding is enough */
    if (res->n == PL_DLP_MAX_FINDINGS) {
        res->truncated = true;
        return;
    }
    res->f[res->n++] = (struct pl_dlp_finding){
        .pattern = (uint16_t)pat, .view = t->view, .target = (uint16_t)ti, .off = off, .len = len};
}

static const struct pl_dlp_db *sort_db;

static int
order_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    bool cx = sort_db->pats[x->pat].core, cy = sort_db->pats[y->pat].core;
    if (cx != cy)
        return cx ? -1 : 1;
    if (x->target != y->target)
        return x->target < y->target ? -1 : 1;
    if (x->pat != y->pat)
        return x->pat < y->pat ? -1 : 1;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return 0;
}

/* Insertion sort by reference order (hits are few); qsort_r is not needed then. */
static void
sort_hits(const struct pl_dlp_db *db, struct hit *h, size_t n)
{
    sort_db = db;
    for (size_t i = 1; i < n; i++) {
        struct hit k = h[i];
        size_t j = i;
        while (j > 0 && order_cmp(&h[j - 1], &k) > 0) {
            h[j] = h[j - 1];
            j--;
        }
        h[j] = k;
    }
}

/* ---- candidate regions for the generic patterns ---- */

#include <emmintrin.h>

static inline __m128i
in_range(__m128i v, char lo, char hi)
{
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8(lo));
    __m128i span = _mm_set1_epi8((char)(hi - lo));
    return _mm_cmpeq_epi8(_mm_max_epu8(d, span), span);
}

/* The 64 bytes of buf at pos, zero padded past len (zero is in no byte class used here). */
static inline const unsigned char *
block_at(const unsigned char *buf, size_t len, size_t pos, unsigned char tail[64])
{
    if (len - pos >= 64)
        return buf + pos;
    memset(tail, 0, 64);
    memcpy(tail, buf + pos, len - pos);
    return tail;
}

/* The byte classes of one 64-byte block, bit i for p[i]. */
struct masks {
    uint64_t digit; /* [0-9] */
    uint64_t dsep;  /* [0-9 -]: the digit-run class */
    uint64_t alnum; /* [A-Za-z0-9] */
};

static inline struct masks
class_masks64(const unsigned char *p)
{
    struct masks m = {0, 0, 0};
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i d = in_range(v, '0', '9');
        __m128i a = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
        __m128i sp = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
        unsigned sh = 16 * (unsigned)k;
        m.digit |= (uint64_t)(uint16_t)_mm_movemask_epi8(d) << sh;
        m.dsep |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_or_si128(d, sp)) << sh;
        m.alnum |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_or_si128(d, a)) << sh;
    }
    return m;
}

static inline bool
is_alnum(unsigned char c)
{
    return (unsigned)(c - '0') < 10 || (unsigned)((c | 0x20) - 'a') < 26;
}

static inline bool
is_ext(unsigned char c) /* the Discord token alphabet: alnum . _ - */
{
    return is_alnum(c) || c == '.' || c == '_' || c == '-';
}

static int
add_region(struct pl_dlp_scratch *s, const unsigned char *buf, size_t len, size_t a, size_t b)
{
    /* One byte of context on each side keeps \b exact at the region's edges. */
    a = a > 0 ? a - 1 : 0;
    b = b < len ? b + 1 : len;
    /* The unit a region belongs to is the target holding its first real byte. */
    size_t need = s->cbuf_len + (b - a) + 1;
    if (grow((void **)&s->cbuf, &s->cbuf_cap, need, 1) < 0)
        return -ENOMEM;
    if (s->n_regions == s->regions_cap) {
        size_t cap = s->regions_cap ? s->regions_cap * 2 : 64;
        size_t *e = realloc(s->cends, cap * sizeof(*e));
        if (e)
            s->cends = e;
        uint32_t *t = realloc(s->ctgt, cap * sizeof(*t));
        if (t)
            s->ctgt = t;
        size_t *src = realloc(s->csrc, cap * sizeof(*src));
        if (src)
            s->csrc = src;
        if (!e || !t || !src)
            return -ENOMEM;
        s->regions_cap = cap;
    }
    if (s->cbuf_len)
        s->cbuf[s->cbuf_len++] = '\n';
    memcpy(s->cbuf + s->cbuf_len, buf + a, b - a);
    s->cbuf_len += b - a;
    s->cends[s->n_regions] = s->cbuf_len;
    s->ctgt[s->n_regions] = (uint32_t)(a + 1); /* a buffer offset for now; mapped below */
    s->csrc[s->n_regions] = a;
    s->n_regions++;
    return 0;
}

/* Population count without the popcnt instruction (not in the x86-64 baseline). */
static inline size_t
popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (size_t)((x * 0x0101010101010101ull) >> 56);
}

/* Does m hold a run of >= len ones, counting `open` ones just before bit 0? */
static inline bool
has_run(uint64_t m, size_t open, unsigned len)
{
    size_t lead = ~m ? (size_t)__builtin_ctzll(~m) : 64;
    if (open + lead >= len)
        return true;
    uint64_t x = m;
    unsigned have = 1;
    while (have < len) {
        unsigned sh = PL_MIN(have, len - have);
        x &= x >> sh;
        have += sh;
    }
    return x != 0;
}

/* Per-kind state of the region pass. */
struct runs {
    size_t pos;       /* regions cover buf[..pos): bits below it are done */
    size_t run_start; /* a run that reached the end of the previous block started here */
    size_t run_digits;
    bool carry; /* such a run is open */
};

/* A complete run [a, b) of the kind's class: emit its region when it qualifies. */
static int
end_run(struct pl_dlp_scratch *s, const unsigned char *buf, size_t len, int kind, struct runs *st,
        size_t a, size_t b, size_t digits)
{
    if (kind == FAST_DIGITS)
        return digits >= DIGIT_RUN_MIN ? add_region(s, buf, len, a, b) : 0;
    if (b - a < ALNUM_RUN_MIN)
        return 0;
    while (a > 0 && is_ext(buf[a - 1]))
        a--;
    while (b < len && is_ext(buf[b]))
        b++;
    st->pos = b;
    return add_region(s, buf, len, a, b);
}

/*
 * The runs of one 64-byte block for one kind, read off its class mask: a run that reaches the
 * block's end stays open into the next block; a complete run becomes a region when it holds
 * enough digits (digit kind) or alphanumerics (alnum kind, then widened to the Discord
 * alphabet [A-Za-z0-9._-], and runs inside the widened region are skipped).
 */
static __attribute__((noinline)) int
block_runs(struct pl_dlp_scratch *s, const unsigned char *buf, size_t len, int kind,
           struct runs *st, size_t pos, uint64_t m, uint64_t digits)
{
    if (st->pos > pos) {
        if (st->pos >= pos + 64)
            return 0;
        m &= ~0ull << (st->pos - pos);
    }
    digits &= m;
    /* Necessary conditions first (most blocks stop here): a run of at least the minimum
     * length, counting the open run; for digit runs, enough digits in the block and it. */
    size_t open = st->carry ? pos - st->run_start : 0;
    unsigned min = kind == FAST_ALNUM ? ALNUM_RUN_MIN : DIGIT_RUN_MIN;
    bool maybe = has_run(m, open, min);
    if (maybe && kind == FAST_DIGITS)
        maybe = (st->carry ? st->run_digits : 0) + popcount64(digits) >= DIGIT_RUN_MIN;
    if (!maybe) {
        if (!~m && st->carry) {
            st->run_digits += popcount64(digits);
        } else if (!~m) {
            st->carry = true;
            st->run_start = pos;
            st->run_digits = popcount64(digits);
        } else {
            unsigned top = m >> 63 ? (unsigned)__builtin_clzll(~m) : 0;
            st->carry = top > 0;
            st->run_start = pos + 64 - top;
            st->run_digits = top ? popcount64(digits >> (64 - top)) : 0;
        }
        return 0;
    }
    if (st->carry && !(m & 1)) {
        /* The open run ended at the block boundary. */
        st->carry = false;
        int r = end_run(s, buf, len, kind, st, st->run_start, pos, st->run_digits);
        if (r < 0)
            return r;
        if (st->pos > pos)
            m &= st->pos >= pos + 64 ? 0 : ~0ull << (st->pos - pos);
    }
    while (m) {
        unsigned b = (unsigned)__builtin_ctzll(m);
        uint64_t inv = ~(m >> b);
        unsigned e = inv ? b + (unsigned)__builtin_ctzll(inv) : 64;
        uint64_t bits = (e == 64 ? ~0ull : (1ull << e) - 1) & (~0ull << b);
        size_t nd = popcount64(digits & bits);
        bool cont = b == 0 && st->carry;
        size_t start = cont ? st->run_start : pos + b;
        nd += cont ? st->run_digits : 0;
        if (e == 64 && pos + 64 < len) {
            st->carry = true;
            st->run_start = start;
            st->run_digits = nd;
            return 0;
        }
        st->carry = false;
        int r = end_run(s, buf, len, kind, st, start, PL_MIN(pos + e, len), nd);
        if (r < 0)
            return r;
        m &= ~bits;
        if (st->pos > pos)
            m &= st->pos >= pos + 64 ? 0 : ~0ull << (st->pos - pos);
    }
    return 0;
}

/*
 * The common case inline: a block with no digits (digit kind) or without a run of 15
 * alphanumerics (alnum kind) only moves the open run along.
 */
static inline int
block_kind(struct pl_dlp_scratch *s, const unsigned char *buf, size_t len, int kind,
           struct runs *st, size_t pos, uint64_t m, uint64_t digits)
{
    if (st->pos <= pos) {
        if (kind == FAST_DIGITS) {
            /* Leading separators of a digit run do not matter (every generic digit pattern
             * starts with a digit), so a run without digits need not stay open. */
            if (!(digits & m) && !(st->carry && st->run_digits)) {
                st->carry = false;
                return 0;
            }
        } else if (!has_run(m, st->carry ? pos - st->run_start : 0, ALNUM_RUN_MIN)) {
            if (!~m) {
                if (!st->carry)
                    st->run_start = pos;
                st->carry = true;
            } else {
                unsigned top = m >> 63 ? (unsigned)__builtin_clzll(~m) : 0;
                st->carry = top > 0;
                st->run_start = pos + 64 - top;
            }
            return 0;
        }
    }
    return block_runs(s, buf, len, kind, st, pos, m, digits);
}

/* Both kinds of candidate region in one pass over buf (the classes share the loads). */
static int
find_regions(struct pl_dlp_scratch *s, const unsigned char *buf, size_t len, unsigned kinds)
{
    struct runs d = {0, 0, 0, false}, a = {0, 0, 0, false};
    unsigned char last[64];
    for (size_t pos = 0; pos < len; pos += 64) {
        struct masks m = class_masks64(block_at(buf, len, pos, last));
        int r = 0;
        if ((kinds & FAST_DIGITS) && (m.digit || d.carry))
            r = block_kind(s, buf, len, FAST_DIGITS, &d, pos, m.dsep, m.digit);
        if (r >= 0 && (kinds & FAST_ALNUM) && (m.alnum || a.carry))
            r = block_kind(s, buf, len, FAST_ALNUM, &a, pos, m.alnum, 0);
        if (r < 0)
            return r;
    }
    return 0;
}

static int
collect_regions(const struct pl_dlp_db *db, struct pl_dlp_scratch *s, const char *base, size_t len,
                size_t n)
{
    s->cbuf_len = 0;
    s->n_regions = 0;
    int r = find_regions(s, (const unsigned char *)base, len, db->fast_kinds);
    if (r < 0)
        return r;
    /* Map each region's first byte to its target (targets are separated by '\n'). */
    for (size_t i = 0; i < s->n_regions; i++) {
        size_t off = s->ctgt[i];
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (s->ends[mid] < off)
                lo = mid + 1;
            else
                hi = mid;
        }
        s->ctgt[i] = (uint32_t)PL_MIN(lo, n - 1);
    }
    return 0;
}

int
pl_dlp_scan(const struct pl_dlp_db *db, struct pl_dlp_scratch *s,
            const struct pl_dlp_target *targets, size_t n, struct pl_str exempt_host,
            struct pl_dlp_result *res)
{
    if (n == 0)
        return 0;
    if (n > UINT16_MAX)
        return -E2BIG;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += targets[i].text.len + 1;
    if (total > UINT32_MAX)
        return -E2BIG;
    if ((n > 1 && grow((void **)&s->buf, &s->buf_cap, total, 1) < 0) ||
        grow((void **)&s->ends, &s->ends_cap, n, sizeof(size_t)) < 0 ||
        grow((void **)&s->starts, &s->starts_cap, n, sizeof(size_t)) < 0)
        return -ENOMEM;
    if (grow((void **)&s->last_target, &s->last_cap, db->n_pats, sizeof(uint32_t)) < 0)
        return -ENOMEM;
    memset(s->last_target, 0, db->n_pats * sizeof(uint32_t));
    /* One target is scanned where it lies; several are laid end to end, '\n' between. */
    const char *base = s->buf;
    size_t o = 0;
    if (n == 1) {
        base = targets[0].text.len ? targets[0].text.p : "";
        s->starts[0] = 0;
        s->ends[0] = targets[0].text.len;
        o = targets[0].text.len + 1;
    } else {
        for (size_t i = 0; i < n; i++) {
            s->starts[i] = o;
            if (targets[i].text.len)
                memcpy(s->buf + o, targets[i].text.p, targets[i].text.len);
            o += targets[i].text.len;
            s->ends[i] = o;
            s->buf[o++] = '\n';
        }
    }
    s->n_hits = 0;
    s->overflow = false;
    if (s->hs_gen != db->gen) {
        /* Sizing a scratch validates the whole database: once per database, not per scan. */
        if ((db->hs && hs_alloc_scratch(db->hs, &s->hs) != HS_SUCCESS) ||
            (db->hs_fast && hs_alloc_scratch(db->hs_fast, &s->hs) != HS_SUCCESS))
            return -ENOMEM;
        s->hs_gen = db->gen;
    }
    if (db->hs) {
        struct scan_ctx c = {db, s, n, s->ends, n, NULL, targets, exempt_host, res, 0};
        hs_error_t e = hs_scan(db->hs, base, (unsigned)(o - 1), 0, s->hs, on_match, &c);
        if (e != HS_SUCCESS && !(e == HS_SCAN_TERMINATED && s->overflow))
            return -EIO;
        if (s->overflow)
            return c.err ? c.err : -E2BIG;
    }
    if (db->hs_fast) {
        int r = collect_regions(db, s, base, o - 1, n);
        if (r < 0)
            return r;
        if (s->n_regions) {
            struct scan_ctx c = {db,      s,       n,           s->cends, s->n_regions,
                                 s->ctgt, targets, exempt_host, res,      0};
            hs_error_t e =
                hs_scan(db->hs_fast, s->cbuf, (unsigned)s->cbuf_len, 0, s->hs, on_match, &c);
            if (e != HS_SUCCESS && !(e == HS_SCAN_TERMINATED && s->overflow))
                return -EIO;
            if (s->overflow)
                return c.err ? c.err : -E2BIG;
        }
    }
    /* Patterns vectorscan could not take run on every target. */
    struct scan_ctx c = {
        .db = db, .s = s, .targets = targets, .exempt_host = exempt_host, .res = res};
    for (size_t p = 0; p < db->n_pats && db->n_pcre_only; p++) {
        if (!db->pats[p].pcre_only)
            continue;
        for (size_t t = 0; t < n; t++) {
            if (s->n_hits == MAX_HITS) {
                int r = confirm_hits(&c);
                if (r < 0)
                    return r;
            }
            s->hits[s->n_hits++] = (struct hit){.pat = (uint32_t)p, .target = (uint32_t)t};
        }
    }
    return confirm_hits(&c);
}

/* Does res already hold this pattern in this kind of view (no need to confirm again)? */
static bool
already_found(const struct pl_dlp_result *res, uint32_t pat, uint8_t view)
{
    for (size_t i = 0; i < res->n; i++)
        if (res->f[i].pattern == pat && res->f[i].view == view)
            return true;
    return false;
}

/* Confirm the collected hits (reference order) into findings, then forget them. */
static int
confirm_hits(struct scan_ctx *c)
{
    const struct pl_dlp_db *db = c->db;
    struct pl_dlp_scratch *s = c->s;
    dedupe_hits(s);
    sort_hits(db, s->hits, s->n_hits);
    for (size_t i = 0; i < s->n_hits; i++) {
        const struct hit *h = &s->hits[i];
        const struct pat *p = &db->pats[h->pat];
        const struct pl_dlp_target *t = &c->targets[h->target];
        if (exempted(p, c->exempt_host) || already_found(c->res, h->pat, t->view))
            continue;
        uint32_t off = h->off, len = h->len;
        if (!h->exact) {
            struct pl_str text = t->text;
            size_t base = 0;
            if (h->region) {
                /* A generic pattern can only match inside its candidate region. */
                base = h->off;
                text = pl_str_from(text.p + h->off, h->len);
            }
            int r = confirm(db, s, p, text, &off, &len);
            if (r < 0) {
                s->n_hits = 0;
                return r;
            }
            if (r == 0)
                continue;
            off += (uint32_t)base;
        }
        add_finding(c->res, h->pat, t, h->target, off, len);
    }
    s->n_hits = 0;
    return 0;
}

const struct pl_dlp_finding *
pl_dlp_result_first_block(const struct pl_dlp_db *db, const struct pl_dlp_result *res)
{
    const struct pl_dlp_finding *best = NULL;
    for (size_t i = 0; i < res->n; i++) {
        const struct pl_dlp_finding *f = &res->f[i];
        if (db->pats[f->pattern].warn)
            continue;
        if (!best || (db->pats[f->pattern].core && !db->pats[best->pattern].core))
            best = f;
    }
    return best;
}

/* ---- view sets ---- */

void
pl_dlp_views_reset(struct pl_dlp_scratch *s, size_t input_len)
{
    s->vbuf_len = 0;
    s->n_vents = 0;
    s->vbudget = PL_DLP_VIEW_BUDGET(input_len);
    s->min_view = 0;
}

void
pl_dlp_views_set_min(struct pl_dlp_scratch *s, const struct pl_dlp_db *db)
{
    s->min_view = db ? db->min_width : 0;
}

size_t
pl_dlp_views_count(const struct pl_dlp_scratch *s)
{
    return s->n_vents;
}

struct pl_str
pl_dlp_views_get(const struct pl_dlp_scratch *s, size_t i)
{
    const struct vent *v = &s->vents[i];
    return pl_str_from(v->borrowed ? v->borrowed : s->vbuf + v->off, v->len);
}

static int
vent_push(struct pl_dlp_scratch *s, const char *borrowed, size_t off, size_t len, uint8_t view)
{
    if (s->n_vents >= PL_DLP_MAX_VIEWS)
        return -E2BIG;
    if (grow((void **)&s->vents, &s->vents_cap, s->n_vents + 1, sizeof(*s->vents)) < 0)
        return -ENOMEM;
    s->vents[s->n_vents++] = (struct vent){borrowed, off, len, view};
    return 0;
}

/* Reserve n bytes at the end of vbuf within the budget; returns the offset or -E2BIG. */
static int
vbuf_reserve(struct pl_dlp_scratch *s, size_t n, size_t *ret_off)
{
    if (s->vbuf_len + n > s->vbudget)
        return -E2BIG;
    if (grow((void **)&s->vbuf, &s->vbuf_cap, s->vbuf_len + n, 1) < 0)
        return -ENOMEM;
    *ret_off = s->vbuf_len;
    return 0;
}

/* Is text already present as a view (same bytes)? Cheap guard against duplicate decodings. */
static bool
view_exists(const struct pl_dlp_scratch *s, struct pl_str text)
{
    for (size_t i = s->n_vents; i-- > 0 && i + 8 >= s->n_vents;) {
        const struct vent *v = &s->vents[i];
        if (v->len == text.len &&
            memcmp(v->borrowed ? v->borrowed : s->vbuf + v->off, text.p, text.len) == 0)
            return true;
    }
    return false;
}

int
pl_dlp_views_add(struct pl_dlp_scratch *s, struct pl_str text, enum pl_dlp_view view,
                 bool normalize, bool borrow)
{
    if (text.len == 0)
        return 0;
    if (!normalize || pl_norm_is_identity(text, PL_NORM_DLP)) {
        if (view_exists(s, text))
            return 0;
        if (s->vbuf && text.p >= s->vbuf && text.p < s->vbuf + s->vbuf_len)
            return vent_push(s, NULL, (size_t)(text.p - s->vbuf), text.len, (uint8_t)view);
        if (borrow)
            return vent_push(s, text.p, 0, text.len, (uint8_t)view);
        size_t off;
        int r = vbuf_reserve(s, text.len, &off);
        if (r < 0)
            return r;
        memcpy(s->vbuf + off, text.p, text.len);
        s->vbuf_len += text.len;
        return vent_push(s, NULL, off, text.len, (uint8_t)view);
    }
    /* text may point into vbuf: normalise into tmp first, then copy. */
    size_t cap = text.len + 256;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (grow((void **)&s->tmp, &s->tmp_cap, cap, 1) < 0)
            return -ENOMEM;
        int n = pl_normalize(text, PL_NORM_DLP, s->tmp, s->tmp_cap);
        if (n == -E2BIG && attempt == 0) {
            cap = pl_norm_bound(text.len);
            continue;
        }
        if (n < 0)
            return n;
        return pl_dlp_views_add(s, pl_str_from(s->tmp, (size_t)n), view, false, false);
    }
    return -E2BIG;
}

/*
 * One decode attempt of text with fn into the view buffer; on success the decoding becomes a
 * (normalised) view and is decoded again while depth allows.
 */
static int decode_into_views(struct pl_dlp_scratch *s, struct pl_str text, int depth,
                             size_t min_len, bool recurse_url);

/*
 * Length of the longest run of text in p[0, n): printable ASCII, tab, CR, LF and well-formed
 * UTF-8 sequences. A decoding without a run as long as the shortest pattern match is binary
 * (a hash, random bytes): no secret is spelled out in it.
 */
static size_t
text_run(const unsigned char *p, size_t n)
{
    size_t best = 0, run = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c < 0x80) {
            bool ok = (c >= 0x20 && c < 0x7F) || c == '\t' || c == '\n' || c == '\r';
            run = ok ? run + 1 : 0;
            i++;
        } else {
            uint32_t cp;
            size_t k = pl_utf8_decode(p + i, n - i, &cp);
            run = k ? run + 1 : 0;
            i += k ? k : 1;
        }
        best = PL_MAX(best, run);
    }
    return best;
}

static int
add_decoded(struct pl_dlp_scratch *s, int kind, struct pl_str text, unsigned flags, int depth,
            size_t min_len, bool recurse_url)
{
    size_t off;
    int r = vbuf_reserve(s, text.len + 1, &off);
    if (r < 0)
        return r;
    char *out = s->vbuf + off;
    int n;
    uint8_t view;
    switch (kind) {
    case 0:
        n = pl_decode_base64(text, out, text.len + 1, flags);
        view = PL_VIEW_BASE64;
        break;
    case 1:
        n = pl_decode_hex(text, out, text.len + 1);
        view = PL_VIEW_HEX;
        break;
    case 2:
        n = pl_decode_base32(text, out, text.len + 1, flags);
        view = PL_VIEW_BASE32;
        break;
    default: {
        bool changed = false;
        n = pl_decode_percent_iter(text, out, text.len + 1, true, 500, NULL);
        changed = n >= 0 && ((size_t)n != text.len || memcmp(out, text.p, text.len) != 0);
        if (!changed)
            return 0;
        view = PL_VIEW_URL;
        break;
    }
    }
    if (n <= 0)
        return 0; /* not this encoding */
    if (s->min_view && text_run((const unsigned char *)out, (size_t)n) < s->min_view)
        return 0; /* binary: no run of text long enough for any pattern */
    /* Keep the raw decoding in vbuf, then add its normalised form as the view. */
    s->vbuf_len += (size_t)n;
    size_t before = s->n_vents;
    r = pl_dlp_views_add(s, pl_str_from(s->vbuf + off, (size_t)n), (enum pl_dlp_view)view, true,
                         false);
    if (r < 0 || s->n_vents == before)
        return r;
    if (s->vents[s->n_vents - 1].len < s->min_view) {
        /* No pattern matches so few bytes, nor anything they decode to. */
        s->n_vents--;
        s->vbuf_len = off;
        return 0;
    }
    if (depth <= 1) {
        /* The last layer we decode. If it is itself valid base64 or hex of some length, the
         * content hides behind more layers than we follow: report it instead of passing it
         * as clean (nested encodings are not how ordinary text looks). */
        struct pl_str last = pl_dlp_views_get(s, s->n_vents - 1);
        if (last.len >= 24 && !s->nested) {
            char *tmp = malloc(last.len);
            if (!tmp)
                return -ENOMEM;
            if ((pl_decode_plausible_base64(last, 24) &&
                 (pl_decode_base64(last, tmp, last.len, PL_B64_STD | PL_B64_URL) > 0)) ||
                (pl_decode_plausible_hex(last, 24) && pl_decode_hex(last, tmp, last.len) > 0))
                s->nested = true;
            free(tmp);
        }
        return 0;
    }
    return decode_into_views(s, pl_dlp_views_get(s, s->n_vents - 1), depth - 1, min_len,
                             recurse_url);
}

static bool url_decodable(struct pl_str n);

static int
decode_into_views(struct pl_dlp_scratch *s, struct pl_str text, int depth, size_t min_len,
                  bool recurse_url)
{
    if (depth <= 0 || text.len < min_len)
        return 0;
    bool b64 = pl_decode_plausible_base64(text, min_len);
    bool hex = pl_decode_plausible_hex(text, min_len);
    bool b32 = pl_decode_plausible_base32(text, min_len);
    bool url = recurse_url && url_decodable(text);
    if (!b64 && !hex && !b32 && !url)
        return 0;
    /* The text may live in vbuf, which add_decoded() can move: work on a private copy. */
    char stack[256];
    char *copy = text.len <= sizeof(stack) ? stack : malloc(text.len);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, text.p, text.len);
    struct pl_str t = pl_str_from(copy, text.len);
    int r = 0;
    if (b64) {
        bool std = memchr(copy, '+', t.len) || memchr(copy, '/', t.len);
        bool urlsafe = memchr(copy, '-', t.len) || memchr(copy, '_', t.len);
        static const unsigned variants[4] = {
            PL_B64_STD | PL_B64_PAD_REQUIRED, PL_B64_URL | PL_B64_PAD_REQUIRED,
            PL_B64_STD | PL_B64_PAD_FORBIDDEN, PL_B64_URL | PL_B64_PAD_FORBIDDEN};
        for (int k = 0; k < 4 && r >= 0; k++) {
            bool is_url = variants[k] & PL_B64_URL;
            /* Without alphabet-specific symbols both alphabets decode identically. */
            if ((is_url && (std || !urlsafe)) || (!is_url && urlsafe))
                continue;
            r = add_decoded(s, 0, t, variants[k], depth, min_len, recurse_url);
        }
    }
    if (r >= 0 && hex)
        r = add_decoded(s, 1, t, 0, depth, min_len, recurse_url);
    if (r >= 0 && b32)
        r = add_decoded(s, 2, t, 0, depth, min_len, recurse_url);
    if (r >= 0 && url)
        r = add_decoded(s, 3, t, 0, depth, min_len, recurse_url);
    if (copy != stack)
        free(copy);
    return r;
}

int
pl_dlp_views_add_decodings(struct pl_dlp_scratch *s, struct pl_str text, int depth, size_t min_len,
                           bool recurse_url)
{
    return decode_into_views(s, text, depth, min_len, recurse_url);
}

/* Reference order (core first, then target, then pattern) for res->f[from, n). */
static void
sort_findings(const struct pl_dlp_db *db, struct pl_dlp_result *res, size_t from)
{
    for (size_t i = from + 1; i < res->n; i++) {
        struct pl_dlp_finding k = res->f[i];
        size_t j = i;
        while (j > from) {
            const struct pl_dlp_finding *x = &res->f[j - 1];
            bool cx = db->pats[x->pattern].core, ck = db->pats[k.pattern].core;
            bool after = cx != ck                ? ck
                         : x->target != k.target ? x->target > k.target
                                                 : x->pattern > k.pattern;
            if (!after)
                break;
            res->f[j] = *x;
            j--;
        }
        res->f[j] = k;
    }
}

/* A first view this large is scanned where it lies rather than copied next to the others. */
#define VIEW_IN_PLACE 2048

int
pl_dlp_views_scan(const struct pl_dlp_db *db, struct pl_dlp_scratch *s, struct pl_str exempt_host,
                  struct pl_dlp_result *res)
{
    if (grow((void **)&s->vtargets, &s->vtargets_cap, s->n_vents + 1, sizeof(*s->vtargets)) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < s->n_vents; i++)
        s->vtargets[i] = (struct pl_dlp_target){pl_dlp_views_get(s, i), s->vents[i].view};
    int r;
    size_t from = res->n;
    if (s->n_vents > 1 && s->vtargets[0].text.len >= VIEW_IN_PLACE) {
        r = pl_dlp_scan(db, s, s->vtargets, 1, exempt_host, res);
        size_t mid = res->n;
        if (r == 0)
            r = pl_dlp_scan(db, s, s->vtargets + 1, s->n_vents - 1, exempt_host, res);
        for (size_t i = mid; i < res->n; i++)
            res->f[i].target++;
        sort_findings(db, res, from);
    } else {
        r = pl_dlp_scan(db, s, s->vtargets, s->n_vents, exempt_host, res);
    }
    if (r == 0 && s->nested) {
        struct pl_dlp_target t = {PL_STR_NULL, PL_VIEW_BASE64};
        add_finding(res, db->nested_pat, &t, 0, 0, 0);
    }
    s->nested = false;
    return r;
}

/* Flush the view set into res when it is close to a limit, so big inputs never fail on it. */
static int
maybe_flush(const struct pl_dlp_db *db, struct pl_dlp_scratch *s, struct pl_dlp_result *res,
            size_t input_len)
{
    if (s->n_vents + 64 < PL_DLP_MAX_VIEWS && s->vbuf_len < s->vbudget / 2)
        return 0;
    int r = pl_dlp_views_scan(db, s, PL_STR_NULL, res);
    pl_dlp_views_reset(s, input_len);
    pl_dlp_views_set_min(s, db);
    return r;
}

/*
 * Byte classes of text DLP: segment separators (the reference splits on "/ ? & = space"),
 * bytes that can be part of an encoded segment (the base64, base32 and hex alphabets, hex
 * separators, '%' of a percent-encoded one), and whitespace.
 */
enum { T_SEP = 1, T_ENC = 2, T_WS = 4 };
static const uint8_t tcls[256] = {
    ['/'] = T_SEP,        ['?'] = T_SEP,         ['&'] = T_SEP,         ['='] = T_SEP,
    [' '] = T_SEP | T_WS, ['\n'] = T_SEP | T_WS, ['\t'] = T_SEP | T_WS, ['\r'] = T_WS,
    ['\f'] = T_WS,        ['\v'] = T_WS,         ['+'] = T_ENC,         ['_'] = T_ENC,
    ['-'] = T_ENC,        [':'] = T_ENC,         [','] = T_ENC,         ['\\'] = T_ENC,
    ['%'] = T_ENC,        ['0' ... '9'] = T_ENC, ['A' ... 'Z'] = T_ENC, ['a' ... 'z'] = T_ENC,
};

/* Bit i set when p[i] is in the encoded-segment class (T_ENC). */
static inline uint64_t
enc_mask64(const unsigned char *p)
{
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i c = _mm_or_si128(in_range(v, '0', ':'), /* digits and ':' */
                                 in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z'));
        c = _mm_or_si128(c, in_range(v, '+', '-')); /* + , - */
        c = _mm_or_si128(c, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('_')),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
        c = _mm_or_si128(c, _mm_cmpeq_epi8(v, _mm_set1_epi8('%')));
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(c) << (16 * k);
    }
    return m;
}

/*
 * The segments of text worth decoding: maximal runs of T_ENC bytes of at least min bytes
 * that are whole segments (a separator or the text's edge on each side). A segment holding
 * any other byte cannot be base64, base32 or hex, so the class runs are exactly the
 * candidates; they are found 64 bytes at a time and most blocks of prose or JSON hold none.
 * Calls fn for each, in order; stops at the first error.
 */
/* Bits i of m where m[i, i + min) are all ones (inside the block; min <= 64). */
static inline uint64_t
long_bits(uint64_t m, unsigned min)
{
    unsigned have = 1;
    while (have < min) {
        unsigned sh = PL_MIN(have, min - have);
        m &= m >> sh;
        have += sh;
    }
    return m;
}

static int
for_each_segment(struct pl_str text, size_t min, int (*fn)(void *ctx, size_t a, size_t b),
                 void *ctx)
{
    const unsigned char *buf = (const unsigned char *)text.p;
    size_t len = text.len;
    bool open = false;
    size_t start = 0;
    unsigned char last[64];
#define SEGMENT(a, z)                                                       \
    do {                                                                    \
        if ((z) - (a) >= min && ((a) == 0 || (tcls[buf[(a)-1]] & T_SEP)) && \
            ((z) == len || (tcls[buf[(z)]] & T_SEP))) {                     \
            int r_ = fn(ctx, (a), (z));                                     \
            if (r_ < 0)                                                     \
                return r_;                                                  \
        }                                                                   \
    } while (0)
    for (size_t pos = 0; pos < len; pos += 64) {
        uint64_t m = enc_mask64(block_at(buf, len, pos, last));
        bool more = pos + 64 < len;
        if (open) {
            /* The run open from the previous block continues with this block's lead. */
            unsigned lead = ~m ? (unsigned)__builtin_ctzll(~m) : 64;
            if (lead == 64 && more)
                continue;
            open = false;
            SEGMENT(start, PL_MIN(pos + lead, len));
            m &= lead == 64 ? 0 : ~0ull << lead;
        }
        /* Runs that start here and are long enough inside this block. */
        uint64_t r = long_bits(m, (unsigned)PL_MIN(min, 64));
        while (r) {
            unsigned b = (unsigned)__builtin_ctzll(r);
            uint64_t inv = ~(m >> b);
            unsigned e = inv ? b + (unsigned)__builtin_ctzll(inv) : 64;
            if (e == 64 && more) {
                open = true;
                start = pos + b;
                break;
            }
            SEGMENT(pos + b, PL_MIN(pos + e, len));
            uint64_t keep = e == 64 ? 0 : ~0ull << e;
            m &= keep;
            r &= keep;
        }
        /* A shorter run at the block's end may go on in the next block. */
        if (!open && more && (m >> 63)) {
            open = true;
            start = pos + 64 - (unsigned)__builtin_clzll(~m);
        }
    }
#undef SEGMENT
    return 0;
}

struct seg_ctx {
    const struct pl_dlp_db *db;
    struct pl_dlp_scratch *s;
    struct pl_dlp_result *res;
    struct pl_str text;
    size_t budget_len;
};

static int
seg_decode(void *c, size_t a, size_t b)
{
    struct seg_ctx *x = c;
    if (b - a == x->text.len)
        return 0; /* the whole text: decoded already */
    int r = maybe_flush(x->db, x->s, x->res, x->budget_len);
    if (r < 0)
        return r;
    return decode_into_views(x->s, pl_str_from(x->text.p + a, b - a), 3, 10, true);
}

static inline bool
is_hexdigit(char c)
{
    return (unsigned)(c - '0') < 10 || (unsigned)((c | 0x20) - 'a') < 6;
}

/* Does the text hold a percent escape or a '+' (what URL decoding changes)? */
static bool
url_decodable(struct pl_str n)
{
    if (memchr(n.p, '+', n.len))
        return true;
    for (const char *p = n.p, *end = n.p + n.len; (p = memchr(p, '%', (size_t)(end - p))); p++)
        if (end - p >= 3 && is_hexdigit(p[1]) && is_hexdigit(p[2]))
            return true;
    return false;
}

#define DOT_REACH  256 /* bytes from an inner dot to the end of its window, each side */
#define DOT_TOKENS 3   /* whitespace-separated neighbour tokens on each side */

static inline bool
is_wsp(unsigned char c)
{
    return tcls[c] & T_WS;
}

/* Append p[0, n) without its dots to *out ('\n' before every window but the first). */
static int
dotless_window(char **out, size_t *len, const unsigned char *p, size_t n)
{
    char *q = realloc(*out, *len + n + 1);
    if (!q)
        return -ENOMEM;
    *out = q;
    if (*len)
        q[(*len)++] = '\n';
    for (size_t i = 0; i < n;) {
        const unsigned char *d = memchr(p + i, '.', n - i);
        size_t e = d ? (size_t)(d - p) : n;
        memcpy(q + *len, p + i, e - i);
        *len += e - i;
        i = e + 1;
    }
    return 0;
}

/*
 * The dot-less view ("a.k.i.a" spelled with dots): removing dots only changes what a
 * pattern sees around a dot with a non-space byte on each side. Each such dot gets a window:
 * its whitespace-free token plus DOT_TOKENS tokens on each side (patterns such as
 * "aws_secret_access_key = ..." span a few tokens), at most DOT_REACH bytes each way;
 * overlapping windows merge and the union, dots removed, is one view (windows '\n'
 * separated). Ordinary prose has few inner dots, so the view is small; the reference removes
 * every dot of the whole text, which matches nothing more for patterns that fit a window.
 */
static int
add_dotless(struct pl_dlp_scratch *s, struct pl_str n)
{
    const unsigned char *p = (const unsigned char *)n.p;
    size_t len = n.len, out_len = 0, wa = 0, wb = 0;
    bool have = false;
    char *out = NULL;
    int r = 0;
    for (const unsigned char *d = p; (d = memchr(d, '.', len - (size_t)(d - p))); d++) {
        size_t i = (size_t)(d - p);
        if (i == 0 || i + 1 >= len || is_wsp(p[i - 1]) || is_wsp(p[i + 1]))
            continue;
        if (have && i < wb)
            continue; /* inside the current window */
        size_t lo = i > DOT_REACH ? i - DOT_REACH : 0, hi = PL_MIN(len, i + DOT_REACH);
        size_t a = i, b = i;
        for (int t = 0; t <= DOT_TOKENS && a > lo; t++) {
            while (a > lo && is_wsp(p[a - 1]))
                a--;
            while (a > lo && !is_wsp(p[a - 1]))
                a--;
        }
        for (int t = 0; t <= DOT_TOKENS && b < hi; t++) {
            while (b < hi && is_wsp(p[b]))
                b++;
            while (b < hi && !is_wsp(p[b]))
                b++;
        }
        if (have && a <= wb) {
            wb = PL_MAX(wb, b);
            continue;
        }
        if (have && (r = dotless_window(&out, &out_len, p + wa, wb - wa)) < 0)
            goto done;
        wa = a;
        wb = b;
        have = true;
    }
    if (have && (r = dotless_window(&out, &out_len, p + wa, wb - wa)) == 0)
        r = pl_dlp_views_add(s, pl_str_from(out, out_len), PL_VIEW_DOTLESS, true, false);
done:
    free(out);
    return r;
}

static int
line_decode(struct pl_dlp_scratch *s, struct pl_str n)
{
    int r = 0;
    for (size_t i = 0; r >= 0 && i < n.len;) {
        const char *nl = memchr(n.p + i, '\n', n.len - i);
        size_t e = nl ? (size_t)(nl - n.p) : n.len;
        if (e - i >= 10 && e - i < n.len)
            r = decode_into_views(s, pl_str_from(n.p + i, e - i), 3, 10, true);
        i = e + 1;
    }
    return r;
}

/*
 * Add the text-DLP views of one text (reference §3.2) to the current set: the normalised
 * text (borrowed when normalisation changes nothing), the dot-less windows, recursive
 * decodings (base64, hex, base32, percent; depth 3) of the whole text, of each line and of
 * each segment that can be an encoding. Views too short to hold any pattern are dropped.
 */
static int
add_text_views(const struct pl_dlp_db *db, struct pl_dlp_scratch *s, struct pl_str text,
               bool normalized, struct pl_dlp_result *res, size_t budget_len)
{
    int r = maybe_flush(db, s, res, budget_len);
    if (r < 0)
        return r;
    size_t before = s->n_vents;
    r = pl_dlp_views_add(s, text, PL_VIEW_RAW, !normalized, true);
    if (r < 0 || s->n_vents == before)
        return r;
    struct pl_str n = pl_dlp_views_get(s, s->n_vents - 1);
    char *norm = NULL;
    if (n.p != text.p) {
        /* The normalised copy lives in vbuf, which later views may move. */
        if (!(norm = malloc(n.len + 1)))
            return -ENOMEM;
        memcpy(norm, n.p, n.len);
        n.p = norm;
    }
    if (memchr(n.p, '.', n.len))
        r = add_dotless(s, n);
    if (r >= 0)
        r = decode_into_views(s, n, 3, 10, true);
    if (r >= 0 && memchr(n.p, '\n', n.len))
        r = line_decode(s, n);
    if (r >= 0) {
        struct seg_ctx c = {db, s, res, n, budget_len};
        r = for_each_segment(n, 10, seg_decode, &c);
    }
    free(norm);
    return r;
}

static const bool bip39_sep[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, ['-'] = 1,
    [','] = 1, ['|'] = 1,  [';'] = 1,  [':'] = 1,  ['.'] = 1,  ['"'] = 1,  ['\''] = 1,
    ['('] = 1, [')'] = 1,  ['['] = 1,  [']'] = 1,  ['{'] = 1,  ['}'] = 1};

/*
 * Count, from text[i], consecutive tokens (split as BIP-39 splits) that pass a test: tier 1
 * "3 to 8 ASCII letters" (no lookup), tier 2 "a list word". Returns true as soon as `need`
 * consecutive tokens pass. Tier 2 only runs inside the spans tier 1 found.
 */
static bool
token_run(struct pl_str text, int need, bool lookup, size_t *ret_start, size_t *ret_end)
{
    int run = 0;
    size_t len = 0, run_start = 0, tok_start = 0;
    bool letters = true;
    char low[8];
    for (size_t i = 0; i <= text.len; i++) {
        unsigned char c = i < text.len ? (unsigned char)text.p[i] : ' ';
        if (!bip39_sep[c]) {
            if (len == 0)
                tok_start = i;
            if (len < sizeof(low))
                low[len] = (char)(c | 0x20);
            len++;
            letters &= (unsigned)((c | 0x20) - 'a') < 26;
            continue;
        }
        if (len == 0)
            continue;
        bool ok = letters && len >= 3 && len <= sizeof(low) &&
                  (!lookup || pl_bip39_word_index(pl_str_from(low, len)) >= 0);
        if (ok && run == 0)
            run_start = tok_start;
        run = ok ? run + 1 : 0;
        len = 0;
        letters = true;
        if (!ok)
            continue;
        if (run >= need && ret_start) {
            /* Extend to the end of this run of passing tokens for the caller. */
            *ret_start = run_start;
            size_t j = i;
            while (j < text.len) {
                size_t k = j;
                while (k < text.len && bip39_sep[(unsigned char)text.p[k]])
                    k++;
                size_t e = k;
                bool l = true;
                while (e < text.len && !bip39_sep[(unsigned char)text.p[e]])
                    l &= (unsigned)((text.p[e++] | 0x20) - 'a') < 26;
                if (e == k || !l || e - k < 3 || e - k > 8)
                    break;
                j = e;
            }
            *ret_end = j;
            return true;
        }
        if (run >= need)
            return true;
    }
    return false;
}

/*
 * Seed phrases: a phrase is min_words (at least 12) consecutive list words, so the checksum
 * search only runs on maximal runs of list words that long. Those are found in three tiers:
 * a bit-parallel pass over 64-byte blocks for spans with enough consecutive tokens that
 * could be words (letter runs of 3 to 8, no digit or other non-separator byte in them), then
 * runs of short letter-only tokens as BIP-39 splits them (no lookup), then list-word lookups
 * inside those runs only. Prose breaks the first tier at once with "of", "to", longer words.
 */
static bool
seed_in(const struct pl_dlp_db *db, struct pl_str text, size_t from, size_t to,
        struct pl_dlp_result *res)
{
    struct pl_bip39_opts o = {db->seed_min_words, db->seed_verify};
    int need = PL_MAX(db->seed_min_words, 12);
    size_t pos = from;
    while (pos < to) {
        size_t a, b;
        if (!token_run(pl_str_from(text.p + pos, to - pos), need, false, &a, &b))
            return false;
        a += pos;
        b += pos;
        /* Maximal runs of list words inside [a, b) (every token there is 3-8 letters). */
        int run = 0;
        size_t run_a = a, run_b = a;
        for (size_t i = a; i <= b; i++) {
            size_t t = i;
            while (i < b && !bip39_sep[(unsigned char)text.p[i]])
                i++;
            if (i > t) {
                char low[8];
                size_t wl = i - t;
                for (size_t k = 0; k < wl && k < sizeof(low); k++)
                    low[k] = (char)(text.p[t + k] | 0x20);
                if (wl <= sizeof(low) && pl_bip39_word_index(pl_str_from(low, wl)) >= 0) {
                    if (run++ == 0)
                        run_a = t;
                    run_b = i;
                    if (i < b)
                        continue;
                }
            } else if (i < b) {
                continue;
            }
            size_t off, len;
            if (run >= need &&
                pl_bip39_find(pl_str_from(text.p + run_a, run_b - run_a), &o, &off, &len)) {
                struct pl_dlp_target tg = {text, PL_VIEW_RAW};
                add_finding(res, db->seed_pat, &tg, 0, (uint32_t)(run_a + off), (uint32_t)len);
                return true;
            }
            run = 0;
        }
        pos = b > pos ? b : pos + 1;
    }
    return false;
}

/* Letters (bit i: p[i] is an ASCII letter) and bytes no word holds next to a letter without
 * a separator (digits, bytes >= 0x80, '_' '/' '@'). */
static inline void
word_masks64(const unsigned char *p, uint64_t *ret_l, uint64_t *ret_o)
{
    uint64_t l = 0, o = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i a = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
        __m128i x = _mm_or_si128(in_range(v, '0', '9'), _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
        x = _mm_or_si128(x, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8('@'))));
        unsigned sh = 16 * (unsigned)k;
        l |= (uint64_t)(uint16_t)_mm_movemask_epi8(a) << sh;
        o |= ((uint64_t)(uint16_t)_mm_movemask_epi8(x) | (uint64_t)(uint16_t)_mm_movemask_epi8(v))
             << sh;
    }
    *ret_l = l;
    *ret_o = o;
}

static void
seed_check(const struct pl_dlp_db *db, struct pl_str text, struct pl_dlp_result *res)
{
    if (!db->seed_enabled || text.len == 0)
        return;
    size_t need = (size_t)PL_MAX(db->seed_min_words, 12);
    const unsigned char *buf = (const unsigned char *)text.p;
    size_t len = text.len, count = 0, from = 0;
    unsigned char tail[64];
    uint64_t l0, o0, l1 = 0, o1 = 0, prev = 0;
    word_masks64(block_at(buf, len, 0, tail), &l0, &o0);
    for (size_t pos = 0; pos < len; pos += 64) {
        /* The next block's masks: tokens are judged with 8 bytes of lookahead. */
        l1 = o1 = 0;
        if (pos + 64 < len)
            word_masks64(block_at(buf, len, pos + 64, tail), &l1, &o1);
        uint64_t starts = l0 & ~((l0 << 1) | prev);
        uint64_t all = l0;
        for (unsigned j = 1; j <= 8; j++) {
            uint64_t ahead = (l0 >> j) | (l1 << (64 - j));
            if (j == 2) /* letters at i, i+1, i+2: not a 1- or 2-letter token */
                all = (l0 & ((l0 >> 1) | (l1 << 63)) & ahead);
            else if (j > 2)
                all &= ahead;
        }
        uint64_t three = l0 & ((l0 >> 1) | (l1 << 63)) & ((l0 >> 2) | (l1 << 62));
        uint64_t shortt = starts & ~three, longt = starts & all;
        uint64_t good = starts & three & ~all;
        uint64_t brk = o0 | shortt | longt;
        while (brk) {
            unsigned b = (unsigned)__builtin_ctzll(brk);
            uint64_t below = b ? ~0ull >> (64 - b) : 0;
            count += popcount64(good & below);
            if (count >= need) {
                /* The span ends with the token the breaker is in, as BIP-39 splits it. */
                size_t end = pos + b;
                while (end < len && !bip39_sep[buf[end]])
                    end++;
                if (seed_in(db, text, from, end, res))
                    return;
            }
            count = 0;
            from = pos + b;
            good &= b == 63 ? 0 : ~0ull << (b + 1);
            brk &= brk - 1;
        }
        count += popcount64(good);
        prev = l0 >> 63;
        l0 = l1;
        o0 = o1;
    }
    if (count >= need)
        (void)seed_in(db, text, from, len, res);
}

static int
str_cmp(const void *a, const void *b)
{
    const struct pl_str *x = a, *y = b;
    int c = memcmp(x->p, y->p, PL_MIN(x->len, y->len));
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Give back scratch memory grown by one huge input, so an idle worker stays small. */
static void
scratch_trim(struct pl_dlp_scratch *s)
{
    enum { KEEP = 4u << 20 };
    if (s->vbuf_cap > KEEP) {
        PL_FREE(free, s->vbuf);
        s->vbuf_cap = s->vbuf_len = 0;
    }
    if (s->buf_cap > KEEP) {
        PL_FREE(free, s->buf);
        s->buf_cap = 0;
    }
    if (s->cbuf_cap > KEEP) {
        PL_FREE(free, s->cbuf);
        s->cbuf_cap = s->cbuf_len = 0;
    }
    if (s->tmp_cap > KEEP) {
        PL_FREE(free, s->tmp);
        s->tmp_cap = 0;
    }
}

static int scan_texts(const struct pl_dlp_db *db, struct pl_dlp_scratch *s,
                      const struct pl_str *texts, size_t n, struct pl_dlp_result *res);

int
pl_dlp_scan_texts(const struct pl_dlp_db *db, struct pl_dlp_scratch *s, const struct pl_str *texts,
                  size_t n, struct pl_dlp_result *res)
{
    int r = scan_texts(db, s, texts, n, res);
    pl_dlp_views_reset(s, 0);
    scratch_trim(s);
    return r;
}

static int
scan_texts(const struct pl_dlp_db *db, struct pl_dlp_scratch *s, const struct pl_str *texts,
           size_t n, struct pl_dlp_result *res)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += texts[i].len + 1;
    pl_dlp_views_reset(s, total);
    pl_dlp_views_set_min(s, db);
    if (n == 1) {
        int r = add_text_views(db, s, texts[0], false, res, total);
        if (r >= 0)
            r = pl_dlp_views_scan(db, s, PL_STR_NULL, res);
        s->min_view = 0;
        if (r < 0)
            return r;
        /* Seed phrases on the text as given (newlines separate words there). */
        seed_check(db, texts[0], res);
        return 0;
    }
    /*
     * Several texts (the strings of a JSON body, header values), reference §7: each text on
     * its own, then all of them sorted and concatenated. The first is one text here, the
     * sorted texts joined with '\n' (a separator for every view: each line, like each
     * segment, is decoded on its own, and patterns see each text's edges); the second is the
     * same without the separators.
     */
    struct pl_str *sorted = malloc(n * sizeof(*sorted));
    size_t cap = total + 256, k = 0;
    char *joined = malloc(cap), *cat = NULL;
    int r = 0;
    if (!sorted || !joined) {
        r = -ENOMEM;
        goto out;
    }
    memcpy(sorted, texts, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), str_cmp);
    /* Each text normalised on its own: normalisation drops the '\n' between them. */
    for (size_t i = 0; i < n && r >= 0; i++) {
        if (i)
            joined[k++] = '\n';
        if (pl_norm_is_identity(sorted[i], PL_NORM_DLP)) {
            if (sorted[i].len)
                memcpy(joined + k, sorted[i].p, sorted[i].len);
            k += sorted[i].len;
            continue;
        }
        size_t need = k + pl_norm_bound(sorted[i].len) + total;
        if (need > cap) {
            char *q = realloc(joined, need);
            if (!q) {
                r = -ENOMEM;
                break;
            }
            joined = q;
            cap = need;
        }
        int m = pl_normalize(sorted[i], PL_NORM_DLP, joined + k, cap - k);
        if (m < 0)
            r = m;
        else
            k += (size_t)m;
    }
    if (r >= 0)
        r = add_text_views(db, s, pl_str_from(joined, k), true, res, total);
    /* The same without the separators: what the reference scans (its normaliser deletes
     * the '\n'), so a secret split over fields that sort next to each other is whole. */
    if (r >= 0 && !(cat = malloc(k + 1)))
        r = -ENOMEM;
    if (r >= 0) {
        size_t c = 0;
        for (size_t i = 0; i < k;) {
            const char *nl = memchr(joined + i, '\n', k - i);
            size_t e = nl ? (size_t)(nl - joined) : k;
            memcpy(cat + c, joined + i, e - i);
            c += e - i;
            i = e + 1;
        }
        r = add_text_views(db, s, pl_str_from(cat, c), true, res, total);
    }
    if (r >= 0)
        r = pl_dlp_views_scan(db, s, PL_STR_NULL, res);
    pl_dlp_views_reset(s, total);
    if (r >= 0)
        seed_check(db, pl_str_from(joined, k), res);
out:
    s->min_view = 0;
    free(sorted);
    free(joined);
    free(cat);
    return r < 0 ? r : 0;
}

int
pl_dlp_scan_text(const struct pl_dlp_db *db, struct pl_dlp_scratch *s, struct pl_str text,
                 struct pl_dlp_result *res)
{
    return pl_dlp_scan_texts(db, s, &text, 1, res);
}

/* ---- streaming ---- */

struct pl_dlp_stream {
    const struct pl_dlp_db *db;
    struct pl_dlp_scratch *s;
    char *buf; /* overlap (the previous block's tail) + the pending block */
    size_t len, cap;
    size_t overlap; /* bytes of buf that are the previous block's tail */
    uint64_t base;  /* stream offset of buf[0] */
    size_t run;     /* length of the current run without whitespace, from its start */
    size_t block_min, run_max, overlap_max;
};

struct pl_dlp_stream *
pl_dlp_stream_new_sized(const struct pl_dlp_db *db, struct pl_dlp_scratch *s, size_t block,
                        size_t max, size_t overlap)
{
    struct pl_dlp_stream *st = calloc(1, sizeof(*st));
    if (st) {
        st->db = db;
        st->s = s;
        st->block_min = PL_MAX(block, (size_t)1);
        st->run_max = PL_MAX(max / 8 * 8, (size_t)8);
        st->overlap_max = overlap;
    }
    return st;
}

struct pl_dlp_stream *
pl_dlp_stream_new(const struct pl_dlp_db *db, struct pl_dlp_scratch *s)
{
    return pl_dlp_stream_new_sized(db, s, PL_DLP_STREAM_BLOCK, PL_DLP_STREAM_MAX,
                                   PL_DLP_STREAM_OVERLAP);
}

void
pl_dlp_stream_free(struct pl_dlp_stream *st)
{
    if (!st)
        return;
    free(st->buf);
    free(st);
}

static inline bool
is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Scan buf[0, end) (overlap + block), keep its last OVERLAP bytes for the next block. */
static int
stream_scan_block(struct pl_dlp_stream *st, size_t end, struct pl_dlp_result *res)
{
    struct pl_dlp_result part;
    memset(&part, 0, sizeof(part));
    int r = pl_dlp_scan_texts(st->db, st->s, &(struct pl_str){st->buf, end}, 1, &part);
    if (r < 0)
        return r;
    for (size_t i = 0; i < part.n; i++) {
        struct pl_dlp_finding f = part.f[i];
        if (f.view == PL_VIEW_RAW)
            f.off += (uint32_t)PL_MIN(st->base, (uint64_t)UINT32_MAX - f.off);
        struct pl_dlp_target t = {PL_STR_NULL, f.view};
        add_finding(res, f.pattern, &t, f.target, f.off, f.len);
    }
    res->truncated |= part.truncated;
    size_t keep = PL_MIN(st->overlap_max, end);
    memmove(st->buf, st->buf + end - keep, st->len - (end - keep));
    st->len -= end - keep;
    st->base += end - keep;
    st->overlap = keep;
    return 0;
}

int
pl_dlp_stream_feed(struct pl_dlp_stream *st, const char *p, size_t n, struct pl_dlp_result *res)
{
    for (size_t i = 0; i < n;) {
        /* Copy up to the next cut point (or the end of the input) into the block. */
        if (grow((void **)&st->buf, &st->cap, st->len + PL_MIN(n - i, 65536) + 1, 1) < 0)
            return -ENOMEM;
        size_t room = st->cap - st->len, k = 0;
        bool cut = false;
        while (k < room && i + k < n) {
            char c = p[i + k++];
            st->buf[st->len + k - 1] = c;
            size_t block = st->len + k - st->overlap;
            if (is_ws(c)) {
                st->run = 0;
                if (block >= st->block_min) {
                    cut = true;
                    break;
                }
            } else if (++st->run % st->run_max == 0) {
                cut = true;
                break;
            }
        }
        st->len += k;
        i += k;
        if (cut) {
            int r = stream_scan_block(st, st->len, res);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

int
pl_dlp_stream_finish(struct pl_dlp_stream *st, struct pl_dlp_result *res)
{
    if (st->len == st->overlap)
        return 0; /* nothing new since the last block */
    return stream_scan_block(st, st->len, res);
}
