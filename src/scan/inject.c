/*
 * Prompt-injection scanner: the reference's six passes (detection-facts §8.2), vectorscan
 * databases of literal anchors telling which patterns can match, PCRE2 confirming them.
 *
 * Every built-in pattern has four variants: PRIMARY (as written), LEET (the same regex, run on
 * the leetspeak-folded text), NOSPACE ("\s+" and separator runs made optional) and VOWEL (the
 * regex with its vowels folded, run on the vowel-folded text).
 *
 * Vectorscan only tells which variants can match; PCRE2 confirms them on the real text. It
 * scans a copy of the text with every whitespace run collapsed to one space, with anchors in
 * which every whitespace gap is spelt " ?" (pl_inject_collapse_anchor()): gaps of \s+ would keep it
 * off its literal matchers and cost it four times the time. One database of these anchors serves
 * PRIMARY and NOSPACE (the collapsed anchors of the two are the same), and, run again on the
 * leetspeak-folded collapsed copy when the text has a leetspeak character, LEET; a second one of
 * vowel-folded anchors, on the vowel-folded collapsed copy, serves VOWEL. The SPACED text
 * (pass 2) and each decoded payload (pass 6) get their own scans.
 *
 * User patterns have no anchor: PCRE2 runs them on every pass text.
 */
#include "scan/inject.h"

#include <errno.h>
#include <hs/hs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "scan/decode.h"
#include "scan/normalize.h"
#include "util/buf.h"
#include "util/utf8.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum variant { V_PRIMARY = 0, V_LEET, V_NOSPACE, V_VOWEL, NV };

#define MAX_DEPTH     5    /* decoding depth (reference) */
#define MAX_DECODED   4096 /* decoded payloads kept per scan */
#define MIN_DEC_SEG   16   /* strategy B: shortest encoded run */
#define MIN_DEC_RUN   8    /* any decoding at all needs a run this long */
#define MATCH_LIMIT   10000000
#define JIT_STACK_MAX (1024 * 1024)
#define REDACT_FMT    "[REDACTED: %s]"
#define DECODE_FLOOR  (256 * 1024) /* decoded bytes allowed whatever the input size */
#define DECODE_FACTOR 4            /* ... or this many times the input */

struct ipat {
    char *name;
    int bi; /* index in the built-in table when the built-in's anchors apply, else -1 */
    bool core;
    bool case_sensitive;
    pcre2_code *re[NV]; /* V_LEET shares re[V_PRIMARY]; NULL: the variant does not exist */
    bool anchored[NV];  /* vectorscan has an anchor for the variant; else PCRE2 always runs */
};

/* The anchor databases, both scanning whitespace-collapsed text. */
enum adb {
    ADB_MAIN = 0, /* the anchors as written: PRIMARY and NOSPACE; LEET on the folded text */
    ADB_VOWEL,    /* vowel-folded anchors, on the vowel-folded text */
    NADB,
};

struct pl_inject_db {
    struct ipat *p;
    size_t n;
    const hs_database_t *hs[NADB]; /* the built-in anchors (process-wide) */
    unsigned gen;
    size_t hit_words; /* uint64_t words of one hit bitmap */
};

/*
 * The anchors of every built-in, id = built-in index * NV + variant (V_PRIMARY in ADB_MAIN,
 * V_VOWEL in ADB_VOWEL), compiled once per process and shared by every policy, so a reload does
 * not pay for them again. The leetspeak and vowel variants scan folded copies of the text
 * rather than expanding every letter into a class, which would defeat vectorscan's literal
 * matchers.
 */
static struct {
    pthread_once_t once;
    hs_database_t *hs[NADB];
    bool anchored[64][NV];
    int err;
    char msg[160];
} builtin_anchors = {.once = PTHREAD_ONCE_INIT};

struct dec {
    size_t off, len; /* in dpool */
    size_t hits;     /* word offset in dhits */
    uint64_t hash;
    uint8_t depth;
};

struct pl_inject_scratch {
    hs_scratch_t *hs;
    unsigned gen;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;

    const char *t1; /* pass-1 text: the input itself, or buf1 */
    size_t t1_len;
    char *buf1, *t2, *t3, *t5, *tmp;
    size_t cap1, cap2, cap3, cap5, cap_tmp;
    size_t t2_len;
    bool t2_done, t2_same, t3_done, t5_done;
    bool has_leet;  /* the pass-1 text has a leetspeak character */
    char *col, *fc; /* whitespace-collapsed text the anchors scan, and a folded copy of it */
    size_t cap_col, cap_fc;

    uint64_t *hits1, *hits2;
    size_t hits_cap;

    bool dec_done;
    struct dec *dec;
    size_t n_dec, cap_dec;
    char *dpool;
    size_t dpool_len, dpool_cap, dpool_budget;
    uint64_t *dhits;
    size_t dhits_len, dhits_cap;
    char *work; /* a payload being decoded (copied out of dpool) */
    size_t work_cap;
};

static atomic_uint next_gen = 1;

/* ---------------------------------------------------------------- regex rewriting */

enum xform {
    X_NOSPACE,    /* \s+ and whitespace-bearing classes with + become optional */
    X_VOWEL_FOLD, /* vowels of literals folded to a / A (run on folded text) */
};

static bool
is_vowel(char c)
{
    return strchr("aeiouAEIOU", c) && c;
}

/* One literal letter, outside or inside a class, under the case rule ci. */
static int
emit_letter(struct pl_buf *o, enum xform k, char c, bool ci)
{
    switch (k) {
    case X_VOWEL_FOLD:
        if (is_vowel(c))
            c = ci || (c >= 'a' && c <= 'z') ? 'a' : 'A';
        return pl_buf_add_ch(o, c);
    default:
        return pl_buf_add_ch(o, c);
    }
}

/* Length of the escape at s ("\x{41}", "\p{L}", "\s", ...); 0 if malformed. */
static size_t
escape_len(const char *s)
{
    if (!s[1])
        return 0;
    if ((s[1] == 'x' || s[1] == 'p' || s[1] == 'P' || s[1] == 'N' || s[1] == 'o') && s[2] == '{') {
        const char *e = strchr(s + 3, '}');
        return e ? (size_t)(e - s) + 1 : 0;
    }
    if (s[1] == 'p' || s[1] == 'P')
        return s[2] ? 3 : 0;
    if (s[1] == 'x') {
        size_t n = 2;
        while (n < 4 && strchr("0123456789abcdefABCDEF", s[n]) && s[n])
            n++;
        return n;
    }
    return 2;
}

/*
 * Rewrite regex for one variant. ci is the case rule at the start. Tracks groups and inline
 * flags (i only) so that case-sensitive pieces ((?-i:DAN)) are rewritten as such. Returns 0,
 * -ENOTSUP when the rewrite would not keep the variant exact (the caller drops or always-runs
 * it), -ENOMEM.
 */
