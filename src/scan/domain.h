/* Host-name matching as the reference's MatchDomain (allowlist, blocklist, trusted_domains). */
#ifndef PL_SCAN_DOMAIN_H
#define PL_SCAN_DOMAIN_H

#include "util/str.h"

/*
 * Match host against one pattern. Both compared ASCII case-insensitively with one trailing dot
 * stripped. "*.example.com" matches "example.com" and any subdomain at any depth; any other
 * pattern matches exactly. IP-literal hosts match only an identical IP pattern.
 */
bool pl_domain_match(struct pl_str host, struct pl_str pattern);
/* True when host matches any of n patterns (NUL-terminated strings). */
bool pl_domain_match_any(struct pl_str host, char *const *patterns, size_t n);

#endif
