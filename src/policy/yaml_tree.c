#include "policy/yaml_tree.h"

#include <libfyaml.h>
#include <stdarg.h>
#include <string.h>

struct frame {
    struct pl_ynode *node;   /* SEQ or MAP being filled */
    struct pl_ynode **items; /* SEQ: items; MAP: key, value, key, value... (malloc'd) */
    size_t n, cap;
    char *anchor; /* malloc'd; registered when the container closes */
    size_t anchor_len;
};

struct anchor {
    char *name; /* malloc'd */
    size_t len;
    struct pl_ynode *node;
};

struct builder {
    const char *name;
    struct pl_ytree *tree;
    struct frame *stack; /* malloc'd */
    size_t depth, stack_cap;
    struct anchor *anchors; /* malloc'd */
    size_t n_anchors, anchors_cap;
    size_t n_nodes;
    unsigned last_line, last_col; /* last valid position, for events without one */
    int docs;
    char *err;
};

static int fail(struct builder *b, unsigned line, unsigned col, const char *fmt, ...)
    PL_PRINTF(4, 5);

static int
fail(struct builder *b, unsigned line, unsigned col, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    int w;

    if (b->err)
        return -EINVAL;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line)
        w = asprintf(&b->err, "%s:%u:%u: %s", b->name, line, col, msg);
    else
        w = asprintf(&b->err, "%s: %s", b->name, msg);
    if (w < 0)
        b->err = pl_xstrdup("config error");
    return -EINVAL;
}

static void
set_pos(struct builder *b, struct fy_event *ev, struct pl_ynode *n)
{
    const struct fy_mark *m = fy_event_start_mark(ev);
    if (m && m->line >= 0 && m->column >= 0) {
        b->last_line = (unsigned)m->line + 1;
        b->last_col = (unsigned)m->column + 1;
    }
    if (n) {
        n->line = b->last_line;
        n->col = b->last_col;
    }
}

static struct pl_ynode *
new_node(struct builder *b, enum pl_ynode_kind kind)
{
    if (++b->n_nodes > PL_YTREE_MAX_NODES) {
        fail(b, b->last_line, b->last_col, "configuration too large (more than %d YAML nodes)",
             PL_YTREE_MAX_NODES);
        return NULL;
    }
    struct pl_ynode *n = pl_arena_alloc(&b->tree->arena, sizeof(*n));
    if (!n) {
        fail(b, 0, 0, "out of memory");
        return NULL;
    }
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    return n;
}

/* Copy a key for a message: at most 64 bytes, control bytes as '?'. */
static const char *
clean(const char *s, char buf[72])
{
    size_t o = 0;
    for (; s && *s && o < 64; s++)
        buf[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    if (s && *s) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* Render the syntactic path of the container at stack[upto] ("a.b[2].c" or "top level"). */
static void
frame_path(const struct builder *b, size_t upto, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < upto && len + 1 < size; i++) {
        const struct frame *f = &b->stack[i];
        int w;
        if (f->node->kind == PL_YNODE_MAP) {
            char kb[72];
            const char *k = (f->n % 2 == 1) ? clean(f->items[f->n - 1]->text, kb) : "?";
            w = snprintf(buf + len, size - len, "%s%s", len ? "." : "", k);
        } else {
            w = snprintf(buf + len, size - len, "[%zu]", f->n);
        }
        if (w < 0)
            break;
        len += (size_t)w;
        if (len >= size)
            len = size - 1;
    }
    if (!len)
        snprintf(buf, size, "top level");
}

static int
push_item(struct builder *b, struct frame *f, struct pl_ynode *n)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        f->items = pl_xrealloc(f->items, cap * sizeof(*f->items));
        f->cap = cap;
    }
    f->items[f->n++] = n;
    (void)b;
    return 0;
}

/* Remember an anchor; takes ownership of name. */
static int
add_anchor(struct builder *b, char *name, size_t len, struct pl_ynode *n)
{
    if (b->n_anchors == b->anchors_cap) {
        if (b->n_anchors >= 10000) {
            free(name);
            return fail(b, n->line, n->col, "too many anchors");
        }
        size_t cap = b->anchors_cap ? b->anchors_cap * 2 : 8;
        b->anchors = pl_xrealloc(b->anchors, cap * sizeof(*b->anchors));
        b->anchors_cap = cap;
    }
    b->anchors[b->n_anchors++] = (struct anchor){name, len, n};
    return 0;
}