static int
rx_rewrite(const char *in, enum xform k, bool ci, struct pl_buf *o)
{
    bool stack[64];
    int depth = 0;
    int r = 0;
    size_t i = 0;
    stack[0] = ci;
    if (k == X_VOWEL_FOLD && strstr(in, "(?-i"))
        return -ENOTSUP; /* as the reference: a case-sensitive sub-group cannot be folded */
    while (in[i] && !r) {
        char c = in[i];
        bool cur = stack[depth];
        if (c == '\\') {
            size_t n = escape_len(in + i);
            if (!n)
                return -ENOTSUP;
            char e = in[i + 1];
            if (k == X_NOSPACE && e == 's' && in[i + 2] == '+') {
                r = pl_buf_add_c(o, "\\s*");
                i += 3;
                continue;
            }
            r = pl_buf_add(o, in + i, n);
            i += n;
        } else if (c == '[') {
            size_t j = i + 1;
            bool has_ws = false;
            r = pl_buf_add_ch(o, '[');
            if (in[j] == '^') {
                if (k != X_NOSPACE)
                    return -ENOTSUP; /* a negated class does not widen */
                r = r ? r : pl_buf_add_ch(o, '^');
                j++;
            }
            if (in[j] == ']') {
                r = r ? r : pl_buf_add_ch(o, ']');
                j++;
            }
            while (!r && in[j] && in[j] != ']') {
                if (in[j] == '\\') {
                    size_t n = escape_len(in + j);
                    if (!n)
                        return -ENOTSUP;
                    if (in[j + 1] == 's')
                        has_ws = true;
                    r = pl_buf_add(o, in + j, n);
                    j += n;
                } else if (in[j] == '[' && in[j + 1] == ':') {
                    const char *e = strstr(in + j, ":]");
                    if (!e)
                        return -ENOTSUP;
                    r = pl_buf_add(o, in + j, (size_t)(e + 2 - (in + j)));
                    j = (size_t)(e + 2 - in);
                } else if (in[j] == '-' || !((in[j] | 32) >= 'a' && (in[j] | 32) <= 'z')) {
                    r = pl_buf_add_ch(o, in[j++]);
                } else {
                    /* A range a-z keeps its ends; expanding an end would break the range. */
                    bool range = in[j + 1] == '-' || (j > 0 && in[j - 1] == '-');
                    if (range && k != X_NOSPACE)
                        return -ENOTSUP;
                    r = emit_letter(o, k, in[j], cur);
                    j++;
                }
            }
            if (!in[j])
                return -ENOTSUP;
            r = r ? r : pl_buf_add_ch(o, ']');
            i = j + 1;
            if (!r && k == X_NOSPACE && has_ws && in[i] == '+') {
                r = pl_buf_add_ch(o, '*');
                i++;
            }
        } else if (c == '(' && in[i + 1] == '?') {
            size_t j = i + 2;
            bool v = cur, neg = false;
            if (in[j] == '#') {
                const char *e = strchr(in + j, ')');
                if (!e)
                    return -ENOTSUP;
                i = (size_t)(e - in) + 1;
                continue;
            }
            while ((in[j] >= 'a' && in[j] <= 'z') || (in[j] >= 'A' && in[j] <= 'Z') ||
                   in[j] == '-') {
                if (in[j] == '-')
                    neg = true;
                else if (in[j] == 'i')
                    v = !neg;
                j++;
            }
            if (in[j] == ')') { /* (?i) for the rest of the group */
                stack[depth] = v;
                r = pl_buf_add(o, in + i, j + 1 - i);
                i = j + 1;
            } else if (in[j] == ':') {
                if (++depth >= (int)PL_ARRAY_SIZE(stack))
                    return -ENOTSUP;
                stack[depth] = v;
                r = pl_buf_add(o, in + i, j + 1 - i);
                i = j + 1;
            } else if (j == i + 2 && (in[j] == '<' || in[j] == 'P' || in[j] == '\'')) {
                /* named group, or look-behind */
                const char *e = NULL;
                if (in[j] == '<' && (in[j + 1] == '=' || in[j + 1] == '!'))
                    return -ENOTSUP; /* look-around does not survive the rewrites */
                e = strchr(in + j, in[j] == '\'' ? '\'' : '>');
                if (in[j] == '\'' && e)
                    e = strchr(e + 1, '\'');
                if (!e)
                    return -ENOTSUP;
                if (++depth >= (int)PL_ARRAY_SIZE(stack))
                    return -ENOTSUP;
                stack[depth] = cur;
                r = pl_buf_add(o, in + i, (size_t)(e - (in + i)) + 1);
                i = (size_t)(e - in) + 1;
            } else {
                return -ENOTSUP; /* look-ahead, atomic groups, conditionals, ... */
            }
        } else if (c == '(') {
            if (++depth >= (int)PL_ARRAY_SIZE(stack))
                return -ENOTSUP;
            stack[depth] = cur;
            r = pl_buf_add_ch(o, c);
            i++;
        } else if (c == ')') {
            if (depth > 0)
                depth--;
            r = pl_buf_add_ch(o, c);
            i++;
        } else if (c == '{') {
            /* a quantifier {n}, {n,}, {n,m}: copied whole */
            size_t j = i + 1;
            while (in[j] && strchr("0123456789,", in[j]))
                j++;
            if (in[j] == '}' && j > i + 1) {
                r = pl_buf_add(o, in + i, j + 1 - i);
                i = j + 1;
            } else {
                r = pl_buf_add_ch(o, c);
                i++;
            }
        } else if ((c | 32) >= 'a' && (c | 32) <= 'z') {
            r = emit_letter(o, k, c, cur);
            i++;
        } else {
            r = pl_buf_add_ch(o, c);
            i++;
        }
    }
    return r;
}

/* Index past the quantifier (and its lazy / possessive mark) at in + i, if any. */
static size_t
skip_quant(const char *in, size_t i)
{
    if (in[i] == '+' || in[i] == '*' || in[i] == '?') {
        i++;
    } else if (in[i] == '{') {
        size_t j = i + 1;
        while (in[j] && strchr("0123456789,", in[j]))
            j++;
        if (in[j] != '}' || j == i + 1)
            return i;
        i = j + 1;
    } else {
        return i;
    }
    return in[i] == '?' || in[i] == '+' ? i + 1 : i;
}

static bool
is_punct_escape(char e)
{
    return e && strchr(".\\/()[]{}|-?*+^$", e);
}

/*
 * The anchor in for text whose whitespace runs are collapsed to one space
 * (pl_norm_collapse_ws()): every \s, quantified or not, becomes " ?", and \s in a class becomes a
 * space with the class made optional ("?" or "*"). Sound: if an matches a text T, the result
 * matches the collapsed T. Each whitespace run of T that a match touches becomes one space,
 * which the first gap touching the run takes while the others take nothing; nothing else in the
 * anchor can match whitespace, because anything that could (".", negated classes, \W, \D, \h,
 * hex escapes, POSIX classes, literal whitespace, (?x)) or that would see a newline differently
 * (^, $) makes this return -ENOTSUP.
 */
