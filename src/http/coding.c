/*
 * Content-coding decoders (see coding.h): zlib for gzip and deflate, libbrotli for br.
 * Output goes through a fixed 16 KiB window to the callback, so memory does not grow with
 * the stream, and the total is checked before every delivery.
 */
#include "http/coding.h"

#include <brotli/decode.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define WINDOW (16u << 10)

struct pl_decoder {
    enum pl_coding coding;
    size_t max_out, total;
    int err; /* sticky */
    bool started, ended;
    bool raw; /* deflate without the zlib wrapper */
    z_stream z;
    bool z_live;
    BrotliDecoderState *br;
    unsigned char hold[2]; /* first bytes of a deflate stream, to tell zlib from raw */
    size_t held;
    char buf[WINDOW];
};

static const struct {
    const char *name;
    enum pl_coding c;
} names[] = {
    {"identity", PL_CODING_IDENTITY}, {"gzip", PL_CODING_GZIP}, {"x-gzip", PL_CODING_GZIP},
    {"deflate", PL_CODING_DEFLATE},   {"br", PL_CODING_BR},
};

int
pl_coding_parse(struct pl_str value, enum pl_coding *ret)
{
    struct pl_str v = pl_str_trim_ows(value);
    if (v.len == 0) {
        *ret = PL_CODING_IDENTITY;
        return 0;
    }
    for (size_t i = 0; i < PL_ARRAY_SIZE(names); i++) {
        if (pl_str_eq_ci_c(v, names[i].name)) {
            *ret = names[i].c;
            return 0;
        }
    }
    return -ENOTSUP;
}

const char *
pl_coding_name(enum pl_coding c)
{
    switch (c) {
    case PL_CODING_GZIP:
        return "gzip";
    case PL_CODING_DEFLATE:
        return "deflate";
    case PL_CODING_BR:
        return "br";
    case PL_CODING_IDENTITY:
        break;
    }
    return "identity";
}

struct pl_decoder *
pl_decoder_new(enum pl_coding c, size_t max_out)
{
    struct pl_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->coding = c;
    d->max_out = max_out;
    if (c == PL_CODING_BR) {
        d->br = BrotliDecoderCreateInstance(NULL, NULL, NULL);
        if (!d->br) {
            free(d);
            return NULL;
        }
    }
    return d;
}

void
pl_decoder_free(struct pl_decoder *d)
{
    if (!d)
        return;
    if (d->z_live)
        inflateEnd(&d->z);
    if (d->br)
        BrotliDecoderDestroyInstance(d->br);
    free(d);
}

size_t
pl_decoder_total(const struct pl_decoder *d)
{
    return d->total;
}

static int
fail(struct pl_decoder *d, int err)
{
    d->err = err;
    return err;
}

/* Deliver n decoded bytes within the limit. */
static int
deliver(struct pl_decoder *d, const char *p, size_t n, pl_decoder_out out, void *ctx)
{
    if (n == 0)
        return 0;
    if (n > d->max_out - d->total)
        return fail(d, -E2BIG);
    d->total += n;
    int r = out(ctx, p, n);
    return r < 0 ? fail(d, r) : 0;
}

static int
z_start(struct pl_decoder *d, int wbits)
{
    if (inflateInit2(&d->z, wbits) != Z_OK)
        return fail(d, -ENOMEM);
    d->z_live = true;
    return 0;
}

