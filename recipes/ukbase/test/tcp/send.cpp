// Sending: Nagle, MSG_MORE and cork, the peer's window, persist probes,
// retransmission timeouts, RTT from timestamps, fast retransmit with
// NewReno and with SACK, keepalive, PAWS, events, restart after idle.
#include <cerrno>

#include "harness.hpp"

namespace tt {

namespace {

// A pure ACK from the raw peer for everything up to `ack`.
void ack_to(Fixture& fx, uint32_t ack, uint16_t wnd = 65535)
{
  Seg a = fx.peer_seg(F_ACK);
  a.ack = ack;
  a.wnd = wnd;
  fx.send(a);
}

void nagle_and_cork()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  std::vector<uint8_t> d(100, 5);
  c->write(d.data(), 100);
  Seg s1 = fx.take_one("the first small write goes at once");
  check_eq("100 bytes", size_t(100), s1.data.size());
  check(s1.has(F_PSH), "PSH on the last byte written");
  c->write(d.data(), 100);
  check_eq("Nagle holds the second while the first is unacked", size_t(0), fx.take().size());
  check_eq("unsent()", size_t(100), c->unsent());
  check_eq("unacked()", size_t(200), c->unacked());
  ack_to(fx, fx.eng_nxt + 100);
  Seg s2 = fx.take_one("the ACK releases it");
  check_eq("100 bytes", size_t(100), s2.data.size());
  Options o;
  o.nodelay = true;
  c->set_options(o);
  c->write(d.data(), 100);
  check_eq("nodelay: sent with data outstanding", size_t(1), fx.take().size());
  ack_to(fx, fx.eng_nxt + 300);

