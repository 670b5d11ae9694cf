/* Internal structures of the proxy layer (shared by server.c, conn.c, forward.c, ...). */
#ifndef PL_PROXY_PROXY_INT_H
#define PL_PROXY_PROXY_INT_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdatomic.h>

#include "http/coding.h"
#include "http/h1.h"
#include "http/url.h"
#include "net/conn.h"
#include "net/dns.h"
#include "net/hitl.h"
#include "net/worker.h"
#include "obs/audit.h"
#include "obs/metrics.h"
#include "policy/killswitch.h"
#include "policy/ratelimit.h"
#include "proxy/policy_check.h"
#include "proxy/proxy.h"
#include "scan/inject.h"
#include "util/buf.h"

/* Stop reading a source when the sink holds this much unsent data; resume below LOW. */
#define PL_PIPE_HIGH    (256 * 1024)
#define PL_PIPE_LOW     (64 * 1024)
#define PL_POOL_BUCKETS 256
#define PL_HOST_MAX     256

struct pl_wctx;
struct pl_client;
struct pl_req;

struct pl_upstream {
    struct pl_wctx *w;         /* borrowed */
    struct pl_conn *bev;       /* owned */
    struct pl_req *req;        /* borrowed: the request using it; NULL while pooled */
    char key[PL_HOST_MAX + 8]; /* "host:port" */
    struct pl_ip ip;           /* the checked address it is connected to */
    uint16_t port;
    struct pl_upstream *pnext; /* pool bucket links */
    struct pl_upstream *pprev;
    unsigned bucket;
    bool pooled;
    bool connected;
    unsigned uses;
};

struct pl_pool {
    struct pl_upstream *buckets[PL_POOL_BUCKETS];
    size_t idle;
};

enum pl_req_state {
    PL_REQ_RESOLVE = 1, /* waiting for DNS */
    PL_REQ_BODYSCAN,    /* reading the request body to scan it before anything is sent */
    PL_REQ_DIALING,     /* waiting for the upstream TCP connect */
    PL_REQ_EXCHANGE,    /* sending the request, waiting for/streaming the response */
    PL_REQ_TUNNEL,      /* CONNECT established: relaying bytes */
    PL_REQ_DONE,        /* response complete, waiting for the client output to drain */
};

enum pl_req_kind {
    PL_REQ_FORWARD = 1,
    PL_REQ_CONNECT,
    PL_REQ_FETCH, /* GET /fetch?url=: we make the upstream request and answer with JSON */
    PL_REQ_ADMIN, /* an admin API call reading its small body */
};

/* What a listener serves. */
enum pl_client_role {
    PL_ROLE_MAIN = 0, /* the proxy port */
    PL_ROLE_ADMIN,    /* kill_switch.api_listen: the API only, never denied by the kill switch */
    PL_ROLE_METRICS,  /* metrics_listen: /metrics and /stats only */
};

struct pl_fetch;

struct pl_req {
    struct pl_client *c;   /* borrowed: owner */
    struct pl_policy *pol; /* ref */
    enum pl_req_kind kind;
    enum pl_req_state state;
    char id[24];      /* "req-N" */
    char agent[65];   /* resolved agent identity, "anonymous" when none */
    bool agent_bound; /* agent proven by proxy_auth credentials: nothing else may rename it */
    int auth_header;  /* with agent_bound: the index of the header that proved it */
    uint64_t t_start;
    char *head; /* owned copy of the request head; slices below point into it */
    size_t head_len;
    struct pl_url url;
    char host[PL_HOST_MAX]; /* normalised host name or canonical IP text */
    uint16_t port;
    bool host_is_ip;
    bool redact_url; /* the URL carried a DLP finding: log scheme://host/[redacted] */
    struct pl_ip addrs[PL_DNS_MAX_ADDRS];
    size_t n_addrs;
    size_t next_addr;
    struct evdns_getaddrinfo_request *dns; /* pending lookup */
    bool dns_sync; /* inside pl_dns_resolve(): the callback may run synchronously */
    bool dns_done;
    int dns_err;
    bool no_pool;           /* retrying after a pooled connection failed: dial fresh */
    struct pl_upstream *up; /* owned while attached */
    struct event *timer;    /* owned: response-head deadline / tunnel idle+max timer */

