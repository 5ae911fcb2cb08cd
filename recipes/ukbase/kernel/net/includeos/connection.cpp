// IncludeOS's tcp::Connection over one of the TCP engine's connections
// (kernel/net/tcp): the engine reports what happened (tcp_event), and
// each report becomes the callbacks IncludeOS services expect, in
// IncludeOS's order and with IncludeOS's state names.
#include <cerrno>

#include <timers>

#include "tcp_impl.hpp"

namespace net::tcp {

namespace {

void close_unless_closing(Connection_ptr conn, Connection::Disconnect)
{
  if (!conn->is_closing())
    conn->close();
}

}  // namespace

// ---- the object -------------------------------------------------------------------------

Connection::Connection(TCP& host, Socket local, Socket remote, ConnectCallback cb)
    : host_(host), local_(local), remote_(remote), impl_(std::make_unique<Impl>(*this))
{
  impl_->on_connect = std::move(cb);
  impl_->on_disconnect = close_unless_closing;
}

Connection::~Connection() = default;

Connection::Impl::~Impl()
{
  if (conn)
    conn->set_handler(nullptr);
}

void Connection::Impl::attach(std::shared_ptr<engine::Connection> c, bool out)
{
  conn = std::move(c);
  outgoing = out;
  connected = !out;                   // accepted ones are established
  conn->set_handler(this);
  self.local_ = to_socket(conn->local());
  self.remote_ = to_socket(conn->remote());
}

void Connection::Impl::fail_soon()
{
  // Not from inside connect(): the caller sets on_connect afterwards.
  // The timer holds the connection (nothing else may).
  Connection_ptr keep = self.shared_from_this();
  Timers::oneshot(std::chrono::nanoseconds(0), [keep](Timers::id_t) {
    Connection_ptr c = keep;
    if (c->impl().closed)
      return;
    Impl& i = c->impl();
    i.connected = true;
    if (i.on_connect) {
      auto cb = i.on_connect;
      cb(nullptr);
    }
    i.signal_close();
  });
}

// ---- events --------------------------------------------------------------------------------

void Connection::Impl::tcp_event(engine::Connection& c, unsigned events)
{
  if (!conn)                          // an event from inside Stack::connect()
    attach(c.shared_from_this(), true);
  post(events);
}

void Connection::Impl::post(unsigned events)
{
  pending |= events;
  if (!dispatching)
    dispatch();
}

void Connection::Impl::dispatch()
{
  // Callbacks may drop the last other reference to this connection.
  Connection_ptr keep = self.shared_from_this();
  dispatching = true;
  while (pending) {
    unsigned ev = pending;
    pending = 0;
    handle(ev);
  }
  dispatching = false;
}

void Connection::Impl::handle(unsigned ev)
{
  if (closed)
    return;
  Connection_ptr keep = self.shared_from_this();
  const State& now = engine_state();
  if (cur != &now) {
    prev = cur;
    cur = &now;
  }

  if ((ev & engine::EV_CONNECTED) && conn && !connected) {
    connected = true;
    self.local_ = to_socket(conn->local());
    if (on_connect) {
      auto cb = on_connect;
      cb(keep);
    }
  }
  if (ev & (engine::EV_READABLE | engine::EV_FIN))
    deliver_reads();
  if (ev & (engine::EV_WRITABLE | engine::EV_SENT | engine::EV_CONNECTED)) {
    feed();
    check_written();
  }
  if ((ev & engine::EV_FIN) && conn && !fin_seen && !closed) {
    // The peer closed its side. IncludeOS reports this before the FIN
    // moves the state on: after our own close that is FIN-WAIT-2 (or
    // FIN-WAIT-1), which the engine has already left for TIME-WAIT (or
    // CLOSING).
    fin_seen = true;
    engine::State s = conn->state();
    if (s == engine::State::TIME_WAIT)
      override_state = &FinWait2::instance();
    else if (s == engine::State::CLOSING)
      override_state = &FinWait1::instance();
    auto cb = on_disconnect;
    if (cb)
      cb(keep, Disconnect(Disconnect::CLOSING));
    override_state = nullptr;
  }
  if ((ev & engine::EV_ERROR) && conn && !closed) {
    int err = conn->error();
    Disconnect why(err == ECONNREFUSED ? Disconnect::REFUSED : Disconnect::RESET);
    if (outgoing && !connected) {
      // It never connected: on_connect hears of it, with null.
      connected = true;
      if (user_disconnect && on_disconnect) {
        auto cb = on_disconnect;
        cb(keep, why);
      }
      if (on_connect && !closed) {
        auto cb = on_connect;
        cb(nullptr);
      }
    } else if (on_disconnect) {
      auto cb = on_disconnect;
      cb(keep, why);
    }
  }
  if ((ev & engine::EV_CLOSED) || (conn && conn->state() == engine::State::CLOSED))
    signal_close();
}

void Connection::Impl::deliver_reads()
{
  while (conn && !closed) {
    size_t avail = conn->readable();
    if (!avail)
      return;
    if (on_read) {
      size_t n = read_size && read_size < avail ? read_size : avail;
      buffer_t buf = construct_buffer(n);
      buf->resize(conn->read(buf->data(), n));
      auto cb = on_read;              // it may replace itself, or close
      cb(std::move(buf));
    } else if (on_data) {
      auto cb = on_data;
      cb();
      if (conn && conn->readable() == avail)
        return;                       // nothing taken: it reads later
    } else {
      return;                         // kept until a callback is set
    }
  }
}

void Connection::Impl::feed()
{
  while (conn && !writeq.empty()) {
    Request& r = writeq.front();
    bool more = writeq.size() > 1;
    size_t n = conn->write(r.buf->data() + r.off, r.size - r.off, more);
    if (!n)
      break;
    r.off += n;
    queued -= n;
    handed += n;
    if (r.off == r.size) {
      in_flight.emplace_back(handed, r.size);
      writeq.pop_front();
    }
  }
  if (conn && writeq.empty() && close_requested && !shut) {
    // close(): the FIN follows what was queued.
    shut = true;
    conn->shutdown_write();
  }
}

void Connection::Impl::check_written()
{
  if (!conn)
    return;
  uint64_t sent = handed - conn->unsent();
  while (!in_flight.empty() && in_flight.front().first <= sent && !closed) {
    size_t n = in_flight.front().second;
    in_flight.pop_front();
    if (on_write) {
      auto cb = on_write;
      cb(n);
    }
  }
}

void Connection::Impl::signal_close()
{
  if (closed)
    return;
  closed = true;
  Connection_ptr keep = self.shared_from_this();
  if (conn)
    conn->set_handler(nullptr);
  conn.reset();
  writeq.clear();
  in_flight.clear();
  queued = 0;
  self.host_.remove_connection(self);
  auto cb = std::move(on_close);
  self.reset_callbacks();             // callbacks that hold the connection let go
  if (cb)
    cb();
}

// IncludeOS's view of the engine's state: close() shows at once, even
// while the FIN waits behind queued data.
const Connection::State& Connection::Impl::engine_state() const
{
  if (!conn)
    return Closed::instance();
  switch (conn->state()) {
  case engine::State::CLOSED: return Closed::instance();
  case engine::State::LISTEN: return Listen::instance();
  case engine::State::SYN_SENT: return SynSent::instance();
  case engine::State::SYN_RECEIVED: return SynReceived::instance();
  case engine::State::ESTABLISHED:
    return close_requested ? FinWait1::instance() : Established::instance();
  case engine::State::CLOSE_WAIT:
    if (!close_requested)
      return CloseWait::instance();
    return closed_first ? Closing::instance() : LastAck::instance();
  case engine::State::FIN_WAIT_1: return FinWait1::instance();
  case engine::State::FIN_WAIT_2: return FinWait2::instance();
  case engine::State::CLOSING: return Closing::instance();
  case engine::State::LAST_ACK: return LastAck::instance();
  case engine::State::TIME_WAIT: return TimeWait::instance();
  }
  return Closed::instance();
}

// ---- callbacks -------------------------------------------------------------------------------

Connection& Connection::on_connect(ConnectCallback cb)
{
  impl_->on_connect = std::move(cb);
  return *this;
}

Connection& Connection::on_read(size_t recv_bufsz, ReadCallback cb)
{
  impl_->read_size = recv_bufsz;
  return set_on_read_callback(std::move(cb));
}

Connection& Connection::set_on_read_callback(ReadCallback cb)
{
  impl_->on_read = std::move(cb);
  impl_->schedule_reads();
  return *this;
}

Connection& Connection::on_data(DataCallback cb)
{
  impl_->on_data = std::move(cb);
  impl_->schedule_reads();
  return *this;
}

// Data that came before a read callback was set: delivered right after
// the running callback, or from the event loop, never from inside the
// call that set it.
void Connection::Impl::schedule_reads()
{
  if (!conn || !conn->readable())
    return;
  if (dispatching) {
    pending |= engine::EV_READABLE;
    return;
  }
  if (reads_scheduled)
    return;
  reads_scheduled = true;
  std::weak_ptr<Connection> weak = self.shared_from_this();
  Timers::oneshot(std::chrono::nanoseconds(0), [weak](Timers::id_t) {
    if (auto c = weak.lock()) {
      c->impl().reads_scheduled = false;
      c->impl().post(engine::EV_READABLE);
    }
  });
}

Connection& Connection::on_disconnect(DisconnectCallback cb)
{
  impl_->on_disconnect = std::move(cb);
  impl_->user_disconnect = true;
  return *this;
}

Connection& Connection::on_close(CloseCallback cb)
{
  impl_->on_close = std::move(cb);
  return *this;
}

Connection& Connection::on_write(WriteCallback cb)
{
  impl_->on_write = std::move(cb);
  return *this;
}

void Connection::reset_callbacks()
{
  Impl& i = *impl_;
  i.on_connect = nullptr;
  i.on_read = nullptr;
  i.on_data = nullptr;
  i.on_disconnect = close_unless_closing;
  i.user_disconnect = false;
  i.on_close = nullptr;
  i.on_write = nullptr;
}

buffer_t Connection::read_next()
{
  Impl& i = *impl_;
  size_t avail = i.conn ? i.conn->readable() : 0;
  if (!avail)
    return nullptr;
  size_t n = i.read_size && i.read_size < avail ? i.read_size : avail;
  buffer_t buf = construct_buffer(n);
  buf->resize(i.conn->read(buf->data(), n));
  return buf;
}

size_t Connection::next_size() { return impl_->conn ? impl_->conn->readable() : 0; }

// ---- sending and closing ----------------------------------------------------------------------

void Connection::write(buffer_t buffer)
{
  if (!buffer || buffer->empty())
    throw TCP_error("Can't write zero bytes");
  Impl& i = *impl_;
  if (!is_writable() || i.close_requested)
    return;
  size_t n = buffer->size();
  i.writeq.push_back(Impl::Request{std::move(buffer), 0, n});
  i.queued += n;
  if (!i.conn)
    return;
  if (i.dispatching) {
    i.feed();
    i.check_written();
  } else {
    i.post(engine::EV_WRITABLE);      // feeds the engine, now
  }
}

void Connection::write(const void* buf, size_t n)
{
  const auto* p = static_cast<const uint8_t*>(buf);
  write(construct_buffer(p, p + n));
}

void Connection::close()
{
  Impl& i = *impl_;
  if (i.close_requested || i.closed || is_closing() || is_closed())
    return;
  Connection_ptr keep = shared_from_this();
  i.close_requested = true;
  i.closed_first = !i.fin_seen;
  if (!i.conn) {                      // never a connection: on_close
    i.post(engine::EV_CLOSED);
    return;
  }
  switch (i.conn->state()) {
  case engine::State::SYN_SENT:
  case engine::State::SYN_RECEIVED:
  case engine::State::LISTEN:
    i.conn->close();                  // straight to CLOSED
    i.post(engine::EV_CLOSED);
    return;
  default:
    break;
  }
  if (i.writeq.empty()) {
    i.shut = true;
    i.conn->shutdown_write();
  }
}

void Connection::abort()
{
  Impl& i = *impl_;
  if (i.closed)
    return;
  Connection_ptr keep = shared_from_this();
  if (i.conn)
    i.conn->abort();                  // RST, CLOSED
  i.post(engine::EV_CLOSED);          // on_close now (or after the running callback)
}

// ---- state ---------------------------------------------------------------------------------------

const Connection::State& Connection::state() const noexcept
{
  return impl_->override_state ? *impl_->override_state : impl_->engine_state();
}

const Connection::State& Connection::prev_state() const noexcept
{
  return impl_->prev ? *impl_->prev : Closed::instance();
}

uint32_t Connection::sendq_size() const noexcept
{
  return static_cast<uint32_t>(impl_->queued + (impl_->conn ? impl_->conn->unsent() : 0));
}

uint32_t Connection::sendq_remaining() const noexcept
{
  return impl_->conn ? static_cast<uint32_t>(impl_->conn->writable()) : 0;
}

size_t Connection::readq_size() const { return impl_->conn ? impl_->conn->readable() : 0; }

std::string Connection::to_string() const noexcept
{
  return local_.to_string() + " " + remote_.to_string() + " (" + state().to_string() + ")";
}

}  // namespace net::tcp
