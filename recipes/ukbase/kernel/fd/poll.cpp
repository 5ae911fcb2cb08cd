// poll, ppoll, select and pselect6: ask every descriptor's File what holds
// now; if nothing does (and the caller will wait), run the event loop
// until something does or the time is up. Signal masks are accepted and
// ignored: no signal is ever delivered asynchronously.
#include <cerrno>
#include <climits>
#include <cstring>
#include <poll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>

#include "kernel/fd.hpp"
#include "kernel/syscall.h"

namespace ukbase::fd {

namespace {

constexpr uint64_t NS = 1000000000ull;
constexpr unsigned ALWAYS = POLLERR | POLLHUP | POLLNVAL;   // reported unasked

// A deadline from a timeout: 0 = do not wait, UINT64_MAX = forever.
constexpr uint64_t FOREVER = UINT64_MAX;

uint64_t deadline_after(uint64_t ns)
{
  return ns ? monotonic_now() + ns : 0;
}

// Wait until ready() is non-zero or the deadline; returns ready()'s last value.
template <class Ready>
long wait(Ready ready, uint64_t deadline)
{
  long n = ready();
  if (n || deadline == 0)
    return n;
  block_until([&] { return (n = ready()) != 0; }, deadline == FOREVER ? 0 : deadline);
  return n;
}

long scan(struct pollfd* fds, uint64_t count)
{
  long ready = 0;
  for (uint64_t i = 0; i < count; i++) {
    fds[i].revents = 0;
    if (fds[i].fd < 0)
      continue;
    File* f = lookup(fds[i].fd);
    unsigned ev = f ? f->events() & (static_cast<unsigned short>(fds[i].events) | ALWAYS) : POLLNVAL;
    fds[i].revents = static_cast<short>(ev);
    if (ev)
      ready++;
  }
  return ready;
}

long do_poll(struct pollfd* fds, uint64_t count, uint64_t deadline)
{
  if (count > static_cast<uint64_t>(MAX_FDS))
    return -EINVAL;
  if (count && !fds)
    return -EFAULT;
  return wait([&] { return scan(fds, count); }, deadline);
}

long timespec_deadline(const struct timespec* ts, uint64_t& deadline)
{
  if (!ts) {
    deadline = FOREVER;
    return 0;
  }
  if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= static_cast<long>(NS))
    return -EINVAL;
  deadline = deadline_after(static_cast<uint64_t>(ts->tv_sec) * NS + static_cast<uint64_t>(ts->tv_nsec));
  return 0;
}

// select: three bit sets over descriptors 0..n-1, rewritten in place.
long do_select(int n, fd_set* rd, fd_set* wr, fd_set* ex, uint64_t deadline)
{
  if (n < 0 || n > FD_SETSIZE)
    return -EINVAL;
  struct Want {
    int fd;
    unsigned events;
  };
  std::vector<Want> wants;
  for (int i = 0; i < n; i++) {
    unsigned ev = 0;
    if (rd && FD_ISSET(i, rd))
      ev |= POLLIN;
    if (wr && FD_ISSET(i, wr))
      ev |= POLLOUT;
    if (ex && FD_ISSET(i, ex))
      ev |= POLLPRI;
    if (!ev)
      continue;
    if (!lookup(i))
      return -EBADF;
    wants.push_back(Want{i, ev});
  }
  fd_set r, w, e;
  auto ready = [&]() -> long {
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    long count = 0;
    for (const Want& want : wants) {
      File* f = lookup(want.fd);
      unsigned ev = f ? f->events() : POLLNVAL;
      if ((want.events & POLLIN) && (ev & (POLLIN | POLLHUP | POLLERR | POLLRDHUP))) {
        FD_SET(want.fd, &r);
        count++;
      }
      if ((want.events & POLLOUT) && (ev & (POLLOUT | POLLERR))) {
        FD_SET(want.fd, &w);
        count++;
      }
      if ((want.events & POLLPRI) && (ev & POLLPRI)) {
        FD_SET(want.fd, &e);
        count++;
      }
    }
    return count;
  };
  long count = wait(ready, deadline);
  if (rd)
    *rd = r;
  if (wr)
    *wr = w;
  if (ex)
    *ex = e;
  return count;
}

// What is left of a timeout: select() and pselect() on Linux update it.
uint64_t remaining(uint64_t deadline)
{
  if (deadline == 0 || deadline == FOREVER)
    return 0;
  uint64_t now = monotonic_now();
  return deadline > now ? deadline - now : 0;
}

}  // namespace
}  // namespace ukbase::fd

using namespace ukbase;

extern "C" {

long sys_poll(void* fds, uint64_t n, int timeout_ms)
{
  uint64_t deadline = timeout_ms < 0 ? fd::FOREVER
                                     : fd::deadline_after(static_cast<uint64_t>(timeout_ms) * 1000000);
  return fd::do_poll(static_cast<struct pollfd*>(fds), n, deadline);
}

long sys_ppoll(void* fds, uint64_t n, const void* ts, const void*, uint64_t)
{
  uint64_t deadline;
  if (long err = fd::timespec_deadline(static_cast<const struct timespec*>(ts), deadline))
    return err;
  return fd::do_poll(static_cast<struct pollfd*>(fds), n, deadline);
}

long sys_select(int n, void* rd, void* wr, void* ex, void* tv_)
{
  auto* tv = static_cast<struct timeval*>(tv_);
  uint64_t deadline = fd::FOREVER;
  if (tv) {
    if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
      return -EINVAL;
    deadline = fd::deadline_after(static_cast<uint64_t>(tv->tv_sec) * fd::NS
                                  + static_cast<uint64_t>(tv->tv_usec) * 1000);
  }
  long r = fd::do_select(n, static_cast<fd_set*>(rd), static_cast<fd_set*>(wr),
                         static_cast<fd_set*>(ex), deadline);
  if (tv && r >= 0) {
    uint64_t left = fd::remaining(deadline);
    tv->tv_sec = static_cast<time_t>(left / fd::NS);
    tv->tv_usec = static_cast<suseconds_t>(left % fd::NS / 1000);
  }
  return r;
}

long sys_pselect6(int n, void* rd, void* wr, void* ex, const void* ts, const void*)
{
  uint64_t deadline;
  if (long err = fd::timespec_deadline(static_cast<const struct timespec*>(ts), deadline))
    return err;
  return fd::do_select(n, static_cast<fd_set*>(rd), static_cast<fd_set*>(wr),
                       static_cast<fd_set*>(ex), deadline);
}

}  // extern "C"
