/*
 * URL / authority parsing: schemes, IPv4/IPv6 (zone ids), ports, userinfo, escapes,
 * authority-form, Host agreement and host normalisation; canonical form and reference
 * resolution (RFC 3986 §5).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "http/url.h"
#include "util/buf.h"

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

/* ------------------------------------------------------ canonical form and resolution */

/*
 * Every URL these functions produce must parse, be its own canonical form, and be what an empty
 * reference resolves to against it.
 */
static void
check_roundtrip(struct pl_str s)
{
    struct pl_url u;
    struct pl_buf again;
    cr_assert_eq(pl_url_parse(s, &u), 0, "output '%.*s' does not parse", (int)s.len, s.p);
    pl_buf_init(&again, 1 << 16);
    cr_assert_eq(pl_url_canonical(s, &again), 0, "'%.*s'", (int)s.len, s.p);
    cr_assert(pl_str_eq(pl_buf_str(&again), s), "canonical('%.*s') = '%s'", (int)s.len, s.p,
              again.data);
    cr_assert_eq(pl_url_resolve(s, PL_STR(""), &again), 0, "'%.*s'", (int)s.len, s.p);
    cr_assert(pl_str_eq(pl_buf_str(&again), s), "resolve('%.*s', '') = '%s'", (int)s.len, s.p,
              again.data);
    pl_buf_done(&again);
}

struct canon_case {
    const char *in;
    size_t len;      /* 0: strlen(in) */
    const char *out; /* NULL: -EINVAL */
};

