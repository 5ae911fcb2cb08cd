/*
 * Process and thread system calls for the one process: exit, the thread
 * pointer, ids, signals (SIGABRT is a panic, or the end of a thread other
 * than the main one), identity, limits, randomness and futexes. Threads
 * themselves are kernel/thread.c's.
 */
#include <asm/prctl.h>
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>

#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/service.h"
#include "kernel/syscall.h"
#include "kernel/thread.h"
#include "kernel/version.h"

extern char boot_stack_bottom[], boot_stack_top[];

long sys_exit_group(int status)
{
  kernel_exit(status);
}

long sys_arch_prctl(int code, uint64_t addr)
{
  switch (code) {
  case ARCH_SET_FS:
    arch_set_tls_base(addr);
    thread_set_tls(addr);
    return 0;
  case ARCH_GET_FS:
    *(uint64_t*)addr = arch_get_tls_base();
    return 0;
  default:
    return -EINVAL;
  }
}

long sys_set_tid_address(void* tidptr)
{
  thread_set_clear_tid(tidptr);
  return sys_gettid();
}

long sys_sched_getaffinity(int pid, uint64_t size, void* mask)
{
  if (size < sizeof(uint64_t))
    return -EINVAL;
  mem_zero(mask, size);
  *(uint64_t*)mask = 1;              /* CPU 0 */
  return sizeof(uint64_t);
}

/* Signal dispositions, as the kernel's struct k_sigaction lays them out.
 * Nothing arrives asynchronously; raise()/kill() of ourselves runs the
 * handler at once, on the caller's stack. */
struct k_sigaction {
  union {
    void (*handler)(int);
    void (*action)(int, siginfo_t*, void*);   /* SA_SIGINFO */
  };
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
};
#define NSIG_ 64
static struct k_sigaction actions[NSIG_ + 1];

