// Random segments, well-formed and not, at listeners and connections in
// every state: nothing may crash (the sanitizers watch), the memory
// counted must be the memory held, and the host must always know the
// earliest deadline.
#include <algorithm>

#include "harness.hpp"

namespace tt {

namespace {

struct Fuzzer {
  std::mt19937_64 rng;
  explicit Fuzzer(uint64_t seed) : rng(seed) {}
  uint32_t u32() { return uint32_t(rng()); }
  bool one_in(unsigned n) { return rng() % n == 0; }

  // A segment near the connection's numbers most of the time, so that it
  // gets past the sequence checks and into the state machine.
  std::vector<uint8_t> segment(const Fixture& fx, uint16_t sport, uint16_t dport)
  {
    Seg s;
    s.sport = sport;
    s.dport = dport;
    s.seq = one_in(4) ? u32() : fx.peer_nxt + uint32_t(int32_t(rng() % 20000) - 5000);
    s.ack = one_in(4) ? u32() : fx.eng_nxt + uint32_t(int32_t(rng() % 20000) - 10000);
    s.flags = uint8_t(rng() % 64);
    if (!one_in(10))
      s.flags = uint8_t((s.flags & (F_FIN | F_PSH)) | F_ACK | (one_in(100) ? F_RST : 0)
                        | (one_in(100) ? F_SYN : 0));
    if ((s.flags & F_FIN) && !one_in(10))
      s.flags &= uint8_t(~F_FIN);
    s.wnd = uint16_t(one_in(5) ? 0 : rng());
    if (one_in(3)) {
      s.ts = true;
      s.tsval = fx.peer_ts + uint32_t(int32_t(rng() % 200) - 100);
      s.tsecr = fx.last_tsval;
    }
    if (one_in(4)) {
      int n = int(rng() % 4);
      for (int i = 0; i < n; i++) {
        uint32_t b = fx.eng_nxt + uint32_t(rng() % 30000);
        s.sacks.push_back({b, b + uint32_t(rng() % 5000)});
      }
    }
    if (one_in(10))
      s.mss = int(rng() % 2000);
    if (one_in(10))
      s.ws = int(rng() % 20);
    size_t len = one_in(2) ? 0 : rng() % 3000;
    s.data = bytes_of(9, rng() % 100000, len);
    std::vector<uint8_t> b = build(s, PEER, LOCAL);
    if (one_in(15) && b.size() > 20) {
      // Malformed: a bad data offset, a truncation or a bad option length.
      switch (rng() % 3) {
      case 0: b[12] = uint8_t((rng() % 16) << 4); break;
      case 1: b.resize(rng() % b.size()); break;
      default:
        if (b.size() > 22 && (b[12] >> 4) > 5)
          b[21] = uint8_t(rng());
      }
      uint16_t sum = ref_checksum(PEER, LOCAL, b.data(), b.size());
      if (b.size() >= 18) {
        b[16] = b[17] = 0;
        sum = ref_checksum(PEER, LOCAL, b.data(), b.size());
        b[16] = uint8_t(sum >> 8);
        b[17] = uint8_t(sum);
      }
    }
    return b;
  }
};

size_t held_memory(Fixture& fx, const std::vector<std::shared_ptr<Connection>>& mine)
{
  std::vector<Connection*> all;
  for (auto& c : fx.stack->connections())
    all.push_back(c.get());
  for (auto& c : mine)
    all.push_back(c.get());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  size_t n = 0;
  for (Connection* c : all)
    n += c->memory();
  return n;
}

}  // namespace

void test_fuzz()
{
  group("fuzz");
  int bad_memory = 0, bad_deadline = 0, rounds = 0, opened_total = 0;
  for (uint64_t seed = 1; seed <= 12; seed++) {
    Config cfg;
    cfg.msl_ns = 2 * SEC;
    cfg.memory_limit = seed % 3 == 0 ? 64u << 10 : 32u << 20;
    Fixture fx(cfg, seed);
    Fuzzer fz(seed);
    Recorder rec;
    std::shared_ptr<Listener> l;
    std::vector<std::shared_ptr<Connection>> mine;
    rec.hook = [&](Connection& c, unsigned ev) {
      if (ev & EV_READABLE) {
        std::vector<uint8_t> b(c.readable());
        c.read(b.data(), b.size() / 2 + 1);
      }
      if ((ev & EV_FIN) && fz.one_in(2))
        c.close();
    };
    std::shared_ptr<Connection> c;
    int opened = 0;
    auto reopen = [&] {
      // A new connection whenever the last one is gone, every kind in turn.
      uint16_t pport = uint16_t(40000 + opened);
      opened++;
      c = fz.one_in(2)
              ? fx.open_active(rec, pport, fz.u32(), fz.one_in(2), fz.one_in(2), fz.one_in(2))
              : fx.open_passive(rec, l, 80, pport, fz.u32(), fz.one_in(2),
                                fz.one_in(2), fz.one_in(2));
      mine.push_back(c);
    };
    reopen();
    std::vector<uint8_t> d = bytes_of(10, 0, 20000);
    for (int i = 0; i < 3000; i++) {
      rounds++;
      switch (fz.rng() % 10) {
      case 0:
        c->write(d.data(), fz.rng() % d.size(), fz.one_in(4));
        break;
      case 1:
        fx.advance(fz.rng() % (300 * MS));
        break;
      case 2:
        if (fz.one_in(20))
          fz.one_in(2) ? c->shutdown_write() : c->close();
        break;
      case 3: {                                    // a stranger, or a new SYN
        auto b = fz.segment(fx, uint16_t(1000 + fz.rng() % 50), fz.one_in(2) ? 80 : 81);
        fx.send_raw(b);
        break;
      }
      default: {
        auto b = fz.segment(fx, fx.peer_port, fx.eng_port);
        fx.send_raw(b);
      }
      }
      // Follow the engine's numbers, so that the next segments fit.
      for (auto& out : fx.take())
        if (out.dport == fx.peer_port && out.has(F_ACK) && !out.has(F_RST)) {
          fx.peer_nxt = out.ack;
          fx.eng_nxt = out.seq + uint32_t(out.data.size());
        }
      if (c->state() == State::CLOSED && opened < 40)
        reopen();
      if (fx.stack->memory_used() != held_memory(fx, mine))
        bad_memory++;
      if (fx.host.deadline != fx.stack->next_deadline())
        bad_deadline++;
    }
    fx.advance(600 * SEC);
    if (fx.stack->memory_used() != held_memory(fx, mine))
      bad_memory++;
    opened_total += opened;
  }
  check_eq("memory_used() is the sum of what connections hold", 0, bad_memory);
  check_eq("the host always knows the earliest deadline", 0, bad_deadline);
  check(rounds == 36000, "36000 random steps survived");
  check(opened_total > 100, "connections in many states", "> 100 opened",
        std::to_string(opened_total));
}

}  // namespace tt
