// The master boot record (IncludeOS's fs/mbr.hpp): its four partition
// entries and the names of partition types.
#pragma once

#include <cstdint>
#include <string>

namespace fs {

struct MBR {
  static constexpr int PARTITIONS = 4;
  /// Where the partition table starts in sector 0, and the signature.
  static constexpr int TABLE_OFFSET = 446;
  static constexpr uint16_t MAGIC = 0xAA55;

  /// "FAT32 (LBA)", "Linux", "Empty", ... ("Unknown" for other ids).
  static std::string id_to_name(uint8_t id);
};

}  // namespace fs
