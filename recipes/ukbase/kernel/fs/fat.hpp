// Internal: a read-only FAT12/16/32 reader over a block device: the boot
// sector's parameters, the allocation table, folders with VFAT long names
// (what mtools and Windows write) and 8.3 names (with the NT lower-case
// flags), files read cluster run by cluster run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/block.hpp"

namespace ukbase::fat {

struct Entry {
  std::string name;          // the long name if there is one, else the 8.3 name
  std::string short_name;    // the 8.3 name as stored (upper case), "" for the root
  bool dir = false;
  uint32_t cluster = 0;      // first cluster; 0: empty file, or the root (also in "..")
  uint32_t size = 0;         // bytes (files)
  int64_t mtime = 0;         // seconds since the Unix epoch (FAT stores local time: taken as UTC)
  uint8_t attr = 0;          // the attribute byte
  uint32_t stamp = 0;        // modification date << 16 | time, as stored
};

/// A FAT date and time as seconds since the Unix epoch (0 if unset).
int64_t unix_time(uint16_t date, uint16_t time);

class Volume {
 public:
  /// Read the boot sector at `lba` (of a volume `sectors` device blocks
  /// long); false when there is no FAT file system there.
  bool mount(hw::Block_device& dev, uint64_t lba, uint64_t sectors);
  /// Whether `sector` (512 bytes) is a FAT boot sector.
  static bool is_boot_sector(const uint8_t* sector);

  const char* type() const { return bits_ == 12 ? "FAT12" : bits_ == 16 ? "FAT16" : "FAT32"; }
  std::string label() const { return label_; }
  uint64_t bytes() const { return uint64_t(total_sectors_) * bytes_per_sector_; }
  uint32_t cluster_bytes() const { return cluster_bytes_; }
  hw::Block_device* device() const { return dev_; }
  uint32_t bytes_per_sector() const { return bytes_per_sector_; }
  uint32_t root_cluster() const { return root_cluster_; }

  Entry root() const;

  /// The entries of a folder, without the volume label, and without "."
  /// and ".." unless `dots`; 0 or -errno.
  int list(const Entry& dir, std::vector<Entry>& out, bool dots = false);
  /// The entry `name` in `dir`, compared without regard to ASCII case,
  /// by long or short name ("." and ".." where the folder has them); 0 or
  /// -errno (-ENOENT, -ENOTDIR, -EIO).
  int find(const Entry& dir, std::string_view name, Entry& out);

  /// Where the last read of a file ended, so that sequential reads do not
  /// walk the cluster chain from its start each time.
  struct Cursor {
    uint32_t index = 0;      // the cluster's position in the file
    uint32_t cluster = 0;    // 0: unknown
  };
  /// Up to `len` bytes at `off`; bytes read (0 at the end) or -EIO.
  long read(const Entry& file, uint64_t off, void* buf, size_t len, Cursor& cur);

 private:
  uint32_t next_cluster(uint32_t cluster);     // 0 at the end of a chain
  bool fat_bytes(uint64_t off, uint8_t* out, unsigned n);
  uint64_t cluster_offset(uint32_t cluster) const;
  int read_dir(const Entry& dir, std::vector<uint8_t>& raw);

  bool bytes(uint64_t off, size_t len, void* dst);   // relative to the volume

  hw::Block_device* dev_ = nullptr;
  uint64_t base_ = 0;                           // bytes, where the volume starts
  unsigned bits_ = 0;
  uint32_t bytes_per_sector_ = 0, cluster_bytes_ = 0;
  uint32_t total_sectors_ = 0;
  uint64_t fat_offset_ = 0, fat_size_ = 0;      // bytes, first FAT
  uint64_t root_offset_ = 0, root_size_ = 0;    // bytes, FAT12/16 root folder
  uint64_t data_offset_ = 0;                    // bytes, cluster 2
  uint32_t clusters_ = 0;                       // data clusters
  uint32_t root_cluster_ = 0;                   // FAT32
  std::string label_;
  std::vector<uint8_t> fat_;                    // the whole table when small
  std::vector<uint8_t> fat_window_;             // else one sector of it
  uint64_t fat_window_at_ = ~0ull;
};

}  // namespace ukbase::fat
