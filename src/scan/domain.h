/* Host-name matching as the reference's MatchDomain (allowlist, blocklist, trusted_domains). */
#ifndef PL_SCAN_DOMAIN_H
#define PL_SCAN_DOMAIN_H

#include "util/str.h"

/*
 * Match host against one pattern. Both compared ASCII case-insensitively with one trailing dot
 * stripped. "*.example.com" matches "example.com" and any subdomain at any depth; any other
 * pattern matches exactly. IP-literal hosts match only an identical IP pattern.
 *
 * "Identical IP" compares addresses, not text: a host that pl_ip_parse_host() accepts (any
 * notation, IPv4-mapped folded to IPv4) matches a pattern that parses to the same address,
 * and never a wildcard. A numeric-looking invalid host (-ERANGE, e.g. "1.2.3.4.5") matches
 * only an identical string. An empty host or pattern matches nothing. Allocation-free;
 * borrows both slices for the call only.
 */
bool pl_domain_match(struct pl_str host, struct pl_str pattern);
/*
 * True when host matches any of n patterns (NUL-terminated strings). NULL entries are
 * skipped; patterns may be NULL when n is 0. The host is classified once for all patterns.
 */
bool pl_domain_match_any(struct pl_str host, char *const *patterns, size_t n);

#endif
