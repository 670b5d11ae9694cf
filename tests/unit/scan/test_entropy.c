#include <criterion/criterion.h>
#include <math.h>

#include "scan/entropy.h"

static double
H(const char *s, size_t *chars)
{
    return pl_entropy(pl_str_c(s), chars);
}

Test(entropy, empty_and_single_symbol_are_zero)
{
    size_t n = 99;
    cr_assert_float_eq(H("", &n), 0.0, 1e-12);
    cr_assert_eq(n, 0);
    cr_assert_float_eq(H("aaaaaaaa", &n), 0.0, 1e-12);
    cr_assert_eq(n, 8);
}

Test(entropy, uniform_alphabets_give_log2_of_the_alphabet)
{
    cr_assert_float_eq(H("ab", NULL), 1.0, 1e-12);
    cr_assert_float_eq(H("abcd", NULL), 2.0, 1e-12);
    cr_assert_float_eq(H("0123456789abcdef", NULL), 4.0, 1e-12);
    cr_assert_float_eq(H("0123456789abcdef0123456789abcdef", NULL), 4.0, 1e-12);
}

Test(entropy, known_mixed_distribution)
{
    /* p = {1/2, 1/4, 1/4} → 1.5 bits */
    cr_assert_float_eq(H("aabc", NULL), 1.5, 1e-12);
}

Test(entropy, facts_from_the_reference_hold)
{
    /* Hex can never exceed 4.0 bits; a git SHA stays below the 4.5 path threshold. */
    cr_assert(H("3f786850e387550fdab836ed7e6dc881de23001b", NULL) <= 4.0);
    /* A UUID stays below 4.5 as well. */
    cr_assert(H("123e4567-e89b-12d3-a456-426614174000", NULL) < 4.5);
    /* base64 of 32 random bytes normally exceeds 4.5. */
    cr_assert(H("q3V9zL0xYp8Kc2TgWm4NbR7sJdFh1uEoXiAaPyQlGkM=", NULL) > 4.5);
    /* 20 distinct characters top out at log2(20) ≈ 4.32. */
    cr_assert_float_eq(H("abcdefghijklmnopqrst", NULL), log2(20.0), 1e-12);
}

Test(entropy, counts_code_points_not_bytes)
{
    size_t n;
    /* "ééé" is 6 bytes but 3 identical code points: zero entropy. */
    cr_assert_float_eq(H("\xc3\xa9\xc3\xa9\xc3\xa9", &n), 0.0, 1e-12);
    cr_assert_eq(n, 3);
    /* "aé" two distinct code points → 1 bit. */
    cr_assert_float_eq(H("a\xc3\xa9", &n), 1.0, 1e-12);
    cr_assert_eq(n, 2);
}

Test(entropy, invalid_bytes_are_distinct_symbols)
{
    size_t n;
    /* Two different invalid bytes must not collapse into one symbol. */
    cr_assert_float_eq(H("\xff\xfe", &n), 1.0, 1e-12);
    cr_assert_eq(n, 2);
    /* A truncated sequence counts each byte. */
    cr_assert_float_eq(H("\xe2\x82", &n), 1.0, 1e-12);
}

Test(entropy, long_input_is_bounded)
{
    static char big[PL_ENTROPY_MAX_LEN * 2];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    size_t n;
    double h = pl_entropy(pl_str_from(big, sizeof(big)), &n);
    cr_assert_eq(n, PL_ENTROPY_MAX_LEN);
    cr_assert_float_eq(h, log2(26.0), 1e-3);
}
