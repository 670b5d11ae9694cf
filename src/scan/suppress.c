/* Suppression rule matching (see suppress.h). */
#include "scan/suppress.h"

#include <string.h>

#define MAX_TARGET 4096

/*
 * Glob match of pattern p against s. With any_slash, '*' also matches '/' (the URL form);
 * otherwise '*' and '?' stay within one path element, as Go's path.Match. Iterative with one
 * backtrack point per '*', so the work is bounded by len(p) * len(s).
 */
static bool
glob(const char *p, size_t pn, const char *s, size_t sn, bool any_slash)
{
    size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        bool ok = false;
        size_t adv = 1;
        if (pi < pn && p[pi] == '?') {
            ok = any_slash || s[si] != '/';
        } else if (pi < pn && p[pi] == '[') {
            size_t j = pi + 1;
            bool neg = j < pn && p[j] == '^';
            if (neg)
                j++;
            bool hit = false;
            while (j < pn && p[j] != ']') {
                char lo = p[j], hi = lo;
                if (j + 2 < pn && p[j + 1] == '-' && p[j + 2] != ']') {
                    hi = p[j + 2];
                    j += 2;
                }
                if (s[si] >= lo && s[si] <= hi)
                    hit = true;
                j++;
            }
            if (j >= pn)
                return false; /* unterminated class: a bad pattern matches nothing */
            ok = (hit != neg) && s[si] != '/';
            adv = j - pi + 1;
        } else if (pi < pn) {
            ok = p[pi] == s[si];
        }
        if (ok) {
            pi += adv;
            si++;
            continue;
        }
        /* Backtrack: let the last '*' take one more byte (never a '/' in path mode). */
        if (star_p == (size_t)-1 || (!any_slash && s[star_s] == '/'))
            return false;
        pi = star_p;
        si = ++star_s;
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

/* Target normalised: '\' → '/', ":80" / ":443" right after the authority dropped. */
static size_t
normalise(struct pl_str t, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < t.len && n < MAX_TARGET; i++)
        out[n++] = t.p[i] == '\\' ? '/' : t.p[i];
    const char *sch = memmem(out, n, "://", 3);
    if (!sch)
        return n;
    char *auth = (char *)sch + 3;
    char *end = memchr(auth, '/', (size_t)(out + n - auth));
    if (!end)
        end = out + n;
    static const char *const ports[] = {":80", ":443"};
    for (size_t k = 0; k < PL_ARRAY_SIZE(ports); k++) {
        size_t pl = strlen(ports[k]);
        if ((size_t)(end - auth) > pl && !memcmp(end - pl, ports[k], pl)) {
            memmove(end - pl, end, (size_t)(out + n - end));
            return n - pl;
        }
    }
    return n;
}

bool
pl_suppress_match(const struct pl_suppress_rule *r, struct pl_str name, struct pl_str target)
{
    if (!r->rule || !r->path || !pl_str_eq_ci_c(name, r->rule))
        return false;
    char tbuf[MAX_TARGET], pbuf[MAX_TARGET];
    size_t tn = normalise(target, tbuf);
    size_t pn = normalise(pl_str_c(r->path), pbuf);
    if (pn == 0)
        return false;
    /* exact, or a directory prefix */
    if (pn == tn && !memcmp(pbuf, tbuf, tn))
        return true;
    if (pbuf[pn - 1] == '/' && tn >= pn && !memcmp(pbuf, tbuf, pn))
        return true;
    /* glob on the whole target, or on its last path element */
    bool url = memmem(pbuf, pn, "://", 3) != NULL;
    if (glob(pbuf, pn, tbuf, tn, url))
        return true;
    const char *slash = memrchr(tbuf, '/', tn);
    if (slash && glob(pbuf, pn, slash + 1, (size_t)(tbuf + tn - slash - 1), false))
        return true;
    /* the target's tail after a '/' */
    if (tn > pn && tbuf[tn - pn - 1] == '/' && !memcmp(tbuf + tn - pn, pbuf, pn))
        return true;
    return false;
}

bool
pl_suppress_any(const struct pl_suppress_rule *v, size_t n, struct pl_str name,
                struct pl_str target)
{
    for (size_t i = 0; i < n; i++)
        if (pl_suppress_match(&v[i], name, target))
            return true;
    return false;
}
