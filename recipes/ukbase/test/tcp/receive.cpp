// Receiving: out-of-order segments and SACK blocks, holes filling,
// trimming of duplicates and overlaps, the offered window (never
// shrinking, receiver SWS avoidance, window updates), delayed ACKs.
#include "harness.hpp"

namespace tt {

namespace {

// Peer data [from, from + n) of stream 1, relative to the first byte.
Seg data_seg(Fixture& fx, uint32_t base, uint32_t from, uint32_t n)
{
  Seg s = fx.peer_seg(F_ACK, bytes_of(1, from, n));
  s.seq = base + from;
  return s;
}

std::string blocks(const Seg& s, uint32_t base)
{
  std::string out;
  for (auto& b : s.sacks)
    out += (out.empty() ? "" : " ") + std::to_string(b.first - base) + "-" +
           std::to_string(b.second - base);
  return out;
}

void out_of_order()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  uint32_t base = fx.peer_nxt;
  fx.send(data_seg(fx, base, 0, 1000));
  fx.send(data_seg(fx, base, 2000, 1000));
  Seg a = fx.take_one("immediate ACK for an out-of-order segment");
  check_eq("dup ACK at the hole", base + 1000, a.ack);
  check_eq("SACK block", "2000-3000", blocks(a, base).c_str());
  fx.send(data_seg(fx, base, 4000, 1000));
  a = fx.take_one("ACK for the next one");
  check_eq("latest block first", "4000-5000 2000-3000", blocks(a, base).c_str());
  fx.send(data_seg(fx, base, 3000, 1000));
  a = fx.take_one("ACK after the middle piece");
  check_eq("blocks merged", "2000-5000", blocks(a, base).c_str());
  check_eq("only in-order data readable", size_t(1000), c->readable());
  rec.clear();
  fx.send(data_seg(fx, base, 1000, 1000));
  a = fx.take_one("ACK when the hole fills");
  check_eq("cumulative ACK past everything", base + 5000, a.ack);
  check(a.sacks.empty(), "no SACK blocks left", "none", blocks(a, base));
  check(rec.saw(EV_READABLE), "EV_READABLE");
  std::vector<uint8_t> got(5000);
  check_eq("read all", size_t(5000), c->read(got.data(), got.size()));
  check(got == bytes_of(1, 0, 5000), "in order and intact");
  check_eq("out_of_order counted", uint64_t(3), c->stats().out_of_order);
  check_eq("bytes_received", uint64_t(5000), c->stats().bytes_received);

  // Four blocks without timestamps, three with them.
  for (int ts = 0; ts < 2; ts++) {
    Fixture f2;
    Recorder r2;
    auto c2 = f2.open_active(r2, 80, 1000, true, ts == 1, true);
    uint32_t b2 = f2.peer_nxt;
    for (uint32_t k = 1; k <= 5; k++)
      f2.send(data_seg(f2, b2, k * 2000, 1000));
    std::vector<Seg> acks = f2.take();
    size_t want = ts ? 3 : 4;
    check_eq(ts ? "blocks with timestamps" : "blocks without timestamps", want,
             acks.empty() ? size_t(0) : acks.back().sacks.size());
    if (!acks.empty())
      check_eq("the latest first", "10000-11000", blocks(acks.back(), b2).substr(0, 11).c_str());
  }
}

void trimming()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  uint32_t base = fx.peer_nxt;
  fx.send(data_seg(fx, base, 0, 1000));
  fx.send(data_seg(fx, base, 500, 1000));      // overlaps by 500
  check_eq("overlap trimmed: 1500 bytes", size_t(1500), c->readable());
  fx.take();
  fx.send(data_seg(fx, base, 0, 1500));        // wholly old
  Seg a = fx.take_one("ACK for a duplicate");
  check_eq("it acks what we have", base + 1500, a.ack);
  check_eq("nothing new", size_t(1500), c->readable());
  // Out of order overlapping out of order.
  fx.send(data_seg(fx, base, 3000, 1000));
  fx.send(data_seg(fx, base, 2500, 1000));
  fx.send(data_seg(fx, base, 3500, 1000));
  a = fx.take().back();
  check_eq("overlapping out-of-order ranges merge", "2500-4500", blocks(a, base).c_str());
  fx.send(data_seg(fx, base, 1400, 1200));
  check_eq("filled", size_t(4500), c->readable());
  std::vector<uint8_t> got(4500);
  c->read(got.data(), got.size());
  check(got == bytes_of(1, 0, 4500), "overlapping pieces gave the right bytes");
  check_eq("no stray data", size_t(0), c->readable());
}

