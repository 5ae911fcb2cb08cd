/* File system calls on descriptors 3 and up and on paths (the console,
 * descriptors 0-2, stays in sys_io.c). Implemented in C++ over the VFS
 * (fs/file_syscalls.cpp); every function answers a value or -errno. */
#pragma once
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

#define FILE_FD_BASE 3

long file_open(int dirfd, const char* path, int flags, int mode);
long file_close(int fd);
long file_read(int fd, void* buf, uint64_t len);
long file_readv(int fd, const void* iov, int cnt);
long file_pread(int fd, void* buf, uint64_t len, int64_t off);
long file_preadv(int fd, const void* iov, int cnt, int64_t off);
long file_lseek(int fd, int64_t off, int whence);
long file_fstat(int fd, void* st);
long file_stat(int dirfd, const char* path, void* st, int flags);
long file_statx(int dirfd, const char* path, int flags, unsigned mask, void* stx);
long file_getdents64(int fd, void* buf, uint64_t len);
long file_access(int dirfd, const char* path, int mode, int flags);
long file_getcwd(char* buf, uint64_t size);
long file_chdir(const char* path);
long file_fchdir(int fd);
long file_readlink(int dirfd, const char* path, char* buf, uint64_t size);
long file_fcntl(int fd, int cmd, uint64_t arg);
/* Calls that would change the file system: -EROFS (-ENOENT for paths
 * whose folder does not exist). */
long file_modify(int dirfd, const char* path);
/* 1 if fd is an open file or folder. */
int file_is_open(int fd);

KERNEL_END_DECLS
