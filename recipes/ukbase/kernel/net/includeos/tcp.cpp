// IncludeOS's net::TCP and tcp::Listener over the kernel's TCP engine
// (kernel/net/tcp, reached through ukbase::net::tcp()).
#include <cerrno>

#include <net/inet.hpp>
#include <timers>

#include "kernel/inet.hpp"
#include "tcp_impl.hpp"

namespace net {

namespace engine = ukbase::tcp;

namespace {

engine::Stack& engine_stack() { return ukbase::net::tcp(); }

// Listeners closed from inside one of their own callbacks are destroyed
// from the event loop, once that callback has returned.
std::vector<std::shared_ptr<tcp::Listener>>& closed_listeners()
{
  static auto* v = new std::vector<std::shared_ptr<tcp::Listener>>;
  return *v;
}

}  // namespace

namespace tcp {

engine::Options connection_options(const TCP& tcp)
{
  engine::Options o;
  o.nodelay = true;                   // IncludeOS sends at once (no Nagle)
  o.delayed_ack = engine_stack().config().delayed_ack_ns > 0;
  o.rcvbuf = o.sndbuf = static_cast<uint32_t>(tcp.max_bufsize());
  return o;
}

}  // namespace tcp

TCP::TCP(IPStack& stack, bool) : stack_(stack) {}

TCP::~TCP() = default;

// ---- listening ------------------------------------------------------------------------

bool TCP::engine_listen(tcp::Listener& l, const Addr& addr, tcp::port_t port)
{
  engine::Endpoint ep{tcp::to_engine(addr), port};
  int err = 0;
  auto el = engine_stack().listen(ep, max_syn_backlog_, err, false, true);
  if (!el)
    return false;
  el->options() = tcp::connection_options(*this);
  el->set_handler(&l.impl());
  l.impl().listeners.push_back(std::move(el));
  return true;
}

tcp::Listener& TCP::listen(tcp::port_t port, ConnectCallback cb, bool ipv6_only)
{
  Socket v6{ip6::Addr::addr_any, port}, v4{ip4::Addr::addr_any, port};
  if (listeners_.count(v6) || (!ipv6_only && listeners_.count(v4)))
    throw TCP_error("Socket is already in use: " + (listeners_.count(v6) ? v6 : v4).to_string());
  auto l = std::make_shared<tcp::Listener>(*this, v6, std::move(cb), ipv6_only);
  // Each interface's TCP is its own, as on IncludeOS, so that eth0 and a
  // VLAN on it may both listen on a port: the engine listens on this
  // stack's IPv4 address (on every address while it has none yet) and
  // on each IPv6 address it has now. Only another listener takes the
  // port (connections on it, TIME-WAIT ones included, do not).
  if (!ipv6_only) {
    if (!engine_listen(*l, stack_.ip_addr(), port))
      throw TCP_error("Socket is already in use: " + v4.to_string());
    listeners_[v4] = l;
  }
  listeners_[v6] = l;
  for (auto& a : stack_.addr6_config())
    if (!engine_listen(*l, a.addr(), port)) {
      l->close();
      throw TCP_error("Socket is already in use: " + Socket{a.addr(), port}.to_string());
    }
  return *l;
}

tcp::Listener& TCP::listen(const Socket& socket, ConnectCallback cb)
{
  if (!socket.address().is_any() && !stack_.is_valid_source(socket.address()))
    throw TCP_error("Cannot bind to address: " + socket.address().to_string());
  if (listeners_.count(socket))
    throw TCP_error("Socket is already in use: " + socket.to_string());
  auto l = std::make_shared<tcp::Listener>(*this, socket, std::move(cb), socket.address().is_v6());
  if (!engine_listen(*l, socket.address(), socket.port()))
    throw TCP_error("Socket is already in use: " + socket.to_string());
  listeners_[socket] = l;
  return *l;
}

void TCP::address_added(const ip6::Addr& addr)
{
  for (auto& [socket, l] : listeners_)
    if (socket.address() == Addr(ip6::Addr::addr_any) && !l->is_closed())
      engine_listen(*l, addr, socket.port());   // fails only if it listens there already
}

bool TCP::close(const Socket& socket)
{
  auto it = listeners_.find(socket);
  if (it == listeners_.end())
    return false;
  it->second->close();
  return true;
}

void TCP::remove_listener(tcp::Listener& listener)
{
  std::shared_ptr<tcp::Listener> keep;
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (it->second.get() == &listener) {
      keep = it->second;
      it = listeners_.erase(it);
    } else {
      ++it;
    }
  }
  if (!keep)
    return;
  auto& later = closed_listeners();
  later.push_back(std::move(keep));
  if (later.size() == 1)
    Timers::oneshot(std::chrono::nanoseconds(0), [](Timers::id_t) { closed_listeners().clear(); });
}

