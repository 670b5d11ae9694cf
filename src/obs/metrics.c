/*
 * Per-thread metric shards and the Prometheus text renderer (see metrics.h).
 */
#include "obs/metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_build.h"
#include "util/common.h"

#define LABELS_MAX  160 /* escaped `k="v",k="v"` text of one series */
#define TAB_SIZE    512 /* labelled series per shard (power of two) */
#define DOMAINS_MAX 128 /* blocked-domain entries per shard (for /stats), within TAB_SIZE */
#define HB_MAX      10  /* histogram buckets, +Inf excluded */

/* Internal family: blocked base domains for /stats (not exported on /metrics). */
#define FAM_DOMAIN PL_ML_N

struct lentry {
    _Atomic uint64_t v;
    uint32_t hash;
    uint8_t fam; /* 0 = free; family + 1 otherwise */
    char labels[LABELS_MAX];
};

struct hist {
    _Atomic uint64_t b[HB_MAX + 1];
    _Atomic uint64_t sum_ns;
};

struct pl_metrics_shard {
    _Atomic uint64_t agent[PL_METRICS_AGENTS][PL_MC_N_AGENT];
    _Atomic uint64_t plain[PL_MU_N];
    struct hist h[PL_MH_N];
    _Atomic uint64_t dropped; /* labelled series that did not fit */
    pthread_mutex_t mu;       /* the labelled table (and, for the shared shard, everything) */
    struct lentry *tab;       /* owned, TAB_SIZE entries */
    size_t n_used;
    size_t n_domains;
    bool shared;
} __attribute__((aligned(64)));

struct pl_metrics {
    int n_shards; /* workers + 1 (the last one is shared) */
    struct pl_metrics_shard *shards;
    pthread_mutex_t agents_mu;
    _Atomic size_t n_agents; /* published after the name is written */
    char agents[PL_METRICS_AGENTS][68];
};

static const struct {
    const char *name, *help;
    unsigned nb;
    double bounds[HB_MAX];
} hists[PL_MH_N] = {
    [PL_MH_REQUEST_DURATION] = {"pipelock_request_duration_seconds",
                                "Duration of fetch and forward HTTP requests.",
                                9,
                                {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}},
    [PL_MH_TUNNEL_DURATION] = {"pipelock_tunnel_duration_seconds",
                               "Duration of CONNECT tunnels.",
                               7,
                               {1, 5, 10, 30, 60, 120, 300}},
};

static const struct {
    const char *name, *help, *k1, *k2;
} lfams[PL_ML_N] = {
    [PL_ML_SCANNER_HITS] = {"pipelock_scanner_hits_total", "Requests blocked, by scanner.",
                            "scanner", "agent"},
    [PL_ML_BODY_DLP] = {"pipelock_body_dlp_hits_total", "Request body DLP findings, by action.",
                        "action", "agent"},
    [PL_ML_HEADER_DLP] = {"pipelock_header_dlp_hits_total",
                          "Request header DLP findings, by action.", "action", "agent"},
    [PL_ML_RESP_EXEMPT] = {"pipelock_response_scan_exempt_total",
                           "Responses not scanned because of an exemption.", "reason", "transport"},
    [PL_ML_DLP_WARN] = {"pipelock_dlp_warn_matches_total",
                        "DLP matches that were logged but not blocked (warn).", "pattern",
                        "transport"},
    [PL_ML_KS_DENIALS] = {"pipelock_kill_switch_denials_total",
                          "Requests denied by the kill switch.", "transport", "endpoint"},
    [PL_ML_RESP_SCAN] = {"pipelock_response_scan_hits_total",
                         "Prompt-injection findings in responses, by action taken.", "action",
                         "transport"},
    [PL_ML_CONFIG_RELOADS] = {"pipelock_config_reloads_total", "Configuration reloads.", "result",
                              NULL},
    [PL_ML_EMIT_DROPPED] = {"pipelock_emit_events_dropped_total",
                            "Events an emit sink dropped (queue full or retries exhausted).",
                            "sink", NULL},
    [PL_ML_EMIT_SENT] = {"pipelock_emit_events_total", "Events delivered to an emit sink.", "sink",
                         "result"},
    [PL_ML_PARSE_REJECTS] = {"pipelock_http_parse_rejects_total",
                             "Client requests refused by the HTTP parser, by status.", "status",
                             NULL},
};

static _Thread_local struct pl_metrics *tls_m;
static _Thread_local struct pl_metrics_shard *tls_shard;

