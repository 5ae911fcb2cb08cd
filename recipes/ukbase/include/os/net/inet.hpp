// One network interface with its protocols, as IncludeOS's net/inet.hpp:
// net::Inet, from net::Interfaces::get(N).
//
//   auto& inet = net::Interfaces::get(0);
//   inet.network_config({10, 0, 0, 42}, {255, 255, 255, 0}, {10, 0, 0, 1});
//   auto& sock = inet.udp().bind(4242);
//   inet.tcp().listen(80).on_connect(...);
//
// The addresses are the kernel's: an interface is configured at boot from
// [build] config's "net" part (or gets QEMU user networking's defaults),
// before Service::start(); network_config() and negotiate_dhcp() change
// them later, for the POSIX socket API as well. on_config handlers run
// (once, then they are dropped) at the next configuration: a handler
// registered after the interface was configured waits for the next one,
// as on IncludeOS.
//
// ip_obj() is the stack's IPv4 layer as IncludeOS has it: packet filter
// chains, forwarding between stacks and ship() (net/ip4/ip4.hpp, with
// net/router.hpp, net/conntrack.hpp and net/nat/napt.hpp).
//
// IPv6: addresses are kept (add_addr, network_config6, addr6_config())
// and answered for on the link: neighbour discovery, pings, UDP (bind6)
// and TCP (connect to an IPv6 socket; listen(port) also on the stack's
// IPv6 addresses, those added later too). No routers: an IPv6 peer must
// be on the link.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <delegate>
#include <hw/mac_addr.hpp>
#include <hw/nic.hpp>
#include <info>
#include <net/addr.hpp>
#include <net/conntrack.hpp>
#include <net/dhcp/dh4client.hpp>
#include <net/dns/client.hpp>
#include <net/error.hpp>
#include <net/inet_common.hpp>
#include <net/ip4/addr.hpp>
#include <net/ip4/icmp4.hpp>
#include <net/ip4/ip4.hpp>
#include <net/ip6/addr.hpp>
#include <net/ip6/addr_list.hpp>
#include <net/ip6/ip6.hpp>
#include <net/socket.hpp>
#include <net/tcp/tcp.hpp>
#include <net/udp/udp.hpp>
#include <timers>

namespace net {

class Inet {
 public:
  using Stack = Inet;
  using IP_addr = ip4::Addr;
  using IP6_addr = ip6::Addr;
  using resolve_func = dns::Client::Resolve_handler;
  using on_configured_func = delegate<void(Stack&)>;
  using dhcp_timeout_func = delegate<void(bool timed_out)>;
  using slaac_timeout_func = delegate<void(bool complete)>;
  using transmit_avail_delg = delegate<void(size_t)>;
  using Vip4_list = std::vector<ip4::Addr>;
  using Vip6_list = std::vector<ip6::Addr>;

  explicit Inet(hw::Nic& nic);
  ~Inet();
  Inet(const Inet&) = delete;
  Inet& operator=(const Inet&) = delete;

  // -- identity --
  /// "eth0"
  std::string ifname() const { return nic_.device_name(); }
  MAC::Addr link_addr() const noexcept { return nic_.mac(); }
  hw::Nic& nic() const noexcept { return nic_; }
  uint16_t MTU() const noexcept { return nic_.MTU(); }

  // -- IPv4 configuration --
  ip4::Addr ip_addr() const;
  ip4::Addr netmask() const;
  ip4::Addr gateway() const;
  ip4::Addr dns_addr() const;
  ip4::Addr broadcast_addr() const { return ip_addr() | ~netmask(); }
  bool is_configured() const { return ip_addr() != 0; }

  /// Set the addresses (the DNS server defaults to the gateway), print
  /// them, then run the on_config handlers and forget them.
  void network_config(ip4::Addr addr, ip4::Addr nmask, ip4::Addr gateway,
                      ip4::Addr dns = IP4::ADDR_ANY);
  /// Run `handler(*this)` at the next configuration.
  void on_config(on_configured_func handler);
  /// Ask for an address by DHCP (see DHClient); `handler(timed_out)`
  /// runs when that ends.
  void negotiate_dhcp(double timeout = 10.0, dhcp_timeout_func handler = nullptr);
  /// Forget the addresses (0.0.0.0).
  void reset_config();
  void set_gateway(ip4::Addr gateway);
  void set_dns_server(ip4::Addr server);
  std::shared_ptr<DHClient> dhclient() noexcept { return dhcp_; }
  void set_domain_name(std::string name) { domain_name_ = std::move(name); }
  const std::string& domain_name() const noexcept { return domain_name_; }