// ---- connecting ------------------------------------------------------------------------

tcp::Connection_ptr TCP::start_connect(Socket local, Socket remote)
{
  // To an IPv6 peer from this stack's IPv6 address for it, when the
  // source given is IPv4 (connect(remote) gives the stack's address).
  if (remote.address().is_v6() && local.address().is_v4())
    local = Socket{stack_.ip6_src(remote.address().v6()), local.port()};
  auto c = std::make_shared<tcp::Connection>(*this, local, remote);
  if (remote.address().is_v4() != local.address().is_v4() && !local.address().is_any()) {
    c->impl().fail_soon();            // one family at each end
    return c;
  }
  engine::Endpoint l{tcp::to_engine(local.address()), local.port()};
  engine::Endpoint r{tcp::to_engine(remote.address()), remote.port()};
  int err = 0;
  auto ec = engine_stack().connect(l, r, tcp::connection_options(*this), &c->impl(), err);
  if (!ec) {
    c->impl().fail_soon();
    return c;
  }
  if (!c->impl().conn)
    c->impl().attach(std::move(ec), true);
  add_connection(c);
  return c;
}

tcp::Connection_ptr TCP::connect(Socket remote)
{
  return start_connect(Socket{stack_.ip_addr(), 0}, remote);
}

tcp::Connection_ptr TCP::connect(tcp::Address source, Socket remote)
{
  return start_connect(Socket{source, 0}, remote);
}

tcp::Connection_ptr TCP::connect(Socket local, Socket remote)
{
  return start_connect(local, remote);
}

void TCP::connect(Socket remote, ConnectCallback cb) { connect(remote)->on_connect(std::move(cb)); }

void TCP::connect(tcp::Address source, Socket remote, ConnectCallback cb)
{
  connect(source, remote)->on_connect(std::move(cb));
}

void TCP::connect(Socket local, Socket remote, ConnectCallback cb)
{
  connect(local, remote)->on_connect(std::move(cb));
}

void TCP::add_connection(tcp::Connection_ptr conn)
{
  auto t = conn->tuple();
  connections_[t] = std::move(conn);
}

void TCP::remove_connection(tcp::Connection& conn)
{
  auto it = connections_.find(conn.tuple());
  if (it != connections_.end() && it->second.get() == &conn)
    connections_.erase(it);
}

tcp::Connection_ptr TCP::retrieve_shared(tcp::Connection* conn) const
{
  for (auto& kv : connections_)
    if (kv.second.get() == conn)
      return kv.second;
  return nullptr;
}

// ---- information -------------------------------------------------------------------------

size_t TCP::active_connections() const { return engine_stack().active_connections(); }

bool TCP::is_bound(const Socket& socket) const
{
  if (listeners_.count(socket))
    return true;
  for (auto& kv : connections_)
    if (kv.first.first == socket)
      return true;
  return false;
}

size_t TCP::writeq_size() const
{
  size_t n = 0;
  for (auto& kv : connections_)
    n += kv.second->sendq_size();
  return n;
}

tcp::Address TCP::address() const noexcept { return stack_.ip_addr(); }

uint16_t TCP::MSS(Protocol ipv) const
{
  return static_cast<uint16_t>(stack_.MTU() - 20 - (ipv == Protocol::IPv6 ? 40 : 20));
}

std::string TCP::to_string() const
{
  std::string s = "LISTENERS:\nLocal\tQueued\n";
  for (auto& kv : listeners_)
    s += kv.first.to_string() + "\t" + std::to_string(kv.second->syn_queue_size()) + "\n";
  s += "\nCONNECTIONS:\nLocal\tRemote\tState\n";
  for (auto& kv : connections_)
    s += kv.first.first.to_string() + "\t" + kv.first.second.to_string() + "\t"
         + kv.second->state().to_string() + "\n";
  return s;
}

// ---- settings: the engine's -----------------------------------------------------------------

void TCP::set_MSL(std::chrono::milliseconds msl)
{
  engine_stack().config().msl_ns = static_cast<uint64_t>(msl.count()) * 1000000;
}

std::chrono::milliseconds TCP::MSL() const
{
  return std::chrono::milliseconds(engine_stack().config().msl_ns / 1000000);
}