struct pl_metrics *
pl_metrics_new(int n_workers)
{
    if (n_workers < 0)
        return NULL;
    struct pl_metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->n_shards = n_workers + 1;
    m->shards = aligned_alloc(64, sizeof(*m->shards) * (size_t)m->n_shards);
    if (!m->shards) {
        free(m);
        return NULL;
    }
    memset(m->shards, 0, sizeof(*m->shards) * (size_t)m->n_shards);
    for (int i = 0; i < m->n_shards; i++) {
        struct pl_metrics_shard *s = &m->shards[i];
        pthread_mutex_init(&s->mu, NULL);
        s->shared = i == n_workers;
        s->tab = calloc(TAB_SIZE, sizeof(*s->tab));
        if (!s->tab) {
            m->n_shards = i + 1;
            pl_metrics_free(m);
            return NULL;
        }
    }
    pthread_mutex_init(&m->agents_mu, NULL);
    strcpy(m->agents[0], "_default");
    atomic_store(&m->n_agents, 1);
    return m;
}

void
pl_metrics_free(struct pl_metrics *m)
{
    if (!m)
        return;
    if (tls_m == m) {
        tls_m = NULL;
        tls_shard = NULL;
    }
    for (int i = 0; i < m->n_shards; i++) {
        pthread_mutex_destroy(&m->shards[i].mu);
        free(m->shards[i].tab);
    }
    pthread_mutex_destroy(&m->agents_mu);
    free(m->shards);
    free(m);
}

void
pl_metrics_use(struct pl_metrics *m, int i)
{
    tls_m = m;
    if (!m) {
        tls_shard = NULL;
        return;
    }
    tls_shard = &m->shards[i >= 0 && i < m->n_shards - 1 ? i : m->n_shards - 1];
}

void
pl_metrics_escape(const char *in, char *buf, size_t size)
{
    size_t o = 0;
    if (!size)
        return;
    for (; in && *in; in++) {
        char e = *in == '\\' ? '\\' : *in == '"' ? '"' : *in == '\n' ? 'n' : 0;
        size_t need = e ? 2 : 1;
        if (o + need >= size)
            break;
        if (e) {
            buf[o++] = '\\';
            buf[o++] = e;
        } else {
            buf[o++] = *in;
        }
    }
    buf[o] = '\0';
}

bool
pl_metrics_register_agent(struct pl_metrics *m, const char *name)
{
    if (!m || !name || !*name)
        return false;
    char esc[68];
    pl_metrics_escape(name, esc, sizeof(esc));
    pthread_mutex_lock(&m->agents_mu);
    size_t n = atomic_load(&m->n_agents);
    bool ok = true;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(m->agents[i], esc))
            goto out;
    if (n == PL_METRICS_AGENTS) {
        ok = false;
        goto out;
    }
    memcpy(m->agents[n], esc, sizeof(esc));
    atomic_store_explicit(&m->n_agents, n + 1, memory_order_release);
out:
    pthread_mutex_unlock(&m->agents_mu);
    return ok;
}

static size_t
agent_ix(const struct pl_metrics *m, const char *agent)
{
    if (!agent || !*agent)
        return 0;
    size_t n = atomic_load_explicit(&m->n_agents, memory_order_acquire);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(m->agents[i], agent))
            return i;
    return 0;
}

/* One writer per worker shard: a relaxed load and store (no locked instruction). The shared
 * shard is written under its mutex by several threads: a real atomic add. */
static inline void
bump(const struct pl_metrics_shard *s, _Atomic uint64_t *p, uint64_t v)
{
    if (s->shared)
        atomic_fetch_add_explicit(p, v, memory_order_relaxed);
    else
        atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v,
                              memory_order_relaxed);
}

static inline uint64_t
rd(const _Atomic uint64_t *p)
{
    return atomic_load_explicit(p, memory_order_relaxed);
}

void
pl_metric_agent_inc(enum pl_mc c, const char *agent)
{
    struct pl_metrics_shard *s = tls_shard;
    if (!s || (unsigned)c >= PL_MC_N_AGENT)
        return;
    bump(s, &s->agent[agent_ix(tls_m, agent)][c], 1);
}

void
pl_metric_add(enum pl_mu c, uint64_t v)
{
    struct pl_metrics_shard *s = tls_shard;
    if (!s || (unsigned)c >= PL_MU_N)
        return;
    bump(s, &s->plain[c], v);
}

void
pl_metric_observe(enum pl_mh h, uint64_t ns)
{
    struct pl_metrics_shard *s = tls_shard;
    if (!s || (unsigned)h >= PL_MH_N)
        return;
    double sec = (double)ns / 1e9;
    unsigned i = 0;
    while (i < hists[h].nb && sec > hists[h].bounds[i])
        i++;
    bump(s, &s->h[h].b[i], 1);
    bump(s, &s->h[h].sum_ns, ns);
}

