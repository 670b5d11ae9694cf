/*
 * The pipelock YAML schema as one table (reference §3.1b–§3.3, plus our `dns:` and `server:`
 * extensions). Every key the reference accepts is here with its type, default, flags and,
 * when this build keeps it in struct pl_config, its offset. The loader, the defaults, the
 * "did you mean" hints, the unimplemented-section warnings and pl_config_free() are all
 * driven by this table; adding a key is adding a row.
 *
 * To mark a top-level section as acted on by this build, add PL_CFG_F_IMPL to its row.
 */
#include <limits.h>

#include "policy/config_int.h"

/* off is stored +1 so that 0 means "not stored". */
#define OFF(f)     .off = offsetof(struct pl_config, f) + 1
#define IOFF(T, f) .off = offsetof(T, f) + 1
#define K(n, t, ...)                          \
    {                                         \
        .name = (n), .type = (t), __VA_ARGS__ \
    }
#define SEC(n, ch, ...)                                                    \
    {                                                                      \
        .name = (n), .type = PL_CFG_SECTION, .children = (ch), __VA_ARGS__ \
    }
#define LISTOF(n, ch, ...)                                              \
    {                                                                   \
        .name = (n), .type = PL_CFG_LIST, .children = (ch), __VA_ARGS__ \
    }
#define MAPOF(n, ch, ...)                                              \
    {                                                                  \
        .name = (n), .type = PL_CFG_MAP, .children = (ch), __VA_ARGS__ \
    }
#define ENUM(n, vals, ...)                                                   \
    {                                                                        \
        .name = (n), .type = PL_CFG_ENUM, .enum_values = (vals), __VA_ARGS__ \
    }
#define BOOL(n, ...)   K(n, PL_CFG_BOOL, __VA_ARGS__)
#define BOOLT(n, ...)  K(n, PL_CFG_BOOL, .def.b = true, __VA_ARGS__)
#define SECDEF(n, ...) K(n, PL_CFG_BOOL, .def.b = true, .flags = PL_CFG_F_SECDEF, __VA_ARGS__)
#define INT(n, ...)    K(n, PL_CFG_INT, __VA_ARGS__)
#define I64(n, ...)    K(n, PL_CFG_I64, __VA_ARGS__)
#define FLT(n, ...)    K(n, PL_CFG_FLOAT, __VA_ARGS__)
#define STR(n, ...)    K(n, PL_CFG_STR, __VA_ARGS__)
#define STRS(n, ...)   K(n, PL_CFG_STRLIST, __VA_ARGS__)
#define DUR(n, ...)    K(n, PL_CFG_DURATION, __VA_ARGS__)
#define END          \
    {                \
        .name = NULL \
    }

/* ---- enumerations ---- */

static const char *const e_modes[] = {"balanced", "strict", "audit", NULL}; /* = enum pl_mode */
static const char *const e_log_output[] = {"stdout", "file", "both", NULL}; /* = pl_log_output */
static const char *const e_log_format[] = {"json", "text", NULL};
static const char *const e_warn_block[] = {"warn", "block", NULL};
static const char *const e_block_warn[] = {"block", "warn", NULL};
static const char *const e_resp_action[] = {"block", "strip", "warn", "ask", NULL};
static const char *const e_origin[] = {"rewrite", "forward", "strip", NULL};
static const char *const e_header_mode[] = {"sensitive", "all", NULL};
static const char *const e_validator[] = {"luhn", "mod97", "aba", "wif", NULL};
static const char *const e_warn_only[] = {"warn", NULL};
static const char *const e_parse_error[] = {"block", "forward", NULL};
static const char *const e_policy_action[] = {"warn", "block", "redirect", NULL};
static const char *const e_emit_sev[] = {"info", "warn", "critical", NULL};
static const char *const e_facility[] = {"kern",   "user",   "mail",   "daemon", "auth",   "syslog",
                                         "lpr",    "news",   "uucp",   "local0", "local1", "local2",
                                         "local3", "local4", "local5", "local6", "local7", NULL};
static const char *const e_chain_sev[] = {"medium", "high", "critical", NULL};
static const char *const e_tier[] = {"none", "soft", "hard", "drain", NULL};
static const char *const e_on_sev[] = {"critical", "high", NULL};
static const char *const e_upgrade[] = {"block", "", NULL}; /* "" = explicitly no upgrade */
static const char *const e_allow_warn_block[] = {"allow", "warn", "block", NULL};
static const char *const e_prov_mode[] = {"pipelock", "sigstore", "any", NULL};
static const char *const e_warn_ask_block[] = {"warn", "ask", "block", NULL};
static const char *const e_seasonality[] = {"none", "labeled", "time", NULL};
static const char *const e_strictness[] = {"minimal", "standard", "aggressive", NULL};
static const char *const e_oversize[] = {"block", "scan_head", "warn", NULL};
static const char *const e_taint_policy[] = {"strict", "balanced", "permissive", NULL};
static const char *const e_trust_scope[] = {"action", "source", NULL};
static const char *const e_confidence[] = {"high", "medium", "low", NULL};

/* ---- default lists ---- */

static const char *const d_api_allowlist[] = {"*.anthropic.com",
                                              "*.openai.com",
                                              "api.telegram.org",
                                              "*.discord.com",
                                              "gateway.discord.gg",
                                              "*.slack.com",
                                              "github.com",
                                              "*.github.com",
                                              "*.githubusercontent.com",
                                              "registry.npmjs.org",
                                              NULL};
static const char *const d_blocklist[] = {
    "*.pastebin.com", "*.hastebin.com",   "*.paste.ee", "*.transfer.sh",
    "*.file.io",      "*.requestbin.com", NULL};
static const char *const d_sensitive_headers[] = {
    "Authorization",       "Cookie",         "X-Api-Key", "X-Token",
    "Proxy-Authorization", "X-Goog-Api-Key", NULL};
static const char *const d_ignore_headers[] = {"Connection",   "Keep-Alive", "Proxy-Authenticate",
                                               "Te",           "Trailer",    "Transfer-Encoding",
                                               "Upgrade",      "Host",       "Content-Length",
                                               "Content-Type", "Accept",     "Accept-Encoding",
                                               "User-Agent",   NULL};
static const char *const d_allowed_branches[] = {"feature/*", "fix/*", "main", "master", NULL};
static const char *const d_image_types[] = {"image/png", "image/jpeg", NULL};
static const char *const d_taint_allow[] = {"docs.anthropic.com", "docs.github.com",
                                            "developer.mozilla.org", NULL};
