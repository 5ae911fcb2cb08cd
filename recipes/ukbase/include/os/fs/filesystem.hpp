// A file system, as IncludeOS's fs/filesystem.hpp: what fs::Disk::fs()
// gives once init_fs() has found one (ukbase has FAT12/16/32, read-only).
//
//   auto list = fs.ls("/");                               // synchronous
//   fs.ls("/", [](fs::error_t err, fs::Dirvec_ptr ents) { ... });
//   auto ent = fs.stat("/banana.txt");                    // invalid entry if not there
//   auto buf = fs.read(ent, 0, ent.size());               // fs::Buffer
//   auto all = fs.read_file("/banana.txt");
//   fs.read_file("/banana.txt", [](fs::error_t err, fs::buffer_t buf) { ... });
//
// Paths are absolute in the file system (relative to `start` where a
// call takes one); names are found without regard to ASCII case.
// Callbacks of a file system on the memdisk run inside the call; on a
// disk, from the event loop, as IncludeOS's do.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <fs/common.hpp>
#include <fs/dirent.hpp>
#include <fs/path.hpp>

namespace fs {

class File_system {
 public:
  /// The id of the block device it is on.
  virtual int device_id() const noexcept = 0;

  /// Print the folders and files below `path`.
  error_t print_subtree(const std::string& path);

  virtual void ls(const std::string& path, on_ls_func fn) const = 0;
  virtual void ls(const Dirent& entry, on_ls_func fn) const = 0;
  virtual List ls(const std::string& path) const = 0;
  virtual List ls(const Dirent& entry) const = 0;

  /// The whole file: {E_NOENT, "<path> not found"}, {E_NOTFILE, "<path>
  /// is not a file"}, or its contents.
  void read_file(const std::string& path, on_read_func fn) const;
  Buffer read_file(const std::string& path) const;
  /// The older names of read_file().
  void readFile(const std::string& path, on_read_func fn) const { read_file(path, std::move(fn)); }
  Buffer readFile(const std::string& path) const { return read_file(path); }

  /// `n` bytes of a file at `pos` (fewer at its end).
  virtual void read(const Dirent& ent, uint64_t pos, uint64_t n, on_read_func fn) const = 0;
  virtual Buffer read(const Dirent& ent, uint64_t pos, uint64_t n) const = 0;

  /// The entry at `path`, from the root or from the folder `start`. The
  /// synchronous form gives an invalid entry when there is none; the
  /// callback gets {E_NOENT, ...} and that entry.
  virtual void stat(Path_ptr path, on_stat_func fn, const Dirent* const start = nullptr) const = 0;
  template <typename P = Path>
  void stat(P path, on_stat_func fn, const Dirent* const start = nullptr) const
  {
    stat(std::make_shared<Path>(path), std::move(fn), start);
  }
  virtual Dirent stat(Path path, const Dirent* const start = nullptr) const = 0;
  template <typename P = Path>
  Dirent stat(P path, const Dirent* const start = nullptr) const
  {
    return stat(Path(path), start);
  }
  /// stat() with a cache on IncludeOS; the same as stat() here.
  virtual void cstat(const std::string& path, on_stat_func fn) = 0;

  /// "FAT12", "FAT16", "FAT32"
  virtual std::string name() const = 0;
  /// Bytes per sector.
  virtual uint64_t block_size() const = 0;

  /// Find the file system on the `size` sectors from `lba`.
  virtual void init(uint64_t lba, uint64_t size, on_init_func fn) = 0;

  virtual ~File_system() noexcept = default;
};

}  // namespace fs
