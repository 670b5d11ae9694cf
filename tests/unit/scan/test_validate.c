/*
 * Unit tests of scan/validate: card Luhn + issuer, IBAN mod-97 + country length, ABA routing
 * checksum + Federal Reserve prefix, Bitcoin WIF Base58Check, and dispatch by config name.
 * Vectors are published examples (issuer test cards, SWIFT IBAN registry examples, Bitcoin
 * wiki WIF example) or were derived from a known private key with an independent Base58Check
 * implementation; every "bad" vector differs from a good one in exactly the property tested.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "scan/validate.h"

struct vcase {
    const char *in;
    bool want;
};

typedef bool (*validator_fn)(struct pl_str s);

static void
run_table(const char *what, validator_fn fn, const struct vcase *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool got = fn(pl_str_c(v[i].in));
        cr_expect(got == v[i].want, "%s(\"%s\") = %d, want %d", what, v[i].in, got, v[i].want);
    }
}

/* ---- cards ------------------------------------------------------------------------ */

static const struct vcase card_cases[] = {
    /* published test numbers, every issuer rule */
    {"4111111111111111", true},    /* Visa */
    {"4012888888881881", true},    /* Visa */
    {"4000000000000000006", true}, /* Visa, 19 digits */
    {"5555555555554444", true},    /* Mastercard */
    {"5105105105105100", true},    /* Mastercard */
    {"5100000000000008", true},    /* Mastercard, 51 edge */
    {"5500000000000004", true},    /* Mastercard, 55 edge */
    {"2223003122003222", true},    /* Mastercard 2-series */
    {"2221000000000009", true},    /* 2-series low edge */
    {"2720000000000005", true},    /* 2-series high edge */
    {"378282246310005", true},     /* Amex */
    {"371449635398431", true},     /* Amex */
    {"378734493671000", true},     /* Amex corporate */
    {"340000000000009", true},     /* Amex 34 */
    {"6011111111111117", true},    /* Discover */
    {"6011000990139424", true},    /* Discover */
    {"6011000000000000001", true}, /* Discover 19 */
    {"6445644564456445", true},    /* Discover 644 */
    {"6440000000000005", true},    /* Discover 644 edge */
    {"6490000000000000007", true}, /* Discover 649, 19 */
    {"6500000000000002", true},    /* Discover 65 */
    {"6500000000000000003", true}, /* Discover 65, 19 */
    {"3530111333300000", true},    /* JCB */
    {"3566002020360505", true},    /* JCB */
    {"3566111111111113", true},    /* JCB */
    {"3528000000000007", true},    /* JCB low edge */
    {"35890000000000009", true},   /* JCB 17 */
    {"358900000000000003", true},  /* JCB 18 */
    {"3589000000000000009", true}, /* JCB high edge, 19 */
    /* separators: spaces and dashes anywhere */
    {"4111 1111 1111 1111", true},
    {"4111-1111-1111-1111", true},
    {"3782 822463 10005", true},
    {"5555-5555 5555-4444", true},
    {"6011 1111 1111 1117", true},
    {"3530-1113-3330-0000", true},
    {"2223 0031 2200 3222", true},
    {" 4111111111111111 ", true},
    {"4--111  111111111111", true},
    /* Luhn fails: last digit changed */
    {"4111111111111112", false},
    {"5555555555554445", false},
    {"378282246310006", false},
    {"6011111111111118", false},
    {"3530111333300001", false},
    {"2223003122003223", false},
    {"4111 1111 1111 1110", false},
    /* Luhn fails: one middle digit changed */
    {"4111111121111111", false},
    /* right Luhn, wrong length for the issuer */
    {"400000000000006", false},     /* Visa 15 */
    {"40000000000000006", false},   /* Visa 17 */
    {"400000000000000002", false},  /* Visa 18 */
    {"3700000000000007", false},    /* Amex 16 */
    {"3400000000000000", false},    /* Amex 16 */
    {"5500000000000000004", false}, /* Mastercard 19 */
    {"60110000000000001", false},   /* Discover 17 */
    {"4222222222222", false},       /* Visa 13: under 15 digits */
    /* right Luhn, not one of the listed issuers */
    {"2220000000000000", false},     /* below 2-series */
    {"2721000000000004", false},     /* above 2-series */
    {"2200000000000004", false},     /* 22 alone */
    {"5000000000000009", false},     /* 50 */
    {"5600000000000003", false},     /* 56 */
    {"3527000000000008", false},     /* below JCB */
    {"3590000000000000", false},     /* above JCB */
    {"6430000000000007", false},     /* 643 */
    {"6000000000000007", false},     /* 60 */
    {"6200000000000005", false},     /* UnionPay */
    {"6759649826438453", false},     /* Maestro */
    {"1000000000000008", false},     /* 1 */
    {"500000000000005", false},      /* 5, 15 digits */
    {"30569309025904", false},       /* Diners, 14 digits */
    {"38520000023237", false},       /* Diners, 14 digits */
    {"40000000000000000000", false}, /* 20 digits */
    /* other bytes */
    {"4111.1111.1111.1111", false},
    {"4111_1111_1111_1111", false},
    {"4111\t1111111111111111", false},
    {"411111111111111x", false},
    {"", false},
    {"    -    ", false},
};

