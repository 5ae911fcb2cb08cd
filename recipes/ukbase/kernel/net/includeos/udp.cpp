// IncludeOS's net::UDP and net::udp::Socket over the kernel's UDP
// bindings: each IPv4 socket is one Udp_receiver bound in
// kernel/net/udp.cpp, so the POSIX socket API sees its port taken; each
// IPv6 socket one Udp6_receiver bound in kernel/net/ipv6.cpp.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include <net/inet.hpp>

#include "kernel/clock.h"
#include "kernel/inet.hpp"

namespace knet = ukbase::net;

namespace net {

namespace {

// How long an error handler is kept for ICMP errors about a destination.
constexpr uint64_t ERROR_HANDLER_NS = 5ull * 60 * 1000000000;

// The kernel reports ICMP errors as errno values: back to the ICMP
// destination-unreachable code (RFC 792) that IncludeOS's ICMP_error has.
uint8_t unreachable_code(int err)
{
  switch (err) {
  case ENETUNREACH: return 0;
  case ENOPROTOOPT: return 2;
  case ECONNREFUSED: return 3;
  case EMSGSIZE: return 4;
  default: return 1;          // host unreachable
  }
}

}  // namespace

// ---- the kernel's side of a socket ------------------------------------------------

class udp::Socket::Binding final : public knet::Udp_receiver, public knet::Udp6_receiver {
 public:
  void udp_receive(const knet::Udp_datagram& d) override
  {
    if (socket)
      socket->receive(ip4::Addr(d.src), d.src_port, reinterpret_cast<const char*>(d.data), d.size);
  }

  void udp6_receive(const knet::Udp6_datagram& d) override
  {
    ip6::Addr src;
    std::memcpy(&src, d.src, 16);
    if (socket)
      socket->receive(src, d.src_port, reinterpret_cast<const char*>(d.data), d.size);
  }

  void udp_error(uint32_t dst, uint16_t dst_port, int err) override
  {
    if (socket)
      socket->icmp_error(ip4::Addr(dst), dst_port, ICMP_error(3, unreachable_code(err)));
  }

  void unbind()
  {
    if (v6)
      knet::udp6_unbind(addr6, port);
    else
      knet::udp_unbind(addr, port);
  }

  udp::Socket* socket = nullptr;
  bool v6 = false;
  uint32_t addr = 0;
  uint8_t addr6[16] = {};
  uint16_t port = 0;
};

// ---- UDP ------------------------------------------------------------------------------

udp::Socket& UDP::bind(port_t port) { return bind(net::Socket{stack_.ip_addr(), port}); }

udp::Socket& UDP::bind6(port_t port) { return bind(net::Socket{stack_.ip6_addr(), port}); }

udp::Socket& UDP::bind(const addr_t& addr) { return bind(net::Socket{addr, 0}); }

udp::Socket& UDP::bind() { return bind(net::Socket{stack_.ip_addr(), 0}); }

udp::Socket& UDP::bind6() { return bind(net::Socket{stack_.ip6_addr(), 0}); }

udp::Socket& UDP::bind(const net::Socket& socket)
{
  if (!stack_.is_valid_source(socket.address()))
    throw UDP_error("Cannot bind to address: " + socket.address().to_string());
  return bind_socket(socket);
}

udp::Socket& UDP::bind_socket(const net::Socket& requested)
{
  net::Socket local = requested;
  std::unique_ptr<udp::Socket::Binding> binding;
  if (local.address().is_v4()) {
    // The kernel's binding first: it knows the POSIX sockets' ports too,
    // and picks the ephemeral port for port 0.
    binding = std::make_unique<udp::Socket::Binding>();
    binding->addr = local.address().v4().whole;
    binding->port = local.port();
    int err = knet::udp_bind(binding->addr, binding->port, binding.get());
    if (err == -EADDRINUSE)
      throw Port_in_use_exception(local.port());
    if (err)
      throw UDP_error("Cannot bind to address: " + local.address().to_string());
    local = net::Socket{local.address(), binding->port};
  } else {
    binding = std::make_unique<udp::Socket::Binding>();
    binding->v6 = true;
    ip6::Addr a6 = local.address().v6();
    std::memcpy(binding->addr6, &a6, 16);
    binding->port = local.port();
    if (knet::udp6_bind(binding->addr6, binding->port, binding.get()))
      throw Port_in_use_exception(local.port());
    local = net::Socket{local.address(), binding->port};
  }
  if (sockets_.count(local)) {      // closed from its callback, not gone yet
    if (binding)
      binding->unbind();
    throw Port_in_use_exception(local.port());
  }
  auto it = sockets_.emplace(std::piecewise_construct, std::forward_as_tuple(local),
                             std::forward_as_tuple(*this, local)).first;
  if (binding) {
    binding->socket = &it->second;
    it->second.binding_ = std::move(binding);
  }
  return it->second;
}

bool UDP::is_bound(const net::Socket& socket) const
{
  auto it = sockets_.find(socket);
  if (it != sockets_.end() && !it->second.closed_)
    return true;
  return socket.address().is_v4() && knet::udp_is_bound(socket.address().v4().whole, socket.port());
}

bool UDP::is_bound(port_t port) const
{
  return is_bound(net::Socket{stack_.ip_addr(), port})
         || knet::udp_is_bound(0, port);
}

bool UDP::is_bound6(port_t port) const { return is_bound(net::Socket{stack_.ip6_addr(), port}); }

void UDP::close(const net::Socket& socket)
{
  auto it = sockets_.find(socket);
  if (it == sockets_.end())
    return;
  udp::Socket& s = it->second;
  s.unbind();                       // the port is free at once
  if (s.in_callback_) {
    s.closed_ = true;               // destroyed once its callback returns
    return;
  }
  sockets_.erase(it);
}

UDP::addr_t UDP::local_ip() const { return stack_.ip_addr(); }

uint16_t UDP::max_datagram_size() noexcept
{
  return static_cast<uint16_t>(stack_.MTU() - IP4::header_size - 8);
}

}  // namespace net

