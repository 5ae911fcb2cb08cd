// Limits and bookkeeping: SYN and accept backlogs, the memory budget,
// max_connections, ISNs, ephemeral ports, reserve/listen/connect rules,
// listener close, handler re-entrancy, ICMP, the stack going away, the
// host's deadline.
#include <algorithm>
#include <cerrno>
#include <set>

#include "harness.hpp"

namespace tt {

namespace {

Seg syn_from(uint16_t sport, uint16_t dport, uint32_t seq)
{
  Seg s;
  s.sport = sport, s.dport = dport, s.seq = seq, s.flags = F_SYN, s.mss = 1460;
  return s;
}

// Complete a handshake to `port` from `sport` by hand; true if it got a SYN-ACK.
bool handshake(Fixture& fx, uint16_t sport, uint16_t port, uint32_t isn)
{
  fx.send(syn_from(sport, port, isn));
  std::vector<Seg> v = fx.take();
  if (v.size() != 1 || !v[0].has(F_SYN | F_ACK))
    return false;
  Seg a;
  a.sport = sport, a.dport = port, a.seq = isn + 1, a.ack = v[0].seq + 1, a.flags = F_ACK;
  fx.send(a);
  return true;
}

void backlogs()
{
  Config cfg;
  cfg.syn_retries = 2;
  Fixture fx(cfg);
  int err;
  Endpoint ep{0, 80};
  auto l = fx.stack->listen(ep, 2, err);
  int synacks = 0;
  for (uint16_t p = 2000; p < 2020; p++) {
    fx.send(syn_from(p, 80, 100));
    synacks += int(fx.take().size());
  }
  check_eq("half-open children: min(syn_backlog, max(2 * backlog, 16))", 16, synacks);
  check_eq("the rest dropped and counted", uint64_t(4), fx.stack->stats().refused_backlog);
  fx.advance(7 * SEC - MS);
  size_t rexmits = fx.take().size();
  check_eq("each SYN-ACK retransmitted syn_retries times", size_t(32), rexmits);
  fx.advance(MS);
  check_eq("half-open children expire", size_t(0), fx.stack->active_connections());
  check_eq("silently", size_t(0), fx.take().size());

  Config c2;
  c2.syn_backlog = 5;
  Fixture f2(c2);
  auto l2 = f2.stack->listen(ep, 100, err);
  int n = 0;
  for (uint16_t p = 3000; p < 3010; p++) {
    f2.send(syn_from(p, 80, 100));
    n += int(f2.take().size());
  }
  check_eq("Config::syn_backlog caps half-open children", 5, n);

  Fixture f3;
  Accept_recorder ar;
  auto l3 = f3.stack->listen(ep, 2, err);
  l3->set_handler(&ar);
  bool ok = handshake(f3, 4000, 80, 1) && handshake(f3, 4001, 80, 1);
  check(ok, "two handshakes complete");
  check_eq("pending()", size_t(2), l3->pending());
  check_eq("tcp_accept_ready once per child", 2, ar.calls);
  f3.send(syn_from(4002, 80, 1));
  check_eq("accept queue full: the SYN is dropped", size_t(0), f3.take().size());
  check_eq("refused_backlog", uint64_t(1), f3.stack->stats().refused_backlog);
  auto c = l3->accept();
  check(c && c->remote().port == 4000, "accept() gives the oldest");
  check(handshake(f3, 4002, 80, 1), "room again after accept()");
}

void memory_budget()
{
  Config cfg;
  cfg.memory_limit = 128u << 10;
  Fixture fx(cfg);
  Recorder rec;
  std::shared_ptr<Listener> l;
  auto c = fx.open_passive(rec, l, 80, 40000, 1000, true, true, true);
  const uint32_t total = 160000;
  uint32_t base = fx.peer_nxt, off = 0;
  std::vector<uint8_t> got;
  // The peer pushes regardless of the window; the engine keeps what fits.
  for (int round = 0; round < 200 && got.size() < total; round++) {
    uint32_t acked = off;
    for (int k = 0; k < 120 && off < total; k++) {
      uint32_t n = std::min<uint32_t>(1448, total - off);
      Seg s = fx.peer_seg(F_ACK, bytes_of(7, off, n));
      s.seq = base + off;
      fx.send(s);
      off += n;
    }
    fx.advance(50 * MS);
    for (auto& s : fx.take())
      acked = s.ack - base;
    if (round == 0) {
      check(fx.stack->memory_used() <= cfg.memory_limit, "memory stays under the limit",
            "<= 131072", std::to_string(fx.stack->memory_used()));
      check(fx.stack->stats().dropped_no_memory > 0, "what does not fit is dropped",
            "> 0", std::to_string(fx.stack->stats().dropped_no_memory));
      int err = 0;
      Recorder r2;
      auto c2 = fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 81}, Options(), &r2, err);
      check(!c2 && err == ENOBUFS, "connect() with the budget spent: ENOBUFS", "ENOBUFS",
            std::to_string(err));
      fx.send(syn_from(41000, 80, 5));
      check_eq("a SYN with the budget spent gets nothing", size_t(0), fx.take().size());
      check_eq("refused_memory", uint64_t(2), fx.stack->stats().refused_memory);
      uint8_t x[100];
      check_eq("write() accepts nothing", size_t(0), c->write(x, sizeof x));
    }
    size_t n = c->readable();
    size_t old = got.size();
    got.resize(old + n);
    c->read(got.data() + old, n);
    off = acked;                             // go back to what was acknowledged
  }
  check_eq("all data arrived", size_t(total), got.size());
  check(got == bytes_of(7, 0, total), "intact and in order");
  check_eq("still established", "ESTABLISHED", state_name(c->state()));
  Recorder r3;
  int err = 0;
  auto c3 = fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 81}, Options(), &r3, err);
  check(c3 && err == 0, "budget free again: connect() works", "0", std::to_string(err));
}