void TCP::set_window_size(uint32_t wsize) { window_size_ = wsize; }

void TCP::set_window_size(uint32_t wsize, uint8_t factor)
{
  set_wscale(factor);
  window_size_ = wsize << wscale_;
}

void TCP::set_wscale(uint8_t factor)
{
  wscale_ = factor > 14 ? 14 : factor;
  engine_stack().config().window_scaling = wscale_ > 0;
}

void TCP::set_timestamps(bool on) { engine_stack().config().timestamps = on; }
bool TCP::uses_timestamps() const { return engine_stack().config().timestamps; }
void TCP::set_SACK(bool on) noexcept { engine_stack().config().sack = on; }
bool TCP::uses_SACK() const noexcept { return engine_stack().config().sack; }

void TCP::set_DACK(std::chrono::milliseconds dack_timeout)
{
  engine_stack().config().delayed_ack_ns = static_cast<uint64_t>(dack_timeout.count()) * 1000000;
}

std::chrono::milliseconds TCP::DACK_timeout() const
{
  return std::chrono::milliseconds(engine_stack().config().delayed_ack_ns / 1000000);
}

void TCP::set_max_syn_backlog(uint16_t limit)
{
  max_syn_backlog_ = limit;
  engine_stack().config().syn_backlog = limit;
}

void TCP::set_total_bufsize(size_t size) { engine_stack().config().memory_limit = size; }
size_t TCP::total_bufsize() const { return engine_stack().config().memory_limit; }
void TCP::set_min_bufsize(size_t size) { min_bufsize_ = size; }
void TCP::set_max_bufsize(size_t size) { max_bufsize_ = size; }

}  // namespace net

// ---- tcp::Listener -------------------------------------------------------------------------

namespace net::tcp {

Listener::Listener(TCP& host, Socket local, ConnectCallback cb, bool)
    : host_(host), local_(local), impl_(std::make_unique<Impl>(*this))
{
  impl_->on_connect = std::move(cb);
}

Listener::~Listener() = default;

Listener::Impl::~Impl()
{
  for (auto& el : listeners) {
    el->set_handler(nullptr);
    if (!closed)
      el->close();
  }
}

Listener& Listener::on_accept(AcceptCallback cb)
{
  impl_->on_accept = std::move(cb);
  return *this;
}

Listener& Listener::on_connect(ConnectCallback cb)
{
  impl_->on_connect = std::move(cb);
  return *this;
}

Listener& Listener::on_close(CloseCallback cb)
{
  impl_->on_close = std::move(cb);
  return *this;
}

size_t Listener::syn_queue_size() const
{
  size_t n = 0;
  for (auto& el : impl_->listeners)
    n += el->pending();
  return n;
}

bool Listener::syn_queue_full() const
{
  for (auto& el : impl_->listeners)
    if (el->pending() >= el->backlog())
      return true;
  return false;
}

bool Listener::is_closed() const noexcept { return impl_->closed; }

std::string Listener::to_string() const
{
  return "[" + local_.to_string() + "] SynQueue (" + std::to_string(syn_queue_size()) + ") ";
}

void Listener::close()
{
  Impl& i = *impl_;
  if (i.closed)
    return;
  i.closed = true;
  for (auto& el : i.listeners) {
    el->set_handler(nullptr);
    el->close();
  }
  if (i.on_close) {
    auto cb = i.on_close;
    cb(*this);
  }
  host_.remove_listener(*this);       // last: it may be destroyed soon after
}

void Listener::Impl::tcp_accept_ready(engine::Listener& l)
{
  while (!closed) {
    std::shared_ptr<engine::Connection> c = l.accept();
    if (!c)
      return;
    auto conn = std::make_shared<Connection>(self.host_, to_socket(c->local()),
                                             to_socket(c->remote()));
    conn->impl().attach(c, false);
    self.host_.add_connection(conn);
    if (on_accept && !on_accept(conn->remote())) {
      conn->abort();
      continue;
    }
    if (on_connect) {
      auto cb = on_connect;
      cb(conn);
    }
    // What came with or after the handshake, before anyone listened.
    unsigned ev = 0;
    if (c->readable())
      ev |= engine::EV_READABLE;
    if (c->fin_received())
      ev |= engine::EV_FIN;
    if (c->state() == engine::State::CLOSED)
      ev |= engine::EV_CLOSED | (c->error() ? unsigned(engine::EV_ERROR) : 0u);
    if (ev)
      conn->impl().post(ev);
  }
}

}  // namespace net::tcp
