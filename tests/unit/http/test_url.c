/*
 * URL / authority parsing: schemes, IPv4/IPv6 (zone ids), ports, userinfo, escapes,
 * authority-form, Host agreement and host normalisation.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "http/url.h"

static bool
eq(struct pl_str a, const char *b)
{
    return pl_str_eq(a, pl_str_c(b));
}

struct url_ok {
    const char *in;
    const char *scheme;
    enum pl_url_scheme id;
    const char *host;
    bool v6;
    uint16_t port;
    bool has_port;
    const char *path;
    const char *query; /* NULL: no query */
    const char *pq;
    const char *userinfo; /* NULL: none */
};

static const struct url_ok url_ok[] = {
    {"http://example.com", "http", PL_URL_SCHEME_HTTP, "example.com", false, 80, false, "", NULL,
     "/", NULL},
    {"http://example.com/", "http", PL_URL_SCHEME_HTTP, "example.com", false, 80, false, "/", NULL,
     "/", NULL},
    {"HTTP://Example.COM/a/b?c=d&e", "HTTP", PL_URL_SCHEME_HTTP, "Example.COM", false, 80, false,
     "/a/b", "c=d&e", "/a/b?c=d&e", NULL},
    {"https://example.com:8443/x", "https", PL_URL_SCHEME_HTTPS, "example.com", false, 8443, true,
     "/x", NULL, "/x", NULL},
    {"https://example.com/", "https", PL_URL_SCHEME_HTTPS, "example.com", false, 443, false, "/",
     NULL, "/", NULL},
    {"ws://h/", "ws", PL_URL_SCHEME_WS, "h", false, 80, false, "/", NULL, "/", NULL},
    {"wss://h/", "wss", PL_URL_SCHEME_WSS, "h", false, 443, false, "/", NULL, "/", NULL},
    {"ftp://h/f", "ftp", PL_URL_SCHEME_OTHER, "h", false, 0, false, "/f", NULL, "/f", NULL},
    {"git+ssh://h:22/r", "git+ssh", PL_URL_SCHEME_OTHER, "h", false, 22, true, "/r", NULL, "/r",
     NULL},
    {"http://127.0.0.1:8080/", "http", PL_URL_SCHEME_HTTP, "127.0.0.1", false, 8080, true, "/",
     NULL, "/", NULL},
    {"http://[::1]/", "http", PL_URL_SCHEME_HTTP, "::1", true, 80, false, "/", NULL, "/", NULL},
    {"http://[::1]:8080/", "http", PL_URL_SCHEME_HTTP, "::1", true, 8080, true, "/", NULL, "/",
     NULL},
    {"http://[2001:db8::a:b]", "http", PL_URL_SCHEME_HTTP, "2001:db8::a:b", true, 80, false, "",
     NULL, "/", NULL},
    {"http://[::ffff:10.0.0.1]/", "http", PL_URL_SCHEME_HTTP, "::ffff:10.0.0.1", true, 80, false,
     "/", NULL, "/", NULL},
    {"http://[fe80::1%25eth0]:81/", "http", PL_URL_SCHEME_HTTP, "fe80::1%25eth0", true, 81, true,
     "/", NULL, "/", NULL},
    {"http://h:0/", "http", PL_URL_SCHEME_HTTP, "h", false, 0, true, "/", NULL, "/", NULL},
    {"http://h:65535/", "http", PL_URL_SCHEME_HTTP, "h", false, 65535, true, "/", NULL, "/", NULL},
    {"http://h:00080/", "http", PL_URL_SCHEME_HTTP, "h", false, 80, true, "/", NULL, "/", NULL},
    {"http://user:pw@h/", "http", PL_URL_SCHEME_HTTP, "h", false, 80, false, "/", NULL, "/",
     "user:pw"},
    {"http://@h/", "http", PL_URL_SCHEME_HTTP, "h", false, 80, false, "/", NULL, "/", ""},
    {"http://u%40x@h/", "http", PL_URL_SCHEME_HTTP, "h", false, 80, false, "/", NULL, "/", "u%40x"},
    {"http://h/%41%7e?%2F=%2f", "http", PL_URL_SCHEME_HTTP, "h", false, 80, false, "/%41%7e",
     "%2F=%2f", "/%41%7e?%2F=%2f", NULL},
    {"http://h/p?", "http", PL_URL_SCHEME_HTTP, "h", false, 80, false, "/p", "", "/p?", NULL},
    {"http://h/p?q#frag", "http", PL_URL_SCHEME_HTTP, "h", false, 80, false, "/p", "q", "/p?q",
     NULL},
    {"http://h/a:b@c!$&'()*+,;=-._~?x=/?:@", "http", PL_URL_SCHEME_HTTP, "h", false, 80, false,
     "/a:b@c!$&'()*+,;=-._~", "x=/?:@", "/a:b@c!$&'()*+,;=-._~?x=/?:@", NULL},
    {"http://h/?a[]=1&b[x]=2", "http", PL_URL_SCHEME_HTTP, "h", false, 80, false, "/",
     "a[]=1&b[x]=2", "/?a[]=1&b[x]=2", NULL},
    {"http://sub-domain.ex_ample.com./", "http", PL_URL_SCHEME_HTTP, "sub-domain.ex_ample.com.",
     false, 80, false, "/", NULL, "/", NULL},
};

