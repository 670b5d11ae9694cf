/* Shared CLI helpers, `version` and `healthcheck`. */
#include <arpa/inet.h>
#include <getopt.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "net/sock.h"
#include "policy/config.h"
#include "util/log.h"

#include "pl_build.h"

int
pl_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int
pl_cli_load_config(const char *path, struct pl_config **ret)
{
    struct pl_config *cfg = NULL;
    char *err = NULL;
    if (!path) {
        cfg = pl_config_defaults();
        if (!cfg)
            return -ENOMEM;
    } else {
        int r = pl_config_load_file(path, &cfg, &err);
        if (r < 0) {
            fprintf(stderr, "pipelock: config: %s\n", err ? err : strerror(-r));
            free(err);
            return r;
        }
    }
    for (size_t i = 0; i < cfg->warnings.n; i++)
        fprintf(stderr, "WARNING: %s\n", cfg->warnings.v[i]);
    *ret = cfg;
    return 0;
}

int
pl_cmd_version(int argc, char **argv)
{
    if (pl_cli_wants_help(argc, argv)) {
        puts("Usage: pipelock version\n\nPrint version and build information.");
        return PL_EXIT_OK;
    }
    printf("pipelock version %s\n", PL_VERSION);
    printf("build date: %s %s\n", __DATE__, __TIME__);
    printf("git commit: %s\n", PL_GIT_COMMIT);
    printf("compiler: %s\n", PL_CC_VERSION);
    return PL_EXIT_OK;
}

static const char healthcheck_usage[] =
    "Usage: pipelock healthcheck [--addr host:port]\n"
    "\n"
    "GET http://<addr>/health on a running pipelock (3 s timeout).\n"
    "Exit 0 when it answers 200, 1 otherwise.\n"
    "\n"
    "Flags:\n"
    "  --addr string   address of the proxy (default \"127.0.0.1:8888\")\n";

static int
wait_fd(int fd, short events, int64_t deadline_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (now >= deadline_ms)
        return -ETIMEDOUT;
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, (int)(deadline_ms - now));
    return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : -errno;
}

int
pl_cmd_healthcheck(int argc, char **argv)
{
    static const struct option opts[] = {
        {"addr", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *addr = "127.0.0.1:8888";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            addr = optarg;
            break;
        case 'h':
            fputs(healthcheck_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(healthcheck_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    if (pl_sock_parse_addr(addr, &ss, &sl) < 0) {
        fprintf(stderr, "pipelock: healthcheck: invalid address \"%s\"\n", addr);
        return PL_EXIT_USAGE;
    }
    if (((struct sockaddr_in *)&ss)->sin_family == AF_INET &&
        ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_ANY))
        ((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 3000;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    char buf[4096];
    size_t got = 0;
    if (fd < 0)
        goto fail;
    if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
        goto fail;
    if (wait_fd(fd, POLLOUT, deadline) < 0)
        goto fail;
    int soerr = 0;
    socklen_t el = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) < 0 || soerr != 0)
        goto fail;
    static const char req[] = "GET /health HTTP/1.1\r\nHost: pipelock\r\nConnection: close\r\n\r\n";
    if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
        goto fail;
    while (got < sizeof(buf) - 1) {
        if (wait_fd(fd, POLLIN, deadline) < 0)
            goto fail;
        ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    if (strncmp(buf, "HTTP/1.1 200 ", 13) == 0 || strncmp(buf, "HTTP/1.0 200 ", 13) == 0) {
        const char *body = strstr(buf, "\r\n\r\n");
        printf("%s", body ? body + 4 : "");
        return PL_EXIT_OK;
    }
    fprintf(stderr, "pipelock: healthcheck: %s answered: %.40s\n", addr, buf);
    return PL_EXIT_FAIL;
fail:
    fprintf(stderr, "pipelock: healthcheck: %s: %s\n", addr, errno ? strerror(errno) : "no answer");
    if (fd >= 0)
        close(fd);
    return PL_EXIT_FAIL;
}
