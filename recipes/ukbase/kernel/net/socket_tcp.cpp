// TCP sockets over the TCP engine (tcp/tcp.hpp): a socket is fresh,
// bound (a port reserved), listening (an engine Listener) or a
// connection (an engine Connection, connecting or connected). The engine
// tells the socket what changed (tcp_event); blocking calls wait for it
// in the event loop.
//
// Linux's semantics, with one exception kept from IncludeOS's POSIX
// layer: shutdown() once the peer has closed its side and everything it
// sent has been read does what it should (our FIN goes out) but answers
// ENOTCONN, as IncludeOS's own tests expect.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include "kernel/inet.hpp"
#include "socket.hpp"
#include "tcp/tcp.hpp"

namespace ukbase::net {

namespace {

constexpr int MAX_BACKLOG = 4096;              // Linux's somaxconn

bool is_loopback(uint32_t a) { return (a >> 24) == 127; }

class Tcp_socket final : public Socket, public tcp::Handler, public tcp::Listener_handler {
 public:
  Tcp_socket() = default;
  explicit Tcp_socket(std::shared_ptr<tcp::Connection> c) : conn_(std::move(c))
  {
    opts_ = conn_->options();
    conn_->set_handler(this);
    was_connected_ = true;
  }
  ~Tcp_socket() override { release(); }

  // -- opening --

  long bind(const Inet_addr& a) override
  {
    if (reserved_ || listener_ || conn_)
      return -EINVAL;
    tcp::Endpoint ep{a.addr, a.port};
    if (int err = net::tcp().reserve(ep, reuse_addr_))
      return -std::abs(err);
    local_ = ep;
    reserved_ = true;
    return 0;
  }

  long listen(int backlog) override
  {
    if (conn_)
      return -EINVAL;
    unsigned n = static_cast<unsigned>(std::clamp(backlog, 1, MAX_BACKLOG));
    if (listener_) {
      listener_->set_backlog(n);
      return 0;
    }
    int err = 0;
    auto l = net::tcp().listen(local_, n, err, reserved_, reuse_addr_);
    if (!l)
      return err ? -std::abs(err) : -EADDRINUSE;
    reserved_ = false;                  // the listener holds the port now
    listener_ = std::move(l);
    local_ = listener_->local();
    listener_->options() = opts_;
    listener_->set_handler(this);
    return 0;
  }

  long accept(std::shared_ptr<Socket>& out, Inet_addr& peer, bool nonblocking) override
  {
    if (!listener_)
      return -EINVAL;
    if (!listener_->pending()) {
      if (nonblocking)
        return -EAGAIN;
      auto l = listener_;
      if (!block_until([&] { return l->pending() || l->closed() || listener_ != l; },
                       deadline(rcvtimeo_ns)))
        return -EAGAIN;
      if (listener_ != l || !l->pending())
        return -EINVAL;                 // closed meanwhile
    }
    std::shared_ptr<tcp::Connection> c = listener_->accept();
    // A listener on every address hears both families: an IPv4 socket
    // takes IPv4 peers only, an IPv6 one both, unless IPV6_V6ONLY.
    while (c && (tcp6_is_handle(c->remote().addr) ? family != AF_INET6 : v6only_)) {
      c->abort();
      c = listener_->accept();
    }
    if (!c)
      return -EAGAIN;
    auto s = std::make_shared<Tcp_socket>(std::move(c));
    s->type = type;
    s->family = family;
    s->protocol = protocol;
    peer = Inet_addr{s->conn_->remote().addr, s->conn_->remote().port};
    if (s->conn_->error())
      s->pending_error = s->conn_->error();
    out = std::move(s);
    changed();
    return 0;
  }