static int
register_anchor(struct builder *b, struct fy_token *tok, struct pl_ynode *n)
{
    size_t len = 0;
    const char *s = fy_token_get_text(tok, &len);
    if (!s)
        return fail(b, n->line, n->col, "invalid anchor");
    return add_anchor(b, pl_xstrndup(s, len), len, n);
}

static struct pl_ynode *
find_anchor(struct builder *b, const char *s, size_t len)
{
    for (size_t i = b->n_anchors; i-- > 0;)
        if (b->anchors[i].len == len && memcmp(b->anchors[i].name, s, len) == 0)
            return b->anchors[i].node;
    return NULL;
}

/* Attach a finished node to the open container (or make it the root). */
static int
attach(struct builder *b, struct pl_ynode *n)
{
    if (b->depth == 0) {
        b->tree->root = n;
        return 0;
    }
    struct frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == PL_YNODE_MAP && f->n % 2 == 0 && n->kind != PL_YNODE_SCALAR &&
        n->kind != PL_YNODE_NULL)
        return fail(b, n->line, n->col, "mapping keys must be scalars");
    return push_item(b, f, n);
}

/* ---- mapping close: duplicates and merge keys, with a small open-addressing key set ---- */

struct keyset {
    const struct pl_ynode **slot; /* malloc'd */
    size_t cap;
};

static uint64_t
key_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void
keyset_init(struct keyset *ks, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2 + 1)
        cap *= 2;
    ks->slot = pl_xcalloc(cap, sizeof(*ks->slot));
    ks->cap = cap;
}

/* Insert key; returns false if an equal key is already present. */
static bool
keyset_add(struct keyset *ks, const struct pl_ynode *k)
{
    size_t i = (size_t)key_hash(k->text, k->len) & (ks->cap - 1);
    while (ks->slot[i]) {
        const struct pl_ynode *o = ks->slot[i];
        if (o->len == k->len && memcmp(o->text, k->text, k->len) == 0)
            return false;
        i = (i + 1) & (ks->cap - 1);
    }
    ks->slot[i] = k;
    return true;
}

static bool
is_merge_key(const struct pl_ynode *k)
{
    return k->kind == PL_YNODE_SCALAR && !k->quoted && k->len == 2 && memcmp(k->text, "<<", 2) == 0;
}

