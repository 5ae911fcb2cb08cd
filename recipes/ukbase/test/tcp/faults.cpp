// Two engines connected through a simulated link with delay, bandwidth,
// a bounded queue, loss, reordering, duplication and corruption. Every
// byte must arrive exactly once and in order, and both sides must close
// cleanly.
#include <algorithm>
#include <cmath>
#include <map>

#include "harness.hpp"

namespace tt {

namespace {

constexpr uint32_t A_ADDR = 0x0A000001, B_ADDR = 0x0A000002;

struct Dir {
  uint64_t delay = 5 * MS;
  double bw_bps = 100e6;
  double loss = 0, reorder = 0, dup = 0, corrupt = 0;
  uint64_t queue_ns = 20 * MS;   // the bottleneck's buffer, as time to drain it
  uint64_t busy_until = 0;
  uint64_t sent = 0, dropped = 0, corrupted = 0;
};

struct Link {
  Dir dir[2];
  std::mt19937_64 rng;
  struct Pkt {
    int to;
    Packet p;
    bool corrupt;
  };
  uint64_t corrupt_delivered = 0;
  std::multimap<std::pair<uint64_t, uint64_t>, Pkt> queue;   // (arrival, order)
  uint64_t order = 0;

  double uniform() { return double(rng() >> 11) / double(1ull << 53); }

  void send(int from, Packet&& p, uint64_t now)
  {
    Dir& d = dir[from];
    d.sent++;
    uint64_t start = std::max(now, d.busy_until);
    if (start - now > d.queue_ns) {           // the queue is full: tail drop
      d.dropped++;
      return;
    }
    d.busy_until = start + uint64_t(double(p.bytes.size() + 40) * 8e9 / d.bw_bps);
    if (uniform() < d.loss) {
      d.dropped++;
      return;
    }
    uint64_t at = d.busy_until + d.delay;
    if (uniform() < d.reorder)
      at += uint64_t(uniform() * double(d.delay) * 2) + 1;
    if (uniform() < d.dup) {
      Packet copy = p;
      queue.emplace(std::make_pair(at + 1 + rng() % (d.delay + 1), order++),
                    Pkt{1 - from, copy, false});
    }
    bool bad = uniform() < d.corrupt && !p.bytes.empty();
    if (bad) {
      size_t i = size_t(rng() % p.bytes.size());
      p.bytes[i] ^= uint8_t(1 + rng() % 255);   // one byte: the checksum must catch it
      d.corrupted++;
    }
    queue.emplace(std::make_pair(at, order++), Pkt{1 - from, std::move(p), bad});
  }
  uint64_t next() const { return queue.empty() ? 0 : queue.begin()->first.first; }
};

// One side's application: writes its stream in random pieces, reads and
// checks the other's, shuts down once all is written, closes at EOF.
struct Flow : Handler {
  std::shared_ptr<Connection> c;
  uint64_t out_id = 0, in_id = 0;
  size_t to_send = 0, sent = 0, received = 0;
  bool shut = false, eof = false, closed = false, error = false, bad = false;
  std::mt19937 rng;
  std::vector<uint8_t> buf;

  size_t piece()
  {
    bool big = rng() % 4 == 0;             // two draws, in a fixed order
    return 1 + rng() % (big ? 65536 : 3000);
  }

  void pump()
  {
    if (!c || closed)
      return;
    while (sent < to_send) {
      size_t n = std::min(std::min(piece(), to_send - sent), c->writable());
      if (!n)
        break;
      buf.resize(n);
      fill_pattern(buf.data(), n, out_id, sent);
      size_t w = c->write(buf.data(), n, rng() % 8 == 0);
      sent += w;
      if (w < n)
        break;
    }
    if (sent == to_send && !shut && c->state() != State::SYN_SENT) {
      c->shutdown_write();
      shut = true;
    }
    while (size_t avail = c->readable()) {
      size_t n = std::min(avail, piece());
      buf.resize(n);
      c->read(buf.data(), n);
      if (!check_pattern(buf.data(), n, in_id, received))
        bad = true;
      received += n;
    }
    if (c->fin_received() && !c->readable())
      eof = true;
    if (eof && shut && !closed) {
      closed = true;
      c->close();
    }
  }
  void tcp_event(Connection&, unsigned ev) override
  {
    if (ev & EV_ERROR)
      error = true;
    pump();
  }
};

struct World : Listener_handler {
  uint64_t clock = 1000 * SEC;
  Link link;
  Sim_host ha, hb;
  std::unique_ptr<Stack> a, b;
  std::shared_ptr<Listener> listener;
  std::vector<std::unique_ptr<Flow>> servers;
  uint64_t server_seed = 0;
  size_t server_bytes = 0;
  Options server_opts;

