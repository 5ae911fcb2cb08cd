// Virtual memory, as IncludeOS's mem/vmap.hpp: the kernel's memory map
// (os::mem::vmmap()) and os::mem::map(), which maps address ranges.
//
//   auto m = os::mem::map({42_GiB, 42_GiB, os::mem::Access::read, 1_GiB}, "my range");
//   if (m) ...   // mapped, and in vmmap() under its start address
//
// ukbase identity-maps the first 4 GiB at boot (the kernel image, the page
// heap, devices); map() adds 2 MiB pages: `lin`, `phys` and `size` must be
// 2 MiB-aligned, and the range must be free in the page tables and in the
// memory map (Memory_range_exception otherwise). Access::write makes the
// pages writable; every page can be executed (no NX bit).
#pragma once

#include <cstdint>

#include <kernel/memmap.hpp>
#include <util/units.hpp>

namespace os::mem {

using ::Fixed_memory_range;
using ::Memory_map;

enum class Access : uint8_t { none = 0, read = 1, write = 2, execute = 4 };

constexpr Access operator|(Access a, Access b)
{
  return static_cast<Access>(static_cast<uint8_t>(a) | static_cast<uint8_t>(b));
}
constexpr Access operator&(Access a, Access b)
{
  return static_cast<Access>(static_cast<uint8_t>(a) & static_cast<uint8_t>(b));
}
constexpr bool has_flag(Access flags, Access flag) { return (flags & flag) == flag; }

/// A mapping: linear (virtual) address, physical address, access, size.
struct Map {
  uintptr_t lin = 0;
  uintptr_t phys = 0;
  Access flags = Access::none;
  size_t size = 0;
  size_t page_sizes = 0;     // the page sizes used, or-ed (here 2 MiB)

  Map() = default;
  Map(uintptr_t lin, uintptr_t phys, Access flags, size_t size, size_t page_sizes = 0)
      : lin(lin), phys(phys), flags(flags), size(size), page_sizes(page_sizes)
  {
  }
  explicit operator bool() const noexcept { return size != 0; }
};

/// The kernel's memory map.
Memory_map& vmmap();

/// Map `m` (2 MiB pages) and add it to vmmap() as `name`; the mapping made.
/// Throws Memory_range_exception when it is misaligned or overlaps.
Map map(Map m, const char* name = "os::mem::map");

/// The physical address `addr` maps to (identity below 4 GiB).
uintptr_t virt_to_phys(uintptr_t addr);

}  // namespace os::mem