void windows()
{
  Fixture fx;
  Recorder rec;
  Options o;
  o.rcvbuf = 8192;
  int err;
  // Window scaling off so that fields are bytes.
  auto c = fx.open_active(rec, 80, 1000, false, true, true, 1460, o);
  uint32_t base = fx.peer_nxt;
  uint32_t edge = 0;
  bool shrunk = false;
  auto watch = [&](const std::vector<Seg>& v) {
    for (auto& s : v) {
      uint32_t e = s.ack + s.wnd;
      if (edge && int32_t(e - edge) < 0)
        shrunk = true;
      edge = e;
    }
  };
  uint32_t off = 0;
  while (off < 8192) {
    uint32_t n = 8192 - off < 1448 ? 8192 - off : 1448;
    fx.send(data_seg(fx, base, off, n));
    off += n;
    watch(fx.take());
  }
  fx.advance(50 * MS);
  std::vector<Seg> v = fx.take();
  watch(v);
  check(!v.empty() && v.back().wnd == 0, "the window closes when the buffer is full", "0",
        v.empty() ? "no ACK" : std::to_string(v.back().wnd));
  fx.send(data_seg(fx, base, 8192, 100));
  Seg z = fx.take_one("ACK for data beyond a zero window");
  check_eq("dropped: ack unchanged", base + 8192, z.ack);
  check_eq("still zero", 0, int(z.wnd));
  std::vector<uint8_t> buf(8192);
  c->read(buf.data(), 1000);
  check_eq("reading 1000: no update yet (less than an MSS)", size_t(0), fx.take().size());
  c->read(buf.data(), 1000);
  v = fx.take();
  watch(v);
  check_eq("reading 2000: a window update", size_t(1), v.size());
  if (!v.empty())
    check_eq("it offers the room", 2000, int(v.back().wnd));
  c->read(buf.data(), 6192);
  v = fx.take();
  watch(v);
  check(!v.empty() && v.back().wnd == 8192, "everything read: the full buffer offered");
  check(!shrunk, "the right edge never moved left");
  o.rcvbuf = 16384;
  c->set_options(o);
  v = fx.take();
  check(!v.empty() && v.back().wnd == 16384, "a larger rcvbuf opens the window", "16384",
        v.empty() ? "no update" : std::to_string(v.back().wnd));
  (void)err;

  // Without window scaling the field tops out at 65535: reading cannot
  // open it further, and an "update" repeating ACK and window would be a
  // duplicate ACK to the sender.
  Fixture f3;
  Recorder r3;
  auto c3 = f3.open_active(r3, 80, 1000, false, true, true);
  for (uint32_t k = 0; k < 4; k++)
    f3.send(data_seg(f3, f3.peer_nxt, k * 1448, 1448));
  f3.advance(50 * MS);
  f3.take();
  std::vector<uint8_t> all(c3->readable());
  c3->read(all.data(), all.size());
  check_eq("unscaled window already at 65535: reading sends nothing", size_t(0), f3.take().size());

  // Scaled windows: the field is the room >> 7.
  Fixture f2;
  Recorder r2;
  auto c2 = f2.open_active(r2, 80, 1000, true, true, true);
  f2.send(data_seg(f2, f2.peer_nxt, 0, 1000));
  f2.advance(50 * MS);
  Seg s2 = f2.take_one("ACK");
  // 1000 bytes in: the edge stays, the field rounds up to cover it.
  check_eq("scaled window keeps the old right edge", ((256u << 10) - 1000 + 127) >> 7,
           uint32_t(s2.wnd));
}

