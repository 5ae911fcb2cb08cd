// Internal: the file name space. FAT volumes are mounted at /memdisk (the
// memdisk) and /disk/<name> (each block device holding a whole-disk FAT
// file system, named by its serial number); "/" and "/disk" are folders
// made of the mount points. Everything is read-only. The system calls
// (file_syscalls.cpp) and the native API (<fs>) both go through here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ukbase {

class Block_device;
namespace fat { struct Entry; class Volume; }

/// Mount every block device holding FAT; print a line for each.
void mount_filesystems();

namespace vfs {

struct Mount;

/// What a path names.
struct Node {
  Mount* mount = nullptr;          // nullptr: a folder made of mount points
  std::string path;                // absolute, normalised
  bool dir = true;
  uint32_t cluster = 0;            // FAT entry (when mount != nullptr)
  uint32_t size = 0;
  int64_t mtime = 0;
};

struct Dirent {
  std::string name;
  bool dir;
  uint64_t size;
  int64_t mtime;
};

/// Mount points, in mount order, and what is mounted there.
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

/// Identity numbers for stat(): the mount's index + 1 (0: the folders
/// of mount points) and a hash of the path.
uint64_t device_number(const Node& n);
uint64_t inode_number(std::string_view path);
uint32_t block_size(const Node& n);

}  // namespace vfs
}  // namespace ukbase
