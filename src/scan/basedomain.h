/*
 * Registrable domain ("eTLD+1") of a host via the public-suffix list compiled into libpsl,
 * so that per-domain limits treat "a.example.co.uk" and "b.example.co.uk" as one site.
 *
 * Pure as far as callers can tell: libpsl's built-in list is read-only static data (no file
 * I/O, no allocation, thread-safe). Which suffixes exist depends on the list the installed
 * libpsl was built with (Debian: the publicsuffix package at build time).
 */
#ifndef PL_SCAN_BASEDOMAIN_H
#define PL_SCAN_BASEDOMAIN_H

#include "util/str.h"

/* Longest DNS name in text form without the trailing dot (RFC 1035). */
#define PL_BASEDOMAIN_HOST_MAX 253

/*
 * Registrable domain of host, as a slice of host (same lifetime). Hosts are expected in
 * lower case, as URL parsing leaves them; other ASCII case is looked up lower-cased and the
 * slice keeps host's own bytes ("WWW.EXAMPLE.COM" -> "EXAMPLE.COM"). One trailing dot is
 * left out of the result. Returned as they are (minus that dot):
 *   - IP literals: anything with ':' or '[', and whatever pl_ip_parse_host() does not call a
 *     name (dotted quads, "127.1", "0x7f000001", numeric out-of-range hosts);
 *   - single labels ("localhost") and the empty host;
 *   - hosts that are themselves public suffixes ("co.uk", "github.io") or that have no
 *     registrable part (".example.com", empty labels at the end).
 * A TLD missing from the list gets the default "*" rule: its last two labels
 * ("a.b.unknowntld" -> "b.unknowntld"). A host longer than PL_BASEDOMAIN_HOST_MAX is looked
 * up by its last labels that fit, so an over-long name still maps to its own base domain.
 * Never fails; NULL host.p gives PL_STR_NULL.
 */
struct pl_str pl_base_domain(struct pl_str host);

/*
 * True when host (case-insensitive, one trailing dot ignored) is exactly a suffix listed in
 * the public-suffix list, ICANN or private section ("com", "co.uk", "github.io",
 * "s3.amazonaws.com"). The implicit "*" rule does not count: "localhost" and unknown TLDs
 * are false, as are IP literals, the empty host and hosts over PL_BASEDOMAIN_HOST_MAX.
 */
bool pl_is_public_suffix(struct pl_str host);

#endif
