/*
 * Unit tests of policy/config: strict YAML loading of the whole pipelock schema, both default
 * sources, security defaults, unknown-key/type/YAML error messages, the whole schema, presets.
 * Validation rules and warnings are in test_config_validate.c.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen/preset.h"
#include "policy/config.h"
#include "policy/config_int.h"
#include "policy/yaml_tree.h"

#ifndef PL_SOURCE_ROOT
#error "PL_SOURCE_ROOT must be defined by tests/unit/policy/meson.build"
#endif

#include "config_test.h"

/* ---------------------------------------------------------------- defaults */

static const char *const want_api_allowlist[] = {
    "*.anthropic.com",         "*.openai.com",      "api.telegram.org", "*.discord.com",
    "gateway.discord.gg",      "*.slack.com",       "github.com",       "*.github.com",
    "*.githubusercontent.com", "registry.npmjs.org"};
static const char *const want_blocklist[] = {"*.pastebin.com", "*.hastebin.com",
                                             "*.paste.ee",     "*.transfer.sh",
                                             "*.file.io",      "*.requestbin.com"};

/* Everything both default sources agree on (reference §3.1 table and §3.3 tables). */
static void
check_common_defaults(const struct pl_config *c)
{
    cr_expect_eq(c->version, 1);
    cr_expect_eq(c->mode, PL_MODE_BALANCED);
    cr_expect(c->enforce);
    cr_expect_not(c->explain_blocks);
    cr_expect_eq(c->trusted_domains.n, 0);
    cr_expect_eq(c->internal.n, 12);
    cr_expect_eq(c->ssrf_ip_allowlist.n, 0);
    cr_expect_str_eq(c->default_agent_identity, "");
    cr_expect_not(c->bind_default_agent_identity);
    cr_expect_str_eq(c->metrics_listen, "");
    cr_expect_str_eq(c->license_key, "");
    cr_expect_str_eq(c->license_file, "");

    cr_expect_str_eq(c->fetch_proxy.listen, "127.0.0.1:8888");
    cr_expect_eq(c->fetch_proxy.timeout_seconds, 30);
    cr_expect_eq(c->fetch_proxy.max_response_mb, 10);
    cr_expect_str_eq(c->fetch_proxy.user_agent, "Pipelock Fetch/1.0");
    cr_expect_eq(c->fetch_proxy.monitoring.max_url_length, 2048);
    cr_expect_float_eq(c->fetch_proxy.monitoring.entropy_threshold, 4.5, 1e-9);
    cr_expect_float_eq(c->fetch_proxy.monitoring.subdomain_entropy_threshold, 4.0, 1e-9);
    cr_expect_eq(c->fetch_proxy.monitoring.max_requests_per_minute, 60);
    cr_expect_eq(c->fetch_proxy.monitoring.max_data_per_minute, 0);
    cr_expect_eq(c->fetch_proxy.monitoring.subdomain_entropy_exclusions.n, 0);

    cr_expect_not(c->forward_proxy.enabled);
    cr_expect_eq(c->forward_proxy.max_tunnel_seconds, 300);
    cr_expect_eq(c->forward_proxy.idle_timeout_seconds, 120);
    cr_expect(c->forward_proxy.sni_verification);
    cr_expect_eq(c->forward_proxy.redirect_websocket_hosts.n, 0);

    cr_expect_not(c->websocket_proxy.enabled);
    cr_expect_eq(c->websocket_proxy.max_message_bytes, 1048576);
    cr_expect_eq(c->websocket_proxy.max_concurrent_connections, 128);
    cr_expect(c->websocket_proxy.scan_text_frames);
    cr_expect_not(c->websocket_proxy.allow_binary_frames);
    cr_expect_not(c->websocket_proxy.forward_cookies);
    cr_expect(c->websocket_proxy.strip_compression);
    cr_expect_eq(c->websocket_proxy.max_connection_seconds, 3600);
    cr_expect_eq(c->websocket_proxy.idle_timeout_seconds, 300);
    cr_expect_str_eq(c->websocket_proxy.origin_policy, "rewrite");

    cr_expect_not(c->tls_interception.enabled);
    cr_expect_str_eq(c->tls_interception.ca_cert, "");
    cr_expect_str_eq(c->tls_interception.ca_key, "");
    cr_expect_eq(c->tls_interception.passthrough_domains.n, 0);
    cr_expect_eq(c->tls_interception.cert_ttl_ns, 24LL * 3600 * 1000000000LL);
    cr_expect_eq(c->tls_interception.cert_cache_size, 10000);
    cr_expect_eq(c->tls_interception.max_response_bytes, 5242880);

    cr_expect(c->request_body_scanning.enabled);
    cr_expect_str_eq(c->request_body_scanning.action, "warn");
    cr_expect_eq(c->request_body_scanning.max_body_bytes, 5242880);
    cr_expect(c->request_body_scanning.scan_headers);
    cr_expect_str_eq(c->request_body_scanning.header_mode, "sensitive");
    cr_expect_eq(c->request_body_scanning.sensitive_headers.n, 6);
    cr_expect(list_has(&c->request_body_scanning.sensitive_headers, "X-Goog-Api-Key"));
    cr_expect_eq(c->request_body_scanning.ignore_headers.n, 13);
    cr_expect(list_has(&c->request_body_scanning.ignore_headers, "User-Agent"));

    cr_expect(c->response_scanning.enabled);
    cr_expect_str_eq(c->response_scanning.action, "warn");
    cr_expect_eq(c->response_scanning.ask_timeout_seconds, 0);
    cr_expect(c->response_scanning.include_defaults);
    cr_expect_eq(c->response_scanning.exempt_domains.n, 0);
    cr_expect(c->response_scanning.sse_streaming.enabled);
    cr_expect_str_eq(c->response_scanning.sse_streaming.action, "block");
    cr_expect_eq(c->response_scanning.sse_streaming.max_event_bytes, 65536);

    cr_expect_not(c->git_protection.enabled);
    cr_expect_eq(c->git_protection.allowed_branches.n, 0);
    cr_expect(c->git_protection.pre_push_scan);

    cr_expect_eq(c->dlp.n_patterns, 48);
    cr_expect(c->dlp.include_defaults);
    cr_expect(c->dlp.scan_env);
    cr_expect_str_eq(c->dlp.secrets_file, "");
    cr_expect_eq(c->dlp.min_env_secret_length, 16);
    cr_expect_eq(c->dlp.patterns.n, 0);

    cr_expect_str_eq(c->logging.format, "json");
    cr_expect_eq(c->logging.output, PL_LOG_OUT_STDOUT);
    cr_expect_str_eq(c->logging.file, "");
    cr_expect(c->logging.include_allowed);
    cr_expect(c->logging.include_blocked);

    cr_expect_not(c->kill_switch.enabled);
    cr_expect_str_eq(c->kill_switch.sentinel_file, "");
    cr_expect_str_eq(c->kill_switch.message, "Emergency deny-all active");
    cr_expect(c->kill_switch.health_exempt);
    cr_expect(c->kill_switch.metrics_exempt);
    cr_expect(c->kill_switch.api_exempt);
    cr_expect_str_eq(c->kill_switch.api_token, "");
    cr_expect_str_eq(c->kill_switch.api_listen, "");
    cr_expect_eq(c->kill_switch.allowlist_ips.n, 0);

    cr_expect_eq(c->dns.resolvers.n, 0);
    cr_expect_eq(c->dns.timeout_ms, 5000);
    cr_expect_eq(c->dns.attempts, 2);
    cr_expect_eq(c->server.workers, 0);
    cr_expect_eq(c->server.max_connections, 10000);
    cr_expect_eq(c->server.header_timeout_seconds, 5);
    cr_expect_eq(c->server.keepalive_timeout_seconds, 120);
    cr_expect_eq(c->server.connect_timeout_seconds, 10);
    cr_expect_eq(c->server.max_request_line, 8192);
    cr_expect_eq(c->server.max_header_bytes, 65536);
    cr_expect_eq(c->server.max_headers, 100);
    cr_expect_eq(c->server.drain_seconds, 5);
    cr_expect_eq(c->server.upstream_idle_seconds, 90);
    cr_expect_eq(c->server.upstream_pool_per_host, 32);
    cr_expect_eq(c->server.max_tunnels, 1024);
    cr_expect_eq(c->warnings.n, 0);
}

