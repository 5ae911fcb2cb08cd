// The network interfaces, as IncludeOS's net/interfaces.hpp:
//
//   auto& eth0 = net::Interfaces::get(0);         // net::Inet&
//   for (auto& nic : net::Interfaces::get())      // one entry per NIC
//     if (auto& inet = nic[0]) ...                // null until it was asked for
//
// Interfaces are the kernel's network devices (eth0, eth1, ... in PCI
// order; "virtionet" in [platform] drivers). get(N) makes an interface's
// Inet when it is first asked for; those named in [build] config's "net"
// part exist from the start (as IncludeOS's autoconf makes them).
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <hw/mac_addr.hpp>
#include <hw/nic.hpp>
#include <net/inet.hpp>

namespace net {

struct Interfaces_err : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Stack_not_found : public Interfaces_err {
  using Interfaces_err::Interfaces_err;
};

class Interfaces {
 public:
  /// Sub-interface (VLAN) index -> stack; 0 is the interface itself.
  using Indexed_stacks = std::map<int, std::unique_ptr<Inet>>;
  /// One entry per NIC.
  using Stacks = std::vector<Indexed_stacks>;

  static Interfaces& instance();

  /// Interface N's stack, made if needed. Throws Stack_not_found for a
  /// NIC that is not there.
  static Inet& get(int N);
  /// Sub-interface `sub` of NIC N: 0 is the NIC's own, others are the
  /// VLANs net::setup_vlans() made (<net/vlan>). Throws Stack_not_found.
  static Inet& get(int N, int sub);
  static Stacks& get() { return instance().stacks_; }
  /// The stack of the NIC with this MAC address ("c0:01:0a:00:00:2a").
  static Inet& get(const std::string& mac);
  static Inet& get(const std::string& mac, int sub);

  static hw::Nic& get_nic(int index);
  static hw::Nic& get_nic(const MAC::Addr& mac);
  /// -1 if there is no such NIC.
  static int get_nic_index(const MAC::Addr& mac);

  Interfaces(const Interfaces&) = delete;
  Interfaces& operator=(const Interfaces&) = delete;

 private:
  Interfaces();
  Stacks stacks_;
  std::vector<std::unique_ptr<hw::Nic>> nics_;
  std::vector<std::unique_ptr<hw::Nic>> vlan_nics_;   // what the VLANs' stacks send through
};

}  // namespace net
