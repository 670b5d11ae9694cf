/*
 * Internals of the config loader shared by config.c (load, defaults, free),
 * config_schema.c (the keyword table) and config_validate.c (cross-field rules).
 * Not for use outside src/policy/.
 */
#ifndef PL_POLICY_CONFIG_INT_H
#define PL_POLICY_CONFIG_INT_H

#include <stddef.h>

#include "policy/config.h"
#include "policy/yaml_tree.h"

enum pl_cfg_type {
    PL_CFG_SECTION = 1, /* mapping with a fixed set of children */
    PL_CFG_BOOL,        /* bool */
    PL_CFG_INT,         /* int */
    PL_CFG_I64,         /* int64_t */
    PL_CFG_FLOAT,       /* double */
    PL_CFG_STR,         /* char * (any scalar) */
    PL_CFG_ENUM,        /* char * (or int index with PL_CFG_F_ENUM_INT), one of enum_values */
    PL_CFG_DURATION,    /* int64_t nanoseconds, Go duration syntax ("24h", "1m30s") */
    PL_CFG_STRLIST,     /* struct pl_strlist */
    PL_CFG_CIDRLIST,    /* struct pl_cidr_list */
    PL_CFG_LIST,        /* list of objects (children); stored as {T *v; size_t n;} */
    PL_CFG_MAP,         /* map name → object (children); never stored */
    PL_CFG_MAP_STR,     /* map name → string (or enum_values); never stored */
    PL_CFG_MAP_STRLIST, /* map name → list of strings; never stored */
    PL_CFG_MAP_FLOAT,   /* map name → number; never stored */
};

enum {
    PL_CFG_F_IMPL = 1u << 0,         /* top level: acted on by this build (no warning) */
    PL_CFG_F_SECDEF = 1u << 1,       /* security default (§3.1 step 3): absent/null → true */
    PL_CFG_F_POSDEF = 1u << 2,       /* ApplyDefaults: value <= 0 → default */
    PL_CFG_F_ZERODEF = 1u << 3,      /* value == 0 → default (negative is out of range) */
    PL_CFG_F_EMPTYDEF = 1u << 4,     /* ApplyDefaults: empty string/list → default */
    PL_CFG_F_DEFONLY = 1u << 5,      /* list default only from Defaults(), not for a file */
    PL_CFG_F_REQUIRED = 1u << 6,     /* in a list item / map value: must be present, non-empty */
    PL_CFG_F_PATH = 1u << 7,         /* relative path, resolved against the config directory */
    PL_CFG_F_STRICT = 1u << 8,       /* CIDR: canonical only (no host bits, no /0) */
    PL_CFG_F_ENUM_INT = 1u << 9,     /* ENUM stored as the int index into enum_values */
    PL_CFG_F_EXT = 1u << 10,         /* extension of this implementation */
    PL_CFG_F_SECRET = 1u << 11,      /* wiped before free */
    PL_CFG_F_WHENON = 1u << 12,      /* EMPTYDEF only when the sibling "enabled" is true */
    PL_CFG_F_DEFINTERNAL = 1u << 13, /* default: the 12 reference internal CIDRs */
};

struct pl_cfg_load;
struct pl_cfg_key;

/*
 * Per-value check run after a value was parsed (and stored): n is the non-null node, path its
 * dotted path. Returns 0 or the result of pl_cfg_fail() (-EINVAL).
 */
typedef int (*pl_cfg_check_fn)(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                               const struct pl_ynode *n, const char *path);

struct pl_cfg_key {
    const char *name;
    enum pl_cfg_type type;
    uint32_t flags;
    size_t off;                        /* offset into the base struct + 1; 0 = not stored */
    size_t elem_size;                  /* PL_CFG_LIST stored: sizeof one item */
    const struct pl_cfg_key *children; /* SECTION/LIST/MAP; NULL-name terminated */
    const char *const *enum_values;    /* ENUM/MAP_STR; NULL terminated */
    union {
        int64_t i;
        double d;
        const char *s;
        bool b;
        const char *const *list; /* NULL terminated */
    } def;
    int64_t min, max; /* INT/I64 range when min < max (checked on explicit values) */
    pl_cfg_check_fn check;
};

/* The whole schema: the top-level keys in reference order, then the extensions. */
extern const struct pl_cfg_key pl_cfg_schema[];

