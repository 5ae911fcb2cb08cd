// One resource record of a DNS answer (RFC 1035 4.1.3).
#pragma once

#include <cstdint>
#include <string>

#include <net/addr.hpp>
#include <net/dns/dns.hpp>
#include <net/ip4/addr.hpp>
#include <net/ip6/addr.hpp>

namespace net::dns {

struct Record {
  std::string name;
  Record_type rtype = Record_type::A;
  Class rclass = Class::INET;
  uint32_t ttl = 0;
  uint16_t data_len = 0;
  std::string rdata;     // raw, except CNAME/NS/PTR: the name, as text

  bool is_addr() const noexcept
  {
    return (rtype == Record_type::A && rdata.size() == 4)
           || (rtype == Record_type::AAAA && rdata.size() == 16);
  }
  ip4::Addr get_ipv4() const noexcept
  {
    if (rtype != Record_type::A || rdata.size() != 4)
      return ip4::Addr::addr_any;
    auto b = [this](int i) { return static_cast<uint8_t>(rdata[i]); };
    return ip4::Addr(b(0), b(1), b(2), b(3));
  }
  ip6::Addr get_ipv6() const noexcept
  {
    ip6::Addr a;
    if (rtype == Record_type::AAAA && rdata.size() == 16)
      for (int i = 0; i < 16; i++)
        a.i8[i] = static_cast<uint8_t>(rdata[i]);
    return a;
  }
  net::Addr get_addr() const noexcept
  {
    return rtype == Record_type::AAAA ? net::Addr(get_ipv6()) : net::Addr(get_ipv4());
  }
};

}  // namespace net::dns
