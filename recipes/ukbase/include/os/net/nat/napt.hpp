// Network address and port translation, as IncludeOS's net/nat/napt.hpp:
// net::nat::NAPT, over a Conntrack whose entries remember each flow's
// translation (its `second` tuple: what the replies look like).
//
//   auto ct = std::make_shared<Conntrack>();
//   eth0.enable_conntrack(ct); eth1.enable_conntrack(ct);
//   nat::NAPT napt{ct};
//   // masquerade: what leaves eth1 comes from eth1's address
//   eth1.ip_obj().postrouting_chain().chain.push_back(masq);     // napt.masquerade(*pkt, stack, ct)
//   eth1.ip_obj().prerouting_chain().chain.push_back(demasq);    // napt.demasquerade(*pkt, stack, ct)
//   // port forwarding: TCP to eth0:3389 goes to the server
//   ... napt.dnat(*pkt, ct, server_addr) in eth0's prerouting,
//   ... napt.snat(*pkt, ct) in eth0's postrouting (the replies' source back)
//
// Each call looks at the packet's direction in its entry: a translation
// is made on a flow's first packet, applied to the rest of the flow in
// the same direction, and the reverse one is applied to its replies.
// TCP, UDP and ICMP echo (its identifier as the port) are translated, with
// their checksums (RFC 1624); a packet without an entry is left alone.
#pragma once

#include <cstdint>
#include <memory>

#include <net/conntrack.hpp>
#include <net/ip4/ip4.hpp>
#include <net/socket.hpp>

namespace net {
class Inet;
}

namespace net::nat {

class NAPT {
 public:
  explicit NAPT(std::shared_ptr<Conntrack> ct);

  /// Source NAT to `stack`'s address and a port of its choosing, for a
  /// flow leaving through `stack` (its postrouting chain). The port is
  /// kept when no other flow to the same peer uses it.
  void masquerade(IP4::IP_packet& pkt, Inet& stack, Conntrack::Entry_ptr entry);
  /// The replies to a masqueraded flow, arriving at `stack` (its
  /// prerouting chain), go back to the flow's real source.
  void demasquerade(IP4::IP_packet& pkt, const Inet& stack, Conntrack::Entry_ptr entry);

  /// Destination NAT: the flow goes to `addr` (its port kept), to
  /// `sock`, or to `port` on its own destination address.
  void dnat(IP4::IP_packet& pkt, Conntrack::Entry_ptr entry, ip4::Addr addr);
  void dnat(IP4::IP_packet& pkt, Conntrack::Entry_ptr entry, Socket sock);
  void dnat(IP4::IP_packet& pkt, Conntrack::Entry_ptr entry, uint16_t port);
  /// The replies to a source-NATed flow go back to its real source.
  void dnat(IP4::IP_packet& pkt, Conntrack::Entry_ptr entry);

  /// Source NAT: the flow comes from `addr` (its port kept), `sock`, or
  /// `port` on its own source address.
  void snat(IP4::IP_packet& pkt, Conntrack::Entry_ptr entry, ip4::Addr addr);
  void snat(IP4::IP_packet& pkt, Conntrack::Entry_ptr entry, Socket sock);
  void snat(IP4::IP_packet& pkt, Conntrack::Entry_ptr entry, uint16_t port);
  /// The replies to a destination-NATed flow come from where the client
  /// sent it.
  void snat(IP4::IP_packet& pkt, Conntrack::Entry_ptr entry);

 private:
  enum class Side { SOURCE, DESTINATION };
  /// Translate a flow's first-direction packet's `side` to `to` (made
  /// once, on the flow's first packet), or its reply's other side back.
  void translate(IP4::IP_packet& pkt, Conntrack::Entry_ptr entry, Side side, Socket to);
  void restore(IP4::IP_packet& pkt, Conntrack::Entry_ptr entry, Side side);
  /// A port on `addr` for the replies from `peer` that no flow uses.
  uint16_t free_port(Protocol proto, Socket peer, ip4::Addr addr, uint16_t wanted);

  std::shared_ptr<Conntrack> ct_;
  uint16_t next_port_ = 0;
};

}  // namespace net::nat
