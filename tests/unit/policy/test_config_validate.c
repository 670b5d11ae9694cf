/*
 * Unit tests of policy/config validation (reference §3.2/§3.3 notes): one test per rule with
 * its exact message, advisory warnings, and the unimplemented-section warnings.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "config_test.h"
#include "policy/config.h"
#include "policy/config_int.h"

/* ---------------------------------------------------------------- validation rules */

Test(config_validate, mode_strict_needs_allowlist)
{
    expect_err("mode: strict\n",
               "t.yaml:1:7: mode: strict mode requires a non-empty api_allowlist");
    expect_err("mode: strict\napi_allowlist: []\n",
               "t.yaml:1:7: mode: strict mode requires a non-empty api_allowlist");
    struct pl_config *c = load_ok("mode: strict\napi_allowlist: [api.example.com]\n");
    cr_expect_eq(c->mode, PL_MODE_STRICT);
    pl_config_free(c);
}

Test(config_validate, blocklist_and_exclusions)
{
    expect_err("fetch_proxy:\n  monitoring:\n    blocklist: [a.example, \"\"]\n",
               "t.yaml:3:28: fetch_proxy.monitoring.blocklist[1]: empty entry");
    expect_err("fetch_proxy:\n  monitoring:\n    blocklist: [a.example, ~]\n",
               "t.yaml:3:28: fetch_proxy.monitoring.blocklist[1]: empty entry");
    static const char *const bad[] = {
        "https://cdn.example", "cdn.example:443", "a.*.example", "*", "cdn.example/path", "*.", ""};
    for (size_t i = 0; i < PL_ARRAY_SIZE(bad); i++) {
        char yaml[256], want[512];
        snprintf(yaml, sizeof(yaml),
                 "fetch_proxy:\n  monitoring:\n    subdomain_entropy_exclusions: [\"%s\"]\n",
                 bad[i]);
        snprintf(want, sizeof(want),
                 "t.yaml:3:36: fetch_proxy.monitoring.subdomain_entropy_exclusions[0]: invalid "
                 "entry \"%s\": expected an exact host or \"*.example.com\" (no scheme, port "
                 "or path)",
                 bad[i]);
        expect_err(yaml, want);
    }
}

Test(config_validate, listen_addresses)
{
    static const char *const bad[] = {"8888",           "localhost:0",
                                      "::1:8888",       "127.0.0.1:99999",
                                      "127.0.0.1:",     "[::1]8888",
                                      "127.0.0.1:http", "[]:80",
                                      "a b:80"};
    for (size_t i = 0; i < PL_ARRAY_SIZE(bad); i++) {
        char yaml[128], want[512];
        snprintf(yaml, sizeof(yaml), "fetch_proxy: {listen: \"%s\"}\n", bad[i]);
        snprintf(want, sizeof(want),
                 "t.yaml:1:23: fetch_proxy.listen: invalid listen address \"%s\": expected "
                 "host:port with a port between 1 and 65535 (IPv6 in brackets, e.g. "
                 "\"[::1]:8888\")",
                 bad[i]);
        expect_err(yaml, want);
    }
    static const char *const good[] = {"127.0.0.1:1", "[::1]:65535", "localhost:8080"};
    for (size_t i = 0; i < PL_ARRAY_SIZE(good); i++) {
        char yaml[128];
        snprintf(yaml, sizeof(yaml), "fetch_proxy: {listen: \"%s\"}\n", good[i]);
        struct pl_config *c = load_ok(yaml);
        cr_expect_str_eq(c->fetch_proxy.listen, good[i]);
        cr_expect_eq(c->warnings.n, 0, "%s is loopback or a name", good[i]);
        pl_config_free(c);
    }
    expect_err("metrics_listen: \"9090\"\n",
               "t.yaml:1:17: metrics_listen: invalid listen address \"9090\": expected host:port "
               "with a port between 1 and 65535 (IPv6 in brackets, e.g. \"[::1]:8888\")");
}

