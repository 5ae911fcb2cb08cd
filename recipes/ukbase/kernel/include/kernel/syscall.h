/* The system-call layer: the calls musl and libc++ make, answered in ring 0. */
#pragma once
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

/* Registers of a system call as saved by the SYSCALL entry. */
struct syscall_frame {
  uint64_t nr;                            /* rax */
  uint64_t a0, a1, a2, a3, a4, a5;        /* rdi rsi rdx r10 r8 r9 */
};

long syscall_dispatch(struct syscall_frame* f);

/* Groups, one file each. */
long sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);
long sys_munmap(uint64_t addr, uint64_t len);
long sys_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr);
long sys_mprotect(uint64_t addr, uint64_t len, int prot);
long sys_madvise(uint64_t addr, uint64_t len, int advice);
long sys_brk(uint64_t addr);

long sys_clock_gettime(int clk, void* ts);
long sys_clock_getres(int clk, void* ts);
long sys_gettimeofday(void* tv, void* tz);
long sys_nanosleep(const void* req, void* rem);
long sys_clock_nanosleep(int clk, int flags, const void* req, void* rem);
long sys_time(void* t);

long sys_read(int fd, void* buf, uint64_t len);
long sys_write(int fd, const void* buf, uint64_t len);
long sys_readv(int fd, const void* iov, int cnt);
long sys_writev(int fd, const void* iov, int cnt);
long sys_ioctl(int fd, unsigned long req, uint64_t arg);
long sys_openat(int dirfd, const char* path, int flags, int mode);
long sys_pread64(int fd, void* buf, uint64_t len, int64_t off);
long sys_preadv(int fd, const void* iov, int cnt, int64_t off);
long sys_statx(int dirfd, const char* path, int flags, unsigned mask, void* stx);
long sys_close(int fd);
long sys_fstat(int fd, void* st);
long sys_newfstatat(int dirfd, const char* path, void* st, int flags);
long sys_lseek(int fd, int64_t off, int whence);
long sys_fcntl(int fd, int cmd, uint64_t arg);
long sys_poll(void* fds, uint64_t n, int timeout);

long sys_exit_group(int status);
long sys_arch_prctl(int code, uint64_t addr);
long sys_set_tid_address(void* tidptr);
long sys_sched_getaffinity(int pid, uint64_t size, void* mask);
long sys_kill_thread(int tid, int sig);
long sys_rt_sigaction(int sig, const void* act, void* old, uint64_t size);
long sys_rt_sigprocmask(int how, const void* set, void* old, uint64_t size);
long sys_uname(void* buf);
long sys_prlimit64(int pid, int res, const void* lim, void* old);
long sys_getrandom(void* buf, uint64_t len, unsigned flags);
long sys_futex(int* uaddr, int op, int val, const void* timeout);
long sys_sysinfo(void* info);

KERNEL_END_DECLS
