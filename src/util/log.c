#include "util/log.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

static enum pl_log_level min_level = PL_LOG_INFO;

void
pl_log_set_level(enum pl_log_level lvl)
{
    min_level = lvl;
}

bool
pl_log_enabled(enum pl_log_level lvl)
{
    return lvl >= min_level;
}

void
pl_log(enum pl_log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = {"debug: ", "", "WARNING: ", "error: "};
    char line[2048];
    if (lvl < min_level)
        return;
    int n = snprintf(line, sizeof(line), "pipelock: %s", names[lvl]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : PL_MIN((size_t)m, sizeof(line) - (size_t)n - 2));
    /* Never let a diagnostic carry raw control bytes to the terminal. */
    for (size_t i = (size_t)n; i < len; i++)
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
            line[i] = '?';
    line[len++] = '\n';
    /* One write per line so concurrent threads do not interleave. */
    ssize_t w PL_UNUSED = write(STDERR_FILENO, line, len);
}
