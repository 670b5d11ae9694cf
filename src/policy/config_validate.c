/*
 * Validation of a loaded config (reference §3.2/§3.3 notes): per-value checks referenced from
 * the schema table, then cross-field rules in pl_cfg_validate(). The first error aborts the
 * load. Advisory warnings go to cfg->warnings as "field: message".
 *
 * Rules on sections this build keeps in struct pl_config read the struct; rules on sections it
 * only type-checks read the document tree with the schema defaults (pl_cfg_eff_*), so both
 * kinds report positions when the offending key is in the file.
 */
#include <ctype.h>
#include <string.h>

#include "policy/config_int.h"

/* ---------------------------------------------------------------- small helpers */

static const struct pl_ynode *
Y(struct pl_cfg_load *ld, const char *path)
{
    return pl_ynode_path(ld->root, path);
}

/* A boolean value as written, false when absent or null (the walker has type-checked it). */
static bool
node_bool(const struct pl_ynode *n)
{
    bool v = false;
    if (!pl_ynode_is_null(n))
        (void)pl_cfg_parse_bool(n, &v);
    return v;
}

static bool
has_items(const struct pl_ynode *n)
{
    return n && (n->kind == PL_YNODE_SEQ || n->kind == PL_YNODE_MAP) && n->n > 0;
}

