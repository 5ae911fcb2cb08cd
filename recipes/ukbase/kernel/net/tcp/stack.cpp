// The stack: demultiplexing segments to connections and listeners, RSTs
// for closed ports, the timer set, and delivering events to handlers.
#include "internal.hpp"

namespace ukbase::tcp {

Stack::Impl::Impl(Stack& stack) : s(stack) {}

Stack::Stack(Host& host, const Config& config)
    : host_(host), config_(config), impl_(new Impl(*this))
{
  host_.random(impl_->secret, sizeof impl_->secret);
  uint64_t k[2];
  host_.random(k, sizeof k);
  impl_->conns = decltype(impl_->conns)(64, Tuple_hash{k[0], k[1]});
}

Stack::~Stack()
{
  Impl& I = *impl_;
  for (auto& l : I.listeners) {
    l.second->detached_ = true;
    l.second->closed_ = true;
  }
  // Connections may outlive the stack in their owners' hands: they keep
  // their state and data counters but let go of buffers and timers.
  for (Connection::Impl* t = I.all; t; t = t->all_next) {
    t->sndq.release(I);
    t->rcvq.release(I);
    t->st = nullptr;
    t->scheduled = 0;
    t->in_table = false;
  }
  I.all = nullptr;
  I.timers.clear();
  I.ready.clear();
  I.conns.clear();
}

// ---- segments in ----------------------------------------------------------------------

void Stack::input(uint32_t src, uint32_t dst, const uint8_t* p, size_t len, bool checksum_ok)
{
  Entry entry(*impl_);
  stats_.segments_in++;
  if (len < HDR) {
    stats_.malformed++;
    return;
  }
  size_t hl = size_t(p[12] >> 4) * 4;
  if (hl < HDR || hl > len || !get16(p) || !get16(p + 2)) {
    stats_.malformed++;
    return;
  }
  if (!checksum_ok && csum_fold(csum_add(csum_pseudo(src, dst, len), p, len)) != 0xFFFF) {
    stats_.bad_checksum++;
    return;
  }
  Segment s;
  s.seq = get32(p + 4);
  s.ack = get32(p + 8);
  s.flags = p[13];
  s.wnd = get16(p + 14);
  s.data = p + hl;
  s.len = uint32_t(len - hl);
  if (hl == HDR + TS_OPT && p[20] == 1 && p[21] == 1 && p[22] == 8 && p[23] == 10) {
    s.ts = true;                          // the usual layout, read without the parser
    s.tsval = get32(p + 24);
    s.tsecr = get32(p + 28);
  } else if (hl > HDR && !parse_options(p + HDR, hl - HDR, s)) {
    stats_.malformed++;
    return;
  }
  impl_->dispatch(src, dst, p, s);
}

Listener* Stack::Impl::find_listener(uint16_t port, uint32_t addr) const
{
  auto it = listeners.find(port_key(port, addr));
  if (it == listeners.end())
    it = listeners.find(port_key(port, 0));
  return it == listeners.end() ? nullptr : it->second;
}

void Stack::Impl::dispatch(uint32_t src, uint32_t dst, const uint8_t* hdr, const Segment& seg)
{
  uint16_t sport = get16(hdr), dport = get16(hdr + 2);
  std::shared_ptr<Connection> c;
  if (last && last->local_.port == dport && last->remote_.port == sport
      && last->remote_.addr == src && last->local_.addr == dst) {
    c = last->shared_from_this();
  } else {
    auto it = conns.find(Tuple{dst, src, dport, sport});
    if (it != conns.end()) {
      c = it->second;
      last = c.get();
    }
  }
  if (c) {
    Connection::Impl& t = *c->impl_;
    // A new SYN for a connection in TIME-WAIT may open the next
    // incarnation (RFC 9293 3.10.7.4, RFC 6191): the old one goes, and
    // the new one starts past its sequence numbers.
    if (c->state_ == State::TIME_WAIT && (seg.flags & (SYN | ACK | RST | FIN)) == SYN
        && t.reopen_ok(seg)) {
      uint32_t min_iss = t.snd_max + 65535 + 2;
      t.to_closed(0);
      Listener* l = find_listener(dport, dst);
      if (l)
        passive_open(*l, src, dst, sport, seg, &min_iss);
      else
        reset_for(src, dst, hdr, seg);
      return;
    }
    t.input(seg);
    return;
  }
  // Nothing new starts, and no RST answers, for a segment to a broadcast
  // or multicast address, or from one (RFC 1122 4.2.3.10).
  if (!host().is_local(dst) || !src || src == 0xFFFFFFFFu || (src >> 28) == 14)
    return;
  if (Listener* l = find_listener(dport, dst)) {
    if (seg.flags & RST)
      return;                             // RFC 9293 3.10.7.2: ignored
    if (seg.flags & ACK) {
      reset_for(src, dst, hdr, seg);      // nothing here could be acknowledged
      return;
    }
    if ((seg.flags & (SYN | FIN)) == SYN)
      passive_open(*l, src, dst, sport, seg, nullptr);
    return;
  }
  if (seg.flags & RST)
    return;
  if ((seg.flags & (SYN | ACK)) == SYN)
    stats().refused_no_listener++;
  reset_for(src, dst, hdr, seg);
}

void Stack::Impl::reset_for(uint32_t src, uint32_t dst, const uint8_t* hdr, const Segment& seg)
{
  // RFC 9293 3.10.7.1: take the sequence number from the ACK if there is
  // one, else acknowledge everything the segment occupied.
  if (seg.flags & RST)
    return;
  Emit e;
  e.src = dst;
  e.dst = src;
  e.sport = get16(hdr + 2);
  e.dport = get16(hdr);
  if (seg.flags & ACK) {
    e.seq = seg.ack;
    e.flags = RST;
  } else {
    e.seq = 0;
    e.ack = seg.seq + seg.space();
    e.flags = RST | ACK;
  }
  if (e.send(*this))
    stats().resets_sent++;
}

void Stack::icmp_error(uint8_t type, uint8_t code, uint32_t next_mtu, const uint8_t* q,
                       size_t len)
{
  Entry entry(*impl_);
  if (len < 20 || (q[0] >> 4) != 4)
    return;
  size_t ihl = size_t(q[0] & 15) * 4;
  if (ihl < 20 || len < ihl + 8 || q[9] != 6)
    return;
  // The quoted segment is one we sent: its source is our side.
  Tuple tu{get32(q + 12), get32(q + 16), get16(q + ihl), get16(q + ihl + 2)};
  auto it = impl_->conns.find(tu);
  if (it == impl_->conns.end())
    return;
  std::shared_ptr<Connection> c = it->second;
  Connection::Impl& t = *c->impl_;
  uint32_t seq = get32(q + ihl + 4);
  // RFC 5927 4.1: only about data in flight, so blind ICMP cannot hurt.
  if (seq_lt(seq, t.snd_una) || seq_ge(seq, t.snd_max))
    return;
  constexpr uint8_t UNREACH = 3, TIME_EXCEEDED = 11;
  if (type == UNREACH && code == 4) {
    // Fragmentation needed (RFC 1191): a smaller MSS, and the segments
    // in flight again at the new size. Not a sign of congestion.
    static const uint16_t plateaus[] = {1492, 1006, 508, 296, 68};
    uint32_t wire = c->snd_mss_ + (t.ts_ok ? TS_OPT : 0) + 40;
    uint32_t mtu = next_mtu;
    if (mtu < 68 || mtu >= wire) {
      mtu = 0;
      for (uint16_t p : plateaus)
        if (p < wire) {
          mtu = p;
          break;
        }
    }
    if (mtu < 68)
      return;
    uint32_t mss = mtu - 40 - (t.ts_ok ? TS_OPT : 0);
    if (mss < MIN_MSS)
      mss = MIN_MSS;
    if (mss >= c->snd_mss_)
      return;
    c->snd_mss_ = uint16_t(mss);
    if (c->cwnd_ < mss)
      c->cwnd_ = mss;
    if (t.synchronized() && t.snd_una != t.snd_max && !t.in_recovery) {
      t.snd_nxt = t.snd_una;
      t.rtt_timing = false;
      t.output();
    }
    return;
  }
  if (type == UNREACH) {
    // Protocol or port unreachable while opening: the next RTO ends the
    // attempt (ECONNREFUSED). Everything else is a soft error (RFC 5927).
    if (c->state_ == State::SYN_SENT && (code == 2 || code == 3))
      t.soft_error = ECONNREFUSED;
    else
      t.soft_error = code == 0 ? ENETUNREACH : EHOSTUNREACH;
  } else if (type == TIME_EXCEEDED) {
    t.soft_error = EHOSTUNREACH;
  }
}

// ---- timers ----------------------------------------------------------------------------

void Stack::Impl::schedule(Connection::Impl& t)
{
  uint64_t d = t.earliest();
  if (d == t.scheduled || !t.st)
    return;
  if (t.scheduled) {
    // Move the node: no allocation on the per-segment path.
    auto node = timers.extract({t.scheduled, &t});
    t.scheduled = 0;
    if (d && node) {
      node.value().first = d;
      timers.insert(std::move(node));
      t.scheduled = d;
      return;
    }
  }
  if (d) {
    timers.emplace(d, &t);
    t.scheduled = d;
  }
}

void Stack::Impl::unschedule(Connection::Impl& t)
{
  if (t.scheduled)
    timers.erase({t.scheduled, &t});
  t.scheduled = 0;
}

void Stack::on_timer()
{
  Entry entry(*impl_);
  Impl& I = *impl_;
  while (!I.timers.empty() && I.timers.begin()->first <= I.now) {
    Connection::Impl* t = I.timers.begin()->second;
    I.timers.erase(I.timers.begin());
    t->scheduled = 0;
    std::shared_ptr<Connection> keep = t->c.shared_from_this();
    t->on_timer();
  }
}

uint64_t Stack::next_deadline() const
{
  return impl_->timers.empty() ? 0 : impl_->timers.begin()->first;
}

// ---- events ----------------------------------------------------------------------------

void Stack::Impl::finish()
{
  depth = 1;                              // calls from handlers do not deliver again
  deliver();
  depth = 0;
  uint64_t d = timers.empty() ? 0 : timers.begin()->first;
  if (d != reported) {
    reported = d;
    host().deadline_changed(d);
  }
}

void Stack::Impl::deliver()
{
  while (!ready.empty() || !accept_ready.empty()) {
    delivering.swap(ready);
    for (auto& c : delivering) {
      Connection::Impl& t = *c->impl_;
      unsigned ev = t.events;
      t.events = 0;
      t.queued = false;
      if (ev && c->handler_)
        c->handler_->tcp_event(*c, ev);
    }
    delivering.clear();
    for (size_t i = 0; i < accept_ready.size(); i++) {
      std::shared_ptr<Listener> l = accept_ready[i].lock();
      if (l && !l->closed_ && l->handler_)
        l->handler_->tcp_accept_ready(*l);
    }
    accept_ready.clear();
  }
}

// ---- information -------------------------------------------------------------------------

size_t Stack::active_connections() const { return impl_->conns.size(); }

size_t Stack::open_ports() const { return impl_->listeners.size(); }

std::vector<std::shared_ptr<Connection>> Stack::connections() const
{
  std::vector<std::shared_ptr<Connection>> out;
  out.reserve(impl_->conns.size());
  for (auto& kv : impl_->conns)
    out.push_back(kv.second);
  return out;
}

std::vector<uint32_t> Stack::addresses_in_use() const
{
  std::vector<uint32_t> out;
  out.reserve(2 * impl_->conns.size() + impl_->listeners.size() + impl_->reserved.size());
  for (auto& kv : impl_->conns) {
    out.push_back(kv.first.laddr);
    out.push_back(kv.first.raddr);
  }
  for (auto& kv : impl_->listeners)
    out.push_back(uint32_t(kv.first));
  for (uint64_t key : impl_->reserved)
    out.push_back(uint32_t(key));
  return out;
}

}  // namespace ukbase::tcp
