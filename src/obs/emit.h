/*
 * Event sinks (reference §7.2): every audit event at or above a sink's min_severity is also
 * sent to a webhook (HTTP POST, JSON) and/or syslog (RFC 5424 over UDP, TCP or a unix
 * socket). Each sink has its own thread and a bounded queue: the data path only formats the
 * payload and appends it under a short lock; a full queue drops the event and counts it in
 * pipelock_emit_events_dropped_total{sink}. Nothing on the request path ever waits for a sink.
 *
 * Webhook deliveries are retried on network errors, 429 and 5xx (3 attempts, 1 s then 2 s
 * apart), unlike the reference's single attempt.
 */
#ifndef PL_OBS_EMIT_H
#define PL_OBS_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/config.h"

struct pl_emit;
struct pl_metrics;

enum pl_emit_sev {
    PL_EMIT_INFO = 0,
    PL_EMIT_WARN,
    PL_EMIT_CRITICAL,
};

/* The reference's fixed severity of an event type (unlisted types are info). */
enum pl_emit_sev pl_emit_severity(const char *event, const char *action);
const char *pl_emit_sev_name(enum pl_emit_sev s);

/*
 * Start the sinks cfg->emit configures. *ret is NULL when there are none. metrics (may be
 * NULL) receives the sent/dropped counters from the sink threads.
 */
int pl_emit_new(const struct pl_config *cfg, struct pl_metrics *metrics, struct pl_emit **ret,
                char **ret_err);

/* Do a and b configure the same sinks (a reload keeps the running ones when true)? */
bool pl_emit_config_equal(const struct pl_config *a, const struct pl_config *b);

/* Queue one event: line is the audit event's JSON object (len bytes, no newline). */
void pl_emit_event(struct pl_emit *e, const char *type, enum pl_emit_sev sev, const char *time,
                   const char *line, size_t len);

/*
 * Stop accepting events, deliver what is queued for at most drain_ms, stop the threads and
 * free everything. Callers must make sure no thread can still call pl_emit_event(e).
 */
void pl_emit_free(struct pl_emit *e, int drain_ms);

/*
 * Stop accepting events and let the threads finish their queues (bounded by their timeouts)
 * in the background; e is pushed on *chain and its memory stays until pl_emit_free(*chain)
 * (which frees the whole chain). For sinks replaced by a reload while a worker may still hold
 * the old pointer: events it queues now are dropped and counted, never a use after free.
 */
void pl_emit_retire(struct pl_emit *e, struct pl_emit **chain);

#endif
