/* Decisions: mode, enforce and the section's action turned into allow/warn/block. */
#include <criterion/criterion.h>
#include <string.h>

#include "policy/decide.h"

Test(decide, url_blocks_unless_not_enforcing_but_keeps_ssrf)
{
    struct pl_config *cfg = pl_config_defaults();
    cr_assert(pl_decide_enforcing(cfg));
    cr_assert_eq(pl_decide_url(cfg, "dlp"), PL_DECIDE_BLOCK);
    cfg->mode = PL_MODE_AUDIT;
    cr_assert_not(pl_decide_enforcing(cfg));
    cr_assert_eq(pl_decide_url(cfg, "dlp"), PL_DECIDE_WARN);
    cr_assert_eq(pl_decide_url(cfg, "ratelimit"), PL_DECIDE_WARN);
    cr_assert_eq(pl_decide_url(cfg, "ssrf"), PL_DECIDE_BLOCK);
    cr_assert_eq(pl_decide_url(cfg, "core_ssrf"), PL_DECIDE_BLOCK);
    cr_assert_eq(pl_decide_url(cfg, "parser"), PL_DECIDE_BLOCK);
    cfg->mode = PL_MODE_BALANCED;
    cfg->enforce = false;
    cr_assert_eq(pl_decide_url(cfg, "blocklist"), PL_DECIDE_WARN);
    pl_config_free(cfg);
}

Test(decide, request_dlp_follows_the_action)
{
    struct pl_config *cfg = pl_config_defaults();
    /* default action warn */
    cr_assert_eq(pl_decide_request_dlp(cfg, true, false), PL_DECIDE_WARN);
    cr_assert_eq(pl_decide_request_dlp(cfg, false, true), PL_DECIDE_BLOCK);
    free(cfg->request_body_scanning.action);
    cfg->request_body_scanning.action = strdup("block");
    cr_assert_eq(pl_decide_request_dlp(cfg, true, false), PL_DECIDE_BLOCK);
    cr_assert_eq(pl_decide_request_dlp(cfg, false, false), PL_DECIDE_WARN);
    cfg->enforce = false;
    cr_assert_eq(pl_decide_request_dlp(cfg, true, false), PL_DECIDE_WARN);
    cr_assert_eq(pl_decide_request_dlp(cfg, true, true), PL_DECIDE_BLOCK);
    pl_config_free(cfg);
}
