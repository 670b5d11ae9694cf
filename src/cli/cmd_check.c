/*
 * `pipelock check [--config file]`: validate a configuration and summarise it; with --url,
 * run one URL through the full pipeline; with --text/--file, run text DLP on text.
 */
#include <event2/dns.h>
#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "http/url.h"
#include "net/dns.h"
#include "net/sock.h"
#include "obs/audit.h"
#include "policy/config.h"
#include "policy/dlp_policy.h"
#include "proxy/policy_check.h"
#include "scan/dlp.h"
#include "scan/html.h"
#include "scan/inject.h"
#include "scan/urlscan.h"
#include "util/json.h"
#include "util/time.h"

/* Largest --file/--text input scanned (bodies are capped at max_body_bytes in the proxy). */
#define CHECK_MAX_TEXT (64u << 20)

static const char check_usage[] =
    "Usage: pipelock check [-c file] [--url URL | --text TEXT | --file PATH|- |\n"
    "                       --response PATH|-] [--json]\n"
    "\n"
    "Validate a configuration file with the same loader `run` uses and print a summary.\n"
    "With --url, run the URL through the whole URL pipeline (scheme, CRLF, traversal,\n"
    "allowlist, blocklist, SSRF, DLP in every encoding, entropy, DNS + SSRF, length).\n"
    "With --text or --file, scan the text with the request-body DLP engine.\n"
    "With --response, scan content as if it came back to the agent: prompt injection in\n"
    "every pass (normalised, spaced, leetspeak, no spaces, vowels, base64/hex), and for an\n"
    "HTML document also its title, visible text and hidden text.\n"
    "Exit 0 when valid/allowed/clean, 1 when invalid/blocked/findings, 2 on a usage error.\n"
    "\n"
    "Flags:\n"
    "  -c, --config file   config file (default: the built-in defaults)\n"
    "  --url URL           scan one URL\n"
    "  --text TEXT         scan TEXT with text DLP\n"
    "  --file PATH         scan a file's contents (- for standard input)\n"
    "  --response PATH     scan a file (- for standard input) for prompt injection\n"
    "  --json              print the verdict as one JSON object\n"
    "  --no-dns            skip the DNS lookup and the SSRF check on resolved addresses\n"
    "  --resolver ip:port  DNS resolver for --url (repeatable; default: the config's dns:\n"
    "                      section, else /etc/resolv.conf)\n";

struct check_opts {
    const char *url, *text, *file, *batch, *response;
    bool json, no_dns;
    char *resolvers[8];
    size_t n_resolvers;
};

struct dns_wait {
    bool done;
    int err;
    struct pl_ip addrs[PL_DNS_MAX_ADDRS];
    size_t n;
};

static void
dns_done(int err, const struct pl_ip *addrs, size_t n, void *arg)
{
    struct dns_wait *d = arg;
    d->done = true;
    d->err = err;
    d->n = PL_MIN(n, (size_t)PL_DNS_MAX_ADDRS);
    if (addrs && d->n)
        memcpy(d->addrs, addrs, d->n * sizeof(*addrs));
}

/* Resolve host once, synchronously, with the configured (or given) resolvers. */
static int
resolve(const struct pl_config *cfg, const struct check_opts *o, const char *host,
        struct dns_wait *d)
{
    struct event_base *base = event_base_new();
    if (!base)
        return -ENOMEM;
    struct pl_dns_opts dopts = {
        .resolvers = o->n_resolvers ? (char **)o->resolvers : cfg->dns.resolvers.v,
        .n_resolvers = o->n_resolvers ? o->n_resolvers : cfg->dns.resolvers.n,
        .timeout_ms = cfg->dns.timeout_ms,
        .attempts = cfg->dns.attempts,
    };
    struct evdns_base *dns = NULL;
    char *err = NULL;
    int r = pl_dns_new(base, &dopts, &dns, &err);
    if (r < 0) {
        fprintf(stderr, "pipelock: check: %s\n", err ? err : "cannot create resolver");
        free(err);
        event_base_free(base);
        return r;
    }
    memset(d, 0, sizeof(*d));
    pl_dns_resolve(dns, host, dns_done, d);
    while (!d->done)
        event_base_loop(base, EVLOOP_ONCE);
    evdns_base_free(dns, 0);
    event_base_free(base);
    return 0;
}

