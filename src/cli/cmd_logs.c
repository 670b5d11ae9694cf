/* `pipelock logs`: print the tail of the audit log, filtered, optionally following it. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "policy/config.h"

static const char logs_usage[] =
    "Usage: pipelock logs [--file PATH | -c CONFIG] [-n N] [--filter KIND[,KIND]] [--event TYPE]\n"
    "                     [--agent NAME] [-f]\n"
    "\n"
    "Print the last lines of pipelock's audit log (JSON lines, or logging.format: text).\n"
    "\n"
    "Flags:\n"
    "  --file PATH         the audit log (default: logging.file of --config)\n"
    "  -c, --config FILE   take the log path from this config's logging.file\n"
    "  -n, --last N        lines to print from the end before following (default 50, 0 = all)\n"
    "      --filter KINDS  allowed, blocked, error, anomaly (comma-separated)\n"
    "      --event TYPE    only events of this type (e.g. config_reload)\n"
    "      --agent NAME    only events of this agent\n"
    "  -f, --follow        keep printing new lines (survives rotation and truncation)\n";

struct filter {
    char kinds[256];
    const char *event;
    const char *agent;
};

static bool
kind_has(const char *kinds, const char *k)
{
    size_t n = strlen(k);
    for (const char *p = kinds; *p;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == n && !strncmp(p, k, n))
            return true;
        p += len + (c ? 1 : 0);
    }
    return false;
}

/* The category of an event type for --filter. */
static const char *
kind_of(const char *event)
{
    if (!strcmp(event, "allowed") || !strcmp(event, "forward_http"))
        return "allowed";
    if (!strcmp(event, "blocked") || !strcmp(event, "kill_switch_deny") ||
        !strcmp(event, "ws_blocked") || !strcmp(event, "airlock_deny"))
        return "blocked";
    if (!strcmp(event, "error"))
        return "error";
    if (!strcmp(event, "anomaly") || !strcmp(event, "session_anomaly"))
        return "anomaly";
    return "";
}

/* A field of a text-format line ("... key=value ..."), into buf. */
static bool
text_field(const char *line, size_t len, const char *key, char *buf, size_t size)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 1 < len; i++) {
        if ((i == 0 || line[i - 1] == ' ') && !strncmp(line + i, key, kl) && line[i + kl] == '=') {
            const char *v = line + i + kl + 1;
            size_t n = 0;
            while (v + n < line + len && v[n] != ' ' && v[n] != '\n')
                n++;
            snprintf(buf, size, "%.*s", (int)n, v);
            return true;
        }
    }
    return false;
}

static bool
wanted(const struct filter *f, const char *line, size_t len)
{
    if (!f->kinds[0] && !f->event && !f->agent)
        return true;
    char event[64] = "", agent[80] = "";
    json_error_t jerr;
    json_t *o = json_loadb(line, len, JSON_DISABLE_EOF_CHECK, &jerr);
    if (json_is_object(o)) {
        const char *e = json_string_value(json_object_get(o, "event"));
        const char *a = json_string_value(json_object_get(o, "agent"));
        snprintf(event, sizeof(event), "%s", e ? e : "");
        snprintf(agent, sizeof(agent), "%s", a ? a : "");
    } else if (!text_field(line, len, "event", event, sizeof(event))) {
        json_decref(o);
        return false; /* neither format: nothing to filter on */
    } else {
        text_field(line, len, "agent", agent, sizeof(agent));
    }
    json_decref(o);
    if (f->event && strcmp(f->event, event))
        return false;
    if (f->agent && strcmp(f->agent, agent))
        return false;
    return !f->kinds[0] || kind_has(f->kinds, kind_of(event));
}

/* Print the wanted complete lines of buf[0, len); returns the bytes consumed. */
static size_t
emit_lines(const struct filter *f, const char *buf, size_t len)
{
    size_t at = 0;
    for (;;) {
        const char *nl = memchr(buf + at, '\n', len - at);
        if (!nl)
            return at;
        size_t n = (size_t)(nl - (buf + at)) + 1;
        if (n > 1 && wanted(f, buf + at, n - 1))
            fwrite(buf + at, 1, n, stdout);
        at += n;
    }
}

