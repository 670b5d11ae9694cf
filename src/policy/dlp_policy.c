/* Compile a config's DLP settings (see dlp_policy.h). */
#include "policy/dlp_policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scan/entropy.h"
#include "util/time.h"

/* Secrets-file limits, as the reference. */
#define SECRETS_MAX_ENTRIES 1000
#define SECRETS_MAX_LINE    4096

static const char *const env_not_secret[] = {
    "PWD",
    "OLDPWD",
    "HOME",
    "PATH",
    "TMPDIR",
    "TEMP",
    "TMP",
    "_",
    "USER",
    "LOGNAME",
    "USERNAME",
    "HOSTNAME",
    "HOST",
    "SHELL",
    "SHLVL",
    "TERM",
    "TERM_PROGRAM",
    "COLORTERM",
    "COLORFGBG",
    "LANG",
    "LANGUAGE",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "LESS",
    "LS_COLORS",
    "LSCOLORS",
    "DBUS_SESSION_BUS_ADDRESS",
    "SSH_AUTH_SOCK",
    "GOPATH",
    "GOROOT",
    "GOBIN",
    "PYTHONPATH",
    "PYTHONHOME",
    "NODE_PATH",
    "MANPATH",
    "INFOPATH",
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
    "PROGRAMFILES",
    "PROGRAMDATA",
    "SYSTEMROOT",
    "WINDIR",
    "COMSPEC",
    "COMPUTERNAME",
    "PATHEXT",
    "SESSIONNAME",
};

bool
pl_policy_env_is_secret(struct pl_str name, struct pl_str value, int min_len)
{
    if (value.len < (size_t)(min_len > 0 ? min_len : 16))
        return false;
    if (name.len >= 3 && (pl_str_eq_ci(pl_str_from(name.p, 3), PL_STR("LC_")) ||
                          pl_str_eq_ci(pl_str_from(name.p, 3), PL_STR("XDG"))))
        if (name.p[2] == '_' || (name.len >= 4 && name.p[3] == '_'))
            return false;
    for (size_t i = 0; i < PL_ARRAY_SIZE(env_not_secret); i++)
        if (pl_str_eq_ci(name, pl_str_c(env_not_secret[i])))
            return false;
    return pl_entropy(value, NULL) > 3.0;
}

struct lits {
    struct pl_dlp_literal *v;
    size_t n, cap;
};

static int
lits_add(struct lits *l, const char *value, size_t len, enum pl_dlp_literal_kind kind)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].len == len && !memcmp(l->v[i].value, value, len))
            return 0; /* de-duplicated (env and file may hold the same value) */
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct pl_dlp_literal *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (struct pl_dlp_literal){value, len, kind, NULL};
    return 0;
}

static char *errf(const char *fmt, ...) PL_PRINTF(1, 2);

