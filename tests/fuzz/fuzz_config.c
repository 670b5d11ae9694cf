/*
 * Fuzz target for policy/config: the input is a config file. Besides "no crash, no leak" it
 * checks the loader's contract: exactly one of config / error message comes back, errors are
 * -EINVAL or -E2BIG and name the file, a loaded config is internally consistent, and loading
 * is deterministic (the same bytes give the same result twice).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "fuzz_config: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

static void
check_config(const struct pl_config *c)
{
    CHECK(strlen(c->hash) == 64);
    CHECK(c->mode == PL_MODE_BALANCED || c->mode == PL_MODE_STRICT || c->mode == PL_MODE_AUDIT);
    CHECK(c->mode != PL_MODE_STRICT || c->api_allowlist.n > 0);
    CHECK(c->version > 0);
    CHECK(c->fetch_proxy.listen && *c->fetch_proxy.listen);
    CHECK(c->fetch_proxy.timeout_seconds > 0 && c->fetch_proxy.max_response_mb > 0);
    CHECK(c->fetch_proxy.monitoring.max_url_length > 0);
    CHECK(c->fetch_proxy.monitoring.max_requests_per_minute > 0);
    CHECK(c->fetch_proxy.monitoring.entropy_threshold > 0);
    CHECK(c->logging.format && c->logging.file && c->metrics_listen);
    CHECK(c->logging.output == PL_LOG_OUT_STDOUT || *c->logging.file);
    CHECK(c->websocket_proxy.strip_compression);
    CHECK(c->server.max_headers >= 1 && c->server.max_headers <= 128);
    CHECK(c->server.max_header_bytes >= c->server.max_request_line);
    CHECK(c->dns.timeout_ms > 0 && c->dns.attempts > 0);
    for (size_t i = 0; i < c->api_allowlist.n; i++)
        CHECK(c->api_allowlist.v[i] != NULL);
    for (size_t i = 0; i < c->warnings.n; i++)
        CHECK(c->warnings.v[i] && strchr(c->warnings.v[i], ':'));
    for (size_t i = 0; i < c->dlp.patterns.n; i++)
        CHECK(*c->dlp.patterns.v[i].name && *c->dlp.patterns.v[i].regex);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pl_config *c1 = NULL, *c2 = NULL;
    char *e1 = NULL, *e2 = NULL;
    int r1 = pl_config_load_buffer("fuzz.yaml", (const char *)data, size, &c1, &e1);
    int r2 = pl_config_load_buffer("fuzz.yaml", (const char *)data, size, &c2, &e2);

    CHECK(r1 == r2);
    if (r1 == 0) {
        CHECK(c1 && c2 && !e1 && !e2);
        check_config(c1);
        CHECK(strcmp(c1->hash, c2->hash) == 0);
        CHECK(c1->warnings.n == c2->warnings.n);
    } else {
        CHECK(r1 == -EINVAL || r1 == -E2BIG);
        CHECK(!c1 && !c2 && e1 && e2);
        CHECK(strncmp(e1, "fuzz.yaml", 9) == 0);
        CHECK(strcmp(e1, e2) == 0);
        CHECK(!strchr(e1, '\n'));
    }
    pl_config_free(c1);
    pl_config_free(c2);
    free(e1);
    free(e2);
    return 0;
}
