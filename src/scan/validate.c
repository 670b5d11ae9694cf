/*
 * DLP checksum validators. Everything works on the borrowed input in place with a few bytes
 * of stack; nothing allocates, nothing depends on state outside the call.
 */
#include "scan/validate.h"

#include <string.h>

#include "util/sha256.h"

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_sep(char c)
{
    return c == ' ' || c == '-';
}

/* Upper-case ASCII letter value 0..25 (either case), or -1. */
static int
letter_index(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    return -1;
}

/* ---- payment cards ---------------------------------------------------------------- */

#define CARD_MIN_DIGITS 15
#define CARD_MAX_DIGITS 19

/* Leading n digits of d[] as a number (n <= 4). */
static unsigned
prefix_of(const unsigned char *d, unsigned n)
{
    unsigned v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v * 10 + d[i];
    return v;
}

static bool
issuer_ok(const unsigned char *d, unsigned n)
{
    unsigned p1 = d[0], p2 = prefix_of(d, 2), p3 = prefix_of(d, 3), p4 = prefix_of(d, 4);

    if (p1 == 4) /* Visa */
        return n == 16 || n == 19;
    if (p2 >= 51 && p2 <= 55) /* Mastercard */
        return n == 16;
    if (p4 >= 2221 && p4 <= 2720) /* Mastercard 2-series */
        return n == 16;
    if (p2 == 34 || p2 == 37) /* Amex */
        return n == 15;
    if (p4 >= 3528 && p4 <= 3589) /* JCB */
        return n >= 16 && n <= 19;
    if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65) /* Discover */
        return n == 16 || n == 19;
    return false;
}

