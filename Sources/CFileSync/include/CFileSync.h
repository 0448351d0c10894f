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

#endif
