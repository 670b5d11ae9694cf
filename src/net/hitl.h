/*
 * Human in the loop: the `ask` action. One approver per process owns the terminal; requests
 * that need a decision queue a question, a dedicated thread asks them one at a time on the
 * terminal and posts each answer back to the asking worker's thread.
 *
 * An answer is "y"/"yes" (allow), "s"/"strip" (strip), anything else a block, as are a
 * timeout, end of input, and a question whose deadline passed while it waited in the queue.
 * Input typed before a question is shown is discarded, so a stale keystroke never answers a
 * question it did not see. Text shown on the terminal (URL, patterns, preview of the content)
 * is stripped of control characters and escape sequences.
 */
#ifndef PL_NET_HITL_H
#define PL_NET_HITL_H

#include "net/worker.h"
#include "util/str.h"

enum pl_hitl_answer {
    PL_HITL_BLOCK = 0,
    PL_HITL_ALLOW,
    PL_HITL_STRIP,
};

struct pl_hitl;
struct pl_hitl_ticket;

/* Called on the asking worker's thread with the answer (exactly once, unless cancelled). */
typedef void (*pl_hitl_cb)(void *arg, enum pl_hitl_answer answer);

struct pl_hitl_question {
    const char *agent;
    const char *url;
    const char *reason;
    const char *patterns;
    struct pl_str preview; /* the matched content (first 200 bytes shown) */
    int timeout_seconds;   /* from now; <= 0: 30 */
};

/*
 * An approver reading answers from in_fd and writing questions to out_fd, with its thread
 * started. NULL when in_fd is not a terminal (nobody can answer: callers block) or on error.
 */
struct pl_hitl *pl_hitl_new(int in_fd, int out_fd);

/* Stop the thread and free everything. Call after the workers stopped (no callbacks run). */
void pl_hitl_free(struct pl_hitl *h);

/*
 * Queue a question. cb(arg, answer) runs later on w's thread. Returns the ticket (owned by the
 * approver until the callback ran or the ticket was cancelled) or NULL (out of memory).
 */
struct pl_hitl_ticket *pl_hitl_ask(struct pl_hitl *h, const struct pl_hitl_question *q,
                                   struct pl_worker *w, pl_hitl_cb cb, void *arg);

/* The asker went away (call on w's thread): the callback will not run. */
void pl_hitl_cancel(struct pl_hitl_ticket *t);

/* Text made safe to show on a terminal, at most max bytes of in: controls, escape sequences,
 * C1 controls and invalid UTF-8 become spaces, runs of spaces one. Writes a NUL-terminated
 * string into out (size >= 1). Pure; exposed for tests. */
void pl_hitl_sanitize(struct pl_str in, size_t max, char *out, size_t size);

#endif