Test(validate, luhn_card_table)
{
    run_table("luhn", pl_validate_luhn_card, card_cases, PL_ARRAY_SIZE(card_cases));
}

Test(validate, luhn_card_bounds)
{
    /* NUL inside the slice is "any other byte". */
    cr_expect(!pl_validate_luhn_card(pl_str_from("4111111111111111\0", 17)));
    cr_expect(pl_validate_luhn_card(pl_str_from("4111111111111111\0", 16)));
    cr_expect(!pl_validate_luhn_card(PL_STR_NULL));
    /* The slice is honoured: a valid card followed by more digits outside it. */
    cr_expect(pl_validate_luhn_card(pl_str_from("41111111111111119999", 16)));
    /* Longer than PL_VALIDATE_MAX_LEN is refused even when the digits are fine. */
    char buf[PL_VALIDATE_MAX_LEN + 2];
    memset(buf, ' ', sizeof(buf));
    memcpy(buf, "4111111111111111", 16);
    cr_expect(pl_validate_luhn_card(pl_str_from(buf, PL_VALIDATE_MAX_LEN)));
    cr_expect(!pl_validate_luhn_card(pl_str_from(buf, PL_VALIDATE_MAX_LEN + 1)));
}

/* ---- IBAN ------------------------------------------------------------------------- */

/* SWIFT IBAN registry / national examples; every one checked independently for mod-97. */
static const char *const good_ibans[] = {
    "GB82WEST12345698765432",
    "DE89370400440532013000",
    "FR1420041010050500013M02606",
    "AL47212110090000000235698741",
    "AD1200012030200359100100",
    "AT611904300234573201",
    "AZ21NABZ00000000137010001944",
    "BA391290079401028494",
    "BE68539007547034",
    "BG80BNBG96611020345678",
    "BH67BMAG00001299123456",
    "BI4210000100010000332045181",
    "BR1800360305000010009795493C1",
    "BY13NBRB3600900000002Z00AB00",
    "CH9300762011623852957",
    "CR05015202001026284066",
    "CY17002001280000001200527600",
    "CZ6508000000192000145399",
    "DJ2100010000000154000100186",
    "DK5000400440116243",
    "DO28BAGR00000001212453611324",
    "EE382200221020145685",
    "EG380019000500000000263180002",
    "ES9121000418450200051332",
    "FI2112345600000785",
    "FK88SC123456789012",
    "FO6264600001631634",
    "GE29NB0000000101904917",
    "GI75NWBK000000007099453",
    "GL8964710001000206",
    "GR1601101250000000012300695",
    "GT82TRAJ01020000001210029690",
    "HR1210010051863000160",
    "HU42117730161111101800000000",
    "IE29AIBK93115212345678",
    "IL620108000000099999999",
    "IQ98NBIQ850123456789012",
    "IS140159260076545510730339",
    "IT60X0542811101000000123456",
    "JO94CBJO0010000000000131000302",
    "KW81CBKU0000000000001234560101",
    "KZ86125KZT5004100100",
    "LB62099900000001001901229114",
    "LC55HEMM000100010012001200023015",
    "LI21088100002324013AA",
    "LT121000011101001000",
    "LU280019400644750000",
    "LV80BANK0000435195001",
    "LY83002048000020100120361",
    "MC5811222000010123456789030",
    "MD24AG000225100013104168",
    "ME25505000012345678951",
    "MK07250120000058984",
    "MN121234123456789123",
    "MR1300020001010000123456753",
    "MT84MALT011000012345MTLCAST001S",
    "MU17BOMM0101101030300200000MUR",
    "NI45BAPR00000013000003558124",
    "NL91ABNA0417164300",
    "NO9386011117947",
    "OM810180000001299123456",
    "PK36SCBL0000001123456702",
    "PL61109010140000071219812874",
    "PS92PALS000000000400123456702",
    "PT50000201231234567890154",
    "QA58DOHB00001234567890ABCDEFG",
    "RO49AAAA1B31007593840000",
    "RS35260005601001611379",
    "RU0204452560040702810412345678901",
    "SA0380000000608010167519",
    "SC18SSCB11010000000000001497USD",
    "SD2129010501234001",
    "SE4550000000058398257466",
    "SI56263300012039086",
    "SK3112000000198742637541",
    "SM86U0322509800000000270100",
    "SO211000001001000100141",
    "ST23000100010051845310146",
    "SV62CENR00000000000000700025",
    "TL380080012345678910157",
    "TN5910006035183598478831",
    "TR330006100519786457841326",
    "UA213223130000026007233566001",
    "VA59001123000012345678",
    "VG96VPVG0000012345678901",
    "XK051212012345678906",
    "YE15CBYE0001018861234567891234",
    "AE070331234567890123456",
};

