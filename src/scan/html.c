/*
 * HTML to text (see html.h) with libxml2's HTML parser. gumbo (HTML5-conformant) was the
 * first choice, but the Debian build keeps its assert()s and a 35-byte page
 * ("<table><math><mi><![CDATA[e]]><") aborts the whole process in handle_in_table; libxml2
 * is maintained, fuzzed continuously, recovers from any tag soup without aborting, and
 * builds a tree close enough to a browser's for text extraction. Its tree is walked
 * iteratively (parent links, no recursion on the page's nesting).
 */
#include "scan/html.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

/* ---- output with whitespace collapsing ---- */

struct sink {
    char *p;
    size_t len, cap, max;
    bool space; /* whitespace seen since the last byte written */
    bool line;  /* a line break is due before the next byte */
    bool full;
    int err;
};

static bool
put(struct sink *s, char c)
{
    if (s->len + 1 > s->max) {
        s->full = true;
        return false;
    }
    if (s->len + 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        if (cap > s->max + 1)
            cap = s->max + 1;
        char *q = realloc(s->p, cap);
        if (!q) {
            s->err = -ENOMEM;
            s->full = true;
            return false;
        }
        s->p = q;
        s->cap = cap;
    }
    s->p[s->len++] = c;
    return true;
}

static inline bool
is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void
sink_text(struct sink *s, const char *t, size_t n)
{
    for (size_t i = 0; i < n && !s->full; i++) {
        unsigned char c = (unsigned char)t[i];
        if (is_ws(c)) {
            s->space = true;
            continue;
        }
        bool sep = s->len > 0 && (s->line || (s->space && s->p[s->len - 1] != '\n'));
        if (sep && s->len + 2 > s->max) {
            s->full = true; /* no separator without the byte after it */
            return;
        }
        if (sep && !put(s, s->line ? '\n' : ' '))
            return;
        s->line = s->space = false;
        put(s, (char)c);
    }
}

/* The next text starts a new line. */
static void
sink_break(struct sink *s)
{
    s->line = true;
}

/* ---- the walk ---- */

enum { TO_VISIBLE = 0, TO_HIDDEN, TO_TITLE };

/* Elements that start and end a line of text. */
static bool
is_block(const char *t)
{
    static const char *const blocks[] = {
        "address", "article", "aside",  "blockquote", "body",  "caption", "center",   "dd",
        "details", "dialog",  "dir",    "div",        "dl",    "dt",      "fieldset", "figcaption",
        "figure",  "footer",  "form",   "h1",         "h2",    "h3",      "h4",       "h5",
        "h6",      "header",  "hgroup", "hr",         "html",  "li",      "main",     "menu",
        "nav",     "ol",      "option", "p",          "pre",   "section", "summary",  "table",
        "tbody",   "td",      "tfoot",  "th",         "thead", "title",   "tr",       "ul"};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
        if (!strcmp(t, blocks[i]))
            return true;
    return false;
}

/* Parse a CSS number at s (after optional spaces); *ret its value, or false. */
static bool
css_number(const char *s, const char *end, double *ret)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    bool neg = false;
    if (s < end && (*s == '-' || *s == '+'))
        neg = *s++ == '-';
    double v = 0, scale = 0;
    bool any = false;
    for (; s < end; s++) {
        if (*s >= '0' && *s <= '9') {
            v = v * 10 + (*s - '0');
            if (scale != 0)
                scale *= 10;
            any = true;
        } else if (*s == '.' && scale == 0) {
            scale = 1;
        } else {
            break;
        }
    }
    if (!any)
        return false;
    *ret = (neg ? -v : v) / (scale != 0 ? scale : 1);
    return true;
}

/*
 * Does an inline style hide the element? Declarations are split on ';', property names and
 * keywords compared without case and whitespace.
 */
