// Basics (checksums, SipHash, names) and opening: option negotiation,
// RSTs for closed ports and refused connections, RFC 5961, simultaneous
// open, SYN retransmission.
#include <cerrno>
#include <cstring>

#include "../../kernel/net/tcp/internal.hpp"
#include "harness.hpp"

namespace tt {

void test_basics()
{
  group("basics");
  // SipHash-2-4, the reference vectors of the paper (key 00..0f).
  uint8_t key[16], msg[15];
  for (int i = 0; i < 16; i++)
    key[i] = uint8_t(i);
  for (int i = 0; i < 15; i++)
    msg[i] = uint8_t(i);
  check_eq("siphash24 of 15 bytes", uint64_t(0xa129ca6149be45e5ull),
           ukbase::tcp::siphash24(key, msg, 15));
  check_eq("siphash24 of nothing", uint64_t(0x726fdb47dd0e0e31ull),
           ukbase::tcp::siphash24(key, msg, 0));

  // The fast checksum against the obvious one, lengths 0..300 and odd offsets.
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(400);
  for (auto& b : buf)
    b = uint8_t(rng());
  int bad = 0;
  for (size_t len = 0; len < 300; len++) {
    uint16_t fast = uint16_t(~ukbase::tcp::csum_fold(
        ukbase::tcp::csum_add(ukbase::tcp::csum_pseudo(0x01020304, 0x0a0b0c0d, len), buf.data() + 3, len)));
    uint16_t want = ref_checksum(0x01020304, 0x0a0b0c0d, buf.data() + 3, len);
    uint8_t stored[2];
    std::memcpy(stored, &fast, 2);
    if ((stored[0] << 8 | stored[1]) != want)
      bad++;
  }
  check_eq("checksum agrees with RFC 1071's for 300 lengths", 0, bad);
  std::vector<uint8_t> ones(1500, 0xFF);
  uint16_t f = uint16_t(~ukbase::tcp::csum_fold(ukbase::tcp::csum_add(0, ones.data(), ones.size())));
  uint8_t st[2];
  std::memcpy(st, &f, 2);
  check_eq("checksum of all-ones (carries)", int(0), int(st[0] << 8 | st[1]));

  check_eq("state_name ESTABLISHED", "ESTABLISHED", state_name(State::ESTABLISHED));
  check_eq("state_name SYN-RECEIVED", "SYN-RECEIVED", state_name(State::SYN_RECEIVED));
  check_eq("state_name FIN-WAIT-2", "FIN-WAIT-2", state_name(State::FIN_WAIT_2));
  check_eq("state_name TIME-WAIT", "TIME-WAIT", state_name(State::TIME_WAIT));
  check_eq("state_name CLOSE-WAIT", "CLOSE-WAIT", state_name(State::CLOSE_WAIT));
  check_eq("state_name LAST-ACK", "LAST-ACK", state_name(State::LAST_ACK));

  Fixture fx;
  Recorder rec;
  std::shared_ptr<Listener> l;
  auto c = fx.open_passive(rec, l, 80, 40000, 1000, true, true, true);
  check_eq("to_string", "10.0.0.1:80 <- 10.0.0.2:40000 ESTABLISHED", c->to_string().c_str());

  // A corrupted segment is counted and dropped; checksum_ok skips the test.
  auto b = build(fx.peer_seg(F_ACK | F_PSH, {1, 2, 3}), PEER, LOCAL);
  b[b.size() - 1] ^= 0x40;
  fx.send_raw(b);
  check_eq("bad checksum counted", uint64_t(1), fx.stack->stats().bad_checksum);
  check_eq("bad checksum: nothing delivered", size_t(0), c->readable());
  fx.send_raw(b, true);
  check_eq("checksum_ok: delivered", size_t(3), c->readable());
  std::vector<uint8_t> tiny(10, 0);
  fx.send_raw(tiny, true);
  check_eq("short segment counted as malformed", uint64_t(1), fx.stack->stats().malformed);
}

static void handshake_active()
{
  Fixture fx;
  Recorder rec;
  int err = -1;
  auto c = fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 80}, Options(), &rec, err);
  check(c && err == 0, "connect() gives a connection", "err 0", std::to_string(err));
  check_eq("state after connect()", "SYN-SENT", state_name(c->state()));
  Seg syn = fx.take_one("SYN");
  check(syn.checksum_ok, "SYN checksum is valid");
  check_eq("SYN flags", int(F_SYN), int(syn.flags));
  check_eq("SYN MSS option", 1460, syn.mss);
  check_eq("SYN window scale (4 MiB max_buf)", 7, syn.ws);
  check(syn.sack_ok, "SYN offers SACK");
  check(syn.ts && syn.tsecr == 0, "SYN carries timestamps with TSecr 0");
  check_eq("SYN window", 65535, int(syn.wnd));
  check(syn.sport >= 49152, "ephemeral source port", ">= 49152", std::to_string(syn.sport));
  check_eq("SYN to port 80", 80, int(syn.dport));
  check_eq("connect() counted", uint64_t(1), fx.stack->stats().active_opens);

  Seg sa;
  sa.sport = 80;
  sa.dport = syn.sport;
  sa.seq = 5000;
  sa.ack = syn.seq + 1;
  sa.flags = F_SYN | F_ACK;
  sa.mss = 1000;
  sa.ws = 3;
  sa.ts = true;
  sa.tsval = 777;
  sa.tsecr = syn.tsval;
  sa.sack_ok = true;
  sa.wnd = 20000;
  fx.send(sa);
  Seg ack = fx.take_one("ACK of the SYN-ACK");
  check_eq("ACK flags", int(F_ACK), int(ack.flags));
  check_eq("ACK seq", syn.seq + 1, ack.seq);
  check_eq("ACK ack", 5001u, ack.ack);
  check(ack.ts && ack.tsecr == 777, "ACK echoes the peer's TSval", "777", std::to_string(ack.tsecr));
  check_eq("our window, scaled by 7", (256u << 10) >> 7, uint32_t(ack.wnd));
  check_eq("state", "ESTABLISHED", state_name(c->state()));
  check(rec.saw(EV_CONNECTED), "EV_CONNECTED delivered");
  check_eq("mss(): peer's 1000 less 12 for timestamps", 988, int(c->mss()));
  check_eq("snd_wnd from the SYN-ACK is not scaled", 20000u, c->snd_wnd());
  check_eq("initial cwnd: 10 segments", 9880u, c->cwnd());
  Seg upd = sa;
  upd.flags = F_ACK;
  upd.seq = 5001;
  upd.wnd = 100;
  upd.tsval = 778;
  upd.tsecr = ack.tsval;
  upd.ws = -1;
  upd.mss = -1;
  upd.sack_ok = false;
  fx.send(upd);
  check_eq("later windows are scaled by the peer's 3", 800u, c->snd_wnd());
}

