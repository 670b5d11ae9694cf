/*
 * Fuzz target: HTTP/1.1 request heads (pl_h1_parse_request and the helpers a proxy calls on
 * its result).
 *
 * Input: one control byte, then the message. Control bits: 0x01 tiny start-line limit,
 * 0x02 tiny head limit, 0x04 tiny header-count limit.
 *
 * Invariants (a violation traps):
 *  - a returned head length is > 0 and <= the bytes given, and the head ends in CRLF CRLF;
 *  - every returned slice lies inside the head; method and field names are tokens; values
 *    hold no CR, LF or NUL and are OWS-trimmed; n_headers respects the limit;
 *  - errors carry a status from the documented set and an offset inside the input;
 *  - parsing the input split at a pseudo-random point (second half from a moved copy of the
 *    buffer) and, for short inputs, one byte at a time gives exactly the one-shot result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1.h"
#include "http/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)              \
    do {                      \
        if (!(x))             \
            __builtin_trap(); \
    } while (0)

static struct pl_h1_request one, other;

static void
check_slice(struct pl_str s, const char *base, size_t len)
{
    CHECK(s.p != NULL);
    CHECK(s.p >= base && s.len <= len && (size_t)(s.p - base) <= len - s.len);
}

static bool
same_slice(struct pl_str a, const char *abase, struct pl_str b, const char *bbase)
{
    return a.len == b.len && a.p - abase == b.p - bbase;
}

static void
check_same(int rc, const struct pl_h1_error *e, const char *buf, int rc1,
           const struct pl_h1_error *e1, const char *buf1)
{
    CHECK(rc == rc1);
    if (rc == -EAGAIN)
        return;
    if (rc < 0) {
        CHECK(e->status == e1->status && e->offset == e1->offset);
        CHECK(strcmp(e->reason, e1->reason) == 0);
        return;
    }
    CHECK(same_slice(other.method, buf, one.method, buf1));
    CHECK(same_slice(other.target, buf, one.target, buf1));
    CHECK(other.n_headers == one.n_headers && other.form == one.form);
    CHECK(other.body == one.body && other.content_length == one.content_length);
    CHECK(other.keep_alive == one.keep_alive && other.host_index == one.host_index);
    CHECK(other.expect_continue == one.expect_continue && other.has_upgrade == one.has_upgrade);
    for (size_t i = 0; i < one.n_headers; i++) {
        CHECK(same_slice(other.headers[i].name, buf, one.headers[i].name, buf1));
        CHECK(same_slice(other.headers[i].value, buf, one.headers[i].value, buf1));
    }
}

static void
check_success(const char *in, size_t n, int rc, const struct pl_h1_limits *lim)
{
    size_t head = (size_t)rc;
    CHECK(rc > 0 && head <= n && head >= 4);
    CHECK(memcmp(in + head - 4, "\r\n\r\n", 4) == 0);
    CHECK(one.n_headers <= lim->max_headers && one.n_headers <= PL_H1_MAX_HEADERS);
    check_slice(one.method, in, head);
    check_slice(one.target, in, head);
    CHECK(one.method.len > 0 && one.target.len > 0);
    for (size_t i = 0; i < one.method.len; i++)
        CHECK(pl_h1_is_tchar((unsigned char)one.method.p[i]));
    CHECK(one.minor_version == 0 || one.minor_version == 1);
    CHECK(one.form >= PL_H1_FORM_ORIGIN && one.form <= PL_H1_FORM_ASTERISK);
    for (size_t i = 0; i < one.n_headers; i++) {
        struct pl_str nm = one.headers[i].name, v = one.headers[i].value;
        check_slice(nm, in, head);
        check_slice(v, in, head);
        CHECK(nm.len > 0);
        for (size_t k = 0; k < nm.len; k++)
            CHECK(pl_h1_is_tchar((unsigned char)nm.p[k]));
        for (size_t k = 0; k < v.len; k++)
            CHECK(v.p[k] != '\r' && v.p[k] != '\n' && v.p[k] != '\0');
        CHECK(v.len == 0 ||
              (v.p[0] != ' ' && v.p[0] != '\t' && v.p[v.len - 1] != ' ' && v.p[v.len - 1] != '\t'));
        (void)pl_h1_is_hop_by_hop(nm, one.headers, one.n_headers);
    }
    if (one.body == PL_H1_BODY_CHUNKED)
        CHECK(one.minor_version == 1 &&
              pl_h1_find_header(one.headers, one.n_headers, "content-length", 0) < 0);
    if (one.body != PL_H1_BODY_LENGTH)
        CHECK(one.content_length == 0);
    if (one.minor_version == 1)
        CHECK(one.host_index >= 0);
    if (one.host_index >= 0) {
        CHECK((size_t)one.host_index < one.n_headers);
        CHECK(pl_str_eq_ci(one.headers[one.host_index].name, PL_STR("host")));
        CHECK(pl_url_parse_authority(one.headers[one.host_index].value, false, 80, NULL, NULL,
                                     NULL) == 0);
    }
    if (one.form == PL_H1_FORM_AUTHORITY) {
        CHECK(pl_str_eq(one.method, PL_STR("CONNECT")));
        CHECK(pl_url_parse_authority(one.target, true, 0, NULL, NULL, NULL) == 0);
        CHECK(one.body == PL_H1_BODY_NONE);
    }
    if (one.form == PL_H1_FORM_ORIGIN)
        CHECK(one.target.p[0] == '/');
    if (one.form == PL_H1_FORM_ABSOLUTE) {
        struct pl_url u;
        if (pl_url_parse(one.target, &u) == 0 && one.host_index >= 0)
            (void)pl_url_host_matches(&u, one.headers[one.host_index].value);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct pl_h1_limits lim = {
        data[0] & 1 ? 64 : 8192,
        data[0] & 2 ? 256 : 65536,
        data[0] & 4 ? 4 : 100,
    };
    const char *in = (const char *)data + 1;
    size_t n = size - 1;

    struct pl_h1_scan st = {0};
    struct pl_h1_error e1 = {0};
    int rc1 = pl_h1_parse_request(in, n, &lim, &st, &one, &e1);
    CHECK(rc1 == -EAGAIN || rc1 == -EBADMSG || rc1 == -E2BIG || rc1 == -ENOTSUP || rc1 > 0);
    if (rc1 > 0)
        check_success(in, n, rc1, &lim);
    else if (rc1 != -EAGAIN) {
        CHECK(e1.reason != NULL && e1.offset <= n);
        CHECK(e1.status == 400 || e1.status == 414 || e1.status == 431 || e1.status == 501 ||
              e1.status == 505);
        CHECK((rc1 == -E2BIG) == (e1.status == 414 || e1.status == 431));
    } else {
        CHECK(st.checked == n && n <= lim.max_head);
    }

    /* split at a pseudo-random point; the rest comes from a different buffer */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    size_t k = n ? h % (n + 1) : 0;
    char *copy = malloc(n ? n : 1);
    if (!copy)
        return 0;
    memcpy(copy, in, n);
    struct pl_h1_scan st2 = {0};
    struct pl_h1_error e2 = {0};
    int rc2 = pl_h1_parse_request(in, k, &lim, &st2, &other, &e2);
    if (rc2 == -EAGAIN) {
        rc2 = pl_h1_parse_request(copy, n, &lim, &st2, &other, &e2);
        check_same(rc2, &e2, copy, rc1, &e1, in);
    } else {
        check_same(rc2, &e2, in, rc1, &e1, in);
    }

    if (n <= 300) {
        struct pl_h1_scan st3 = {0};
        struct pl_h1_error e3 = {0};
        int rc3 = -EAGAIN;
        for (size_t m = 1; m <= n && rc3 == -EAGAIN; m++)
            rc3 = pl_h1_parse_request(copy, m, &lim, &st3, &other, &e3);
        check_same(rc3, &e3, copy, rc1, &e1, in);
    }
    free(copy);
    return 0;
}
