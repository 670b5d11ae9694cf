/* Metric shards: sums over threads, bounded labels, escaping, and the text format. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/metrics.h"

/* The value of the sample line starting with `series ` in text, or -1. */
static double
sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, series, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

static char *
render(struct pl_metrics *m)
{
    struct pl_buf b;
    pl_buf_init(&b, 1u << 20);
    cr_assert_eq(pl_metrics_render(m, &b), 0);
    cr_assert_eq(pl_buf_add_ch(&b, '\0'), 0);
    char *s = strdup(b.data);
    pl_buf_done(&b);
    return s;
}

struct worker_arg {
    struct pl_metrics *m;
    int i;
    int n;
};

static void *
worker(void *p)
{
    struct worker_arg *a = p;
    pl_metrics_use(a->m, a->i);
    for (int k = 0; k < a->n; k++) {
        pl_metric_agent_inc(PL_MC_REQ_ALLOWED, "claude");
        pl_metric_agent_inc(PL_MC_REQ_BLOCKED, "someone-else");
        pl_metric_observe(PL_MH_REQUEST_DURATION, 20000000); /* 20 ms */
        pl_metric_labelled_inc(PL_ML_SCANNER_HITS, "dlp", "claude");
        pl_metric_add(PL_MU_TUNNEL_BYTES, 3);
    }
    pl_metrics_use(NULL, 0);
    return NULL;
}

