#ifndef CFILESYNC_H
#define CFILESYNC_H

/// syncfs(2) on the filesystem holding fd: Swift's Glibc module does not export it.
int cors_audit_syncfs(int fd);

/// Swaps two paths atomically (renameat2 RENAME_EXCHANGE): each name then holds what the other held. Returns -1 with
/// errno set where the system cannot (ENOSYS, EINVAL on a filesystem without it).
int cors_audit_exchange(const char *a, const char *b);

#endif