int
pl_inject_collapse_anchor(const char *in, struct pl_buf *o)
{
    size_t i = 0;
    int r = 0;
    while (in[i] && !r) {
        unsigned char c = (unsigned char)in[i];
        if (c == '\\') {
            char e = in[i + 1];
            if (e == 's') {
                i = skip_quant(in, i + 2);
                r = pl_buf_add_c(o, " ?");
                continue;
            }
            if (!(e == 'b' || e == 'w' || e == 'd' || e == 'S' || is_punct_escape(e)))
                return -ENOTSUP;
            r = pl_buf_add(o, in + i, 2);
            i += 2;
        } else if (c == '[') {
            size_t j = i + 1;
            bool ws = false;
            if (in[j] == '^')
                return -ENOTSUP;
            r = pl_buf_add_ch(o, '[');
            if (in[j] == ']') {
                r = r ? r : pl_buf_add_ch(o, ']');
                j++;
            }
            while (!r && in[j] && in[j] != ']') {
                unsigned char k = (unsigned char)in[j];
                if (k == '\\') {
                    char e = in[j + 1];
                    if (e == 's') {
                        ws = true;
                        r = pl_buf_add_ch(o, ' ');
                    } else if (e == 'w' || e == 'd' || is_punct_escape(e)) {
                        r = pl_buf_add(o, in + j, 2);
                    } else {
                        return -ENOTSUP;
                    }
                    j += 2;
                } else if (k <= ' ' || (k == '[' && in[j + 1] == ':')) {
                    return -ENOTSUP;
                } else {
                    r = pl_buf_add_ch(o, (char)k);
                    j++;
                }
            }
            if (!in[j])
                return -ENOTSUP;
            r = r ? r : pl_buf_add_ch(o, ']');
            i = j + 1;
            if (ws) {
                /* none or "?" -> "?"; "+", "*", {n,m} -> "*" */
                size_t q = skip_quant(in, i);
                r = r ? r : pl_buf_add_ch(o, q == i || in[i] == '?' ? '?' : '*');
                i = q;
            }
        } else if (c == '(' && in[i + 1] == '?') {
            size_t j = i + 2;
            while (in[j] == '-' || (in[j] >= 'a' && in[j] <= 'z') ||
                   (in[j] >= 'A' && in[j] <= 'Z')) {
                if (in[j] == 'x')
                    return -ENOTSUP;
                j++;
            }
            if (in[j] != ':' && in[j] != ')')
                return -ENOTSUP; /* comments, look-around, named groups, ... */
            r = pl_buf_add(o, in + i, j + 1 - i);
            i = j + 1;
        } else if (c == '.' || c == '^' || c == '$' || c <= ' ') {
            return -ENOTSUP;
        } else {
            r = pl_buf_add_ch(o, (char)c);
            i++;
        }
    }
    return r;
}

/* ---------------------------------------------------------------- compile */

static pcre2_code *
pcre_compile(const char *regex, uint32_t flags, int *code, PCRE2_SIZE *eoff)
{
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
                                   flags | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, code, eoff, NULL);
    if (re)
        (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* an optimisation only */
    return re;
}

struct hsbuf {
    char **expr;
    unsigned *flags, *ids;
    size_t n, cap;
};

static int
hsbuf_add(struct hsbuf *b, char *expr, unsigned flags, unsigned id)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        char **e = realloc(b->expr, cap * sizeof(*e));
        if (e)
            b->expr = e;
        unsigned *f = realloc(b->flags, cap * sizeof(*f));
        if (f)
            b->flags = f;
        unsigned *d = realloc(b->ids, cap * sizeof(*d));
        if (d)
            b->ids = d;
        if (!e || !f || !d) {
            free(expr);
            return -ENOMEM;
        }
        b->cap = cap;
    }
    b->expr[b->n] = expr;
    b->flags[b->n] = flags;
    b->ids[b->n++] = id;
    return 0;
}

static void
hsbuf_done(struct hsbuf *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->expr[i]);
    free(b->expr);
    free(b->flags);
    free(b->ids);
}

/*
 * The collapsed anchor of a built-in for database k in b (NUL-terminated): the anchor as
 * written, or vowel-folded for ADB_VOWEL (-ENOTSUP where the vowel variant does not exist).
 */
static int
anchor_for(const struct pl_inject_def *d, enum adb k, struct pl_buf *b)
{
    struct pl_buf f;
    const char *a = d->anchor;
    int r = 0;
    pl_buf_init(&f, 1 << 16);
    if (k == ADB_VOWEL) {
        if (strstr(d->regex, "(?-i"))
            return -ENOTSUP;
        r = rx_rewrite(d->anchor, X_VOWEL_FOLD, !d->case_sensitive, &f);
        r = r ? r : f.data ? 0 : -ENOTSUP;
        a = f.data;
    }
    if (!r)
        r = pl_inject_collapse_anchor(a, b);
    pl_buf_done(&f);
    return r ? r : b->data ? 0 : -ENOTSUP;
}

/* Compile the variants of pattern p from regex; flags are PCRE2 compile flags. */
static int
compile_variants(struct ipat *p, const char *regex, uint32_t flags, bool ci, char *err,
                 size_t errlen)
{
    int code;
    PCRE2_SIZE eoff;
    p->re[V_PRIMARY] = pcre_compile(regex, flags, &code, &eoff);
    if (!p->re[V_PRIMARY]) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        if (err && errlen)
            snprintf(err, errlen, "response_scanning.patterns: %s: invalid regex at offset %zu: %s",
                     p->name, (size_t)eoff, (const char *)msg);
        return -EINVAL;
    }
    p->re[V_LEET] = p->re[V_PRIMARY];
    static const struct {
        enum variant v;
        enum xform x;
    } rw[] = {{V_NOSPACE, X_NOSPACE}, {V_VOWEL, X_VOWEL_FOLD}};
    for (size_t i = 0; i < PL_ARRAY_SIZE(rw); i++) {
        struct pl_buf b;
        pl_buf_init(&b, 1 << 20);
        int r = rx_rewrite(regex, rw[i].x, ci, &b);
        if (!r && !b.data)
            r = -ENOTSUP;
        if (r == -ENOMEM) {
            pl_buf_done(&b);
            return -ENOMEM;
        }
        /* A variant the rewrite cannot express is skipped, as the reference skips it. */
        if (!r && strcmp(b.data, regex) != 0)
            p->re[rw[i].v] = pcre_compile(b.data, flags, &code, &eoff);
        pl_buf_done(&b);
    }
    return 0;
}

