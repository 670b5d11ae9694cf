/*
 * GET /metrics (Prometheus text) and GET /stats (JSON summary), reference §2.8 and §7.4.
 * Counters come from obs/metrics (per-worker shards summed here); gauges are read at scrape.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "proxy/proxy_int.h"
#include "util/json.h"
#include "util/time.h"

#define SCRAPE_MAX (4u << 20)

/* The process_* family a Go program's default registry exposes, from /proc/self. */
static int
process_metrics(struct pl_proxy *px, struct pl_buf *b)
{
    double cpu = -1, vsize = -1, rss = -1;
    FILE *f = fopen("/proc/self/stat", "re");
    if (f) {
        char line[1024];
        if (fgets(line, sizeof(line), f)) {
            /* Fields after "(comm)": the comm may contain spaces and parentheses. */
            char *p = strrchr(line, ')');
            unsigned long ut, st, vs;
            long rs;
            if (p && sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d "
                            "%*d %*d %*u %lu %ld",
                            &ut, &st, &vs, &rs) == 4) {
                long tck = sysconf(_SC_CLK_TCK);
                cpu = (double)(ut + st) / (double)(tck > 0 ? tck : 100);
                vsize = (double)vs;
                rss = (double)rs * (double)sysconf(_SC_PAGESIZE);
            }
        }
        fclose(f);
    }
    int fds = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.')
                fds++;
        closedir(d);
        fds--; /* the directory's own descriptor */
    }
    struct rlimit rl;
    double maxfds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                        ? (double)rl.rlim_cur
                        : -1;
    int rc = 0;
    if (cpu >= 0) {
        rc = pl_buf_printf(b,
                           "# HELP process_cpu_seconds_total Total user and system CPU time "
                           "spent in seconds.\n# TYPE process_cpu_seconds_total counter\n"
                           "process_cpu_seconds_total %.2f\n",
                           cpu);
        rc = rc < 0 ? rc
                    : pl_metrics_gauge_head(b, "process_resident_memory_bytes",
                                            "Resident memory size in bytes.");
        rc = rc < 0 ? rc : pl_metrics_gauge_sample(b, "process_resident_memory_bytes", "", rss);
        rc = rc < 0 ? rc
                    : pl_metrics_gauge_head(b, "process_virtual_memory_bytes",
                                            "Virtual memory size in bytes.");
        rc = rc < 0 ? rc : pl_metrics_gauge_sample(b, "process_virtual_memory_bytes", "", vsize);
    }
    if (rc >= 0 && fds >= 0) {
        rc = pl_metrics_gauge_head(b, "process_open_fds", "Number of open file descriptors.");
        rc = rc < 0 ? rc : pl_metrics_gauge_sample(b, "process_open_fds", "", fds);
    }
    if (rc >= 0 && maxfds >= 0) {
        rc =
            pl_metrics_gauge_head(b, "process_max_fds", "Maximum number of open file descriptors.");
        rc = rc < 0 ? rc : pl_metrics_gauge_sample(b, "process_max_fds", "", maxfds);
    }
    if (rc >= 0) {
        rc = pl_metrics_gauge_head(b, "process_start_time_seconds",
                                   "Start time of the process since unix epoch in seconds.");
        rc = rc < 0 ? rc
                    : pl_metrics_gauge_sample(b, "process_start_time_seconds", "",
                                              (double)px->started_wall);
    }
    return rc < 0 ? rc : 0;
}

static int
gauges(struct pl_client *c, const struct pl_config *cfg, struct pl_buf *b)
{
    struct pl_proxy *px = c->w->proxy;
    bool src[5];
    pl_ks_sources(&px->ks, cfg, src);
    int rc = pl_metrics_gauge_head(b, "pipelock_kill_switch_active",
                                   "Whether each kill-switch source is active (1) or not (0).");
    static const enum pl_ks_source order[] = {PL_KS_CONFIG, PL_KS_API, PL_KS_SIGNAL,
                                              PL_KS_SENTINEL};
    for (size_t i = 0; rc >= 0 && i < PL_ARRAY_SIZE(order); i++) {
        char l[40];
        snprintf(l, sizeof(l), "source=\"%s\"", pl_ks_source_name(order[i]));
        rc = pl_metrics_gauge_sample(b, "pipelock_kill_switch_active", l, src[order[i]]);
    }
    rc = rc < 0 ? rc : pl_metrics_gauge_head(b, "pipelock_active_tunnels", "Open CONNECT tunnels.");
    rc = rc < 0 ? rc
                : pl_metrics_gauge_sample(b, "pipelock_active_tunnels", "",
                                          atomic_load(&px->n_tunnels));
    rc = rc < 0 ? rc
                : pl_metrics_gauge_head(b, "pipelock_active_connections",
                                        "Open client connections on the proxy port.");
    rc = rc < 0 ? rc
                : pl_metrics_gauge_sample(b, "pipelock_active_connections", "",
                                          atomic_load(&px->n_connections));
    return rc < 0 ? rc : process_metrics(px, b);
}