static int
close_map(struct builder *b, struct frame *f)
{
    struct pl_ynode *m = f->node;
    size_t npairs = f->n / 2, total = 0, nmerge = 0, nexplicit = 0;
    struct keyset ks = {0};
    int r = 0;

    /* Count candidates: explicit pairs plus every pair of every merged mapping. */
    for (size_t i = 0; i < npairs; i++) {
        const struct pl_ynode *k = f->items[2 * i], *v = f->items[2 * i + 1];
        if (!is_merge_key(k)) {
            total++;
            nexplicit++;
            continue;
        }
        if (v->kind == PL_YNODE_MAP) {
            total += v->n;
        } else if (v->kind == PL_YNODE_SEQ) {
            for (size_t j = 0; j < v->n; j++) {
                if (v->vals[j]->kind != PL_YNODE_MAP)
                    return fail(b, v->vals[j]->line, v->vals[j]->col,
                                "merge key \"<<\" takes a mapping or a list of mappings");
                total += v->vals[j]->n;
            }
        } else {
            return fail(b, v->line, v->col,
                        "merge key \"<<\" takes a mapping or a list of mappings");
        }
        nmerge++;
    }
    if (nmerge > 1) {
        char path[256];
        frame_path(b, b->depth - 1, path, sizeof(path));
        return fail(b, m->line, m->col, "duplicate key \"<<\" in %s", path);
    }
    if (total > PL_YTREE_MAX_NODES || (b->n_nodes += total - nexplicit) > PL_YTREE_MAX_NODES)
        return fail(b, m->line, m->col, "configuration too large (more than %d YAML nodes)",
                    PL_YTREE_MAX_NODES);

    m->keys = pl_arena_alloc(&b->tree->arena, (total ? total : 1) * sizeof(*m->keys));
    m->vals = pl_arena_alloc(&b->tree->arena, (total ? total : 1) * sizeof(*m->vals));
    if (!m->keys || !m->vals)
        return fail(b, 0, 0, "out of memory");
    keyset_init(&ks, total);

    for (size_t i = 0; i < npairs; i++) {
        struct pl_ynode *k = f->items[2 * i], *v = f->items[2 * i + 1];
        if (is_merge_key(k))
            continue;
        if (!keyset_add(&ks, k)) {
            char path[256];
            frame_path(b, b->depth - 1, path, sizeof(path));
            char kb[72];
            r = fail(b, k->line, k->col, "duplicate key \"%s\" in %s", clean(k->text, kb), path);
            goto out;
        }
        m->keys[m->n] = k;
        m->vals[m->n++] = v;
    }
    for (size_t i = 0; i < npairs; i++) {
        struct pl_ynode *k = f->items[2 * i], *v = f->items[2 * i + 1];
        if (!is_merge_key(k))
            continue;
        size_t nsrc = v->kind == PL_YNODE_MAP ? 1 : v->n;
        for (size_t s = 0; s < nsrc; s++) {
            const struct pl_ynode *src = v->kind == PL_YNODE_MAP ? v : v->vals[s];
            for (size_t j = 0; j < src->n; j++) {
                if (!keyset_add(&ks, src->keys[j]))
                    continue;
                m->keys[m->n] = src->keys[j];
                m->vals[m->n++] = src->vals[j];
            }
        }
    }
out:
    free(ks.slot);
    return r;
}

static int
close_container(struct builder *b)
{
    struct frame *f = &b->stack[b->depth - 1];
    struct pl_ynode *n = f->node;
    int r = 0;

    if (n->kind == PL_YNODE_MAP) {
        r = close_map(b, f);
    } else {
        n->vals = pl_arena_alloc(&b->tree->arena, (f->n ? f->n : 1) * sizeof(*n->vals));
        if (!n->vals)
            r = fail(b, 0, 0, "out of memory");
        else if (f->n)
            memcpy(n->vals, f->items, f->n * sizeof(*n->vals));
        n->n = f->n;
    }
    free(f->items);
    f->items = NULL;
    b->depth--;
    if (r < 0)
        goto out;
    if (f->anchor) {
        char *name = f->anchor;
        f->anchor = NULL;
        r = add_anchor(b, name, f->anchor_len, n);
        if (r < 0)
            goto out;
    }
    r = attach(b, n);
out:
    free(f->anchor);
    f->anchor = NULL;
    return r;
}

static int
open_container(struct builder *b, struct fy_event *ev, enum pl_ynode_kind kind,
               struct fy_token *anchor)
{
    struct pl_ynode *n = new_node(b, kind);
    if (!n)
        return -EINVAL;
    set_pos(b, ev, n);
    if (b->depth == b->stack_cap) {
        size_t cap = b->stack_cap ? b->stack_cap * 2 : 16;
        b->stack = pl_xrealloc(b->stack, cap * sizeof(*b->stack));
        b->stack_cap = cap;
    }
    struct frame *f = &b->stack[b->depth++];
    memset(f, 0, sizeof(*f));
    f->node = n;
    if (anchor) {
        size_t len = 0;
        const char *s = fy_token_get_text(anchor, &len);
        if (!s)
            return fail(b, n->line, n->col, "invalid anchor");
        f->anchor = pl_xstrndup(s, len);
        f->anchor_len = len;
    }
    return 0;
}

static bool
is_null_text(const char *s, size_t len)
{
    static const char *const nulls[] = {"~", "null", "Null", "NULL"};
    if (len == 0)
        return true;
    for (size_t i = 0; i < PL_ARRAY_SIZE(nulls); i++)
        if (strlen(nulls[i]) == len && memcmp(nulls[i], s, len) == 0)
            return true;
    return false;
}