static void
free_pat(struct ipat *p)
{
    for (int v = 0; v < NV; v++)
        if (p->re[v] && (v != V_LEET || p->re[v] != p->re[V_PRIMARY]))
            pcre2_code_free(p->re[v]);
    free(p->name);
}

void
pl_inject_free(struct pl_inject_db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->n; i++)
        free_pat(&db->p[i]);
    free(db->p);
    free(db);
}

static const struct pl_inject_user *
find_user(const struct pl_inject_options *o, const char *name)
{
    for (size_t i = 0; i < o->n_user; i++)
        if (o->user[i].name && strcmp(o->user[i].name, name) == 0)
            return &o->user[i];
    return NULL;
}

static void
compile_builtin_anchors(void)
{
    struct hsbuf hb[NADB] = {{0}};
    int r = -ENOMEM;
    PL_BUG_ON(pl_inject_builtin_count > PL_ARRAY_SIZE(builtin_anchors.anchored));
    for (size_t i = 0; i < pl_inject_builtin_count; i++) {
        const struct pl_inject_def *d = &pl_inject_builtin_defs[i];
        for (int k = 0; k < NADB; k++) {
            enum variant v = k == ADB_VOWEL ? V_VOWEL : V_PRIMARY;
            struct pl_buf b;
            pl_buf_init(&b, 1 << 16);
            int ar = anchor_for(d, (enum adb)k, &b);
            if (ar == -ENOMEM) {
                pl_buf_done(&b);
                goto out;
            }
            if (ar) {
                pl_buf_done(&b);
                continue;
            }
            unsigned fl = HS_FLAG_SINGLEMATCH | HS_FLAG_MULTILINE | HS_FLAG_DOTALL |
                          (d->case_sensitive ? 0 : HS_FLAG_CASELESS);
            /* hsbuf_add() owns the expression from here, and frees it on failure */
            if (hsbuf_add(&hb[k], b.data, fl, (unsigned)(i * NV + (size_t)v)))
                goto out;
            builtin_anchors.anchored[i][v] = true;
            if (v == V_PRIMARY) /* the same database serves these (see the top) */
                builtin_anchors.anchored[i][V_NOSPACE] = builtin_anchors.anchored[i][V_LEET] = true;
        }
    }
    for (int k = 0; k < NADB; k++) {
        hs_compile_error_t *ce = NULL;
        if (!hb[k].n)
            continue;
        if (hs_compile_multi((const char *const *)hb[k].expr, hb[k].flags, hb[k].ids,
                             (unsigned)hb[k].n, HS_MODE_BLOCK, NULL, &builtin_anchors.hs[k],
                             &ce) != HS_SUCCESS) {
            snprintf(builtin_anchors.msg, sizeof(builtin_anchors.msg),
                     "response_scanning: built-in anchor %d does not compile: %s",
                     ce ? ce->expression : -1, ce && ce->message ? ce->message : "?");
            hs_free_compile_error(ce);
            r = -EIO;
            goto out;
        }
    }
    r = 0;
out:
    builtin_anchors.err = r;
    for (int k = 0; k < NADB; k++)
        hsbuf_done(&hb[k]);
}

int
pl_inject_compile(const struct pl_inject_options *o, struct pl_inject_db **out, char *err,
                  size_t errlen)
{
    struct pl_inject_db *db;
    int r = -ENOMEM;
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    pthread_once(&builtin_anchors.once, compile_builtin_anchors);
    if (builtin_anchors.err) {
        if (err && errlen)
            snprintf(err, errlen, "%s",
                     builtin_anchors.msg[0] ? builtin_anchors.msg
                                            : "response_scanning: out of memory");
        return builtin_anchors.err;
    }
    if (!(db = calloc(1, sizeof(*db))))
        return -ENOMEM;
    for (int k = 0; k < NADB; k++)
        db->hs[k] = builtin_anchors.hs[k];
    db->p = calloc(pl_inject_builtin_count + o->n_user, sizeof(*db->p));
    if (!db->p)
        goto fail;
    /* Built-ins: core always, standard ones when enabled and included. Core ones first. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < pl_inject_builtin_count; i++) {
            const struct pl_inject_def *d = &pl_inject_builtin_defs[i];
            if (d->core != (pass == 0))
                continue;
            const struct pl_inject_user *u = o->enabled ? find_user(o, d->name) : NULL;
            if (!d->core && (!o->enabled || !o->include_defaults) && !u)
                continue;
            struct ipat *p = &db->p[db->n++];
            p->core = d->core;
            p->bi = -1;
            p->case_sensitive = u ? true : d->case_sensitive;
            if (!(p->name = strdup(d->name)))
                goto fail;
            if (u) {
                if ((r = compile_variants(p, u->regex, 0, false, err, errlen)))
                    goto fail;
                continue;
            }
            uint32_t fl = PCRE2_MULTILINE | (d->case_sensitive ? 0 : PCRE2_CASELESS);
            if ((r = compile_variants(p, d->regex, fl, !d->case_sensitive, err, errlen)))
                goto fail;
            r = -ENOMEM;
            p->bi = (int)i;
            for (int v = 0; v < NV; v++)
                p->anchored[v] = p->re[v] && builtin_anchors.anchored[i][v];
        }
    }
    /* User patterns that do not replace a built-in. */
    for (size_t i = 0; o->enabled && i < o->n_user; i++) {
        const struct pl_inject_user *u = &o->user[i];
        bool builtin = false;
        if (!u->name || !u->regex) {
            if (err && errlen)
                snprintf(err, errlen,
                         "response_scanning.patterns[%zu]: name and regex are required", i);
            r = -EINVAL;
            goto fail;
        }
        for (size_t j = 0; j < pl_inject_builtin_count && !builtin; j++)
            builtin = strcmp(pl_inject_builtin_defs[j].name, u->name) == 0;
        /* A later duplicate of an earlier user name: the first one wins. */
        if (builtin || find_user(o, u->name) != u)
            continue;
        struct ipat *p = &db->p[db->n++];
        p->bi = -1;
        p->case_sensitive = true;
        if (!(p->name = strdup(u->name))) {
            r = -ENOMEM;
            goto fail;
        }
        if ((r = compile_variants(p, u->regex, 0, false, err, errlen)))
            goto fail;
    }
    db->gen = atomic_fetch_add(&next_gen, 1);
    db->hit_words = (pl_inject_builtin_count * NV + 63) / 64;
    *out = db;
    return 0;
fail:
    pl_inject_free(db);
    return r;
}

size_t
pl_inject_count(const struct pl_inject_db *db)
{
    return db->n;
}

const char *
pl_inject_name(const struct pl_inject_db *db, size_t i)
{
    return i < db->n ? db->p[i].name : NULL;
}