static const char *const d_taint_protected[] = {"*/auth/*",
                                                "*/security/*",
                                                "*/.github/workflows/*",
                                                "*/.env*",
                                                "*/secrets*",
                                                "*/policy*",
                                                "*/sandbox*",
                                                NULL};
static const char *const d_taint_elevated[] = {"*/config/*", "*/middleware*", NULL};
static const char *const d_signed_components[] = {"@method", "@target-uri", "content-digest",
                                                  "pipelock-mediation", NULL};

/* ---- the 48 built-in DLP pattern names (reference §4.5), for merge-by-name ---- */

const char *const pl_cfg_dlp_builtin_names[] = {
    "Anthropic API Key",
    "OpenAI API Key",
    "OpenAI Service Key",
    "Fireworks API Key",
    "Google API Key",
    "Google OAuth Client Secret",
    "Stripe Key",
    "Stripe Webhook Secret",
    "GitHub Token",
    "GitHub Fine-Grained PAT",
    "GitLab PAT",
    "AWS Access ID",
    "AWS Secret Key",
    "Google OAuth Token",
    "Slack Token",
    "Slack App Token",
    "Discord Bot Token",
    "Twilio API Key",
    "SendGrid API Key",
    "Mailgun API Key",
    "New Relic API Key",
    "Hugging Face Token",
    "Databricks Token",
    "Replicate API Token",
    "Together AI Key",
    "Pinecone API Key",
    "Groq API Key",
    "xAI API Key",
    "DigitalOcean Token",
    "HashiCorp Vault Token",
    "Vercel Token",
    "Supabase Service Key",
    "npm Token",
    "PyPI Token",
    "Linear API Key",
    "Notion API Key",
    "Sentry Auth Token",
    "Private Key Header",
    "JWT Token",
    "Bitcoin WIF Private Key",
    "Extended Private Key",
    "Ethereum Private Key",
    "Social Security Number",
    "Google OAuth Client ID",
    "Credential in URL",
    "Environment Variable Secret",
    "Credit Card Number",
    "IBAN",
};
const size_t pl_cfg_dlp_builtin_count = PL_ARRAY_SIZE(pl_cfg_dlp_builtin_names);

/* ---- implemented sections ---- */

static const struct pl_cfg_key k_ssrf[] = {
    K("ip_allowlist", PL_CFG_CIDRLIST, .flags = PL_CFG_F_STRICT, OFF(ssrf_ip_allowlist)),
    END,
};

static const struct pl_cfg_key k_monitoring[] = {
    INT("max_url_length", .def.i = 2048, .flags = PL_CFG_F_POSDEF,
        OFF(fetch_proxy.monitoring.max_url_length)),
    FLT("entropy_threshold", .def.d = 4.5, .flags = PL_CFG_F_POSDEF,
        OFF(fetch_proxy.monitoring.entropy_threshold)),
    FLT("subdomain_entropy_threshold", .def.d = 4.0, .flags = PL_CFG_F_POSDEF,
        OFF(fetch_proxy.monitoring.subdomain_entropy_threshold)),
    INT("max_requests_per_minute", .def.i = 60, .flags = PL_CFG_F_POSDEF,
        OFF(fetch_proxy.monitoring.max_requests_per_minute)),
    I64("max_data_per_minute", OFF(fetch_proxy.monitoring.max_data_per_minute)),
    STRS("blocklist", .def.list = d_blocklist, .flags = PL_CFG_F_DEFONLY,
         OFF(fetch_proxy.monitoring.blocklist), .check = pl_cfg_check_nonempty_items),
    STRS("subdomain_entropy_exclusions", OFF(fetch_proxy.monitoring.subdomain_entropy_exclusions),
         .check = pl_cfg_check_host_patterns),
    END,
};

static const struct pl_cfg_key k_fetch_proxy[] = {
    STR("listen", .def.s = "127.0.0.1:8888", .flags = PL_CFG_F_EMPTYDEF, OFF(fetch_proxy.listen),
        .check = pl_cfg_check_listen),
    INT("timeout_seconds", .def.i = 30, .flags = PL_CFG_F_POSDEF, OFF(fetch_proxy.timeout_seconds)),
    INT("max_response_mb", .def.i = 10, .flags = PL_CFG_F_POSDEF, OFF(fetch_proxy.max_response_mb)),
    STR("user_agent", .def.s = "Pipelock Fetch/1.0", .flags = PL_CFG_F_EMPTYDEF,
        OFF(fetch_proxy.user_agent)),
    SEC("monitoring", k_monitoring),
    END,
};

static const struct pl_cfg_key k_forward_proxy[] = {
    BOOL("enabled", OFF(forward_proxy.enabled)),
    INT("max_tunnel_seconds", .def.i = 300, .flags = PL_CFG_F_POSDEF,
        OFF(forward_proxy.max_tunnel_seconds)),
    INT("idle_timeout_seconds", .def.i = 120, .flags = PL_CFG_F_POSDEF,
        OFF(forward_proxy.idle_timeout_seconds)),
    BOOLT("sni_verification", OFF(forward_proxy.sni_verification)),
    STRS("redirect_websocket_hosts", OFF(forward_proxy.redirect_websocket_hosts)),
    END,
};

static const struct pl_cfg_key k_logging[] = {
    ENUM("format", e_log_format, .def.s = "json", .flags = PL_CFG_F_EMPTYDEF, OFF(logging.format)),
    ENUM("output", e_log_output, .def.s = "stdout", .flags = PL_CFG_F_ENUM_INT,
         OFF(logging.output)),
    STR("file", OFF(logging.file)),
    SECDEF("include_allowed", OFF(logging.include_allowed)),
    SECDEF("include_blocked", OFF(logging.include_blocked)),
    END,
};

static const struct pl_cfg_key k_dns[] = {
    STRS("resolvers", OFF(dns.resolvers), .check = pl_cfg_check_resolvers),
    INT("timeout_ms", .def.i = 5000, .flags = PL_CFG_F_ZERODEF, .min = 1, .max = 60000,
        OFF(dns.timeout_ms)),
    INT("attempts", .def.i = 2, .flags = PL_CFG_F_ZERODEF, .min = 1, .max = 10, OFF(dns.attempts)),
    END,
};