void max_connections()
{
  Config cfg;
  cfg.max_connections = 3;
  cfg.msl_ns = 10 * SEC;
  Fixture fx(cfg);
  Recorder rec;
  std::vector<std::shared_ptr<Connection>> cs;
  int err = 0;
  for (int i = 0; i < 3; i++)
    cs.push_back(fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, uint16_t(100 + i)}, Options(),
                                   &rec, err));
  check(cs[2] && err == 0, "three connections");
  auto c4 = fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 200}, Options(), &rec, err);
  check(!c4 && err == ENOBUFS, "the fourth: ENOBUFS", "ENOBUFS", std::to_string(err));
  for (auto& c : cs)
    c->abort();
  fx.take();
  // Three in TIME-WAIT; a new one recycles the oldest.
  std::vector<std::shared_ptr<Connection>> tw;
  Recorder r2;
  for (int i = 0; i < 3; i++) {
    tw.push_back(fx.open_active(r2, uint16_t(300 + i), 1000, false, false, false));
    tw.back()->close();
    fx.take();
    fx.eng_nxt++;
    Seg fa = fx.peer_seg(F_FIN | F_ACK);
    fx.send(fa);
    fx.take();
  }
  check_eq("three in TIME-WAIT", "TIME-WAIT", state_name(tw[0]->state()));
  auto c5 = fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 400}, Options(), &rec, err);
  check(c5 && err == 0, "a full table recycles a TIME-WAIT", "0", std::to_string(err));
  check_eq("the oldest one went", "CLOSED", state_name(tw[0]->state()));
  check_eq("the others stay", "TIME-WAIT", state_name(tw[1]->state()));
}

void isn_and_ports()
{
  Fixture fx;
  Recorder rec;
  int err;
  auto a = fx.stack->connect(Endpoint{0, 40000}, Endpoint{PEER, 80}, Options(), &rec, err);
  uint32_t i1 = fx.take_one("SYN 1").seq;
  a->abort();
  fx.advance(SEC);
  auto b = fx.stack->connect(Endpoint{0, 40000}, Endpoint{PEER, 80}, Options(), &rec, err);
  uint32_t i2 = fx.take_one("SYN 2").seq;
  check_eq("same 4-tuple one second later: ISN + 250000 (4 us clock)", 250000u, i2 - i1);
  auto c = fx.stack->connect(Endpoint{0, 40000}, Endpoint{PEER, 81}, Options(), &rec, err);
  uint32_t i3 = fx.take_one("SYN 3").seq;
  int32_t d = int32_t(i3 - i2);
  check(d > 1000000 || d < -1000000, "another 4-tuple: an unrelated ISN", "far from " +
        std::to_string(i2), std::to_string(i3));
  b->abort();
  c->abort();

  Fixture f2;
  std::set<uint16_t> ports;
  bool in_range = true;
  int adjacent = 0, last = -1;
  std::vector<std::shared_ptr<Connection>> keep;
  for (int i = 0; i < 2000; i++) {
    auto x = f2.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 80}, Options(), &rec, err);
    if (!x)
      break;
    uint16_t p = x->local().port;
    in_range = in_range && p >= 49152;
    adjacent += last >= 0 && (p == last + 1);
    last = p;
    ports.insert(p);
    keep.push_back(x);
  }
  f2.host.out.clear();
  check_eq("2000 connects: 2000 distinct ports", size_t(2000), ports.size());
  check(in_range, "all in 49152-65535");
  check(adjacent < 20, "not sequential", "< 20 adjacent", std::to_string(adjacent));
}