/* The findings of a scan as a JSON array ("findings"), never the matched bytes. */
static void
json_findings(struct pl_json *j, const struct pl_dlp_db *db, const struct pl_dlp_result *res,
              bool offsets)
{
    pl_json_arr_begin(j, "findings");
    for (size_t i = 0; i < res->n; i++) {
        const struct pl_dlp_finding *f = &res->f[i];
        pl_json_obj_begin(j);
        pl_json_cstr(j, "pattern", pl_dlp_db_name(db, f->pattern));
        pl_json_cstr(j, "severity", pl_severity_name(pl_dlp_db_severity(db, f->pattern)));
        pl_json_cstr(j, "encoding", pl_dlp_view_name((enum pl_dlp_view)f->view));
        pl_json_bool(j, "core", pl_dlp_db_is_core(db, f->pattern));
        pl_json_bool(j, "warn", pl_dlp_db_is_warn(db, f->pattern));
        if (offsets && f->view == PL_VIEW_RAW) {
            pl_json_uint(j, "offset", f->off);
            pl_json_uint(j, "length", f->len);
        }
        pl_json_obj_end(j);
    }
    pl_json_arr_end(j);
}

/* One "Finding:" line per finding. */
static void
print_findings(const struct pl_dlp_db *db, const struct pl_dlp_result *res)
{
    for (size_t i = 0; i < res->n; i++) {
        const struct pl_dlp_finding *f = &res->f[i];
        printf("Finding: %s (%s) in %s view%s\n", pl_dlp_db_name(db, f->pattern),
               pl_severity_name(pl_dlp_db_severity(db, f->pattern)),
               pl_dlp_view_name((enum pl_dlp_view)f->view),
               pl_dlp_db_is_warn(db, f->pattern) ? " [warn]" : "");
    }
}

static void
print_verdict(const struct check_opts *o, const struct pl_policy *pol, const char *url,
              const struct pl_urlscan_verdict *v, bool dns_skipped)
{
    const struct pl_dlp_db *db = pol->dlp;
    char shown[600];
    if (v->dlp_blocked)
        pl_audit_redact_url(pl_str_c(url), shown, sizeof(shown));
    else
        snprintf(shown, sizeof(shown), "%s", url);
    if (o->json) {
        struct pl_json j;
        struct pl_buf buf;
        pl_buf_init(&buf, 1u << 20);
        pl_json_init(&j, &buf);
        pl_json_obj_begin(&j);
        pl_json_cstr(&j, "url", shown);
        pl_json_cstr(&j, "result", v->blocked ? "blocked" : "allowed");
        pl_json_bool(&j, "blocked", v->blocked);
        pl_json_cstr(&j, "scanner", v->scanner);
        pl_json_cstr(&j, "reason", v->reason);
        if (v->blocked)
            pl_json_cstr(&j, "hint", v->hint ? v->hint : "");
        pl_json_double(&j, "score", v->score, 2);
        pl_json_bool(&j, "dns_checked", !dns_skipped);
        json_findings(&j, db, &v->dlp, false);
        pl_json_obj_end(&j);
        printf("%s\n", buf.data ? buf.data : "{}");
        pl_buf_done(&buf);
        return;
    }
    printf("Scanning URL: %s\n", shown);
    printf("Result:  %s\n", v->blocked ? "BLOCKED" : "ALLOWED");
    printf("Scanner: %s\n", v->scanner);
    if (v->blocked) {
        printf("Reason:  %s\n", v->reason);
        printf("Hint:    %s\n", v->hint ? v->hint : "");
    }
    printf("Score:   %.2f\n", v->score);
    print_findings(db, &v->dlp);
    if (dns_skipped)
        puts("Note:    DNS lookup and resolved-address SSRF check skipped (--no-dns)");
}