#define CRED(f) IOFF(struct pl_config_agent_cred, f)
static const struct pl_cfg_key k_proxy_auth_agent[] = {
    STR("name", .flags = PL_CFG_F_REQUIRED, CRED(name)),
    STR("username", CRED(username)),
    STR("password", .flags = PL_CFG_F_SECRET, CRED(password)),
    STR("token", .flags = PL_CFG_F_SECRET, CRED(token)),
    END,
};

static const struct pl_cfg_key k_proxy_auth[] = {
    BOOL("required", OFF(proxy_auth.required)),
    STR("realm", .def.s = "pipelock", .flags = PL_CFG_F_EMPTYDEF, OFF(proxy_auth.realm)),
    LISTOF("agents", k_proxy_auth_agent, OFF(proxy_auth.agents),
           .elem_size = sizeof(struct pl_config_agent_cred)),
    END,
};

static const struct pl_cfg_key k_server[] = {
    INT("workers", .min = 0, .max = 1024, OFF(server.workers)),
    INT("max_connections", .def.i = 10000, .flags = PL_CFG_F_ZERODEF, .min = 1, .max = 1000000,
        OFF(server.max_connections)),
    INT("header_timeout_seconds", .def.i = 5, .flags = PL_CFG_F_ZERODEF, .min = 1, .max = 3600,
        OFF(server.header_timeout_seconds)),
    INT("keepalive_timeout_seconds", .def.i = 120, .flags = PL_CFG_F_ZERODEF, .min = 1,
        .max = 86400, OFF(server.keepalive_timeout_seconds)),
    INT("connect_timeout_seconds", .def.i = 10, .flags = PL_CFG_F_ZERODEF, .min = 1, .max = 3600,
        OFF(server.connect_timeout_seconds)),
    INT("max_request_line", .def.i = 8192, .flags = PL_CFG_F_ZERODEF, .min = 256, .max = 1048576,
        OFF(server.max_request_line)),
    INT("max_header_bytes", .def.i = 65536, .flags = PL_CFG_F_ZERODEF, .min = 1024, .max = 1048576,
        OFF(server.max_header_bytes)),
    INT("max_headers", .def.i = 100, .flags = PL_CFG_F_ZERODEF, .min = 1, .max = 128,
        OFF(server.max_headers)),
    INT("drain_seconds", .def.i = 5, .flags = PL_CFG_F_ZERODEF, .min = 1, .max = 3600,
        OFF(server.drain_seconds)),
    INT("upstream_idle_seconds", .def.i = 90, .flags = PL_CFG_F_ZERODEF, .min = 1, .max = 3600,
        OFF(server.upstream_idle_seconds)),
    INT("upstream_pool_per_host", .def.i = 32, .flags = PL_CFG_F_ZERODEF, .min = 1, .max = 1024,
        OFF(server.upstream_pool_per_host)),
    INT("max_tunnels", .def.i = 1024, .flags = PL_CFG_F_ZERODEF, .min = 1, .max = 1000000,
        OFF(server.max_tunnels)),
    END,
};

/* ---- sections parsed into typed storage but not acted on yet ---- */

static const struct pl_cfg_key k_websocket_proxy[] = {
    BOOL("enabled", OFF(websocket_proxy.enabled)),
    I64("max_message_bytes", .def.i = 1048576, .flags = PL_CFG_F_POSDEF,
        OFF(websocket_proxy.max_message_bytes)),
    INT("max_concurrent_connections", .def.i = 128, .flags = PL_CFG_F_POSDEF,
        OFF(websocket_proxy.max_concurrent_connections)),
    BOOLT("scan_text_frames", OFF(websocket_proxy.scan_text_frames)),
    BOOL("allow_binary_frames", OFF(websocket_proxy.allow_binary_frames)),
    BOOL("forward_cookies", OFF(websocket_proxy.forward_cookies)),
    BOOLT("strip_compression", OFF(websocket_proxy.strip_compression)),
    INT("max_connection_seconds", .def.i = 3600, .flags = PL_CFG_F_POSDEF,
        OFF(websocket_proxy.max_connection_seconds)),
    INT("idle_timeout_seconds", .def.i = 300, .flags = PL_CFG_F_POSDEF,
        OFF(websocket_proxy.idle_timeout_seconds)),
    ENUM("origin_policy", e_origin, .def.s = "rewrite", .flags = PL_CFG_F_EMPTYDEF,
         OFF(websocket_proxy.origin_policy)),
    END,
};

static const struct pl_cfg_key k_tls_interception[] = {
    BOOL("enabled", OFF(tls_interception.enabled)),
    STR("ca_cert", .flags = PL_CFG_F_PATH, OFF(tls_interception.ca_cert)),
    STR("ca_key", .flags = PL_CFG_F_PATH, OFF(tls_interception.ca_key)),
    STRS("passthrough_domains", OFF(tls_interception.passthrough_domains)),
    DUR("cert_ttl", .def.i = 24LL * 3600 * 1000000000LL, .flags = PL_CFG_F_ZERODEF,
        OFF(tls_interception.cert_ttl_ns), .check = pl_cfg_check_positive_duration),
    INT("cert_cache_size", .def.i = 10000, .flags = PL_CFG_F_POSDEF,
        OFF(tls_interception.cert_cache_size)),
    I64("max_response_bytes", .def.i = 5242880, .flags = PL_CFG_F_POSDEF,
        OFF(tls_interception.max_response_bytes)),
    END,
};

static const struct pl_cfg_key k_request_body_scanning[] = {
    SECDEF("enabled", OFF(request_body_scanning.enabled)),
    ENUM("action", e_warn_block, .def.s = "warn", .flags = PL_CFG_F_EMPTYDEF,
         OFF(request_body_scanning.action)),
    I64("max_body_bytes", .def.i = 5242880, .flags = PL_CFG_F_POSDEF,
        OFF(request_body_scanning.max_body_bytes)),
    SECDEF("scan_headers", OFF(request_body_scanning.scan_headers)),
    ENUM("header_mode", e_header_mode, .def.s = "sensitive", .flags = PL_CFG_F_EMPTYDEF,
         OFF(request_body_scanning.header_mode)),
    STRS("sensitive_headers", .def.list = d_sensitive_headers, .flags = PL_CFG_F_EMPTYDEF,
         OFF(request_body_scanning.sensitive_headers)),
    STRS("ignore_headers", .def.list = d_ignore_headers, .flags = PL_CFG_F_EMPTYDEF,
         OFF(request_body_scanning.ignore_headers)),
    END,
};