Test(config_validate, split_listen)
{
    struct pl_str host;
    uint16_t port;
    cr_assert_eq(pl_config_split_listen(pl_str_c("[::1]:8888"), &host, &port), 0);
    cr_expect_eq(host.len, 3);
    cr_expect_eq(port, 8888);
    cr_assert_eq(pl_config_split_listen(pl_str_c(":80"), &host, &port), 0);
    cr_expect_eq(host.len, 0);
    cr_expect_eq(pl_config_split_listen(pl_str_c("a:65536"), &host, &port), -EINVAL);
    cr_expect_eq(pl_config_split_listen(pl_str_c("a:-1"), &host, &port), -EINVAL);
    cr_expect_eq(pl_config_split_listen(pl_str_c("a:000080"), &host, &port), -EINVAL);
}

Test(config_validate, non_loopback_listen_warns)
{
    static const char *const exposed[] = {"0.0.0.0:8888", ":8888", "[::]:8888", "10.1.2.3:8888"};
    for (size_t i = 0; i < PL_ARRAY_SIZE(exposed); i++) {
        char yaml[128];
        snprintf(yaml, sizeof(yaml), "fetch_proxy: {listen: \"%s\"}\n", exposed[i]);
        expect_warnings(yaml,
                        "fetch_proxy.listen: listening on a non-loopback address exposes the "
                        "proxy to the network",
                        NULL);
    }
    expect_warnings("fetch_proxy: {listen: \"127.9.9.9:1\"}\n", NULL);
}

Test(config_validate, kill_switch_api_listen)
{
    unsetenv("PIPELOCK_KILLSWITCH_API_TOKEN");
    expect_err("kill_switch:\n  api_listen: \"127.0.0.1:9091\"\n",
               "t.yaml:2:15: kill_switch.api_listen: requires kill_switch.api_token (or the "
               "PIPELOCK_KILLSWITCH_API_TOKEN environment variable)");
    struct pl_config *c =
        load_ok("kill_switch:\n  api_listen: \"127.0.0.1:9091\"\n  api_token: s3cret\n");
    cr_expect_str_eq(c->kill_switch.api_token, "s3cret");
    pl_config_free(c);
    setenv("PIPELOCK_KILLSWITCH_API_TOKEN", "from-env", 1);
    c = load_ok("kill_switch:\n  api_listen: \"127.0.0.1:9091\"\n");
    cr_expect_str_eq(c->kill_switch.api_token, "", "the env token is not copied into the config");
    pl_config_free(c);
    setenv("PIPELOCK_KILLSWITCH_API_TOKEN", "  ", 1);
    expect_err("kill_switch:\n  api_listen: \"127.0.0.1:9091\"\n",
               "t.yaml:2:15: kill_switch.api_listen: requires kill_switch.api_token (or the "
               "PIPELOCK_KILLSWITCH_API_TOKEN environment variable)");
    unsetenv("PIPELOCK_KILLSWITCH_API_TOKEN");
}

Test(config_validate, listener_ports_differ)
{
    expect_err("kill_switch: {api_token: t, api_listen: \"127.0.0.1:8888\"}\n",
               "t.yaml:1:41: kill_switch.api_listen: port 8888 is already used by "
               "fetch_proxy.listen");
    expect_err("metrics_listen: \"0.0.0.0:8888\"\n",
               "t.yaml:1:17: metrics_listen: port 8888 is already used by fetch_proxy.listen");
    expect_err("fetch_proxy: {listen: \"127.0.0.1:7000\"}\nmetrics_listen: \"127.0.0.1:9000\"\n"
               "kill_switch: {api_token: t, api_listen: \"127.0.0.1:9000\"}\n",
               "t.yaml:2:17: metrics_listen: port 9000 is already used by kill_switch.api_listen");
    struct pl_config *c = load_ok("metrics_listen: \"127.0.0.1:9090\"\n"
                                  "kill_switch: {api_token: t, api_listen: \"127.0.0.1:9091\"}\n");
    cr_expect_str_eq(c->metrics_listen, "127.0.0.1:9090");
    pl_config_free(c);
}

Test(config_validate, websocket_strip_compression_must_stay_true)
{
    expect_err("websocket_proxy:\n  strip_compression: false\n",
               "t.yaml:2:22: websocket_proxy.strip_compression: must be true (compressed "
               "WebSocket frames cannot be scanned)");
    struct pl_config *c = load_ok("websocket_proxy: {strip_compression: true}\n");
    cr_expect(c->websocket_proxy.strip_compression);
    pl_config_free(c);
}