static void handshake_passive()
{
  {
    Fixture fx;
    Recorder rec;
    int err;
    Endpoint ep{0, 80};
    auto l = fx.stack->listen(ep, 8, err);
    Seg syn;
    syn.sport = 1234;
    syn.dport = 80;
    syn.seq = 100;
    syn.flags = F_SYN;
    fx.send(syn);
    Seg sa = fx.take_one("SYN-ACK to a bare SYN");
    check_eq("SYN-ACK flags", int(F_SYN | F_ACK), int(sa.flags));
    check_eq("SYN-ACK acks the SYN", 101u, sa.ack);
    check_eq("SYN-ACK MSS", 1460, sa.mss);
    check(sa.ws < 0 && !sa.ts && !sa.sack_ok, "no WS/TS/SACK unless offered",
          "none", "ws " + std::to_string(sa.ws) + " ts " + std::to_string(sa.ts));
    check_eq("passive open counted", uint64_t(1), fx.stack->stats().passive_opens);
    Seg a;
    a.sport = 1234, a.dport = 80, a.seq = 101, a.ack = sa.seq + 1, a.flags = F_ACK;
    fx.send(a);
    auto c = l->accept();
    check(c != nullptr, "accepted");
    check_eq("MSS 536 when the peer sent none", 536, int(c ? c->mss() : 0));
    check(c && c->listener() == nullptr, "accept() detaches from the listener");
  }
  {
    Fixture fx;
    Recorder rec;
    std::shared_ptr<Listener> l;
    Endpoint ep{0, 80};
    int err;
    l = fx.stack->listen(ep, 8, err);
    Seg syn;
    syn.sport = 1234, syn.dport = 80, syn.seq = 100, syn.flags = F_SYN;
    syn.ts = true;
    syn.tsval = 4242;
    syn.mss = 1200;
    fx.send(syn);
    Seg sa = fx.take_one("SYN-ACK to a SYN with timestamps only");
    check(sa.ts && sa.tsecr == 4242, "SYN-ACK echoes the TSval", "4242", std::to_string(sa.tsecr));
    check(sa.ws < 0 && !sa.sack_ok, "no WS or SACK offered back");
  }
  {
    Fixture fx;
    Recorder rec;
    std::shared_ptr<Listener> l;
    auto c = fx.open_passive(rec, l, 80, 40000, 1000, true, true, true, 1400);
    check_eq("passive, all options: state", "ESTABLISHED", state_name(c->state()));
    check_eq("passive mss(): 1400 - 12", 1388, int(c->mss()));
    check_eq("accept ready notified once", 1, int(l->pending() == 0));
  }
}