/* Quote s for a message: at most 64 bytes, control bytes as '?'. */
static const char *
q(const char *s, char buf[80])
{
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; s[i] && o < 72; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (strlen(s) > 70) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* Same as q() without the quotes, for names inside a key path. */
static const char *
bare(const char *s, char buf[80])
{
    q(s, buf);
    size_t n = strlen(buf);
    memmove(buf, buf + 1, n - 2);
    buf[n - 2] = '\0';
    return buf;
}

int
pl_config_split_listen(struct pl_str s, struct pl_str *ret_host, uint16_t *ret_port)
{
    struct pl_str host, port;
    uint64_t v;

    if (s.len && s.p[0] == '[') {
        const char *close = memchr(s.p, ']', s.len);
        if (!close || (size_t)(close - s.p) + 1 >= s.len || close[1] != ':')
            return -EINVAL;
        host = pl_str_from(s.p + 1, (size_t)(close - s.p) - 1);
        port = pl_str_from(close + 2, s.len - (size_t)(close - s.p) - 2);
        if (!host.len)
            return -EINVAL;
    } else {
        const char *colon = NULL;
        for (size_t i = 0; i < s.len; i++)
            if (s.p[i] == ':')
                colon = s.p + i;
        if (!colon)
            return -EINVAL;
        host = pl_str_from(s.p, (size_t)(colon - s.p));
        port = pl_str_from(colon + 1, s.len - host.len - 1);
        if (memchr(host.p, ':', host.len) || memchr(host.p, '[', host.len) ||
            memchr(host.p, ']', host.len))
            return -EINVAL;
    }
    for (size_t i = 0; i < host.len; i++)
        if ((unsigned char)host.p[i] <= 0x20 || host.p[i] == '/' || host.p[i] == 0x7f)
            return -EINVAL;
    if (pl_str_to_u64(port, 65535, &v) < 0 || v == 0 || port.len > 5)
        return -EINVAL;
    *ret_host = host;
    *ret_port = (uint16_t)v;
    return 0;
}

static bool
valid_hostname(const char *s, size_t len)
{
    if (!len || len > 253)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!(isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_'))
            return false;
    }
    return s[0] != '.' && s[len - 1] != '.' && !strstr(s, "..");
}

/* "http(s)://host..." with a non-empty host; the rest is not inspected. */
static bool
valid_http_url(const char *s, bool allow_path)
{
    const char *rest;
    if (pl_str_has_prefix_ci(pl_str_c(s), "https://"))
        rest = s + 8;
    else if (pl_str_has_prefix_ci(pl_str_c(s), "http://"))
        rest = s + 7;
    else
        return false;
    size_t auth = strcspn(rest, "/?#");
    if (!allow_path && rest[auth])
        return false;
    const char *at = memchr(rest, '@', auth);
    const char *host = at ? at + 1 : rest;
    size_t hlen = auth - (size_t)(host - rest);
    if (!hlen)
        return false;
    for (size_t i = 0; i < hlen; i++)
        if ((unsigned char)host[i] <= 0x20 || host[i] == 0x7f)
            return false;
    if (host[0] == ':')
        return false;
    return true;
}

/* ---------------------------------------------------------------- per-value checks */

int
pl_cfg_check_listen(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n,
                    const char *path)
{
    struct pl_str host;
    uint16_t port;
    char b[80];
    (void)k;
    if (n->len == 0)
        return 0;
    if (pl_config_split_listen(pl_str_from(n->text, n->len), &host, &port) < 0)
        return pl_cfg_fail(ld, n,
                           "%s: invalid listen address %s: expected host:port with a port "
                           "between 1 and 65535 (IPv6 in brackets, e.g. \"[::1]:8888\")",
                           path, q(n->text, b));
    return 0;
}

int
pl_cfg_check_nonempty_items(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                            const struct pl_ynode *n, const char *path)
{
    (void)k;
    for (size_t i = 0; i < n->n; i++) {
        const struct pl_ynode *it = n->vals[i];
        struct pl_str s = pl_str_trim_ows(pl_str_from(it->text ? it->text : "", it->len));
        if (it->kind == PL_YNODE_NULL || s.len == 0)
            return pl_cfg_fail(ld, it, "%s[%zu]: empty entry", path, i);
    }
    return 0;
}

int
pl_cfg_check_host_patterns(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                           const struct pl_ynode *n, const char *path)
{
    char b[80];
    (void)k;
    for (size_t i = 0; i < n->n; i++) {
        const struct pl_ynode *it = n->vals[i];
        const char *s = it->kind == PL_YNODE_SCALAR ? it->text : "";
        size_t len = strlen(s);
        if (len > 2 && s[0] == '*' && s[1] == '.') {
            s += 2;
            len -= 2;
        }
        if (!valid_hostname(s, len))
            return pl_cfg_fail(ld, it,
                               "%s[%zu]: invalid entry %s: expected an exact host or "
                               "\"*.example.com\" (no scheme, port or path)",
                               path, i, q(it->text ? it->text : "", b));
    }
    return 0;
}

int
pl_cfg_check_resolvers(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n,
                       const char *path)
{
    char b[80];
    (void)k;
    for (size_t i = 0; i < n->n; i++) {
        const struct pl_ynode *it = n->vals[i];
        struct pl_ip ip;
        struct pl_str host;
        uint16_t port;
        struct pl_str s = pl_str_from(it->text ? it->text : "", it->len);
        if (it->kind == PL_YNODE_SCALAR && pl_ip_parse_strict(s, &ip) == 0)
            continue;
        if (it->kind == PL_YNODE_SCALAR && pl_config_split_listen(s, &host, &port) == 0 &&
            pl_ip_parse_strict(host, &ip) == 0)
            continue;
        return pl_cfg_fail(ld, it,
                           "%s[%zu]: invalid resolver %s: expected an IP address with an "
                           "optional port (\"192.0.2.53\", \"192.0.2.53:53\", "
                           "\"[2001:db8::53]:53\")",
                           path, i, q(it->text ? it->text : "", b));
    }
    return 0;
}

int
pl_cfg_check_http_url(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n,
                      const char *path)
{
    char b[80];
    (void)k;
    if (n->len == 0 || valid_http_url(n->text, true))
        return 0;
    return pl_cfg_fail(ld, n, "%s: invalid URL %s: expected an http:// or https:// URL with a host",
                       path, q(n->text, b));
}

int
pl_cfg_check_syslog_addr(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                         const struct pl_ynode *n, const char *path)
{
    struct pl_str host;
    uint16_t port;
    char b[80];
    (void)k;
    if (n->len == 0)
        return 0;
    if ((strncmp(n->text, "udp://", 6) == 0 || strncmp(n->text, "tcp://", 6) == 0) &&
        pl_config_split_listen(pl_str_from(n->text + 6, n->len - 6), &host, &port) == 0 && host.len)
        return 0;
    /* An extension: a local syslog socket such as /dev/log. */
    if (strncmp(n->text, "unix:///", 8) == 0 && n->len > 8 && n->len < 7 + 108)
        return 0;
    return pl_cfg_fail(ld, n,
                       "%s: invalid syslog address %s: expected udp://host:port, "
                       "tcp://host:port or unix:///path",
                       path, q(n->text, b));
}

int
pl_cfg_check_positive_duration(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                               const struct pl_ynode *n, const char *path)
{
    int64_t ns = 0;
    (void)k;
    if (pl_cfg_parse_duration(n->text, &ns) == 0 && ns < 0)
        return pl_cfg_fail(ld, n, "%s: must be a positive duration", path);
    return 0;
}

int
pl_cfg_check_hex64(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n,
                   const char *path)
{
    (void)k;
    if (n->len == 0)
        return 0;
    bool ok = n->len == 64;
    for (size_t i = 0; ok && i < n->len; i++)
        ok = isxdigit((unsigned char)n->text[i]);
    if (!ok)
        return pl_cfg_fail(ld, n, "%s: must be 64 hexadecimal characters", path);
    return 0;
}

int
pl_cfg_check_origins(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n,
                     const char *path)
{
    char b[80];
    (void)k;
    for (size_t i = 0; i < n->n; i++) {
        const struct pl_ynode *it = n->vals[i];
        if (it->kind == PL_YNODE_SCALAR && valid_http_url(it->text, false))
            continue;
        return pl_cfg_fail(ld, it,
                           "%s[%zu]: invalid origin %s: expected scheme://host[:port] "
                           "(http or https, no path)",
                           path, i, q(it->text ? it->text : "", b));
    }
    return 0;
}

int
pl_cfg_check_image_types(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                         const struct pl_ynode *n, const char *path)
{
    (void)k;
    for (size_t i = 0; i < n->n; i++) {
        const struct pl_ynode *it = n->vals[i];
        const char *s = it->text ? it->text : "";
        if (strchr(s, '*'))
            return pl_cfg_fail(ld, it, "%s[%zu]: wildcards are not allowed", path, i);
        if (pl_str_eq_ci_c(pl_str_c(s), "image/svg+xml"))
            return pl_cfg_fail(ld, it, "%s[%zu]: \"image/svg+xml\" is never allowed", path, i);
    }
    return 0;
}

static bool
digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static int
num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
int
pl_cfg_check_rfc3339(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n,
                     const char *path)
{
    const char *s = n->text;
    char b[80];
    (void)k;
    if (n->len == 0)
        return 0;
    bool ok = n->len >= 20 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
              digits(s + 8, 2) && (s[10] == 'T' || s[10] == 't') && digits(s + 11, 2) &&
              s[13] == ':' && digits(s + 14, 2) && s[16] == ':' && digits(s + 17, 2);
    if (ok) {
        int mon = num(s + 5, 2), day = num(s + 8, 2), hh = num(s + 11, 2), mm = num(s + 14, 2),
            ss = num(s + 17, 2);
        ok = mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hh <= 23 && mm <= 59 && ss <= 60;
        const char *t = s + 19;
        if (ok && *t == '.') {
            t++;
            size_t f = strspn(t, "0123456789");
            ok = f > 0;
            t += f;
        }
        if (ok && (*t == 'Z' || *t == 'z'))
            ok = t[1] == '\0';
        else if (ok && (*t == '+' || *t == '-'))
            ok = strlen(t) == 6 && digits(t + 1, 2) && t[3] == ':' && digits(t + 4, 2) &&
                 num(t + 1, 2) <= 23 && num(t + 4, 2) <= 59;
        else
            ok = false;
    }
    if (!ok)
        return pl_cfg_fail(ld, n,
                           "%s: invalid timestamp %s: expected RFC 3339 such as "
                           "\"2026-01-02T15:04:05Z\"",
                           path, q(s, b));
    return 0;
}

int
pl_cfg_check_env_name(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n,
                      const char *path)
{
    char b[80];
    (void)k;
    bool ok = true;
    for (size_t i = 0; i < n->len && ok; i++) {
        char c = n->text[i];
        ok = c == '_' || isalpha((unsigned char)c) || (i > 0 && isdigit((unsigned char)c));
    }
    if (!ok)
        return pl_cfg_fail(ld, n, "%s: invalid environment variable name %s", path, q(n->text, b));
    return 0;
}

int
pl_cfg_check_unit_interval(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                           const struct pl_ynode *n, const char *path)
{
    double d = 0;
    (void)k;
    if (pl_cfg_parse_float(n, &d) == 0 && (d < 0 || d > 1))
        return pl_cfg_fail(ld, n, "%s: must be between 0 and 1", path);
    return 0;
}

int
pl_cfg_check_dlp_action_reserved(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                                 const struct pl_ynode *n, const char *path)
{
    (void)k;
    if (n->len == 0)
        return 0;
    return pl_cfg_fail(ld, n,
                       "%s: reserved and must not be set (set a per-pattern action in "
                       "dlp.patterns[].action instead)",
                       path);
}

int
pl_cfg_check_signed_components(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                               const struct pl_ynode *n, const char *path)
{
    static const char *const ok[] = {"@method", "@target-uri", "@authority", "content-digest",
                                     "pipelock-mediation"};
    char b[80];
    (void)k;
    for (size_t i = 0; i < n->n; i++) {
        const char *s = n->vals[i]->text ? n->vals[i]->text : "";
        bool found = false;
        for (size_t j = 0; j < PL_ARRAY_SIZE(ok) && !found; j++)
            found = strcmp(s, ok[j]) == 0;
        if (!found)
            return pl_cfg_fail(ld, n->vals[i],
                               "%s[%zu]: invalid component %s (expected one of: @method, "
                               "@target-uri, @authority, content-digest, pipelock-mediation)",
                               path, i, q(s, b));
    }
    return 0;
}

int
pl_cfg_check_seed_words(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                        const struct pl_ynode *n, const char *path)
{
    int64_t v = 0;
    (void)k;
    if (pl_cfg_parse_int(n, &v) == 0 && v > 0 && v != 12 && v != 15 && v != 18 && v != 21 &&
        v != 24)
        return pl_cfg_fail(ld, n, "%s: must be one of 12, 15, 18, 21, 24 (got %lld)", path,
                           (long long)v);
    return 0;
}

/* ---------------------------------------------------------------- cross-field rules */

static int
check_mcp_tool_policy(struct pl_cfg_load *ld, const struct pl_ynode *sec, const char *prefix)
{
    char b[80];
    if (pl_ynode_is_null(sec))
        return 0;
    bool enabled = pl_cfg_eff_bool(ld, sec, "enabled", "mcp_tool_policy.enabled");
    const char *section_action = pl_cfg_eff_str(ld, sec, "action", "mcp_tool_policy.action");
    const struct pl_ynode *rules = pl_ynode_get(sec, "rules");
    const struct pl_ynode *profiles = pl_ynode_get(sec, "redirect_profiles");

    if (enabled && !has_items(rules))
        return pl_cfg_fail(ld, pl_ynode_get(sec, "enabled"),
                           "%s.enabled: requires at least one rule in %s.rules", prefix, prefix);
    for (size_t i = 0; rules && rules->kind == PL_YNODE_SEQ && i < rules->n; i++) {
        const struct pl_ynode *r = rules->vals[i];
        const struct pl_ynode *arg_key = pl_ynode_get(r, "arg_key");
        const struct pl_ynode *arg_pat = pl_ynode_get(r, "arg_pattern");
        const struct pl_ynode *prof = pl_ynode_get(r, "redirect_profile");
        const struct pl_ynode *an = pl_ynode_get(r, "action");
        const char *action =
            (an && an->kind == PL_YNODE_SCALAR && an->len) ? an->text : section_action;
        if (!pl_ynode_is_null(arg_key) && arg_key->len &&
            (pl_ynode_is_null(arg_pat) || !arg_pat->len))
            return pl_cfg_fail(ld, arg_key, "%s.rules[%zu].arg_key: requires arg_pattern", prefix,
                               i);
        if (strcmp(action, "redirect") == 0 && (pl_ynode_is_null(prof) || !prof->len))
            return pl_cfg_fail(ld, r,
                               "%s.rules[%zu]: redirect_profile is required when the action "
                               "is \"redirect\"",
                               prefix, i);
        if (!pl_ynode_is_null(prof) && prof->len && !pl_ynode_get(profiles, prof->text))
            return pl_cfg_fail(ld, prof,
                               "%s.rules[%zu].redirect_profile: %s is not defined in "
                               "%s.redirect_profiles",
                               prefix, i, q(prof->text, b), prefix);
    }
    for (size_t i = 0; profiles && profiles->kind == PL_YNODE_MAP && i < profiles->n; i++) {
        const struct pl_ynode *p = profiles->vals[i];
        const struct pl_ynode *exec = pl_ynode_get(p, "exec");
        char nb[80];
        const char *name = bare(profiles->keys[i]->text, nb);
        if (!has_items(exec))
            return pl_cfg_fail(ld, exec ? exec : profiles->keys[i],
                               "%s.redirect_profiles.%s.exec: must be a non-empty command", prefix,
                               name);
        if (node_bool(pl_ynode_get(p, "match_abs_path")) &&
            (exec->vals[0]->kind != PL_YNODE_SCALAR || exec->vals[0]->text[0] != '/'))
            return pl_cfg_fail(ld, exec->vals[0],
                               "%s.redirect_profiles.%s.exec[0]: must be an absolute path when "
                               "match_abs_path is true",
                               prefix, name);
    }
    return 0;
}

static int
check_sandbox(struct pl_cfg_load *ld, const struct pl_ynode *sec, const char *prefix)
{
    if (pl_ynode_is_null(sec))
        return 0;
    if (pl_cfg_eff_bool(ld, sec, "strict", "sandbox.strict") &&
        pl_cfg_eff_bool(ld, sec, "best_effort", "sandbox.best_effort"))
        return pl_cfg_fail(ld, pl_ynode_get(sec, "best_effort"),
                           "%s: strict and best_effort are mutually exclusive", prefix);
    return 0;
}

static bool
cidr_overlap(const struct pl_cidr *a, const struct pl_cidr *b)
{
    if (a->net.family != b->net.family)
        return false;
    return pl_cidr_contains(a, &b->net) || pl_cidr_contains(b, &a->net);
}

static bool
valid_agent_name(const char *s, size_t len)
{
    if (len < 1 || len > 64 || strcmp(s, "anonymous") == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static int
check_agents(struct pl_cfg_load *ld)
{
    const struct pl_ynode *agents = Y(ld, "agents");
    char b[80], path[128];
    int r = 0;
    if (!agents || agents->kind != PL_YNODE_MAP)
        return 0;
    for (size_t i = 0; i < agents->n; i++) {
        const struct pl_ynode *name = agents->keys[i], *a = agents->vals[i];
        if (!valid_agent_name(name->text, name->len))
            return pl_cfg_fail(ld, name,
                               "agents: invalid agent name %s: use 1-64 of [a-zA-Z0-9._-] "
                               "(\"anonymous\" is reserved)",
                               q(name->text, b));
        snprintf(path, sizeof(path), "agents.%s.mcp_tool_policy", bare(name->text, b));
        if ((r = check_mcp_tool_policy(ld, pl_ynode_get(a, "mcp_tool_policy"), path)) < 0)
            return r;
        snprintf(path, sizeof(path), "agents.%s.sandbox", bare(name->text, b));
        if ((r = check_sandbox(ld, pl_ynode_get(a, "sandbox"), path)) < 0)
            return r;
    }
    /* source_cidrs must not overlap between agents. */
    for (size_t i = 0; i < agents->n; i++) {
        const struct pl_ynode *ci = pl_ynode_get(agents->vals[i], "source_cidrs");
        for (size_t j = i + 1; has_items(ci) && j < agents->n; j++) {
            const struct pl_ynode *cj = pl_ynode_get(agents->vals[j], "source_cidrs");
            for (size_t x = 0; has_items(cj) && x < ci->n; x++) {
                for (size_t y = 0; y < cj->n; y++) {
                    struct pl_cidr a, c;
                    if (pl_cidr_parse(pl_str_from(ci->vals[x]->text, ci->vals[x]->len), false, &a) <
                            0 ||
                        pl_cidr_parse(pl_str_from(cj->vals[y]->text, cj->vals[y]->len), false, &c) <
                            0)
                        continue;
                    if (++ld->visits > PL_YTREE_MAX_VISITS)
                        return pl_cfg_fail(ld, cj->vals[y], "configuration too complex");
                    char bj[80], bi[80];
                    if (cidr_overlap(&a, &c))
                        return pl_cfg_fail(ld, cj->vals[y],
                                           "agents.%s.source_cidrs[%zu]: overlaps "
                                           "agents.%s.source_cidrs[%zu]",
                                           bare(agents->keys[j]->text, bj), y,
                                           bare(agents->keys[i]->text, bi), x);
                }
            }
        }
    }
    return 0;
}

static int
tier_rank(const char *s)
{
    static const char *const tiers[] = {"none", "soft", "hard", "drain"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, tiers[i]) == 0)
            return i;
    return 0; /* "" = none */
}

static int
check_adaptive_and_airlock(struct pl_cfg_load *ld, const struct pl_config *cfg)
{
    static const char *const levels[] = {"elevated", "high", "critical"};
    static const char *const ups[] = {"upgrade_warn", "upgrade_ask"};
    char path[96], prev_path[96];
    bool sp = pl_cfg_eff_bool(ld, NULL, "session_profiling.enabled", NULL);
    (void)cfg;

    if (pl_cfg_eff_bool(ld, NULL, "adaptive_enforcement.enabled", NULL) && !sp)
        return pl_cfg_fail(ld, Y(ld, "adaptive_enforcement.enabled"),
                           "adaptive_enforcement.enabled: requires session_profiling.enabled");
    for (size_t u = 0; u < PL_ARRAY_SIZE(ups); u++) {
        for (size_t l = 1; l < PL_ARRAY_SIZE(levels); l++) {
            snprintf(prev_path, sizeof(prev_path), "adaptive_enforcement.levels.%s.%s",
                     levels[l - 1], ups[u]);
            snprintf(path, sizeof(path), "adaptive_enforcement.levels.%s.%s", levels[l], ups[u]);
            bool prev = *pl_cfg_eff_str(ld, NULL, prev_path, NULL) != '\0';
            bool cur = *pl_cfg_eff_str(ld, NULL, path, NULL) != '\0';
            if (prev && !cur)
                return pl_cfg_fail(ld, Y(ld, path) ? Y(ld, path) : Y(ld, prev_path),
                                   "%s: weaker than levels.%s (a higher level cannot be weaker)",
                                   path, levels[l - 1]);
        }
    }
    for (size_t l = 1; l < PL_ARRAY_SIZE(levels); l++) {
        snprintf(prev_path, sizeof(prev_path), "adaptive_enforcement.levels.%s.block_all",
                 levels[l - 1]);
        snprintf(path, sizeof(path), "adaptive_enforcement.levels.%s.block_all", levels[l]);
        if (pl_cfg_eff_bool(ld, NULL, prev_path, NULL) && !pl_cfg_eff_bool(ld, NULL, path, NULL))
            return pl_cfg_fail(ld, Y(ld, path) ? Y(ld, path) : Y(ld, prev_path),
                               "%s: weaker than levels.%s (a higher level cannot be weaker)", path,
                               levels[l - 1]);
    }

    if (pl_cfg_eff_bool(ld, NULL, "airlock.enabled", NULL) && !sp)
        return pl_cfg_fail(ld, Y(ld, "airlock.enabled"),
                           "airlock.enabled: requires session_profiling.enabled");
    static const char *const trig[] = {"airlock.triggers.on_elevated", "airlock.triggers.on_high",
                                       "airlock.triggers.on_critical"};
    for (size_t t = 1; t < PL_ARRAY_SIZE(trig); t++) {
        if (tier_rank(pl_cfg_eff_str(ld, NULL, trig[t], NULL)) <
            tier_rank(pl_cfg_eff_str(ld, NULL, trig[t - 1], NULL)))
            return pl_cfg_fail(ld, Y(ld, trig[t]) ? Y(ld, trig[t]) : Y(ld, trig[t - 1]),
                               "%s: weaker than %s (triggers must not weaken as levels rise)",
                               trig[t], trig[t - 1] + strlen("airlock.triggers."));
    }
    return 0;
}

static int
check_canary(struct pl_cfg_load *ld)
{
    const struct pl_ynode *tokens = Y(ld, "canary_tokens.tokens");
    char b[80];
    if (!pl_cfg_eff_bool(ld, NULL, "canary_tokens.enabled", NULL))
        return 0;
    if (!has_items(tokens))
        return pl_cfg_fail(ld, Y(ld, "canary_tokens.enabled"),
                           "canary_tokens.enabled: requires at least one entry in "
                           "canary_tokens.tokens");
    for (size_t i = 0; i < tokens->n; i++) {
        const struct pl_ynode *name = pl_ynode_get(tokens->vals[i], "name");
        const struct pl_ynode *value = pl_ynode_get(tokens->vals[i], "value");
        if (value->len < 8)
            return pl_cfg_fail(ld, value,
                               "canary_tokens.tokens[%zu].value: must be at least 8 "
                               "characters",
                               i);
        for (size_t j = 0; j < i; j++) {
            const struct pl_ynode *pn = pl_ynode_get(tokens->vals[j], "name");
            const struct pl_ynode *pv = pl_ynode_get(tokens->vals[j], "value");
            if (pl_str_eq_ci(pl_str_from(pn->text, pn->len), pl_str_from(name->text, name->len)))
                return pl_cfg_fail(ld, name,
                                   "canary_tokens.tokens[%zu].name: duplicate token name %s "
                                   "(names are case-insensitive)",
                                   i, q(name->text, b));
            if (pv->len == value->len && memcmp(pv->text, value->text, value->len) == 0)
                return pl_cfg_fail(ld, value,
                                   "canary_tokens.tokens[%zu].value: same value as "
                                   "canary_tokens.tokens[%zu]",
                                   i, j);
        }
    }
    return 0;
}

static bool
agent_name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 64 || !strcmp(n, "anonymous") || !strcmp(n, "_default"))
        return false;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              *n == '.' || *n == '_' || *n == '-'))
            return false;
    return true;
}

