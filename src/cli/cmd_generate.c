/* `pipelock generate config --preset X [-o file]`. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "gen/preset.h"

#include "pl_build.h"

static const char generate_usage[] =
    "Usage: pipelock generate config [--preset balanced|strict|audit] [-o file]\n"
    "\n"
    "Print a complete, commented configuration for a preset. With -o the file is written\n"
    "with mode 0600.\n"
    "\n"
    "Flags:\n"
    "  --preset string   balanced (default), strict or audit\n"
    "  -o, --output file write to file instead of stdout\n";

static int
write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    const char *p = text;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        p += w;
        len -= (size_t)w;
    }
    fchmod(fd, 0600);
    return close(fd) == 0 ? 0 : -errno;
}

int
pl_cmd_generate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"preset", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(generate_usage, argc < 2 ? stderr : stdout);
        fputs("\nOther generators (docker-compose, mcporter, firewall) are not implemented in "
              "this build yet.\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? PL_EXIT_USAGE : PL_EXIT_OK;
    }
    if (strcmp(argv[1], "config") != 0) {
        fprintf(stderr, "pipelock: generate %s: not implemented in this build yet\n", argv[1]);
        return PL_EXIT_FAIL;
    }
    const char *preset = "balanced";
    const char *out = NULL;
    int c;
    optind = 1;
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            preset = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(generate_usage, stdout);
            return PL_EXIT_OK;
        default:
            fputs(generate_usage, stderr);
            return PL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pipelock: generate config: unexpected argument \"%s\"\n", argv[optind]);
        return PL_EXIT_USAGE;
    }
    char genline[128];
    snprintf(genline, sizeof(genline), "pipelock generate config --preset %s", preset);
    char *yaml = pl_gen_preset_yaml(preset, genline);
    if (!yaml) {
        fprintf(stderr,
                "pipelock: generate config: unknown preset \"%s\" (use balanced, strict or "
                "audit)\n",
                preset);
        return PL_EXIT_USAGE;
    }
    int rc = PL_EXIT_OK;
    if (out) {
        int r = write_file(out, yaml);
        if (r < 0) {
            fprintf(stderr, "pipelock: generate config: cannot write %s: %s\n", out, strerror(-r));
            rc = PL_EXIT_FAIL;
        } else {
            fprintf(stderr, "Config written to %s\n", out);
        }
    } else {
        fputs(yaml, stdout);
    }
    free(yaml);
    return rc;
}
