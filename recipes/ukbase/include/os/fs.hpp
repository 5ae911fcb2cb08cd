// ukbase's own file API: the read-only FAT file systems of the memdisk
// and of the data disks, without going through the C library. (It was
// <fs> before include/os/fs became the folder of IncludeOS's <fs/...>
// headers.)
//
// Mount points: /memdisk (the memdisk, [build] memdisk) and /disk/<name>
// for every block device holding a whole-disk FAT12/16/32 file system,
// <name> being the device's serial number, which ukbuild sets to the
// [[vm.disk]] name. The same paths work with the standard C and C++ file
// APIs (fopen, std::ifstream, opendir, stat, ...). Names are looked up
// without regard to ASCII case; long (VFAT) names are UTF-8.
//
//   #include <fs.hpp>
//   for (auto& e : fs::list("/disk/data"))
//     printf("%s %s %llu\n", e.is_dir ? "d" : "-", e.name.c_str(), e.size);
//   if (auto text = fs::read_file("/memdisk/motd.txt"))
//     puts(text->c_str());
//
// Block device drivers: "virtioblk" (virtio-blk-pci) and "ide" (the pc's
// IDE controller), named in [platform] drivers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fs {

/// A file or folder.
struct Entry {
  std::string name;        // within its folder
  bool is_dir = false;
  uint64_t size = 0;       // bytes (0 for folders)
  int64_t mtime = 0;       // modification time, seconds since the Unix epoch
};

/// The entries of a folder (without "." and ".."), in on-disk order.
/// Empty when the folder is empty or does not exist; `error` (if given)
/// receives 0 or an errno value (ENOENT, ENOTDIR, EIO).
std::vector<Entry> list(const std::string& path, int* error = nullptr);

/// The file or folder at `path`, if there is one.
std::optional<Entry> stat(const std::string& path);

/// Size of a file in bytes, or -1 when there is no such file.
int64_t file_size(const std::string& path);

/// The whole contents of a file, if it exists and can be read.
std::optional<std::string> read_file(const std::string& path);

/// A block device, mounted or not.
struct Device {
  std::string name;        // serial number ("data"), or "memdisk", "vblk1", "hd0"
  std::string driver;      // "virtio-blk 00:04.0", "ide 0:0", "memdisk"
  uint64_t bytes = 0;
  std::string mount_point; // "/disk/data", "/memdisk", or "" when not mounted
  std::string type;        // "FAT12", "FAT16", "FAT32", or ""
};

/// Every block device the kernel found, in the order it found them.
std::vector<Device> devices();

}  // namespace fs
