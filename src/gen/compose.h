/* `pipelock generate docker-compose`: the enforced tier on one Docker host. */
#ifndef PL_GEN_COMPOSE_H
#define PL_GEN_COMPOSE_H

#include <stdbool.h>

struct pl_gen_compose_opts {
    const char *agent;     /* "generic" | "claude-code" | "openhands" */
    const char *image;     /* pipelock's image */
    unsigned kill_switch;  /* publish the admin API on host 127.0.0.1:<port>; 0 = not */
    unsigned metrics;      /* publish /metrics on host 127.0.0.1:<port>; 0 = not */
    const char *generator; /* the command line, for the header comment */
};

/*
 * A Compose file where the agent sits on an internal network (no gateway) whose only other
 * member is pipelock, which also sits on an external one. Returns a malloc'd string, or NULL
 * for an unknown agent.
 */
char *pl_gen_compose_yaml(const struct pl_gen_compose_opts *o);

#endif