  World(uint64_t seed, const Config& ca, const Config& cb)
      : ha(clock, A_ADDR, seed * 2 + 1), hb(clock, B_ADDR, seed * 2 + 2)
  {
    link.rng.seed(seed * 7 + 3);
    ha.sink = [this](Packet&& p) { link.send(0, std::move(p), clock); };
    hb.sink = [this](Packet&& p) { link.send(1, std::move(p), clock); };
    a.reset(new Stack(ha, ca));
    b.reset(new Stack(hb, cb));
  }

  void tcp_accept_ready(Listener& l) override
  {
    while (auto c = l.accept()) {
      auto f = std::make_unique<Flow>();
      f->c = c;
      f->rng.seed(uint32_t(server_seed + servers.size()));
      f->out_id = 1000000 + c->remote().port;
      f->in_id = c->remote().port;
      f->to_send = server_bytes;
      c->set_options(server_opts);
      c->set_handler(f.get());
      Flow* raw = f.get();
      servers.push_back(std::move(f));
      raw->pump();
    }
  }

  /// Host b listens on port 80, accepting with tcp_accept_ready().
  void listen(int backlog)
  {
    int err;
    Endpoint ep{0, 80};
    listener = b->listen(ep, backlog, err);
    listener->set_handler(this);
  }

