/* Helpers shared by the policy/config unit tests. */
#ifndef PL_TEST_CONFIG_TEST_H
#define PL_TEST_CONFIG_TEST_H

#include <criterion/criterion.h>

#include <stdarg.h>
#include <string.h>

#include "policy/config.h"

PL_UNUSED static struct pl_config *
load_ok(const char *yaml)
{
    struct pl_config *cfg = NULL;
    char *err = NULL;
    int r = pl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &err);
    cr_assert_eq(r, 0, "unexpected load error for:\n%s\n-> %s", yaml, err ? err : "(null)");
    cr_assert_null(err);
    cr_assert_not_null(cfg);
    return cfg;
}

PL_UNUSED static char *
load_err(const char *yaml)
{
    struct pl_config *cfg = NULL;
    char *err = NULL;
    int r = pl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &err);
    cr_assert_eq(r, -EINVAL, "expected -EINVAL, got %d for:\n%s", r, yaml);
    cr_assert_null(cfg);
    cr_assert_not_null(err);
    return err;
}

PL_UNUSED static void
expect_err(const char *yaml, const char *want)
{
    char *err = load_err(yaml);
    cr_expect_str_eq(err, want, "for:\n%s\n got: %s\nwant: %s", yaml, err, want);
    free(err);
}

/* Load must succeed and produce exactly these warnings (NULL-terminated), in order. */
PL_UNUSED static void
expect_warnings(const char *yaml, ...)
{
    struct pl_config *cfg = load_ok(yaml);
    va_list ap;
    size_t i = 0;
    const char *w;
    va_start(ap, yaml);
    while ((w = va_arg(ap, const char *)) != NULL) {
        cr_assert_lt(i, cfg->warnings.n, "missing warning \"%s\" for:\n%s", w, yaml);
        cr_expect_str_eq(cfg->warnings.v[i], w);
        i++;
    }
    va_end(ap);
    cr_expect_eq(cfg->warnings.n, i, "unexpected extra warnings (%zu) for:\n%s", cfg->warnings.n,
                 yaml);
    pl_config_free(cfg);
}

PL_UNUSED static bool
list_has(const struct pl_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

PL_UNUSED static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

#endif
