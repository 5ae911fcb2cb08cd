// Internal to kernel/net: the interface and its protocol layers.
//
// Frames are parsed in the driver's receive buffer and built in the
// driver's transmit buffer, headers and payload in one pass; the only
// copy on the way out is the payload's. A frame that must wait for ARP is
// built in a heap buffer and copied out once the next hop is known.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernel/netstack.hpp"

namespace ukbase::net {

// ---- byte order and checksums ---------------------------------------------

inline uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t get32(const uint8_t* p)
{
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
inline void put32(uint8_t* p, uint32_t v)
{
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}

/// One's-complement sum of `len` bytes (RFC 1071), not yet folded.
uint64_t checksum_add(uint64_t sum, const uint8_t* data, size_t len);
/// Fold and complement: the value to store in a header.
uint16_t checksum_finish(uint64_t sum);
/// The UDP/TCP pseudo-header's contribution.
uint64_t pseudo_header(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

// ---- Ethernet and IPv4 constants ------------------------------------------

constexpr size_t ETH_HDR = 14;
constexpr size_t IP_HDR = 20;
constexpr size_t UDP_HDR = 8;
constexpr size_t MTU = 1500;
constexpr size_t MAX_IP_PAYLOAD = 65535 - IP_HDR;
constexpr uint16_t ETH_IPV4 = 0x0800;
constexpr uint16_t ETH_ARP = 0x0806;
constexpr uint16_t ETH_VLAN = 0x8100;     // an IEEE 802.1Q tag follows the MAC addresses
constexpr uint16_t ETH_IPV6 = 0x86DD;
constexpr size_t IP6_HDR = 40;
constexpr uint8_t PROTO_ICMP = 1;
constexpr uint8_t PROTO_TCP = 6;
constexpr uint8_t PROTO_UDP = 17;
extern const uint8_t BROADCAST_MAC[6];

// ---- the interface ----------------------------------------------------------

class Interface;

/// A service's say over an interface's IPv4 packets: IncludeOS's filter
/// chains and forwarding (net/includeos/ip4.cpp). Once an interface has
/// hooks, every IPv4 packet it receives or makes goes to them instead.
class Ip4_hooks {
 public:
  virtual ~Ip4_hooks() = default;
  /// A packet `iface` received (`ip`: its header, checksum verified;
  /// `len`: its total length). The hooks deliver it (ip_input()),
  /// forward it or drop it.
  virtual void received(Interface& iface, const uint8_t* ip, size_t len) = 0;
  /// A packet `iface` made, header and all, before it is routed. The
  /// hooks send it (send_packet()) or drop it: false when dropped.
  virtual bool sending(Interface& iface, const uint8_t* ip, size_t len) = 0;
};

class Interface {
 public:
  Interface(Nic* nic, unsigned index);

  void receive(uint8_t* frame, size_t len);

  /// Build and send an IPv4 packet from `src` (0: our address) to `dst`
  /// whose `l4_len` bytes after the IP header `fill(l4)` writes. Sent at
  /// once when the next hop's MAC is known and the NIC has a buffer;
  /// queued behind an ARP request, or in the transmit backlog while the
  /// NIC's ring is full. Packets larger than the MTU leave in fragments
  /// (built in a heap buffer first). An interface without an address can
  /// only send broadcasts (DHCP).
  template <class Fill>
  bool send_ip(uint32_t dst, uint8_t proto, size_t l4_len, Fill fill, uint32_t src = 0,
               bool unspecified_source = false);

  bool on_link(uint32_t ip) const { return netmask && (ip & netmask) == (address & netmask); }
  bool accepts(uint32_t ip) const;       // our address or a broadcast
  bool is_broadcast(uint32_t ip) const
  {
    return ip == 0xFFFFFFFFu || (netmask && address && ip == (address | ~netmask));
  }
  /// ICMP destination unreachable (type 3, `code`) about the packet whose
  /// IP header is `ip`, rate-limited (RFC 1812 4.3.2.8).
  void icmp_unreachable(const uint8_t* ip, uint8_t code) { icmp_error(ip, 3, code); }
  /// Any ICMP error (`type`, `code`; `info`: the 32 bits after the
  /// checksum, such as the next hop's MTU), rate-limited the same way.
  void icmp_error(const uint8_t* ip, uint8_t type, uint8_t code, uint32_t info = 0);

  /// Proxy ARP: asked for an address not ours, answer with our MAC when
  /// this says yes (a router's route check, IncludeOS's set_route_checker).
  std::function<bool(uint32_t ip)> proxy_arp;

  /// The hooks this interface's IPv4 packets go through, if any.
  Ip4_hooks* hooks4 = nullptr;
  /// Deliver a received packet here (the hooks found it is ours): its
  /// fragments reassembled, its payload to ICMP, UDP or TCP.
  void ip_input(const uint8_t* ip, size_t len);
  /// Send a whole IPv4 packet (the hooks route it) to `hop`, 0: to its
  /// destination if that is on the link, else to the gateway. A packet
  /// larger than the MTU leaves in fragments, or is answered with ICMP
  /// "fragmentation needed" when it may not be fragmented.
  bool send_packet(const uint8_t* ip, size_t len, uint32_t hop = 0);
  /// Send what waits in the transmit backlog, as far as the NIC takes it.
  void flush_backlog();
  bool backlog_empty() const { return backlog_.empty(); }

  Nic* nic;
  unsigned index;
  std::string name;                      // eth0, or eth0.2 for VLAN 2 on it
  uint16_t vlan = 0;                     // a VLAN's id (vlan.cpp), 0 for a NIC's own interface
  Interface* parent = nullptr;           // a VLAN's physical interface
  std::vector<Interface*> vlans;         // a physical interface's VLANs
  uint32_t address = 0, netmask = 0, gateway = 0, dns = 0;
  uint64_t rx_packets = 0, tx_packets = 0, rx_dropped = 0, tx_dropped = 0;

  // IPv6 (ipv6.cpp): the addresses the stack answers for (NDP) and
  // accepts, a neighbour cache, frames waiting for neighbour discovery.
  struct Addr6 {
    uint8_t b[16];
    bool operator==(const Addr6& o) const { return std::memcmp(b, o.b, 16) == 0; }
  };
  std::vector<Addr6> addr6;
  void ip6_receive(const uint8_t* frame, size_t len);
  /// Send an IPv6 packet from `src` to `dst` whose `len` bytes of payload
  /// (protocol `next`, checksummed by the caller) are `payload`.
  bool send_ip6(const Addr6& src, const Addr6& dst, uint8_t next, const uint8_t* payload,
                size_t len, uint8_t hop_limit = 64);
  /// Our address to send to `dst` from: a link-local one for link-local
  /// and multicast destinations, else a global one (either, if that is all).
  bool source6_for(const Addr6& dst, Addr6& out) const;

  // ARP (arp.cpp)
  void arp_receive(const uint8_t* frame, size_t len);
  const uint8_t* arp_lookup(uint32_t ip);
  void arp_learn(uint32_t ip, const uint8_t* mac);
  void arp_queue(uint32_t hop, std::vector<uint8_t> frame);
  /// Gratuitous ARP: tell the segment (and QEMU's user networking, which
  /// holds packets for us until it knows our MAC) that we are here.
  void arp_announce();

 private:
  void ip_receive(uint8_t* frame, size_t len);
  void vlan_receive(uint8_t* frame, size_t len);
  void ip_deliver(const uint8_t* ip, const uint8_t* payload, size_t len);
  void icmp_receive(const uint8_t* ip, const uint8_t* icmp, size_t len);
  uint8_t* begin_frame(const uint8_t* dst_mac, uint16_t type);
  void write_ip_header(uint8_t* ip, uint32_t src, uint32_t dst, uint8_t proto, size_t l4_len,
                       uint16_t id, uint16_t fragment);
  bool next_hop(uint32_t dst, uint32_t& hop, const uint8_t*& mac);
  /// Where a frame of `len` bytes is built: the NIC's buffer when it can
  /// go at once (`mac` known, nothing waiting), else `heap`.
  uint8_t* frame_buffer(const uint8_t* mac, size_t len, std::vector<uint8_t>& heap);
  /// Send, queue behind ARP or in the backlog, a frame frame_buffer() gave.
  bool finish_frame(uint8_t* frame, size_t len, const uint8_t* mac, uint32_t hop,
                    std::vector<uint8_t>& heap);
  bool send_hooked(std::vector<uint8_t> packet);
  bool send_fragmented(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t* l4, size_t len);
  void send_frame(uint8_t* frame, size_t len, const uint8_t* mac, uint32_t hop);
  /// A complete frame (destination MAC filled in) for the backlog.
  bool queue_frame(std::vector<uint8_t> frame);
  std::deque<std::vector<uint8_t>> backlog_;
  bool backlog_timer_ = false;
  uint64_t icmp_tokens_at_ = 0;
  unsigned icmp_tokens_ = 0;

  // IPv4 reassembly (fragments.cpp)
  void reassemble(const uint8_t* ip, size_t hl, const uint8_t* payload, size_t len);
  struct Reassembly {
    uint32_t src, dst;
    uint16_t id;
    uint8_t proto;
    uint8_t header[IP_HDR];          // the first header seen, for the addresses
    std::vector<uint8_t> data;       // the payload so far
    std::vector<uint64_t> blocks;    // 8-byte blocks received
    size_t total = 0;                // payload length, once the last fragment came
    uint64_t expires;
  };
  std::vector<Reassembly> reassembly_;
  void arp_request(uint32_t ip);
  void arp_retry(uint32_t ip);

  struct Arp_entry {
    uint32_t ip;
    uint8_t mac[6];
    uint64_t expires;        // monotonic ns
  };
  std::vector<Arp_entry> arp_cache_;
  size_t arp_last_ = 0;      // the entry hit last: checked first
  struct Arp_pending {
    uint32_t ip;
    int tries;
    std::deque<std::vector<uint8_t>> frames;   // complete frames, destination MAC left blank
  };
  std::vector<Arp_pending> arp_pending_;
  uint16_t ip_id_ = 0;

  void icmp6_receive(const uint8_t* frame, const uint8_t* ip, const uint8_t* icmp, size_t len);
  void ndp_learn(const Addr6& ip, const uint8_t* mac);
  void ndp_solicit(const Addr6& target);
  bool transmit6(std::vector<uint8_t> frame);
  struct Neighbor6 {
    Addr6 ip;
    uint8_t mac[6];
    uint64_t expires;        // monotonic ns
  };
  std::vector<Neighbor6> neighbors6_;
  struct Pending6 {
    Addr6 ip;
    int tries;
    std::deque<std::vector<uint8_t>> frames;   // complete but for the destination MAC
  };
  std::vector<Pending6> pending6_;
};

/// The interfaces, eth0 first, the VLANs after the NICs' own.
std::vector<std::unique_ptr<Interface>>& all_interfaces();
/// VLAN `id` (1..4094) on `parent` (made once; later calls give the same
/// interface, unconfigured until configure()); null for a bad id or a
/// parent that is itself a VLAN.
Interface* add_vlan(Interface& parent, uint16_t id);
Interface* vlan_of(const Interface& parent, uint16_t id);
/// The interface to send to `dst` through: the one on its subnet, else
/// the first configured one.
Interface* route(uint32_t dst);
/// The same, from `src`: the interface that has it when it reaches `dst`.
Interface* route(uint32_t dst, uint32_t src);

/// ICMP echo (ping) from a service (IncludeOS's ICMPv4::ping): a request
/// with this identifier, sequence number and payload; false if it could
/// not be sent. Replies go to `echo_reply_handler`, when one is set.
bool icmp_echo_request(Interface& iface, uint32_t dst, uint16_t id, uint16_t seq,
                       const uint8_t* payload, size_t len);
struct Echo_reply {
  uint32_t src, dst;
  uint16_t id, seq, checksum;
  uint8_t type, code;
  const uint8_t* payload;
  size_t len;
};
extern void (*echo_reply_handler)(Interface& iface, const Echo_reply& reply);

/// udp.cpp: a datagram for one of our addresses; an ICMP error about one
/// we sent from `src_port`.
void udp_receive(Interface& iface, const uint8_t* ip, const uint8_t* udp, size_t len);
void udp_icmp_error(uint32_t dst, uint16_t src_port, uint16_t dst_port, int err);
/// tcp_glue.cpp: a segment for one of our addresses; an ICMP error about
/// one we sent (`quoted`: its IP header and what follows).
void tcp_receive(Interface& iface, const uint8_t* ip, const uint8_t* tcp, size_t len);
void tcp_icmp_error(uint8_t type, uint8_t code, uint32_t next_mtu, const uint8_t* quoted,
                    size_t len);
/// ... and a segment that came over IPv6 (`ip`: its IPv6 header).
void tcp6_receive(Interface& iface, const uint8_t* ip, const uint8_t* tcp, size_t len);
/// The Internet checksum of an IPv6 upper-layer packet (RFC 8200 8.1):
/// 0 when `payload` holds a correct one.
uint16_t checksum6(const Interface::Addr6& src, const Interface::Addr6& dst, uint8_t next,
                   const uint8_t* payload, size_t len);
/// Random bytes (the architecture's source).
void random_bytes(void* buf, size_t len);

// ---- template body ----------------------------------------------------------

template <class Fill>
bool Interface::send_ip(uint32_t dst, uint8_t proto, size_t l4_len, Fill fill, uint32_t src,
                        bool unspecified_source)
{
  if (!src && !unspecified_source)
    src = address;
  if ((!src && !is_broadcast(dst)) || l4_len > MAX_IP_PAYLOAD) {
    tx_dropped++;
    return false;
  }
  if (hooks4) {                                // the service's chains see it first
    std::vector<uint8_t> packet(IP_HDR + l4_len);
    write_ip_header(packet.data(), src, dst, proto, l4_len, ip_id_++,
                    IP_HDR + l4_len > MTU ? 0 : 0x4000);
    fill(packet.data() + IP_HDR);
    return send_hooked(std::move(packet));
  }
  if (!backlog_.empty())
    flush_backlog();                           // keep the order of what is sent
  if (IP_HDR + l4_len > MTU) {                 // the slow path: fragments
    std::vector<uint8_t> l4(l4_len);
    fill(l4.data());
    return send_fragmented(src, dst, proto, l4.data(), l4_len);
  }
  uint32_t hop;
  const uint8_t* mac;
  if (!next_hop(dst, hop, mac))
    return false;
  size_t len = ETH_HDR + IP_HDR + l4_len;
  std::vector<uint8_t> heap;                   // while ARP resolves `hop`, or the ring is full
  uint8_t* frame = frame_buffer(mac, len, heap);
  std::memcpy(frame + 6, nic->mac, 6);
  put16(frame + 12, ETH_IPV4);
  write_ip_header(frame + ETH_HDR, src, dst, proto, l4_len, ip_id_++, 0x4000 /* don't fragment */);
  fill(frame + ETH_HDR + IP_HDR);
  return finish_frame(frame, len, mac, hop, heap);
}

}  // namespace ukbase::net

namespace ukbase {
/// The VLANs of [build] config's "net" entries ("vlan": [{"id",
/// "address", "netmask", "gateway"}]), made and configured (IncludeOS's
/// net::setup_vlans()); how many were configured. Again: the same ones.
size_t net_setup_vlans();
}
