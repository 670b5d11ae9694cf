/* The URL pipeline; see urlscan.h for the order and the split with the caller. */
#include "scan/urlscan.h"

#include <stdarg.h>
#include <string.h>

#include "scan/bip39.h"
#include "scan/decode.h"
#include "scan/domain.h"
#include "scan/entropy.h"

/* Query values considered by the subsequence step, and views scanned per batch. */
#define SUBSEQ_VALUES 20
#define SUBSEQ_BATCH  1024
/* Up to this many subsequence views are scanned together with the other URL views. */
#define SUBSEQ_INLINE 64
/* Query parameters looked at one by one; the rest are still in the whole-query views. */
#define MAX_PARAMS 256

static const struct {
    const char *scanner;
    const char *hint;
} hints[] = {
    {"blocklist", "Domain is on the blocklist. Remove from fetch_proxy.monitoring.blocklist if "
                  "legitimate."},
    {"dlp", "A DLP pattern matched this URL. If false positive, add a suppress entry for this "
            "rule."},
    {"core_dlp", "A core DLP pattern (always on) matched this URL. Remove the credential from "
                 "the request."},
    {"entropy", "High-entropy content detected. Review the URL for data exfiltration attempts."},
    {"subdomain_entropy", "High-entropy content detected in subdomain. Review for data "
                          "exfiltration via DNS."},
    {"ssrf", "SSRF protection blocked this URL. It may resolve to a private IP or DNS "
             "resolution failed."},
    {"core_ssrf", "The core SSRF floor blocks private and loopback IP literals; add the address "
                  "to ssrf.ip_allowlist if intended."},
    {"ratelimit", "Rate limit exceeded. Retry later or adjust "
                  "fetch_proxy.monitoring.max_requests_per_minute."},
    {"length", "URL exceeds maximum length. Check for data stuffing in query parameters."},
    {"databudget", "Session data budget exceeded."},
    {"scheme", "Only http and https schemes are allowed."},
    {"allowlist", "Domain not on the allowlist. In strict mode, only allowlisted domains are "
                  "reachable."},
    {"parser", "The URL could not be parsed. Check it for invalid characters or escapes."},
    {"crlf_injection", "Encoded CR/LF in the URL can split headers. Remove the line breaks."},
    {"path_traversal", "Path traversal sequences (../) are not allowed in URLs."},
};

const struct pl_dlp_finding *
pl_urlscan_first_block(const struct pl_urlscan_cfg *cfg, const struct pl_dlp_result *res,
                       struct pl_str target, size_t *ret_suppressed)
{
    const struct pl_dlp_finding *best = NULL;
    size_t quiet = 0;
    for (size_t i = 0; i < res->n; i++) {
        const struct pl_dlp_finding *f = &res->f[i];
        if (pl_dlp_db_is_warn(cfg->dlp, f->pattern))
            continue;
        bool core = pl_dlp_db_is_core(cfg->dlp, f->pattern);
        if (!core && cfg->n_suppress &&
            pl_suppress_any(cfg->suppress, cfg->n_suppress,
                            pl_str_c(pl_dlp_db_name(cfg->dlp, f->pattern)), target)) {
            quiet++;
            continue;
        }
        if (!best || (core && !pl_dlp_db_is_core(cfg->dlp, best->pattern)))
            best = f;
    }
    if (ret_suppressed)
        *ret_suppressed = quiet;
    return best;
}

const char *
pl_urlscan_hint(const char *scanner)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(hints); i++)
        if (!strcmp(hints[i].scanner, scanner))
            return hints[i].hint;
    return "The request was blocked by policy.";
}

void
pl_urlscan_block(struct pl_urlscan_verdict *v, const char *scanner, int status, double score,
                 const char *fmt, ...)
{
    va_list ap;
    v->blocked = true;
    v->scanner = scanner;
    v->status = status;
    v->score = score;
    v->hint = pl_urlscan_hint(scanner);
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
    va_end(ap);
}