/* The offset where the last `last` wanted lines start (0 = the whole file). */
static off_t
tail_start(FILE *fp, const struct filter *f, long last)
{
    if (last <= 0)
        return 0;
    if (fseeko(fp, 0, SEEK_END) < 0)
        return 0;
    off_t pos = ftello(fp);
    long found = 0;
    char chunk[65536];
    /* Walk back chunk by chunk, counting wanted lines. Lines longer than a chunk are counted
     * when their start is reached in a later chunk (the carry). */
    char *carry = NULL;
    size_t carry_len = 0;
    while (pos > 0 && found < last) {
        size_t n = (size_t)(pos > (off_t)sizeof(chunk) ? (off_t)sizeof(chunk) : pos);
        pos -= (off_t)n;
        if (fseeko(fp, pos, SEEK_SET) < 0 || fread(chunk, 1, n, fp) != n)
            break;
        char *joined = malloc(n + carry_len);
        if (!joined)
            break;
        memcpy(joined, chunk, n);
        if (carry_len)
            memcpy(joined + n, carry, carry_len);
        free(carry);
        size_t jl = n + carry_len;
        /* Lines ending in joined, from the back; the part before the first '\n' carries. */
        size_t e = jl;
        while (e > 0 && found < last) {
            size_t s = e - 1;
            while (s > 0 && joined[s - 1] != '\n')
                s--;
            if (s == 0 && pos > 0)
                break; /* this line may start in an earlier chunk */
            /* Only complete lines count: a last line still being written is not printed. */
            if (joined[e - 1] == '\n' && e - s > 1 && wanted(f, joined + s, e - s - 1))
                found++;
            if (found == last) {
                off_t at = pos + (off_t)s;
                free(joined);
                return at;
            }
            e = s;
        }
        carry = joined;
        carry_len = e;
    }
    free(carry);
    return 0;
}

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int
pl_cmd_logs(int argc, char **argv)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, 'F'},
        {"config", required_argument, NULL, 'c'},
        {"last", required_argument, NULL, 'n'},
        {"filter", required_argument, NULL, 'k'},
        {"event", required_argument, NULL, 'e'},
        {"agent", required_argument, NULL, 'a'},
        {"follow", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL, *config = NULL;
    long last = 50;
    bool follow = false;
    struct filter f = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:n:fh", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'F':
            file = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'n':
            errno = 0;
            last = strtol(optarg, &end, 10);
            if (errno || *end || last < 0) {
                fprintf(stderr, "pipelock logs: --last must be a number ≥ 0\n");
                return PL_EXIT_USAGE;
            }
            break;
        case 'k':
            snprintf(f.kinds, sizeof(f.kinds), "%s", optarg);
            for (char *p = f.kinds; *p;) {
                char *cm = strchr(p, ',');
                size_t len = cm ? (size_t)(cm - p) : strlen(p);
                static const char *const ok[] = {"allowed", "blocked", "error", "anomaly"};
                bool good = false;
                for (size_t i = 0; i < 4; i++)
                    good = good || (strlen(ok[i]) == len && !strncmp(p, ok[i], len));
                if (!good) {
                    fprintf(stderr,
                            "pipelock logs: --filter takes allowed, blocked, error, anomaly\n");
                    return PL_EXIT_USAGE;
                }
                p += len + (cm ? 1 : 0);
            }
            break;
        case 'e':
            f.event = optarg;
            break;
        case 'a':
            f.agent = optarg;
            break;
        case 'f':
            follow = true;
            break;
        case 'h':
            fputs(logs_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(logs_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock logs: unexpected argument \"%s\"\n", argv[optind]);
        return PL_EXIT_USAGE;
    }
    struct pl_config *cfg = NULL;
    if (!file && config) {
        if (pl_cli_load_config(config, &cfg) < 0)
            return PL_EXIT_FAIL;
        file = cfg->logging.file && *cfg->logging.file ? cfg->logging.file : NULL;
        if (!file) {
            fprintf(stderr, "pipelock logs: %s sets no logging.file (the log goes to stdout)\n",
                    config);
            pl_config_free(cfg);
            return PL_EXIT_FAIL;
        }
    }
    if (!file) {
        fprintf(stderr, "pipelock logs: give --file PATH or --config FILE\n");
        return PL_EXIT_USAGE;
    }
    FILE *fp = fopen(file, "re");
    if (!fp) {
        fprintf(stderr, "pipelock logs: cannot open %s: %s\n", file, strerror(errno));
        pl_config_free(cfg);
        return PL_EXIT_FAIL;
    }
    off_t start = tail_start(fp, &f, last);
    fseeko(fp, start, SEEK_SET);
    char *buf = malloc(1 << 20);
    size_t len = 0, cap = 1 << 20;
    int rc = PL_EXIT_OK;
    if (!buf) {
        fclose(fp);
        pl_config_free(cfg);
        return PL_EXIT_FAIL;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct stat st0;
    fstat(fileno(fp), &st0);
    off_t offset = start;
    while (!stop) {
        size_t n = fread(buf + len, 1, cap - len, fp);
        offset += (off_t)n;
        len += n;
        size_t used = emit_lines(&f, buf, len);
        memmove(buf, buf + used, len - used);
        len -= used;
        if (len == cap) /* a line longer than the buffer: print it as it is */
            fwrite(buf, 1, len, stdout), len = 0;
        if (n > 0)
            continue;
        if (!follow)
            break;
        fflush(stdout);
        clearerr(fp);
        usleep(200 * 1000);
        /* Rotated (a new file at the path) or truncated: start over from its beginning. */
        struct stat st;
        if (stat(file, &st) == 0 && (st.st_ino != st0.st_ino || st.st_dev != st0.st_dev)) {
            FILE *nf = fopen(file, "re");
            if (nf) {
                /* Finish the old file first. */
                for (size_t m; (m = fread(buf + len, 1, cap - len, fp)) > 0;) {
                    len += m;
                    size_t u = emit_lines(&f, buf, len);
                    memmove(buf, buf + u, len - u);
                    len -= u;
                }
                fclose(fp);
                fp = nf;
                fstat(fileno(fp), &st0);
                offset = 0;
                len = 0;
            }
        } else if (fstat(fileno(fp), &st) == 0 && st.st_size < offset) {
            fseeko(fp, 0, SEEK_SET);
            offset = 0;
            len = 0;
        }
    }
    if (ferror(stdout))
        rc = PL_EXIT_FAIL;
    fflush(stdout);
    free(buf);
    fclose(fp);
    pl_config_free(cfg);
    return rc;
}
