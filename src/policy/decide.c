/* Decisions (see decide.h). */
#include "policy/decide.h"

#include <string.h>

#include "scan/domain.h"

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

bool
pl_decide_resp_exempt(const struct pl_config *cfg, const char *host)
{
    return host && pl_domain_match_any(pl_str_c(host), cfg->response_scanning.exempt_domains.v,
                                       cfg->response_scanning.exempt_domains.n);
}

enum pl_resp_action
pl_decide_response(const struct pl_config *cfg, const char *host, bool can_ask)
{
    const char *a = cfg->response_scanning.enabled ? cfg->response_scanning.action : "block";
    enum pl_resp_action act = !a                    ? PL_RESP_BLOCK
                              : !strcmp(a, "warn")  ? PL_RESP_WARN
                              : !strcmp(a, "strip") ? PL_RESP_STRIP
                              : !strcmp(a, "ask")   ? PL_RESP_ASK
                                                    : PL_RESP_BLOCK;
    if (act != PL_RESP_WARN && pl_decide_resp_exempt(cfg, host))
        return PL_RESP_WARN;
    if (act == PL_RESP_ASK && !can_ask)
        return PL_RESP_BLOCK;
    return act;
}

enum pl_decision
pl_decide_sse(const struct pl_config *cfg, const char *host, bool injection)
{
    const char *a = cfg->response_scanning.sse_streaming.action;
    bool blk = !a || strcmp(a, "warn") != 0;
    if (blk && injection && pl_decide_resp_exempt(cfg, host))
        blk = false;
    return blk ? PL_DECIDE_BLOCK : PL_DECIDE_WARN;
}

const char *
pl_resp_action_name(enum pl_resp_action a)
{
    switch (a) {
    case PL_RESP_WARN:
        return "warn";
    case PL_RESP_STRIP:
        return "strip";
    case PL_RESP_ASK:
        return "ask";
    default:
        return "block";
    }
}
