/* File system calls on paths (fs/file_syscalls.cpp): open, stat, folders.
 * Calls on descriptors (read, lseek, close, ...) go through the descriptor
 * table (fd.hpp) whatever the descriptor is. Every function answers a
 * value or -errno. */
#pragma once
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

long file_open(int dirfd, const char* path, int flags, int mode);
long file_stat(int dirfd, const char* path, void* st, int flags);
long file_statx(int dirfd, const char* path, int flags, unsigned mask, void* stx);
long file_getdents64(int fd, void* buf, uint64_t len);
long file_access(int dirfd, const char* path, int mode, int flags);
long file_getcwd(char* buf, uint64_t size);
long file_chdir(const char* path);
long file_fchdir(int fd);
long file_readlink(int dirfd, const char* path, char* buf, uint64_t size);
/* Calls that would change the file system: -EROFS (-ENOENT for paths
 * whose folder does not exist). */
long file_modify(int dirfd, const char* path);

KERNEL_END_DECLS
