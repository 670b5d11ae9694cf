/*
 * Scanning-engine microbenchmarks: the URL pipeline, text DLP, raw engine throughput and
 * database compile time, each against a naive peer measured in the same run (every pattern
 * compiled alone with PCRE2 JIT, caseless, run over the text one pattern after another: the
 * reference program's approach with PCRE2 standing in for Go's RE2).
 *
 * Every input is generated deterministically. Each figure: warm-up, then 5 repetitions of N
 * iterations (N sized so one repetition takes ~SCAN_BENCH_SECONDS, default 0.5 s); the
 * median repetition's per-operation time is reported. Nothing is asserted about times.
 *
 * Output: a table on stdout, then one `figure <name> <value> <unit>` line per figure.
 * Build and run with bench/run-scan.sh; docs/benchmarks.md records the figures.
 */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/config.h"
#include "policy/dlp_policy.h"
#include "scan/dlp.h"
#include "scan/inject.h"
#include "scan/ip.h"
#include "scan/urlscan.h"

#define REPS 5

static double target_s = 0.5;

/* ---- timing ---- */

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef void (*bench_fn)(void *ctx);

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median per-call time in ns over REPS repetitions; *ret_iters receives N. */
static double
measure(bench_fn fn, void *ctx, uint64_t *ret_iters)
{
    /* Warm up and calibrate: double the batch until it takes >= 50 ms (or one call does). */
    uint64_t n = 1, t = 0;
    for (;;) {
        uint64_t t0 = now_ns();
        for (uint64_t i = 0; i < n; i++)
            fn(ctx);
        t = now_ns() - t0;
        if (t >= 50000000u)
            break;
        n *= 2;
    }
    double per = (double)t / (double)n;
    uint64_t iters = (uint64_t)(target_s * 1e9 / per);
    if (iters < 1)
        iters = 1;
    double v[REPS];
    for (int r = 0; r < REPS; r++) {
        uint64_t t0 = now_ns();
        for (uint64_t i = 0; i < iters; i++)
            fn(ctx);
        v[r] = (double)(now_ns() - t0) / (double)iters;
    }
    qsort(v, REPS, sizeof(v[0]), cmp_double);
    if (ret_iters)
        *ret_iters = iters;
    return v[REPS / 2];
}

/* ---- figures ---- */

struct figure {
    char name[64];
    double value;
    const char *unit;
};
static struct figure figs[128];
static size_t n_figs;

static void
add_figure(const char *name, double value, const char *unit)
{
    if (n_figs >= sizeof(figs) / sizeof(figs[0]))
        return;
    snprintf(figs[n_figs].name, sizeof(figs[n_figs].name), "%s", name);
    figs[n_figs].value = value;
    figs[n_figs].unit = unit;
    n_figs++;
}

