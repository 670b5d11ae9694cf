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

/*
 * Every function that fills a pl_ip zeroes all of a[], so two addresses can be compared
 * byte-wise. Any family value other than PL_IP_V4 is handled as PL_IP_V6.
 */
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
 *
 * Follows the WHATWG "ends in a number" rule: once one trailing dot is dropped, a host whose
 * last label is all digits or 0x-hex must parse as IPv4, else -ERANGE ("1.2.3.4.5",
 * "08.1.1.1", "example.1", "1..2"). -ERANGE is also returned for: a bracketed host that is
 * not valid IPv6; an unbracketed host with ':' that is not valid IPv6 (no DNS name has ':');
 * an empty or malformed zone id; more than one trailing dot after a numeric host
 * ("127.0.0.1.."); and a host whose text before the first '%', whitespace or NUL byte is
 * numeric ("127.0.0.1%eth0", "127.1 x"), because inet_aton()-based resolvers stop there and
 * would connect to the prefix. Allocation-free; O(len).
 */
int pl_ip_parse_host(struct pl_str host, struct pl_ip *ret);
/*
 * Parse a strict textual address: dotted-quad with exactly four decimal parts 0..255 and no
 * leading zeros, or RFC 4291 IPv6 (optionally ending in such a dotted quad); no brackets,
 * zones or whitespace. Returns 0 or -EINVAL; *ret untouched on failure.
 */
int pl_ip_parse_strict(struct pl_str s, struct pl_ip *ret);
/* Convert IPv4-mapped IPv6 (::ffff:0:0/96) to IPv4, in place. Others unchanged. */
void pl_ip_unmap(struct pl_ip *ip);
/*
 * Canonical text: dotted-quad for v4, RFC 5952 for v6 (longest run of >= 2 zero groups
 * compressed, first run on a tie, lower-case hex, ::ffff:a.b.c.d for IPv4-mapped). Always
 * NUL-terminates when size > 0, truncating if size < PL_IP_STRLEN. Returns the number of
 * bytes written, excluding the NUL (never more than size - 1; 0 when size is 0).
 */
size_t pl_ip_format(const struct pl_ip *ip, char *buf, size_t size);
/*
 * Fill ret from an AF_INET or AF_INET6 sockaddr (scope id dropped). Any other family
 * yields 0.0.0.0, which every internal list classifies as internal (fail closed).
 */
void pl_ip_from_sockaddr(const struct sockaddr *sa, struct pl_ip *ret);
/* Fill a sockaddr_storage for ip:port; returns the sockaddr length. */
socklen_t pl_ip_to_sockaddr(const struct pl_ip *ip, uint16_t port, struct sockaddr_storage *ret);
/* Same family and same address bytes. No unmapping: ::ffff:1.2.3.4 != 1.2.3.4. */
bool pl_ip_eq(const struct pl_ip *a, const struct pl_ip *b);
/*
 * If ip (IPv6) embeds an IPv4 address that a router or translator would deliver to, store
 * that IPv4 address in *ret and return true. Recognised (beyond the reference program,
 * which only unmaps ::ffff:0:0/96): IPv4-mapped ::ffff:a.b.c.d; IPv4-compatible ::a.b.c.d
 * (::/96, so "::" yields 0.0.0.0 and "::1" 0.0.0.1); NAT64 well-known prefix 64:ff9b::/96
 * (RFC 6052, v4 in bytes 12..15); 6to4 2002::/16 (v4 in bytes 2..5); Teredo 2001:0::/32
 * (client v4 in bytes 12..15, bit-inverted). Returns false for IPv4 input and other IPv6.
 */
bool pl_ip_embedded_v4(const struct pl_ip *ip, struct pl_ip *ret);

/*
 * Parse "a.b.c.d/n" or "x::/n". strict: the reference's ssrf.ip_allowlist rules (host bits
 * must be zero, /0 rejected). A bare address without "/n" is rejected. Returns 0 or -EINVAL.
 *
 * The address is parsed with pl_ip_parse_strict() in both modes. The prefix is 1..3 decimal
 * digits, at most 32 (v4) or 128 (v6); strict also rejects leading zeros ("/08"). Lax mode
 * (config `internal`) clears host bits instead of rejecting them and accepts /0.
 */
int pl_cidr_parse(struct pl_str s, bool strict, struct pl_cidr *ret);
/*
 * True when ip is inside c. An IPv4-mapped v6 address matches v4 CIDRs (it is unmapped
 * first), and a v4 address matches a v6 CIDR inside ::ffff:0:0/96 with prefix >= 96. A v4
 * (or mapped) address never matches any other v6 CIDR, nor a plain v6 address a v4 CIDR.
 */
bool pl_cidr_contains(const struct pl_cidr *c, const struct pl_ip *ip);
/* True when any entry of l contains ip. l may be NULL (empty). */
bool pl_cidr_list_contains(const struct pl_cidr_list *l, const struct pl_ip *ip);
/* Free the entries and leave l empty; l may be NULL. */
void pl_cidr_list_done(struct pl_cidr_list *l);
/* Append; returns 0 or -ENOMEM. */
int pl_cidr_list_add(struct pl_cidr_list *l, const struct pl_cidr *c);

/*
 * SSRF classification of a destination address. ip is first unmapped (::ffff:a.b.c.d is
 * a.b.c.d). It is internal when it is in `internal` and not in `allow`. Going beyond the
 * reference program, an IPv6 address that embeds an IPv4 address (pl_ip_embedded_v4():
 * IPv4-compatible, NAT64 64:ff9b::/96, 6to4, Teredo) is also internal when that IPv4 address
 * is in `internal` and not in `allow`, so "::127.0.0.1", "64:ff9b::a9fe:a9fe" and
 * "2002:7f00:1::" cannot reach loopback or metadata through a translator, and "::" (which
 * Linux connects to loopback) is internal via 0.0.0.0/8. An `allow` entry containing the
 * (unmapped) address itself exempts it entirely. Either list may be NULL (empty).
 */
bool pl_ip_is_internal(const struct pl_ip *ip, const struct pl_cidr_list *internal,
                       const struct pl_cidr_list *allow);

/* The reference's default `internal` list (12 CIDRs) and the core floor (10 CIDRs). */
extern const char *const pl_ip_default_internal[];
extern const size_t pl_ip_default_internal_count;
extern const char *const pl_ip_core_internal[];
extern const size_t pl_ip_core_internal_count;

#endif
