/* URL pipeline: every stage, and the order (a URL failing two checks reports the first). */
#include <criterion/criterion.h>
#include <string.h>

#include "scan/urlscan.h"

static struct pl_dlp_db *db;
static struct pl_dlp_scratch *sc;
static struct pl_cidr_list core, ssrf, ipallow;
static char *blocklist[] = {"*.pastebin.com", "*.transfer.sh"};
static char *allowlist[] = {"api.example.com"};
static char *excl[] = {"*.cdn.test"};
static struct pl_urlscan_cfg cfg;

static void
setup(void)
{
    char *err = NULL;
    cr_assert_eq(pl_dlp_compile_builtin(&db, &err), 0);
    sc = pl_dlp_scratch_new();
    for (size_t i = 0; i < pl_ip_core_internal_count; i++) {
        struct pl_cidr c;
        cr_assert_eq(pl_cidr_parse(pl_str_c(pl_ip_core_internal[i]), false, &c), 0);
        pl_cidr_list_add(&core, &c);
        pl_cidr_list_add(&ssrf, &c);
    }
    cfg = (struct pl_urlscan_cfg){
        .blocklist = blocklist,
        .n_blocklist = 2,
        .allowlist = allowlist,
        .n_allowlist = 1,
        .core = &core,
        .ssrf_set = &ssrf,
        .ip_allowlist = &ipallow,
        .dlp = db,
        .entropy_threshold = 4.5,
        .subdomain_entropy_threshold = 4.0,
        .entropy_exclusions = excl,
        .n_entropy_exclusions = 1,
        .max_url_length = 2048,
        .seed_phrase = true,
        .seed_min_words = 12,
        .seed_verify_checksum = true,
    };
}

static void
teardown(void)
{
    pl_dlp_db_free(db);
    pl_dlp_scratch_free(sc);
    pl_cidr_list_done(&core);
    pl_cidr_list_done(&ssrf);
}

TestSuite(urlscan, .init = setup, .fini = teardown);

/* Minimal splitter for well-formed test URLs: scheme://host[:port]/path?query */
static const char *
run(const char *url, struct pl_urlscan_verdict *v)
{
    struct pl_urlscan_url u = {.raw = pl_str_c(url)};
    const char *p = strstr(url, "://");
    cr_assert_not_null(p);
    u.scheme = pl_str_from(url, (size_t)(p - url));
    const char *h = p + 3, *he = h;
    if (*h == '[') {
        he = strchr(h, ']');
        u.host = pl_str_from(h + 1, (size_t)(he - h - 1));
        he++;
    } else {
        while (*he && *he != '/' && *he != '?' && *he != ':')
            he++;
        u.host = pl_str_from(h, (size_t)(he - h));
    }
    const char *ps = strchr(he, '/');
    const char *q = strchr(he, '?');
    if (ps && (!q || ps < q))
        u.path = pl_str_from(ps, (size_t)((q ? q : url + strlen(url)) - ps));
    if (q)
        u.query = pl_str_c(q + 1);
    cr_assert_eq(pl_urlscan_run(&cfg, sc, &u, v), 0);
    if (!v->blocked)
        pl_urlscan_length(&cfg, u.raw, v);
    return v->scanner;
}

static const struct {
    const char *url, *scanner;
} cases[] = {
    {"https://registry.npmjs.org/express/-/express-4.18.2.tgz", "all"},
    {"ftp://example.com/", "scheme"},
    {"https://example.com/a%0d%0aSet-Cookie:x", "crlf_injection"},
    {"https://example.com/a/%2e%2e/etc/passwd", "path_traversal"},
    {"https://example.com/a/..;/admin", "path_traversal"},
    {"https://example.com/search?q=../x", "all"}, /* queries are not paths */
    {"https://pastebin.com/raw/x", "blocklist"},
    {"https://www.PASTEBIN.com./raw/x", "blocklist"},
    {"https://example.com/?k=AKIAIOSFODNN7EXAMPLE", "core_dlp"},
    {"https://example.com/?k=sk-ant-api03-abcdefghij", "dlp"},
    {"https://sk-ant-api03.abcdefghijk.attacker.test/", "dlp"},          /* split over labels */
    {"https://example.com/?a=sk-ant-&junk=1&b=api03-abcdefghij", "dlp"}, /* subsequence */
    {"https://example.com/x/dGhpcyBpcyBhIHRlc3Qgb2YgaGlnaCBlbnRyb3B5IGJhc2U2NCBkYXRh"
     "IHdpdGggbWFueSBkaXN0aW5jdCBzeW1ib2xzIQ",
     "entropy"},
    {"https://a8kq2mz9xv4bn7wp3jr6ty5.attacker.com/", "subdomain_entropy"},
    {"https://a8kq2mz9xv4bn7wp3jr6ty5.cdn.test/", "all"}, /* excluded */
    {"http://127.0.0.1/", "ssrf"},
    {"http://0x7f.0.0.1/", "ssrf"},
    {"http://[::ffff:169.254.169.254]/", "ssrf"},
    /* order: two failing checks report the earlier one */
    {"ftp://pastebin.com/", "scheme"},
    {"https://pastebin.com/?k=AKIAIOSFODNN7EXAMPLE", "blocklist"},
    {"https://example.com/%2e%2e/?k=AKIAIOSFODNN7EXAMPLE", "path_traversal"},
    {"http://127.0.0.1/?k=AKIAIOSFODNN7EXAMPLE", "core_dlp"}, /* DLP precedes SSRF */
};

