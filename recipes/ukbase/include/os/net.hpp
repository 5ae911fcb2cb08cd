// ukbase network API: IPv4 with UDP, event-driven.
//
// Each network device (virtio-net-pci, driver "virtionet" in [platform]
// drivers) is an interface eth0, eth1, ... Its address comes from the
// service's [build] config JSON, in IncludeOS's format:
//
//   {"net": [{"iface": 0, "config": "static", "address": "10.0.2.15",
//             "netmask": "255.255.255.0", "gateway": "10.0.2.2"}]}
//
// and defaults, for eth0, to 10.0.2.15/24 with gateway 10.0.2.2 (QEMU's
// user networking). The kernel answers ARP and ICMP echo (ping) itself.
//
// Datagrams arrive through a callback per bound port, run by the event
// loop (never in interrupt context), so a service that uses the network
// returns from Service::start() and lives on until os::shutdown():
//
//   #include <net>
//   #include <os>
//   void Service::start() {
//     net::udp::bind(7, [](const net::udp::Datagram& d) {
//       if (d.text() == "shutdown") os::shutdown();
//       else d.reply(d.data, d.size);          // echo
//     });
//   }
//
// The data a callback sees is the receive buffer itself: valid until the
// callback returns. Sending copies once, into the transmit buffer; frames
// sent during one burst of receive callbacks reach the device together.
// Datagrams up to udp::max_frame_payload bytes travel in one frame (the
// fast path); larger ones, up to udp::max_payload, in IP fragments, which
// are reassembled on the way in (one more copy each way).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace net {

/// An IPv4 address; `value` in host byte order (10.0.2.15 is 0x0A00020F).
struct ip4 {
  uint32_t value = 0;

  constexpr ip4() = default;
  constexpr explicit ip4(uint32_t v) : value(v) {}
  constexpr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
      : value(uint32_t(a) << 24 | uint32_t(b) << 16 | uint32_t(c) << 8 | d) {}

  /// Dotted quad ("10.0.2.2"), or nothing.
  static std::optional<ip4> parse(std::string_view text);
  std::string str() const;

  constexpr bool operator==(ip4 o) const { return value == o.value; }
  constexpr bool operator!=(ip4 o) const { return value != o.value; }
};

/// An Ethernet address.
struct MAC {
  std::array<uint8_t, 6> bytes{};
  std::string str() const;                 // "52:54:00:12:34:56"
};

/// An interface and its counters.
struct Interface {
  std::string name;                        // "eth0"
  std::string driver;                      // "virtio-net 00:03.0"
  MAC mac;
  ip4 address, netmask, gateway;           // address 0.0.0.0: not configured
  uint64_t rx_packets = 0, tx_packets = 0;
  uint64_t rx_dropped = 0, tx_dropped = 0;
};

/// Every interface, in PCI order.
std::vector<Interface> interfaces();

namespace udp {

/// The largest payload of a datagram in one frame (1500-byte MTU).
constexpr size_t max_frame_payload = 1472;
/// The largest payload of a datagram (in IP fragments).
constexpr size_t max_payload = 65507;

struct Datagram {
  ip4 src;
  uint16_t src_port;
  ip4 dst;                                 // our address (or a broadcast)
  uint16_t dst_port;
  const uint8_t* data;                     // valid during the callback only
  size_t size;

  std::string_view text() const { return {reinterpret_cast<const char*>(data), size}; }
  /// Send to this datagram's sender, from the port it was sent to.
  bool reply(const void* payload, size_t len) const;
  bool reply(std::string_view payload) const { return reply(payload.data(), payload.size()); }
};

using handler_t = std::function<void(const Datagram&)>;

/// Call `handler` for every datagram to local port `port`, on every
/// interface. False if the port is taken (or 0).
bool bind(uint16_t port, handler_t handler);
void unbind(uint16_t port);

/// Send a datagram, from callbacks or from anywhere else in the service.
/// The interface is the one whose subnet holds `dst`, else eth0 (through
/// its gateway). Returns false when it cannot be sent (too big, no
/// interface, transmit ring full); true once it is sent, or queued while
/// ARP resolves the next hop (1 s per try, 3 tries, then dropped).
bool send(ip4 dst, uint16_t dst_port, uint16_t src_port, const void* data, size_t len);
inline bool send(ip4 dst, uint16_t dst_port, uint16_t src_port, std::string_view data)
{
  return send(dst, dst_port, src_port, data.data(), data.size());
}

}  // namespace udp
}  // namespace net
