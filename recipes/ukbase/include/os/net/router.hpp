// IP forwarding between a service's interfaces, as IncludeOS's
// net/router.hpp: net::Router<IP4> and its routing table.
//
//   Router<IP4>::Routing_table table{
//     {{10, 1, 0, 0}, {255, 255, 0, 0}, 0, eth0, 1},          // net, netmask, next hop, interface, cost
//     {{0, 0, 0, 0}, {0, 0, 0, 0}, {192, 1, 0, 254}, eth1, 10},  // a default route
//   };
//   static Router<IP4> router{table};
//   eth0.ip_obj().set_packet_forwarding(router.forward_delg());
//   eth1.ip_obj().set_packet_forwarding(router.forward_delg());
//
// forward() takes the most specific route (the longest netmask; the
// cheapest of those) for a packet's destination and ships the packet out
// of that route's interface, to the route's next hop (0: the destination
// itself, on that link). A packet whose TTL would reach 0 is dropped and
// answered with ICMP "time exceeded"; one without a route with
// "destination unreachable". The forward chain may drop or change
// packets before they are routed.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <debug>                     // debug(): IncludeOS's router code uses it
#include <delegate>
#include <net/conntrack.hpp>
#include <net/inet.hpp>
#include <net/ip4/ip4.hpp>
#include <net/netfilter.hpp>

namespace net {

template <typename IPV>
class Route {
 public:
  using Stack = Inet;
  using addr = typename IPV::addr;
  using IP_packet_ptr = typename IPV::IP_packet_ptr;

  Route(addr net, addr netmask, addr nexthop, Stack& iface, int cost = 100)
      : net_{net}, netmask_{netmask}, nexthop_{nexthop}, iface_{&iface}, cost_{cost} {}

  addr net() const noexcept { return net_; }
  addr netmask() const noexcept { return netmask_; }
  addr nexthop() const noexcept { return nexthop_; }
  /// Where a packet for `ip` goes on this route: the next hop, or `ip`
  /// itself when the route has none.
  addr nexthop(addr ip) const noexcept { return nexthop_ == 0 ? ip : nexthop_; }
  addr gateway() const noexcept { return nexthop_; }
  int cost() const noexcept { return cost_; }
  Stack* interface() const noexcept { return iface_; }

  bool match(addr dest) const noexcept { return (dest & netmask_) == (net_ & netmask_); }
  void ship(IP_packet_ptr pkt, Conntrack::Entry_ptr ct = nullptr)
  {
    auto hop = nexthop(pkt->ip_dst());
    iface_->ip_obj().ship(std::move(pkt), hop, ct);
  }
  /// "10.1.0.0/16 -> eth0 / 0.0.0.0, cost 1"
  std::string to_string() const
  {
    return net_.str() + "/" + std::to_string(__builtin_popcount(netmask_.whole)) + " -> "
           + iface_->ifname() + " / " + nexthop_.str() + ", cost " + std::to_string(cost_);
  }

  bool operator<(const Route& b) const noexcept { return cost_ < b.cost_; }
  bool operator==(const Route& b) const noexcept
  {
    return net_ == b.net_ && netmask_ == b.netmask_ && cost_ == b.cost_
           && nexthop_ == b.nexthop_ && iface_ == b.iface_;
  }

 private:
  addr net_;
  addr netmask_;
  addr nexthop_;
  Stack* iface_;
  int cost_;
};

template <typename IPV>
class Router {
 public:
  using Stack = Inet;
  using addr = typename IPV::addr;
  using IP_packet_ptr = typename IPV::IP_packet_ptr;
  using Forward_delg = delegate<void(IP_packet_ptr, Stack&, Conntrack::Entry_ptr)>;
  using Routing_table = std::vector<Route<IPV>>;

  explicit Router(Routing_table tbl = {}) : routing_table_{std::move(tbl)} {}

  /// Route a packet that `source` received and that is not for it (or
  /// that it made, when its stack forwards its own).
  void forward(IP_packet_ptr pkt, Stack& source, Conntrack::Entry_ptr ct)
  {
    if (!pkt)
      return;
    auto verdict = forward_chain(std::move(pkt), source, ct);
    if (verdict == Filter_verdict_type::DROP)
      return;
    pkt = verdict.release();
    if (pkt->ip_ttl() <= 1) {
      source.icmp().time_exceeded(std::move(pkt), 0 /* TTL exceeded in transit */);
      return;
    }
    pkt->decrement_ttl();
    auto* route = get_most_specific_route(pkt->ip_dst());
    if (!route) {
      source.icmp().destination_unreachable(std::move(pkt), 0 /* net unreachable */);
      return;
    }
    route->ship(std::move(pkt), ct);
  }
  /// forward() as the delegate IP4::set_packet_forwarding() takes.
  Forward_delg forward_delg() { return {this, &Router::forward}; }

  /// Is there a route for `dest`?
  bool route_check(addr dest) const { return get_first_route(dest) != nullptr; }
  /// The first route in the table that matches `dest`.
  const Route<IPV>* get_first_route(addr dest) const
  {
    for (auto& r : routing_table_)
      if (r.match(dest))
        return &r;
    return nullptr;
  }
  Route<IPV>* get_first_route(addr dest)
  {
    return const_cast<Route<IPV>*>(std::as_const(*this).get_first_route(dest));
  }
  /// The first matching route's interface, or nullptr.
  Stack* get_first_interface(addr dest)
  {
    auto* r = get_first_route(dest);
    return r ? r->interface() : nullptr;
  }
  /// The matching route with the longest netmask, the cheapest of those.
  Route<IPV>* get_most_specific_route(addr dest)
  {
    Route<IPV>* best = nullptr;
    for (auto& r : routing_table_) {
      if (!r.match(dest))
        continue;
      auto bits = __builtin_popcount(r.netmask().whole);
      if (!best || bits > __builtin_popcount(best->netmask().whole)
          || (bits == __builtin_popcount(best->netmask().whole) && r.cost() < best->cost()))
        best = &r;
    }
    return best;
  }
  /// The matching routes, cheapest first.
  Routing_table get_all_routes(addr dest) const
  {
    Routing_table out;
    for (auto& r : routing_table_)
      if (r.match(dest))
        out.push_back(r);
    std::stable_sort(out.begin(), out.end());
    return out;
  }
  Route<IPV>* get_cheapest_route(addr dest)
  {
    Route<IPV>* best = nullptr;
    for (auto& r : routing_table_)
      if (r.match(dest) && (!best || r.cost() < best->cost()))
        best = &r;
    return best;
  }

  void set_routing_table(Routing_table tbl) { routing_table_ = std::move(tbl); }
  const Routing_table& routing_table() const noexcept { return routing_table_; }
  /// One line per route.
  std::string to_string() const
  {
    std::string out;
    for (auto& r : routing_table_)
      out += r.to_string() + "\n";
    return out;
  }

  /// Filters every packet passes before it is routed.
  Filter_chain<IPV> forward_chain{"Forward", {}};

 private:
  Routing_table routing_table_;
};

}  // namespace net
