// The receiving side: the buffer and its out-of-order ranges, SACK
// blocks (RFC 2018), the offered window (RFC 9293 3.8.6.2, RFC 1122
// 4.2.3.3) and delayed ACKs (RFC 1122 4.2.3.2, RFC 5681 4.2).
#include "internal.hpp"

namespace ukbase::tcp {

namespace {
constexpr size_t MAX_OOO = 256;          // holes tracked; more segments are dropped
}

// How far past RCV.NXT the buffer could take data now: the buffer size
// less the unread bytes, and no more than the memory budget would allow
// the ring to grow to.
uint32_t Connection::Impl::rcv_space() const
{
  uint32_t buf = rcvbuf();
  size_t unread = rcvq.size();
  if (unread >= buf)
    return 0;
  size_t space = buf - unread;
  size_t max = size_t(buf) + (size_t(1) << rcv_wscale);
  if (rcvq.capacity() < max) {
    size_t cap = rcvq.reachable(*st, max);
    size_t room = cap > unread ? cap - unread : 0;
    space = room < space ? room : space;
  }
  return uint32_t(space);
}

uint16_t Connection::Impl::window_field()
{
  uint32_t space = rcv_space();
  uint32_t cur = seq_gt(rcv_adv, rcv_nxt) ? rcv_adv - rcv_nxt : 0;
  uint32_t buf = rcvbuf();
  uint32_t step = buf / 2 < adv_mss ? buf / 2 : adv_mss;
  // Never pull the right edge back; move it only by a worthwhile step.
  uint32_t wnd = space > cur && space - cur >= step ? space : cur;
  uint32_t max = uint32_t(65535) << rcv_wscale;
  if (wnd > max)
    wnd = max;
  uint32_t field = wnd >> rcv_wscale;
  if ((field << rcv_wscale) < cur && field < 65535)
    field++;                              // rounding down must not shrink it either
  uint32_t edge = rcv_nxt + (field << rcv_wscale);
  if (seq_gt(edge, rcv_adv))
    rcv_adv = edge;
  return uint16_t(field);
}

// Copy a segment's payload to where it belongs in the receive ring.
bool Connection::Impl::store(uint32_t seq, const uint8_t* data, uint32_t len)
{
  size_t off = rcvq.size() + (seq - rcv_nxt);
  size_t extent = rcvq.size() + (ooo.empty() ? 0 : ooo.back().end - rcv_nxt);
  size_t offered = rcvq.size() + (seq_gt(rcv_adv, rcv_nxt) ? rcv_adv - rcv_nxt : 0);
  size_t max = size_t(rcvbuf()) + (size_t(1) << rcv_wscale);
  if (offered > max)
    max = offered;
  if (!rcvq.reserve(*st, off + len, extent, max))
    return false;
  rcvq.put(off, data, len);
  return true;
}

bool Connection::Impl::add_ooo(uint32_t seq, uint32_t end)
{
  // Ordered, disjoint, not touching: find where [seq, end) goes and
  // swallow the neighbours it overlaps or touches.
  size_t i = 0;
  while (i < ooo.size() && seq_lt(ooo[i].end, seq))
    i++;
  size_t j = i;
  while (j < ooo.size() && seq_le(ooo[j].begin, end))
    j++;
  if (i == j) {
    if (ooo.size() >= MAX_OOO)
      return false;
    ooo.insert(ooo.begin() + long(i), Range{seq, end});
  } else {
    Range r{seq_min(seq, ooo[i].begin), seq_max(end, ooo[j - 1].end)};
    ooo.erase(ooo.begin() + long(i) + 1, ooo.begin() + long(j));
    ooo[i] = r;
  }
  // The newest segment's block is reported first (RFC 2018 4): `seq`
  // moves to the front of the list, the oldest entry falls off.
  uint8_t k = 0;
  while (k < n_recent && sack_recent[k] != seq)
    k++;
  if (k == n_recent && n_recent == MAX_SACK)
    k--;
  else if (k == n_recent)
    n_recent++;
  for (; k > 0; k--)
    sack_recent[k] = sack_recent[k - 1];
  sack_recent[0] = seq;
  return true;
}

void Connection::Impl::merge_ooo()
{
  size_t k = 0;
  while (k < ooo.size() && seq_le(ooo[k].begin, rcv_nxt)) {
    if (seq_gt(ooo[k].end, rcv_nxt)) {
      uint32_t add = ooo[k].end - rcv_nxt;
      rcvq.append(add);
      rcv_nxt = ooo[k].end;
      c.stats_.bytes_received += add;
    }
    k++;
  }
  if (k)
    ooo.erase(ooo.begin(), ooo.begin() + long(k));
  if (ooo.empty())
    n_recent = 0;
}

size_t Connection::Impl::sack_blocks(uint32_t out[][2], size_t max) const
{
  size_t n = 0;
  auto emitted = [&](const Range& r) {
    for (size_t k = 0; k < n; k++)
      if (out[k][0] == r.begin)
        return true;
    return false;
  };
  auto add = [&](const Range& r) {
    if (n < max && !emitted(r)) {
      out[n][0] = r.begin;
      out[n][1] = r.end;
      n++;
    }
  };
  // First the blocks that held the latest segments, then the rest from
  // the highest down.
  for (uint8_t k = 0; k < n_recent && n < max; k++)
    for (const Range& r : ooo)
      if (seq_le(r.begin, sack_recent[k]) && seq_lt(sack_recent[k], r.end)) {
        add(r);
        break;
      }
  for (size_t k = ooo.size(); k > 0 && n < max; k--)
    add(ooo[k - 1]);
  return n;
}

void Connection::Impl::after_read()
{
  State s = c.state_;
  if (!rcvq.size() && ooo.empty() && (fin_rcvd || s == State::CLOSED || st->under_pressure()))
    rcvq.release(*st);                    // nothing more will come, or memory is short
  if (s != State::ESTABLISHED && s != State::FIN_WAIT_1 && s != State::FIN_WAIT_2)
    return;                               // nothing more will arrive
  // A window update when the offered window has shrunk to less than half
  // the buffer (or two segments) and reading made a worthwhile step of
  // room; otherwise the next ACK carries the news.
  // The room is what the field can say: an update that could not move
  // the edge would only look like a duplicate ACK to the sender.
  uint32_t space = rcv_space();
  uint32_t max = uint32_t(65535) << rcv_wscale;
  space = space < max ? space : max;
  uint32_t cur = seq_gt(rcv_adv, rcv_nxt) ? rcv_adv - rcv_nxt : 0;
  uint32_t buf = rcvbuf();
  uint32_t step = buf / 2 < adv_mss ? buf / 2 : adv_mss;
  if (space > cur && space - cur >= step && (cur <= buf / 2 || cur < 2u * adv_mss)) {
    ack_now = true;
    output();
  }
}

void Connection::Impl::data_ack(uint32_t len)
{
  // An ACK for at least every second full-sized segment, else within the
  // delay (RFC 5681 4.2).
  unacked_bytes += len;
  if (!c.opts_.delayed_ack || unacked_bytes >= 2 * rcv_mss)
    ack_now = true;
  else if (!t_delack)
    t_delack = st->now + (st->cfg().delayed_ack_ns ? st->cfg().delayed_ack_ns : 1);
}

}  // namespace ukbase::tcp
