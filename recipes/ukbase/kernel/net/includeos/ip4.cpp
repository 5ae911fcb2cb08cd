// IncludeOS's IPv4 layer, inet.ip_obj(): the filter chains and forwarding
// over the kernel's IPv4 (kernel/net/interface.cpp). Packets take this way
// only once a stack uses it (hook()): the kernel then hands each IPv4
// packet the interface receives or makes to Impl, which runs the chains
// and hands it back (ip_input(), send_packet()) or forwards it.
#include <net/inet.hpp>
#include <net/interfaces.hpp>
#include <net/ip4/ip4.hpp>

#include "../stack.hpp"
#include "kernel/inet.hpp"

namespace knet = ukbase::net;

namespace net {

namespace {

knet::Interface* kernel_iface(const Inet& stack) { return knet::interface(stack.index()); }

/// The bytes of a packet the kernel takes: its header's total length, at most what it holds.
size_t wire_length(const PacketIP4& pkt)
{
  return std::min<size_t>(pkt.ip_total_length(), static_cast<size_t>(pkt.size()));
}

/// Run `chain`: the packet it passes, or nullptr when it dropped it.
IP4::IP_packet_ptr run(Filter_chain<IP4>& chain, IP4::IP_packet_ptr pkt, Inet& stack,
                       Conntrack::Entry_ptr entry)
{
  auto res = chain(std::move(pkt), stack, entry);
  return res == Filter_verdict_type::DROP ? nullptr : res.release();
}

}  // namespace

struct IP4::Impl final : knet::Ip4_hooks {
  explicit Impl(IP4& ip) : ip4(ip) {}

  void received(knet::Interface&, const uint8_t* ip, size_t len) override
  {
    ip4.receive(PacketIP4::make(ip, len));
  }
  bool sending(knet::Interface&, const uint8_t* ip, size_t len) override
  {
    return ip4.output(PacketIP4::make(ip, len));
  }

  IP4& ip4;
  Filter_chain<IP4> prerouting{"Prerouting", {}};
  Filter_chain<IP4> input{"Input", {}};
  Filter_chain<IP4> output{"Output", {}};
  Filter_chain<IP4> postrouting{"Postrouting", {}};
  Forward_delg forward;
  knet::Interface* hooked = nullptr;
};

IP4::IP4(Inet& stack) : stack_(stack), impl_(std::make_unique<Impl>(*this)) {}

IP4::~IP4()
{
  if (impl_->hooked && impl_->hooked->hooks4 == impl_.get())
    impl_->hooked->hooks4 = nullptr;
}

void IP4::hook()
{
  if (impl_->hooked)
    return;
  impl_->hooked = kernel_iface(stack_);
  if (impl_->hooked)
    impl_->hooked->hooks4 = impl_.get();
}

// A chain asked for is a chain about to be filled: the packets come this way.
Filter_chain<IP4>& IP4::prerouting_chain()
{
  hook();
  return impl_->prerouting;
}

Filter_chain<IP4>& IP4::input_chain()
{
  hook();
  return impl_->input;
}

Filter_chain<IP4>& IP4::output_chain()
{
  hook();
  return impl_->output;
}

Filter_chain<IP4>& IP4::postrouting_chain()
{
  hook();
  return impl_->postrouting;
}

void IP4::set_packet_forwarding(Forward_delg fwd)
{
  impl_->forward = std::move(fwd);
  hook();
}

const IP4::Forward_delg& IP4::packet_forwarding() const noexcept { return impl_->forward; }

void IP4::conntrack_enabled() { hook(); }

bool IP4::is_for_me(addr a) const
{
  if (!stack_.is_configured())
    return true;                             // everything, while DHCP asks (as the kernel)
  return a == stack_.ip_addr() || a == stack_.broadcast_addr() || a == ADDR_BCAST
         || (a.whole >> 28) == 0xE;          // multicast
}

void IP4::receive(IP_packet_ptr pkt, bool)
{
  if (!pkt)
    return;
  packets_rx_++;
  auto& ct = stack_.conntrack();
  Conntrack::Entry_ptr entry = ct ? ct->in(*pkt) : nullptr;
  if (!(pkt = run(impl_->prerouting, std::move(pkt), stack_, entry))) {
    packets_dropped_++;
    return;
  }
  if (is_for_me(pkt->ip_dst())) {
    if (ct)
      ct->confirm(entry);        // the flow's entry, whatever prerouting made of the packet
    if (!(pkt = run(impl_->input, std::move(pkt), stack_, entry))) {
      packets_dropped_++;
      return;
    }
    if (auto* iface = kernel_iface(stack_))
      iface->ip_input(pkt->layer_begin(), wire_length(*pkt));
    return;
  }
  if (impl_->forward) {
    impl_->forward(std::move(pkt), stack_, entry);
    return;
  }
  packets_dropped_++;
}

bool IP4::output(IP_packet_ptr pkt)
{
  auto& ct = stack_.conntrack();
  Conntrack::Entry_ptr entry = ct ? ct->in(*pkt) : nullptr;
  if (!(pkt = run(impl_->output, std::move(pkt), stack_, entry))) {
    packets_dropped_++;
    return false;
  }
  if (impl_->forward)
    impl_->forward(std::move(pkt), stack_, entry);   // a router's stack routes its own packets
  else
    ship(std::move(pkt), 0, entry);
  return true;
}

void IP4::transmit(IP_packet_ptr pkt)
{
  if (pkt)
    output(std::move(pkt));
}

void IP4::ship(IP_packet_ptr pkt, addr next_hop, Conntrack::Entry_ptr entry)
{
  if (!pkt)
    return;
  if (stack_.is_configured() && pkt->ip_dst() == stack_.ip_addr()) {
    receive(std::move(pkt));                 // for this stack: right back
    return;
  }
  if (auto& ct = stack_.conntrack())
    entry = entry ? ct->confirm(entry) : ct->confirm(*pkt);
  if (!(pkt = run(impl_->postrouting, std::move(pkt), stack_, entry))) {
    packets_dropped_++;
    return;
  }
  auto* iface = kernel_iface(stack_);
  if (iface && iface->send_packet(pkt->layer_begin(), wire_length(*pkt), next_hop.whole))
    packets_tx_++;
  else
    packets_dropped_++;
}

// ---- the stack's side ---------------------------------------------------------

void Inet::enable_conntrack(std::shared_ptr<Conntrack> ct)
{
  conntrack_ = std::move(ct);
  ip4_.conntrack_enabled();
}

Inet& Inet::stack_at(int N) { return Interfaces::get(N); }

void Inet::set_route_checker(Route_checker checker)
{
  auto* iface = kernel_iface(*this);
  if (!iface)
    return;
  if (checker)
    iface->proxy_arp = [checker](uint32_t ip) { return checker(ip4::Addr(ip)); };
  else
    iface->proxy_arp = nullptr;
}

namespace {

void icmp_error(Inet& stack, const PacketIP4& pkt, uint8_t type, uint8_t code)
{
  if (auto* iface = kernel_iface(stack))
    iface->icmp_error(pkt.layer_begin(), type, code);
}

}  // namespace

void ICMPv4::time_exceeded(std::unique_ptr<PacketIP4> pkt, uint8_t code)
{
  if (pkt)
    icmp_error(stack_, *pkt, 11, code);
}

void ICMPv4::destination_unreachable(std::unique_ptr<PacketIP4> pkt, uint8_t code)
{
  if (pkt)
    icmp_error(stack_, *pkt, 3, code);
}

}  // namespace net
