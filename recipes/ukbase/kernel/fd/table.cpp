// The descriptor table and the system calls that work on any descriptor:
// read/write and their vector and positioned forms, lseek, fstat, ioctl,
// close, dup/dup2/dup3 and fcntl. What a descriptor does is its File's
// business (console.cpp, fs/file_syscalls.cpp, net/socket*.cpp, ...).
//
// These run as system calls: interrupts off, on the caller's stack, SSE
// state saved by the entry. Nothing here may throw across the C boundary.
#include <cerrno>
#include <algorithm>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "kernel/fd.hpp"
#include "kernel/syscall.h"

namespace ukbase::fd {

namespace {

struct Slot {
  std::shared_ptr<File> file;
  bool cloexec = false;
};

// Created on first use (global constructors may print before this
// file's own run), with the console on 0, 1 and 2.
std::vector<Slot>& table()
{
  static auto* slots = [] {
    auto in = console(false), out = console(true);
    in->descriptors_ = 1;
    out->descriptors_ = 2;
    return new std::vector<Slot>{Slot{in}, Slot{out}, Slot{out}};
  }();
  return *slots;
}

// Linux's cap on one transfer.
constexpr size_t MAX_TRANSFER = 0x7FFFF000;

long check_iov(const struct iovec* iov, int cnt)
{
  if (cnt < 0 || cnt > 1024)
    return -EINVAL;
  if (cnt && !iov)
    return -EFAULT;
  return 0;
}

}  // namespace

// ---- File defaults -------------------------------------------------------------

File::~File() = default;

long File::read(void*, size_t) { return -EINVAL; }
long File::write(const void*, size_t) { return -EINVAL; }

long File::readv(const struct iovec* iov, int cnt)
{
  return each_iovec(iov, cnt, [this](void* b, size_t n, long) { return read(b, n); });
}

long File::writev(const struct iovec* iov, int cnt)
{
  return each_iovec(iov, cnt, [this](void* b, size_t n, long) { return write(b, n); });
}

long File::pread(void*, size_t, uint64_t) { return -ESPIPE; }
long File::preadv(const struct iovec*, int, uint64_t) { return -ESPIPE; }
long File::lseek(int64_t, int) { return -ESPIPE; }

long File::fstat(struct stat* st)
{
  std::memset(st, 0, sizeof *st);
  st->st_mode = S_IFIFO | 0600;
  st->st_nlink = 1;
  st->st_blksize = 4096;
  return 0;
}

long File::ioctl(unsigned long, uint64_t) { return -ENOTTY; }
unsigned File::events() { return POLLIN | POLLOUT; }
bool File::nonblocking() const { return (status_flags & O_NONBLOCK) != 0; }

void File::changed()
{
  // A watcher may unwatch itself (or others) from its callback: iterate
  // over a copy, checking each one is still there.
  if (watchers_.empty())
    return;
  auto now = watchers_;
  for (Watcher* w : now)
    for (Watcher* x : watchers_)
      if (x == w) {
        w->file_changed(*this);
        break;
      }
}

void File::watch(Watcher* w) { watchers_.push_back(w); }

void File::closed()
{
  auto all = std::move(watchers_);
  watchers_.clear();
  for (Watcher* w : all)
    w->file_closed(*this);
}

void File::unwatch(Watcher* w)
{
  for (size_t i = 0; i < watchers_.size(); i++)
    if (watchers_[i] == w) {
      watchers_.erase(watchers_.begin() + static_cast<long>(i));
      return;
    }
}

// ---- the table --------------------------------------------------------------------

int install(std::shared_ptr<File> file, bool cloexec, int lowest)
{
  auto& t = table();
  size_t i = lowest > 0 ? static_cast<size_t>(lowest) : 0;
  for (; i < t.size(); i++)
    if (!t[i].file)
      break;
  if (i >= static_cast<size_t>(MAX_FDS))
    return -EMFILE;
  if (i >= t.size())
    t.resize(i + 1);
  file->descriptors_++;
  t[i] = Slot{std::move(file), cloexec};
  return static_cast<int>(i);
}

File* lookup(int fd)
{
  auto& t = table();
  if (fd < 0 || static_cast<size_t>(fd) >= t.size())
    return nullptr;
  return t[static_cast<size_t>(fd)].file.get();
}

std::shared_ptr<File> get(int fd)
{
  auto& t = table();
  if (fd < 0 || static_cast<size_t>(fd) >= t.size())
    return nullptr;
  return t[static_cast<size_t>(fd)].file;
}

namespace {

// A descriptor of `file` went away; the last one releases the
// description. The slot is cleared first: release() may run the event
// loop or close other descriptors.
void drop(std::shared_ptr<File> file)
{
  if (file && --file->descriptors_ == 0) {
    file->closed();
    file->release();
  }
}

}  // namespace

Held::Held(int fd) : file_(get(fd))
{
  if (file_)
    file_->descriptors_++;
}

Held::~Held() { drop(std::move(file_)); }

int install_at(int fd, std::shared_ptr<File> file, bool cloexec)
{
  if (fd < 0 || fd >= MAX_FDS)
    return -EBADF;
  auto& t = table();
  if (static_cast<size_t>(fd) >= t.size())
    t.resize(static_cast<size_t>(fd) + 1);
  std::shared_ptr<File> old = std::move(t[static_cast<size_t>(fd)].file);
  file->descriptors_++;
  t[static_cast<size_t>(fd)] = Slot{std::move(file), cloexec};
  drop(std::move(old));
  return fd;
}

int close(int fd)
{
  auto& t = table();
  if (fd < 0 || static_cast<size_t>(fd) >= t.size() || !t[static_cast<size_t>(fd)].file)
    return -EBADF;
  if (fd <= 2 && t[static_cast<size_t>(fd)].file->console())
    return -EBADF;   // IncludeOS's console is not a descriptor that closes (console.cpp)
  std::shared_ptr<File> file = std::move(t[static_cast<size_t>(fd)].file);
  t[static_cast<size_t>(fd)] = Slot{};
  while (!t.empty() && !t.back().file)
    t.pop_back();
  drop(std::move(file));
  return 0;
}

namespace {

bool* cloexec_of(int fd)
{
  auto& t = table();
  if (fd < 0 || static_cast<size_t>(fd) >= t.size() || !t[static_cast<size_t>(fd)].file)
    return nullptr;
  return &t[static_cast<size_t>(fd)].cloexec;
}

}  // namespace

/// readv/writev: the file and the vector checked, then `op`.
template <typename Op>
long with_iovec(int n, const void* iov, int cnt, Op op)
{
  Held f(n);
  if (!f)
    return -EBADF;
  auto* v = static_cast<const struct iovec*>(iov);
  if (long err = check_iov(v, cnt))
    return err;
  return guarded([&] { return op(*f, v); });
}

}  // namespace ukbase::fd