    /* request body (client → upstream) */
    struct evbuffer *body; /* owned: the whole body, held for scanning (body_buffered) */
    bool body_buffered;
    bool scanned; /* body and header scans done (a retry or late lookup skips them) */
    bool req_body_done;
    uint64_t req_left;
    struct pl_h1_chunked req_chunk;
    bool client_paused; /* client reads disabled for backpressure */

    /* response (upstream → client) */
    struct pl_h1_scan rscan;
    bool resp_head_sent;
    bool resp_done;
    enum pl_h1_body resp_body;
    uint64_t resp_left;
    struct pl_h1_chunked resp_chunk;
    bool resp_rechunk; /* we chunk-encode the body towards the client */
    bool upstream_paused;
    bool resp_head_parsed;  /* the final upstream head was read */
    struct pl_respscan *rs; /* owned: response scanning state; NULL: passed through */
    int status;
    uint64_t bytes_to_client;
    uint64_t bytes_to_upstream;

    /* tunnel */
    uint64_t tunnel_last_ns;
    uint64_t tunnel_deadline_ns;
    bool client_eof, upstream_eof;
    bool client_shut, upstream_shut;
    struct pl_req *next_free; /* worker free list */

    /* /fetch */
    char *fetch_url;     /* owned: the current hop's canonical URL; url's slices point here */
    char *fetch_orig;    /* owned: the target as the agent gave it, for the reply */
    unsigned redirects;  /* hops followed */
    struct pl_fetch *fs; /* owned: the response being collected */

    /* Not zeroed on reuse (see pl_req_alloc): */
    struct pl_h1_response *resp; /* owned, allocated on first use and kept with the struct */
    struct pl_h1_request h;      /* parsed head; slices point into head */
};

enum pl_client_state {
    PL_CLIENT_HEAD = 1, /* waiting for / parsing a request head */
    PL_CLIENT_BUSY,     /* a request is in flight */
    PL_CLIENT_CLOSING,  /* flushing output, then close */
};

struct pl_client {
    struct pl_wctx *w;   /* borrowed */
    struct pl_conn *bev; /* owned */
    struct pl_client *prev, *next;
    enum pl_client_state state;
    struct event *timer; /* owned: head / keep-alive deadline */
    struct pl_h1_scan scan;
    struct pl_req *req; /* owned: current request */
    char peer[64];      /* client IP text */
    struct pl_ip ip;    /* client IP (IPv4-mapped addresses unmapped) */
    enum pl_client_role role;
    unsigned n_requests;
    bool close_after; /* close once the current response is sent */
    bool timer_is_keepalive;
};

struct pl_wctx {
    struct pl_proxy *proxy;           /* borrowed */
    struct pl_worker w;               /* base + dns */
    struct pl_conn_loop loop;         /* deferred writes and frees */
    struct pl_audit_batch abatch;     /* audit lines written once per loop iteration */
    struct event *audit_timer;        /* owned: periodic audit flush */
    struct evconnlistener *listener;  /* owned */
    struct evconnlistener *admin;     /* owned (worker 0 only): kill_switch.api_listen */
    struct evconnlistener *metrics_l; /* owned (worker 0 only): metrics_listen */
    int listen_fd;
    struct pl_policy *pol;     /* ref: policy for new requests */
    struct pl_client *clients; /* list of live client connections */
    size_t n_clients;
    struct pl_pool pool;
    struct pl_buf scratch;         /* head building */
    struct pl_dlp_scratch *dlp;    /* owned: this worker's scanner scratch */
    struct pl_inject_scratch *inj; /* owned: this worker's response-scanner scratch */
    struct pl_h1_limits req_limits;
    struct pl_h1_limits resp_limits;
    bool draining;
    struct pl_req *free_reqs; /* recycled request structs */
    size_t n_free_reqs;
    struct pl_req *spare; /* parse target for the next request head */
};