void reservations()
{
  Fixture fx;
  int err;
  Endpoint e80{0, 80};
  auto l = fx.stack->listen(e80, 4, err);
  check(l && err == 0, "listen on *:80");
  Endpoint again{0, 80}, spec{LOCAL, 80};
  check(!fx.stack->listen(again, 4, err) && err == EADDRINUSE, "*:80 again: EADDRINUSE");
  check(!fx.stack->listen(spec, 4, err) && err == EADDRINUSE, "10.0.0.1:80: EADDRINUSE");
  check_eq("reserve *:80: EADDRINUSE", EADDRINUSE, fx.stack->reserve(again, false));
  check_eq("reuse_addr does not share a listener's port", EADDRINUSE, fx.stack->reserve(again, true));
  Endpoint r1{LOCAL, 8080}, r2{0, 8080};
  check_eq("reserve 10.0.0.1:8080", 0, fx.stack->reserve(r1, false));
  check_eq("*:8080 overlaps it", EADDRINUSE, fx.stack->reserve(r2, false));
  auto l2 = fx.stack->listen(r1, 4, err, true);
  check(l2 && err == 0, "listen() takes over the reservation");
  check_eq("open_ports", size_t(2), fx.stack->open_ports());
  Endpoint foreign{0x0B000001, 9000};
  check_eq("reserve a foreign address: EADDRNOTAVAIL", EADDRNOTAVAIL, fx.stack->reserve(foreign, false));
  check(!fx.stack->listen(foreign, 4, err) && err == EADDRNOTAVAIL, "listen on it: EADDRNOTAVAIL");
  Endpoint any{0, 0};
  check_eq("reserve port 0", 0, fx.stack->reserve(any, false));
  check(any.port >= 49152, "an ephemeral port written back", ">= 49152", std::to_string(any.port));
  Endpoint same = any;
  check_eq("it is taken", EADDRINUSE, fx.stack->reserve(same, false));
  fx.stack->release(any);
  check_eq("release() frees it", 0, fx.stack->reserve(same, false));
  fx.stack->release(same);

  // A TIME-WAIT connection holds its port unless reuse_addr.
  Recorder rec;
  auto c = fx.open_active(rec, 5000, 1000, false, false, false);
  uint16_t port = c->local().port;
  c->close();
  fx.take();
  fx.eng_nxt++;
  fx.send(fx.peer_seg(F_FIN | F_ACK));
  fx.take();
  check_eq("TIME-WAIT", "TIME-WAIT", state_name(c->state()));
  Endpoint tw{0, port};
  check_eq("a TIME-WAIT port without reuse_addr: EADDRINUSE", EADDRINUSE, fx.stack->reserve(tw, false));
  check_eq("with reuse_addr: allowed", 0, fx.stack->reserve(tw, true));
  fx.stack->release(tw);
  auto dup = fx.stack->connect(Endpoint{0, port}, Endpoint{PEER, 5000}, Options(), &rec, err);
  check(!dup && err == EADDRINUSE, "connect() onto an existing 4-tuple: EADDRINUSE", "EADDRINUSE",
        std::to_string(err));
  check(!fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 0}, Options(), &rec, err) && err == EINVAL,
        "remote port 0: EINVAL");
  check(!fx.stack->connect(Endpoint{foreign.addr, 0}, Endpoint{PEER, 1}, Options(), &rec, err)
        && err == EADDRNOTAVAIL, "a foreign local address: EADDRNOTAVAIL");
  fx.host.route = false;
  check(!fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 1}, Options(), &rec, err)
        && err == ENETUNREACH, "no route: ENETUNREACH");
  fx.host.route = true;
  Endpoint mine{0, 7000};
  fx.stack->reserve(mine, false);
  auto cr = fx.stack->connect(mine, Endpoint{PEER, 1}, Options(), &rec, err, true);
  check(cr && cr->local().port == 7000, "connect() from a reserved port");
  cr->abort();
  fx.take();
  check_eq("its port is free once the connection is gone", 0, fx.stack->reserve(mine, false));
}