Test(validate, iban_registry_examples_valid)
{
    cr_assert(PL_ARRAY_SIZE(good_ibans) >= 13);
    for (size_t i = 0; i < PL_ARRAY_SIZE(good_ibans); i++)
        cr_expect(pl_validate_iban(pl_str_c(good_ibans[i])), "%s should be valid", good_ibans[i]);
}

/* Changing any single digit of a valid IBAN always breaks mod-97 (ISO 7064 property). */
Test(validate, iban_any_changed_digit_invalid)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(good_ibans); i++) {
        char buf[40];
        size_t n = strlen(good_ibans[i]);
        cr_assert(n < sizeof(buf));
        for (size_t j = 2; j < n; j++) {
            memcpy(buf, good_ibans[i], n);
            if (buf[j] < '0' || buf[j] > '9')
                continue;
            buf[j] = (char)(buf[j] == '9' ? '0' : buf[j] + 1);
            cr_expect(!pl_validate_iban(pl_str_from(buf, n)), "%.*s (pos %zu) should fail", (int)n,
                      buf, j);
        }
    }
}

/* Lowercase and space/dash grouping never change the answer. */
Test(validate, iban_case_and_grouping)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(good_ibans); i++) {
        char lower[40], grouped[64], dashed[64];
        size_t n = strlen(good_ibans[i]), g = 0, d = 0;
        for (size_t j = 0; j < n; j++) {
            char c = good_ibans[i][j];
            lower[j] = pl_ascii_lower(c);
            if (j && j % 4 == 0) {
                grouped[g++] = ' ';
                dashed[d++] = '-';
            }
            grouped[g++] = c;
            dashed[d++] = lower[j];
        }
        cr_expect(pl_validate_iban(pl_str_from(lower, n)), "lower %s", good_ibans[i]);
        cr_expect(pl_validate_iban(pl_str_from(grouped, g)), "grouped %s", good_ibans[i]);
        cr_expect(pl_validate_iban(pl_str_from(dashed, d)), "dashed %s", good_ibans[i]);
    }
}

/* Test oracle: set buf[2..3] so that buf[0..n) passes mod-97 (digits-as-text long division). */
static void
set_check_digits(char *buf, size_t n)
{
    char digits[128];
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        char c = i < n - 4 ? buf[i + 4] : (i - (n - 4) < 2 ? buf[i - (n - 4)] : '0');
        if (c >= 'A' && c <= 'Z')
            d += (size_t)snprintf(digits + d, sizeof(digits) - d, "%d", c - 'A' + 10);
        else
            digits[d++] = c;
    }
    unsigned r = 0;
    for (size_t i = 0; i < d; i++)
        r = (r * 10 + (unsigned)(digits[i] - '0')) % 97;
    unsigned check = 98 - r;
    buf[2] = (char)('0' + check / 10);
    buf[3] = (char)('0' + check % 10);
}

