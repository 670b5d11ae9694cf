/*
 * Hot reload (reference §3.5, made safe): SIGHUP, or a change in the config file's directory
 * (inotify, debounced 100 ms), loads, validates and compiles the file on the main thread, off
 * the workers' path. Only then is the policy swapped: px->pol on the main thread, and each
 * worker's own reference through a message on its loop. In-flight requests keep the snapshot
 * they started with (they hold a reference), so no request is lost or sees half a policy;
 * the old snapshot is freed when its last request ends.
 *
 * A reload that fails to load or compile changes nothing. Restart-only fields are kept at
 * their running values and named. Weakenings are named; from strict mode they are refused
 * (as the reference does).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "obs/emit.h"
#include "policy/reload.h"
#include "proxy/proxy_int.h"
#include "util/log.h"

#define DEBOUNCE_MS 100

struct set_policy {
    struct pl_wctx *w;
    struct pl_policy *pol; /* ref, handed to the worker */
};

/* On the worker's thread: new requests use the new snapshot from now on. */
static void
worker_set_policy(void *arg)
{
    struct set_policy *m = arg;
    struct pl_policy *old = m->w->pol;
    m->w->pol = m->pol;
    pl_policy_unref(old);
    free(m);
}

static void
log_reload(struct pl_proxy *px, bool ok, const char *trigger, const char *detail,
           const struct pl_config *cfg, const struct pl_reload_diff *d)
{
    struct pl_audit_event ev;
    pl_audit_begin(px->audit, &ev, ok ? PL_AUDIT_INFO : PL_AUDIT_WARN, PL_AUDIT_KIND_OTHER,
                   "config_reload", ok ? "configuration reloaded" : "configuration reload failed");
    if (ev.active) {
        pl_json_cstr(&ev.j, "status", ok ? "success" : "failure");
        pl_json_cstr(&ev.j, "detail", detail);
        pl_json_cstr(&ev.j, "trigger", trigger);
        if (cfg)
            pl_json_cstr(&ev.j, "config_hash", cfg->hash);
        if (d && d->restart.n) {
            pl_json_arr_begin(&ev.j, "restart_required");
            for (size_t i = 0; i < d->restart.n; i++)
                pl_json_cstr(&ev.j, NULL, d->restart.v[i]);
            pl_json_arr_end(&ev.j);
        }
        if (d && d->weaker.n) {
            pl_json_arr_begin(&ev.j, "weakened");
            for (size_t i = 0; i < d->weaker.n; i++)
                pl_json_cstr(&ev.j, NULL, d->weaker.v[i]);
            pl_json_arr_end(&ev.j);
        }
    }
    pl_audit_emit(px->audit, &ev);
    pl_metric_labelled_inc(PL_ML_CONFIG_RELOADS, ok ? "success" : "failure", NULL);
}

static void
fail(struct pl_proxy *px, const char *trigger, const char *msg)
{
    fprintf(stderr, "pipelock: config reload failed: %s\n", msg);
    log_reload(px, false, trigger, msg, NULL, NULL);
}