  long connect(const Inet_addr& a, bool unspec) override
  {
    if (listener_)
      return -EINVAL;
    if (unspec) {
      if (conn_)
        drop_connection(true);
      return 0;
    }
    if (conn_) {
      switch (conn_->state()) {
      case tcp::State::SYN_SENT:
      case tcp::State::SYN_RECEIVED:
        if (nonblocking())
          return -EALREADY;
        return wait_connected();
      case tcp::State::CLOSED:
        if (conn_->error()) {            // a failed attempt: say why once, then try anew
          int err = conn_->error();
          drop_connection(false);
          pending_error = 0;
          return -err;
        }
        return -EISCONN;
      default:
        return -EISCONN;
      }
    }
    if (!a.port || is_loopback(a.addr))
      return a.port ? -ECONNREFUSED : -EINVAL;  // no loopback interface here
    if (!a.addr)
      return -ECONNREFUSED;
    int err = 0;
    tcp::Endpoint local = reserved_ ? local_ : tcp::Endpoint{};
    auto c = net::tcp().connect(local, tcp::Endpoint{a.addr, a.port}, opts_, this, err, reserved_);
    if (!c)
      return err ? -std::abs(err) : -ENOBUFS;
    reserved_ = false;
    conn_ = std::move(c);
    local_ = conn_->local();
    pending_error = 0;
    if (nonblocking())
      return -EINPROGRESS;
    return wait_connected();
  }

  // -- data --

  long sendmsg(const struct msghdr& m, int flags) override
  {
    if (flags & MSG_OOB)
      return -EOPNOTSUPP;
    bool nb = nonblocking() || (flags & MSG_DONTWAIT);
    long total = iov_length(m.msg_iov, static_cast<size_t>(m.msg_iovlen));
    if (total < 0)
      return total;
    if (long err = take_error())
      return err;
    if (!conn_)
      return listener_ ? -ENOTCONN : -EPIPE;
    if (conn_->state() == tcp::State::SYN_SENT || conn_->state() == tcp::State::SYN_RECEIVED) {
      if (nb)
        return -EAGAIN;
      if (long err = wait_connected())
        return err == -EINPROGRESS ? -EAGAIN : err;
    }
    long sent = 0;
    for (size_t i = 0; i < static_cast<size_t>(m.msg_iovlen); i++) {
      const auto* p = static_cast<const uint8_t*>(m.msg_iov[i].iov_base);
      size_t left = m.msg_iov[i].iov_len;
      while (left) {
        if (!can_send()) {
          if (sent)
            return sent;
          long err = take_error();
          return err ? err : -EPIPE;
        }
        bool more = (flags & MSG_MORE) || i + 1 < static_cast<size_t>(m.msg_iovlen);
        size_t n = conn_->write(p, left, more);
        p += n;
        left -= n;
        sent += static_cast<long>(n);
        if (!left)
          break;
        if (nb)
          return sent ? sent : -EAGAIN;
        auto c = conn_;
        if (!block_until([&] { return c->writable() || !can_send(); }, deadline(sndtimeo_ns)))
          return sent ? sent : -EAGAIN;
      }
    }
    return sent;
  }

  long recvmsg(struct msghdr& m, int flags) override
  {
    if (flags & MSG_OOB)
      return -EINVAL;
    if (!conn_)
      return -ENOTCONN;
    bool nb = nonblocking() || (flags & MSG_DONTWAIT);
    bool peek = flags & MSG_PEEK, waitall = (flags & MSG_WAITALL) && !peek, discard = flags & MSG_TRUNC;
    long want = iov_length(m.msg_iov, static_cast<size_t>(m.msg_iovlen));
    if (want < 0)
      return want;
    m.msg_flags = 0;
    m.msg_controllen = 0;
    if (m.msg_name)
      to_sockaddr(Inet_addr{conn_->remote().addr, conn_->remote().port}, m.msg_name,
                  &m.msg_namelen, family);
    if (want == 0)
      return 0;
    auto c = conn_;
    long got = 0;
    for (;;) {
      if (size_t avail = c->readable()) {
        got += copy_out(m, static_cast<size_t>(got), std::min<size_t>(avail, static_cast<size_t>(want - got)),
                        peek, discard);
        if (!waitall || got == want)
          return got;
        continue;
      }
      if (shut_rd_ || c->fin_received())
        return got;                                   // end of file
      if (c->error() && c->state() == tcp::State::CLOSED)
        return got ? got : take_error();
      if (c->state() == tcp::State::CLOSED)
        return got;
      if (c->state() == tcp::State::SYN_SENT || c->state() == tcp::State::SYN_RECEIVED) {
        if (nb)
          return -EAGAIN;
      } else if (nb) {
        return got ? got : -EAGAIN;
      }
      if (!block_until([&] { return c->readable() || c->fin_received() || c->state() == tcp::State::CLOSED
                                    || shut_rd_ || conn_ != c; },
                       deadline(rcvtimeo_ns)))
        return got ? got : -EAGAIN;
      if (conn_ != c)
        return got;
    }
  }