/*
 * Per-country length: with check digits recomputed, the registry length passes and one
 * character more or less fails, for every country in the table.
 */
Test(validate, iban_country_length_exact)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(good_ibans); i++) {
        char buf[40];
        size_t n = strlen(good_ibans[i]);
        memcpy(buf, good_ibans[i], n);
        set_check_digits(buf, n);
        cr_expect(memcmp(buf, good_ibans[i], n) == 0, "oracle disagrees on %s", good_ibans[i]);

        memcpy(buf, good_ibans[i], n);
        buf[n] = '7';
        set_check_digits(buf, n + 1);
        cr_expect(!pl_validate_iban(pl_str_from(buf, n + 1)), "%.*s", (int)n + 1, buf);

        memcpy(buf, good_ibans[i], n - 1);
        set_check_digits(buf, n - 1);
        cr_expect(!pl_validate_iban(pl_str_from(buf, n - 1)), "%.*s", (int)n - 1, buf);
    }
}

static const struct vcase iban_cases[] = {
    {"GB82 WEST 1234 5698 7654 32", true},
    {"gb82west12345698765432", true},
    {"Gb82WeSt12345698765432", true},
    {"DE89-3704-0044-0532-0130-00", true},
    {"fr14 2004 1010 0505 0001 3m02 606", true},
    /* one digit changed */
    {"GB82WEST12345698765433", false},
    {"GB83WEST12345698765432", false},
    {"DE89370400440532013001", false},
    {"FR1420041010050500013M02607", false},
    /* a letter changed */
    {"GB82WEST12345698765432", true},
    {"GB82WESU12345698765432", false},
    /* two adjacent digits swapped (mod-97 catches transpositions) */
    {"DE89370400440532013000", true},
    {"DE89370400440532010300", false},
    /* wrong length for the country (otherwise well-formed) */
    {"GB82WEST1234569876543", false},
    {"GB82WEST123456987654321", false},
    {"DE8937040044053201300", false},
    {"NO938601111794", false},
    /* right length elsewhere: a 22-char German IBAN relabelled as French */
    {"FR89370400440532013000", false},
    /* unknown / non-IBAN countries */
    {"US64SVBKUS6S3300958879", false},
    {"ZZ82WEST12345698765432", false},
    {"CA82WEST12345698765432", false},
    {"XX00000000000000000000", false},
    /* structure */
    {"G182WEST12345698765432", false},  /* digit in country code */
    {"GBX2WEST12345698765432", false},  /* letter in check digits */
    {"GB82WEST1234569876543!", false},  /* punctuation */
    {"GB82WEST.12345698765432", false}, /* dot is not a separator */
    {"GB82_WEST12345698765432", false},
    {"GB82\tWEST12345698765432", false},
    {"GB82", false},
    {"", false},
    {"   ", false},
    /* 35+ alphanumerics */
    {"LC55HEMM000100010012001200023015000", false},
};

Test(validate, iban_table)
{
    run_table("iban", pl_validate_iban, iban_cases, PL_ARRAY_SIZE(iban_cases));
}

/*
 * Check digits 00, 01 and 99 are never issued (ISO 7064 gives 02..98), though 01 and 99 do
 * satisfy mod-97 whenever 98 and 02 do (they are congruent). Twins built for this test.
 */
Test(validate, iban_reserved_check_digits)
{
    cr_expect(pl_validate_iban(PL_STR("GB98WEST12345698760003")));
    cr_expect(!pl_validate_iban(PL_STR("GB01WEST12345698760003")));
    cr_expect(pl_validate_iban(PL_STR("GB02WEST12345698760082")));
    cr_expect(!pl_validate_iban(PL_STR("GB99WEST12345698760082")));
    cr_expect(!pl_validate_iban(PL_STR("GB00WEST12345698760003")));
    /* remainder 0, not 1 */
    cr_expect(!pl_validate_iban(PL_STR("GB97WEST12345698760003")));
}