Test(config_validate, websocket_memory_warning)
{
    expect_warnings("websocket_proxy: {max_message_bytes: 16777216, max_concurrent_connections: "
                    "128}\n",
                    "websocket_proxy: section accepted but not implemented by this build yet; "
                    "its settings have no effect",
                    "websocket_proxy: max_message_bytes x max_concurrent_connections exceeds "
                    "1 GiB of buffered messages",
                    NULL);
}

Test(config_validate, dlp_rules)
{
    expect_err("dlp:\n  action: block\n",
               "t.yaml:2:11: dlp.action: reserved and must not be set (set a per-pattern action "
               "in dlp.patterns[].action instead)");
    expect_err("dlp:\n  action: warn\n",
               "t.yaml:2:11: dlp.action: reserved and must not be set (set a per-pattern action "
               "in dlp.patterns[].action instead)");
    expect_err("dlp:\n  patterns:\n    - {name: JWT Token, regex: x, action: warn}\n",
               "t.yaml:3:43: dlp.patterns[0].action: \"warn\" is not allowed on built-in "
               "pattern \"JWT Token\"");
    expect_err("dlp:\n  patterns:\n    - {name: a, regex: x, action: block}\n",
               "t.yaml:3:35: dlp.patterns[0].action: invalid value \"block\" (expected one of: "
               "warn)");
    /* Merge by name: overriding a built-in does not add a pattern. */
    struct pl_config *c = load_ok("dlp:\n  patterns:\n"
                                  "    - {name: JWT Token, regex: 'ey[a-z]+'}\n"
                                  "    - {name: Internal Token, regex: 'itk_[0-9a-f]{32}', "
                                  "action: warn, validator: luhn, exempt_domains: [a.example]}\n");
    cr_expect_eq(c->dlp.n_patterns, 49);
    cr_expect_str_eq(c->dlp.patterns.v[1].action, "warn");
    cr_expect_str_eq(c->dlp.patterns.v[1].validator, "luhn");
    cr_expect_str_eq(c->dlp.patterns.v[1].exempt_domains.v[0], "a.example");
    cr_expect_str_eq(c->dlp.patterns.v[0].severity, "");
    pl_config_free(c);
    c = load_ok("dlp:\n  include_defaults: false\n  patterns:\n"
                "    - {name: JWT Token, regex: x, action: warn}\n");
    cr_expect_eq(c->dlp.n_patterns, 1);
    pl_config_free(c);
}

Test(config_validate, logging_file_required)
{
    expect_err("logging:\n  output: file\n",
               "t.yaml:2:11: logging.file: required when logging.output is \"file\"");
    expect_err("logging:\n  output: both\n  file: \"\"\n",
               "t.yaml:2:11: logging.file: required when logging.output is \"both\"");
    struct pl_config *c = load_ok("logging: {output: both, file: /var/log/pipelock.jsonl, "
                                  "format: text}\n");
    cr_expect_eq(c->logging.output, PL_LOG_OUT_BOTH);
    cr_expect_str_eq(c->logging.format, "text");
    pl_config_free(c);
}

Test(config_validate, canary_tokens)
{
    expect_err("canary_tokens:\n  enabled: true\n",
               "t.yaml:2:12: canary_tokens.enabled: requires at least one entry in "
               "canary_tokens.tokens");
    expect_err("canary_tokens:\n  enabled: true\n  tokens: []\n",
               "t.yaml:2:12: canary_tokens.enabled: requires at least one entry in "
               "canary_tokens.tokens");
    expect_err("canary_tokens:\n  enabled: true\n  tokens:\n    - {name: a, value: short}\n",
               "t.yaml:4:24: canary_tokens.tokens[0].value: must be at least 8 characters");
    expect_err("canary_tokens:\n  enabled: true\n  tokens:\n"
               "    - {name: AWS, value: AKIA00000001}\n    - {name: aws, value: AKIA00000002}\n",
               "t.yaml:5:14: canary_tokens.tokens[1].name: duplicate token name \"aws\" (names "
               "are case-insensitive)");
    expect_err("canary_tokens:\n  enabled: true\n  tokens:\n"
               "    - {name: a, value: AKIA00000001}\n    - {name: b, value: AKIA00000001}\n",
               "t.yaml:5:24: canary_tokens.tokens[1].value: same value as canary_tokens.tokens[0]");
    expect_err("canary_tokens:\n  tokens:\n    - {name: a, value: abcdefgh, env_var: 1BAD}\n",
               "t.yaml:3:43: canary_tokens.tokens[0].env_var: invalid environment variable name "
               "\"1BAD\"");
    /* Acted on now: no "not implemented" warning. */
    expect_warnings("canary_tokens:\n  enabled: true\n  tokens:\n"
                    "    - {name: a, value: abcdefgh, env_var: AWS_CANARY_KEY}\n",
                    NULL);
}

