/*
 * h1dump: parse one HTTP/1.1 message head from stdin and print the result as one JSON line,
 * for the differential test against h11 (test_h1_differential.py).
 *
 *   h1dump [--bytewise] [--response METHOD] < message
 *
 * Strings are printed byte for byte: printable ASCII as is, every other byte as \u00XX, so
 * json.loads(...).encode("latin-1") gives back the exact bytes.
 *
 *   {"ok":true,"head_len":N,"method":"GET","target":"/","version":"1.1","form":"origin",
 *    "headers":[["Host","a"]],"body":"none|length|chunked|eof","content_length":N,
 *    "keep_alive":true}
 *   {"ok":false,"rc":"EBADMSG","status":400,"reason":"...","offset":N}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1.h"

static void
put_str(struct pl_str s)
{
    putchar('"');
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            putchar(c);
        else
            printf("\\u%04x", c);
    }
    putchar('"');
}

static const char *
rc_name(int rc)
{
    switch (rc) {
    case -EAGAIN:
        return "EAGAIN";
    case -EBADMSG:
        return "EBADMSG";
    case -E2BIG:
        return "E2BIG";
    case -ENOTSUP:
        return "ENOTSUP";
    default:
        return "OTHER";
    }
}

static const char *
body_name(enum pl_h1_body b)
{
    switch (b) {
    case PL_H1_BODY_LENGTH:
        return "length";
    case PL_H1_BODY_CHUNKED:
        return "chunked";
    case PL_H1_BODY_UNTIL_EOF:
        return "eof";
    default:
        return "none";
    }
}

static const char *
form_name(enum pl_h1_form f)
{
    switch (f) {
    case PL_H1_FORM_ORIGIN:
        return "origin";
    case PL_H1_FORM_ABSOLUTE:
        return "absolute";
    case PL_H1_FORM_AUTHORITY:
        return "authority";
    case PL_H1_FORM_ASTERISK:
        return "asterisk";
    default:
        return "?";
    }
}

static void
put_headers(const struct pl_h1_header *h, size_t n)
{
    printf("\"headers\":[");
    for (size_t i = 0; i < n; i++) {
        printf(i ? ",[" : "[");
        put_str(h[i].name);
        putchar(',');
        put_str(h[i].value);
        putchar(']');
    }
    printf("]");
}

int
main(int argc, char **argv)
{
    static char buf[1 << 20];
    static struct pl_h1_request req;
    static struct pl_h1_response resp;
    const char *resp_method = NULL;
    bool bytewise = false;
    size_t len = 0;
    int rc = -EAGAIN;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--bytewise") == 0) {
            bytewise = true;
        } else if (strcmp(argv[i], "--response") == 0 && i + 1 < argc) {
            resp_method = argv[++i];
        } else {
            fprintf(stderr, "usage: h1dump [--bytewise] [--response METHOD] < message\n");
            return 2;
        }
    }
    len = fread(buf, 1, sizeof(buf), stdin);

    struct pl_h1_limits lim = {8192, 65536, 100};
    struct pl_h1_scan st = {0};
    struct pl_h1_error err = {0};
    for (size_t n = bytewise ? 1 : len; n <= len; n++) {
        if (resp_method)
            rc = pl_h1_parse_response(buf, n, &lim, pl_str_c(resp_method), &st, &resp, &err);
        else
            rc = pl_h1_parse_request(buf, n, &lim, &st, &req, &err);
        if (rc != -EAGAIN)
            break;
    }

    if (rc < 0) {
        printf("{\"ok\":false,\"rc\":\"%s\",\"status\":%d,\"reason\":", rc_name(rc), err.status);
        put_str(pl_str_c(err.reason ? err.reason : ""));
        printf(",\"offset\":%zu}\n", err.offset);
        return 0;
    }
    printf("{\"ok\":true,\"head_len\":%d,", rc);
    if (resp_method) {
        printf("\"status\":%d,\"reason\":", resp.status);
        put_str(resp.reason);
        printf(",\"version\":\"1.%d\",", resp.minor_version);
        put_headers(resp.headers, resp.n_headers);
        printf(",\"body\":\"%s\",\"content_length\":%llu,\"keep_alive\":%s}\n",
               body_name(resp.body), (unsigned long long)resp.content_length,
               resp.keep_alive ? "true" : "false");
        return 0;
    }
    printf("\"method\":");
    put_str(req.method);
    printf(",\"target\":");
    put_str(req.target);
    printf(",\"version\":\"1.%d\",\"form\":\"%s\",", req.minor_version, form_name(req.form));
    put_headers(req.headers, req.n_headers);
    printf(",\"body\":\"%s\",\"content_length\":%llu,\"keep_alive\":%s}\n", body_name(req.body),
           (unsigned long long)req.content_length, req.keep_alive ? "true" : "false");
    return 0;
}