static int ignored_by_default(int sig)
{
  return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT || sig == SIGSTOP
         || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* A signal to the process (to_thread 0) or to the calling thread. (Its
 * name is what a panic's backtrace shows for abort().) */
static long sys_kill_thread(int sig, int to_thread)
{
  if (sig < 0 || sig > NSIG_)
    return -EINVAL;
  if (sig == 0)
    return 0;
  struct k_sigaction* a = &actions[sig];
  if (a->handler == SIG_IGN || (a->handler == SIG_DFL && ignored_by_default(sig)))
    return 0;
  if (a->handler != SIG_DFL) {
    struct k_sigaction run = *a;
    if (a->flags & SA_RESETHAND)
      a->handler = SIG_DFL;
    if (run.flags & SA_SIGINFO) {
      siginfo_t info;
      mem_zero(&info, sizeof info);
      info.si_signo = sig;
      info.si_code = SI_TKILL;
      run.action(sig, &info, 0);
    } else {
      run.handler(sig);
    }
    return 0;
  }
  if (sig == SIGABRT && to_thread && !thread_is_main())
    thread_abort();                  /* ends only that thread */
  if (sig == SIGABRT)
    kernel_panic("abort()");
  kernel_panicf("killed by signal %d", sig);
}

long sys_kill(int pid, int sig)
{
  return sys_kill_thread(sig, 0);
}

/* Handlers run on the caller's stack whichever thread is named. */
long sys_tkill(int tid, int sig)
{
  if (tid <= 0)
    return -EINVAL;
  if (!thread_find(tid))
    return -ESRCH;
  return sys_kill_thread(sig, tid == sys_gettid());
}

long sys_rt_sigaction(int sig, const void* act, void* old, uint64_t size)
{
  if (size != sizeof(uint64_t) || sig < 1 || sig > NSIG_)
    return -EINVAL;
  if (act && (sig == SIGKILL || sig == SIGSTOP))
    return -EINVAL;
  if (old)
    mem_copy(old, &actions[sig], sizeof(struct k_sigaction));
  if (act)
    mem_copy(&actions[sig], act, sizeof(struct k_sigaction));
  return 0;
}

long sys_rt_sigprocmask(int how, const void* set, void* old, uint64_t size)
{
  if (old)
    mem_zero(old, size);
  return 0;
}

static void copy_field(char* dst, const char* src)
{
  size_t i = 0;
  for (; src && src[i] && i < 64; i++)
    dst[i] = src[i];
  dst[i] = 0;
}

/* IncludeOS's answers (its posix/utsname test checks them): release and
 * version are os::version(). */
long sys_uname(void* buf)
{
  struct utsname* u = buf;
  if (!u)
    return -EFAULT;
  mem_zero(u, sizeof *u);
  copy_field(u->sysname, "IncludeOS");
  copy_field(u->nodename, "IncludeOS-node");
  copy_field(u->release, UKBASE_VERSION_STRING);
  copy_field(u->version, UKBASE_VERSION_STRING);
  copy_field(u->machine, "x86_64");
  return 0;
}

long sys_prlimit64(int pid, int res, const void* lim, void* old_)
{
  struct rlimit* old = old_;
  if (old) {
    old->rlim_cur = old->rlim_max = RLIM_INFINITY;
    if (res == RLIMIT_STACK)
      old->rlim_cur = old->rlim_max = (rlim_t)(boot_stack_top - boot_stack_bottom);
    else if (res == RLIMIT_NOFILE)
      old->rlim_cur = old->rlim_max = 1024;
  }
  return 0;
}

long sys_getrandom(void* buf, uint64_t len, unsigned flags)
{
  arch_random(buf, len);
  return (long)len;
}

/* A futex timeout as a monotonic deadline (1: already passed). FUTEX_WAIT
 * takes a relative time, FUTEX_WAIT_BITSET an absolute one on the
 * monotonic clock, or the real-time one with FUTEX_CLOCK_REALTIME. */
static long futex_deadline(const struct timespec* ts, int cmd, int op, uint64_t* deadline)
{
  *deadline = 0;
  if (!ts)
    return 0;
  if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000l)
    return -EINVAL;
  uint64_t ns = (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
  uint64_t mono = clock_monotonic_ns();
  if (cmd == FUTEX_WAIT) {
    *deadline = mono + ns;
  } else {
    uint64_t now = (op & FUTEX_CLOCK_REALTIME) ? clock_realtime_ns() : mono;
    *deadline = ns > now ? mono + (ns - now) : mono;
  }
  if (!*deadline)
    *deadline = 1;
  return 0;
}

long sys_futex(int* uaddr, int op, int val, uint64_t timeout, int* uaddr2, int val3)
{
  int cmd = op & FUTEX_CMD_MASK;
  switch (cmd) {
  case FUTEX_WAIT:
  case FUTEX_WAIT_BITSET: {
    uint32_t bitset = cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : (uint32_t)val3;
    uint64_t deadline;
    if (!bitset)
      return -EINVAL;
    long err = futex_deadline((const struct timespec*)timeout, cmd, op, &deadline);
    if (err)
      return err;
    /* One thread: nobody could wake us. Report a changed value if it
     * changed, else a timeout, rather than hanging. */
    if (thread_count() == 1)
      return *uaddr != val ? -EAGAIN : -ETIMEDOUT;
    return thread_futex_wait(uaddr, val, bitset, deadline);
  }
  case FUTEX_WAKE:
  case FUTEX_WAKE_BITSET: {
    uint32_t bitset = cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : (uint32_t)val3;
    if (!bitset)
      return -EINVAL;
    return thread_futex_wake(uaddr, val, bitset);
  }
  case FUTEX_CMP_REQUEUE:
    if (*uaddr != val3)
      return -EAGAIN;
    /* fall through */
  case FUTEX_REQUEUE:
    return thread_futex_requeue(uaddr, val, (int)timeout, uaddr2);
  default:
    return -ENOSYS;
  }
}

long sys_sysinfo(void* info_)
{
  struct sysinfo* info = info_;
  mem_zero(info, sizeof *info);
  info->uptime = (long)(clock_monotonic_ns() / 1000000000ull);
  info->totalram = memory_heap_bytes();
  info->freeram = memory_heap_bytes() - memory_used_bytes();
  info->procs = 1;
  info->mem_unit = 1;
  return 0;
}