static const struct pl_cfg_key k_sse_streaming[] = {
    SECDEF("enabled", OFF(response_scanning.sse_streaming.enabled)),
    ENUM("action", e_block_warn, .def.s = "block", .flags = PL_CFG_F_EMPTYDEF,
         OFF(response_scanning.sse_streaming.action)),
    INT("max_event_bytes", .def.i = 65536, .flags = PL_CFG_F_POSDEF,
        OFF(response_scanning.sse_streaming.max_event_bytes)),
    END,
};

#define RPAT(f) IOFF(struct pl_config_resp_pattern, f)
static const struct pl_cfg_key k_response_pattern[] = {
    STR("name", .flags = PL_CFG_F_REQUIRED, RPAT(name)),
    STR("regex", .flags = PL_CFG_F_REQUIRED, RPAT(regex)),
    END,
};

static const struct pl_cfg_key k_response_scanning[] = {
    SECDEF("enabled", OFF(response_scanning.enabled)),
    ENUM("action", e_resp_action, .def.s = "warn", .flags = PL_CFG_F_EMPTYDEF,
         OFF(response_scanning.action)),
    INT("ask_timeout_seconds", OFF(response_scanning.ask_timeout_seconds)),
    BOOLT("include_defaults", OFF(response_scanning.include_defaults)),
    LISTOF("patterns", k_response_pattern, OFF(response_scanning.patterns),
           .elem_size = sizeof(struct pl_config_resp_pattern)),
    STRS("exempt_domains", OFF(response_scanning.exempt_domains)),
    SEC("sse_streaming", k_sse_streaming),
    END,
};

static const struct pl_cfg_key k_git_protection[] = {
    BOOL("enabled", OFF(git_protection.enabled)),
    STRS("allowed_branches", .def.list = d_allowed_branches,
         .flags = PL_CFG_F_EMPTYDEF | PL_CFG_F_WHENON, OFF(git_protection.allowed_branches)),
    STRS("blocked_commands", OFF(git_protection.blocked_commands)),
    SECDEF("pre_push_scan", OFF(git_protection.pre_push_scan)),
    END,
};

#define PAT(f) IOFF(struct pl_config_dlp_pattern, f)
static const struct pl_cfg_key k_dlp_pattern[] = {
    STR("name", .flags = PL_CFG_F_REQUIRED, PAT(name)),
    STR("regex", .flags = PL_CFG_F_REQUIRED, PAT(regex)),
    STR("severity", PAT(severity)),
    ENUM("validator", e_validator, PAT(validator)),
    STRS("exempt_domains", PAT(exempt_domains)),
    ENUM("action", e_warn_only, PAT(action)),
    END,
};

static const struct pl_cfg_key k_dlp[] = {
    SECDEF("scan_env", OFF(dlp.scan_env)),
    STR("secrets_file", .flags = PL_CFG_F_PATH, OFF(dlp.secrets_file)),
    INT("min_env_secret_length", .def.i = 16, .flags = PL_CFG_F_POSDEF,
        OFF(dlp.min_env_secret_length)),
    BOOLT("include_defaults", OFF(dlp.include_defaults)),
    LISTOF("patterns", k_dlp_pattern, OFF(dlp.patterns),
           .elem_size = sizeof(struct pl_config_dlp_pattern)),
    STR("action", .check = pl_cfg_check_dlp_action_reserved),
    END,
};

static const struct pl_cfg_key k_kill_switch[] = {
    BOOL("enabled", OFF(kill_switch.enabled)),
    STR("sentinel_file", OFF(kill_switch.sentinel_file)),
    STR("message", .def.s = "Emergency deny-all active", .flags = PL_CFG_F_EMPTYDEF,
        OFF(kill_switch.message)),
    BOOLT("health_exempt", OFF(kill_switch.health_exempt)),
    BOOLT("metrics_exempt", OFF(kill_switch.metrics_exempt)),
    BOOLT("api_exempt", OFF(kill_switch.api_exempt)),
    STR("api_token", .flags = PL_CFG_F_SECRET, OFF(kill_switch.api_token)),
    STR("api_listen", OFF(kill_switch.api_listen), .check = pl_cfg_check_listen),
    K("allowlist_ips", PL_CFG_CIDRLIST, OFF(kill_switch.allowlist_ips)),
    END,
};

/* ---- sections accepted and type-checked only ---- */

#define SUP(f) IOFF(struct pl_config_suppress, f)
static const struct pl_cfg_key k_suppress[] = {
    STR("rule", .flags = PL_CFG_F_REQUIRED, SUP(rule)),
    STR("path", .flags = PL_CFG_F_REQUIRED, SUP(path)),
    STR("reason", SUP(reason)),
    END,
};

#define CAN(f) IOFF(struct pl_config_canary, f)
static const struct pl_cfg_key k_canary_token[] = {
    STR("name", .flags = PL_CFG_F_REQUIRED, CAN(name)),
    STR("value", .flags = PL_CFG_F_REQUIRED | PL_CFG_F_SECRET, CAN(value)),
    STR("env_var", .check = pl_cfg_check_env_name, CAN(env_var)),
    END,
};

static const struct pl_cfg_key k_canary_tokens[] = {
    BOOL("enabled", OFF(canary_tokens.enabled)),
    LISTOF("tokens", k_canary_token, OFF(canary_tokens.tokens),
           .elem_size = sizeof(struct pl_config_canary)),
    END,
};

static const struct pl_cfg_key k_seed_phrase[] = {
    BOOLT("enabled", OFF(seed_phrase_detection.enabled)),
    INT("min_words", .def.i = 12, .flags = PL_CFG_F_POSDEF, .check = pl_cfg_check_seed_words,
        OFF(seed_phrase_detection.min_words)),
    BOOLT("verify_checksum", OFF(seed_phrase_detection.verify_checksum)),
    END,
};

static const struct pl_cfg_key k_mcp_input_scanning[] = {
    BOOL("enabled"),
    ENUM("action", e_warn_block, .def.s = "warn"),
    ENUM("on_parse_error", e_parse_error, .def.s = "block"),
    END,
};

static const struct pl_cfg_key k_mcp_tool_scanning[] = {
    BOOL("enabled"),
    ENUM("action", e_warn_block, .def.s = "warn"),
    BOOL("detect_drift"),
    END,
};

static const struct pl_cfg_key k_policy_rule[] = {
    STR("name", .flags = PL_CFG_F_REQUIRED),
    STR("tool_pattern", .flags = PL_CFG_F_REQUIRED),
    STR("arg_pattern"),
    STR("arg_key"),
    ENUM("action", e_policy_action),
    STR("redirect_profile"),
    END,
};

