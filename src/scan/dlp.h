/*
 * The DLP engine: every pattern of a policy compiled into one vectorscan database, matched
 * over a set of "targets" (views of one input: normalised, URL-decoded, base64-decoded, ...)
 * in a single pass, then confirmed with PCRE2 on the target that matched (exact extent and
 * leftmost-first semantics, as the reference's RE2) and checked by the pattern's validator.
 *
 * Pure: a compiled database is immutable and shared by every thread; each thread scans with
 * its own scratch. Findings name the pattern, the view and the offsets inside that view;
 * they never carry the matched bytes.
 */
#ifndef PL_SCAN_DLP_H
#define PL_SCAN_DLP_H

#include "util/str.h"

enum pl_severity {
    PL_SEV_LOW = 0,
    PL_SEV_MEDIUM,
    PL_SEV_HIGH,
    PL_SEV_CRITICAL,
};

enum pl_validator {
    PL_VALIDATOR_NONE = 0,
    PL_VALIDATOR_LUHN,
    PL_VALIDATOR_MOD97,
    PL_VALIDATOR_ABA,
    PL_VALIDATOR_WIF,
};

/* A built-in pattern (static tables in dlp_builtin.c). */
struct pl_dlp_def {
    const char *name;
    const char *regex; /* matched case-insensitively; (?-i:...) opts out locally */
    enum pl_severity severity;
    enum pl_validator validator;
};

/* The core floor (8 patterns, run first, cannot be disabled) and the 48 standard patterns. */
extern const struct pl_dlp_def pl_dlp_core_defs[];
extern const size_t pl_dlp_core_count;
extern const struct pl_dlp_def pl_dlp_builtin_defs[];
extern const size_t pl_dlp_builtin_count;

/* Upper bound of pl_dlp_builtin_specs() entries. */
#define PL_DLP_BUILTIN_MAX 64

struct pl_dlp_spec;

/*
 * The built-in patterns as compile specs: the core floor, then the standard patterns in
 * reference order without the standard copies of core patterns (they could only repeat a
 * core finding). out must hold PL_DLP_BUILTIN_MAX entries; with_standard false gives the
 * core floor alone. Returns the count; *ret_first_std the index of the first standard one.
 */
size_t pl_dlp_builtin_specs(struct pl_dlp_spec *out, bool with_standard, size_t *ret_first_std);

/* One pattern handed to pl_dlp_compile(); strings are copied. */
struct pl_dlp_spec {
    const char *name;
    const char *regex;
    enum pl_severity severity;
    enum pl_validator validator;
    bool core;                         /* core tier: reported as core_dlp, never exempted */
    bool warn;                         /* a finding is informational (dlp_warn), not a block */
    const char *const *exempt_domains; /* URL scanning only; MatchDomain semantics */
    size_t n_exempt;
};

/* What a literal secret (environment value, secrets-file line, canary) is reported as. */
enum pl_dlp_literal_kind {
    PL_DLP_LIT_ENV = 0, /* "Environment Variable Leak" */
    PL_DLP_LIT_FILE,    /* "Known Secret Leak" */
    PL_DLP_LIT_CANARY,  /* "Canary Token (<name>)" */
};

struct pl_dlp_db;
struct pl_dlp_scratch;

/*
 * Compile specs (and the literal secrets added with pl_dlp_literals_*, see below) into one
 * database. A pattern vectorscan cannot compile is kept as a PCRE2-only pattern (run on every
 * target with match limits); a pattern neither can compile fails the whole compile with
 * -EINVAL and "dlp.patterns: <name>: <error>" in *ret_err (malloc'd). Returns 0 or -EINVAL /
 * -ENOMEM; on failure nothing is allocated.
 */
int pl_dlp_compile(const struct pl_dlp_spec *specs, size_t n, struct pl_dlp_db **ret,
                   char **ret_err);

/* Compile the built-ins alone (what a config without dlp: settings gets, minus secrets). */
int pl_dlp_compile_builtin(struct pl_dlp_db **ret, char **ret_err);

/*
 * The same with literal secrets: each value is searched (case-sensitively for the raw form)
 * in its raw, base64 (std/url, padded/unpadded), hex (plain, with ':' ' ' '-' ',' separators
 * and \x / 0x prefixes, any case) and base32 (padded/unpadded) forms. names[i] is used only
 * for canaries. Values shorter than 8 bytes are ignored.
 */
struct pl_dlp_literal {
    const char *value;
    size_t len;
    enum pl_dlp_literal_kind kind;
    const char *name; /* canary name, else NULL */
};
int pl_dlp_compile_with_literals(const struct pl_dlp_spec *specs, size_t n,
                                 const struct pl_dlp_literal *lits, size_t n_lits,
                                 struct pl_dlp_db **ret, char **ret_err);

void pl_dlp_db_free(struct pl_dlp_db *db);

/*
 * BIP-39 seed-phrase detection in pl_dlp_scan_text() (on by default: 12 words, checksum).
 * Findings name the pseudo-pattern "BIP-39 Seed Phrase" (critical). Call before sharing db.
 */