static int
check_url(struct pl_policy *pol, const struct check_opts *o)
{
    struct pl_urlscan_verdict v;
    struct pl_dlp_scratch *s = pl_dlp_scratch_new();
    if (!s)
        return PL_EXIT_FAIL;
    /* C0 controls and DEL are stripped before parsing, as the reference's fetch does. */
    size_t ul = strlen(o->url);
    char *url = malloc(ul + 1);
    size_t n = 0;
    for (size_t i = 0; url && i < ul; i++)
        if ((unsigned char)o->url[i] >= 0x20 && o->url[i] != 0x7f)
            url[n++] = o->url[i];
    if (!url) {
        pl_dlp_scratch_free(s);
        return PL_EXIT_FAIL;
    }
    url[n] = '\0';
    struct pl_url pu;
    bool dns_skipped = o->no_dns;
    if (pl_url_parse(pl_str_from(url, n), &pu) < 0) {
        pl_urlscan_unparsable(pl_str_from(url, n), &v);
    } else {
        struct pl_urlscan_url u = {pl_str_from(url, n), pu.scheme, pu.host, pu.path, pu.query};
        pl_urlscan_run(&pol->us, s, &u, &v);
        if (!v.blocked && !v.host_is_ip && !o->no_dns) {
            struct dns_wait d;
            if (resolve(pol->cfg, o, v.host, &d) < 0 || d.err < 0 || d.n == 0) {
                pl_urlscan_block(&v, "ssrf", 403, 1.0, "DNS resolution failed for %.200s", v.host);
            } else {
                struct pl_verdict pv;
                pl_policy_check_resolved(pol, pl_str_c(v.host), d.addrs, d.n, &pv);
                if (pv.blocked)
                    pl_urlscan_block(&v, "ssrf", 403, 1.0, "%s", pv.reason);
            }
        }
        if (!v.blocked)
            pl_urlscan_length(&pol->us, pl_str_from(url, n), &v);
    }
    print_verdict(o, pol, url, &v, dns_skipped);
    free(url);
    pl_dlp_scratch_free(s);
    return v.blocked ? PL_EXIT_FAIL : PL_EXIT_OK;
}