static const struct pl_cfg_key k_redirect_profile[] = {
    STRS("exec"), STR("reason"), BOOL("preserve_argv"), BOOL("match_abs_path"), END,
};

static const struct pl_cfg_key k_mcp_tool_policy[] = {
    BOOL("enabled"),
    ENUM("action", e_policy_action, .def.s = "warn"),
    LISTOF("rules", k_policy_rule),
    MAPOF("redirect_profiles", k_redirect_profile),
    STR("quarantine_dir"),
    END,
};

static const struct pl_cfg_key k_mcp_session_binding[] = {
    BOOL("enabled"),
    ENUM("unknown_tool_action", e_warn_block, .def.s = "warn"),
    ENUM("no_baseline_action", e_warn_block, .def.s = "warn"),
    END,
};

static const struct pl_cfg_key k_mcp_ws_listener[] = {
    STRS("allowed_origins", .check = pl_cfg_check_origins),
    INT("max_connections", .def.i = 100, .flags = PL_CFG_F_POSDEF),
    END,
};

static const struct pl_cfg_key k_session_profiling[] = {
    BOOL("enabled"),
    ENUM("anomaly_action", e_warn_block, .def.s = "warn"),
    INT("domain_burst", .def.i = 5, .flags = PL_CFG_F_POSDEF),
    INT("window_minutes", .def.i = 5, .flags = PL_CFG_F_POSDEF),
    FLT("volume_spike_ratio", .def.d = 3.0, .flags = PL_CFG_F_POSDEF),
    INT("max_sessions", .def.i = 1000, .flags = PL_CFG_F_POSDEF),
    INT("session_ttl_minutes", .def.i = 30, .flags = PL_CFG_F_POSDEF),
    INT("cleanup_interval_seconds", .def.i = 60, .flags = PL_CFG_F_POSDEF),
    END,
};

static const struct pl_cfg_key k_level_elevated[] = {
    ENUM("upgrade_warn", e_upgrade, .def.s = "block"),
    ENUM("upgrade_ask", e_upgrade, .def.s = ""),
    BOOL("block_all"),
    END,
};
static const struct pl_cfg_key k_level_high[] = {
    ENUM("upgrade_warn", e_upgrade, .def.s = "block"),
    ENUM("upgrade_ask", e_upgrade, .def.s = "block"),
    BOOL("block_all"),
    END,
};
static const struct pl_cfg_key k_level_critical[] = {
    ENUM("upgrade_warn", e_upgrade, .def.s = "block"),
    ENUM("upgrade_ask", e_upgrade, .def.s = "block"),
    BOOLT("block_all"),
    END,
};
static const struct pl_cfg_key k_levels[] = {
    SEC("elevated", k_level_elevated),
    SEC("high", k_level_high),
    SEC("critical", k_level_critical),
    END,
};

static const struct pl_cfg_key k_adaptive_enforcement[] = {
    BOOL("enabled"),
    FLT("escalation_threshold", .def.d = 5.0, .flags = PL_CFG_F_POSDEF),
    FLT("decay_per_clean_request", .def.d = 0.5, .flags = PL_CFG_F_POSDEF),
    SEC("levels", k_levels),
    STRS("exempt_domains"),
    END,
};

static const struct pl_cfg_key k_airlock_triggers[] = {
    ENUM("on_elevated", e_tier),
    ENUM("on_high", e_tier),
    ENUM("on_critical", e_tier),
    ENUM("on_severity", e_on_sev),
    INT("anomaly_count", .min = 0, .max = INT_MAX),
    INT("anomaly_window_minutes", .min = 0, .max = INT_MAX),
    END,
};
static const struct pl_cfg_key k_airlock_timers[] = {
    INT("soft_minutes", .min = 0, .max = INT_MAX),
    INT("hard_minutes", .min = 0, .max = INT_MAX),
    INT("drain_minutes", .min = 0, .max = INT_MAX),
    INT("drain_timeout_seconds", .min = 0, .max = INT_MAX),
    END,
};
static const struct pl_cfg_key k_airlock_freeze[] = {
    BOOL("snapshot_on_entry"),
    BOOL("allow_cached_tools"),
    END,
};
static const struct pl_cfg_key k_airlock[] = {
    BOOL("enabled"),
    SEC("triggers", k_airlock_triggers),
    SEC("timers", k_airlock_timers),
    SEC("tool_freeze", k_airlock_freeze),
    END,
};

static const struct pl_cfg_key k_sentry[] = {
    BOOLT("enabled"),
    STR("dsn", .flags = PL_CFG_F_SECRET),
    STR("environment", .def.s = "production"),
    FLT("sample_rate", .def.d = 1.0, .check = pl_cfg_check_unit_interval),
    BOOL("debug"),
    END,
};

static const struct pl_cfg_key k_webhook[] = {
    STR("url", .check = pl_cfg_check_http_url, OFF(emit.webhook.url)),
    ENUM("min_severity", e_emit_sev, .def.s = "warn", OFF(emit.webhook.min_severity)),
    STR("auth_token", .flags = PL_CFG_F_SECRET, OFF(emit.webhook.auth_token)),
    INT("timeout_seconds", .def.i = 5, .flags = PL_CFG_F_POSDEF, OFF(emit.webhook.timeout_seconds)),
    INT("queue_size", .def.i = 64, .flags = PL_CFG_F_POSDEF, OFF(emit.webhook.queue_size)),
    END,
};
static const struct pl_cfg_key k_syslog[] = {
    STR("address", .check = pl_cfg_check_syslog_addr, OFF(emit.syslog.address)),
    ENUM("min_severity", e_emit_sev, .def.s = "warn", OFF(emit.syslog.min_severity)),
    ENUM("facility", e_facility, .def.s = "local0", OFF(emit.syslog.facility)),
    STR("tag", .def.s = "pipelock", .flags = PL_CFG_F_EMPTYDEF, OFF(emit.syslog.tag)),
    END,
};
static const struct pl_cfg_key k_otlp[] = {
    STR("endpoint", .check = pl_cfg_check_http_url, OFF(emit.otlp.endpoint)),
    ENUM("min_severity", e_emit_sev, .def.s = "warn"),
    K("headers", PL_CFG_MAP_STR),
    INT("timeout_seconds", .def.i = 10, .flags = PL_CFG_F_POSDEF),
    INT("queue_size", .def.i = 256, .flags = PL_CFG_F_POSDEF),
    BOOL("gzip"),
    END,
};
static const struct pl_cfg_key k_emit[] = {
    STR("instance_id", OFF(emit.instance_id)),
    SEC("webhook", k_webhook),
    SEC("syslog", k_syslog),
    SEC("otlp", k_otlp),
    END,
};