Test(config_validate, seed_phrase_min_words)
{
    expect_err("seed_phrase_detection: {min_words: 13}\n",
               "t.yaml:1:36: seed_phrase_detection.min_words: must be one of 12, 15, 18, 21, 24 "
               "(got 13)");
    static const int ok[] = {12, 15, 18, 21, 24};
    for (size_t i = 0; i < PL_ARRAY_SIZE(ok); i++) {
        char yaml[64];
        snprintf(yaml, sizeof(yaml), "seed_phrase_detection: {min_words: %d}\n", ok[i]);
        pl_config_free(load_ok(yaml));
    }
}

Test(config_validate, mcp_tool_policy)
{
    expect_err("mcp_tool_policy:\n  enabled: true\n",
               "t.yaml:2:12: mcp_tool_policy.enabled: requires at least one rule in "
               "mcp_tool_policy.rules");
    expect_err("mcp_tool_policy:\n  rules:\n    - {name: r, tool_pattern: x, arg_key: k}\n",
               "t.yaml:3:43: mcp_tool_policy.rules[0].arg_key: requires arg_pattern");
    expect_err("mcp_tool_policy:\n  rules:\n    - {name: r, tool_pattern: x, action: redirect}\n",
               "t.yaml:3:7: mcp_tool_policy.rules[0]: redirect_profile is required when the "
               "action is \"redirect\"");
    expect_err("mcp_tool_policy:\n  action: redirect\n  rules:\n    - {name: r, tool_pattern: x}\n",
               "t.yaml:4:7: mcp_tool_policy.rules[0]: redirect_profile is required when the "
               "action is \"redirect\"");
    expect_err("mcp_tool_policy:\n  rules:\n"
               "    - {name: r, tool_pattern: x, action: redirect, redirect_profile: fetch}\n",
               "t.yaml:3:70: mcp_tool_policy.rules[0].redirect_profile: \"fetch\" is not defined "
               "in mcp_tool_policy.redirect_profiles");
    expect_err("mcp_tool_policy:\n  redirect_profiles:\n    fetch: {exec: []}\n",
               "t.yaml:3:19: mcp_tool_policy.redirect_profiles.fetch.exec: must be a non-empty "
               "command");
    expect_err("mcp_tool_policy:\n  redirect_profiles:\n"
               "    fetch: {exec: [pipelock, x], match_abs_path: true}\n",
               "t.yaml:3:20: mcp_tool_policy.redirect_profiles.fetch.exec[0]: must be an absolute "
               "path when match_abs_path is true");
    expect_err("agents:\n  bot:\n    mcp_tool_policy: {enabled: true}\n",
               "t.yaml:3:32: agents.bot.mcp_tool_policy.enabled: requires at least one rule in "
               "agents.bot.mcp_tool_policy.rules");
    pl_config_free(load_ok("mcp_tool_policy:\n  enabled: true\n  rules:\n"
                           "    - {name: r, tool_pattern: '^bash$', arg_pattern: 'rm -rf', "
                           "action: redirect, redirect_profile: safe}\n"
                           "  redirect_profiles:\n    safe: {exec: [/usr/bin/true], reason: x, "
                           "match_abs_path: true, preserve_argv: false}\n"));
}

