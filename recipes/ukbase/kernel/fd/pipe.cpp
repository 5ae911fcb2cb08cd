// Pipes: a 64 KiB ring between a read end and a write end. Reading an
// empty pipe waits (end-of-file once every write end is closed); writing
// a full one waits, and writing with no read end left answers EPIPE
// (no SIGPIPE is raised). Writes of up to PIPE_BUF bytes are atomic.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <vector>

#include "kernel/fd.hpp"
#include "kernel/syscall.h"

namespace ukbase::fd {

namespace {

constexpr size_t CAPACITY = 65536;

struct Pipe {
  std::vector<uint8_t> ring = std::vector<uint8_t>(CAPACITY);
  size_t head = 0, used = 0;       // head: the oldest byte
  bool reader = true, writer = true;
  File* ends[2] = {nullptr, nullptr};

  void changed()
  {
    for (File* f : ends)
      if (f)
        f->changed();
  }
};

class Pipe_end final : public File {
 public:
  Pipe_end(std::shared_ptr<Pipe> p, bool write_end) : pipe_(std::move(p)), write_end_(write_end)
  {
    pipe_->ends[write_end_] = this;
    status_flags = write_end ? O_WRONLY : O_RDONLY;
  }
  ~Pipe_end() override { pipe_->ends[write_end_] = nullptr; }

  long read(void* buf, size_t len) override
  {
    if (write_end_)
      return -EBADF;
    Pipe& p = *pipe_;
    if (!p.used) {
      if (!p.writer)
        return 0;
      if (nonblocking())
        return -EAGAIN;
      block_until([&] { return p.used || !p.writer; }, 0);
    }
    size_t n = len < p.used ? len : p.used;
    auto* out = static_cast<uint8_t*>(buf);
    for (size_t done = 0; done < n;) {
      size_t chunk = std::min(n - done, CAPACITY - p.head);
      std::memcpy(out + done, p.ring.data() + p.head, chunk);
      p.head = (p.head + chunk) % CAPACITY;
      done += chunk;
    }
    p.used -= n;
    p.changed();
    return static_cast<long>(n);
  }

  long write(const void* buf, size_t len) override
  {
    if (!write_end_)
      return -EBADF;
    Pipe& p = *pipe_;
    const auto* in = static_cast<const uint8_t*>(buf);
    size_t done = 0;
    while (done < len) {
      if (!p.reader)
        return done ? static_cast<long>(done) : -EPIPE;
      // At most PIPE_BUF bytes go in whole or not at all.
      size_t need = len - done <= PIPE_BUF ? len - done : 1;
      if (CAPACITY - p.used < need) {
        if (nonblocking())
          return done ? static_cast<long>(done) : -EAGAIN;
        block_until([&] { return CAPACITY - p.used >= need || !p.reader; }, 0);
        continue;
      }
      size_t n = std::min(len - done, CAPACITY - p.used);
      size_t tail = (p.head + p.used) % CAPACITY;
      for (size_t k = 0; k < n;) {
        size_t at = (tail + k) % CAPACITY;
        size_t chunk = std::min(n - k, CAPACITY - at);
        std::memcpy(p.ring.data() + at, in + done + k, chunk);
        k += chunk;
      }
      p.used += n;
      done += n;
      p.changed();
    }
    return static_cast<long>(done);
  }

  long ioctl(unsigned long req, uint64_t arg) override
  {
    if (req != FIONREAD)
      return -ENOTTY;
    if (!arg)
      return -EFAULT;
    *reinterpret_cast<int*>(arg) = static_cast<int>(pipe_->used);
    return 0;
  }

  unsigned events() override
  {
    const Pipe& p = *pipe_;
    if (write_end_)
      return !p.reader ? POLLERR : (CAPACITY - p.used >= PIPE_BUF ? POLLOUT : 0u);
    return (p.used ? POLLIN : 0u) | (!p.writer ? POLLHUP : 0u);
  }

  void release() override
  {
    (write_end_ ? pipe_->writer : pipe_->reader) = false;
    pipe_->changed();
  }

 private:
  std::shared_ptr<Pipe> pipe_;
  bool write_end_;
};

}  // namespace
}  // namespace ukbase::fd

extern "C" long sys_pipe2(int* fds, int flags)
{
  using namespace ukbase;
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
    return -EINVAL;
  if (!fds)
    return -EFAULT;
  try {
    auto p = std::make_shared<fd::Pipe>();
    auto r = std::make_shared<fd::Pipe_end>(p, false);
    auto w = std::make_shared<fd::Pipe_end>(p, true);
    if (flags & O_NONBLOCK) {
      r->status_flags |= O_NONBLOCK;
      w->status_flags |= O_NONBLOCK;
    }
    bool cloexec = (flags & O_CLOEXEC) != 0;
    int a = fd::install(r, cloexec);
    if (a < 0)
      return a;
    int b = fd::install(w, cloexec);
    if (b < 0) {
      fd::close(a);
      return b;
    }
    fds[0] = a;
    fds[1] = b;
    return 0;
  } catch (...) {
    return -ENOMEM;
  }
}
