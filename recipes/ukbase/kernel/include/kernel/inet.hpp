// Internal: what the IPv4 stack (kernel/net/) offers the APIs services
// use: POSIX sockets (net/socket*.cpp) and IncludeOS's net:: classes
// (net/includeos/). Addresses and ports are in host byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace ukbase::tcp {
class Stack;
}

namespace ukbase::net {

class Interface;

// ---- interfaces ---------------------------------------------------------------

/// The number of network interfaces (eth0, eth1, ... in PCI order).
size_t interface_count();
/// Interface `index`, or null.
Interface* interface(size_t index);

struct Iface_config {
  uint32_t address = 0, netmask = 0, gateway = 0, dns = 0;
};
Iface_config config_of(const Interface& i);
/// Give an interface its addresses (0.0.0.0: unconfigured) and print its
/// "[ Network ]" line; a gratuitous ARP announces a new address.
void configure(Interface& i, const Iface_config& c);
/// Called after every configure() of any interface (the IncludeOS
/// layer's on_config handlers hang off this).
void on_configured(std::function<void(Interface&)> hook);
unsigned index_of(const Interface& i);
const uint8_t* mac_of(const Interface& i);
/// The interface on whose subnet `dst` is, else the first configured one
/// (through its gateway); null if none is configured.
Interface* route(uint32_t dst);
/// One of our addresses (on any interface)?
bool is_local_address(uint32_t addr);

// ---- UDP ------------------------------------------------------------------------

struct Udp_datagram {
  Interface* iface;
  uint32_t src, dst;              // dst: ours, or a broadcast address
  uint16_t src_port, dst_port;
  const uint8_t* data;            // valid during the call only
  size_t size;
};

class Udp_receiver {
 public:
  virtual void udp_receive(const Udp_datagram& d) = 0;
  /// An ICMP error about a datagram this endpoint sent to dst:dst_port
  /// (ECONNREFUSED for port unreachable, EHOSTUNREACH, ...).
  virtual void udp_error(uint32_t dst, uint16_t dst_port, int err) { (void)dst, (void)dst_port, (void)err; }

 protected:
  ~Udp_receiver() = default;
};

/// Bind `addr`:`port` (addr 0: every address; port 0: pick an ephemeral
/// one, written back). Datagrams to a unicast address go to the binding
/// of that exact address, else to the one of address 0; broadcasts go
/// to every binding of the port. 0, -EADDRINUSE or -EADDRNOTAVAIL.
int udp_bind(uint32_t addr, uint16_t& port, Udp_receiver* r);
void udp_unbind(uint32_t addr, uint16_t port);
bool udp_is_bound(uint32_t addr, uint16_t port);
/// Send one datagram (in IP fragments if it needs them). `src` 0: the
/// route's address. `iface`: send out of this interface (needed for
/// broadcasts before it has an address, as DHCP does). 0, -EMSGSIZE
/// (over 65507 bytes), -ENETUNREACH (no interface or address), -ENOBUFS.
int udp_send(uint32_t src, uint16_t src_port, uint32_t dst, uint16_t dst_port, const void* data,
             size_t len, Interface* iface = nullptr);
/// The same, from 0.0.0.0 whatever address `iface` has (a DHCP client in
/// its INIT state, RFC 2131 4.1).
int udp_send_unspecified(uint16_t src_port, uint32_t dst, uint16_t dst_port, const void* data,
                         size_t len, Interface& iface);
constexpr size_t UDP_MAX_PAYLOAD = 65507;
constexpr size_t UDP_FRAME_PAYLOAD = 1472;   // in one 1500-byte frame

// ---- IPv6 (net/ipv6.cpp) -------------------------------------------------------------
//
// Addresses a stack was given (IncludeOS's add_addr, network_config6,
// the config), neighbour discovery for them (RFC 4861: solicitations
// answered, neighbours asked and cached), ICMPv6 echo and UDP over IPv6
// in one frame each (no extension headers but hop-by-hop options, which
// are skipped; no fragments). Addresses are 16 bytes in network order.

/// Answer for and accept `addr` on `i` (again: nothing changes).
void add_addr6(Interface& i, const uint8_t addr[16]);
void remove_addr6(Interface& i, const uint8_t addr[16]);

struct Udp6_datagram {
  Interface* iface;
  const uint8_t* src;
  const uint8_t* dst;
  uint16_t src_port, dst_port;
  const uint8_t* data;            // valid during the call only
  size_t size;
};

class Udp6_receiver {
 public:
  virtual void udp6_receive(const Udp6_datagram& d) = 0;

 protected:
  ~Udp6_receiver() = default;
};

/// Bind `addr` (all zeros: any of ours) and `port` (0: an ephemeral one,
/// written back). 0 or -EADDRINUSE.
int udp6_bind(const uint8_t addr[16], uint16_t& port, Udp6_receiver* r);
void udp6_unbind(const uint8_t addr[16], uint16_t port);
/// Send one datagram out of `iface` from `src` (all zeros: ours for the
/// destination). 0, -EMSGSIZE (more than one frame holds: 1452 bytes),
/// -EADDRNOTAVAIL (no address to send from), -ENOBUFS.
int udp6_send(Interface& iface, const uint8_t src[16], uint16_t src_port, const uint8_t dst[16],
              uint16_t dst_port, const void* data, size_t len);
constexpr size_t UDP6_MAX_PAYLOAD = 1500 - 40 - 8;

// ---- TCP ------------------------------------------------------------------------

/// The one TCP engine, over every interface (created with the first
/// interface).
tcp::Stack& tcp();
bool tcp_available();

/// TCP over IPv6. The engine knows an address as 32 bits; an IPv6 address
/// is known to it by a handle from 240.0.0.0/5 (reserved, never a real
/// IPv4 source: such segments are dropped), made on first use and given
/// back once no connection, listener or reservation refers to it.
bool tcp6_is_handle(uint32_t addr);
uint32_t tcp6_handle(const uint8_t addr[16]);
/// The IPv6 address of a handle; false if `handle` is none.
bool tcp6_address(uint32_t handle, uint8_t out[16]);

// ---- DHCP (net/dhcp.cpp) -----------------------------------------------------------

/// Ask for an address on `i` (RFC 2131: DISCOVER, OFFER, REQUEST, ACK),
/// retrying every second; `done(false)` once configured, `done(true)`
/// after `timeout_s` seconds without an answer. The lease is renewed at
/// half its time. Prints "[ DHCP ]" lines.
void dhcp_start(Interface& i, double timeout_s, std::function<void(bool timed_out)> done);

}  // namespace ukbase::net