void
pl_reload_now(struct pl_proxy *px, const char *trigger, bool skip_unchanged)
{
    const struct pl_config *cur = px->pol->cfg;
    if (!cur->path) {
        fprintf(stderr, "pipelock: config reload: running with the built-in defaults; there is "
                        "no file to reload\n");
        return;
    }
    struct pl_config *next = NULL;
    char *err = NULL;
    int r = pl_config_load_file(cur->path, &next, &err);
    if (r < 0) {
        fail(px, trigger, err ? err : strerror(-r));
        free(err);
        return;
    }
    /* Editors and orchestrators touch the directory often; same bytes, nothing to do. */
    if (skip_unchanged && !strcmp(next->hash, cur->hash)) {
        pl_config_free(next);
        return;
    }
    for (size_t i = 0; i < next->warnings.n; i++)
        fprintf(stderr, "WARNING: %s\n", next->warnings.v[i]);
    /* run --mode stays in force: the operator chose it over the file. */
    if (px->cli_mode >= 0) {
        next->mode = (enum pl_mode)px->cli_mode;
        if (next->mode == PL_MODE_STRICT && next->api_allowlist.n == 0) {
            pl_config_free(next);
            fail(px, trigger, "mode: strict mode (run --mode) requires a non-empty api_allowlist");
            return;
        }
    }
    struct pl_reload_diff d;
    if (pl_reload_diff(cur, next, px->cli_fixed, &d) < 0) {
        pl_config_free(next);
        fail(px, trigger, "out of memory");
        return;
    }
    if (cur->mode == PL_MODE_STRICT && d.weaker.n) {
        char msg[600];
        snprintf(msg, sizeof(msg),
                 "security downgrade from strict mode refused (%s%s); restart "
                 "pipelock to apply it",
                 d.weaker.v[0], d.weaker.n > 1 ? ", ..." : "");
        fprintf(stderr, "pipelock: config reload failed: %s\n", msg);
        log_reload(px, false, trigger, msg, next, &d);
        pl_reload_diff_done(&d);
        pl_config_free(next);
        return;
    }
    /* Sinks are rebuilt only when their settings changed (a rebuild drops nothing queued:
     * the old ones finish their queues in the background). */
    bool new_sinks = !pl_emit_config_equal(cur, next);
    struct pl_emit *em = NULL;
    if (new_sinks && (r = pl_emit_new(next, px->metrics, &em, &err)) < 0) {
        fail(px, trigger, err ? err : strerror(-r));
        free(err);
        pl_reload_diff_done(&d);
        pl_config_free(next);
        return;
    }
    struct pl_policy *np;
    r = pl_policy_new_after(next, px->pol, &np, &err); /* takes next */
    if (r < 0) {
        pl_emit_free(em, 0);
        fail(px, trigger, err ? err : strerror(-r));
        free(err);
        pl_reload_diff_done(&d);
        return;
    }
    for (size_t i = 0; i < d.restart.n; i++)
        fprintf(stderr, "WARNING: config reload: %s requires restart (the running value is kept)\n",
                d.restart.v[i]);
    for (size_t i = 0; i < d.weaker.n; i++)
        fprintf(stderr, "WARNING: config reload weakens enforcement: %s\n", d.weaker.v[i]);

    /* Publish: workers first take their own reference, then the main thread switches. */
    bool was_active = pl_ks_active(&px->ks, cur) != PL_KS_NONE;
    for (int i = 0; i < px->n_workers; i++) {
        struct set_policy *m = malloc(sizeof(*m));
        if (!m) {
            pl_err("config reload: out of memory telling worker %d", i);
            continue;
        }
        *m = (struct set_policy){&px->workers[i], pl_policy_ref(np)};
        if (pl_worker_post(&px->workers[i].w, worker_set_policy, m) < 0) {
            pl_err("config reload: cannot reach worker %d", i);
            pl_policy_unref(m->pol);
            free(m);
        }
    }
    struct pl_policy *old = px->pol;
    px->pol = np;
    if (new_sinks)
        pl_audit_set_emit(px->audit, em);
    const struct pl_config *cfg = np->cfg;
    pl_proxy_register_agents(px, cfg);
    pl_reload_sentinel(px);
    char detail[64];
    snprintf(detail, sizeof(detail), "mode=%s", pl_mode_name(cfg->mode));
    fprintf(stderr, "pipelock: config reloaded (%s, %s)\n", detail, trigger);
    log_reload(px, true, trigger, detail, cfg, &d);
    pl_reload_diff_done(&d);
    /* kill_switch.enabled turned on: cut what is open, as the other sources do. */
    if (cfg->kill_switch.enabled != old->cfg->kill_switch.enabled)
        pl_ks_changed(px, cfg, PL_KS_CONFIG, cfg->kill_switch.enabled, was_active);
    pl_policy_unref(old);
}

/* ---------------------------------------------------------------- triggers */

static void
debounce_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pl_reload_now(arg, "file", true);
}

static void
inotify_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct pl_proxy *px = arg;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool any = false;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        any = true;
    }
    /*
     * Any change in the directory re-reads the file after a quiet 100 ms: editors write a
     * temporary and rename it, Kubernetes swaps a ..data symlink; the file's own name may
     * never appear in an event. Unchanged bytes are skipped by hash.
     */
    if (any) {
        struct timeval tv = {0, DEBOUNCE_MS * 1000};
        evtimer_add(px->reload_timer, &tv);
    }
}

static void
hup_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    /* An operator asked: reload even unchanged bytes (a secrets file may have changed). */
    pl_reload_now(arg, "SIGHUP", false);
}

int
pl_reload_start(struct pl_proxy *px)
{
    px->inotify_fd = -1;
    px->hup = evsignal_new(px->main_base, SIGHUP, hup_cb, px);
    if (!px->hup || evsignal_add(px->hup, NULL) < 0)
        return -ENOMEM;
    const char *path = px->pol->cfg->path;
    if (!path)
        return 0;
    px->reload_timer = evtimer_new(px->main_base, debounce_cb, px);
    if (!px->reload_timer)
        return -ENOMEM;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *d = dirname(dir);
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0 || inotify_add_watch(fd, d,
                                    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                        IN_DELETE | IN_ATTRIB) < 0) {
        /* SIGHUP still works. */
        pl_warn("config reload: cannot watch %s (%s); send SIGHUP to reload", d, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 0;
    }
    px->inotify_fd = fd;
    px->inotify_ev = event_new(px->main_base, fd, EV_READ | EV_PERSIST, inotify_cb, px);
    if (!px->inotify_ev || event_add(px->inotify_ev, NULL) < 0)
        return -ENOMEM;
    return 0;
}

void
pl_reload_stop(struct pl_proxy *px)
{
    if (px->hup)
        event_free(px->hup);
    if (px->reload_timer)
        event_free(px->reload_timer);
    if (px->inotify_ev)
        event_free(px->inotify_ev);
    if (px->inotify_fd >= 0)
        close(px->inotify_fd);
    px->hup = px->reload_timer = px->inotify_ev = NULL;
    px->inotify_fd = -1;
}
