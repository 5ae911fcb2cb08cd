/*
 * System-call dispatch. syscall_entry.S saves the caller's registers and
 * calls syscall_dispatch() with interrupts off, on the caller's stack (below
 * its red zone). The handlers live in sys_*.c by subject.
 *
 * Calls the kernel does not know are reported once each on the console and
 * answered -ENOSYS, which musl and libc++ handle as on an old Linux.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "kernel/files.h"
#include "kernel/kprint.h"
#include "kernel/syscall.h"
#include "kernel/thread.h"
#include "syscall_names.h"

#define NAMED_CALLS (sizeof syscall_names / sizeof syscall_names[0])

static uint64_t reported[(NAMED_CALLS + 63) / 64 + 1];

static long unimplemented(uint64_t nr)
{
  if (nr < 64 * (sizeof reported / sizeof reported[0])) {
    if (reported[nr / 64] & (1ull << (nr % 64)))
      return -ENOSYS;
    reported[nr / 64] |= 1ull << (nr % 64);
  }
  const char* name = nr < NAMED_CALLS ? syscall_names[nr] : NULL;
  if (name)
    kprintf("[ syscall ] unimplemented system call %lu (%s)\n", (unsigned long)nr, name);
  else
    kprintf("[ syscall ] unimplemented system call %lu\n", (unsigned long)nr);
  return -ENOSYS;
}

long syscall_dispatch(struct syscall_frame* f)
{
  /* A new thread runs before its creator goes on. (Not from SYS_exit,
   * which may come on a stack already unmapped; the ending thread's
   * successor is the new one anyway.) */
  if (thread_start_pending && f->nr != SYS_exit)
    thread_start();
  uint64_t a0 = f->a0, a1 = f->a1, a2 = f->a2, a3 = f->a3, a4 = f->a4, a5 = f->a5;
  switch (f->nr) {
  /* memory */
  case SYS_mmap:            return sys_mmap(a0, a1, (int)a2, (int)a3, (int)a4, a5);
  case SYS_munmap:          return sys_munmap(a0, a1);
  case SYS_mremap:          return sys_mremap(a0, a1, a2, (int)a3, a4);
  case SYS_mprotect:        return sys_mprotect(a0, a1, (int)a2);
  case SYS_madvise:         return sys_madvise(a0, a1, (int)a2);
  case SYS_brk:             return sys_brk(a0);

  /* descriptors, whatever they are (fd/table.cpp) */
  case SYS_read:            return sys_read((int)a0, (void*)a1, a2);
  case SYS_write:           return sys_write((int)a0, (const void*)a1, a2);
  case SYS_readv:           return sys_readv((int)a0, (const void*)a1, (int)a2);
  case SYS_writev:          return sys_writev((int)a0, (const void*)a1, (int)a2);
  case SYS_pread64:         return sys_pread64((int)a0, (void*)a1, a2, (int64_t)a3);
  case SYS_preadv:          return sys_preadv((int)a0, (const void*)a1, (int)a2, (int64_t)a3);
  case SYS_ioctl:           return sys_ioctl((int)a0, a1, a2);
  case SYS_close:           return sys_close((int)a0);
  case SYS_fstat:           return sys_fstat((int)a0, (void*)a1);
  case SYS_lseek:           return sys_lseek((int)a0, (int64_t)a1, (int)a2);
  case SYS_fcntl:           return sys_fcntl((int)a0, (int)a1, a2);
  case SYS_dup:             return sys_dup((int)a0);
  case SYS_dup2:            return sys_dup2((int)a0, (int)a1);
  case SYS_dup3:            return sys_dup3((int)a0, (int)a1, (int)a2);
  case SYS_sendfile:        return sys_sendfile((int)a0, (int)a1, (int64_t*)a2, a3);

  /* waiting for descriptors; eventfds and pipes (fd/) */
  case SYS_poll:            return sys_poll((void*)a0, a1, (int)a2);
  case SYS_ppoll:           return sys_ppoll((void*)a0, a1, (const void*)a2, (const void*)a3, a4);
  case SYS_select:          return sys_select((int)a0, (void*)a1, (void*)a2, (void*)a3, (void*)a4);
  case SYS_pselect6:        return sys_pselect6((int)a0, (void*)a1, (void*)a2, (void*)a3, (const void*)a4, (const void*)a5);
  case SYS_epoll_create:    return (int)a0 > 0 ? sys_epoll_create1(0) : -EINVAL;
  case SYS_epoll_create1:   return sys_epoll_create1((int)a0);
  case SYS_epoll_ctl:       return sys_epoll_ctl((int)a0, (int)a1, (int)a2, (void*)a3);
  case SYS_epoll_wait:      return sys_epoll_pwait((int)a0, (void*)a1, (int)a2, (int)a3, 0, 0);
  case SYS_epoll_pwait:     return sys_epoll_pwait((int)a0, (void*)a1, (int)a2, (int)a3, (const void*)a4, a5);
  case SYS_epoll_pwait2:    return sys_epoll_pwait2((int)a0, (void*)a1, (int)a2, (const void*)a3, (const void*)a4, a5);
  case SYS_eventfd:         return sys_eventfd2((unsigned)a0, 0);
  case SYS_eventfd2:        return sys_eventfd2((unsigned)a0, (int)a1);
  case SYS_pipe:            return sys_pipe2((int*)a0, 0);
  case SYS_pipe2:           return sys_pipe2((int*)a0, (int)a1);

  /* sockets (net/socket.cpp) */
  case SYS_socket:          return sys_socket((int)a0, (int)a1, (int)a2);
  case SYS_socketpair:      return sys_socketpair((int)a0, (int)a1, (int)a2, (int*)a3);
  case SYS_bind:            return sys_bind((int)a0, (const void*)a1, (uint32_t)a2);
  case SYS_listen:          return sys_listen((int)a0, (int)a1);
  case SYS_accept:          return sys_accept4((int)a0, (void*)a1, (uint32_t*)a2, 0);
  case SYS_accept4:         return sys_accept4((int)a0, (void*)a1, (uint32_t*)a2, (int)a3);
  case SYS_connect:         return sys_connect((int)a0, (const void*)a1, (uint32_t)a2);
  case SYS_sendto:          return sys_sendto((int)a0, (const void*)a1, a2, (int)a3, (const void*)a4, (uint32_t)a5);
  case SYS_recvfrom:        return sys_recvfrom((int)a0, (void*)a1, a2, (int)a3, (void*)a4, (uint32_t*)a5);
  case SYS_sendmsg:         return sys_sendmsg((int)a0, (const void*)a1, (int)a2);
  case SYS_recvmsg:         return sys_recvmsg((int)a0, (void*)a1, (int)a2);
  case SYS_sendmmsg:        return sys_sendmmsg((int)a0, (void*)a1, (unsigned)a2, (int)a3);
  case SYS_recvmmsg:        return sys_recvmmsg((int)a0, (void*)a1, (unsigned)a2, (int)a3, (void*)a4);
  case SYS_shutdown:        return sys_shutdown((int)a0, (int)a1);
  case SYS_setsockopt:      return sys_setsockopt((int)a0, (int)a1, (int)a2, (const void*)a3, (uint32_t)a4);
  case SYS_getsockopt:      return sys_getsockopt((int)a0, (int)a1, (int)a2, (void*)a3, (uint32_t*)a4);
  case SYS_getsockname:     return sys_getsockname((int)a0, (void*)a1, (uint32_t*)a2);
  case SYS_getpeername:     return sys_getpeername((int)a0, (void*)a1, (uint32_t*)a2);

  /* paths (fs/file_syscalls.cpp): a read-only tree */
  case SYS_open:            return file_open(AT_FDCWD, (const char*)a0, (int)a1, (int)a2);
  case SYS_openat:          return file_open((int)a0, (const char*)a1, (int)a2, (int)a3);
  case SYS_creat:           return file_open(AT_FDCWD, (const char*)a0, O_CREAT | O_WRONLY | O_TRUNC, (int)a1);
  case SYS_stat:
  case SYS_lstat:           return file_stat(AT_FDCWD, (const char*)a0, (void*)a1, 0);
  case SYS_newfstatat:      return file_stat((int)a0, (const char*)a1, (void*)a2, (int)a3);
  case SYS_statx:           return file_statx((int)a0, (const char*)a1, (int)a2, (unsigned)a3, (void*)a4);
  case SYS_getdents64:      return file_getdents64((int)a0, (void*)a1, a2);
  case SYS_access:          return file_access(AT_FDCWD, (const char*)a0, (int)a1, 0);
  case SYS_faccessat:       return file_access((int)a0, (const char*)a1, (int)a2, 0);
  case SYS_faccessat2:      return file_access((int)a0, (const char*)a1, (int)a2, (int)a3);
  case SYS_getcwd:          return file_getcwd((char*)a0, a1);
  case SYS_chdir:           return file_chdir((const char*)a0);
  case SYS_fchdir:          return file_fchdir((int)a0);
  case SYS_readlink:        return file_readlink(AT_FDCWD, (const char*)a0, (char*)a1, a2);
  case SYS_readlinkat:      return file_readlink((int)a0, (const char*)a1, (char*)a2, a3);
  case SYS_mkdir:
  case SYS_rmdir:
  case SYS_unlink:
  case SYS_truncate:
  case SYS_chmod:           return file_modify(AT_FDCWD, (const char*)a0);
  case SYS_rename:
  case SYS_link:
  case SYS_symlink:         return file_modify(AT_FDCWD, (const char*)a1);
  case SYS_mkdirat:
  case SYS_unlinkat:
  case SYS_fchmodat:
  case SYS_renameat:
  case SYS_renameat2:       return file_modify((int)a0, (const char*)a1);
  case SYS_ftruncate:       return -EINVAL;    /* no descriptor is open for writing */

  /* time */
  case SYS_clock_gettime:   return sys_clock_gettime((int)a0, (void*)a1);
  case SYS_clock_getres:    return sys_clock_getres((int)a0, (void*)a1);
  case SYS_gettimeofday:    return sys_gettimeofday((void*)a0, (void*)a1);
  case SYS_time:            return sys_time((void*)a0);
  case SYS_nanosleep:       return sys_nanosleep((const void*)a0, (void*)a1);
  case SYS_clock_nanosleep: return sys_clock_nanosleep((int)a0, (int)a1, (const void*)a2, (void*)a3);

  /* the one process and its threads (thread.c) */
  case SYS_clone:           return sys_clone(f);
  case SYS_exit:            return sys_exit((int)a0);
  case SYS_exit_group:      return sys_exit_group((int)a0);
  case SYS_arch_prctl:      return sys_arch_prctl((int)a0, a1);
  case SYS_set_tid_address: return sys_set_tid_address((void*)a0);
  case SYS_gettid:          return sys_gettid();
  case SYS_getpid:          return 1;
  case SYS_getppid:         return 0;
  case SYS_getuid:
  case SYS_geteuid:
  case SYS_getgid:
  case SYS_getegid:         return 0;
  case SYS_sched_getaffinity: return sys_sched_getaffinity((int)a0, a1, (void*)a2);
  case SYS_sched_yield:     return sys_sched_yield();
  case SYS_tkill:           return sys_tkill((int)a0, (int)a1);
  case SYS_tgkill:          return sys_tkill((int)a1, (int)a2);
  case SYS_kill:            return sys_kill((int)a0, (int)a1);
  case SYS_rt_sigaction:    return sys_rt_sigaction((int)a0, (const void*)a1, (void*)a2, a3);
  case SYS_rt_sigprocmask:  return sys_rt_sigprocmask((int)a0, (const void*)a1, (void*)a2, a3);
  case SYS_sigaltstack:     return 0;
  case SYS_uname:           return sys_uname((void*)a0);
  case SYS_prlimit64:       return sys_prlimit64((int)a0, (int)a1, (const void*)a2, (void*)a3);
  case SYS_getrandom:       return sys_getrandom((void*)a0, a1, (unsigned)a2);
  case SYS_futex:           return sys_futex((int*)a0, (int)a1, (int)a2, a3, (int*)a4, (int)a5);
  case SYS_sysinfo:         return sys_sysinfo((void*)a0);
  case SYS_membarrier:      return 0;
  default:
    return unimplemented(f->nr);
  }
}
