/*
 * Fuzz target: HTTP/1.1 response heads (pl_h1_parse_response).
 *
 * Input: one control byte, then the message. Bits 0-1 pick the request method (GET, HEAD,
 * CONNECT, POST); 0x04 tiny limits.
 *
 * Invariants (a violation traps): head length <= input and ends in CRLF CRLF; slices inside
 * the head; status 100..999; body rules of RFC 9112 §6.3 (HEAD, 1xx, 204, 304, 2xx to CONNECT
 * have no body; UNTIL_EOF never keeps the connection alive); every error is reported as 502;
 * split and byte-at-a-time parsing give the one-shot result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)              \
    do {                      \
        if (!(x))             \
            __builtin_trap(); \
    } while (0)

static struct pl_h1_response one, other;

static void
check_slice(struct pl_str s, const char *base, size_t len)
{
    CHECK(s.p != NULL);
    CHECK(s.p >= base && s.len <= len && (size_t)(s.p - base) <= len - s.len);
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
        return;
    }
    CHECK(other.status == one.status && other.minor_version == one.minor_version);
    CHECK(other.reason.len == one.reason.len && other.reason.p - buf == one.reason.p - buf1);
    CHECK(other.n_headers == one.n_headers);
    CHECK(other.body == one.body && other.content_length == one.content_length);
    CHECK(other.keep_alive == one.keep_alive);
    for (size_t i = 0; i < one.n_headers; i++) {
        CHECK(other.headers[i].name.p - buf == one.headers[i].name.p - buf1);
        CHECK(other.headers[i].value.len == one.headers[i].value.len);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "HEAD", "CONNECT", "POST"};
    if (size < 1)
        return 0;
    struct pl_str method = pl_str_c(methods[data[0] & 3]);
    struct pl_h1_limits lim = {data[0] & 4 ? 32 : 8192, data[0] & 4 ? 200 : 65536,
                               data[0] & 4 ? 3 : 100};
    const char *in = (const char *)data + 1;
    size_t n = size - 1;

    struct pl_h1_scan st = {0};
    struct pl_h1_error e1 = {0};
    int rc1 = pl_h1_parse_response(in, n, &lim, method, &st, &one, &e1);
    CHECK(rc1 == -EAGAIN || rc1 == -EBADMSG || rc1 == -E2BIG || rc1 == -ENOTSUP || rc1 > 0);
    if (rc1 > 0) {
        size_t head = (size_t)rc1;
        CHECK(head <= n && head >= 4 && memcmp(in + head - 4, "\r\n\r\n", 4) == 0);
        CHECK(one.status >= 100 && one.status <= 999);
        CHECK(one.minor_version == 0 || one.minor_version == 1);
        check_slice(one.reason, in, head);
        CHECK(one.n_headers <= lim.max_headers);
        for (size_t i = 0; i < one.n_headers; i++) {
            check_slice(one.headers[i].name, in, head);
            check_slice(one.headers[i].value, in, head);
            (void)pl_h1_is_hop_by_hop(one.headers[i].name, one.headers, one.n_headers);
        }
        bool no_body = one.status < 200 || one.status == 204 || one.status == 304 ||
                       pl_str_eq(method, PL_STR("HEAD")) ||
                       (pl_str_eq(method, PL_STR("CONNECT")) && one.status < 300);
        CHECK(no_body == (one.body == PL_H1_BODY_NONE));
        if (one.body == PL_H1_BODY_UNTIL_EOF)
            CHECK(!one.keep_alive);
        if (one.body != PL_H1_BODY_LENGTH)
            CHECK(one.content_length == 0);
    } else if (rc1 != -EAGAIN) {
        CHECK(e1.status == 502 && e1.reason && e1.offset <= n);
    }

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
    int rc2 = pl_h1_parse_response(in, k, &lim, method, &st2, &other, &e2);
    if (rc2 == -EAGAIN) {
        rc2 = pl_h1_parse_response(copy, n, &lim, method, &st2, &other, &e2);
        check_same(rc2, &e2, copy, rc1, &e1, in);
    } else {
        check_same(rc2, &e2, in, rc1, &e1, in);
    }
    if (n <= 300) {
        struct pl_h1_scan st3 = {0};
        struct pl_h1_error e3 = {0};
        int rc3 = -EAGAIN;
        for (size_t m = 1; m <= n && rc3 == -EAGAIN; m++)
            rc3 = pl_h1_parse_response(copy, m, &lim, method, &st3, &other, &e3);
        check_same(rc3, &e3, copy, rc1, &e1, in);
    }
    free(copy);
    return 0;
}