  long shutdown(int how) override
  {
    if (listener_ && how != SHUT_WR) {
      // Linux: shutting a listener down stops it.
      listener_->close();
      listener_.reset();
      changed();
      return 0;
    }
    if (!conn_ || conn_->state() == tcp::State::CLOSED || conn_->state() == tcp::State::LISTEN)
      return -ENOTCONN;
    bool peer_done = conn_->fin_received() && !conn_->readable();
    if (how == SHUT_RD || how == SHUT_RDWR)
      shut_rd_ = true;
    if (how == SHUT_WR || how == SHUT_RDWR) {
      if (conn_->state() == tcp::State::SYN_SENT)
        conn_->abort();
      else
        conn_->shutdown_write();
    }
    changed();
    return peer_done ? -ENOTCONN : 0;
  }

  long local(Inet_addr& out) override
  {
    tcp::Endpoint e = conn_ ? conn_->local() : listener_ ? listener_->local() : local_;
    out = Inet_addr{e.addr, e.port};
    return 0;
  }

  long peer(Inet_addr& out) override
  {
    if (!conn_ || conn_->state() == tcp::State::SYN_SENT || (conn_->state() == tcp::State::CLOSED && !was_connected_))
      return -ENOTCONN;
    out = Inet_addr{conn_->remote().addr, conn_->remote().port};
    return 0;
  }

  // -- options --

  long setopt(int level, int name, const void* val, uint32_t len) override
  {
    if (level == SOL_SOCKET && name == SO_LINGER) {
      struct linger l;
      if (!val)
        return -EFAULT;
      if (len < sizeof l)
        return -EINVAL;
      std::memcpy(&l, val, sizeof l);
      linger_ = l.l_onoff != 0;
      linger_s_ = l.l_linger;
      return 0;
    }
    int v;
    if (int err = int_option(val, len, v))
      return err;
    auto buf = [&](uint32_t& field) {
      uint64_t want = uint64_t(std::max(v, 2048)) * 2;    // doubled, as on Linux
      field = static_cast<uint32_t>(std::min<uint64_t>(want, net::tcp().config().max_buf));
    };
    if (level == SOL_SOCKET) {
      switch (name) {
      case SO_REUSEADDR:
      case SO_REUSEPORT: reuse_addr_ = v != 0; return 0;
      case SO_KEEPALIVE: opts_.keepalive = v != 0; break;
      case SO_RCVBUF: buf(opts_.rcvbuf); break;
      case SO_SNDBUF: buf(opts_.sndbuf); break;
      case SO_OOBINLINE:
      case SO_RCVLOWAT:
      case SO_SNDLOWAT:
      case SO_PRIORITY:
      case SO_BROADCAST:
      case SO_DONTROUTE:
        return 0;                       // accepted, without effect
      default:
        return -ENOPROTOOPT;
      }
    } else if (level == IPPROTO_TCP) {
      switch (name) {
      case TCP_NODELAY: opts_.nodelay = v != 0; break;
      case TCP_CORK: opts_.cork = v != 0; break;
      case TCP_KEEPIDLE:
        if (v < 1 || v > 32767)
          return -EINVAL;
        opts_.keepidle_s = static_cast<uint32_t>(v);
        break;
      case TCP_KEEPINTVL:
        if (v < 1 || v > 32767)
          return -EINVAL;
        opts_.keepintvl_s = static_cast<uint32_t>(v);
        break;
      case TCP_KEEPCNT:
        if (v < 1 || v > 127)
          return -EINVAL;
        opts_.keepcnt = static_cast<uint32_t>(v);
        break;
      case TCP_USER_TIMEOUT:
        if (v < 0)
          return -EINVAL;
        opts_.user_timeout_ns = uint64_t(v) * 1000000;
        break;
      case TCP_QUICKACK: opts_.delayed_ack = v == 0; break;
      case TCP_MAXSEG:
      case TCP_DEFER_ACCEPT:
      case TCP_FASTOPEN:
      case TCP_LINGER2:
      case TCP_SYNCNT:
      case TCP_WINDOW_CLAMP:
        return 0;                       // accepted, without effect
      default:
        return -ENOPROTOOPT;
      }
    } else if (level == IPPROTO_IP) {
      return name == IP_TOS || name == IP_TTL || name == IP_MTU_DISCOVER ? 0 : -ENOPROTOOPT;
    } else if (level == IPPROTO_IPV6 && family == AF_INET6) {
      if (name == IPV6_V6ONLY) {
        int v = 0;
        if (int e = int_option(val, len, v))
          return e;
        v6only_ = v != 0;
        return 0;
      }
      return name == IPV6_TCLASS || name == IPV6_UNICAST_HOPS ? 0 : -ENOPROTOOPT;
    } else {
      return -ENOPROTOOPT;
    }
    apply_options();
    return 0;
  }

