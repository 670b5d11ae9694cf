/*
 * Unit tests of scan/basedomain against the public-suffix list built into the installed
 * libpsl (Debian's publicsuffix data). Expectations about private-section entries
 * (github.io, s3.amazonaws.com) were checked against that list when written.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "scan/basedomain.h"

struct bd_case {
    const char *host;
    const char *want;
};

static const struct bd_case bd_cases[] = {
    {"www.example.com", "example.com"},
    {"example.com", "example.com"},
    {"a.b.c.example.com", "example.com"},
    {"a.b.example.co.uk", "example.co.uk"},
    {"example.co.uk", "example.co.uk"},
    {"foo.github.io", "foo.github.io"}, /* github.io is a private-section suffix */
    {"x.foo.github.io", "foo.github.io"},
    {"x.y.s3.amazonaws.com", "y.s3.amazonaws.com"}, /* s3.amazonaws.com is listed */
    {"y.s3.amazonaws.com", "y.s3.amazonaws.com"},
    {"www.ck", "www.ck"}, /* "!www.ck" exception to "*.ck" */
    {"a.b.ck", "a.b.ck"}, /* "*.ck": b.ck is a suffix */
    /* unknown TLD: default "*" rule */
    {"foo.bar.unknowntld", "bar.unknowntld"},
    {"bar.unknowntld", "bar.unknowntld"},
    /* returned as-is */
    {"localhost", "localhost"},
    {"intranet", "intranet"},
    {"co.uk", "co.uk"},
    {"com", "com"},
    {"github.io", "github.io"},
    {"s3.amazonaws.com", "s3.amazonaws.com"},
    {"127.0.0.1", "127.0.0.1"},
    {"10.1.2.3", "10.1.2.3"},
    {"127.1", "127.1"},
    {"0x7f000001", "0x7f000001"},
    {"256.1.1.1", "256.1.1.1"}, /* numeric but invalid: never a name */
    {"example.1", "example.1"},
    {"::1", "::1"},
    {"[::1]", "[::1]"},
    {"[2001:db8::1]", "[2001:db8::1]"},
    {"", ""},
    {".example.com", ".example.com"},
    /* trailing dot and case */
    {"www.example.com.", "example.com"},
    {"EXAMPLE.COM.", "EXAMPLE.COM"},
    {"WWW.Example.Co.UK", "Example.Co.UK"},
    {"Foo.GitHub.IO", "Foo.GitHub.IO"},
    {"CO.UK", "CO.UK"},
    {"127.0.0.1.", "127.0.0.1"},
    {"localhost.", "localhost"},
    {"com.", "com"},
    {".", ""},
};

Test(basedomain, table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(bd_cases); i++) {
        struct pl_str h = pl_str_c(bd_cases[i].host);
        struct pl_str got = pl_base_domain(h);
        cr_expect(pl_str_eq(got, pl_str_c(bd_cases[i].want)),
                  "\"%s\" -> \"" PL_STR_FMT "\", want \"%s\"", bd_cases[i].host, PL_STR_ARG(got),
                  bd_cases[i].want);
        /* Always a slice of the host, ending where the host (minus one dot) ends. */
        cr_expect(got.p >= h.p && got.p + got.len <= h.p + h.len, "\"%s\": not a slice",
                  bd_cases[i].host);
    }
}

Test(basedomain, null_and_not_terminated)
{
    struct pl_str got = pl_base_domain(PL_STR_NULL);
    cr_expect(got.p == NULL && got.len == 0);
    /* Slices need no NUL: "www.example.comXYZ" cut to 15 bytes. */
    const char *s = "www.example.comXYZ";
    got = pl_base_domain(pl_str_from(s, 15));
    cr_expect(got.p == s + 4 && got.len == 11);
}

Test(basedomain, embedded_nul)
{
    const char s[] = "evil.com\0.example.com";
    struct pl_str h = pl_str_from(s, sizeof(s) - 1);
    struct pl_str got = pl_base_domain(h);
    /* Not a hostname; returned whole rather than cut at the NUL. */
    cr_expect(got.p == h.p && got.len == h.len);
}

Test(basedomain, over_long_host_keeps_its_base_domain)
{
    char host[600];
    size_t n = 0;
    while (n < 500) {
        memcpy(host + n, "abcdefghi.", 10);
        n += 10;
    }
    memcpy(host + n, "example.co.uk", 13);
    n += 13;
    struct pl_str got = pl_base_domain(pl_str_from(host, n));
    cr_expect(pl_str_eq(got, PL_STR("example.co.uk")), "got \"" PL_STR_FMT "\"", PL_STR_ARG(got));

    /* One enormous label before the suffix: nothing fits, returned whole. */
    memset(host, 'a', 300);
    memcpy(host + 300, ".com", 4);
    got = pl_base_domain(pl_str_from(host, 304));
    cr_expect(got.p == host && got.len == 304);
    cr_expect_not(pl_is_public_suffix(pl_str_from(host, 304)));
}

Test(basedomain, subdomain_rotation_shares_one_key)
{
    static const char *const hosts[] = {"a1.attacker.example", "b2.attacker.example",
                                        "x.y.z.attacker.example", "ATTACKER.example."};
    for (size_t i = 0; i < PL_ARRAY_SIZE(hosts); i++) {
        struct pl_str got = pl_base_domain(pl_str_c(hosts[i]));
        cr_expect(pl_str_eq_ci(got, PL_STR("attacker.example")), "\"%s\" -> \"" PL_STR_FMT "\"",
                  hosts[i], PL_STR_ARG(got));
    }
}

struct ps_case {
    const char *host;
    bool want;
};

static const struct ps_case ps_cases[] = {
    {"com", true},         {"co.uk", true},        {"CO.UK.", true},
    {"uk", true},          {"github.io", true},    {"s3.amazonaws.com", true},
    {"b.ck", true}, /* wildcard "*.ck" */
    {"www.ck", false},     {"example.com", false}, {"foo.github.io", false},
    {"localhost", false}, /* only the implicit "*" rule */
    {"unknowntld", false}, {"127.0.0.1", false},   {"::1", false},
    {"", false},           {".", false},
};

Test(basedomain, is_public_suffix)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(ps_cases); i++)
        cr_expect(pl_is_public_suffix(pl_str_c(ps_cases[i].host)) == ps_cases[i].want,
                  "pl_is_public_suffix(\"%s\") != %d", ps_cases[i].host, ps_cases[i].want);
    cr_expect_not(pl_is_public_suffix(PL_STR_NULL));
}
