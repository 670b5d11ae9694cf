/*
 * Fuzz target for gen/sidecar: the input is a YAML document (a workload manifest, or
 * anything). Besides "no crash, no leak" it checks the YAML emitter's contract, which every
 * generated manifest relies on: any tree read from YAML, emitted and read again, is the same
 * tree (strings that look like booleans, numbers, nulls, indicators or comments are quoted;
 * multi-line text survives). When the input is a supported workload, the seven objects are
 * built and each one round-trips too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/sidecar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "fuzz_sidecar: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

static void
round_trip(const json_t *v, bool yaml11)
{
    char *text = pl_yaml_emit(v);
    CHECK(text != NULL);
    char *err = NULL;
    json_t *back = pl_yaml_to_json("emitted", text, strlen(text), yaml11, &err);
    if (!back || !json_equal((json_t *)v, back)) {
        fprintf(stderr, "fuzz_sidecar: round trip changed the tree\n--- emitted ---\n%s\n%s\n",
                text, err ? err : "");
        abort();
    }
    json_decref(back);
    free(err);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Both schemas: an emitted text must read back the same under either. */
    for (int yaml11 = 0; yaml11 < 2; yaml11++) {
        char *err = NULL;
        json_t *j = pl_yaml_to_json("input", (const char *)data, size, yaml11, &err);
        CHECK((j == NULL) == (err != NULL));
        if (j) {
            round_trip(j, false);
            round_trip(j, true);
            json_decref(j);
        }
        free(err);
    }
    char *err;

    struct pl_sidecar_opts o = {
        .image = "example/pipelock:1", .preset = "balanced", .version = "0.1.0"};
    struct pl_sidecar s;
    err = NULL;
    if (pl_sidecar_build((const char *)data, size, &o, &s, &err) == 0) {
        CHECK(err == NULL);
        for (int i = 0; i < PL_SC_COUNT; i++) {
            CHECK(s.obj[i] != NULL);
            round_trip(s.obj[i], true);
        }
        pl_sidecar_done(&s);
    } else {
        CHECK(err != NULL);
        free(err);
    }
    return 0;
}
