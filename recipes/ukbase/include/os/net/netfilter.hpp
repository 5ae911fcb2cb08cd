// Packet filters, as IncludeOS's net/netfilter.hpp: the chains a stack's
// IPv4 packets pass through (IP4's prerouting, input, output and
// postrouting chains, a Router's forward chain).
//
//   eth0.ip_obj().prerouting_chain().chain.push_back(
//     [](IP4::IP_packet_ptr pkt, Inet& stack, Conntrack::Entry_ptr ct) -> Filter_verdict<IP4> {
//       if (pkt->ip_src() == blocked) return {std::move(pkt), Filter_verdict_type::DROP};
//       return {std::move(pkt), Filter_verdict_type::ACCEPT};
//     });
//
// A chain runs its filters in order; the first DROP ends it. A filter may
// change the packet (the NAT does) or hand on another one.
#pragma once

#include <list>
#include <memory>
#include <utility>

#include <delegate>
#include <net/conntrack.hpp>

namespace net {

class Inet;

enum class Filter_verdict_type { DROP, ACCEPT };

template <typename IPV>
struct Filter_verdict {
  using IP_packet_ptr = typename IPV::IP_packet_ptr;

  Filter_verdict(IP_packet_ptr pkt, Filter_verdict_type v) noexcept
      : packet(std::move(pkt)), verdict(v) {}

  IP_packet_ptr release() noexcept { return std::move(packet); }
  bool operator==(Filter_verdict_type v) const noexcept { return verdict == v; }
  bool operator!=(Filter_verdict_type v) const noexcept { return verdict != v; }

  IP_packet_ptr packet;
  Filter_verdict_type verdict;
};

template <typename IPV>
using Packetfilter =
    delegate<Filter_verdict<IPV>(typename IPV::IP_packet_ptr, Inet&, Conntrack::Entry_ptr)>;

template <typename IPV>
struct Filter_chain {
  using IP_packet_ptr = typename IPV::IP_packet_ptr;

  Filter_chain(const char* chain_name, std::list<Packetfilter<IPV>> filters)
      : chain(std::move(filters)), name(chain_name) {}

  /// Run the filters in order, until one drops the packet.
  Filter_verdict<IPV> operator()(IP_packet_ptr pkt, Inet& stack, Conntrack::Entry_ptr ct)
  {
    Filter_verdict<IPV> out{std::move(pkt), Filter_verdict_type::ACCEPT};
    for (auto& filter : chain) {
      out = filter(out.release(), stack, ct);
      if (out.verdict == Filter_verdict_type::DROP || !out.packet)
        return {out.release(), Filter_verdict_type::DROP};
    }
    return out;
  }

  bool empty() const noexcept { return chain.empty(); }

  std::list<Packetfilter<IPV>> chain;
  const char* name;
};

}  // namespace net
