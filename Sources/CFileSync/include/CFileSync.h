#ifndef CFILESYNC_H
#define CFILESYNC_H

/// syncfs(2) on the filesystem holding fd: Swift's Glibc module does not export it.
int cors_audit_syncfs(int fd);

/// Swaps two paths atomically (renameat2 RENAME_EXCHANGE): each name then holds what the other held. Returns -1 with
/// errno set where the system cannot (ENOSYS, EINVAL on a filesystem without it).
int cors_audit_exchange(const char *a, const char *b);

/// Raises RLIMIT_NOFILE's soft limit to its hard limit (a large fleet needs more sockets than the usual soft
/// 1024); returns the soft limit in force afterwards, LONG_MAX when unlimited, 1024 when it cannot be read.
long cors_audit_raise_open_file_limit(void);

/// The poll loop's epoll(7) calls: epoll_event is packed on x86-64, which Swift's importer does not promise to lay
/// out as the kernel does, so events cross as a plain 64-bit tag and poll(2)-style bits (EPOLLIN == POLLIN, ...).
int cors_audit_epoll_create(void);
/// op: 0 add, 1 modify, 2 remove. Returns 0, or -1 with errno set.
int cors_audit_epoll_ctl(int epfd, int op, int fd, unsigned int events, unsigned long long tag);
/// Bytes of scratch space cors_audit_epoll_wait needs per descriptor.
unsigned long cors_audit_epoll_event_size(void);
/// Waits up to timeout_ms (-1: no limit) for at most max ready descriptors, with scratch room for max events; their
/// tags go to tags. Returns how many, 0 on timeout, -1 with errno set.
int cors_audit_epoll_wait(int epfd, void *scratch, unsigned long long *tags, int max, int timeout_ms);

#endif