Test(config_defaults, defaults_source_is_go_defaults)
{
    struct pl_config *c = pl_config_defaults();
    check_common_defaults(c);
    cr_expect_null(c->path);
    cr_expect_str_eq(c->hash, "defaults");
    cr_assert_eq(c->api_allowlist.n, PL_ARRAY_SIZE(want_api_allowlist));
    for (size_t i = 0; i < PL_ARRAY_SIZE(want_api_allowlist); i++)
        cr_expect_str_eq(c->api_allowlist.v[i], want_api_allowlist[i]);
    cr_assert_eq(c->fetch_proxy.monitoring.blocklist.n, PL_ARRAY_SIZE(want_blocklist));
    for (size_t i = 0; i < PL_ARRAY_SIZE(want_blocklist); i++)
        cr_expect_str_eq(c->fetch_proxy.monitoring.blocklist.v[i], want_blocklist[i]);
    pl_config_free(c);
}

Test(config_defaults, empty_file_is_load_defaults)
{
    struct pl_config *c = load_ok("");
    check_common_defaults(c);
    /* A loaded file does not start from Defaults(): these lists stay empty. */
    cr_expect_eq(c->api_allowlist.n, 0);
    cr_expect_eq(c->fetch_proxy.monitoring.blocklist.n, 0);
    cr_expect_str_eq(c->path, "t.yaml");
    cr_expect_str_eq(c->hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    pl_config_free(c);
}

Test(config_defaults, comment_only_and_null_documents_are_empty)
{
    static const char *const docs[] = {"# just a comment\n", "---\n", "~\n", "---\n...\n", "\n\n"};
    for (size_t i = 0; i < PL_ARRAY_SIZE(docs); i++) {
        struct pl_config *c = load_ok(docs[i]);
        check_common_defaults(c);
        pl_config_free(c);
    }
}

Test(config_defaults, internal_default_cidrs)
{
    struct pl_config *c = pl_config_defaults();
    cr_assert_eq(c->internal.n, pl_ip_default_internal_count);
    for (size_t i = 0; i < c->internal.n; i++) {
        struct pl_cidr want;
        cr_assert_eq(pl_cidr_parse(pl_str_c(pl_ip_default_internal[i]), false, &want), 0);
        cr_expect_eq(c->internal.v[i].prefix, want.prefix);
        cr_expect(pl_ip_eq(&c->internal.v[i].net, &want.net));
    }
    pl_config_free(c);
}

Test(config_defaults, hash_is_sha256_of_raw_bytes)
{
    struct pl_config *c = load_ok("version: 1\n");
    cr_expect_str_eq(c->hash, "09bfcc6a14b83e2192b8673677725c84883ee9cd0c70e45c9ec09daa8f2b2847");
    pl_config_free(c);
}

Test(config_defaults, free_accepts_null)
{
    pl_config_free(NULL);
    cr_expect_str_eq(pl_mode_name(PL_MODE_STRICT), "strict");
    cr_expect_str_eq(pl_mode_name(PL_MODE_AUDIT), "audit");
    cr_expect_str_eq(pl_mode_name(PL_MODE_BALANCED), "balanced");
    cr_expect_str_eq(pl_mode_name((enum pl_mode)42), "unknown");
}

/* ---------------------------------------------------------------- security defaults */

struct secdef_case {
    const char *section, *key;
    size_t off;
};
#define SD(sec, key, field)                         \
    {                                               \
        sec, key, offsetof(struct pl_config, field) \
    }
static const struct secdef_case secdefs[] = {
    SD("dlp", "scan_env", dlp.scan_env),
    SD("response_scanning", "enabled", response_scanning.enabled),
    SD("request_body_scanning", "enabled", request_body_scanning.enabled),
    SD("request_body_scanning", "scan_headers", request_body_scanning.scan_headers),
    SD("git_protection", "pre_push_scan", git_protection.pre_push_scan),
    SD("logging", "include_allowed", logging.include_allowed),
    SD("logging", "include_blocked", logging.include_blocked),
};

Test(config_secdefs, absent_null_true_false)
{
    char yaml[256];
    for (size_t i = 0; i < PL_ARRAY_SIZE(secdefs); i++) {
        static const struct {
            const char *value;
            bool want;
        } vals[] = {{NULL, true}, {"null", true}, {"~", true},
                    {"", true},   {"true", true}, {"false", false}};
        for (size_t v = 0; v < PL_ARRAY_SIZE(vals); v++) {
            if (vals[v].value)
                snprintf(yaml, sizeof(yaml), "%s:\n  %s: %s\n", secdefs[i].section, secdefs[i].key,
                         vals[v].value);
            else
                snprintf(yaml, sizeof(yaml), "%s: {}\n", secdefs[i].section);
            struct pl_config *c = load_ok(yaml);
            cr_expect_eq(*(bool *)((char *)c + secdefs[i].off), vals[v].want, "%s", yaml);
            pl_config_free(c);
        }
    }
}

Test(config_secdefs, sse_streaming_enabled)
{
    struct pl_config *c = load_ok("response_scanning:\n  sse_streaming: {}\n");
    cr_expect(c->response_scanning.sse_streaming.enabled);
    pl_config_free(c);
    c = load_ok("response_scanning:\n  sse_streaming: {enabled: false}\n");
    cr_expect_not(c->response_scanning.sse_streaming.enabled);
    pl_config_free(c);
}

Test(config_secdefs, pointer_bools_default_true_but_false_respected)
{
    struct pl_config *c = load_ok("enforce: false\nforward_proxy: {sni_verification: false}\n"
                                  "kill_switch: {health_exempt: false, metrics_exempt: null}\n"
                                  "dlp: {include_defaults: false}\n");
    cr_expect_not(c->enforce);
    cr_expect_not(c->forward_proxy.sni_verification);
    cr_expect_not(c->kill_switch.health_exempt);
    cr_expect(c->kill_switch.metrics_exempt);
    cr_expect(c->kill_switch.api_exempt);
    cr_expect_eq(c->dlp.n_patterns, 0);
    pl_config_free(c);
}

/* ---------------------------------------------------------------- internal / lists */

Test(config_lists, internal_null_vs_empty)
{
    struct pl_config *c = load_ok("internal:\n");
    cr_expect_eq(c->internal.n, 12);
    pl_config_free(c);
    c = load_ok("internal: null\n");
    cr_expect_eq(c->internal.n, 12);
    pl_config_free(c);
    c = load_ok("internal: []\n");
    cr_expect_eq(c->internal.n, 0, "explicit [] disables the hostname SSRF check");
    pl_config_free(c);
    c = load_ok("internal: [10.0.0.0/8, \"fd00::/8\", 192.168.1.7/24]\n");
    cr_expect_eq(c->internal.n, 3);
    cr_expect_eq(c->internal.v[1].net.family, PL_IP_V6);
    cr_expect_eq(c->internal.v[2].prefix, 24);
    pl_config_free(c);
}

Test(config_lists, explicit_lists_replace_defaults)
{
    struct pl_config *c =
        load_ok("api_allowlist: [example.com]\ntrusted_domains: [a.internal]\n"
                "ssrf: {ip_allowlist: [10.1.2.0/24, \"fd00::/64\"]}\n"
                "fetch_proxy:\n  monitoring:\n    blocklist: [\"*.evil.test\"]\n"
                "    subdomain_entropy_exclusions: [cdn.example, \"*.x.example\"]\n"
                "request_body_scanning: {sensitive_headers: [X-Secret]}\n");
    cr_expect_eq(c->api_allowlist.n, 1);
    cr_expect_str_eq(c->api_allowlist.v[0], "example.com");
    cr_expect_str_eq(c->trusted_domains.v[0], "a.internal");
    cr_expect_eq(c->ssrf_ip_allowlist.n, 2);
    cr_expect_str_eq(c->fetch_proxy.monitoring.blocklist.v[0], "*.evil.test");
    cr_expect_eq(c->fetch_proxy.monitoring.subdomain_entropy_exclusions.n, 2);
    cr_expect_eq(c->request_body_scanning.sensitive_headers.n, 1);
    pl_config_free(c);
    /* ApplyDefaults: an empty header list gets the defaults back. */
    c = load_ok("request_body_scanning: {sensitive_headers: [], ignore_headers: []}\n");
    cr_expect_eq(c->request_body_scanning.sensitive_headers.n, 6);
    cr_expect_eq(c->request_body_scanning.ignore_headers.n, 13);
    pl_config_free(c);
}

Test(config_lists, git_allowed_branches_default_only_when_enabled)
{
    struct pl_config *c = load_ok("git_protection: {enabled: true}\n");
    cr_expect_eq(c->git_protection.allowed_branches.n, 4);
    cr_expect(list_has(&c->git_protection.allowed_branches, "feature/*"));
    pl_config_free(c);
    c = load_ok("git_protection: {enabled: false}\n");
    cr_expect_eq(c->git_protection.allowed_branches.n, 0);
    pl_config_free(c);
}

/* ---------------------------------------------------------------- ApplyDefaults numerics */

Test(config_numbers, zero_or_negative_means_default)
{
    struct pl_config *c =
        load_ok("version: 0\n"
                "fetch_proxy:\n  timeout_seconds: 0\n  max_response_mb: -3\n"
                "  listen: \"\"\n  user_agent: \"\"\n"
                "  monitoring:\n    max_url_length: -1\n"
                "    entropy_threshold: 0\n    subdomain_entropy_threshold: -2.5\n"
                "    max_requests_per_minute: 0\n"
                "forward_proxy: {max_tunnel_seconds: 0, idle_timeout_seconds: -1}\n"
                "kill_switch: {message: \"\"}\n"
                "tls_interception: {cert_ttl: \"0s\"}\n");
    cr_expect_eq(c->version, 1);
    cr_expect_eq(c->fetch_proxy.timeout_seconds, 30);
    cr_expect_eq(c->fetch_proxy.max_response_mb, 10);
    cr_expect_str_eq(c->fetch_proxy.listen, "127.0.0.1:8888");
    cr_expect_str_eq(c->fetch_proxy.user_agent, "Pipelock Fetch/1.0");
    cr_expect_eq(c->fetch_proxy.monitoring.max_url_length, 2048);
    cr_expect_float_eq(c->fetch_proxy.monitoring.entropy_threshold, 4.5, 1e-9);
    cr_expect_float_eq(c->fetch_proxy.monitoring.subdomain_entropy_threshold, 4.0, 1e-9);
    cr_expect_eq(c->fetch_proxy.monitoring.max_requests_per_minute, 60,
                 "rate limiting cannot be disabled (reference §11 #8)");
    cr_expect_eq(c->forward_proxy.max_tunnel_seconds, 300);
    cr_expect_eq(c->forward_proxy.idle_timeout_seconds, 120);
    cr_expect_str_eq(c->kill_switch.message, "Emergency deny-all active");
    cr_expect_eq(c->tls_interception.cert_ttl_ns, 24LL * 3600 * 1000000000LL);
    pl_config_free(c);
}

Test(config_numbers, explicit_values)
{
    struct pl_config *c =
        load_ok("fetch_proxy:\n  timeout_seconds: 0x10\n  max_response_mb: 1_000\n"
                "  monitoring:\n    entropy_threshold: 3\n"
                "    subdomain_entropy_threshold: 3.25\n"
                "    max_data_per_minute: 10000000000\n"
                "    max_url_length: 010\n"
                "tls_interception: {cert_ttl: 1h30m}\n"
                "response_scanning: {action: ask}\n");
    cr_expect_eq(c->fetch_proxy.timeout_seconds, 16);
    cr_expect_eq(c->fetch_proxy.max_response_mb, 1000);
    cr_expect_eq(c->fetch_proxy.monitoring.max_url_length, 8, "Go base-0 octal, as yaml.v3");
    cr_expect_float_eq(c->fetch_proxy.monitoring.entropy_threshold, 3.0, 1e-9);
    cr_expect_float_eq(c->fetch_proxy.monitoring.subdomain_entropy_threshold, 3.25, 1e-9);
    cr_expect_eq(c->fetch_proxy.monitoring.max_data_per_minute, 10000000000LL);
    cr_expect_eq(c->tls_interception.cert_ttl_ns, 5400LL * 1000000000LL);
    cr_expect_str_eq(c->response_scanning.action, "ask");
    cr_expect_eq(c->response_scanning.ask_timeout_seconds, 30, "defaulted only for ask");
    pl_config_free(c);
}

Test(config_numbers, go_durations)
{
    static const struct {
        const char *s;
        int64_t ns;
        int r;
    } cases[] = {
        {"24h", 86400000000000LL, 0},
        {"1.5h", 5400000000000LL, 0},
        {"300ms", 300000000LL, 0},
        {"1m30s", 90000000000LL, 0},
        {"2us", 2000, 0},
        {"2\xc2\xb5s", 2000, 0},
        {"7ns", 7, 0},
        {"0", 0, 0},
        {"-1h", -3600000000000LL, 0},
        {"", 0, -EINVAL},
        {"24", 0, -EINVAL},
        {"24x", 0, -EINVAL},
        {"h", 0, -EINVAL},
        {".s", 0, -EINVAL},
        {"9999999999999h", 0, -ERANGE},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        int64_t ns = 0;
        int r = pl_cfg_parse_duration(cases[i].s, &ns);
        cr_expect_eq(r, cases[i].r, "%s", cases[i].s);
        if (r == 0)
            cr_expect_eq(ns, cases[i].ns, "%s", cases[i].s);
    }
}

Test(config_numbers, yaml11_booleans_accepted_unquoted)
{
    struct pl_config *c = load_ok("enforce: no\nexplain_blocks: yes\n"
                                  "forward_proxy: {enabled: On}\n");
    cr_expect_not(c->enforce);
    cr_expect(c->explain_blocks);
    cr_expect(c->forward_proxy.enabled);
    pl_config_free(c);
}

/* ---------------------------------------------------------------- unknown keys */

Test(config_unknown, top_level_with_suggestion)
{
    expect_err("mdoe: strict\n",
               "t.yaml:1:1: unknown key \"mdoe\" in top level (did you mean \"mode\"?)");
    expect_err("version: 1\nMode: strict\n",
               "t.yaml:2:1: unknown key \"Mode\" in top level (did you mean \"mode\"?)");
    expect_err("forward_prxy: {}\n", "t.yaml:1:1: unknown key \"forward_prxy\" in top level "
                                     "(did you mean \"forward_proxy\"?)");
}

Test(config_unknown, extensions_are_suggested)
{
    expect_err("dsn: {}\n", "t.yaml:1:1: unknown key \"dsn\" in top level (did you mean \"dns\"?)");
    expect_err("servr: {}\n",
               "t.yaml:1:1: unknown key \"servr\" in top level (did you mean \"server\"?)");
}

Test(config_unknown, no_hint_when_nothing_is_close)
{
    expect_err("zzzqqq: 1\n", "t.yaml:1:1: unknown key \"zzzqqq\" in top level");
    expect_err("fetch_proxy:\n  x: 1\n", "t.yaml:2:3: unknown key \"x\" in fetch_proxy");
}

Test(config_unknown, nested_sections)
{
    expect_err("fetch_proxy:\n  monitoring:\n    entropy_treshold: 3\n",
               "t.yaml:3:5: unknown key \"entropy_treshold\" in fetch_proxy.monitoring "
               "(did you mean \"entropy_threshold\"?)");
    expect_err("adaptive_enforcement:\n  levels:\n    high:\n      upgrade_wran: block\n",
               "t.yaml:4:7: unknown key \"upgrade_wran\" in adaptive_enforcement.levels.high "
               "(did you mean \"upgrade_warn\"?)");
    expect_err("server: {max_header: 10}\n", "t.yaml:1:10: unknown key \"max_header\" in server "
                                             "(did you mean \"max_headers\"?)");
}

Test(config_unknown, list_items_and_map_values)
{
    expect_err("dlp:\n  patterns:\n    - name: a\n      regex: b\n    - name: c\n"
               "      regex: d\n      severty: high\n",
               "t.yaml:7:7: unknown key \"severty\" in dlp.patterns[1] "
               "(did you mean \"severity\"?)");
    expect_err("agents:\n  bot:\n    mode: strict\n    budgett: {}\n",
               "t.yaml:4:5: unknown key \"budgett\" in agents.bot (did you mean \"budget\"?)");
    expect_err("agents:\n  bot:\n    budget: {max_requests_per_sesion: 3}\n",
               "t.yaml:3:14: unknown key \"max_requests_per_sesion\" in agents.bot.budget "
               "(did you mean \"max_requests_per_session\"?)");
    expect_err("mcp_tool_policy:\n  redirect_profiles:\n    fetch: {exec: [a], reasn: x}\n",
               "t.yaml:3:24: unknown key \"reasn\" in mcp_tool_policy.redirect_profiles.fetch "
               "(did you mean \"reason\"?)");
}

/* ---------------------------------------------------------------- type errors */

Test(config_types, scalars)
{
    expect_err("enforce: \"true\"\n",
               "t.yaml:1:10: enforce: expected a boolean (true or false), got quoted string "
               "\"true\"");
    expect_err("forward_proxy:\n  enabled: maybe\n",
               "t.yaml:2:12: forward_proxy.enabled: expected a boolean (true or false), got "
               "\"maybe\"");
    expect_err("fetch_proxy:\n  timeout_seconds: 1.5\n",
               "t.yaml:2:20: fetch_proxy.timeout_seconds: expected an integer, got \"1.5\"");
    expect_err("fetch_proxy:\n  timeout_seconds: \"30\"\n",
               "t.yaml:2:20: fetch_proxy.timeout_seconds: expected an integer, got quoted "
               "string \"30\"");
    expect_err("fetch_proxy:\n  timeout_seconds: 99999999999\n",
               "t.yaml:2:20: fetch_proxy.timeout_seconds: integer out of range");
    expect_err("fetch_proxy:\n  monitoring: {entropy_threshold: high}\n",
               "t.yaml:2:35: fetch_proxy.monitoring.entropy_threshold: expected a number, got "
               "\"high\"");
    expect_err("fetch_proxy:\n  monitoring: {entropy_threshold: .inf}\n",
               "t.yaml:2:35: fetch_proxy.monitoring.entropy_threshold: expected a number, got "
               "\".inf\"");
    expect_err("fetch_proxy:\n  listen: {a: 1}\n",
               "t.yaml:2:11: fetch_proxy.listen: expected a string, got a mapping");
    expect_err("version: [1]\n", "t.yaml:1:10: version: expected an integer, got a list");
}

Test(config_types, containers)
{
    expect_err("api_allowlist: example.com\n",
               "t.yaml:1:16: api_allowlist: expected a list of strings, got \"example.com\"");
    expect_err("api_allowlist: [a, [b]]\n",
               "t.yaml:1:20: api_allowlist[1]: expected a string, got a list");
    expect_err("fetch_proxy: 5\n", "t.yaml:1:14: fetch_proxy: expected a mapping, got \"5\"");
    expect_err("dlp: {patterns: {name: x}}\n",
               "t.yaml:1:17: dlp.patterns: expected a list, got a mapping");
    expect_err("suppress: [~]\n", "t.yaml:1:12: suppress[0]: expected a mapping, got null");
    expect_err("agents: [a]\n", "t.yaml:1:9: agents: expected a mapping, got a list");
    expect_err("agents:\n  a: 5\n", "t.yaml:2:6: agents.a: expected a mapping, got \"5\"");
    expect_err("emit: {otlp: {headers: {X-A: [1]}}}\n",
               "t.yaml:1:30: emit.otlp.headers.X-A: expected a string, got a list");
    expect_err("tool_chain_detection: {tool_categories: {read: x}}\n",
               "t.yaml:1:48: tool_chain_detection.tool_categories.read: expected a list of "
               "strings, got \"x\"");
    expect_err("agents: {a: {budget: {cost_multipliers: {fetch: lots}}}}\n",
               "t.yaml:1:49: agents.a.budget.cost_multipliers.fetch: expected a number, got "
               "\"lots\"");
}

Test(config_types, enums)
{
    expect_err("mode: enforce\n",
               "t.yaml:1:7: mode: invalid value \"enforce\" (expected one of: balanced, strict, "
               "audit)");
    expect_err("logging: {output: syslog}\n",
               "t.yaml:1:19: logging.output: invalid value \"syslog\" (expected one of: stdout, "
               "file, both)");
    expect_err("response_scanning: {action: deny}\n",
               "t.yaml:1:29: response_scanning.action: invalid value \"deny\" (expected one of: "
               "block, strip, warn, ask)");
    expect_err("websocket_proxy: {origin_policy: allow}\n",
               "t.yaml:1:34: websocket_proxy.origin_policy: invalid value \"allow\" (expected "
               "one of: rewrite, forward, strip)");
    expect_err("emit: {syslog: {facility: local9}}\n",
               "t.yaml:1:27: emit.syslog.facility: invalid value \"local9\" (expected one of: "
               "kern, user, mail, daemon, auth, syslog, lpr, news, uucp, local0, local1, local2, "
               "local3, local4, local5, local6, local7)");
    expect_err("tool_chain_detection: {pattern_overrides: {read-then-exec: ask}}\n",
               "t.yaml:1:60: tool_chain_detection.pattern_overrides.read-then-exec: invalid "
               "value \"ask\" (expected one of: warn, block)");
    expect_err("dlp:\n  patterns:\n    - {name: a, regex: b, validator: crc}\n",
               "t.yaml:3:38: dlp.patterns[0].validator: invalid value \"crc\" (expected one "
               "of: luhn, mod97, aba, wif)");
    /* An empty string is "unset": the default applies. */
    struct pl_config *c = load_ok("mode: \"\"\nrequest_body_scanning: {action: \"\"}\n");
    cr_expect_eq(c->mode, PL_MODE_BALANCED);
    cr_expect_str_eq(c->request_body_scanning.action, "warn");
    pl_config_free(c);
}

Test(config_types, cidrs_and_durations)
{
    expect_err("internal: [10.0.0.0/33]\n",
               "t.yaml:1:12: internal[0]: invalid CIDR \"10.0.0.0/33\" (expected e.g. "
               "\"10.0.0.0/8\")");
    expect_err("internal: [10.0.0.0/8, example.com]\n",
               "t.yaml:1:24: internal[1]: invalid CIDR \"example.com\" (expected e.g. "
               "\"10.0.0.0/8\")");
    expect_err("ssrf:\n  ip_allowlist: [10.0.0.1/8]\n",
               "t.yaml:2:18: ssrf.ip_allowlist[0]: invalid CIDR \"10.0.0.1/8\": must be "
               "canonical (no host bits set, prefix not /0)");
    expect_err("ssrf:\n  ip_allowlist: [0.0.0.0/0]\n",
               "t.yaml:2:18: ssrf.ip_allowlist[0]: invalid CIDR \"0.0.0.0/0\": must be "
               "canonical (no host bits set, prefix not /0)");
    expect_err("ssrf:\n  ip_allowlist: [10.0.0.1]\n",
               "t.yaml:2:18: ssrf.ip_allowlist[0]: invalid CIDR \"10.0.0.1\" (expected e.g. "
               "\"10.0.0.0/8\")");
    expect_err("kill_switch: {allowlist_ips: [nope]}\n",
               "t.yaml:1:31: kill_switch.allowlist_ips[0]: invalid CIDR \"nope\" (expected e.g. "
               "\"10.0.0.0/8\")");
    expect_err("tls_interception:\n  cert_ttl: 24x\n",
               "t.yaml:2:13: tls_interception.cert_ttl: invalid duration \"24x\" (expected a Go "
               "duration such as \"24h\", \"90m\" or \"1h30m\")");
    expect_err("tls_interception:\n  cert_ttl: 24\n",
               "t.yaml:2:13: tls_interception.cert_ttl: invalid duration \"24\" (expected a Go "
               "duration such as \"24h\", \"90m\" or \"1h30m\")");
    expect_err("tls_interception:\n  cert_ttl: -1h\n",
               "t.yaml:2:13: tls_interception.cert_ttl: must be a positive duration");
    expect_err("scan_api: {timeouts: {scan: soon}}\n",
               "t.yaml:1:29: scan_api.timeouts.scan: invalid duration \"soon\" (expected a Go "
               "duration such as \"24h\", \"90m\" or \"1h30m\")");
}

/* ---------------------------------------------------------------- YAML rules */

Test(config_yaml, second_document)
{
    expect_err("mode: balanced\n---\nmode: strict\n",
               "t.yaml:2:1: a second YAML document is not allowed (one document per config file)");
    expect_err("mode: balanced\n--- \n",
               "t.yaml:2:1: a second YAML document is not allowed (one document per config file)");
}

Test(config_yaml, duplicate_keys)
{
    expect_err("mode: audit\nmode: strict\n", "t.yaml:2:1: duplicate key \"mode\" in top level");
    expect_err("fetch_proxy:\n  listen: a\n  monitoring:\n    blocklist: []\n    blocklist: []\n",
               "t.yaml:5:5: duplicate key \"blocklist\" in fetch_proxy.monitoring");
    expect_err("dlp:\n  patterns:\n    - {name: a, regex: b, name: c}\n",
               "t.yaml:3:27: duplicate key \"name\" in dlp.patterns[0]");
    /* Control characters never reach the message (it is one line on a terminal). */
    expect_err("\"a\\nb\": 1\n\"a\\nb\": 2\n", "t.yaml:2:1: duplicate key \"a?b\" in top level");
    expect_err("agents:\n  \"x\\ty\": {mdoe: strict}\n",
               "t.yaml:2:12: unknown key \"mdoe\" in agents.x?y (did you mean \"mode\"?)");
    /* An empty merge is fine. */
    pl_config_free(load_ok("agents:\n  a:\n    <<: {}\n    mode: strict\n"));
}

Test(config_yaml, syntax_errors_have_positions)
{
    expect_err("a: [1, 2\n", "t.yaml:2:1: YAML syntax error: flow sequence without a closing "
                             "bracket");
    /* libfyaml reads "balanced enforce" as one multi-line plain scalar used as a key. */
    expect_err("mode: balanced\n  enforce: true\n",
               "t.yaml:1:7: YAML syntax error: invalid multiline plain key");
    char *e = load_err("mode: \"unterminated\n");
    cr_expect(strncmp(e, "t.yaml:", 7) == 0 && strstr(e, "YAML syntax error"), "%s", e);
    free(e);
}

Test(config_yaml, root_must_be_a_mapping)
{
    expect_err("- a\n- b\n", "t.yaml:1:1: the configuration must be a mapping of keys, got a list");
    expect_err("hello\n", "t.yaml:1:1: the configuration must be a mapping of keys, got \"hello\"");
}

Test(config_yaml, anchors_aliases_and_merge_keys)
{
    struct pl_config *c = load_ok("trusted_domains: &hosts [a.example, b.example]\n"
                                  "api_allowlist: *hosts\n"
                                  "agents:\n"
                                  "  base:\n"
                                  "    dlp:\n"
                                  "      patterns:\n"
                                  "        - &pat {name: Custom, regex: 'x[0-9]+', severity: low}\n"
                                  "dlp:\n"
                                  "  patterns:\n"
                                  "    - <<: *pat\n"
                                  "      severity: high\n"
                                  "    - <<: [*pat]\n"
                                  "      name: Other\n");
    cr_expect_eq(c->api_allowlist.n, 2);
    cr_expect_str_eq(c->api_allowlist.v[1], "b.example");
    cr_assert_eq(c->dlp.patterns.n, 2);
    cr_expect_str_eq(c->dlp.patterns.v[0].name, "Custom");
    cr_expect_str_eq(c->dlp.patterns.v[0].regex, "x[0-9]+");
    cr_expect_str_eq(c->dlp.patterns.v[0].severity, "high", "explicit key wins over merge");
    cr_expect_str_eq(c->dlp.patterns.v[1].name, "Other");
    cr_expect_str_eq(c->dlp.patterns.v[1].severity, "low");
    cr_expect_eq(c->dlp.n_patterns, 50);
    pl_config_free(c);
    expect_err("api_allowlist: *nope\n", "t.yaml:1:16: unknown anchor \"nope\"");
    expect_err("dlp:\n  patterns:\n    - <<: 5\n",
               "t.yaml:3:11: merge key \"<<\" takes a mapping or a list of mappings");
    expect_err("? [a]\n: 1\n", "t.yaml:1:3: mapping keys must be scalars");
}

Test(config_yaml, alias_expansion_is_bounded)
{
    /* One 10000-item list referenced by 150 agents: ~1.5M values once expanded. */
    size_t cap = 200000, len = 0;
    char *y = malloc(cap);
    len += (size_t)snprintf(y + len, cap - len, "agents:\n  a0: &big\n    listeners: [");
    for (int i = 0; i < 10000; i++)
        len += (size_t)snprintf(y + len, cap - len, "%sx", i ? "," : "");
    len += (size_t)snprintf(y + len, cap - len, "]\n");
    for (int i = 1; i < 150; i++)
        len += (size_t)snprintf(y + len, cap - len, "  a%d: *big\n", i);
    char *e = load_err(y);
    cr_expect(strstr(e, "configuration too complex") != NULL, "%s", e);
    free(e);
    free(y);
}

Test(config_yaml, oversized_input)
{
    size_t n = PL_YTREE_MAX_INPUT + 1;
    char *big = malloc(n);
    memset(big, '#', n);
    struct pl_config *c = NULL;
    char *err = NULL;
    cr_expect_eq(pl_config_load_buffer("t.yaml", big, n, &c, &err), -E2BIG);
    cr_expect_null(c);
    cr_expect(err && strstr(err, "too large"), "%s", err ? err : "");
    free(err);
    free(big);
}

Test(config_yaml, nul_byte_in_scalar)
{
    static const char y[] = "user_agent: \"a\\0b\"\n";
    expect_err(y, "t.yaml:1:13: NUL character in a YAML scalar");
}

/* ---------------------------------------------------------------- required keys */

Test(config_required, list_items)
{
    expect_err("suppress:\n  - rule: Credit Card Number\n    reason: test data\n",
               "t.yaml:2:5: suppress[0]: missing required key \"path\"");
    expect_err("dlp:\n  patterns:\n    - name: x\n      regex: \"\"\n",
               "t.yaml:3:7: dlp.patterns[0]: missing required key \"regex\"");
    expect_err("canary_tokens: {tokens: [{value: abcdefgh}]}\n",
               "t.yaml:1:26: canary_tokens.tokens[0]: missing required key \"name\"");
    expect_err("mcp_tool_policy: {rules: [{name: r}]}\n",
               "t.yaml:1:27: mcp_tool_policy.rules[0]: missing required key \"tool_pattern\"");
}

/* ---------------------------------------------------------------- the whole schema */

static const char *const reference_top_level[] = {
    "version", "mode", "enforce", "explain_blocks", "api_allowlist", "suppress", "fetch_proxy",
    "forward_proxy", "websocket_proxy", "dlp", "canary_tokens", "response_scanning",
    "mcp_input_scanning", "mcp_tool_scanning", "mcp_tool_policy", "git_protection", "logging",
    "session_profiling", "adaptive_enforcement", "mcp_session_binding", "request_body_scanning",
    "kill_switch", "sentry", "metrics_listen", "emit", "tool_chain_detection", "mcp_ws_listener",
    "tls_interception", "cross_request_detection", "reverse_proxy", "scan_api",
    "address_protection", "seed_phrase_detection", "rules", "file_sentry", "sandbox",
    "flight_recorder", "mcp_binary_integrity", "mcp_tool_provenance", "behavioral_baseline",
    "airlock", "browser_shield", "media_policy", "a2a_scanning", "taint", "mediation_envelope",
    "redaction", "agents", "default_agent_identity", "bind_default_agent_identity", "license_key",
    "license_file", "license_public_key", "internal", "trusted_domains", "ssrf",
    /* extensions */
    "dns", "server", "proxy_auth"};

Test(config_schema, top_level_keys_are_the_reference_list_plus_extensions)
{
    size_t i = 0;
    for (const struct pl_cfg_key *k = pl_cfg_schema; k->name; k++, i++) {
        cr_assert_lt(i, PL_ARRAY_SIZE(reference_top_level), "extra key %s", k->name);
        cr_expect_str_eq(k->name, reference_top_level[i]);
        cr_expect_eq((k->flags & PL_CFG_F_EXT) != 0, i >= 56, "%s", k->name);
    }
    cr_expect_eq(i, PL_ARRAY_SIZE(reference_top_level));
    cr_expect_eq(pl_cfg_dlp_builtin_count, 48);
}

/* Every key of keys (recursively) must be present in n. */
static void
check_covered(const struct pl_cfg_key *keys, const struct pl_ynode *n, const char *path)
{
    char sub[512];
    for (const struct pl_cfg_key *k = keys; k->name; k++) {
        const struct pl_ynode *v = pl_ynode_get(n, k->name);
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k->name);
        cr_expect_not_null(v, "full-schema.yaml lacks %s", sub);
        if (!v || !k->children)
            continue;
        if (k->type == PL_CFG_SECTION) {
            check_covered(k->children, v, sub);
        } else if (k->type == PL_CFG_LIST) {
            cr_assert(v->kind == PL_YNODE_SEQ && v->n > 0, "%s needs an item", sub);
            check_covered(k->children, v->vals[0], sub);
        } else if (k->type == PL_CFG_MAP) {
            /* The entry naming the most keys stands for the map. */
            const struct pl_ynode *best = NULL;
            for (size_t i = 0; v->kind == PL_YNODE_MAP && i < v->n; i++)
                if (!best || v->vals[i]->n > best->n)
                    best = v->vals[i];
            cr_assert_not_null(best, "%s needs an entry", sub);
            check_covered(k->children, best, sub);
        }
    }
}