  // -- IPv6 configuration (kept, not used: no IPv6 traffic) --
  void network_config6(ip6::Addr addr6 = IP6::ADDR_ANY, uint8_t prefix6 = 0,
                       ip6::Addr gateway6 = IP6::ADDR_ANY);
  /// Add an address (prefix must not be 0); prints "[ Inet6 ] Address configured".
  void add_addr(const ip6::Addr& addr, uint8_t prefix = 64,
                uint32_t pref_lifetime = ip6::Stateful_addr::infinite_lifetime,
                uint32_t valid_lifetime = ip6::Stateful_addr::infinite_lifetime);
  void remove_addr(const ip6::Addr& addr);
  /// SLAAC (RFC 4862) needs IPv6 traffic: `handler(false)` at once.
  void autoconf_v6(int retries = 1, slaac_timeout_func handler = nullptr, uint64_t token = 0,
                   bool use_token = false);
  void reset_config6();
  void set_dns_server6(ip6::Addr server) { dns6_ = server; }
  void set_gateway6(ip6::Addr gateway) { gateway6_ = gateway; }
  /// The first global address, else the first link-local one, else ::.
  ip6::Addr ip6_addr() const noexcept;
  ip6::Addr ip6_linklocal() const noexcept { return addr6_.get_first_linklocal(); }
  ip6::Addr ip6_global() const noexcept { return addr6_.get_first_unicast(); }
  ip6::Addr ip6_src(const ip6::Addr& dst) const noexcept { return addr6_.get_src(dst); }
  ip6::Addr linklocal_addr() const noexcept { return ip6_linklocal(); }
  uint8_t netmask6() const noexcept { return prefix6_; }
  ip6::Addr gateway6() const noexcept { return gateway6_; }
  ip6::Addr dns6_addr() const noexcept { return dns6_; }
  bool is_configured_v6() const noexcept { return !addr6_.empty(); }
  ip6::Addr_list& addr6_config() noexcept { return addr6_; }
  const ip6::Addr_list& addr6_config() const noexcept { return addr6_; }

  // -- protocols --
  /// The IPv4 layer: packet filter chains, forwarding, ship() (net/ip4/ip4.hpp).
  IP4& ip_obj() noexcept { return ip4_; }
  TCP& tcp() noexcept { return tcp_; }
  UDP& udp() noexcept { return udp_; }
  ICMPv4& icmp() noexcept { return icmp_; }
  dns::Client& dns() noexcept { return dns_; }

  /// Proxy ARP: an ARP request for an address off this link that
  /// `checker` says yes to (a Router's route_check()) is answered with
  /// this interface's MAC, so the asker sends those packets here.
  using Route_checker = delegate<bool(ip4::Addr)>;
  void set_route_checker(Route_checker checker);

  // -- connection tracking (net/conntrack.hpp) --
  /// Track this stack's packets in `ct` (several stacks may share one).
  void enable_conntrack(std::shared_ptr<Conntrack> ct);
  std::shared_ptr<Conntrack>& conntrack() noexcept { return conntrack_; }

  // -- stacks by index, as IncludeOS's Inet::stack<N>() and ifconfig<N>() --
  /// Interface N's stack (net::Interfaces::get(N)).
  template <int N = 0>
  static Inet& stack()
  {
    return stack_at(N);
  }
  /// Interface N's stack, configured with these addresses.
  template <int N = 0>
  static Inet& ifconfig(ip4::Addr addr, ip4::Addr nmask, ip4::Addr gateway,
                        ip4::Addr dns = IP4::ADDR_ANY)
  {
    Inet& s = stack_at(N);
    s.network_config(addr, nmask, gateway, dns);
    return s;
  }
  static Inet& stack_at(int N);

  // -- DNS --
  /// Resolve `hostname` (an A record) with the interface's DNS server.
  void resolve(const std::string& hostname, resolve_func func, bool force = false);
  void resolve(const std::string& hostname, net::Addr server, resolve_func func, bool force = false);

  // -- addresses --
  /// Is `addr` ours, to send from (0.0.0.0 included before configuration)?
  bool is_valid_source(const net::Addr& addr) const;
  bool is_valid_source4(ip4::Addr addr) const;
  bool is_valid_source6(const ip6::Addr& addr) const;
  ip4::Addr get_source_addr(ip4::Addr) const { return ip_addr(); }
  bool is_loopback(ip4::Addr a) const noexcept { return a.is_loopback(); }
  /// Extra addresses: kept, not used for traffic.
  void add_vip(ip4::Addr a) { vip4_.push_back(a); }
  void add_vip(ip6::Addr a) { vip6_.push_back(a); }
  void remove_vip(ip4::Addr a);
  void remove_vip(ip6::Addr a);
  const Vip4_list& vip4s() const noexcept { return vip4_; }
  const Vip6_list& vip6s() const noexcept { return vip6_; }

  // -- link --
  /// The kernel learns and caches link addresses itself (ARP): these
  /// are accepted and do nothing.
  void cache_link_addr(ip4::Addr, MAC::Addr) {}
  void flush_link_cache() {}
  void set_path_mtu_discovery(bool, uint16_t = 10) {}
  size_t transmit_queue_available() { return nic_.transmit_queue_available(); }
  void on_transmit_queue_available(transmit_avail_delg) {}

  // -- for the stack --
  /// The kernel configured the interface (network_config, DHCP).
  void configured();
  /// How many configurations configured() reported so far.
  unsigned configurations() const noexcept { return configurations_; }
  unsigned index() const noexcept { return nic_.index(); }

 private:
  hw::Nic& nic_;
  IP4 ip4_;
  std::shared_ptr<Conntrack> conntrack_;
  UDP udp_;
  TCP tcp_;
  ICMPv4 icmp_;
  dns::Client dns_;
  std::shared_ptr<DHClient> dhcp_;
  std::vector<on_configured_func> config_handlers_;
  ip6::Addr_list addr6_;
  uint8_t prefix6_ = 0;
  ip6::Addr gateway6_, dns6_;
  std::string domain_name_;
  Vip4_list vip4_;
  Vip6_list vip6_;
  unsigned configurations_ = 0;       // configured() calls that reported one
};

}  // namespace net
