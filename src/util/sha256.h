/*
 * SHA-256 (FIPS 180-4), portable C with no dependencies: DLP checksum validators (Base58Check,
 * BIP-39) need it inside the allocation-free scan layer, where pulling in OpenSSL's EVP
 * machinery would mean allocation and error paths for a few dozen bytes of input.
 *
 * Not constant-time with respect to the message length (nothing here depends on secret bytes
 * except through the arithmetic, which is branch-free). Not for bulk hashing: OpenSSL is
 * faster when throughput matters.
 */
#ifndef PL_UTIL_SHA256_H
#define PL_UTIL_SHA256_H

#include "util/common.h"

#define PL_SHA256_LEN   32
#define PL_SHA256_BLOCK 64

/* Incremental state; embed it anywhere, no allocation. Fields are private. */
struct pl_sha256_ctx {
    uint32_t h[8];
    uint64_t total;               /* message bytes hashed so far */
    uint8_t buf[PL_SHA256_BLOCK]; /* pending partial block */
    size_t buf_len;
};

/* Start a new hash in ctx (any previous contents are overwritten). */
void pl_sha256_init(struct pl_sha256_ctx *ctx);

/*
 * Hash len more bytes of data (data may be NULL when len is 0). Any split of a message over
 * calls gives the same digest as hashing it in one call. Messages must stay below 2^61 bytes
 * (the FIPS 180-4 limit of 2^64 bits); nothing checks, as no caller comes near.
 */
void pl_sha256_update(struct pl_sha256_ctx *ctx, const void *data, size_t len);

/*
 * Finish: write the 32-byte digest to out, then wipe ctx (it may have held secret bytes).
 * Call pl_sha256_init() again before reusing ctx.
 */
void pl_sha256_final(struct pl_sha256_ctx *ctx, uint8_t out[PL_SHA256_LEN]);

/* One-shot SHA-256 of data[0, len) into out. data may be NULL when len is 0. */
void pl_sha256(const void *data, size_t len, uint8_t out[PL_SHA256_LEN]);

#endif
