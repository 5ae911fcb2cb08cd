// A network packet laid out in one buffer, as IncludeOS's net::Packet:
// #include <net/packet.hpp>
//
//   auto* p = new (store.get_buffer()) net::Packet(0, 0, store.bufsize(), &store);
//   net::Packet_ptr packet(p);     // deleting it gives the buffer back
//   packet->chain(std::move(next));
//
// The Packet object sits at the front of its buffer and the bytes follow
// it (buf()). Offsets are relative to buf(): where the current protocol
// layer begins, where the data ends, where the buffer ends. Deleting a
// Packet releases its buffer to its BufferStore (or, without one, frees
// it as an array of bytes) and deletes the packets chained to it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include <expects>
#include <net/buffer_store.hpp>

namespace net {

class Packet;
using Packet_ptr = std::unique_ptr<Packet>;

class Packet {
 public:
  using Byte = uint8_t;
  using Byte_ptr = Byte*;

  Packet(int offs_layer_begin, int offs_data_end, int offs_buffer_end, BufferStore* bufstore) noexcept
      : layer_begin_(buf() + offs_layer_begin), data_end_(layer_begin_ + offs_data_end),
        buffer_end_(buf() + offs_buffer_end), bufstore_(bufstore)
  {
    Expects(offs_layer_begin >= 0 && layer_begin_ <= buffer_end_ && data_end_ <= buffer_end_);
  }
  /// The chain goes with it, one packet after the other (a long chain
  /// does not recurse); the buffer goes back in operator delete.
  ~Packet()
  {
    Packet_ptr p = std::move(chain_);
    while (p) {
      Packet_ptr next = std::move(p->chain_);
      p = std::move(next);
    }
  }

  Packet(const Packet&) = delete;
  Packet& operator=(const Packet&) = delete;

  Byte_ptr buf() noexcept { return data_; }
  const Byte* buf() const noexcept { return data_; }
  Byte_ptr layer_begin() const noexcept { return layer_begin_; }
  Byte_ptr data_end() const noexcept { return data_end_; }
  const Byte* buffer_end() const noexcept { return buffer_end_; }

  /// Bytes from the current layer's beginning to the data's end.
  int size() const noexcept { return static_cast<int>(data_end_ - layer_begin_); }
  /// Bytes from the current layer's beginning to the buffer's end.
  int capacity() const noexcept { return static_cast<int>(buffer_end_ - layer_begin_); }
  /// Bytes of the whole buffer, whatever the layer.
  int bufsize() const noexcept { return static_cast<int>(buffer_end_ - data_); }

  /// Move the layer's beginning (to a header further in, or back out).
  void increment_layer_begin(int i)
  {
    Byte_ptr to = layer_begin_ + i;
    Expects(to >= buf() && to <= buffer_end_);
    layer_begin_ = to;
    data_end_ = std::max(to, data_end_);
  }

  void set_payload_offset(int offset) noexcept
  {
    Expects(offset >= 0 && layer_begin_ + offset < buffer_end_);
    payload_ = layer_begin_ + offset;
  }
  void increment_payload_offset(int offset) noexcept
  {
    payload_ += offset;
    Expects(payload_ >= layer_begin_ && payload_ < buffer_end_);
  }
  Byte_ptr payload() const noexcept { return payload_; }
  int payload_length() const noexcept { return static_cast<int>(data_end_ - payload_); }

  /// Data end (write position) as an offset from the layer's beginning.
  void set_data_end(int offset)
  {
    Expects(offset >= 0 && layer_begin_ + offset <= buffer_end_);
    data_end_ = layer_begin_ + offset;
  }
  void increment_data_end(int i)
  {
    Expects(i > 0 && data_end_ + i <= buffer_end_);
    data_end_ += i;
  }

  /// Append `p` (and what is chained to it) at the end of this chain.
  void chain(Packet_ptr p) noexcept
  {
    Expects(p != nullptr && p.get() != this);
    Packet* end = this;
    while (end->chain_)
      end = end->chain_.get();
    end->chain_ = std::move(p);
  }
  /// Packets in the chain, this one included.
  int chain_length() const noexcept
  {
    int n = 1;
    for (const Packet* p = chain_.get(); p; p = p->chain_.get())
      n++;
    return n;
  }
  /// The chain's last packet (nullptr when nothing is chained).
  Packet* last_in_chain() noexcept
  {
    Packet* p = chain_.get();
    while (p && p->chain_)
      p = p->chain_.get();
    return p;
  }
  /// The chain after this packet.
  Packet* tail() noexcept { return chain_.get(); }
  /// The chain after this packet, taken off it (first in, first out).
  Packet_ptr detach_tail() noexcept { return std::move(chain_); }

  static void operator delete(void* addr)
  {
    auto* p = static_cast<Packet*>(addr);
    if (p->bufstore_)
      p->bufstore_->release(addr);
    else
      delete[] static_cast<uint8_t*>(addr);
  }

 private:
  Byte_ptr layer_begin_;
  Byte_ptr data_end_;
  Byte_ptr payload_ = nullptr;
  const Byte* const buffer_end_;
  Packet_ptr chain_;
  BufferStore* bufstore_;
  alignas(8) Byte data_[0];
};

}  // namespace net
