/*
 * HTML to text for response scanning and /fetch (libxml2's HTML parser, which recovers from
 * any tag soup).
 *
 * Three outputs, each whitespace-collapsed (runs of ASCII whitespace become one space, block
 * elements and <br> start a new line, lines are trimmed, no empty lines):
 *   - title:   the text of the document's <title>;
 *   - visible: the readable text, what a person sees: text nodes outside <head>, <script>,
 *              <style>, <template>, <noscript>, comments and hidden elements;
 *   - hidden:  what the page carries that a person does not see but a model reading the page
 *              may: comments, <script>/<style>/<noscript>/<template> bodies, the text of
 *              elements hidden by the `hidden` attribute, aria-hidden="true", or an inline
 *              style that hides them (display:none, visibility:hidden|collapse, opacity 0,
 *              font-size 0, width/height 0, text-indent far off-screen), and the alt, title,
 *              aria-label, placeholder and srcdoc attributes and <meta name=description> content.
 * Injections hide in the last; scanners scan visible, title and hidden, /fetch returns title
 * and visible. Character references are decoded (the parser does it).
 *
 * Pure and reentrant: no globals, no I/O.
 */
#ifndef PL_SCAN_HTML_H
#define PL_SCAN_HTML_H

#include "util/str.h"

struct pl_html_text {
    char *title; /* NUL-terminated, malloc'd (never NULL after success) */
    size_t title_len;
    char *visible;
    size_t visible_len;
    char *hidden;
    size_t hidden_len;
    bool truncated; /* an output reached max_out bytes and was cut there */
};

/* Documents with more tags than this are not parsed (see pl_html_to_text). */
#define PL_HTML_MAX_TAGS 200000
/*
 * Documents whose tree nests this deep are refused: libxml2 stops parsing at 256 levels and
 * drops the rest, which an injection could hide behind.
 */
#define PL_HTML_MAX_DEPTH 240
/* ... or have an element with more attributes than this (duplicate checks are quadratic). */
#define PL_HTML_MAX_ATTRS 1024

/*
 * Parse html and fill *out. Each output holds at most max_out bytes (0: 1 MiB). Returns 0;
 * -E2BIG when the document has more than PL_HTML_MAX_TAGS '<' bytes, nests
 * PL_HTML_MAX_DEPTH levels deep, or has an element with more than PL_HTML_MAX_ATTRS
 * attributes (the parser would lose content or take quadratic time: callers then scan the
 * raw bytes as text); or -ENOMEM. On error *out is zeroed and holds nothing to free.
 */
int pl_html_to_text(struct pl_str html, size_t max_out, struct pl_html_text *out);

/* Free what pl_html_to_text() allocated; *t is zeroed. */
void pl_html_text_free(struct pl_html_text *t);

#endif