static int
z_feed(struct pl_decoder *d, const unsigned char *in, size_t n, pl_decoder_out out, void *ctx)
{
    while (n > 0) {
        if (d->ended) {
            /* gzip: another member may follow; deflate: nothing may. */
            if (d->coding != PL_CODING_GZIP)
                return fail(d, -EBADMSG);
            if (inflateReset(&d->z) != Z_OK)
                return fail(d, -EBADMSG);
            d->ended = false;
        }
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        d->z.next_in = (Bytef *)(uintptr_t)in;
        d->z.avail_in = chunk;
        int zr;
        do {
            d->z.next_out = (Bytef *)d->buf;
            d->z.avail_out = WINDOW;
            zr = inflate(&d->z, Z_NO_FLUSH);
            if (zr == Z_MEM_ERROR)
                return fail(d, -ENOMEM);
            /* What was decoded goes out before a verdict on the rest, so the limit is hit
             * at the same byte however the input was cut. */
            int r = deliver(d, d->buf, WINDOW - d->z.avail_out, out, ctx);
            if (r < 0)
                return r;
            if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
                return fail(d, -EBADMSG);
            if (zr == Z_STREAM_END) {
                d->ended = true;
                break;
            }
        } while (d->z.avail_out == 0 || (zr == Z_OK && d->z.avail_in > 0));
        size_t used = chunk - d->z.avail_in;
        in += used;
        n -= used;
        if (!d->ended && used == 0)
            return fail(d, -EBADMSG); /* no progress */
    }
    return 0;
}

static int
br_feed(struct pl_decoder *d, const unsigned char *in, size_t n, pl_decoder_out out, void *ctx)
{
    if (d->ended)
        return n ? fail(d, -EBADMSG) : 0;
    size_t avail_in = n;
    const uint8_t *next_in = in;
    for (;;) {
        size_t avail_out = WINDOW;
        uint8_t *next_out = (uint8_t *)d->buf;
        BrotliDecoderResult br =
            BrotliDecoderDecompressStream(d->br, &avail_in, &next_in, &avail_out, &next_out, NULL);
        int r = deliver(d, d->buf, WINDOW - avail_out, out, ctx);
        if (r < 0)
            return r;
        if (br == BROTLI_DECODER_RESULT_ERROR)
            return fail(d, -EBADMSG);
        if (br == BROTLI_DECODER_RESULT_SUCCESS) {
            d->ended = true;
            return avail_in ? fail(d, -EBADMSG) : 0;
        }
        if (br == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
            return 0;
        /* NEEDS_MORE_OUTPUT: the window was delivered, go on. */
    }
}

int
pl_decoder_feed(struct pl_decoder *d, const void *in, size_t n, pl_decoder_out out, void *ctx)
{
    if (d->err)
        return d->err;
    const unsigned char *p = in;
    switch (d->coding) {
    case PL_CODING_IDENTITY:
        return deliver(d, (const char *)p, n, out, ctx);
    case PL_CODING_BR:
        return br_feed(d, p, n, out, ctx);
    case PL_CODING_GZIP:
        if (!d->z_live) {
            int r = z_start(d, 16 + MAX_WBITS);
            if (r < 0)
                return r;
        }
        return z_feed(d, p, n, out, ctx);
    case PL_CODING_DEFLATE:
        if (!d->z_live) {
            /* Two bytes decide: a zlib header (CM 8, FCHECK) or raw deflate. */
            while (d->held < 2 && n > 0) {
                d->hold[d->held++] = *p++;
                n--;
            }
            if (d->held < 2)
                return 0;
            unsigned h = (unsigned)d->hold[0] << 8 | d->hold[1];
            d->raw = (d->hold[0] & 0x0f) != 8 || h % 31 != 0;
            int r = z_start(d, d->raw ? -MAX_WBITS : MAX_WBITS);
            if (r < 0)
                return r;
            r = z_feed(d, d->hold, 2, out, ctx);
            if (r < 0)
                return r;
        }
        return z_feed(d, p, n, out, ctx);
    }
    return fail(d, -EBADMSG);
}

int
pl_decoder_finish(struct pl_decoder *d)
{
    if (d->err)
        return d->err;
    switch (d->coding) {
    case PL_CODING_IDENTITY:
        return 0;
    case PL_CODING_BR:
        return d->ended ? 0 : fail(d, -EBADMSG);
    case PL_CODING_GZIP:
    case PL_CODING_DEFLATE:
        if (d->coding == PL_CODING_DEFLATE && !d->z_live && d->held == 0)
            return fail(d, -EBADMSG); /* empty input is no deflate stream */
        if (d->coding == PL_CODING_DEFLATE && !d->z_live)
            return fail(d, -EBADMSG); /* one byte */
        return d->ended ? 0 : fail(d, -EBADMSG);
    }
    return fail(d, -EBADMSG);
}
