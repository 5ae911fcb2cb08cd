// ICMP for IPv4, as IncludeOS's net/ip4/icmp4.hpp: Inet::icmp().
//
// The kernel answers echo requests (ping) itself. ping() sends an echo
// request (identifiers counting from 0, sequence number 0, IncludeOS's
// 48-byte payload "INCLUDEOS12345ABC...") and runs its callback with the
// reply, or after `sec_wait` seconds with an empty ICMP_view (false) when
// none came. ping(hostname) resolves the name first (no callback when it
// does not resolve, as on IncludeOS).
#pragma once

#include <cstdint>
#include <string>

#include <delegate>
#include <net/ip4/addr.hpp>
#include <net/ip4/packet_ip4.hpp>

namespace net {

class Inet;

namespace icmp4 {

enum class Type : uint8_t {
  ECHO_REPLY = 0,
  DEST_UNREACHABLE = 3,
  REDIRECT = 5,
  ECHO = 8,
  ROUTER_ADVERTISEMENT = 9,
  ROUTER_SOLICITATION = 10,
  TIME_EXCEEDED = 11,
  PARAMETER_PROBLEM = 12,
  TIMESTAMP = 13,
  TIMESTAMP_REPLY = 14,
  NO_REPLY = 199,     // what an ICMP_view without a reply says
};

}  // namespace icmp4

/// An ICMP message received in answer to a ping; false if none came.
class ICMP_view {
 public:
  ICMP_view() = default;
  ICMP_view(uint16_t id, uint16_t seq, ip4::Addr src, ip4::Addr dst, icmp4::Type type,
            uint8_t code, uint16_t checksum, std::string payload)
      : id_(id), seq_(seq), src_(src), dst_(dst), type_(type), code_(code), checksum_(checksum),
        payload_(std::move(payload))
  {
  }

  uint16_t id() const noexcept { return id_; }
  uint16_t seq() const noexcept { return seq_; }
  ip4::Addr src() const noexcept { return src_; }
  ip4::Addr dst() const noexcept { return dst_; }
  icmp4::Type type() const noexcept { return type_; }
  uint8_t code() const noexcept { return code_; }
  uint16_t checksum() const noexcept { return checksum_; }
  const std::string& payload() const noexcept { return payload_; }
  explicit operator bool() const noexcept { return type_ != icmp4::Type::NO_REPLY; }

  /// IncludeOS's lines: Identifier, Sequence number, Source, Destination,
  /// Type, Code, Checksum, Data.
  std::string to_string() const;

 private:
  uint16_t id_ = 0, seq_ = 0;
  ip4::Addr src_, dst_;
  icmp4::Type type_ = icmp4::Type::NO_REPLY;
  uint8_t code_ = 0;
  uint16_t checksum_ = 0;
  std::string payload_;
};

class ICMPv4 {
 public:
  using Stack = Inet;
  using icmp_func = delegate<void(ICMP_view)>;
  static constexpr int SEC_WAIT_FOR_REPLY = 40;

  explicit ICMPv4(Stack& stack) : stack_(stack) {}

  void ping(ip4::Addr ip);
  void ping(ip4::Addr ip, icmp_func callback, int sec_wait = SEC_WAIT_FOR_REPLY);
  void ping(const std::string& hostname);
  void ping(const std::string& hostname, icmp_func callback, int sec_wait = SEC_WAIT_FOR_REPLY);

  /// ICMP errors about a packet this stack got (sent to its source, at
  /// most 100 a second): "time exceeded" (code 0: TTL exceeded in
  /// transit) and "destination unreachable" (code 0 net, 1 host, 3 port,
  /// 4 fragmentation needed, ...).
  void time_exceeded(std::unique_ptr<PacketIP4> pkt, uint8_t code = 0);
  void destination_unreachable(std::unique_ptr<PacketIP4> pkt, uint8_t code);

 private:
  Stack& stack_;
};

}  // namespace net