static void
verdict_init(struct pl_urlscan_verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->scanner = "all";
}

void
pl_urlscan_unparsable(struct pl_str raw, struct pl_urlscan_verdict *v)
{
    verdict_init(v);
    /* A scheme is ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by ':'. */
    size_t i = 0;
    while (i < raw.len && (((raw.p[i] | 0x20) >= 'a' && (raw.p[i] | 0x20) <= 'z') ||
                           (i > 0 && ((raw.p[i] >= '0' && raw.p[i] <= '9') || raw.p[i] == '+' ||
                                      raw.p[i] == '-' || raw.p[i] == '.'))))
        i++;
    if (i > 0 && i < raw.len && raw.p[i] == ':') {
        struct pl_str sch = pl_str_from(raw.p, i);
        if (!pl_str_eq_ci_c(sch, "http") && !pl_str_eq_ci_c(sch, "https")) {
            pl_urlscan_block(v, "scheme", 403, 1.0, "scheme not allowed: %.*s", (int)PL_MIN(i, 32),
                             raw.p);
            return;
        }
    }
    pl_urlscan_block(v, "parser", 403, 1.0, "invalid URL");
}

void
pl_urlscan_length(const struct pl_urlscan_cfg *cfg, struct pl_str raw, struct pl_urlscan_verdict *v)
{
    if (cfg->max_url_length > 0 && raw.len > cfg->max_url_length)
        pl_urlscan_block(v, "length", 403, 0.8, "URL length %zu exceeds maximum %zu", raw.len,
                         cfg->max_url_length);
}

static bool
has_crlf(struct pl_str raw)
{
    const char *hash = memchr(raw.p, '#', raw.len);
    struct pl_str s = pl_str_from(raw.p, hash ? (size_t)(hash - raw.p) : raw.len);
    if (memchr(s.p, '\r', s.len) || memchr(s.p, '\n', s.len))
        return true;
    /* %0d %0a, and the double-encoded %250d %250a */
    for (const char *p = s.p, *end = s.p + s.len; (p = memchr(p, '%', (size_t)(end - p))); p++) {
        size_t left = (size_t)(end - p);
        const char *q = p + 1;
        if (left >= 5 && q[0] == '2' && q[1] == '5')
            q += 2;
        if ((size_t)(q - p) + 2 <= left && q[0] == '0' &&
            (pl_ascii_lower(q[1]) == 'd' || pl_ascii_lower(q[1]) == 'a'))
            return true;
    }
    return false;
}

/* Length of a path separator at s[i] (/, \, %2f, %5c), or 0. */
static size_t
sep_at(struct pl_str s, size_t i)
{
    if (i >= s.len)
        return 0;
    if (s.p[i] == '/' || s.p[i] == '\\')
        return 1;
    if (s.p[i] == '%' && i + 2 < s.len &&
        ((s.p[i + 1] == '2' && pl_ascii_lower(s.p[i + 2]) == 'f') ||
         (s.p[i + 1] == '5' && pl_ascii_lower(s.p[i + 2]) == 'c')))
        return 3;
    return 0;
}

/* Length of a dot-dot token at s[i] ("..", "%2e.", ".%2e", "%2e%2e", and %252e forms), or 0. */
static size_t
dotdot_at(struct pl_str s, size_t i)
{
    size_t k = i;
    for (int dot = 0; dot < 2; dot++) {
        if (k < s.len && s.p[k] == '.') {
            k++;
        } else if (k + 2 < s.len && s.p[k] == '%' && s.p[k + 1] == '2' &&
                   pl_ascii_lower(s.p[k + 2]) == 'e') {
            k += 3;
        } else if (k + 4 < s.len && s.p[k] == '%' && s.p[k + 1] == '2' && s.p[k + 2] == '5' &&
                   s.p[k + 3] == '2' && pl_ascii_lower(s.p[k + 4]) == 'e') {
            k += 5;
        } else {
            return 0;
        }
    }
    return k - i;
}

