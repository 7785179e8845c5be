/*
 * pread-floor: the kernel's share of one sample cycle, as a lower bound for Ember's own cost.
 *
 * Reads a list of attribute file paths (one per line) from standard input and opens each once.
 * Then, for CYCLES cycles, it does exactly one pread(fd, buf, 4096, 0) per file, the fewest
 * system calls an agent can make to re-read those files. A file that cannot be opened is skipped and counted.
 *
 * With INTERVAL_MS, it sleeps that long after each cycle, as an agent sampling on a timer does.
 * The kernel's caches then go cold between cycles, and a cycle at 1 s intervals cost about three
 * times one in a tight loop on the node_exporter fixture (x86_64 test machine).
 *
 * Prints one line of key=value pairs: files, skipped, cycles, cpu_us_per_cycle (user plus system
 * time of the read loop alone, from CLOCK_PROCESS_CPUTIME_ID) and syscalls_per_cycle.
 *
 * Usage: pread-floor CYCLES [INTERVAL_MS] < paths.txt
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MAX_FILES = 65536, BUFFER_BYTES = 4096 };

static int descriptors[MAX_FILES];

/* Opens every path listed on standard input; returns how many opened, counts the rest in *skipped. */
static int open_listed_files(int *skipped) {
    char line[4096];
    int count = 0;

    *skipped = 0;
    while (fgets(line, sizeof line, stdin) != NULL && count < MAX_FILES) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0') {
            continue;
        }
        int fd = open(line, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "pread-floor: failed to open %s, skipped: %s\n", line, strerror(errno));
            (*skipped)++;
            continue;
        }
        descriptors[count++] = fd;
    }
    return count;
}

static double process_cpu_seconds(void) {
    struct timespec now;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    static char buffer[BUFFER_BYTES];

    if (argc < 2 || argc > 3 || atol(argv[1]) <= 0 || (argc == 3 && atol(argv[2]) < 0)) {
        fprintf(stderr, "usage: pread-floor CYCLES [INTERVAL_MS] < paths.txt "
                        "(CYCLES a positive integer, INTERVAL_MS a non-negative one)\n");
        return 2;
    }
    long cycles = atol(argv[1]);
    long interval_ms = argc == 3 ? atol(argv[2]) : 0;
    struct timespec interval = {interval_ms / 1000, (interval_ms % 1000) * 1000000L};
    int skipped = 0;
    int files = open_listed_files(&skipped);
    if (files == 0) {
        fprintf(stderr, "pread-floor: none of the listed files could be opened; check the paths on standard input\n");
        return 1;
    }

    double start = process_cpu_seconds();
    for (long cycle = 0; cycle < cycles; cycle++) {
        for (int i = 0; i < files; i++) {
            /* A failed read (EIO, ENODATA on some sysfs attributes) still costs its system call. */
            (void)pread(descriptors[i], buffer, sizeof buffer, 0);
        }
        /* Sleeping costs no CPU time, so it stays inside the measured span. */
        if (interval_ms > 0) {
            nanosleep(&interval, NULL);
        }
    }
    double elapsed = process_cpu_seconds() - start;

    printf("files=%d skipped=%d cycles=%ld cpu_us_per_cycle=%.3f syscalls_per_cycle=%d\n",
           files, skipped, cycles, elapsed / (double)cycles * 1e6, files);
    return 0;
}
