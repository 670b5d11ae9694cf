/*
 * Prometheus metrics (reference §7.4): per-thread shards summed on scrape.
 *
 * Each worker thread owns one shard and is its only writer, so the hot-path counters and
 * histograms are plain loads and stores (relaxed atomics: no lock, no locked instruction).
 * Families with free-text labels (scanner, action, endpoint, ...) live in a small per-shard
 * table behind the shard's own mutex, which only a scrape ever contends for. Threads without a
 * shard of their own (the main thread: signals, reloads, the admin API) share one more shard
 * that is always written under its mutex.
 *
 * Label cardinality is bounded: the agent label is a registered profile name or "_default"
 * (never the raw header), and each shard's labelled table has a fixed size; series past it
 * are counted in pipelock_metrics_series_dropped_total instead of growing memory.
 */
#ifndef PL_OBS_METRICS_H
#define PL_OBS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define PL_METRICS_AGENTS 32 /* profiles with their own label, "_default" included */

/* Counters with an agent label and a fixed result label. */
enum pl_mc {
    PL_MC_REQ_ALLOWED,   /* pipelock_requests_total{result="allowed"} */
    PL_MC_REQ_BLOCKED,   /* pipelock_requests_total{result="blocked"} */
    PL_MC_TUN_COMPLETED, /* pipelock_tunnels_total{result="completed"} */
    PL_MC_TUN_BLOCKED,   /* pipelock_tunnels_total{result="blocked"} */
    PL_MC_N_AGENT,
};

/* Counters without labels. */
enum pl_mu {
    PL_MU_TUNNEL_BYTES, /* pipelock_tunnel_bytes_total */
    PL_MU_N,
};

/* Histograms (fixed buckets, observed in nanoseconds, exposed in seconds). */
enum pl_mh {
    PL_MH_REQUEST_DURATION, /* pipelock_request_duration_seconds */
    PL_MH_TUNNEL_DURATION,  /* pipelock_tunnel_duration_seconds */
    PL_MH_N,
};

/* Families with one or two free-text labels. */
enum pl_ml {
    PL_ML_SCANNER_HITS,   /* pipelock_scanner_hits_total{scanner,agent} */
    PL_ML_BODY_DLP,       /* pipelock_body_dlp_hits_total{action,agent} */
    PL_ML_HEADER_DLP,     /* pipelock_header_dlp_hits_total{action,agent} */
    PL_ML_RESP_EXEMPT,    /* pipelock_response_scan_exempt_total{reason,transport} */
    PL_ML_DLP_WARN,       /* pipelock_dlp_warn_matches_total{pattern,transport} */
    PL_ML_KS_DENIALS,     /* pipelock_kill_switch_denials_total{transport,endpoint} */
    PL_ML_RESP_SCAN,      /* pipelock_response_scan_hits_total{action,transport} */
    PL_ML_CONFIG_RELOADS, /* pipelock_config_reloads_total{result} */
    PL_ML_EMIT_DROPPED,   /* pipelock_emit_events_dropped_total{sink} */
    PL_ML_EMIT_SENT,      /* pipelock_emit_events_total{sink,result} */
    PL_ML_PARSE_REJECTS,  /* pipelock_http_parse_rejects_total{status} */
    PL_ML_N,
};

struct pl_metrics;
struct pl_metrics_shard;

/* A registry with n_workers worker shards plus the shared one. NULL on allocation failure. */
struct pl_metrics *pl_metrics_new(int n_workers);
void pl_metrics_free(struct pl_metrics *m);

/* This thread writes to worker shard i (0 ≤ i < n_workers), or to the shared, locked shard
 * (i < 0). m NULL: this thread's calls below do nothing. */
void pl_metrics_use(struct pl_metrics *m, int i);

/*
 * Give name its own agent label (a configured profile). Names are kept for the life of the
 * process (a reload may add, never remove, so series do not vanish mid-scrape); past
 * PL_METRICS_AGENTS they fall back to "_default". Returns false when it did not fit.
 */
bool pl_metrics_register_agent(struct pl_metrics *m, const char *name);

/* The calling thread's shard operations. agent: the resolved agent name (NULL, "" or an
 * unregistered name count as "_default"). */
void pl_metric_agent_inc(enum pl_mc c, const char *agent);
void pl_metric_add(enum pl_mu c, uint64_t v);
void pl_metric_observe(enum pl_mh h, uint64_t ns);
/* l2 may be NULL for one-label families. Label values are escaped here. */
void pl_metric_labelled_inc(enum pl_ml f, const char *l1, const char *l2);

/* Count a block for /stats' top_blocked_domains (a base domain: never a full host, which may
 * carry an exfiltrated secret in its labels). */
void pl_metric_blocked_domain(const char *domain);

/*
 * Append every family in the Prometheus text exposition format (version 0.0.4) to out.
 * Counters and histograms are summed over shards; gauges the caller knows about
 * (tunnels, kill switch, ...) are appended by it with pl_metrics_gauge_*.
 * Returns 0 or -ENOMEM.
 */
int pl_metrics_render(struct pl_metrics *m, struct pl_buf *out);

/* "# HELP"/"# TYPE gauge" for a gauge family, then samples. labels: "" or `k="v",...`. */
int pl_metrics_gauge_head(struct pl_buf *out, const char *name, const char *help);
int pl_metrics_gauge_sample(struct pl_buf *out, const char *name, const char *labels, double v);

/* Escape a label value (backslash, double quote, newline) into buf; truncates at size. */
void pl_metrics_escape(const char *in, char *buf, size_t size);

/* Totals for /stats: requests allowed and blocked, tunnels completed, over all agents.
 * Top scanners: up to n (name, count) pairs by count, descending; returns how many. */
struct pl_metrics_top {
    char name[64];
    uint64_t count;
};
void pl_metrics_totals(struct pl_metrics *m, uint64_t *allowed, uint64_t *blocked,
                       uint64_t *tunnels);
size_t pl_metrics_top_scanners(struct pl_metrics *m, struct pl_metrics_top *top, size_t n);
size_t pl_metrics_top_domains(struct pl_metrics *m, struct pl_metrics_top *top, size_t n);
/* Per registered agent: allowed, blocked, tunnels. Returns the number of agents (≤ n). */
struct pl_metrics_agent_totals {
    char name[65];
    uint64_t allowed, blocked, tunnels;
};
size_t pl_metrics_agent_totals(struct pl_metrics *m, struct pl_metrics_agent_totals *out, size_t n);

#endif