Test(urlscan, stages_and_order)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        struct pl_urlscan_verdict v;
        cr_expect_str_eq(run(cases[i].url, &v), cases[i].scanner, "%s: %s", cases[i].url, v.reason);
    }
}

Test(urlscan, length_boundary_and_dlp_first)
{
    char url[4200];
    strcpy(url, "https://example.com/");
    size_t n = strlen(url);
    while (n < 2048)
        url[n++] = 'a';
    url[n] = '\0';
    struct pl_urlscan_verdict v;
    cr_assert_str_eq(run(url, &v), "all");
    strcat(url, "a");
    cr_assert_str_eq(run(url, &v), "length");
    strcat(url, "?k=AKIAIOSFODNN7EXAMPLE");
    cr_assert_str_eq(run(url, &v), "core_dlp");
}

Test(urlscan, strict_allowlist_and_core_floor)
{
    cfg.strict = true;
    struct pl_urlscan_verdict v;
    cr_assert_str_eq(run("https://other.example.org/", &v), "allowlist");
    cr_assert_str_eq(run("https://api.example.com/v1", &v), "all");
    cfg.strict = false;
    cfg.internal_empty = true;
    cr_assert_str_eq(run("http://10.0.0.1/", &v), "core_ssrf");
    cr_assert_str_eq(run("http://224.0.0.1/", &v), "all"); /* multicast is not in the floor */
    cfg.internal_empty = false;
}

Test(urlscan, unparsable)
{
    struct pl_urlscan_verdict v;
    pl_urlscan_unparsable(PL_STR("javascript:alert(1)"), &v);
    cr_assert_str_eq(v.scanner, "scheme");
    pl_urlscan_unparsable(PL_STR("http://exa mple.com/"), &v);
    cr_assert_str_eq(v.scanner, "parser");
}

Test(urlscan, dlp_block_marks_redaction_and_never_carries_the_secret)
{
    struct pl_urlscan_verdict v;
    run("https://example.com/?k=AKIAIOSFODNN7EXAMPLE", &v);
    cr_assert(v.dlp_blocked);
    cr_assert_null(strstr(v.reason, "AKIA"));
}

Test(urlscan, seed_phrases_in_query_and_path)
{
    struct pl_urlscan_verdict v;
    const char *urls[] = {
        "https://example.com/?m=abandon+abandon+abandon+abandon+abandon+abandon+abandon+abandon+"
        "abandon+abandon+abandon+about",
        "https://example.com/?m=abandon%20abandon%20abandon%20abandon%20abandon%20abandon%20"
        "abandon%20abandon%20abandon%20abandon%20abandon%20about",
        "https://example.com/abandon/abandon/abandon/abandon/abandon/abandon/abandon/abandon/"
        "abandon/abandon/abandon/about",
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(urls); i++) {
        cr_expect_str_eq(run(urls[i], &v), "dlp", "%s", urls[i]);
        cr_expect(strstr(v.reason, "BIP-39") != NULL, "%s", v.reason);
    }
    /* 11 words, or a failing checksum: allowed */
    cr_assert_str_eq(run("https://example.com/?m=abandon+abandon+abandon+abandon+abandon+"
                         "abandon+abandon+abandon+abandon+abandon+about",
                         &v),
                     "all");
}