void pl_dlp_db_set_seed_phrase(struct pl_dlp_db *db, bool enabled, int min_words,
                               bool verify_checksum);

/* Number of patterns (specs plus one pseudo-pattern per literal kind present). */
size_t pl_dlp_db_count(const struct pl_dlp_db *db);
/* Name, severity, tier of pattern id (0 <= id < count). */
const char *pl_dlp_db_name(const struct pl_dlp_db *db, unsigned id);
enum pl_severity pl_dlp_db_severity(const struct pl_dlp_db *db, unsigned id);
bool pl_dlp_db_is_core(const struct pl_dlp_db *db, unsigned id);
bool pl_dlp_db_is_warn(const struct pl_dlp_db *db, unsigned id);
/* Bytes held by the compiled database (vectorscan database plus PCRE2 code). */
size_t pl_dlp_db_bytes(const struct pl_dlp_db *db);
/* Patterns that could not go into the vectorscan database and run on PCRE2 alone. */
size_t pl_dlp_db_pcre_only(const struct pl_dlp_db *db);

/* Per-thread scratch; grows to fit the largest database it has been used with. */
struct pl_dlp_scratch *pl_dlp_scratch_new(void);
void pl_dlp_scratch_free(struct pl_dlp_scratch *s);

/* The view (encoding) a finding was made in; names by pl_dlp_view_name(). */
enum pl_dlp_view {
    PL_VIEW_RAW = 0, /* the (normalised) input itself */
    PL_VIEW_URL,     /* iterative percent-decoding */
    PL_VIEW_DOTLESS, /* all '.' removed */
    PL_VIEW_BASE64,  /* a base64 decoding (any variant) */
    PL_VIEW_HEX,     /* a hex decoding */
    PL_VIEW_BASE32,  /* a base32 decoding */
    PL_VIEW_NOISE,   /* noise-stripped (". / space + , ; |" removed) */
    PL_VIEW_CONCAT,  /* query values concatenated */
    PL_VIEW_SUBSEQ,  /* 2-4 query values concatenated */
    PL_VIEW_PATH,    /* the decoded URL path */
    PL_VIEW_QUERY,   /* the decoded URL query or one of its keys/values */
    PL_VIEW_HOST,    /* host labels joined */
    PL_VIEW__COUNT,
};
const char *pl_dlp_view_name(enum pl_dlp_view v);

/* One view handed to the engine. */
struct pl_dlp_target {
    struct pl_str text;
    uint8_t view; /* enum pl_dlp_view */
};

#define PL_DLP_MAX_FINDINGS 16

struct pl_dlp_finding {
    uint16_t pattern; /* id in the database */
    uint8_t view;     /* enum pl_dlp_view */
    uint16_t target;  /* index into the target array scanned */
    uint32_t off;     /* extent inside that target's text */
    uint32_t len;
};

/*
 * Findings of one scan, ordered as the reference reports them: core-tier findings first,
 * then by target index, then by pattern id. At most one finding per (pattern, target).
 */
struct pl_dlp_result {
    struct pl_dlp_finding f[PL_DLP_MAX_FINDINGS];
    size_t n;
    bool truncated; /* more findings existed than fit */
};

/*
 * Match every pattern of db over the n targets. exempt_host (may be empty) is the URL host
 * for per-pattern exempt_domains (findings of an exempted pattern are dropped); text scans
 * pass PL_STR_NULL. Results are appended to res (callers zero it first), so several scans
 * may accumulate. Returns 0, or a negative errno when the scan could not run (vectorscan
 * error, PCRE2 match limit, out of memory): the caller must then block.
 */
int pl_dlp_scan(const struct pl_dlp_db *db, struct pl_dlp_scratch *s,
                const struct pl_dlp_target *targets, size_t n, struct pl_str exempt_host,
                struct pl_dlp_result *res);

/*
 * View sets: a per-scratch list of targets whose bytes live in the scratch (or are borrowed
 * from the caller for the duration of the scan). Views are bounded: at most
 * PL_DLP_MAX_VIEWS targets and PL_DLP_VIEW_BUDGET(input) bytes; pl_dlp_views_add() returns
 * -E2BIG past either, and the caller must treat the input as unscannable (block).
 */
#define PL_DLP_MAX_VIEWS          4096
#define PL_DLP_VIEW_BUDGET(bytes) ((size_t)(bytes)*16 + (1u << 20))

/* Start a new view set for an input of input_len bytes. */
void pl_dlp_views_reset(struct pl_dlp_scratch *s, size_t input_len);
/*
 * Until the next reset, drop decodings (pl_dlp_views_add_decodings) shorter than the
 * shortest match any pattern of db can have, and do not decode them further: no finding can
 * come from them. NULL keeps every decoding.
 */
void pl_dlp_views_set_min(struct pl_dlp_scratch *s, const struct pl_dlp_db *db);
/*
 * Add text as a view. With normalize, the DLP normalisation is applied first (a copy is made
 * only when it changes something). borrow: text outlives the scan and may be referenced
 * rather than copied. Empty texts are skipped. Returns 0, -E2BIG or -ENOMEM.
 */
