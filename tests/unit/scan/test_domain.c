/* Unit tests of scan/domain: the reference's MatchDomain. */
#include <criterion/criterion.h>

#include "scan/domain.h"

struct match_case {
    const char *host;
    const char *pattern;
    bool want;
};

static const struct match_case cases[] = {
    /* exact, case-insensitive, one trailing dot */
    {"example.com", "example.com", true},
    {"EXAMPLE.com", "example.COM", true},
    {"example.com.", "example.com", true},
    {"example.com", "example.com.", true},
    {"example.com.", "EXAMPLE.COM.", true},
    {"example.com..", "example.com", false},
    {"example.com", "example.org", false},
    {"www.example.com", "example.com", false},
    {"example.com", "www.example.com", false},
    {"example.co", "example.com", false},
    {"example.comm", "example.com", false},
    /* wildcard: apex and any depth */
    {"example.com", "*.example.com", true},
    {"a.example.com", "*.example.com", true},
    {"a.b.c.example.com", "*.example.com", true},
    {"A.Example.COM.", "*.EXAMPLE.com", true},
    {"pastebin.com.", "*.pastebin.com.", true},
    {"sub.pastebin.com", "*.pastebin.com", true},
    {"badexample.com", "*.example.com", false},
    {"xexample.com", "*.example.com", false},
    {"example.com.evil", "*.example.com", false},
    {"example.com.evil.net", "*.example.com", false},
    {"com", "*.example.com", false},
    {"example.co", "*.example.com", false},
    {"ample.com", "*.example.com", false},
    /* as the reference's HasSuffix: a leading-dot host still matches (fails closed on a
     * blocklist; the URL parser rejects such hosts before an allowlist sees them) */
    {".example.com", "*.example.com", true},
    /* only "*." introduces a wildcard */
    {"aexample.com", "*example.com", false},
    {"a.example.com", "a.*.com", false},
    {"example.com", "*", false},
    {"x.com", "*.", false},
    {"x.example.com", ".example.com", false},
    {"*.example.com", "*.example.com", true},
    /* non-ASCII bytes compare exactly */
    {"EXAMPL\xc3\x89.com", "exampl\xc3\xa9.com", false},
    {"exampl\xc3\xa9.com", "exampl\xc3\xa9.com", true},
    /* IP hosts: identical address only, never a wildcard */
    {"127.0.0.1", "127.0.0.1", true},
    {"127.0.0.1.", "127.0.0.1", true},
    {"127.0.0.1", "127.0.0.2", false},
    {"127.0.0.1", "*.0.0.1", false},
    {"10.0.0.1", "*.0.1", false},
    {"2130706433", "127.0.0.1", true},
    {"127.0.0.1", "0x7f.1", true},
    {"::1", "::1", true},
    {"[::1]", "::1", true},
    {"::1", "0:0:0:0:0:0:0:1", true},
    {"::ffff:127.0.0.1", "127.0.0.1", true},
    {"127.0.0.1", "::ffff:127.0.0.1", true},
    {"127.0.0.1", "[::ffff:7f00:1]", true},
    {"::127.0.0.1", "127.0.0.1", false},
    {"fe80::1%eth0", "fe80::1", true},
    {"::1", "::2", false},
    {"127.0.0.1", "example.com", false},
    {"1.2.3.4", "*.3.4", false},
    /* numeric-looking invalid hosts: only an identical string */
    {"1.2.3.4.5", "1.2.3.4.5", true},
    {"1.2.3.4.5", "*.3.4.5", false},
    {"1.2.3.4.5", "*.2.3.4.5", false},
    {"256.0.0.1", "256.0.0.1", true},
    /* a name never matches an IP pattern by accident */
    {"localhost", "127.0.0.1", false},
    /* empty */
    {"", "", false},
    {"example.com", "", false},
    {"", "example.com", false},
    {".", ".", false},
    {"", "*.example.com", false},
};

Test(domain, match_table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        const struct match_case *c = &cases[i];
        bool got = pl_domain_match(pl_str_c(c->host), pl_str_c(c->pattern));
        cr_expect_eq(got, c->want, "match(\"%s\", \"%s\") = %d", c->host, c->pattern, got);
    }
}

Test(domain, match_any)
{
    char a[] = "*.pastebin.com", b[] = "example.org", c[] = "127.0.0.1";
    char *const list[] = {a, NULL, b, c};
    cr_expect(pl_domain_match_any(PL_STR("x.PASTEBIN.com"), list, 4));
    cr_expect(pl_domain_match_any(PL_STR("example.org."), list, 4));
    cr_expect(pl_domain_match_any(PL_STR("0x7f000001"), list, 4));
    cr_expect_not(pl_domain_match_any(PL_STR("example.com"), list, 4));
    /* n bounds the list. */
    cr_expect_not(pl_domain_match_any(PL_STR("example.org"), list, 2));
    cr_expect_not(pl_domain_match_any(PL_STR("example.org"), NULL, 0));
    cr_expect_not(pl_domain_match_any(PL_STR("example.org"), list, 0));
}

Test(domain, borrows_without_nul)
{
    /* Slices need not be NUL-terminated: a longer buffer must not change the answer. */
    const char host[] = "a.example.comXYZ";
    const char pat[] = "*.example.com.uk";
    cr_expect(pl_domain_match(pl_str_from(host, 13), pl_str_from(pat, 13)));
    cr_expect_not(pl_domain_match(pl_str_from(host, 14), pl_str_from(pat, 13)));
    cr_expect_not(pl_domain_match(pl_str_from(host, 13), pl_str_from(pat, 16)));
}
