/* Kill-switch state: source precedence, the sentinel, exemptions, the API token. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/killswitch.h"

static char *
xstrdup(const char *s)
{
    char *d = strdup(s);
    cr_assert_not_null(d);
    return d;
}

Test(killswitch, sources_or_together_with_the_reference_precedence)
{
    struct pl_config *cfg = pl_config_defaults();
    struct pl_killswitch ks = {0};
    char dir[] = "/tmp/pl-ks-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/sentinel", dir);
    free(cfg->kill_switch.sentinel_file);
    cfg->kill_switch.sentinel_file = xstrdup(path);

    cr_expect_eq(pl_ks_active(&ks, cfg), PL_KS_NONE);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fclose(f);
    cr_expect_eq(pl_ks_active(&ks, cfg), PL_KS_SENTINEL);
    atomic_store(&ks.signal, true);
    cr_expect_eq(pl_ks_active(&ks, cfg), PL_KS_SIGNAL);
    atomic_store(&ks.api, true);
    cr_expect_eq(pl_ks_active(&ks, cfg), PL_KS_API);
    cfg->kill_switch.enabled = true;
    cr_expect_eq(pl_ks_active(&ks, cfg), PL_KS_CONFIG);

    bool src[5];
    pl_ks_sources(&ks, cfg, src);
    cr_expect(src[PL_KS_CONFIG] && src[PL_KS_API] && src[PL_KS_SIGNAL] && src[PL_KS_SENTINEL]);
    /* turning one off leaves the others */
    cfg->kill_switch.enabled = false;
    atomic_store(&ks.api, false);
    atomic_store(&ks.signal, false);
    cr_expect_eq(pl_ks_active(&ks, cfg), PL_KS_SENTINEL);
    unlink(path);
    cr_expect_eq(pl_ks_active(&ks, cfg), PL_KS_NONE);
    /* a path whose parent is a file: "not there", not an error */
    char under[96];
    snprintf(under, sizeof(under), "%s/x", path);
    cr_expect_not(pl_ks_sentinel_present(under));
    rmdir(dir);
    cr_expect_not(pl_ks_sentinel_present(""));
    cr_expect_not(pl_ks_sentinel_present(NULL));
    cr_expect_str_eq(pl_ks_source_name(PL_KS_SIGNAL), "signal");
    cr_expect_str_eq(pl_ks_source_name(PL_KS_NONE), "");
    pl_config_free(cfg);
}

Test(killswitch, exemptions)
{
    struct pl_config *cfg = pl_config_defaults();
    struct pl_cidr c;
    cr_assert_eq(pl_cidr_parse(PL_STR("10.1.0.0/16"), false, &c), 0);
    cr_assert_eq(pl_cidr_list_add(&cfg->kill_switch.allowlist_ips, &c), 0);
    struct pl_ip in, out;
    cr_assert_eq(pl_ip_parse_strict(PL_STR("10.1.2.3"), &in), 0);
    cr_assert_eq(pl_ip_parse_strict(PL_STR("10.2.0.1"), &out), 0);

    cr_expect(pl_ks_exempt(cfg, &in, PL_STR_NULL)); /* any request from an allowlisted client */
    cr_expect_not(pl_ks_exempt(cfg, &out, PL_STR_NULL));
    cr_expect(pl_ks_exempt(cfg, &out, PL_STR("/health")));
    cr_expect(pl_ks_exempt(cfg, &out, PL_STR("/metrics")));
    cr_expect_not(pl_ks_exempt(cfg, &out, PL_STR("/stats")));
    cr_expect_not(pl_ks_exempt(cfg, &out, PL_STR("/fetch")));
    cr_expect_not(pl_ks_exempt(cfg, &out, PL_STR("/health/x")));
    cr_expect(pl_ks_exempt(cfg, &out, PL_STR("/api/v1/killswitch")));
    cr_expect(pl_ks_exempt(cfg, &out, PL_STR("/api/v1/killswitch/status")));
    cr_expect_not(pl_ks_exempt(cfg, &out, PL_STR("/api/v1/killswitchx")));

    cfg->kill_switch.health_exempt = false;
    cfg->kill_switch.metrics_exempt = false;
    cr_expect_not(pl_ks_exempt(cfg, &out, PL_STR("/health")));
    cr_expect_not(pl_ks_exempt(cfg, &out, PL_STR("/metrics")));
    /* the API exemption only while the API is on the main port */
    free(cfg->kill_switch.api_listen);
    cfg->kill_switch.api_listen = xstrdup("127.0.0.1:9901");
    cr_expect_not(pl_ks_exempt(cfg, &out, PL_STR("/api/v1/killswitch")));
    pl_config_free(cfg);
}

Test(killswitch, api_token_and_compare)
{
    struct pl_config *cfg = pl_config_defaults();
    unsetenv("PIPELOCK_KILLSWITCH_API_TOKEN");
    cr_expect_str_eq(pl_ks_api_token(cfg), "");
    free(cfg->kill_switch.api_token);
    cfg->kill_switch.api_token = xstrdup("from-config");
    cr_expect_str_eq(pl_ks_api_token(cfg), "from-config");
    setenv("PIPELOCK_KILLSWITCH_API_TOKEN", "from-env", 1);
    cr_expect_str_eq(pl_ks_api_token(cfg), "from-env");
    setenv("PIPELOCK_KILLSWITCH_API_TOKEN", "", 1);
    cr_expect_str_eq(pl_ks_api_token(cfg), "from-config");
    unsetenv("PIPELOCK_KILLSWITCH_API_TOKEN");

    cr_expect(pl_ks_token_equal("s3cret", "s3cret", 6));
    cr_expect_not(pl_ks_token_equal("s3cret", "s3cre", 5));
    cr_expect_not(pl_ks_token_equal("s3cret", "s3cret!", 7));
    cr_expect_not(pl_ks_token_equal("s3cret", "s3creT", 6));
    cr_expect_not(pl_ks_token_equal("", "", 0)); /* no token: nothing matches */
    pl_config_free(cfg);
}
