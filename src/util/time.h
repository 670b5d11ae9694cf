/* Clocks. */
#ifndef PL_UTIL_TIME_H
#define PL_UTIL_TIME_H

#include "util/common.h"

/* Monotonic time in nanoseconds. */
uint64_t pl_time_mono_ns(void);
/* Write the current UTC time as RFC 3339 with milliseconds ("2026-01-02T03:04:05.678Z"). */
void pl_time_rfc3339(char *buf, size_t size);

#endif
