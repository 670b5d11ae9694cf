/* The companion-proxy objects of `pipelock init sidecar` (see sidecar.h). */
#include "gen/sidecar.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen/preset.h"
#include "policy/yaml_tree.h"
#include "util/buf.h"

const char *const pl_sidecar_file[PL_SC_COUNT] = {
    "agent-workload.yaml",   "pipelock-configmap.yaml",  "pipelock-deployment.yaml",
    "pipelock-service.yaml", "agent-networkpolicy.yaml", "pipelock-networkpolicy.yaml",
    "pipelock-pdb.yaml",
};

#define HTTP_PORT    8888
#define METRICS_PORT 9091

static int
fail(char **ret_err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(ret_err, fmt, ap) < 0)
        *ret_err = NULL;
    va_end(ap);
    return -1;
}

/* ---- YAML → JSON ---- */

/* Walk state: the schema and a budget, since aliases make the tree a DAG (an alias bomb of
 * a few hundred bytes names billions of nodes). */
struct walk {
    bool yaml11;
    size_t visits;
};
#define WALK_MAX_NODES 200000

static bool
word_in(const char *s, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s, words[i]))
            return true;
    return false;
}

static const char *const true12[] = {"true", "True", "TRUE"};
static const char *const false12[] = {"false", "False", "FALSE"};
static const char *const true11[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
                                     "on",   "On",   "ON",   "y",   "Y"};
static const char *const false11[] = {"false", "False", "FALSE", "no", "No", "NO",
                                      "off",   "Off",   "OFF",   "n",  "N"};
static const char *const null_words[] = {"null", "Null", "NULL", "~"};

/* An integer as YAML reads it: decimal, 0x hex, 0o octal (1.2) or 0-led octal (1.1, as
 * Kubernetes' reader does: defaultMode: 0400 is 256). */
static bool
parse_int(const char *s, bool yaml11, long long *ret)
{
    const char *p = s;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (!*p || strlen(p) > 20)
        return false;
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && p[2]) {
        base = 16;
        p += 2;
    } else if (p[0] == '0' && p[1] == 'o' && p[2]) {
        base = 8;
        p += 2;
    } else if (p[0] == '0' && p[1]) {
        if (!yaml11)
            return false; /* 1.2 core: a leading zero is not an int; keep the text */
        base = 8;
        p += 1;
    }
    if ((base != 10 && s[0] == '+') || (base == 16 && neg))
        return false;
    for (const char *q = p; *q; q++) {
        int d = isdigit((unsigned char)*q)               ? *q - '0'
                : (*q >= 'a' && *q <= 'f' && base == 16) ? *q - 'a' + 10
                : (*q >= 'A' && *q <= 'F' && base == 16) ? *q - 'A' + 10
                                                         : 99;
        if (d >= base)
            return false;
    }
    errno = 0;
    long long v = strtoll(p, NULL, base);
    if (errno)
        return false;
    *ret = neg ? -v : v;
    return true;
}

static json_t *
to_json(const struct pl_ynode *n, int depth, struct walk *w)
{
    if (depth > 64 || ++w->visits > WALK_MAX_NODES)
        return NULL;
    if (pl_ynode_is_null(n))
        return json_null();
    if (n->kind == PL_YNODE_SCALAR) {
        if (!n->quoted) {
            const char *t = n->text;
            if (w->yaml11 ? word_in(t, true11, PL_ARRAY_SIZE(true11))
                          : word_in(t, true12, PL_ARRAY_SIZE(true12)))
                return json_true();
            if (w->yaml11 ? word_in(t, false11, PL_ARRAY_SIZE(false11))
                          : word_in(t, false12, PL_ARRAY_SIZE(false12)))
                return json_false();
            if (word_in(t, null_words, PL_ARRAY_SIZE(null_words)))
                return json_null();
            long long iv;
            if (parse_int(t, w->yaml11, &iv))
                return json_integer(iv);
            char *end;
            double d = strtod(t, &end);
            if (*t && !*end && strpbrk(t, ".eE") && isdigit((unsigned char)t[0]) &&
                !strpbrk(t, "xXpP") && isfinite(d))
                return json_real(d);
        }
        return json_stringn(n->text, n->len);
    }
    json_t *out = n->kind == PL_YNODE_SEQ ? json_array() : json_object();
    for (size_t i = 0; out && i < n->n; i++) {
        json_t *v = to_json(n->vals[i], depth + 1, w);
        if (!v) {
            json_decref(out);
            return NULL;
        }
        if (n->kind == PL_YNODE_SEQ)
            json_array_append_new(out, v);
        else
            json_object_set_new(out, n->keys[i]->text, v);
    }
    return out;
}