Test(validate, iban_bounds)
{
    cr_expect(!pl_validate_iban(PL_STR_NULL));
    cr_expect(!pl_validate_iban(pl_str_from("GB82WEST12345698765432\0", 23)));
    cr_expect(pl_validate_iban(pl_str_from("GB82WEST12345698765432XYZ", 22)));
    char buf[PL_VALIDATE_MAX_LEN + 2];
    memset(buf, ' ', sizeof(buf));
    memcpy(buf, "GB82WEST12345698765432", 22);
    cr_expect(pl_validate_iban(pl_str_from(buf, PL_VALIDATE_MAX_LEN)));
    cr_expect(!pl_validate_iban(pl_str_from(buf, PL_VALIDATE_MAX_LEN + 1)));
}

/* ---- ABA -------------------------------------------------------------------------- */

static const struct vcase aba_cases[] = {
    {"011000015", true}, /* Federal Reserve Bank of Boston */
    {"021000021", true}, /* JPMorgan Chase, New York */
    {"111000025", true}, /* Federal Reserve Bank of Dallas */
    {"011000028", true}, /* State Street */
    {"026009593", true}, /* Bank of America, New York */
    {"121000358", true}, /* Bank of America, California */
    {"322271627", true}, /* JPMorgan Chase, California (thrift range) */
    {"256074974", true}, /* Navy Federal Credit Union */
    {"061000052", true},
    {"091000019", true},
    {"101000019", true},
    /* checksum fails: last digit changed, one middle digit changed, transposition */
    {"011000016", false},
    {"021000022", false},
    {"111000026", false},
    {"021001021", false},
    {"012000015", false},
    /* checksum fine, first two digits outside every Federal Reserve range */
    {"130000006", false},
    {"200000004", false},
    {"330000000", false},
    {"600000002", false},
    {"730000008", false},
    {"790000006", false},
    {"810000009", false},
    {"900000003", false},
    {"990000000", false},
    /* range edges, checksum fine */
    {"120000003", true},
    {"210000007", true},
    {"320000007", true},
    {"610000005", true},
    {"720000005", true},
    {"800000006", true},
    /* shape */
    {"02100002", false},
    {"0210000210", false},
    {"021-000-021", false},
    {"021 000 021", false},
    {"02100002a", false},
    {" 21000021", false},
    {"", false},
};

Test(validate, aba_table)
{
    run_table("aba", pl_validate_aba, aba_cases, PL_ARRAY_SIZE(aba_cases));
    cr_expect(!pl_validate_aba(PL_STR_NULL));
    cr_expect(!pl_validate_aba(pl_str_from("02100002\0", 9)));
    cr_expect(pl_validate_aba(pl_str_from("0210000219", 9)));
}

/* ---- WIF -------------------------------------------------------------------------- */

static const struct vcase wif_cases[] = {
    /* Bitcoin wiki example, key 0C28FCA3...72AA1D, uncompressed and compressed */
    {"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", true},
    {"KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617", true},
    /* private key 1 */
    {"5HpHagT65TZzG1PH3CSu63k8DbpvD8s5ip4nEB3kEsreAnchuDf", true},
    {"KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn", true},
    /* private key n-1 (largest valid secp256k1 key): the L prefix and the 5K range */
    {"5Km2kuu7vtFDPpxywn4u3NLpbr5jKpTB3jsuDU2KYEqetqj84qw", true},
    {"L5oLkpV3aqBjhki6LmvChTCV6odsp4SXM6FfU2Gppt5kFLaHLuZ9", true},
    /* one character changed */
    {"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTK", false},
    {"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTH", false},
    {"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvcTLvyTJ", false},
    {"KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98618", false},
    {"KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP9861", false},
    {"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyT", false},
    /* valid Base58Check, wrong version: testnet 0xEF, and 0x81 */
    {"91gGn1HgSap6CbU12F6z3pJri26xzp7Ay1VW6NHCoEayNXwRpu2", false},
    {"cMzLdeGd5vEqxB8B6VFQoRopQ3sLAAvEzDAoQgvX54xwofSWj1fx", false},
    {"5KrPNVvAhnRBNMYRJUq58YMfyUMyVMQrQhhfFtcbT9rK67poC3F", false},
    /* valid Base58Check, version 0x80, 33-byte key with flag 0x02 instead of 0x01 */
    {"KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvWxyf5d", false},
    /* valid Base58Check, version 0x80, 31-byte and 34-byte keys */
    {"yPoVP5njSzmEVK4VJGRWWAwqnwCyLPRcMm5XyrKgY1DE64xhu", false},
    {"2Sc7S1wac65gQ8sGKeJabXpqNCpxK7masshEtBDGDWT8BmvJ7QWDgE", false},
    /* characters outside the alphabet (0 O I l) and other bytes */
    {"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvy0J", false},
    {"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyOJ", false},
    {"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyIJ", false},
    {"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvylJ", false},
    {"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvy+J", false},
    {" 5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", false},
    /* leading '1' is a zero byte */
    {"15HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", false},
    {"", false},
    {"1", false},
    {"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", false},
};

