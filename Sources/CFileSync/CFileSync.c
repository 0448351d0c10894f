#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>
#include <stdio.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#include "CFileSync.h"

int cors_audit_syncfs(int fd) {
#ifdef __linux__
    return syncfs(fd);
#else
    return fsync(fd);
#endif
}

int cors_audit_exchange(const char *a, const char *b) {
#if defined(__linux__) && defined(SYS_renameat2)
    /* The system call, not glibc's wrapper: older glibc lacks it. */
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
    errno = ENOSYS;
    return -1;
#endif
}

long cors_audit_raise_open_file_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
    if (limit.rlim_cur < limit.rlim_max) {
        struct rlimit wanted = limit;
        wanted.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) limit = wanted;
    }
    return limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= (rlim_t)LONG_MAX ? LONG_MAX : (long)limit.rlim_cur;
}