void delayed_ack()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  uint32_t base = fx.peer_nxt;
  fx.send(data_seg(fx, base, 0, 100));
  check_eq("a small segment: no ACK at once", size_t(0), fx.take().size());
  fx.advance(39 * MS);
  check_eq("nor at 39 ms", size_t(0), fx.take().size());
  fx.advance(1 * MS);
  Seg a = fx.take_one("the ACK at 40 ms");
  check_eq("it acks the segment", base + 100, a.ack);
  fx.send(data_seg(fx, base, 100, 1448));
  check_eq("one full segment: delayed", size_t(0), fx.take().size());
  fx.send(data_seg(fx, base, 1548, 1448));
  a = fx.take_one("the second full segment is acked at once");
  check_eq("acks both", base + 2996, a.ack);
  fx.advance(100 * MS);
  check_eq("no further ACK", size_t(0), fx.take().size());

  // Replies carry the ACK: no pure ACK follows.
  std::vector<uint8_t> drain(c->readable());
  c->read(drain.data(), drain.size());
  fx.take();
  rec.hook = [&](Connection& cc, unsigned ev) {
    if (ev & EV_READABLE) {
      std::vector<uint8_t> in(cc.readable());
      cc.read(in.data(), in.size());
      cc.write(in.data(), in.size());
    }
  };
  fx.send(data_seg(fx, base, 2996, 10));
  Seg echo = fx.take_one("the echo");
  check_eq("echo carries the data", size_t(10), echo.data.size());
  check_eq("and acks it", base + 3006, echo.ack);
  fx.advance(100 * MS);
  check_eq("no separate ACK", size_t(0), fx.take().size());
  rec.hook = nullptr;

  // delayed_ack off: every segment at once.
  Options o;
  o.delayed_ack = false;
  c->set_options(o);
  fx.send(data_seg(fx, base, 3006, 10));
  check_eq("delayed_ack off: ACK at once", size_t(1), fx.take().size());
  check_eq("readable", size_t(10), c->readable());
}

void timestamp_echo()
{
  // RFC 7323 4.3: a delayed ACK echoes the oldest unacknowledged
  // segment's timestamp, so that the peer measures the whole delay.
  Fixture fx;
  Recorder rec;
  fx.open_active(rec, 80, 1000, true, true, true);
  uint32_t base = fx.peer_nxt;
  Seg a = data_seg(fx, base, 0, 100);
  a.tsval = fx.peer_ts + 1;
  fx.send(a);
  Seg b = data_seg(fx, base, 100, 100);
  b.tsval = fx.peer_ts + 2;
  fx.send(b);
  fx.advance(40 * MS);
  Seg ack = fx.take_one("one delayed ACK for both");
  check_eq("it echoes the first segment's TSval", fx.peer_ts + 1, ack.tsecr);
  Seg c = data_seg(fx, base, 200, 100);
  c.tsval = fx.peer_ts + 3;
  fx.send(c);
  fx.advance(40 * MS);
  check_eq("the next ACK echoes the next segment's", fx.peer_ts + 3, fx.take_one("ACK").tsecr);
}

void fin_out_of_order()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  uint32_t base = fx.peer_nxt;
  Seg f = data_seg(fx, base, 1000, 500);
  f.flags |= F_FIN;
  fx.send(f);
  fx.take();
  check_eq("a FIN beyond a hole waits", "ESTABLISHED", state_name(c->state()));
  check(!c->fin_received(), "no EOF yet");
  fx.send(data_seg(fx, base, 0, 1000));
  Seg a = fx.take_one("ACK when the hole before the FIN fills");
  check_eq("acks data and FIN", base + 1501, a.ack);
  check_eq("CLOSE-WAIT", "CLOSE-WAIT", state_name(c->state()));
  check(rec.saw(EV_FIN) && c->fin_received(), "EV_FIN");
  check_eq("all data readable", size_t(1500), c->readable());
}

}  // namespace

void test_receive()
{
  group("receive");
  out_of_order();
  trimming();
  windows();
  delayed_ack();
  timestamp_echo();
  fin_out_of_order();
}

}  // namespace tt