  Fixture f2;
  Recorder r2;
  auto c2 = f2.open_active(r2, 80, 1000, true, true, true);
  c2->write(d.data(), 100, true);
  check_eq("MSG_MORE holds a partial segment", size_t(0), f2.take().size());
  c2->write(d.data(), 100);
  Seg m = f2.take_one("the write without MSG_MORE sends");
  check_eq("both writes in one segment", size_t(200), m.data.size());
  ack_to(f2, f2.eng_nxt + 200);
  Options co;
  co.cork = true;
  c2->set_options(co);
  c2->write(d.data(), 100);
  check_eq("cork holds a partial segment", size_t(0), f2.take().size());
  std::vector<uint8_t> big(2000, 6);
  c2->write(big.data(), big.size());
  Seg full = f2.take_one("cork lets a full segment go");
  check_eq("a full segment", size_t(1448), full.data.size());
  check_eq("the rest held", size_t(652), c2->unsent());
  co.cork = false;
  c2->set_options(co);
  Seg rest = f2.take_one("uncorking sends the rest");
  check_eq("the rest", size_t(652), rest.data.size());
}

void peer_window_and_persist()
{
  Config cfg;
  cfg.rto_max_ns = 4 * SEC;
  cfg.data_retries = 3;
  Fixture fx(cfg);
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  ack_to(fx, fx.eng_nxt, 3000);
  std::vector<uint8_t> d = bytes_of(2, 0, 10000);
  c->write(d.data(), d.size());
  std::vector<Seg> v = fx.take();
  check_eq("a 3000-byte window: two full segments", size_t(2), v.size());
  check_eq("and the 104 left wait (sender SWS)", size_t(10000 - 2896), c->unsent());
  fx.eng_nxt += 2896;
  ack_to(fx, fx.eng_nxt, 0);
  check_eq("zero window: nothing sent", size_t(0), fx.take().size());
  uint64_t interval = 200 * MS;             // the RTO after a handshake in no time
  bool backoff_ok = true;
  for (int i = 0; i < 8; i++) {
    fx.advance(interval - MS);
    if (!fx.take().empty())
      backoff_ok = false;
    fx.advance(MS);
    std::vector<Seg> p = fx.take();
    if (p.size() != 1 || p[0].seq != fx.eng_nxt - 1 || !p[0].data.empty()) {
      check(false, "a zero-window probe", "one segment at SND.UNA - 1",
            std::to_string(p.size()) + " segments");
      backoff_ok = false;
      break;
    }
    ack_to(fx, fx.eng_nxt, 0);              // answered: still shut
    interval = interval * 2 > 4 * SEC ? 4 * SEC : interval * 2;
  }
  check(backoff_ok, "probes back off 0.2, 0.4, ... 4 s");
  check_eq("answered probes never time out", "ESTABLISHED", state_name(c->state()));
  check_eq("zero_window_probes", uint64_t(8), c->stats().zero_window_probes);
  ack_to(fx, fx.eng_nxt, 65535);
  v = fx.take();
  check(!v.empty() && v[0].seq == fx.eng_nxt, "the window opens: sending resumes");
  size_t sent = 0;
  for (auto& s : v)
    sent += s.data.size();
  check_eq("the full segments go", size_t(4 * 1448), sent);
  ack_to(fx, fx.eng_nxt + uint32_t(sent));
  v = fx.take();
  check(v.size() == 1 && v[0].data.size() == 10000 - 2896 - sent,
        "then (Nagle) the partial one", std::to_string(10000 - 2896 - sent),
        v.empty() ? "nothing" : std::to_string(v[0].data.size()));

  Fixture f2(cfg);
  Recorder r2;
  auto c2 = f2.open_active(r2, 80, 1000, true, true, true);
  ack_to(f2, f2.eng_nxt, 0);
  c2->write(d.data(), 100);
  f2.advance(30 * SEC);
  check_eq("unanswered probes: ETIMEDOUT", ETIMEDOUT, c2->error());
  check_eq("after data_retries probes", uint64_t(3), c2->stats().zero_window_probes);
}

void rto()
{
  Config cfg;
  cfg.data_retries = 3;
  Fixture fx(cfg);
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  std::vector<uint8_t> d = bytes_of(3, 0, 1000);
  c->write(d.data(), d.size());
  Seg first = fx.take_one("data");
  uint64_t gaps[] = {200 * MS, 400 * MS, 800 * MS};
  bool ok = true;
  for (uint64_t g : gaps) {
    fx.advance(g - MS);
    ok = ok && fx.take().empty();
    fx.advance(MS);
    std::vector<Seg> r = fx.take();
    ok = ok && r.size() == 1 && r[0].seq == first.seq && r[0].data == d;
  }
  check(ok, "retransmissions after 200, 400, 800 ms, same bytes");
  check_eq("cwnd is one segment after an RTO", 1448u, c->cwnd());
  fx.advance(1599 * MS);
  check_eq("not yet given up", "ESTABLISHED", state_name(c->state()));
  fx.advance(MS);
  check_eq("ETIMEDOUT after data_retries", ETIMEDOUT, c->error());
  check(rec.saw(EV_ERROR | EV_CLOSED), "EV_ERROR | EV_CLOSED");
  check_eq("timeouts counted", uint64_t(3), c->stats().timeouts);
  check_eq("retransmits counted", uint64_t(3), c->stats().retransmits);

  Fixture f2;
  Recorder r2;
  Options o;
  o.user_timeout_ns = SEC;
  auto c2 = f2.open_active(r2, 80, 1000, true, true, true, 1460, o);
  c2->write(d.data(), d.size());
  f2.advance(1399 * MS);
  check_eq("user timeout: alive at 1.399 s", "ESTABLISHED", state_name(c2->state()));
  f2.advance(MS);
  check_eq("user timeout: ETIMEDOUT at the first RTO past 1 s", ETIMEDOUT, c2->error());
}

void rtt_from_timestamps()
{
  Fixture fx;
  Recorder rec;
  int err;
  auto c = fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 80}, Options(), &rec, err);
  Seg syn = fx.take_one("SYN");
  fx.advance(50 * MS);
  Seg sa;
  sa.sport = 80, sa.dport = syn.sport, sa.seq = 77, sa.ack = syn.seq + 1;
  sa.flags = F_SYN | F_ACK, sa.mss = 1460, sa.ts = true, sa.tsval = 1, sa.tsecr = syn.tsval;
  fx.send(sa);
  Seg a = fx.take_one("ACK");
  check_eq("SRTT from the SYN-ACK's TSecr", 50 * MS, c->srtt_ns());
  fx.eng_nxt = syn.seq + 1;
  fx.peer_nxt = 78, fx.peer_port = 80, fx.eng_port = syn.sport, fx.use_ts = true;
  std::vector<uint8_t> d(500, 1);
  for (int i = 0; i < 5; i++) {
    c->write(d.data(), d.size());
    Seg s = fx.take_one("data");
    fx.advance(80 * MS);
    Seg ack = fx.peer_seg(F_ACK);
    ack.ack = s.seq + 500;
    ack.tsecr = s.tsval;
    ack.tsval = 2 + i;
    fx.send(ack);
  }
  uint64_t srtt = c->srtt_ns();
  // 50 ms, then five samples of 80 ms with gain 1/8: 50 + 30 (1 - (7/8)^5).
  check(srtt > 64 * MS && srtt < 65 * MS, "SRTT moves towards 80 ms samples (gain 1/8)",
        "64..65 ms", std::to_string(srtt / 1000) + " us");
  (void)a;
}

