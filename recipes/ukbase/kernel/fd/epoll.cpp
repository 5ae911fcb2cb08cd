// epoll: an interest list of descriptors and a ready list, as on Linux.
//
// An epoll instance watches the Files it holds; whenever one says its
// readiness may have changed (File::changed()), its entry joins the ready
// list. epoll_wait looks only at the ready list: an entry whose events no
// longer hold leaves it; a level-triggered entry that still holds stays
// (moved to the back, so every ready descriptor gets its turn); an
// edge-triggered one leaves it once reported, until the next change; a
// one-shot one is disarmed until EPOLL_CTL_MOD. Entries are keyed by
// descriptor number and go away when their file's last descriptor is
// closed.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <list>
#include <map>
#include <poll.h>
#include <sys/epoll.h>
#include <time.h>

#include "kernel/fd.hpp"
#include "kernel/syscall.h"

namespace ukbase::fd {

namespace {

constexpr uint32_t ALWAYS = EPOLLERR | EPOLLHUP;
constexpr uint32_t MODES = EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP;

class Epoll final : public File, public Watcher {
 public:
  ~Epoll() override
  {
    for (auto& [n, e] : entries_)
      if (e.file)
        e.file->unwatch(this);
  }

  long add(int n, File* f, const struct epoll_event& ev)
  {
    if (entries_.count(n))
      return -EEXIST;
    if (f == this)
      return -EINVAL;
    Entry& e = entries_[n];
    e.fd = n;
    e.file = f;
    e.events = ev.events;
    e.data = ev.data.u64;
    bool first = true;
    for (auto& [m, other] : entries_)
      if (m != n && other.file == f)
        first = false;
    if (first)
      f->watch(this);
    make_ready(e);
    return 0;
  }

  long modify(int n, const struct epoll_event& ev)
  {
    auto it = entries_.find(n);
    if (it == entries_.end())
      return -ENOENT;
    it->second.events = ev.events;
    it->second.data = ev.data.u64;
    make_ready(it->second);
    return 0;
  }

  long remove(int n)
  {
    auto it = entries_.find(n);
    if (it == entries_.end())
      return -ENOENT;
    forget(it);
    return 0;
  }

  long wait(struct epoll_event* out, int max, uint64_t deadline, bool forever)
  {
    long n = collect(out, max);
    if (n || (!forever && deadline == 0))
      return n;
    block_until([&] { return (n = collect(out, max)) != 0; }, forever ? 0 : deadline);
    return n;
  }

  unsigned events() override
  {
    for (Entry* e : ready_)
      if (current(*e))
        return POLLIN;
    return 0;
  }

  void file_changed(File& f) override
  {
    bool any = false;
    for (auto& [n, e] : entries_)
      if (e.file == &f) {
        make_ready(e);
        any = true;
      }
    if (any)
      changed();                   // an epoll watching this one
  }

  void file_closed(File& f) override
  {
    for (auto it = entries_.begin(); it != entries_.end();)
      if (it->second.file == &f) {
        it->second.file = nullptr;   // it no longer watches us
        it = forget(it);
      } else {
        ++it;
      }
  }

 private:
  struct Entry {
    int fd = -1;
    File* file = nullptr;
    uint32_t events = 0;
    uint64_t data = 0;
    bool ready = false;           // on ready_
    bool disarmed = false;        // EPOLLONESHOT, reported
  };

  uint32_t current(Entry& e)
  {
    if (!e.file || e.disarmed)
      return 0;
    return e.file->events() & ((e.events & ~MODES) | ALWAYS);
  }

  void make_ready(Entry& e)
  {
    e.disarmed = false;
    if (!e.ready) {
      e.ready = true;
      ready_.push_back(&e);
    }
  }

