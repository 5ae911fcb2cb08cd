// Ports and opening: reservations, listeners, ephemeral ports (RFC 6056),
// active and passive opens, and the limits on both.
#include "internal.hpp"

namespace ukbase::tcp {

// ---- the tables -------------------------------------------------------------------------

uint32_t Stack::Impl::random32()
{
  uint32_t v;
  host().random(&v, sizeof v);
  return v;
}

void Stack::Impl::add(const std::shared_ptr<Connection>& c)
{
  const Endpoint &l = c->local_, &r = c->remote_;
  conns.emplace(Tuple{l.addr, r.addr, l.port, r.port}, c);
  port_use[l.port]++;
  ep_use[port_key(l.port, l.addr)]++;
  c->impl_->in_table = true;
}

void Stack::Impl::remove(Connection& c)
{
  const Endpoint &l = c.local_, &r = c.remote_;
  c.impl_->in_table = false;
  if (last == &c)
    last = nullptr;
  auto pu = port_use.find(l.port);
  if (pu != port_use.end() && --pu->second == 0)
    port_use.erase(pu);
  auto eu = ep_use.find(port_key(l.port, l.addr));
  if (eu != ep_use.end() && --eu->second == 0)
    ep_use.erase(eu);
  conns.erase(Tuple{l.addr, r.addr, l.port, r.port});   // may drop the last reference
}

// Whether `port` on `addr` (0: every address) is taken by a listener, a
// reservation or, unless `reuse_addr`, a connection.
bool Stack::Impl::port_busy(uint16_t port, uint32_t addr, bool reuse_addr) const
{
  uint64_t first = port_key(port, 0);
  for (auto it = listeners.lower_bound(first); it != listeners.end() && it->first >> 32 == port;
       ++it) {
    uint32_t a = uint32_t(it->first);
    if (!a || !addr || a == addr)
      return true;
  }
  for (auto it = reserved.lower_bound(first); it != reserved.end() && *it >> 32 == port; ++it) {
    uint32_t a = uint32_t(*it);
    if (!a || !addr || a == addr)
      return true;
  }
  if (reuse_addr)
    return false;
  return addr ? ep_use.count(port_key(port, addr)) != 0 : port_use.count(port) != 0;
}

// An ephemeral port for `laddr`: random tries first (RFC 6056 3.3.1),
// then a scan from a random place so that a crowded range still yields
// one. With `remote` (connect) the port need only make a new 4-tuple.
bool Stack::Impl::pick_port(uint32_t laddr, const Endpoint* remote, uint16_t& port)
{
  constexpr uint32_t range = 65536 - EPHEMERAL_LOW;
  auto free = [&](uint16_t p) {
    if (!remote)
      return !port_busy(p, laddr, false);
    return !port_busy(p, laddr, true)
           && !conns.count(Tuple{laddr, remote->addr, p, remote->port});
  };
  for (int i = 0; i < 32; i++) {
    uint16_t p = uint16_t(EPHEMERAL_LOW + random32() % range);
    if (free(p)) {
      port = p;
      return true;
    }
  }
  uint32_t start = random32() % range;
  for (uint32_t i = 0; i < range; i++) {
    uint16_t p = uint16_t(EPHEMERAL_LOW + (start + i) % range);
    if (free(p)) {
      port = p;
      return true;
    }
  }
  return false;
}

// Room for one more TCB: under max_connections (the oldest TIME-WAIT
// gives way if need be) and enough memory for its first buffers.
bool Stack::Impl::can_open()
{
  while (conns.size() >= cfg().max_connections && tw_head < time_wait.size()) {
    std::shared_ptr<Connection> old = time_wait[tw_head++].lock();
    if (old && old->state_ == State::TIME_WAIT)
      old->impl_->to_closed(0);
  }
  if (tw_head > 64 && tw_head * 2 > time_wait.size()) {
    time_wait.erase(time_wait.begin(), time_wait.begin() + long(tw_head));
    tw_head = 0;
  }
  return conns.size() < cfg().max_connections && mem_headroom() >= 2 * Ring::MIN_CAP;
}

// ---- reservations -------------------------------------------------------------------------

int Stack::reserve(Endpoint& local, bool reuse_addr)
{
  Entry entry(*impl_);
  if (local.addr && !host_.is_local(local.addr))
    return EADDRNOTAVAIL;
  if (!local.port) {
    if (!impl_->pick_port(local.addr, nullptr, local.port))
      return EADDRINUSE;
  } else if (impl_->port_busy(local.port, local.addr, reuse_addr)) {
    return EADDRINUSE;
  }
  impl_->reserved.insert(port_key(local.port, local.addr));
  return 0;
}

void Stack::release(const Endpoint& local)
{
  impl_->reserved.erase(port_key(local.port, local.addr));
}

// ---- listeners ------------------------------------------------------------------------------

Listener::Listener(Stack& stack, Endpoint local, unsigned backlog)
    : stack_(stack), local_(local), backlog_(backlog ? backlog : 1)
{
}

Listener::~Listener() { close(); }

std::shared_ptr<Listener> Stack::listen(Endpoint& local, unsigned backlog, int& err,
                                        bool reserved, bool reuse_addr)
{
  Entry entry(*impl_);
  Impl& I = *impl_;
  err = 0;
  if (local.addr && !host_.is_local(local.addr)) {
    err = EADDRNOTAVAIL;
    return nullptr;
  }
  if (reserved)
    I.reserved.erase(port_key(local.port, local.addr));
  if (!local.port) {
    if (!I.pick_port(local.addr, nullptr, local.port)) {
      err = EADDRINUSE;
      return nullptr;
    }
  } else if (I.port_busy(local.port, local.addr, reuse_addr || reserved)) {
    if (reserved)                          // the caller still holds it
      I.reserved.insert(port_key(local.port, local.addr));
    err = EADDRINUSE;
    return nullptr;
  }
  std::shared_ptr<Listener> l(new Listener(*this, local, backlog));
  I.listeners[port_key(local.port, local.addr)] = l.get();
  return l;
}

std::shared_ptr<Connection> Listener::accept()
{
  if (accept_queue_.empty())
    return nullptr;
  std::shared_ptr<Connection> c = std::move(accept_queue_.front());
  accept_queue_.pop_front();
  c->listener_ = nullptr;
  return c;
}

void Listener::set_backlog(unsigned n) { backlog_ = n ? n : 1; }

void Listener::close()
{
  if (closed_)
    return;
  closed_ = true;
  if (detached_) {
    accept_queue_.clear();
    return;
  }
  Stack::Impl& I = *stack_.impl_;
  Entry entry(I);
  auto it = I.listeners.find(port_key(local_.port, local_.addr));
  if (it != I.listeners.end() && it->second == this)
    I.listeners.erase(it);
  // Children still handshaking, and those nobody accepted, are reset.
  std::vector<Connection*> half;
  half.swap(half_open_);
  for (Connection* c : half) {
    std::shared_ptr<Connection> keep = c->shared_from_this();
    c->listener_ = nullptr;
    c->impl_->reset_and_close(0);
  }
  std::deque<std::shared_ptr<Connection>> queue;
  queue.swap(accept_queue_);
  for (auto& c : queue) {
    c->listener_ = nullptr;
    if (c->state_ != State::CLOSED)
      c->impl_->reset_and_close(ECONNABORTED);
  }
}

// ---- opening ------------------------------------------------------------------------------

void Stack::Impl::passive_open(Listener& l, uint32_t src, uint32_t dst, uint16_t sport,
                               const Segment& seg, const uint32_t* min_iss)
{
  // At most min(syn_backlog, 2 * backlog, with 16 at least) children
  // handshaking, and none while the accept queue is full.
  unsigned half_limit = 2 * l.backlog_ > 16 ? 2 * l.backlog_ : 16;
  if (half_limit > cfg().syn_backlog)
    half_limit = cfg().syn_backlog;
  if (l.half_open_.size() >= half_limit || l.accept_queue_.size() >= l.backlog_) {
    stats().refused_backlog++;
    return;
  }
  if (!can_open()) {
    stats().refused_memory++;
    return;
  }
  std::shared_ptr<Connection> c(new Connection(s));
  Connection::Impl& t = *c->impl_;
  c->local_ = Endpoint{dst, l.local_.port};
  c->remote_ = Endpoint{src, sport};
  c->opts_ = l.opts_;
  c->listener_ = &l;
  t.start(&seg, min_iss);
  c->state_ = State::SYN_RECEIVED;
  add(c);
  l.half_open_.push_back(c.get());
  stats().passive_opens++;
  t.send_syn();
  t.arm_rto();
  schedule(t);
}

std::shared_ptr<Connection> Stack::connect(Endpoint local, Endpoint remote, const Options& opts,
                                           Handler* handler, int& err, bool reserved)
{
  Entry entry(*impl_);
  Impl& I = *impl_;
  err = 0;
  if (!remote.port || !remote.addr) {
    err = EINVAL;
    return nullptr;
  }
  uint32_t src = host_.source_for(remote.addr);
  if (!src) {
    err = ENETUNREACH;
    return nullptr;
  }
  if (local.addr) {
    if (!host_.is_local(local.addr)) {
      err = EADDRNOTAVAIL;
      return nullptr;
    }
    src = local.addr;
  }
  if (!I.can_open()) {
    stats_.refused_memory++;
    err = ENOBUFS;
    return nullptr;
  }
  uint16_t port = local.port;
  if (!port) {
    if (!I.pick_port(src, &remote, port)) {
      err = EADDRNOTAVAIL;
      return nullptr;
    }
  } else if (I.conns.count(Tuple{src, remote.addr, port, remote.port})
             || (!reserved && I.port_busy(port, src, true))) {
    err = EADDRINUSE;
    return nullptr;
  }
  if (reserved)
    I.reserved.erase(port_key(local.port, local.addr));
  std::shared_ptr<Connection> c(new Connection(*this));
  Connection::Impl& t = *c->impl_;
  c->local_ = Endpoint{src, port};
  c->remote_ = remote;
  c->opts_ = opts;
  c->handler_ = handler;
  t.start(nullptr, 0);
  c->state_ = State::SYN_SENT;
  I.add(c);
  stats_.active_opens++;
  t.send_syn();
  t.arm_rto();
  I.schedule(t);
  return c;
}

}  // namespace ukbase::tcp
