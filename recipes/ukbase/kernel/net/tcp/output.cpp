// Segments out: building headers and options, copying payload from the
// send buffer into the host's frame with the checksum computed over it,
// and deciding what may be sent (windows, Nagle, cork, SWS avoidance).
#include "internal.hpp"

namespace ukbase::tcp {

namespace {
constexpr uint64_t CHALLENGE_INTERVAL_NS = 5000000000ull;   // RFC 5961 7: at most
constexpr unsigned CHALLENGE_LIMIT = 10;                      // this many per interval
}  // namespace

void Emit::write(uint8_t* out)
{
  put16(out, sport);
  put16(out + 2, dport);
  put32(out + 4, seq);
  put32(out + 8, ack);
  out[12] = uint8_t((HDR + optlen) / 4 << 4);
  out[13] = flags;
  put16(out + 14, wnd);
  put16(out + 16, 0);
  put16(out + 18, 0);
  if (optlen)
    std::memcpy(out + HDR, opt, optlen);
  size_t h = HDR + optlen;
  if (len)
    payload->get(offset, out + h, len);   // the one copy of the payload
  uint16_t sum = uint16_t(~csum_fold(csum_add(csum_pseudo(src, dst, h + len), out, h + len)));
  std::memcpy(out + 16, &sum, 2);         // already in network order (see csum_add)
}

bool Emit::send(Stack::Impl& st)
{
  if (!st.host().transmit(src, dst, HDR + optlen + len, *this))
    return false;                         // lost on the wire, as far as we know
  st.stats().segments_out++;
  return true;
}

uint32_t Connection::Impl::ts_now() const
{
  return uint32_t(st->now / 1000000) + ts_offset;   // a 1 ms clock (RFC 7323 5.4)
}

size_t Connection::Impl::build_options(uint8_t* o, uint8_t flags)
{
  size_t n = 0;
  auto ts = [&](uint32_t ecr) {
    o[n++] = 8;
    o[n++] = 10;
    put32(o + n, ts_now());
    put32(o + n + 4, ecr);
    n += 8;
  };
  if (flags & SYN) {
    o[n++] = 2;
    o[n++] = 4;
    put16(o + n, adv_mss);
    n += 2;
    if (offer_sack && offer_ts) {
      o[n++] = 4;
      o[n++] = 2;
      ts(flags & ACK ? ts_recent : 0);
    } else if (offer_ts) {
      o[n++] = 1;
      o[n++] = 1;
      ts(flags & ACK ? ts_recent : 0);
    } else if (offer_sack) {
      o[n++] = 1;
      o[n++] = 1;
      o[n++] = 4;
      o[n++] = 2;
    }
    if (offer_ws) {
      o[n++] = 1;
      o[n++] = 3;
      o[n++] = 3;
      o[n++] = rcv_wscale;
    }
    return n;
  }
  if (ts_ok) {
    o[n++] = 1;
    o[n++] = 1;
    ts(ts_recent);
  }
  if (sack_ok && !ooo.empty() && (flags & ACK)) {
    uint32_t blocks[MAX_SACK][2];
    size_t k = sack_blocks(blocks, (MAX_OPT - n - 4) / 8);
    o[n++] = 1;
    o[n++] = 1;
    o[n++] = 5;
    o[n++] = uint8_t(2 + 8 * k);
    for (size_t i = 0; i < k; i++) {
      put32(o + n, blocks[i][0]);
      put32(o + n + 4, blocks[i][1]);
      n += 8;
    }
  }
  return n;
}

uint32_t Connection::Impl::seg_max() const
{
  // snd_mss_ already leaves room for timestamps; SACK blocks cost more.
  uint32_t m = c.snd_mss_;
  if (sack_ok && !ooo.empty()) {
    size_t b = ooo.size() < (ts_ok ? 3u : 4u) ? ooo.size() : (ts_ok ? 3u : 4u);
    uint32_t extra = uint32_t(4 + 8 * b);
    m = m > extra + 16 ? m - extra : 16;
  }
  return m;
}

bool Connection::Impl::transmit(uint32_t seq, uint8_t flags, uint32_t len, size_t sq_off)
{
  uint8_t opt[MAX_OPT];
  Emit e;
  e.src = c.local_.addr;
  e.dst = c.remote_.addr;
  e.sport = c.local_.port;
  e.dport = c.remote_.port;
  e.seq = seq;
  e.flags = flags;
  e.opt = opt;
  e.optlen = flags & RST ? 0 : build_options(opt, flags);
  if (flags & ACK)
    e.ack = rcv_nxt;
  if (flags & SYN) {
    uint32_t w = rcv_space();
    w = w > 65535 ? 65535 : w;            // never scaled in a SYN
    e.wnd = uint16_t(w);
    syn_wnd = w;
    if ((flags & ACK) && seq_gt(rcv_nxt + w, rcv_adv))
      rcv_adv = rcv_nxt + w;
  } else if (!(flags & RST)) {
    e.wnd = window_field();
  }
  e.payload = &sndq;
  e.offset = sq_off;
  e.len = len;
  if (flags & ACK) {
    last_ack_sent = rcv_nxt;
    t_delack = 0;                         // this one carries the ACK
    unacked_bytes = 0;
    ack_now = false;
  }
  c.stats_.segments_sent++;
  return e.send(*st);
}

void Connection::Impl::send_syn(bool rexmit)
{
  if (rexmit) {
    syn_rexmit = true;
    c.stats_.retransmits++;
    st->stats().retransmits++;
  }
  if (snd_max == iss)
    rtt_start = st->now;
  else
    syn_rtt_ok = false;                   // which SYN an answer is for is unknown (Karn)
  transmit(iss, uint8_t(SYN | (c.state_ == State::SYN_RECEIVED ? ACK : 0)), 0, 0);
  snd_nxt = snd_max = iss + 1;
}

void Connection::Impl::send_ack()
{
  State s = c.state_;
  if (s == State::SYN_SENT || s == State::CLOSED || s == State::LISTEN)
    return;
  transmit(snd_max, ACK, 0, 0);
}

void Connection::Impl::send_rst()
{
  if (transmit(snd_max, RST | ACK, 0, 0))
    st->stats().resets_sent++;
}

void Connection::Impl::send_probe()
{
  // An old sequence number: the peer must answer with an ACK carrying
  // its window (zero-window probes, keepalives).
  transmit(snd_una - 1, ACK, 0, 0);
}

void Connection::Impl::send_challenge_ack()
{
  if (!challenge_count || st->now - challenge_start >= CHALLENGE_INTERVAL_NS) {
    challenge_start = st->now;
    challenge_count = 0;
  }
  if (challenge_count >= CHALLENGE_LIMIT)
    return;
  challenge_count++;
  st->stats().challenge_acks++;
  send_ack();
}

void Connection::Impl::send_data(uint32_t seq, uint32_t len, bool fin)
{
  uint8_t flags = ACK;
  if (fin)
    flags |= FIN;
  if (len && seq + len == snd_end)
    flags |= PSH;
  bool rexmit = seq_lt(seq, snd_max);
  uint32_t end = seq + len + (fin ? 1 : 0);
  uint32_t from = rexmit ? snd_max : seq;
  uint32_t fresh = seq_gt(seq + len, from) ? seq + len - from : 0;
  if (!rexmit && snd_una == snd_max)
    progress_ns = st->now;                // a new flight after idling
  transmit(seq, flags, len, seq - data_una());
  if (len)
    last_send_ns = st->now;
  if (rexmit) {
    c.stats_.retransmits++;
    st->stats().retransmits++;
    if (rtt_timing && seq_lt(seq, rtt_seq))
      rtt_timing = false;                 // Karn: its ACK could be for either copy
  }
  c.stats_.bytes_sent += fresh;
  if (!ts_ok && !rtt_timing && len && !rexmit) {
    rtt_timing = true;
    rtt_seq = seq + len;
    rtt_start = st->now;
  }
  if (seq_gt(end, snd_max))
    snd_max = end;
}

void Connection::Impl::send_head(bool move_nxt)
{
  uint32_t avail = seq_gt(snd_end, snd_una) ? snd_end - snd_una : 0;
  uint32_t m = seg_max();
  uint32_t len = avail < m ? avail : m;
  bool fin = wr_shut && snd_una + len == snd_end;
  if (!len && !fin)
    return;
  send_data(snd_una, len, fin);
  if (move_nxt)
    snd_nxt = snd_una + len + (fin ? 1 : 0);
}

void Connection::Impl::data_output(bool recovery)
{
  uint64_t now = st->now;
  if (snd_una == snd_max && last_send_ns && now - last_send_ns > rto_ns) {
    uint32_t iw = initial_cwnd();         // restart after idle (RFC 5681 4.1)
    if (c.cwnd_ > iw)
      c.cwnd_ = iw;
  }
  uint32_t smax = seg_max();
  bool window_blocked = false;
  for (;;) {
    uint32_t avail = seq_gt(snd_end, snd_nxt) ? snd_end - snd_nxt : 0;
    bool fin_due = wr_shut && seq_le(snd_nxt, snd_end);
    if (!avail && !fin_due)
      break;
    bool rexmit = seq_lt(snd_nxt, snd_max);
    uint32_t want = avail < smax ? avail : smax;
    uint32_t used = recovery ? pipe_est : flight();
    if (rexmit && !recovery && !sacked.empty()) {
      // Going back after an RTO: what the peer SACKed needs no copy.
      size_t i = first_above(snd_nxt);
      if (i < sacked.size() && seq_le(sacked[i].begin, snd_nxt)) {
        snd_nxt = sacked[i].end;
        continue;
      }
      if (i < sacked.size() && sacked[i].begin - snd_nxt < want)
        want = sacked[i].begin - snd_nxt;
      used -= sacked_between(snd_una, snd_nxt);
    }
    uint32_t right = snd_una + c.snd_wnd_;
    uint32_t win = seq_gt(right, snd_nxt) ? right - snd_nxt : 0;
    uint32_t allowed = c.cwnd_;
    if (!recovery && !rexmit && dupacks && dupacks < 3)
      allowed += dupacks * c.snd_mss_;    // limited transmit (RFC 3042)
    uint32_t cw = allowed > used ? allowed - used : 0;
    uint32_t len = want < win ? want : win;
    len = len < cw ? len : cw;
    bool fin = fin_due && len == avail;
    if (fin && !len && !cw)
      break;                              // even a bare FIN waits for the window's room
    if (!len && !fin) {
      window_blocked = win < want && win <= cw;
      break;
    }
    if (len < smax && !fin && !rexmit) {
      if (len < avail) {
        // Less than a segment fits: wait for more room (sender SWS
        // avoidance, RFC 1122 4.2.3.4), unless it is half the largest
        // window the peer offered.
        if (len < max_snd_wnd / 2 || cw < want) {
          window_blocked = win < want && win <= cw;
          break;
        }
      } else if (c.opts_.cork || more || (!c.opts_.nodelay && !push && snd_max != snd_una)) {
        break;                            // cork, MSG_MORE or Nagle (RFC 896) hold it
      }
    }
    send_data(snd_nxt, len, fin);
    snd_nxt += len + (fin ? 1 : 0);
    if (recovery)
      pipe_est += len;
    arm_rto();
    if (fin)
      break;
  }
  push = false;
  // Data waits, nothing is in flight to bring an ACK, and the window is
  // shut: probe it (RFC 9293 3.8.6.1).
  if (window_blocked && snd_una == snd_max && !t_persist)
    t_persist = now + persist_interval();
}

void Connection::Impl::output()
{
  if (!st)
    return;
  switch (c.state_) {
  case State::ESTABLISHED: case State::CLOSE_WAIT: case State::FIN_WAIT_1:
  case State::CLOSING: case State::LAST_ACK:
    if (in_recovery && sack_ok)
      sack_output();
    else
      data_output(false);
    break;
  default:
    break;
  }
  if (ack_now)
    send_ack();
  if (was_unsent && seq_ge(snd_max, snd_end)) {
    was_unsent = false;
    post(EV_SENT);
  }
  st->schedule(*this);
}

}  // namespace ukbase::tcp
