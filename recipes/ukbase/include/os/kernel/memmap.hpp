// The kernel's memory map, as IncludeOS's kernel/memmap.hpp: named,
// non-overlapping address ranges (the kernel image, the page heap, what
// os::mem::map() mapped). os::mem::vmmap() (<mem/vmap.hpp>) is the map.
//
//   auto& map = os::mem::vmmap();
//   for (auto& [start, range] : map) printf("%s\n", range.to_string().c_str());
//   map.assign_range({begin, end, "my range"});   // throws on an overlap
//
// Ends are inclusive, as on IncludeOS: {0x1000, 0x1fff, "x"} is 4 KiB.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

#include <common>
#include <delegate>

struct Memory_range_exception : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Fixed_memory_range {
 public:
  using size_type = ptrdiff_t;
  using In_use_delg = delegate<size_type()>;

  /// [begin, end], both included; throws Memory_range_exception if end < begin.
  Fixed_memory_range(uintptr_t begin, uintptr_t end, const char* name,
                     const std::string& description = "N/A", In_use_delg in_use = nullptr)
      : begin_(begin), end_(end), name_(name ? name : ""), description_(description),
        in_use_(std::move(in_use))
  {
    if (end < begin || end - begin + 1 == 0
        || end - begin + 1 > static_cast<uintptr_t>(max_size()))
      throw Memory_range_exception("invalid memory range " + hex(begin) + " - " + hex(end)
                                   + " (" + name_ + ")");
  }

  static constexpr size_type max_size() noexcept { return PTRDIFF_MAX; }
  static constexpr bool is_valid_range(uintptr_t begin, uintptr_t end) noexcept
  {
    return begin <= end && end - begin + 1 != 0 && end - begin + 1 <= static_cast<uintptr_t>(max_size());
  }

  size_type size() const noexcept { return static_cast<size_type>(end_ - begin_ + 1); }
  const char* name() const noexcept { return name_.c_str(); }
  const std::string& description() const noexcept { return description_; }
  uintptr_t addr_start() const noexcept { return begin_; }
  uintptr_t addr_end() const noexcept { return end_; }
  bool in_range(uintptr_t addr) const noexcept { return addr >= begin_ && addr <= end_; }
  bool overlaps(const Fixed_memory_range& other) const noexcept
  {
    return begin_ <= other.end_ && other.begin_ <= end_;
  }
  void set_in_use_delg(In_use_delg in_use) { in_use_ = std::move(in_use); }
  /// The bytes really in use (the heap's, say); the whole range by default.
  size_type bytes_in_use() const { return in_use_ ? in_use_() : size(); }
  /// Grow or shrink to `size` bytes; the new size.
  ptrdiff_t resize(ptrdiff_t size)
  {
    if (size <= 0)
      throw Memory_range_exception("a memory range cannot shrink to nothing");
    end_ = begin_ + static_cast<uintptr_t>(size) - 1;
    return size;
  }

  std::string to_string() const
  {
    char line[160];
    std::snprintf(line, sizeof line, "0x%016lx - 0x%016lx %s (%s), %ld bytes in use of %ld",
                  static_cast<unsigned long>(begin_), static_cast<unsigned long>(end_),
                  name_.c_str(), description_.c_str(), static_cast<long>(bytes_in_use()),
                  static_cast<long>(size()));
    return line;
  }
  operator std::string() const { return to_string(); }

 private:
  static std::string hex(uintptr_t v)
  {
    char b[24];
    std::snprintf(b, sizeof b, "0x%lx", static_cast<unsigned long>(v));
    return b;
  }

  uintptr_t begin_, end_;
  std::string name_, description_;
  In_use_delg in_use_;
};

class Memory_map {
 public:
  using Key = uintptr_t;
  using Map = std::map<Key, Fixed_memory_range>;

  /// Add a range; throws Memory_range_exception when it overlaps one.
  Fixed_memory_range& assign_range(Fixed_memory_range&& range)
  {
    auto next = map_.lower_bound(range.addr_start());
    if (next != map_.end() && next->second.overlaps(range))
      throw Memory_range_exception(std::string("memory range ") + range.name() + " overlaps "
                                   + next->second.name());
    if (next != map_.begin() && std::prev(next)->second.overlaps(range))
      throw Memory_range_exception(std::string("memory range ") + range.name() + " overlaps "
                                   + std::prev(next)->second.name());
    return map_.emplace(range.addr_start(), std::move(range)).first->second;
  }

  /// The key (start address) of the range holding `addr`, or 0.
  Key in_range(Key addr) const
  {
    auto it = map_.upper_bound(addr);
    if (it == map_.begin())
      return 0;
    --it;
    return it->second.in_range(addr) ? it->first : 0;
  }

  Fixed_memory_range& at(Key key)
  {
    if (key == 0)
      throw Memory_range_exception("no memory range has the key 0");
    return map_.at(key);
  }
  const Fixed_memory_range& at(Key key) const
  {
    if (key == 0)
      throw Memory_range_exception("no memory range has the key 0");
    return map_.at(key);
  }

  /// Resize the range at `key`, if it does not run into the next one.
  ptrdiff_t resize(Key key, ptrdiff_t size)
  {
    auto& range = at(key);
    auto next = map_.upper_bound(key);
    if (size <= 0 || (next != map_.end()
                      && key + static_cast<uintptr_t>(size) - 1 >= next->second.addr_start()))
      throw Memory_range_exception(std::string("cannot resize ") + range.name());
    return range.resize(size);
  }

  auto size() const noexcept { return map_.size(); }
  auto empty() const noexcept { return map_.empty(); }
  const Map& map() const noexcept { return map_; }
  operator const Map&() const noexcept { return map_; }
  void erase(Key key) { map_.erase(key); }
  auto begin() noexcept { return map_.begin(); }
  auto end() noexcept { return map_.end(); }
  auto begin() const noexcept { return map_.begin(); }
  auto end() const noexcept { return map_.end(); }
  auto cbegin() const noexcept { return map_.cbegin(); }
  auto cend() const noexcept { return map_.cend(); }

 private:
  Map map_;
};