/* proxy_auth (an extension): credentials that prove an agent's identity. */
static int
check_proxy_auth(struct pl_cfg_load *ld, const struct pl_config *cfg)
{
    const struct pl_ynode *list = Y(ld, "proxy_auth.agents");
    size_t n = cfg->proxy_auth.agents.n;
    if (cfg->proxy_auth.required && n == 0)
        return pl_cfg_fail(ld, Y(ld, "proxy_auth.required"),
                           "proxy_auth.required: requires at least one entry in "
                           "proxy_auth.agents");
    if (cfg->proxy_auth.realm && strlen(cfg->proxy_auth.realm) > 64)
        return pl_cfg_fail(ld, Y(ld, "proxy_auth.realm"),
                           "proxy_auth.realm: at most 64 characters");
    for (const char *p = cfg->proxy_auth.realm; p && *p; p++)
        if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
            return pl_cfg_fail(ld, Y(ld, "proxy_auth.realm"),
                               "proxy_auth.realm: printable ASCII without '\"' or '\\'");
    for (size_t i = 0; i < n; i++) {
        const struct pl_config_agent_cred *c = &cfg->proxy_auth.agents.v[i];
        const struct pl_ynode *item = list->vals[i];
        bool has_user = c->username && *c->username, has_pass = c->password && *c->password;
        bool has_token = c->token && *c->token;
        if (!agent_name_ok(c->name))
            return pl_cfg_fail(ld, pl_ynode_get(item, "name"),
                               "proxy_auth.agents[%zu].name: 1-64 characters of [a-zA-Z0-9._-], "
                               "not \"anonymous\" or \"_default\"",
                               i);
        if (has_token && (has_user || has_pass))
            return pl_cfg_fail(ld, item,
                               "proxy_auth.agents[%zu]: give either token or username and "
                               "password, not both",
                               i);
        if (!has_token && !(has_user && has_pass))
            return pl_cfg_fail(ld, item,
                               "proxy_auth.agents[%zu]: needs token, or username and password", i);
        if (has_user && strchr(c->username, ':'))
            return pl_cfg_fail(ld, pl_ynode_get(item, "username"),
                               "proxy_auth.agents[%zu].username: must not contain ':'", i);
        if (has_token && strlen(c->token) < 16)
            return pl_cfg_fail(ld, pl_ynode_get(item, "token"),
                               "proxy_auth.agents[%zu].token: must be at least 16 characters", i);
        if (has_pass && strlen(c->password) < 8)
            return pl_cfg_fail(ld, pl_ynode_get(item, "password"),
                               "proxy_auth.agents[%zu].password: must be at least 8 characters", i);
        for (size_t j = 0; j < i; j++) {
            const struct pl_config_agent_cred *o = &cfg->proxy_auth.agents.v[j];
            if (has_user && o->username && !strcmp(o->username, c->username))
                return pl_cfg_fail(ld, pl_ynode_get(item, "username"),
                                   "proxy_auth.agents[%zu].username: same as "
                                   "proxy_auth.agents[%zu]",
                                   i, j);
            if (has_token && o->token && !strcmp(o->token, c->token))
                return pl_cfg_fail(ld, pl_ynode_get(item, "token"),
                                   "proxy_auth.agents[%zu].token: same as proxy_auth.agents[%zu]",
                                   i, j);
        }
    }
    return 0;
}