bool
pl_inject_is_core(const struct pl_inject_db *db, size_t i)
{
    return i < db->n && db->p[i].core;
}

const char *
pl_inject_pass_name(enum pl_inject_pass p)
{
    static const char *const names[] = {"none",    "primary", "spaced", "leet",
                                        "nospace", "vowel",   "decoded"};
    return (unsigned)p < PL_ARRAY_SIZE(names) ? names[p] : "unknown";
}

/* ---------------------------------------------------------------- scratch */

struct pl_inject_scratch *
pl_inject_scratch_new(void)
{
    struct pl_inject_scratch *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->md = pcre2_match_data_create(1, NULL);
    s->mctx = pcre2_match_context_create(NULL);
    s->jit = pcre2_jit_stack_create(32 * 1024, JIT_STACK_MAX, NULL);
    if (!s->md || !s->mctx || !s->jit) {
        pl_inject_scratch_free(s);
        return NULL;
    }
    pcre2_set_match_limit(s->mctx, MATCH_LIMIT);
    pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
    return s;
}

void
pl_inject_scratch_free(struct pl_inject_scratch *s)
{
    if (!s)
        return;
    hs_free_scratch(s->hs);
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    pcre2_jit_stack_free(s->jit);
    free(s->buf1);
    free(s->t2);
    free(s->t3);
    free(s->t5);
    free(s->tmp);
    free(s->col);
    free(s->fc);
    free(s->hits1);
    free(s->hits2);
    free(s->dec);
    free(s->dpool);
    free(s->dhits);
    free(s->work);
    free(s);
}

static int
reserve(char **p, size_t *cap, size_t need)
{
    if (*cap >= need)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c = c > SIZE_MAX / 2 ? need : c * 2;
    char *n = realloc(*p, c);
    if (!n)
        return -ENOMEM;
    *p = n;
    *cap = c;
    return 0;
}

/* Normalise with pipeline pl into *buf; the length in *len. */
static int
normalize_into(struct pl_str text, enum pl_norm_pipeline pl, char **buf, size_t *cap, size_t *len)
{
    size_t guess = text.len + text.len / 2 + 64;
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t need = attempt ? pl_norm_bound(text.len) : guess;
        if (need == SIZE_MAX || reserve(buf, cap, need))
            return -ENOMEM;
        int n = pl_normalize(text, pl, *buf, *cap);
        if (n >= 0) {
            *len = (size_t)n;
            return 0;
        }
        if (n != -E2BIG || attempt)
            return n == -E2BIG ? -ENOMEM : n;
    }
    return -ENOMEM;
}

/* ---------------------------------------------------------------- matching */

struct hit_ctx {
    uint64_t *bits;
    unsigned shift; /* added to every id: V_LEET - V_PRIMARY for the leetspeak copy */
};

static int
on_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
    (void)from, (void)to, (void)flags;
    struct hit_ctx *h = ctx;
    id += h->shift;
    h->bits[id / 64] |= 1ull << (id % 64);
    return 0;
}

/* OR the hits of anchor database k on p[0, n) into bits, each id moved by shift. */
static int
scan_adb(const struct pl_inject_db *db, struct pl_inject_scratch *s, enum adb k, const char *p,
         size_t n, unsigned shift, uint64_t *bits)
{
    if (!db->hs[k] || !n)
        return 0;
    if (n > UINT32_MAX)
        return -E2BIG;
    struct hit_ctx h = {bits, shift};
    return hs_scan(db->hs[k], p, (unsigned)n, 0, s->hs, on_hit, &h) == HS_SUCCESS ? 0 : -EIO;
}

/*
 * The anchor hits of a text (pass-1 text, SPACED text or a decoded payload) for the PRIMARY
 * and NOSPACE variants, VOWEL when vowel is set, and LEET when leet is not NULL (*leet then
 * tells whether the text has a leetspeak character).
 */
static int
anchors(const struct pl_inject_db *db, struct pl_inject_scratch *s, const char *p, size_t n,
        bool vowel, bool *leet, uint64_t *bits)
{
    if (leet)
        *leet = false;
    memset(bits, 0, db->hit_words * sizeof(*bits));
    if (!n)
        return 0;
    if (reserve(&s->col, &s->cap_col, n) || reserve(&s->fc, &s->cap_fc, n))
        return -ENOMEM;
    size_t m = pl_norm_collapse_ws(p, n, s->col);
    int r = scan_adb(db, s, ADB_MAIN, s->col, m, 0, bits);
    if (!r && leet) {
        memcpy(s->fc, s->col, m);
        if ((*leet = pl_norm_fold_leet(s->fc, m)))
            r = scan_adb(db, s, ADB_MAIN, s->fc, m, V_LEET - V_PRIMARY, bits);
    }
    if (!r && vowel) {
        memcpy(s->fc, s->col, m);
        pl_norm_fold_vowels(s->fc, m);
        r = scan_adb(db, s, ADB_VOWEL, s->fc, m, 0, bits);
    }
    return r;
}

static bool
hit(const uint64_t *bits, const struct ipat *p, enum variant v)
{
    /* NOSPACE shares the primary anchor (see the top) */
    size_t id = (size_t)p->bi * NV + (v == V_NOSPACE ? V_PRIMARY : v);
    return p->bi >= 0 && (bits[id / 64] >> (id % 64) & 1);
}

/* Every match of p's variant v in text, appended to res. Returns 0 or -ERANGE / -EIO. */
static int
confirm(const struct pl_inject_db *db, struct pl_inject_scratch *s, size_t pat, enum variant v,
        const char *text, size_t len, enum pl_inject_pass pass, uint8_t depth,
        struct pl_inject_result *res)
{
    const pcre2_code *re = db->p[pat].re[v];
    size_t off = 0;
    while (off <= len) {
        int rc = pcre2_match(re, (PCRE2_SPTR)text, len, off, 0, s->md, s->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            return 0;
        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
            rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
            return -ERANGE;
        if (rc < 0)
            return -EIO;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
        if (res->n < PL_INJECT_MAX_MATCHES) {
            struct pl_inject_match *m = &res->m[res->n++];
            m->pattern = (uint16_t)pat;
            m->pass = (uint8_t)pass;
            m->depth = depth;
            m->start = ov[0];
            m->end = ov[1];
        } else {
            res->truncated = true;
            return 0;
        }
        off = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
    }
    return 0;
}

/*
 * Run the tier's patterns for variant v on text. bits: the anchor hits of the text the
 * anchors ran on (NULL: run every pattern).
 */
static int
run_variant(const struct pl_inject_db *db, struct pl_inject_scratch *s, bool core, enum variant v,
            const uint64_t *bits, const char *text, size_t len, enum pl_inject_pass pass,
            uint8_t depth, struct pl_inject_result *res)
{
    for (size_t i = 0; i < db->n; i++) {
        const struct ipat *p = &db->p[i];
        if (p->core != core || !p->re[v])
            continue;
        if (p->anchored[v] && bits && !hit(bits, p, v))
            continue;
        int r = confirm(db, s, i, v, text, len, pass, depth, res);
        if (r)
            return r;
    }
    return 0;
}

static bool
any_hit_or_unanchored(const struct pl_inject_db *db, const uint64_t *bits, bool core,
                      enum variant v)
{
    for (size_t i = 0; i < db->n; i++) {
        const struct ipat *p = &db->p[i];
        if (p->core == core && p->re[v] && (!p->anchored[v] || hit(bits, p, v)))
            return true;
    }
    return false;
}

/* ---------------------------------------------------------------- pass 6: payloads */

static const unsigned char b64_class[256] = {
    ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1, ['+'] = 1,
    ['/'] = 1,         ['-'] = 1,         ['_'] = 1,
};

/* Valid UTF-8 with at least 80% printable code points (tab, newline, CR count as printable). */
static bool
printable(const char *p, size_t n)
{
    size_t cps = 0, good = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = pl_utf8_decode((const unsigned char *)p + i, n - i, &cp);
        if (!l)
            return false;
        cps++;
        if ((cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0)) || cp == '\t' || cp == '\n' ||
            cp == '\r')
            good++;
        i += l;
    }
    return cps && good * 5 >= cps * 4;
}