// ---- system calls ---------------------------------------------------------------

using namespace ukbase;

extern "C" {

long sys_read(int n, void* buf, uint64_t len)
{
  fd::Held f(n);
  if (!f)
    return -EBADF;
  return guarded([&] { return f->read(buf, len > fd::MAX_TRANSFER ? fd::MAX_TRANSFER : len); });
}

long sys_write(int n, const void* buf, uint64_t len)
{
  fd::Held f(n);
  if (!f)
    return -EBADF;
  return guarded([&] { return f->write(buf, len > fd::MAX_TRANSFER ? fd::MAX_TRANSFER : len); });
}

long sys_readv(int n, const void* iov, int cnt)
{
  return fd::with_iovec(n, iov, cnt, [cnt](fd::File& f, const iovec* v) { return f.readv(v, cnt); });
}

long sys_writev(int n, const void* iov, int cnt)
{
  return fd::with_iovec(n, iov, cnt, [cnt](fd::File& f, const iovec* v) { return f.writev(v, cnt); });
}

long sys_pread64(int n, void* buf, uint64_t len, int64_t off)
{
  fd::Held f(n);
  if (!f)
    return -EBADF;
  if (off < 0)
    return -EINVAL;
  return guarded([&] {
    return f->pread(buf, len > fd::MAX_TRANSFER ? fd::MAX_TRANSFER : len, static_cast<uint64_t>(off));
  });
}

long sys_preadv(int n, const void* iov, int cnt, int64_t off)
{
  fd::Held f(n);
  if (!f)
    return -EBADF;
  auto* v = static_cast<const struct iovec*>(iov);
  if (long err = fd::check_iov(v, cnt))
    return err;
  if (off < 0)
    return -EINVAL;
  return guarded([&] { return f->preadv(v, cnt, static_cast<uint64_t>(off)); });
}

long sys_lseek(int n, int64_t off, int whence)
{
  fd::File* f = fd::lookup(n);
  return f ? guarded([&] { return f->lseek(off, whence); }) : -EBADF;
}

long sys_fstat(int n, void* st)
{
  fd::File* f = fd::lookup(n);
  return f ? guarded([&] { return f->fstat(static_cast<struct stat*>(st)); }) : -EBADF;
}

long sys_ioctl(int n, unsigned long req, uint64_t arg)
{
  fd::File* f = fd::lookup(n);
  if (!f)
    return -EBADF;
  switch (req) {
  case FIONBIO:
    if (!arg)
      return -EFAULT;
    if (*reinterpret_cast<const int*>(arg))
      f->status_flags |= O_NONBLOCK;
    else
      f->status_flags &= ~O_NONBLOCK;
    return 0;
  case FIOCLEX:
  case FIONCLEX:
    *fd::cloexec_of(n) = req == FIOCLEX;
    return 0;
  default:
    return guarded([&] { return f->ioctl(req, arg); });
  }
}

long sys_close(int n)
{
  return guarded([&] { return static_cast<long>(fd::close(n)); });
}

long sys_dup(int n)
{
  auto f = fd::get(n);
  return f ? guarded([&] { return static_cast<long>(fd::install(std::move(f))); }) : -EBADF;
}

long sys_dup3(int old, int n, int flags)
{
  if (flags & ~O_CLOEXEC)
    return -EINVAL;
  if (old == n)
    return -EINVAL;
  auto f = fd::get(old);
  if (!f)
    return -EBADF;
  return guarded([&] { return static_cast<long>(fd::install_at(n, std::move(f), flags & O_CLOEXEC)); });
}

long sys_dup2(int old, int n)
{
  if (old == n)
    return fd::lookup(old) ? n : -EBADF;
  return sys_dup3(old, n, 0);
}

long sys_fcntl(int n, int cmd, uint64_t arg)
{
  fd::File* f = fd::lookup(n);
  if (!f)
    return -EBADF;
  // What F_SETFL may change (the access mode and creation flags stay).
  constexpr int SETTABLE = O_NONBLOCK | O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME;
  switch (cmd) {
  case F_GETFD:
    return *fd::cloexec_of(n) ? FD_CLOEXEC : 0;
  case F_SETFD:
    *fd::cloexec_of(n) = (arg & FD_CLOEXEC) != 0;
    return 0;
  case F_GETFL:
    return f->status_flags;
  case F_SETFL:
    f->status_flags = (f->status_flags & ~SETTABLE) | (static_cast<int>(arg) & SETTABLE);
    f->changed();
    return 0;
  case F_DUPFD:
  case F_DUPFD_CLOEXEC:
    if (arg >= static_cast<uint64_t>(fd::MAX_FDS))
      return -EINVAL;
    return guarded([&] {
      return static_cast<long>(fd::install(fd::get(n), cmd == F_DUPFD_CLOEXEC, static_cast<int>(arg)));
    });
  case F_GETLK:
  case F_OFD_GETLK:
    if (!arg)
      return -EFAULT;
    reinterpret_cast<struct flock*>(arg)->l_type = F_UNLCK;
    return 0;                         // one process: nobody holds a lock
  case F_SETLK:
  case F_SETLKW:
  case F_OFD_SETLK:
  case F_OFD_SETLKW:
    return 0;                         // one process: nobody to lock against
  default:
    return -EINVAL;
  }
}

}  // extern "C"

