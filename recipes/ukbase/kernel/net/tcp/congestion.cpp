// Congestion control and loss recovery: slow start and congestion
// avoidance with byte counting (RFC 5681, RFC 3465 L=2), fast retransmit
// with NewReno recovery (RFC 6582) or, when the peer SACKs, the
// scoreboard-driven recovery of RFC 6675; the RTO estimator (RFC 6298).
#include "internal.hpp"

namespace ukbase::tcp {

namespace {
constexpr size_t MAX_SCOREBOARD = 512;
constexpr uint32_t MAX_CWND = 1u << 30;
}  // namespace

uint32_t Connection::Impl::initial_cwnd() const
{
  // RFC 6928; one segment if the SYN or SYN-ACK was lost (RFC 5681 3.1).
  unsigned n = st->cfg().initial_window_segments;
  n = syn_rexmit || !n ? 1 : n;
  return n * c.snd_mss_;
}

void Connection::Impl::rtt_sample(uint64_t r)
{
  if (!rtt_valid) {
    c.srtt_ns_ = r;
    rttvar_ns = r / 2;
    rtt_valid = true;
  } else {
    uint64_t d = c.srtt_ns_ > r ? c.srtt_ns_ - r : r - c.srtt_ns_;
    rttvar_ns = (3 * rttvar_ns + d) / 4;
    c.srtt_ns_ = (7 * c.srtt_ns_ + r) / 8;
  }
  set_rto();
}

void Connection::Impl::set_rto()
{
  const Config& cfg = st->cfg();
  uint64_t var = 4 * rttvar_ns;
  if (var < 1000000)
    var = 1000000;                        // G: the 1 ms timestamp clock
  uint64_t rto = c.srtt_ns_ + var;
  rto = rto < cfg.rto_min_ns ? cfg.rto_min_ns : rto;
  rto_ns = rto > cfg.rto_max_ns ? cfg.rto_max_ns : rto;
}

// ---- the scoreboard -----------------------------------------------------------------------

void Connection::Impl::update_scoreboard(const Segment& s)
{
  for (unsigned k = 0; k < s.nsack; k++) {
    uint32_t b = s.sack[k][0], e = s.sack[k][1];
    // Blocks below SND.UNA (D-SACK) or beyond what was sent tell nothing.
    if (!seq_lt(b, e) || seq_le(e, snd_una) || seq_gt(e, snd_max))
      continue;
    if (seq_lt(b, snd_una))
      b = snd_una;
    size_t i = 0;
    while (i < sacked.size() && seq_lt(sacked[i].end, b))
      i++;
    size_t j = i;
    while (j < sacked.size() && seq_le(sacked[j].begin, e))
      j++;
    if (i == j) {
      if (sacked.size() < MAX_SCOREBOARD)
        sacked.insert(sacked.begin() + long(i), Range{b, e});
    } else {
      Range r{seq_min(b, sacked[i].begin), seq_max(e, sacked[j - 1].end)};
      sacked.erase(sacked.begin() + long(i) + 1, sacked.begin() + long(j));
      sacked[i] = r;
    }
  }
}

size_t Connection::Impl::first_above(uint32_t seq) const
{
  // The scoreboard is ordered and disjoint: binary search for the first
  // range that ends past `seq`.
  size_t lo = 0, hi = sacked.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (seq_le(sacked[mid].end, seq))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

uint32_t Connection::Impl::sacked_between(uint32_t a, uint32_t b) const
{
  uint32_t n = 0;
  for (size_t i = first_above(a); i < sacked.size() && seq_lt(sacked[i].begin, b); i++) {
    uint32_t lo = seq_max(sacked[i].begin, a), hi = seq_min(sacked[i].end, b);
    if (seq_lt(lo, hi))
      n += hi - lo;
  }
  return n;
}

// Below this sequence number, every unSACKed byte counts as lost: more
// than (DupThresh - 1) * SMSS bytes above it were SACKed (RFC 6675 4).
uint32_t Connection::Impl::lost_edge() const
{
  uint32_t acc = 0, lim = 2u * c.snd_mss_;
  for (size_t i = sacked.size(); i > 0; i--) {
    acc += sacked[i - 1].end - sacked[i - 1].begin;
    if (acc > lim)
      return sacked[i - 1].begin;
  }
  return snd_una;
}

// RFC 6675's pipe: unSACKed bytes not presumed lost, plus retransmitted ones.
uint32_t Connection::Impl::pipe() const
{
  uint32_t lost = lost_edge();
  uint32_t p = (snd_max - lost) - sacked_between(lost, snd_max);
  uint32_t rx = seq_min(high_rxt, snd_max);
  if (seq_gt(rx, snd_una))
    p += (rx - snd_una) - sacked_between(snd_una, rx);
  return p;
}

// The first unSACKed range at or above `from` and below `limit`, one
// segment of it at most; only holes below the highest SACKed byte count
// (rule 1 of NextSeg() with the lost edge as limit, rule 3 with SND.MAX).
bool Connection::Impl::next_hole(uint32_t from, uint32_t limit, uint32_t& seq, uint32_t& len) const
{
  uint32_t s = seq_max(from, snd_una);
  size_t i = first_above(s);
  if (i < sacked.size() && seq_le(sacked[i].begin, s))
    s = sacked[i++].end;
  if (i >= sacked.size() || !seq_lt(s, limit))
    return false;
  uint32_t m = seg_max();
  uint32_t room = seq_min(sacked[i].begin, limit) - s;
  seq = s;
  len = room < m ? room : m;
  return true;
}

void Connection::Impl::rexmit(uint32_t seq, uint32_t len)
{
  bool fin = wr_shut && seq + len == snd_end && seq_gt(snd_max, snd_end);
  send_data(seq, len, fin);
  uint32_t end = seq + len + (fin ? 1 : 0);
  high_rxt = seq_max(high_rxt, end);
  rxt_log.emplace_back(end, st->now);
}

void Connection::Impl::reset_recovery_log()
{
  rxt_log.clear();
  rxt_head = 0;
  again_cur = again_end = snd_una;
}

// A retransmission still unacknowledged well over a round trip after it
// was sent, while later ones were SACKed, was lost too: its hole goes
// again (the idea of RACK, RFC 8985, for retransmissions only). Without
// this, only the RTO would repair it.
void Connection::Impl::check_lost_rexmits()
{
  while (rxt_head < rxt_log.size() && seq_le(rxt_log[rxt_head].first, snd_una))
    rxt_head++;
  if (rtt_valid) {
    uint64_t srtt = c.srtt_ns_;
    uint64_t slack = 4 * rttvar_ns > srtt / 4 ? 4 * rttvar_ns : srtt / 4;
    uint64_t limit = srtt + slack + 1000000;
    while (rxt_head < rxt_log.size() && st->now - rxt_log[rxt_head].second > limit) {
      if (!seq_lt(again_cur, again_end))
        again_cur = snd_una;
      again_end = seq_max(again_end, rxt_log[rxt_head].first);
      rxt_head++;
    }
  }
  if (rxt_head > 64 && rxt_head * 2 > rxt_log.size()) {
    rxt_log.erase(rxt_log.begin(), rxt_log.begin() + long(rxt_head));
    rxt_head = 0;
  }
}

void Connection::Impl::sack_output()
{
  uint32_t smax = seg_max();
  check_lost_rexmits();
  uint32_t lost = lost_edge();
  pipe_est = pipe();
  for (;;) {
    if (pipe_est >= c.cwnd_ || c.cwnd_ - pipe_est < smax)
      break;
    uint32_t seq, len;
    if (rexmit_una) {
      rexmit_una = false;                 // a partial ACK: its hole first
      if (!sacked_between(snd_una, snd_una + 1)) {
        uint32_t avail = seq_gt(snd_end, snd_una) ? snd_end - snd_una : 0;
        uint32_t n = avail < smax ? avail : smax;
        rexmit(snd_una, n);
        pipe_est += n;
        continue;
      }
    }
    if (seq_lt(again_cur, again_end)) {   // retransmissions found lost
      if (next_hole(again_cur, again_end, seq, len)) {
        rexmit(seq, len);
        again_cur = seq + len;
        pipe_est += len;
        continue;
      }
      again_cur = again_end;
    }
    if (next_hole(high_rxt, lost, seq, len)) {
      rexmit(seq, len);
      pipe_est += len;
      continue;
    }
    uint32_t before = snd_max;
    data_output(true);                    // new data, pipe_est counting it
    if (snd_max != before)
      continue;
    if (next_hole(high_rxt, snd_max, seq, len)) {
      rexmit(seq, len);
      pipe_est += len;
      continue;
    }
    break;
  }
}

// ---- reacting to ACKs -------------------------------------------------------------------------

void Connection::Impl::enter_recovery()
{
  uint32_t mss = c.snd_mss_;
  uint32_t fl = snd_max - snd_una;
  ssthresh = fl / 2 > 2 * mss ? fl / 2 : 2 * mss;   // RFC 5681 (4)
  recover = snd_max;
  in_recovery = true;
  rexmit_una = false;
  rtt_timing = false;
  abc_bytes = 0;
  c.stats_.fast_retransmits++;
  uint32_t avail = seq_gt(snd_end, snd_una) ? snd_end - snd_una : 0;
  uint32_t m = seg_max();
  high_rxt = snd_una;
  reset_recovery_log();
  rexmit(snd_una, avail < m ? avail : m);
  c.cwnd_ = sack_ok ? ssthresh : ssthresh + 3 * mss;
}

void Connection::Impl::dup_ack()
{
  dupacks++;
  c.stats_.dup_acks++;
  if (in_recovery) {
    if (!sack_ok)
      c.cwnd_ += c.snd_mss_;              // RFC 6582 3.2 step 3: inflate
    return;
  }
  // Three duplicates, or (with SACK) enough SACKed above SND.UNA; not for
  // data sent before the last recovery or timeout (RFC 6582 3.2 step 2).
  bool lost = sack_ok && seq_gt(lost_edge(), snd_una);
  if ((dupacks >= 3 || lost) && seq_ge(snd_una, recover))
    enter_recovery();
}

void Connection::Impl::new_ack(uint32_t acked, uint32_t flight_before)
{
  size_t k = 0;
  while (k < sacked.size() && seq_le(sacked[k].end, snd_una))
    k++;
  sacked.erase(sacked.begin(), sacked.begin() + long(k));
  if (!sacked.empty() && seq_lt(sacked[0].begin, snd_una))
    sacked[0].begin = snd_una;
  if (seq_lt(high_rxt, snd_una))
    high_rxt = snd_una;
  uint32_t mss = c.snd_mss_;
  if (in_recovery) {
    if (seq_ge(snd_una, recover)) {      // everything up to "recover": done
      in_recovery = false;
      reset_recovery_log();
      rexmit_una = false;
      dupacks = 0;
      abc_bytes = 0;
      if (!sack_ok) {
        uint32_t fl = snd_max - snd_una;
        uint32_t w = (fl > mss ? fl : mss) + mss;
        c.cwnd_ = ssthresh < w ? ssthresh : w;
      } else {
        c.cwnd_ = ssthresh;
      }
    } else if (!sack_ok) {
      // A partial ACK (RFC 6582 3.2 step 5): the next hole goes now, and
      // the window deflates by what was acknowledged.
      send_head(false);
      c.cwnd_ = c.cwnd_ > acked ? c.cwnd_ - acked : 0;
      if (acked >= mss)
        c.cwnd_ += mss;
      if (c.cwnd_ < mss)
        c.cwnd_ = mss;
    } else if (seq_ge(snd_una, high_rxt)) {
      rexmit_una = true;
    }
    return;
  }
  dupacks = 0;
  // Grow only while the window is what limits the sender.
  bool limited = c.cwnd_ < ssthresh ? 2 * flight_before >= c.cwnd_
                                    : flight_before + mss >= c.cwnd_;
  if (!limited)
    return;
  if (c.cwnd_ < ssthresh) {
    c.cwnd_ += acked < 2 * mss ? acked : 2 * mss;   // RFC 3465, L = 2
  } else {
    abc_bytes += acked;
    if (abc_bytes >= c.cwnd_) {
      abc_bytes -= c.cwnd_;
      c.cwnd_ += mss;
    }
  }
  if (c.cwnd_ > MAX_CWND)
    c.cwnd_ = MAX_CWND;
}

}  // namespace ukbase::tcp