static bool
has_traversal(struct pl_str path)
{
    for (size_t i = 0; i < path.len; i++) {
        size_t sl = sep_at(path, i);
        if (!sl)
            continue;
        size_t d = dotdot_at(path, i + sl);
        if (!d)
            continue;
        size_t e = i + sl + d;
        /* Right boundary: a separator, the end, or ';' ("..;" reaches the parent on Tomcat). */
        if (e == path.len || sep_at(path, e) || path.p[e] == ';')
            return true;
        /* "%252f" after a double-encoded dot-dot. */
        if (e + 4 < path.len && path.p[e] == '%' && path.p[e + 1] == '2' && path.p[e + 2] == '5' &&
            path.p[e + 3] == '2' && pl_ascii_lower(path.p[e + 4]) == 'f')
            return true;
    }
    return false;
}

/* Canonical host into v->host; false when it is not a usable host. */
static bool
canon_host(struct pl_str host, struct pl_urlscan_verdict *v)
{
    char tmp[256];
    if (host.len == 0 || host.len >= sizeof(tmp))
        return false;
    size_t n = 0;
    for (size_t i = 0; i < host.len; i++)
        tmp[n++] = pl_ascii_lower(host.p[i]);
    /* IPv6 zone ids ("%25eth0" or "%eth0") are not part of the address. */
    char *pct = memchr(tmp, '%', n);
    if (pct && memchr(tmp, ':', n))
        n = (size_t)(pct - tmp);
    if (n > 1 && tmp[n - 1] == '.')
        n--;
    struct pl_ip ip;
    if (pl_ip_parse_host(pl_str_from(tmp, n), &ip) == 0) {
        pl_ip_unmap(&ip);
        v->host_is_ip = true;
        v->ip = ip;
        pl_ip_format(&ip, v->host, sizeof(v->host));
        return true;
    }
    memcpy(v->host, tmp, n);
    v->host[n] = '\0';
    return true;
}

/* ---- DLP views of a URL ---- */

struct urlwork {
    char *mem; /* decoded query keys/values, path, concatenations */
    size_t len, cap;
    struct {
        size_t koff, klen, voff, vlen;
    } params[MAX_PARAMS];
    size_t n_params;
    bool truncated_params;
};

static int
work_reserve(struct urlwork *w, size_t n, char **ret)
{
    if (w->len + n > w->cap)
        return -E2BIG;
    *ret = w->mem + w->len;
    return 0;
}

/* Percent-decode s (once with '+' as space, then iteratively) into work memory. */
static int
work_decode(struct urlwork *w, struct pl_str s, bool plus, size_t *ret_off, size_t *ret_len)
{
    char *out;
    int r = work_reserve(w, s.len, &out);
    if (r < 0)
        return r;
    int n = pl_decode_percent_iter(s, out, s.len, plus, 500, NULL);
    if (n < 0)
        return n;
    *ret_off = w->len;
    *ret_len = (size_t)n;
    w->len += (size_t)n;
    return 0;
}

static struct pl_str
wstr(const struct urlwork *w, size_t off, size_t len)
{
    return pl_str_from(w->mem + off, len);
}

static int
parse_query(struct urlwork *w, struct pl_str q)
{
    size_t i = 0;
    while (i <= q.len && q.len) {
        const char *amp = memchr(q.p + i, '&', q.len - i);
        size_t end = amp ? (size_t)(amp - q.p) : q.len;
        struct pl_str pair = pl_str_from(q.p + i, end - i);
        if (pair.len) {
            if (w->n_params == MAX_PARAMS) {
                w->truncated_params = true;
                return 0;
            }
            const char *eq = memchr(pair.p, '=', pair.len);
            struct pl_str k = pl_str_from(pair.p, eq ? (size_t)(eq - pair.p) : pair.len);
            struct pl_str val = eq ? pl_str_from(eq + 1, pair.len - k.len - 1) : PL_STR_NULL;
            size_t n = w->n_params;
            int r = work_decode(w, k, true, &w->params[n].koff, &w->params[n].klen);
            if (r == 0)
                r = work_decode(w, val, true, &w->params[n].voff, &w->params[n].vlen);
            if (r < 0)
                return r;
            w->n_params++;
        }
        if (!amp)
            break;
        i = end + 1;
    }
    return 0;
}

