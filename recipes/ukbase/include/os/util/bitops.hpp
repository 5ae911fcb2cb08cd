// Bit and alignment helpers, as IncludeOS's util/bitops.hpp (util::bits).
#pragma once

#include <cstdint>
#include <type_traits>

namespace util {
namespace bits {

/// Is `x` a power of two?
template <typename T>
constexpr bool is_pow2(T x) noexcept { return x && !(x & (x - 1)); }

/// `n` rounded up to a multiple of `align` (a power of two).
constexpr uintptr_t roundto(uintptr_t align, uintptr_t n) noexcept
{
  return (n + align - 1) & ~(align - 1);
}
template <uintptr_t Align>
constexpr uintptr_t roundto(uintptr_t n) noexcept { return roundto(Align, n); }

/// Is `n` a multiple of `align` (a power of two)?
constexpr bool is_aligned(uintptr_t align, uintptr_t n) noexcept { return (n & (align - 1)) == 0; }
template <uintptr_t Align>
constexpr bool is_aligned(uintptr_t n) noexcept { return is_aligned(Align, n); }

/// `n` rounded down to a multiple of `align`.
constexpr uintptr_t align_down(uintptr_t align, uintptr_t n) noexcept { return n & ~(align - 1); }

/// The index of the most (least) significant set bit, 1-based; 0 for 0.
constexpr int msbit(uintptr_t x) noexcept { return x ? 64 - __builtin_clzll(x) : 0; }
constexpr int lsbit(uintptr_t x) noexcept { return x ? __builtin_ctzll(x) + 1 : 0; }
/// `x` with only its most (least) significant set bit.
constexpr uintptr_t keepfirst(uintptr_t x) noexcept { return x ? uintptr_t(1) << (msbit(x) - 1) : 0; }
constexpr uintptr_t keeplast(uintptr_t x) noexcept { return x & (~x + 1); }
/// The number of set bits.
constexpr int bitcnt(uintptr_t x) noexcept { return __builtin_popcountll(x); }

}  // namespace bits
}  // namespace util
