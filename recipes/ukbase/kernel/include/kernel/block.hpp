// Internal: block devices (virtio-blk, IDE, the memdisk) as the file
// system layer sees them. Reads are synchronous: a device waits for its
// request with the CPU halted (wait.hpp), which also works inside a
// system call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ukbase {

class Block_device {
 public:
  static constexpr uint32_t SECTOR = 512;

  virtual ~Block_device() = default;

  /// The device's name: its serial number (ukbuild sets it to the
  /// [[vm.disk]] name), else a made-up one ("vblk1", "hd0"); "memdisk".
  const std::string& name() const { return name_; }
  /// What drives it: "virtio-blk 00:04.0", "ide 0:1", "memdisk".
  const std::string& description() const { return description_; }
  /// Size in 512-byte sectors.
  uint64_t sectors() const { return sectors_; }

  /// Read `count` sectors from `lba` into `buf` (anywhere in RAM).
  virtual bool read(uint64_t lba, uint32_t count, void* buf) = 0;

  /// The contents in memory, when the whole device is there (memdisk).
  virtual const uint8_t* memory() const { return nullptr; }

  /// Read `len` bytes at byte offset `off`: whole sectors go straight to
  /// `dst`, partial ones through a bounce sector.
  bool read_bytes(uint64_t off, size_t len, void* dst);

 protected:
  std::string name_, description_;
  uint64_t sectors_ = 0;
};

/// Register a device (drivers call this from their probe).
Block_device* add_block_device(std::unique_ptr<Block_device> dev);
const std::vector<std::unique_ptr<Block_device>>& block_devices();

/// The memdisk linked into the kernel, if there is one.
void register_memdisk();

}  // namespace ukbase