static const struct pl_cfg_key k_chain_pattern[] = {
    STR("name", .flags = PL_CFG_F_REQUIRED),
    STRS("sequence"),
    ENUM("severity", e_chain_sev),
    ENUM("action", e_warn_block),
    END,
};
static const struct pl_cfg_key k_tool_chain_detection[] = {
    BOOL("enabled"),
    ENUM("action", e_warn_block, .def.s = "warn"),
    INT("window_size", .def.i = 20, .flags = PL_CFG_F_POSDEF),
    INT("window_seconds", .def.i = 60, .flags = PL_CFG_F_POSDEF),
    INT("max_gap", .def.i = 3, .min = 0, .max = INT_MAX),
    K("tool_categories", PL_CFG_MAP_STRLIST),
    K("pattern_overrides", PL_CFG_MAP_STR, .enum_values = e_warn_block),
    LISTOF("custom_patterns", k_chain_pattern),
    END,
};

static const struct pl_cfg_key k_entropy_budget[] = {
    BOOL("enabled"),
    INT("bits_per_window", .def.i = 4096, .flags = PL_CFG_F_POSDEF),
    INT("window_minutes", .def.i = 5, .flags = PL_CFG_F_POSDEF),
    ENUM("action", e_warn_block, .def.s = "warn"),
    STRS("exempt_domains"),
    END,
};
static const struct pl_cfg_key k_fragment_reassembly[] = {
    BOOL("enabled"),
    INT("max_buffer_bytes", .def.i = 65536, .flags = PL_CFG_F_POSDEF),
    INT("window_minutes", .def.i = 5, .flags = PL_CFG_F_POSDEF),
    END,
};
static const struct pl_cfg_key k_cross_request[] = {
    BOOL("enabled"),
    ENUM("action", e_warn_block, .def.s = "block"),
    SEC("entropy_budget", k_entropy_budget),
    SEC("fragment_reassembly", k_fragment_reassembly),
    END,
};

static const struct pl_cfg_key k_reverse_proxy[] = {
    BOOL("enabled"),
    STR("listen", .check = pl_cfg_check_listen),
    STR("upstream", .check = pl_cfg_check_http_url),
    END,
};

static const struct pl_cfg_key k_scan_auth[] = {
    STRS("bearer_tokens", .flags = PL_CFG_F_SECRET),
    END,
};
static const struct pl_cfg_key k_scan_rate[] = {
    INT("requests_per_minute", .def.i = 600, .flags = PL_CFG_F_POSDEF),
    INT("burst", .def.i = 50, .flags = PL_CFG_F_POSDEF),
    END,
};
static const struct pl_cfg_key k_scan_fields[] = {
    INT("url", .def.i = 8192, .flags = PL_CFG_F_POSDEF),
    INT("text", .def.i = 524288, .flags = PL_CFG_F_POSDEF),
    INT("content", .def.i = 524288, .flags = PL_CFG_F_POSDEF),
    INT("arguments", .def.i = 524288, .flags = PL_CFG_F_POSDEF),
    END,
};
static const struct pl_cfg_key k_scan_timeouts[] = {
    DUR("read", .def.i = 2000000000LL, .check = pl_cfg_check_positive_duration),
    DUR("write", .def.i = 2000000000LL, .check = pl_cfg_check_positive_duration),
    DUR("scan", .def.i = 5000000000LL, .check = pl_cfg_check_positive_duration),
    END,
};
static const struct pl_cfg_key k_scan_kinds[] = {
    SECDEF("url"), SECDEF("dlp"), SECDEF("prompt_injection"), SECDEF("tool_call"), END,
};
static const struct pl_cfg_key k_scan_api[] = {
    STR("listen", .check = pl_cfg_check_listen),
    SEC("auth", k_scan_auth),
    SEC("rate_limit", k_scan_rate),
    INT("max_body_bytes", .def.i = 1048576, .flags = PL_CFG_F_POSDEF),
    SEC("field_limits", k_scan_fields),
    SEC("timeouts", k_scan_timeouts),
    INT("connection_limit", .def.i = 100, .flags = PL_CFG_F_POSDEF),
    SEC("kinds", k_scan_kinds),
    END,
};

static const struct pl_cfg_key k_chains[] = {
    BOOLT("eth"), BOOLT("btc"), BOOL("sol"), BOOLT("bnb"), END,
};
static const struct pl_cfg_key k_similarity[] = {
    INT("prefix_length", .def.i = 4, .flags = PL_CFG_F_POSDEF),
    INT("suffix_length", .def.i = 4, .flags = PL_CFG_F_POSDEF),
    END,
};
static const struct pl_cfg_key k_address_protection[] = {
    BOOL("enabled"),
    ENUM("action", e_allow_warn_block, .def.s = "block"),
    ENUM("unknown_action", e_allow_warn_block, .def.s = "allow"),
    STRS("allowed_addresses"),
    SEC("chains", k_chains),
    SEC("similarity", k_similarity),
    END,
};

static const struct pl_cfg_key k_trusted_key[] = {
    STR("name", .flags = PL_CFG_F_REQUIRED),
    STR("public_key", .flags = PL_CFG_F_REQUIRED, .check = pl_cfg_check_hex64),
    STR("tier"),
    END,
};
static const struct pl_cfg_key k_rules[] = {
    STR("rules_dir"),
    ENUM("min_confidence", e_confidence, .def.s = "medium"),
    BOOL("include_experimental"),
    STRS("disabled"),
    LISTOF("trusted_keys", k_trusted_key),
    END,
};

static const struct pl_cfg_key k_file_sentry[] = {
    BOOL("enabled"),       BOOL("best_effort"),     STRS("watch_paths"),
    BOOLT("scan_content"), STRS("ignore_patterns"), END,
};

static const struct pl_cfg_key k_sandbox_fs[] = {
    STRS("allow_read"),
    STRS("allow_write"),
    END,
};
static const struct pl_cfg_key k_sandbox[] = {
    BOOL("enabled"),
    BOOL("strict"),
    BOOL("best_effort"),
    STR("workspace"),
    SEC("filesystem", k_sandbox_fs),
    END,
};

