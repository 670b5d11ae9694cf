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

/* What to do with a prompt-injection finding in a response. */
enum pl_resp_action {
    PL_RESP_WARN = 0, /* log a response_scan event, pass the content unchanged */
    PL_RESP_BLOCK,
    PL_RESP_STRIP, /* replace each match with "[REDACTED: name]" (block when it cannot) */
    PL_RESP_ASK,   /* ask the operator at the terminal (block when nobody can answer) */
};

/*
 * The action for a response finding from host (response_scanning.action; not gated by
 * `enforce`, as in the reference). With scanning disabled only the core floor runs, and its
 * findings block. Hosts in exempt_domains are downgraded to warn. can_ask: the transport can
 * ask the operator (/fetch with an approver); otherwise ask is a block.
 */
/* Is host in response_scanning.exempt_domains (findings there are logged, not acted on)? */
bool pl_decide_resp_exempt(const struct pl_config *cfg, const char *host);
enum pl_resp_action pl_decide_response(const struct pl_config *cfg, const char *host, bool can_ask);

/*
 * A finding in a text/event-stream event (response_scanning.sse_streaming.action: block or
 * warn). injection: a prompt-injection finding (exempt_domains downgrades those to warn; DLP,
 * size and encoding findings are not exempted).
 */
enum pl_decision pl_decide_sse(const struct pl_config *cfg, const char *host, bool injection);

const char *pl_resp_action_name(enum pl_resp_action a);

#endif