static uint64_t
fnv(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* Keep one decoded payload: normalised, deduplicated, within the budget. */
static int
keep_payload(struct pl_inject_scratch *s, const char *p, size_t n, uint8_t depth)
{
    if (!printable(p, n))
        return 0;
    /* Past the limits the text cannot be scanned completely: fail closed. */
    if (s->n_dec >= MAX_DECODED)
        return -E2BIG;
    size_t bound = pl_norm_bound(n);
    if (bound == SIZE_MAX || reserve(&s->dpool, &s->dpool_cap, s->dpool_len + bound))
        return -ENOMEM;
    int m = pl_normalize((struct pl_str){p, n}, PL_NORM_MATCHING, s->dpool + s->dpool_len,
                         s->dpool_cap - s->dpool_len);
    if (m < 0)
        return m == -E2BIG ? -ENOMEM : m;
    if (s->dpool_len + (size_t)m > s->dpool_budget)
        return -E2BIG;
    uint64_t h = fnv(s->dpool + s->dpool_len, (size_t)m);
    for (size_t i = 0; i < s->n_dec; i++)
        if (s->dec[i].hash == h && s->dec[i].len == (size_t)m &&
            !memcmp(s->dpool + s->dec[i].off, s->dpool + s->dpool_len, (size_t)m))
            return 0;
    if (s->n_dec == s->cap_dec) {
        size_t cap = s->cap_dec ? s->cap_dec * 2 : 16;
        struct dec *d = realloc(s->dec, cap * sizeof(*d));
        if (!d)
            return -ENOMEM;
        s->dec = d;
        s->cap_dec = cap;
    }
    s->dec[s->n_dec++] = (struct dec){s->dpool_len, (size_t)m, 0, h, depth};
    s->dpool_len += (size_t)m;
    return 0;
}

/* Try the four base64 forms and hex on one run; keep each printable decoding. */
static int
decode_run(struct pl_inject_scratch *s, struct pl_str run, uint8_t depth)
{
    static const unsigned forms[] = {
        PL_B64_STD | PL_B64_PAD_REQUIRED,
        PL_B64_URL | PL_B64_PAD_REQUIRED,
        PL_B64_STD | PL_B64_PAD_FORBIDDEN,
        PL_B64_URL | PL_B64_PAD_FORBIDDEN,
    };
    /* base64 decodes to 3/4 of the run, hex to 1/2 */
    if (reserve(&s->tmp, &s->cap_tmp, run.len + 4))
        return -ENOMEM;
    for (size_t f = 0; f < PL_ARRAY_SIZE(forms); f++) {
        int n = pl_decode_base64(run, s->tmp, s->cap_tmp, forms[f]);
        if (n > 0) {
            int r = keep_payload(s, s->tmp, (size_t)n, depth);
            if (r)
                return r;
            break; /* the forms that also succeed decode to the same bytes */
        }
    }
    int n = pl_decode_hex(run, s->tmp, s->cap_tmp);
    return n > 0 ? keep_payload(s, s->tmp, (size_t)n, depth) : 0;
}

static bool
b64_or_pad_or_ws(unsigned char c)
{
    return b64_class[c] || c == '=' || c == ' ' || (c >= '\t' && c <= '\r');
}

#ifdef __SSE2__
/* Bit k set when p[k] (k < 16) is a base64 symbol; *other: bytes that are neither a symbol,
 * '=' nor ASCII whitespace. */
static inline unsigned
b64_mask16(const char *p, unsigned *other)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i l = _mm_or_si128(v, _mm_set1_epi8(0x20));
    __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(l, _mm_set1_epi8('a' - 1)),
                                   _mm_cmpgt_epi8(_mm_set1_epi8('z' + 1), l));
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                  _mm_cmpgt_epi8(_mm_set1_epi8('9' + 1), v));
    __m128i sym = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')), _mm_cmpeq_epi8(v, _mm_set1_epi8('/'))),
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')), _mm_cmpeq_epi8(v, _mm_set1_epi8('_'))));
    __m128i b64 = _mm_or_si128(_mm_or_si128(letter, digit), sym);
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('\t')); /* \t..\r -> 0..4, unsigned */
    __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                              _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(4)), d));
    __m128i ok = _mm_or_si128(_mm_or_si128(b64, ws), _mm_cmpeq_epi8(v, _mm_set1_epi8('=')));
    *other = (unsigned)_mm_movemask_epi8(ok) ^ 0xffffu;
    return (unsigned)_mm_movemask_epi8(b64);
}
#endif

/* True when t[0, n) holds only base64 symbols, '=' and ASCII whitespace. */
static bool
only_b64_text(const char *t, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) {
        unsigned other;
        (void)b64_mask16(t + i, &other);
        if (other)
            return false;
    }
#endif
    for (; i < n; i++)
        if (!b64_or_pad_or_ws((unsigned char)t[i]))
            return false;
    return true;
}

/*
 * The start of the first run of at least MIN_DEC_SEG base64 symbols that starts at or after
 * from (from is never inside a run), or n. Sixteen bytes at a time: most text has none.
 */
