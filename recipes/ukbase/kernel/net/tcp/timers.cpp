// The connection's timers: retransmission (RFC 6298), persist (RFC 9293
// 3.8.6.1), delayed ACK, keepalive (RFC 1122 4.2.3.6), TIME-WAIT and the
// orphan's FIN-WAIT-2. One deadline per connection in the stack's set.
#include "internal.hpp"

namespace ukbase::tcp {

uint64_t Connection::Impl::earliest() const
{
  uint64_t d = 0;
  for (uint64_t t : {t_rto, t_persist, t_delack, t_keep, t_wait})
    if (t && (!d || t < d))
      d = t;
  return d;
}

uint64_t Connection::Impl::persist_interval() const
{
  const Config& cfg = st->cfg();
  uint64_t base = rto_ns < cfg.rto_min_ns ? cfg.rto_min_ns : rto_ns;
  base = base ? base : 1;
  for (unsigned i = 0; i < persist_backoff && base < cfg.rto_max_ns; i++)
    base *= 2;
  return base > cfg.rto_max_ns ? cfg.rto_max_ns : base;
}

void Connection::Impl::arm_rto()
{
  if (!t_rto)
    t_rto = st->now + (rto_ns ? rto_ns : 1);
}

void Connection::Impl::arm_keepalive()
{
  if (!c.opts_.keepalive || t_keep || !st)
    return;
  State s = c.state_;
  if (s != State::ESTABLISHED && s != State::CLOSE_WAIT && s != State::FIN_WAIT_2)
    return;
  uint64_t at = last_recv_ns + uint64_t(c.opts_.keepidle_s) * 1000000000;
  t_keep = at > st->now ? at : st->now + 1;
}

void Connection::Impl::on_timer()
{
  uint64_t now = st->now;
  if (t_wait && now >= t_wait) {
    t_wait = 0;
    if (c.state_ == State::TIME_WAIT || c.state_ == State::FIN_WAIT_2) {
      to_closed(0);
      return;
    }
  }
  if (t_rto && now >= t_rto) {
    t_rto = 0;
    on_rto();
    if (c.state_ == State::CLOSED)
      return;
  }
  if (t_persist && now >= t_persist) {
    t_persist = 0;
    on_persist();
    if (c.state_ == State::CLOSED)
      return;
  }
  if (t_keep && now >= t_keep) {
    t_keep = 0;
    on_keepalive();
    if (c.state_ == State::CLOSED)
      return;
  }
  if (t_delack && now >= t_delack) {
    t_delack = 0;
    ack_now = true;
  }
  output();
}

void Connection::Impl::on_rto()
{
  const Config& cfg = st->cfg();
  uint64_t now = st->now;
  switch (c.state_) {
  case State::SYN_SENT:
    if (soft_error == ECONNREFUSED) {     // ICMP said so; this was its grace period
      to_closed(ECONNREFUSED);
      return;
    }
    [[fallthrough]];
  case State::SYN_RECEIVED:
    if (backoff >= cfg.syn_retries) {
      to_closed(passive ? 0 : ETIMEDOUT); // a listener's child just goes
      return;
    }
    backoff++;
    c.stats_.timeouts++;
    st->stats().timeouts++;
    rto_ns = rto_ns * 2 < cfg.rto_max_ns ? rto_ns * 2 : cfg.rto_max_ns;
    send_syn(true);
    t_rto = now + rto_ns;
    return;
  case State::CLOSED: case State::LISTEN: case State::TIME_WAIT:
    return;
  default:
    break;
  }
  if (snd_una == snd_max)
    return;
  // A peer that shrank its window to zero and still talks is not dead:
  // the retransmission then only probes (as RFC 9293 3.8.6.1 asks).
  bool probing = !c.snd_wnd_ && now - last_recv_ns < cfg.rto_max_ns;
  uint64_t ut = c.opts_.user_timeout_ns;
  if (!probing && (ut ? now - progress_ns >= ut : backoff >= cfg.data_retries)) {
    to_closed(ETIMEDOUT);
    return;
  }
  c.stats_.timeouts++;
  st->stats().timeouts++;
  uint32_t mss = c.snd_mss_;
  if (!backoff) {                         // RFC 5681 (4); kept on later timeouts
    uint32_t fl = snd_max - snd_una;
    ssthresh = fl / 2 > 2 * mss ? fl / 2 : 2 * mss;
  }
  c.cwnd_ = mss;                          // loss window: one segment
  abc_bytes = 0;
  in_recovery = false;
  rexmit_una = false;
  dupacks = 0;
  recover = snd_max;
  if (backoff)
    sacked.clear();                       // the receiver may have reneged (RFC 2018 8)
  high_rxt = snd_una;
  reset_recovery_log();
  rtt_timing = false;
  backoff++;
  rto_ns = rto_ns * 2 < cfg.rto_max_ns ? rto_ns * 2 : cfg.rto_max_ns;
  snd_nxt = snd_una;                      // go back: resend from the first hole
  send_head(true);
  t_rto = now + rto_ns;
}

void Connection::Impl::on_persist()
{
  bool pending = seq_gt(snd_end, snd_nxt) || (wr_shut && seq_le(snd_nxt, snd_end));
  if (!synchronized() || snd_una != snd_max || !pending) {
    persist_backoff = 0;
    return;
  }
  if (c.snd_wnd_) {
    // A window too small for sender SWS avoidance: send what fits.
    uint32_t avail = seq_gt(snd_end, snd_nxt) ? snd_end - snd_nxt : 0;
    uint32_t len = avail < c.snd_wnd_ ? avail : c.snd_wnd_;
    uint32_t m = seg_max();
    len = len < m ? len : m;
    bool fin = wr_shut && snd_nxt + len == snd_end;
    send_data(snd_nxt, len, fin);
    snd_nxt += len + (fin ? 1 : 0);
    arm_rto();
    return;
  }
  // Never given up on while the peer answers: probes_out counts the
  // unanswered ones only (any ACK resets it).
  if (probes_out >= st->cfg().data_retries) {
    to_closed(ETIMEDOUT);
    return;
  }
  send_probe();
  c.stats_.zero_window_probes++;
  probes_out++;
  if (persist_backoff < 30)
    persist_backoff++;
  t_persist = st->now + persist_interval();
}

void Connection::Impl::on_keepalive()
{
  if (!c.opts_.keepalive)
    return;
  State s = c.state_;
  if (s != State::ESTABLISHED && s != State::CLOSE_WAIT && s != State::FIN_WAIT_2)
    return;
  uint64_t now = st->now;
  uint64_t idle = uint64_t(c.opts_.keepidle_s) * 1000000000;
  uint64_t intvl = uint64_t(c.opts_.keepintvl_s) * 1000000000;
  if (snd_una != snd_max || seq_gt(snd_end, snd_max)) {
    t_keep = now + (idle ? idle : 1);     // data in flight: the RTO watches
    return;
  }
  if (!keep_probes && now - last_recv_ns < idle) {
    t_keep = last_recv_ns + idle;
    return;
  }
  if (keep_probes >= c.opts_.keepcnt) {
    reset_and_close(ETIMEDOUT);
    return;
  }
  send_probe();
  keep_probes++;
  t_keep = now + (intvl ? intvl : 1);
}

}  // namespace ukbase::tcp
