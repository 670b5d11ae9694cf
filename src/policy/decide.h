/*
 * Decisions: the one place that turns a scanner's verdict or findings into allow, warn or
 * block, from the mode, `enforce` and the section's action (ARCHITECTURE "Decisions"). Every
 * transport asks here, so the forward proxy, CONNECT, and later /fetch, WebSocket and MCP
 * apply the same rules.
 */
#ifndef PL_POLICY_DECIDE_H
#define PL_POLICY_DECIDE_H

#include "policy/config.h"

enum pl_decision {
    PL_DECIDE_ALLOW = 0,
    PL_DECIDE_WARN, /* log it (an `anomaly` or a `*_dlp` event), let the request go on */
    PL_DECIDE_BLOCK,
};

/* Does this config enforce blocks at all? (enforce: true and mode is not audit) */
bool pl_decide_enforcing(const struct pl_config *cfg);

/*
 * A failed URL-pipeline check by scanner. Not enforcing turns blocks into warnings, except
 * SSRF and unparsable URLs, which are kept (the reference keeps its dial-time SSRF check).
 */
enum pl_decision pl_decide_url(const struct pl_config *cfg, const char *scanner);

/*
 * Request body or header DLP: a blocking finding blocks with `request_body_scanning.action:
 * block` when enforcing, else warns; fail-closed conditions (unscannable bodies) always block.
 */
enum pl_decision pl_decide_request_dlp(const struct pl_config *cfg, bool has_blocking_finding,
                                       bool fail_closed);

#endif