static const struct canon_case canon_cases[] = {
    /* already canonical */
    {"http://example.com/", 0, "http://example.com/"},
    {"http://h", 0, "http://h"},
    {"http://h/a/b?c=d&e", 0, "http://h/a/b?c=d&e"},
    {"http://h/a:b@c!$&'()*+,;=-._~?x=/?:@", 0, "http://h/a:b@c!$&'()*+,;=-._~?x=/?:@"},
    {"http://h/a[]?b[]=1", 0, "http://h/a[]?b[]=1"},
    {"http://h/a?b?c/d", 0, "http://h/a?b?c/d"},
    {"http://h/p?", 0, "http://h/p?"},
    {"http://h/a/../b/./c", 0, "http://h/a/../b/./c"}, /* no dot removal here */
    /* scheme lower-cased, authority as written */
    {"HTTP://Example.COM/A", 0, "http://Example.COM/A"},
    {"HtTpS://h/", 0, "https://h/"},
    {"git+SSH://h/r", 0, "git+ssh://h/r"},
    {"ftp://x/y", 0, "ftp://x/y"},
    /* authorities */
    {"http://h:8080/x", 0, "http://h:8080/x"},
    {"http://h:00080/", 0, "http://h:00080/"},
    {"http://[::1]/", 0, "http://[::1]/"},
    {"http://[2001:DB8::1]:8443/p", 0, "http://[2001:DB8::1]:8443/p"},
    {"http://[fe80::1%25eth0]:81/", 0, "http://[fe80::1%25eth0]:81/"},
    {"http://127.0.0.1:1/", 0, "http://127.0.0.1:1/"},
    {"http://user:pw@h/", 0, "http://user:pw@h/"}, /* refusing userinfo is the caller's job */
    /* fragment dropped */
    {"http://h/p?q#frag", 0, "http://h/p?q"},
    {"http://h/p#a b<>\"", 0, "http://h/p"},
    {"http://h#f", 0, "http://h"},
    {"http://h/##", 0, "http://h/"},
    /* "/" before a query */
    {"http://h?q", 0, "http://h/?q"},
    {"http://h?", 0, "http://h/?"},
    {"http://h:81?a b#c", 0, "http://h:81/?a%20b"},
    /* encoding in the path */
    {"http://h/a b", 0, "http://h/a%20b"},
    {"http://h/a\"b", 0, "http://h/a%22b"},
    {"http://h/<x>", 0, "http://h/%3Cx%3E"},
    {"http://h/a\\b^c`d{e|f}", 0, "http://h/a%5Cb%5Ec%60d%7Be%7Cf%7D"},
    {"http://h/caf\xc3\xa9", 0, "http://h/caf%C3%A9"},
    {"http://h/\xff\x80", 0, "http://h/%FF%80"},
    {"http://h/a\x7f", 0, "http://h/a%7F"},
    {"http://h/\x01\t\r\n\x1f", 0, "http://h/%01%09%0D%0A%1F"},
    {"http://h/a\0b", 12, "http://h/a%00b"},
    {"http://h/%", 0, "http://h/%25"},
    {"http://h/%4", 0, "http://h/%254"},
    {"http://h/%zz", 0, "http://h/%25zz"},
    {"http://h/%4g%41", 0, "http://h/%254g%41"},
    {"http://h/%%41", 0, "http://h/%25%41"},
    {"http://h/%41%7e%2F%2f", 0, "http://h/%41%7e%2F%2f"}, /* kept as written */
    {"http://h/%25", 0, "http://h/%25"},
    {"http://h/a ", 0, "http://h/a%20"}, /* no trimming: the caller hands a whole URL */
    /* encoding in the query */
    {"http://h/?a b", 0, "http://h/?a%20b"},
    {"http://h/?q=\"<>\"", 0, "http://h/?q=%22%3C%3E%22"},
    {"http://h/?q=caf\xc3\xa9&x=%", 0, "http://h/?q=caf%C3%A9&x=%25"},
    {"http://h/?%2x%20", 0, "http://h/?%252x%20"},
    {"http://h/?\x7f\x01", 0, "http://h/?%7F%01"},
    /* invalid */
    {"", 0, NULL},
    {"example.com/x", 0, NULL},
    {"/x", 0, NULL},
    {"//h/x", 0, NULL},
    {"1http://h/", 0, NULL},
    {" http://h/", 0, NULL},
    {"http:h/", 0, NULL},
    {"http:/h/", 0, NULL},
    {"http:\\\\h/", 0, NULL},
    {"http:/\\h/", 0, NULL},
    {"http://", 0, NULL},
    {"http:///x", 0, NULL},
    {"http://?q", 0, NULL},
    {"http://h ost/", 0, NULL},
    {"http://h\xc3\xa9/", 0, NULL},
    {"http://h\\@evil/", 0, NULL},
    {"http://h:99999/", 0, NULL},
    {"http://h:/", 0, NULL},
    {"http://a@b@c/", 0, NULL},
    {"http://[::1/", 0, NULL},
    {"http://[fe80::1%eth0]/", 0, NULL},
    {"http://ex%41mple.com/", 0, NULL},
    {"http://h\0/", 10, NULL},
    {"mailto:a@b", 0, NULL},
};

Test(url_canonical, table)
{
    struct pl_buf b;
    pl_buf_init(&b, 4096);
    for (size_t i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
        const struct canon_case *c = &canon_cases[i];
        struct pl_str in = pl_str_from(c->in, c->len ? c->len : strlen(c->in));
        int rc = pl_url_canonical(in, &b);
        if (!c->out) {
            cr_assert_eq(rc, -EINVAL, "'%s': rc %d, '%s'", c->in, rc, b.data);
            cr_assert_eq(b.len, 0, "'%s': output left on failure", c->in);
            continue;
        }
        cr_assert_eq(rc, 0, "'%s': rc %d", c->in, rc);
        cr_assert(eq(pl_buf_str(&b), c->out), "'%s': got '%s', want '%s'", c->in, b.data, c->out);
        check_roundtrip(pl_buf_str(&b));
    }
    cr_assert_eq(pl_url_canonical(PL_STR_NULL, &b), -EINVAL);
    pl_buf_done(&b);
}

