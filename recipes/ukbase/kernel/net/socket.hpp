// Internal to kernel/net: POSIX sockets as descriptors. socket.cpp holds
// the system calls and what every socket shares (timeouts, the address
// conversions, the options of level SOL_SOCKET); socket_tcp.cpp and
// socket_udp.cpp the two kinds.
//
// Blocking calls run the event loop until they can return
// (ukbase::block_until), so a blocking server works like an epoll one;
// O_NONBLOCK / MSG_DONTWAIT answer EAGAIN instead. Errors are the errno
// values a Linux program expects. No signal is ever raised: writing to a
// connection the peer closed answers EPIPE and the service goes on (as
// with MSG_NOSIGNAL on Linux).
#pragma once

#include <cstdint>
#include <netinet/in.h>
#include <sys/socket.h>

#include "kernel/fd.hpp"

namespace ukbase::net {

/// sockaddr_in (or sockaddr_in6) <-> address and port in host byte order.
/// An IPv6 address is the TCP engine's handle for it (kernel/inet.hpp),
/// a v4-mapped one (::ffff:a.b.c.d) the IPv4 address, :: is 0 and ::1 is
/// 127.0.0.1 (there is no loopback either way).
struct Inet_addr {
  uint32_t addr = 0;
  uint16_t port = 0;
};
/// -EINVAL (too short), -EAFNOSUPPORT (not the socket's `family`),
/// -EFAULT, or 0.
int from_sockaddr(const void* sa, uint32_t len, Inet_addr& out, bool allow_unspec = false,
                  int family = AF_INET);
/// Write as much of a sockaddr_in (AF_INET6: sockaddr_in6) as fits, and
/// its full length.
void to_sockaddr(const Inet_addr& a, void* sa, uint32_t* len, int family = AF_INET);

/// Total length of an iovec array; -EINVAL when it overflows.
long iov_length(const struct iovec* iov, size_t cnt);

class Socket : public fd::File {
 public:
  virtual long bind(const Inet_addr& a) = 0;
  virtual long listen(int backlog) = 0;
  /// An accepted connection as a new Socket (its peer in `peer`).
  virtual long accept(std::shared_ptr<Socket>& out, Inet_addr& peer, bool nonblocking) = 0;
  virtual long connect(const Inet_addr& a, bool unspec) = 0;
  virtual long sendmsg(const struct msghdr& m, int flags) = 0;
  virtual long recvmsg(struct msghdr& m, int flags) = 0;
  virtual long shutdown(int how) = 0;
  virtual long local(Inet_addr& out) = 0;
  virtual long peer(Inet_addr& out) = 0;
  /// Protocol-level options; SOL_SOCKET ones the kind handles itself are
  /// answered here first (see socket.cpp).
  virtual long setopt(int level, int name, const void* val, uint32_t len) = 0;
  virtual long getopt(int level, int name, void* val, uint32_t* len) = 0;

  long read(void* buf, size_t len) override;
  long write(const void* buf, size_t len) override;
  long readv(const struct iovec* iov, int cnt) override;
  long writev(const struct iovec* iov, int cnt) override;
  long fstat(struct stat* st) override;

  int type = 0;                   // SOCK_STREAM or SOCK_DGRAM
  int family = AF_INET;           // or AF_INET6 (TCP)
  int protocol = 0;
  uint64_t rcvtimeo_ns = 0;       // 0: wait forever
  uint64_t sndtimeo_ns = 0;
  int pending_error = 0;          // SO_ERROR

 protected:
  /// The deadline for a blocking call (0: none) from a timeout.
  static uint64_t deadline(uint64_t timeout_ns);
};

std::shared_ptr<Socket> make_tcp_socket();
std::shared_ptr<Socket> make_udp_socket();

/// Shared by both kinds: an int option's value, or -EINVAL/-EFAULT.
int int_option(const void* val, uint32_t len, int& out);
/// Store an int option's value (as much of it as fits).
long put_int_option(void* val, uint32_t* len, int v);

}  // namespace ukbase::net