static const struct pl_cfg_key k_flight_recorder[] = {
    BOOL("enabled"),
    STR("dir"),
    INT("checkpoint_interval", .def.i = 1000, .flags = PL_CFG_F_POSDEF),
    INT("retention_days", .min = 0, .max = INT_MAX),
    SECDEF("redact"),
    SECDEF("sign_checkpoints"),
    INT("max_entries_per_file", .def.i = 10000, .flags = PL_CFG_F_POSDEF),
    BOOL("raw_escrow"),
    STR("escrow_public_key", .check = pl_cfg_check_hex64),
    STR("signing_key_path"),
    END,
};

static const struct pl_cfg_key k_mcp_binary_integrity[] = {
    BOOL("enabled"),
    STR("manifest_path"),
    ENUM("action", e_warn_block, .def.s = "warn"),
    END,
};

static const struct pl_cfg_key k_mcp_tool_provenance[] = {
    BOOL("enabled"),
    ENUM("action", e_warn_block, .def.s = "warn"),
    ENUM("mode", e_prov_mode, .def.s = "pipelock"),
    STRS("trusted_keys"),
    STRS("trusted_issuers"),
    STRS("trusted_subjects"),
    SECDEF("offline_only"),
    END,
};

static const struct pl_cfg_key k_behavioral_baseline[] = {
    BOOL("enabled"),
    INT("learning_window", .def.i = 10, .flags = PL_CFG_F_POSDEF),
    ENUM("deviation_action", e_warn_ask_block, .def.s = "warn"),
    STR("profile_dir"),
    BOOL("auto_ratify"),
    FLT("sensitivity_sigma", .def.d = 2.0, .flags = PL_CFG_F_POSDEF),
    STRS("lock_dimensions"),
    SECDEF("poison_resistance"),
    ENUM("seasonality_mode", e_seasonality, .def.s = "none"),
    END,
};

static const struct pl_cfg_key k_browser_shield[] = {
    BOOL("enabled"),
    ENUM("strictness", e_strictness),
    I64("max_shield_bytes"),
    ENUM("oversize_action", e_oversize),
    STRS("exempt_domains"),
    BOOL("strip_extension_probing"),
    BOOL("strip_hidden_traps"),
    BOOL("strip_tracking_pixels"),
    BOOL("inject_fingerprint_shims"),
    STRS("tracking_domains"),
    END,
};

static const struct pl_cfg_key k_media_policy[] = {
    BOOLT("enabled"),
    BOOL("strip_images"),
    BOOLT("strip_audio"),
    BOOLT("strip_video"),
    STRS("allowed_image_types", .def.list = d_image_types, .check = pl_cfg_check_image_types),
    BOOLT("strip_image_metadata"),
    I64("max_image_bytes", .def.i = 5242880, .flags = PL_CFG_F_POSDEF),
    BOOLT("log_media_exposure"),
    END,
};

static const struct pl_cfg_key k_a2a_scanning[] = {
    BOOL("enabled"),
    ENUM("action", e_warn_block, .def.s = "warn"),
    SECDEF("scan_agent_cards"),
    SECDEF("detect_card_drift"),
    SECDEF("session_smuggling_detection"),
    INT("max_context_messages", .def.i = 100, .flags = PL_CFG_F_POSDEF),
    INT("max_contexts", .def.i = 1000, .flags = PL_CFG_F_POSDEF),
    SECDEF("scan_raw_parts"),
    I64("max_raw_size", .def.i = 1048576, .flags = PL_CFG_F_POSDEF),
    END,
};

static const struct pl_cfg_key k_trust_override[] = {
    ENUM("scope", e_trust_scope),
    STR("source_match"),
    STR("action_match"),
    STR("expires_at", .check = pl_cfg_check_rfc3339),
    STR("granted_by"),
    STR("reason"),
    END,
};
static const struct pl_cfg_key k_taint[] = {
    SECDEF("enabled"),
    ENUM("policy", e_taint_policy, .def.s = "balanced"),
    INT("recent_sources", .def.i = 10, .flags = PL_CFG_F_POSDEF),
    STRS("allowlisted_domains", .def.list = d_taint_allow),
    STRS("protected_paths", .def.list = d_taint_protected),
    STRS("elevated_paths", .def.list = d_taint_elevated),
    LISTOF("trust_overrides", k_trust_override),
    END,
};

static const struct pl_cfg_key k_mediation_envelope[] = {
    BOOL("enabled"),
    BOOL("sign"),
    STR("signing_key_path"),
    STR("key_id", .def.s = "pipelock-mediation-v1"),
    STRS("signed_components", .def.list = d_signed_components,
         .check = pl_cfg_check_signed_components),
    INT("created_skew_seconds", .def.i = 60, .flags = PL_CFG_F_POSDEF),
    I64("max_body_bytes", .def.i = 1048576, .flags = PL_CFG_F_POSDEF),
    END,
};

static const struct pl_cfg_key k_redaction_profile[] = {
    STRS("classes"),
    STRS("dictionaries"),
    END,
};
static const struct pl_cfg_key k_redaction_dictionary[] = {
    STR("class"),
    STRS("entries", .flags = PL_CFG_F_SECRET),
    STR("entries_file"),
    BOOL("case_insensitive"),
    BOOL("word_boundary"),
    INT("priority"),
    END,
};
static const struct pl_cfg_key k_redaction_limits[] = {
    I64("max_body_bytes", .def.i = 10485760, .flags = PL_CFG_F_POSDEF),
    INT("max_redactions_per_request", .def.i = 10000, .flags = PL_CFG_F_POSDEF),
    INT("max_depth", .def.i = 64, .flags = PL_CFG_F_POSDEF),
    END,
};
static const struct pl_cfg_key k_redaction[] = {
    BOOL("enabled"),
    STR("default_profile"),
    MAPOF("profiles", k_redaction_profile),
    MAPOF("dictionaries", k_redaction_dictionary),
    SEC("limits", k_redaction_limits),
    BOOL("strict_reload"),
    STRS("allowlist_unparseable"),
    END,
};