void listener_close()
{
  Fixture fx;
  int err;
  Endpoint ep{0, 80};
  auto l = fx.stack->listen(ep, 4, err);
  handshake(fx, 5000, 80, 10);
  handshake(fx, 5001, 80, 10);
  fx.send(syn_from(5002, 80, 10));
  fx.take();
  std::vector<std::shared_ptr<Connection>> kids = fx.stack->connections();
  check_eq("three children", size_t(3), kids.size());
  l->close();
  std::vector<Seg> v = fx.take();
  int rsts = 0;
  for (auto& s : v)
    rsts += s.has(F_RST);
  check_eq("every child is reset", 3, rsts);
  int aborted = 0;
  for (auto& k : kids)
    aborted += k->error() == ECONNABORTED;
  check_eq("queued children: ECONNABORTED", 2, aborted);
  check_eq("open_ports", size_t(0), fx.stack->open_ports());
  check_eq("no connections", size_t(0), fx.stack->active_connections());
  fx.send(syn_from(5003, 80, 10));
  Seg r = fx.take_one("the port is closed");
  check(r.has(F_RST), "RST");
  auto l2 = fx.stack->listen(ep, 4, err);
  check(l2 != nullptr, "listen again");
  l2.reset();
  check_eq("dropping the last pointer closes a listener", size_t(0), fx.stack->open_ports());
}

void reentrancy()
{
  Fixture fx;
  Recorder rec;
  std::shared_ptr<Connection> owner = fx.open_active(rec, 80, 1000, true, true, true);
  std::shared_ptr<Connection> second;
  int calls = 0;
  rec.hook = [&](Connection& c, unsigned ev) {
    calls++;
    if (ev & EV_READABLE) {
      std::vector<uint8_t> b(c.readable());
      c.read(b.data(), b.size());
      c.write(b.data(), b.size());           // write from EV_READABLE
      int err;
      second = fx.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 90}, Options(), nullptr, err);
    }
    if (ev & EV_FIN) {
      c.close();                             // close from EV_FIN
      owner.reset();                         // and let go of the last owner pointer
    }
  };
  fx.send(fx.peer_seg(F_ACK | F_PSH, {1, 2, 3}));
  fx.peer_nxt += 3;
  std::vector<Seg> v = fx.take();
  bool echoed = false, syn = false;
  for (auto& s : v) {
    echoed = echoed || (s.data.size() == 3 && s.data[0] == 1);
    syn = syn || (s.has(F_SYN) && s.dport == 90);
  }
  check(echoed, "write() from the handler sent the echo");
  check(syn, "connect() from the handler sent a SYN");
  fx.eng_nxt += 3;
  Connection* raw = owner.get();
  fx.send(fx.peer_seg(F_FIN | F_ACK));
  fx.peer_nxt++;
  v = fx.take();
  bool fin = false;
  for (auto& s : v)
    fin = fin || s.has(F_FIN);
  check(fin, "close() from the EV_FIN handler sent our FIN");
  check(!owner, "the owner let go inside the handler");
  check_eq("the stack keeps it in LAST-ACK", "LAST-ACK", state_name(raw->state()));
  rec.hook = nullptr;
  fx.eng_nxt++;
  fx.send(fx.peer_seg(F_ACK));
  check_eq("done", size_t(1), fx.stack->active_connections());   // `second` remains
  second->abort();
  fx.take();
  check(calls >= 3, "handlers ran", ">= 3", std::to_string(calls));

  // abort() from inside a handler, on the connection being reported.
  Fixture f2;
  Recorder r2;
  auto c2 = f2.open_active(r2, 80, 1000, true, true, true);
  r2.hook = [&](Connection& c, unsigned ev) {
    if (ev & EV_READABLE)
      c.abort();
  };
  f2.send(f2.peer_seg(F_ACK, {1}));
  check_eq("abort() in the handler", "CLOSED", state_name(c2->state()));
  check(r2.saw(EV_CLOSED), "EV_CLOSED delivered after the handler's abort()");
}

