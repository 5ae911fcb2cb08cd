// A DHCP server, as IncludeOS's net/dhcp/dhcpd.hpp:
//
//   auto& inet = net::Interfaces::get(0);             // with a static address
//   auto server = std::make_unique<net::dhcp::DHCPD>(inet.udp(),
//       net::ip4::Addr{10, 0, 0, 10}, net::ip4::Addr{10, 0, 0, 20});
//
// It answers on UDP port 67 of the interface (RFC 2131): DISCOVER gets an
// OFFER of the client's address (the one it had, else the first free one
// of the pool), REQUEST an ACK for that address (a NAK for another, or
// when the client picked another server), RELEASE and DECLINE give it
// back; an offer not taken up is held `pending` seconds. Offers and acks
// are broadcast; they carry the server's netmask, its address as the
// router, its DNS server and the lease time (the one a client asks for,
// up to `max_lease`). Leases live in memory: a reboot forgets them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <net/ip4/addr.hpp>
#include <net/udp/udp.hpp>

namespace net::dhcp {

class DHCPD {
 public:
  static constexpr uint32_t DEFAULT_LEASE = 86400;       // seconds
  static constexpr uint32_t DEFAULT_MAX_LEASE = 86400 * 7;
  static constexpr uint8_t DEFAULT_PENDING = 30;         // seconds an offer is held

  DHCPD(UDP& udp, ip4::Addr pool_start, ip4::Addr pool_end, uint32_t lease = DEFAULT_LEASE,
        uint32_t max_lease = DEFAULT_MAX_LEASE, uint8_t pending = DEFAULT_PENDING);
  ~DHCPD();
  DHCPD(const DHCPD&) = delete;
  DHCPD& operator=(const DHCPD&) = delete;

  /// How many addresses the pool has, and how many of them are leased or offered.
  size_t pool_size() const noexcept { return pool_end_.whole - pool_start_.whole + 1; }
  size_t leased() const noexcept { return leases_.size(); }
  /// The address leased (or offered) to the client with this hardware address, if any.
  ip4::Addr address_of(const std::string& mac) const;
  uint32_t lease_time() const noexcept { return lease_; }

 private:
  struct Lease {
    ip4::Addr addr;
    bool bound = false;        // acked; else offered, and free again after `pending` seconds
    int64_t offered = 0;       // when (steady clock, seconds)
  };
  void receive(const uint8_t* msg, size_t len);
  void reply(const uint8_t* request, size_t len, uint8_t type, ip4::Addr yiaddr);
  ip4::Addr pick(const std::string& mac, ip4::Addr wanted);

  UDP& udp_;
  udp::Socket* sock_ = nullptr;
  ip4::Addr pool_start_, pool_end_;
  uint32_t lease_, max_lease_;
  uint8_t pending_;
  std::map<std::string, Lease> leases_;     // by client hardware address (6 bytes)
};

}  // namespace net::dhcp
