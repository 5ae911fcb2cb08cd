// POSIX socket system calls: AF_INET stream (TCP) and datagram (UDP)
// sockets as descriptors (socket.hpp). Here: argument checks, address
// conversion, SOL_SOCKET options every socket has, and the calls that
// reduce to sendmsg/recvmsg.
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>

#include "kernel/inet.hpp"
#include "kernel/syscall.h"
#include "socket.hpp"

namespace ukbase::net {

// ---- addresses ----------------------------------------------------------------

int from_sockaddr(const void* sa, uint32_t len, Inet_addr& out, bool allow_unspec, int family)
{
  if (!sa)
    return -EFAULT;
  if (len < sizeof(sa_family_t))
    return -EINVAL;
  sa_family_t given;
  std::memcpy(&given, sa, sizeof given);
  if (given == AF_UNSPEC && allow_unspec) {
    out = Inet_addr{};
    return 0;
  }
  if (given != family)
    return -EAFNOSUPPORT;
  if (family == AF_INET6) {
    if (len < sizeof(struct sockaddr_in6))
      return -EINVAL;
    struct sockaddr_in6 in6;
    std::memcpy(&in6, sa, sizeof in6);
    const uint8_t* b = in6.sin6_addr.s6_addr;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    static const uint8_t zeros[16] = {};
    if (std::memcmp(b, mapped, 12) == 0)
      out.addr = uint32_t(b[12]) << 24 | uint32_t(b[13]) << 16 | uint32_t(b[14]) << 8 | b[15];
    else if (std::memcmp(b, zeros, 16) == 0)
      out.addr = 0;
    else if (std::memcmp(b, zeros, 15) == 0 && b[15] == 1)
      out.addr = 0x7F000001;
    else if (!(out.addr = tcp6_handle(b)))
      return -ENOBUFS;
    out.port = ntohs(in6.sin6_port);
    return 0;
  }
  if (len < sizeof(struct sockaddr_in))
    return -EINVAL;
  struct sockaddr_in in;
  std::memcpy(&in, sa, sizeof in);
  out.addr = ntohl(in.sin_addr.s_addr);
  out.port = ntohs(in.sin_port);
  return 0;
}

void to_sockaddr(const Inet_addr& a, void* sa, uint32_t* len, int family)
{
  if (!sa || !len)
    return;
  if (family == AF_INET6) {
    struct sockaddr_in6 in6;
    std::memset(&in6, 0, sizeof in6);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(a.port);
    uint8_t* b = in6.sin6_addr.s6_addr;
    if (!tcp6_address(a.addr, b) && a.addr) {
      b[10] = b[11] = 0xFF;                      // an IPv4 peer: ::ffff:a.b.c.d
      b[12] = uint8_t(a.addr >> 24), b[13] = uint8_t(a.addr >> 16);
      b[14] = uint8_t(a.addr >> 8), b[15] = uint8_t(a.addr);
    }
    std::memcpy(sa, &in6, *len < sizeof in6 ? *len : sizeof in6);
    *len = sizeof in6;
    return;
  }
  struct sockaddr_in in;
  std::memset(&in, 0, sizeof in);
  in.sin_family = AF_INET;
  in.sin_port = htons(a.port);
  in.sin_addr.s_addr = htonl(a.addr);
  std::memcpy(sa, &in, *len < sizeof in ? *len : sizeof in);
  *len = sizeof in;
}

long iov_length(const struct iovec* iov, size_t cnt)
{
  size_t total = 0;
  for (size_t i = 0; i < cnt; i++) {
    if (iov[i].iov_len > SSIZE_MAX - total)
      return -EINVAL;
    total += iov[i].iov_len;
  }
  return static_cast<long>(total);
}

int int_option(const void* val, uint32_t len, int& out)
{
  if (!val)
    return -EFAULT;
  if (len < sizeof(int))
    return -EINVAL;
  std::memcpy(&out, val, sizeof out);
  return 0;
}

long put_int_option(void* val, uint32_t* len, int v)
{
  if (!val || !len)
    return -EFAULT;
  if (*len > sizeof v)
    *len = sizeof v;
  std::memcpy(val, &v, *len);
  return 0;
}

// ---- what every socket does --------------------------------------------------------

uint64_t Socket::deadline(uint64_t timeout_ns)
{
  return timeout_ns ? monotonic_now() + timeout_ns : 0;
}

long Socket::read(void* buf, size_t len)
{
  struct iovec v{buf, len};
  struct msghdr m{};
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  return recvmsg(m, 0);
}

long Socket::write(const void* buf, size_t len)
{
  struct iovec v{const_cast<void*>(buf), len};
  struct msghdr m{};
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  return sendmsg(m, 0);
}

long Socket::readv(const struct iovec* iov, int cnt)
{
  struct msghdr m{};
  m.msg_iov = const_cast<struct iovec*>(iov);
  m.msg_iovlen = cnt;
  return recvmsg(m, 0);
}

long Socket::writev(const struct iovec* iov, int cnt)
{
  struct msghdr m{};
  m.msg_iov = const_cast<struct iovec*>(iov);
  m.msg_iovlen = cnt;
  return sendmsg(m, 0);
}

long Socket::fstat(struct stat* st)
{
  std::memset(st, 0, sizeof *st);
  st->st_mode = S_IFSOCK | 0777;
  st->st_nlink = 1;
  st->st_blksize = 4096;
  return 0;
}

namespace {

Socket* socket_of(int n, long& err)
{
  fd::File* f = fd::lookup(n);
  if (!f) {
    err = -EBADF;
    return nullptr;
  }
  auto* s = dynamic_cast<Socket*>(f);
  if (!s)
    err = -ENOTSOCK;
  return s;
}

uint64_t timeval_ns(const void* val, uint32_t len, long& err)
{
  struct timeval tv;
  if (!val) {
    err = -EFAULT;
    return 0;
  }
  if (len < sizeof tv) {
    err = -EINVAL;
    return 0;
  }
  std::memcpy(&tv, val, sizeof tv);
  if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000) {
    err = -EDOM;
    return 0;
  }
  err = 0;
  return static_cast<uint64_t>(tv.tv_sec) * 1000000000ull + static_cast<uint64_t>(tv.tv_usec) * 1000;
}

long put_timeval(void* val, uint32_t* len, uint64_t ns)
{
  if (!val || !len)
    return -EFAULT;
  struct timeval tv;
  tv.tv_sec = static_cast<time_t>(ns / 1000000000ull);
  tv.tv_usec = static_cast<suseconds_t>(ns % 1000000000ull / 1000);
  if (*len > sizeof tv)
    *len = sizeof tv;
  std::memcpy(val, &tv, *len);
  return 0;
}

// SOL_SOCKET options the kinds share; -ENOPROTOOPT: ask the kind.
long common_setopt(Socket& s, int name, const void* val, uint32_t len)
{
  long err;
  switch (name) {
  case SO_RCVTIMEO: {
    uint64_t ns = timeval_ns(val, len, err);
    if (!err)
      s.rcvtimeo_ns = ns;
    return err;
  }
  case SO_SNDTIMEO: {
    uint64_t ns = timeval_ns(val, len, err);
    if (!err)
      s.sndtimeo_ns = ns;
    return err;
  }
  default:
    return -ENOPROTOOPT;
  }
}

long common_getopt(Socket& s, int name, void* val, uint32_t* len)
{
  switch (name) {
  case SO_TYPE: return put_int_option(val, len, s.type);
  case SO_PROTOCOL: return put_int_option(val, len, s.type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
  case SO_DOMAIN: return put_int_option(val, len, s.family);
  case SO_ERROR: {
    int e = s.pending_error;
    s.pending_error = 0;
    return put_int_option(val, len, e);
  }
  case SO_RCVTIMEO: return put_timeval(val, len, s.rcvtimeo_ns);
  case SO_SNDTIMEO: return put_timeval(val, len, s.sndtimeo_ns);
  default: return -ENOPROTOOPT;
  }
}

// getsockname and getpeername: `which` end of the socket.
long socket_name(int n, void* addr, uint32_t* len, long (Socket::*which)(Inet_addr&))
{
  long err;
  Socket* s = socket_of(n, err);
  if (!s)
    return err;
  if (!addr || !len)
    return -EFAULT;
  Inet_addr a;
  if (long r = (s->*which)(a))
    return r;
  to_sockaddr(a, addr, len, s->family);
  return 0;
}

namespace {

/// sendmsg/recvmsg: the socket and the message header checked, then `op`.
template <typename Msghdr, typename Op>
long with_msghdr(int n, Msghdr* m, Op op)
{
  long err;
  Socket* s = socket_of(n, err);
  if (!s)
    return err;
  if (!m || (m->msg_iovlen && !m->msg_iov))
    return -EFAULT;
  if (m->msg_iovlen > 1024)
    return -EMSGSIZE;
  fd::Held keep(n);                     // another thread may close it while we block
  return guarded([&] { return op(*s, *m); });
}

}  // namespace

long do_sendmsg(int n, const struct msghdr* m, int flags)
{
  return with_msghdr(n, m, [flags](Socket& s, const msghdr& h) { return s.sendmsg(h, flags); });
}

long do_recvmsg(int n, struct msghdr* m, int flags)
{
  return with_msghdr(n, m, [flags](Socket& s, msghdr& h) { return s.recvmsg(h, flags); });
}

}  // namespace
}  // namespace ukbase::net