json_t *
pl_yaml_to_json(const char *name, const char *data, size_t len, bool yaml11, char **ret_err)
{
    struct pl_ytree t;
    char *err = NULL;
    *ret_err = NULL;
    if (pl_ytree_parse(name, data, len, &t, &err) < 0) {
        fail(ret_err, "%s", err ? err : "cannot parse");
        free(err);
        return NULL;
    }
    struct walk w = {.yaml11 = yaml11};
    json_t *j = to_json(t.root, 0, &w);
    pl_ytree_done(&t);
    if (!j)
        fail(ret_err, "%s: %s", name,
             w.visits > WALK_MAX_NODES ? "more than 200000 nodes (aliases expand to too much)"
                                       : "nested too deeply, or out of memory");
    return j;
}

/* ---- JSON → YAML ---- */

static bool
plain_ok(const char *s)
{
    /* Words some YAML reader (1.1 or 1.2, any case) takes for a boolean or a null. */
    static const char *const reserved[] = {"true", "false", "null", "yes", "no", "on",
                                           "off",  "y",     "n",    "~",   "=",  "<<"};
    if (!*s || strlen(s) > 200)
        return false;
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (!strcasecmp(s, reserved[i]))
            return false;
    if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) || s[strlen(s) - 1] == ' ' || s[strlen(s) - 1] == ':')
        return false;
    /* Anything a YAML 1.1 or 1.2 reader could take for a number. */
    if (isdigit((unsigned char)s[0]) || s[0] == '.' || s[0] == '+')
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || c >= 0x80)
            return false;
        if ((c == ':' && p[1] == ' ') || (c == ' ' && p[1] == '#'))
            return false;
    }
    return true;
}

static int
emit_scalar(struct pl_buf *b, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return pl_buf_add_c(b, "null");
    case JSON_TRUE:
        return pl_buf_add_c(b, "true");
    case JSON_FALSE:
        return pl_buf_add_c(b, "false");
    case JSON_INTEGER:
        return pl_buf_printf(b, "%lld", (long long)json_integer_value(v));
    case JSON_REAL: {
        /* Always with a '.' or an exponent, so that it reads back as a float. */
        char num[40];
        double d = json_real_value(v);
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(num, sizeof(num), "%.*g", prec, d);
            if (strtod(num, NULL) == d)
                break;
        }
        return pl_buf_printf(b, "%s%s", num, strpbrk(num, ".eEn") ? "" : ".0");
    }
    case JSON_STRING: {
        const char *s = json_string_value(v);
        if (plain_ok(s))
            return pl_buf_add_c(b, s);
        /* A JSON string is a valid YAML double-quoted scalar. */
        char *q = json_dumps(v, JSON_ENCODE_ANY);
        int r = q ? pl_buf_add_c(b, q) : -ENOMEM;
        free(q);
        return r;
    }
    default:
        return -EINVAL;
    }
}

static bool
is_empty_coll(const json_t *v)
{
    return (json_is_object(v) && json_object_size(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

/* Multi-line text that a literal block ("|" or "|-") gives back byte for byte. */
static bool
block_ok(const char *s)
{
    size_t n = strlen(s);
    if (!strchr(s, '\n') || s[0] == ' ' || s[0] == '\n' || (n >= 2 && !strcmp(s + n - 2, "\n\n")))
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < 0x20 && c != '\n') || c == 0x7f)
            return false;
        if (c == '\n' && p > s && (p[-1] == ' ' || p[-1] == '\t'))
            return false;
    }
    return s[n - 1] != ' ' && s[n - 1] != '\t';
}

