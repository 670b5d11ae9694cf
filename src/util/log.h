/*
 * Operator diagnostics on stderr ("pipelock: ..."). Audit events are a different stream
 * (obs/audit.h). Library layers do not log except at debug level.
 */
#ifndef PL_UTIL_LOG_H
#define PL_UTIL_LOG_H

#include "util/common.h"

enum pl_log_level {
    PL_LOG_DEBUG = 0,
    PL_LOG_INFO,
    PL_LOG_WARN,
    PL_LOG_ERROR,
};

void pl_log_set_level(enum pl_log_level lvl);
bool pl_log_enabled(enum pl_log_level lvl);
void pl_log(enum pl_log_level lvl, const char *fmt, ...) PL_PRINTF(2, 3);

#define pl_debug(...)                          \
    do {                                       \
        if (pl_log_enabled(PL_LOG_DEBUG))      \
            pl_log(PL_LOG_DEBUG, __VA_ARGS__); \
    } while (0)
#define pl_info(...) pl_log(PL_LOG_INFO, __VA_ARGS__)
#define pl_warn(...) pl_log(PL_LOG_WARN, __VA_ARGS__)
#define pl_err(...)  pl_log(PL_LOG_ERROR, __VA_ARGS__)

#endif
