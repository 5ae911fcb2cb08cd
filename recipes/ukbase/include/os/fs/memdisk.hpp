// The memdisk (IncludeOS's fs/memdisk.hpp): a disk image in memory. The
// one ukbuild links into the kernel ([build] memdisk: a folder, as a FAT
// image) is MemDisk::get(); fs::shared_memdisk() (<memdisk>) is a
// fs::Disk over it. A MemDisk can also be made over any memory.
//
// Reads call back inside read(). Without a memdisk in the kernel, get()
// is a device of 0 sectors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <hw/block_device.hpp>

namespace fs {

class MemDisk : public hw::Block_device {
 public:
  static constexpr size_t SECTOR_SIZE = 512;

  /// The memdisk linked into the kernel.
  static MemDisk& get() noexcept;

  /// Over the kernel's memdisk (what get() is).
  explicit MemDisk() noexcept;
  /// Over [start, end): whole sectors of it.
  explicit MemDisk(const char* start, const char* end) noexcept;

  /// "memdisk" + id()
  std::string device_name() const override;
  const char* driver_name() const noexcept override { return "MemDisk"; }

  block_t size() const noexcept override { return static_cast<block_t>(end_ - start_) / SECTOR_SIZE; }
  block_t block_size() const noexcept override { return SECTOR_SIZE; }

  using hw::Block_device::read;
  void read(block_t blk, size_t count, on_read_func func) override { func(read_sync(blk, count)); }
  /// A copy of the sectors; nullptr past the end.
  buffer_t read_sync(block_t blk, size_t count = 1) override;
  bool read_blocks(block_t blk, size_t count, void* dst) override;

  void deactivate() override {}

  /// ukbase's addition: the image itself.
  const uint8_t* data() const noexcept { return reinterpret_cast<const uint8_t*>(start_); }

 private:
  const char* start_;
  const char* end_;
};

}  // namespace fs
