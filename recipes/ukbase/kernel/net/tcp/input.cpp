// Segment arrival (RFC 9293 3.10.7): the checks in the RFC's order, with
// RFC 5961's stricter RST/SYN/ACK rules, PAWS (RFC 7323 5) and a fast
// path for the common in-order segment of an established connection.
#include "internal.hpp"

namespace ukbase::tcp {

namespace {
constexpr uint64_t PAWS_IDLE_NS = 24ull * 24 * 3600 * 1000000000;   // RFC 7323 5.5
constexpr uint64_t OOW_ACK_GAP_NS = 100000000;                      // ACKs to stray ACKs
}  // namespace

void Connection::Impl::negotiate(const Segment& syn)
{
  peer_mss = syn.mss ? syn.mss : DEFAULT_MSS;
  if (offer_ws && syn.wscale >= 0) {
    snd_wscale = uint8_t(syn.wscale);
  } else {
    offer_ws = false;                     // RFC 7323 2.2: both sides or neither
    snd_wscale = rcv_wscale = 0;
  }
  ts_ok = offer_ts && syn.ts;
  offer_ts = ts_ok;
  if (ts_ok) {
    ts_recent = syn.tsval;
    ts_recent_ns = st->now;
  }
  sack_ok = offer_sack && syn.sack_ok;
  offer_sack = sack_ok;
  uint32_t mss = peer_mss < adv_mss ? peer_mss : adv_mss;
  mss -= ts_ok ? TS_OPT : 0;
  c.snd_mss_ = uint16_t(mss < MIN_MSS ? MIN_MSS : mss);
}

bool Connection::Impl::reopen_ok(const Segment& s) const
{
  if (ts_ok && s.ts)
    return seq_gt(s.tsval, ts_recent);
  return seq_gt(s.seq, rcv_nxt);
}

void Connection::Impl::enter_established()
{
  c.state_ = State::ESTABLISHED;
  if (syn_rexmit)
    rto_ns = 3000000000ull;               // RFC 6298 5.7
  c.cwnd_ = initial_cwnd();
  backoff = 0;
  progress_ns = st->now;
  if (wr_shut)
    c.state_ = State::FIN_WAIT_1;         // shut before the handshake ended
  if (passive && c.listener_) {
    Listener& l = *c.listener_;
    auto& half = l.half_open_;
    for (size_t i = 0; i < half.size(); i++)
      if (half[i] == &c) {
        half[i] = half.back();
        half.pop_back();
        break;
      }
    l.accept_queue_.push_back(c.shared_from_this());
    st->accept_ready.push_back(l.weak_from_this());
  }
  post(EV_CONNECTED);
  arm_keepalive();
}

void Connection::Impl::input_syn_sent(const Segment& s)
{
  if ((s.flags & ACK) && (seq_le(s.ack, iss) || seq_gt(s.ack, snd_max))) {
    if (!(s.flags & RST)) {
      Emit e;
      e.src = c.local_.addr, e.dst = c.remote_.addr;
      e.sport = c.local_.port, e.dport = c.remote_.port;
      e.seq = s.ack;
      e.flags = RST;
      if (e.send(*st))
        st->stats().resets_sent++;
    }
    return;
  }
  if (s.flags & RST) {
    if (s.flags & ACK)                    // the ACK is acceptable: refused
      to_closed(ECONNREFUSED);
    return;
  }
  if (!(s.flags & SYN))
    return;
  irs = s.seq;
  rcv_nxt = s.seq + 1;
  negotiate(s);
  rcv_adv = rcv_nxt + syn_wnd;
  last_ack_sent = rcv_nxt;
  c.snd_wnd_ = max_snd_wnd = s.wnd;
  snd_wl1 = s.seq;
  snd_wl2 = s.ack;
  if (!(s.flags & ACK)) {
    // Simultaneous open: our SYN crossed theirs. Answer with SYN-ACK.
    c.state_ = State::SYN_RECEIVED;
    send_syn();
    return;
  }
  if (ts_ok && s.tsecr && int32_t(ts_now() - s.tsecr) >= 0)
    rtt_sample(uint64_t(ts_now() - s.tsecr) * 1000000);
  else if (syn_rtt_ok)
    rtt_sample(st->now - rtt_start);
  snd_una = s.ack;
  syn_acked = true;
  t_rto = 0;
  enter_established();
  ack_now = true;
  if (s.len || (s.flags & FIN))
    process_text(s.seq + 1, s.data, s.len, s.flags & FIN);
  output();
}

void Connection::Impl::ack_out_of_window(const Segment& s)
{
  // RFC 9293 3.10.7.4: an unacceptable segment gets an ACK. A stray ACK
  // answered by an ACK could loop, so those answers are rate-limited.
  if (s.flags & RST)
    return;
  bool pure = !s.len && !(s.flags & (SYN | FIN));
  if (pure && last_oow_ack && st->now - last_oow_ack < OOW_ACK_GAP_NS)
    return;
  last_oow_ack = st->now;
  send_ack();
}

bool Connection::Impl::check_sequence(const Segment& s)
{
  uint32_t wnd = seq_gt(rcv_adv, rcv_nxt) ? rcv_adv - rcv_nxt : 0;
  uint32_t len = s.space();
  bool ok;
  if (!len)
    ok = wnd ? seq_le(rcv_nxt, s.seq) && seq_lt(s.seq, rcv_nxt + wnd) : s.seq == rcv_nxt;
  else if (!wnd)
    ok = s.seq == rcv_nxt;                // its ACK still counts; the text is trimmed away
  else
    ok = (seq_le(rcv_nxt, s.seq) && seq_lt(s.seq, rcv_nxt + wnd))
         || (seq_le(rcv_nxt, s.seq + len - 1) && seq_lt(s.seq + len - 1, rcv_nxt + wnd));
  if (ok)
    return true;
  if (c.state_ == State::TIME_WAIT && (s.flags & FIN) && !(s.flags & RST))
    t_wait = st->now + 2 * st->cfg().msl_ns + 1;   // the peer's FIN again: wait anew
  ack_out_of_window(s);
  return false;
}

bool Connection::Impl::process_rst(const Segment& s)
{
  if (c.state_ == State::TIME_WAIT)
    return false;                         // RFC 1337: no assassination
  if (s.seq != rcv_nxt) {
    send_challenge_ack();                 // RFC 5961 3.2: in the window but not exact
    return false;
  }
  if (c.state_ == State::SYN_RECEIVED && passive) {
    to_closed(0);                         // back to LISTEN: the child just goes
    return false;
  }
  int err = c.state_ == State::SYN_RECEIVED ? ECONNREFUSED : app_closed ? 0 : ECONNRESET;
  to_closed(err);
  return false;
}

bool Connection::Impl::process_ack(const Segment& s)
{
  if (c.state_ == State::SYN_RECEIVED) {
    if (!(seq_lt(snd_una, s.ack) && seq_le(s.ack, snd_max))) {
      Emit e;
      e.src = c.local_.addr, e.dst = c.remote_.addr;
      e.sport = c.local_.port, e.dport = c.remote_.port;
      e.seq = s.ack;
      e.flags = RST;
      if (e.send(*st))
        st->stats().resets_sent++;
      return false;
    }
    if (passive && c.listener_ && c.listener_->accept_queue_.size() >= c.listener_->backlog_) {
      st->stats().refused_backlog++;    // no room to accept it: as if lost
      return false;
    }
    if (ts_ok && s.tsecr && int32_t(ts_now() - s.tsecr) >= 0)
      rtt_sample(uint64_t(ts_now() - s.tsecr) * 1000000);
    else if (syn_rtt_ok)
      rtt_sample(st->now - rtt_start);
    snd_una++;                            // the SYN
    syn_acked = true;
    t_rto = 0;
    c.snd_wnd_ = s.wnd << snd_wscale;
    max_snd_wnd = c.snd_wnd_;
    snd_wl1 = s.seq;
    snd_wl2 = s.ack;
    enter_established();
  }
  // RFC 5961 5.2: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT, else an ACK.
  if (seq_gt(s.ack, snd_max)) {
    ack_out_of_window(s);
    return false;
  }
  if (seq_lt(s.ack, snd_una - max_snd_wnd)) {
    send_challenge_ack();
    return false;
  }
  probes_out = 0;                         // the peer answers
  if (sack_ok && s.nsack)
    update_scoreboard(s);
  uint32_t wnd = s.wnd << snd_wscale;
  bool wnd_same = wnd == c.snd_wnd_;
  if (seq_lt(snd_wl1, s.seq) || (snd_wl1 == s.seq && seq_le(snd_wl2, s.ack))) {
    if (!c.snd_wnd_ && wnd) {
      t_persist = 0;                      // the window opened
      persist_backoff = 0;
    }
    c.snd_wnd_ = wnd;
    snd_wl1 = s.seq;
    snd_wl2 = s.ack;
    if (wnd > max_snd_wnd)
      max_snd_wnd = wnd;
  }
  if (seq_gt(s.ack, snd_una)) {
    uint32_t flight_before = flight();
    uint32_t acked = s.ack - snd_una;
    uint32_t data_end = seq_lt(s.ack, snd_end) ? s.ack : snd_end;
    uint32_t data = seq_gt(data_end, data_una()) ? data_end - data_una() : 0;
    sndq.consume(data);
    c.stats_.bytes_acked += data;
    // RTT (RFC 7323 4.1 with timestamps, else one timed segment; Karn)
    if (ts_ok && s.ts && s.tsecr && int32_t(ts_now() - s.tsecr) >= 0)
      rtt_sample(uint64_t(ts_now() - s.tsecr) * 1000000);
    else if (rtt_timing && seq_ge(s.ack, rtt_seq)) {
      rtt_timing = false;
      rtt_sample(st->now - rtt_start);
    }
    snd_una = s.ack;
    if (seq_lt(snd_nxt, snd_una))
      snd_nxt = snd_una;
    backoff = 0;
    progress_ns = st->now;
    new_ack(acked, flight_before);
    t_rto = snd_una == snd_max ? 0 : st->now + rto_ns;   // RFC 6298 5.2, 5.3
    if (data) {
      post(EV_WRITABLE);
      if (!sndq.size() && st->under_pressure())
        sndq.release(*st);
    }
    bool fin_acked = wr_shut && seq_gt(snd_una, snd_end);
    if (fin_acked) {
      switch (c.state_) {
      case State::FIN_WAIT_1:
        c.state_ = State::FIN_WAIT_2;
        if (app_closed)                   // nobody will read: do not wait forever
          t_wait = st->now + 2 * st->cfg().msl_ns + 1;
        break;
      case State::CLOSING:
        to_time_wait();
        break;
      case State::LAST_ACK:
        to_closed(0);
        return false;
      default:
        break;
      }
    }
  } else if (s.ack == snd_una && snd_max != snd_una && !s.len && !(s.flags & (SYN | FIN))
             && wnd_same) {
    dup_ack();                            // RFC 5681 2's definition
  }
  return true;
}

void Connection::Impl::process_fin()
{
  if (fin_rcvd)
    return;
  fin_rcvd = true;
  fin_ooo = false;
  rcv_nxt++;
  ack_now = true;
  post(EV_FIN);
  switch (c.state_) {
  case State::SYN_RECEIVED:
  case State::ESTABLISHED:
    c.state_ = State::CLOSE_WAIT;
    break;
  case State::FIN_WAIT_1:
    if (wr_shut && seq_gt(snd_una, snd_end))
      to_time_wait();
    else
      c.state_ = State::CLOSING;
    break;
  case State::FIN_WAIT_2:
    to_time_wait();
    break;
  default:
    break;
  }
}

bool Connection::Impl::fast_path(const Segment& s)
{
  // Header prediction: in order, nothing unusual, window unchanged, no
  // recovery under way. Either a pure ACK for new data or pure data.
  if (c.state_ != State::ESTABLISHED || (s.flags & (SYN | FIN | RST | URG | ACK)) != ACK
      || s.seq != rcv_nxt || in_recovery || dupacks || snd_nxt != snd_max || fin_ooo
      || !ooo.empty() || (s.wnd << snd_wscale) != c.snd_wnd_)
    return false;
  if (ts_ok && (!s.ts || seq_lt(s.tsval, ts_recent)))
    return false;
  if (!s.len) {
    if (!seq_gt(s.ack, snd_una) || seq_gt(s.ack, snd_max) || s.nsack)
      return false;
  } else if (s.ack != snd_una || s.len > rcv_adv - rcv_nxt || app_closed
             || !store(s.seq, s.data, s.len)) {
    return false;
  }
  if (ts_ok && seq_le(s.seq, last_ack_sent)) {
    ts_recent = s.tsval;                  // RFC 7323 4.3: the oldest unacknowledged
    ts_recent_ns = st->now;               // segment's timestamp is the one echoed
  }
  snd_wl1 = s.seq;
  snd_wl2 = s.ack;
  if (!s.len) {
    process_ack(s);
  } else {
    rcv_nxt += s.len;
    rcvq.append(s.len);
    c.stats_.bytes_received += s.len;
    if (s.len > rcv_mss)
      rcv_mss = s.len < adv_mss ? s.len : adv_mss;
    post(EV_READABLE);
    data_ack(s.len);
  }
  output();
  return true;
}

void Connection::Impl::input(const Segment& s)
{
  c.stats_.segments_received++;
  if (s.flags & RST)
    st->stats().resets_received++;
  last_recv_ns = st->now;
  keep_probes = 0;
  if (c.state_ == State::SYN_SENT) {
    input_syn_sent(s);
    return;
  }
  if (c.state_ == State::CLOSED || c.state_ == State::LISTEN)
    return;
  if (fast_path(s))
    return;
  if (c.state_ == State::SYN_RECEIVED && (s.flags & SYN) && !(s.flags & RST) && s.seq == irs) {
    if (!(s.flags & ACK)) {               // their SYN again: our SYN-ACK was lost
      send_syn();
      return;
    }
    if (!passive && s.ack == iss + 1) {   // simultaneous open: their SYN-ACK
      Segment a = s;
      a.flags = uint8_t(s.flags & ~SYN);
      a.seq = s.seq + 1;
      if (process_ack(a))
        ack_now = true;
      output();
      return;
    }
  }
  // PAWS (RFC 7323 5.3): an older timestamp is an old duplicate.
  if (ts_ok && !(s.flags & RST)) {
    if (!s.ts)
      return;                             // RFC 7323 3.2: SHOULD be dropped
    if (seq_lt(s.tsval, ts_recent)) {
      if (st->now - ts_recent_ns <= PAWS_IDLE_NS) {
        ack_out_of_window(s);
        return;
      }
      ts_recent = s.tsval;                // idle for 24 days: TS.Recent is stale
    }
  }
  if (!check_sequence(s))
    return;
  if (ts_ok && s.ts && seq_le(s.seq, last_ack_sent) && seq_ge(s.tsval, ts_recent)) {
    ts_recent = s.tsval;                  // RFC 7323 4.3
    ts_recent_ns = st->now;
  }
  if (s.flags & RST) {
    process_rst(s);
    return;
  }
  if (s.flags & SYN) {
    send_challenge_ack();                 // RFC 5961 4.2
    return;
  }
  if (!(s.flags & ACK))
    return;
  if (!process_ack(s) || c.state_ == State::CLOSED)
    return;
  if (s.len || (s.flags & FIN))
    process_text(s.seq, s.data, s.len, s.flags & FIN);
  if (c.state_ != State::CLOSED)
    output();
}

void Connection::Impl::process_text(uint32_t seq, const uint8_t* data, uint32_t len, bool fin)
{
  // Trim what was received before and what lies past the window.
  if (seq_lt(seq, rcv_nxt)) {
    uint32_t d = rcv_nxt - seq;
    if (d > len) {
      len = 0;
      fin = false;
    } else {
      data += d;
      len -= d;
      seq = rcv_nxt;
    }
  }
  uint32_t right = seq_gt(rcv_adv, rcv_nxt) ? rcv_adv : rcv_nxt;
  if (seq_gt(seq + len, right)) {
    len = seq_lt(seq, right) ? right - seq : 0;
    fin = false;
  }
  if (len && app_closed) {
    reset_and_close(0);                   // nobody will read it (RFC 9293 3.10.4)
    return;
  }
  State st_now = c.state_;
  if (st_now != State::ESTABLISHED && st_now != State::FIN_WAIT_1 && st_now != State::FIN_WAIT_2) {
    if (fin || len)
      ack_now = true;                     // a retransmission: say where we are
    return;
  }
  if (!len && !fin) {
    ack_now = true;                       // wholly duplicate or outside the window
    return;
  }
  if (seq == rcv_nxt) {
    if (len) {
      if (!store(seq, data, len)) {
        st->stats().dropped_no_memory++;
        ack_now = true;
        return;
      }
      bool had_holes = !ooo.empty();
      rcv_nxt += len;
      rcvq.append(len);
      c.stats_.bytes_received += len;
      if (len > rcv_mss)
        rcv_mss = len < adv_mss ? len : adv_mss;
      merge_ooo();
      post(EV_READABLE);
      if (had_holes)
        ack_now = true;                   // a hole filled: tell the sender at once
      else
        data_ack(len);
    }
    if (fin || (fin_ooo && rcv_nxt == fin_ooo_seq))
      process_fin();
    return;
  }
  // Out of order: kept in place in the receive buffer, acknowledged at
  // once with SACK blocks so the sender can repair the hole.
  c.stats_.out_of_order++;
  ack_now = true;
  if (len) {
    if (!store(seq, data, len)) {
      st->stats().dropped_no_memory++;
      return;
    }
    if (!add_ooo(seq, seq + len)) {
      st->stats().dropped_no_memory++;
      return;
    }
  }
  if (fin) {
    fin_ooo = true;
    fin_ooo_seq = seq + len;
  }
}

}  // namespace ukbase::tcp
