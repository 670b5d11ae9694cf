/* Emit sinks: the severity table, and a syslog datagram on a loopback socket. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "obs/emit.h"
#include "obs/metrics.h"

Test(emit, severity_is_fixed_per_event_type)
{
    cr_expect_eq(pl_emit_severity("kill_switch_deny", NULL), PL_EMIT_CRITICAL);
    cr_expect_eq(pl_emit_severity("blocked", NULL), PL_EMIT_WARN);
    cr_expect_eq(pl_emit_severity("response_scan", NULL), PL_EMIT_WARN);
    cr_expect_eq(pl_emit_severity("chain_detection", "warn"), PL_EMIT_WARN);
    cr_expect_eq(pl_emit_severity("chain_detection", "block"), PL_EMIT_CRITICAL);
    cr_expect_eq(pl_emit_severity("forward_http", NULL), PL_EMIT_INFO);
    cr_expect_eq(pl_emit_severity("body_dlp", NULL), PL_EMIT_INFO);
    cr_expect_eq(pl_emit_severity("something_new", NULL), PL_EMIT_INFO);
}

Test(emit, syslog_udp_carries_an_rfc5424_line_and_respects_min_severity)
{
    int rx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(rx, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    getsockname(rx, (struct sockaddr *)&sa, &sl);
    char yaml[256];
    snprintf(yaml, sizeof(yaml),
             "emit:\n  instance_id: unit\n  syslog:\n    address: udp://127.0.0.1:%u\n"
             "    facility: local3\n    tag: pl-test\n",
             ntohs(sa.sin_port));
    struct pl_config *cfg = NULL;
    char *err = NULL;
    cr_assert_eq(pl_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &err), 0, "%s", err);
    struct pl_metrics *m = pl_metrics_new(0);
    struct pl_emit *e = NULL;
    cr_assert_eq(pl_emit_new(cfg, m, &e, &err), 0);
    cr_assert_not_null(e);
    static const char info[] = "{\"event\":\"forward_http\"}";
    static const char warn[] = "{\"event\":\"blocked\",\"scanner\":\"dlp\"}";
    pl_emit_event(e, "forward_http", PL_EMIT_INFO, "2026-01-01T00:00:00Z", info, sizeof(info) - 1);
    pl_emit_event(e, "blocked", PL_EMIT_WARN, "2026-01-01T00:00:01Z", warn, sizeof(warn) - 1);
    pl_emit_free(e, 2000);

    struct pollfd p = {rx, POLLIN, 0};
    cr_assert_eq(poll(&p, 1, 5000), 1);
    char buf[2048];
    ssize_t n = recv(rx, buf, sizeof(buf) - 1, 0);
    cr_assert_gt(n, 0);
    buf[n] = '\0';
    /* local3 = 19, warning = 4: PRI 156. The info event was below min_severity (warn). */
    char want[64];
    snprintf(want, sizeof(want), "<156>1 ");
    cr_expect(!strncmp(buf, want, strlen(want)), "%s", buf);
    cr_expect_not_null(strstr(buf, " pl-test "));
    char pid[32];
    snprintf(pid, sizeof(pid), " %d blocked - {", (int)getpid());
    cr_expect_not_null(strstr(buf, pid), "%s", buf);
    cr_expect_not_null(strstr(buf, "{\"severity\":\"warn\",\"type\":\"blocked\",\"timestamp\":"
                                   "\"2026-01-01T00:00:01Z\",\"pipelock_instance\":\"unit\","
                                   "\"fields\":{\"event\":\"blocked\",\"scanner\":\"dlp\"}}"),
                       "%s", buf);
    cr_expect_eq(poll(&p, 1, 200), 0, "the info event must not be sent");
    close(rx);
    pl_metrics_free(m);
    pl_config_free(cfg);
}