static int
check_dlp(struct pl_cfg_load *ld, const struct pl_config *cfg)
{
    const struct pl_ynode *pats = Y(ld, "dlp.patterns");
    char b[80];
    for (size_t i = 0; cfg->dlp.include_defaults && i < cfg->dlp.patterns.n; i++) {
        const struct pl_config_dlp_pattern *p = &cfg->dlp.patterns.v[i];
        if (strcmp(p->action, "warn") == 0 && pl_cfg_is_builtin_dlp(p->name))
            return pl_cfg_fail(ld, pl_ynode_get(pats->vals[i], "action"),
                               "dlp.patterns[%zu].action: \"warn\" is not allowed on built-in "
                               "pattern %s",
                               i, q(p->name, b));
    }
    return 0;
}

static int
port_of(const char *listen, uint16_t *ret)
{
    struct pl_str host;
    if (!listen || !*listen)
        return -ENOENT;
    return pl_config_split_listen(pl_str_c(listen), &host, ret);
}

static int
check_listeners(struct pl_cfg_load *ld, const struct pl_config *cfg)
{
    uint16_t main_port = 0, api_port = 0, metrics_port = 0;
    bool has_main = port_of(cfg->fetch_proxy.listen, &main_port) == 0;
    bool has_api = port_of(cfg->kill_switch.api_listen, &api_port) == 0;
    bool has_metrics = port_of(cfg->metrics_listen, &metrics_port) == 0;
    const char *env = getenv("PIPELOCK_KILLSWITCH_API_TOKEN");
    bool env_token = env && pl_str_trim_ows(pl_str_c(env)).len > 0;

    if (has_api && !*cfg->kill_switch.api_token && !env_token)
        return pl_cfg_fail(ld, Y(ld, "kill_switch.api_listen"),
                           "kill_switch.api_listen: requires kill_switch.api_token (or the "
                           "PIPELOCK_KILLSWITCH_API_TOKEN environment variable)");
    if (has_api && has_main && api_port == main_port)
        return pl_cfg_fail(ld, Y(ld, "kill_switch.api_listen"),
                           "kill_switch.api_listen: port %u is already used by "
                           "fetch_proxy.listen",
                           api_port);
    if (has_metrics && has_main && metrics_port == main_port)
        return pl_cfg_fail(ld, Y(ld, "metrics_listen"),
                           "metrics_listen: port %u is already used by fetch_proxy.listen",
                           metrics_port);
    if (has_metrics && has_api && metrics_port == api_port)
        return pl_cfg_fail(ld, Y(ld, "metrics_listen"),
                           "metrics_listen: port %u is already used by kill_switch.api_listen",
                           metrics_port);
    return 0;
}