  long getopt(int level, int name, void* val, uint32_t* len) override
  {
    const tcp::Config& cfg = net::tcp().config();
    if (level == SOL_SOCKET) {
      switch (name) {
      case SO_REUSEADDR:
      case SO_REUSEPORT: return put_int_option(val, len, reuse_addr_);
      case SO_KEEPALIVE: return put_int_option(val, len, opts_.keepalive);
      case SO_ACCEPTCONN: return put_int_option(val, len, listener_ != nullptr);
      case SO_RCVBUF: return put_int_option(val, len, static_cast<int>(opts_.rcvbuf ? opts_.rcvbuf : cfg.default_rcvbuf));
      case SO_SNDBUF: return put_int_option(val, len, static_cast<int>(opts_.sndbuf ? opts_.sndbuf : cfg.default_sndbuf));
      case SO_RCVLOWAT:
      case SO_SNDLOWAT: return put_int_option(val, len, 1);
      case SO_LINGER: {
        if (!val)
          return -EFAULT;
        struct linger l{linger_ ? 1 : 0, linger_s_};
        if (*len > sizeof l)
          *len = sizeof l;
        std::memcpy(val, &l, *len);
        return 0;
      }
      default: return -ENOPROTOOPT;
      }
    }
    if (level == IPPROTO_TCP) {
      switch (name) {
      case TCP_NODELAY: return put_int_option(val, len, opts_.nodelay);
      case TCP_CORK: return put_int_option(val, len, opts_.cork);
      case TCP_KEEPIDLE: return put_int_option(val, len, static_cast<int>(opts_.keepidle_s));
      case TCP_KEEPINTVL: return put_int_option(val, len, static_cast<int>(opts_.keepintvl_s));
      case TCP_KEEPCNT: return put_int_option(val, len, static_cast<int>(opts_.keepcnt));
      case TCP_USER_TIMEOUT: return put_int_option(val, len, static_cast<int>(opts_.user_timeout_ns / 1000000));
      case TCP_QUICKACK: return put_int_option(val, len, !opts_.delayed_ack);
      case TCP_MAXSEG: return put_int_option(val, len, conn_ ? conn_->mss() : 536);
      case TCP_INFO: return tcp_info(val, len);
      default: return -ENOPROTOOPT;
      }
    }
    if (level == IPPROTO_IP && name == IP_TTL)
      return put_int_option(val, len, 64);
    if (level == IPPROTO_IPV6 && family == AF_INET6 && name == IPV6_V6ONLY)
      return put_int_option(val, len, v6only_);
    return -ENOPROTOOPT;
  }

