/* Helpers shared by the operator verbs (contain, verify-install, diagnose). */
#ifndef PL_CLI_CLIUTIL_H
#define PL_CLI_CLIUTIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Run a system tool (name looked up in /usr/sbin, /usr/bin, /sbin, /bin only, never $PATH)
 * and wait for it. Its stdout and stderr go to *out (malloc'd, NUL-terminated, at most 1 MiB)
 * when out is non-NULL, else to ours. Returns its exit status, 127 when it is not installed,
 * or -errno.
 */
int pl_cli_run_tool(const char *const *argv, char **out);
/* The absolute path of a system tool, or NULL (same search as above). */
const char *pl_cli_find_tool(const char *name, char *buf, size_t len);

/* A whole file, NUL-terminated (malloc'd), at most max bytes; NULL with errno set (E2BIG
 * when larger). *len gets its length when len is non-NULL. */
char *pl_cli_read_file(const char *path, size_t max, size_t *len);

/* Write text to path atomically (temporary file + rename) with the given mode. 0 or -errno. */
int pl_cli_write_file(const char *path, const char *text, unsigned mode);
/* Create path's missing parent directories (mode 0755); each one created is passed to
 * on_created (may be NULL), outermost first. 0 or -errno. */
int pl_cli_mkparents(const char *path, void (*on_created)(const char *dir, void *arg), void *arg);
/* The SHA-256 of a file as 64 hex digits in hex[65]. 0 or -errno. */
int pl_cli_file_sha256(const char *path, char hex[65]);

/*
 * One HTTP request with libcurl, never through a proxy from the environment: GET url (or
 * POST body when post is non-NULL), through proxy when non-NULL. *status gets the HTTP code
 * (0 when no answer), the body (up to 64 KiB) goes to *body (malloc'd) when non-NULL, and a
 * transport error to err. Returns 0 when an HTTP answer came, -1 otherwise.
 */
int pl_cli_http(const char *url, const char *proxy, const char *post, long timeout_ms, long *status,
                char **body, char *err, size_t errlen);

#endif
