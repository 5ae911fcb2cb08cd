// Connections as their owners see them: reading, writing, closing,
// settings; and the TCB's life from start() to CLOSED.
#include <cstdio>

#include "internal.hpp"

namespace ukbase::tcp {

const char* state_name(State s)
{
  switch (s) {
  case State::CLOSED: return "CLOSED";
  case State::LISTEN: return "LISTEN";
  case State::SYN_SENT: return "SYN-SENT";
  case State::SYN_RECEIVED: return "SYN-RECEIVED";
  case State::ESTABLISHED: return "ESTABLISHED";
  case State::FIN_WAIT_1: return "FIN-WAIT-1";
  case State::FIN_WAIT_2: return "FIN-WAIT-2";
  case State::CLOSE_WAIT: return "CLOSE-WAIT";
  case State::CLOSING: return "CLOSING";
  case State::LAST_ACK: return "LAST-ACK";
  case State::TIME_WAIT: return "TIME-WAIT";
  }
  return "?";
}

// ---- the TCB's life -----------------------------------------------------------------------

Connection::Connection(Stack& stack) : stack_(stack), impl_(new Impl(*this, *stack.impl_))
{
  Stack::Impl& st = *stack.impl_;
  impl_->id = ++st.next_id;
  impl_->all_next = st.all;
  if (st.all)
    st.all->all_prev = impl_.get();
  st.all = impl_.get();
}

Connection::~Connection() = default;

Connection::Impl::~Impl()
{
  if (!st)
    return;
  st->unschedule(*this);
  sndq.release(*st);
  rcvq.release(*st);
  if (all_prev)
    all_prev->all_next = all_next;
  else
    st->all = all_next;
  if (all_next)
    all_next->all_prev = all_prev;
}

void Connection::Impl::start(const Segment* syn, const uint32_t* min_iss)
{
  Stack::Impl& S = *st;
  const Config& cfg = S.cfg();
  Tuple tu{c.local_.addr, c.remote_.addr, c.local_.port, c.remote_.port};
  iss = S.isn(tu);
  if (min_iss && seq_lt(iss, *min_iss))
    iss = *min_iss;
  ts_offset = S.ts_offset(tu);
  offer_ws = cfg.window_scaling;
  offer_ts = cfg.timestamps;
  offer_sack = cfg.sack;
  // The scale fits the largest buffer the connection could be given.
  uint32_t biggest = cfg.max_buf > rcvbuf() ? cfg.max_buf : rcvbuf();
  rcv_wscale = 0;
  while (offer_ws && rcv_wscale < 14 && (biggest >> rcv_wscale) > 65535)
    rcv_wscale++;
  uint32_t mss = S.host().mss_for(c.local_.addr, c.remote_.addr);
  adv_mss = uint16_t(mss < 64 ? 64 : mss > 65495 ? 65495 : mss);
  rcv_mss = adv_mss < DEFAULT_MSS ? adv_mss : DEFAULT_MSS;
  rto_ns = cfg.rto_initial_ns;
  snd_una = snd_nxt = snd_max = recover = high_rxt = iss;
  snd_end = iss + 1;
  progress_ns = last_recv_ns = S.now;
  c.snd_mss_ = uint16_t(adv_mss < DEFAULT_MSS ? adv_mss : DEFAULT_MSS);
  if (syn) {
    passive = true;
    irs = syn->seq;
    rcv_nxt = irs + 1;
    negotiate(*syn);
    c.snd_wnd_ = max_snd_wnd = syn->wnd;   // never scaled in a SYN (RFC 7323 2.2)
    snd_wl1 = syn->seq;
    snd_wl2 = iss;
  }
}

uint32_t Connection::Impl::rcvbuf() const
{
  const Config& cfg = c.stack_.config();
  uint32_t v = c.opts_.rcvbuf ? c.opts_.rcvbuf : cfg.default_rcvbuf;
  v = v > cfg.max_buf ? cfg.max_buf : v;
  return v < 256 ? 256 : v;
}

uint32_t Connection::Impl::sndbuf() const
{
  const Config& cfg = c.stack_.config();
  uint32_t v = c.opts_.sndbuf ? c.opts_.sndbuf : cfg.default_sndbuf;
  v = v > cfg.max_buf ? cfg.max_buf : v;
  return v < 256 ? 256 : v;
}

bool Connection::Impl::synchronized() const
{
  switch (c.state_) {
  case State::CLOSED: case State::LISTEN: case State::SYN_SENT: case State::SYN_RECEIVED:
    return false;
  default:
    return true;
  }
}

void Connection::Impl::post(unsigned ev)
{
  if (!st)
    return;
  events |= ev;
  if (!queued) {
    queued = true;
    st->ready.push_back(c.shared_from_this());
  }
}

void Connection::Impl::trim_memory()
{
  if (!st)
    return;
  sndq.release(*st);
  std::vector<Range>().swap(ooo);
  std::vector<Range>().swap(sacked);
  std::vector<std::pair<uint32_t, uint64_t>>().swap(rxt_log);
  rxt_head = 0;
  fin_ooo = false;
  if (!rcvq.size())
    rcvq.release(*st);
}

void Connection::Impl::to_closed(int err)
{
  if (c.state_ == State::CLOSED || !st)
    return;
  State prev = c.state_;
  c.state_ = State::CLOSED;
  if (err)
    c.error_ = err;
  t_rto = t_persist = t_delack = t_keep = t_wait = 0;
  st->unschedule(*this);
  trim_memory();
  if (prev == State::SYN_RECEIVED && c.listener_) {
    auto& half = c.listener_->half_open_;
    for (size_t i = 0; i < half.size(); i++)
      if (half[i] == &c) {
        half[i] = half.back();
        half.pop_back();
        break;
      }
    c.listener_ = nullptr;
  }
  post(err ? unsigned(EV_CLOSED | EV_ERROR) : unsigned(EV_CLOSED));
  if (in_table)
    st->remove(c);
}

void Connection::Impl::reset_and_close(int err)
{
  switch (c.state_) {
  case State::SYN_RECEIVED: case State::ESTABLISHED: case State::FIN_WAIT_1:
  case State::FIN_WAIT_2: case State::CLOSE_WAIT:
    send_rst();
    break;
  default:
    break;
  }
  to_closed(err);
}

void Connection::Impl::to_time_wait()
{
  // Only what answering needs stays: the sequence numbers and timestamps.
  c.state_ = State::TIME_WAIT;
  t_rto = t_persist = t_keep = 0;
  uint64_t msl = st->cfg().msl_ns;
  t_wait = st->now + 2 * msl + 1;
  trim_memory();
  auto& tw = st->time_wait;
  if (tw.size() - st->tw_head > 2 * st->conns.size() + 64) {
    // Entries of connections long gone: keep only those still waiting.
    std::vector<std::weak_ptr<Connection>> keep;
    for (size_t i = st->tw_head; i < tw.size(); i++) {
      auto sp = tw[i].lock();
      if (sp && sp->state_ == State::TIME_WAIT)
        keep.push_back(tw[i]);
    }
    tw.swap(keep);
    st->tw_head = 0;
  }
  tw.push_back(c.weak_from_this());
}

// ---- receiving ------------------------------------------------------------------------------

size_t Connection::readable() const { return impl_->rcvq.size(); }

size_t Connection::read(void* buf, size_t len)
{
  Impl& t = *impl_;
  if (!t.st)
    return 0;
  Entry entry(*t.st);
  std::shared_ptr<Connection> keep = shared_from_this();
  size_t n = len < t.rcvq.size() ? len : t.rcvq.size();
  if (!n)
    return 0;
  t.rcvq.get(0, static_cast<uint8_t*>(buf), n);
  t.rcvq.consume(n);
  t.after_read();
  return n;
}

size_t Connection::peek(void* buf, size_t len, size_t offset) const
{
  const Impl& t = *impl_;
  if (offset >= t.rcvq.size())
    return 0;
  size_t n = t.rcvq.size() - offset;
  n = len < n ? len : n;
  t.rcvq.get(offset, static_cast<uint8_t*>(buf), n);
  return n;
}

bool Connection::fin_received() const { return impl_->fin_rcvd; }

uint32_t Connection::rcv_wnd() const
{
  const Impl& t = *impl_;
  return seq_gt(t.rcv_adv, t.rcv_nxt) ? t.rcv_adv - t.rcv_nxt : 0;
}

// ---- sending ----------------------------------------------------------------------------------

size_t Connection::writable() const
{
  const Impl& t = *impl_;
  if (!t.st || t.wr_shut || error_)
    return 0;
  switch (state_) {
  case State::SYN_SENT: case State::SYN_RECEIVED: case State::ESTABLISHED: case State::CLOSE_WAIT:
    break;
  default:
    return 0;
  }
  size_t used = t.sndq.size(), buf = t.sndbuf();
  if (used >= buf)
    return 0;
  size_t cap = t.sndq.reachable(*t.st, buf);
  return cap > used ? cap - used : 0;
}

size_t Connection::write(const void* data, size_t len, bool more)
{
  Impl& t = *impl_;
  if (!t.st)
    return 0;
  Entry entry(*t.st);
  std::shared_ptr<Connection> keep = shared_from_this();
  size_t n = writable();
  if (!n && (t.wr_shut || error_ || !t.st))
    return 0;
  n = len < n ? len : n;
  t.more = more;
  size_t used = t.sndq.size();
  if (n && !t.sndq.reserve(*t.st, used + n, used, t.sndbuf()))
    n = t.sndq.capacity() > used ? t.sndq.capacity() - used : 0;
  if (n) {
    t.sndq.put(used, static_cast<const uint8_t*>(data), n);
    t.sndq.append(n);
    t.snd_end += uint32_t(n);
    t.was_unsent = true;
  }
  if (t.synchronized())
    t.output();
  return n;
}

size_t Connection::unacked() const { return impl_->sndq.size(); }

size_t Connection::unsent() const
{
  const Impl& t = *impl_;
  return seq_gt(t.snd_end, t.snd_max) ? t.snd_end - t.snd_max : 0;
}

void Connection::shutdown_write()
{
  Impl& t = *impl_;
  if (!t.st || t.wr_shut)
    return;
  Entry entry(*t.st);
  std::shared_ptr<Connection> keep = shared_from_this();
  t.wr_shut = true;
  // RFC 9293 3.10.4: the state changes now; the FIN follows the data.
  if (state_ == State::ESTABLISHED)
    state_ = State::FIN_WAIT_1;
  else if (state_ == State::CLOSE_WAIT)
    state_ = State::LAST_ACK;
  if (t.synchronized())
    t.output();
}

bool Connection::write_shut() const { return impl_->wr_shut; }

void Connection::close()
{
  Impl& t = *impl_;
  if (!t.st || t.app_closed)
    return;
  Entry entry(*t.st);
  std::shared_ptr<Connection> keep = shared_from_this();
  t.app_closed = true;
  switch (state_) {
  case State::CLOSED: case State::LISTEN:
    return;
  case State::SYN_SENT:
    t.to_closed(0);
    return;
  default:
    break;
  }
  if (t.rcvq.size()) {
    // Unread data: the peer must learn it was not delivered (RFC 9293
    // 3.10.4, RFC 2525 2.17).
    t.reset_and_close(0);
    return;
  }
  if (state_ == State::FIN_WAIT_2 && !t.t_wait)
    t.t_wait = t.st->now + 2 * t.st->cfg().msl_ns + 1;
  shutdown_write();
  t.st->schedule(t);
}

void Connection::abort()
{
  Impl& t = *impl_;
  if (!t.st || state_ == State::CLOSED)
    return;
  Entry entry(*t.st);
  std::shared_ptr<Connection> keep = shared_from_this();
  t.app_closed = true;
  t.reset_and_close(0);
}

// ---- settings and information -------------------------------------------------------------------

void Connection::set_options(const Options& o)
{
  Impl& t = *impl_;
  Options old = opts_;
  opts_ = o;
  if (!t.st)
    return;
  Entry entry(*t.st);
  std::shared_ptr<Connection> keep = shared_from_this();
  if (!o.keepalive)
    t.t_keep = 0;
  else if (!old.keepalive || o.keepidle_s != old.keepidle_s)
    t.t_keep = 0, t.arm_keepalive();
  if (t.synchronized()) {
    if (o.rcvbuf != old.rcvbuf)
      t.after_read();                      // a larger buffer opens the window
    if (o.sndbuf > old.sndbuf && writable())
      t.post(EV_WRITABLE);
    if (old.cork && !o.cork)
      t.push = true;                       // uncorking sends the partial segment too
    t.output();                            // nodelay on, cork off: what was held goes
  }
  t.st->schedule(t);
}

size_t Connection::memory() const { return impl_->sndq.capacity() + impl_->rcvq.capacity(); }

std::string Connection::to_string() const
{
  auto ep = [](const Endpoint& e, char* out, size_t n) {
    std::snprintf(out, n, "%u.%u.%u.%u:%u", e.addr >> 24, (e.addr >> 16) & 255,
                  (e.addr >> 8) & 255, e.addr & 255, e.port);
  };
  char l[32], r[32], line[96];
  ep(local_, l, sizeof l);
  ep(remote_, r, sizeof r);
  std::snprintf(line, sizeof line, "%s %s %s %s", l, impl_->passive ? "<-" : "->", r,
                state_name(state_));
  return line;
}

}  // namespace ukbase::tcp
