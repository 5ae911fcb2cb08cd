// File system calls over the VFS: what musl's stdio (open, readv, lseek,
// close), stat() (stat, fstat, newfstatat, statx), opendir/readdir
// (open O_DIRECTORY, getdents64) and access() use, and libc++'s fstream
// through stdio. An open file or folder is a Vfs_file in the descriptor
// table (kernel/fd/table.cpp answers read, lseek, close, dup, fcntl, ...
// for every kind of descriptor). Files are read-only: opening one for
// writing answers EROFS. /dev/random and /dev/urandom are character
// devices (a Device_file), readable and writable; what else a service
// mounted in the VFS tree (an int, a delegate) is listed and stat()ed
// with no permissions, and opening it answers EACCES.
//
// These run as system calls: interrupts off, on the caller's stack, SSE
// state saved by the entry. Nothing here may throw across the C boundary.
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vector>

#include "kernel/fd.hpp"
#include "kernel/files.h"
#include "kernel/vfs.hpp"

namespace {

using namespace ukbase;

class Vfs_file final : public fd::File {
 public:
  vfs::Node node;
  uint64_t pos = 0;                  // bytes (files) or entry index (folders)
  vfs::Cursor cursor;
  std::vector<vfs::Dirent> entries;  // folders: ".", "..", then the folder's
  bool listed = false;

  long read(void* buf, size_t len) override;
  long readv(const struct iovec* iov, int cnt) override;
  long pread(void* buf, size_t len, uint64_t off) override;
  long preadv(const struct iovec* iov, int cnt, uint64_t off) override;
  long write(const void*, size_t) override { return -EBADF; }  // opened read-only
  long lseek(int64_t off, int whence) override;
  long fstat(struct stat* st) override;
  long ioctl(unsigned long req, uint64_t arg) override;
  unsigned events() override { return POLLIN; }     // reads never block
  bool pollable() override { return false; }
};

// An open character device (/dev/random, /dev/urandom).
class Device_file final : public fd::File {
 public:
  vfs::Node node;