struct pl_proxy {
    struct pl_policy *pol;      /* ref */
    struct pl_audit *audit;     /* borrowed */
    struct pl_ratelimit *rl;    /* owned: per-base-domain request windows and data budgets */
    struct pl_hitl *hitl;       /* owned: the `ask` approver; NULL when nobody can answer */
    struct pl_metrics *metrics; /* owned */
    struct pl_wctx *workers;    /* owned array */
    int n_workers;
    char listen_text[128];
    atomic_int n_connections;
    atomic_int n_tunnels;
    double started_wall; /* process_start_time_seconds */
    atomic_uint_fast64_t next_request_id;
    atomic_int live_workers;      /* workers that have not finished draining */
    struct event_base *main_base; /* owned: signals */
    bool draining;

    struct pl_killswitch ks;      /* the api and signal sources (survive reloads) */
    pthread_mutex_t api_mu;       /* the API toggle rate-limit window */
    uint64_t api_window_ns;       /* start of the current minute */
    unsigned api_window_n;        /* toggles in it */
    struct event *sentinel_timer; /* owned: polls kill_switch.sentinel_file */
    bool sentinel_on;             /* the sentinel was present at the last poll */

    struct event *hup;          /* owned: SIGHUP → reload */
    struct event *reload_timer; /* owned: debounce after a change in the config directory */
    struct event *inotify_ev;   /* owned */
    int inotify_fd;             /* the config directory's watch, or -1 */
    int cli_mode;               /* run --mode (enum pl_mode), re-applied on reload; -1: none */
    unsigned cli_fixed;         /* PL_RELOAD_CLI_*: restart-only fields set by the command line */
};

/* conn.c */
void pl_client_accept(struct pl_wctx *w, evutil_socket_t fd, const struct sockaddr *sa,
                      enum pl_client_role role);
void pl_client_free(struct pl_client *c);
/* Stop reading; close once the output is flushed. */
void pl_client_start_closing(struct pl_client *c);
/* Send a complete local response and finish the request (status line, headers, body).
 * close: add "Connection: close" and close after the write. extra_headers may be NULL
 * ("Name: value\r\n" lines). */
void pl_client_respond(struct pl_client *c, int status, const char *content_type,
                       const char *extra_headers, const char *body, size_t body_len, bool close);
/* The current request is finished; continue with the next one or close. */
void pl_client_request_done(struct pl_client *c);
void pl_client_drain_idle(struct pl_wctx *w);
const char *pl_status_text(int status);

/* The URL of a forward or /fetch request (the request target, or the current fetch hop). */
static inline struct pl_str
pl_req_target(const struct pl_req *r)
{
    return r->fetch_url ? pl_str_c(r->fetch_url) : r->h.target;
}

/* forward.c */
/* A request struct with everything before `resp` zeroed; NULL on allocation failure. */
struct pl_req *pl_req_alloc(struct pl_wctx *w);
void pl_req_pool_done(struct pl_wctx *w);
void pl_forward_start(struct pl_req *r);
void pl_req_free(struct pl_req *r);
void pl_upstream_free(struct pl_upstream *u);
void pl_pool_done(struct pl_pool *p);
void pl_forward_client_readable(struct pl_req *r);
void pl_forward_client_drained(struct pl_req *r);
/* Log a block and answer it; for CONNECT the body is "CONNECT blocked: ...". */
void pl_req_block(struct pl_req *r, const struct pl_verdict *v);
/* Resolve (or use the literal) then call connect_cb-style continuation. */
void pl_req_resolve_and_dial(struct pl_req *r);
/* After the URL pipeline: literal-IP checks, tunnel cap, DNS, post-DNS stages, scans, dial. */
void pl_req_continue(struct pl_req *r);
/* The body scan finished without answering: connect upstream. */
void pl_req_after_scans(struct pl_req *r);
/* Count a block of r by scanner (metrics and /stats); pl_req_block() does it. */
void pl_req_count_block(struct pl_req *r, const char *scanner);
/* Answer r with a block emitted as event (scanner) and text (reasons are never secrets). */
void pl_req_block_text(struct pl_req *r, int status, const char *scanner, const char *reason);