  long ioctl(unsigned long req, uint64_t arg) override
  {
    if (!arg)
      return -EFAULT;
    int n;
    if (req == FIONREAD || req == SIOCINQ) {
      if (listener_)
        return -EINVAL;
      n = conn_ ? static_cast<int>(conn_->readable()) : 0;
    } else if (req == SIOCOUTQ) {
      n = conn_ ? static_cast<int>(conn_->unacked()) : 0;
    } else if (req == SIOCOUTQNSD) {
      n = conn_ ? static_cast<int>(conn_->unsent()) : 0;
    } else {
      return -ENOTTY;
    }
    std::memcpy(reinterpret_cast<void*>(arg), &n, sizeof n);
    return 0;
  }

  unsigned events() override
  {
    if (listener_)
      return listener_->pending() ? POLLIN : 0u;
    unsigned ev = pending_error ? unsigned(POLLERR) : 0u;
    if (!conn_)
      return ev | POLLOUT | POLLHUP;                  // as Linux answers for a fresh socket
    tcp::State st = conn_->state();
    if (st == tcp::State::SYN_SENT || st == tcp::State::SYN_RECEIVED)
      return ev;
    bool fin = conn_->fin_received() || shut_rd_;
    if (conn_->readable() || fin)
      ev |= POLLIN;
    if (fin)
      ev |= POLLRDHUP;
    if (st == tcp::State::CLOSED || (fin && conn_->write_shut()))
      ev |= POLLHUP;
    if (st == tcp::State::CLOSED)
      ev |= POLLIN;                                   // reads return at once
    if (can_send()) {
      size_t room = conn_->writable(), total = room + conn_->unacked();
      if (room && room >= total / 4)
        ev |= POLLOUT;
    } else if (st == tcp::State::CLOSED || conn_->write_shut()) {
      ev |= POLLOUT;                                  // writes fail at once (EPIPE)
    }
    return ev;
  }

  void release() override
  {
    if (listener_) {
      listener_->set_handler(nullptr);
      listener_->close();
      listener_.reset();
    }
    if (conn_)
      drop_connection(linger_ && linger_s_ == 0);
    if (reserved_) {
      net::tcp().release(local_);
      reserved_ = false;
    }
  }

  // -- from the engine --

  void tcp_event(tcp::Connection& c, unsigned ev) override
  {
    if (&c != conn_.get())
      return;
    if (ev & tcp::EV_CONNECTED)
      was_connected_ = true;
    if (ev & tcp::EV_ERROR)
      pending_error = c.error();
    changed();
  }

  void tcp_accept_ready(tcp::Listener&) override { changed(); }

 private:
  bool can_send() const
  {
    if (!conn_ || conn_->write_shut() || conn_->error())
      return false;
    tcp::State st = conn_->state();
    return st == tcp::State::ESTABLISHED || st == tcp::State::CLOSE_WAIT
           || st == tcp::State::SYN_SENT || st == tcp::State::SYN_RECEIVED;
  }

  long take_error()
  {
    int e = pending_error;
    pending_error = 0;
    return e ? -e : 0;
  }

  long wait_connected()
  {
    auto c = conn_;
    auto connecting = [&] {
      return c->state() == tcp::State::SYN_SENT || c->state() == tcp::State::SYN_RECEIVED;
    };
    if (connecting() && !block_until([&] { return !connecting() || conn_ != c; }, deadline(sndtimeo_ns)))
      return -EINPROGRESS;
    if (conn_ != c)
      return -ECONNABORTED;
    if (c->state() == tcp::State::CLOSED) {
      int err = c->error() ? c->error() : ECONNREFUSED;
      drop_connection(false);
      pending_error = 0;
      return -err;
    }
    was_connected_ = true;
    return 0;
  }