  /// Run until `done` or `limit` of simulated time; false on timeout.
  template <class Done>
  bool run(Done done, uint64_t limit)
  {
    // The applications run from their handlers' events only.
    uint64_t end = clock + limit;
    while (!done()) {
      uint64_t next = 0;
      for (uint64_t t : {link.next(), ha.deadline, hb.deadline})
        if (t && (!next || t < next))
          next = t;
      if (!next || next > end)
        return false;
      if (next > clock)
        clock = next;
      while (link.next() && link.next() <= clock) {
        auto it = link.queue.begin();
        Link::Pkt pk = std::move(it->second);
        link.queue.erase(it);
        link.corrupt_delivered += pk.corrupt;
        Stack& s = pk.to == 1 ? *b : *a;
        s.input(pk.p.src, pk.p.dst, pk.p.bytes.data(), pk.p.bytes.size());
      }
      if (ha.deadline && ha.deadline <= clock)
        a->on_timer();
      if (hb.deadline && hb.deadline <= clock)
        b->on_timer();
    }
    return true;
  }
};

bool finished(const Flow& f, size_t expect)
{
  if (!f.c || !f.closed || f.received != expect || f.sent != f.to_send)
    return false;
  State s = f.c->state();
  return s == State::CLOSED || s == State::TIME_WAIT;
}

std::string describe(const Flow& f)
{
  return std::string(f.c ? state_name(f.c->state()) : "none") + " sent " +
         std::to_string(f.sent) + "/" + std::to_string(f.to_send) + " received " +
         std::to_string(f.received) + (f.bad ? " BAD DATA" : "") + (f.error ? " error" : "") +
         (f.c ? " errno " + std::to_string(f.c->error()) : "");
}

void one_seed(int seed, size_t bytes)
{
  std::mt19937_64 r(uint64_t(seed) * 1000003);
  auto uni = [&](double lo, double hi) { return lo + (hi - lo) * double(r() >> 11) / double(1ull << 53); };
  Config ca, cb;
  for (Config* c : {&ca, &cb}) {
    c->timestamps = r() % 4 != 0;
    c->sack = r() % 4 != 0;
    c->window_scaling = r() % 5 != 0;
    c->default_rcvbuf = uint32_t(r() % 3 == 0 ? 64u << 10 : 256u << 10);
    c->msl_ns = 2 * SEC;
  }
  bool clean = seed % 5 == 0;
  World w(uint64_t(seed), ca, cb);
  for (Dir& d : w.link.dir) {
    d.delay = uint64_t(uni(1, 40) * double(MS));
    d.bw_bps = uni(10e6, 200e6);
    d.queue_ns = std::max<uint64_t>(2 * d.delay, 5 * MS);
    if (!clean) {
      d.loss = uni(0, 0.04);
      d.reorder = uni(0, 0.05);
      d.dup = uni(0, 0.02);
      d.corrupt = uni(0, 0.02);
    }
  }
  Options oa, ob;
  oa.nodelay = r() % 2;
  ob.nodelay = r() % 2;
  oa.delayed_ack = r() % 4 != 0;
  ob.delayed_ack = r() % 4 != 0;
  int err;
  w.listen(16);
  w.server_bytes = bytes;
  w.server_seed = uint64_t(seed);
  w.server_opts = ob;
  Flow client;
  client.rng.seed(uint32_t(seed));
  client.to_send = bytes;
  client.c = w.a->connect(Endpoint{0, 0}, Endpoint{B_ADDR, 80}, oa, &client, err);
  client.out_id = client.c->local().port;
  client.in_id = 1000000 + client.c->local().port;
  uint64_t t0 = w.clock;
  bool ok = w.run([&] {
    return !w.servers.empty() && finished(client, bytes) && finished(*w.servers[0], bytes);
  }, 3600 * SEC);
  double secs = double(w.clock - t0) / 1e9;
  char what[200];
  std::snprintf(what, sizeof what,
                "seed %d: %zu bytes each way, loss %.1f%%/%.1f%% reorder %.1f%% dup %.1f%% "
                "corrupt %.1f%%, ts %d/%d sack %d/%d: %.2f s, %.1f Mbit/s",
                seed, bytes, w.link.dir[0].loss * 100, w.link.dir[1].loss * 100,
                w.link.dir[0].reorder * 100, w.link.dir[0].dup * 100, w.link.dir[0].corrupt * 100,
                ca.timestamps, cb.timestamps, ca.sack, cb.sack, secs,
                double(bytes) * 8 / secs / 1e6);
  std::string got = "client " + describe(client) + "; server " +
                    (w.servers.empty() ? std::string("none") : describe(*w.servers[0]));
  bool intact = !client.bad && (w.servers.empty() || !w.servers[0]->bad);
  check(ok && intact, what, "both sides done, data intact, CLOSED/TIME-WAIT", got);
  if (ok) {
    uint64_t corrupted = w.link.corrupt_delivered;
    // A flip in the header may make it malformed before the checksum is looked at.
    uint64_t caught = w.a->stats().bad_checksum + w.b->stats().bad_checksum
                      + w.a->stats().malformed + w.b->stats().malformed;
    check(caught == corrupted, "every corrupted segment caught by the checksum",
          std::to_string(corrupted) + " corrupted", std::to_string(caught) + " caught");
    check(w.a->memory_used() == 0 && w.b->memory_used() == 0, "all buffer memory returned",
          "0", std::to_string(w.a->memory_used()) + "/" + std::to_string(w.b->memory_used()));
  }
}

void many_connections(size_t n, size_t bytes)
{
  Config ca, cb;
  ca.msl_ns = cb.msl_ns = 2 * SEC;
  World w(99, ca, cb);
  for (Dir& d : w.link.dir) {
    d.delay = 10 * MS;
    d.bw_bps = 100e6;
    d.loss = 0.01;
    d.reorder = 0.01;
    d.queue_ns = 50 * MS;
  }
  int err;
  w.listen(512);
  w.server_bytes = bytes;
  w.server_seed = 5;
  std::vector<std::unique_ptr<Flow>> clients;
  std::vector<Flow*> raw;
  for (size_t i = 0; i < n; i++) {
    auto f = std::make_unique<Flow>();
    f->rng.seed(uint32_t(i));
    f->to_send = bytes;
    f->c = w.a->connect(Endpoint{0, 0}, Endpoint{B_ADDR, 80}, Options(), f.get(), err);
    f->out_id = f->c->local().port;
    f->in_id = 1000000 + f->c->local().port;
    raw.push_back(f.get());
    clients.push_back(std::move(f));
  }
  uint64_t t0 = w.clock;
  bool ok = w.run([&] {
    if (w.servers.size() < n)
      return false;
    for (Flow* f : raw)
      if (!finished(*f, bytes))
        return false;
    for (auto& f : w.servers)
      if (!finished(*f, bytes))
        return false;
    return true;
  }, 3600 * SEC);
  size_t done = 0, bad = 0;
  for (Flow* f : raw)
    done += finished(*f, bytes), bad += f->bad;
  for (auto& f : w.servers)
    bad += f->bad;
  char what[160];
  std::snprintf(what, sizeof what, "%zu connections through one listener, %zu bytes each way, 1%% loss: %.2f s",
                n, bytes, double(w.clock - t0) / 1e9);
  check(ok && !bad, what, std::to_string(n) + " done, intact",
        std::to_string(done) + " done, " + std::to_string(bad) + " with bad data");
  check_eq("all accepted", n, w.servers.size());
}

}  // namespace

void test_faults(int seeds, size_t bytes, bool quick)
{
  group("faults");
  for (int s = 1; s <= seeds; s++)
    one_seed(s, bytes);
  many_connections(quick ? 50 : 200, 64u << 10);
}

namespace {

// `bytes` from A to B and, if `both`, from B to A at the same time.
void bulk(size_t bytes, bool both, uint32_t buf, double min_mbps)
{
  Config c;
  c.default_rcvbuf = c.default_sndbuf = buf;
  World w(7, c, c);
  for (Dir& d : w.link.dir) {
    d.delay = 1 * MS;
    d.bw_bps = 1e9;
    d.queue_ns = 4 * MS;
  }
  int err;
  w.listen(16);
  w.server_bytes = both ? bytes : 0;
  Flow client;
  client.to_send = bytes;
  client.c = w.a->connect(Endpoint{0, 0}, Endpoint{B_ADDR, 80}, Options(), &client, err);
  client.out_id = client.c->local().port;
  client.in_id = 1000000 + client.c->local().port;
  uint64_t t0 = w.clock;
  size_t back = both ? bytes : 0;
  bool ok = w.run([&] {
    return !w.servers.empty() && client.received == back && w.servers[0]->received == bytes;
  }, 3600 * SEC);
  double secs = double(w.clock - t0) / 1e9;
  double mbps = double(bytes) * 8 / secs / 1e6;
  char what[240];
  std::snprintf(what, sizeof what,
                "%zu MiB %s over 1 Gbit/s, 2 ms RTT, %u KiB buffers: %.3f s simulated, "
                "%.0f Mbit/s of payload%s, %llu retransmits, %llu timeouts",
                bytes >> 20, both ? "each way at once" : "one way", buf >> 10, secs, mbps,
                both ? " each way" : "",
                (unsigned long long)(w.a->stats().retransmits + w.b->stats().retransmits),
                (unsigned long long)(w.a->stats().timeouts + w.b->stats().timeouts));
  check(ok && !client.bad && !w.servers[0]->bad, what, "all data intact", describe(client));
  // 1448 payload bytes take 1448 + 32 (TCP with timestamps) + 40 (IP and
  // link) on the wire: 95% at most. Both ways at once, the ACKs of one
  // direction queue behind the other's data and the flows turn bursty
  // (ACK compression), so less is expected there.
  check(mbps > min_mbps, both ? "throughput both ways" : "throughput near the link's bandwidth",
        "> " + std::to_string(int(min_mbps)) + " Mbit/s", std::to_string(int(mbps)) + " Mbit/s");
}

}  // namespace

void test_bulk(size_t bytes)
{
  group("bulk");
  bulk(bytes, false, 256u << 10, 900);
  bulk(bytes, true, 1u << 20, 700);
}

}  // namespace tt
