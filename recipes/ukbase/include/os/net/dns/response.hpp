// A parsed DNS answer, as IncludeOS's net/dns/response.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <net/addr.hpp>
#include <net/dns/dns.hpp>
#include <net/dns/record.hpp>

namespace net::dns {

class Response {
 public:
  std::vector<Record> answers;
  std::vector<Record> auth;
  std::vector<Record> addit;
  /// The header's RCODE: 0 no error, 3 no such name, ...
  uint8_t rcode = 0;

  ip4::Addr get_first_ipv4() const noexcept
  {
    for (auto& r : answers)
      if (r.rtype == Record_type::A && r.is_addr())
        return r.get_ipv4();
    return ip4::Addr::addr_any;
  }
  ip6::Addr get_first_ipv6() const noexcept
  {
    for (auto& r : answers)
      if (r.rtype == Record_type::AAAA && r.is_addr())
        return r.get_ipv6();
    return ip6::Addr::addr_any;
  }
  /// The first address of either kind (IPv4 first), or ::.
  net::Addr get_first_addr() const noexcept
  {
    for (auto& r : answers)
      if (r.rtype == Record_type::A && r.is_addr())
        return r.get_addr();
    for (auto& r : answers)
      if (r.is_addr())
        return r.get_addr();
    return net::Addr::addr_any;
  }
  bool has_addr() const noexcept
  {
    for (auto& r : answers)
      if (r.is_addr())
        return true;
    return false;
  }

  /// Parse a DNS message (the answer to query `id`); false if it is
  /// malformed or answers something else.
  bool parse(const uint8_t* msg, size_t len, uint16_t id);
};

}  // namespace net::dns
