/*
 * Content codings (RFC 9110 §8.4): decoding gzip, deflate and br bodies so that what the
 * agent receives can be scanned. Streaming, bounded: a decoder never produces more than its
 * output limit (a decompression bomb is an error, not an allocation), and never accepts a
 * stream that is corrupt or cut short.
 *
 * Pure: no I/O, no globals.
 */
#ifndef PL_HTTP_CODING_H
#define PL_HTTP_CODING_H

#include "util/str.h"

enum pl_coding {
    PL_CODING_IDENTITY = 0,
    PL_CODING_GZIP,    /* "gzip", "x-gzip"; concatenated members are one stream */
    PL_CODING_DEFLATE, /* "deflate": zlib-wrapped (RFC 1950), or raw (RFC 1951) as some send */
    PL_CODING_BR,      /* "br" (RFC 7932) */
};

/*
 * The coding of a Content-Encoding field value: one coding name, any case, optional
 * whitespace around it; "identity" and the empty value are PL_CODING_IDENTITY. Returns 0, or
 * -ENOTSUP for anything else (an unknown coding, or several codings stacked: "gzip, br"),
 * which callers must refuse rather than pass unscanned.
 */
int pl_coding_parse(struct pl_str value, enum pl_coding *ret);

/* "identity" "gzip" "deflate" "br". */
const char *pl_coding_name(enum pl_coding c);

struct pl_decoder;

/* Output callback: n decoded bytes at p. A negative return stops decoding with that value. */
typedef int (*pl_decoder_out)(void *ctx, const char *p, size_t n);

/*
 * A decoder for coding c producing at most max_out bytes in total. NULL on ENOMEM. For
 * PL_CODING_IDENTITY the input is passed through (still bounded).
 */
struct pl_decoder *pl_decoder_new(enum pl_coding c, size_t max_out);

/*
 * Feed n bytes of the coded stream; decoded bytes go to out as they are produced. Returns 0;
 * -EBADMSG when the input is not a valid stream of the coding (also: bytes after the end of
 * a deflate or br stream); -E2BIG when the output would exceed max_out; -ENOMEM; or the
 * callback's negative value. After an error the decoder only returns that error.
 */
int pl_decoder_feed(struct pl_decoder *d, const void *in, size_t n, pl_decoder_out out, void *ctx);

/* End of input: 0 when the stream was complete, -EBADMSG when it was cut short. */
int pl_decoder_finish(struct pl_decoder *d);

/* Total decoded bytes so far. */
size_t pl_decoder_total(const struct pl_decoder *d);

void pl_decoder_free(struct pl_decoder *d);

#endif
