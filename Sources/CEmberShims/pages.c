#include "CEmberShims.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

// One read-only file mapping whose pages can be dropped.
struct ember_mapping {
    unsigned long start;
    unsigned long end;
    unsigned long rss_kib;
};

// Mappings beyond this many are left mapped. A process maps a few dozen files.
#define EMBER_MAX_MAPPINGS 512

// The mapping whose smaps block is being read.
struct ember_smaps_block {
    struct ember_mapping range;
    int droppable;
    unsigned long anonymous_kib;
};

// Reads a smaps header line such as "7f..-7f.. r-xp 00000000 fe:00 1234   /usr/lib/libc.so.6".
// Only private read-only mappings of regular files qualify: their pages are the file's own
// until written, so the kernel can map them again from the page cache.
static int ember_parse_header(const char *line, struct ember_smaps_block *block) {
    char permissions[5] = {0};
    int path_offset = 0;
    if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &block->range.start, &block->range.end, permissions,
               &path_offset) < 3) {
        return 0;
    }
    const char *path = line + path_offset;
    block->droppable = (strcmp(permissions, "r-xp") == 0 || strcmp(permissions, "r--p") == 0)
                       && path[0] == '/' && strncmp(path, "/dev/", 5) != 0;
    block->anonymous_kib = 0;
    block->range.rss_kib = 0;
    return 1;
}

// Keeps the block when no page of it was ever written. A written page of a private mapping
// (relocations made before mprotect, for example) is anonymous, and dropping it would lose the write.
static void ember_keep_block(const struct ember_smaps_block *block, struct ember_mapping *mappings, int *count) {
    if (block->droppable && block->anonymous_kib == 0 && block->range.rss_kib > 0 && *count < EMBER_MAX_MAPPINGS) {
        mappings[(*count)++] = block->range;
    }
}

static int ember_droppable_mappings(struct ember_mapping *mappings, int *count) {
    FILE *smaps = fopen("/proc/self/smaps", "re");
    if (smaps == NULL) {
        return errno;
    }
    char line[4096];
    struct ember_smaps_block block = {0};
    int in_block = 0;
    unsigned long kib = 0;
    *count = 0;
    while (fgets(line, sizeof line, smaps) != NULL) {
        if (sscanf(line, "Rss: %lu kB", &kib) == 1) {
            block.range.rss_kib = kib;
        } else if (sscanf(line, "Anonymous: %lu kB", &kib) == 1) {
            block.anonymous_kib = kib;
        } else if ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')) {
            // A header line starts with the start address in lowercase hexadecimal, and field
            // lines with a capitalised name such as "Rss:".
            if (in_block) {
                ember_keep_block(&block, mappings, count);
            }
            in_block = ember_parse_header(line, &block);
        }
    }
    if (in_block) {
        ember_keep_block(&block, mappings, count);
    }
    int failed = ferror(smaps) ? EIO : 0;
    fclose(smaps);
    return failed;
}

int ember_release_file_pages(uint64_t *released_kib) {
    struct ember_mapping mappings[EMBER_MAX_MAPPINGS];
    int count = 0;
    *released_kib = 0;
    int status = ember_droppable_mappings(mappings, &count);
    if (status != 0) {
        return status;
    }
    for (int index = 0; index < count; index++) {
        // MADV_DONTNEED on a private file mapping unmaps its pages. The next access maps the page
        // again from the page cache (a minor fault) or, if the kernel evicted it, from the file.
        if (madvise((void *)mappings[index].start, mappings[index].end - mappings[index].start, MADV_DONTNEED) == 0) {
            *released_kib += mappings[index].rss_kib;
        }
    }
    return 0;
}