/* agents.<name> (reference §3.3.26) */
static const struct pl_cfg_key k_agent_dlp[] = {
    BOOLT("include_defaults"),
    LISTOF("patterns", k_dlp_pattern),
    END,
};
static const struct pl_cfg_key k_agent_rate[] = {
    INT("max_requests_per_minute", .min = 0, .max = INT_MAX),
    I64("max_data_per_minute", .min = 0, .max = INT64_MAX),
    END,
};
static const struct pl_cfg_key k_agent_session[] = {
    INT("domain_burst"),
    ENUM("anomaly_action", e_warn_block),
    FLT("volume_spike_ratio"),
    END,
};
static const struct pl_cfg_key k_agent_budget[] = {
    INT("max_requests_per_session", .min = 0, .max = INT_MAX),
    I64("max_bytes_per_session", .min = 0, .max = INT64_MAX),
    INT("max_unique_domains_per_session", .min = 0, .max = INT_MAX),
    INT("window_minutes", .min = 0, .max = INT_MAX),
    INT("max_tool_calls_per_session", .min = 0, .max = INT_MAX),
    INT("max_concurrent_tool_calls", .min = 0, .max = INT_MAX),
    INT("max_wall_clock_minutes", .min = 0, .max = INT_MAX),
    INT("max_retries_per_tool", .min = 0, .max = INT_MAX),
    INT("max_retries_per_endpoint", .min = 0, .max = INT_MAX),
    INT("loop_detection_window", .min = 0, .max = INT_MAX),
    INT("fan_out_limit", .min = 0, .max = INT_MAX),
    INT("fan_out_window_seconds", .min = 0, .max = INT_MAX),
    K("cost_multipliers", PL_CFG_MAP_FLOAT),
    ENUM("dow_action", e_block_warn),
    END,
};
static const struct pl_cfg_key k_agent[] = {
    STRS("listeners"),
    K("source_cidrs", PL_CFG_CIDRLIST),
    ENUM("mode", e_modes),
    K("enforce", PL_CFG_BOOL),
    STRS("api_allowlist"),
    SEC("dlp", k_agent_dlp),
    SEC("rate_limit", k_agent_rate),
    SEC("session_profiling", k_agent_session),
    SEC("mcp_tool_policy", k_mcp_tool_policy),
    SEC("budget", k_agent_budget),
    STRS("allowed_addresses"),
    SEC("sandbox", k_sandbox),
    STRS("trusted_domains"),
    END,
};

#define IMPL PL_CFG_F_IMPL
const struct pl_cfg_key pl_cfg_schema[] = {
    INT("version", .def.i = 1, .flags = IMPL | PL_CFG_F_POSDEF, OFF(version)),
    ENUM("mode", e_modes, .def.s = "balanced", .flags = IMPL | PL_CFG_F_ENUM_INT, OFF(mode)),
    BOOLT("enforce", .flags = IMPL, OFF(enforce)),
    BOOL("explain_blocks", .flags = IMPL, OFF(explain_blocks)),
    STRS("api_allowlist", .def.list = d_api_allowlist, .flags = IMPL | PL_CFG_F_DEFONLY,
         OFF(api_allowlist)),
    LISTOF("suppress", k_suppress, .flags = IMPL, OFF(suppress),
           .elem_size = sizeof(struct pl_config_suppress)),
    SEC("fetch_proxy", k_fetch_proxy, .flags = IMPL),
    SEC("forward_proxy", k_forward_proxy, .flags = IMPL),
    SEC("websocket_proxy", k_websocket_proxy),
    SEC("dlp", k_dlp, .flags = IMPL),
    SEC("canary_tokens", k_canary_tokens, .flags = IMPL),
    SEC("response_scanning", k_response_scanning, .flags = IMPL),
    SEC("mcp_input_scanning", k_mcp_input_scanning),
    SEC("mcp_tool_scanning", k_mcp_tool_scanning),
    SEC("mcp_tool_policy", k_mcp_tool_policy),
    SEC("git_protection", k_git_protection),
    SEC("logging", k_logging, .flags = IMPL),
    SEC("session_profiling", k_session_profiling),
    SEC("adaptive_enforcement", k_adaptive_enforcement),
    SEC("mcp_session_binding", k_mcp_session_binding),
    SEC("request_body_scanning", k_request_body_scanning, .flags = IMPL),
    SEC("kill_switch", k_kill_switch, .flags = IMPL),
    SEC("sentry", k_sentry),
    STR("metrics_listen", .flags = IMPL, OFF(metrics_listen), .check = pl_cfg_check_listen),
    SEC("emit", k_emit, .flags = IMPL),
    SEC("tool_chain_detection", k_tool_chain_detection),
    SEC("mcp_ws_listener", k_mcp_ws_listener),
    SEC("tls_interception", k_tls_interception),
    SEC("cross_request_detection", k_cross_request),
    SEC("reverse_proxy", k_reverse_proxy),
    SEC("scan_api", k_scan_api),
    SEC("address_protection", k_address_protection),
    SEC("seed_phrase_detection", k_seed_phrase, .flags = IMPL),
    SEC("rules", k_rules),
    SEC("file_sentry", k_file_sentry),
    SEC("sandbox", k_sandbox),
    SEC("flight_recorder", k_flight_recorder),
    SEC("mcp_binary_integrity", k_mcp_binary_integrity),
    SEC("mcp_tool_provenance", k_mcp_tool_provenance),
    SEC("behavioral_baseline", k_behavioral_baseline),
    SEC("airlock", k_airlock),
    SEC("browser_shield", k_browser_shield),
    SEC("media_policy", k_media_policy),
    SEC("a2a_scanning", k_a2a_scanning),
    SEC("taint", k_taint),
    SEC("mediation_envelope", k_mediation_envelope),
    SEC("redaction", k_redaction),
    MAPOF("agents", k_agent, OFF(agent_profiles)),
    STR("default_agent_identity", .flags = IMPL, OFF(default_agent_identity)),
    BOOL("bind_default_agent_identity", .flags = IMPL, OFF(bind_default_agent_identity)),
    STR("license_key", .flags = PL_CFG_F_SECRET, OFF(license_key)),
    STR("license_file", .flags = PL_CFG_F_PATH, OFF(license_file)),
    STR("license_public_key", OFF(license_public_key)),
    K("internal", PL_CFG_CIDRLIST, .flags = IMPL | PL_CFG_F_DEFINTERNAL, OFF(internal)),
    STRS("trusted_domains", .flags = IMPL, OFF(trusted_domains)),
    SEC("ssrf", k_ssrf, .flags = IMPL),
    /* extensions of this implementation */
    SEC("dns", k_dns, .flags = IMPL | PL_CFG_F_EXT),
    SEC("server", k_server, .flags = IMPL | PL_CFG_F_EXT),
    SEC("proxy_auth", k_proxy_auth, .flags = IMPL | PL_CFG_F_EXT),
    END,
};