static char *
errf(const char *fmt, ...)
{
    char tmp[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    return strdup(tmp);
}

/* Read the secrets file into a malloc'd buffer of NUL-separated lines added to l. */
static int
read_secrets_file(const char *path, int min_len, struct lits *l, char **ret_buf, char **ret_err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        *ret_err = errf("dlp.secrets_file: %s: %s", path, strerror(e));
        return -e;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char line[SECRETS_MAX_LINE + 2];
    size_t entries = 0;
    int r = 0;
    bool first = true;
    while (fgets(line, sizeof(line), f)) {
        size_t n = strlen(line);
        bool complete = n > 0 && line[n - 1] == '\n';
        if (!complete && !feof(f)) {
            /* Over-long line: skip the rest of it. */
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
            first = false;
            continue;
        }
        char *s = line;
        if (first && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
            s += 3;
            n -= 3;
        }
        first = false;
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        if (n == 0 || *s == '#' || n < (size_t)min_len || memchr(s, '\0', n))
            continue;
        if (entries == SECRETS_MAX_ENTRIES)
            break;
        if (len + n + 1 > cap) {
            size_t nc = cap ? cap * 2 : 4096;
            while (nc < len + n + 1)
                nc *= 2;
            char *nb = realloc(buf, nc);
            if (!nb) {
                r = -ENOMEM;
                break;
            }
            buf = nb;
            cap = nc;
        }
        memcpy(buf + len, s, n);
        buf[len + n] = '\0';
        len += n + 1;
        entries++;
    }
    fclose(f);
    if (r < 0) {
        free(buf);
        return r;
    }
    /* Literals point into buf; it is only read after every line is in. */
    for (size_t o = 0; o < len;) {
        size_t n = strlen(buf + o);
        if ((r = lits_add(l, buf + o, n, PL_DLP_LIT_FILE)) < 0)
            break;
        o += n + 1;
    }
    *ret_buf = buf;
    return r;
}

int
pl_policy_build_dlp(const struct pl_config *cfg, char *const *envp, struct pl_dlp_db **ret,
                    uint64_t *ret_compile_ns, char **ret_err)
{
    uint64_t t0 = pl_time_mono_ns();
    size_t max = PL_DLP_BUILTIN_MAX + cfg->dlp.patterns.n;
    struct pl_dlp_spec *specs = calloc(max, sizeof(*specs));
    struct lits lits = {0};
    char *filebuf = NULL;
    int r = -ENOMEM;
    *ret_err = NULL;
    if (!specs)
        goto out;
    size_t first_std;
    size_t n = pl_dlp_builtin_specs(specs, cfg->dlp.include_defaults, &first_std);
    for (size_t i = 0; i < cfg->dlp.patterns.n; i++) {
        const struct pl_config_dlp_pattern *p = &cfg->dlp.patterns.v[i];
        struct pl_dlp_spec sp = {p->name,
                                 p->regex,
                                 PL_SEV_HIGH,
                                 PL_VALIDATOR_NONE,
                                 false,
                                 p->action && !strcmp(p->action, "warn"),
                                 (const char *const *)p->exempt_domains.v,
                                 p->exempt_domains.n};
        if (p->severity && *p->severity &&
            pl_severity_parse(pl_str_c(p->severity), &sp.severity) < 0) {
            *ret_err = errf("dlp.patterns: %s: unknown severity %s", p->name, p->severity);
            r = -EINVAL;
            goto out;
        }
        if (p->validator && pl_validator_parse(pl_str_c(p->validator), &sp.validator) < 0) {
            *ret_err = errf("dlp.patterns: %s: unknown validator %s", p->name, p->validator);
            r = -EINVAL;
            goto out;
        }
        /* A user pattern replaces the standard pattern of the same name (never a core one). */
        size_t j = first_std;
        while (j < n && strcmp(specs[j].name, p->name) != 0)
            j++;
        specs[j] = sp;
        if (j == n)
            n++;
    }
    if (cfg->dlp.scan_env && envp) {
        for (char *const *e = envp; *e; e++) {
            const char *eq = strchr(*e, '=');
            if (!eq)
                continue;
            struct pl_str name = pl_str_from(*e, (size_t)(eq - *e));
            struct pl_str value = pl_str_c(eq + 1);
            if (pl_policy_env_is_secret(name, value, cfg->dlp.min_env_secret_length) &&
                (r = lits_add(&lits, value.p, value.len, PL_DLP_LIT_ENV)) < 0)
                goto out;
        }
    }
    /* Canary tokens: synthetic values that must never leave; reported by their name. */
    if (cfg->canary_tokens.enabled) {
        for (size_t i = 0; i < cfg->canary_tokens.tokens.n; i++) {
            const struct pl_config_canary *c = &cfg->canary_tokens.tokens.v[i];
            if ((r = lits_add(&lits, c->value, strlen(c->value), PL_DLP_LIT_CANARY)) < 0)
                goto out;
            lits.v[lits.n - 1].name = c->name;
        }
    }
    if (cfg->dlp.secrets_file && *cfg->dlp.secrets_file &&
        (r = read_secrets_file(cfg->dlp.secrets_file, cfg->dlp.min_env_secret_length, &lits,
                               &filebuf, ret_err)) < 0)
        goto out;
    r = pl_dlp_compile_with_literals(specs, n, lits.v, lits.n, ret, ret_err);
out:
    if (r == -ENOMEM && !*ret_err)
        *ret_err = strdup("dlp: out of memory");
    if (ret_compile_ns)
        *ret_compile_ns = pl_time_mono_ns() - t0;
    if (filebuf) {
        explicit_bzero(filebuf, strlen(filebuf));
        free(filebuf);
    }
    free(lits.v);
    free(specs);
    return r;
}

int
pl_policy_build_inject(const struct pl_config *cfg, struct pl_inject_db **ret, char **ret_err)
{
    const struct pl_config_resp_pattern *pv = cfg->response_scanning.patterns.v;
    size_t n = cfg->response_scanning.patterns.n;
    struct pl_inject_user *u = calloc(n ? n : 1, sizeof(*u));
    char err[512];
    *ret = NULL;
    *ret_err = NULL;
    if (!u) {
        *ret_err = strdup("out of memory compiling response patterns");
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        u[i] = (struct pl_inject_user){pv[i].name, pv[i].regex};
    struct pl_inject_options o = {
        .enabled = cfg->response_scanning.enabled,
        .include_defaults = cfg->response_scanning.include_defaults,
        .user = u,
        .n_user = n,
    };
    int r = pl_inject_compile(&o, ret, err, sizeof(err));
    free(u);
    if (r < 0)
        *ret_err = strdup(err[0] ? err : "out of memory compiling response patterns");
    return r;
}

static bool
seq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

bool
pl_policy_dlp_inputs_equal(const struct pl_config *a, const struct pl_config *b)
{
    if ((a->dlp.secrets_file && *a->dlp.secrets_file) ||
        (b->dlp.secrets_file && *b->dlp.secrets_file))
        return false;
    if (a->dlp.include_defaults != b->dlp.include_defaults || a->dlp.scan_env != b->dlp.scan_env ||
        a->dlp.min_env_secret_length != b->dlp.min_env_secret_length ||
        a->dlp.patterns.n != b->dlp.patterns.n)
        return false;
    for (size_t i = 0; i < a->dlp.patterns.n; i++) {
        const struct pl_config_dlp_pattern *x = &a->dlp.patterns.v[i], *y = &b->dlp.patterns.v[i];
        if (!seq(x->name, y->name) || !seq(x->regex, y->regex) || !seq(x->severity, y->severity) ||
            !seq(x->validator, y->validator) || !seq(x->action, y->action) ||
            !pl_strlist_eq(&x->exempt_domains, &y->exempt_domains))
            return false;
    }
    if (a->canary_tokens.enabled != b->canary_tokens.enabled ||
        a->canary_tokens.tokens.n != b->canary_tokens.tokens.n)
        return false;
    for (size_t i = 0; i < a->canary_tokens.tokens.n; i++) {
        const struct pl_config_canary *x = &a->canary_tokens.tokens.v[i],
                                      *y = &b->canary_tokens.tokens.v[i];
        if (!seq(x->name, y->name) || !seq(x->value, y->value) || !seq(x->env_var, y->env_var))
            return false;
    }
    return a->seed_phrase_detection.enabled == b->seed_phrase_detection.enabled &&
           a->seed_phrase_detection.min_words == b->seed_phrase_detection.min_words &&
           a->seed_phrase_detection.verify_checksum == b->seed_phrase_detection.verify_checksum;
}
