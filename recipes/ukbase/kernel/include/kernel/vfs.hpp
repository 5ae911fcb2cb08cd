// Internal: the file name space. It is the tree of IncludeOS's <fs/vfs.hpp>
// (fs::VFS_entry nodes under fs::VFS::root()), holding:
//   * the kernel's own mounts: the memdisk at /memdisk, every block device
//     with a FAT file system (the whole device, or its first partition)
//     at /disk/<name> (its serial number), the random devices at
//     /dev/random and /dev/urandom;
//   * config.json's "vfs" mounts (a folder of a disk at a path);
//   * what the service mounts with fs::mount() and fs::VFS::mount().
// The system calls (file_syscalls.cpp) and the native API (<fs.hpp>) both
// look paths up here: down the tree's entries, and into a FAT volume at
// an entry that holds one (a Dirent, a File_system, a Disk). FAT volumes
// are read-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fs/common.hpp>

namespace fs {
class Disk;
class FAT;
class VFS_entry;
}  // namespace fs

namespace ukbase {

/// Mount the kernel's file systems and config.json's "vfs" part; print a
/// line for each.
void mount_filesystems();

/// What fs::Disk does in init_fs(), at once and without its lines: the
/// error, and where the file system was found (0: the whole device,
/// 1-4: that partition).
struct Disk_access {
  static fs::error_t init(fs::Disk& disk, int& partition);
};

namespace vfs {

/// A character device: what read() and write() of it do.
class Char_device {
 public:
  virtual ~Char_device() = default;
  virtual long read(void* buf, size_t len) = 0;
  virtual long write(const void* buf, size_t len) = 0;
  /// Its device number (st_rdev): major << 8 | minor.
  virtual unsigned rdev() const = 0;
};

/// The "vfs" plugin: show /dev/random and /dev/urandom in the tree that
/// print_tree() and child_count() show.
void show_random_devices();

/// What a path names.
struct Node {
  enum class Kind { folder, fat, device, object };
  Kind kind = Kind::folder;
  std::string path;                // absolute, normalised
  bool dir = true;
  fs::VFS_entry* entry = nullptr;  // the tree's entry at this path, if it is one
  fs::FAT* fat = nullptr;          // Kind::fat: the file system
  uint32_t cluster = 0;            // Kind::fat: its FAT entry
  uint32_t size = 0;
  int64_t mtime = 0;
  Char_device* device = nullptr;   // Kind::device
};

struct Dirent {
  std::string name;
  bool dir;
  uint64_t size;
  int64_t mtime;
  bool device = false;             // a character device
};

/// The kernel's FAT mounts, in mount order.
struct Mount_info {
  std::string path;
  std::string device;              // the block device's name
  std::string description;         // "virtio-blk 00:04.0", ...
  std::string type;                // "FAT16"
  uint64_t bytes;
};
std::vector<Mount_info> mounts();

/// `path` made absolute against `base` (an absolute folder), with ".",
/// ".." and repeated slashes resolved. "" when `path` is empty.
std::string absolute(std::string_view path, std::string_view base);

/// Look up an absolute, normalised path: 0 or -errno.
int resolve(const std::string& path, Node& out);
/// The entries of a folder (without "." and ".."): 0 or -errno.
int list(const Node& dir, std::vector<Dirent>& out);

/// Sequential-read state of an open file.
struct Cursor {
  uint32_t index = 0, cluster = 0;
};
/// Up to `len` bytes at `off` of a file: bytes read or -errno.
long read(const Node& file, uint64_t off, void* buf, size_t len, Cursor& cur);

/// Identity numbers for stat(): one per FAT volume from 1 (0: the tree's
/// own folders and objects) and a hash of the path.
uint64_t device_number(const Node& n);
uint64_t inode_number(std::string_view path);
uint32_t block_size(const Node& n);

}  // namespace vfs
}  // namespace ukbase