  void drop_connection(bool reset)
  {
    auto c = std::move(conn_);
    conn_.reset();
    c->set_handler(nullptr);
    if (reset)
      c->abort();
    else if (c->state() != tcp::State::CLOSED)
      c->close();
  }

  void apply_options()
  {
    if (conn_)
      conn_->set_options(opts_);
    if (listener_)
      listener_->options() = opts_;
  }

  // Copy (or peek, or with MSG_TRUNC drop) `n` bytes into the iovecs,
  // starting `at` bytes into them.
  size_t copy_out(struct msghdr& m, size_t at, size_t n, bool peek, bool discard)
  {
    size_t done = 0;
    for (size_t i = 0; i < static_cast<size_t>(m.msg_iovlen) && done < n; i++) {
      size_t len = m.msg_iov[i].iov_len;
      if (at >= len) {
        at -= len;
        continue;
      }
      size_t chunk = std::min(len - at, n - done);
      auto* dst = static_cast<uint8_t*>(m.msg_iov[i].iov_base) + at;
      size_t got;
      if (discard) {
        uint8_t scratch[512];
        got = 0;
        while (got < chunk) {
          size_t k = peek ? std::min(chunk - got, sizeof scratch)
                          : conn_->read(scratch, std::min(chunk - got, sizeof scratch));
          if (!k)
            break;
          got += k;
        }
      } else {
        got = peek ? conn_->peek(dst, chunk, done) : conn_->read(dst, chunk);
      }
      done += got;
      at = 0;
      if (got < chunk)
        break;
    }
    return done;
  }

  long tcp_info(void* val, uint32_t* len)
  {
    if (!val)
      return -EFAULT;
    struct tcp_info t;
    std::memset(&t, 0, sizeof t);
    if (conn_) {
      static const uint8_t linux_state[] = {7, 10, 2, 3, 1, 4, 5, 8, 11, 9, 6};
      t.tcpi_state = linux_state[static_cast<int>(conn_->state())];
      t.tcpi_snd_mss = conn_->mss();
      t.tcpi_rcv_mss = conn_->mss();
      t.tcpi_rtt = static_cast<uint32_t>(conn_->srtt_ns() / 1000);
      t.tcpi_snd_cwnd = conn_->mss() ? conn_->cwnd() / conn_->mss() : 0;
      t.tcpi_total_retrans = static_cast<uint32_t>(conn_->stats().retransmits);
      t.tcpi_rcv_space = conn_->rcv_wnd();
      t.tcpi_unacked = static_cast<uint32_t>(conn_->mss() ? conn_->unacked() / conn_->mss() : 0);
      t.tcpi_bytes_acked = conn_->stats().bytes_acked;
      t.tcpi_bytes_received = conn_->stats().bytes_received;
      t.tcpi_segs_out = static_cast<uint32_t>(conn_->stats().segments_sent);
      t.tcpi_segs_in = static_cast<uint32_t>(conn_->stats().segments_received);
    } else if (listener_) {
      t.tcpi_state = 10;                 // TCP_LISTEN
      t.tcpi_unacked = static_cast<uint32_t>(listener_->pending());
      t.tcpi_sacked = listener_->backlog();
    } else {
      t.tcpi_state = 7;                  // TCP_CLOSE
    }
    if (*len > sizeof t)
      *len = sizeof t;
    std::memcpy(val, &t, *len);
    return 0;
  }

  std::shared_ptr<tcp::Listener> listener_;
  std::shared_ptr<tcp::Connection> conn_;
  tcp::Endpoint local_;
  tcp::Options opts_;
  bool reserved_ = false, reuse_addr_ = false, shut_rd_ = false, was_connected_ = false;
  bool v6only_ = false;                 // IPV6_V6ONLY (an IPv6 socket's)
  bool linger_ = false;
  int linger_s_ = 0;
};

}  // namespace

std::shared_ptr<Socket> make_tcp_socket()
{
  return std::make_shared<Tcp_socket>();
}

}  // namespace ukbase::net