Test(validate, wif_table)
{
    run_table("wif", pl_validate_wif, wif_cases, PL_ARRAY_SIZE(wif_cases));
}

/* Every single-character substitution of a valid key is rejected (checksum or structure). */
Test(validate, wif_every_substitution_invalid)
{
    static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    const char *good[] = {"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ",
                          "KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617"};
    for (size_t g = 0; g < PL_ARRAY_SIZE(good); g++) {
        size_t n = strlen(good[g]);
        char buf[64];
        for (size_t i = 0; i < n; i++) {
            for (size_t a = 0; a < sizeof(alphabet) - 1; a++) {
                if (alphabet[a] == good[g][i])
                    continue;
                memcpy(buf, good[g], n);
                buf[i] = alphabet[a];
                cr_expect(!pl_validate_wif(pl_str_from(buf, n)), "%.*s", (int)n, buf);
            }
        }
    }
}

Test(validate, wif_bounds)
{
    const char *k = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ";
    cr_expect(!pl_validate_wif(PL_STR_NULL));
    cr_expect(pl_validate_wif(pl_str_from(k, 51)));
    cr_expect(!pl_validate_wif(pl_str_from(k, 50)));
    char buf[80];
    memset(buf, 'z', sizeof(buf));
    cr_expect(!pl_validate_wif(pl_str_from(buf, PL_VALIDATE_MAX_LEN)));
    cr_expect(!pl_validate_wif(pl_str_from(buf, PL_VALIDATE_MAX_LEN + 1)));
    cr_expect(!pl_validate_wif(pl_str_from(buf, sizeof(buf))));
    char nul[52];
    memcpy(nul, k, 51);
    nul[51] = '\0';
    cr_expect(!pl_validate_wif(pl_str_from(nul, 52)));
}

/* ---- dispatch --------------------------------------------------------------------- */

Test(validate, by_name)
{
    struct {
        const char *name;
        const char *in;
        bool want;
    } cases[] = {
        {"luhn", "4111111111111111", true},
        {"luhn", "4111111111111112", false},
        {"mod97", "GB82WEST12345698765432", true},
        {"mod97", "GB82WEST12345698765433", false},
        {"aba", "021000021", true},
        {"aba", "021000022", false},
        {"wif", "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", true},
        {"wif", "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTK", false},
        /* a validator only accepts its own kind */
        {"aba", "4111111111111111", false},
        {"luhn", "021000021", false},
        {"mod97", "4111111111111111", false},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        bool v = !cases[i].want;
        cr_expect(pl_validate_by_name(cases[i].name, pl_str_c(cases[i].in), &v) == 0);
        cr_expect(v == cases[i].want, "%s(%s)", cases[i].name, cases[i].in);
    }

    const char *bad[] = {"", "LUHN", "Luhn", "iban", "mod-97", "mod97 ", "luhn\n", "bip39", "x"};
    for (size_t i = 0; i < PL_ARRAY_SIZE(bad); i++) {
        bool v = true;
        cr_expect(pl_validate_by_name(bad[i], PL_STR("4111111111111111"), &v) == -EINVAL, "%s",
                  bad[i]);
        cr_expect(v == true, "ret_valid touched for %s", bad[i]);
        cr_expect(!pl_validate_name_is_known(bad[i]));
    }
    bool v = true;
    cr_expect(pl_validate_by_name(NULL, PL_STR("x"), &v) == -EINVAL);
    cr_expect(v == true);
    cr_expect(!pl_validate_name_is_known(NULL));
    cr_expect(pl_validate_name_is_known("luhn") && pl_validate_name_is_known("mod97") &&
              pl_validate_name_is_known("aba") && pl_validate_name_is_known("wif"));
}