static bool
luhn_ok(const unsigned char *d, unsigned n)
{
    unsigned sum = 0;
    /* Double every second digit counting from the rightmost (check) digit. */
    for (unsigned i = 0; i < n; i++) {
        unsigned v = d[n - 1 - i];
        if (i & 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

bool
pl_validate_luhn_card(struct pl_str s)
{
    unsigned char d[CARD_MAX_DIGITS];
    unsigned n = 0;

    if (!s.p || s.len > PL_VALIDATE_MAX_LEN)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (is_sep(c))
            continue;
        if (!is_digit(c) || n == CARD_MAX_DIGITS)
            return false;
        d[n++] = (unsigned char)(c - '0');
    }
    if (n < CARD_MIN_DIGITS)
        return false;
    return issuer_ok(d, n) && luhn_ok(d, n);
}

/* ---- IBAN ------------------------------------------------------------------------- */

#define IBAN_MIN_LEN 15
#define IBAN_MAX_LEN 34
#define CC(a, b)     (((a) - 'A') * 26 + ((b) - 'A'))

/*
 * IBAN length by country code, from the SWIFT IBAN registry (ISO 13616). 0 = not an IBAN
 * country. Territories that use another country's IBAN (e.g. French overseas departments
 * under FR) are not listed separately, as in the registry.
 */
static const uint8_t iban_len[26 * 26] = {
    [CC('A', 'D')] = 24, /* Andorra */
    [CC('A', 'E')] = 23, /* United Arab Emirates */
    [CC('A', 'L')] = 28, /* Albania */
    [CC('A', 'T')] = 20, /* Austria */
    [CC('A', 'Z')] = 28, /* Azerbaijan */
    [CC('B', 'A')] = 20, /* Bosnia and Herzegovina */
    [CC('B', 'E')] = 16, /* Belgium */
    [CC('B', 'G')] = 22, /* Bulgaria */
    [CC('B', 'H')] = 22, /* Bahrain */
    [CC('B', 'I')] = 27, /* Burundi */
    [CC('B', 'R')] = 29, /* Brazil */
    [CC('B', 'Y')] = 28, /* Belarus */
    [CC('C', 'H')] = 21, /* Switzerland */
    [CC('C', 'R')] = 22, /* Costa Rica */
    [CC('C', 'Y')] = 28, /* Cyprus */
    [CC('C', 'Z')] = 24, /* Czechia */
    [CC('D', 'E')] = 22, /* Germany */
    [CC('D', 'J')] = 27, /* Djibouti */
    [CC('D', 'K')] = 18, /* Denmark */
    [CC('D', 'O')] = 28, /* Dominican Republic */
    [CC('E', 'E')] = 20, /* Estonia */
    [CC('E', 'G')] = 29, /* Egypt */
    [CC('E', 'S')] = 24, /* Spain */
    [CC('F', 'I')] = 18, /* Finland */
    [CC('F', 'K')] = 18, /* Falkland Islands */
    [CC('F', 'O')] = 18, /* Faroe Islands */
    [CC('F', 'R')] = 27, /* France */
    [CC('G', 'B')] = 22, /* United Kingdom */
    [CC('G', 'E')] = 22, /* Georgia */
    [CC('G', 'I')] = 23, /* Gibraltar */
    [CC('G', 'L')] = 18, /* Greenland */
    [CC('G', 'R')] = 27, /* Greece */
    [CC('G', 'T')] = 28, /* Guatemala */
    [CC('H', 'R')] = 21, /* Croatia */
    [CC('H', 'U')] = 28, /* Hungary */
    [CC('I', 'E')] = 22, /* Ireland */
    [CC('I', 'L')] = 23, /* Israel */
    [CC('I', 'Q')] = 23, /* Iraq */
    [CC('I', 'S')] = 26, /* Iceland */
    [CC('I', 'T')] = 27, /* Italy */
    [CC('J', 'O')] = 30, /* Jordan */
    [CC('K', 'W')] = 30, /* Kuwait */
    [CC('K', 'Z')] = 20, /* Kazakhstan */
    [CC('L', 'B')] = 28, /* Lebanon */
    [CC('L', 'C')] = 32, /* Saint Lucia */
    [CC('L', 'I')] = 21, /* Liechtenstein */
    [CC('L', 'T')] = 20, /* Lithuania */
    [CC('L', 'U')] = 20, /* Luxembourg */
    [CC('L', 'V')] = 21, /* Latvia */
    [CC('L', 'Y')] = 25, /* Libya */
    [CC('M', 'C')] = 27, /* Monaco */
    [CC('M', 'D')] = 24, /* Moldova */
    [CC('M', 'E')] = 22, /* Montenegro */
    [CC('M', 'K')] = 19, /* North Macedonia */
    [CC('M', 'N')] = 20, /* Mongolia */
    [CC('M', 'R')] = 27, /* Mauritania */
    [CC('M', 'T')] = 31, /* Malta */
    [CC('M', 'U')] = 30, /* Mauritius */
    [CC('N', 'I')] = 28, /* Nicaragua */
    [CC('N', 'L')] = 18, /* Netherlands */
    [CC('N', 'O')] = 15, /* Norway */
    [CC('O', 'M')] = 23, /* Oman */
    [CC('P', 'K')] = 24, /* Pakistan */
    [CC('P', 'L')] = 28, /* Poland */
    [CC('P', 'S')] = 29, /* Palestine */
    [CC('P', 'T')] = 25, /* Portugal */
    [CC('Q', 'A')] = 29, /* Qatar */
    [CC('R', 'O')] = 24, /* Romania */
    [CC('R', 'S')] = 22, /* Serbia */
    [CC('R', 'U')] = 33, /* Russia */
    [CC('S', 'A')] = 24, /* Saudi Arabia */
    [CC('S', 'C')] = 31, /* Seychelles */
    [CC('S', 'D')] = 18, /* Sudan */
    [CC('S', 'E')] = 24, /* Sweden */
    [CC('S', 'I')] = 19, /* Slovenia */
    [CC('S', 'K')] = 24, /* Slovakia */
    [CC('S', 'M')] = 27, /* San Marino */
    [CC('S', 'O')] = 23, /* Somalia */
    [CC('S', 'T')] = 25, /* Sao Tome and Principe */
    [CC('S', 'V')] = 28, /* El Salvador */
    [CC('T', 'L')] = 23, /* Timor-Leste */
    [CC('T', 'N')] = 24, /* Tunisia */
    [CC('T', 'R')] = 26, /* Turkey */
    [CC('U', 'A')] = 29, /* Ukraine */
    [CC('V', 'A')] = 22, /* Vatican City */
    [CC('V', 'G')] = 24, /* British Virgin Islands */
    [CC('X', 'K')] = 20, /* Kosovo */
    [CC('Y', 'E')] = 30, /* Yemen */
};

/* Value of an IBAN character (0-9 digits, A=10 .. Z=35, either case), or -1. */
static int
iban_value(char c)
{
    if (is_digit(c))
        return c - '0';
    int l = letter_index(c);
    return l < 0 ? -1 : l + 10;
}

/* Fold one IBAN character value into a running mod-97 remainder. */
static unsigned
mod97_step(unsigned r, int v)
{
    return (r * (v < 10 ? 10u : 100u) + (unsigned)v) % 97u;
}

bool
pl_validate_iban(struct pl_str s)
{
    char c[IBAN_MAX_LEN];
    size_t n = 0;

    if (!s.p || s.len > PL_VALIDATE_MAX_LEN)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (is_sep(s.p[i]))
            continue;
        if (iban_value(s.p[i]) < 0 || n == IBAN_MAX_LEN)
            return false;
        c[n++] = s.p[i];
    }
    if (n < IBAN_MIN_LEN)
        return false;

    int a = letter_index(c[0]), b = letter_index(c[1]);
    if (a < 0 || b < 0 || !is_digit(c[2]) || !is_digit(c[3]))
        return false;
    if (iban_len[a * 26 + b] != n)
        return false;
    unsigned check = (unsigned)(c[2] - '0') * 10 + (unsigned)(c[3] - '0');
    if (check < 2 || check > 98)
        return false;

    /* BBAN first, then country code and check digits, as ISO 7064 MOD 97-10 wants. */
    unsigned r = 0;
    for (size_t i = 4; i < n + 4; i++)
        r = mod97_step(r, iban_value(c[i % n]));
    return r == 1;
}

/* ---- ABA routing numbers ---------------------------------------------------------- */

bool
pl_validate_aba(struct pl_str s)
{
    static const unsigned w[9] = {3, 7, 1, 3, 7, 1, 3, 7, 1};
    unsigned sum = 0;

    if (!s.p || s.len != 9)
        return false;
    for (size_t i = 0; i < 9; i++) {
        if (!is_digit(s.p[i]))
            return false;
        sum += w[i] * (unsigned)(s.p[i] - '0');
    }
    unsigned p = (unsigned)(s.p[0] - '0') * 10 + (unsigned)(s.p[1] - '0');
    if (!(p <= 12 || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80))
        return false;
    return sum % 10 == 0;
}

/* ---- Bitcoin WIF ------------------------------------------------------------------ */

/* Value of a Base58 (Bitcoin alphabet) character, or -1. */
static int
base58_value(char c)
{
    static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    if (c == '\0')
        return -1;
    const char *p = memchr(alphabet, c, sizeof(alphabet) - 1);
    return p ? (int)(p - alphabet) : -1;
}

/* Decoded Base58 of PL_VALIDATE_MAX_LEN chars fits: 58^64 < 2^375 < 256^47. */
#define B58_BUF 48

#define WIF_VERSION      0x80
#define WIF_KEY_LEN      32
#define WIF_CHECKSUM_LEN 4

bool
pl_validate_wif(struct pl_str s)
{
    uint8_t buf[B58_BUF] = {0};
    uint8_t h1[PL_SHA256_LEN], h2[PL_SHA256_LEN];
    bool ok = false;

    if (!s.p || s.len == 0 || s.len > PL_VALIDATE_MAX_LEN)
        return false;
    /* A leading '1' encodes a leading zero byte, which can never be the 0x80 version. */
    if (s.p[0] == '1')
        return false;
    for (size_t i = 0; i < s.len; i++) {
        int v = base58_value(s.p[i]);
        if (v < 0)
            return false;
        unsigned carry = (unsigned)v;
        for (size_t j = B58_BUF; j-- > 0;) {
            carry += (unsigned)buf[j] * 58u;
            buf[j] = (uint8_t)carry;
            carry >>= 8;
        }
        PL_BUG_ON(carry != 0); /* impossible within PL_VALIDATE_MAX_LEN */
    }
    size_t first = 0;
    while (first < B58_BUF && buf[first] == 0)
        first++;
    const uint8_t *dec = buf + first;
    size_t n = B58_BUF - first;

    /* version + key [+ 0x01] + checksum */
    if (n == 1 + WIF_KEY_LEN + WIF_CHECKSUM_LEN) {
        /* uncompressed */
    } else if (n == 1 + WIF_KEY_LEN + 1 + WIF_CHECKSUM_LEN) {
        if (dec[1 + WIF_KEY_LEN] != 0x01)
            goto out;
    } else {
        goto out;
    }
    if (dec[0] != WIF_VERSION)
        goto out;
    size_t payload = n - WIF_CHECKSUM_LEN;
    pl_sha256(dec, payload, h1);
    pl_sha256(h1, sizeof(h1), h2);
    ok = memcmp(h2, dec + payload, WIF_CHECKSUM_LEN) == 0;
out:
    /* The decoded key is a secret; do not leave it on the stack. */
    explicit_bzero(buf, sizeof(buf));
    explicit_bzero(h1, sizeof(h1));
    explicit_bzero(h2, sizeof(h2));
    return ok;
}

/* ---- dispatch by config name ------------------------------------------------------ */

struct validator {
    const char *name;
    bool (*fn)(struct pl_str s);
};

static const struct validator validators[] = {
    {"luhn", pl_validate_luhn_card},
    {"mod97", pl_validate_iban},
    {"aba", pl_validate_aba},
    {"wif", pl_validate_wif},
};

static const struct validator *
find_validator(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < PL_ARRAY_SIZE(validators); i++)
        if (strcmp(validators[i].name, name) == 0)
            return &validators[i];
    return NULL;
}

int
pl_validate_by_name(const char *name, struct pl_str s, bool *ret_valid)
{
    const struct validator *v = find_validator(name);
    if (!v)
        return -EINVAL;
    *ret_valid = v->fn(s);
    return 0;
}

bool
pl_validate_name_is_known(const char *name)
{
    return find_validator(name) != NULL;
}
