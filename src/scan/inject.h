/*
 * Prompt-injection patterns for response scanning (detection-facts §8): what comes back to
 * the agent (pages, API responses, tool results) checked for instructions aimed at the model.
 *
 * This header holds the built-in pattern table; the scanner (passes, actions) builds on it.
 */
#ifndef PL_SCAN_INJECT_H
#define PL_SCAN_INJECT_H

#include "util/str.h"

enum pl_inject_category {
    PL_INJECT_INJECTION = 0, /* "Prompt Injection" family (INJ) */
    PL_INJECT_STATE,         /* state / control poisoning (STATE) */
    PL_INJECT_CJK,           /* Chinese, Japanese, Korean instruction overrides (CJK) */
};

/*
 * One built-in pattern. regex is in the syntax PCRE2 and vectorscan share (no
 * backreferences, no lookaround), matched case-insensitively unless case_sensitive, with
 * PCRE2_UTF semantics (CJK literals are UTF-8), multi-line (^ at line starts) and dot
 * matching newlines where the pattern says so with (?s:...).
 */
struct pl_inject_def {
    const char *name;
    const char *regex;
    /*
     * A regex of literal alternatives (e.g. "(?:ignore|disregard|forget|abandon)"), matched
     * with the same case rule as the pattern, that every match of regex contains: the
     * scanner runs regex only on texts where anchor matches. Each alternative is a piece of
     * regex (of every top-level branch), written the same way, so the pattern variants the
     * passes derive (whitespace relaxed, vowels folded) apply to anchor unchanged and keep
     * it necessary. Cheap for vectorscan, unlike the wide "within N" gaps of regex.
     */
    const char *anchor;
    enum pl_inject_category category;
    bool core;           /* core tier: cannot be disabled, scanned first */
    bool case_sensitive; /* matched as written (Instruction Boundary) */
};

/* The 25 built-in patterns, in the reference's order (detection-facts §8.1). */
extern const struct pl_inject_def pl_inject_builtin_defs[];
extern const size_t pl_inject_builtin_count;

#endif