Test(config_validate, dependencies_between_sections)
{
    expect_err("mcp_session_binding: {enabled: true}\n",
               "t.yaml:1:32: mcp_session_binding.enabled: requires mcp_tool_scanning.enabled");
    expect_err("adaptive_enforcement: {enabled: true}\n",
               "t.yaml:1:33: adaptive_enforcement.enabled: requires session_profiling.enabled");
    expect_err("airlock: {enabled: true}\n",
               "t.yaml:1:20: airlock.enabled: requires session_profiling.enabled");
    expect_err("cross_request_detection: {enabled: true}\n",
               "t.yaml:1:36: cross_request_detection.enabled: requires entropy_budget.enabled or "
               "fragment_reassembly.enabled");
    expect_err("scan_api: {listen: \"127.0.0.1:9990\"}\n",
               "t.yaml:1:20: scan_api.listen: requires at least one token in "
               "scan_api.auth.bearer_tokens");
    expect_err("request_body_scanning: {enabled: false}\nredaction: {enabled: true}\n",
               "t.yaml:2:22: redaction.enabled: requires request_body_scanning.enabled");
    expect_err("mediation_envelope: {sign: true}\n",
               "t.yaml:1:28: mediation_envelope.sign: requires mediation_envelope.enabled");
    pl_config_free(load_ok("session_profiling: {enabled: true}\nadaptive_enforcement: {enabled: "
                           "true}\nairlock: {enabled: true}\nmcp_tool_scanning: {enabled: "
                           "true}\nmcp_session_binding: {enabled: true}\nredaction: {enabled: "
                           "true}\ncross_request_detection: {enabled: true, fragment_reassembly: "
                           "{enabled: true}}\nscan_api: {listen: \"127.0.0.1:9990\", auth: "
                           "{bearer_tokens: [t]}}\n"));
}

Test(config_validate, monotonic_levels_and_triggers)
{
    expect_err("adaptive_enforcement:\n  levels:\n    high: {upgrade_warn: \"\"}\n",
               "t.yaml:3:26: adaptive_enforcement.levels.high.upgrade_warn: weaker than "
               "levels.elevated (a higher level cannot be weaker)");
    expect_err("adaptive_enforcement:\n  levels:\n    critical: {block_all: false}\n"
               "    high: {block_all: true}\n",
               "t.yaml:3:27: adaptive_enforcement.levels.critical.block_all: weaker than "
               "levels.high (a higher level cannot be weaker)");
    expect_err("airlock:\n  triggers: {on_elevated: hard, on_high: soft}\n",
               "t.yaml:2:42: airlock.triggers.on_high: weaker than on_elevated (triggers must "
               "not weaken as levels rise)");
    expect_err("adaptive_enforcement:\n  levels:\n    high: {upgrade_ask: allow}\n",
               "t.yaml:3:25: adaptive_enforcement.levels.high.upgrade_ask: invalid value "
               "\"allow\" (expected one of: block)");
    pl_config_free(load_ok("adaptive_enforcement:\n  levels:\n    elevated: {upgrade_warn: \"\"}\n"
                           "airlock:\n  triggers: {on_elevated: soft, on_high: hard, on_critical: "
                           "drain, on_severity: critical}\n"));
}

Test(config_validate, required_when_enabled)
{
    expect_err("flight_recorder: {enabled: true}\n",
               "t.yaml:1:28: flight_recorder.dir: required when flight_recorder is enabled");
    expect_err("flight_recorder: {raw_escrow: true}\n",
               "t.yaml:1:31: flight_recorder.escrow_public_key: required when raw_escrow is "
               "enabled");
    expect_err("flight_recorder: {escrow_public_key: abc}\n",
               "t.yaml:1:38: flight_recorder.escrow_public_key: must be 64 hexadecimal "
               "characters");
    expect_err("mcp_binary_integrity: {enabled: true, manifest_path: \"\"}\n",
               "t.yaml:1:54: mcp_binary_integrity.manifest_path: required when "
               "mcp_binary_integrity is enabled");
    expect_err("behavioral_baseline: {enabled: true}\n",
               "t.yaml:1:32: behavioral_baseline.profile_dir: required when behavioral_baseline "
               "is enabled");
    expect_err("reverse_proxy: {enabled: true, upstream: \"http://app:8080\"}\n",
               "t.yaml:1:26: reverse_proxy.listen: required when reverse_proxy is enabled");
    expect_err("reverse_proxy: {enabled: true, listen: \":8890\"}\n",
               "t.yaml:1:26: reverse_proxy.upstream: required when reverse_proxy is enabled");
    expect_err("reverse_proxy: {upstream: \"ftp://app\"}\n",
               "t.yaml:1:27: reverse_proxy.upstream: invalid URL \"ftp://app\": expected an "
               "http:// or https:// URL with a host");
    expect_err("file_sentry: {enabled: true}\n",
               "t.yaml:1:24: file_sentry.watch_paths: required when file_sentry is enabled");
    expect_err("file_sentry: {watch_paths: [src, \"a/../../etc\"]}\n",
               "t.yaml:1:34: file_sentry.watch_paths[1]: must not escape the config directory "
               "with \"..\"");
    expect_err("sandbox: {strict: true, best_effort: true}\n",
               "t.yaml:1:38: sandbox: strict and best_effort are mutually exclusive");
    expect_err("agents:\n  bot:\n    sandbox: {strict: true, best_effort: true}\n",
               "t.yaml:3:42: agents.bot.sandbox: strict and best_effort are mutually exclusive");
}