// ---- system calls -----------------------------------------------------------------

using namespace ukbase;
using namespace ukbase::net;

extern "C" {

long sys_socket(int domain, int type, int protocol)
{
  int kind = type & 0xF;
  int flags = type & ~0xF;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
    return -EINVAL;
  if (domain != AF_INET && !(domain == AF_INET6 && kind == SOCK_STREAM))
    return -EAFNOSUPPORT;           // UDP over IPv6, UNIX, netlink, packet: not here
  std::shared_ptr<Socket> s;
  try {
    if (kind == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
      s = make_tcp_socket();
    else if (kind == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
      s = make_udp_socket();
    else if (kind == SOCK_STREAM || kind == SOCK_DGRAM || kind == SOCK_RAW)
      return -EPROTONOSUPPORT;
    else
      return -EINVAL;
  } catch (...) {
    return -ENOBUFS;
  }
  s->type = kind;
  s->family = domain;
  s->protocol = protocol ? protocol : (kind == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
  s->status_flags = O_RDWR | (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0);
  return fd::install(std::move(s), (flags & SOCK_CLOEXEC) != 0);
}

long sys_socketpair(int domain, int, int, int* fds)
{
  if (!fds)
    return -EFAULT;
  return domain == AF_UNIX ? -EAFNOSUPPORT : -EOPNOTSUPP;
}

long sys_bind(int n, const void* addr, uint32_t len)
{
  long err;
  Socket* s = socket_of(n, err);
  if (!s)
    return err;
  Inet_addr a;
  if (int e = from_sockaddr(addr, len, a, false, s->family))
    return e == -EAFNOSUPPORT ? -EINVAL : e;
  return guarded([&] { return s->bind(a); });
}

long sys_listen(int n, int backlog)
{
  long err;
  Socket* s = socket_of(n, err);
  if (!s)
    return err;
  return guarded([&] { return s->listen(backlog); });
}

long sys_accept4(int n, void* addr, uint32_t* len, int flags)
{
  long err;
  Socket* s = socket_of(n, err);
  if (!s)
    return err;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
    return -EINVAL;
  if (addr && !len)
    return -EFAULT;
  auto keep = fd::get(n);               // a callback might close it while we wait
  return guarded([&]() -> long {
    std::shared_ptr<Socket> c;
    Inet_addr peer;
    if (long r = s->accept(c, peer, s->nonblocking()))
      return r;
    c->status_flags = O_RDWR | (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0);
    int cfd = fd::install(c, (flags & SOCK_CLOEXEC) != 0);
    if (cfd < 0) {
      c->release();                     // nobody will close it: reset it
      return cfd;
    }
    to_sockaddr(peer, addr, len, s->family);
    return cfd;
  });
}

long sys_connect(int n, const void* addr, uint32_t len)
{
  long err;
  Socket* s = socket_of(n, err);
  if (!s)
    return err;
  Inet_addr a;
  if (int e = from_sockaddr(addr, len, a, true, s->family))
    return e;
  sa_family_t family;
  std::memcpy(&family, addr, sizeof family);
  auto keep = fd::get(n);
  return guarded([&] { return s->connect(a, family == AF_UNSPEC); });
}

long sys_sendto(int n, const void* buf, uint64_t len, int flags, const void* addr, uint32_t alen)
{
  struct iovec v{const_cast<void*>(buf), static_cast<size_t>(len)};
  struct msghdr m{};
  m.msg_name = const_cast<void*>(addr);
  m.msg_namelen = addr ? alen : 0;
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  if (len && !buf)
    return -EFAULT;
  auto keep = fd::get(n);
  return do_sendmsg(n, &m, flags);
}

long sys_recvfrom(int n, void* buf, uint64_t len, int flags, void* addr, uint32_t* alen)
{
  struct iovec v{buf, static_cast<size_t>(len)};
  struct msghdr m{};
  m.msg_name = addr;
  m.msg_namelen = addr && alen ? *alen : 0;
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  if (addr && !alen)
    return -EFAULT;
  auto keep = fd::get(n);
  long r = do_recvmsg(n, &m, flags);
  if (r >= 0 && addr && alen)
    *alen = m.msg_namelen;
  return r;
}

long sys_sendmsg(int n, const void* msg, int flags)
{
  auto keep = fd::get(n);
  return do_sendmsg(n, static_cast<const struct msghdr*>(msg), flags);
}

long sys_recvmsg(int n, void* msg, int flags)
{
  auto keep = fd::get(n);
  return do_recvmsg(n, static_cast<struct msghdr*>(msg), flags);
}

long sys_sendmmsg(int n, void* msgs, unsigned count, int flags)
{
  auto* v = static_cast<struct mmsghdr*>(msgs);
  if (!v)
    return -EFAULT;
  auto keep = fd::get(n);
  unsigned done = 0;
  for (; done < count && done < 1024; done++) {
    long r = do_sendmsg(n, &v[done].msg_hdr, flags);
    if (r < 0)
      return done ? static_cast<long>(done) : r;
    v[done].msg_len = static_cast<unsigned>(r);
  }
  return done;
}

long sys_recvmmsg(int n, void* msgs, unsigned count, int flags, void*)
{
  auto* v = static_cast<struct mmsghdr*>(msgs);
  if (!v)
    return -EFAULT;
  auto keep = fd::get(n);
  unsigned done = 0;
  for (; done < count && done < 1024; done++) {
    // After the first message, take only what is already there
    // (MSG_WAITFORONE semantics, which is also what most callers want).
    int f = done ? (flags | MSG_DONTWAIT) : flags;
    long r = do_recvmsg(n, &v[done].msg_hdr, f);
    if (r < 0)
      return done ? static_cast<long>(done) : r;
    v[done].msg_len = static_cast<unsigned>(r);
  }
  return done;
}

long sys_shutdown(int n, int how)
{
  long err;
  Socket* s = socket_of(n, err);
  if (!s)
    return err;
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
    return -EINVAL;
  return guarded([&] { return s->shutdown(how); });
}

long sys_setsockopt(int n, int level, int name, const void* val, uint32_t len)
{
  long err;
  Socket* s = socket_of(n, err);
  if (!s)
    return err;
  return guarded([&]() -> long {
    if (level == SOL_SOCKET) {
      long r = common_setopt(*s, name, val, len);
      if (r != -ENOPROTOOPT)
        return r;
    }
    return s->setopt(level, name, val, len);
  });
}

long sys_getsockopt(int n, int level, int name, void* val, uint32_t* len)
{
  long err;
  Socket* s = socket_of(n, err);
  if (!s)
    return err;
  if (!len)
    return -EFAULT;
  return guarded([&]() -> long {
    if (level == SOL_SOCKET) {
      long r = common_getopt(*s, name, val, len);
      if (r != -ENOPROTOOPT)
        return r;
    }
    return s->getopt(level, name, val, len);
  });
}

long sys_getsockname(int n, void* addr, uint32_t* len)
{
  return socket_name(n, addr, len, &Socket::local);
}

long sys_getpeername(int n, void* addr, uint32_t* len)
{
  return socket_name(n, addr, len, &Socket::peer);
}

}  // extern "C"