Test(url, parses_valid)
{
    for (size_t i = 0; i < sizeof(url_ok) / sizeof(url_ok[0]); i++) {
        const struct url_ok *c = &url_ok[i];
        struct pl_url u;
        memset(&u, 0xa5, sizeof(u));
        cr_assert_eq(pl_url_parse(pl_str_c(c->in), &u), 0, "%s", c->in);
        cr_assert(eq(u.scheme, c->scheme), "%s: scheme", c->in);
        cr_assert_eq(u.scheme_id, c->id, "%s: scheme id", c->in);
        cr_assert(eq(u.host, c->host), "%s: host '%.*s'", c->in, (int)u.host.len, u.host.p);
        cr_assert_eq(u.host_is_ipv6, c->v6, "%s: v6", c->in);
        cr_assert_eq(u.port, c->port, "%s: port %u", c->in, u.port);
        cr_assert_eq(u.has_port, c->has_port, "%s: has_port", c->in);
        cr_assert(eq(u.path, c->path), "%s: path", c->in);
        cr_assert_eq(u.has_query, c->query != NULL, "%s: has_query", c->in);
        if (c->query)
            cr_assert(eq(u.query, c->query), "%s: query", c->in);
        cr_assert(eq(u.path_and_query, c->pq), "%s: path_and_query '%.*s'", c->in,
                  (int)u.path_and_query.len, u.path_and_query.p);
        cr_assert_eq(u.has_userinfo, c->userinfo != NULL, "%s: has_userinfo", c->in);
        if (c->userinfo)
            cr_assert(eq(u.userinfo, c->userinfo), "%s: userinfo", c->in);
    }
}

Test(url, slices)
{
    struct pl_url u;
    static const char in[] = "http://u@Host.example:81/p?q#f";
    cr_assert_eq(pl_url_parse(pl_str_c(in), &u), 0);
    cr_assert(eq(u.authority, "u@Host.example:81"));
    cr_assert(eq(u.fragment, "f"));
    cr_assert_eq(u.authority.p, in + 7);
    cr_assert_eq(u.path.p, in + 24);
}

static const char *const url_bad[] = {
    "",
    "example.com",
    "/path",
    "1http://h/",
    "+http://h/",
    "http:/h/",
    "http:h/",
    "http//h/",
    "://h/",
    "http://",
    "http:///p",
    "http://:80/",
    "http://h:/",
    "http://h:65536/",
    "http://h:99999/",
    "http://h:123456/",
    "http://h:000080/",
    "http://h:-1/",
    "http://h:8a/",
    "http://h: 80/",
    "http://h:80:81/",
    "http://[::1/",
    "http://[::1]x/",
    "http://[::1]:/",
    "http://[]/",
    "http://[::g]/",
    "http://[1.2.3.4]/",
    "http://[v1.fe]/",
    "http://[fe80::1%eth0]/",
    "http://[fe80::1%25]/",
    "http://[fe80::1%25e%th]/",
    "http://::1/",
    "http://a@b@c/",
    "http://u ser@h/",
    "http://h ost/",
    "http://h\tost/",
    "http://h\\@evil/",
    "http://evil\\.com/",
    "http://h/\x01",
    "http://h/a b",
    "http://h/a\"b",
    "http://h/<x>",
    "http://h/a\\b",
    "http://h/a^b",
    "http://h/a`b",
    "http://h/a{b}",
    "http://h/a|b",
    "http://h/a\x7f",
    "http://h/caf\xc3\xa9",
    "http://h\xc3\xa9/",
    "http://h/%",
    "http://h/%4",
    "http://h/%zz",
    "http://h/?%g0",
    "http://h/#%",
    "http://h/##",
    "http://h%2/",
    "http://ex%41mple.com/",
    "http://%65xample.com:80/",
    "http://u%z@h/",
    "http://h?q",
};

