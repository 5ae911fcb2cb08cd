// TCP's exceptions, as IncludeOS's net/tcp/tcp_errors.hpp.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace net {

/// What TCP's bind, listen and write throw.
struct TCP_error : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace tcp {

class TCPException : public std::runtime_error {
 public:
  explicit TCPException(const std::string& error) : std::runtime_error(error) {}
};

/// A malformed TCP option (RFC 9293 3.1); `kind` is the option's kind.
class TCPBadOptionException : public TCPException {
 public:
  TCPBadOptionException(uint8_t kind, const std::string& error)
      : TCPException("Bad Option [" + std::to_string(kind) + "]: " + error), kind_(kind)
  {
  }
  uint8_t kind() const noexcept { return kind_; }

 private:
  uint8_t kind_;
};

}  // namespace tcp
}  // namespace net