static void
warn_listen_exposure(struct pl_cfg_load *ld, const struct pl_config *cfg)
{
    struct pl_str host;
    uint16_t port;
    struct pl_ip ip;
    if (pl_config_split_listen(pl_str_c(cfg->fetch_proxy.listen), &host, &port) < 0)
        return;
    bool exposed = host.len == 0;
    if (!exposed && pl_ip_parse_strict(host, &ip) == 0) {
        pl_ip_unmap(&ip);
        if (ip.family == PL_IP_V4)
            exposed = ip.a[0] != 127;
        else
            exposed = !(memcmp(ip.a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0);
    }
    if (exposed)
        pl_cfg_warn(ld, "fetch_proxy.listen: listening on a non-loopback address exposes the "
                        "proxy to the network");
}

/* A relative path with ".." components that climb above its start. */
static bool
escapes_dir(const char *p)
{
    int depth = 0;
    if (p[0] == '/')
        return false;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return true;
        } else if (len && !(len == 1 && p[0] == '.')) {
            depth++;
        }
        p += len;
        if (*p == '/')
            p++;
    }
    return false;
}

static int
required_when_enabled(struct pl_cfg_load *ld, const char *section, const char *key)
{
    char en[96], path[96];
    snprintf(en, sizeof(en), "%s.enabled", section);
    snprintf(path, sizeof(path), "%s.%s", section, key);
    if (pl_cfg_eff_bool(ld, NULL, en, NULL) && !*pl_cfg_eff_str(ld, NULL, path, NULL))
        return pl_cfg_fail(ld, Y(ld, path) ? Y(ld, path) : Y(ld, en),
                           "%s: required when %s is enabled", path, section);
    return 0;
}

