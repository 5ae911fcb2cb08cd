// Internal: block devices (virtio-blk, IDE, the memdisk) as the kernel
// keeps them. Drivers derive from ukbase::Block_device and implement one
// synchronous sector read (and, for a disk they can write, one sector
// write that returns once the data is on the disk): a device waits for
// its request with the CPU halted (wait.hpp), which also works inside a
// system call. The rest of IncludeOS's hw::Block_device (asynchronous
// reads and writes, read_sync, write_sync, names) is implemented here on
// top of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <hw/block_device.hpp>

namespace ukbase {

class Block_device : public hw::Block_device {
 public:
  static constexpr uint32_t SECTOR = 512;

  /// The device's name: its serial number (ukbuild sets it to the
  /// [[vm.disk]] name), else a made-up one ("vblk1", "hd0").
  const std::string& name() const { return name_; }
  /// What drives it, starting with the driver: "virtio-blk 00:04.0", "ide 0:1".
  const std::string& description() const { return description_; }
  /// Size in 512-byte sectors.
  uint64_t sectors() const { return sectors_; }

  /// Read `count` sectors from `lba` into `buf` (anywhere in RAM).
  virtual bool read_sectors(uint64_t lba, uint32_t count, void* buf) = 0;
  /// Write `count` sectors from `buf` at `lba`, durably (the device's
  /// write cache flushed); false on an error or for a read-only device.
  virtual bool write_sectors(uint64_t lba, uint32_t count, const void* buf)
  {
    (void)lba, (void)count, (void)buf;
    return false;
  }
  bool read_only() const { return read_only_; }

  // hw::Block_device
  std::string device_name() const override;       // "vblk" / "ide" + id()
  const char* driver_name() const noexcept override;
  block_t size() const noexcept override { return sectors_; }
  block_t block_size() const noexcept override { return SECTOR; }
  using hw::Block_device::read;
  /// Reads at once; calls back from the event loop, as IncludeOS's
  /// drivers do when their interrupt comes.
  void read(block_t blk, size_t count, on_read_func func) override;
  buffer_t read_sync(block_t blk, size_t count = 1) override;
  bool read_blocks(block_t blk, size_t count, void* dst) override;
  /// Writes at once; calls back from the event loop with the error flag.
  void write(block_t blk, buffer_t data, on_write_func func) override;
  bool write_sync(block_t blk, buffer_t data) override;
  void deactivate() override {}

 protected:
  std::string name_, description_;
  uint64_t sectors_ = 0;
  bool read_only_ = true;         // a driver that writes clears it
};

/// A device the kernel found, with the names ukbase's mounts use.
struct Block_entry {
  hw::Block_device* dev;
  std::string name;          // serial number, "memdisk"
  std::string description;   // "virtio-blk 00:04.0", "memdisk"
  bool memory;               // the memdisk
};

/// Register a device (drivers call this from their probe); it gets the
/// next id().
Block_device* add_block_device(std::unique_ptr<Block_device> dev);
/// Every device, in the order they were found (the memdisk last).
const std::vector<Block_entry>& block_devices();

/// The memdisk linked into the kernel, if there is one.
void register_memdisk();

/// Read `len` bytes at byte offset `off` of `dev`: whole blocks straight
/// to `dst`, partial ones through a bounce block.
bool read_bytes(hw::Block_device& dev, uint64_t off, size_t len, void* dst);

/// Run `fn` as `dev`'s asynchronous reads complete: at once for a
/// memdisk, else from the event loop. The file system's asynchronous
/// calls deliver their callbacks through this.
void complete(const hw::Block_device& dev, std::function<void()> fn);

}  // namespace ukbase
