/*
 * The configuration model: the pipelock YAML schema (reference §3), loaded strictly.
 *
 * Every key of the reference schema is recognised and type-checked. Keys of sections this
 * build does not act on yet are accepted with one warning naming the section. Unknown keys are
 * an error "file:line:col: unknown key 'x' in <section> (did you mean 'y'?)".
 *
 * Two default sources exist, as in the reference (§3.1): pl_config_defaults() (no --config)
 * and pl_config_load_*() (a file; lists omitted from it stay empty).
 *
 * A struct pl_config owns everything it points to; free it with pl_config_free().
 */
#ifndef PL_POLICY_CONFIG_H
#define PL_POLICY_CONFIG_H

#include "scan/ip.h"
#include "util/str.h"

enum pl_mode {
    PL_MODE_BALANCED = 0,
    PL_MODE_STRICT,
    PL_MODE_AUDIT,
};

enum pl_log_output {
    PL_LOG_OUT_STDOUT = 0,
    PL_LOG_OUT_FILE,
    PL_LOG_OUT_BOTH,
};

struct pl_strlist {
    char **v; /* owned strings */
    size_t n;
};

struct pl_config {
    char *path;        /* owned; NULL when built from defaults */
    char hash[65];     /* SHA-256 hex of the raw file bytes, or "defaults" */
    struct pl_strlist warnings; /* "field: message" advisory warnings, in order */

    int version;
    enum pl_mode mode;
    bool enforce;
    bool explain_blocks;
    struct pl_strlist api_allowlist;
    struct pl_strlist trusted_domains;
    /* `internal`: absent/null → defaults; explicit [] → hostname SSRF check disabled. */
    struct pl_cidr_list internal;
    struct pl_cidr_list ssrf_ip_allowlist;
    char *default_agent_identity;
    bool bind_default_agent_identity;
    char *metrics_listen;

    struct {
        char *listen;        /* default "127.0.0.1:8888" */
        int timeout_seconds; /* 30 */
        int max_response_mb; /* 10 */
        char *user_agent;    /* "Pipelock Fetch/1.0" */
        struct {
            int max_url_length;                 /* 2048 */
            double entropy_threshold;           /* 4.5 */
            double subdomain_entropy_threshold; /* 4.0 */
            int max_requests_per_minute;        /* 60 */
            int64_t max_data_per_minute;        /* 0 = off */
            struct pl_strlist blocklist;
            struct pl_strlist subdomain_entropy_exclusions;
        } monitoring;
    } fetch_proxy;

    struct {
        bool enabled;             /* false (true in every shipped preset) */
        int max_tunnel_seconds;   /* 300 */
        int idle_timeout_seconds; /* 120 */
        bool sni_verification;    /* true */
        struct pl_strlist redirect_websocket_hosts;
    } forward_proxy;

    struct {
        bool enabled; /* false */
    } websocket_proxy;

    struct {
        bool enabled; /* false */
    } tls_interception;

    struct {
        bool enabled;      /* true (security default) */
        bool scan_headers; /* true */
    } request_body_scanning;

    struct {
        bool enabled; /* true */
    } response_scanning;

    struct {
        bool enabled; /* false */
    } git_protection;

    struct {
        size_t n_patterns;    /* effective DLP pattern count (48 built-ins by default) */
        bool include_defaults;
        bool scan_env;
    } dlp;

    struct {
        char *format;              /* "json" | "text" */
        enum pl_log_output output; /* stdout */
        char *file;                /* "" */
        bool include_allowed;      /* true */
        bool include_blocked;      /* true */
    } logging;

    struct {
        bool enabled;
        char *sentinel_file;
        char *message; /* "Emergency deny-all active" */
        bool health_exempt, metrics_exempt, api_exempt;
        char *api_token;
        char *api_listen;
        struct pl_cidr_list allowlist_ips;
    } kill_switch;

    /* ---- extensions of this implementation (not in the reference schema) ---- */

    struct {
        struct pl_strlist resolvers; /* "ip:port" or "ip" (port 53); empty → /etc/resolv.conf */
        int timeout_ms;              /* per attempt, default 5000 */
        int attempts;                /* default 2 */
    } dns;

    struct {
        int workers;                /* 0 → number of CPUs */
        int max_connections;        /* client connections per process, default 10000 */
        int header_timeout_seconds; /* request head must arrive within, default 5 */
        int keepalive_timeout_seconds; /* idle client keep-alive, default 120 */
        int connect_timeout_seconds;   /* upstream connect, default 10 */
        int max_request_line;       /* default 8192 → 414 */
        int max_header_bytes;       /* whole head, default 65536 → 431 */
        int max_headers;            /* default 100 → 431 */
        int drain_seconds;          /* graceful drain on SIGTERM, default 5 */
        int upstream_idle_seconds;  /* pooled upstream connection lifetime when idle, 90 */
        int upstream_pool_per_host; /* idle pooled connections per host per worker, 32 */
        int max_tunnels;            /* concurrent CONNECT tunnels, 1024 */
    } server;
};

/* Allocate a config holding the reference's Defaults() (used when no --config is given). */
struct pl_config *pl_config_defaults(void);

/*
 * Load and validate a YAML file. On failure returns -EINVAL (or -ENOENT/-EACCES/-ENOMEM) and a
 * malloc'd message in *ret_err ("path:line:col: ..."); *ret_cfg untouched.
 */
int pl_config_load_file(const char *path, struct pl_config **ret_cfg, char **ret_err);

/* Same, from bytes in memory; name is used in messages. */
int pl_config_load_buffer(const char *name, const char *data, size_t len,
                          struct pl_config **ret_cfg, char **ret_err);

void pl_config_free(struct pl_config *cfg);

const char *pl_mode_name(enum pl_mode m);

#endif
