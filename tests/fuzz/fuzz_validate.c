/*
 * Fuzz target for scan/validate. The input is given whole to every validator, directly and
 * through pl_validate_by_name(). Besides "no crash", it checks what each "valid" answer
 * promises about the input's shape: a valid card has 15-19 digits and nothing but digits,
 * spaces and dashes; a valid IBAN has 15-34 alphanumerics and answers the same in upper and
 * lower case; a valid ABA number is 9 digits; a valid WIF key is 51 chars starting with '5'
 * or 52 starting with 'K'/'L'. Inputs over PL_VALIDATE_MAX_LEN are always rejected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "fuzz_validate: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

static bool
by_name(const char *name, struct pl_str s)
{
    bool v = false;
    CHECK(pl_validate_by_name(name, s, &v) == 0);
    return v;
}

static void
check_card(const char *s, size_t size)
{
    size_t digits = 0;
    for (size_t i = 0; i < size; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else
            CHECK(s[i] == ' ' || s[i] == '-');
    }
    CHECK(digits >= 15 && digits <= 19);
}

static void
check_iban(const char *s, size_t size)
{
    size_t alnum = 0;
    char up[PL_VALIDATE_MAX_LEN], low[PL_VALIDATE_MAX_LEN];
    CHECK(size <= PL_VALIDATE_MAX_LEN);
    for (size_t i = 0; i < size; i++) {
        char c = s[i];
        bool digit = c >= '0' && c <= '9';
        bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        CHECK(digit || letter || c == ' ' || c == '-');
        alnum += digit || letter;
        low[i] = pl_ascii_lower(c);
        up[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    CHECK(alnum >= 15 && alnum <= 34);
    CHECK(pl_validate_iban(pl_str_from(up, size)));
    CHECK(pl_validate_iban(pl_str_from(low, size)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pl_str in = pl_str_from((const char *)data, size);
    const char *s = in.p;

    bool card = pl_validate_luhn_card(in);
    bool iban = pl_validate_iban(in);
    bool aba = pl_validate_aba(in);
    bool wif = pl_validate_wif(in);

    CHECK(by_name("luhn", in) == card);
    CHECK(by_name("mod97", in) == iban);
    CHECK(by_name("aba", in) == aba);
    CHECK(by_name("wif", in) == wif);
    bool v = !card;
    CHECK(pl_validate_by_name("nope", in, &v) == -EINVAL && v == !card);

    if (size > PL_VALIDATE_MAX_LEN)
        CHECK(!card && !iban && !aba && !wif);
    if (card)
        check_card(s, size);
    if (iban)
        check_iban(s, size);
    if (aba) {
        CHECK(size == 9);
        for (size_t i = 0; i < size; i++)
            CHECK(s[i] >= '0' && s[i] <= '9');
    }
    if (wif) {
        CHECK((size == 51 && s[0] == '5') || (size == 52 && (s[0] == 'K' || s[0] == 'L')));
        for (size_t i = 0; i < size; i++)
            CHECK(strchr("0OIl", s[i]) == NULL && s[i] != '\0');
    }
    /* The kinds are disjoint: no string is both a card and an ABA number, etc. */
    CHECK(!(card && aba));
    CHECK(!(wif && (card || aba)));
    return 0;
}