Test(config_validate, optional_section_values)
{
    expect_err("address_protection:\n  enabled: true\n"
               "  chains: {eth: false, btc: false, bnb: false}\n",
               "t.yaml:3:11: address_protection.chains: at least one chain must be enabled");
    expect_err("browser_shield: {enabled: true, oversize_action: warn, strictness: standard}\n",
               "t.yaml:1:50: browser_shield.oversize_action: \"warn\" is only allowed with "
               "strictness \"minimal\"");
    expect_err("media_policy: {allowed_image_types: [image/png, image/svg+xml]}\n",
               "t.yaml:1:49: media_policy.allowed_image_types[1]: \"image/svg+xml\" is never "
               "allowed");
    expect_err("media_policy: {allowed_image_types: [\"image/*\"]}\n",
               "t.yaml:1:38: media_policy.allowed_image_types[0]: wildcards are not allowed");
    expect_err("taint:\n  trust_overrides:\n    - {scope: task, source_match: x}\n",
               "t.yaml:3:15: taint.trust_overrides[0].scope: invalid value \"task\" (expected one "
               "of: action, source)");
    expect_err("taint:\n  trust_overrides:\n    - {scope: source, expires_at: tomorrow}\n",
               "t.yaml:3:35: taint.trust_overrides[0].expires_at: invalid timestamp \"tomorrow\": "
               "expected RFC 3339 such as \"2026-01-02T15:04:05Z\"");
    expect_err("rules:\n  trusted_keys:\n    - {name: k, public_key: \"zz\"}\n",
               "t.yaml:3:29: rules.trusted_keys[0].public_key: must be 64 hexadecimal characters");
    expect_err("mediation_envelope: {signed_components: [\"@method\", \"@path\"]}\n",
               "t.yaml:1:53: mediation_envelope.signed_components[1]: invalid component "
               "\"@path\" (expected one of: @method, @target-uri, @authority, content-digest, "
               "pipelock-mediation)");
    expect_err("sentry: {sample_rate: 1.5}\n", "t.yaml:1:23: sentry.sample_rate: must be between "
                                               "0 and 1");
    expect_err("emit:\n  webhook: {url: \"hooks.example/x\"}\n",
               "t.yaml:2:18: emit.webhook.url: invalid URL \"hooks.example/x\": expected an "
               "http:// or https:// URL with a host");
    expect_err("emit:\n  syslog: {address: \"syslog.example:514\"}\n",
               "t.yaml:2:21: emit.syslog.address: invalid syslog address \"syslog.example:514\": "
               "expected udp://host:port, tcp://host:port or unix:///path");
    expect_err("mcp_ws_listener: {allowed_origins: [\"https://a.example/path\"]}\n",
               "t.yaml:1:37: mcp_ws_listener.allowed_origins[0]: invalid origin "
               "\"https://a.example/path\": expected scheme://host[:port] (http or https, no "
               "path)");
    expect_err("tool_chain_detection:\n  custom_patterns:\n    - {name: p, sequence: [read]}\n",
               "t.yaml:3:27: tool_chain_detection.custom_patterns[0].sequence: needs at least 2 "
               "categories");
    expect_err("tool_chain_detection: {max_gap: -1}\n",
               "t.yaml:1:33: tool_chain_detection.max_gap: must be between 0 and 2147483647, got "
               "-1");
    expect_err("tool_chain_detection:\n  custom_patterns:\n"
               "    - {name: p, sequence: [read, exec], severity: low}\n",
               "t.yaml:3:51: tool_chain_detection.custom_patterns[0].severity: invalid value "
               "\"low\" (expected one of: medium, high, critical)");
}

