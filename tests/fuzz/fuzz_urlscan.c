/*
 * Fuzz target for the URL pipeline: the input is a request target; parseable ones go through
 * every stage (with DLP, entropy, IP canonicalisation), others through the unparsable path.
 * Invariants: a verdict always names a scanner, a block always has a reason and a status,
 * and a DLP block never quotes the URL in its reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/url.h"
#include "scan/urlscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "fuzz_urlscan: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

static struct pl_dlp_db *db;
static struct pl_dlp_scratch *sc;
static struct pl_cidr_list core, ipallow;
static char *blocklist[] = {"*.pastebin.com"};
static struct pl_urlscan_cfg cfg;

static void
init(void)
{
    char *err = NULL;
    CHECK(pl_dlp_compile_builtin(&db, &err) == 0);
    sc = pl_dlp_scratch_new();
    for (size_t i = 0; i < pl_ip_core_internal_count; i++) {
        struct pl_cidr c;
        CHECK(pl_cidr_parse(pl_str_c(pl_ip_core_internal[i]), false, &c) == 0);
        CHECK(pl_cidr_list_add(&core, &c) == 0);
    }
    cfg = (struct pl_urlscan_cfg){.blocklist = blocklist,
                                  .n_blocklist = 1,
                                  .core = &core,
                                  .ssrf_set = &core,
                                  .ip_allowlist = &ipallow,
                                  .dlp = db,
                                  .entropy_threshold = 4.5,
                                  .subdomain_entropy_threshold = 4.0,
                                  .max_url_length = 2048,
                                  .seed_phrase = true,
                                  .seed_min_words = 12,
                                  .seed_verify_checksum = true};
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db)
        init();
    if (size > 16384)
        return 0;
    struct pl_str in = pl_str_from((const char *)data, size);
    struct pl_urlscan_verdict v;
    struct pl_url u;
    if (pl_url_parse(in, &u) == 0) {
        struct pl_urlscan_url su = {in, u.scheme, u.host, u.path, u.query};
        int r = pl_urlscan_run(&cfg, sc, &su, &v);
        CHECK(r == 0 || v.blocked);
        if (!v.blocked)
            pl_urlscan_length(&cfg, in, &v);
    } else {
        pl_urlscan_unparsable(in, &v);
        CHECK(v.blocked);
    }
    CHECK(v.scanner != NULL);
    if (v.blocked) {
        CHECK(v.reason[0] != '\0');
        CHECK(v.status == 403 || v.status == 429);
    }
    return 0;
}
