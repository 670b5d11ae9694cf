/*
 * The configuration model: the pipelock YAML schema (reference §3), loaded strictly.
 *
 * Every key of the reference schema is recognised and type-checked (the schema is one table,
 * config_schema.c). Keys of sections this build does not act on yet are accepted with one
 * warning naming the section. Unknown keys are an error
 * `file:line:col: unknown key "x" in <section> (did you mean "y"?)`. docs/configuration.md
 * describes every rule and message.
 *
 * Two default sources exist, as in the reference (§3.1): pl_config_defaults() (no --config)
 * and pl_config_load_*() (a file; api_allowlist and the blocklist omitted from it stay empty).
 *
 * Enumerated string settings (actions, modes of sub-sections) are stored as validated,
 * owned strings exactly as written (or their default).
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

/* One entry of response_scanning.patterns[] as written (compiled by the policy builder). */
struct pl_config_resp_pattern {
    char *name;  /* required, non-empty */
    char *regex; /* required, non-empty; matched as written (no implied (?i)) */
};

/* One user entry of dlp.patterns[] as written (the built-ins are not copied here). */
struct pl_config_dlp_pattern {
    char *name;      /* required, non-empty */
    char *regex;     /* required, non-empty; RE2 syntax, not compiled by the loader */
    char *severity;  /* "" when absent */
    char *validator; /* "" | luhn | mod97 | aba | wif */
    char *action;    /* "" | warn (warn is rejected on a built-in's name) */
    struct pl_strlist exempt_domains;
};

/* One suppress[] entry. */
struct pl_config_suppress {
    char *rule;   /* required: a finding's pattern name */
    char *path;   /* required: path or URL pattern */
    char *reason; /* "" when absent */
};

/* One canary_tokens.tokens[] entry. */
struct pl_config_canary {
    char *name;    /* required */
    char *value;   /* required, owned secret (wiped on free) */
    char *env_var; /* "" when absent */
};

/* One proxy_auth.agents[] entry: credentials that identify an agent (an extension). */
struct pl_config_agent_cred {
    char *name;     /* required: the agent identity these credentials prove */
    char *username; /* Basic: username and password */
    char *password; /* owned secret (wiped on free) */
    char *token;    /* Bearer token: owned secret (wiped on free) */
};

struct pl_config {
    char *path;                 /* owned; NULL when built from defaults */
    char hash[65];              /* SHA-256 hex of the raw file bytes, or "defaults" */
    struct pl_strlist warnings; /* "field: message" advisory warnings, in order */

