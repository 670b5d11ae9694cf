/* Proxy credentials → agent identity (see identity.h). */
#include "policy/identity.h"

#include <string.h>

#include "policy/killswitch.h"
#include "scan/decode.h"

/* "Scheme" then spaces: the rest, or an empty string when value does not start so. */
static struct pl_str
after_scheme(struct pl_str v, const char *scheme)
{
    size_t n = strlen(scheme);
    if (v.len <= n || !pl_str_eq_ci(pl_str_from(v.p, n), pl_str_from(scheme, n)) || v.p[n] != ' ')
        return PL_STR_NULL;
    struct pl_str rest = pl_str_from(v.p + n, v.len - n);
    while (rest.len && rest.p[0] == ' ') {
        rest.p++;
        rest.len--;
    }
    while (rest.len && (rest.p[rest.len - 1] == ' ' || rest.p[rest.len - 1] == '\t'))
        rest.len--;
    return rest;
}

const char *
pl_identity_match(const struct pl_config *cfg, struct pl_str value)
{
    const char *who = NULL;
    struct pl_str basic = after_scheme(value, "Basic");
    struct pl_str bearer = after_scheme(value, "Bearer");
    if (basic.len) {
        char dec[512];
        int n = pl_decode_base64(basic, dec, sizeof(dec), PL_B64_STD);
        const char *colon = n > 0 ? memchr(dec, ':', (size_t)n) : NULL;
        if (!colon) {
            explicit_bzero(dec, sizeof(dec));
            return NULL;
        }
        size_t ulen = (size_t)(colon - dec), plen = (size_t)n - ulen - 1;
        for (size_t i = 0; i < cfg->proxy_auth.agents.n; i++) {
            const struct pl_config_agent_cred *c = &cfg->proxy_auth.agents.v[i];
            if (!c->username || !*c->username)
                continue;
            bool u = pl_ks_token_equal(c->username, dec, ulen);
            bool p = pl_ks_token_equal(c->password, colon + 1, plen);
            if ((u & p) && !who)
                who = c->name;
        }
        explicit_bzero(dec, sizeof(dec));
        return who;
    }
    if (bearer.len) {
        for (size_t i = 0; i < cfg->proxy_auth.agents.n; i++) {
            const struct pl_config_agent_cred *c = &cfg->proxy_auth.agents.v[i];
            if (c->token && *c->token && pl_ks_token_equal(c->token, bearer.p, bearer.len) && !who)
                who = c->name;
        }
    }
    return who;
}
