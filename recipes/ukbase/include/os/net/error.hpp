// What went wrong with a network operation, as IncludeOS's net/error.hpp:
// net::Error (a default-constructed one means no error) and ICMP_error.
#pragma once

#include <cstdint>
#include <string>

namespace net {

class Error {
 public:
  enum class Type : uint8_t { no_error, general_IO, ifdown, ICMP, timeout };

  Error() noexcept = default;
  Error(Type t, const char* msg) noexcept : type_(t), msg_(msg) {}
  virtual ~Error() = default;

  Type type() const noexcept { return type_; }
  /// True if this is an error.
  explicit operator bool() const noexcept { return type_ != Type::no_error; }
  bool is_icmp() const noexcept { return type_ == Type::ICMP; }

  virtual const char* what() const noexcept { return msg_; }
  virtual std::string to_string() const { return msg_; }

 private:
  Type type_ = Type::no_error;
  const char* msg_ = "No error";
};

/// An ICMP error about something we sent (destination unreachable, time
/// exceeded), with its type and code (RFC 792).
class ICMP_error : public Error {
 public:
  ICMP_error() noexcept = default;
  ICMP_error(uint8_t icmp_type, uint8_t icmp_code, uint16_t pmtu = 0) noexcept
      : Error(Type::ICMP, describe(icmp_type, icmp_code)), type_(icmp_type), code_(icmp_code),
        pmtu_(pmtu)
  {
  }

  uint8_t icmp_type() const noexcept { return type_; }
  uint8_t icmp_code() const noexcept { return code_; }
  /// "Fragmentation needed", with the next hop's MTU.
  bool is_too_big() const noexcept { return type_ == 3 && code_ == 4; }
  uint16_t pmtu() const noexcept { return pmtu_; }
  /// The ICMP type and code in words ("Destination unreachable",
  /// "Port unreachable").
  std::string icmp_type_str() const
  {
    switch (type_) {
    case 3: return "Destination unreachable";
    case 4: return "Source quench";
    case 5: return "Redirect";
    case 11: return "Time exceeded";
    case 12: return "Parameter problem";
    default: return "ICMP type " + std::to_string(type_);
    }
  }
  std::string icmp_code_str() const
  {
    return type_ == 3 || type_ == 11 ? describe(type_, code_) : "code " + std::to_string(code_);
  }

  std::string to_string() const override
  {
    return std::string("ICMP error: ") + what() + " (type " + std::to_string(type_) + ", code "
           + std::to_string(code_) + ")";
  }

 private:
  static const char* describe(uint8_t type, uint8_t code) noexcept
  {
    if (type == 11)
      return "Time exceeded";
    if (type != 3)
      return "ICMP error";
    switch (code) {
    case 0: return "Network unreachable";
    case 1: return "Host unreachable";
    case 2: return "Protocol unreachable";
    case 3: return "Port unreachable";
    case 4: return "Fragmentation needed";
    default: return "Destination unreachable";
    }
  }

  uint8_t type_ = 0, code_ = 0;
  uint16_t pmtu_ = 0;
};

}  // namespace net
