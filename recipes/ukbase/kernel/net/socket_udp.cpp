// UDP sockets: a binding in the kernel's UDP table (udp.cpp) and a
// queue of received datagrams, bounded by SO_RCVBUF (a full queue drops
// what arrives, as on Linux). Sending needs no queue: a datagram goes to
// the NIC (or its backlog) at once.
#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <netinet/ip.h>
#include <poll.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <vector>

#include "kernel/inet.hpp"
#include "socket.hpp"

namespace ukbase::net {

namespace {

constexpr size_t DEFAULT_BUF = 212992;         // Linux's rmem_default
constexpr size_t MAX_BUF = 4u << 20;
constexpr size_t OVERHEAD = 256;               // what each queued datagram costs beyond its bytes

struct Datagram {
  Inet_addr from;
  std::vector<uint8_t> data;
};

class Udp_socket final : public Socket, public Udp_receiver {
 public:
  ~Udp_socket() override { unbind(); }

  long bind(const Inet_addr& a) override
  {
    if (bound_)
      return -EINVAL;
    uint16_t port = a.port;
    if (int err = udp_bind(a.addr, port, this))
      return err;
    bound_ = true;
    local_ = Inet_addr{a.addr, port};
    return 0;
  }

  long listen(int) override { return -EOPNOTSUPP; }
  long accept(std::shared_ptr<Socket>&, Inet_addr&, bool) override { return -EOPNOTSUPP; }

  long connect(const Inet_addr& a, bool unspec) override
  {
    if (unspec) {                               // dissolve the association
      connected_ = false;
      peer_ = Inet_addr{};
      return 0;
    }
    if (!a.port)
      return -EINVAL;
    if (long err = autobind())
      return err;
    if (!route(a.addr) && a.addr != 0xFFFFFFFFu)
      return -ENETUNREACH;
    peer_ = a;
    connected_ = true;
    pending_error = 0;
    return 0;
  }

  long sendmsg(const struct msghdr& m, int flags) override
  {
    (void)flags;
    Inet_addr to = peer_;
    if (m.msg_name && m.msg_namelen) {
      if (int err = from_sockaddr(m.msg_name, m.msg_namelen, to))
        return err;
      if (!to.port)
        return -EINVAL;
    } else if (!connected_) {
      return -EDESTADDRREQ;
    }
    if (shut_wr_)
      return -EPIPE;
    if (connected_ && pending_error) {
      long err = -pending_error;
      pending_error = 0;
      return err;
    }
    long len = iov_length(m.msg_iov, static_cast<size_t>(m.msg_iovlen));
    if (len < 0)
      return len;
    if (static_cast<size_t>(len) > UDP_MAX_PAYLOAD)
      return -EMSGSIZE;
    bool bcast = to.addr == 0xFFFFFFFFu;
    if (!bcast)
      if (Interface* i = route(to.addr))
        bcast = config_of(*i).netmask && to.addr == (config_of(*i).address | ~config_of(*i).netmask);
    if (bcast && !broadcast_)
      return -EACCES;
    if (long err = autobind())
      return err;
    const void* data;
    std::vector<uint8_t> gathered;
    if (m.msg_iovlen == 1) {
      data = m.msg_iov[0].iov_base;
    } else {
      gathered.resize(static_cast<size_t>(len));
      size_t at = 0;
      for (size_t i = 0; i < static_cast<size_t>(m.msg_iovlen); i++) {
        std::memcpy(gathered.data() + at, m.msg_iov[i].iov_base, m.msg_iov[i].iov_len);
        at += m.msg_iov[i].iov_len;
      }
      data = gathered.data();
    }
    Interface* via = nullptr;
    if (to.addr == 0xFFFFFFFFu) {
      via = route(to.addr);
      if (!via)
        via = interface(0);
    }
    int err = udp_send(local_.addr, local_.port, to.addr, to.port, data, static_cast<size_t>(len), via);
    return err ? err : len;
  }

  long recvmsg(struct msghdr& m, int flags) override
  {
    if (queue_.empty()) {
      if (pending_error) {
        long err = -pending_error;
        pending_error = 0;
        return err;
      }
      if (shut_rd_)
        return 0;
      if (nonblocking() || (flags & MSG_DONTWAIT))
        return -EAGAIN;
      if (!bound_)
        if (long err = autobind())
          return err;
      uint64_t until = deadline(rcvtimeo_ns);
      if (!block_until([this] { return !queue_.empty() || pending_error || shut_rd_; }, until))
        return -EAGAIN;
      if (queue_.empty())
        return recvmsg(m, flags);
    }
    Datagram& d = queue_.front();
    size_t copied = 0;
    for (size_t i = 0; i < static_cast<size_t>(m.msg_iovlen) && copied < d.data.size(); i++) {
      size_t n = std::min(m.msg_iov[i].iov_len, d.data.size() - copied);
      std::memcpy(m.msg_iov[i].iov_base, d.data.data() + copied, n);
      copied += n;
    }
    m.msg_flags = copied < d.data.size() ? MSG_TRUNC : 0;
    if (m.msg_name)
      to_sockaddr(d.from, m.msg_name, &m.msg_namelen);
    m.msg_controllen = 0;
    long result = static_cast<long>((flags & MSG_TRUNC) ? d.data.size() : copied);
    if (!(flags & MSG_PEEK)) {
      queued_ -= d.data.size() + OVERHEAD;
      queue_.pop_front();
    }
    return result;
  }