static int
add_noise_stripped(struct pl_dlp_scratch *s, struct urlwork *w, struct pl_str t)
{
    char *out;
    int r = work_reserve(w, t.len, &out);
    if (r < 0)
        return r;
    size_t n = pl_decode_strip_noise(t, out, t.len);
    if (n == t.len)
        return 0; /* nothing stripped: the view exists already */
    w->len += n;
    return pl_dlp_views_add(s, pl_str_from(out, n), PL_VIEW_NOISE, true, true);
}

/* Non-empty values considered by the subsequence step, and how many views it makes. */
static size_t
subsequence_count(const struct urlwork *w, size_t *ret_views)
{
    size_t m = 0;
    for (size_t i = 0; i < w->n_params && m < SUBSEQ_VALUES; i++)
        m += w->params[i].vlen > 0;
    /* C(m,2) + C(m,3) + C(m,4) */
    *ret_views = m < 3 ? 0
                       : m * (m - 1) / 2 + m * (m - 1) * (m - 2) / 6 +
                             (m >= 4 ? m * (m - 1) * (m - 2) * (m - 3) / 24 : 0);
    return m;
}

/*
 * The subsequence step. With into_current the views join the current view set (the caller
 * scans it; only for a few views); otherwise they are scanned here in batches.
 */
static int
subsequence_views(const struct pl_urlscan_cfg *cfg, struct pl_dlp_scratch *s,
                  const struct urlwork *w, struct pl_str host, struct pl_dlp_result *res,
                  bool into_current)
{
    size_t idx[SUBSEQ_VALUES], m = 0;
    for (size_t i = 0; i < w->n_params && m < SUBSEQ_VALUES; i++)
        if (w->params[i].vlen)
            idx[m++] = i;
    if (m < 3)
        return 0;
    size_t total = 0;
    for (size_t i = 0; i < m; i++)
        total += w->params[idx[i]].vlen;
    char *buf = malloc(total + 1);
    if (!buf)
        return -ENOMEM;
    int r = 0;
    size_t batch = 0;
    if (!into_current)
        pl_dlp_views_reset(s, total * 64);
    /* Every ordered choice of 2, 3 or 4 values (i < j < k < l), concatenated. */
    for (size_t k = 2; k <= 4 && k <= m && r >= 0; k++) {
        size_t c[4];
        for (size_t i = 0; i < k; i++)
            c[i] = i;
        for (;;) {
            size_t n = 0;
            for (size_t i = 0; i < k; i++) {
                struct pl_str v = wstr(w, w->params[idx[c[i]]].voff, w->params[idx[c[i]]].vlen);
                memcpy(buf + n, v.p, v.len);
                n += v.len;
            }
            if ((r = pl_dlp_views_add(s, pl_str_from(buf, n), PL_VIEW_SUBSEQ, true, false)) < 0)
                break;
            if (++batch == SUBSEQ_BATCH && !into_current) {
                if ((r = pl_dlp_views_scan(cfg->dlp, s, host, res)) < 0)
                    break;
                pl_dlp_views_reset(s, total * 64);
                batch = 0;
            }
            /* next combination */
            size_t i = k;
            while (i-- > 0 && c[i] == m - k + i)
                ;
            if (i == (size_t)-1)
                break;
            c[i]++;
            for (size_t j = i + 1; j < k; j++)
                c[j] = c[j - 1] + 1;
        }
    }
    if (r >= 0 && batch && !into_current)
        r = pl_dlp_views_scan(cfg->dlp, s, host, res);
    free(buf);
    return r;
}