Test(config_schema, full_config_exercises_every_key_and_loads)
{
    const char *path = PL_SOURCE_ROOT "/tests/unit/policy/full-schema.yaml";
    char *text = read_file(path);
    struct pl_ytree tree;
    char *err = NULL;
    cr_assert_eq(pl_ytree_parse("full", text, strlen(text), &tree, &err), 0, "%s", err);
    check_covered(pl_cfg_schema, tree.root, "");
    pl_ytree_done(&tree);

    struct pl_config *c = NULL;
    int r = pl_config_load_file(path, &c, &err);
    cr_assert_eq(r, 0, "%s", err);
    size_t unimplemented = 0;
    for (const struct pl_cfg_key *k = pl_cfg_schema; k->name; k++)
        unimplemented += !(k->flags & PL_CFG_F_IMPL);
    /* ... plus one for emit.otlp, the part of the emit section this build does not do. */
    cr_expect_eq(c->warnings.n, unimplemented + 1, "one warning per unimplemented key");
    for (size_t i = 0; i < c->warnings.n; i++)
        cr_expect(strstr(c->warnings.v[i], "not implemented by this build yet"), "%s",
                  c->warnings.v[i]);
    /* A sample of the typed values. */
    cr_expect_eq(c->mode, PL_MODE_STRICT);
    cr_expect_str_eq(c->fetch_proxy.listen, "127.0.0.1:18888");
    cr_expect_eq(c->fetch_proxy.monitoring.max_data_per_minute, 1048576);
    cr_expect_eq(c->websocket_proxy.max_concurrent_connections, 16);
    cr_expect_str_eq(c->websocket_proxy.origin_policy, "strip");
    cr_expect_eq(c->tls_interception.cert_ttl_ns, 12LL * 3600 * 1000000000LL);
    cr_expect_str_eq(c->request_body_scanning.header_mode, "all");
    cr_expect_eq(c->response_scanning.ask_timeout_seconds, 15);
    cr_expect_str_eq(c->response_scanning.sse_streaming.action, "warn");
    cr_expect_eq(c->git_protection.allowed_branches.n, 2);
    cr_expect_eq(c->dlp.n_patterns, 49);
    cr_expect_eq(c->dlp.min_env_secret_length, 20);
    cr_expect_str_eq(c->kill_switch.message, "Maintenance: deny-all");
    cr_expect_not(c->kill_switch.metrics_exempt);
    cr_expect_eq(c->kill_switch.allowlist_ips.n, 2);
    cr_expect_eq(c->internal.n, 3);
    cr_expect_eq(c->ssrf_ip_allowlist.n, 1);
    cr_expect_str_eq(c->default_agent_identity, "claude");
    cr_expect(c->bind_default_agent_identity);
    cr_expect_eq(c->dns.attempts, 3);
    cr_expect_eq(c->server.max_headers, 64);
    /* Relative paths are resolved against the file's directory; absolute ones kept. */
    cr_expect_str_eq(c->dlp.secrets_file, PL_SOURCE_ROOT "/tests/unit/policy/secrets.txt");
    cr_expect_str_eq(c->tls_interception.ca_cert, PL_SOURCE_ROOT "/tests/unit/policy/ca.pem");
    cr_expect_str_eq(c->tls_interception.ca_key, "/etc/pipelock/ca-key.pem");
    cr_expect_str_eq(c->license_file, PL_SOURCE_ROOT "/tests/unit/policy/license.jwt");
    cr_expect_str_eq(c->path, path);
    pl_config_free(c);

    /* From a buffer the same document keeps paths as written. */
    c = load_ok(text);
    cr_expect_str_eq(c->dlp.secrets_file, "secrets.txt");
    pl_config_free(c);
    free(text);
}

