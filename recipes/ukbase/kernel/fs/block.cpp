// Block device registry, unaligned reads on top of sector reads, and the
// memdisk: a FAT image linked into the kernel (ukbuild's memdisk.o, whose
// section .diskdata linker.ld puts between _DISK_START_ and _DISK_END_).
#include <cstring>

#include "kernel/block.hpp"

extern "C" char _DISK_START_[], _DISK_END_[];

namespace ukbase {

namespace {

std::vector<std::unique_ptr<Block_device>>& registry()
{
  static auto* devices = new std::vector<std::unique_ptr<Block_device>>;
  return *devices;
}

class Memdisk final : public Block_device {
 public:
  Memdisk(const uint8_t* data, size_t bytes) : data_(data)
  {
    name_ = "memdisk";
    description_ = "memdisk";
    sectors_ = bytes / SECTOR;
  }
  bool read(uint64_t lba, uint32_t count, void* buf) override
  {
    if (lba + count > sectors_)
      return false;
    std::memcpy(buf, data_ + lba * SECTOR, static_cast<size_t>(count) * SECTOR);
    return true;
  }
  const uint8_t* memory() const override { return data_; }

 private:
  const uint8_t* data_;
};

}  // namespace

bool Block_device::read_bytes(uint64_t off, size_t len, void* dst_)
{
  auto* dst = static_cast<uint8_t*>(dst_);
  if (const uint8_t* mem = memory()) {
    if (off + len > sectors_ * SECTOR)
      return false;
    std::memcpy(dst, mem + off, len);
    return true;
  }
  uint8_t bounce[SECTOR];
  while (len) {
    uint64_t lba = off / SECTOR;
    size_t skip = off % SECTOR;
    if (skip || len < SECTOR) {                 // a partial sector
      size_t n = SECTOR - skip < len ? SECTOR - skip : len;
      if (!read(lba, 1, bounce))
        return false;
      std::memcpy(dst, bounce + skip, n);
      dst += n, off += n, len -= n;
      continue;
    }
    uint64_t whole = len / SECTOR;              // whole sectors, straight in
    uint32_t n = whole > 0x10000 ? 0x10000 : static_cast<uint32_t>(whole);
    if (!read(lba, n, dst))
      return false;
    dst += size_t(n) * SECTOR, off += uint64_t(n) * SECTOR, len -= size_t(n) * SECTOR;
  }
  return true;
}

Block_device* add_block_device(std::unique_ptr<Block_device> dev)
{
  registry().push_back(std::move(dev));
  return registry().back().get();
}

const std::vector<std::unique_ptr<Block_device>>& block_devices()
{
  return registry();
}

void register_memdisk()
{
  size_t bytes = static_cast<size_t>(_DISK_END_ - _DISK_START_);
  if (bytes >= Block_device::SECTOR)
    add_block_device(std::make_unique<Memdisk>(reinterpret_cast<const uint8_t*>(_DISK_START_), bytes));
}

}  // namespace ukbase