static int emit_node(struct pl_buf *b, const json_t *v, int indent);

/* "key: value" pairs of a mapping at indent (the first one's indent already written when
 * first_inline). */
static int
emit_map(struct pl_buf *b, const json_t *v, int indent, bool first_inline)
{
    const char *k;
    json_t *x;
    bool first = true;
    json_object_foreach((json_t *)v, k, x)
    {
        if (!(first && first_inline) && pl_buf_printf(b, "%*s", indent, "") < 0)
            return -1;
        first = false;
        json_t *key = json_string(k);
        int r = key ? emit_scalar(b, key) : -1;
        json_decref(key);
        if (r < 0 || pl_buf_add_c(b, ":") < 0)
            return -1;
        if (json_is_object(x) && !is_empty_coll(x)) {
            if (pl_buf_add_c(b, "\n") < 0 || emit_map(b, x, indent + 2, false) < 0)
                return -1;
        } else if (json_is_array(x) && !is_empty_coll(x)) {
            if (pl_buf_add_c(b, "\n") < 0 || emit_node(b, x, indent) < 0)
                return -1;
        } else {
            if (pl_buf_add_c(b, " ") < 0 || emit_node(b, x, indent) < 0)
                return -1;
        }
    }
    return 0;
}

static int
emit_node(struct pl_buf *b, const json_t *v, int indent)
{
    if (json_is_object(v)) {
        if (!json_object_size(v))
            return pl_buf_add_c(b, "{}\n");
        return emit_map(b, v, indent, false);
    }
    if (json_is_array(v)) {
        if (!json_array_size(v))
            return pl_buf_add_c(b, "[]\n");
        size_t i;
        json_t *x;
        json_array_foreach((json_t *)v, i, x)
        {
            if (pl_buf_printf(b, "%*s- ", indent, "") < 0)
                return -1;
            if (json_is_object(x) && !is_empty_coll(x)) {
                if (emit_map(b, x, indent + 2, true) < 0)
                    return -1;
            } else if (json_is_array(x) && !is_empty_coll(x)) {
                if (pl_buf_add_c(b, "\n") < 0 || emit_node(b, x, indent + 2) < 0)
                    return -1;
            } else if (emit_node(b, x, indent + 2) < 0) {
                return -1;
            }
        }
        return 0;
    }
    if (json_is_string(v) && block_ok(json_string_value(v))) {
        /* A literal block keeps multi-line text (a config file) readable. */
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        bool trailing = n && s[n - 1] == '\n';
        if (pl_buf_add_c(b, trailing ? "|\n" : "|-\n") < 0)
            return -1;
        int ind = indent + 2;
        while (*s) {
            const char *e = strchr(s, '\n');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            if ((len ? pl_buf_printf(b, "%*s%.*s\n", ind, "", (int)len, s)
                     : pl_buf_add_c(b, "\n")) < 0)
                return -1;
            s += len + (e ? 1 : 0);
        }
        return 0;
    }
    if (emit_scalar(b, v) < 0 || pl_buf_add_c(b, "\n") < 0)
        return -1;
    return 0;
}

char *
pl_yaml_emit(const json_t *v)
{
    struct pl_buf b;
    pl_buf_init(&b, 16u << 20);
    char *out = emit_node(&b, v, 0) == 0 ? strndup(b.data ? b.data : "", b.len) : NULL;
    pl_buf_done(&b);
    return out;
}

/* ---- the objects ---- */

/* RFC 1123 label (what Service and most object names must be). */
static bool
dns_label(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (!n || n > max || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return false;
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
            return false;
    return true;
}

static json_t *
labels(const struct pl_sidecar *s, const char *component, const char *version)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "app.kubernetes.io/name", "pipelock",
                     "app.kubernetes.io/instance", s->proxy, "app.kubernetes.io/component",
                     component, "app.kubernetes.io/managed-by", "pipelock-init-sidecar",
                     "app.kubernetes.io/version", version);
}

