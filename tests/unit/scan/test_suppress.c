/* Suppression rule matching: rule names, exact/prefix/glob/basename/URL/tail forms. */
#include <criterion/criterion.h>

#include "scan/suppress.h"

static bool
m(const char *rule, const char *path, const char *name, const char *target)
{
    struct pl_suppress_rule r = {rule, path};
    return pl_suppress_match(&r, pl_str_c(name), pl_str_c(target));
}

Test(suppress, rule_names_are_case_insensitive)
{
    cr_assert(m("credit card number", "https://shop.test/pay", "Credit Card Number",
                "https://shop.test/pay"));
    cr_assert_not(
        m("IBAN", "https://shop.test/pay", "Credit Card Number", "https://shop.test/pay"));
}

static const struct {
    const char *path, *target;
    bool want;
} cases[] = {
    {"https://shop.test/pay", "https://shop.test/pay", true},     /* exact */
    {"https://shop.test:443/pay", "https://shop.test/pay", true}, /* default port */
    {"https://shop.test/pay", "https://shop.test:443/pay", true},
    {"https://shop.test/api/", "https://shop.test/api/v1/cards", true}, /* prefix */
    {"https://shop.test/api/", "https://shop.test/apiv2", false},
    {"https://*.shop.test/*", "https://eu.shop.test/a/b?c=1", true}, /* URL glob: * spans / */
    {"https://*.shop.test/x", "https://eu.shop.test/y", false},
    {"docs/*.md", "docs/cards.md", true},                /* path glob */
    {"docs/*.md", "docs/sub/cards.md", false},           /* * stays in a segment */
    {"*.csv", "data/export/cards.csv", true},            /* basename */
    {"export/cards.csv", "data/export/cards.csv", true}, /* tail after '/' */
    {"ards.csv", "data/export/cards.csv", false},
    {"data\\export\\", "data/export/cards.csv", true}, /* backslashes */
    {"file[0-9].txt", "file7.txt", true},
    {"file[0-9].txt", "filex.txt", false},
    {"file[0-9.txt", "file7.txt", false}, /* a bad class matches nothing */
};

Test(suppress, path_forms)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(m("X", cases[i].path, "X", cases[i].target), cases[i].want, "%s vs %s",
                     cases[i].path, cases[i].target);
}

Test(suppress, any)
{
    struct pl_suppress_rule v[] = {{"A", "/a"}, {"B", "https://b.test/*"}};
    cr_assert(pl_suppress_any(v, 2, PL_STR("B"), PL_STR("https://b.test/x")));
    cr_assert_not(pl_suppress_any(v, 2, PL_STR("A"), PL_STR("https://b.test/x")));
}