Test(url, rejects_invalid)
{
    for (size_t i = 0; i < sizeof(url_bad) / sizeof(url_bad[0]); i++) {
        struct pl_url u, before;
        memset(&u, 0x5a, sizeof(u));
        before = u;
        cr_assert_eq(pl_url_parse(pl_str_c(url_bad[i]), &u), -EINVAL, "accepted '%s'", url_bad[i]);
        cr_assert(memcmp(&u, &before, sizeof(u)) == 0, "'%s': output touched on failure",
                  url_bad[i]);
    }
    /* NUL inside */
    struct pl_url u;
    cr_assert_eq(pl_url_parse(pl_str_from("http://h/\0", 10), &u), -EINVAL);
    cr_assert_eq(pl_url_parse(pl_str_from("http://h\0/", 10), &u), -EINVAL);
    cr_assert_eq(pl_url_parse(PL_STR_NULL, &u), -EINVAL);
}

Test(url, rejects_every_bad_byte_in_path)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                             "-._~:/?#[]@!$&'()*+,;=";
    for (int c = 1; c < 256; c++) {
        char in[32];
        int n = snprintf(in, sizeof(in), "http://h/a%cb", c);
        struct pl_url u;
        int rc = pl_url_parse(pl_str_from(in, (size_t)n), &u);
        if (strchr(ok, c))
            cr_assert_eq(rc, 0, "byte 0x%02x", c);
        else
            cr_assert_eq(rc, -EINVAL, "byte 0x%02x", c);
    }
}

struct auth_case {
    const char *in;
    bool require_port;
    uint16_t def;
    int rc;
    const char *host;
    uint16_t port;
    bool v6;
};

static const struct auth_case auth_cases[] = {
    {"example.com:443", true, 0, 0, "example.com", 443, false},
    {"example.com:443", false, 80, 0, "example.com", 443, false},
    {"example.com", false, 80, 0, "example.com", 80, false},
    {"example.com", true, 0, -EINVAL, NULL, 0, false},
    {"example.com:", true, 0, -EINVAL, NULL, 0, false},
    {"example.com:", false, 80, -EINVAL, NULL, 0, false},
    {"example.com:65535", true, 0, 0, "example.com", 65535, false},
    {"example.com:65536", true, 0, -EINVAL, NULL, 0, false},
    {"example.com:0", true, 0, 0, "example.com", 0, false},
    {"10.1.2.3:8080", true, 0, 0, "10.1.2.3", 8080, false},
    {"[::1]:443", true, 0, 0, "::1", 443, true},
    {"[::1]", false, 443, 0, "::1", 443, true},
    {"[::1]", true, 0, -EINVAL, NULL, 0, false},
    {"[fe80::1%25lo]:1", true, 0, 0, "fe80::1%25lo", 1, true},
    {"::1:443", true, 0, -EINVAL, NULL, 0, false},
    {"[::1]443", true, 0, -EINVAL, NULL, 0, false},
    {"user@example.com:443", true, 0, -EINVAL, NULL, 0, false},
    {"user:pw@example.com:443", true, 0, -EINVAL, NULL, 0, false},
    {"@example.com:443", true, 0, -EINVAL, NULL, 0, false},
    {"", false, 80, -EINVAL, NULL, 0, false},
    {":443", true, 0, -EINVAL, NULL, 0, false},
    {"example.com:443/", true, 0, -EINVAL, NULL, 0, false},
    {"example.com/x:443", true, 0, -EINVAL, NULL, 0, false},
    {"http://example.com:443", true, 0, -EINVAL, NULL, 0, false},
    {"exa mple.com:443", true, 0, -EINVAL, NULL, 0, false},
    {"example.com :443", true, 0, -EINVAL, NULL, 0, false},
    {"example.com:+443", true, 0, -EINVAL, NULL, 0, false},
    {"example.com:000443", true, 0, -EINVAL, NULL, 0, false},
    {"example.com:00443", true, 0, 0, "example.com", 443, false},
    {"ex%61mple.com:443", true, 0, -EINVAL, NULL, 0, false},
};

Test(url, authority_form)
{
    for (size_t i = 0; i < sizeof(auth_cases) / sizeof(auth_cases[0]); i++) {
        const struct auth_case *c = &auth_cases[i];
        struct pl_str host = PL_STR("untouched");
        uint16_t port = 4242;
        bool v6 = true;
        int rc =
            pl_url_parse_authority(pl_str_c(c->in), c->require_port, c->def, &host, &port, &v6);
        cr_assert_eq(rc, c->rc, "'%s' require=%d: rc %d", c->in, c->require_port, rc);
        if (rc == 0) {
            cr_assert(eq(host, c->host), "'%s': host", c->in);
            cr_assert_eq(port, c->port, "'%s': port", c->in);
            cr_assert_eq(v6, c->v6, "'%s': v6", c->in);
        } else {
            cr_assert(eq(host, "untouched") && port == 4242 && v6, "'%s': outputs touched", c->in);
        }
    }
}