  std::map<int, Entry>::iterator forget(std::map<int, Entry>::iterator it)
  {
    Entry& e = it->second;
    if (e.ready)
      ready_.remove(&e);
    File* f = e.file;
    auto next = entries_.erase(it);
    if (f) {
      bool still = false;
      for (auto& [n, other] : entries_)
        if (other.file == f)
          still = true;
      if (!still)
        f->unwatch(this);
    }
    return next;
  }

  long collect(struct epoll_event* out, int max)
  {
    long n = 0;
    std::list<Entry*> again;          // level-triggered entries still ready
    while (!ready_.empty() && n < max) {
      Entry* e = ready_.front();
      ready_.pop_front();
      uint32_t ev = current(*e);
      if (!ev) {
        e->ready = false;
        continue;
      }
      out[n].events = ev;
      out[n].data.u64 = e->data;
      n++;
      if (e->events & EPOLLONESHOT) {
        e->disarmed = true;
        e->ready = false;
      } else if (e->events & EPOLLET) {
        e->ready = false;
      } else {
        again.push_back(e);
      }
    }
    ready_.splice(ready_.end(), again);
    return n;
  }

  std::map<int, Entry> entries_;
  std::list<Entry*> ready_;
};

long wait_common(int epfd, void* events, int max, uint64_t deadline, bool forever)
{
  File* f = lookup(epfd);
  if (!f)
    return -EBADF;
  auto* ep = dynamic_cast<Epoll*>(f);
  if (!ep || max <= 0 || max > (1 << 20))
    return -EINVAL;
  if (!events)
    return -EFAULT;
  auto keep = get(epfd);              // a callback might close it meanwhile
  return ep->wait(static_cast<struct epoll_event*>(events), max, deadline, forever);
}

}  // namespace
}  // namespace ukbase::fd

using namespace ukbase;

extern "C" {

long sys_epoll_create1(int flags)
{
  if (flags & ~EPOLL_CLOEXEC)
    return -EINVAL;
  try {
    auto ep = std::make_shared<fd::Epoll>();
    ep->status_flags = O_RDWR;
    return fd::install(std::move(ep), flags & EPOLL_CLOEXEC);
  } catch (...) {
    return -ENOMEM;
  }
}

long sys_epoll_ctl(int epfd, int op, int n, void* event)
{
  fd::File* f = fd::lookup(epfd);
  fd::File* target = fd::lookup(n);
  if (!f || !target)
    return -EBADF;
  auto* ep = dynamic_cast<fd::Epoll*>(f);
  if (!ep)
    return -EINVAL;
  if (!target->pollable())
    return -EPERM;                    // regular files and folders cannot be watched
  auto* ev = static_cast<struct epoll_event*>(event);
  if (op != EPOLL_CTL_DEL && !ev)
    return -EFAULT;
  try {
    switch (op) {
    case EPOLL_CTL_ADD: return ep->add(n, target, *ev);
    case EPOLL_CTL_MOD: return ep->modify(n, *ev);
    case EPOLL_CTL_DEL: return ep->remove(n);
    default: return -EINVAL;
    }
  } catch (...) {
    return -ENOMEM;
  }
}

long sys_epoll_pwait(int epfd, void* events, int max, int timeout_ms, const void*, uint64_t)
{
  uint64_t deadline = timeout_ms > 0 ? monotonic_now() + static_cast<uint64_t>(timeout_ms) * 1000000 : 0;
  return fd::wait_common(epfd, events, max, deadline, timeout_ms < 0);
}

long sys_epoll_pwait2(int epfd, void* events, int max, const void* ts_, const void*, uint64_t)
{
  auto* ts = static_cast<const struct timespec*>(ts_);
  if (!ts)
    return fd::wait_common(epfd, events, max, 0, true);
  if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
    return -EINVAL;
  uint64_t ns = static_cast<uint64_t>(ts->tv_sec) * 1000000000ull + static_cast<uint64_t>(ts->tv_nsec);
  return fd::wait_common(epfd, events, max, ns ? monotonic_now() + ns : 0, false);
}

}  // extern "C"