/* Names of the 48 built-in DLP patterns (reference §4.5), for merge-by-name counting. */
extern const char *const pl_cfg_dlp_builtin_names[];
extern const size_t pl_cfg_dlp_builtin_count;
/* True when name is one of the 48 built-in DLP pattern names (exact match). */
bool pl_cfg_is_builtin_dlp(const char *name);

/* State of one load. */
struct pl_cfg_load {
    const char *name;            /* for messages */
    const char *dir;             /* directory for relative paths, NULL to keep them */
    struct pl_config *cfg;       /* being filled */
    const struct pl_ynode *root; /* document root (MAP) or NULL */
    size_t visits;               /* walker budget across aliases */
    char *err;                   /* first error (malloc'd) */
};

/* Record "name:line:col: fmt" (or "name: fmt" when n is NULL); returns -EINVAL. */
int pl_cfg_fail(struct pl_cfg_load *ld, const struct pl_ynode *n, const char *fmt, ...)
    PL_PRINTF(3, 4);
/* Append "fmt" to cfg->warnings. */
void pl_cfg_warn(struct pl_cfg_load *ld, const char *fmt, ...) PL_PRINTF(2, 3);

/* Scalar parsers shared by the walker and the validator; 0 or -EINVAL. */
int pl_cfg_parse_bool(const struct pl_ynode *n, bool *ret);
int pl_cfg_parse_int(const struct pl_ynode *n, int64_t *ret);
int pl_cfg_parse_float(const struct pl_ynode *n, double *ret);
int pl_cfg_parse_duration(const char *s, int64_t *ret_ns);

/* Find a key by dotted path through SECTION keys ("fetch_proxy.monitoring"), or NULL. */
const struct pl_cfg_key *pl_cfg_key_find(const char *dotted);

/*
 * Effective value of a non-stored (or stored) scalar for validation: the document's value
 * when present and non-null, else the schema default. path is a dotted path from base (the
 * document root when base is NULL); schema_path locates the key in the schema (may differ
 * from path for agents.<name>... lookups; NULL = same as path).
 */
bool pl_cfg_eff_bool(struct pl_cfg_load *ld, const struct pl_ynode *base, const char *path,
                     const char *schema_path);
int64_t pl_cfg_eff_int(struct pl_cfg_load *ld, const struct pl_ynode *base, const char *path,
                       const char *schema_path);
const char *pl_cfg_eff_str(struct pl_cfg_load *ld, const struct pl_ynode *base, const char *path,
                           const char *schema_path);

/* Cross-field validation and advisory warnings, after the walk and defaults. 0 or -EINVAL. */
int pl_cfg_validate(struct pl_cfg_load *ld);

/* Per-value checks referenced from the schema table (config_validate.c). */
int pl_cfg_check_listen(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                        const struct pl_ynode *n, const char *path);
int pl_cfg_check_nonempty_items(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                                const struct pl_ynode *n, const char *path);
int pl_cfg_check_host_patterns(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                               const struct pl_ynode *n, const char *path);
int pl_cfg_check_resolvers(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                           const struct pl_ynode *n, const char *path);
int pl_cfg_check_http_url(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                          const struct pl_ynode *n, const char *path);
int pl_cfg_check_syslog_addr(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                             const struct pl_ynode *n, const char *path);
int pl_cfg_check_positive_duration(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                                   const struct pl_ynode *n, const char *path);
int pl_cfg_check_hex64(struct pl_cfg_load *ld, const struct pl_cfg_key *k, const struct pl_ynode *n,
                       const char *path);
int pl_cfg_check_origins(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                         const struct pl_ynode *n, const char *path);
int pl_cfg_check_image_types(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                             const struct pl_ynode *n, const char *path);
int pl_cfg_check_rfc3339(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                         const struct pl_ynode *n, const char *path);
int pl_cfg_check_env_name(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                          const struct pl_ynode *n, const char *path);
int pl_cfg_check_unit_interval(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                               const struct pl_ynode *n, const char *path);
int pl_cfg_check_dlp_action_reserved(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                                     const struct pl_ynode *n, const char *path);
int pl_cfg_check_signed_components(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                                   const struct pl_ynode *n, const char *path);
int pl_cfg_check_seed_words(struct pl_cfg_load *ld, const struct pl_cfg_key *k,
                            const struct pl_ynode *n, const char *path);

#endif