struct match_case {
    const char *url;
    const char *host;
    bool match;
};

static const struct match_case match_cases[] = {
    {"http://example.com/", "example.com", true},
    {"http://example.com/", "EXAMPLE.com", true},
    {"http://example.com/", "example.com.", true},
    {"http://example.com./", "example.com", true},
    {"http://example.com/", "example.com:80", true},
    {"http://example.com:80/", "example.com", true},
    {"https://example.com/", "example.com:443", true},
    {"https://example.com/", "example.com:80", false},
    {"http://example.com:8080/", "example.com", false},
    {"http://example.com:8080/", "example.com:8080", true},
    {"http://example.com/", "example.org", false},
    {"http://example.com/", "example.com..", false},
    {"http://example.com/", "www.example.com", false},
    {"http://user@example.com/", "example.com", true},
    {"http://example.com/", "user@example.com", false},
    {"http://example.com/", "", false},
    {"http://example.com/", "example.com:", false},
    {"http://[::1]/", "[::1]", true},
    {"http://[::1]/", "[::1]:80", true},
    {"http://[::1]/", "::1", false},
    {"http://[::1]:81/", "[::1]:80", false},
    {"http://127.0.0.1/", "127.0.0.1:80", true},
    {"http://127.0.0.1/", "127.0.0.2", false},
};

Test(url, host_matches)
{
    for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
        const struct match_case *c = &match_cases[i];
        struct pl_url u;
        cr_assert_eq(pl_url_parse(pl_str_c(c->url), &u), 0, "%s", c->url);
        cr_assert_eq(pl_url_host_matches(&u, pl_str_c(c->host)), c->match, "%s vs '%s'", c->url,
                     c->host);
    }
}

Test(url, host_normalize)
{
    char buf[16];
    cr_assert_eq(pl_url_host_normalize(PL_STR("Example.COM."), buf, sizeof(buf)), 11);
    cr_assert_str_eq(buf, "example.com");
    cr_assert_eq(pl_url_host_normalize(PL_STR("::1"), buf, sizeof(buf)), 3);
    cr_assert_str_eq(buf, "::1");
    cr_assert_eq(pl_url_host_normalize(PL_STR("a_b-c~d"), buf, sizeof(buf)), 7);
    cr_assert_eq(pl_url_host_normalize(PL_STR("a%41"), buf, sizeof(buf)), 4);
    /* exactly fits with the NUL, then one too many */
    cr_assert_eq(pl_url_host_normalize(PL_STR("ABCDEFGHIJKLMNO"), buf, sizeof(buf)), 15);
    cr_assert_str_eq(buf, "abcdefghijklmno");
    cr_assert_eq(pl_url_host_normalize(PL_STR("ABCDEFGHIJKLMNOP"), buf, sizeof(buf)), -E2BIG);
    cr_assert_eq(pl_url_host_normalize(PL_STR("ABCDEFGHIJKLMNOP."), buf, sizeof(buf)), -E2BIG);
    cr_assert_eq(pl_url_host_normalize(PL_STR(""), buf, sizeof(buf)), -EINVAL);
    cr_assert_eq(pl_url_host_normalize(PL_STR("."), buf, sizeof(buf)), -EINVAL);
    cr_assert_eq(pl_url_host_normalize(PL_STR("a.."), buf, sizeof(buf)), 2);
    cr_assert_eq(pl_url_host_normalize(PL_STR("a b"), buf, sizeof(buf)), -EINVAL);
    cr_assert_eq(pl_url_host_normalize(PL_STR("a/b"), buf, sizeof(buf)), -EINVAL);
    cr_assert_eq(pl_url_host_normalize(PL_STR("a@b"), buf, sizeof(buf)), -EINVAL);
    cr_assert_eq(pl_url_host_normalize(PL_STR("a\\b"), buf, sizeof(buf)), -EINVAL);
    cr_assert_eq(pl_url_host_normalize(pl_str_from("a\0b", 3), buf, sizeof(buf)), -EINVAL);
    cr_assert_eq(pl_url_host_normalize(PL_STR("h\xc3\xa9"), buf, sizeof(buf)), -EINVAL);
}

Test(url, default_port)
{
    cr_assert_eq(pl_url_default_port(PL_URL_SCHEME_HTTP), 80);
    cr_assert_eq(pl_url_default_port(PL_URL_SCHEME_WS), 80);
    cr_assert_eq(pl_url_default_port(PL_URL_SCHEME_HTTPS), 443);
    cr_assert_eq(pl_url_default_port(PL_URL_SCHEME_WSS), 443);
    cr_assert_eq(pl_url_default_port(PL_URL_SCHEME_OTHER), 0);
}
