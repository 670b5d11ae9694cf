/*
 * Request-target, URL and authority parsing for a forward proxy (RFC 3986 / 9110 subset).
 * Pure and zero-copy: slices point into the input.
 */
#ifndef PL_HTTP_URL_H
#define PL_HTTP_URL_H

#include "util/str.h"

enum pl_url_scheme {
    PL_URL_SCHEME_OTHER = 0,
    PL_URL_SCHEME_HTTP,
    PL_URL_SCHEME_HTTPS,
    PL_URL_SCHEME_WS,
    PL_URL_SCHEME_WSS,
};

struct pl_url {
    struct pl_str scheme; /* as written, e.g. "HTTP" */
    enum pl_url_scheme scheme_id;
    struct pl_str userinfo; /* without '@'; empty if absent */
    bool has_userinfo;
    struct pl_str host; /* reg-name or IP literal; IPv6 without brackets, zone kept */
    bool host_is_ipv6;  /* was written in brackets */
    uint16_t port;      /* explicit port, or the scheme default (80/443) */
    bool has_port;
    struct pl_str authority; /* raw authority as written (between "//" and path) */
    struct pl_str path;      /* starts with '/' or empty */
    struct pl_str query;     /* without '?'; empty if absent */
    bool has_query;
    struct pl_str fragment;       /* without '#' */
    struct pl_str path_and_query; /* origin-form to send upstream ("/" if path empty) */
};

/*
 * Parse an absolute URI ("scheme://authority[/path][?query][#frag]"). Rejects: missing or
 * non-alpha-start scheme, missing "//", empty host, invalid characters (controls, space, DEL,
 * '\\', non-ASCII bytes in the authority), bad port (non-digit, more than 5 digits, > 65535,
 * empty after ':'; 0 is accepted and left to policy), unterminated '[' or invalid IPv6 in
 * brackets (checked with inet_pton after removing an RFC 6874 "%25zone"; a bare "%zone" and
 * IPvFuture are rejected), more than one '@', bytes that are neither unreserved, reserved,
 * '%' nor sub-delims in path/query, and malformed percent escapes. '[' and ']' are accepted in
 * path and query (clients send "a[]=1" raw). An empty path with a query ("http://h?q") is
 * rejected because its origin-form "/?q" cannot be a slice of the input. Percent escapes in
 * a reg-name host are rejected (a policy on names must see the name; RFC 3986 allows them but
 * HTTP clients do not send them). Userinfo is accepted and exposed (has_userinfo) for the
 * caller to refuse. Slices point into in. Returns 0 or -EINVAL (*ret untouched).
 */
int pl_url_parse(struct pl_str in, struct pl_url *ret);

/*
 * Parse an authority ("host[:port]", "[v6][:port]"), as used by CONNECT targets and the Host
 * header. require_port: CONNECT requires an explicit port; otherwise default_port is used when
 * absent. Userinfo is rejected; host and port rules as for pl_url_parse. Any output pointer may
 * be NULL; *ret_host points into in. Returns 0 or -EINVAL (outputs untouched).
 */
int pl_url_parse_authority(struct pl_str in, bool require_port, uint16_t default_port,
                           struct pl_str *ret_host, uint16_t *ret_port, bool *ret_is_ipv6);

/* Default port for a scheme id (80, 443, 0 for others). */
uint16_t pl_url_default_port(enum pl_url_scheme s);

/*
 * True when a Host header value names the same authority as the absolute-form URL: hosts
 * compared case-insensitively with one trailing dot ignored, ports compared after defaults
 * (the URL scheme's default for a Host without port), IPv6 only matching IPv6. A Host value
 * that is not a valid authority (empty, userinfo, bad port) never matches.
 */
bool pl_url_host_matches(const struct pl_url *u, struct pl_str host_header);

/*
 * Normalise a host name for policy checks into buf: lower-case, one trailing dot removed,
 * NUL-terminated. Returns the length or -E2BIG if it does not fit (length + 1 > size), -EINVAL
 * if it is empty (after the dot) or contains bytes that are not allowed in a host (anything
 * outside A-Z a-z 0-9 and . - _ ~ ! $ & ' ( ) * + , ; = % :). Percent escapes are not decoded.
 */
int pl_url_host_normalize(struct pl_str host, char *buf, size_t size);

struct pl_buf;

/*
 * Make a URL that an agent handed us (the url parameter of /fetch) sendable. The scheme is
 * lower-cased and the authority kept as written (it must satisfy pl_url_parse(): no spaces,
 * no non-ASCII, valid port...). In the path and query, every byte that pl_url_parse() would
 * refuse is percent-encoded with upper-case hex: controls, space, DEL, '"', '<', '>', '\\',
 * '^', '`', '{', '|', '}', bytes >= 0x80, and a '%' that does not start a valid escape.
 * Valid escapes are kept as written. The fragment is dropped (it is never sent). An empty
 * path before a query becomes "/". The result is written to out (reset first) and always
 * parses with pl_url_parse(). Returns 0; -EINVAL when in is not an absolute URL with an
 * authority ("scheme://authority...") that pl_url_parse() accepts; -E2BIG or -ENOMEM from out.
 */
int pl_url_canonical(struct pl_str in, struct pl_buf *out);

/*
 * Resolve a reference (a Location header value) against an absolute base URL, RFC 3986
 * section 5.2 (strict: a reference with a scheme is absolute), with remove_dot_segments on
 * the merged path; then canonicalise the result as pl_url_canonical() does. Leading and
 * trailing ASCII whitespace of ref is ignored; an empty ref resolves to the base. Scheme-
 * relative references ("//host/p") take the base's scheme. Returns 0, -EINVAL (base or
 * result unusable), -E2BIG or -ENOMEM (out).
 */
int pl_url_resolve(struct pl_str base, struct pl_str ref, struct pl_buf *out);

#endif
