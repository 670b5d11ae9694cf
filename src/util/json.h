/* Minimal streaming JSON object writer (output only) into a pl_buf. */
#ifndef PL_UTIL_JSON_H
#define PL_UTIL_JSON_H

#include "util/buf.h"

struct pl_json {
    struct pl_buf *out; /* borrowed */
    int depth;
    bool need_comma[16];
    int err; /* first error seen (sticky), 0 if none */
};

void pl_json_init(struct pl_json *j, struct pl_buf *out);
void pl_json_obj_begin(struct pl_json *j);
void pl_json_obj_end(struct pl_json *j);
void pl_json_arr_begin(struct pl_json *j, const char *key);
void pl_json_arr_end(struct pl_json *j);
/* Object member with a nested object value. */
void pl_json_obj_begin_key(struct pl_json *j, const char *key);
/* key may be NULL inside an array. Strings are escaped; invalid UTF-8 bytes and control
 * characters are written as \u escapes so a log line can never be split or forged. */
void pl_json_str(struct pl_json *j, const char *key, struct pl_str v);
void pl_json_cstr(struct pl_json *j, const char *key, const char *v);
void pl_json_int(struct pl_json *j, const char *key, int64_t v);
void pl_json_uint(struct pl_json *j, const char *key, uint64_t v);
void pl_json_double(struct pl_json *j, const char *key, double v, int decimals);
void pl_json_bool(struct pl_json *j, const char *key, bool v);
/* Append s as a quoted, escaped JSON string. */
int pl_json_escape(struct pl_buf *out, struct pl_str s) PL_WARN_UNUSED;
/* Returns the sticky error (0, -E2BIG, -ENOMEM). */
static inline int
pl_json_error(const struct pl_json *j)
{
    return j->err;
}

#endif