static int
on_scalar(struct builder *b, struct fy_event *ev)
{
    size_t len = 0;
    const char *s = fy_token_get_text(ev->scalar.value, &len);
    enum fy_scalar_style style = fy_token_scalar_style(ev->scalar.value);
    bool quoted = style != FYSS_PLAIN;
    struct pl_ynode *n;

    if (!s) {
        s = "";
        len = 0;
    }
    if (ev->scalar.tag) {
        const char *tag = fy_token_get_text0(ev->scalar.tag);
        if (tag && strcmp(tag, "tag:yaml.org,2002:str") == 0)
            quoted = true;
    }
    n = new_node(b, (!quoted && is_null_text(s, len)) ? PL_YNODE_NULL : PL_YNODE_SCALAR);
    if (!n)
        return -EINVAL;
    set_pos(b, ev, n);
    /* libfyaml marks a quoted scalar at its first character; point at the quote instead. */
    if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) && n->col > 1)
        n->col--;
    if (memchr(s, '\0', len))
        return fail(b, n->line, n->col, "NUL character in a YAML scalar");
    n->quoted = quoted;
    n->text = pl_arena_strdup(&b->tree->arena, pl_str_from(s, len));
    if (!n->text)
        return fail(b, 0, 0, "out of memory");
    n->len = len;
    if (ev->scalar.anchor && register_anchor(b, ev->scalar.anchor, n) < 0)
        return -EINVAL;
    return attach(b, n);
}

static int
on_alias(struct builder *b, struct fy_event *ev)
{
    size_t len = 0;
    const char *s = fy_token_get_text(ev->alias.anchor, &len);
    struct pl_ynode pos = {0};

    set_pos(b, ev, &pos);
    if (pos.col > 1)
        pos.col--; /* libfyaml marks the anchor name; point at the '*' */
    struct pl_ynode *target = s ? find_anchor(b, s, len) : NULL;
    if (!target)
        return fail(b, pos.line, pos.col, "unknown anchor \"%.*s\"", (int)(s ? len : 0),
                    s ? s : "");
    if (++b->n_nodes > PL_YTREE_MAX_NODES)
        return fail(b, pos.line, pos.col, "configuration too large (more than %d YAML nodes)",
                    PL_YTREE_MAX_NODES);
    return attach(b, target);
}

static void
diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

/* Turn libfyaml's first collected error into our message. */
static int
syntax_error(struct builder *b, struct fy_diag *diag)
{
    void *it = NULL;
    struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
    if (de && de->msg) {
        unsigned line = de->line > 0 ? (unsigned)de->line : b->last_line;
        unsigned col = de->column > 0 ? (unsigned)de->column : b->last_col;
        return fail(b, line, col, "YAML syntax error: %s", de->msg);
    }
    return fail(b, b->last_line, b->last_col, "YAML syntax error");
}

static int
handle_event(struct builder *b, struct fy_parser *p, struct fy_event *ev)
{
    switch (ev->type) {
    case FYET_DOCUMENT_START:
        if (++b->docs > 1) {
            struct pl_ynode pos = {0};
            set_pos(b, ev, &pos);
            if (ev->document_start.implicit || !pos.line) {
                /* Position the error on the first node of the second document. */
                struct fy_event *nx = fy_parser_parse(p);
                if (nx) {
                    set_pos(b, nx, &pos);
                    fy_parser_event_free(p, nx);
                }
            }
            return fail(b, pos.line, pos.col,
                        "a second YAML document is not allowed (one document per config file)");
        }
        return 0;
    case FYET_MAPPING_START:
        return open_container(b, ev, PL_YNODE_MAP, ev->mapping_start.anchor);
    case FYET_SEQUENCE_START:
        return open_container(b, ev, PL_YNODE_SEQ, ev->sequence_start.anchor);
    case FYET_MAPPING_END:
    case FYET_SEQUENCE_END:
        if (!b->depth)
            return fail(b, b->last_line, b->last_col, "YAML syntax error: unbalanced end");
        return close_container(b);
    case FYET_SCALAR:
        return on_scalar(b, ev);
    case FYET_ALIAS:
        return on_alias(b, ev);
    default:
        set_pos(b, ev, NULL);
        return 0;
    }
}