    int version;
    enum pl_mode mode;
    bool enforce;
    bool explain_blocks;
    struct pl_strlist api_allowlist;
    struct {
        struct pl_config_suppress *v; /* owned */
        size_t n;
    } suppress;
    struct pl_strlist trusted_domains;
    /* `internal`: absent/null → defaults; explicit [] → hostname SSRF check disabled. */
    struct pl_cidr_list internal;
    struct pl_cidr_list ssrf_ip_allowlist;
    char *default_agent_identity;
    bool bind_default_agent_identity;
    struct pl_strlist agent_profiles; /* the keys of `agents:`, in file order */
    char *metrics_listen;
    char *license_key;        /* owned secret (wiped on free); not acted on yet */
    char *license_file;       /* resolved against the config file's directory */
    char *license_public_key; /* not acted on yet */

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
        bool enabled;                   /* false */
        int64_t max_message_bytes;      /* 1048576 */
        int max_concurrent_connections; /* 128 */
        bool scan_text_frames;          /* true */
        bool allow_binary_frames;       /* false */
        bool forward_cookies;           /* false */
        bool strip_compression;         /* true; explicit false is rejected */
        int max_connection_seconds;     /* 3600 */
        int idle_timeout_seconds;       /* 300 */
        char *origin_policy;            /* "rewrite" | "forward" | "strip" */
    } websocket_proxy;

    struct {
        bool enabled;  /* false */
        char *ca_cert; /* "" → <home>/ca.pem; relative paths resolved against the config dir */
        char *ca_key;  /* "" → <home>/ca-key.pem */
        struct pl_strlist passthrough_domains;
        int64_t cert_ttl_ns;        /* Go duration, default "24h"; > 0 */
        int cert_cache_size;        /* 10000 */
        int64_t max_response_bytes; /* 5242880 */
    } tls_interception;

    struct {
        bool enabled;                        /* true (security default) */
        char *action;                        /* "warn" | "block" */
        int64_t max_body_bytes;              /* 5242880 */
        bool scan_headers;                   /* true (security default) */
        char *header_mode;                   /* "sensitive" | "all" */
        struct pl_strlist sensitive_headers; /* empty → the reference's 6 defaults */
        struct pl_strlist ignore_headers;    /* empty → the reference's 13 defaults */
    } request_body_scanning;

    struct {
        bool enabled;            /* true (security default) */
        char *action;            /* "warn" | "block" | "strip" | "ask" */
        int ask_timeout_seconds; /* 30 when action is ask, else as written */
        bool include_defaults;   /* true */
        struct pl_strlist exempt_domains;
        struct {
            struct pl_config_resp_pattern *v; /* owned */
            size_t n;
        } patterns; /* user patterns as written, merged by name with the built-ins */
        struct {
            bool enabled;        /* true (security default) */
            char *action;        /* "block" | "warn" */
            int max_event_bytes; /* 65536 */
        } sse_streaming;
    } response_scanning;

    struct {
        bool enabled;                       /* false */
        struct pl_strlist allowed_branches; /* defaults when enabled and empty */
        struct pl_strlist blocked_commands;
        bool pre_push_scan; /* true (security default) */
    } git_protection;

    struct {
        size_t n_patterns; /* effective DLP pattern count (48 built-ins by default) */
        bool include_defaults;
        bool scan_env;
        char *secrets_file;        /* resolved against the config file's directory */
        int min_env_secret_length; /* 16 */
        struct {
            struct pl_config_dlp_pattern *v; /* owned */
            size_t n;
        } patterns; /* user patterns as written, in file order */
    } dlp;

    struct {
        bool enabled; /* false */
        struct {
            struct pl_config_canary *v; /* owned */
            size_t n;
        } tokens;
    } canary_tokens;

    struct {
        bool enabled;         /* true */
        int min_words;        /* 12 (12, 15, 18, 21 or 24) */
        bool verify_checksum; /* true */
    } seed_phrase_detection;

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
        char *api_token; /* owned secret; env PIPELOCK_KILLSWITCH_API_TOKEN wins at runtime */
        char *api_listen;
        struct pl_cidr_list allowlist_ips;
    } kill_switch;

    struct {
        char *instance_id; /* "" → the host name (fallback "pipelock") */
        struct {
            char *url;          /* "" = off; http(s)://host... */
            char *min_severity; /* info | warn | critical */
            char *auth_token;   /* owned secret: Authorization: Bearer */
            int timeout_seconds;
            int queue_size;
        } webhook;
        struct {
            char *address; /* "" = off; udp://host:port, tcp://host:port, unix:///path */
            char *min_severity;
            char *facility; /* local0 ... */
            char *tag;      /* "pipelock" */
        } syslog;
        struct {
            char *endpoint; /* not acted on by this build */
        } otlp;
    } emit;

    /* ---- extensions of this implementation (not in the reference schema) ---- */

    struct {
        struct pl_strlist resolvers; /* "ip:port" or "ip" (port 53); empty → /etc/resolv.conf */
        int timeout_ms;              /* per attempt, default 5000 */
        int attempts;                /* default 2 */
    } dns;

    struct {
        bool required; /* false: requests without Proxy-Authorization resolve as before */
        char *realm;   /* "pipelock" */
        struct {
            struct pl_config_agent_cred *v; /* owned */
            size_t n;
        } agents;
    } proxy_auth;

    struct {
        int workers;                   /* 0 → number of CPUs */
        int max_connections;           /* client connections per process, default 10000 */
        int header_timeout_seconds;    /* request head must arrive within, default 5 */
        int keepalive_timeout_seconds; /* idle client keep-alive, default 120 */
        int connect_timeout_seconds;   /* upstream connect, default 10 */
        int max_request_line;          /* default 8192 → 414 */
        int max_header_bytes;          /* whole head, default 65536 → 431 */
        int max_headers;               /* default 100 → 431 */
        int drain_seconds;             /* graceful drain on SIGTERM, default 5 */
        int upstream_idle_seconds;     /* pooled upstream connection lifetime when idle, 90 */
        int upstream_pool_per_host;    /* idle pooled connections per host per worker, 32 */
        int max_tunnels;               /* concurrent CONNECT tunnels, 1024 */
    } server;
};

/*
 * Allocate a config holding the reference's Defaults() (used when no --config is given):
 * the file defaults plus the default api_allowlist and fetch_proxy.monitoring.blocklist.
 * hash is "defaults", path NULL, no warnings. Never fails (aborts on out-of-memory, like
 * every start-up allocation).
 */
struct pl_config *pl_config_defaults(void);

/*
 * Load and validate a YAML file. On failure returns -EINVAL (or -ENOENT/-EACCES/-E2BIG/
 * -ENOMEM) and a malloc'd message in *ret_err ("path:line:col: ..." or "path: ..."); *ret_cfg
 * untouched. On success *ret_cfg is a new config (free with pl_config_free()); relative paths
 * in it are resolved against the directory of path; cfg->warnings holds advisory warnings
 * the caller should print.
 */
int pl_config_load_file(const char *path, struct pl_config **ret_cfg, char **ret_err);

/*
 * Same, from len bytes at data (need not be NUL-terminated); name is used in messages and
 * stored as cfg->path. Relative paths are kept as written (there is no directory).
 */
int pl_config_load_buffer(const char *name, const char *data, size_t len,
                          struct pl_config **ret_cfg, char **ret_err);

/* Same strings in the same order. */
bool pl_strlist_eq(const struct pl_strlist *a, const struct pl_strlist *b);

/* Free cfg and everything it owns; secrets are wiped first. NULL is accepted. */
void pl_config_free(struct pl_config *cfg);

/* "balanced", "strict" or "audit" ("unknown" for an out-of-range value). */
const char *pl_mode_name(enum pl_mode m);

/*
 * Split "host:port" / "[v6]:port" / ":port" as the reference's listen settings are written.
 * Returns 0 and fills *ret_host (borrowed slice of s, brackets removed, may be empty) and
 * *ret_port (1..65535), or -EINVAL.
 */
int pl_config_split_listen(struct pl_str s, struct pl_str *ret_host, uint16_t *ret_port);

#endif