  long read(void* buf, size_t len) override
  {
    if (!buf && len)
      return -EFAULT;
    return node.device->read(buf, len);
  }
  long write(const void* buf, size_t len) override
  {
    if (!buf && len)
      return -EFAULT;
    return node.device->write(buf, len);
  }
  long lseek(int64_t, int) override { return 0; }     // as Linux's random devices
  long fstat(struct stat* st) override;
};

Vfs_file* lookup(int fd)
{
  return dynamic_cast<Vfs_file*>(fd::lookup(fd));
}

std::string& working_folder()
{
  static auto* folder = new std::string("/");
  return *folder;
}

// `path` (relative to dirfd: AT_FDCWD or an open folder) made absolute.
int path_at(int dirfd, const char* path, std::string& out)
{
  if (!path)
    return -EFAULT;
  if (!*path)
    return -ENOENT;
  std::string base = working_folder();
  if (path[0] != '/' && dirfd != AT_FDCWD) {
    if (!fd::lookup(dirfd))
      return -EBADF;
    Vfs_file* f = lookup(dirfd);
    if (!f || !f->node.dir)
      return -ENOTDIR;
    base = f->node.path;
  }
  out = vfs::absolute(path, base);
  return 0;
}

int resolve_at(int dirfd, const char* path, vfs::Node& n)
{
  std::string p;
  if (int err = path_at(dirfd, path, p))
    return err;
  return vfs::resolve(p, n);
}

unsigned mode_of(const vfs::Node& n)
{
  switch (n.kind) {
  case vfs::Node::Kind::device: return S_IFCHR | 0666;
  case vfs::Node::Kind::object: return S_IFREG;
  default: return n.dir ? (S_IFDIR | 0555) : (S_IFREG | 0444);
  }
}

void fill_stat(const vfs::Node& n, struct stat* st)
{
  std::memset(st, 0, sizeof *st);
  st->st_dev = vfs::device_number(n);
  st->st_ino = vfs::inode_number(n.path);
  st->st_mode = mode_of(n);
  if (n.device)
    st->st_rdev = n.device->rdev();
  st->st_nlink = n.dir ? 2 : 1;
  st->st_size = n.size;
  st->st_blksize = vfs::block_size(n);
  st->st_blocks = (n.size + 511) / 512;
  st->st_mtim.tv_sec = st->st_atim.tv_sec = st->st_ctim.tv_sec = n.mtime;
}

// struct statx, as the Linux UAPI defines it (and musl's fstatat.c).
struct kstatx {
  uint32_t stx_mask, stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink, stx_uid, stx_gid;
  uint16_t stx_mode, pad1;
  uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
  struct { int64_t tv_sec; uint32_t tv_nsec; int32_t pad; } stx_atime, stx_btime, stx_ctime, stx_mtime;
  uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
  uint64_t spare[14];
};

void fill_statx(const vfs::Node& n, kstatx* s)
{
  std::memset(s, 0, sizeof *s);
  s->stx_mask = STATX_BASIC_STATS;
  s->stx_blksize = vfs::block_size(n);
  s->stx_nlink = n.dir ? 2 : 1;
  s->stx_mode = static_cast<uint16_t>(mode_of(n));
  if (n.device) {
    s->stx_rdev_major = n.device->rdev() >> 8;
    s->stx_rdev_minor = n.device->rdev() & 0xFF;
  }
  s->stx_ino = vfs::inode_number(n.path);
  s->stx_size = n.size;
  s->stx_blocks = (n.size + 511) / 512;
  s->stx_atime.tv_sec = s->stx_btime.tv_sec = s->stx_ctime.tv_sec = s->stx_mtime.tv_sec = n.mtime;
  s->stx_dev_minor = static_cast<uint32_t>(vfs::device_number(n));
}

long read_at(Vfs_file* f, void* buf, uint64_t len, uint64_t off)
{
  if (f->node.dir)
    return -EISDIR;
  return vfs::read(f->node, off, buf, static_cast<size_t>(len), f->cursor);
}

long readv_at(Vfs_file* f, const struct iovec* iov, int cnt, uint64_t off, bool advance)
{
  long total = fd::each_iovec(iov, cnt, [&](void* b, size_t n, long done) {
    return read_at(f, b, n, off + static_cast<uint64_t>(done));
  });
  if (advance)
    f->pos += total;
  return total;
}

long Vfs_file::read(void* buf, size_t len)
{
  long n = read_at(this, buf, len, pos);
  if (n > 0)
    pos += n;
  return n;
}

long Vfs_file::readv(const struct iovec* iov, int cnt) { return readv_at(this, iov, cnt, pos, true); }
long Vfs_file::pread(void* buf, size_t len, uint64_t off) { return read_at(this, buf, len, off); }

long Vfs_file::preadv(const struct iovec* iov, int cnt, uint64_t off)
{
  return readv_at(this, iov, cnt, off, false);
}

long Vfs_file::lseek(int64_t off, int whence)
{
  int64_t base;
  switch (whence) {
  case SEEK_SET: base = 0; break;
  case SEEK_CUR: base = static_cast<int64_t>(pos); break;
  case SEEK_END:
    if (node.dir)
      return -EINVAL;
    base = node.size;
    break;
  case SEEK_DATA:
  case SEEK_HOLE:
    if (node.dir)
      return -EINVAL;
    if (off < 0 || static_cast<uint64_t>(off) >= node.size)
      return -ENXIO;
    pos = whence == SEEK_DATA ? static_cast<uint64_t>(off) : node.size;
    return static_cast<long>(pos);
  default:
    return -EINVAL;
  }
  if (off < 0 && -off > base)
    return -EINVAL;
  pos = static_cast<uint64_t>(base + off);   // a folder's position is an entry index
  return static_cast<long>(pos);
}

long Vfs_file::fstat(struct stat* st)
{
  fill_stat(node, st);
  return 0;
}

long Device_file::fstat(struct stat* st)
{
  fill_stat(node, st);
  return 0;
}

long Vfs_file::ioctl(unsigned long req, uint64_t arg)
{
  if (req != FIONREAD || node.dir)
    return -ENOTTY;
  if (!arg)
    return -EFAULT;
  *reinterpret_cast<int*>(arg) = pos < node.size ? static_cast<int>(node.size - pos) : 0;
  return 0;
}

// The statx of what fstat() says (descriptors that are not VFS files).
void statx_of_stat(const struct stat& st, kstatx* s)
{
  std::memset(s, 0, sizeof *s);
  s->stx_mask = STATX_BASIC_STATS;
  s->stx_blksize = static_cast<uint32_t>(st.st_blksize);
  s->stx_nlink = static_cast<uint32_t>(st.st_nlink);
  s->stx_mode = static_cast<uint16_t>(st.st_mode);
  s->stx_ino = st.st_ino;
  s->stx_size = static_cast<uint64_t>(st.st_size);
  s->stx_blocks = static_cast<uint64_t>(st.st_blocks);
  s->stx_rdev_major = static_cast<uint32_t>(st.st_rdev >> 8);
  s->stx_rdev_minor = static_cast<uint32_t>(st.st_rdev & 0xFF);
}

}  // namespace