static size_t
next_long_run(const char *t, size_t n, size_t from)
{
    size_t i = from, run = 0; /* run: symbols just before i */
#ifdef __SSE2__
    _Static_assert(MIN_DEC_SEG <= 16, "a long run touches two blocks at most when not covering");
    for (; i + 16 <= n; i += 16) {
        unsigned other, m = b64_mask16(t + i, &other);
        if (m == 0xffffu) {
            run += 16;
            if (run >= MIN_DEC_SEG)
                return i + 16 - run;
            continue;
        }
        unsigned inv = ~m & 0xffffu;
        unsigned lead = (unsigned)__builtin_ctz(inv);
        if (run + lead >= MIN_DEC_SEG)
            return i - run;
        /* runs inside the block are shorter than 16; keep the one touching its end */
        run = 15u - (31u - (unsigned)__builtin_clz(inv));
    }
#endif
    for (; i < n; i++) {
        if (!b64_class[(unsigned char)t[i]]) {
            run = 0;
            continue;
        }
        if (++run >= MIN_DEC_SEG)
            return i + 1 - run;
    }
    return n;
}

/*
 * Strategies B (each run of 16+ symbols plus up to two '=') and A (the whole text without
 * whitespace, when it has a run of 8+ symbols and nothing but symbols, '=' and whitespace).
 */
static int
decode_text(struct pl_inject_scratch *s, const char *t, size_t n, uint8_t depth)
{
    int r;
    for (size_t i = next_long_run(t, n, 0); i < n; i = next_long_run(t, n, i)) {
        size_t j = i;
        while (j < n && b64_class[(unsigned char)t[j]])
            j++;
        size_t end = j;
        for (int k = 0; k < 2 && end < n && t[end] == '='; k++)
            end++;
        if ((r = decode_run(s, (struct pl_str){t + i, end - i}, depth)))
            return r;
        i = end;
    }
    if (!only_b64_text(t, n))
        return 0;
    size_t best = 0;
    for (size_t i = 0; i < n;) {
        if (!b64_class[(unsigned char)t[i]]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && b64_class[(unsigned char)t[j]])
            j++;
        for (int k = 0; k < 2 && j < n && t[j] == '='; k++)
            j++;
        best = PL_MAX(best, j - i);
        i = j;
    }
    if (best < MIN_DEC_RUN)
        return 0;
    if (reserve(&s->work, &s->work_cap, n))
        return -ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (b64_class[(unsigned char)t[i]] || t[i] == '=')
            s->work[m++] = t[i];
    /* decode_run() writes to tmp, not work: the run may stay in work. */
    return decode_run(s, (struct pl_str){s->work, m}, depth);
}

/* All payloads of the pass-1 text, breadth first, with their anchor hits. */
static int
build_payloads(const struct pl_inject_db *db, struct pl_inject_scratch *s)
{
    int r;
    s->dec_done = true;
    s->n_dec = 0;
    s->dpool_len = 0;
    s->dhits_len = 0;
    s->dpool_budget = PL_MAX((size_t)DECODE_FLOOR, s->t1_len * DECODE_FACTOR);
    if ((r = decode_text(s, s->t1, s->t1_len, 1)))
        return r;
    for (size_t i = 0; i < s->n_dec; i++) {
        if (s->dec[i].depth >= MAX_DEPTH)
            continue;
        /* decode_text() appends to dpool: work on a copy. */
        size_t n = s->dec[i].len;
        if (reserve(&s->work, &s->work_cap, n + 1))
            return -ENOMEM;
        memcpy(s->work, s->dpool + s->dec[i].off, n);
        char *copy = malloc(n ? n : 1);
        if (!copy)
            return -ENOMEM;
        memcpy(copy, s->work, n);
        r = decode_text(s, copy, n, (uint8_t)(s->dec[i].depth + 1));
        free(copy);
        if (r)
            return r;
    }
    size_t need = s->n_dec * db->hit_words;
    if (need > s->dhits_cap) {
        uint64_t *h = realloc(s->dhits, need * sizeof(*h));
        if (!h)
            return -ENOMEM;
        s->dhits = h;
        s->dhits_cap = need;
    }
    for (size_t i = 0; i < s->n_dec; i++) {
        s->dec[i].hits = i * db->hit_words;
        if ((r = anchors(db, s, s->dpool + s->dec[i].off, s->dec[i].len, true, NULL,
                         s->dhits + s->dec[i].hits)))
            return r;
    }
    s->dhits_len = need;
    return 0;
}

/* ---------------------------------------------------------------- passes */

/* The folded copy of the pass-1 text a variant's regex runs on, made on first use. */
static int
folded_t1(struct pl_inject_scratch *s, enum variant v, const char **out)
{
    bool *done = v == V_LEET ? &s->t3_done : &s->t5_done;
    char **buf = v == V_LEET ? &s->t3 : &s->t5;
    size_t *cap = v == V_LEET ? &s->cap3 : &s->cap5;
    if (!*done) {
        if (reserve(buf, cap, s->t1_len + 1))
            return -ENOMEM;
        memcpy(*buf, s->t1, s->t1_len);
        if (v == V_LEET)
            (void)pl_norm_fold_leet(*buf, s->t1_len);
        else
            pl_norm_fold_vowels(*buf, s->t1_len);
        *done = true;
    }
    *out = *buf;
    return 0;
}

static int
ensure_hits_cap(const struct pl_inject_db *db, struct pl_inject_scratch *s)
{
    if (s->hits_cap >= db->hit_words)
        return 0;
    uint64_t *a = realloc(s->hits1, db->hit_words * sizeof(*a));
    if (!a)
        return -ENOMEM;
    s->hits1 = a;
    uint64_t *b = realloc(s->hits2, db->hit_words * sizeof(*b));
    if (!b)
        return -ENOMEM;
    s->hits2 = b;
    s->hits_cap = db->hit_words;
    return 0;
}

static int
run_tier(const struct pl_inject_db *db, struct pl_inject_scratch *s, struct pl_str text, bool core,
         struct pl_inject_result *res)
{
    int r;
#define DONE_IF_FOUND(pass_)   \
    do {                       \
        if (r)                 \
            return r;          \
        if (res->n) {          \
            res->pass = pass_; \
            res->core = core;  \
            return 0;          \
        }                      \
    } while (0)

    /* 1 */
    r = run_variant(db, s, core, V_PRIMARY, s->hits1, s->t1, s->t1_len, PL_INJECT_PASS_PRIMARY, 0,
                    res);
    DONE_IF_FOUND(PL_INJECT_PASS_PRIMARY);

    /* 2: only text with invisibles differs */
    if (!s->t2_done) {
        s->t2_done = true;
        s->t2_same = pl_norm_is_identity(text, PL_NORM_MATCHING);
        if (!s->t2_same) {
            if ((r = normalize_into(text, PL_NORM_POLICY, &s->t2, &s->cap2, &s->t2_len)))
                return r;
            s->t2_same = s->t2_len == s->t1_len && !memcmp(s->t2, s->t1, s->t1_len);
            if (!s->t2_same && (r = anchors(db, s, s->t2, s->t2_len, false, NULL, s->hits2)))
                return r;
        }
    }
    if (!s->t2_same) {
        r = run_variant(db, s, core, V_PRIMARY, s->hits2, s->t2, s->t2_len, PL_INJECT_PASS_SPACED,
                        0, res);
        DONE_IF_FOUND(PL_INJECT_PASS_SPACED);
    }