static bool
style_hides(const char *style)
{
    const char *p = style;
    while (*p) {
        const char *end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        char name[32], value[48];
        size_t nl = 0, vl = 0;
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon) {
            for (const char *q = p; q < colon && nl + 1 < sizeof(name); q++)
                if (!is_ws((unsigned char)*q))
                    name[nl++] = (char)(*q | 0x20);
            for (const char *q = colon + 1; q < end && vl + 1 < sizeof(value); q++)
                if (!is_ws((unsigned char)*q))
                    value[vl++] = (char)((*q >= 'A' && *q <= 'Z') ? *q | 0x20 : *q);
        }
        name[nl] = value[vl] = '\0';
        double v;
        if (!strcmp(name, "display") && !strncmp(value, "none", 4))
            return true;
        if (!strcmp(name, "visibility") &&
            (!strncmp(value, "hidden", 6) || !strncmp(value, "collapse", 8)))
            return true;
        if (!strcmp(name, "opacity") && css_number(value, value + vl, &v) && v < 0.1)
            return true;
        if ((!strcmp(name, "font-size") || !strcmp(name, "width") || !strcmp(name, "height") ||
             !strcmp(name, "max-height") || !strcmp(name, "max-width")) &&
            css_number(value, value + vl, &v) && v <= 0)
            return true;
        if (!strcmp(name, "text-indent") && css_number(value, value + vl, &v) && v <= -999)
            return true;
        p = *end ? end + 1 : end;
    }
    return false;
}

/* The value of attribute name (the HTML parser lower-cases names), "" when it has none. */
static const char *
attr(const xmlNode *e, const char *name)
{
    for (const xmlAttr *a = e->properties; a; a = a->next) {
        if (strcmp((const char *)a->name, name))
            continue;
        if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
            return (const char *)a->children->content;
        return "";
    }
    return NULL;
}

static bool
element_hidden(const xmlNode *e, const char *tag)
{
    const char *v;
    if (attr(e, "hidden"))
        return true;
    if ((v = attr(e, "aria-hidden")) && !strcasecmp(v, "true"))
        return true;
    if (!strcmp(tag, "input") && (v = attr(e, "type")) && !strcasecmp(v, "hidden"))
        return true;
    return (v = attr(e, "style")) && style_hides(v);
}

static void
hidden_piece(struct sink *h, const char *v)
{
    if (v && *v) {
        sink_break(h);
        sink_text(h, v, strlen(v));
        sink_break(h);
    }
}