extern "C" {

long file_open(int dirfd, const char* path, int flags, int mode)
{
  return guarded([&]() -> long {
    std::string p;
    if (int err = path_at(dirfd, path, p))
      return err;
    vfs::Node n;
    int err = vfs::resolve(p, n);
    int access = flags & O_ACCMODE;
    if (err == -ENOENT && (flags & O_CREAT)) {
      vfs::Node parent;
      return vfs::resolve(vfs::absolute("..", p), parent) == 0 && parent.dir ? -EROFS : -ENOENT;
    }
    if (err)
      return err;
    if ((flags & O_CREAT) && (flags & O_EXCL))
      return -EEXIST;
    if (n.kind == vfs::Node::Kind::device) {
      if (flags & O_DIRECTORY)
        return -ENOTDIR;
      auto f = std::make_shared<Device_file>();
      f->node = std::move(n);
      f->status_flags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
      return fd::install(std::move(f), (flags & O_CLOEXEC) != 0);
    }
    if (n.kind == vfs::Node::Kind::object)
      return (flags & O_DIRECTORY) ? -ENOTDIR : -EACCES;
    if (n.dir && access != O_RDONLY)
      return -EISDIR;
    if (access != O_RDONLY || (flags & O_TRUNC))
      return -EROFS;
    if ((flags & O_DIRECTORY) && !n.dir)
      return -ENOTDIR;
    auto f = std::make_shared<Vfs_file>();
    f->node = std::move(n);
    f->status_flags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
    return fd::install(std::move(f), (flags & O_CLOEXEC) != 0);
  });
}

long file_stat(int dirfd, const char* path, void* st, int flags)
{
  if (!st)
    return -EFAULT;   // before the path is looked at, as IncludeOS and Linux do
  if ((flags & AT_EMPTY_PATH) && path && !*path) {
    fd::File* f = fd::lookup(dirfd);
    return f ? f->fstat(static_cast<struct stat*>(st)) : -EBADF;
  }
  return guarded([&]() -> long {
    vfs::Node n;
    if (int err = resolve_at(dirfd, path, n))
      return err;
    fill_stat(n, static_cast<struct stat*>(st));
    return 0;
  });
}

long file_statx(int dirfd, const char* path, int flags, unsigned mask, void* stx)
{
  if (!stx)
    return -EFAULT;
  return guarded([&]() -> long {
    vfs::Node n;
    if ((flags & AT_EMPTY_PATH) && path && !*path) {
      fd::File* any = fd::lookup(dirfd);
      if (!any)
        return -EBADF;
      Vfs_file* f = lookup(dirfd);
      if (!f) {
        struct stat st;
        if (long err = any->fstat(&st))
          return err;
        statx_of_stat(st, static_cast<kstatx*>(stx));
        return 0;
      }
      n = f->node;
    } else if (int err = resolve_at(dirfd, path, n)) {
      return err;
    }
    fill_statx(n, static_cast<kstatx*>(stx));
    return 0;
  });
}

long file_getdents64(int fd, void* buf, uint64_t len)
{
  Vfs_file* f = lookup(fd);
  if (!f)
    return fd::lookup(fd) ? -ENOTDIR : -EBADF;
  if (!f->node.dir)
    return -ENOTDIR;
  return guarded([&]() -> long {
    if (!f->listed) {
      f->entries = {vfs::Dirent{".", true, 0, 0}, vfs::Dirent{"..", true, 0, 0}};
      if (int err = vfs::list(f->node, f->entries))
        return err;
      f->listed = true;
    }
    // struct linux_dirent64: ino, off, reclen, type, name; 8-byte aligned.
    auto* out = static_cast<uint8_t*>(buf);
    uint64_t used = 0;
    std::string folder = f->node.path == "/" ? "" : f->node.path;
    while (f->pos < f->entries.size()) {
      const vfs::Dirent& d = f->entries[f->pos];
      uint64_t reclen = (19 + d.name.size() + 1 + 7) & ~7ull;
      if (used + reclen > len)
        break;
      uint8_t* r = out + used;
      std::memset(r, 0, reclen);
      uint64_t ino = vfs::inode_number(folder + "/" + d.name);
      int64_t next = static_cast<int64_t>(f->pos + 1);
      std::memcpy(r, &ino, 8);
      std::memcpy(r + 8, &next, 8);
      uint16_t rl = static_cast<uint16_t>(reclen);
      std::memcpy(r + 16, &rl, 2);
      r[18] = d.dir ? DT_DIR : d.device ? DT_CHR : DT_REG;
      std::memcpy(r + 19, d.name.data(), d.name.size());
      used += reclen;
      f->pos++;
    }
    if (!used && f->pos < f->entries.size())
      return -EINVAL;                // not even one entry fits
    return static_cast<long>(used);
  });
}

long file_access(int dirfd, const char* path, int mode, int flags)
{
  return guarded([&]() -> long {
    vfs::Node n;
    if (int err = resolve_at(dirfd, path, n))
      return err;
    if (n.kind == vfs::Node::Kind::device)
      return (mode & X_OK) ? -EACCES : 0;
    if (n.kind == vfs::Node::Kind::object)
      return mode ? -EACCES : 0;
    if (mode & W_OK)
      return -EROFS;
    if ((mode & X_OK) && !n.dir)
      return -EACCES;
    return 0;
  });
}

long file_getcwd(char* buf, uint64_t size)
{
  const std::string& cwd = working_folder();
  if (size < cwd.size() + 1)
    return -ERANGE;
  std::memcpy(buf, cwd.c_str(), cwd.size() + 1);
  return static_cast<long>(cwd.size() + 1);
}

long file_chdir(const char* path)
{
  return guarded([&]() -> long {
    vfs::Node n;
    if (int err = resolve_at(AT_FDCWD, path, n))
      return err;
    if (!n.dir)
      return -ENOTDIR;
    working_folder() = n.path;
    return 0;
  });
}

long file_fchdir(int fd)
{
  Vfs_file* f = lookup(fd);
  if (!f)
    return fd::lookup(fd) ? -ENOTDIR : -EBADF;
  if (!f->node.dir)
    return -ENOTDIR;
  return guarded([&]() -> long {
    working_folder() = f->node.path;
    return 0;
  });
}

long file_readlink(int dirfd, const char* path, char* buf, uint64_t size)
{
  return guarded([&]() -> long {
    vfs::Node n;
    if (int err = resolve_at(dirfd, path, n))
      return err;
    return -EINVAL;                  // there are no symbolic links
  });
}

long file_modify(int dirfd, const char* path)
{
  return guarded([&]() -> long {
    std::string p;
    if (int err = path_at(dirfd, path, p))
      return err;
    vfs::Node n;
    if (vfs::resolve(p, n) == 0)
      return -EROFS;
    return vfs::resolve(vfs::absolute("..", p), n) == 0 && n.dir ? -EROFS : -ENOENT;
  });
}

}  // extern "C"

// stat() and lstat() with a null buffer fail with EFAULT before the path is
// looked at, as on IncludeOS and Linux. musl's stat() hands the kernel a
// buffer of its own and copies from it, so the check is made here, in the
// C library's place (libos.a is linked before libc.a).
static int stat_with_buffer(const char* path, struct stat* st, int flags)
{
  if (!st) {
    errno = EFAULT;
    return -1;
  }
  return fstatat(AT_FDCWD, path, st, flags);
}

extern "C" int stat(const char* __restrict path, struct stat* __restrict st)
{
  return stat_with_buffer(path, st, 0);
}

extern "C" int lstat(const char* __restrict path, struct stat* __restrict st)
{
  return stat_with_buffer(path, st, AT_SYMLINK_NOFOLLOW);
}