// ---- udp::Socket ----------------------------------------------------------------------

namespace net::udp {

Socket::Socket(UDP& udp, net::Socket local) : udp_(udp), local_(local) {}

Socket::~Socket() { unbind(); }

void Socket::unbind()
{
  if (binding_)
    binding_->unbind();
  binding_.reset();
}

void Socket::close() { udp_.close(local_); }

void Socket::receive(addr_t src, port_t src_port, const char* data, size_t len)
{
  if (!on_read_ || closed_)
    return;
  // The handler may close this socket: it then goes once the handler
  // has returned, not under its feet.
  in_callback_++;
  on_read_(src, src_port, data, len);
  in_callback_--;
  if (closed_ && !in_callback_)
    udp_.sockets_.erase(local_);    // destroys *this
}

void Socket::icmp_error(addr_t dst, port_t dst_port, const Error& err)
{
  auto it = error_handlers_.find(net::Socket{dst, dst_port});
  if (it == error_handlers_.end())
    return;
  error_handler h = std::move(it->second.handler);
  bool fresh = it->second.expires_ns > clock_monotonic_ns();
  error_handlers_.erase(it);        // once
  if (fresh && h)
    h(err);
}

void Socket::remember_error_handler(addr_t dest, port_t port, const error_handler& ecb)
{
  if (!ecb)
    return;
  uint64_t now = clock_monotonic_ns();
  for (auto it = error_handlers_.begin(); it != error_handlers_.end();)
    it = it->second.expires_ns <= now ? error_handlers_.erase(it) : std::next(it);
  error_handlers_[net::Socket{dest, port}] = Error_handler{ecb, now + ERROR_HANDLER_NS};
}

void Socket::sendto(addr_t dest, port_t port, const void* buffer, size_t length,
                    sendto_handler cb, error_handler ecb)
{
  send(dest, port, buffer, length, udp_.max_datagram_size(), cb, ecb);
}

void Socket::sendto_whole(addr_t dest, port_t port, const void* buffer, size_t length,
                          sendto_handler cb, error_handler ecb)
{
  send(dest, port, buffer, length, knet::UDP_MAX_PAYLOAD, cb, ecb);
}

void Socket::bcast(addr_t src, port_t port, const void* buffer, size_t length, sendto_handler cb,
                   error_handler ecb)
{
  (void)src;                        // sent from the socket's own address
  send(ip4::Addr::addr_bcast, port, buffer, length, udp_.max_datagram_size(), cb, ecb);
}

void Socket::send(addr_t dest, port_t port, const void* buffer, size_t length, size_t max,
                  const sendto_handler& cb, const error_handler& ecb)
{
  if (length == 0)
    return;
  if (dest.is_v4() != local_.address().is_v4()) {
    if (ecb)
      ecb(Error(Error::Type::general_IO, "IPv4 and IPv6 do not mix on one socket"));
    return;
  }
  if (!dest.is_v4()) {
    send6(dest.v6(), port, static_cast<const uint8_t*>(buffer), length, cb, ecb);
    return;
  }
  if (length > max && max == knet::UDP_MAX_PAYLOAD) {
    if (ecb)
      ecb(Error(Error::Type::general_IO, "Datagram too large"));
    return;
  }
  remember_error_handler(dest, port, ecb);
  knet::Interface* iface = knet::interface(udp_.stack().index());
  uint32_t src = local_.address().v4().whole, dst = dest.v4().whole;
  const auto* p = static_cast<const uint8_t*>(buffer);
  // Datagrams of at most `max` bytes, one after the other (not IP
  // fragments), as IncludeOS splits them.
  for (size_t off = 0; off < length;) {
    size_t n = length - off < max ? length - off : max;
    int err = knet::udp_send(src, local_.port(), dst, port, p + off, n, iface);
    if (err) {
      if (ecb)
        ecb(err == -ENETUNREACH ? Error(Error::Type::ifdown, "Network unreachable")
                                : Error(Error::Type::general_IO, "Could not send (no buffer)"));
      return;
    }
    off += n;
  }
  if (cb)
    cb();
}

void Socket::send6(ip6::Addr dest, port_t port, const uint8_t* p, size_t length,
                   const sendto_handler& cb, const error_handler& ecb)
{
  knet::Interface* iface = knet::interface(udp_.stack().index());
  uint8_t src[16], dst[16];
  ip6::Addr local = local_.address().v6();
  std::memcpy(src, &local, 16);
  std::memcpy(dst, &dest, 16);
  // Datagrams of at most a frame's payload each (no IPv6 fragments).
  for (size_t off = 0; off < length;) {
    size_t n = std::min(length - off, knet::UDP6_MAX_PAYLOAD);
    int err = iface ? knet::udp6_send(*iface, src, local_.port(), dst, port, p + off, n) : -ENETUNREACH;
    if (err) {
      if (ecb)
        ecb(Error(Error::Type::general_IO, err == -EADDRNOTAVAIL ? "No IPv6 address to send from"
                                                                 : "Could not send (no buffer)"));
      return;
    }
    off += n;
  }
  if (cb)
    cb();
}

}  // namespace net::udp