static int
check_optional_sections(struct pl_cfg_load *ld, const struct pl_config *cfg)
{
    const struct pl_ynode *n;
    int r;

    if (pl_cfg_eff_bool(ld, NULL, "mcp_session_binding.enabled", NULL) &&
        !pl_cfg_eff_bool(ld, NULL, "mcp_tool_scanning.enabled", NULL))
        return pl_cfg_fail(ld, Y(ld, "mcp_session_binding.enabled"),
                           "mcp_session_binding.enabled: requires mcp_tool_scanning.enabled");
    if ((r = check_mcp_tool_policy(ld, Y(ld, "mcp_tool_policy"), "mcp_tool_policy")) < 0)
        return r;
    if ((r = check_adaptive_and_airlock(ld, cfg)) < 0)
        return r;

    n = Y(ld, "tool_chain_detection.custom_patterns");
    for (size_t i = 0; n && n->kind == PL_YNODE_SEQ && i < n->n; i++) {
        const struct pl_ynode *seq = pl_ynode_get(n->vals[i], "sequence");
        if (!seq || seq->kind != PL_YNODE_SEQ || seq->n < 2)
            return pl_cfg_fail(ld, seq ? seq : n->vals[i],
                               "tool_chain_detection.custom_patterns[%zu].sequence: needs at "
                               "least 2 categories",
                               i);
    }

    if (pl_cfg_eff_bool(ld, NULL, "cross_request_detection.enabled", NULL) &&
        !pl_cfg_eff_bool(ld, NULL, "cross_request_detection.entropy_budget.enabled", NULL) &&
        !pl_cfg_eff_bool(ld, NULL, "cross_request_detection.fragment_reassembly.enabled", NULL))
        return pl_cfg_fail(ld, Y(ld, "cross_request_detection.enabled"),
                           "cross_request_detection.enabled: requires entropy_budget.enabled or "
                           "fragment_reassembly.enabled");

    if (*pl_cfg_eff_str(ld, NULL, "scan_api.listen", NULL) &&
        !has_items(Y(ld, "scan_api.auth.bearer_tokens")))
        return pl_cfg_fail(ld, Y(ld, "scan_api.listen"),
                           "scan_api.listen: requires at least one token in "
                           "scan_api.auth.bearer_tokens");

    if (pl_cfg_eff_bool(ld, NULL, "redaction.enabled", NULL) && !cfg->request_body_scanning.enabled)
        return pl_cfg_fail(ld, Y(ld, "redaction.enabled"),
                           "redaction.enabled: requires request_body_scanning.enabled");

    if (pl_cfg_eff_bool(ld, NULL, "address_protection.enabled", NULL) &&
        !pl_cfg_eff_bool(ld, NULL, "address_protection.chains.eth", NULL) &&
        !pl_cfg_eff_bool(ld, NULL, "address_protection.chains.btc", NULL) &&
        !pl_cfg_eff_bool(ld, NULL, "address_protection.chains.sol", NULL) &&
        !pl_cfg_eff_bool(ld, NULL, "address_protection.chains.bnb", NULL))
        return pl_cfg_fail(ld, Y(ld, "address_protection.chains"),
                           "address_protection.chains: at least one chain must be enabled");

    n = Y(ld, "file_sentry.watch_paths");
    if (pl_cfg_eff_bool(ld, NULL, "file_sentry.enabled", NULL) && !has_items(n))
        return pl_cfg_fail(ld, n ? n : Y(ld, "file_sentry.enabled"),
                           "file_sentry.watch_paths: required when file_sentry is enabled");
    for (size_t i = 0; n && n->kind == PL_YNODE_SEQ && i < n->n; i++)
        if (n->vals[i]->text && escapes_dir(n->vals[i]->text))
            return pl_cfg_fail(ld, n->vals[i],
                               "file_sentry.watch_paths[%zu]: must not escape the config "
                               "directory with \"..\"",
                               i);

    if ((r = check_sandbox(ld, Y(ld, "sandbox"), "sandbox")) < 0)
        return r;
    if ((r = required_when_enabled(ld, "flight_recorder", "dir")) < 0)
        return r;
    if (pl_cfg_eff_bool(ld, NULL, "flight_recorder.raw_escrow", NULL) &&
        !*pl_cfg_eff_str(ld, NULL, "flight_recorder.escrow_public_key", NULL))
        return pl_cfg_fail(ld, Y(ld, "flight_recorder.raw_escrow"),
                           "flight_recorder.escrow_public_key: required when raw_escrow is "
                           "enabled");
    if ((r = required_when_enabled(ld, "mcp_binary_integrity", "manifest_path")) < 0)
        return r;
    if ((r = required_when_enabled(ld, "behavioral_baseline", "profile_dir")) < 0)
        return r;
    if (pl_cfg_eff_bool(ld, NULL, "browser_shield.enabled", NULL)) {
        const char *strictness = pl_cfg_eff_str(ld, NULL, "browser_shield.strictness", NULL);
        if (strcmp(pl_cfg_eff_str(ld, NULL, "browser_shield.oversize_action", NULL), "warn") == 0 &&
            strcmp(strictness, "minimal") != 0)
            return pl_cfg_fail(ld, Y(ld, "browser_shield.oversize_action"),
                               "browser_shield.oversize_action: \"warn\" is only allowed with "
                               "strictness \"minimal\"");
    }
    if (pl_cfg_eff_bool(ld, NULL, "mediation_envelope.sign", NULL) &&
        !pl_cfg_eff_bool(ld, NULL, "mediation_envelope.enabled", NULL))
        return pl_cfg_fail(ld, Y(ld, "mediation_envelope.sign"),
                           "mediation_envelope.sign: requires mediation_envelope.enabled");
    if ((r = required_when_enabled(ld, "reverse_proxy", "listen")) < 0)
        return r;
    if ((r = required_when_enabled(ld, "reverse_proxy", "upstream")) < 0)
        return r;
    return check_agents(ld);
}