static uint32_t
fnv(unsigned fam, const char *p)
{
    uint32_t h = 2166136261u ^ fam;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

/* Add 1 to the series (fam, labels) of s. Caller holds s->mu. */
static void
table_inc(struct pl_metrics_shard *s, unsigned fam, const char *labels)
{
    uint32_t h = fnv(fam, labels);
    for (size_t k = 0; k < TAB_SIZE; k++) {
        struct lentry *e = &s->tab[(h + k) & (TAB_SIZE - 1)];
        if (e->fam == 0) {
            if (s->n_used >= TAB_SIZE * 3 / 4 ||
                (fam == FAM_DOMAIN && s->n_domains >= DOMAINS_MAX)) {
                atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
                return;
            }
            e->hash = h;
            snprintf(e->labels, sizeof(e->labels), "%s", labels);
            e->fam = (uint8_t)(fam + 1);
            s->n_used++;
            if (fam == FAM_DOMAIN)
                s->n_domains++;
            atomic_store_explicit(&e->v, 1, memory_order_relaxed);
            return;
        }
        if (e->hash == h && e->fam == fam + 1 && !strcmp(e->labels, labels)) {
            atomic_store_explicit(&e->v, rd(&e->v) + 1, memory_order_relaxed);
            return;
        }
    }
}

static void
labelled(unsigned fam, const char *labels)
{
    struct pl_metrics_shard *s = tls_shard;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    table_inc(s, fam, labels);
    pthread_mutex_unlock(&s->mu);
}

void
pl_metric_labelled_inc(enum pl_ml f, const char *l1, const char *l2)
{
    if (!tls_shard || (unsigned)f >= PL_ML_N)
        return;
    char v1[64], v2[68], labels[LABELS_MAX];
    pl_metrics_escape(l1 ? l1 : "", v1, sizeof(v1));
    if (lfams[f].k2) {
        /* The second label of the agent families is the bounded profile name. */
        if (!strcmp(lfams[f].k2, "agent"))
            snprintf(v2, sizeof(v2), "%s", tls_m->agents[agent_ix(tls_m, l2)]);
        else
            pl_metrics_escape(l2 ? l2 : "", v2, sizeof(v2));
        snprintf(labels, sizeof(labels), "%s=\"%s\",%s=\"%s\"", lfams[f].k1, v1, lfams[f].k2, v2);
    } else {
        snprintf(labels, sizeof(labels), "%s=\"%s\"", lfams[f].k1, v1);
    }
    labelled(f, labels);
}

void
pl_metric_blocked_domain(const char *domain)
{
    if (!tls_shard || !domain || !*domain)
        return;
    char v[LABELS_MAX];
    snprintf(v, sizeof(v), "%s", domain);
    labelled(FAM_DOMAIN, v);
}

/* ---------------------------------------------------------------- render */

#define put(...) (pl_buf_printf(__VA_ARGS__) < 0 ? -ENOMEM : 0)

static int
head(struct pl_buf *out, const char *name, const char *type, const char *help)
{
    return put(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int
pl_metrics_gauge_head(struct pl_buf *out, const char *name, const char *help)
{
    return head(out, name, "gauge", help);
}

int
pl_metrics_gauge_sample(struct pl_buf *out, const char *name, const char *labels, double v)
{
    if (labels && *labels)
        return put(out, "%s{%s} %.15g\n", name, labels, v);
    return put(out, "%s %.15g\n", name, v);
}

/* Collected labelled series of one family, summed over shards. */
struct series {
    char labels[LABELS_MAX];
    uint64_t v;
};

static int
cmp_series(const void *a, const void *b)
{
    return strcmp(((const struct series *)a)->labels, ((const struct series *)b)->labels);
}

/* Every series of family fam, summed over shards, sorted by labels. *ret is malloc'd. */
static int
collect(struct pl_metrics *m, unsigned fam, struct series **ret, size_t *ret_n)
{
    size_t cap = 0, n = 0;
    struct series *v = NULL;
    for (int i = 0; i < m->n_shards; i++) {
        struct pl_metrics_shard *s = &m->shards[i];
        pthread_mutex_lock(&s->mu);
        for (size_t k = 0; k < TAB_SIZE; k++) {
            struct lentry *e = &s->tab[k];
            if (e->fam != fam + 1)
                continue;
            size_t j = 0;
            while (j < n && strcmp(v[j].labels, e->labels))
                j++;
            if (j == n) {
                if (n == cap) {
                    size_t nc = cap ? cap * 2 : 16;
                    struct series *nv = realloc(v, nc * sizeof(*nv));
                    if (!nv) {
                        pthread_mutex_unlock(&s->mu);
                        free(v);
                        return -ENOMEM;
                    }
                    v = nv;
                    cap = nc;
                }
                memcpy(v[n].labels, e->labels, sizeof(e->labels));
                v[n].v = 0;
                n++;
            }
            v[j].v += rd(&e->v);
        }
        pthread_mutex_unlock(&s->mu);
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_series);
    *ret = v;
    *ret_n = n;
    return 0;
}

static int
render_agent_family(struct pl_metrics *m, struct pl_buf *out, const char *name, const char *help,
                    enum pl_mc a, const char *la, enum pl_mc b, const char *lb)
{
    int rc = head(out, name, "counter", help);
    size_t na = atomic_load_explicit(&m->n_agents, memory_order_acquire);
    for (size_t g = 0; rc == 0 && g < na; g++) {
        uint64_t va = 0, vb = 0;
        for (int i = 0; i < m->n_shards; i++) {
            va += rd(&m->shards[i].agent[g][a]);
            vb += rd(&m->shards[i].agent[g][b]);
        }
        rc = put(out, "%s{result=\"%s\",agent=\"%s\"} %llu\n", name, la, m->agents[g],
                 (unsigned long long)va);
        if (rc == 0)
            rc = put(out, "%s{result=\"%s\",agent=\"%s\"} %llu\n", name, lb, m->agents[g],
                     (unsigned long long)vb);
    }
    return rc;
}

static int
render_hist(struct pl_metrics *m, struct pl_buf *out, enum pl_mh h)
{
    const char *name = hists[h].name;
    uint64_t b[HB_MAX + 1] = {0}, sum = 0;
    for (int i = 0; i < m->n_shards; i++) {
        const struct hist *x = &m->shards[i].h[h];
        for (unsigned k = 0; k <= hists[h].nb; k++)
            b[k] += rd(&x->b[k]);
        sum += rd(&x->sum_ns);
    }
    /* _count is the sum of the buckets, so a scrape racing a worker stays consistent (+Inf
     * equals _count; buckets never decrease). */
    uint64_t cum = 0;
    int rc = head(out, name, "histogram", hists[h].help);
    for (unsigned k = 0; rc == 0 && k < hists[h].nb; k++) {
        cum += b[k];
        rc = put(out, "%s_bucket{le=\"%g\"} %llu\n", name, hists[h].bounds[k],
                 (unsigned long long)cum);
    }
    cum += b[hists[h].nb];
    if (rc == 0)
        rc = put(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name,
                 (unsigned long long)cum, name, (double)sum / 1e9, name, (unsigned long long)cum);
    return rc;
}

int
pl_metrics_render(struct pl_metrics *m, struct pl_buf *out)
{
    int rc = head(out, "pipelock_info", "gauge", "Build information; always 1.");
    if (rc == 0)
        rc = put(out, "pipelock_info{version=\"%s\"} 1\n", PL_VERSION);
    if (rc == 0)
        rc = render_agent_family(m, out, "pipelock_requests_total",
                                 "Fetch and forward HTTP requests, by result and agent.",
                                 PL_MC_REQ_ALLOWED, "allowed", PL_MC_REQ_BLOCKED, "blocked");
    if (rc == 0)
        rc = render_hist(m, out, PL_MH_REQUEST_DURATION);
    if (rc == 0)
        rc = render_agent_family(m, out, "pipelock_tunnels_total",
                                 "CONNECT tunnels, by result and agent.", PL_MC_TUN_COMPLETED,
                                 "completed", PL_MC_TUN_BLOCKED, "blocked");
    if (rc == 0)
        rc = render_hist(m, out, PL_MH_TUNNEL_DURATION);
    if (rc == 0) {
        uint64_t v = 0;
        for (int i = 0; i < m->n_shards; i++)
            v += rd(&m->shards[i].plain[PL_MU_TUNNEL_BYTES]);
        rc = head(out, "pipelock_tunnel_bytes_total", "counter",
                  "Bytes relayed through CONNECT tunnels (both directions).");
        if (rc == 0)
            rc = put(out, "pipelock_tunnel_bytes_total %llu\n", (unsigned long long)v);
    }
    for (unsigned f = 0; rc == 0 && f < PL_ML_N; f++) {
        struct series *v;
        size_t n;
        rc = collect(m, f, &v, &n);
        if (rc < 0)
            break;
        /* Like the reference's CounterVecs, a labelled family appears once it has a series. */
        if (n)
            rc = head(out, lfams[f].name, "counter", lfams[f].help);
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = put(out, "%s{%s} %llu\n", lfams[f].name, v[i].labels, (unsigned long long)v[i].v);
        free(v);
    }
    if (rc == 0) {
        uint64_t d = 0;
        for (int i = 0; i < m->n_shards; i++)
            d += rd(&m->shards[i].dropped);
        rc = head(out, "pipelock_metrics_series_dropped_total", "counter",
                  "Increments lost because a labelled family reached its series limit.");
        if (rc == 0)
            rc = put(out, "pipelock_metrics_series_dropped_total %llu\n", (unsigned long long)d);
    }
    return rc;
}

/* ---------------------------------------------------------------- /stats */

void
pl_metrics_totals(struct pl_metrics *m, uint64_t *allowed, uint64_t *blocked, uint64_t *tunnels)
{
    uint64_t a = 0, b = 0, t = 0;
    size_t na = atomic_load_explicit(&m->n_agents, memory_order_acquire);
    for (int i = 0; i < m->n_shards; i++)
        for (size_t g = 0; g < na; g++) {
            a += rd(&m->shards[i].agent[g][PL_MC_REQ_ALLOWED]);
            b += rd(&m->shards[i].agent[g][PL_MC_REQ_BLOCKED]);
            t += rd(&m->shards[i].agent[g][PL_MC_TUN_COMPLETED]);
        }
    *allowed = a;
    *blocked = b;
    *tunnels = t;
}

static int
cmp_top(const void *a, const void *b)
{
    const struct series *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return strcmp(x->labels, y->labels);
}

/* The top n of a family by count; name = the first label's value (or the whole key). */
static size_t
top_of(struct pl_metrics *m, unsigned fam, bool first_label, struct pl_metrics_top *top, size_t n)
{
    struct series *v;
    size_t nv;
    if (collect(m, fam, &v, &nv) < 0)
        return 0;
    /* Sum over the second label (agent) by first-label value. */
    size_t k = 0;
    for (size_t i = 0; i < nv; i++) {
        char name[LABELS_MAX];
        snprintf(name, sizeof(name), "%s", v[i].labels);
        if (first_label) {
            const char *q = strchr(name, '"');
            const char *e = q ? strchr(q + 1, '"') : NULL;
            if (q && e) {
                memmove(name, q + 1, (size_t)(e - q - 1));
                name[e - q - 1] = '\0';
            }
        }
        size_t j = 0;
        while (j < k && strcmp(v[j].labels, name))
            j++;
        uint64_t add = v[i].v;
        if (j == k) {
            snprintf(v[k].labels, sizeof(v[k].labels), "%s", name);
            v[k].v = 0;
            k++;
        }
        v[j].v += add;
    }
    if (k > 1)
        qsort(v, k, sizeof(*v), cmp_top);
    size_t out = PL_MIN(k, n);
    for (size_t i = 0; i < out; i++) {
        snprintf(top[i].name, sizeof(top[i].name), "%s", v[i].labels);
        top[i].count = v[i].v;
    }
    free(v);
    return out;
}

size_t
pl_metrics_top_scanners(struct pl_metrics *m, struct pl_metrics_top *top, size_t n)
{
    return top_of(m, PL_ML_SCANNER_HITS, true, top, n);
}

size_t
pl_metrics_top_domains(struct pl_metrics *m, struct pl_metrics_top *top, size_t n)
{
    return top_of(m, FAM_DOMAIN, false, top, n);
}

size_t
pl_metrics_agent_totals(struct pl_metrics *m, struct pl_metrics_agent_totals *out, size_t n)
{
    size_t na = atomic_load_explicit(&m->n_agents, memory_order_acquire);
    size_t k = PL_MIN(na, n);
    for (size_t g = 0; g < k; g++) {
        snprintf(out[g].name, sizeof(out[g].name), "%s", m->agents[g]);
        out[g].allowed = out[g].blocked = out[g].tunnels = 0;
        for (int i = 0; i < m->n_shards; i++) {
            out[g].allowed += rd(&m->shards[i].agent[g][PL_MC_REQ_ALLOWED]);
            out[g].blocked += rd(&m->shards[i].agent[g][PL_MC_REQ_BLOCKED]);
            out[g].tunnels += rd(&m->shards[i].agent[g][PL_MC_TUN_COMPLETED]);
        }
    }
    return k;
}
