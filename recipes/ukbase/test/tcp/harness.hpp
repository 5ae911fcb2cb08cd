// Host-native test harness for the TCP engine: a simulated host (clock,
// seeded random bytes, a transmit queue), a raw peer that builds and
// parses segments byte by byte with its own code, and the checks.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "../../kernel/net/tcp/tcp.hpp"

namespace tt {

using namespace ukbase::tcp;

// ---- checks -----------------------------------------------------------------------

struct Results {
  int passed = 0, failed = 0;
  std::string group;
  bool verbose = true;
};
Results& results();

/// One line per check; a failure says what was expected and what came.
/// Out of line and with plain arguments, so that call sites stay cheap
/// to compile.
void check(bool ok, const char* what);
void check(bool ok, const char* what, const std::string& expected, const std::string& got);
void check_num(const char* what, bool ok, const char* rel, uint64_t expected, uint64_t got,
               bool is_signed);
void check_eq(const char* what, const char* expected, const char* got);
void group(const char* name);

template <class A, class B>
inline void check_eq(const char* what, A expected, B got)
{
  check_num(what, uint64_t(expected) == uint64_t(got), "", uint64_t(expected), uint64_t(got),
            std::is_signed<A>::value || std::is_signed<B>::value);
}
template <class A, class B>
inline void check_ge(const char* what, A bound, B got)
{
  check_num(what, got >= bound, ">= ", uint64_t(bound), uint64_t(got), std::is_signed<B>::value);
}
template <class A, class B>
inline void check_le(const char* what, A bound, B got)
{
  check_num(what, got <= bound, "<= ", uint64_t(bound), uint64_t(got), std::is_signed<B>::value);
}

std::string ip(uint32_t a);

// ---- the simulated host --------------------------------------------------------------

struct Packet {
  uint32_t src, dst;
  std::vector<uint8_t> bytes;
};

class Sim_host : public Host {
 public:
  Sim_host(uint64_t& clock, uint32_t addr, uint64_t seed) : clock_(clock), addr(addr), rng(seed) {}
  uint64_t now_ns() override { return clock_; }
  void random(void* buf, size_t len) override;
  bool transmit(uint32_t src, uint32_t dst, size_t len, Segment_writer& w) override;
  uint32_t source_for(uint32_t) override { return route ? addr : 0; }
  uint16_t mss_for(uint32_t, uint32_t) override { return mss; }
  bool is_local(uint32_t a) override { return a == addr; }
  void deadline_changed(uint64_t d) override
  {
    deadline = d;
    deadline_calls++;
  }

  uint64_t& clock_;
  uint32_t addr;
  std::mt19937_64 rng;
  uint16_t mss = 1460;
  bool route = true;
  bool fail_transmit = false;
  uint64_t deadline = 0;
  uint64_t deadline_calls = 0;
  std::deque<Packet> out;
  /// When set, packets go here instead of `out`.
  std::function<void(Packet&&)> sink;
};

// ---- segments, as the raw peer sees them ------------------------------------------------

enum : uint8_t { F_FIN = 1, F_SYN = 2, F_RST = 4, F_PSH = 8, F_ACK = 16, F_URG = 32 };

struct Seg {
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t wnd = 65535;
  std::vector<uint8_t> data;
  // options (-1 / false: absent)
  int mss = -1, ws = -1;
  bool sack_ok = false;
  bool ts = false;
  uint32_t tsval = 0, tsecr = 0;
  std::vector<std::pair<uint32_t, uint32_t>> sacks;
  bool checksum_ok = true;       // parsed segments: the checksum verified
  size_t header_len = 20;

