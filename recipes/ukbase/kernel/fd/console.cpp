// The console: descriptor 0 reads end-of-file, 1 and 2 write to every
// stdout handler (os::add_stdout; default_stdout is the serial port).
// As on IncludeOS, where they are not descriptors of its table, close()
// of the console's own descriptors 0, 1 and 2 fails with EBADF and
// printing goes on (dup2() over them still replaces them).
// They answer TIOCGWINSZ like a terminal, which makes musl line-buffer
// stdout.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "kernel/fd.hpp"
#include "kernel/service.h"

namespace ukbase::fd {

namespace {

class Console final : public File {
 public:
  explicit Console(bool output) : output_(output) { status_flags = output ? O_WRONLY : O_RDONLY; }

  bool console() const override { return true; }

  long read(void*, size_t) override { return output_ ? -EBADF : 0; }

  long write(const void* buf, size_t len) override
  {
    if (!output_)
      return -EBADF;
    if (len)
      __ukbase_stdout_write(static_cast<const char*>(buf), len);
    return static_cast<long>(len);
  }

  long fstat(struct stat* st) override
  {
    std::memset(st, 0, sizeof *st);
    st->st_mode = S_IFCHR | 0620;
    st->st_rdev = (5 << 8) | 1;          // like /dev/console
    st->st_blksize = 1024;
    st->st_nlink = 1;
    return 0;
  }

  long ioctl(unsigned long req, uint64_t arg) override
  {
    if (req != TIOCGWINSZ)
      return -ENOTTY;
    if (auto* ws = reinterpret_cast<struct winsize*>(arg)) {
      ws->ws_row = 24;
      ws->ws_col = 80;
      ws->ws_xpixel = ws->ws_ypixel = 0;
    }
    return 0;
  }

  unsigned events() override { return output_ ? POLLOUT : POLLIN; }

 private:
  bool output_;
};

}  // namespace

std::shared_ptr<File> console(bool output)
{
  return std::make_shared<Console>(output);
}

}  // namespace ukbase::fd
