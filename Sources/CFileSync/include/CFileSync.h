#ifndef CFILESYNC_H
#define CFILESYNC_H

/// syncfs(2) on the filesystem holding fd: Swift's Glibc module does not export it.
int cors_audit_syncfs(int fd);

#endif
