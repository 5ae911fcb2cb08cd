// Block devices: the registry, IncludeOS's hw::Block_device over the
// drivers' sector reads, unaligned reads, and the memdisk: a FAT image
// linked into the kernel (ukbuild's memdisk.o, whose section .diskdata
// linker.ld puts between _DISK_START_ and _DISK_END_).
#include <cstdio>
#include <cstring>

#include <fs/memdisk.hpp>
#include <timers>

#include "kernel/block.hpp"

extern "C" char _DISK_START_[], _DISK_END_[];

namespace {

struct Registry {
  std::vector<std::unique_ptr<ukbase::Block_device>> owned;
  std::vector<ukbase::Block_entry> entries;
};

Registry& registry()
{
  static auto* r = new Registry;
  return *r;
}

int next_block_id = 0;

bool starts_with(const std::string& s, const char* prefix)
{
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

}  // namespace

// ---- hw::Block_device ------------------------------------------------------------

namespace hw {

int Block_device::id() const noexcept
{
  if (id_ < 0)
    id_ = next_block_id++;
  return id_;
}

void Block_device::write(block_t, buffer_t, on_write_func func)
{
  if (func)
    func(true);
}

bool Block_device::write_sync(block_t, buffer_t)
{
  return true;
}

bool Block_device::read_blocks(block_t blk, size_t count, void* dst)
{
  buffer_t buf = read_sync(blk, count);
  if (!buf || buf->size() < count * block_size())
    return false;
  std::memcpy(dst, buf->data(), count * block_size());
  return true;
}

}  // namespace hw

// ---- fs::MemDisk -------------------------------------------------------------------

namespace fs {

MemDisk::MemDisk() noexcept : MemDisk(_DISK_START_, _DISK_END_) {}

MemDisk::MemDisk(const char* start, const char* end) noexcept : start_(start), end_(end < start ? start : end) {}

MemDisk& MemDisk::get() noexcept
{
  static auto* disk = new MemDisk();
  return *disk;
}

std::string MemDisk::device_name() const
{
  return "memdisk" + std::to_string(id());
}

MemDisk::buffer_t MemDisk::read_sync(block_t blk, size_t count)
{
  if (blk >= size() || count > size() - blk)
    return nullptr;
  auto* p = reinterpret_cast<const uint8_t*>(start_) + blk * SECTOR_SIZE;
  return std::make_shared<os::mem::buffer>(p, p + count * SECTOR_SIZE);
}

bool MemDisk::read_blocks(block_t blk, size_t count, void* dst)
{
  if (blk >= size() || count > size() - blk)
    return count == 0 && blk <= size();
  std::memcpy(dst, start_ + blk * SECTOR_SIZE, count * SECTOR_SIZE);
  return true;
}

}  // namespace fs

// ---- the kernel's devices ----------------------------------------------------------

namespace ukbase {

std::string Block_device::device_name() const
{
  const char* prefix = starts_with(description_, "virtio") ? "vblk"
                     : starts_with(description_, "ide") ? "ide" : "blk";
  return prefix + std::to_string(id());
}

const char* Block_device::driver_name() const noexcept
{
  if (starts_with(description_, "virtio"))
    return "VirtioBlk";
  if (starts_with(description_, "ide"))
    return "IDE Controller";
  return "Block device";
}

void Block_device::read(block_t blk, size_t count, on_read_func func)
{
  buffer_t data = read_sync(blk, count);
  complete(*this, [func = std::move(func), data = std::move(data)] {
    if (func)
      func(data);
  });
}

Block_device::buffer_t Block_device::read_sync(block_t blk, size_t count)
{
  if (!count || blk >= sectors_ || count > sectors_ - blk || count > 0xFFFFFFFFu)
    return nullptr;
  auto buf = std::make_shared<os::mem::buffer>(count * SECTOR);
  if (!read_sectors(blk, static_cast<uint32_t>(count), buf->data()))
    return nullptr;
  return buf;
}

bool Block_device::write_sync(block_t blk, buffer_t data)
{
  if (read_only_ || !data || data->empty() || data->size() % SECTOR)
    return true;
  size_t count = data->size() / SECTOR;
  if (blk >= sectors_ || count > sectors_ - blk || count > 0xFFFFFFFFu)
    return true;
  return !write_sectors(blk, static_cast<uint32_t>(count), data->data());
}

void Block_device::write(block_t blk, buffer_t data, on_write_func func)
{
  bool error = write_sync(blk, std::move(data));
  complete(*this, [func = std::move(func), error] {
    if (func)
      func(error);
  });
}

bool Block_device::read_blocks(block_t blk, size_t count, void* dst)
{
  auto* p = static_cast<uint8_t*>(dst);
  if (blk > sectors_ || count > sectors_ - blk)
    return false;
  while (count) {
    uint32_t n = count > 0x10000 ? 0x10000 : static_cast<uint32_t>(count);
    if (!read_sectors(blk, n, p))
      return false;
    blk += n, count -= n, p += size_t(n) * SECTOR;
  }
  return true;
}

bool read_bytes(hw::Block_device& dev, uint64_t off, size_t len, void* dst_)
{
  auto* dst = static_cast<uint8_t*>(dst_);
  const uint64_t bs = dev.block_size();
  if (auto* mem = dynamic_cast<fs::MemDisk*>(&dev)) {
    if (off > dev.size() * bs || len > dev.size() * bs - off)
      return false;
    std::memcpy(dst, mem->data() + off, len);
    return true;
  }
  if (!bs || bs > 4096)
    return false;
  uint8_t bounce[4096];
  while (len) {
    uint64_t blk = off / bs;
    size_t skip = static_cast<size_t>(off % bs);
    if (skip || len < bs) {                 // a partial block
      size_t n = bs - skip < len ? static_cast<size_t>(bs - skip) : len;
      if (!dev.read_blocks(blk, 1, bounce))
        return false;
      std::memcpy(dst, bounce + skip, n);
      dst += n, off += n, len -= n;
      continue;
    }
    size_t whole = static_cast<size_t>(len / bs);   // whole blocks, straight in
    if (!dev.read_blocks(blk, whole, dst))
      return false;
    dst += whole * bs, off += whole * bs, len -= static_cast<size_t>(whole * bs);
  }
  return true;
}

void complete(const hw::Block_device& dev, std::function<void()> fn)
{
  if (dynamic_cast<const fs::MemDisk*>(&dev)) {
    fn();
    return;
  }
  Timers::oneshot(std::chrono::nanoseconds(0), [fn = std::move(fn)](Timers::id_t) { fn(); });
}

Block_device* add_block_device(std::unique_ptr<Block_device> dev)
{
  Registry& r = registry();
  Block_device* d = dev.get();
  d->id();                                  // ids in the order devices are found
  r.owned.push_back(std::move(dev));
  r.entries.push_back(Block_entry{d, d->name(), d->description(), false});
  return d;
}

const std::vector<Block_entry>& block_devices()
{
  return registry().entries;
}

void register_memdisk()
{
  fs::MemDisk& disk = fs::MemDisk::get();
  if (disk.size() == 0)
    return;
  disk.id();
  registry().entries.push_back(Block_entry{&disk, "memdisk", "memdisk", true});
}

}  // namespace ukbase
