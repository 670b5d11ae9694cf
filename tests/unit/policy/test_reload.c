/* Reload comparison: restart-only fields kept at their running values, weakenings named. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "policy/reload.h"

static struct pl_config *
load(const char *yaml)
{
    struct pl_config *cfg = NULL;
    char *err = NULL;
    int r = pl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &err);
    cr_assert_eq(r, 0, "load: %s", err ? err : "?");
    return cfg;
}

static bool
has(const struct pl_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s))
            return true;
    return false;
}

Test(reload, restart_only_fields_keep_the_running_value)
{
    struct pl_config *cur = load("fetch_proxy:\n  listen: 127.0.0.1:8888\n"
                                 "server:\n  workers: 2\n  max_headers: 50\n"
                                 "dns:\n  resolvers: [127.0.0.1]\n");
    struct pl_config *next = load("fetch_proxy:\n  listen: 127.0.0.1:9999\n  timeout_seconds: 7\n"
                                  "server:\n  workers: 4\n  max_headers: 50\n"
                                  "dns:\n  resolvers: [127.0.0.2, 127.0.0.3]\n"
                                  "metrics_listen: 127.0.0.1:9100\n");
    struct pl_reload_diff d;
    cr_assert_eq(pl_reload_diff(cur, next, 0, &d), 0);
    cr_expect(has(&d.restart, "fetch_proxy.listen"));
    cr_expect(has(&d.restart, "server.workers"));
    cr_expect(has(&d.restart, "dns.resolvers"));
    cr_expect(has(&d.restart, "metrics_listen"));
    cr_expect_not(has(&d.restart, "server.max_headers"));
    cr_expect_eq(d.restart.n, 4);
    cr_expect_str_eq(next->fetch_proxy.listen, "127.0.0.1:8888");
    cr_expect_eq(next->server.workers, 2);
    cr_assert_eq(next->dns.resolvers.n, 1);
    cr_expect_str_eq(next->dns.resolvers.v[0], "127.0.0.1");
    cr_expect(!next->metrics_listen || !*next->metrics_listen);
    cr_expect_eq(next->fetch_proxy.timeout_seconds, 7); /* reloadable: applied */
    cr_expect_eq(d.weaker.n, 0);
    pl_reload_diff_done(&d);
    pl_config_free(cur);
    pl_config_free(next);
}

Test(reload, weakenings_are_named_one_by_one)
{
    struct pl_config *cur =
        load("mode: balanced\n"
             "fetch_proxy:\n  monitoring:\n    blocklist: [evil.test, bad.test]\n"
             "    max_requests_per_minute: 60\n"
             "request_body_scanning:\n  action: block\n"
             "dlp:\n  patterns:\n    - {name: Ticket, regex: 'TCK-[0-9]{6}'}\n"
             "kill_switch:\n  enabled: true\n"
             "internal: [10.0.0.0/8, 127.0.0.0/8]\n");
    struct pl_config *next = load("mode: audit\n"
                                  "enforce: false\n"
                                  "fetch_proxy:\n  monitoring:\n    blocklist: [bad.test]\n"
                                  "    max_requests_per_minute: 600\n"
                                  "request_body_scanning:\n  action: warn\n"
                                  "response_scanning:\n  enabled: false\n"
                                  "trusted_domains: [corp.test]\n"
                                  "internal: [127.0.0.0/8]\n"
                                  "suppress:\n  - {rule: JWT Token, path: /x}\n");
    struct pl_reload_diff d;
    cr_assert_eq(pl_reload_diff(cur, next, 0, &d), 0);
    static const char *const want[] = {
        "mode: balanced -> audit",
        "enforce: true -> false",
        "fetch_proxy.monitoring.blocklist: removed evil.test",
        "fetch_proxy.monitoring.max_requests_per_minute: 60 -> 600",
        "request_body_scanning.action: block -> warn",
        "response_scanning.enabled: true -> false",
        "trusted_domains: added corp.test",
        "internal: removed 10.0.0.0/8",
        "suppress: added JWT Token for /x",
        "dlp.patterns: removed Ticket",
        "kill_switch.enabled: true -> false",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect(has(&d.weaker, want[i]), "missing: %s", want[i]);
    cr_expect_eq(d.weaker.n, sizeof(want) / sizeof(want[0]));
    pl_reload_diff_done(&d);
    pl_config_free(cur);
    pl_config_free(next);
}

Test(reload, tightening_is_not_a_weakening)
{
    struct pl_config *cur = load("mode: balanced\n"
                                 "fetch_proxy:\n  monitoring:\n    blocklist: [evil.test]\n");
    struct pl_config *next =
        load("mode: strict\napi_allowlist: [api.test]\n"
             "fetch_proxy:\n  monitoring:\n    blocklist: [evil.test, x.test]\n"
             "    max_url_length: 1000\n"
             "kill_switch:\n  enabled: true\n");
    struct pl_reload_diff d;
    cr_assert_eq(pl_reload_diff(cur, next, 0, &d), 0);
    cr_expect_eq(d.weaker.n, 0, "first: %s", d.weaker.n ? d.weaker.v[0] : "");
    cr_expect_eq(d.restart.n, 0);
    pl_reload_diff_done(&d);
    /* Within strict mode, a wider allowlist is weaker. */
    struct pl_config *wider =
        load("mode: strict\napi_allowlist: [api.test, more.test]\n"
             "fetch_proxy:\n  monitoring:\n    blocklist: [evil.test, x.test]\n"
             "    max_url_length: 1000\n"
             "kill_switch:\n  enabled: true\n");
    cr_assert_eq(pl_reload_diff(next, wider, 0, &d), 0);
    cr_expect(has(&d.weaker, "api_allowlist: added more.test"));
    cr_expect_eq(d.weaker.n, 1);
    pl_reload_diff_done(&d);
    pl_config_free(cur);
    pl_config_free(next);
    pl_config_free(wider);
}

Test(reload, command_line_overrides_are_kept_silently)
{
    struct pl_config *cur = load("fetch_proxy:\n  listen: 127.0.0.1:7777\n"
                                 "dns:\n  resolvers: [127.0.0.1]\n");
    struct pl_config *next = load("fetch_proxy:\n  listen: 127.0.0.1:8888\n"
                                  "dns:\n  resolvers: [127.0.0.2]\n");
    struct pl_reload_diff d;
    cr_assert_eq(pl_reload_diff(cur, next, PL_RELOAD_CLI_LISTEN | PL_RELOAD_CLI_RESOLVERS, &d), 0);
    cr_expect_eq(d.restart.n, 0);
    cr_expect_str_eq(next->fetch_proxy.listen, "127.0.0.1:7777");
    cr_expect_str_eq(next->dns.resolvers.v[0], "127.0.0.1");
    pl_reload_diff_done(&d);
    pl_config_free(cur);
    pl_config_free(next);
}