static int
read_input(const struct check_opts *o, char **ret, size_t *ret_len)
{
    if (o->text) {
        *ret = strdup(o->text);
        *ret_len = strlen(o->text);
        return *ret ? 0 : -ENOMEM;
    }
    FILE *f = strcmp(o->file, "-") ? fopen(o->file, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "pipelock: check: %s: %s\n", o->file, strerror(errno));
        return -errno;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0)
            break;
        if (len == cap) {
            if (cap >= CHECK_MAX_TEXT) {
                fprintf(stderr, "pipelock: check: %s: larger than %u bytes\n", o->file,
                        CHECK_MAX_TEXT);
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (f != stdin)
        fclose(f);
    if (!buf)
        return -E2BIG;
    *ret = buf;
    *ret_len = len;
    return 0;
}

static int check_text_len(struct pl_policy *pol, const struct check_opts *o, const char *in,
                          size_t in_len);

static int
check_text(struct pl_policy *pol, const struct check_opts *o)
{
    return check_text_len(pol, o, NULL, 0);
}

static int
check_text_len(struct pl_policy *pol, const struct check_opts *o, const char *in, size_t in_len)
{
    char *text = NULL;
    size_t len = 0;
    if (in) {
        text = malloc(in_len + 1);
        if (!text)
            return PL_EXIT_FAIL;
        memcpy(text, in, in_len);
        len = in_len;
    } else if (read_input(o, &text, &len) < 0) {
        return PL_EXIT_USAGE;
    }
    struct pl_dlp_scratch *s = pl_dlp_scratch_new();
    struct pl_dlp_result res;
    memset(&res, 0, sizeof(res));
    int r = s ? pl_dlp_scan_text(pol->dlp, s, pl_str_from(text, len), &res) : -ENOMEM;
    const struct pl_dlp_db *db = pol->dlp;
    const struct pl_dlp_finding *blk = r < 0 ? NULL : pl_dlp_result_first_block(db, &res);
    bool blocked = r < 0 || blk;
    if (o->json) {
        struct pl_json j;
        struct pl_buf buf;
        pl_buf_init(&buf, 1u << 20);
        pl_json_init(&j, &buf);
        pl_json_obj_begin(&j);
        pl_json_bool(&j, "clean", !blocked && res.n == 0);
        pl_json_bool(&j, "blocked", blocked);
        if (r < 0)
            pl_json_cstr(&j, "error", "scan failed: input too complex (fail closed)");
        json_findings(&j, db, &res, true);
        pl_json_obj_end(&j);
        printf("%s\n", buf.data ? buf.data : "{}");
        pl_buf_done(&buf);
    } else {
        if (r < 0)
            puts("Result: BLOCKED (scan failed: input too complex; fail closed)");
        else
            printf("Result: %s\n", blocked ? "BLOCKED" : res.n ? "WARN" : "CLEAN");
        print_findings(db, &res);
    }
    explicit_bzero(text, len);
    free(text);
    pl_dlp_scratch_free(s);
    return blocked ? PL_EXIT_FAIL : PL_EXIT_OK;
}

/* Does the content look like an HTML document (after leading whitespace and a BOM)? */
static bool
looks_like_html(const char *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    static const char *const heads[] = {"<!doctype html", "<html", "<head", "<body", "<!--"};
    for (size_t k = 0; k < PL_ARRAY_SIZE(heads); k++) {
        size_t l = strlen(heads[k]);
        if (n - i >= l && !strncasecmp(p + i, heads[k], l))
            return true;
    }
    return false;
}

struct resp_part {
    const char *name;
    struct pl_str text;
};

/*
 * --response PATH: the response scanner over the content, and for HTML over its title,
 * visible and hidden text too. Prints every part's findings; exit 1 when any part has one.
 */
static int
check_response(struct pl_policy *pol, const struct check_opts *o)
{
    struct check_opts in = *o;
    in.file = o->response;
    char *text = NULL;
    size_t len = 0;
    if (read_input(&in, &text, &len) < 0)
        return PL_EXIT_USAGE;
    struct pl_html_text h = {0};
    struct resp_part parts[4] = {{"content", pl_str_from(text, len)}};
    size_t np = 1;
    int hr = 0;
    if (looks_like_html(text, len)) {
        hr = pl_html_to_text(pl_str_from(text, len), len + 1, &h);
        if (hr == 0) {
            parts[np++] = (struct resp_part){"title", pl_str_from(h.title, h.title_len)};
            parts[np++] = (struct resp_part){"visible", pl_str_from(h.visible, h.visible_len)};
            parts[np++] = (struct resp_part){"hidden", pl_str_from(h.hidden, h.hidden_len)};
        }
    }
    struct pl_inject_scratch *s = pl_inject_scratch_new();
    struct pl_json j;
    struct pl_buf buf;
    bool found = false, failed = !s;
    pl_buf_init(&buf, 1u << 20);
    pl_json_init(&j, &buf);
    pl_json_obj_begin(&j);
    pl_json_arr_begin(&j, "findings");
    for (size_t i = 0; i < np && s; i++) {
        struct pl_inject_result res;
        int r = pl_inject_scan(pol->inject, s, parts[i].text, &res);
        if (r < 0) {
            failed = true;
            if (!o->json)
                printf("  %-8s scan failed (%s): fail closed\n", parts[i].name, strerror(-r));
            continue;
        }
        for (size_t k = 0; k < res.n; k++) {
            const struct pl_inject_match *m = &res.m[k];
            const char *name = pl_inject_name(pol->inject, m->pattern);
            found = true;
            pl_json_obj_begin(&j);
            pl_json_cstr(&j, "part", parts[i].name);
            pl_json_cstr(&j, "pattern", name);
            pl_json_bool(&j, "core", res.core);
            pl_json_cstr(&j, "pass", pl_inject_pass_name(res.pass));
            if (m->depth)
                pl_json_uint(&j, "depth", m->depth);
            pl_json_uint(&j, "offset", m->start);
            pl_json_obj_end(&j);
            if (!o->json)
                printf("  %-8s %s (%s pass%s, offset %zu)\n", parts[i].name, name,
                       pl_inject_pass_name(res.pass), res.core ? ", core" : "", m->start);
        }
    }
    pl_json_arr_end(&j);
    pl_json_bool(&j, "clean", !found && !failed);
    pl_json_bool(&j, "html", np > 1);
    if (hr == -E2BIG)
        pl_json_cstr(&j, "note", "HTML too complex to parse: scanned as text");
    if (failed)
        pl_json_cstr(&j, "error", "scan failed (fail closed)");
    pl_json_obj_end(&j);
    if (o->json)
        printf("%s\n", buf.data ? buf.data : "{}");
    else
        printf("Result: %s\n", failed  ? "BLOCKED (scan failed; fail closed)"
                               : found ? "INJECTION"
                                       : "CLEAN");
    pl_buf_done(&buf);
    pl_inject_scratch_free(s);
    pl_html_text_free(&h);
    free(text);
    return found || failed ? PL_EXIT_FAIL : PL_EXIT_OK;
}

/*
 * --batch FILE: one input per line, "url <hex>" or "text <hex>" (hex so any byte can be
 * given); one JSON verdict per line on stdout, in order, with the same JSON as --json. Runs
 * without DNS. For test suites and tools that scan many inputs with one compiled policy.
 */
static int
check_batch(struct pl_policy *pol, struct check_opts *o)
{
    FILE *f = strcmp(o->batch, "-") ? fopen(o->batch, "r") : stdin;
    if (!f) {
        fprintf(stderr, "pipelock: check: %s: %s\n", o->batch, strerror(errno));
        return PL_EXIT_USAGE;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = PL_EXIT_OK;
    o->json = true;
    o->no_dns = true;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *sp = strchr(line, ' ');
        size_t hl = sp ? strlen(sp + 1) : 0;
        char *dec = malloc(hl / 2 + 1);
        if (!sp || !dec || hl % 2) {
            free(dec);
            printf("{\"error\":\"bad batch line\"}\n");
            continue;
        }
        for (size_t i = 0; i < hl / 2; i++)
            dec[i] = (char)(pl_hex_value(sp[1 + 2 * i]) << 4 | pl_hex_value(sp[2 + 2 * i]));
        dec[hl / 2] = '\0';
        *sp = '\0';
        struct check_opts one = *o;
        one.url = one.text = one.file = NULL;
        int r;
        if (!strcmp(line, "url")) {
            one.url = dec;
            r = check_url(pol, &one);
        } else {
            one.text = dec;
            r = check_text_len(pol, &one, dec, hl / 2);
        }
        if (r != PL_EXIT_OK)
            rc = PL_EXIT_FAIL;
        fflush(stdout);
        free(dec);
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

int
pl_cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"url", required_argument, NULL, 'u'},
        {"resolver", required_argument, NULL, 'r'},
        {"text", required_argument, NULL, 't'},
        {"file", required_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"no-dns", no_argument, NULL, 'n'},
        {"batch", required_argument, NULL, 'b'},
        {"response", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    struct check_opts o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'u':
            o.url = optarg;
            break;
        case 't':
            o.text = optarg;
            break;
        case 'f':
            o.file = optarg;
            break;
        case 'j':
            o.json = true;
            break;
        case 'n':
            o.no_dns = true;
            break;
        case 'b':
            o.batch = optarg;
            break;
        case 'R':
            o.response = optarg;
            break;
        case 'r': {
            /* Used by --url (next milestone); validated now so scripts can pass it already. */
            struct sockaddr_storage ss;
            socklen_t sl;
            char buf[300];
            bool has_port =
                strchr(optarg, ']') ? strstr(optarg, "]:") != NULL : strchr(optarg, ':') != NULL;
            snprintf(buf, sizeof(buf), has_port ? "%s" : "%s:53", optarg);
            if (pl_sock_parse_addr(buf, &ss, &sl) < 0) {
                fprintf(stderr, "pipelock: check: invalid --resolver \"%s\" (ip or ip:port)\n",
                        optarg);
                return PL_EXIT_USAGE;
            }
            if (o.n_resolvers < PL_ARRAY_SIZE(o.resolvers))
                o.resolvers[o.n_resolvers++] = optarg;
            break;
        }
        case 'h':
            fputs(check_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(check_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock: check: unexpected argument \"%s\"\n", argv[optind]);
        return PL_EXIT_USAGE;
    }
    if ((o.url != NULL) + (o.text != NULL) + (o.file != NULL) + (o.response != NULL) > 1) {
        fputs("pipelock: check: --url, --text, --file and --response are mutually exclusive\n",
              stderr);
        return PL_EXIT_USAGE;
    }
    bool scan = o.url || o.text || o.file || o.batch || o.response;
    struct pl_config *cfg = NULL;
    char *err = NULL;
    if (!path) {
        if (!scan)
            puts("Using default config (no --config specified)");
        cfg = pl_config_defaults();
    } else if (pl_config_load_file(path, &cfg, &err) < 0) {
        fprintf(stderr, "Config validation FAILED: %s\n", err ? err : "cannot load");
        free(err);
        return PL_EXIT_FAIL;
    }
    if (!cfg)
        return PL_EXIT_FAIL;
    for (size_t i = 0; i < cfg->warnings.n; i++)
        fprintf(stderr, "WARNING: %s\n", cfg->warnings.v[i]);
    if (scan) {
        struct pl_policy *pol;
        if (pl_policy_new(cfg, &pol, &err) < 0) {
            fprintf(stderr, "Config validation FAILED: %s\n", err ? err : "cannot compile");
            free(err);
            return PL_EXIT_FAIL;
        }
        int rc = o.batch      ? check_batch(pol, &o)
                 : o.url      ? check_url(pol, &o)
                 : o.response ? check_response(pol, &o)
                              : check_text(pol, &o);
        pl_policy_unref(pol);
        return rc;
    }
    /* Compiling is part of validating: a pattern no engine accepts is a config error. */
    struct pl_policy *pol;
    if (pl_policy_new(cfg, &pol, &err) < 0) {
        fprintf(stderr, "Config validation FAILED: %s\n", err ? err : "cannot compile");
        free(err);
        return PL_EXIT_FAIL;
    }
    cfg = pol->cfg;
    puts("Config validation: OK");
    printf("  Mode:           %s\n", pl_mode_name(cfg->mode));
    printf("  Listen:         %s\n", cfg->fetch_proxy.listen);
    printf("  API allowlist:  %zu domains\n", cfg->api_allowlist.n);
    printf("  Blocklist:      %zu patterns\n", cfg->fetch_proxy.monitoring.blocklist.n);
    printf("  DLP patterns:   %zu rules\n", cfg->dlp.n_patterns);
    printf("  Entropy thresh: %.1f bits\n", cfg->fetch_proxy.monitoring.entropy_threshold);
    printf("  Max URL length: %d chars\n", cfg->fetch_proxy.monitoring.max_url_length);
    printf("  Forward proxy:  %s\n", cfg->forward_proxy.enabled ? "enabled" : "disabled");
    printf("  DLP database:   %zu patterns, %zu KiB, compiled in %.1f ms\n",
           pl_dlp_db_count(pol->dlp), pl_dlp_db_bytes(pol->dlp) / 1024,
           (double)pol->dlp_compile_ns / 1e6);
    pl_policy_unref(pol);
    return PL_EXIT_OK;
}
