// IPv4, as IncludeOS's net/ip4/ip4.hpp: net::IP4's constants (ADDR_ANY,
// ADDR_BCAST) and a stack's IPv4 layer, inet.ip_obj(), with the packet
// filter chains and forwarding of IncludeOS's:
//
//   eth0.ip_obj().set_packet_forwarding(router->forward_delg());
//   eth0.ip_obj().prerouting_chain().chain.push_back(filter);
//   eth1.ip_obj().ship(std::move(pkt));          // send a packet on eth1
//
// The kernel does the IPv4 work (checksums, fragments, ARP). Packets pass
// through this layer only once a stack uses it (a chain asked for, a
// forwarding delegate, enable_conntrack()): then each one the stack
// receives goes through conntrack, prerouting and then, if it is for one
// of the stack's addresses, input before it is delivered, or to the
// forwarding delegate (dropped without one); each one the stack sends
// goes through output and then the forwarding delegate when there is one
// (a router's stacks route their own packets, as on IncludeOS), else
// ship(). ship() delivers a packet for the stack's own address back to
// it, else runs postrouting and sends it to `next_hop` (0: by the
// stack's subnet and gateway).
#pragma once

#include <cstdint>
#include <memory>

#include <delegate>
#include <net/conntrack.hpp>
#include <net/ip4/addr.hpp>
#include <net/ip4/packet_ip4.hpp>
#include <net/netfilter.hpp>

namespace net {

class Inet;

class IP4 {
 public:
  using addr = ip4::Addr;
  using Stack = Inet;
  using IP_packet = PacketIP4;
  using IP_packet_ptr = std::unique_ptr<PacketIP4>;
  using Forward_delg = delegate<void(IP_packet_ptr, Inet&, Conntrack::Entry_ptr)>;

  static inline const ip4::Addr ADDR_ANY{0};
  static inline const ip4::Addr ADDR_BCAST{255, 255, 255, 255};
  /// The IPv4 header this stack sends (no options).
  static constexpr uint16_t header_size = 20;

  explicit IP4(Inet& stack);
  ~IP4();
  IP4(const IP4&) = delete;
  IP4& operator=(const IP4&) = delete;

  Filter_chain<IP4>& prerouting_chain();
  Filter_chain<IP4>& input_chain();
  Filter_chain<IP4>& output_chain();
  Filter_chain<IP4>& postrouting_chain();

  /// Packets not for this stack go to `fwd` (a Router's forward_delg()).
  void set_packet_forwarding(Forward_delg fwd);
  const Forward_delg& packet_forwarding() const noexcept;

  /// A packet that reached this stack: conntrack, prerouting, then
  /// input and delivery, or forwarding.
  void receive(IP_packet_ptr pkt, bool link_bcast = false);
  /// Send a packet out of this stack (see above).
  void ship(IP_packet_ptr pkt, addr next_hop = 0, Conntrack::Entry_ptr ct = nullptr);
  /// One of the stack's addresses, or a broadcast it hears?
  bool is_for_me(addr a) const;

  uint64_t get_packets_rx() const noexcept { return packets_rx_; }
  uint64_t get_packets_tx() const noexcept { return packets_tx_; }
  uint64_t get_packets_dropped() const noexcept { return packets_dropped_; }

  /// The stack's packets are tracked (Inet::enable_conntrack).
  void conntrack_enabled();
  /// Send a packet as one this stack made: output, then forwarding or ship().
  void transmit(IP_packet_ptr pkt);

 private:
  struct Impl;
  void hook();
  bool output(IP_packet_ptr pkt);
  Inet& stack_;
  std::unique_ptr<Impl> impl_;
  uint64_t packets_rx_ = 0, packets_tx_ = 0, packets_dropped_ = 0;
};

}  // namespace net
