// eventfd: a 64-bit counter as a descriptor (what event loops such as
// Asio's use to wake themselves). Reads wait for a non-zero count and
// take all of it (or 1, EFD_SEMAPHORE); writes add, waiting while the
// count would pass its maximum.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>

#include "kernel/fd.hpp"
#include "kernel/syscall.h"

namespace ukbase::fd {

namespace {

constexpr uint64_t MAX = 0xFFFFFFFFFFFFFFFEull;

class Eventfd final : public File {
 public:
  Eventfd(uint64_t count, bool semaphore) : count_(count), semaphore_(semaphore) {}

  long read(void* buf, size_t len) override
  {
    if (len < 8)
      return -EINVAL;
    if (!count_) {
      if (nonblocking())
        return -EAGAIN;
      block_until([this] { return count_ != 0; }, 0);
    }
    uint64_t value = semaphore_ ? 1 : count_;
    count_ -= value;
    std::memcpy(buf, &value, 8);
    changed();
    return 8;
  }

  long write(const void* buf, size_t len) override
  {
    if (len < 8)
      return -EINVAL;
    uint64_t value;
    std::memcpy(&value, buf, 8);
    if (value == ~0ull)
      return -EINVAL;
    if (MAX - count_ < value) {
      if (nonblocking())
        return -EAGAIN;
      block_until([&] { return MAX - count_ >= value; }, 0);
    }
    count_ += value;
    changed();
    return 8;
  }

  unsigned events() override
  {
    return (count_ ? POLLIN : 0u) | (count_ < MAX ? POLLOUT : 0u);
  }

 private:
  uint64_t count_;
  bool semaphore_;
};

}  // namespace
}  // namespace ukbase::fd

extern "C" long sys_eventfd2(unsigned initval, int flags)
{
  using namespace ukbase;
  if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
    return -EINVAL;
  try {
    auto f = std::make_shared<fd::Eventfd>(initval, (flags & EFD_SEMAPHORE) != 0);
    f->status_flags = O_RDWR | (flags & EFD_NONBLOCK ? O_NONBLOCK : 0);
    return fd::install(std::move(f), (flags & EFD_CLOEXEC) != 0);
  } catch (...) {
    return -ENOMEM;
  }
}
