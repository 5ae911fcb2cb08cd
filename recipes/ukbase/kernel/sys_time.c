/* Time system calls: monotonic from the TSC, real time from the RTC. */
#include <errno.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/service.h"
#include "kernel/syscall.h"

#define NS 1000000000ull

static int clock_now(int clk, uint64_t* ns)
{
  switch (clk) {
  case CLOCK_REALTIME:
  case CLOCK_REALTIME_COARSE:
  case CLOCK_TAI:
    *ns = clock_realtime_ns();
    return 0;
  case CLOCK_MONOTONIC:
  case CLOCK_MONOTONIC_RAW:
  case CLOCK_MONOTONIC_COARSE:
  case CLOCK_BOOTTIME:
  case CLOCK_PROCESS_CPUTIME_ID:   /* one process that never sleeps... */
  case CLOCK_THREAD_CPUTIME_ID:    /* ...and one thread: close enough */
    *ns = clock_monotonic_ns();
    return 0;
  default:
    return -EINVAL;
  }
}

static void to_timespec(uint64_t ns, struct timespec* ts)
{
  ts->tv_sec = (time_t)(ns / NS);
  ts->tv_nsec = (long)(ns % NS);
}

long sys_clock_gettime(int clk, void* ts)
{
  uint64_t ns;
  int err = clock_now(clk, &ns);
  if (err)
    return err;
  to_timespec(ns, ts);
  return 0;
}

long sys_clock_getres(int clk, void* ts)
{
  uint64_t ns;
  int err = clock_now(clk, &ns);
  if (err)
    return err;
  if (ts)
    to_timespec(clock_resolution_ns(), ts);
  return 0;
}

long sys_gettimeofday(void* tv, void* tz)
{
  if (tv) {
    uint64_t ns = clock_realtime_ns();
    struct timeval* t = tv;
    t->tv_sec = (time_t)(ns / NS);
    t->tv_usec = (suseconds_t)(ns % NS / 1000);
  }
  return 0;
}

long sys_time(void* t)
{
  time_t now = (time_t)(clock_realtime_ns() / NS);
  if (t)
    *(time_t*)t = now;
  return now;
}

/* Sleep until the monotonic clock reaches `deadline`: the event loop runs
 * meanwhile, so timers, network and disks go on while the service sleeps. */
static void sleep_until(uint64_t deadline)
{
  kernel_sleep_until(deadline);
}

static long valid_ns(const struct timespec* ts, uint64_t* ns)
{
  if (!ts || ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long)NS)
    return -EINVAL;
  *ns = (uint64_t)ts->tv_sec * NS + (uint64_t)ts->tv_nsec;
  return 0;
}

long sys_nanosleep(const void* req, void* rem)
{
  uint64_t ns;
  long err = valid_ns(req, &ns);
  if (err)
    return err;
  sleep_until(clock_monotonic_ns() + ns);
  if (rem)
    to_timespec(0, rem);
  return 0;
}

long sys_clock_nanosleep(int clk, int flags, const void* req, void* rem)
{
  uint64_t ns, now;
  long err = valid_ns(req, &ns);
  if (err)
    return err;
  if (clock_now(clk, &now))
    return -EINVAL;
  uint64_t mono = clock_monotonic_ns();
  uint64_t deadline = (flags & TIMER_ABSTIME) ? (ns > now ? mono + (ns - now) : mono)
                                              : mono + ns;
  sleep_until(deadline);
  if (rem && !(flags & TIMER_ABSTIME))
    to_timespec(0, rem);
  return 0;
}
