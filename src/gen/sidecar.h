/*
 * `pipelock init sidecar`: the companion-proxy pattern for Kubernetes (reference §8.5). From
 * one agent workload (Deployment, StatefulSet, Job, CronJob) build the seven objects: the
 * workload with the proxy variables injected, pipelock's ConfigMap, Deployment, Service and
 * PodDisruptionBudget, and two NetworkPolicies that leave the agent's pods no way out but
 * pipelock (and the cluster resolver). Pure: YAML text in, JSON trees and YAML text out.
 */
#ifndef PL_GEN_SIDECAR_H
#define PL_GEN_SIDECAR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct pl_sidecar_opts {
    const char *image;          /* pipelock's image */
    const char *preset;         /* balanced | strict | audit */
    const char *agent_identity; /* NULL: "<kind lower-case>/<name>" */
    const char *version;        /* for the app.kubernetes.io/version label */
};

/* The seven objects, in the order they are emitted. */
enum pl_sidecar_obj {
    PL_SC_WORKLOAD,
    PL_SC_CONFIGMAP,
    PL_SC_DEPLOYMENT,
    PL_SC_SERVICE,
    PL_SC_AGENT_NETPOL,
    PL_SC_PROXY_NETPOL,
    PL_SC_PDB,
    PL_SC_COUNT,
};

struct pl_sidecar {
    json_t *obj[PL_SC_COUNT]; /* owned */
    char kind[32];
    char name[254];
    char proxy[254];    /* "<name>-pipelock" */
    char ns[254];       /* the workload's namespace, "" when it names none */
    char identity[320]; /* default_agent_identity */
    char *config;       /* pipelock.yaml of the ConfigMap (malloc'd) */
};

/* The file name of each object in the kustomize layout. */
extern const char *const pl_sidecar_file[PL_SC_COUNT];

/*
 * Build from the workload's YAML (one document). Returns 0, or -1 with a malloc'd message in
 * *ret_err (not YAML, not one of the four kinds, no name, no pod labels, names too long...).
 * Free with pl_sidecar_done.
 */
int pl_sidecar_build(const char *yaml, size_t len, const struct pl_sidecar_opts *o,
                     struct pl_sidecar *ret, char **ret_err);
void pl_sidecar_done(struct pl_sidecar *s);

/*
 * values.yaml for the chart in deploy/helm/pipelock (install it with the release name
 * s->proxy): the proxy's image, replicas, anti-affinity, resources, the component label the
 * generated NetworkPolicies and PDB select, and the config. NULL on error.
 */
json_t *pl_sidecar_helm_values(const struct pl_sidecar *s, const struct pl_sidecar_opts *o);

/* One YAML document as a JSON tree; quoted scalars stay strings. Plain scalars are typed as
 * YAML 1.2's core schema, or with yaml11 as Kubernetes' YAML 1.1 reader types them (yes/on/y
 * booleans, 0-led octal). At most 200000 nodes after alias expansion. NULL with a malloc'd
 * *ret_err on error. */
json_t *pl_yaml_to_json(const char *name, const char *data, size_t len, bool yaml11,
                        char **ret_err);

/* A JSON tree as block-style YAML (keys in insertion order). malloc'd, NULL on error. */
char *pl_yaml_emit(const json_t *v);

#endif