static bool
bip39_in(const struct pl_urlscan_cfg *cfg, struct pl_str t)
{
    struct pl_bip39_opts o = {cfg->seed_min_words, cfg->seed_verify_checksum};
    return pl_bip39_find(t, &o, NULL, NULL);
}

/*
 * A seed phrase needs at least min_words list words. Counting the letter runs of the raw URL
 * that are list words rules almost every URL out at once. Every byte that is not a letter is
 * treated as a separator, which can only over-count; a URL with escapes (which may hide
 * separators or letters) is always checked in full.
 */
static bool
may_hold_phrase(struct pl_str raw, int min_words)
{
    if (memchr(raw.p, '%', raw.len))
        return true;
    int words = 0;
    size_t run = 0;
    char low[8];
    for (size_t i = 0; i <= raw.len; i++) {
        unsigned char c = i < raw.len ? (unsigned char)raw.p[i] : ' ';
        if ((unsigned)((c | 0x20) - 'a') < 26) {
            if (run < sizeof(low))
                low[run] = (char)(c | 0x20);
            run++;
            continue;
        }
        if (run >= 3 && run <= sizeof(low) && pl_bip39_word_index(pl_str_from(low, run)) >= 0)
            words++;
        run = 0;
    }
    return words >= PL_MAX(min_words, 12);
}

/* Seed phrases in the URL's word-bearing parts (reference §4.7). */
static bool
seed_phrase_found(const struct pl_urlscan_cfg *cfg, struct urlwork *w, struct pl_str path_dec,
                  struct pl_str query_dec, struct pl_str host)
{
    if (bip39_in(cfg, query_dec))
        return true;
    for (size_t i = 0; i < w->n_params; i++)
        if (bip39_in(cfg, wstr(w, w->params[i].voff, w->params[i].vlen)))
            return true;
    char *buf;
    size_t need = PL_MAX(path_dec.len, host.len) + 1;
    size_t vals = 0;
    for (size_t i = 0; i < w->n_params; i++)
        vals += w->params[i].vlen + 1;
    if (work_reserve(w, PL_MAX(need, vals), &buf) < 0)
        return false;
    /* Values joined by spaces. */
    size_t n = 0;
    for (size_t i = 0; i < w->n_params; i++) {
        memcpy(buf + n, w->mem + w->params[i].voff, w->params[i].vlen);
        n += w->params[i].vlen;
        buf[n++] = ' ';
    }
    if (n && bip39_in(cfg, pl_str_from(buf, n)))
        return true;
    /* Path with '/' and host with '.' as word separators. */
    for (size_t i = 0; i < path_dec.len; i++)
        buf[i] = path_dec.p[i] == '/' ? ' ' : path_dec.p[i];
    if (bip39_in(cfg, pl_str_from(buf, path_dec.len)))
        return true;
    for (size_t i = 0; i < host.len; i++)
        buf[i] = host.p[i] == '.' ? ' ' : host.p[i];
    return bip39_in(cfg, pl_str_from(buf, host.len));
}

