// IncludeOS's net::Inet (with DHClient and ICMPv4) over one of the
// kernel's interfaces: the addresses live in the kernel (configure(),
// config_of()), so the POSIX socket API and this one always agree.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include <net/dns/response.hpp>
#include <net/inet.hpp>

#include "../stack.hpp"
#include "kernel/inet.hpp"

namespace knet = ukbase::net;

namespace net {

namespace {

knet::Interface& kernel_iface(const Inet& inet)
{
  return *knet::interface(inet.index());
}

knet::Iface_config kernel_config(const Inet& inet)
{
  return knet::config_of(kernel_iface(inet));
}

// Changes made with this set do not count as a new configuration:
// set_gateway() and friends run no on_config handlers.
bool quiet_change = false;

void reconfigure(const Inet& inet, const knet::Iface_config& c)
{
  quiet_change = true;
  knet::configure(kernel_iface(inet), c);
  quiet_change = false;
}

}  // namespace

Inet::Inet(hw::Nic& nic) : nic_(nic), ip4_(*this), udp_(*this), tcp_(*this), icmp_(*this), dns_(*this) {}

Inet::~Inet() = default;

ip4::Addr Inet::ip_addr() const { return kernel_config(*this).address; }
ip4::Addr Inet::netmask() const { return kernel_config(*this).netmask; }
ip4::Addr Inet::gateway() const { return kernel_config(*this).gateway; }
ip4::Addr Inet::dns_addr() const { return kernel_config(*this).dns; }

void Inet::network_config(ip4::Addr addr, ip4::Addr nmask, ip4::Addr gw, ip4::Addr dns)
{
  knet::Iface_config c{addr.whole, nmask.whole, gw.whole, dns != 0 ? dns.whole : gw.whole};
  // The kernel prints its "[ Network ]" line and calls configured().
  knet::configure(kernel_iface(*this), c);
}

void Inet::configured()
{
  if (quiet_change || !is_configured())
    return;
  configurations_++;
  INFO("Inet", "Network configured (%s)", link_addr().to_string().c_str());
  INFO2("IP: \t\t%s", ip_addr().str().c_str());
  INFO2("Netmask: \t%s", netmask().str().c_str());
  INFO2("Gateway: \t%s", gateway().str().c_str());
  INFO2("DNS Server: \t%s", dns_addr().str().c_str());
  // Each handler runs once; one may register another (for the next time).
  auto handlers = std::move(config_handlers_);
  config_handlers_.clear();
  for (auto& h : handlers)
    h(*this);
}

void Inet::on_config(on_configured_func handler)
{
  if (handler)
    config_handlers_.push_back(std::move(handler));
}

void Inet::negotiate_dhcp(double timeout, dhcp_timeout_func handler)
{
  INFO("Inet", "Negotiating DHCP (%.1fs timeout)...", timeout);
  if (!dhcp_)
    dhcp_ = std::make_shared<DHClient>(*this);
  // Whole seconds, as on IncludeOS (0: keep asking); under a second is one.
  uint32_t seconds = timeout > 0 && timeout < 1 ? 1 : static_cast<uint32_t>(timeout);
  dhcp_->negotiate(std::chrono::seconds(seconds));
  if (handler)
    dhcp_->on_config(std::move(handler));
}

void Inet::reset_config()
{
  reconfigure(*this, knet::Iface_config{});
}

void Inet::set_gateway(ip4::Addr gw)
{
  knet::Iface_config c = kernel_config(*this);
  c.gateway = gw.whole;
  reconfigure(*this, c);
}

void Inet::set_dns_server(ip4::Addr server)
{
  knet::Iface_config c = kernel_config(*this);
  c.dns = server.whole;
  reconfigure(*this, c);
}

// ---- IPv6: addresses (the kernel answers for them), no routes -----------------------

namespace {

// The kernel's interface answers neighbour discovery for `addr` and
// takes its traffic (kernel/net/ipv6.cpp).
void kernel_addr6(const Inet& inet, const ip6::Addr& addr, bool add)
{
  uint8_t bytes[16];
  std::memcpy(bytes, &addr, 16);
  if (add)
    knet::add_addr6(kernel_iface(inet), bytes);
  else
    knet::remove_addr6(kernel_iface(inet), bytes);
}

}  // namespace

void Inet::network_config6(ip6::Addr addr6, uint8_t prefix6, ip6::Addr gateway6)
{
  if (!addr6.is_any()) {
    addr6_.input(addr6, prefix6 ? prefix6 : 64, ip6::Stateful_addr::infinite_lifetime,
                 ip6::Stateful_addr::infinite_lifetime);
    kernel_addr6(*this, addr6, true);
    tcp_.address_added(addr6);
  }
  prefix6_ = prefix6;
  gateway6_ = gateway6;
  INFO("Inet6", "Network configured (%s)", link_addr().to_string().c_str());
  INFO2("IP6: \t\t%s", ip6_addr().to_string().c_str());
  INFO2("Prefix: \t%d", prefix6_);
  INFO2("Gateway: \t%s", gateway6_.to_string().c_str());
  auto handlers = std::move(config_handlers_);
  config_handlers_.clear();
  for (auto& h : handlers)
    h(*this);
}

void Inet::add_addr(const ip6::Addr& addr, uint8_t prefix, uint32_t pref_lifetime,
                    uint32_t valid_lifetime)
{
  if (prefix == 0)
    os::panic("Inet::add_addr: the prefix length must not be 0");
  addr6_.input(addr, prefix, pref_lifetime, valid_lifetime);
  kernel_addr6(*this, addr, valid_lifetime != 0);
  if (valid_lifetime != 0)
    tcp_.address_added(addr);
  INFO("Inet6", "Address configured %s/%u", addr.to_string().c_str(), prefix);
}

void Inet::remove_addr(const ip6::Addr& addr)
{
  addr6_.input(addr, 0, 0, 0);
  kernel_addr6(*this, addr, false);
}

void Inet::autoconf_v6(int, slaac_timeout_func handler, uint64_t, bool)
{
  INFO("Inet6", "SLAAC (router advertisements) is not offered by ukbase: no address");
  if (handler)
    handler(false);
}

void Inet::reset_config6()
{
  kernel_iface(*this).addr6.clear();
  addr6_.clear();
  prefix6_ = 0;
  gateway6_ = dns6_ = ip6::Addr();
}

ip6::Addr Inet::ip6_addr() const noexcept
{
  ip6::Addr global = addr6_.get_first_unicast();
  return global.is_any() ? addr6_.get_first_linklocal() : global;
}

// ---- DNS, addresses ----------------------------------------------------------------

void Inet::resolve(const std::string& hostname, resolve_func func, bool force)
{
  dns_.resolve(dns_addr(), hostname, std::move(func), dns::Client::DEFAULT_RESOLVE_TIMEOUT, force);
}

void Inet::resolve(const std::string& hostname, net::Addr server, resolve_func func, bool force)
{
  dns_.resolve(server, hostname, std::move(func), dns::Client::DEFAULT_RESOLVE_TIMEOUT, force);
}

bool Inet::is_valid_source(const net::Addr& addr) const
{
  return addr.is_v4() ? is_valid_source4(addr.v4()) : is_valid_source6(addr.v6());
}

bool Inet::is_valid_source4(ip4::Addr addr) const
{
  return addr == ip_addr() || addr.is_loopback()
         || std::find(vip4_.begin(), vip4_.end(), addr) != vip4_.end();
}

bool Inet::is_valid_source6(const ip6::Addr& addr) const
{
  return addr.is_any() || addr6_.has(addr) || addr.is_loopback()
         || std::find(vip6_.begin(), vip6_.end(), addr) != vip6_.end();
}

void Inet::remove_vip(ip4::Addr a) { vip4_.erase(std::remove(vip4_.begin(), vip4_.end(), a), vip4_.end()); }
void Inet::remove_vip(ip6::Addr a) { vip6_.erase(std::remove(vip6_.begin(), vip6_.end(), a), vip6_.end()); }

// ---- DHClient --------------------------------------------------------------------------

DHClient::DHClient(Stack& inet) : stack_(inet), alive_(std::make_shared<bool>(true))
{
  // IncludeOS's client logs the outcome first.
  handlers_.push_back([this](bool timed_out) {
    if (timed_out)
      INFO("DHCPv4", "Negotiation timed out (%s)", stack_.ifname().c_str());
    else
      INFO("DHCPv4", "Configuration complete (%s)", stack_.ifname().c_str());
  });
}

DHClient::~DHClient() = default;

void DHClient::negotiate(std::chrono::seconds timeout)
{
  if (running_)
    return;
  running_ = true;
  // No timeout: the kernel's client keeps asking (for about 30 years).
  double seconds = timeout.count() > 0 ? static_cast<double>(timeout.count()) : 1e9;
  std::weak_ptr<bool> alive = alive_;
  knet::dhcp_start(kernel_iface(stack_), seconds, [this, alive](bool timed_out) {
    if (alive.lock())
      end_negotiation(timed_out);
  });
}

void DHClient::on_config(config_func handler)
{
  if (handler)
    handlers_.push_back(std::move(handler));
}

void DHClient::end_negotiation(bool timed_out)
{
  running_ = false;
  auto handlers = handlers_;          // a handler may add handlers
  for (auto& h : handlers)
    h(timed_out);
}

// ---- ICMPv4 ------------------------------------------------------------------------------

namespace {

/// A ping waiting for its reply: its callback, and the timer that gives up.
struct Ping {
  unsigned iface = 0;
  uint16_t id = 0, seq = 0;
  ICMPv4::icmp_func callback;
  Timers::id_t timer = 0;
};
std::vector<Ping> pings;
uint16_t next_ping_id = 0;
constexpr char PING_PAYLOAD[] = "INCLUDEOS12345ABCDEFGHIJKLMNOPQRSTUVWXYZ12345678";   // IncludeOS's

std::string type_string(icmp4::Type type)
{
  switch (type) {
  case icmp4::Type::ECHO_REPLY: return "ECHO REPLY (0)";
  case icmp4::Type::DEST_UNREACHABLE: return "DESTINATION UNREACHABLE (3)";
  case icmp4::Type::REDIRECT: return "REDIRECT (5)";
  case icmp4::Type::ECHO: return "ECHO (8)";
  case icmp4::Type::ROUTER_ADVERTISEMENT: return "ROUTER ADVERTISEMENT (9)";
  case icmp4::Type::ROUTER_SOLICITATION: return "ROUTER SOLICITATION (10)";
  case icmp4::Type::TIME_EXCEEDED: return "TIME EXCEEDED (11)";
  case icmp4::Type::PARAMETER_PROBLEM: return "PARAMETER PROBLEM (12)";
  case icmp4::Type::TIMESTAMP: return "TIMESTAMP (13)";
  case icmp4::Type::TIMESTAMP_REPLY: return "TIMESTAMP REPLY (14)";
  case icmp4::Type::NO_REPLY: return "NO REPLY (199)";
  }
  return "UNKNOWN (" + std::to_string(int(type)) + ")";
}

std::string code_string(icmp4::Type type, uint8_t code)
{
  static const char* unreachable[] = {"NET", "HOST", "PROTOCOL", "PORT", "FRAGMENTATION NEEDED",
                                      "SOURCE ROUTE FAILED"};
  const char* name = "DEFAULT";
  if (type == icmp4::Type::DEST_UNREACHABLE && code < 6)
    name = unreachable[code];
  else if (type == icmp4::Type::TIME_EXCEEDED)
    name = code ? "FRAGMENT REASSEMBLY" : "TTL";
  else if (code)
    name = "CODE";
  return std::string(name) + " (" + std::to_string(code) + ")";
}

/// The ping waiting with this interface, identifier and sequence number,
/// taken off the list (its callback is null when there is none).
Ping take_ping(unsigned iface, uint16_t id, uint16_t seq)
{
  auto it = std::find_if(pings.begin(), pings.end(), [&](const Ping& p) {
    return p.iface == iface && p.id == id && p.seq == seq;
  });
  if (it == pings.end())
    return Ping{};
  Ping ping = std::move(*it);
  pings.erase(it);
  return ping;
}

void echo_reply(knet::Interface& iface, const knet::Echo_reply& r)
{
  Ping ping = take_ping(iface.index, r.id, r.seq);
  if (!ping.callback)
    return;
  Timers::stop(ping.timer);
  // the payload as IncludeOS hands it over: text up to the first NUL
  std::string payload(reinterpret_cast<const char*>(r.payload), r.len);
  payload.resize(std::min(payload.size(), payload.find('\0')));
  ping.callback(ICMP_view{r.id, r.seq, ip4::Addr{r.src}, ip4::Addr{r.dst},
                     static_cast<icmp4::Type>(r.type), r.code, r.checksum, std::move(payload)});
}

}  // namespace

std::string ICMP_view::to_string() const
{
  if (!*this)
    return "No reply received";
  return "Identifier: " + std::to_string(id_) + "\nSequence number: " + std::to_string(seq_)
         + "\nSource: " + src_.to_string() + "\nDestination: " + dst_.to_string()
         + "\nType: " + type_string(type_) + "\nCode: " + code_string(type_, code_)
         + "\nChecksum: " + std::to_string(checksum_) + "\nData: " + payload_;
}

void ICMPv4::ping(ip4::Addr ip) { ping(ip, nullptr, 0); }

void ICMPv4::ping(ip4::Addr ip, icmp_func callback, int sec_wait)
{
  knet::echo_reply_handler = echo_reply;
  const uint16_t id = next_ping_id++, seq = 0;
  auto& iface = kernel_iface(stack_);
  const auto* payload = reinterpret_cast<const uint8_t*>(PING_PAYLOAD);
  knet::icmp_echo_request(iface, ip.whole, id, seq, payload, sizeof PING_PAYLOAD - 1);
  if (!callback)
    return;
  const unsigned index = iface.index;
  auto timer = Timers::oneshot(std::chrono::seconds(sec_wait > 0 ? sec_wait : 0),
                               [index, id](Timers::id_t) {
    Ping ping = take_ping(index, id, seq);
    if (ping.callback)
      ping.callback(ICMP_view{});
  });
  pings.push_back(Ping{index, id, seq, std::move(callback), timer});
}

void ICMPv4::ping(const std::string& hostname) { ping(hostname, nullptr, 0); }

void ICMPv4::ping(const std::string& hostname, icmp_func callback, int sec_wait)
{
  stack_.resolve(hostname, [this, callback, sec_wait](dns::Response_ptr res, const Error& err) {
    ip4::Addr addr = !err && res ? res->get_first_ipv4() : ip4::Addr{};
    if (addr != ip4::Addr{})
      ping(addr, callback, sec_wait);
  });
}

}  // namespace net