    /* 3: only text with a leetspeak character differs (its anchors came with pass 1's) */
    if (s->has_leet && any_hit_or_unanchored(db, s->hits1, core, V_LEET)) {
        const char *t3;
        if ((r = folded_t1(s, V_LEET, &t3)))
            return r;
        r = run_variant(db, s, core, V_LEET, s->hits1, t3, s->t1_len, PL_INJECT_PASS_LEET, 0, res);
        DONE_IF_FOUND(PL_INJECT_PASS_LEET);
    }

    /* 4 */
    r = run_variant(db, s, core, V_NOSPACE, s->hits1, s->t1, s->t1_len, PL_INJECT_PASS_NOSPACE, 0,
                    res);
    DONE_IF_FOUND(PL_INJECT_PASS_NOSPACE);

    /* 5 */
    if (any_hit_or_unanchored(db, s->hits1, core, V_VOWEL)) {
        const char *t5;
        if ((r = folded_t1(s, V_VOWEL, &t5)))
            return r;
        r = run_variant(db, s, core, V_VOWEL, s->hits1, t5, s->t1_len, PL_INJECT_PASS_VOWEL, 0,
                        res);
        DONE_IF_FOUND(PL_INJECT_PASS_VOWEL);
    }

    /* 6 */
    if (!s->dec_done && (r = build_payloads(db, s)))
        return r;
    for (size_t i = 0; i < s->n_dec; i++) {
        const struct dec *d = &s->dec[i];
        const char *t = s->dpool + d->off;
        const uint64_t *bits = s->dhits + d->hits;
        r = run_variant(db, s, core, V_PRIMARY, bits, t, d->len, PL_INJECT_PASS_DECODED, d->depth,
                        res);
        if (r)
            return r;
        if (core)
            continue;
        r = run_variant(db, s, core, V_NOSPACE, bits, t, d->len, PL_INJECT_PASS_DECODED, d->depth,
                        res);
        if (!r && any_hit_or_unanchored(db, bits, core, V_VOWEL)) {
            if (reserve(&s->work, &s->work_cap, d->len + 1))
                return -ENOMEM;
            memcpy(s->work, t, d->len);
            pl_norm_fold_vowels(s->work, d->len);
            r = run_variant(db, s, core, V_VOWEL, bits, s->work, d->len, PL_INJECT_PASS_DECODED,
                            d->depth, res);
        }
        if (r)
            return r;
    }
    DONE_IF_FOUND(PL_INJECT_PASS_DECODED);
    return 0;
#undef DONE_IF_FOUND
}

int
pl_inject_scan(const struct pl_inject_db *db, struct pl_inject_scratch *s, struct pl_str text,
               struct pl_inject_result *res)
{
    int r;
    res->n = 0;
    res->truncated = false;
    res->core = false;
    res->pass = 0;
    if (s->gen != db->gen) {
        for (int k = 0; k < NADB; k++)
            if (db->hs[k] && hs_alloc_scratch(db->hs[k], &s->hs) != HS_SUCCESS)
                return -ENOMEM;
        s->gen = db->gen;
    }
    if ((r = ensure_hits_cap(db, s)))
        return r;
    s->t2_done = s->t3_done = s->t5_done = s->dec_done = false;
    s->n_dec = 0;
    if (pl_norm_is_identity(text, PL_NORM_MATCHING)) {
        s->t1 = text.p ? text.p : "";
        s->t1_len = text.len;
    } else {
        if ((r = normalize_into(text, PL_NORM_MATCHING, &s->buf1, &s->cap1, &s->t1_len)))
            return r;
        s->t1 = s->buf1;
    }
    /* Pass-1 anchors, for the leetspeak and vowel passes too. */
    if ((r = anchors(db, s, s->t1, s->t1_len, true, &s->has_leet, s->hits1)))
        return r;
    for (int tier = 0; tier < 2; tier++) {
        if ((r = run_tier(db, s, text, tier == 0, res)))
            break;
        if (res->n)
            return 0;
    }
    if (r) {
        res->n = 0;
        res->pass = 0;
    }
    return r;
}

/* ---------------------------------------------------------------- strip, names */

static int
cmp_match(const void *a, const void *b)
{
    const struct pl_inject_match *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

int
pl_inject_strip(const struct pl_inject_db *db, struct pl_inject_scratch *s,
                const struct pl_inject_result *res, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (res->truncated || res->pass == PL_INJECT_PASS_SPACED || res->pass == PL_INJECT_PASS_DECODED)
        return -ENOENT;
    struct pl_inject_match m[PL_INJECT_MAX_MATCHES];
    memcpy(m, res->m, res->n * sizeof(m[0]));
    qsort(m, res->n, sizeof(m[0]), cmp_match);
    struct pl_buf b;
    pl_buf_init(&b, SIZE_MAX / 2);
    size_t at = 0;
    int r = 0;
    for (size_t i = 0; i < res->n && !r; i++) {
        if (m[i].end > s->t1_len) {
            r = -ENOENT;
            break;
        }
        if (m[i].end <= at)
            continue; /* inside a span already replaced */
        size_t start = m[i].start > at ? m[i].start : at;
        r = pl_buf_add(&b, s->t1 + at, start - at);
        if (!r && (m[i].start >= at))
            r = pl_buf_printf(&b, REDACT_FMT, db->p[m[i].pattern].name);
        at = m[i].end;
    }
    if (!r)
        r = pl_buf_add(&b, s->t1 + at, s->t1_len - at);
    if (!r && !b.data)
        r = pl_buf_add_c(&b, ""); /* nothing to copy: still return a string */
    if (!r && !b.data && !(b.data = calloc(1, 1)))
        r = -ENOMEM;
    if (r) {
        pl_buf_done(&b);
        return r == -ENOENT ? r : -ENOMEM;
    }
    *out_len = b.len;
    *out = b.data; /* ownership passes to the caller */
    return 0;
}

const char *
pl_inject_names(const struct pl_inject_db *db, const struct pl_inject_result *res, char *buf,
                size_t size)
{
    size_t k = 0;
    bool cut = false;
    if (!size)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < res->n && !cut; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = res->m[j].pattern == res->m[i].pattern;
        if (seen)
            continue;
        const char *name = db->p[res->m[i].pattern].name;
        int n = snprintf(buf + k, size - k, "%s%s", k ? ", " : "", name);
        if (n < 0 || (size_t)n >= size - k)
            cut = true;
        else
            k += (size_t)n;
    }
    if (cut && size >= 4) {
        size_t at = k + 3 < size ? k : size - 4;
        memcpy(buf + at, "...", 4);
    }
    return buf;
}
