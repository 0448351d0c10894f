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
#ifdef __linux__
#include <sys/epoll.h>
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

#ifdef __linux__
int cors_audit_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int cors_audit_epoll_ctl(int epfd, int op, int fd, unsigned int events, unsigned long long tag) {
    struct epoll_event event = { .events = events, .data = { .u64 = tag } };
    int ops[] = { EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL };
    if (op < 0 || op > 2) { errno = EINVAL; return -1; }
    return epoll_ctl(epfd, ops[op], fd, &event);
}

unsigned long cors_audit_epoll_event_size(void) {
    return sizeof(struct epoll_event);
}

int cors_audit_epoll_wait(int epfd, void *scratch, unsigned long long *tags, int max, int timeout_ms) {
    struct epoll_event *ready = scratch;
    int n = epoll_wait(epfd, ready, max, timeout_ms);
    for (int i = 0; i < n; i++) tags[i] = ready[i].data.u64;
    return n;
}
#else
int cors_audit_epoll_create(void) { errno = ENOSYS; return -1; }
int cors_audit_epoll_ctl(int epfd, int op, int fd, unsigned int events, unsigned long long tag) { errno = ENOSYS; return -1; }
unsigned long cors_audit_epoll_event_size(void) { return 16; }
int cors_audit_epoll_wait(int epfd, void *scratch, unsigned long long *tags, int max, int timeout_ms) { errno = ENOSYS; return -1; }
#endif
