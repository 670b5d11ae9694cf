/*
 * Decoders that build the encoded "views" DLP scans: percent (single and iterative), base64
 * (standard and URL-safe, padded or not), base32 (RFC 4648), hex (plain and delimited), the
 * noise-stripped view, and cheap plausibility pre-checks.
 *
 * Pure and allocation-free: every function reads a borrowed slice and writes into a buffer the
 * caller provides. Work is O(input length) and no function ever writes at or past out[cap].
 * Decoded output never exceeds the input length, so cap >= in.len is always enough.
 *
 * Common return convention for the int-returning decoders: the decoded length (>= 0), -EINVAL
 * when the input is not that encoding (or a flag combination is invalid), or -E2BIG when the
 * input is valid but the decoded bytes do not fit in cap. Validity is checked over the whole
 * input before -E2BIG is reported, so -E2BIG always means "a larger buffer would succeed".
 * On any error the bytes of out[0, cap) are unspecified and ret_* out-parameters are untouched.
 * Inputs longer than INT_MAX bytes are -E2BIG (the length would not fit the return value).
 */
#ifndef PL_SCAN_DECODE_H
#define PL_SCAN_DECODE_H

#include "util/str.h"

/*
 * One round of %XX decoding. A well-formed escape (% and two hex digits, either case) becomes
 * its byte; a malformed one ("%", "%4", "%G1") is copied literally and is not an error. With
 * plus_as_space, '+' becomes ' ' (query-string semantics, as Go's QueryUnescape); otherwise it
 * is kept. *ret_changed (may be NULL) is set to whether any escape or '+' was decoded.
 * out may be exactly in.p (in-place decoding: the writer never overtakes the reader); any
 * other overlap is undefined. Returns the decoded length or -E2BIG; never -EINVAL.
 */
int pl_decode_percent(struct pl_str in, char *out, size_t cap, bool plus_as_space,
                      bool *ret_changed);

/*
 * Iterative percent decoding: decode rounds of pl_decode_percent() until a round changes
 * nothing or max_rounds rounds have run, so "%2541" -> "%41" -> "A" takes two rounds.
 * The first round reads in and writes out; later rounds rewrite out in place, so out may be
 * exactly in.p (then in is overwritten) and otherwise must not overlap in. Malformed escapes
 * are kept literally and do not stop the iteration (the reference stops at the first invalid
 * escape; continuing yields a superset of its views). max_rounds <= 0 copies in unchanged.
 * *ret_rounds (may be NULL) receives the number of rounds that changed something
 * (0..max_rounds); if it equals max_rounds the result may still hold escapes.
 * Returns the decoded length or -E2BIG (cap < length after the first round).
 */
int pl_decode_percent_iter(struct pl_str in, char *out, size_t cap, bool plus_as_space,
                           int max_rounds, int *ret_rounds);

/* pl_decode_base64() flags. At least one alphabet must be given. */
enum pl_b64_flag {
    PL_B64_STD = 1 << 0,           /* accept '+' '/' as values 62, 63 */
    PL_B64_URL = 1 << 1,           /* accept '-' '_' as values 62, 63 */
    PL_B64_PAD_REQUIRED = 1 << 2,  /* length must be a multiple of 4 ('=' padded; Go StdEncoding) */
    PL_B64_PAD_FORBIDDEN = 1 << 3, /* any '=' is rejected (Go RawStdEncoding) */
    PL_B64_SKIP_WS = 1 << 4,       /* ignore ' ' '\t' '\r' '\n' anywhere */
    PL_B64_STRICT_BITS = 1 << 5,   /* reject non-zero unused bits in the last quantum */
};

