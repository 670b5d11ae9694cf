/*
 * Audit log: one JSON object per line (reference §7.1) to stdout and/or logging.file.
 *
 * Usage: pl_audit_begin() → add fields with pl_json_*(&ev.j, ...) → pl_audit_emit(). Every line
 * carries level, time, component "pipelock", event and message. Strings are escaped so a field
 * can never break a line or inject control sequences. Callers never pass secrets: URLs that
 * carried a content finding are logged as scheme://host/[redacted] (pl_audit_redact_url).
 */
#ifndef PL_OBS_AUDIT_H
#define PL_OBS_AUDIT_H

#include "policy/config.h"
#include "util/json.h"

enum pl_audit_level {
    PL_AUDIT_DEBUG = 0,
    PL_AUDIT_INFO,
    PL_AUDIT_WARN,
    PL_AUDIT_ERROR,
};

/* What kind of decision an event reports, for logging.include_allowed/include_blocked. */
enum pl_audit_kind {
    PL_AUDIT_KIND_OTHER = 0,
    PL_AUDIT_KIND_ALLOWED,
    PL_AUDIT_KIND_BLOCKED,
};

struct pl_audit;
struct pl_emit;

struct pl_audit_event {
    struct pl_buf buf; /* owned line buffer */
    struct pl_json j;  /* writer into buf; add fields through it */
    enum pl_audit_kind kind;
    bool active;       /* false when nobody takes this event: callers may skip field work */
    bool to_log;       /* stdout / logging.file take it (include_allowed/include_blocked) */
    bool to_emit;      /* the emit sinks take it */
    const char *event; /* borrowed: the event type */
    char time[40];
};

/*
 * Open the sink described by cfg->logging. Returns 0, or -errno with a message in *ret_err
 * (e.g. the log file cannot be opened). The file is opened O_APPEND, mode 0600.
 */
int pl_audit_open(const struct pl_config *cfg, struct pl_audit **ret, char **ret_err);
void pl_audit_close(struct pl_audit *a);

/*
 * Send every event also to the emit sinks e (NULL: none). The sinks replaced are retired
 * (they finish their queues in the background; freed by pl_audit_close_emit). Main thread.
 */
void pl_audit_set_emit(struct pl_audit *a, struct pl_emit *e);
/* Detach and free the sinks, delivering what is queued for at most drain_ms. Call once no
 * thread logs any more. */
void pl_audit_close_emit(struct pl_audit *a, int drain_ms);

/* Start an event line. a may be NULL (no sink: the event is inactive). */
void pl_audit_begin(struct pl_audit *a, struct pl_audit_event *ev, enum pl_audit_level lvl,
                    enum pl_audit_kind kind, const char *event, const char *message);
/* Finish the line and write it with one write(2) per destination; frees the event buffer. */
void pl_audit_emit(struct pl_audit *a, struct pl_audit_event *ev);

/*
 * Per-thread batching: a worker thread that calls pl_audit_use_batch() has its lines appended
 * to b and written by pl_audit_batch_flush() (once per event-loop iteration and on a short
 * timer), instead of one write(2) per event. Lines stay whole and in order per thread.
 */
struct pl_audit_batch {
    struct pl_audit *a; /* borrowed */
    char *buf;          /* owned */
    size_t len;
    size_t cap;
};

void pl_audit_batch_init(struct pl_audit_batch *b, struct pl_audit *a);
/* Write out everything buffered. Safe to call from any thread that owns b. */
void pl_audit_batch_flush(struct pl_audit_batch *b);
/* Flush and free the buffer. */
void pl_audit_batch_done(struct pl_audit_batch *b);
/* Route this thread's events for b->a through b (NULL: write directly again). */
void pl_audit_use_batch(struct pl_audit_batch *b);

/* MITRE ATT&CK technique id for a scanner name (reference §7.1), or NULL. */
const char *pl_audit_mitre(const char *scanner);

/*
 * Write "scheme://host/[redacted]" for url into buf (size ≥ 16). Used for URLs that carried a
 * content finding so the secret never reaches the log.
 */
void pl_audit_redact_url(struct pl_str url, char *buf, size_t size);

/* Is scanner a content scanner (dlp, body_dlp, header_dlp, response_scan, ...)? Their blocks
 * are logged, and answered, with the URL redacted (reference §7.1). */
bool pl_audit_content_scanner(const char *scanner);

#endif
