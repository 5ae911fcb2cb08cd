// IncludeOS's net::Interfaces and hw::Nic over the kernel's interfaces
// (kernel/net/interface.cpp).
#include <cstdio>

#include <config>
#include <timers>
#include <net/interfaces.hpp>

#include "../stack.hpp"
#include "kernel/inet.hpp"
#include "kernel/json.hpp"

namespace knet = ukbase::net;

// ---- hw::Nic --------------------------------------------------------------------

namespace hw {

Nic::Nic(unsigned index) : index_(index)
{
  knet::Interface* i = knet::interface(index);
  name_ = i ? i->name : "eth" + std::to_string(index);
  if (i) {
    mac_ = MAC::Addr(i->nic->mac);
    driver_ = i->nic->description.substr(0, i->nic->description.find(' '));   // "virtio-net"
  }
}

// The kernel queues what the device's ring cannot take yet (up to 2048
// frames): as far as a service can tell, there is always room.
size_t Nic::transmit_queue_available() { return 1024; }

uint64_t Nic::get_packets_rx()
{
  knet::Interface* i = knet::interface(index_);
  return i ? i->rx_packets : 0;
}

uint64_t Nic::get_packets_tx()
{
  knet::Interface* i = knet::interface(index_);
  return i ? i->tx_packets : 0;
}

uint64_t Nic::get_packets_dropped()
{
  knet::Interface* i = knet::interface(index_);
  return i ? i->rx_dropped + i->tx_dropped + i->nic->tx_dropped : 0;
}

}  // namespace hw

// ---- net::Interfaces ---------------------------------------------------------------