static void closed_port()
{
  Fixture fx;
  Seg syn;
  syn.sport = 5555, syn.dport = 81, syn.seq = 1000, syn.flags = F_SYN;
  fx.send(syn);
  Seg r = fx.take_one("RST for a SYN to a closed port");
  check_eq("RST|ACK flags", int(F_RST | F_ACK), int(r.flags));
  check_eq("RST seq 0", 0u, r.seq);
  check_eq("RST acks SYN", 1001u, r.ack);
  check_eq("refused_no_listener", uint64_t(1), fx.stack->stats().refused_no_listener);
  Seg a;
  a.sport = 5555, a.dport = 81, a.seq = 1001, a.ack = 777777, a.flags = F_ACK;
  a.data = {1, 2, 3};
  fx.send(a);
  r = fx.take_one("RST for an ACK to a closed port");
  check_eq("RST flags (no ACK)", int(F_RST), int(r.flags));
  check_eq("RST seq = SEG.ACK", 777777u, r.seq);
  Seg rst = a;
  rst.flags = F_RST;
  fx.send(rst);
  check_eq("no answer to a RST", size_t(0), fx.take().size());
  check_eq("resets_sent", uint64_t(2), fx.stack->stats().resets_sent);
  // Not for broadcast or multicast (RFC 1122 4.2.3.10).
  int err;
  Endpoint ep{0, 81};
  auto l = fx.stack->listen(ep, 4, err);
  std::vector<uint8_t> b = build(syn, PEER, 0x0A0000FF);
  fx.stack->input(PEER, 0x0A0000FF, b.data(), b.size());
  b = build(syn, 0xE0000001, LOCAL);
  fx.stack->input(0xE0000001, LOCAL, b.data(), b.size());
  check_eq("a SYN to a broadcast address or from a multicast one: ignored", size_t(0),
           fx.take().size());
  check_eq("no connection made", size_t(0), fx.stack->active_connections());
}

