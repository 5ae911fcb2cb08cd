// Byte-size literals and a readable byte count, as IncludeOS's
// util/units.hpp:
//
//   using namespace util;
//   tcp.set_total_bufsize(64_MiB);
//   printf("%s\n", util::Byte_r(123456).to_string().c_str());   // "120.562 KiB"
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>

namespace util {
inline namespace literals {

constexpr uint64_t operator""_b(unsigned long long n) { return n; }
constexpr uint64_t operator""_KiB(unsigned long long n) { return n << 10; }
constexpr uint64_t operator""_MiB(unsigned long long n) { return n << 20; }
constexpr uint64_t operator""_GiB(unsigned long long n) { return n << 30; }
constexpr uint64_t operator""_TiB(unsigned long long n) { return n << 40; }

}  // namespace literals

/// A byte count printed in the largest binary unit that keeps it >= 1.
struct Byte_r {
  double bytes;

  template <typename T, typename = std::enable_if_t<std::is_arithmetic<T>::value>>
  constexpr Byte_r(T n) noexcept : bytes(static_cast<double>(n))
  {
  }

  std::string to_string() const
  {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    unsigned u = 0;
    while (v >= 1024.0 && u < 4) {
      v /= 1024.0;
      u++;
    }
    char buf[48];
    if (u == 0)
      std::snprintf(buf, sizeof buf, "%.0f %s", v, units[u]);
    else
      std::snprintf(buf, sizeof buf, "%.3f %s", v, units[u]);
    return buf;
  }
};

}  // namespace util