Test(metrics, shards_sum_on_scrape_and_agents_are_bounded_to_registered_names)
{
    struct pl_metrics *m = pl_metrics_new(3);
    cr_assert_not_null(m);
    cr_assert(pl_metrics_register_agent(m, "claude"));
    pthread_t t[4];
    struct worker_arg a[4];
    for (int i = 0; i < 4; i++) {
        /* Thread 3 has no worker shard of its own: it writes to the shared, locked one. */
        a[i] = (struct worker_arg){m, i == 3 ? -1 : i, 10000};
        pthread_create(&t[i], NULL, worker, &a[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    char *s = render(m);
    cr_expect_eq(sample(s, "pipelock_requests_total{result=\"allowed\",agent=\"claude\"}"), 40000);
    cr_expect_eq(sample(s, "pipelock_requests_total{result=\"allowed\",agent=\"_default\"}"), 0);
    /* An unregistered (self-declared) name never becomes a label. */
    cr_expect_eq(sample(s, "pipelock_requests_total{result=\"blocked\",agent=\"_default\"}"),
                 40000);
    cr_expect_null(strstr(s, "someone-else"));
    cr_expect_eq(sample(s, "pipelock_scanner_hits_total{scanner=\"dlp\",agent=\"claude\"}"), 40000);
    cr_expect_eq(sample(s, "pipelock_request_duration_seconds_bucket{le=\"0.01\"}"), 0);
    cr_expect_eq(sample(s, "pipelock_request_duration_seconds_bucket{le=\"0.05\"}"), 40000);
    cr_expect_eq(sample(s, "pipelock_request_duration_seconds_bucket{le=\"+Inf\"}"), 40000);
    cr_expect_eq(sample(s, "pipelock_request_duration_seconds_count"), 40000);
    cr_expect_float_eq(sample(s, "pipelock_request_duration_seconds_sum"), 800.0, 1e-6);
    cr_expect_eq(sample(s, "pipelock_tunnel_bytes_total"), 120000);

    uint64_t al, bl, tu;
    pl_metrics_totals(m, &al, &bl, &tu);
    cr_expect_eq(al, 40000);
    cr_expect_eq(bl, 40000);
    cr_expect_eq(tu, 0);
    struct pl_metrics_agent_totals ag[PL_METRICS_AGENTS];
    cr_expect_eq(pl_metrics_agent_totals(m, ag, PL_METRICS_AGENTS), 2);
    cr_expect_str_eq(ag[1].name, "claude");
    cr_expect_eq(ag[1].allowed, 40000);
    free(s);
    pl_metrics_free(m);
}

Test(metrics, agent_registry_is_capped_and_idempotent)
{
    struct pl_metrics *m = pl_metrics_new(1);
    char name[16];
    for (int i = 1; i < PL_METRICS_AGENTS; i++) {
        snprintf(name, sizeof(name), "a%d", i);
        cr_expect(pl_metrics_register_agent(m, name));
    }
    cr_expect(pl_metrics_register_agent(m, "a1")); /* already there */
    cr_expect_not(pl_metrics_register_agent(m, "one-too-many"));
    cr_expect_not(pl_metrics_register_agent(m, ""));
    pl_metrics_use(m, 0);
    pl_metric_agent_inc(PL_MC_TUN_COMPLETED, "one-too-many");
    char *s = render(m);
    cr_expect_eq(sample(s, "pipelock_tunnels_total{result=\"completed\",agent=\"_default\"}"), 1);
    cr_expect_null(strstr(s, "one-too-many"));
    free(s);
    pl_metrics_use(NULL, 0);
    pl_metrics_free(m);
}

Test(metrics, label_values_are_escaped_and_families_appear_after_first_use)
{
    struct pl_metrics *m = pl_metrics_new(1);
    pl_metrics_use(m, 0);
    char *s = render(m);
    cr_expect_null(strstr(s, "pipelock_dlp_warn_matches_total"));
    free(s);
    pl_metric_labelled_inc(PL_ML_DLP_WARN, "my \"odd\"\\pattern\nname", "forward");
    pl_metric_labelled_inc(PL_ML_CONFIG_RELOADS, "failure", NULL);
    s = render(m);
    cr_expect_eq(
        sample(s, "pipelock_dlp_warn_matches_total{pattern=\"my \\\"odd\\\"\\\\pattern\\nname\","
                  "transport=\"forward\"}"),
        1);
    cr_expect_eq(sample(s, "pipelock_config_reloads_total{result=\"failure\"}"), 1);
    cr_expect_not_null(strstr(s, "# TYPE pipelock_dlp_warn_matches_total counter\n"));
    free(s);
    pl_metrics_use(NULL, 0);
    pl_metrics_free(m);
}

Test(metrics, a_full_table_drops_new_series_and_counts_them)
{
    struct pl_metrics *m = pl_metrics_new(1);
    pl_metrics_use(m, 0);
    char v[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(v, sizeof(v), "p%d", i);
        pl_metric_labelled_inc(PL_ML_DLP_WARN, v, "forward");
    }
    pl_metric_labelled_inc(PL_ML_DLP_WARN, "p0", "forward"); /* an existing one still counts */
    char *s = render(m);
    double dropped = sample(s, "pipelock_metrics_series_dropped_total");
    cr_expect_gt(dropped, 1000);
    cr_expect_lt(dropped, 2000);
    cr_expect_eq(sample(s, "pipelock_dlp_warn_matches_total{pattern=\"p0\",transport=\"forward\"}"),
                 2);
    free(s);
    pl_metrics_use(NULL, 0);
    pl_metrics_free(m);
}

Test(metrics, top_scanners_and_domains_sum_over_agents)
{
    struct pl_metrics *m = pl_metrics_new(2);
    pl_metrics_register_agent(m, "x");
    pl_metrics_use(m, 0);
    pl_metric_labelled_inc(PL_ML_SCANNER_HITS, "ssrf", "x");
    pl_metric_labelled_inc(PL_ML_SCANNER_HITS, "ssrf", NULL);
    pl_metric_labelled_inc(PL_ML_SCANNER_HITS, "dlp", NULL);
    pl_metric_blocked_domain("evil.com");
    pl_metrics_use(m, 1);
    pl_metric_labelled_inc(PL_ML_SCANNER_HITS, "ssrf", NULL);
    pl_metric_blocked_domain("evil.com");
    pl_metric_blocked_domain("other.org");
    struct pl_metrics_top top[4];
    cr_assert_eq(pl_metrics_top_scanners(m, top, 4), 2);
    cr_expect_str_eq(top[0].name, "ssrf");
    cr_expect_eq(top[0].count, 3);
    cr_expect_str_eq(top[1].name, "dlp");
    cr_assert_eq(pl_metrics_top_domains(m, top, 1), 1);
    cr_expect_str_eq(top[0].name, "evil.com");
    cr_expect_eq(top[0].count, 2);
    /* Domains are for /stats only, never a metric label. */
    char *s = render(m);
    cr_expect_null(strstr(s, "evil.com"));
    free(s);
    pl_metrics_use(NULL, 0);
    pl_metrics_free(m);
}