static int
dlp_stage(const struct pl_urlscan_cfg *cfg, struct pl_dlp_scratch *s,
          const struct pl_urlscan_url *u, struct pl_urlscan_verdict *v, struct urlwork *w,
          size_t *ret_path_off, size_t *ret_path_len)
{
    struct pl_str host = pl_str_c(v->host);
    int r;
    /* Decoded path (one round, '+' kept), iteratively decoded raw path, decoded query. */
    char *out;
    if ((r = work_reserve(w, u->path.len, &out)) < 0)
        return r;
    int pn = pl_decode_percent(u->path, out, u->path.len, false, NULL);
    if (pn < 0)
        return pn;
    size_t path_off = w->len, path_len = (size_t)pn;
    w->len += path_len;
    *ret_path_off = path_off;
    *ret_path_len = path_len;
    size_t ipath_off, ipath_len, q_off, q_len;
    if ((r = work_decode(w, u->path, true, &ipath_off, &ipath_len)) < 0 ||
        (r = work_decode(w, u->query, true, &q_off, &q_len)) < 0 ||
        (r = parse_query(w, u->query)) < 0)
        return r;

    pl_dlp_views_reset(s, u->raw.len * 4);
    pl_dlp_views_set_min(s, cfg->dlp);
    if ((r = pl_dlp_views_add(s, u->raw, PL_VIEW_RAW, true, true)) < 0 ||
        (r = pl_dlp_views_add(s, wstr(w, path_off, path_len), PL_VIEW_PATH, true, true)) < 0 ||
        (r = pl_dlp_views_add(s, wstr(w, q_off, q_len), PL_VIEW_QUERY, true, true)) < 0)
        return r;
    for (size_t i = 0; i < w->n_params; i++) {
        struct pl_str k = wstr(w, w->params[i].koff, w->params[i].klen);
        struct pl_str val = wstr(w, w->params[i].voff, w->params[i].vlen);
        struct pl_str both[2] = {k, val};
        for (int j = 0; j < 2; j++) {
            if ((r = pl_dlp_views_add(s, both[j], PL_VIEW_QUERY, true, true)) < 0 ||
                (r = pl_dlp_views_add_decodings(s, both[j], 3, 8, true)) < 0 ||
                (r = add_noise_stripped(s, w, both[j])) < 0)
                return r;
        }
    }
    struct pl_str ipath = wstr(w, ipath_off, ipath_len);
    if ((r = pl_dlp_views_add(s, ipath, PL_VIEW_URL, true, true)) < 0)
        return r;
    /* Path segments of 10 bytes or more, decoded (depth 3: nested encodings too). */
    struct pl_str dp = wstr(w, path_off, path_len);
    for (size_t i = 0; i < dp.len;) {
        while (i < dp.len && dp.p[i] == '/')
            i++;
        size_t a = i;
        while (i < dp.len && dp.p[i] != '/')
            i++;
        if (i - a >= 10 &&
            (r = pl_dlp_views_add_decodings(s, pl_str_from(dp.p + a, i - a), 3, 10, true)) < 0)
            return r;
    }
    /* Host without dots, and the subdomain part alone (labels split a secret or encode it). */
    if (!v->host_is_ip) {
        char *hd;
        if ((r = work_reserve(w, host.len, &hd)) < 0)
            return r;
        size_t n = 0, last_dot = 0, prev_dot = 0, dots = 0;
        for (size_t i = 0; i < host.len; i++) {
            if (host.p[i] == '.') {
                prev_dot = last_dot;
                last_dot = n;
                dots++;
                continue;
            }
            hd[n++] = host.p[i];
        }
        w->len += n;
        if (dots && (r = pl_dlp_views_add(s, pl_str_from(hd, n), PL_VIEW_HOST, true, true)) < 0)
            return r;
        if (dots >= 2 && prev_dot >= 10 &&
            (r = pl_dlp_views_add_decodings(s, pl_str_from(hd, prev_dot), 3, 10, false)) < 0)
            return r;
    }
    if ((r = add_noise_stripped(s, w, dp)) < 0)
        return r;
    if (w->n_params >= 2) {
        size_t total = 0;
        for (size_t i = 0; i < w->n_params; i++)
            total += w->params[i].vlen;
        char *cat;
        if ((r = work_reserve(w, total, &cat)) < 0)
            return r;
        size_t n = 0;
        for (size_t i = 0; i < w->n_params; i++) {
            memcpy(cat + n, w->mem + w->params[i].voff, w->params[i].vlen);
            n += w->params[i].vlen;
        }
        w->len += n;
        if ((r = pl_dlp_views_add(s, pl_str_from(cat, n), PL_VIEW_CONCAT, true, true)) < 0 ||
            (r = add_noise_stripped(s, w, pl_str_from(cat, n))) < 0)
            return r;
    }
    /* A few subsequence views ride along in the same scan (their findings sort after the
     * views above, so the reference's order is kept); many get their own batched pass. */
    size_t n_sub;
    subsequence_count(w, &n_sub);
    bool small = n_sub <= SUBSEQ_INLINE;
    if (small && n_sub && (r = subsequence_views(cfg, s, w, host, &v->dlp, true)) < 0)
        return r;
    if ((r = pl_dlp_views_scan(cfg->dlp, s, host, &v->dlp)) < 0)
        return r;
    if (!small && !pl_urlscan_first_block(cfg, &v->dlp, u->raw, NULL) &&
        (r = subsequence_views(cfg, s, w, host, &v->dlp, false)) < 0)
        return r;
    const struct pl_dlp_finding *f = pl_urlscan_first_block(cfg, &v->dlp, u->raw, NULL);
    if (f) {
        bool core = pl_dlp_db_is_core(cfg->dlp, f->pattern);
        pl_urlscan_block(v, core ? "core_dlp" : "dlp", 403, 1.0, "DLP match: %s (%s)",
                         pl_dlp_db_name(cfg->dlp, f->pattern),
                         pl_severity_name(pl_dlp_db_severity(cfg->dlp, f->pattern)));
        v->dlp_blocked = true;
        return 0;
    }
    if (cfg->seed_phrase && may_hold_phrase(u->raw, cfg->seed_min_words) &&
        seed_phrase_found(cfg, w, wstr(w, path_off, path_len), wstr(w, q_off, q_len), host)) {
        pl_urlscan_block(v, "dlp", 403, 1.0, "DLP match: BIP-39 Seed Phrase (critical)");
        v->dlp_blocked = true;
    }
    return 0;
}

