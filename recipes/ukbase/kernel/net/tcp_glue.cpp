// The TCP engine (tcp/) in the kernel: its clock, random bytes and timer
// are the kernel's, its segments go out through IPv4 (Interface::send_ip)
// and come in from it here.
#include <cstdio>
#include <set>

#include <timers>

#include "kernel/clock.h"
#include "kernel/inet.hpp"
#include "kernel/kprint.h"
#include "kernel/memory.h"
#include "stack.hpp"
#include "tcp/tcp.hpp"

namespace ukbase::net {

namespace {

class Kernel_host final : public tcp::Host {
 public:
  uint64_t now_ns() override { return clock_monotonic_ns(); }
  void random(void* buf, size_t len) override { random_bytes(buf, len); }

  bool transmit(uint32_t src, uint32_t dst, size_t len, tcp::Segment_writer& w) override
  {
    Interface* i = route(dst, src);
    if (!i)
      return false;
    return i->send_ip(dst, PROTO_TCP, len, [&](uint8_t* out) { w.write(out); }, src);
  }

  uint32_t source_for(uint32_t dst) override
  {
    Interface* i = route(dst);
    return i ? i->address : 0;
  }

  uint16_t mss_for(uint32_t, uint32_t) override
  {
    return static_cast<uint16_t>(MTU - IP_HDR - 20);
  }

  bool is_local(uint32_t addr) override { return is_local_address(addr); }

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

tcp::Stack& tcp()
{
  if (!engine)
    engine = new tcp::Stack(host(), kernel_config());
  return *engine;
}

bool tcp_available() { return !all_interfaces().empty(); }

void tcp_receive(Interface& iface, const uint8_t* ip, const uint8_t* seg, size_t len)
{
  tcp::Stack& s = tcp();
  uint64_t refused = s.stats().refused_no_listener;
  s.input(get32(ip + 12), get32(ip + 16), seg, len);
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

void tcp_icmp_error(uint8_t type, uint8_t code, uint32_t next_mtu, const uint8_t* quoted,
                    size_t len)
{
  tcp::Stack& s = tcp();
  s.icmp_error(type, code, next_mtu, quoted, len);
  host().deadline_changed(s.next_deadline());
}

}  // namespace ukbase::net
