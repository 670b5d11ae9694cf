/*
 * IP address literals in every notation an attacker might use, CIDR sets, and the SSRF
 * classification of an address. Pure: no sockets, no DNS.
 */
#ifndef PL_SCAN_IP_H
#define PL_SCAN_IP_H

#include <netinet/in.h>

#include "util/str.h"

enum pl_ip_family {
    PL_IP_V4 = 4,
    PL_IP_V6 = 6,
};

struct pl_ip {
    enum pl_ip_family family;
    uint8_t a[16]; /* network order; v4 uses a[0..3] */
};

struct pl_cidr {
    struct pl_ip net;
    uint8_t prefix;
};

struct pl_cidr_list {
    struct pl_cidr *v; /* owned */
    size_t n;
};

/* Longest textual form of an address incl. NUL ("ffff:...:255.255.255.255"). */
#define PL_IP_STRLEN 64

/*
 * Parse a URL host as an IP literal. Accepts: dotted-quad; every alternative IPv4 form the
 * WHATWG URL parser and inet_aton() accept (decimal "2130706433", hex "0x7f000001", octal
 * "0177.0.0.1", mixed per-part radix, 1- 2- and 3-part shorthand "127.1", trailing dot);
 * IPv6 with or without brackets, with zone id ("%eth0", "%25eth0") stripped. IPv4-mapped
 * (::ffff:a.b.c.d) and IPv4-compatible deprecated forms are NOT folded here; use
 * pl_ip_unmap(). Returns 0 when host is an IP literal, -EINVAL when it is not (a name), or
 * -ERANGE when it looks numeric but is out of range (e.g. "256.1.1.1", "0x1ffffffff"), which
 * callers must treat as an invalid host, never as a name to resolve.
 */
int pl_ip_parse_host(struct pl_str host, struct pl_ip *ret);
/* Parse a strict textual address (dotted-quad or RFC 4291 IPv6, no brackets/zones). */
int pl_ip_parse_strict(struct pl_str s, struct pl_ip *ret);
/* Convert IPv4-mapped IPv6 (::ffff:0:0/96) to IPv4, in place. Others unchanged. */
void pl_ip_unmap(struct pl_ip *ip);
/* Canonical text: dotted-quad for v4, RFC 5952 for v6. Returns length. */
size_t pl_ip_format(const struct pl_ip *ip, char *buf, size_t size);
void pl_ip_from_sockaddr(const struct sockaddr *sa, struct pl_ip *ret);
/* Fill a sockaddr_storage for ip:port; returns the sockaddr length. */
socklen_t pl_ip_to_sockaddr(const struct pl_ip *ip, uint16_t port, struct sockaddr_storage *ret);
bool pl_ip_eq(const struct pl_ip *a, const struct pl_ip *b);

/*
 * Parse "a.b.c.d/n" or "x::/n". strict: the reference's ssrf.ip_allowlist rules (host bits
 * must be zero, /0 rejected). A bare address without "/n" is rejected. Returns 0 or -EINVAL.
 */
int pl_cidr_parse(struct pl_str s, bool strict, struct pl_cidr *ret);
/* True when ip is inside c. An IPv4-mapped v6 address matches v4 CIDRs (it is unmapped first). */
bool pl_cidr_contains(const struct pl_cidr *c, const struct pl_ip *ip);
bool pl_cidr_list_contains(const struct pl_cidr_list *l, const struct pl_ip *ip);
void pl_cidr_list_done(struct pl_cidr_list *l);
/* Append; returns 0 or -ENOMEM. */
int pl_cidr_list_add(struct pl_cidr_list *l, const struct pl_cidr *c);

/* The reference's default `internal` list (12 CIDRs) and the core floor (10 CIDRs). */
extern const char *const pl_ip_default_internal[];
extern const size_t pl_ip_default_internal_count;
extern const char *const pl_ip_core_internal[];
extern const size_t pl_ip_core_internal_count;

#endif