static void syn_sent_rst()
{
  Fixture fx;
  Recorder rec;
  int err;
  auto c = fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 80}, Options(), &rec, err);
  Seg syn = fx.take_one("SYN");
  Seg bad;
  bad.sport = 80, bad.dport = syn.sport, bad.seq = 0, bad.ack = syn.seq + 5;
  bad.flags = F_RST | F_ACK;
  fx.send(bad);
  check_eq("RST with an unacceptable ACK ignored", "SYN-SENT", state_name(c->state()));
  bad.flags = F_ACK;
  fx.send(bad);
  Seg r = fx.take_one("RST for an unacceptable ACK in SYN-SENT");
  check_eq("its seq is SEG.ACK", syn.seq + 5, r.seq);
  check_eq("still SYN-SENT", "SYN-SENT", state_name(c->state()));
  Seg rst = bad;
  rst.ack = syn.seq + 1;
  rst.flags = F_RST | F_ACK;
  fx.send(rst);
  check_eq("refused: state", "CLOSED", state_name(c->state()));
  check_eq("refused: error", ECONNREFUSED, c->error());
  check(rec.saw(EV_ERROR | EV_CLOSED), "EV_ERROR and EV_CLOSED delivered");
  check_eq("no longer counted", size_t(0), fx.stack->active_connections());
}

static void rfc5961()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 9000, true, true, true);
  Seg r = fx.peer_seg(F_RST);
  r.seq = fx.peer_nxt + 100;
  fx.send(r);
  Seg ch = fx.take_one("challenge ACK for an in-window RST");
  check_eq("challenge ACK acks RCV.NXT", fx.peer_nxt, ch.ack);
  check_eq("challenge ACK flags", int(F_ACK), int(ch.flags));
  check_eq("still established", "ESTABLISHED", state_name(c->state()));
  r.seq = fx.peer_nxt + 0x80000000u;
  fx.send(r);
  check_eq("RST outside the window: silence", size_t(0), fx.take().size());
  Seg s = fx.peer_seg(F_SYN);
  fx.send(s);
  fx.take_one("challenge ACK for a SYN");
  check_eq("a SYN does not reset", "ESTABLISHED", state_name(c->state()));
  r.seq = fx.peer_nxt + 10;
  for (int i = 0; i < 20; i++)
    fx.send(r);
  size_t n = fx.take().size();
  check_eq("challenge ACKs limited to 10 per 5 s (2 used before)", size_t(8), n);
  check_eq("challenge_acks counted", uint64_t(10), fx.stack->stats().challenge_acks);
  fx.advance(5 * SEC);
  fx.send(r);
  check_eq("the limit renews", size_t(1), fx.take().size());
  r.seq = fx.peer_nxt;
  r.tsval = ++fx.peer_ts;
  fx.send(r);
  check_eq("exact RST: CLOSED", "CLOSED", state_name(c->state()));
  check_eq("exact RST: ECONNRESET", ECONNRESET, c->error());
  check(rec.saw(EV_ERROR | EV_CLOSED), "EV_ERROR | EV_CLOSED");
  check_eq("resets_received", uint64_t(24), fx.stack->stats().resets_received);
}

static void simultaneous_open()
{
  Fixture fx;
  Recorder rec;
  int err;
  auto c = fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 7000}, Options(), &rec, err);
  Seg syn = fx.take_one("SYN");
  Seg ps;
  ps.sport = 7000, ps.dport = syn.sport, ps.seq = 300, ps.flags = F_SYN, ps.mss = 1400;
  ps.ts = true, ps.tsval = 50, ps.sack_ok = true, ps.ws = 2;
  fx.send(ps);
  Seg sa = fx.take_one("SYN-ACK after the crossing SYN");
  check_eq("SYN-ACK flags", int(F_SYN | F_ACK), int(sa.flags));
  check_eq("SYN-ACK keeps our ISS", syn.seq, sa.seq);
  check_eq("SYN-ACK acks their SYN", 301u, sa.ack);
  check(sa.ts && sa.tsecr == 50 && sa.ws == 7 && sa.sack_ok, "SYN-ACK carries the options");
  check_eq("SYN-RECEIVED", "SYN-RECEIVED", state_name(c->state()));
  Seg psa = ps;
  psa.flags = F_SYN | F_ACK;
  psa.ack = syn.seq + 1;
  psa.tsval = 51;
  psa.tsecr = sa.tsval;
  fx.send(psa);
  Seg a = fx.take_one("ACK completing the simultaneous open");
  check_eq("its ack", 301u, a.ack);
  check_eq("ESTABLISHED", "ESTABLISHED", state_name(c->state()));
  check(rec.saw(EV_CONNECTED), "EV_CONNECTED");
  check_eq("mss with timestamps", 1388, int(c->mss()));
}

