/* placeholder; filled in by the scanning-engine work */
typedef int pl_placeholder_ratelimit_t;