void newreno()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, false, false, false);   // no SACK, no TS
  const uint32_t M = 1460, b = fx.eng_nxt;
  check_eq("IW10", 10 * M, c->cwnd());
  std::vector<uint8_t> d = bytes_of(4, 0, 40 * M);
  c->write(d.data(), d.size());
  check_eq("ten segments sent", size_t(10), fx.take().size());
  ack_to(fx, b + M);
  check_eq("slow start: cwnd + 1 segment", 11 * M, c->cwnd());
  check_eq("two more go", size_t(2), fx.take().size());
  ack_to(fx, b + M);
  ack_to(fx, b + M);
  std::vector<Seg> lt = fx.take();
  check(lt.size() == 2 && lt[0].seq == b + 12 * M && lt[1].seq == b + 13 * M,
        "limited transmit: a new segment for each of two dupacks (RFC 3042)", "segments 12, 13",
        std::to_string(lt.size()) + " segments");
  check_eq("limited transmit leaves cwnd alone", 11 * M, c->cwnd());
  ack_to(fx, b + M);
  Seg fr = fx.take_one("fast retransmit on the third dupack");
  check_eq("it resends segment 1", b + M, fr.seq);
  // FlightSize 13 segments: ssthresh 6.5 segments, cwnd ssthresh + 3.
  const uint32_t ssthresh = 13 * M / 2;
  check_eq("cwnd = ssthresh + 3 SMSS", ssthresh + 3 * M, c->cwnd());
  for (int i = 0; i < 5; i++)
    ack_to(fx, b + M);
  check_eq("each dupack inflates by SMSS", ssthresh + 8 * M, c->cwnd());
  std::vector<Seg> nw = fx.take();
  check(nw.size() == 1 && nw[0].seq == b + 14 * M, "inflation lets a new segment out",
        "segment 14", std::to_string(nw.size()) + " segments");
  ack_to(fx, b + 5 * M);                     // partial: segment 5 lost too
  std::vector<Seg> pr = fx.take();
  check(!pr.empty() && pr[0].seq == b + 5 * M, "a partial ACK resends the next hole",
        std::to_string(b + 5 * M), pr.empty() ? "nothing" : std::to_string(pr[0].seq));
  check_eq("deflated by the 4 segments acked, plus one", ssthresh + 8 * M - 4 * M + M,
           c->cwnd());
  check_eq("and one new segment fits", size_t(2), pr.size());
  ack_to(fx, b + 14 * M);                    // everything up to "recover"
  // Recovery over: min(ssthresh, FlightSize + SMSS); 2 segments in flight.
  check_eq("full ACK: cwnd = min(ssthresh, flight + SMSS)", 3 * M, c->cwnd());
  check_eq("fast_retransmits", uint64_t(1), c->stats().fast_retransmits);
  check_eq("retransmits", uint64_t(2), c->stats().retransmits);
  check_eq("dup_acks", uint64_t(8), c->stats().dup_acks);
}

void sack_recovery()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, false, false, true);     // SACK, no TS
  const uint32_t M = 1460, b = fx.eng_nxt;
  std::vector<uint8_t> d = bytes_of(5, 0, 30 * M);
  c->write(d.data(), d.size());
  fx.take();
  ack_to(fx, b + M);                         // segment 0 arrives; 1 and 3 are lost
  fx.take();
  std::vector<uint32_t> resent;
  auto collect = [&]() {
    for (auto& s : fx.take())
      if (int32_t(s.seq - (b + 12 * M)) < 0)
        resent.push_back((s.seq - b) / M);
  };
  // The peer has 0, 2, and 4.. as they arrive.
  uint32_t have_hi = 3;
  for (uint32_t seg = 4; seg < 12; seg++) {
    have_hi = seg + 1;
    Seg a = fx.peer_seg(F_ACK);
    a.ack = b + M;
    a.sacks = {{b + 4 * M, b + have_hi * M}, {b + 2 * M, b + 3 * M}};
    fx.send(a);
    collect();
  }
  std::string got;
  for (uint32_t r : resent)
    got += (got.empty() ? "" : ",") + std::to_string(r);
  check_eq("only the holes are retransmitted", "1,3", got.c_str());
  // Entered on the second dupack (enough SACKed above the hole), after
  // one limited-transmit segment: FlightSize 12 segments.
  check_eq("cwnd = ssthresh in SACK recovery", 6 * M, c->cwnd());
  ack_to(fx, b + 13 * M);
  check_eq("recovery over", 6 * M, c->cwnd());
}