static bool
entropy_high(struct pl_str t, size_t min_chars, double threshold, double *ret_h)
{
    if (t.len < min_chars)
        return false;
    size_t chars;
    double h = pl_entropy(t, &chars);
    *ret_h = h;
    return chars >= min_chars && h > threshold;
}

static void
entropy_stage(const struct pl_urlscan_cfg *cfg, struct pl_urlscan_verdict *v,
              const struct urlwork *w, struct pl_str path_dec)
{
    struct pl_str host = pl_str_c(v->host);
    bool excluded = pl_domain_match_any(host, cfg->entropy_exclusions, cfg->n_entropy_exclusions);
    double h;
    if (!excluded) {
        for (size_t i = 0; i < path_dec.len;) {
            while (i < path_dec.len && path_dec.p[i] == '/')
                i++;
            size_t a = i;
            while (i < path_dec.len && path_dec.p[i] != '/')
                i++;
            if (entropy_high(pl_str_from(path_dec.p + a, i - a), 20, cfg->entropy_threshold, &h)) {
                pl_urlscan_block(v, "entropy", 403, PL_MIN(h / 8, 1.0),
                                 "high entropy path segment (%.2f bits/char)", h);
                return;
            }
        }
    }
    for (size_t i = 0; i < w->n_params; i++) {
        struct pl_str kv[2] = {wstr(w, w->params[i].koff, w->params[i].klen),
                               wstr(w, w->params[i].voff, w->params[i].vlen)};
        for (int j = 0; j < 2; j++) {
            if (entropy_high(kv[j], 20, cfg->entropy_threshold, &h)) {
                pl_urlscan_block(v, "entropy", 403, PL_MIN(h / 8, 1.0),
                                 "high entropy query %s (%.2f bits/char)", j ? "value" : "key", h);
                return;
            }
        }
    }
    if (v->host_is_ip || excluded)
        return;
    size_t labels = 1;
    for (size_t i = 0; i < host.len; i++)
        labels += host.p[i] == '.';
    if (labels < 3)
        return;
    size_t label = 0;
    for (size_t i = 0; i < host.len && label < labels - 2; label++) {
        size_t a = i;
        while (i < host.len && host.p[i] != '.')
            i++;
        if (entropy_high(pl_str_from(host.p + a, i - a), 8, cfg->subdomain_entropy_threshold, &h)) {
            pl_urlscan_block(v, "subdomain_entropy", 403, PL_MIN(h / 8, 1.0),
                             "high entropy subdomain label (%.2f bits/char)", h);
            return;
        }
        i++;
    }
}

