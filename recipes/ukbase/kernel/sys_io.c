/*
 * Descriptor system calls. Descriptors 0, 1 and 2 are the console (stdin
 * reads end-of-file; stdout and stderr go to the registered stdout
 * handlers, os::add_stdout()); 3 and up are files and folders of the
 * read-only VFS (files.h, fs/file_syscalls.cpp).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "kernel/files.h"
#include "kernel/memory.h"
#include "kernel/service.h"
#include "kernel/syscall.h"

static int is_console(int fd) { return fd >= 0 && fd <= 2; }

long sys_read(int fd, void* buf, uint64_t len)
{
  return fd == 0 ? 0 : is_console(fd) ? -EBADF : file_read(fd, buf, len);
}

long sys_readv(int fd, const void* iov, int cnt)
{
  return fd == 0 ? 0 : is_console(fd) ? -EBADF : file_readv(fd, iov, cnt);
}

long sys_pread64(int fd, void* buf, uint64_t len, int64_t off)
{
  return is_console(fd) ? -ESPIPE : file_pread(fd, buf, len, off);
}

long sys_preadv(int fd, const void* iov, int cnt, int64_t off)
{
  return is_console(fd) ? -ESPIPE : file_preadv(fd, iov, cnt, off);
}

long sys_write(int fd, const void* buf, uint64_t len)
{
  if (fd != 1 && fd != 2)
    return -EBADF;
  if (len)
    __ukbase_stdout_write(buf, len);
  return (long)len;
}

long sys_writev(int fd, const void* iov_, int cnt)
{
  if (fd != 1 && fd != 2)
    return -EBADF;
  if (cnt < 0 || cnt > 1024)
    return -EINVAL;
  const struct iovec* iov = iov_;
  long total = 0;
  for (int i = 0; i < cnt; i++) {
    if (iov[i].iov_len)
      __ukbase_stdout_write(iov[i].iov_base, iov[i].iov_len);
    total += (long)iov[i].iov_len;
  }
  return total;
}

long sys_ioctl(int fd, unsigned long req, uint64_t arg)
{
  if (!is_console(fd))
    return file_is_open(fd) ? -ENOTTY : -EBADF;
  if (req == TIOCGWINSZ) {
    /* Answering makes musl line-buffer stdout, as on a terminal. */
    struct winsize* ws = (struct winsize*)arg;
    if (ws) {
      ws->ws_row = 24;
      ws->ws_col = 80;
      ws->ws_xpixel = ws->ws_ypixel = 0;
    }
    return 0;
  }
  return -ENOTTY;
}

long sys_openat(int dirfd, const char* path, int flags, int mode)
{
  return file_open(dirfd, path, flags, mode);
}

long sys_close(int fd)
{
  return is_console(fd) ? 0 : file_close(fd);
}

static void console_stat(struct stat* st)
{
  mem_zero(st, sizeof *st);
  st->st_mode = S_IFCHR | 0620;
  st->st_rdev = (5 << 8) | 1;          /* like /dev/console */
  st->st_blksize = 1024;
  st->st_nlink = 1;
}

long sys_fstat(int fd, void* st)
{
  if (!is_console(fd))
    return file_fstat(fd, st);
  console_stat(st);
  return 0;
}

long sys_newfstatat(int dirfd, const char* path, void* st, int flags)
{
  if ((flags & AT_EMPTY_PATH) && path && !path[0])
    return sys_fstat(dirfd, st);
  return file_stat(dirfd, path, st, flags);
}

long sys_statx(int dirfd, const char* path, int flags, unsigned mask, void* stx_)
{
  if (!((flags & AT_EMPTY_PATH) && path && !path[0] && is_console(dirfd)))
    return file_statx(dirfd, path, flags, mask, stx_);
  struct statx* stx = stx_;               /* the console, as console_stat() */
  mem_zero(stx, sizeof *stx);
  stx->stx_mask = STATX_BASIC_STATS;
  stx->stx_mode = S_IFCHR | 0620;
  stx->stx_nlink = 1;
  stx->stx_blksize = 1024;
  stx->stx_rdev_major = 5;
  stx->stx_rdev_minor = 1;
  return 0;
}

long sys_lseek(int fd, int64_t off, int whence)
{
  return is_console(fd) ? -ESPIPE : file_lseek(fd, off, whence);
}

long sys_fcntl(int fd, int cmd, uint64_t arg)
{
  if (!is_console(fd))
    return file_fcntl(fd, cmd, arg);
  switch (cmd) {
  case F_GETFD:
  case F_SETFD:
  case F_SETFL:
    return 0;
  case F_GETFL:
    return fd == 0 ? O_RDONLY : O_WRONLY;
  default:
    return -EINVAL;
  }
}

long sys_poll(void* fds_, uint64_t n, int timeout)
{
  struct pollfd* fds = fds_;
  long ready = 0;
  for (uint64_t i = 0; i < n; i++) {
    fds[i].revents = 0;
    if (fds[i].fd < 0)
      continue;
    if (is_console(fds[i].fd))
      fds[i].revents = (short)(fds[i].events & (POLLOUT | POLLIN));
    else if (file_is_open(fds[i].fd))
      fds[i].revents = (short)(fds[i].events & POLLIN);   /* reads never block */
    else
      fds[i].revents = POLLNVAL;
    if (fds[i].revents)
      ready++;
  }
  return ready;
}