/*
 * Base64 (RFC 4648 sections 4 and 5). With both PL_B64_STD and PL_B64_URL either alphabet is
 * accepted but one input may not mix them ("a+b_" is -EINVAL). Padding: with neither PAD flag,
 * padding is optional, but if present it must be complete (total length a multiple of 4, one
 * '=' after 3 trailing symbols or two after 2). '=' anywhere but the end is rejected. A final
 * quantum of a single symbol (data length % 4 == 1) is rejected. Non-zero unused trailing bits
 * are accepted, as in the reference, unless PL_B64_STRICT_BITS. Whitespace is -EINVAL unless
 * PL_B64_SKIP_WS. The empty input decodes to 0 bytes (unless PAD_REQUIRED: still 0, valid).
 * The reference's four decoders are STD|PAD_REQUIRED, URL|PAD_REQUIRED, STD|PAD_FORBIDDEN and
 * URL|PAD_FORBIDDEN. Returns the decoded length, -EINVAL or -E2BIG.
 */
int pl_decode_base64(struct pl_str in, char *out, size_t cap, unsigned flags);

/* pl_decode_base32() flags. 0 gives the reference semantics: upper-case, padded only. */
enum pl_b32_flag {
    PL_B32_NOPAD_OK = 1 << 0, /* also accept unpadded input (padding still must be correct) */
    PL_B32_ICASE = 1 << 1,    /* also accept lower case; one input may not mix cases */
};

/*
 * Base32, RFC 4648 section 6 alphabet (A-Z 2-7). Padded input must have a length multiple of 8
 * and exactly 6, 4, 3 or 1 '=' after 2, 4, 5 or 7 symbols of the last quantum; other
 * remainders (1, 3, 6) are rejected in every mode. Non-zero unused trailing bits are accepted
 * (as Go's decoder does). Whitespace is rejected. Returns the decoded length, -EINVAL or -E2BIG.
 */
int pl_decode_base32(struct pl_str in, char *out, size_t cap, unsigned flags);

/*
 * Hex. Accepted forms:
 *   plain:      an even number of hex digits, either case ("DeadBEEF");
 *   delimited (only when the input is at least 4 bytes):
 *     groups of an even, non-zero number of hex digits, each optionally preceded by a prefix
 *     "\x" "\X" "0x" "0X", separated by one byte of ": -," optionally followed by one
 *     space (", "). Every group carries the same prefix (or none), and every separator is
 *     byte-identical to the first one: "de:ad:be:ef", "de ad", "de-ad", "de, ad", "\xde\xad",
 *     "0xde 0xad", "0xdeadbeef", "0xde, 0xad". Without a prefix a separator is required. A
 *     prefixed group with no separator is read greedily, so "0xde0xad" is rejected while
 *     "\xde\xad" is fine.
 * Mixed separators ("de:ad-be", "de::ad"), mixed prefixes, prefixes on some groups only,
 * leading or trailing separators and odd groups are -EINVAL. This is stricter than the
 * reference, which deletes every prefix and separator anywhere and then decodes.
 * Returns the decoded length, -EINVAL or -E2BIG.
 */
int pl_decode_hex(struct pl_str in, char *out, size_t cap);

/*
 * Cheap O(n) pre-checks for building views. Each is a necessary condition for the matching
 * decoder to succeed (false means the decoder would fail, or s is shorter than min_len), never
 * a sufficient one. min_len is in bytes (the reference uses 10 for URL path segments and text
 * segments, 16 for response segments).
 *   base64: only base64 symbols of either alphabet, not both alphabets, at most two trailing
 *           '=', symbol count % 4 != 1. Valid for pl_decode_base64() without PL_B64_SKIP_WS.
 *   base32: only A-Z a-z 2-7 and trailing '=', symbol count % 8 not 1, 3 or 6.
 *   hex:    only hex digits and the bytes of the delimited forms ("\\xX:-, "), and at least
 *           two hex digits (or s is empty).
 */
bool pl_decode_plausible_base64(struct pl_str s, size_t min_len);
bool pl_decode_plausible_base32(struct pl_str s, size_t min_len);
bool pl_decode_plausible_hex(struct pl_str s, size_t min_len);

/*
 * The reference's noise-stripped view: in without any of ". / space \t \n \r + , ; |".
 * Writes at most cap bytes and returns the full stripped length (like snprintf, but without a
 * NUL), so a return > cap means the output was truncated. out may be exactly in.p.
 */
size_t pl_decode_strip_noise(struct pl_str in, char *out, size_t cap);

#endif
