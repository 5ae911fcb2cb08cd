// The TCP engine (tcp/) in the kernel: its clock, random bytes and timer
// are the kernel's, its segments go out through IPv4 (Interface::send_ip)
// or IPv6 (Interface::send_ip6) and come in from them here.
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include <timers>

#include "kernel/clock.h"
#include "kernel/inet.hpp"
#include "kernel/kprint.h"
#include "kernel/memory.h"
#include "stack.hpp"
#include "tcp/tcp.hpp"

namespace ukbase::net {

namespace {

using Addr6 = Interface::Addr6;

// ---- IPv6 addresses as the engine's 32-bit ones --------------------------------------

constexpr uint32_t HANDLE_BASE = 0xF0000000u, HANDLE_MASK = 0xF8000000u;
constexpr size_t HANDLES_MAX = size_t(1) << 27;
constexpr size_t GC_FIRST = 1024;

struct Handles {
  std::map<std::array<uint8_t, 16>, uint32_t> by_addr;
  std::vector<std::array<uint8_t, 16>> addr;   // by index; an unused slot is in `free`
  std::vector<uint32_t> made;                  // by index: the collection it was made after
  std::vector<uint32_t> free;
  size_t gc_at = GC_FIRST;
  uint32_t collections = 0;
};

Handles& handles()
{
  static auto* h = new Handles;
  return *h;
}

void collect_handles();

// The interface that has `a` among its IPv6 addresses, or null.
Interface* owner6(const Addr6& a)
{
  for (auto& i : all_interfaces())
    for (auto& mine : i->addr6)
      if (mine == a)
        return i.get();
  return nullptr;
}

// The interface to send from `src` through: its owner; else the first
// with any IPv6 address.
Interface* route6(const Addr6& src)
{
  if (Interface* i = owner6(src))
    return i;
  for (auto& i : all_interfaces())
    if (!i->addr6.empty())
      return i.get();
  return nullptr;
}

class Kernel_host final : public tcp::Host {
 public:
  uint64_t now_ns() override { return clock_monotonic_ns(); }
  void random(void* buf, size_t len) override { random_bytes(buf, len); }

  bool transmit(uint32_t src, uint32_t dst, size_t len, tcp::Segment_writer& w) override
  {
    if (tcp6_is_handle(dst))
      return transmit6(src, dst, len, w);
    Interface* i = route(dst, src);
    if (!i)
      return false;
    return i->send_ip(dst, PROTO_TCP, len, [&](uint8_t* out) { w.write(out); }, src);
  }

  uint32_t source_for(uint32_t dst) override
  {
    Addr6 to, from;
    if (tcp6_address(dst, to.b)) {
      for (auto& i : all_interfaces())
        if (i->source6_for(to, from))
          return tcp6_handle(from.b);
      return 0;
    }
    Interface* i = route(dst);
    return i ? i->address : 0;
  }

  uint16_t mss_for(uint32_t, uint32_t dst) override
  {
    size_t ip = tcp6_is_handle(dst) ? IP6_HDR : IP_HDR;
    return static_cast<uint16_t>(MTU - ip - 20);
  }

  bool is_local(uint32_t addr) override
  {
    Addr6 a;
    if (tcp6_address(addr, a.b))
      return owner6(a) != nullptr;
    return is_local_address(addr);
  }

  void deadline_changed(uint64_t deadline) override
  {
    // One kernel timer, for the engine's earliest deadline. A later (or
    // no) deadline keeps the armed timer: it fires early, finds nothing
    // due and re-arms, which is cheaper than re-arming on every ACK.
    if (timer_ >= 0) {
      if (!deadline || deadline >= armed_)
        return;
      Timers::stop(timer_);
      timer_ = -1;
    }
    armed_ = deadline;
    if (!deadline)
      return;
    uint64_t now = clock_monotonic_ns();
    auto delay = std::chrono::nanoseconds(deadline > now ? deadline - now : 0);
    timer_ = Timers::oneshot(delay, [this](Timers::id_t) {
      timer_ = -1;
      armed_ = 0;
      stack().on_timer();
      deadline_changed(stack().next_deadline());
    });
  }

  void log(const char* line) override { kprintf("     [ TCP ] %s\n", line); }

  tcp::Stack& stack();

 private:
  // The segment is written whole, then its checksum is made again over
  // IPv6's pseudo-header (the engine's covered the handles).
  bool transmit6(uint32_t src, uint32_t dst, size_t len, tcp::Segment_writer& w)
  {
    Addr6 from, to;
    if (!tcp6_address(src, from.b) || !tcp6_address(dst, to.b))
      return false;
    Interface* i = route6(from);
    if (!i)
      return false;
    std::vector<uint8_t> seg(len);
    w.write(seg.data());
    seg[16] = seg[17] = 0;
    put16(seg.data() + 16, checksum6(from, to, PROTO_TCP, seg.data(), len));
    return i->send_ip6(from, to, PROTO_TCP, seg.data(), len);
  }