void
pl_stats_metrics(struct pl_client *c, struct pl_req *r)
{
    struct pl_buf b;
    pl_buf_init(&b, SCRAPE_MAX);
    int rc = pl_metrics_render(c->w->proxy->metrics, &b);
    if (rc == 0)
        rc = gauges(c, r->pol->cfg, &b);
    if (rc < 0) {
        pl_buf_done(&b);
        pl_client_respond(c, 500, "text/plain; charset=utf-8", NULL, "internal error\n", 15, true);
        return;
    }
    pl_client_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, b.data, b.len,
                      !r->req_body_done);
    pl_buf_done(&b);
}

static void
top_array(struct pl_json *j, const char *key, const struct pl_metrics_top *t, size_t n)
{
    pl_json_arr_begin(j, key);
    for (size_t i = 0; i < n; i++) {
        pl_json_obj_begin(j);
        pl_json_cstr(j, "name", t[i].name);
        pl_json_uint(j, "count", t[i].count);
        pl_json_obj_end(j);
    }
    pl_json_arr_end(j);
}

void
pl_stats_json(struct pl_client *c, struct pl_req *r)
{
    struct pl_metrics *m = c->w->proxy->metrics;
    struct pl_metrics_top top[10];
    uint64_t allowed, blocked, tunnels;
    pl_metrics_totals(m, &allowed, &blocked, &tunnels);
    uint64_t total = allowed + blocked;
    struct pl_buf b;
    struct pl_json j;
    pl_buf_init(&b, 1u << 20);
    pl_json_init(&j, &b);
    pl_json_obj_begin(&j);
    pl_json_double(&j, "uptime_seconds", (double)(pl_time_mono_ns() - r->pol->started_ns) / 1e9, 3);
    pl_json_obj_begin_key(&j, "requests");
    pl_json_uint(&j, "total", total);
    pl_json_uint(&j, "allowed", allowed);
    pl_json_uint(&j, "blocked", blocked);
    pl_json_double(&j, "block_rate", total ? (double)blocked / (double)total : 0.0, 4);
    pl_json_obj_end(&j);
    pl_json_uint(&j, "tunnels", tunnels);
    pl_json_uint(&j, "websockets", 0);
    top_array(&j, "top_blocked_domains", top, pl_metrics_top_domains(m, top, PL_ARRAY_SIZE(top)));
    top_array(&j, "top_scanners", top, pl_metrics_top_scanners(m, top, PL_ARRAY_SIZE(top)));
    /* Session profiling and cross-request detection are not built yet: report them idle,
     * with the reference's keys, so dashboards reading /stats keep working. */
    pl_json_obj_begin_key(&j, "sessions");
    pl_json_uint(&j, "active", 0);
    pl_json_uint(&j, "anomalies", 0);
    pl_json_uint(&j, "escalations", 0);
    pl_json_arr_begin(&j, "top_anomalies");
    pl_json_arr_end(&j);
    pl_json_obj_end(&j);
    pl_json_obj_begin_key(&j, "cross_request_detection");
    pl_json_bool(&j, "entropy_tracker_active", false);
    pl_json_bool(&j, "fragment_buffer_active", false);
    pl_json_uint(&j, "fragment_buffer_bytes", 0);
    pl_json_obj_end(&j);
    struct pl_metrics_agent_totals ag[PL_METRICS_AGENTS];
    size_t na = pl_metrics_agent_totals(m, ag, PL_ARRAY_SIZE(ag));
    if (na > 1) { /* profiles beyond _default are configured */
        pl_json_obj_begin_key(&j, "agents");
        for (size_t i = 0; i < na; i++) {
            pl_json_obj_begin_key(&j, ag[i].name);
            pl_json_uint(&j, "allowed", ag[i].allowed);
            pl_json_uint(&j, "blocked", ag[i].blocked);
            pl_json_uint(&j, "tunnels", ag[i].tunnels);
            pl_json_obj_end(&j);
        }
        pl_json_obj_end(&j);
    }
    pl_json_obj_end(&j);
    if (pl_json_error(&j) || pl_buf_add_ch(&b, '\n') < 0) {
        pl_buf_done(&b);
        pl_client_respond(c, 500, "text/plain; charset=utf-8", NULL, "internal error\n", 15, true);
        return;
    }
    pl_client_respond(c, 200, "application/json", NULL, b.data, b.len, !r->req_body_done);
    pl_buf_done(&b);
}
