// Internal: file descriptors. One table maps descriptor numbers to open
// file descriptions (`File`): the console (0-2), files and folders of the
// VFS, sockets, epoll instances, eventfds and pipes. dup()ed descriptors
// share one description, as on Linux.
//
// Readiness: a File says what poll() would report (`events()`), and calls
// `changed()` whenever that may have changed; epoll instances watching it
// are told, and blocking calls re-check it after every turn of the event
// loop (`ukbase::block_until`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <sys/uio.h>
#include <vector>

#include "kernel/thread.h"

struct stat;

namespace ukbase::fd {

class Watcher;

class File {
 public:
  virtual ~File();

  virtual long read(void* buf, size_t len);
  virtual long write(const void* buf, size_t len);
  /// Defaults: read()/write() per element, stopping at a short transfer.
  virtual long readv(const struct iovec* iov, int cnt);
  virtual long writev(const struct iovec* iov, int cnt);
  virtual long pread(void* buf, size_t len, uint64_t off);       // -ESPIPE
  virtual long preadv(const struct iovec* iov, int cnt, uint64_t off);
  virtual long lseek(int64_t off, int whence);                    // -ESPIPE
  virtual long fstat(struct stat* st);
  virtual long ioctl(unsigned long req, uint64_t arg);            // -ENOTTY
  /// poll() bits (POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP, ...) that
  /// hold now. Default: readable and writable.
  virtual unsigned events();
  /// Called when the last descriptor referring to it is closed.
  virtual void release() {}
  /// False for regular files and folders, which epoll refuses (EPERM).
  virtual bool pollable() { return true; }
  /// The console (descriptors 0, 1 and 2 at boot): close() leaves it open.
  virtual bool console() const { return false; }

  /// O_NONBLOCK, O_APPEND, O_RDONLY/O_WRONLY/O_RDWR: what F_GETFL returns.
  int status_flags = 0;
  bool nonblocking() const;

  /// Readiness may have changed: tell the watchers.
  void changed();

  // Watchers (epoll entries) of this file.
  void watch(Watcher* w);
  void unwatch(Watcher* w);
  /// The last descriptor was closed: every watcher forgets this file.
  void closed();

  /// How many descriptors refer to it (the table keeps this).
  int descriptors_ = 0;

 private:
  std::vector<Watcher*> watchers_;
};

/// Something that wants to hear when a File's readiness changes.
class Watcher {
 public:
  virtual void file_changed(File& f) = 0;
  /// `f` is going away: stop watching it (without calling unwatch).
  virtual void file_closed(File& f) = 0;

 protected:
  ~Watcher() = default;
};

constexpr int MAX_FDS = 1024;

/// The lowest free descriptor >= lowest; -EMFILE when the table is full.
int install(std::shared_ptr<File> file, bool cloexec = false, int lowest = 0);
/// The description behind fd, or null.
File* lookup(int fd);
std::shared_ptr<File> get(int fd);

/// The description behind fd, held through a call that may block: it
/// counts as one more descriptor, so a close() of fd meanwhile (from
/// another thread) leaves it open until the call returns, as on Linux.
class Held {
 public:
  explicit Held(int fd);
  ~Held();
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  explicit operator bool() const { return file_ != nullptr; }
  File* operator->() const { return file_.get(); }
  File& operator*() const { return *file_; }

 private:
  std::shared_ptr<File> file_;
};
/// Put `file` at `fd` exactly (dup2/dup3), closing what was there.
int install_at(int fd, std::shared_ptr<File> file, bool cloexec);
int close(int fd);

/// A console description: stdin (output false) or stdout/stderr. The
/// table starts with descriptors 0, 1 and 2 on them.
std::shared_ptr<File> console(bool output);

/// What readv/writev/preadv do element by element: `one(base, len, done)`
/// (done: the bytes moved so far) for each non-empty element, stopping at
/// the first short or failed transfer; the total, or the first error when
/// nothing moved.
template <class One>
long each_iovec(const struct iovec* iov, int cnt, One one)
{
  long total = 0;
  for (int i = 0; i < cnt; i++) {
    if (!iov[i].iov_len)
      continue;
    long n = one(iov[i].iov_base, iov[i].iov_len, total);
    if (n < 0)
      return total ? total : n;
    total += n;
    if (static_cast<size_t>(n) < iov[i].iov_len)
      break;
  }
  return total;
}

}  // namespace ukbase::fd

namespace ukbase {

/// Run a system call's body, turning C++ exceptions (std::bad_alloc) into
/// -ENOMEM: nothing may throw across the system-call boundary.
template <class F>
long guarded(F f)
{
  try {
    return f();
  } catch (...) {
    return -12;                  // ENOMEM
  }
}

/// Run the event loop (device events, timers) until done() is true or
/// the monotonic clock reaches deadline_ns (0: no deadline); true if
/// done. What blocking system calls do (accept, recv, poll, nanosleep,
/// ...): a blocked call lets the rest of the service run, its other
/// threads included (kernel/thread.h). When the service is asked to shut
/// down meanwhile (os::shutdown() from a timer), the service stops from
/// here, as it would from the event loop.
template <class Done>
bool block_until(Done done, uint64_t deadline_ns);

/// One turn: wait for an interrupt, a timer or deadline_ns (0: none),
/// then run what is due. Stops the service if shutdown was requested.
void block_once(uint64_t deadline_ns);
uint64_t monotonic_now();

/// The calling thread waits in the kernel while it lives.
struct Thread_wait {
  Thread_wait() { thread_wait_begin(); }
  ~Thread_wait() { thread_wait_end(); }
  Thread_wait(const Thread_wait&) = delete;
  Thread_wait& operator=(const Thread_wait&) = delete;
};

template <class Done>
bool block_until(Done done, uint64_t deadline_ns)
{
  Thread_wait wait;
  while (!done()) {
    if (deadline_ns && monotonic_now() >= deadline_ns)
      return false;
    if (thread_wait_turn(1, deadline_ns))
      continue;                 // another thread ran, or the event loop turned
    block_once(deadline_ns);
    thread_waited();
  }
  return true;
}

}  // namespace ukbase