  Timers::id_t timer_ = -1;
  uint64_t armed_ = 0;
};

Kernel_host& host()
{
  static auto* h = new Kernel_host;
  return *h;
}

tcp::Config kernel_config()
{
  tcp::Config c;
  // A quarter of the heap for TCP buffers, at most 256 MiB: a 128 MiB
  // service gets about 30 MiB, enough for a hundred busy connections.
  size_t quarter = memory_heap_bytes() / 4;
  c.memory_limit = quarter < (256u << 20) ? quarter : (256u << 20);
  return c;
}

tcp::Stack* engine = nullptr;

// Ports whose refusal was reported on the console (once each).
std::set<uint16_t>& reported_ports()
{
  static auto* s = new std::set<uint16_t>;
  return *s;
}

}  // namespace

tcp::Stack& Kernel_host::stack() { return tcp(); }

namespace {

// Handles no connection, listener or reservation refers to are given back
// when the table has doubled since the last look; not those made since
// then, which a caller may hold without the engine knowing them yet.
void collect_handles()
{
  Handles& h = handles();
  std::vector<bool> used(h.addr.size());
  if (engine)
    for (uint32_t a : engine->addresses_in_use())
      if (tcp6_is_handle(a) && a - HANDLE_BASE < used.size())
        used[a - HANDLE_BASE] = true;
  std::vector<bool> is_free(h.addr.size());
  for (uint32_t index : h.free)
    is_free[index] = true;
  for (uint32_t index = 0; index < h.addr.size(); index++)
    if (!used[index] && !is_free[index] && h.made[index] != h.collections) {
      h.by_addr.erase(h.addr[index]);
      h.free.push_back(index);
    }
  h.collections++;
  size_t live = h.addr.size() - h.free.size();
  h.gc_at = live * 2 > GC_FIRST ? live * 2 : GC_FIRST;
}

}  // namespace

tcp::Stack& tcp()
{
  if (!engine)
    engine = new tcp::Stack(host(), kernel_config());
  return *engine;
}

bool tcp_available() { return !all_interfaces().empty(); }

bool tcp6_is_handle(uint32_t addr) { return (addr & HANDLE_MASK) == HANDLE_BASE; }

uint32_t tcp6_handle(const uint8_t addr[16])
{
  Handles& h = handles();
  std::array<uint8_t, 16> key;
  std::memcpy(key.data(), addr, 16);
  auto it = h.by_addr.find(key);
  if (it != h.by_addr.end())
    return it->second;
  if (h.by_addr.size() >= h.gc_at)
    collect_handles();
  uint32_t index;
  if (!h.free.empty()) {
    index = h.free.back();
    h.free.pop_back();
    h.addr[index] = key;
    h.made[index] = h.collections;
  } else if (h.addr.size() < HANDLES_MAX) {
    index = static_cast<uint32_t>(h.addr.size());
    h.addr.push_back(key);
    h.made.push_back(h.collections);
  } else {
    return 0;                                      // 2^27 peers at once: none to spare
  }
  uint32_t handle = HANDLE_BASE + index;
  h.by_addr.emplace(key, handle);
  return handle;
}

bool tcp6_address(uint32_t handle, uint8_t out[16])
{
  Handles& h = handles();
  uint32_t index = handle - HANDLE_BASE;
  if (!tcp6_is_handle(handle) || index >= h.addr.size())
    return false;
  std::memcpy(out, h.addr[index].data(), 16);
  return true;
}

void tcp_receive(Interface& iface, const uint8_t* ip, const uint8_t* seg, size_t len)
{
  uint32_t src = get32(ip + 12);
  if (tcp6_is_handle(src)) {
    iface.rx_dropped++;                            // 240.0.0.0/5: reserved, and ours
    return;
  }
  tcp::Stack& s = tcp();
  uint64_t refused = s.stats().refused_no_listener;
  s.input(src, get32(ip + 16), seg, len);
  if (s.stats().refused_no_listener != refused && len >= 4) {
    // A connection to a port nobody listens on: say so once per port, so
    // a port forward to the wrong port is easy to see.
    uint16_t port = get16(seg + 2);
    if (reported_ports().insert(port).second)
      kprintf("     [ TCP ] %s: connection to port %u refused: nothing listens there\n",
              iface.name.c_str(), port);
  }
  host().deadline_changed(s.next_deadline());
}

void tcp6_receive(Interface& iface, const uint8_t* ip, const uint8_t* seg, size_t len)
{
  Addr6 src, dst;
  std::memcpy(src.b, ip + 8, 16);
  std::memcpy(dst.b, ip + 24, 16);
  if (len < 20 || checksum6(src, dst, PROTO_TCP, seg, len) != 0) {
    iface.rx_dropped++;
    return;
  }
  uint32_t from = tcp6_handle(src.b), to = tcp6_handle(dst.b);
  if (!from || !to) {
    iface.rx_dropped++;
    return;
  }
  tcp::Stack& s = tcp();
  s.input(from, to, seg, len, true);
  host().deadline_changed(s.next_deadline());
}

void tcp_icmp_error(uint8_t type, uint8_t code, uint32_t next_mtu, const uint8_t* quoted,
                    size_t len)
{
  tcp::Stack& s = tcp();
  s.icmp_error(type, code, next_mtu, quoted, len);
  host().deadline_changed(s.next_deadline());
}

}  // namespace ukbase::net