void keepalive()
{
  Fixture fx;
  Recorder rec;
  Options o;
  o.keepalive = true;
  o.keepidle_s = 10;
  o.keepintvl_s = 2;
  o.keepcnt = 3;
  auto c = fx.open_active(rec, 80, 1000, true, true, true, 1460, o);
  fx.advance(10 * SEC - MS);
  check_eq("no probe before keepidle", size_t(0), fx.take().size());
  fx.advance(MS);
  Seg p = fx.take_one("a keepalive probe");
  check_eq("at SND.NXT - 1", fx.eng_nxt - 1, p.seq);
  check_eq("without data", size_t(0), p.data.size());
  ack_to(fx, fx.eng_nxt);                    // answered
  fx.advance(10 * SEC - MS);
  check_eq("an answer restarts the idle time", size_t(0), fx.take().size());
  fx.advance(MS);
  fx.take_one("the next probe after keepidle");
  fx.advance(2 * SEC);
  fx.take_one("unanswered: again after keepintvl");
  fx.advance(2 * SEC);
  fx.take_one("and again");
  check_eq("alive after 3 probes", "ESTABLISHED", state_name(c->state()));
  fx.advance(2 * SEC);
  check_eq("keepcnt unanswered: ETIMEDOUT", ETIMEDOUT, c->error());
  check(rec.saw(EV_ERROR), "EV_ERROR");
}

void paws()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  Seg old = fx.peer_seg(F_ACK, {1, 2, 3});
  old.tsval = fx.peer_ts - 50;
  fx.send(old);
  Seg a = fx.take_one("an ACK for a segment PAWS rejects");
  check_eq("nothing accepted", fx.peer_nxt, a.ack);
  check_eq("nothing readable", size_t(0), c->readable());
  Seg now = fx.peer_seg(F_ACK, {1, 2, 3});
  fx.send(now);
  check_eq("the current timestamp is accepted", size_t(3), c->readable());
  Seg nots = fx.peer_seg(F_ACK, {4});
  nots.seq += 3;
  nots.ts = false;
  fx.send(nots);
  check_eq("no timestamp once negotiated: dropped", size_t(3), c->readable());
}

void events_and_idle()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  rec.clear();
  std::vector<uint8_t> d(100, 1);
  c->write(d.data(), 100);
  check(rec.saw(EV_SENT), "EV_SENT once all written data left");
  check(!rec.saw(EV_WRITABLE), "no EV_WRITABLE before an ACK");
  rec.clear();
  ack_to(fx, fx.eng_nxt + 100);
  fx.eng_nxt += 100;
  check(rec.saw(EV_WRITABLE), "EV_WRITABLE when acked data frees room");
  rec.clear();
  std::vector<uint8_t> big = bytes_of(6, 0, 100000);
  c->write(big.data(), big.size());
  check(!rec.saw(EV_SENT), "no EV_SENT while data waits for the window");
  // Grow cwnd, then idle longer than the RTO: back to the initial window.
  uint32_t una = fx.eng_nxt;
  for (int i = 0; i < 40 && c->unsent(); i++) {
    std::vector<Seg> v = fx.take();
    for (auto& s : v)
      una = s.seq + uint32_t(s.data.size());
    ack_to(fx, una);
  }
  check(rec.saw(EV_SENT), "EV_SENT once the last of it was sent");
  check(c->cwnd() > 10u * 1448, "cwnd grew", "> IW", std::to_string(c->cwnd()));
  ack_to(fx, fx.eng_nxt + 100000);
  fx.take();
  fx.advance(2 * SEC);
  c->write(d.data(), 100);
  check_eq("restart after idle: cwnd back to IW", 10u * 1448, c->cwnd());
}

}  // namespace

void test_send()
{
  group("send");
  nagle_and_cork();
  peer_window_and_persist();
  rto();
  rtt_from_timestamps();
  newreno();
  sack_recovery();
  keepalive();
  paws();
  events_and_idle();
}

}  // namespace tt
