// A block device, as IncludeOS's hw/block_device.hpp: the disks ukbase's
// drivers find (virtio-blk: "vblk<id>", IDE: "ide<id>") and the memdisk
// ("memdisk<id>", fs::MemDisk). os::machine().get<hw::Block_device>(N)
// gives the N-th, in the order the kernel found them.
//
//   auto& dev = os::machine().get<hw::Block_device>(0);
//   auto sector = dev.read_sync(0);            // nullptr past the end
//   dev.read(0, 2, [](hw::Block_device::buffer_t buf) { ... });
//
// Reads of the memdisk call back inside read(), as on IncludeOS; those
// of a disk call back from the event loop once the data is there (the
// request itself is carried out at once). Writes go to virtio-blk and IDE
// disks (whole sectors: a buffer of a multiple of 512 bytes, at block
// `blk`), through to the disk image before they report: write_sync()
// answers false when it worked and true on an error, write() calls back
// with that error flag from the event loop. A read-only disk ([[vm.disk]]
// readonly = true) and the memdisk refuse writes the same way, as
// IncludeOS's drivers do for a device they cannot write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include <delegate>
#include <hw/device.hpp>
#include <pmr>

namespace hw {

class Block_device : public Device {
 public:
  using block_t = uint64_t;
  /// A shared byte buffer: data(), size().
  using buffer_t = os::mem::buf_ptr;
  /// Called with the data, or with nullptr when the read failed.
  using on_read_func = delegate<void(buffer_t)>;
  using on_write_func = delegate<void(bool error)>;

  Type device_type() const noexcept override { return Type::Block; }
  std::string device_name() const override = 0;
  const char* driver_name() const noexcept override = 0;

  /// This device's number among all block devices, from 0, in the order
  /// they were found (and made: a MemDisk of the service's own comes
  /// after the kernel's devices).
  int id() const noexcept;

  /// Number of blocks (sectors) and their size in bytes (512).
  virtual block_t size() const noexcept = 0;
  virtual block_t block_size() const noexcept = 0;

  virtual void read(block_t blk, on_read_func func) { read(blk, 1, std::move(func)); }
  /// `count` blocks from `blk`; `func` gets nullptr when they are not
  /// all on the device or cannot be read.
  virtual void read(block_t blk, size_t count, on_read_func func) = 0;
  /// The same, at once: nullptr on an error or past the end.
  virtual buffer_t read_sync(block_t blk, size_t count = 1) = 0;

  /// Writing: ukbase's devices are read-only, so these report an error.
  virtual void write(block_t blk, buffer_t data, on_write_func func);
  /// true on an error (always, on a read-only device).
  virtual bool write_sync(block_t blk, buffer_t data);

  void deactivate() override = 0;

  /// ukbase's addition: `count` blocks from `blk` straight into `dst`
  /// (count * block_size() bytes); false on an error or past the end.
  /// The default goes through read_sync().
  virtual bool read_blocks(block_t blk, size_t count, void* dst);

  ~Block_device() override = default;

 protected:
  Block_device() noexcept = default;

 private:
  mutable int id_ = -1;       // given on first use (the kernel asks as it finds them)
};

}  // namespace hw
