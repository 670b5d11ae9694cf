/*
 * A small, strict YAML document tree for the config loader, built from libfyaml's event
 * stream. It exists so that every YAML rule the loader enforces (one document only, no
 * duplicate keys, scalar keys, merge keys, alias budget) is ours and reported with our
 * message format, and so that the schema walker sees plain nodes with 1-based positions.
 *
 * Aliases are not copied: an alias is the anchored node itself, so the tree is a DAG. Walkers
 * must bound the work they do (see PL_YTREE_MAX_VISITS). Merge keys ("<<") are expanded when
 * a mapping is closed: explicit keys win over merged ones, earlier merged mappings win over
 * later ones.
 */
#ifndef PL_POLICY_YAML_TREE_H
#define PL_POLICY_YAML_TREE_H

#include "util/arena.h"

/* Inputs larger than this are refused before parsing. */
#define PL_YTREE_MAX_INPUT (1024 * 1024)
/* Nodes (incl. merged pairs) one document may create. */
#define PL_YTREE_MAX_NODES 100000
/* Node visits a walker should allow itself across aliases before giving up. */
#define PL_YTREE_MAX_VISITS 1000000

enum pl_ynode_kind {
    PL_YNODE_NULL = 0, /* ~, null, empty value */
    PL_YNODE_SCALAR,
    PL_YNODE_SEQ,
    PL_YNODE_MAP,
};

struct pl_ynode {
    enum pl_ynode_kind kind;
    bool quoted;      /* scalar was quoted, block-style or tagged !!str: never bool/int/null */
    unsigned line;    /* 1-based */
    unsigned col;     /* 1-based */
    const char *text; /* scalar text, NUL-terminated (no embedded NUL), arena-owned */
    size_t len;       /* scalar text length */
    size_t n;         /* SEQ items or MAP pairs */
    struct pl_ynode **keys; /* MAP: key nodes (scalars), arena-owned */
    struct pl_ynode **vals; /* MAP: values; SEQ: items; arena-owned */
};

struct pl_ytree {
    struct pl_arena arena; /* owns every node and string */
    struct pl_ynode *root; /* NULL for an empty stream */
};

/*
 * Parse data (len bytes; need not be NUL-terminated) as exactly one YAML document into
 * *ret. name prefixes error messages. On failure returns -EINVAL (or -E2BIG for an oversized
 * input, -ENOMEM) with a malloc'd message "name:line:col: ..." in *ret_err and *ret left
 * empty (nothing to free). On success the caller frees with pl_ytree_done().
 */
int pl_ytree_parse(const char *name, const char *data, size_t len, struct pl_ytree *ret,
                   char **ret_err);

void pl_ytree_done(struct pl_ytree *t);

/* Value for key in a MAP node (exact match), or NULL when absent or node is not a MAP. */
const struct pl_ynode *pl_ynode_get(const struct pl_ynode *map, const char *key);

/*
 * Follow a dotted path of keys ("airlock.triggers.on_high") from a MAP node; NULL when any
 * step is absent or not a mapping.
 */
const struct pl_ynode *pl_ynode_path(const struct pl_ynode *root, const char *dotted);

static inline bool
pl_ynode_is_null(const struct pl_ynode *n)
{
    return !n || n->kind == PL_YNODE_NULL;
}

#endif
