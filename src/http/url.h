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
    struct pl_str scheme;    /* as written, e.g. "HTTP" */
    enum pl_url_scheme scheme_id;
    struct pl_str userinfo;  /* without '@'; empty if absent */
    bool has_userinfo;
    struct pl_str host;      /* reg-name or IP literal; IPv6 without brackets, zone kept */
    bool host_is_ipv6;       /* was written in brackets */
    uint16_t port;           /* explicit port, or the scheme default (80/443) */
    bool has_port;
    struct pl_str authority; /* raw authority as written (between "//" and path) */
    struct pl_str path;      /* starts with '/' or empty */
    struct pl_str query;     /* without '?'; empty if absent */
    bool has_query;
    struct pl_str fragment;  /* without '#' */
    struct pl_str path_and_query; /* origin-form to send upstream ("/" if path empty) */
};

/*
 * Parse an absolute URI ("scheme://authority[/path][?query][#frag]"). Rejects: missing or
 * non-alpha-start scheme, missing "//", empty host, invalid characters (controls, space, DEL,
 * '\\', non-ASCII bytes in the authority), bad port (non-digit, > 65535, empty after ':'),
 * unterminated '[' or invalid IPv6 in brackets, bytes that are neither unreserved, reserved,
 * '%' nor sub-delims in path/query, and malformed percent escapes. Returns 0 or -EINVAL.
 */
int pl_url_parse(struct pl_str in, struct pl_url *ret);

/*
 * Parse an authority ("host[:port]", "[v6][:port]"), as used by CONNECT targets and the Host
 * header. require_port: CONNECT requires an explicit port; otherwise default_port is used when
 * absent. Userinfo is rejected. Returns 0 or -EINVAL.
 */
int pl_url_parse_authority(struct pl_str in, bool require_port, uint16_t default_port,
                           struct pl_str *ret_host, uint16_t *ret_port, bool *ret_is_ipv6);

/* Default port for a scheme id (80, 443, 0 for others). */
uint16_t pl_url_default_port(enum pl_url_scheme s);

/*
 * True when a Host header value names the same authority as the absolute-form URL: hosts
 * compared case-insensitively with one trailing dot ignored, ports compared after defaults.
 */
bool pl_url_host_matches(const struct pl_url *u, struct pl_str host_header);

/*
 * Normalise a host name for policy checks into buf: lower-case, one trailing dot removed.
 * Returns the length or -E2BIG if it does not fit, -EINVAL if it contains bytes that are not
 * allowed in a host (anything outside [A-Za-z0-9.-_~!$&'()*+,;=%:] for names).
 */
int pl_url_host_normalize(struct pl_str host, char *buf, size_t size);

#endif