static const char *
fmt_time(double ns, char *buf, size_t size)
{
    if (ns < 1e3)
        snprintf(buf, size, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(buf, size, "%.2f us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, size, "%.2f ms", ns / 1e6);
    else
        snprintf(buf, size, "%.2f s", ns / 1e9);
    return buf;
}

/* One table row: label, median time, optional throughput (bytes per op), note. */
static void
row(const char *label, double ns, size_t bytes, uint64_t iters, const char *note)
{
    char t[32], tp[32] = "";
    if (bytes)
        snprintf(tp, sizeof(tp), "%.1f MB/s", (double)bytes / ns * 1e3);
    printf("  %-46s %12s %14s %10llu  %s\n", label, fmt_time(ns, t, sizeof(t)), tp,
           (unsigned long long)iters, note ? note : "");
}

static void
header(const char *title)
{
    printf("\n%s\n  %-46s %12s %14s %10s  %s\n", title, "case", "median/op", "throughput",
           "iters/rep", "note");
}

/* ---- deterministic text ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t
rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static const char *const words[] = {
    "the",       "of",       "and",       "to",        "in",        "is",       "that",
    "for",       "it",       "as",        "was",       "with",      "be",       "by",
    "on",        "not",      "this",      "are",       "from",      "at",       "which",
    "an",        "have",     "has",       "but",       "or",        "were",     "they",
    "their",     "been",     "one",       "would",     "more",      "when",     "will",
    "there",     "can",      "we",        "all",       "about",     "system",   "request",
    "response",  "function", "customer",  "report",    "quarter",   "analysis", "summary",
    "proposal",  "meeting",  "schedule",  "deploy",    "service",   "database", "query",
    "results",   "model",    "language",  "question",  "answer",    "document", "section",
    "following", "example",  "important", "describe",  "explain",   "improve",  "performance",
    "network",   "security", "project",   "team",      "customers", "feedback", "design",
    "please",    "could",    "should",    "because",   "between",   "however",  "therefore",
    "during",    "without",  "several",   "different", "available", "version",  "release",
    "migration", "weather",  "travel",    "recipe",    "history",   "library",  "garden",
};
#define N_WORDS (sizeof(words) / sizeof(words[0]))

struct sbuf {
    char *p;
    size_t len, cap;
};

static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            perror("realloc");
            exit(2);
        }
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void
sb_puts(struct sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* A number as prose carries it: 7, 42, 1999, 3.14, 2024-05-17, 12,500, 555-0143, 10 digits. */
static void
sb_number(struct sbuf *b)
{
    char t[40];
    switch (rnd(8)) {
    case 0:
        snprintf(t, sizeof(t), "%u", rnd(10));
        break;
    case 1:
        snprintf(t, sizeof(t), "%u", 10 + rnd(990));
        break;
    case 2:
        snprintf(t, sizeof(t), "%u", 1990 + rnd(40));
        break;
    case 3:
        snprintf(t, sizeof(t), "%u.%02u", rnd(100), rnd(100));
        break;
    case 4:
        snprintf(t, sizeof(t), "2024-%02u-%02u", 1 + rnd(12), 1 + rnd(28));
        break;
    case 5:
        snprintf(t, sizeof(t), "%u,%03u", 1 + rnd(99), rnd(1000));
        break;
    case 6:
        snprintf(t, sizeof(t), "555-%04u", rnd(10000));
        break;
    default:
        snprintf(t, sizeof(t), "%u%05u", 10000 + rnd(90000), rnd(100000));
        break;
    }
    sb_puts(b, t);
}

/* One sentence of prose; digits_every > 0 puts a number about every that many words. */
static void
sb_sentence(struct sbuf *b, int digits_every)
{
    int n = 6 + (int)rnd(12);
    for (int i = 0; i < n; i++) {
        if (i)
            sb_puts(b, " ");
        if (digits_every > 0 && i > 0 && rnd((uint32_t)digits_every) == 0) {
            sb_number(b);
            continue;
        }
        const char *w = words[rnd(N_WORDS)];
        if (i == 0) {
            char c = (char)(w[0] - 'a' + 'A');
            sb_put(b, &c, 1);
            sb_puts(b, w + 1);
        } else {
            sb_puts(b, w);
        }
        if (i + 1 < n && rnd(9) == 0)
            sb_puts(b, ",");
    }
    sb_puts(b, rnd(6) == 0 ? "? " : ". ");
}

static struct sbuf
gen_prose(size_t len, int digits_every)
{
    struct sbuf b = {0};
    while (b.len < len) {
        sb_sentence(&b, digits_every);
        if (rnd(5) == 0)
            sb_puts(&b, "\n\n");
    }
    b.len = len;
    b.p[len] = 0;
    return b;
}

/* A chat-completion request body of about len bytes (at least one message more). */
static struct sbuf
gen_chat_json(size_t len)
{
    static const char *const urls[] = {
        "https://en.wikipedia.org/wiki/Regular_expression",
        "https://docs.python.org/3/library/re.html",
        "https://github.com/intel/hyperscan/blob/master/README.md",
    };
    struct sbuf b = {0};
    sb_puts(&b, "{\"model\":\"gpt-4o-2024-08-06\",\"temperature\":0.7,\"max_tokens\":1024,"
                "\"top_p\":1,\"stream\":false,\"user\":\"user-48213\",\"messages\":[");
    sb_puts(&b, "{\"role\":\"system\",\"content\":\"You are a helpful assistant. Answer "
                "concisely and cite your sources.\"}");
    int m = 0;
    while (b.len + 200 < len) {
        sb_puts(&b, m % 2 ? ",{\"role\":\"assistant\",\"content\":\""
                          : ",{\"role\":\"user\",\"content\":\"");
        int sentences = 3 + (int)rnd(8);
        for (int i = 0; i < sentences; i++)
            sb_sentence(&b, 12);
        if (m < 3) {
            sb_puts(&b, "See ");
            sb_puts(&b, urls[m]);
            sb_puts(&b, " for details.");
        }
        sb_puts(&b, "\"}");
        m++;
    }
    sb_puts(&b, "]}");
    return b;
}

/* JSON of about len bytes: an array of chat requests, as a log or batch file would hold. */
static struct sbuf
gen_json(size_t len)
{
    struct sbuf b = {0};
    sb_puts(&b, "[");
    while (b.len < len) {
        struct sbuf one = gen_chat_json(2048 + rnd(8192));
        if (b.len > 1)
            sb_puts(&b, ",\n");
        sb_put(&b, one.p, one.len);
        free(one.p);
    }
    sb_puts(&b, "]");
    return b;
}

/* ---- URLs ---- */

/* Split a well-formed scheme://host[:port]/path?query (as tests/unit/scan/test_urlscan.c). */
static struct pl_urlscan_url
split_url(const char *url)
{
    struct pl_urlscan_url u = {.raw = pl_str_c(url)};
    const char *p = strstr(url, "://");
    u.scheme = pl_str_from(url, (size_t)(p - url));
    const char *h = p + 3, *he = h;
    while (*he && *he != '/' && *he != '?' && *he != ':')
        he++;
    u.host = pl_str_from(h, (size_t)(he - h));
    const char *ps = strchr(he, '/');
    const char *q = strchr(he, '?');
    if (ps && (!q || ps < q))
        u.path = pl_str_from(ps, (size_t)((q ? q : url + strlen(url)) - ps));
    if (q)
        u.query = pl_str_c(q + 1);
    return u;
}

struct url_ctx {
    const struct pl_urlscan_cfg *cfg;
    struct pl_dlp_scratch *s;
    struct pl_urlscan_url u;
    struct pl_urlscan_verdict v;
};

static void
run_url(void *c)
{
    struct url_ctx *x = c;
    if (pl_urlscan_run(x->cfg, x->s, &x->u, &x->v) == 0 && !x->v.blocked)
        pl_urlscan_length(x->cfg, x->u.raw, &x->v);
}

struct text_ctx {
    const struct pl_dlp_db *db;
    struct pl_dlp_scratch *s;
    struct pl_str text;
    struct pl_dlp_result res;
    int rc;
};

static void
run_text(void *c)
{
    struct text_ctx *x = c;
    memset(&x->res, 0, sizeof(x->res));
    x->rc = pl_dlp_scan_text(x->db, x->s, x->text, &x->res);
}

static void
run_raw(void *c)
{
    struct text_ctx *x = c;
    struct pl_dlp_target t = {x->text, PL_VIEW_RAW};
    memset(&x->res, 0, sizeof(x->res));
    x->rc = pl_dlp_scan(x->db, x->s, &t, 1, PL_STR_NULL, &x->res);
}

/* ---- the peer: one PCRE2 JIT program per pattern, run one after another ---- */

struct peer {
    pcre2_code **code;
    pcre2_match_data **md;
    size_t n;
    pcre2_match_context *mctx;
    pcre2_jit_stack *stack;
    size_t matches; /* last run */
};

static int
peer_init(struct peer *p, const struct pl_dlp_spec *specs, size_t n)
{
    p->code = calloc(n, sizeof(*p->code));
    p->md = calloc(n, sizeof(*p->md));
    p->n = n;
    p->stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    p->mctx = pcre2_match_context_create(NULL);
    pcre2_jit_stack_assign(p->mctx, NULL, p->stack);
    for (size_t i = 0; i < n; i++) {
        int err;
        PCRE2_SIZE off;
        p->code[i] = pcre2_compile((PCRE2_SPTR)specs[i].regex, PCRE2_ZERO_TERMINATED,
                                   PCRE2_CASELESS, &err, &off, NULL);
        if (!p->code[i]) {
            fprintf(stderr, "peer: %s: PCRE2 compile error %d\n", specs[i].name, err);
            return -1;
        }
        if (pcre2_jit_compile(p->code[i], PCRE2_JIT_COMPLETE) != 0) {
            fprintf(stderr, "peer: %s: JIT compile failed\n", specs[i].name);
            return -1;
        }
        p->md[i] = pcre2_match_data_create_from_pattern(p->code[i], NULL);
    }
    return 0;
}

static void
peer_done(struct peer *p)
{
    for (size_t i = 0; i < p->n; i++) {
        pcre2_match_data_free(p->md[i]);
        pcre2_code_free(p->code[i]);
    }
    free(p->md);
    free(p->code);
    pcre2_match_context_free(p->mctx);
    pcre2_jit_stack_free(p->stack);
}

/* Every pattern over text, every match found (as FindAll would). */
static size_t
peer_scan(struct peer *p, const char *text, size_t len)
{
    size_t matches = 0;
    for (size_t i = 0; i < p->n; i++) {
        PCRE2_SIZE start = 0;
        while (start <= len) {
            int rc =
                pcre2_jit_match(p->code[i], (PCRE2_SPTR)text, len, start, 0, p->md[i], p->mctx);
            if (rc < 0)
                break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md[i]);
            matches++;
            start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        }
    }
    return matches;
}

struct peer_ctx {
    struct peer *p;
    const struct pl_str *t; /* targets */
    size_t n;
};

static void
run_peer(void *c)
{
    struct peer_ctx *x = c;
    size_t m = 0;
    for (size_t i = 0; i < x->n; i++)
        m += peer_scan(x->p, x->t[i].p, x->t[i].len);
    x->p->matches = m;
}

/* Percent-decode into a new string (the peer's decoded view). */
static char *
pct_decode(const char *s, size_t len)
{
    char *o = malloc(len + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && pl_hex_value(s[i + 1]) >= 0 &&
            pl_hex_value(s[i + 2]) >= 0) {
            o[k++] = (char)(pl_hex_value(s[i + 1]) * 16 + pl_hex_value(s[i + 2]));
            i += 2;
        } else {
            o[k++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    o[k] = 0;
    return o;
}

/*
 * The URL targets the reference's URL DLP builds (approximately): the raw URL, its decoded
 * form, the host, the decoded path, the decoded query, every query key and value, and the
 * values concatenated. Strings are malloc'd into store[]; returns the count.
 */
static size_t
peer_url_targets(const struct pl_urlscan_url *u, struct pl_str *t, char **store, size_t max)
{
    size_t n = 0, ns = 0;
#define ADD_OWNED(s_)               \
    do {                            \
        char *s__ = (s_);           \
        if (n < max) {              \
            store[ns++] = s__;      \
            t[n++] = pl_str_c(s__); \
        } else {                    \
            free(s__);              \
        }                           \
    } while (0)
    t[n++] = u->raw;
    ADD_OWNED(pct_decode(u->raw.p, u->raw.len));
    t[n++] = u->host;
    if (u->path.len)
        ADD_OWNED(pct_decode(u->path.p, u->path.len));
    if (u->query.len) {
        ADD_OWNED(pct_decode(u->query.p, u->query.len));
        char concat[2048] = "";
        size_t cl = 0;
        const char *q = u->query.p, *end = u->query.p + u->query.len;
        while (q < end) {
            const char *amp = memchr(q, '&', (size_t)(end - q));
            if (!amp)
                amp = end;
            const char *eq = memchr(q, '=', (size_t)(amp - q));
            if (eq) {
                ADD_OWNED(pct_decode(q, (size_t)(eq - q)));
                char *v = pct_decode(eq + 1, (size_t)(amp - eq - 1));
                size_t vl = strlen(v);
                if (cl + vl < sizeof(concat)) {
                    memcpy(concat + cl, v, vl);
                    cl += vl;
                    concat[cl] = 0;
                }
                ADD_OWNED(v);
            }
            q = amp + 1;
        }
        ADD_OWNED(strdup(concat));
    }
#undef ADD_OWNED
    return n;
}

/* ---- main ---- */

static void
build_specs(struct pl_dlp_spec *sp, size_t *ret_n)
{
    size_t n = 0;
    for (size_t i = 0; i < pl_dlp_core_count; i++) {
        const struct pl_dlp_def *d = &pl_dlp_core_defs[i];
        sp[n++] = (struct pl_dlp_spec){d->name, d->regex, d->severity, d->validator,
                                       true,    false,    NULL,        0};
    }
    for (size_t i = 0; i < pl_dlp_builtin_count; i++) {
        const struct pl_dlp_def *d = &pl_dlp_builtin_defs[i];
        sp[n++] = (struct pl_dlp_spec){d->name, d->regex, d->severity, d->validator,
                                       false,   false,    NULL,        0};
    }
    *ret_n = n;
}

static const char *
result_note(const struct pl_dlp_db *db, const struct pl_dlp_result *res, int rc, char *buf,
            size_t size)
{
    if (rc < 0)
        snprintf(buf, size, "scan error %d", rc);
    else if (res->n == 0)
        snprintf(buf, size, "clean (0 findings)");
    else
        snprintf(buf, size, "%zu finding(s), first: %s", res->n,
                 pl_dlp_db_name(db, res->f[0].pattern));
    return buf;
}

/* ---- response (prompt-injection) scanning ---- */

struct inj_ctx {
    const struct pl_inject_db *db;
    struct pl_inject_scratch *s;
    struct pl_str text;
    struct pl_inject_result res;
    int rc;
    /* SSE: also DLP on the event with its tail, as the proxy does */
    const struct pl_dlp_db *dlp;
    struct pl_dlp_scratch *ds;
};

static void
run_inject(void *ctx)
{
    struct inj_ctx *x = ctx;
    x->rc = pl_inject_scan(x->db, x->s, x->text, &x->res);
}

static void
run_sse_event(void *ctx)
{
    struct inj_ctx *x = ctx;
    struct pl_dlp_result r;
    x->rc = pl_inject_scan(x->db, x->s, x->text, &x->res);
    x->rc |= pl_dlp_scan_text(x->dlp, x->ds, x->text, &r);
}

/* Peer: each built-in pattern's full regex with PCRE2 JIT over the text, one after another
 * (the reference's primary pass alone, without its other five passes). */
struct inj_peer {
    pcre2_code *code[64];
    pcre2_match_data *md;
    size_t n;
    struct pl_str text;
};

static void
run_inj_peer(void *ctx)
{
    struct inj_peer *p = ctx;
    for (size_t i = 0; i < p->n; i++)
        (void)pcre2_match(p->code[i], (PCRE2_SPTR)p->text.p, p->text.len, 0, 0, p->md, NULL);
}

int
main(void)
{
    const char *env = getenv("SCAN_BENCH_SECONDS");
    if (env && atof(env) > 0)
        target_s = atof(env);
    const char *only = getenv("SCAN_BENCH_ONLY"); /* "url", "text", "raw", ... for profiling */
#define WANT(x) (!only || strstr(only, (x)))
    const char *one = getenv("SCAN_BENCH_CASE"); /* one URL or text key, for profiling */
    bool no_peer = getenv("SCAN_BENCH_NO_PEER") != NULL;
#define WANT_CASE(k) (!one || !strcmp(one, (k)))

    /* The default policy, filled as src/proxy/policy_check.c urlscan_cfg() does. */
    struct pl_config *cfg = pl_config_defaults();
    if (!cfg) {
        fprintf(stderr, "pl_config_defaults failed\n");
        return 2;
    }
    struct pl_dlp_db *db = NULL;
    char *err = NULL;
    uint64_t compile_ns = 0;
    if (pl_policy_build_dlp(cfg, NULL, &db, &compile_ns, &err) < 0) {
        fprintf(stderr, "pl_policy_build_dlp: %s\n", err ? err : "?");
        return 2;
    }
    struct pl_cidr_list core = {0}, ssrf = {0};
    for (size_t i = 0; i < pl_ip_core_internal_count; i++) {
        struct pl_cidr c;
        if (pl_cidr_parse(pl_str_c(pl_ip_core_internal[i]), false, &c) == 0)
            pl_cidr_list_add(&core, &c);
    }
    for (size_t i = 0; i < cfg->internal.n; i++)
        pl_cidr_list_add(&ssrf, &cfg->internal.v[i]);
    for (size_t i = 0; i < core.n; i++)
        pl_cidr_list_add(&ssrf, &core.v[i]);
    struct pl_urlscan_cfg ucfg = {
        .strict = cfg->mode == PL_MODE_STRICT,
        .allowlist = cfg->api_allowlist.v,
        .n_allowlist = cfg->api_allowlist.n,
        .blocklist = cfg->fetch_proxy.monitoring.blocklist.v,
        .n_blocklist = cfg->fetch_proxy.monitoring.blocklist.n,
        .internal_empty = cfg->internal.n == 0,
        .core = &core,
        .ssrf_set = &ssrf,
        .ip_allowlist = &cfg->ssrf_ip_allowlist,
        .dlp = db,
        .entropy_threshold = cfg->fetch_proxy.monitoring.entropy_threshold,
        .subdomain_entropy_threshold = cfg->fetch_proxy.monitoring.subdomain_entropy_threshold,
        .entropy_exclusions = cfg->fetch_proxy.monitoring.subdomain_entropy_exclusions.v,
        .n_entropy_exclusions = cfg->fetch_proxy.monitoring.subdomain_entropy_exclusions.n,
        .max_url_length = (size_t)(cfg->fetch_proxy.monitoring.max_url_length > 0
                                       ? cfg->fetch_proxy.monitoring.max_url_length
                                       : 0),
        .seed_phrase = true,
        .seed_min_words = 12,
        .seed_verify_checksum = true,
    };
    struct pl_dlp_scratch *s = pl_dlp_scratch_new();

    struct pl_dlp_spec specs[128];
    size_t n_specs;
    build_specs(specs, &n_specs);
    struct peer peer = {0};
    if (peer_init(&peer, specs, n_specs) < 0)
        return 2;

    printf("pipelock scanning-engine microbenchmarks\n");
    printf("  database: %zu patterns (%zu PCRE2-only), %zu bytes; peer: %zu PCRE2 JIT programs\n",
           pl_dlp_db_count(db), pl_dlp_db_pcre_only(db), pl_dlp_db_bytes(db), peer.n);
    printf("  each figure: median of %d repetitions of ~%.2f s, per operation\n", REPS, target_s);

    char note[160], name[64];
    uint64_t iters;

    /* 1 + 2: the URL pipeline. */
    static const struct {
        const char *key, *label, *url;
    } urls[] = {
        {"registry", "allowed: registry tarball",
         "https://registry.npmjs.org/express/-/express-4.18.2.tgz"},
        {"api3q", "allowed: API, 3 query params",
         "https://api.github.com/search/repositories?q=vectorscan+regex&sort=stars&per_page=20"},
        {"cdnhash", "allowed: long CDN URL with hash",
         "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.5.1/webfonts/"
         "fa-solid-900.woff2?v=6.5.1&sha=3f9a2c7e1b8d4f60a5e2c9b7d1f3a8e4c6b0d2e9"},
        {"block_aws", "DLP block: AWS key in query",
         "https://example.com/upload?user=alice&key=AKIAIOSFODNN7EXAMPLE&ts=1718000000"},
        {"block_b64", "DLP block: base64 Anthropic key in value",
         "https://collector.example.net/v1/event?id=42&data="
         "c2stYW50LWFwaTAzLVhxN0xtTjJwUjhzVDR2Vzl5WjFiQzNkRjVnSDZqSzA%3D"},
    };
    double url_ns[8] = {0};
    size_t url_targets[8] = {0};
    if (WANT("url")) {
        header("URL pipeline (pl_urlscan_run + length, no DNS; default policy)");
        for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
            if (!WANT_CASE(urls[i].key))
                continue;
            struct url_ctx x = {.cfg = &ucfg, .s = s, .u = split_url(urls[i].url)};
            double ns = measure(run_url, &x, &iters);
            snprintf(note, sizeof(note), "%s: %s", x.v.blocked ? "blocked" : "allowed",
                     x.v.scanner);
            row(urls[i].label, ns, 0, iters, note);
            snprintf(name, sizeof(name), "url_%s", urls[i].key);
            add_figure(name, ns, "ns");
            url_ns[i] = ns;
        }
        header("Peer: every pattern (PCRE2 JIT) over each URL target (patterns x targets)");
        for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
            if (no_peer || !WANT_CASE(urls[i].key))
                continue;
            struct pl_urlscan_url u = split_url(urls[i].url);
            struct pl_str t[32];
            char *store[32] = {0};
            size_t nt = peer_url_targets(&u, t, store, 32);
            struct peer_ctx x = {&peer, t, nt};
            double ns = measure(run_peer, &x, &iters);
            snprintf(note, sizeof(note),
                     "%zu targets x %zu patterns, %zu match(es); ours/peer %.3f", nt, peer.n,
                     peer.matches, url_ns[i] / ns);
            row(urls[i].label, ns, 0, iters, note);
            snprintf(name, sizeof(name), "peer_url_%s", urls[i].key);
            add_figure(name, ns, "ns");
            snprintf(name, sizeof(name), "ratio_url_%s", urls[i].key);
            add_figure(name, url_ns[i] / ns, "x");
            url_targets[i] = nt;
            for (size_t k = 0; k < 32; k++)
                free(store[k]);
        }
        (void)url_targets;
    }

    /* 3: text DLP. */
    struct sbuf chat = gen_chat_json(10 * 1024);
    struct sbuf prose90 = gen_prose(90, 0);
    struct sbuf prose10k = gen_prose(10 * 1024, 0);
    static const char *const text_keys[] = {"json10k", "prose90", "prose10k"};
    struct sbuf *texts[] = {&chat, &prose90, &prose10k};
    const char *text_labels[] = {"chat-completion JSON", "prose", "prose"};
    if (WANT("text")) {
        double tns[3] = {0};
        header("Text DLP (pl_dlp_scan_text: normalise, URL-decode, dot-less, decodings, depth 3)");
        for (size_t i = 0; i < 3; i++) {
            if (!WANT_CASE(text_keys[i]))
                continue;
            struct text_ctx x = {.db = db, .s = s, .text = pl_str_from(texts[i]->p, texts[i]->len)};
            double ns = measure(run_text, &x, &iters);
            char label[64];
            snprintf(label, sizeof(label), "%s, %zu B", text_labels[i], texts[i]->len);
            row(label, ns, texts[i]->len, iters, result_note(db, &x.res, x.rc, note, sizeof(note)));
            snprintf(name, sizeof(name), "text_%s", text_keys[i]);
            add_figure(name, ns, "ns");
            tns[i] = ns;
        }
        header("Peer: every pattern (PCRE2 JIT) over the text once (no decoded views)");
        for (size_t i = 0; i < 3; i++) {
            if (no_peer || !WANT_CASE(text_keys[i]))
                continue;
            struct pl_str t = pl_str_from(texts[i]->p, texts[i]->len);
            struct peer_ctx x = {&peer, &t, 1};
            double ns = measure(run_peer, &x, &iters);
            char label[64];
            snprintf(label, sizeof(label), "%s, %zu B", text_labels[i], texts[i]->len);
            snprintf(note, sizeof(note), "%zu match(es); ours/peer %.3f", peer.matches,
                     tns[i] / ns);
            row(label, ns, texts[i]->len, iters, note);
            snprintf(name, sizeof(name), "peer_text_%s", text_keys[i]);
            add_figure(name, ns, "ns");
            snprintf(name, sizeof(name), "ratio_text_%s", text_keys[i]);
            add_figure(name, tns[i] / ns, "x");
        }
    }

    /* 4: raw engine throughput, one target. */
    if (WANT("raw")) {
        static const struct {
            const char *key, *label;
            size_t len;
            int kind; /* 0 prose, 1 json, 2 prose with numbers */
        } raws[] = {
            {"prose_1m", "prose", 1u << 20, 0},
            {"prose_16m", "prose", 16u << 20, 0},
            {"json_1m", "JSON", 1u << 20, 1},
            {"json_16m", "JSON", 16u << 20, 1},
            {"digits_1m", "prose + numbers", 1u << 20, 2},
            {"digits_16m", "prose + numbers", 16u << 20, 2},
        };
        header("Raw engine (pl_dlp_scan, one target, no views)");
        struct sbuf bufs[6];
        double rns[6];
        for (size_t i = 0; i < 6; i++) {
            bufs[i] = (struct sbuf){0};
            rns[i] = 0;
            if (!WANT_CASE(raws[i].key))
                continue;
            bufs[i] = raws[i].kind == 1 ? gen_json(raws[i].len)
                                        : gen_prose(raws[i].len, raws[i].kind == 2 ? 4 : 0);
            struct text_ctx x = {.db = db, .s = s, .text = pl_str_from(bufs[i].p, bufs[i].len)};
            double ns = measure(run_raw, &x, &iters);
            char label[64];
            snprintf(label, sizeof(label), "%s, %.0f MiB", raws[i].label,
                     (double)bufs[i].len / 1048576.0);
            row(label, ns, bufs[i].len, iters, result_note(db, &x.res, x.rc, note, sizeof(note)));
            snprintf(name, sizeof(name), "raw_%s", raws[i].key);
            add_figure(name, (double)bufs[i].len / ns * 1e3, "MB/s");
            rns[i] = ns;
        }
        header("Peer: every pattern (PCRE2 JIT) over the text, one after another (1 MiB only)");
        for (size_t i = 0; i < 6; i++) {
            if (no_peer || raws[i].len > (1u << 20) || !WANT_CASE(raws[i].key))
                continue;
            struct pl_str t = pl_str_from(bufs[i].p, bufs[i].len);
            struct peer_ctx x = {&peer, &t, 1};
            double ns = measure(run_peer, &x, &iters);
            char label[64];
            snprintf(label, sizeof(label), "%s, %.0f MiB (%zu passes)", raws[i].label,
                     (double)bufs[i].len / 1048576.0, peer.n);
            snprintf(note, sizeof(note), "%zu match(es); ours/peer %.4f", peer.matches,
                     rns[i] / ns);
            row(label, ns, bufs[i].len, iters, note);
            snprintf(name, sizeof(name), "peer_raw_%s", raws[i].key);
            add_figure(name, (double)bufs[i].len / ns * 1e3, "MB/s");
            snprintf(name, sizeof(name), "ratio_raw_%s", raws[i].key);
            add_figure(name, rns[i] / ns, "x");
        }
        for (size_t i = 0; i < 6; i++)
            free(bufs[i].p);
        /* The smallest input: one short target, the analogue of a keyword pre-filter. */
        if (WANT_CASE("prose90")) {
            header("Raw engine on a short input (pl_dlp_scan, one target)");
            struct text_ctx x = {.db = db, .s = s, .text = pl_str_from(prose90.p, prose90.len)};
            double ns = measure(run_raw, &x, &iters);
            char label[64];
            snprintf(label, sizeof(label), "prose, %zu B", prose90.len);
            row(label, ns, prose90.len, iters, result_note(db, &x.res, x.rc, note, sizeof(note)));
            add_figure("raw_prose90", ns, "ns");
        }
    }

    /* 6: response (prompt-injection) scanning, all six passes. */
    if (WANT("inject")) {
        struct pl_inject_options io = {.enabled = true, .include_defaults = true};
        struct pl_inject_db *idb = NULL;
        char ierr[256];
        uint64_t t0 = now_ns();
        if (pl_inject_compile(&io, &idb, ierr, sizeof(ierr)) < 0) {
            fprintf(stderr, "pl_inject_compile: %s\n", ierr);
            return 2;
        }
        double first_ns = (double)(now_ns() - t0);
        struct pl_inject_db *idb2 = NULL;
        t0 = now_ns();
        if (pl_inject_compile(&io, &idb2, ierr, sizeof(ierr)) < 0)
            return 2;
        double again_ns = (double)(now_ns() - t0);
        pl_inject_free(idb2);
        struct inj_peer ip = {.md = pcre2_match_data_create(1, NULL)};
        for (size_t i = 0; i < pl_inject_builtin_count && i < 64; i++) {
            int e;
            PCRE2_SIZE off;
            const struct pl_inject_def *d = &pl_inject_builtin_defs[i];
            ip.code[ip.n] = pcre2_compile((PCRE2_SPTR)d->regex, PCRE2_ZERO_TERMINATED,
                                          PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE |
                                              (d->case_sensitive ? 0 : PCRE2_CASELESS),
                                          &e, &off, NULL);
            if (ip.code[ip.n]) {
                pcre2_jit_compile(ip.code[ip.n], PCRE2_JIT_COMPLETE);
                ip.n++;
            }
        }
        struct pl_inject_scratch *is = pl_inject_scratch_new();
        struct sbuf mb = gen_prose(1 << 20, 0);
        struct sbuf ev100 = gen_prose(100, 0);
        struct sbuf ev612 = gen_prose(612, 0); /* an event with the 512-byte tail of earlier ones */
        static const char *const keys[] = {"prose90", "prose10k", "json10k",
                                           "prose1m", "sse100",   "sse612"};
        struct sbuf *in[] = {&prose90, &prose10k, &chat, &mb, &ev100, &ev612};
        header("Response scanning (pl_inject_scan: 25 patterns, six passes; clean text)");
        for (size_t i = 0; i < PL_ARRAY_SIZE(keys); i++) {
            if (!WANT_CASE(keys[i]))
                continue;
            struct inj_ctx x = {.db = idb, .s = is, .text = pl_str_from(in[i]->p, in[i]->len)};
            double ns = measure(run_inject, &x, &iters);
            snprintf(note, sizeof(note), "%s", x.rc ? "error" : x.res.n ? "MATCH" : "clean");
            char label[64];
            snprintf(label, sizeof(label), "%s, %zu B", keys[i], in[i]->len);
            row(label, ns, in[i]->len, iters, note);
            snprintf(name, sizeof(name), "inject_%s", keys[i]);
            add_figure(name, ns / 1e3, "us");
            if (!no_peer && i < 4) {
                ip.text = x.text;
                double pns = measure(run_inj_peer, &ip, &iters);
                snprintf(label, sizeof(label), "peer: PCRE2 JIT x%zu, primary pass only", ip.n);
                row(label, pns, in[i]->len, iters, "");
                snprintf(name, sizeof(name), "inject_peer_%s", keys[i]);
                add_figure(name, pns / 1e3, "us");
            }
        }
        /* Per SSE event: with the 512-byte window of earlier events (what the proxy does), and
         * alone (the first event of a stream, or the reference's shape). */
        static const struct {
            const char *key, *label;
        } sse_cases[] = {
            {"sse_event", "SSE event: 100 B + 512 B tail, injection + DLP"},
            {"sse_event_alone", "SSE event: 100 B alone, injection + DLP"},
        };
        struct sbuf *sse_in[] = {&ev612, &ev100};
        for (size_t i = 0; i < PL_ARRAY_SIZE(sse_cases); i++) {
            if (!WANT_CASE(sse_cases[i].key))
                continue;
            struct inj_ctx x = {.db = idb,
                                .s = is,
                                .text = pl_str_from(sse_in[i]->p, sse_in[i]->len),
                                .dlp = db,
                                .ds = s};
            double ns = measure(run_sse_event, &x, &iters);
            row(sse_cases[i].label, ns, 0, iters, "");
            snprintf(name, sizeof(name), "inject_%s", sse_cases[i].key);
            add_figure(name, ns / 1e3, "us");
        }
        row("pl_inject_compile, first in the process", first_ns, 0, 1, "built-in anchors");
        row("pl_inject_compile, again (reload)", again_ns, 0, 1, "anchors shared");
        add_figure("inject_compile_first", first_ns / 1e6, "ms");
        add_figure("inject_compile_again", again_ns / 1e6, "ms");
        for (size_t i = 0; i < ip.n; i++)
            pcre2_code_free(ip.code[i]);
        pcre2_match_data_free(ip.md);
        pl_inject_scratch_free(is);
        pl_inject_free(idb);
        free(mb.p);
        free(ev100.p);
        free(ev612.p);
    }

    /* 5: compile time and memory (each compile timed once; median of REPS compiles). */
    if (WANT("compile")) {
        header("Compile of the default database (median of 5 compiles)");
        double v[REPS], w[REPS], pv[REPS];
        for (int r = 0; r < REPS; r++) {
            struct pl_dlp_db *d = NULL;
            uint64_t t0 = now_ns();
            if (pl_policy_build_dlp(cfg, NULL, &d, NULL, &err) < 0)
                return 2;
            v[r] = (double)(now_ns() - t0);
            pl_dlp_db_free(d);
            t0 = now_ns();
            if (pl_dlp_compile(specs, n_specs, &d, &err) < 0)
                return 2;
            w[r] = (double)(now_ns() - t0);
            pl_dlp_db_free(d);
            struct peer pp = {0};
            t0 = now_ns();
            peer_init(&pp, specs, n_specs);
            pv[r] = (double)(now_ns() - t0);
            peer_done(&pp);
        }
        qsort(v, REPS, sizeof(v[0]), cmp_double);
        qsort(w, REPS, sizeof(w[0]), cmp_double);
        qsort(pv, REPS, sizeof(pv[0]), cmp_double);
        row("pl_policy_build_dlp(pl_config_defaults())", v[REPS / 2], 0, 1, "");
        row("pl_dlp_compile(core + built-ins)", w[REPS / 2], 0, 1, "");
        row("peer: pcre2_compile + JIT of each pattern", pv[REPS / 2], 0, 1, "");
        printf("  database memory (pl_dlp_db_bytes): %zu bytes (%.1f KiB)\n", pl_dlp_db_bytes(db),
               (double)pl_dlp_db_bytes(db) / 1024.0);
        add_figure("compile_policy", v[REPS / 2] / 1e6, "ms");
        add_figure("compile_dlp", w[REPS / 2] / 1e6, "ms");
        add_figure("peer_compile", pv[REPS / 2] / 1e6, "ms");
        add_figure("db_bytes", (double)pl_dlp_db_bytes(db), "B");
    }

    printf("\n");
    for (size_t i = 0; i < n_figs; i++)
        printf("figure %s %.4g %s\n", figs[i].name, figs[i].value, figs[i].unit);

    free(chat.p);
    free(prose90.p);
    free(prose10k.p);
    peer_done(&peer);
    pl_dlp_scratch_free(s);
    pl_dlp_db_free(db);
    pl_cidr_list_done(&core);
    pl_cidr_list_done(&ssrf);
    pl_config_free(cfg);
    free(err);
    return 0;
}
