/*
 * Agent identity from proxy credentials (an extension of the reference, whose identity is a
 * self-declared header): proxy_auth.agents maps Basic username/password pairs and Bearer
 * tokens to agent names, so on a shared proxy one agent cannot claim another's name.
 */
#ifndef PL_POLICY_IDENTITY_H
#define PL_POLICY_IDENTITY_H

#include "policy/config.h"
#include "util/str.h"

/*
 * The agent a Proxy-Authorization value proves: "Basic base64(user:password)" or
 * "Bearer token" (scheme case-insensitive). Returns the entry's name (borrowed from cfg), or
 * NULL when the value is malformed or matches no entry. Every configured secret is compared,
 * in constant time, whatever matched first.
 */
const char *pl_identity_match(const struct pl_config *cfg, struct pl_str value);

#endif
