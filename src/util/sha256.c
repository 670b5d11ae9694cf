/*
 * SHA-256 per FIPS 180-4 section 6.2: big-endian words, 64 rounds per 64-byte block, the
 * message padded with 0x80, zeros and the 64-bit bit length.
 */
#include "util/sha256.h"

#include <string.h>

/* First 32 bits of the fractional parts of the cube roots of the first 64 primes (4.2.2). */
static const uint32_t k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
ror32(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t
load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Fold one 64-byte block into h (6.2.2). */
static void
compress(uint32_t h[8], const uint8_t *blk)
{
    uint32_t w[64];

    for (int i = 0; i < 16; i++)
        w[i] = load_be32(blk + 4 * i);
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 =
            hh + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
        uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void
pl_sha256_init(struct pl_sha256_ctx *ctx)
{
    /* First 32 bits of the fractional parts of the square roots of the first 8 primes. */
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

    memcpy(ctx->h, h0, sizeof(h0));
    ctx->total = 0;
    ctx->buf_len = 0;
}

void
pl_sha256_update(struct pl_sha256_ctx *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;

    if (len == 0)
        return;
    ctx->total += len;
    if (ctx->buf_len > 0) {
        size_t take = PL_MIN(len, PL_SHA256_BLOCK - ctx->buf_len);
        memcpy(ctx->buf + ctx->buf_len, p, take);
        ctx->buf_len += take;
        p += take;
        len -= take;
        if (ctx->buf_len < PL_SHA256_BLOCK)
            return;
        compress(ctx->h, ctx->buf);
        ctx->buf_len = 0;
    }
    for (; len >= PL_SHA256_BLOCK; p += PL_SHA256_BLOCK, len -= PL_SHA256_BLOCK)
        compress(ctx->h, p);
    if (len > 0) {
        memcpy(ctx->buf, p, len);
        ctx->buf_len = len;
    }
}

void
pl_sha256_final(struct pl_sha256_ctx *ctx, uint8_t out[PL_SHA256_LEN])
{
    uint64_t bits = ctx->total * 8;
    size_t n = ctx->buf_len;

    /* 0x80, then zeros up to 56 mod 64 (spilling into a second block when n >= 56). */
    ctx->buf[n++] = 0x80;
    if (n > PL_SHA256_BLOCK - 8) {
        memset(ctx->buf + n, 0, PL_SHA256_BLOCK - n);
        compress(ctx->h, ctx->buf);
        n = 0;
    }
    memset(ctx->buf + n, 0, PL_SHA256_BLOCK - 8 - n);
    store_be32(ctx->buf + 56, (uint32_t)(bits >> 32));
    store_be32(ctx->buf + 60, (uint32_t)bits);
    compress(ctx->h, ctx->buf);
    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, ctx->h[i]);
    explicit_bzero(ctx, sizeof(*ctx));
}

void
pl_sha256(const void *data, size_t len, uint8_t out[PL_SHA256_LEN])
{
    struct pl_sha256_ctx ctx;

    pl_sha256_init(&ctx);
    pl_sha256_update(&ctx, data, len);
    pl_sha256_final(&ctx, out);
}
