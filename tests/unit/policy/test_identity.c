/* proxy_auth credentials → agent names. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "policy/identity.h"

static struct pl_config *
load(const char *yaml)
{
    struct pl_config *cfg = NULL;
    char *err = NULL;
    int r = pl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &err);
    cr_assert_eq(r, 0, "load: %s", err ? err : "?");
    return cfg;
}

static const char *
match(const struct pl_config *cfg, const char *v)
{
    return pl_identity_match(cfg, pl_str_c(v));
}

static const char yaml[] = "proxy_auth:\n"
                           "  agents:\n"
                           "    - name: claude\n"
                           "      username: claude\n"
                           "      password: hunter2hunter2\n"
                           "    - name: ci-bot\n"
                           "      token: abcdefghijklmnopqrstuvwxyz\n"
                           "    - name: other\n"
                           "      username: bob\n"
                           "      password: pa:ss:word\n";

Test(identity, basic_and_bearer_map_to_their_agent)
{
    struct pl_config *cfg = load(yaml);
    /* base64("claude:hunter2hunter2") */
    cr_expect_str_eq(match(cfg, "Basic Y2xhdWRlOmh1bnRlcjJodW50ZXIy"), "claude");
    cr_expect_str_eq(match(cfg, "basic   Y2xhdWRlOmh1bnRlcjJodW50ZXIy "), "claude");
    cr_expect_str_eq(match(cfg, "Bearer abcdefghijklmnopqrstuvwxyz"), "ci-bot");
    cr_expect_str_eq(match(cfg, "BEARER abcdefghijklmnopqrstuvwxyz"), "ci-bot");
    /* A password may hold colons: the split is at the first one. base64("bob:pa:ss:word") */
    cr_expect_str_eq(match(cfg, "Basic Ym9iOnBhOnNzOndvcmQ="), "other");
    pl_config_free(cfg);
}

Test(identity, anything_else_matches_nobody)
{
    struct pl_config *cfg = load(yaml);
    static const char *const bad[] = {
        "",
        "Basic",
        "Basic ",
        "Basic !!!!",
        "Basic Y2xhdWRlOmh1bnRlcjI=",                 /* claude:hunter2 (wrong password) */
        "Basic Y2xhdWRlaHVudGVyMmh1bnRlcjI=",         /* no colon */
        "Basic OmFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6", /* ":<token>" */
        "Bearer abcdefghijklmnopqrstuvwxy",           /* prefix of the token */
        "Bearer abcdefghijklmnopqrstuvwxyzz",         /* token plus one */
        "Bearer Y2xhdWRlOmh1bnRlcjJodW50ZXIy",        /* Basic credentials as a token */
        "Digest abcdefghijklmnopqrstuvwxyz",
        "Bearerabcdefghijklmnopqrstuvwxyz",
        "abcdefghijklmnopqrstuvwxyz",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_null(match(cfg, bad[i]), "matched: %s", bad[i]);
    pl_config_free(cfg);
}

Test(identity, no_credentials_configured_matches_nobody)
{
    struct pl_config *cfg = pl_config_defaults();
    cr_expect_null(match(cfg, "Bearer abcdefghijklmnopqrstuvwxyz"));
    cr_expect_null(match(cfg, "Basic Y2xhdWRlOmh1bnRlcjJodW50ZXIy"));
    pl_config_free(cfg);
}

Test(identity, agents_map_names_are_kept_in_file_order)
{
    struct pl_config *cfg = load("agents:\n  zeta: {}\n  alpha:\n    mode: strict\n");
    cr_assert_eq(cfg->agent_profiles.n, 2);
    cr_expect_str_eq(cfg->agent_profiles.v[0], "zeta");
    cr_expect_str_eq(cfg->agent_profiles.v[1], "alpha");
    pl_config_free(cfg);
}
