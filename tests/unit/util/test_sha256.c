/*
 * Unit tests of util/sha256: the FIPS 180-2 / NIST example vectors, messages whose lengths
 * sit on the padding boundaries (55 bytes fits one block with the length; 56-63 spill the
 * length into a second block; 64 and 65 straddle a full block), and the incremental API
 * split at every point. Expected digests were computed with `openssl dgst -sha256`.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "util/sha256.h"

static void
to_hex(const uint8_t d[PL_SHA256_LEN], char out[2 * PL_SHA256_LEN + 1])
{
    static const char x[] = "0123456789abcdef";
    for (int i = 0; i < PL_SHA256_LEN; i++) {
        out[2 * i] = x[d[i] >> 4];
        out[2 * i + 1] = x[d[i] & 15];
    }
    out[2 * PL_SHA256_LEN] = '\0';
}

static void
expect_digest(const void *msg, size_t len, const char *want, const char *what)
{
    uint8_t d[PL_SHA256_LEN];
    char hex[2 * PL_SHA256_LEN + 1];

    pl_sha256(msg, len, d);
    to_hex(d, hex);
    cr_expect_str_eq(hex, want, "%s (len %zu)", what, len);
}

/* ---- NIST vectors ----------------------------------------------------------------- */

Test(sha256, nist_empty)
{
    expect_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                  "empty");
    expect_digest(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                  "NULL, 0");
}

Test(sha256, nist_abc)
{
    expect_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                  "abc");
}

Test(sha256, nist_448_bits)
{
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    cr_assert_eq(strlen(m), 56);
    expect_digest(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
                  "448-bit");
}

Test(sha256, nist_896_bits)
{
    const char *m =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
        "klmnopqrlmnopqrsmnopqrstnopqrstu";
    cr_assert_eq(strlen(m), 112);
    expect_digest(m, strlen(m), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
                  "896-bit");
}

Test(sha256, nist_million_a)
{
    static char m[1000000];
    memset(m, 'a', sizeof(m));
    expect_digest(m, sizeof(m), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
                  "one-shot");

    /* The same through the incremental API in uneven pieces. */
    struct pl_sha256_ctx ctx;
    uint8_t d[PL_SHA256_LEN];
    char hex[2 * PL_SHA256_LEN + 1];
    pl_sha256_init(&ctx);
    for (size_t off = 0, step = 1; off < sizeof(m); off += step, step = step * 3 % 1021 + 1)
        pl_sha256_update(&ctx, m + off, PL_MIN(step, sizeof(m) - off));
    pl_sha256_final(&ctx, d);
    to_hex(d, hex);
    cr_expect_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* ---- padding boundaries ----------------------------------------------------------- */

struct len_case {
    size_t len;
    const char *want;
};

/* n times 'a' */
static const struct len_case a_cases[] = {
    {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
    {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
    {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
    {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
    {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
};

Test(sha256, block_boundaries)
{
    char m[128];
    memset(m, 'a', sizeof(m));
    for (size_t i = 0; i < PL_ARRAY_SIZE(a_cases); i++)
        expect_digest(m, a_cases[i].len, a_cases[i].want, "'a' x n");
}

/* The first n bytes of 00 01 02 .. ff (every byte value, second block boundaries). */
static const struct len_case seq_cases[] = {
    {119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6"},
    {120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c"},
    {127, "92ca0fa6651ee2f97b884b7246a562fa71250fedefe5ebf270d31c546bfea976"},
    {128, "471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703e56a2be5"},
    {129, "5099c6a56203f9687f7d33f4bfdf576d31dc91f6b695ecea38b2770c87631135"},
    {256, "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880"},
};

Test(sha256, byte_values)
{
    uint8_t m[256];
    for (size_t i = 0; i < sizeof(m); i++)
        m[i] = (uint8_t)i;
    for (size_t i = 0; i < PL_ARRAY_SIZE(seq_cases); i++)
        expect_digest(m, seq_cases[i].len, seq_cases[i].want, "00 01 02 ..");
}

/* ---- incremental API -------------------------------------------------------------- */

Test(sha256, every_split_matches_one_shot)
{
    uint8_t m[200], want[PL_SHA256_LEN], got[PL_SHA256_LEN];
    for (size_t i = 0; i < sizeof(m); i++)
        m[i] = (uint8_t)(i * 7 + 3);

    for (size_t len = 0; len <= sizeof(m); len += 13) {
        pl_sha256(m, len, want);
        for (size_t a = 0; a <= len; a++) {
            for (size_t b = a; b <= len; b += 11) {
                struct pl_sha256_ctx ctx;
                pl_sha256_init(&ctx);
                pl_sha256_update(&ctx, m, a);
                pl_sha256_update(&ctx, m + a, b - a);
                pl_sha256_update(&ctx, m + b, len - b);
                pl_sha256_final(&ctx, got);
                cr_assert(memcmp(got, want, sizeof(want)) == 0, "len %zu split %zu/%zu", len, a, b);
            }
        }
    }
}

Test(sha256, byte_at_a_time)
{
    uint8_t got[PL_SHA256_LEN];
    char hex[2 * PL_SHA256_LEN + 1];
    struct pl_sha256_ctx ctx;

    pl_sha256_init(&ctx);
    for (size_t i = 0; i < 65; i++)
        pl_sha256_update(&ctx, "a", 1);
    pl_sha256_final(&ctx, got);
    to_hex(got, hex);
    cr_expect_str_eq(hex, a_cases[4].want);
}

Test(sha256, final_wipes_and_init_reuses)
{
    uint8_t got[PL_SHA256_LEN];
    char hex[2 * PL_SHA256_LEN + 1];
    struct pl_sha256_ctx ctx, zero;

    memset(&zero, 0, sizeof(zero));
    pl_sha256_init(&ctx);
    pl_sha256_update(&ctx, "secret", 6);
    pl_sha256_final(&ctx, got);
    cr_expect(memcmp(&ctx, &zero, sizeof(ctx)) == 0, "ctx not wiped");

    pl_sha256_init(&ctx);
    pl_sha256_update(&ctx, "abc", 3);
    pl_sha256_final(&ctx, got);
    to_hex(got, hex);
    cr_expect_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