/* Attribute text a model may read though no one sees it: a piece of the hidden output. */
static void
hidden_attrs(struct sink *h, const xmlNode *e, const char *tag)
{
    static const char *const names[] = {"alt", "title", "aria-label", "placeholder", "srcdoc"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        hidden_piece(h, attr(e, names[i]));
    const char *name;
    if (!strcmp(tag, "meta") && (name = attr(e, "name")) && !strcasecmp(name, "description"))
        hidden_piece(h, attr(e, "content"));
}

struct level {
    unsigned char to;
    bool block;
};

static int
walk(xmlDoc *doc, struct sink *sinks)
{
    xmlNode *top = (xmlNode *)doc;
    size_t cap = 64, depth = 0;
    struct level *st = malloc(cap * sizeof(*st));
    if (!st)
        return -ENOMEM;
    unsigned char to = TO_VISIBLE;
    xmlNode *n = doc->children;
    while (n) {
        bool descend = false;
        switch (n->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (n->content)
                sink_text(&sinks[to], (const char *)n->content, strlen((const char *)n->content));
            break;
        case XML_COMMENT_NODE:
            hidden_piece(&sinks[TO_HIDDEN], (const char *)n->content);
            break;
        case XML_ELEMENT_NODE: {
            const char *tag = n->name ? (const char *)n->name : "";
            hidden_attrs(&sinks[TO_HIDDEN], n, tag);
            unsigned char cto = to;
            if (!strcmp(tag, "script") || !strcmp(tag, "style") || !strcmp(tag, "noscript") ||
                !strcmp(tag, "template") || !strcmp(tag, "head") || element_hidden(n, tag))
                cto = TO_HIDDEN;
            /* The document's <title>: in <head>, or in <body> where parsers keep it. */
            if (!strcmp(tag, "title") &&
                (to == TO_VISIBLE || (to == TO_HIDDEN && n->parent && n->parent->name &&
                                      !strcmp((const char *)n->parent->name, "head"))))
                cto = TO_TITLE;
            bool br = !strcmp(tag, "br");
            bool block = br || is_block(tag) || cto != to;
            if (block)
                sink_break(&sinks[cto]);
            if (br || !n->children)
                break;
            if (depth + 1 >= PL_HTML_MAX_DEPTH) {
                /* libxml2 stops parsing at 256 levels: what follows would be lost. */
                free(st);
                return -E2BIG;
            }
            if (depth == cap) {
                struct level *q = realloc(st, cap * 2 * sizeof(*st));
                if (!q) {
                    free(st);
                    return -ENOMEM;
                }
                st = q;
                cap *= 2;
            }
            st[depth++] = (struct level){to, block};
            to = cto;
            descend = true;
            break;
        }
        default:
            break;
        }
        if (descend) {
            n = n->children;
            continue;
        }
        /* Next sibling, or up until an ancestor has one (closing the levels on the way). */
        while (n && !n->next) {
            n = n->parent;
            if (!n || n == top || depth == 0) {
                n = NULL;
                break;
            }
            struct level l = st[--depth];
            if (l.block) {
                sink_break(&sinks[to]);
                sink_break(&sinks[l.to]);
            }
            to = l.to;
        }
        if (n)
            n = n->next;
    }
    free(st);
    for (int i = 0; i < 3; i++)
        if (sinks[i].err)
            return sinks[i].err;
    return 0;
}

static int
finish(struct sink *s, char **ret, size_t *ret_len)
{
    if (!s->p && !(s->p = malloc(1)))
        return -ENOMEM;
    s->p[s->len] = '\0';
    *ret = s->p;
    *ret_len = s->len;
    s->p = NULL;
    return 0;
}

/* ---- nesting estimate ---- */

/* Refused before parsing: an estimate this deep cannot stay under PL_HTML_MAX_DEPTH. */
#define PRESCAN_DEPTH 1024

/* Tags that never nest: void elements, and those a start tag of their own kind closes. */
static bool
flat_tag(const char *name)
{
    static const char *const flat[] = {"area",    "base",  "br",    "col",    "embed",  "hr",
                                       "img",     "input", "link",  "meta",   "param",  "source",
                                       "track",   "wbr",   "p",     "li",     "dt",     "dd",
                                       "tr",      "td",    "th",    "option", "keygen", "basefont",
                                       "bgsound", "frame", "image", "rb",     "rt",     "rp"};
    for (size_t i = 0; i < sizeof(flat) / sizeof(flat[0]); i++)
        if (!strcmp(name, flat[i]))
            return true;
    return false;
}

/*
 * An upper estimate of how deep the parser's stack of open elements will grow: start tags
 * minus end tags, not counting tags that cannot nest, comments, and the text of raw-text
 * elements. The parser's work grows with the square of that depth (scope checks walk the
 * stack), so a page of a few hundred thousand nested elements would take minutes; it also
 * grows with the square of one element's attribute count (duplicate checks), so a tag with
 * more than PL_HTML_MAX_ATTRS attributes makes the estimate SIZE_MAX.
 */
static size_t
depth_estimate(const char *p, size_t n)
{
    const char *end = p + n;
    size_t depth = 0, max = 0;
    while (p < end && (p = memchr(p, '<', (size_t)(end - p)))) {
        p++;
        if (p >= end)
            break;
        if (*p == '!' || *p == '?') {
            const char *q = (end - p >= 3 && p[1] == '-' && p[2] == '-') ? p + 3 : p;
            const char *close = q;
            if (q != p) {
                while ((close = memchr(close, '-', (size_t)(end - close))) &&
                       !(end - close >= 3 && close[1] == '-' && close[2] == '>'))
                    close++;
            } else {
                close = memchr(p, '>', (size_t)(end - p));
            }
            if (!close)
                break;
            p = close + 1;
            continue;
        }
        bool endtag = *p == '/';
        if (endtag)
            p++;
        char name[12];
        size_t k = 0;
        while (p < end &&
               (((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') || (*p >= '0' && *p <= '9'))) {
            if (k + 1 < sizeof(name))
                name[k++] = (char)(*p | 0x20);
            p++;
        }
        name[k] = '\0';
        if (k == 0)
            continue;
        /* The tag's end, quotes honoured, counting its attributes on the way. */
        const char *gt = p;
        char quote = 0;
        size_t attrs = 0;
        bool prev_space = true;
        for (; gt < end; gt++) {
            char c = *gt;
            if (quote) {
                quote = c == quote ? 0 : quote;
                continue;
            }
            if (c == '>')
                break;
            if (c == '"' || c == '\'') {
                quote = c;
                continue;
            }
            /* '/' separates attributes as whitespace does ("<a x/y/z>") */
            bool sp = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/';
            attrs += prev_space && !sp && c != '=';
            prev_space = sp;
        }
        if (gt >= end)
            break;
        if (attrs > PL_HTML_MAX_ATTRS)
            return SIZE_MAX;
        if (endtag) {
            depth -= depth > 0;
            p = gt + 1;
            continue;
        }
        bool self = gt > p && gt[-1] == '/';
        p = gt + 1;
        if (!strcmp(name, "script") || !strcmp(name, "style") || !strcmp(name, "textarea") ||
            !strcmp(name, "title") || !strcmp(name, "xmp")) {
            /* Raw text up to the matching end tag. */
            size_t nl = strlen(name);
            const char *q = p;
            while ((q = memchr(q, '<', (size_t)(end - q))) &&
                   !(end - q > (ptrdiff_t)nl + 1 && q[1] == '/' && !strncasecmp(q + 2, name, nl)))
                q++;
            p = q ? q : end;
            continue;
        }
        if (self || flat_tag(name))
            continue;
        if (++depth > max)
            max = depth;
    }
    return max;
}

/* ---- pl_html_to_text ---- */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void
xml_init(void)
{
    xmlInitParser();
}

int
pl_html_to_text(struct pl_str html, size_t max_out, struct pl_html_text *out)
{
    memset(out, 0, sizeof(*out));
    if (max_out == 0)
        max_out = 1u << 20;
    size_t tags = 0;
    for (const char *p = html.p, *end = html.p + html.len;
         html.len && (p = memchr(p, '<', (size_t)(end - p))); p++)
        if (++tags > PL_HTML_MAX_TAGS)
            return -E2BIG;
    if (html.len > INT_MAX || (html.len && depth_estimate(html.p, html.len) > PRESCAN_DEPTH))
        return -E2BIG;

    pthread_once(&xml_once, xml_init);
    struct sink sinks[3];
    memset(sinks, 0, sizeof(sinks));
    for (int i = 0; i < 3; i++)
        sinks[i].max = max_out;
    /* No network, no error output, recover from anything; UTF-8 unless the bytes say
     * otherwise (a BOM); a <meta charset> does not switch it. */
    htmlDocPtr doc = htmlReadMemory(html.len ? html.p : "", (int)html.len, NULL, "UTF-8",
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET);
    int r = doc ? walk(doc, sinks) : 0;
    if (doc)
        xmlFreeDoc(doc);
    if (r == 0)
        r = finish(&sinks[TO_TITLE], &out->title, &out->title_len);
    if (r == 0)
        r = finish(&sinks[TO_VISIBLE], &out->visible, &out->visible_len);
    if (r == 0)
        r = finish(&sinks[TO_HIDDEN], &out->hidden, &out->hidden_len);
    out->truncated = sinks[0].full || sinks[1].full || sinks[2].full;
    for (int i = 0; i < 3; i++)
        free(sinks[i].p);
    if (r < 0)
        pl_html_text_free(out);
    return r;
}

void
pl_html_text_free(struct pl_html_text *t)
{
    free(t->title);
    free(t->visible);
    free(t->hidden);
    memset(t, 0, sizeof(*t));
}
