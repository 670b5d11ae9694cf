/*
 * Suppression rules (`suppress:` in the config): silence a named finding for matching
 * targets. Matching follows the reference (pipelock-behaviour §4.12): the rule name is
 * compared case-insensitively; the path pattern matches the target (backslashes read as '/',
 * ":80"/":443" default ports dropped) when it is equal to it, is a prefix of it ending in '/',
 * matches it or its last path element as a glob ('*' and '?' within one path element,
 * '[...]' classes), matches it as a '*'-anything glob when the pattern is a URL (has "://"),
 * or is the target's tail after a '/'.
 */
#ifndef PL_SCAN_SUPPRESS_H
#define PL_SCAN_SUPPRESS_H

#include "util/str.h"

struct pl_suppress_rule {
    const char *rule; /* pattern name, e.g. "Credit Card Number" */
    const char *path; /* path or URL pattern */
};

/* True when rule r silences finding `name` for target (a URL or a file path). Pure. */
bool pl_suppress_match(const struct pl_suppress_rule *r, struct pl_str name, struct pl_str target);

/* True when any of the n rules silences it. */
bool pl_suppress_any(const struct pl_suppress_rule *v, size_t n, struct pl_str name,
                     struct pl_str target);

#endif