int
pl_ytree_parse(const char *name, const char *data, size_t len, struct pl_ytree *ret, char **ret_err)
{
    struct builder b = {
        .name = name ? name : "<config>", .tree = ret, .last_line = 1, .last_col = 1};
    struct fy_diag_cfg dcfg;
    struct fy_diag *diag = NULL;
    struct fy_parser *p = NULL;
    struct fy_event *ev;
    int r = 0;

    memset(ret, 0, sizeof(*ret));
    pl_arena_init(&ret->arena, 16384, 0);
    if (len > PL_YTREE_MAX_INPUT) {
        fail(&b, 0, 0, "configuration file too large (%zu bytes, limit %d)", len,
             PL_YTREE_MAX_INPUT);
        r = -E2BIG;
        goto fail;
    }
    /*
     * YAML directives (%YAML, %TAG) have no use in a pipelock config, and libfyaml 0.7.12 can
     * spin forever scanning some malformed ones (found by fuzz_config). Refuse them up front.
     * A NUL byte is refused too: it cannot appear in a text config and truncates C strings.
     */
    for (size_t i = 0, line = 1, col = 1; i < len; i++) {
        if (data[i] == '\0') {
            fail(&b, (unsigned)line, (unsigned)col, "NUL byte in configuration file");
            r = -EINVAL;
            goto fail;
        }
        if (data[i] == '%' && col == 1) {
            fail(&b, (unsigned)line, 1, "YAML directives (%%YAML, %%TAG) are not supported");
            r = -EINVAL;
            goto fail;
        }
        if (data[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_discard;
    dcfg.colorize = false;
    diag = fy_diag_create(&dcfg);
    if (!diag) {
        r = -ENOMEM;
        fail(&b, 0, 0, "out of memory");
        goto fail;
    }
    fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg pcfg = {
        .flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE,
        .diag = diag,
    };
    p = fy_parser_create(&pcfg);
    if (!p || fy_parser_set_string(p, len ? data : "", len) != 0) {
        r = -ENOMEM;
        fail(&b, 0, 0, "out of memory");
        goto fail;
    }
    while ((ev = fy_parser_parse(p)) != NULL) {
        r = handle_event(&b, p, ev);
        fy_parser_event_free(p, ev);
        if (r < 0)
            goto fail;
    }
    if (fy_parser_get_stream_error(p) || fy_diag_got_error(diag)) {
        r = syntax_error(&b, diag);
        goto fail;
    }
    if (b.depth) {
        r = fail(&b, b.last_line, b.last_col, "YAML syntax error: unexpected end of input");
        goto fail;
    }
    goto out;
fail:
    if (r >= 0)
        r = -EINVAL;
    pl_ytree_done(ret);
    *ret_err = b.err;
    b.err = NULL;
out:
    for (size_t i = 0; i < b.depth; i++) {
        free(b.stack[i].items);
        free(b.stack[i].anchor);
    }
    free(b.stack);
    for (size_t i = 0; i < b.n_anchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    free(b.err);
    if (p)
        fy_parser_destroy(p);
    if (diag)
        fy_diag_destroy(diag);
    return r;
}

void
pl_ytree_done(struct pl_ytree *t)
{
    if (!t)
        return;
    pl_arena_done(&t->arena);
    t->root = NULL;
}

const struct pl_ynode *
pl_ynode_get(const struct pl_ynode *map, const char *key)
{
    size_t len = strlen(key);
    if (!map || map->kind != PL_YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (map->keys[i]->len == len && memcmp(map->keys[i]->text, key, len) == 0)
            return map->vals[i];
    return NULL;
}

const struct pl_ynode *
pl_ynode_path(const struct pl_ynode *root, const char *dotted)
{
    const struct pl_ynode *n = root;
    char seg[128];

    while (n && *dotted) {
        const char *dot = strchr(dotted, '.');
        size_t len = dot ? (size_t)(dot - dotted) : strlen(dotted);
        if (len >= sizeof(seg))
            return NULL;
        memcpy(seg, dotted, len);
        seg[len] = '\0';
        n = pl_ynode_get(n, seg);
        dotted += len + (dot ? 1 : 0);
    }
    return n;
}