static json_t *
proxy_selector(const struct pl_sidecar *s)
{
    return json_pack("{s:s,s:s,s:s}", "app.kubernetes.io/name", "pipelock",
                     "app.kubernetes.io/instance", s->proxy, "app.kubernetes.io/component",
                     "proxy");
}

static json_t *
meta(const struct pl_sidecar *s, const char *name, const char *ns, const char *component,
     const char *version)
{
    json_t *m = json_pack("{s:s}", "name", name);
    if (ns)
        json_object_set_new(m, "namespace", json_string(ns));
    json_object_set_new(m, "labels", labels(s, component, version));
    return m;
}

static void
set_env(json_t *container, const char *name, const char *value)
{
    json_t *env = json_object_get(container, "env");
    if (!json_is_array(env)) {
        env = json_array();
        json_object_set_new(container, "env", env);
    }
    /* The first entry gets the value; later duplicates (the one Kubernetes would use) go. */
    bool done = false;
    for (size_t i = 0; i < json_array_size(env);) {
        json_t *e = json_array_get(env, i);
        if (json_is_object(e) &&
            !strcmp(json_string_value(json_object_get(e, "name")) ?: "", name)) {
            if (done) {
                json_array_remove(env, i);
                continue;
            }
            json_object_del(e, "valueFrom");
            json_object_set_new(e, "value", json_string(value));
            done = true;
        }
        i++;
    }
    if (!done)
        json_array_append_new(env, json_pack("{s:s,s:s}", "name", name, "value", value));
}

static int
inject(json_t *containers, const struct pl_sidecar *s, char **ret_err)
{
    if (!containers)
        return 0;
    if (!json_is_array(containers))
        return fail(ret_err, "containers must be a list");
    char proxy_url[300];
    snprintf(proxy_url, sizeof(proxy_url), "http://%s:%d", s->proxy, HTTP_PORT);
    static const char no_proxy[] = "localhost,127.0.0.1,.svc,.cluster.local";
    size_t i;
    json_t *c;
    json_array_foreach(containers, i, c)
    {
        if (!json_is_object(c))
            return fail(ret_err, "a container must be a mapping");
        /* curl and Python read the lower-case names; most others the upper-case ones. */
        set_env(c, "HTTPS_PROXY", proxy_url);
        set_env(c, "HTTP_PROXY", proxy_url);
        set_env(c, "NO_PROXY", no_proxy);
        set_env(c, "https_proxy", proxy_url);
        set_env(c, "http_proxy", proxy_url);
        set_env(c, "no_proxy", no_proxy);
    }
    return 0;
}

static char *
config_yaml(const struct pl_sidecar *s, const struct pl_sidecar_opts *o, char **ret_err)
{
    char *text = pl_gen_preset_yaml(o->preset, "pipelock init sidecar");
    if (!text) {
        fail(ret_err, "unknown preset \"%s\" (balanced, strict or audit)", o->preset);
        return NULL;
    }
    char *err = NULL;
    json_t *c = pl_yaml_to_json("preset", text, strlen(text), false, &err);
    free(text);
    if (!c) {
        fail(ret_err, "%s", err ? err : "preset: cannot parse");
        free(err);
        return NULL;
    }
    if (!json_is_object(c)) {
        json_decref(c);
        fail(ret_err, "preset is not a mapping");
        return NULL;
    }
    json_t *fp = json_object_get(c, "fetch_proxy");
    if (!json_is_object(fp)) {
        fp = json_object();
        json_object_set_new(c, "fetch_proxy", fp);
    }
    char listen[32];
    snprintf(listen, sizeof(listen), "0.0.0.0:%d", HTTP_PORT);
    json_object_set_new(fp, "listen", json_string(listen));
    snprintf(listen, sizeof(listen), "0.0.0.0:%d", METRICS_PORT);
    json_object_set_new(c, "metrics_listen", json_string(listen));
    json_t *fw = json_object_get(c, "forward_proxy");
    if (!json_is_object(fw)) {
        fw = json_object();
        json_object_set_new(c, "forward_proxy", fw);
    }
    json_object_set_new(fw, "enabled", json_true());
    json_object_set_new(c, "default_agent_identity", json_string(s->identity));
    json_object_set_new(c, "bind_default_agent_identity", json_true());
    char *body = pl_yaml_emit(c);
    json_decref(c);
    if (!body)
        return NULL;
    char *out = NULL;
    if (asprintf(&out,
                 "# pipelock config for the companion proxy of %s (pipelock init sidecar,\n"
                 "# preset %s). Every request is attributed to %s.\n%s",
                 s->identity, o->preset, s->identity, body) < 0)
        out = NULL;
    free(body);
    return out;
}

