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

/* The caller's registers syscall_entry.S saved, right above the frame
 * (lowest address first): what its return path pops. They end 128 bytes
 * (the caller's red zone) below the caller's stack pointer. */
struct syscall_saved {
  uint64_t r15, r14, r13, r12, r10, r9, r8, rdx, rsi, rdi, rbx, r11, rbp, rcx;
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

/* descriptors, whatever they are (fd/table.cpp) */
long sys_read(int fd, void* buf, uint64_t len);
long sys_write(int fd, const void* buf, uint64_t len);
long sys_readv(int fd, const void* iov, int cnt);
long sys_writev(int fd, const void* iov, int cnt);
long sys_pread64(int fd, void* buf, uint64_t len, int64_t off);
long sys_preadv(int fd, const void* iov, int cnt, int64_t off);
long sys_lseek(int fd, int64_t off, int whence);
long sys_fstat(int fd, void* st);
long sys_ioctl(int fd, unsigned long req, uint64_t arg);
long sys_close(int fd);
long sys_dup(int fd);
long sys_dup2(int old, int fd);
long sys_dup3(int old, int fd, int flags);
long sys_fcntl(int fd, int cmd, uint64_t arg);
long sys_sendfile(int out, int in, int64_t* off, uint64_t count);

/* waiting for descriptors (fd/poll.cpp, fd/epoll.cpp); eventfds and
 * pipes (fd/eventfd.cpp, fd/pipe.cpp) */
long sys_poll(void* fds, uint64_t n, int timeout_ms);
long sys_ppoll(void* fds, uint64_t n, const void* ts, const void* sigmask, uint64_t size);
long sys_select(int n, void* rd, void* wr, void* ex, void* tv);
long sys_pselect6(int n, void* rd, void* wr, void* ex, const void* ts, const void* sig);
long sys_epoll_create1(int flags);
long sys_epoll_ctl(int epfd, int op, int fd, void* event);
long sys_epoll_pwait(int epfd, void* events, int max, int timeout_ms, const void* sigmask,
                     uint64_t size);
long sys_epoll_pwait2(int epfd, void* events, int max, const void* ts, const void* sigmask,
                      uint64_t size);
long sys_eventfd2(unsigned initval, int flags);
long sys_pipe2(int* fds, int flags);

/* sockets (net/socket.cpp) */
long sys_socket(int domain, int type, int protocol);
long sys_socketpair(int domain, int type, int protocol, int* fds);
long sys_bind(int fd, const void* addr, uint32_t len);
long sys_listen(int fd, int backlog);
long sys_accept4(int fd, void* addr, uint32_t* len, int flags);
long sys_connect(int fd, const void* addr, uint32_t len);
long sys_sendto(int fd, const void* buf, uint64_t len, int flags, const void* addr, uint32_t alen);
long sys_recvfrom(int fd, void* buf, uint64_t len, int flags, void* addr, uint32_t* alen);
long sys_sendmsg(int fd, const void* msg, int flags);
long sys_recvmsg(int fd, void* msg, int flags);
long sys_sendmmsg(int fd, void* msgs, unsigned n, int flags);
long sys_recvmmsg(int fd, void* msgs, unsigned n, int flags, void* timeout);
long sys_shutdown(int fd, int how);
long sys_setsockopt(int fd, int level, int name, const void* val, uint32_t len);
long sys_getsockopt(int fd, int level, int name, void* val, uint32_t* len);
long sys_getsockname(int fd, void* addr, uint32_t* len);
long sys_getpeername(int fd, void* addr, uint32_t* len);

long sys_exit_group(int status);
long sys_arch_prctl(int code, uint64_t addr);
long sys_set_tid_address(void* tidptr);
long sys_sched_getaffinity(int pid, uint64_t size, void* mask);
long sys_kill(int pid, int sig);
long sys_tkill(int tid, int sig);
long sys_rt_sigaction(int sig, const void* act, void* old, uint64_t size);
long sys_rt_sigprocmask(int how, const void* set, void* old, uint64_t size);
long sys_uname(void* buf);
long sys_prlimit64(int pid, int res, const void* lim, void* old);
long sys_getrandom(void* buf, uint64_t len, unsigned flags);
long sys_futex(int* uaddr, int op, int val, uint64_t timeout, int* uaddr2, int val3);
long sys_sysinfo(void* info);

KERNEL_END_DECLS
