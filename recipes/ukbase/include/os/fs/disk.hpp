// A disk and the file system on it (IncludeOS's fs/disk.hpp).
//
//   auto disk = std::make_shared<fs::Disk>(os::machine().get<hw::Block_device>(0));
//   disk->init_fs([](fs::error_t err, fs::File_system& fs) {   // finds the FAT
//     if (!err) fs.ls("/", ...);
//   });
//   disk->init_fs(fs::Disk::VBR1, ...);        // the first partition's
//   disk->partitions([](fs::error_t err, auto& parts) { ... });
//
// init_fs(callback) takes sector 0 when it is a FAT boot sector (a disk
// that is one file system, as mkfs.fat makes them), else the first entry
// of its partition table that has a type, a start and a size. On the
// memdisk the callback runs inside init_fs(); on a disk, from the event
// loop (before that, fs() throws Err_not_mounted), as on IncludeOS.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <delegate>
#include <fs/common.hpp>
#include <fs/fat.hpp>
#include <fs/filesystem.hpp>
#include <fs/mbr.hpp>
#include <hw/block_device.hpp>
#include <hw/devices.hpp>     // services that find their disk with hw::Devices::drive(N) include only this

namespace ukbase {
struct Disk_access;
}

namespace fs {

/// An entry of the partition table.
struct Partition {
  Partition(uint8_t flags, uint8_t id, uint32_t lba_begin, uint32_t sectors)
      : flags(flags), id(id), lba_begin(lba_begin), sectors(sectors)
  {
  }

  uint8_t flags;         // 0x80: bootable
  uint8_t id;            // the partition type
  uint32_t lba_begin;
  uint32_t sectors;

  /// The type's name: "FAT32 (LBA)", "Empty", ...
  std::string name() const { return MBR::id_to_name(id); }
  uint32_t lba() const noexcept { return lba_begin; }
  bool is_boot() const noexcept { return flags & 0x80; }
};

class Disk {
 public:
  struct Err_not_mounted : public std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  using on_init_func = delegate<void(fs::error_t, File_system&)>;
  using on_parts_func = delegate<void(fs::error_t, std::vector<Partition>&)>;

  /// Where the file system is: the whole disk (MBR: from sector 0) or a
  /// partition (VBR1..VBR4: the table's first..fourth entry).
  enum partition_t { MBR = 0, VBR1, VBR2, VBR3, VBR4 };

  explicit Disk(hw::Block_device& dev);

  /// The device's name ("vblk0") and id.
  std::string name() const { return device_.device_name(); }
  int device_id() const noexcept { return device_.id(); }
  /// The device has no sectors.
  bool empty() const noexcept { return device_.size() == 0; }

  void init_fs(on_init_func fn);
  void init_fs(partition_t part, on_init_func fn);

  /// init_fs() has made a file system object (the last init_fs() may
  /// still have failed: its callback said so).
  bool fs_ready() const noexcept { return filesys_ != nullptr; }
  /// Throws Err_not_mounted before that.
  File_system& fs();

  /// The four entries of the partition table in sector 0 (as stored: a
  /// disk that is one file system has boot code there instead).
  void partitions(on_parts_func fn);

  hw::Block_device& dev() noexcept { return device_; }

 private:
  friend struct ukbase::Disk_access;
  error_t init_sync(partition_t part, bool quiet);   // the work of init_fs()
  error_t detect_sync(partition_t& part);            // auto-detection

  hw::Block_device& device_;
  std::shared_ptr<File_system> filesys_;
  std::shared_ptr<File_system> failed_;   // what the callback gets when nothing was found
};

using Disk_ptr = std::shared_ptr<Disk>;

}  // namespace fs
