/*
 * Prompt-injection scanning of what comes back to the agent (pages, API responses, SSE
 * events, tool results): instructions aimed at the model (detection-facts §8).
 *
 * A database (pl_inject_db) is compiled once per policy from the built-in table below and the
 * user's patterns, and is immutable and shared by every thread. Each thread scans with its
 * own scratch (pl_inject_scratch). One scan of a text blob runs the reference's six passes:
 *   1 PRIMARY  MATCHING-normalised text
 *   2 SPACED   invisibles replaced by spaces instead of deleted (only when there are any)
 *   3 LEET     the pass-1 text with the leetspeak fold
 *   4 NOSPACE  the pass-1 text against variants whose "\s+" and separator runs are optional
 *   5 VOWEL    the vowel-folded pass-1 text against vowel-folded variants
 *   6 DECODED  base64 / hex payloads (the whole text, and each encoded run), recursively
 * Core patterns go through all passes first; only when none matches do the standard ones.
 * The first pass with a match ends the scan and gives the result.
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

struct pl_buf;

/*
 * The form of an anchor that vectorscan runs on whitespace-collapsed text
 * (pl_norm_collapse_ws()), appended to out: every whitespace gap spelt " ?". Returns 0,
 * -ENOTSUP when the anchor has a construct the rewrite cannot keep necessary, -ENOMEM.
 * Exposed for the tests, which check on random texts that it stays necessary.
 */
int pl_inject_collapse_anchor(const char *anchor, struct pl_buf *out);

/* A user pattern (response_scanning.patterns[]): matched as written (no implied (?i)). */
struct pl_inject_user {
    const char *name;
    const char *regex;
};

struct pl_inject_options {
    /* response_scanning.enabled: false leaves only the core patterns (the safety floor). */
    bool enabled;
    /* response_scanning.include_defaults: the standard built-ins (core ones always stay). */
    bool include_defaults;
    /* User patterns, merged by name: one named like a built-in replaces it (a core one too,
     * keeping its core rank); the rest are appended as standard patterns. */
    const struct pl_inject_user *user;
    size_t n_user;
};

struct pl_inject_db;
struct pl_inject_scratch;

/*
 * Compile. Returns 0, -EINVAL for a user pattern that does not compile (err says which and
 * why; nothing is built), -ENOMEM. err may be NULL.
 */
int pl_inject_compile(const struct pl_inject_options *o, struct pl_inject_db **out, char *err,
                      size_t errlen);
void pl_inject_free(struct pl_inject_db *db);
size_t pl_inject_count(const struct pl_inject_db *db);
const char *pl_inject_name(const struct pl_inject_db *db, size_t i);
bool pl_inject_is_core(const struct pl_inject_db *db, size_t i);

/* Per-thread work space, usable with any database. NULL on allocation failure. */
struct pl_inject_scratch *pl_inject_scratch_new(void);
void pl_inject_scratch_free(struct pl_inject_scratch *s);

enum pl_inject_pass {
    PL_INJECT_PASS_PRIMARY = 1,
    PL_INJECT_PASS_SPACED,
    PL_INJECT_PASS_LEET,
    PL_INJECT_PASS_NOSPACE,
    PL_INJECT_PASS_VOWEL,
    PL_INJECT_PASS_DECODED,
};
const char *pl_inject_pass_name(enum pl_inject_pass p); /* "primary", "spaced", ... */

#define PL_INJECT_MAX_MATCHES 32

struct pl_inject_match {
    uint16_t pattern; /* index in the database */
    uint8_t pass;     /* enum pl_inject_pass */
    uint8_t depth;    /* decoding depth for PL_INJECT_PASS_DECODED (1-5), else 0 */
    /* Span in the pass-1 (normalised) text for passes PRIMARY, LEET, NOSPACE and VOWEL (the
     * folds keep lengths); in the pass's own text for SPACED and DECODED. */
    size_t start, end;
};

struct pl_inject_result {
    size_t n;                 /* matches found (at most PL_INJECT_MAX_MATCHES kept) */
    bool truncated;           /* more matches than kept */
    bool core;                /* the matches come from the core tier */
    enum pl_inject_pass pass; /* the pass that matched (0 when clean) */
    struct pl_inject_match m[PL_INJECT_MAX_MATCHES];
};

/*
 * Scan one text blob (any bytes; invalid UTF-8 is carried through). Fills *res (res->n == 0:
 * clean). Every pattern's every match in the winning pass is listed, in text order per
 * pattern. Returns 0; or, when the text could not be scanned completely (the caller must fail
 * closed): -E2BIG (more than 4096 printable encoded payloads, or decoded payloads over 4x the
 * input and 256 KiB), -ERANGE (a PCRE2 match limit: a user pattern that backtracks too much),
 * -ENOMEM, -EIO. User patterns are compiled as written (no multi-line mode) and go through
 * the same passes as the built-ins.
 */
int pl_inject_scan(const struct pl_inject_db *db, struct pl_inject_scratch *s, struct pl_str text,
                   struct pl_inject_result *res);

/*
 * The strip action: the pass-1 text of the last pl_inject_scan() on s with every match span
 * replaced by "[REDACTED: <pattern name>]" (the reference's transformed content; for text
 * that normalisation leaves alone this is the original with the spans replaced). Returns 0
 * and a malloc'd string in *out (NUL-terminated, length in *out_len), -ENOENT when the result
 * cannot be stripped (a match from the SPACED or DECODED pass, or a truncated match list: the
 * caller must block instead), -ENOMEM.
 */
int pl_inject_strip(const struct pl_inject_db *db, struct pl_inject_scratch *s,
                    const struct pl_inject_result *res, char **out, size_t *out_len);

/* "Prompt Injection, Credential Solicitation": distinct pattern names of res in first-match
 * order, joined by ", ", into buf (truncated with "..." if needed). Returns buf. */
const char *pl_inject_names(const struct pl_inject_db *db, const struct pl_inject_result *res,
                            char *buf, size_t size);

#endif