static void syn_retransmit()
{
  Config cfg;
  cfg.syn_retries = 2;
  Fixture fx(cfg);
  Recorder rec;
  int err;
  auto c = fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 80}, Options(), &rec, err);
  Seg syn = fx.take_one("SYN");
  fx.advance(999 * MS);
  check_eq("nothing before the 1 s RTO", size_t(0), fx.take().size());
  fx.advance(1 * MS);
  Seg r1 = fx.take_one("SYN retransmitted after 1 s");
  check_eq("same ISS", syn.seq, r1.seq);
  fx.advance(1999 * MS);
  check_eq("nothing before 2 s more", size_t(0), fx.take().size());
  fx.advance(1 * MS);
  fx.take_one("SYN retransmitted after 2 s more");
  fx.advance(3999 * MS);
  check_eq("still SYN-SENT", "SYN-SENT", state_name(c->state()));
  fx.advance(1 * MS);
  check_eq("gave up: ETIMEDOUT", ETIMEDOUT, c->error());
  check(rec.saw(EV_ERROR | EV_CLOSED), "EV_ERROR | EV_CLOSED on giving up");
  check_eq("stack timeouts", uint64_t(2), fx.stack->stats().timeouts);

  // Retransmitted SYN: after the handshake the RTO is 3 s and IW one segment.
  Fixture f2;
  Recorder r2;
  auto c2 = f2.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 80}, Options(), &r2, err);
  Seg s2 = f2.take_one("SYN");
  f2.advance(SEC);
  f2.take_one("SYN again");
  Seg sa;
  sa.sport = 80, sa.dport = s2.sport, sa.seq = 1, sa.ack = s2.seq + 1, sa.flags = F_SYN | F_ACK;
  sa.mss = 1460;
  f2.send(sa);
  f2.take_one("ACK");
  check_eq("IW is one segment after a lost SYN", 1460u, c2->cwnd());
  std::vector<uint8_t> d(100, 7);
  c2->write(d.data(), d.size());
  f2.take_one("data");
  f2.advance(2999 * MS);
  check_eq("no retransmission before 3 s", size_t(0), f2.take().size());
  f2.advance(1 * MS);
  f2.take_one("retransmission at 3 s (RFC 6298 5.7)");

  // A duplicate SYN to SYN-RECEIVED gets the SYN-ACK again.
  Fixture f3;
  int e3;
  Endpoint ep{0, 80};
  auto l = f3.stack->listen(ep, 4, e3);
  Seg syn3;
  syn3.sport = 999, syn3.dport = 80, syn3.seq = 10, syn3.flags = F_SYN;
  f3.send(syn3);
  Seg sa1 = f3.take_one("SYN-ACK");
  f3.send(syn3);
  Seg sa2 = f3.take_one("SYN-ACK again for the duplicate SYN");
  check(sa2.has(F_SYN | F_ACK) && sa2.seq == sa1.seq, "same SYN-ACK");
}

void test_handshake()
{
  group("handshake");
  handshake_active();
  handshake_passive();
  closed_port();
  syn_sent_rst();
  rfc5961();
  simultaneous_open();
  syn_retransmit();
}

}  // namespace tt