Test(config_validate, agents)
{
    expect_err("agents:\n  anonymous: {}\n",
               "t.yaml:2:3: agents: invalid agent name \"anonymous\": use 1-64 of [a-zA-Z0-9._-] "
               "(\"anonymous\" is reserved)");
    expect_err("agents:\n  \"bad name\": {}\n",
               "t.yaml:2:3: agents: invalid agent name \"bad name\": use 1-64 of [a-zA-Z0-9._-] "
               "(\"anonymous\" is reserved)");
    expect_err("agents:\n  a: {source_cidrs: [10.0.0.0/8]}\n  b: {source_cidrs: [10.1.0.0/16]}\n",
               "t.yaml:3:22: agents.b.source_cidrs[0]: overlaps agents.a.source_cidrs[0]");
    expect_err("agents:\n  a: {mode: paranoid}\n",
               "t.yaml:2:13: agents.a.mode: invalid value \"paranoid\" (expected one of: "
               "balanced, strict, audit)");
    pl_config_free(load_ok("agents:\n  _default: {}\n  a: {source_cidrs: [10.0.0.0/16]}\n"
                           "  b: {source_cidrs: [10.1.0.0/16, \"fd00::/8\"]}\n"));
}

Test(config_validate, dns_extension)
{
    struct pl_config *c = load_ok("dns:\n  resolvers: [\"192.0.2.53\", \"192.0.2.54:5353\", "
                                  "\"2001:db8::53\", \"[2001:db8::54]:53\"]\n"
                                  "  timeout_ms: 250\n  attempts: 4\n");
    cr_expect_eq(c->dns.resolvers.n, 4);
    cr_expect_eq(c->dns.timeout_ms, 250);
    cr_expect_eq(c->dns.attempts, 4);
    pl_config_free(c);
    static const char *const bad[] = {"dns.example", "192.0.2.53:0",  "192.0.2.300",
                                      "[dns]:53",    "1.2.3.4:99999", ""};
    for (size_t i = 0; i < PL_ARRAY_SIZE(bad); i++) {
        char yaml[128], want[512];
        snprintf(yaml, sizeof(yaml), "dns: {resolvers: [\"%s\"]}\n", bad[i]);
        snprintf(want, sizeof(want),
                 "t.yaml:1:19: dns.resolvers[0]: invalid resolver \"%s\": expected an IP "
                 "address with an optional port (\"192.0.2.53\", \"192.0.2.53:53\", "
                 "\"[2001:db8::53]:53\")",
                 bad[i]);
        expect_err(yaml, want);
    }
    expect_err("dns: {timeout_ms: 600001}\n",
               "t.yaml:1:19: dns.timeout_ms: must be between 1 and 60000, got 600001");
    expect_err("dns: {attempts: -1}\n",
               "t.yaml:1:17: dns.attempts: must be between 1 and 10, got -1");
    c = load_ok("dns: {timeout_ms: 0, attempts: 0}\n");
    cr_expect_eq(c->dns.timeout_ms, 5000);
    cr_expect_eq(c->dns.attempts, 2);
    pl_config_free(c);
}

