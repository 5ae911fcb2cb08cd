// Pools of equally sized buffers, as IncludeOS's net::BufferStore:
// #include <net/buffer_store.hpp>
//
//   net::BufferStore store(100, 1520);      // 100 buffers of 1520 bytes
//   auto* buf = store.get_buffer();         // one (the store grows when empty)
//   store.release(buf);                     // back into the pool
//
// ukbase's network stack keeps its own buffers; this is for services and
// drivers that build packets themselves (net::Packet, <net/packet.hpp>).
// When every buffer is out, get_buffer() adds another pool of the same
// size, as IncludeOS chains another store: available() and
// total_buffers() count every pool. Releasing what is not a buffer of
// the store panics (Expects).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <expects>

namespace net {

class BufferStore {
 public:
  using buffer_t = uint8_t*;

  BufferStore(size_t num, size_t bufsize) : count_(num), bufsize_(bufsize)
  {
    Expects(num > 0 && bufsize > 0);
    grow();
  }
  BufferStore(const BufferStore&) = delete;
  BufferStore& operator=(const BufferStore&) = delete;

  /// A free buffer of bufsize() bytes.
  buffer_t get_buffer()
  {
    if (free_.empty())
      grow();
    buffer_t b = free_.back();
    free_.pop_back();
    return b;
  }

  void release(void* addr)
  {
    auto* b = static_cast<uint8_t*>(addr);
    Expects(is_buffer(b));
    free_.push_back(b);
  }

  /// Buffers of the first pool (what the constructor was given).
  size_t local_buffers() const noexcept { return count_; }
  size_t bufsize() const noexcept { return bufsize_; }
  /// Bytes of one pool.
  size_t poolsize() const noexcept { return count_ * bufsize_; }

  bool is_from_this_pool(const uint8_t* addr) const noexcept { return pool_of(addr) != nullptr; }
  /// True when `addr` is the start of one of the store's buffers.
  bool is_buffer(const uint8_t* addr) const noexcept
  {
    const uint8_t* pool = pool_of(addr);
    return pool && (addr - pool) % bufsize_ == 0;
  }

  size_t available() const noexcept { return free_.size(); }
  size_t total_buffers() const noexcept { return pools_.size() * count_; }

  /// (ukbase runs on one CPU.)
  void move_to_this_cpu() noexcept {}

 private:
  void grow()
  {
    pools_.emplace_back(new uint8_t[poolsize()]);
    uint8_t* pool = pools_.back().get();
    free_.reserve(free_.size() + count_);
    for (size_t i = count_; i-- > 0;)
      free_.push_back(pool + i * bufsize_);
  }

  const uint8_t* pool_of(const uint8_t* addr) const noexcept
  {
    for (const auto& p : pools_)
      if (addr >= p.get() && addr < p.get() + poolsize())
        return p.get();
    return nullptr;
  }

  size_t count_, bufsize_;
  std::vector<std::unique_ptr<uint8_t[]>> pools_;
  std::vector<uint8_t*> free_;
};

}  // namespace net
