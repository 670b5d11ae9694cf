/*
 * Extraction of the strings DLP scans from a request body, by Content-Type: every string,
 * key, number and boolean of a JSON document; the keys and values of a form-urlencoded body;
 * the header values, parameter values, raw bodies and transfer-decoded bodies of the parts of
 * a multipart/form-data body; the whole body otherwise (never skipped).
 *
 * Pure: no logging, no globals. Linear in the body length. The only allocation is a working
 * buffer for decoded strings (never larger than the body) and, for JSON nested deeper than
 * 512 levels when the caller allows it, a bit stack of max_depth bits.
 *
 * Fail-closed conditions are errors (-EBADMSG malformed, -E2BIG a limit) with a static reason;
 * the caller blocks the request. Strings are delivered through a callback as they are found,
 * so on an error some strings may already have been delivered: discard the verdict of a body
 * whose extraction failed.
 */
#ifndef PL_SCAN_EXTRACT_H
#define PL_SCAN_EXTRACT_H

#include "util/str.h"

enum pl_body_kind {
    PL_BODY_TEXT = 0,
    PL_BODY_JSON,
    PL_BODY_FORM,
    PL_BODY_MULTIPART,
};

/*
 * Classify a body by its Content-Type value. The media type (the text before the first ';',
 * optional whitespace trimmed) is compared case-insensitively: application/json and any type
 * ending in "+json" -> JSON; application/x-www-form-urlencoded -> FORM; multipart/form-data
 * -> MULTIPART; everything else, including text/..., +xml, application/octet-stream, other
 * multipart types, an empty or missing (PL_STR_NULL) value -> TEXT. Parameters are ignored.
 */
enum pl_body_kind pl_extract_kind(struct pl_str content_type);

#define PL_EXTRACT_DEFAULT_MAX_DEPTH    64u
#define PL_EXTRACT_DEFAULT_MAX_PARTS    100u
#define PL_EXTRACT_DEFAULT_MAX_FILENAME 256u
#define PL_EXTRACT_DEFAULT_MAX_STRINGS  1000000u

/*
 * Limits of one extraction. A field left 0 takes its default, so a caller may set only the
 * fields it cares about ({.max_part_bytes = body_limit}).
 */
struct pl_extract_limits {
    unsigned max_depth;    /* JSON containers open at once, default 64 */
    unsigned max_parts;    /* multipart parts, default 100 */
    size_t max_part_bytes; /* one multipart part's raw body, default unlimited (the body limit) */
    size_t max_filename;   /* bytes of a multipart filename parameter, default 256 */
    size_t max_strings;    /* strings delivered in total, default 1,000,000 */
};

/*
 * Called once per extracted string. s is never empty and is valid only during the call (it
 * may point into the body or into a scratch buffer reused for the next string). Return 0 to
 * continue, or a negative errno to stop the extraction: pl_extract_body() then returns that
 * value unchanged.
 */
typedef int (*pl_extract_cb)(void *arg, struct pl_str s);

/*
 * Deliver every string of body that DLP must scan, according to pl_extract_kind(content_type).
 * Empty strings are never delivered; an empty body delivers nothing and returns 0 whatever the
 * kind (even multipart without a boundary), as the reference treats an empty body as clean.
 *
 * TEXT: the whole body, once.
 *
 * JSON (RFC 8259, strict): the top level may be any value, surrounded by optional whitespace
 * (a body of whitespace only is invalid). Every object key and string value is delivered
 * decoded (escapes resolved, \u escapes written as UTF-8; a valid surrogate pair becomes one
 * 4-byte sequence, a lone surrogate becomes U+FFFD). Bytes >= 0x80 are passed through as they
 * are, valid UTF-8 or not. Numbers are delivered as their exact source text (no float
 * rounding), true and false as "true" and "false"; null is not delivered. Rejected with
 * -EBADMSG "invalid JSON body": trailing commas, single quotes, NaN/Infinity, leading zeros,
 * unterminated values, unescaped control characters (< 0x20) in strings, invalid escapes,
 * anything after the value. More than max_depth open containers: -E2BIG
 * "JSON nested too deeply". The parser is iterative (no recursion).
 *
 * FORM: the body is split on '&'; empty fields are skipped; a field containing ';' is
 * rejected (as Go's url.ParseQuery and the reference do); each field is split on its first '='
 * and key and value are delivered percent-decoded with '+' as space. A malformed escape
 * ("%", "%4", "%zz") is -EBADMSG "unparsable form body".
 *
 * MULTIPART: needs a boundary parameter of 1 to 70 bytes (quoted or token; else -EBADMSG
 * "multipart: missing boundary" / "multipart: invalid boundary"). Preamble and epilogue are
 * ignored. Lines may end in CRLF or bare LF. A delimiter is "--boundary" at the start of the
 * body or after a line break, followed by "--" (the close delimiter, then optional whitespace
 * and a line break or the end of the body) or by optional whitespace and a line break;
 * anything else is part content, as in Go's mime/multipart. For each part, in order:
 *   - each header value (OWS trimmed); for Content-Disposition and Content-Type also each
 *     parameter value (quoted-strings unescaped) after the raw value;
 *   - the raw body;
 *   - for Content-Transfer-Encoding base64 (whitespace skipped, padding optional) or
 *     quoted-printable, the decoded body as well.
 * Rejected with -EBADMSG: no opening or no closing delimiter ("multipart: missing closing
 * boundary"), a header line without ':' or a folded header line, malformed parameters of
 * Content-Disposition or Content-Type, a base64/quoted-printable body that does not decode, a
 * transfer encoding other than 7bit, 8bit, binary, base64 or quoted-printable, a filename (or
 * filename*) parameter over max_filename bytes ("multipart: filename too long"). More than
 * max_parts parts: -E2BIG "multipart: too many parts"; a raw part body over max_part_bytes:
 * -E2BIG "multipart: part too large".
 *
 * Every kind: more than max_strings strings is -E2BIG "too many strings".
 *
 * limits may be NULL for the defaults. ret_reason (may be NULL) receives a static string when
 * the extraction itself fails (-EBADMSG, -E2BIG, -ENOMEM "out of memory"); it is untouched on
 * success and when the callback stopped the extraction.
 * Returns 0 when every string was delivered, or a negative errno.
 */
int pl_extract_body(struct pl_str content_type, struct pl_str body,
                    const struct pl_extract_limits *limits, pl_extract_cb cb, void *arg,
                    const char **ret_reason);

#endif
