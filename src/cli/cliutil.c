/* Helpers shared by the operator verbs (see cliutil.h). */
#include "cli/cliutil.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/sha256.h"

const char *
pl_cli_find_tool(const char *name, char *buf, size_t len)
{
    static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? name : NULL;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        int n = snprintf(buf, len, "%s/%s", dirs[i], name);
        if (n > 0 && (size_t)n < len && access(buf, X_OK) == 0)
            return buf;
    }
    return NULL;
}

int
pl_cli_run_tool(const char *const *argv, char **out)
{
    char path[PATH_MAX];
    const char *exe = pl_cli_find_tool(argv[0], path, sizeof(path));
    if (out)
        *out = NULL;
    if (!exe)
        return 127;
    int fds[2] = {-1, -1};
    if (out && pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        if (out) {
            close(fds[0]);
            close(fds[1]);
        }
        return -e;
    }
    if (pid == 0) {
        if (out) {
            dup2(fds[1], STDOUT_FILENO);
            dup2(fds[1], STDERR_FILENO);
        }
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (nul >= 0)
            dup2(nul, STDIN_FILENO);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    if (out) {
        close(fds[1]);
        struct pl_buf b;
        pl_buf_init(&b, 1u << 20);
        char chunk[4096];
        for (;;) {
            ssize_t n = read(fds[0], chunk, sizeof(chunk));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            if (pl_buf_add(&b, chunk, (size_t)n) < 0)
                continue; /* keep draining; the tail is lost */
        }
        close(fds[0]);
        *out = b.data ? b.data : strdup("");
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

char *
pl_cli_read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct pl_buf b;
    pl_buf_init(&b, max);
    char chunk[8192];
    int e = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errno;
            break;
        }
        if (n == 0)
            break;
        int r = pl_buf_add(&b, chunk, (size_t)n);
        if (r < 0) {
            e = -r;
            break;
        }
    }
    close(fd);
    if (e) {
        pl_buf_done(&b);
        errno = e;
        return NULL;
    }
    char *out = b.data ? b.data : strdup("");
    if (out && len)
        *len = b.len;
    return out;
}

int
pl_cli_write_file(const char *path, const char *text, unsigned mode)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof(tmp), "%s.pipelock-new", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    const char *p = text;
    int e = 0;
    while (len && !e) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            e = errno ? errno : EIO;
            break;
        }
        p += w;
        len -= (size_t)w;
    }
    if (!e && fchmod(fd, (mode_t)mode) < 0)
        e = errno;
    if (!e && fsync(fd) < 0)
        e = errno;
    if (close(fd) < 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) < 0)
        e = errno;
    if (e)
        unlink(tmp);
    return -e;
}

int
pl_cli_mkparents(const char *path, void (*on_created)(const char *dir, void *arg), void *arg)
{
    char dir[PATH_MAX];
    if (strlen(path) >= sizeof(dir))
        return -ENAMETOOLONG;
    strcpy(dir, path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(dir, 0755) == 0) {
            if (on_created)
                on_created(dir, arg);
        } else if (errno != EEXIST) {
            return -errno;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    return 0;
}

int
pl_cli_file_sha256(const char *path, char hex[65])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct pl_sha256_ctx c;
    pl_sha256_init(&c);
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        if (n == 0)
            break;
        pl_sha256_update(&c, chunk, (size_t)n);
    }
    close(fd);
    uint8_t d[PL_SHA256_LEN];
    pl_sha256_final(&c, d);
    for (int i = 0; i < PL_SHA256_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return 0;
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
    struct pl_buf *b = arg;
    size_t len = size * n;
    if (b->len + len > b->max)
        len = b->max - b->len;
    if (len && pl_buf_add(b, p, len) < 0)
        return 0;
    return size * n;
}

int
pl_cli_http(const char *url, const char *proxy, const char *post, long timeout_ms, long *status,
            char **body, char *err, size_t errlen)
{
    static int inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = 1;
    }
    *status = 0;
    if (body)
        *body = NULL;
    if (errlen)
        err[0] = '\0';
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct pl_buf b;
    pl_buf_init(&b, 64 * 1024);
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    /* "" = no proxy at all, whatever HTTP_PROXY says; the caller names the one it means. */
    curl_easy_setopt(h, CURLOPT_PROXY, proxy ? proxy : "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, proxy ? "" : "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "pipelock-verify");
    if (post) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    else if (errlen)
        snprintf(err, errlen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
    curl_easy_cleanup(h);
    if (body)
        *body = b.data ? b.data : strdup("");
    else
        pl_buf_done(&b);
    return rc == CURLE_OK ? 0 : -1;
}