int
pl_urlscan_run(const struct pl_urlscan_cfg *cfg, struct pl_dlp_scratch *s,
               const struct pl_urlscan_url *u, struct pl_urlscan_verdict *v)
{
    verdict_init(v);
    if (!pl_str_eq_ci_c(u->scheme, "http") && !pl_str_eq_ci_c(u->scheme, "https")) {
        pl_urlscan_block(v, "scheme", 403, 1.0, "scheme not allowed: %.*s",
                         (int)PL_MIN(u->scheme.len, 32), u->scheme.p);
        return 0;
    }
    if (!canon_host(u->host, v)) {
        pl_urlscan_block(v, "parser", 403, 1.0, "invalid URL: bad host");
        return 0;
    }
    if (has_crlf(u->raw)) {
        pl_urlscan_block(v, "crlf_injection", 403, 0.9, "CRLF injection detected in URL");
        return 0;
    }
    if (has_traversal(u->path)) {
        pl_urlscan_block(v, "path_traversal", 403, 0.7, "path traversal detected in URL");
        return 0;
    }
    struct pl_str host = pl_str_c(v->host);
    if (cfg->strict && !pl_domain_match_any(host, cfg->allowlist, cfg->n_allowlist)) {
        pl_urlscan_block(v, "allowlist", 403, 1.0, "domain not in allowlist: %s", v->host);
        return 0;
    }
    if (pl_domain_match_any(host, cfg->blocklist, cfg->n_blocklist)) {
        pl_urlscan_block(v, "blocklist", 403, 1.0, "domain blocked: %s", v->host);
        return 0;
    }
    if (cfg->internal_empty && v->host_is_ip &&
        pl_ip_is_internal(&v->ip, cfg->core, cfg->ip_allowlist)) {
        pl_urlscan_block(v, "core_ssrf", 403, 1.0,
                         "SSRF blocked: %s is an internal IP address (core floor)", v->host);
        return 0;
    }
    struct urlwork w; /* params[] is written before it is read: no need to zero 8 KiB */
    w.len = 0;
    w.n_params = 0;
    w.truncated_params = false;
    w.cap = u->raw.len * 8 + 1024;
    w.mem = malloc(w.cap);
    if (!w.mem) {
        pl_urlscan_block(v, "dlp", 403, 1.0, "DLP scan failed: out of memory");
        return -ENOMEM;
    }
    size_t path_off = 0, path_len = 0;
    int r = 0;
    if (cfg->dlp) {
        r = dlp_stage(cfg, s, u, v, &w, &path_off, &path_len);
        if (r < 0) {
            pl_urlscan_block(v, "dlp", 403, 1.0, "DLP scan failed (%s): request blocked",
                             r == -E2BIG ? "input too complex" : "scanner error");
            goto out;
        }
    }
    if (v->blocked)
        goto out;
    entropy_stage(cfg, v, &w, wstr(&w, path_off, path_len));
    if (v->blocked)
        goto out;
    if (v->host_is_ip && !cfg->internal_empty &&
        pl_ip_is_internal(&v->ip, cfg->ssrf_set, cfg->ip_allowlist))
        pl_urlscan_block(v, "ssrf", 403, 1.0, "SSRF blocked: %s is an internal IP address",
                         v->host);
out:
    free(w.mem);
    return r;
}
