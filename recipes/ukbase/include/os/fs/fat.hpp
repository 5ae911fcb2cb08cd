// FAT12/16/32, read-only (IncludeOS's fs/fat.hpp): the file system
// fs::Disk::init_fs() finds. Long (VFAT) names are UTF-8; 8.3 names keep
// their dot ("README.TXT") and the NT lower-case flags.
//
// Listings hold the folder's entries in the order they are stored, with
// "." and ".." where the folder has them (every folder but the root),
// and without the volume label. On the memdisk (fs::MemDisk) they are
// in the order IncludeOS's diskbuilder writes its images: ".", ".."
// (the root too), the folders, then the files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <fs/filesystem.hpp>
#include <hw/block_device.hpp>

namespace ukbase::fat {
class Volume;
}

namespace fs {

class FAT : public File_system {
 public:
  explicit FAT(hw::Block_device& dev);
  ~FAT() noexcept override;

  int device_id() const noexcept override;

  using File_system::ls;
  using File_system::read;
  using File_system::stat;

  void ls(const std::string& path, on_ls_func fn) const override;
  void ls(const Dirent& entry, on_ls_func fn) const override;
  List ls(const std::string& path) const override;
  List ls(const Dirent& entry) const override;

  void read(const Dirent& ent, uint64_t pos, uint64_t n, on_read_func fn) const override;
  Buffer read(const Dirent& ent, uint64_t pos, uint64_t n) const override;

  void stat(Path_ptr path, on_stat_func fn, const Dirent* const start = nullptr) const override;
  Dirent stat(Path path, const Dirent* const start = nullptr) const override;
  void cstat(const std::string& path, on_stat_func fn) override;

  std::string name() const override;
  uint64_t block_size() const override;

  void init(uint64_t lba, uint64_t size, on_init_func fn) override;

  /// ukbase's additions: the partition it is on, and whether init() found
  /// a FAT file system there.
  uint64_t lba_base() const noexcept { return lba_base_; }
  uint64_t lba_size() const noexcept { return lba_size_; }
  bool mounted() const noexcept { return vol_ != nullptr; }
  /// The kernel's reader behind it (also used by the POSIX calls).
  ukbase::fat::Volume* volume() const noexcept { return vol_.get(); }
  hw::Block_device& device() const noexcept { return dev_; }

  /// init() without the callback and its lines: the error.
  error_t init_sync(uint64_t lba, uint64_t size, bool quiet = true);

 private:
  Dirent root_entry() const;

  hw::Block_device& dev_;
  std::unique_ptr<ukbase::fat::Volume> vol_;
  uint64_t lba_base_ = 0, lba_size_ = 0;
  bool builder_order_ = false;
  // Where the last read ended (the file's first cluster, the cluster's
  // index in it, the cluster): sequential reads go on from there.
  mutable uint32_t cursor_file_ = 0, cursor_index_ = 0, cursor_cluster_ = 0;
};

}  // namespace fs