// sendfile: through a bounce buffer, since every descriptor kind has its
// own way of reading and writing. A partial write stops the copy.
extern "C" long sys_sendfile(int out, int in, int64_t* off, uint64_t count)
{
  fd::File* src = fd::lookup(in);
  fd::File* dst = fd::lookup(out);
  if (!src || !dst)
    return -EBADF;
  if (off && *off < 0)
    return -EINVAL;
  if (count > fd::MAX_TRANSFER)
    count = fd::MAX_TRANSFER;
  return guarded([&]() -> long {
    std::vector<uint8_t> buf(count < 65536 ? count : 65536);
    uint64_t pos = off ? static_cast<uint64_t>(*off) : 0;
    long done = 0;
    while (static_cast<uint64_t>(done) < count) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), count - done));
      long got = off ? src->pread(buf.data(), want, pos) : src->read(buf.data(), want);
      if (got <= 0) {
        if (got < 0 && !done)
          return got;
        break;
      }
      long put = dst->write(buf.data(), static_cast<size_t>(got));
      if (put < 0) {
        if (!off)
          src->lseek(-got, SEEK_CUR);          // nothing of it was sent
        if (!done)
          return put;
        break;
      }
      done += put;
      pos += static_cast<uint64_t>(put);
      if (put < got) {
        if (!off)
          src->lseek(put - got, SEEK_CUR);     // give back what was not sent
        break;
      }
    }
    if (off)
      *off = static_cast<int64_t>(pos);
    return done;
  });
}
