/*
 * `pipelock init sidecar`: the companion-proxy objects for one Kubernetes workload
 * (gen/sidecar.c builds them), emitted as one YAML stream or as a kustomize directory, after a
 * static check (the config loads and compiles, every object reads back the same) and a canary
 * (the config's DLP blocks a fake credential).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cliutil.h"
#include "gen/sidecar.h"
#include "http/url.h"
#include "policy/config.h"
#include "policy/yaml_tree.h"
#include "proxy/policy_check.h"
#include "scan/dlp.h"
#include "scan/urlscan.h"

#include "pl_build.h"

static const char sidecar_usage[] =
    "Usage: pipelock init sidecar --inject-spec workload.yaml\n"
    "                             [--emit patch|kustomize|helm-values]\n"
    "                             [-o file|dir] [--image ref] [--preset balanced|strict|audit]\n"
    "                             [--agent-identity id] [--dry-run] [--force] [--json]\n"
    "                             [--skip-verify] [--skip-canary]\n"
    "\n"
    "Generate the companion-proxy deployment (the transparent tier) for one agent workload\n"
    "(Deployment, StatefulSet, Job or CronJob): pipelock runs in its own pods, and the\n"
    "agent's pods may send only to pipelock's Service (and DNS to the cluster resolver).\n"
    "Seven objects: the workload with HTTPS_PROXY/HTTP_PROXY/NO_PROXY injected, pipelock's\n"
    "ConfigMap, Deployment (2 replicas), Service and PodDisruptionBudget, and a\n"
    "NetworkPolicy for each side. Applying again gives the same objects.\n"
    "\n"
    "Flags:\n"
    "  --inject-spec file    the agent's workload manifest (one object)\n"
    "  --emit string         patch (default: one YAML stream), kustomize (a directory) or\n"
    "                        helm-values (a directory: values.yaml for deploy/helm/pipelock,\n"
    "                        the agent's side, a README.txt)\n"
    "  -o, --output path     patch: a file (default stdout); otherwise a directory\n"
    "  --image ref           pipelock's image (default ghcr.io/luckypipewrench/pipelock:"
    "<version>)\n"
    "  --preset string       config preset: balanced (default), strict or audit\n"
    "  --agent-identity id   the identity every request is attributed to\n"
    "                        (default <kind>/<name>)\n"
    "  --dry-run             print the objects, write nothing\n"
    "  --force               overwrite existing files\n"
    "  --json                print a JSON summary (patch then needs -o)\n"
    "  --skip-verify         skip the static check\n"
    "  --skip-canary         skip the DLP canary\n";

/* The static check: the config loads and compiles; every object reads back unchanged. */
static int
verify(const struct pl_sidecar *s, char **texts, struct pl_policy **ret_pol, char *msg,
       size_t msglen)
{
    struct pl_config *cfg = NULL;
    char *err = NULL;
    if (pl_config_load_buffer("pipelock.yaml", s->config, strlen(s->config), &cfg, &err) < 0) {
        snprintf(msg, msglen, "the generated config does not load: %s", err ? err : "?");
        free(err);
        return -1;
    }
    if (pl_policy_new(cfg, ret_pol, &err) < 0) {
        snprintf(msg, msglen, "the generated config does not compile: %s", err ? err : "?");
        free(err);
        return -1;
    }
    for (int i = 0; i < PL_SC_COUNT; i++) {
        struct pl_ytree t;
        if (pl_ytree_parse(pl_sidecar_file[i], texts[i], strlen(texts[i]), &t, &err) < 0) {
            snprintf(msg, msglen, "%s does not read back: %s", pl_sidecar_file[i], err ? err : "?");
            free(err);
            return -1;
        }
        pl_ytree_done(&t);
    }
    return 0;
}

/* The canary: the generated config's URL pipeline blocks a fake AWS key. */
static bool
canary(struct pl_policy *pol)
{
    static const char url[] = "https://example.invalid/?key=AKIAIOSFODNN7EXAMPLE";
    struct pl_dlp_scratch *sc = pl_dlp_scratch_new();
    struct pl_url pu;
    struct pl_urlscan_verdict v = {0};
    if (!sc || pl_url_parse(pl_str_from(url, sizeof(url) - 1), &pu) < 0) {
        pl_dlp_scratch_free(sc);
        return false;
    }
    struct pl_urlscan_url u = {pl_str_from(url, sizeof(url) - 1), pu.scheme, pu.host, pu.path,
                               pu.query};
    pl_urlscan_run(&pol->us, sc, &u, &v);
    pl_dlp_scratch_free(sc);
    return v.blocked || v.dlp.n > 0;
}

