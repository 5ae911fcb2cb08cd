// An endpoint: address and port, as IncludeOS's net/socket.hpp.
//
//   net::Socket s{ip4::Addr{10, 0, 0, 1}, 8080};
//   s.to_string() == "10.0.0.1:8080";     // IPv6: "[fe80::1]:8080"
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include <net/addr.hpp>

namespace net {

class Socket {
 public:
  using Address = net::Addr;
  using port_t = uint16_t;

  /// The any address (::), port 0.
  constexpr Socket() noexcept : addr_(), port_(0) {}
  explicit constexpr Socket(port_t port) noexcept : addr_(), port_(port) {}
  Socket(Address address, port_t port) noexcept : addr_(address), port_(port) {}

  const Address& address() const noexcept { return addr_; }
  constexpr port_t port() const noexcept { return port_; }

  std::string to_string() const
  {
    if (addr_.is_v4())
      return addr_.to_string() + ":" + std::to_string(port_);
    return "[" + addr_.to_string() + "]:" + std::to_string(port_);
  }

  /// The any address and port 0.
  bool is_empty() const noexcept { return addr_.v6() == ip6::Addr::link_unspecified && port_ == 0; }

  bool operator==(const Socket& o) const noexcept { return addr_ == o.addr_ && port_ == o.port_; }
  bool operator!=(const Socket& o) const noexcept { return !(*this == o); }
  bool operator<(const Socket& o) const noexcept
  {
    return addr_ < o.addr_ || (addr_ == o.addr_ && port_ < o.port_);
  }
  bool operator>(const Socket& o) const noexcept { return o < *this; }
  bool operator<=(const Socket& o) const noexcept { return !(o < *this); }
  bool operator>=(const Socket& o) const noexcept { return !(*this < o); }

 private:
  Address addr_;
  port_t port_;
};

/// Both ends of a connection.
struct Quadruple {
  Socket src, dst;

  Quadruple() = default;
  Quadruple(Socket s, Socket d) : src(s), dst(d) {}

  bool operator==(const Quadruple& o) const noexcept { return src == o.src && dst == o.dst; }
  bool operator!=(const Quadruple& o) const noexcept { return !(*this == o); }
  bool operator<(const Quadruple& o) const noexcept
  {
    return src < o.src || (src == o.src && dst < o.dst);
  }
  bool is_reverse(const Quadruple& o) const noexcept { return src == o.dst && dst == o.src; }
  Quadruple& swap()
  {
    std::swap(src, dst);
    return *this;
  }
  /// "10.0.0.1:80 10.0.0.2:4000"
  std::string to_string() const { return src.to_string() + " " + dst.to_string(); }
};

}  // namespace net

template <>
struct std::hash<net::Socket> {
  size_t operator()(const net::Socket& s) const noexcept
  {
    return std::hash<net::Addr>{}(s.address()) * 31 + s.port();
  }
};

template <>
struct std::hash<std::pair<net::Socket, net::Socket>> {
  size_t operator()(const std::pair<net::Socket, net::Socket>& p) const noexcept
  {
    return std::hash<net::Socket>{}(p.first) * 31 + std::hash<net::Socket>{}(p.second);
  }
};

template <>
struct std::hash<net::Quadruple> {
  size_t operator()(const net::Quadruple& q) const noexcept
  {
    return std::hash<net::Socket>{}(q.src) * 31 + std::hash<net::Socket>{}(q.dst);
  }
};