  long shutdown(int how) override
  {
    if (!connected_)
      return -ENOTCONN;
    if (how == SHUT_RD || how == SHUT_RDWR)
      shut_rd_ = true;
    if (how == SHUT_WR || how == SHUT_RDWR)
      shut_wr_ = true;
    changed();
    return 0;
  }

  long local(Inet_addr& out) override
  {
    out = bound_ ? local_ : Inet_addr{};
    if (bound_ && !out.addr && connected_)
      if (Interface* i = route(peer_.addr))
        out.addr = config_of(*i).address;
    return 0;
  }

  long peer(Inet_addr& out) override
  {
    if (!connected_)
      return -ENOTCONN;
    out = peer_;
    return 0;
  }

  long setopt(int level, int name, const void* val, uint32_t len) override
  {
    int v;
    if (int err = int_option(val, len, v))
      return err;
    if (level == SOL_SOCKET) {
      switch (name) {
      case SO_REUSEADDR: reuse_ = v != 0; return 0;
      case SO_REUSEPORT: return 0;
      case SO_BROADCAST: broadcast_ = v != 0; return 0;
      case SO_RCVBUF:
        rcvbuf_ = std::min<size_t>(MAX_BUF, std::max(v, 1024) * 2ul);   // doubled, as on Linux
        return 0;
      case SO_SNDBUF:
        sndbuf_ = std::min<size_t>(MAX_BUF, std::max(v, 1024) * 2ul);
        return 0;
      case SO_KEEPALIVE:
      case SO_PRIORITY:
      case SO_DONTROUTE:
        return 0;
      default:
        return -ENOPROTOOPT;
      }
    }
    if (level == IPPROTO_IP && (name == IP_TOS || name == IP_TTL || name == IP_RECVTOS
                                || name == IP_PKTINFO || name == IP_MTU_DISCOVER))
      return 0;                                  // accepted, without effect
    return -ENOPROTOOPT;
  }

  long getopt(int level, int name, void* val, uint32_t* len) override
  {
    if (level == SOL_SOCKET) {
      switch (name) {
      case SO_REUSEADDR: return put_int_option(val, len, reuse_);
      case SO_REUSEPORT: return put_int_option(val, len, 0);
      case SO_BROADCAST: return put_int_option(val, len, broadcast_);
      case SO_RCVBUF: return put_int_option(val, len, static_cast<int>(rcvbuf_));
      case SO_SNDBUF: return put_int_option(val, len, static_cast<int>(sndbuf_));
      case SO_ACCEPTCONN: return put_int_option(val, len, 0);
      case SO_KEEPALIVE: return put_int_option(val, len, 0);
      default: return -ENOPROTOOPT;
      }
    }
    if (level == IPPROTO_IP && name == IP_TTL)
      return put_int_option(val, len, 64);
    return -ENOPROTOOPT;
  }

  long ioctl(unsigned long req, uint64_t arg) override
  {
    if (req != FIONREAD && req != SIOCINQ && req != SIOCOUTQ)
      return -ENOTTY;
    if (!arg)
      return -EFAULT;
    int n = req == SIOCOUTQ || queue_.empty() ? 0 : static_cast<int>(queue_.front().data.size());
    std::memcpy(reinterpret_cast<void*>(arg), &n, sizeof n);
    return 0;
  }

  unsigned events() override
  {
    unsigned ev = shut_wr_ ? 0u : unsigned(POLLOUT);
    if (!queue_.empty() || shut_rd_)
      ev |= POLLIN;
    if (pending_error)
      ev |= POLLERR;
    return ev;
  }

  void release() override { unbind(); }

  // -- from the UDP table --
  void udp_receive(const Udp_datagram& d) override
  {
    if (shut_rd_ || (connected_ && (d.src != peer_.addr || d.src_port != peer_.port)))
      return;
    if (queued_ + d.size + OVERHEAD > rcvbuf_) {
      drops_++;
      return;
    }
    queue_.push_back(Datagram{Inet_addr{d.src, d.src_port},
                              std::vector<uint8_t>(d.data, d.data + d.size)});
    queued_ += d.size + OVERHEAD;
    changed();
  }

  void udp_error(uint32_t dst, uint16_t dst_port, int err) override
  {
    // RFC 1122 4.1.3.3: only a connected socket hears of ICMP errors.
    if (connected_ && dst == peer_.addr && dst_port == peer_.port) {
      pending_error = err;
      changed();
    }
  }

 private:
  long autobind()
  {
    return bound_ ? 0 : bind(Inet_addr{});
  }

  void unbind()
  {
    if (bound_)
      udp_unbind(local_.addr, local_.port);
    bound_ = false;
  }

  bool bound_ = false, connected_ = false, broadcast_ = false, reuse_ = false;
  bool shut_rd_ = false, shut_wr_ = false;
  Inet_addr local_, peer_;
  std::deque<Datagram> queue_;
  size_t queued_ = 0, rcvbuf_ = DEFAULT_BUF, sndbuf_ = DEFAULT_BUF;
  uint64_t drops_ = 0;
};

}  // namespace

std::shared_ptr<Socket> make_udp_socket()
{
  return std::make_shared<Udp_socket>();
}

}  // namespace ukbase::net