static json_t *
port(const char *proto, int n)
{
    return json_pack("{s:s,s:i}", "protocol", proto, "port", n);
}

int
pl_sidecar_build(const char *yaml, size_t len, const struct pl_sidecar_opts *o,
                 struct pl_sidecar *s, char **ret_err)
{
    memset(s, 0, sizeof(*s));
    *ret_err = NULL;
    char *err = NULL;
    /* Kubernetes reads manifests as YAML 1.1 (yes/on are booleans, 0400 is octal). */
    json_t *w = pl_yaml_to_json("workload", yaml, len, true, &err);
    if (!w) {
        *ret_err = err;
        return -1;
    }
    if (!json_is_object(w)) {
        json_decref(w);
        return fail(ret_err, "the workload file must hold one Kubernetes object (a mapping)");
    }
    const char *kind = json_string_value(json_object_get(w, "kind"));
    json_t *md = json_object_get(w, "metadata");
    const char *name = json_string_value(json_object_get(md, "name"));
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    json_t *spec = json_object_get(w, "spec"), *tmpl = NULL;
    int rc = -1;
    if (!kind || (strcmp(kind, "Deployment") && strcmp(kind, "StatefulSet") &&
                  strcmp(kind, "Job") && strcmp(kind, "CronJob"))) {
        fail(ret_err, "kind %s%s%s is not supported (Deployment, StatefulSet, Job, CronJob)",
             kind ? "\"" : "", kind ? kind : "(missing)", kind ? "\"" : "");
        goto out;
    }
    if (!name || !dns_label(name, 253 - 9)) {
        fail(ret_err, "metadata.name is missing or not a DNS name");
        goto out;
    }
    if (ns && !dns_label(ns, 63)) {
        fail(ret_err, "metadata.namespace is not a DNS label");
        goto out;
    }
    snprintf(s->ns, sizeof(s->ns), "%s", ns ? ns : "");
    snprintf(s->kind, sizeof(s->kind), "%s", kind);
    snprintf(s->name, sizeof(s->name), "%s", name);
    snprintf(s->proxy, sizeof(s->proxy), "%s-pipelock", name);
    /* The Service name is a DNS-1035 label: at most 63 characters, starting with a letter. */
    if (!dns_label(s->proxy, 63) || !islower((unsigned char)s->proxy[0]) ||
        strlen(s->name) + strlen("-pipelock-policy") > 253) {
        fail(ret_err,
             "\"%s\" is too long or does not start with a letter: the Service name "
             "\"%s-pipelock\" must be a DNS label of at most 63 characters",
             name, name);
        goto out;
    }
    if (o->agent_identity) {
        snprintf(s->identity, sizeof(s->identity), "%s", o->agent_identity);
    } else {
        char lk[32];
        size_t i = 0;
        for (; kind[i] && i < sizeof(lk) - 1; i++)
            lk[i] = (char)tolower((unsigned char)kind[i]);
        lk[i] = '\0';
        snprintf(s->identity, sizeof(s->identity), "%s/%s", lk, name);
    }
    if (!s->identity[0]) {
        fail(ret_err, "--agent-identity must not be empty (an empty identity is not bound)");
        goto out;
    }
    for (const char *p = s->identity; *p; p++) {
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
            fail(ret_err, "--agent-identity must be printable ASCII without spaces");
            goto out;
        }
    }
    if (!strcmp(kind, "CronJob"))
        spec = json_object_get(json_object_get(spec, "jobTemplate"), "spec");
    tmpl = json_object_get(spec, "template");
    json_t *pod = json_object_get(tmpl, "spec");
    json_t *pod_labels = json_object_get(json_object_get(tmpl, "metadata"), "labels");
    if (!json_is_object(pod) || !json_is_array(json_object_get(pod, "containers")) ||
        !json_array_size(json_object_get(pod, "containers"))) {
        fail(ret_err, "the pod template (%s.template.spec.containers) is missing",
             strcmp(kind, "CronJob") ? "spec" : "spec.jobTemplate.spec");
        goto out;
    }
    if (!json_is_object(pod_labels) || !json_object_size(pod_labels)) {
        fail(ret_err, "the pod template has no labels: no NetworkPolicy could select the "
                      "agent's pods");
        goto out;
    }
    const char *k;
    json_t *x;
    json_object_foreach(pod_labels, k, x)
    {
        if (!json_is_string(x)) {
            fail(ret_err, "pod label %s must be a string", k);
            goto out;
        }
    }
    if (json_object_get(pod, "hostNetwork") == json_true()) {
        fail(ret_err, "the pod uses hostNetwork: NetworkPolicy does not apply to it, so it "
                      "cannot be contained this way");
        goto out;
    }
    const char *version = o->version ? o->version : "0";

    /* 1. The workload: proxy variables in every container, annotations for idempotence. */
    if (inject(json_object_get(pod, "containers"), s, ret_err) < 0 ||
        inject(json_object_get(pod, "initContainers"), s, ret_err) < 0)
        goto out;
    json_t *ann = json_object_get(md, "annotations");
    if (!json_is_object(ann)) {
        ann = json_object();
        json_object_set_new(md, "annotations", ann);
    }
    char svc[300];
    snprintf(svc, sizeof(svc), "%s:%d", s->proxy, HTTP_PORT);
    json_object_set_new(ann, "pipelock.dev/topology", json_string("companion-proxy"));
    json_object_set_new(ann, "pipelock.dev/proxy-name", json_string(s->proxy));
    json_object_set_new(ann, "pipelock.dev/proxy-service", json_string(svc));
    s->obj[PL_SC_WORKLOAD] = json_incref(w);

    /* 2. ConfigMap. */
    s->config = config_yaml(s, o, ret_err);
    if (!s->config)
        goto out;
    s->obj[PL_SC_CONFIGMAP] =
        json_pack("{s:s,s:s,s:o,s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata",
                  meta(s, s->proxy, ns, "config", version), "data", "pipelock.yaml", s->config);

    /* 3. Deployment. */
    json_t *probe_ready =
        json_pack("{s:{s:s,s:s},s:i,s:i,s:i}", "httpGet", "path", "/health", "port", "http",
                  "timeoutSeconds", 2, "periodSeconds", 10, "initialDelaySeconds", 2);
    json_t *probe_live =
        json_pack("{s:{s:s,s:s},s:i,s:i,s:i}", "httpGet", "path", "/health", "port", "http",
                  "timeoutSeconds", 5, "periodSeconds", 30, "initialDelaySeconds", 5);
    json_t *container = json_pack(
        "{s:s,s:s,s:s,s:[s,s,s],s:[{s:s,s:i,s:s},{s:s,s:i,s:s}],s:[{s:s,s:s,s:b}],"
        "s:{s:{s:s,s:s},s:{s:s,s:s}},s:o,s:o,s:{s:b,s:b,s:b,s:i,s:i,s:{s:[s]}}}",
        "name", "pipelock", "image", o->image, "imagePullPolicy", "IfNotPresent", "args", "run",
        "--config", "/etc/pipelock/pipelock.yaml", "ports", "name", "http", "containerPort",
        HTTP_PORT, "protocol", "TCP", "name", "metrics", "containerPort", METRICS_PORT, "protocol",
        "TCP", "volumeMounts", "name", "config", "mountPath", "/etc/pipelock", "readOnly", 1,
        "resources", "requests", "cpu", "100m", "memory", "128Mi", "limits", "cpu", "500m",
        "memory", "512Mi", "readinessProbe", probe_ready, "livenessProbe", probe_live,
        "securityContext", "readOnlyRootFilesystem", 1, "allowPrivilegeEscalation", 0,
        "runAsNonRoot", 1, "runAsUser", 65534, "runAsGroup", 65534, "capabilities", "drop", "ALL");
    json_t *affinity = json_pack("{s:{s:[{s:i,s:{s:s,s:{s:o}}}]}}", "podAntiAffinity",
                                 "preferredDuringSchedulingIgnoredDuringExecution", "weight", 100,
                                 "podAffinityTerm", "topologyKey", "kubernetes.io/hostname",
                                 "labelSelector", "matchLabels", proxy_selector(s));
    json_t *pod_meta = json_pack("{s:o}", "labels", labels(s, "proxy", version));
    json_object_set_new(pod_meta, "annotations",
                        json_pack("{s:s}", "pipelock.dev/config-from", s->proxy));
    s->obj[PL_SC_DEPLOYMENT] = json_pack(
        "{s:s,s:s,s:o,s:{s:i,s:{s:o},s:{s:o,s:{s:b,s:{s:b,s:{s:s}},s:o,s:[o],s:[{s:s,s:{s:s}}]}}}}",
        "apiVersion", "apps/v1", "kind", "Deployment", "metadata",
        meta(s, s->proxy, ns, "proxy", version), "spec", "replicas", 2, "selector", "matchLabels",
        proxy_selector(s), "template", "metadata", pod_meta, "spec", "automountServiceAccountToken",
        0, "securityContext", "runAsNonRoot", 1, "seccompProfile", "type", "RuntimeDefault",
        "affinity", affinity, "containers", container, "volumes", "name", "config", "configMap",
        "name", s->proxy);

    /* 4. Service. */
    s->obj[PL_SC_SERVICE] =
        json_pack("{s:s,s:s,s:o,s:{s:s,s:o,s:[{s:s,s:i,s:s,s:s},{s:s,s:i,s:s,s:s}]}}", "apiVersion",
                  "v1", "kind", "Service", "metadata", meta(s, s->proxy, ns, "proxy", version),
                  "spec", "type", "ClusterIP", "selector", proxy_selector(s), "ports", "name",
                  "http", "port", HTTP_PORT, "targetPort", "http", "protocol", "TCP", "name",
                  "metrics", "port", METRICS_PORT, "targetPort", "metrics", "protocol", "TCP");

    /* 5. The agent's pods: out only to pipelock, and to the cluster resolver (not to any
     *    resolver: a direct query to an outside one is an exfiltration channel). */
    char nm[300];
    snprintf(nm, sizeof(nm), "%s-pipelock-egress", name);
    json_t *dns_to = json_pack("[{s:{},s:{s:{s:s}}}]", "namespaceSelector", "podSelector",
                               "matchLabels", "k8s-app", "kube-dns");
    s->obj[PL_SC_AGENT_NETPOL] =
        json_pack("{s:s,s:s,s:o,s:{s:{s:O},s:[s],s:[{s:o,s:[o,o]},{s:[{s:{s:o}}],s:[o]}]}}",
                  "apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy", "metadata",
                  meta(s, nm, ns, "network-policy", version), "spec", "podSelector", "matchLabels",
                  pod_labels, "policyTypes", "Egress", "egress", "to", dns_to, "ports",
                  port("UDP", 53), port("TCP", 53), "to", "podSelector", "matchLabels",
                  proxy_selector(s), "ports", port("TCP", HTTP_PORT));

    /* 6. pipelock's pods: in from the agent on the proxy port; out to DNS and the web. */
    snprintf(nm, sizeof(nm), "%s-pipelock-policy", name);
    s->obj[PL_SC_PROXY_NETPOL] = json_pack(
        "{s:s,s:s,s:o,s:{s:{s:o},s:[s,s],s:[{s:[{s:{s:O}}],s:[o]}],s:[{s:[o,o]},{s:[o,o]}]}}",
        "apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy", "metadata",
        meta(s, nm, ns, "network-policy", version), "spec", "podSelector", "matchLabels",
        proxy_selector(s), "policyTypes", "Ingress", "Egress", "ingress", "from", "podSelector",
        "matchLabels", pod_labels, "ports", port("TCP", HTTP_PORT), "egress", "ports",
        port("UDP", 53), port("TCP", 53), "ports", port("TCP", 80), port("TCP", 443));

    /* 7. PodDisruptionBudget. */
    snprintf(nm, sizeof(nm), "%s-pipelock-pdb", name);
    s->obj[PL_SC_PDB] =
        json_pack("{s:s,s:s,s:o,s:{s:i,s:{s:o}}}", "apiVersion", "policy/v1", "kind",
                  "PodDisruptionBudget", "metadata", meta(s, nm, ns, "pdb", version), "spec",
                  "minAvailable", 1, "selector", "matchLabels", proxy_selector(s));
    rc = 0;
    for (int i = 0; i < PL_SC_COUNT; i++) {
        if (!s->obj[i]) {
            rc = fail(ret_err, "out of memory");
            break;
        }
    }
