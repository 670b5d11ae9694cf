/* Decisions (see decide.h). */
#include "policy/decide.h"

#include <string.h>

bool
pl_decide_enforcing(const struct pl_config *cfg)
{
    return cfg->enforce && cfg->mode != PL_MODE_AUDIT;
}

enum pl_decision
pl_decide_url(const struct pl_config *cfg, const char *scanner)
{
    bool keep =
        !strcmp(scanner, "ssrf") || !strcmp(scanner, "core_ssrf") || !strcmp(scanner, "parser");
    return keep || pl_decide_enforcing(cfg) ? PL_DECIDE_BLOCK : PL_DECIDE_WARN;
}

enum pl_decision
pl_decide_request_dlp(const struct pl_config *cfg, bool has_blocking_finding, bool fail_closed)
{
    if (fail_closed)
        return PL_DECIDE_BLOCK;
    if (!has_blocking_finding)
        return PL_DECIDE_WARN;
    const char *a = cfg->request_body_scanning.action;
    bool block = a && !strcmp(a, "block") && pl_decide_enforcing(cfg);
    return block ? PL_DECIDE_BLOCK : PL_DECIDE_WARN;
}