/* reqscan.c */
/* Header DLP (request_body_scanning.scan_headers). Returns true when r was answered. */
bool pl_req_scan_headers(struct pl_req *r);
/*
 * Start holding the request body for scanning when the policy scans bodies and there is one.
 * Returns false when there is nothing to hold (go on at once); true when the body scan took
 * over: it answers the request or calls pl_req_after_scans() itself.
 */
bool pl_req_body_begin(struct pl_req *r);
/* Client bytes arrived while the body is being held. */
void pl_req_body_readable(struct pl_req *r);

/* forward.c, for respscan.c */
enum {
    PL_HEAD_DROP_LENGTH = 1 << 0,     /* Content-Length */
    PL_HEAD_DROP_ENCODING = 1 << 1,   /* Content-Encoding */
    PL_HEAD_DROP_VALIDATORS = 1 << 2, /* ETag, Content-MD5, Digest (the body changed) */
};
/* Write the final response head to the client, without the dropped headers, plus extra
 * ("Name: value\r\n" lines or NULL). Marks the head sent. Returns 0 or -E2BIG. */
int pl_forward_write_head(struct pl_req *r, unsigned drop, const char *extra);
/* Body bytes to the client, chunk-encoded when r->resp_rechunk. */
void pl_forward_body_out(struct pl_req *r, const char *p, size_t n);
/* Answer with an error status (before the head went out) or cut the response short. */
void pl_forward_fail(struct pl_req *r, int status, const char *text);
/* Common audit fields of a request (method, url or target, client, request id, agent). */
void pl_req_audit_fields(struct pl_req *r, struct pl_json *j);
/* Bytes moved for r's base domain, for the per-domain data budget. */
void pl_req_record_data(struct pl_req *r, uint64_t bytes);
/* Detach the upstream connection: back to the pool when it can carry another request. */
void pl_forward_release_upstream(struct pl_req *r);
/* Drop the upstream connection and the response state, then run r's (new) URL through the
 * whole pipeline again, as a new hop (a /fetch redirect). */
void pl_forward_restart(struct pl_req *r);

/* respscan.c: response scanning on the forward path */
/*
 * After the final response head was parsed from head[0, head_len) (r->resp's slices point
 * there): decide whether the body is scanned. Returns 0
 * (pass it through: write the head as usual), 1 (scanned: the body goes to pl_resp_data(),
 * the head is written by the scanner), -1 (the request was answered: stop).
 */
int pl_resp_begin(struct pl_req *r, const char *head, size_t head_len);
/* Body bytes (after transfer framing). Returns 0, or -1 when the request was answered/cut. */
int pl_resp_data(struct pl_req *r, const char *p, size_t n);
/* The body is complete. Returns 0 (finish the exchange) or -1 (answered or cut: stop). */
int pl_resp_end(struct pl_req *r);
void pl_resp_free(struct pl_respscan *rs);
/* The one content coding of a response (several stacked, or an unknown one: -ENOTSUP, which
 * callers refuse: what cannot be decoded cannot be scanned). */
int pl_resp_coding(const struct pl_h1_response *resp, enum pl_coding *ret);
/* Findings of one scan, less those a suppress rule names for r's URL. */
void pl_resp_apply_suppress(const struct pl_req *r, struct pl_inject_result *res);
/* A response_scan event: transport "forward", "fetch"...; part: body, title, visible, hidden. */
void pl_resp_log_finding(struct pl_req *r, const struct pl_inject_result *res,
                         const char *transport, const char *part, const char *action,
                         const char *outcome);