static int
write_one(const char *path, const char *text, bool force)
{
    if (!force && access(path, F_OK) == 0) {
        fprintf(stderr, "pipelock: init sidecar: %s exists (use --force to overwrite)\n", path);
        return -1;
    }
    int r = pl_cli_write_file(path, text, 0644);
    if (r < 0) {
        fprintf(stderr, "pipelock: init sidecar: cannot write %s: %s\n", path, strerror(-r));
        return -1;
    }
    return 0;
}

static int
init_sidecar(int argc, char **argv)
{
    static const struct option opts[] = {
        {"inject-spec", required_argument, NULL, 'i'},
        {"emit", required_argument, NULL, 'e'},
        {"output", required_argument, NULL, 'o'},
        {"dry-run", no_argument, NULL, 'D'},
        {"force", no_argument, NULL, 'f'},
        {"image", required_argument, NULL, 'I'},
        {"preset", required_argument, NULL, 'p'},
        {"skip-canary", no_argument, NULL, 'C'},
        {"skip-verify", no_argument, NULL, 'V'},
        {"json", no_argument, NULL, 'j'},
        {"agent-identity", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *spec = NULL, *emit = "patch", *out = NULL, *image = NULL, *preset = "balanced",
               *identity = NULL;
    bool dry = false, force = false, skip_canary = false, skip_verify = false, as_json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            spec = optarg;
            break;
        case 'e':
            emit = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'D':
            dry = true;
            break;
        case 'f':
            force = true;
            break;
        case 'I':
            image = optarg;
            break;
        case 'p':
            preset = optarg;
            break;
        case 'C':
            skip_canary = true;
            break;
        case 'V':
            skip_verify = true;
            break;
        case 'j':
            as_json = true;
            break;
        case 'a':
            identity = optarg;
            break;
        case 'h':
            fputs(sidecar_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(sidecar_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock: init sidecar: unexpected argument \"%s\"\n", argv[optind]);
        return PL_EXIT_USAGE;
    }
    if (!spec) {
        fputs("pipelock: init sidecar: --inject-spec is required\n", stderr);
        return PL_EXIT_USAGE;
    }
    bool kustomize = !strcmp(emit, "kustomize"), helm = !strcmp(emit, "helm-values");
    bool to_dir = kustomize || helm;
    if (!to_dir && strcmp(emit, "patch")) {
        fprintf(stderr,
                "pipelock: init sidecar: unknown --emit \"%s\" (patch, kustomize, helm-values)\n",
                emit);
        return PL_EXIT_USAGE;
    }
    if (to_dir && !out && !dry) {
        fprintf(stderr, "pipelock: init sidecar: --emit %s needs -o DIRECTORY\n", emit);
        return PL_EXIT_USAGE;
    }
    if (as_json && !to_dir && !out && !dry) {
        fputs("pipelock: init sidecar: --json with --emit patch needs -o FILE\n", stderr);
        return PL_EXIT_USAGE;
    }
    char def_image[128];
    snprintf(def_image, sizeof(def_image), "ghcr.io/luckypipewrench/pipelock:%s", PL_VERSION);
    if (image && (!*image || strpbrk(image, " \t\r\n\"'"))) {
        fputs("pipelock: init sidecar: --image must be an image reference\n", stderr);
        return PL_EXIT_USAGE;
    }
    size_t len = 0;
    char *yaml = pl_cli_read_file(spec, PL_YTREE_MAX_INPUT, &len);
    if (!yaml) {
        fprintf(stderr, "pipelock: init sidecar: cannot read %s: %s\n", spec, strerror(errno));
        return PL_EXIT_USAGE;
    }
    struct pl_sidecar_opts o = {.image = image ? image : def_image,
                                .preset = preset,
                                .agent_identity = identity,
                                .version = PL_VERSION};
    struct pl_sidecar s;
    char *err = NULL;
    int rc = PL_EXIT_USAGE;
    int r = pl_sidecar_build(yaml, len, &o, &s, &err);
    free(yaml);
    if (r < 0) {
        fprintf(stderr, "pipelock: init sidecar: %s: %s\n", spec, err ? err : "cannot build");
        free(err);
        return PL_EXIT_USAGE;
    }
    if (helm && strlen(s.proxy) > 53) {
        /* Helm refuses longer release names, and the policies select the release name. */
        fprintf(stderr,
                "pipelock: init sidecar: --emit helm-values: the release name \"%s\" would be "
                "longer than Helm's 53 characters; shorten the workload's name or use "
                "--emit patch or kustomize\n",
                s.proxy);
        pl_sidecar_done(&s);
        return PL_EXIT_USAGE;
    }
    char *texts[PL_SC_COUNT] = {0};
    for (int i = 0; i < PL_SC_COUNT; i++) {
        texts[i] = pl_yaml_emit(s.obj[i]);
        if (!texts[i]) {
            fputs("pipelock: init sidecar: out of memory\n", stderr);
            goto done;
        }
    }
    struct pl_policy *pol = NULL;
    char msg[512] = "";
    const char *verify_res = "skipped", *canary_res = "skipped";
    if (!skip_verify || !skip_canary) {
        if (verify(&s, texts, &pol, msg, sizeof(msg)) < 0) {
            fprintf(stderr, "pipelock: init sidecar: verify: %s\n", msg);
            goto done;
        }
        if (!skip_verify)
            verify_res = "ok";
        if (!skip_canary) {
            if (!canary(pol)) {
                fputs("pipelock: init sidecar: canary: the generated config does not catch a "
                      "fake AWS key\n",
                      stderr);
                pl_policy_unref(pol);
                goto done;
            }
            canary_res = "ok";
        }
        pl_policy_unref(pol);
    }

    json_t *files = json_array();
    if (!to_dir || dry) {
        /* One stream: the workload first, so that a reader sees what changed at the top. */
        size_t total = 1;
        for (int i = 0; i < PL_SC_COUNT; i++)
            total += strlen(texts[i]) + 8;
        char *stream = malloc(total);
        if (!stream) {
            json_decref(files);
            goto done;
        }
        size_t n = 0;
        for (int i = 0; i < PL_SC_COUNT; i++)
            n += (size_t)snprintf(stream + n, total - n, "---\n%s", texts[i]);
        if (dry || !out) {
            if (!as_json) /* stdout is the JSON summary then */
                fputs(stream, stdout);
        } else if (write_one(out, stream, force) == 0) {
            json_array_append_new(files, json_string(out));
        } else {
            free(stream);
            json_decref(files);
            rc = PL_EXIT_FAIL;
            goto done;
        }
        free(stream);
    } else {
        /* A directory: kustomize (the seven objects and kustomization.yaml) or helm-values
         * (values.yaml for deploy/helm/pipelock, the objects the chart does not make, and a
         * README.txt saying how to install). */
        const char *names[PL_SC_COUNT + 2];
        char *bodies[PL_SC_COUNT + 2] = {0};
        size_t nf = 0;
        bool ok = true;
        if (kustomize) {
            json_t *kz =
                json_pack("{s:s,s:s,s:[]}", "apiVersion", "kustomize.config.k8s.io/v1beta1", "kind",
                          "Kustomization", "resources");
            for (int i = 0; i < PL_SC_COUNT; i++) {
                names[nf] = pl_sidecar_file[i];
                bodies[nf++] = strdup(texts[i]);
                json_array_append_new(json_object_get(kz, "resources"),
                                      json_string(pl_sidecar_file[i]));
            }
            names[nf] = "kustomization.yaml";
            bodies[nf++] = pl_yaml_emit(kz);
            json_decref(kz);
        } else {
            json_t *v = pl_sidecar_helm_values(&s, &o);
            char *vt = v ? pl_yaml_emit(v) : NULL;
            json_decref(v);
            names[nf] = "values.yaml";
            if (vt && asprintf(&bodies[nf], "# values for deploy/helm/pipelock: see README.txt\n%s",
                               vt) < 0)
                bodies[nf] = NULL;
            nf++;
            free(vt);
            static const int kept[] = {PL_SC_WORKLOAD, PL_SC_AGENT_NETPOL, PL_SC_PROXY_NETPOL,
                                       PL_SC_PDB};
            for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
                names[nf] = pl_sidecar_file[kept[i]];
                bodies[nf++] = strdup(texts[kept[i]]);
            }
            names[nf] = "README.txt";
            if (asprintf(&bodies[nf],
                         "pipelock companion proxy for %s/%s (pipelock init sidecar --emit "
                         "helm-values)\n\n"
                         "Install pipelock with the chart in deploy/helm/pipelock, with the "
                         "release name\n%s (the NetworkPolicies, the PodDisruptionBudget and "
                         "the agent's HTTPS_PROXY\nall name it):\n\n"
                         "  helm install %s deploy/helm/pipelock -f values.yaml%s%s\n\n"
                         "then apply the agent's side:\n\n"
                         "  kubectl apply -f agent-workload.yaml -f agent-networkpolicy.yaml \\\n"
                         "      -f pipelock-networkpolicy.yaml -f pipelock-pdb.yaml\n\n"
                         "and check from the agent's pod: pipelock verify-install\n",
                         s.kind, s.name, s.proxy, s.proxy, s.ns[0] ? " -n " : "", s.ns) < 0)
                bodies[nf] = NULL;
            nf++;
        }
        for (size_t i = 0; i < nf; i++)
            ok = ok && bodies[i];
        if (!ok)
            fputs("pipelock: init sidecar: out of memory\n", stderr);
        if (ok && mkdir(out, 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "pipelock: init sidecar: cannot create %s: %s\n", out, strerror(errno));
            ok = false;
        }
        char path[PATH_MAX];
        /* Refuse before writing anything: a half-written directory helps nobody. */
        for (size_t i = 0; ok && i < nf && !force; i++) {
            snprintf(path, sizeof(path), "%s/%s", out, names[i]);
            if (access(path, F_OK) == 0) {
                fprintf(stderr, "pipelock: init sidecar: %s exists (use --force to overwrite)\n",
                        path);
                ok = false;
            }
        }
        for (size_t i = 0; ok && i < nf; i++) {
            snprintf(path, sizeof(path), "%s/%s", out, names[i]);
            ok = write_one(path, bodies[i], true) == 0;
            if (ok)
                json_array_append_new(files, json_string(path));
        }
        for (size_t i = 0; i < nf; i++)
            free(bodies[i]);
        if (!ok) {
            json_decref(files);
            rc = PL_EXIT_FAIL;
            goto done;
        }
    }
    if (as_json) {
        json_t *objs = json_array();
        for (int i = 0; i < PL_SC_COUNT; i++)
            json_array_append_new(
                objs, json_pack("{s:s,s:s}", "kind",
                                json_string_value(json_object_get(s.obj[i], "kind")), "name",
                                json_string_value(json_object_get(
                                    json_object_get(s.obj[i], "metadata"), "name"))));
        json_t *sum = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:b}", "workload_kind",
                                s.kind, "workload", s.name, "proxy", s.proxy, "agent_identity",
                                s.identity, "emit", emit, "objects", objs, "files", files, "verify",
                                verify_res, "canary", canary_res, "dry_run", dry);
        char *t = json_dumps(sum, JSON_INDENT(2));
        if (t)
            puts(t);
        free(t);
        json_decref(sum);
    } else {
        fprintf(stderr, "%s %s/%s: proxy %s (Service %s:8888), identity %s; verify %s, canary %s\n",
                dry ? "Would generate for" : "Generated for", s.kind, s.name, s.proxy, s.proxy,
                s.identity, verify_res, canary_res);
        size_t i;
        json_t *f;
        json_array_foreach(files, i, f) fprintf(stderr, "  wrote %s\n", json_string_value(f));
        if (!dry && helm)
            fprintf(stderr, "Install as %s/README.txt says (helm install %s ...)\n", out, s.proxy);
        else if (!dry && (kustomize || out))
            fprintf(stderr, "Apply with: kubectl apply %s %s\n", kustomize ? "-k" : "-f", out);
        json_decref(files);
    }
    rc = PL_EXIT_OK;
done:
    for (int i = 0; i < PL_SC_COUNT; i++)
        free(texts[i]);
    pl_sidecar_done(&s);
    return rc;
}

int
pl_cmd_init(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "sidecar"))
        return init_sidecar(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(sidecar_usage, stdout);
        fputs("\n`pipelock init` without \"sidecar\" is not implemented in this build yet.\n",
              stdout);
        return PL_EXIT_OK;
    }
    fputs("pipelock: init: only `init sidecar` is implemented in this build yet\n", stderr);
    return PL_EXIT_FAIL;
}