  bool has(uint8_t f) const { return (flags & f) == f; }
  std::string str() const;
};

/// Parse a segment from `src` to `dst` (independently of the engine).
Seg parse(const Packet& p);
/// Build the bytes of a segment from `src` to `dst`, checksum included.
std::vector<uint8_t> build(const Seg& s, uint32_t src, uint32_t dst);
/// RFC 1071 the slow and obvious way.
uint16_t ref_checksum(uint32_t src, uint32_t dst, const uint8_t* p, size_t len);

// ---- event recording ----------------------------------------------------------------------

struct Recorder : Handler {
  std::vector<unsigned> log;
  unsigned all = 0;
  std::function<void(Connection&, unsigned)> hook;
  void tcp_event(Connection& c, unsigned ev) override
  {
    log.push_back(ev);
    all |= ev;
    if (hook)
      hook(c, ev);
  }
  bool saw(unsigned ev) const { return (all & ev) == ev; }
  void clear()
  {
    log.clear();
    all = 0;
  }
};

struct Accept_recorder : Listener_handler {
  int calls = 0;
  std::function<void(Listener&)> hook;
  void tcp_accept_ready(Listener& l) override
  {
    calls++;
    if (hook)
      hook(l);
  }
};

// ---- a stack with a raw peer in front of it -----------------------------------------------------

constexpr uint32_t LOCAL = 0x0A000001;    // 10.0.0.1: the engine
constexpr uint32_t PEER = 0x0A000002;     // 10.0.0.2: the raw peer
constexpr uint64_t MS = 1000000;
constexpr uint64_t SEC = 1000000000;

struct Fixture {
  explicit Fixture(Config c = Config(), uint64_t seed = 1);
  uint64_t clock = 1000 * SEC;
  Sim_host host;
  Config cfg;
  std::unique_ptr<Stack> stack;

  /// Move the clock forward by `ns`, running the stack's timers on the way.
  void advance(uint64_t ns);
  /// Segments the engine sent since the last call.
  std::vector<Seg> take();
  /// Exactly one segment expected (a failed check otherwise).
  Seg take_one(const char* what);
  /// The raw peer sends.
  void send(const Seg& s);
  void send_raw(const std::vector<uint8_t>& bytes, bool checksum_ok = false);

  // -- helpers for the common handshakes --
  /// An established connection opened by the engine (active open); the
  /// peer's options as given. Returns the connection; `peer_isn` is used.
  std::shared_ptr<Connection> open_active(Recorder& rec, uint16_t peer_port, uint32_t peer_isn,
                                          bool ws, bool ts, bool sack, uint16_t peer_mss = 1460,
                                          const Options& opts = Options());
  /// An established connection accepted from a listener on `port`.
  std::shared_ptr<Connection> open_passive(Recorder& rec, std::shared_ptr<Listener>& l,
                                           uint16_t port, uint16_t peer_port, uint32_t peer_isn,
                                           bool ws, bool ts, bool sack, uint16_t peer_mss = 1460);

  // What the raw peer knows of the connection after open_*: the next
  // sequence numbers both ways, the engine's TS value, ports.
  uint32_t peer_nxt = 0;         // the peer's next sequence number
  uint32_t eng_nxt = 0;          // the engine's next sequence number (as the peer acked it)
  uint16_t eng_port = 0, peer_port = 0;
  uint32_t last_tsval = 0;       // the engine's last TSval seen
  uint32_t peer_ts = 100;        // the peer's timestamp clock
  bool use_ts = false;
  int eng_ws = 0;                // the engine's window scale

  /// A segment from the raw peer on the current connection.
  Seg peer_seg(uint8_t flags, const std::vector<uint8_t>& data = {}) const;
};

/// Random-looking but reproducible stream contents, made 8 bytes at a
/// time: byte i of a stream is byte (i % 8) of word i / 8.
inline uint64_t pattern_word(uint64_t stream, uint64_t w)
{
  uint64_t x = w * 0x9E3779B97F4A7C15ull + stream * 0xD1B54A32D192ED03ull;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  return x ^ (x >> 32);
}
inline uint8_t pattern(uint64_t stream, uint64_t i)
{
  return uint8_t(pattern_word(stream, i >> 3) >> (8 * (i & 7)));
}
/// Fill `n` bytes with the stream from offset `from`; check them.
void fill_pattern(uint8_t* p, size_t n, uint64_t stream, uint64_t from);
bool check_pattern(const uint8_t* p, size_t n, uint64_t stream, uint64_t from);
std::vector<uint8_t> bytes_of(uint64_t stream, uint64_t from, size_t n);

// ---- the test groups ----------------------------------------------------------------------------

void test_basics();       // checksums, SipHash, names
void test_handshake();    // opens, options, RSTs, simultaneous open
void test_close();        // closes, TIME-WAIT, half-close
void test_receive();      // out of order, SACK, trimming, windows, delayed ACK
void test_send();         // Nagle, cork, persist, RTO, fast retransmit, RTT, keepalive
void test_limits();       // backlogs, memory, TCBs, ports, ISNs, re-entrancy, ICMP
void test_fuzz();         // random and malformed segments in every state
void test_faults(int seeds, size_t bytes, bool quick);   // two engines over a lossy link
void test_bulk(size_t bytes);                            // throughput without loss

}  // namespace tt
