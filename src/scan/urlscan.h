/*
 * The URL pipeline (reference pipelock-behaviour §4.1, detection-facts §12): the ordered
 * checks every outbound URL goes through, first failing check wins. Pure: the caller parses
 * the URL (http/url.c), resolves names and applies the shared-state checks (rate limit, data
 * budget); this module runs every check that needs neither a socket nor shared state.
 *
 * Order: scheme, CRLF, path traversal, strict-mode allowlist, blocklist, core SSRF literal
 * floor (only when `internal` is empty), core DLP, DLP (both before any DNS lookup), path and
 * query entropy, subdomain entropy, SSRF on an IP literal. Then the caller: SSRF on resolved
 * addresses, rate limit, URL length (pl_urlscan_length), data budget.
 */
#ifndef PL_SCAN_URLSCAN_H
#define PL_SCAN_URLSCAN_H

#include "scan/dlp.h"
#include "scan/ip.h"
#include "scan/suppress.h"
#include "util/str.h"

/* Everything the pipeline needs from a compiled policy; all pointers borrowed from it. */
struct pl_urlscan_cfg {
    bool strict; /* mode: strict → api_allowlist enforced */
    char *const *allowlist;
    size_t n_allowlist;
    char *const *blocklist;
    size_t n_blocklist;
    bool internal_empty;                     /* `internal: []` → core literal floor only */
    const struct pl_cidr_list *core;         /* core SSRF ranges */
    const struct pl_cidr_list *ssrf_set;     /* internal ∪ core */
    const struct pl_cidr_list *ip_allowlist; /* ssrf.ip_allowlist */
    const struct pl_dlp_db *dlp;             /* NULL: no DLP (never in a real policy) */
    double entropy_threshold;                /* path/query, bits per char, strict > */
    double subdomain_entropy_threshold;
    char *const *entropy_exclusions; /* subdomain_entropy_exclusions */
    size_t n_entropy_exclusions;
    size_t max_url_length;
    const struct pl_suppress_rule *suppress; /* suppress: entries (never for core patterns) */
    size_t n_suppress;
    bool seed_phrase; /* BIP-39 detection */
    int seed_min_words;
    bool seed_verify_checksum;
};

/* A URL as the caller parsed it; every slice borrowed for the call. */
struct pl_urlscan_url {
    struct pl_str raw;    /* the URL as received */
    struct pl_str scheme; /* as written */
    struct pl_str host;   /* as written, IPv6 without brackets */
    struct pl_str path;   /* raw (still percent-encoded) path, may be empty */
    struct pl_str query;  /* raw query without '?', may be empty */
};

struct pl_urlscan_verdict {
    bool blocked;
    const char *scanner; /* reference scanner label ("scheme", "dlp", ...); "all" when allowed */
    char reason[256];
    double score;     /* 0..1 as the reference */
    int status;       /* HTTP status of a block: 403 (429 for the rate limit) */
    const char *hint; /* explain_blocks hint for the scanner */
    /* DLP findings (warn-mode ones included) of the scan; names via cfg->dlp. */
    struct pl_dlp_result dlp;
    bool dlp_blocked; /* the block came from a DLP finding (the URL must be logged redacted) */
    /* The host as checked: lower-case, trailing dot removed, IP literals canonical. */
    char host[256];
    bool host_is_ip;
    struct pl_ip ip; /* when host_is_ip */
};

/*
 * Run the pre-DNS pipeline (and the SSRF check of an IP literal). Fills *v; v->blocked tells
 * the verdict. Returns 0, or a negative errno when a scanner could not run (the verdict is
 * then a block with scanner "dlp" and a reason saying so: fail closed).
 */
int pl_urlscan_run(const struct pl_urlscan_cfg *cfg, struct pl_dlp_scratch *s,
                   const struct pl_urlscan_url *u, struct pl_urlscan_verdict *v);

/*
 * Verdict for a URL the caller could not parse: "scheme" when it starts with a scheme other
 * than http/https (file:, javascript:, data:, ...), else "parser".
 */
void pl_urlscan_unparsable(struct pl_str raw, struct pl_urlscan_verdict *v);

/* The URL-length stage: blocks when raw is longer than cfg->max_url_length. */
void pl_urlscan_length(const struct pl_urlscan_cfg *cfg, struct pl_str raw,
                       struct pl_urlscan_verdict *v);

/* Fill v as a block by scanner with a printf reason (used by callers for later stages). */
void pl_urlscan_block(struct pl_urlscan_verdict *v, const char *scanner, int status, double score,
                      const char *fmt, ...) PL_PRINTF(5, 6);

/*
 * The finding of res that decides a block for target (a URL): the first that is neither
 * warn-mode nor silenced by a suppress entry (core patterns cannot be suppressed), core
 * first. NULL when nothing blocks. *ret_suppressed (may be NULL) counts silenced findings.
 */
const struct pl_dlp_finding *pl_urlscan_first_block(const struct pl_urlscan_cfg *cfg,
                                                    const struct pl_dlp_result *res,
                                                    struct pl_str target, size_t *ret_suppressed);

/* The reference's explain_blocks hint for a scanner label (never NULL). */
const char *pl_urlscan_hint(const char *scanner);

#endif