/* fetch.c: GET /fetch */
/* An origin-form request for /fetch: check it, then fetch through the pipeline. */
void pl_fetch_start(struct pl_req *r);
/* The upstream request head for the current hop, into b. Returns 0 or -E2BIG. */
int pl_fetch_request_head(struct pl_req *r, struct pl_buf *b);
/* The final response head was parsed (r->resp, still pointing into the upstream buffer).
 * Returns 1 (collect the body: pl_resp_data/pl_resp_end route here), -1 (answered, or a
 * redirect restarted the request: stop). */
int pl_fetch_begin(struct pl_req *r);
int pl_fetch_data(struct pl_req *r, const char *p, size_t n);
/* The body is complete: scan it and answer. Always returns -1 (r is finished). */
int pl_fetch_end(struct pl_req *r);
/* A redirect hop passed the URL pipeline (logs the `redirect` event). */
void pl_fetch_hop_passed(struct pl_req *r);
/* JSON answers for blocks (after the `blocked` event) and failures (after the `error` one). */
void pl_fetch_reply_block(struct pl_req *r, const struct pl_verdict *v);
void pl_fetch_reply_error(struct pl_req *r, int status, const char *text);
void pl_fetch_free(struct pl_req *r);
/* "scheme://host/[redacted]" for the url parameter of a /fetch request not yet started. */
void pl_fetch_redacted_target(const struct pl_req *r, char *buf, size_t size);

/* tunnel.c */
void pl_tunnel_established(struct pl_req *r);
void pl_tunnel_upstream_readable(struct pl_req *r);
void pl_tunnel_upstream_drained(struct pl_req *r);
void pl_tunnel_upstream_event(struct pl_req *r, short what);
void pl_tunnel_client_readable(struct pl_req *r);
void pl_tunnel_client_drained(struct pl_req *r);
void pl_tunnel_client_event(struct pl_req *r, short what);

/* reload.c */
/* Set up SIGHUP and the config directory watch on the main loop. */
int pl_reload_start(struct pl_proxy *px);
void pl_reload_stop(struct pl_proxy *px);
/* Load, check, compile and publish the config file now (main thread). skip_unchanged: do
 * nothing when the file's bytes are those of the running config. */
void pl_reload_now(struct pl_proxy *px, const char *trigger, bool skip_unchanged);

/* server.c */
/* Poll kill_switch.sentinel_file when the current policy names one (start-up, reload). */
int pl_reload_sentinel(struct pl_proxy *px);
void pl_proxy_register_agents(struct pl_proxy *px, const struct pl_config *cfg);
void pl_server_worker_drained(struct pl_wctx *w);

/* stats.c */
void pl_stats_metrics(struct pl_client *c, struct pl_req *r);
void pl_stats_json(struct pl_client *c, struct pl_req *r);

/* local.c */
void pl_local_handle(struct pl_client *c, struct pl_req *r);

/* admin.c: the kill switch and its API */
/* True when the kill switch denied r (answered 503 and logged). */
bool pl_ks_gate(struct pl_client *c, struct pl_req *r);
/* Serve an admin API path; false when path is not one (the caller answers). */
bool pl_admin_handle(struct pl_client *c, struct pl_req *r, struct pl_str path);
void pl_admin_client_readable(struct pl_req *r);
/* On every worker, soon: cut what the kill switch denies (tunnels, streams, idle clients). */
void pl_proxy_kill_sweep(struct pl_proxy *px);
/* Log a kill-switch state change (API, signal, sentinel) and sweep when it became active. */
void pl_ks_changed(struct pl_proxy *px, const struct pl_config *cfg, enum pl_ks_source src, bool on,
                   bool was_active);

/* conn.c */
/* Reference §2.13: [a-zA-Z0-9._-] kept, anything else '_', at most 64 bytes; "anonymous"
 * when empty. out holds 65 bytes. */
void pl_agent_sanitize(struct pl_str in, char *out);

#endif