Test(config_validate, server_extension)
{
    struct pl_config *c = load_ok("server:\n  workers: 4\n  max_connections: 500\n"
                                  "  header_timeout_seconds: 2\n  keepalive_timeout_seconds: 30\n"
                                  "  connect_timeout_seconds: 3\n  max_request_line: 4096\n"
                                  "  max_header_bytes: 16384\n  max_headers: 128\n"
                                  "  drain_seconds: 1\n  upstream_idle_seconds: 10\n"
                                  "  upstream_pool_per_host: 4\n  max_tunnels: 64\n");
    cr_expect_eq(c->server.workers, 4);
    cr_expect_eq(c->server.max_connections, 500);
    cr_expect_eq(c->server.header_timeout_seconds, 2);
    cr_expect_eq(c->server.keepalive_timeout_seconds, 30);
    cr_expect_eq(c->server.connect_timeout_seconds, 3);
    cr_expect_eq(c->server.max_request_line, 4096);
    cr_expect_eq(c->server.max_header_bytes, 16384);
    cr_expect_eq(c->server.max_headers, 128);
    cr_expect_eq(c->server.drain_seconds, 1);
    cr_expect_eq(c->server.upstream_idle_seconds, 10);
    cr_expect_eq(c->server.upstream_pool_per_host, 4);
    cr_expect_eq(c->server.max_tunnels, 64);
    cr_expect_eq(c->warnings.n, 0);
    pl_config_free(c);
    expect_err("server: {max_headers: 129}\n",
               "t.yaml:1:23: server.max_headers: must be between 1 and 128, got 129");
    expect_err("server: {workers: -1}\n",
               "t.yaml:1:19: server.workers: must be between 0 and 1024, got -1");
    expect_err("server: {max_connections: -5}\n",
               "t.yaml:1:27: server.max_connections: must be between 1 and 1000000, got -5");
    expect_err("server: {max_request_line: 100}\n",
               "t.yaml:1:28: server.max_request_line: must be between 256 and 1048576, got 100");
    expect_err("server: {max_request_line: 16384, max_header_bytes: 8192}\n",
               "t.yaml:1:53: server.max_header_bytes: must be at least server.max_request_line "
               "(16384)");
}

/* ---------------------------------------------------------------- warnings */

Test(config_warnings, one_per_unimplemented_section)
{
    expect_warnings("rules:\n  min_confidence: high\n  include_experimental: true\n"
                    "mode: balanced\n"
                    "response_scanning: {enabled: true, action: block}\n"
                    "sentry: ~\n"
                    "license_key: abc\n"
                    "fetch_proxy: {timeout_seconds: 5}\n"
                    "agents: {}\n",
                    "rules: section accepted but not implemented by this build yet; its settings "
                    "have no effect",
                    "sentry: section accepted but not implemented by this build yet; its settings "
                    "have no effect",
                    "license_key: setting accepted but not implemented by this build yet; it has "
                    "no effect",
                    "agents: section accepted but not implemented by this build yet; its settings "
                    "have no effect",
                    NULL);
}

Test(config_warnings, implemented_sections_are_silent)
{
    expect_warnings("version: 1\nmode: audit\nenforce: false\nexplain_blocks: true\n"
                    "api_allowlist: [a.example]\ntrusted_domains: []\ninternal: []\n"
                    "ssrf: {ip_allowlist: []}\nfetch_proxy: {}\nforward_proxy: {}\nlogging: {}\n"
                    "dns: {}\nserver: {}\ndefault_agent_identity: bot\n"
                    "bind_default_agent_identity: true\nmetrics_listen: \"127.0.0.1:9090\"\n",
                    NULL);
}

Test(config_warnings, response_exempt_while_disabled)
{
    expect_warnings("response_scanning: {enabled: false, exempt_domains: [a.example]}\n",
                    "response_scanning.exempt_domains: set while response scanning is disabled; "
                    "it has no effect",
                    NULL);
}

Test(config_warnings, implemented_flag_matches_this_build)
{
    static const char *const implemented[] = {"version",
                                              "mode",
                                              "enforce",
                                              "explain_blocks",
                                              "api_allowlist",
                                              "trusted_domains",
                                              "internal",
                                              "ssrf",
                                              "fetch_proxy",
                                              "forward_proxy",
                                              "logging",
                                              "dns",
                                              "server",
                                              "default_agent_identity",
                                              "bind_default_agent_identity",
                                              "metrics_listen",
                                              "dlp",
                                              "request_body_scanning",
                                              "seed_phrase_detection",
                                              "canary_tokens",
                                              "response_scanning",
                                              "suppress",
                                              "kill_switch",
                                              "emit",
                                              "proxy_auth"};
    size_t n_impl = 0;
    for (const struct pl_cfg_key *k = pl_cfg_schema; k->name; k++) {
        bool want = false;
        for (size_t i = 0; i < PL_ARRAY_SIZE(implemented); i++)
            want = want || strcmp(implemented[i], k->name) == 0;
        cr_expect_eq((k->flags & PL_CFG_F_IMPL) != 0, want, "%s", k->name);
        n_impl += want;
    }
    cr_expect_eq(n_impl, PL_ARRAY_SIZE(implemented));
}