int
pl_cfg_validate(struct pl_cfg_load *ld)
{
    const struct pl_config *cfg = ld->cfg;
    int r;

    if (cfg->mode == PL_MODE_STRICT && cfg->api_allowlist.n == 0)
        return pl_cfg_fail(ld, Y(ld, "mode"),
                           "mode: strict mode requires a non-empty api_allowlist");
    if (cfg->logging.output != PL_LOG_OUT_STDOUT && !*cfg->logging.file)
        return pl_cfg_fail(ld, Y(ld, "logging.output"),
                           "logging.file: required when logging.output is \"%s\"",
                           cfg->logging.output == PL_LOG_OUT_FILE ? "file" : "both");
    if ((r = check_listeners(ld, cfg)) < 0)
        return r;
    if (!cfg->websocket_proxy.strip_compression)
        return pl_cfg_fail(ld, Y(ld, "websocket_proxy.strip_compression"),
                           "websocket_proxy.strip_compression: must be true (compressed "
                           "WebSocket frames cannot be scanned)");
    if ((r = check_dlp(ld, cfg)) < 0)
        return r;
    if ((r = check_canary(ld)) < 0)
        return r;
    if ((r = check_proxy_auth(ld, cfg)) < 0)
        return r;
    if (cfg->server.max_header_bytes < cfg->server.max_request_line)
        return pl_cfg_fail(ld, Y(ld, "server.max_header_bytes"),
                           "server.max_header_bytes: must be at least server.max_request_line "
                           "(%d)",
                           cfg->server.max_request_line);
    if ((r = check_optional_sections(ld, cfg)) < 0)
        return r;

    /* Advisory warnings (the reference prints these as "WARNING: <field>: <msg>"). */
    warn_listen_exposure(ld, cfg);
    int64_t ws_total;
    if (__builtin_mul_overflow(cfg->websocket_proxy.max_message_bytes,
                               (int64_t)cfg->websocket_proxy.max_concurrent_connections,
                               &ws_total) ||
        ws_total > (int64_t)1 << 30)
        pl_cfg_warn(ld, "websocket_proxy: max_message_bytes x max_concurrent_connections exceeds "
                        "1 GiB of buffered messages");
    if (cfg->emit.otlp.endpoint && *cfg->emit.otlp.endpoint)
        pl_cfg_warn(ld, "emit.otlp: not implemented by this build yet; events are not sent "
                        "there (use emit.webhook or emit.syslog)");
    if (!cfg->response_scanning.enabled && cfg->response_scanning.exempt_domains.n)
        pl_cfg_warn(ld, "response_scanning.exempt_domains: set while response scanning is "
                        "disabled; it has no effect");
    return 0;
}