/* Every byte in path and query: kept when pl_url_parse() takes it there, "%XX" otherwise. */
Test(url_canonical, every_byte)
{
    static const char raw_path[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                   "-._~:/[]@!$&'()*+,;=";
    struct pl_buf b;
    pl_buf_init(&b, 4096);
    for (int c = 0; c < 256; c++) {
        if (c == '#' || c == '?' || c == '%')
            continue;
        char in[32], want[64];
        int n = snprintf(in, sizeof(in), "http://h/a%cb?x%cy", 'Q', 'Q');
        in[10] = (char)c;
        in[14] = (char)c;
        bool raw = c != 0 && strchr(raw_path, c);
        if (raw)
            snprintf(want, sizeof(want), "http://h/a%cb?x%cy", c, c);
        else
            snprintf(want, sizeof(want), "http://h/a%%%02Xb?x%%%02Xy", c, c);
        cr_assert_eq(pl_url_canonical(pl_str_from(in, (size_t)n), &b), 0, "byte 0x%02x", c);
        cr_assert_str_eq(b.data, want, "byte 0x%02x", c);
        check_roundtrip(pl_buf_str(&b));
    }
    /* '?' is raw in a query, '%' starting no escape is encoded in both */
    cr_assert_eq(pl_url_canonical(PL_STR("http://h/a%?b?c%"), &b), 0);
    cr_assert_str_eq(b.data, "http://h/a%25?b?c%25");
    pl_buf_done(&b);
}

Test(url_canonical, limit)
{
    struct pl_buf b;
    pl_buf_init(&b, 10);
    cr_assert_eq(pl_url_canonical(PL_STR("http://h/x"), &b), 0);
    cr_assert_str_eq(b.data, "http://h/x");
    cr_assert_eq(pl_url_canonical(PL_STR("http://h/xy"), &b), -E2BIG);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(pl_url_canonical(PL_STR("http://example.com/"), &b), -E2BIG);
    /* the encoding counts: 8 + 2 raw bytes fit, 8 + one encoded byte does not */
    cr_assert_eq(pl_url_canonical(PL_STR("http://h/ "), &b), -E2BIG);
    cr_assert_eq(pl_url_canonical(PL_STR("http://h?"), &b), 0);
    cr_assert_str_eq(b.data, "http://h/?");
    cr_assert_eq(pl_url_canonical(PL_STR("http://h?q"), &b), -E2BIG);
    pl_buf_done(&b);
    pl_buf_init(&b, 0);
    cr_assert_eq(pl_url_canonical(PL_STR("http://h/"), &b), -E2BIG);
    cr_assert_eq(pl_url_canonical(PL_STR("http:/h/"), &b), -EINVAL);
    pl_buf_done(&b);
}

struct resolve_case {
    const char *base;
    const char *ref;
    const char *out; /* NULL: -EINVAL */
};

#define RFC_BASE "http://a/b/c/d;p?q"

static const struct resolve_case resolve_cases[] = {
    /* RFC 3986 §5.4.1 normal examples; fragments are dropped */
    {RFC_BASE, "g:h", NULL}, /* absolute without authority: nothing to fetch */
    {RFC_BASE, "g", "http://a/b/c/g"},
    {RFC_BASE, "./g", "http://a/b/c/g"},
    {RFC_BASE, "g/", "http://a/b/c/g/"},
    {RFC_BASE, "/g", "http://a/g"},
    {RFC_BASE, "//g", "http://g"},
    {RFC_BASE, "?y", "http://a/b/c/d;p?y"},
    {RFC_BASE, "g?y", "http://a/b/c/g?y"},
    {RFC_BASE, "#s", "http://a/b/c/d;p?q"},
    {RFC_BASE, "g#s", "http://a/b/c/g"},
    {RFC_BASE, "g?y#s", "http://a/b/c/g?y"},
    {RFC_BASE, ";x", "http://a/b/c/;x"},
    {RFC_BASE, "g;x", "http://a/b/c/g;x"},
    {RFC_BASE, "g;x?y#s", "http://a/b/c/g;x?y"},
    {RFC_BASE, "", "http://a/b/c/d;p?q"},
    {RFC_BASE, ".", "http://a/b/c/"},
    {RFC_BASE, "./", "http://a/b/c/"},
    {RFC_BASE, "..", "http://a/b/"},
    {RFC_BASE, "../", "http://a/b/"},
    {RFC_BASE, "../g", "http://a/b/g"},
    {RFC_BASE, "../..", "http://a/"},
    {RFC_BASE, "../../", "http://a/"},
    {RFC_BASE, "../../g", "http://a/g"},
    /* RFC 3986 §5.4.2 abnormal examples */
    {RFC_BASE, "../../../g", "http://a/g"},
    {RFC_BASE, "../../../../g", "http://a/g"},
    {RFC_BASE, "/./g", "http://a/g"},
    {RFC_BASE, "/../g", "http://a/g"},
    {RFC_BASE, "g.", "http://a/b/c/g."},
    {RFC_BASE, ".g", "http://a/b/c/.g"},
    {RFC_BASE, "g..", "http://a/b/c/g.."},
    {RFC_BASE, "..g", "http://a/b/c/..g"},
    {RFC_BASE, "./../g", "http://a/b/g"},
    {RFC_BASE, "./g/.", "http://a/b/c/g/"},
    {RFC_BASE, "g/./h", "http://a/b/c/g/h"},
    {RFC_BASE, "g/../h", "http://a/b/c/h"},
    {RFC_BASE, "g;x=1/./y", "http://a/b/c/g;x=1/y"},
    {RFC_BASE, "g;x=1/../y", "http://a/b/c/y"},
    {RFC_BASE, "g?y/./x", "http://a/b/c/g?y/./x"},
    {RFC_BASE, "g?y/../x", "http://a/b/c/g?y/../x"},
    {RFC_BASE, "g#s/./x", "http://a/b/c/g"},
    {RFC_BASE, "g#s/../x", "http://a/b/c/g"},
    {RFC_BASE, "http:g", NULL}, /* strict parser: absolute, and without authority */
    /* more dot segments */
    {RFC_BASE, "/a//../b", "http://a/a/b"},
    {RFC_BASE, "/a/b/..", "http://a/a/"},
    {RFC_BASE, "/..", "http://a/"},
    {RFC_BASE, "/.", "http://a/"},
    {RFC_BASE, "//g/x/../y", "http://g/y"},
    {RFC_BASE, "g/..//x", "http://a/b/c//x"},
    {RFC_BASE, "%2e%2e/x", "http://a/b/c/%2e%2e/x"}, /* escapes are not decoded */
    {RFC_BASE, "1a:b", "http://a/b/c/1a:b"},         /* not a scheme: a relative path */
    /* whitespace around the reference */
    {RFC_BASE, " \t/x \r\n", "http://a/x"},
    {RFC_BASE, "\r\n g \t", "http://a/b/c/g"},
    {RFC_BASE, " \t\r\n", "http://a/b/c/d;p?q"},
    {RFC_BASE, "a b", "http://a/b/c/a%20b"}, /* inner whitespace is encoded */
    /* encoding */
    {RFC_BASE, "/caf\xc3\xa9?q=\xc3\xa9", "http://a/caf%C3%A9?q=%C3%A9"},
    {RFC_BASE, "/a\"<>`^{|}\\", "http://a/a%22%3C%3E%60%5E%7B%7C%7D%5C"},
    {RFC_BASE, "/%zz%41%", "http://a/%25zz%41%25"},
    {RFC_BASE, "?a b\x7f", "http://a/b/c/d;p?a%20b%7F"},
    {RFC_BASE, "/\x01x", "http://a/%01x"},
    /* scheme-relative and absolute references */
    {RFC_BASE, "//g/x", "http://g/x"},
    {"HTTPS://a/b", "//g:8443/x?y", "https://g:8443/x?y"},
    {RFC_BASE, "//[::1]:81/p", "http://[::1]:81/p"},
    {RFC_BASE, "//u@g/", "http://u@g/"},
    {RFC_BASE, "//g?q", "http://g/?q"},
    {RFC_BASE, "HTTPS://Other.Example:443/p", "https://Other.Example:443/p"},
    {RFC_BASE, "ftp://x/y", "ftp://x/y"},
    {RFC_BASE, "ftp://x/a/../y", "ftp://x/y"},
    {RFC_BASE, "ws://x", "ws://x"},
    {RFC_BASE, "http://x#f", "http://x"},
    /* refused references */
    {RFC_BASE, "http:foo", NULL},
    {RFC_BASE, "http:/foo", NULL},
    {RFC_BASE, "mailto:a@b", NULL},
    {RFC_BASE, "javascript:alert(1)", NULL},
    {RFC_BASE, "//", NULL},
    {RFC_BASE, "///x", NULL},
    {RFC_BASE, "http://", NULL},
    {RFC_BASE, "\\\\evil.com/", NULL},
    {RFC_BASE, "/\\evil.com/", NULL},
    {RFC_BASE, "\\/evil.com/", NULL},
    {RFC_BASE, "http:\\\\evil.com/", NULL},
    {RFC_BASE, "https:/\\evil.com/", NULL},
    {RFC_BASE, "/\t/evil.com/", NULL},
    {RFC_BASE, "//evil.com\\@a/", NULL},
    {RFC_BASE, "//evil.com\\.a/", NULL},
    {RFC_BASE, "//h\xc3\xa9/", NULL},
    {RFC_BASE, "http://h\xc3\xa9/", NULL},
    {RFC_BASE, "//h ost/", NULL},
    {RFC_BASE, "//h:99999/", NULL},
    {RFC_BASE, "//a@b@c/", NULL},
    {RFC_BASE, "//[::1/", NULL},
    /* a single backslash is a path byte for RFC 3986 and browsers alike */
    {RFC_BASE, "\\x", "http://a/b/c/%5Cx"},
    /* bases */
    {"http://a", "g", "http://a/g"},
    {"http://a", "?q", "http://a/?q"},
    {"http://a", "", "http://a"},
    {"http://a", ".", "http://a/"},
    {"http://a", "..", "http://a/"},
    {"http://a?x", "#f", "http://a/?x"},
    {"http://a/b/c/d;p?q#frag", "", "http://a/b/c/d;p?q"},
    {"http://a/b/../c?q", "", "http://a/b/../c?q"}, /* same document: the base path as is */
    {"http://a/b/../c?q", "?r", "http://a/b/../c?r"},
    {"http://a/b/../c?q", "d", "http://a/d"},
    {"HTTP://h/a b/c?x y#z", "", "http://h/a%20b/c?x%20y"},
    {"HTTP://h/a b/c?x y#z", "d", "http://h/a%20b/d"},
    {"http://h/%/x", "y", "http://h/%25/y"},
    {"http://[::1]:8080/a/b", "../c", "http://[::1]:8080/c"},
    {"ftp://x/a/b", "c", "ftp://x/a/c"},
    {"", "http://h/", NULL},
    {"/b/c", "g", NULL},
    {"//a/b", "g", NULL},
    {"http:a/b", "g", NULL},
    {"http:///b", "g", NULL},
    {"http://h ost/", "g", NULL},
    {"http://h:99999/", "g", NULL},
    {"http://h\xc3\xa9/", "//ok/", NULL}, /* the base must be valid even when unused */
    {" http://a/", "g", NULL},
};

Test(url_resolve, table)
{
    struct pl_buf b;
    pl_buf_init(&b, 4096);
    for (size_t i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++) {
        const struct resolve_case *c = &resolve_cases[i];
        int rc = pl_url_resolve(pl_str_c(c->base), pl_str_c(c->ref), &b);
        if (!c->out) {
            cr_assert_eq(rc, -EINVAL, "'%s' + '%s': rc %d, '%s'", c->base, c->ref, rc, b.data);
            cr_assert_eq(b.len, 0, "'%s' + '%s': output left on failure", c->base, c->ref);
            continue;
        }
        cr_assert_eq(rc, 0, "'%s' + '%s': rc %d", c->base, c->ref, rc);
        cr_assert(eq(pl_buf_str(&b), c->out), "'%s' + '%s': got '%s', want '%s'", c->base, c->ref,
                  b.data, c->out);
        check_roundtrip(pl_buf_str(&b));
    }
    pl_buf_done(&b);
}

/* An empty (or fragment-only) reference gives the canonical base, whatever the base. */
Test(url_resolve, empty_ref_is_canonical_base)
{
    struct pl_buf r, c;
    pl_buf_init(&r, 4096);
    pl_buf_init(&c, 4096);
    for (size_t i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
        const struct canon_case *k = &canon_cases[i];
        struct pl_str in = pl_str_from(k->in, k->len ? k->len : strlen(k->in));
        int rc1 = pl_url_canonical(in, &c);
        int rc2 = pl_url_resolve(in, PL_STR(""), &r);
        cr_assert_eq(rc1, rc2, "'%s'", k->in);
        if (rc1 == 0)
            cr_assert(pl_str_eq(pl_buf_str(&r), pl_buf_str(&c)), "'%s'", k->in);
        rc2 = pl_url_resolve(in, PL_STR("#x"), &r);
        cr_assert_eq(rc1, rc2, "'%s'", k->in);
        if (rc1 == 0)
            cr_assert(pl_str_eq(pl_buf_str(&r), pl_buf_str(&c)), "'%s'", k->in);
    }
    cr_assert_eq(pl_url_resolve(PL_STR_NULL, PL_STR("g"), &r), -EINVAL);
    cr_assert_eq(pl_url_resolve(PL_STR("http://h/a"), PL_STR_NULL, &r), 0);
    cr_assert_str_eq(r.data, "http://h/a");
    pl_buf_done(&r);
    pl_buf_done(&c);
}

Test(url_resolve, limit)
{
    struct pl_buf b;
    pl_buf_init(&b, 18);
    cr_assert_eq(pl_url_resolve(PL_STR("http://h/"), PL_STR("\xff\xff\xff"), &b), 0);
    cr_assert_str_eq(b.data, "http://h/%FF%FF%FF");
    pl_buf_done(&b);
    pl_buf_init(&b, 17);
    cr_assert_eq(pl_url_resolve(PL_STR("http://h/"), PL_STR("\xff\xff\xff"), &b), -E2BIG);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(pl_url_resolve(PL_STR("http://h/a/b/c/d/e/f/g"), PL_STR("x"), &b), -E2BIG);
    cr_assert_eq(pl_url_resolve(PL_STR("http://h/a/b/c/d/e/f/g"), PL_STR("/x"), &b), 0);
    cr_assert_str_eq(b.data, "http://h/x");
    cr_assert_eq(pl_url_resolve(PL_STR("http://h/"), PL_STR("?0123456789"), &b), -E2BIG);
    cr_assert_eq(pl_url_resolve(PL_STR("http://h/"), PL_STR("//example.com/"), &b), -E2BIG);
    pl_buf_done(&b);
}

/* Many dot segments: linear work, and the result is as short as the segments say. */
Test(url_resolve, long_dot_chains)
{
    struct pl_buf b;
    size_t n = 200000;
    char *ref = malloc(n * 3 + 2);
    cr_assert_not_null(ref);
    for (size_t i = 0; i < n; i++)
        memcpy(ref + 3 * i, "../", 3);
    memcpy(ref + 3 * n, "x", 2);
    pl_buf_init(&b, 1 << 20);
    cr_assert_eq(pl_url_resolve(PL_STR("http://h/a/b/c"), pl_str_c(ref), &b), 0);
    cr_assert_str_eq(b.data, "http://h/x");
    for (size_t i = 0; i < n; i++)
        memcpy(ref + 3 * i, i % 2 ? "../" : "aa/", 3);
    cr_assert_eq(pl_url_resolve(PL_STR("http://h/"), pl_str_c(ref), &b), 0);
    cr_assert_str_eq(b.data, "http://h/x");
    free(ref);
    pl_buf_done(&b);
}
