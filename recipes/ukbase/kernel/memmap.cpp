// os::mem::vmmap() and os::mem::map() (mem/vmap.hpp).
#include <mem/vmap.hpp>

#include <cerrno>

#include "kernel/arch.h"
#include "kernel/memory.h"

extern "C" char __image_start[], __etext[], _end[];   // linker.ld

namespace os::mem {

namespace {

std::map<uintptr_t, uintptr_t>& mapped_phys()   // lin -> phys of what map() mapped
{
  static std::map<uintptr_t, uintptr_t> m;
  return m;
}

}  // namespace

Memory_map& vmmap()
{
  static Memory_map map = [] {
    Memory_map m;
    auto start = reinterpret_cast<uintptr_t>(__image_start);
    auto etext = reinterpret_cast<uintptr_t>(__etext);
    auto end = reinterpret_cast<uintptr_t>(_end);
    m.assign_range({0x1000, start - 1, "Low memory", "identity-mapped, below the kernel"});
    m.assign_range({start, etext - 1, "Kernel code", "the kernel image's text"});
    m.assign_range({etext, end - 1, "Kernel data", "read-only data, data, bss"});
    uintptr_t heap = memory_heap_start(), top = heap + memory_heap_bytes();
    if (heap >= end && top > heap)
      m.assign_range({heap, top - 1, "Page heap", "RAM after the kernel image",
                      [] { return static_cast<Fixed_memory_range::size_type>(memory_used_bytes()); }});
    return m;
  }();
  return map;
}

Map map(Map m, const char* name)
{
  constexpr size_t page = 2u << 20;
  if (!m.size || (m.lin | m.phys | m.size) % page)
    throw Memory_range_exception("os::mem::map: lin, phys and size must be 2 MiB-aligned");
  auto& map = vmmap();
  // the memory map first: it refuses any overlap (throws) before a page changes
  map.assign_range(Fixed_memory_range{m.lin, m.lin + m.size - 1, name, "os::mem::map"});
  int err = arch_map_2m(m.lin, m.phys, m.size, has_flag(m.flags, Access::write));
  if (err) {
    map.erase(m.lin);
    throw Memory_range_exception(std::string("os::mem::map: ") + name + ": "
                                 + (err == -EEXIST ? "already mapped"
                                    : err == -ENOMEM ? "no memory for page tables"
                                                     : "not a range that can be mapped"));
  }
  mapped_phys()[m.lin] = m.phys;
  m.page_sizes = page;
  return m;
}

uintptr_t virt_to_phys(uintptr_t addr)
{
  auto& mapped = mapped_phys();
  auto it = mapped.upper_bound(addr);
  if (it != mapped.begin()) {
    --it;
    auto key = vmmap().in_range(addr);
    if (key == it->first)
      return it->second + (addr - it->first);
  }
  return addr;
}

}  // namespace os::mem