int pl_dlp_views_add(struct pl_dlp_scratch *s, struct pl_str text, enum pl_dlp_view view,
                     bool normalize, bool borrow);
/*
 * Add the decodings of text (base64 in the four reference variants, hex, base32 when
 * plausible; percent-decoding when recurse_url) as views, each normalised, then decode those
 * again while depth > 1 (the reference's recursive decode, depth 3 for text DLP). min_len: an
 * input shorter than this is not tried.
 */
int pl_dlp_views_add_decodings(struct pl_dlp_scratch *s, struct pl_str text, int depth,
                               size_t min_len, bool recurse_url);
/* Scan every view added since the reset (see pl_dlp_scan). */
int pl_dlp_views_scan(const struct pl_dlp_db *db, struct pl_dlp_scratch *s,
                      struct pl_str exempt_host, struct pl_dlp_result *res);
/* The bytes of view i of the current set (for callers that derive further views). */
struct pl_str pl_dlp_views_get(const struct pl_dlp_scratch *s, size_t i);
size_t pl_dlp_views_count(const struct pl_dlp_scratch *s);

/*
 * Text DLP (request bodies, header values, command-line text), reference §3.2: the
 * normalised text, its iterative URL decoding, its dot-less form, recursive decodings of the
 * whole text and of every segment (split on "/ ? & = space") of 10 bytes or more, depth 3.
 * Unlike the reference, segments are always decoded (not only when nothing was found yet).
 * Returns 0 with findings in res, or a negative errno (the caller blocks).
 */
int pl_dlp_scan_text(const struct pl_dlp_db *db, struct pl_dlp_scratch *s, struct pl_str text,
                     struct pl_dlp_result *res);

/*
 * Text DLP over several texts at once (the strings of a JSON body, header values): each text
 * as above, then all of them sorted and joined with '\n' (a secret split across fields).
 * Large inputs are scanned in batches, never refused for their size.
 */
int pl_dlp_scan_texts(const struct pl_dlp_db *db, struct pl_dlp_scratch *s,
                      const struct pl_str *texts, size_t n, struct pl_dlp_result *res);

/*
 * Streaming text DLP for bodies that arrive in pieces. The stream is cut into blocks at
 * content-defined points: after an ASCII whitespace byte once the block holds at least
 * PL_DLP_STREAM_BLOCK bytes, or, inside a run without whitespace, every PL_DLP_STREAM_MAX
 * bytes (a multiple of 8, so base64/base32/hex runs stay aligned). Each block is scanned with
 * text DLP together with the last PL_DLP_STREAM_OVERLAP bytes of the previous block, so a
 * secret that straddles a cut is still seen. Cut points depend only on the bytes, never on
 * how they were delivered: any chunking of the same input gives the same findings.
 * Compared with scanning the whole text at once, views that need the whole text (one
 * base64 blob larger than a block that has whitespace in it, fields sorted and joined) are
 * not built; callers that must decide on a whole message hold it and use pl_dlp_scan_text.
 */
#define PL_DLP_STREAM_BLOCK   (16u << 10)
#define PL_DLP_STREAM_MAX     (1u << 20)
#define PL_DLP_STREAM_OVERLAP 512u

struct pl_dlp_stream;

/* Start a stream over db using scratch s (both must outlive the stream). NULL on ENOMEM. */
struct pl_dlp_stream *pl_dlp_stream_new(const struct pl_dlp_db *db, struct pl_dlp_scratch *s);
/* The same with other block sizes (tests and fuzzers exercise the cuts on small inputs);
 * max is rounded down to a multiple of 8 (at least 8). */
struct pl_dlp_stream *pl_dlp_stream_new_sized(const struct pl_dlp_db *db, struct pl_dlp_scratch *s,
                                              size_t block, size_t max, size_t overlap);
void pl_dlp_stream_free(struct pl_dlp_stream *st);
/*
 * Feed the next n bytes; complete blocks are scanned at once and their findings added to
 * res. Returns 0 or a negative errno (the caller blocks: fail closed).
 */
int pl_dlp_stream_feed(struct pl_dlp_stream *st, const char *p, size_t n,
                       struct pl_dlp_result *res);
/* End of stream: scan what is left. Findings offsets of raw views are stream offsets. */
int pl_dlp_stream_finish(struct pl_dlp_stream *st, struct pl_dlp_result *res);

/* The first non-warn finding of res (core first), or NULL. */
const struct pl_dlp_finding *pl_dlp_result_first_block(const struct pl_dlp_db *db,
                                                       const struct pl_dlp_result *res);

/* "low" "medium" "high" "critical"; pl_severity_parse() returns -EINVAL for others. */
const char *pl_severity_name(enum pl_severity s);
int pl_severity_parse(struct pl_str s, enum pl_severity *ret);
/* "" "luhn" "mod97" "aba" "wif". */
int pl_validator_parse(struct pl_str s, enum pl_validator *ret);

#endif
