/*
 * Server-sent events (HTML Living Standard, "Server-sent events": "Parsing an event stream"
 * and "Interpreting an event stream"): an incremental framer for text/event-stream bodies
 * that hands each complete event, and each comment line, to a callback so it can be scanned
 * before it is forwarded, and a serializer that writes an event back in one canonical form.
 *
 * Exact: the input may be cut anywhere, into feeds of any size, and the items are the same as
 * for the whole input in one feed. Bounded: the parser holds at most max_event_bytes bytes
 * (see pl_sse_init) and time is linear in the input.
 *
 * Bytes, not text: a browser decodes the stream as UTF-8 and sees U+FFFD where the bytes are
 * not UTF-8; here values are the bytes the server sent. Line ends, ':' and ' ' are ASCII, so
 * the split into lines, fields and events is the same either way.
 *
 * Pure: no I/O, no globals.
 */
#ifndef PL_HTTP_SSE_H
#define PL_HTTP_SSE_H

#include "util/buf.h"
#include "util/str.h"

enum pl_sse_kind {
    PL_SSE_EVENT = 0, /* a block of field lines ended by a blank line, with data */
    PL_SSE_COMMENT,   /* a line starting with ':' */
};

/*
 * What the callback gets. Slices point into the parser or into the fed bytes and stay valid
 * only during the callback.
 */
struct pl_sse_item {
    enum pl_sse_kind kind;
    /* PL_SSE_EVENT: */
    struct pl_str event; /* the last "event" field's value; empty means "message" */
    struct pl_str data;  /* the "data" values joined with '\n' (the last '\n' removed) */
    struct pl_str id;    /* the last "id" field's value, when has_id */
    bool has_id;         /* the event had an "id" field without a NUL byte (others are ignored) */
    int64_t retry;       /* the last valid "retry" value (INT64_MAX at most); -1: none */
    /* PL_SSE_COMMENT: */
    struct pl_str comment; /* the bytes after the ':', as they came */
    /*
     * Input bytes the item was made of: for an event its field lines (unknown fields too) and
     * the blank line that ended it, not the comment lines between them; for a comment its line.
     * Each line counts with its CR or LF; the LF of a CRLF pair counts with the line after it
     * (the CR alone ends a line, and whether a LF follows may not be known yet).
     */
    size_t raw_len;
};

/*
 * Item callback. A negative return stops the parser: pl_sse_feed returns that value, now and
 * on every later call. Other values mean go on.
 */
typedef int (*pl_sse_cb)(void *ctx, const struct pl_sse_item *it);

/* The parser's state; embed it. Fields are private. */
struct pl_sse_parser {
    size_t max;       /* max_event_bytes */
    int err;          /* sticky: returned by every later feed and finish */
    unsigned bom_len; /* bytes of a leading BOM matched so far */
    bool bom_done;    /* past the point where a BOM may be */
    bool skip_lf;     /* the last line ended with CR: a LF next completes that line end */
    size_t lf_raw;    /* 1 when the line being received follows the LF of a CRLF */
    bool in_event;    /* a field line came since the last blank line */
    bool has_id;
    int64_t retry;
    size_t ev_bytes;    /* the event's field values so far, each data value with its '\n' */
    size_t ev_raw;      /* input bytes of the event's lines so far (see raw_len) */
    struct pl_buf line; /* the start of a line cut by the end of a feed, without line end */
    struct pl_buf data; /* the data values, each followed by '\n' */
    struct pl_buf type; /* the event type */
    struct pl_buf id;   /* the event's id */
};

/*
 * Start a stream. max_event_bytes bounds what is held at any time: the field values of the
 * event being received (each data value with the '\n' it adds; every field, unknown ones too)
 * plus the bytes of the line being received (of any kind). So it also bounds a single line.
 */
void pl_sse_init(struct pl_sse_parser *p, size_t max_event_bytes);

/* Free the buffers. p may be NULL; p may be initialized again afterwards. */
void pl_sse_done(struct pl_sse_parser *p);

/*
 * Feed the next n bytes of the stream (data may be NULL when n is 0). A complete event or
 * comment goes to cb as soon as the line end that completes it is fed; nothing is delivered
 * for a blank line when the event has no data (its event type, id and retry are dropped).
 * Returns 0; -E2BIG when what is held would pass max_event_bytes (see pl_sse_init); -ENOMEM;
 * or the callback's negative value. After an error the parser only returns that error; items
 * delivered before it stand.
 */
int pl_sse_feed(struct pl_sse_parser *p, const void *data, size_t n, pl_sse_cb cb, void *ctx);

/*
 * End of stream. As the standard requires, an event not ended by a blank line and a line not
 * ended by a line end are discarded, not delivered: pl_sse_pending tells whether there were
 * any. Returns 0, or the error the parser stopped on. cb is not called.
 */
int pl_sse_finish(struct pl_sse_parser *p, pl_sse_cb cb, void *ctx);

/*
 * Whether undelivered input is held: an event with field lines but no blank line yet, or part
 * of a line (or of a leading BOM). Meant for after pl_sse_finish, to log a stream cut short;
 * meaningless after an error.
 */
bool pl_sse_pending(const struct pl_sse_parser *p);

/*
 * Append the canonical form of it to out. An event becomes "event: T\n" (when T is not
 * empty), "id: I\n" (when has_id), "retry: N\n" (when retry >= 0), one "data: L\n" for each
 * '\n'-separated line L of data (so empty data is one "data: \n"), then "\n". A comment
 * becomes ":\n", its text dropped. raw_len is not used. Parsing the result gives back the
 * same item, except for a comment's text and raw_len.
 * Returns 0; -EINVAL for an item the parser cannot produce and that would not come back the
 * same (a CR or LF in event or id, a NUL in id, a CR in data, retry < -1, an unknown kind);
 * -E2BIG or -ENOMEM when out cannot take it. On error out is as it was.
 */
int pl_sse_serialize(const struct pl_sse_item *it, struct pl_buf *out);

#endif