Test(config_schema, every_prefix_of_the_full_config_is_handled)
{
    /* Truncating the full config at every line must either load or fail cleanly (ASan checks
     * the error paths for leaks). */
    char *text = read_file(PL_SOURCE_ROOT "/tests/unit/policy/full-schema.yaml");
    size_t len = strlen(text), loaded = 0, failed = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i != len && text[i] != '\n')
            continue;
        struct pl_config *c = NULL;
        char *err = NULL;
        if (pl_config_load_buffer("p.yaml", text, i, &c, &err) == 0) {
            cr_expect_null(err);
            pl_config_free(c);
            loaded++;
        } else {
            cr_expect_null(c);
            cr_expect(err && strncmp(err, "p.yaml", 6) == 0, "%s", err ? err : "(null)");
            free(err);
            failed++;
        }
    }
    cr_expect_gt(loaded, 0);
    cr_expect_gt(failed, 0);
    free(text);
}

/* ---------------------------------------------------------------- files */

Test(config_files, missing_file)
{
    struct pl_config *c = NULL;
    char *err = NULL;
    cr_expect_eq(pl_config_load_file("/nonexistent/pipelock.yaml", &c, &err), -ENOENT);
    cr_expect_null(c);
    cr_expect_str_eq(err, "/nonexistent/pipelock.yaml: cannot read config file: No such file or "
                          "directory");
    free(err);
}

