// DNS's types (RFC 1035), as IncludeOS's net/dns/dns.hpp.
#pragma once

#include <cstdint>
#include <memory>

namespace net::dns {

static constexpr uint16_t SERVICE_PORT = 53;

enum class Record_type : uint16_t {
  A = 1,
  NS = 2,
  CNAME = 5,
  SOA = 6,
  PTR = 12,
  MX = 15,
  TXT = 16,
  AAAA = 28,
  ALL = 255,
};

enum class Class : uint16_t { INET = 1 };

class Response;
using Response_ptr = std::unique_ptr<Response>;

}  // namespace net::dns
