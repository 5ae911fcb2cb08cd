// fs::Disk: finding the FAT file system on a block device (the whole
// device, or a partition of its MBR), and the memdisk as a Disk.
#include <cstring>

#include <fs/disk.hpp>
#include <fs/fat.hpp>
#include <memdisk>

#include "fat.hpp"
#include "kernel/block.hpp"
#include "kernel/vfs.hpp"

namespace {

uint32_t le32(const uint8_t* p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24);
}

bool read_sector0(hw::Block_device& dev, uint8_t (&sector)[512])
{
  return dev.size() > 0 && ukbase::read_bytes(dev, 0, sizeof sector, sector);
}

std::vector<fs::Partition> table_of(const uint8_t* sector)
{
  std::vector<fs::Partition> parts;
  for (int i = 0; i < fs::MBR::PARTITIONS; i++) {
    const uint8_t* e = sector + fs::MBR::TABLE_OFFSET + 16 * i;
    parts.emplace_back(e[0], e[4], le32(e + 8), le32(e + 12));
  }
  return parts;
}

}  // namespace

namespace fs {

Disk::Disk(hw::Block_device& dev) : device_(dev) {}

File_system& Disk::fs()
{
  if (!filesys_)
    throw Err_not_mounted("Filesystem not ready - make sure to init_fs before accessing");
  return *filesys_;
}

error_t Disk::detect_sync(partition_t& part)
{
  uint8_t sector[512];
  if (!read_sector0(device_, sector))
    return {error_t::E_IO, "Unable to read MBR"};
  if (ukbase::fat::Volume::is_boot_sector(sector)) {
    part = MBR;
    return no_error;
  }
  if (sector[510] == 0x55 && sector[511] == 0xAA) {
    auto parts = table_of(sector);
    for (size_t i = 0; i < parts.size(); i++)
      if (parts[i].id && parts[i].lba_begin && parts[i].sectors) {
        part = static_cast<partition_t>(VBR1 + i);
        return no_error;
      }
  }
  return {error_t::E_MNT, "No FAT partition auto-detected"};
}

error_t Disk::init_sync(partition_t part, bool quiet)
{
  uint64_t lba = 0, size = device_.size();
  if (part != MBR) {
    uint8_t sector[512];
    if (!read_sector0(device_, sector))
      return {error_t::E_IO, "Unable to read MBR"};
    Partition p = table_of(sector).at(static_cast<size_t>(part - VBR1));
    if (!p.sectors || sector[510] != 0x55 || sector[511] != 0xAA)
      return {error_t::E_MNT, "No partition " + std::to_string(part - VBR1 + 1) + " in the MBR"};
    lba = p.lba_begin;
    size = p.sectors;
  }
  auto fat = std::make_shared<FAT>(device_);
  error_t err = fat->init_sync(lba, size, quiet);
  filesys_ = std::move(fat);      // there even when init failed, as on IncludeOS
  return err;
}

void Disk::init_fs(partition_t part, on_init_func fn)
{
  error_t err = init_sync(part, false);
  std::shared_ptr<File_system> target = filesys_;
  ukbase::complete(device_, [fn, err, target] {
    if (fn)
      fn(err, *target);
  });
}

void Disk::init_fs(on_init_func fn)
{
  partition_t part = MBR;
  error_t err = detect_sync(part);
  std::shared_ptr<File_system> target;
  if (!err) {
    err = init_sync(part, false);
    target = filesys_;
  } else {
    // Nothing found: fs() stays as it was, and the callback gets an
    // empty file system to hold (IncludeOS hands it fs(), which throws
    // when there is none).
    if (!failed_)
      failed_ = std::make_shared<FAT>(device_);
    target = failed_;
  }
  ukbase::complete(device_, [fn, err, target] {
    if (fn)
      fn(err, *target);
  });
}

void Disk::partitions(on_parts_func fn)
{
  uint8_t sector[512];
  error_t err = no_error;
  std::vector<Partition> parts;
  if (!read_sector0(device_, sector))
    err = {error_t::E_IO, "Could not read MBR"};
  else
    parts = table_of(sector);
  ukbase::complete(device_, [fn, err, parts]() mutable {
    if (fn)
      fn(err, parts);
  });
}

// ---- the memdisk as a Disk ---------------------------------------------------------

Disk& memdisk()
{
  static auto* disk = new Disk(MemDisk::get());
  return *disk;
}

Disk_ptr shared_memdisk()
{
  static std::weak_ptr<Disk> shared;
  Disk_ptr disk = shared.lock();
  if (!disk) {
    disk = std::make_shared<Disk>(MemDisk::get());
    shared = disk;
  }
  return disk;
}

}  // namespace fs

namespace ukbase {

fs::error_t Disk_access::init(fs::Disk& disk, int& partition)
{
  fs::Disk::partition_t part = fs::Disk::MBR;
  fs::error_t err = disk.detect_sync(part);
  partition = static_cast<int>(part);
  return err ? err : disk.init_sync(part, true);
}

}  // namespace ukbase
