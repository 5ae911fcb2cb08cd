// Closing: active, passive and simultaneous close, TIME-WAIT (2 MSL,
// reopening, RFC 1337), RSTs for unread data and data after close,
// half-close, the orphaned FIN-WAIT-2, abort().
#include <cerrno>

#include "harness.hpp"

namespace tt {

namespace {

Config short_msl()
{
  Config cfg;
  cfg.msl_ns = SEC;                       // TIME-WAIT: 2 s
  return cfg;
}

void active_close()
{
  Fixture fx(short_msl());
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  c->close();
  Seg fin = fx.take_one("FIN after close()");
  check(fin.has(F_FIN | F_ACK), "FIN|ACK");
  check_eq("FIN at SND.NXT", fx.eng_nxt, fin.seq);
  check_eq("FIN-WAIT-1", "FIN-WAIT-1", state_name(c->state()));
  fx.eng_nxt++;
  fx.send(fx.peer_seg(F_ACK));
  check_eq("FIN-WAIT-2 once the FIN is acknowledged", "FIN-WAIT-2", state_name(c->state()));
  fx.send(fx.peer_seg(F_FIN | F_ACK));
  fx.peer_nxt++;
  Seg a = fx.take_one("ACK of the peer's FIN");
  check_eq("it acks the FIN", fx.peer_nxt, a.ack);
  check_eq("TIME-WAIT", "TIME-WAIT", state_name(c->state()));
  check_eq("TIME-WAIT holds no buffers", size_t(0), c->memory());
  check_eq("TIME-WAIT still counted", size_t(1), fx.stack->active_connections());
  fx.advance(1999 * MS);
  check_eq("TIME-WAIT at 2 MSL - 1 ms", "TIME-WAIT", state_name(c->state()));
  // The peer's FIN again: ACKed, and the 2 MSL start over.
  Seg again = fx.peer_seg(F_FIN | F_ACK);
  again.seq = fx.peer_nxt - 1;
  fx.send(again);
  fx.take_one("ACK for a retransmitted FIN");
  fx.advance(1999 * MS);
  check_eq("TIME-WAIT restarted by the FIN", "TIME-WAIT", state_name(c->state()));
  fx.advance(2 * MS);
  check_eq("CLOSED after 2 MSL", "CLOSED", state_name(c->state()));
  check(rec.saw(EV_CLOSED) && !rec.saw(EV_ERROR), "EV_CLOSED without EV_ERROR");
  check_eq("gone from the stack", size_t(0), fx.stack->active_connections());
  check_eq("no error", 0, c->error());

  // MSL can change at run time: the next TIME-WAIT uses it.
  fx.stack->config().msl_ns = 100 * MS;
  Recorder r2;
  auto c2 = fx.open_active(r2, 81, 5000, false, false, false);
  c2->shutdown_write();
  fx.take_one("FIN");
  fx.eng_nxt++;
  Seg fa = fx.peer_seg(F_FIN | F_ACK);
  fx.send(fa);
  fx.peer_nxt++;
  fx.take_one("ACK of FIN");
  check_eq("FIN+ACK at once: TIME-WAIT", "TIME-WAIT", state_name(c2->state()));
  fx.advance(199 * MS);
  check_eq("still TIME-WAIT at 199 ms", "TIME-WAIT", state_name(c2->state()));
  fx.advance(2 * MS);
  check_eq("new MSL: CLOSED after 200 ms", "CLOSED", state_name(c2->state()));
}

void passive_close()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  rec.clear();
  fx.send(fx.peer_seg(F_FIN | F_ACK));
  fx.peer_nxt++;
  Seg a = fx.take_one("ACK of FIN");
  check_eq("acks the FIN", fx.peer_nxt, a.ack);
  check_eq("CLOSE-WAIT", "CLOSE-WAIT", state_name(c->state()));
  check(rec.saw(EV_FIN), "EV_FIN");
  check(c->fin_received(), "fin_received()");
  c->close();
  Seg fin = fx.take_one("our FIN");
  check(fin.has(F_FIN), "FIN sent");
  check_eq("LAST-ACK", "LAST-ACK", state_name(c->state()));
  fx.eng_nxt++;
  fx.send(fx.peer_seg(F_ACK));
  check_eq("CLOSED on the last ACK", "CLOSED", state_name(c->state()));
  check(rec.saw(EV_CLOSED), "EV_CLOSED");
  check_eq("no error", 0, c->error());
}

void simultaneous_close()
{
  Fixture fx(short_msl());
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  c->shutdown_write();
  Seg fin = fx.take_one("our FIN");
  Seg pf = fx.peer_seg(F_FIN | F_ACK);  // crosses ours: acks nothing of it
  fx.send(pf);
  fx.peer_nxt++;
  Seg a = fx.take_one("ACK of their FIN");
  check_eq("acks their FIN", fx.peer_nxt, a.ack);
  check_eq("CLOSING", "CLOSING", state_name(c->state()));
  fx.eng_nxt = fin.seq + 1;
  fx.send(fx.peer_seg(F_ACK));
  check_eq("TIME-WAIT once our FIN is acked", "TIME-WAIT", state_name(c->state()));
  fx.advance(2 * SEC + MS);
  check_eq("CLOSED", "CLOSED", state_name(c->state()));
}

void time_wait_rst_and_reopen()
{
  Fixture fx(short_msl());
  Recorder rec;
  std::shared_ptr<Listener> l;
  auto c = fx.open_passive(rec, l, 80, 40000, 1000, false, false, false);
  // The server closes first and ends in TIME-WAIT.
  std::vector<uint8_t> d(100, 1);
  c->write(d.data(), d.size());
  fx.take_one("data");
  fx.eng_nxt += 100;
  c->close();
  fx.take_one("FIN");
  fx.eng_nxt++;
  fx.send(fx.peer_seg(F_FIN | F_ACK));
  fx.peer_nxt++;
  fx.take_one("ACK of FIN");
  check_eq("server in TIME-WAIT", "TIME-WAIT", state_name(c->state()));
  Seg r = fx.peer_seg(F_RST);
  fx.send(r);
  check_eq("RST ignored in TIME-WAIT (RFC 1337)", "TIME-WAIT", state_name(c->state()));
  // An old SYN (lower sequence number): not a reopen.
  Seg old;
  old.sport = 40000, old.dport = 80, old.seq = 500, old.flags = F_SYN, old.mss = 1460;
  fx.send(old);
  Seg oa = fx.take_one("answer to an old SYN");
  check(!oa.has(F_SYN), "an old SYN gets no SYN-ACK", "ACK", oa.str());
  check_eq("still TIME-WAIT", "TIME-WAIT", state_name(c->state()));
  // A newer SYN reopens through the listener.
  Seg ns = old;
  ns.seq = fx.peer_nxt + 100000;
  fx.send(ns);
  Seg sa = fx.take_one("SYN-ACK for the new incarnation");
  check(sa.has(F_SYN | F_ACK), "SYN-ACK", "SYN|ACK", sa.str());
  check_eq("acks the new SYN", ns.seq + 1, sa.ack);
  check(int32_t(sa.seq - fx.eng_nxt) > 65535, "new ISS beyond the old sequence space",
        "> old SND.NXT + 65535", std::to_string(sa.seq - fx.eng_nxt));
  check_eq("old connection CLOSED", "CLOSED", state_name(c->state()));

  // With timestamps: a higher TSval reopens even with a lower sequence number.
  Fixture f2(short_msl());
  Recorder r2;
  std::shared_ptr<Listener> l2;
  auto c2 = f2.open_passive(r2, l2, 80, 40001, 1000000, false, true, false);
  c2->close();
  f2.take_one("FIN");
  f2.eng_nxt++;
  f2.peer_ts += 10;
  f2.send(f2.peer_seg(F_FIN | F_ACK));
  f2.peer_nxt++;
  f2.take_one("ACK");
  check_eq("TIME-WAIT (timestamps)", "TIME-WAIT", state_name(c2->state()));
  Seg s2;
  s2.sport = 40001, s2.dport = 80, s2.seq = 5, s2.flags = F_SYN, s2.ts = true;
  s2.tsval = f2.peer_ts - 5;
  f2.send(s2);
  check(!f2.take_one("old TSval").has(F_SYN), "older TSval: no reopen");
  s2.tsval = f2.peer_ts + 5;
  f2.send(s2);
  check(f2.take_one("newer TSval").has(F_SYN | F_ACK), "newer TSval reopens");
}

void close_with_unread_data()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  fx.send(fx.peer_seg(F_ACK | F_PSH, {1, 2, 3, 4}));
  fx.peer_nxt += 4;
  fx.advance(100 * MS);
  fx.take();
  check_eq("data waiting", size_t(4), c->readable());
  c->close();
  Seg r = fx.take_one("RST for unread data");
  check(r.has(F_RST), "RST", "RST", r.str());
  check_eq("RST at SND.NXT", fx.eng_nxt, r.seq);
  check_eq("CLOSED", "CLOSED", state_name(c->state()));