out:
    json_decref(w);
    if (rc < 0)
        pl_sidecar_done(s);
    return rc;
}

void
pl_sidecar_done(struct pl_sidecar *s)
{
    for (int i = 0; i < PL_SC_COUNT; i++) {
        json_decref(s->obj[i]);
        s->obj[i] = NULL;
    }
    free(s->config);
    s->config = NULL;
}

json_t *
pl_sidecar_helm_values(const struct pl_sidecar *s, const struct pl_sidecar_opts *o)
{
    char *err = NULL;
    json_t *cfg = pl_yaml_to_json("pipelock.yaml", s->config, strlen(s->config), false, &err);
    free(err);
    if (!json_is_object(cfg)) {
        json_decref(cfg);
        return NULL;
    }
    /* The chart sets the listeners from its service ports. */
    json_object_del(json_object_get(cfg, "fetch_proxy"), "listen");
    json_object_del(cfg, "metrics_listen");

    char repo[512] = "", tag[256] = "", digest[256] = "";
    const char *img = o->image;
    const char *at = strchr(img, '@');
    const char *slash = strrchr(img, '/');
    const char *colon = strrchr(img, ':');
    if (at) {
        snprintf(repo, sizeof(repo), "%.*s", (int)(at - img), img);
        snprintf(digest, sizeof(digest), "%s", at + 1);
    } else if (colon && (!slash || colon > slash)) {
        snprintf(repo, sizeof(repo), "%.*s", (int)(colon - img), img);
        snprintf(tag, sizeof(tag), "%s", colon + 1);
    } else {
        snprintf(repo, sizeof(repo), "%s", img);
        snprintf(tag, sizeof(tag), "latest"); /* what the untagged reference means */
    }
    json_t *dep = s->obj[PL_SC_DEPLOYMENT];
    json_t *pod =
        json_object_get(json_object_get(json_object_get(dep, "spec"), "template"), "spec");
    json_t *ctr = json_array_get(json_object_get(pod, "containers"), 0);
    return json_pack(
        "{s:s,s:s,s:i,s:{s:s,s:s,s:s},s:{s:s},s:O,s:O,s:o,s:{s:b}}", "nameOverride", "pipelock",
        "fullnameOverride", s->proxy, "replicaCount", 2, "image", "repository", repo, "tag", tag,
        "digest", digest, "podLabels", "app.kubernetes.io/component", "proxy", "affinity",
        json_object_get(pod, "affinity"), "resources", json_object_get(ctr, "resources"),
        "pipelock", cfg, "networkPolicy", "enabled", 0);
}