namespace net {

namespace {

// The "net" entries of [build] config, by interface index ("iface").
std::vector<const ukbase::json::Value*> config_entries(ukbase::json::Value& root, size_t count)
{
  std::vector<const ukbase::json::Value*> out(count, nullptr);
  const Config& config = Config::get();
  if (config.empty() || !ukbase::json::parse(config.view(), root))
    return out;
  const ukbase::json::Value* list = root.get("net");
  if (!list || list->type != ukbase::json::Value::Array)
    return out;
  for (auto& item : list->items) {
    const ukbase::json::Value* idx = item.get("iface");
    if (idx && idx->type == ukbase::json::Value::Number && idx->number >= 0
        && idx->number < static_cast<double>(count))
      out[static_cast<size_t>(idx->number)] = &item;
  }
  return out;
}

// The strings of a member that is a string or an array of them.
std::vector<std::string> strings(const ukbase::json::Value& v, const char* key)
{
  std::vector<std::string> out;
  const ukbase::json::Value* m = v.get(key);
  if (!m)
    return out;
  if (m->type == ukbase::json::Value::String)
    out.push_back(m->string);
  else if (m->type == ukbase::json::Value::Array)
    for (auto& item : m->items)
      if (item.type == ukbase::json::Value::String)
        out.push_back(item.string);
  return out;
}

// The kernel applied an entry's IPv4 part at boot; its IPv6 part
// ("address", "gateway" and "dns" items with a ':', for "static" and
// "static6") is kept here, as IncludeOS's autoconf does.
void apply_config6(Inet& inet, const ukbase::json::Value& entry)
{
  bool v6 = false;
  for (const std::string& m : strings(entry, "config"))
    v6 |= m == "static" || m == "static6";
  if (!v6)
    return;
  for (const std::string& a : strings(entry, "address")) {
    if (a.find(':') == std::string::npos)
      continue;
    size_t slash = a.find('/');
    try {
      int prefix = slash == std::string::npos ? 64 : std::stoi(a.substr(slash + 1));
      if (prefix > 0 && prefix <= 128)
        inet.add_addr(ip6::Addr(a.substr(0, slash)), static_cast<uint8_t>(prefix));
    } catch (const std::exception&) {
      std::printf("WARN: bad IPv6 address \"%s\" in the config\n", a.c_str());
    }
  }
  try {
    for (const std::string& g : strings(entry, "gateway"))
      if (g.find(':') != std::string::npos) {
        inet.set_gateway6(ip6::Addr(g));
        break;
      }
    for (const std::string& d : strings(entry, "dns"))
      if (d.find(':') != std::string::npos) {
        inet.set_dns_server6(ip6::Addr(d));
        break;
      }
  } catch (const std::exception&) {
    std::printf("WARN: bad IPv6 gateway or DNS server in the config\n");
  }
}

// An entry the kernel answered by DHCP at boot ("dhcp", "dhcp4",
// "dhcp-with-fallback"): on IncludeOS that configuration completes after
// Service::start(), so handlers the service registers with on_config()
// hear of it. The kernel did it before (POSIX code then finds the
// network up); the report comes from the event loop once the service
// has started, unless the interface was configured again meanwhile.
void report_dhcp_config_later(Inet& inet, const ukbase::json::Value& entry)
{
  bool dhcp = false;
  for (const std::string& m : strings(entry, "config"))
    dhcp |= m == "dhcp" || m == "dhcp4" || m == "dhcp-with-fallback";
  if (!dhcp || !inet.is_configured())
    return;
  unsigned seen = inet.configurations();
  Timers::oneshot(std::chrono::nanoseconds(0), [&inet, seen](Timers::id_t) {
    if (inet.configurations() == seen)
      inet.configured();
  });
}

}  // namespace

Interfaces::Interfaces()
{
  // The Inet of every interface the kernel configured changes along
  // with it (network_config, DHCP).
  knet::on_configured([](knet::Interface& i) {
    auto& stacks = instance().stacks_;
    unsigned n = i.parent ? i.parent->index : knet::index_of(i);
    if (n < stacks.size()) {
      auto it = stacks[n].find(i.vlan);
      if (it != stacks[n].end() && it->second)
        it->second->configured();
    }
  });
}

Interfaces& Interfaces::instance()
{
  static auto* self = new Interfaces;
  // One slot per NIC; those the config names get their Inet at once.
  size_t count = knet::interface_count();
  if (self->stacks_.size() < count) {
    size_t first = self->stacks_.size();
    self->stacks_.resize(count);
    for (size_t n = first; n < count; n++) {
      self->nics_.push_back(std::make_unique<hw::Nic>(static_cast<unsigned>(n)));
      self->stacks_[n][0] = nullptr;
    }
    ukbase::json::Value root;
    auto entries = config_entries(root, count);
    for (size_t n = first; n < count; n++)
      if (entries[n]) {
        self->stacks_[n][0] = std::make_unique<Inet>(*self->nics_[n]);
        apply_config6(*self->stacks_[n][0], *entries[n]);
        report_dhcp_config_later(*self->stacks_[n][0], *entries[n]);
      }
  }
  return *self;
}

Inet& Interfaces::get(int N)
{
  Interfaces& self = instance();
  if (N < 0 || static_cast<size_t>(N) >= self.stacks_.size())
    throw Stack_not_found("No IP4 stack found with index: " + std::to_string(N)
                          + ". Missing device (NIC) or driver.");
  auto& slot = self.stacks_[static_cast<size_t>(N)][0];
  if (!slot)
    slot = std::make_unique<Inet>(*self.nics_[static_cast<size_t>(N)]);
  return *slot;
}

Inet& Interfaces::get(int N, int sub)
{
  Interfaces& self = instance();
  if (N >= 0 && static_cast<size_t>(N) < self.stacks_.size()) {
    auto& subs = self.stacks_[static_cast<size_t>(N)];
    auto it = subs.find(sub);
    if (it != subs.end() && it->second)
      return *it->second;
    if (sub == 0)
      return get(N);
    knet::Interface* vlan = sub > 0 && sub < 4095
        ? knet::vlan_of(*knet::interface(static_cast<size_t>(N)), static_cast<uint16_t>(sub)) : nullptr;
    if (vlan) {          // a VLAN the kernel made: its stack, over a NIC of its own
      self.vlan_nics_.push_back(std::make_unique<hw::Nic>(vlan->index));
      auto& slot = subs[sub];
      slot = std::make_unique<Inet>(*self.vlan_nics_.back());
      return *slot;
    }
  }
  throw Stack_not_found("IP4 Stack not found [" + std::to_string(N) + "," + std::to_string(sub)
                        + "]");
}

Inet& Interfaces::get(const std::string& mac)
{
  int n = get_nic_index(MAC::Addr(mac));
  if (n < 0)
    throw Stack_not_found("No NIC found with MAC address " + mac);
  return get(n);
}

Inet& Interfaces::get(const std::string& mac, int sub)
{
  int n = get_nic_index(MAC::Addr(mac));
  if (n < 0)
    throw Stack_not_found("No NIC found with MAC address " + mac);
  return get(n, sub);
}

hw::Nic& Interfaces::get_nic(int index)
{
  Interfaces& self = instance();
  if (index < 0 || static_cast<size_t>(index) >= self.nics_.size())
    throw Interfaces_err("No NIC found with index " + std::to_string(index));
  return *self.nics_[static_cast<size_t>(index)];
}

hw::Nic& Interfaces::get_nic(const MAC::Addr& mac)
{
  int n = get_nic_index(mac);
  if (n < 0)
    throw Interfaces_err("No NIC found with MAC address " + mac.to_string());
  return *instance().nics_[static_cast<size_t>(n)];
}

int Interfaces::get_nic_index(const MAC::Addr& mac)
{
  Interfaces& self = instance();
  for (size_t n = 0; n < self.nics_.size(); n++)
    if (self.nics_[n]->mac() == mac)
      return static_cast<int>(n);
  return -1;
}

}  // namespace net

// ---- VLANs ------------------------------------------------------------------------

namespace net {

void setup_vlans()
{
  std::printf("%s\n", "[ VLAN setup ] Reading VLAN config...");
  size_t made = ukbase::net_setup_vlans();
  for (size_t n = 0, count = knet::interface_count(); n < count; n++)
    for (knet::Interface* vlan : knet::interface(n)->vlans)
      Interfaces::get(static_cast<int>(n), vlan->vlan);     // their stacks
  std::printf("[ VLAN setup ] Setup complete: %zu VLAN%s\n", made, made == 1 ? "" : "s");
}

}  // namespace net