void icmp()
{
  Fixture fx;
  Recorder rec;
  auto c = fx.open_active(rec, 80, 1000, true, true, true);
  std::vector<uint8_t> d = bytes_of(8, 0, 3000);
  c->write(d.data(), d.size());
  fx.take();
  auto quote = [&](uint32_t seq, uint16_t dport) {
    std::vector<uint8_t> q(28, 0);
    q[0] = 0x45, q[9] = 6;
    uint32_t s = LOCAL, t = PEER;
    for (int i = 0; i < 4; i++) {
      q[12 + i] = uint8_t(s >> (24 - 8 * i));
      q[16 + i] = uint8_t(t >> (24 - 8 * i));
      q[24 + i] = uint8_t(seq >> (24 - 8 * i));
    }
    q[20] = uint8_t(c->local().port >> 8), q[21] = uint8_t(c->local().port);
    q[22] = uint8_t(dport >> 8), q[23] = uint8_t(dport);
    return q;
  };
  auto q = quote(fx.eng_nxt - 100000, 80);
  fx.stack->icmp_error(3, 4, 1000, q.data(), q.size());
  check_eq("ICMP about a sequence number not in flight: ignored", 1448, int(c->mss()));
  q = quote(fx.eng_nxt, 80);
  fx.stack->icmp_error(3, 4, 1000, q.data(), q.size());
  check_eq("fragmentation needed: MSS from the next-hop MTU", 1000 - 40 - 12, int(c->mss()));
  std::vector<Seg> v = fx.take();
  check(!v.empty() && v[0].seq == fx.eng_nxt && v[0].data.size() == 948,
        "the data in flight goes again at the new size", "948 bytes at SND.UNA",
        v.empty() ? "nothing" : std::to_string(v[0].data.size()));
  fx.stack->icmp_error(3, 1, 0, q.data(), q.size());
  check_eq("host unreachable is a soft error", "ESTABLISHED", state_name(c->state()));

  Fixture f2;
  Recorder r2;
  int err;
  auto s = f2.stack->connect(Endpoint{0, 0}, Endpoint{PEER, 80}, Options(), &r2, err);
  Seg syn = f2.take_one("SYN");
  std::vector<uint8_t> q2(28, 0);
  q2[0] = 0x45, q2[9] = 6;
  for (int i = 0; i < 4; i++) {
    q2[12 + i] = uint8_t(LOCAL >> (24 - 8 * i));
    q2[16 + i] = uint8_t(PEER >> (24 - 8 * i));
    q2[24 + i] = uint8_t(syn.seq >> (24 - 8 * i));
  }
  q2[20] = uint8_t(syn.sport >> 8), q2[21] = uint8_t(syn.sport), q2[23] = 80;
  f2.stack->icmp_error(3, 3, 0, q2.data(), q2.size());
  check_eq("port unreachable in SYN-SENT: not at once", "SYN-SENT", state_name(s->state()));
  f2.advance(SEC);
  check_eq("but at the RTO: ECONNREFUSED", ECONNREFUSED, s->error());
}

void stack_lifetime()
{
  uint64_t clock = 0;
  Sim_host host(clock, LOCAL, 3);
  auto stack = std::make_unique<Stack>(host);
  Recorder rec;
  int err;
  auto c = stack->connect(Endpoint{0, 0}, Endpoint{PEER, 80}, Options(), &rec, err);
  Endpoint ep{0, 80};
  auto l = stack->listen(ep, 4, err);
  check_eq("host told the deadline", stack->next_deadline(), host.deadline);
  check(host.deadline == clock + SEC, "the SYN's RTO is the earliest deadline");
  stack.reset();
  uint8_t b[10] = {};
  check_eq("write() after the stack is gone", size_t(0), c->write(b, 10));
  check_eq("read()", size_t(0), c->read(b, 10));
  c->close();
  c->abort();
  l->close();
  l.reset();
  c.reset();
  check(true, "connections and listeners outlive the stack safely");

  Fixture fx;
  Recorder r2;
  auto c2 = fx.open_active(r2, 80, 1000, true, true, true);
  c2->abort();
  fx.take();
  check_eq("no timers left: deadline 0", uint64_t(0), fx.host.deadline);
  check_eq("next_deadline() 0", uint64_t(0), fx.stack->next_deadline());
}

}  // namespace

void test_limits()
{
  group("limits");
  backlogs();
  memory_budget();
  max_connections();
  isn_and_ports();
  reservations();
  listener_close();
  reentrancy();
  icmp();
  stack_lifetime();
}

}  // namespace tt