Test(config_files, errors_name_the_file)
{
    char dir[] = "/tmp/pl-cfg-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/bad.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("fetch_proxy:\n  listen: \"127.0.0.1:8888\"\n  timeout_secs: 5\n", f);
    fclose(f);
    struct pl_config *c = NULL;
    char *err = NULL;
    cr_expect_eq(pl_config_load_file(path, &c, &err), -EINVAL);
    char want[512];
    snprintf(want, sizeof(want),
             "%s:3:3: unknown key \"timeout_secs\" in fetch_proxy (did you mean "
             "\"timeout_seconds\"?)",
             path);
    cr_expect_str_eq(err, want);
    free(err);
    unlink(path);
    rmdir(dir);
}

/* ---------------------------------------------------------------- presets */

struct preset_want {
    const char *name;
    enum pl_mode mode;
    bool enforce;
    double entropy, subdomain_entropy;
    int max_url_length, rpm;
};
static const struct preset_want presets[] = {
    {"balanced", PL_MODE_BALANCED, true, 4.5, 4.0, 2048, 60},
    {"strict", PL_MODE_STRICT, true, 3.5, 3.5, 500, 30},
    {"audit", PL_MODE_AUDIT, false, 4.5, 4.0, 2048, 60},
};

static void
check_preset(const struct pl_config *c, const struct preset_want *w)
{
    struct pl_config *d = pl_config_defaults();
    cr_expect_eq(c->mode, w->mode, "%s", w->name);
    cr_expect_eq(c->enforce, w->enforce, "%s", w->name);
    cr_expect_float_eq(c->fetch_proxy.monitoring.entropy_threshold, w->entropy, 1e-9);
    cr_expect_float_eq(c->fetch_proxy.monitoring.subdomain_entropy_threshold, w->subdomain_entropy,
                       1e-9);
    cr_expect_eq(c->fetch_proxy.monitoring.max_url_length, w->max_url_length);
    cr_expect_eq(c->fetch_proxy.monitoring.max_requests_per_minute, w->rpm);
    cr_expect(c->forward_proxy.enabled, "shipped presets enable the forward proxy");
    cr_expect_eq(c->warnings.n, 0, "%s: presets use implemented sections only", w->name);
    /* Everything else is Defaults(). */
    cr_assert_eq(c->api_allowlist.n, d->api_allowlist.n);
    for (size_t i = 0; i < d->api_allowlist.n; i++)
        cr_expect_str_eq(c->api_allowlist.v[i], d->api_allowlist.v[i]);
    cr_assert_eq(c->fetch_proxy.monitoring.blocklist.n, d->fetch_proxy.monitoring.blocklist.n);
    for (size_t i = 0; i < d->fetch_proxy.monitoring.blocklist.n; i++)
        cr_expect_str_eq(c->fetch_proxy.monitoring.blocklist.v[i],
                         d->fetch_proxy.monitoring.blocklist.v[i]);
    cr_expect_eq(c->internal.n, d->internal.n);
    for (size_t i = 0; i < d->internal.n; i++)
        cr_expect(pl_ip_eq(&c->internal.v[i].net, &d->internal.v[i].net) &&
                  c->internal.v[i].prefix == d->internal.v[i].prefix);
    cr_expect_str_eq(c->fetch_proxy.listen, d->fetch_proxy.listen);
    cr_expect_eq(c->fetch_proxy.timeout_seconds, d->fetch_proxy.timeout_seconds);
    cr_expect_eq(c->fetch_proxy.max_response_mb, d->fetch_proxy.max_response_mb);
    cr_expect_str_eq(c->fetch_proxy.user_agent, d->fetch_proxy.user_agent);
    cr_expect_eq(c->forward_proxy.max_tunnel_seconds, d->forward_proxy.max_tunnel_seconds);
    cr_expect_eq(c->forward_proxy.idle_timeout_seconds, d->forward_proxy.idle_timeout_seconds);
    cr_expect_eq(c->explain_blocks, d->explain_blocks);
    cr_expect_str_eq(c->logging.format, d->logging.format);
    cr_expect_eq(c->logging.output, d->logging.output);
    cr_expect(c->request_body_scanning.enabled && c->response_scanning.enabled && c->dlp.scan_env);
    cr_expect_eq(c->dlp.n_patterns, 48);
    pl_config_free(d);
}