  Fixture f2;
  Recorder r2;
  auto c2 = f2.open_active(r2, 80, 1000, true, true, true);
  c2->close();
  f2.take_one("FIN");
  f2.eng_nxt++;
  f2.send(f2.peer_seg(F_ACK));
  check_eq("FIN-WAIT-2", "FIN-WAIT-2", state_name(c2->state()));
  f2.send(f2.peer_seg(F_ACK | F_PSH, {9, 9}));
  Seg r3 = f2.take_one("RST for data after close()");
  check(r3.has(F_RST), "RST", "RST", r3.str());
  check_eq("RST seq", f2.eng_nxt, r3.seq);
  check_eq("CLOSED after data arrived", "CLOSED", state_name(c2->state()));
}

void half_close()
{
  Fixture fx(short_msl());
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  c->shutdown_write();
  check(c->write_shut(), "write_shut()");
  Seg fin = fx.take_one("FIN");
  check(fin.has(F_FIN), "FIN");
  uint8_t x = 1;
  check_eq("write() after shutdown_write() takes nothing", size_t(0), c->write(&x, 1));
  fx.eng_nxt++;
  fx.send(fx.peer_seg(F_ACK));
  check_eq("FIN-WAIT-2", "FIN-WAIT-2", state_name(c->state()));
  std::vector<uint8_t> d = bytes_of(3, 0, 1000);
  for (int i = 0; i < 3; i++) {
    fx.send(fx.peer_seg(F_ACK, d));
    fx.peer_nxt += 1000;
  }
  check_eq("reading goes on", size_t(3000), c->readable());
  fx.advance(100 * MS);
  std::vector<Seg> acks = fx.take();
  check(!acks.empty() && acks.back().ack == fx.peer_nxt, "data acknowledged");
  std::vector<uint8_t> got(1000);
  c->read(got.data(), got.size());
  check(got == d, "data intact");
  fx.send(fx.peer_seg(F_FIN | F_ACK));
  fx.peer_nxt++;
  fx.take();
  check_eq("TIME-WAIT after their FIN", "TIME-WAIT", state_name(c->state()));
  check_eq("unread data still readable in TIME-WAIT", size_t(2000), c->readable());
  check_eq("read() in TIME-WAIT", size_t(1000), c->read(got.data(), got.size()));
  check(c->fin_received(), "EOF seen");
}

void orphan_and_abort()
{
  Fixture fx(short_msl());
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  c->close();
  fx.take_one("FIN");
  fx.eng_nxt++;
  fx.send(fx.peer_seg(F_ACK));
  check_eq("FIN-WAIT-2", "FIN-WAIT-2", state_name(c->state()));
  fx.advance(2 * SEC + 2 * MS);
  check_eq("an orphaned FIN-WAIT-2 ends after 2 MSL", "CLOSED", state_name(c->state()));

  Recorder r2;
  auto c2 = fx.open_active(r2, 82, 1000, true, true, true);
  c2->abort();
  Seg r = fx.take_one("abort() sends RST");
  check(r.has(F_RST), "RST", "RST", r.str());
  check_eq("abort(): CLOSED", "CLOSED", state_name(c2->state()));
  check(r2.saw(EV_CLOSED), "abort(): EV_CLOSED");
  check_eq("abort(): no error", 0, c2->error());
}

}  // namespace

void test_close()
{
  group("close");
  active_close();
  passive_close();
  simultaneous_close();
  time_wait_rst_and_reopen();
  close_with_unread_data();
  half_close();
  orphan_and_abort();
}

}  // namespace tt