Test(config_presets, shipped_files_load_with_expected_values)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(presets); i++) {
        char path[512];
        snprintf(path, sizeof(path), PL_SOURCE_ROOT "/configs/%s.yaml", presets[i].name);
        struct pl_config *c = NULL;
        char *err = NULL;
        cr_assert_eq(pl_config_load_file(path, &c, &err), 0, "%s", err);
        check_preset(c, &presets[i]);
        pl_config_free(c);
    }
}

Test(config_presets, generated_presets_load_and_match_the_files)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(presets); i++) {
        char *y = pl_gen_preset_yaml(presets[i].name, "pipelock 0.1.0 (test)");
        cr_assert_not_null(y);
        char header[256];
        snprintf(header, sizeof(header),
                 "# Pipelock config \xe2\x80\x94 %s preset\n# Generated by: pipelock 0.1.0 "
                 "(test)\n",
                 presets[i].name);
        cr_expect(strncmp(y, header, strlen(header)) == 0, "%s", y);
        char path[512];
        snprintf(path, sizeof(path), PL_SOURCE_ROOT "/configs/%s.yaml", presets[i].name);
        char *file = read_file(path);
        cr_expect_str_eq(y + strlen(header), file, "generate config prints the shipped file");
        free(file);
        struct pl_config *c = load_ok(y);
        check_preset(c, &presets[i]);
        pl_config_free(c);
        free(y);
    }
}

Test(config_presets, generator_line_cannot_break_out_of_the_comment)
{
    char *y = pl_gen_preset_yaml("audit", "x\nmode: strict");
    cr_assert_not_null(y);
    struct pl_config *c = load_ok(y);
    cr_expect_eq(c->mode, PL_MODE_AUDIT);
    pl_config_free(c);
    free(y);
    y = pl_gen_preset_yaml("balanced", NULL);
    cr_assert_not_null(y);
    cr_expect(strstr(y, "# Generated by: pipelock\n") != NULL);
    free(y);
}

Test(config_presets, unknown_preset)
{
    cr_expect_null(pl_gen_preset_yaml("hostile-model", "x"));
    cr_expect_null(pl_gen_preset_yaml("", "x"));
    cr_expect_null(pl_gen_preset_yaml(NULL, "x"));
}

Test(config_presets, presets_carry_no_sentry_dsn)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(presets); i++) {
        char *y = pl_gen_preset_yaml(presets[i].name, "x");
        cr_expect_null(strstr(y, "sentry"), "%s", presets[i].name);
        cr_expect_null(strstr(y, "dsn"), "%s", presets[i].name);
        free(y);
    }
}
