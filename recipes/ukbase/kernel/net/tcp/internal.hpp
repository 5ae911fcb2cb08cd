// Internal to the TCP engine: wire format, sequence arithmetic, buffers,
// and the two halves of the implementation (Connection::Impl, the TCB;
// Stack::Impl, tables, timers and memory). Nothing here is seen above
// tcp.hpp.
#pragma once

#include <cerrno>
#include <cstring>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tcp.hpp"

namespace ukbase::tcp {

// ---- sequence numbers (RFC 9293 3.4: arithmetic modulo 2^32) -----------------

inline bool seq_lt(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }
inline bool seq_le(uint32_t a, uint32_t b) { return int32_t(a - b) <= 0; }
inline bool seq_gt(uint32_t a, uint32_t b) { return int32_t(a - b) > 0; }
inline bool seq_ge(uint32_t a, uint32_t b) { return int32_t(a - b) >= 0; }
inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }

// ---- wire format ----------------------------------------------------------------

inline uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t get32(const uint8_t* p)
{
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
inline void put32(uint8_t* p, uint32_t v)
{
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}

constexpr uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;
constexpr size_t HDR = 20;             // the header without options
constexpr size_t MAX_OPT = 40;
constexpr uint32_t TS_OPT = 12;        // NOP NOP kind=8 len=10: what timestamps cost per segment
constexpr uint32_t MIN_MSS = 48;       // smaller peer MSS values are raised to this
constexpr uint32_t DEFAULT_MSS = 536;  // RFC 9293 3.7.1: when the peer sent none
constexpr unsigned MAX_SACK = 4;
constexpr uint32_t EPHEMERAL_LOW = 49152;

/// A parsed segment. The payload points into the caller's buffer.
struct Segment {
  uint32_t seq = 0, ack = 0;
  uint32_t wnd = 0;            // the raw field
  uint8_t flags = 0;
  const uint8_t* data = nullptr;
  uint32_t len = 0;            // payload bytes
  // options
  bool ts = false;
  uint32_t tsval = 0, tsecr = 0;
  uint16_t mss = 0;            // 0: none
  int8_t wscale = -1;          // -1: none
  bool sack_ok = false;
  uint8_t nsack = 0;
  uint32_t sack[MAX_SACK][2] = {};

  /// Sequence space the segment occupies (SYN and FIN count one each).
  uint32_t space() const { return len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0); }
};

/// Options of one header (`n` bytes at `p`) into `s`. False if malformed.
bool parse_options(const uint8_t* p, size_t n, Segment& s);

// ---- checksum (RFC 1071) ---------------------------------------------------------
//
// Summed in the machine's own byte order, 64 bits at a time, folded at the
// end; the ones-complement sum is the same in either order, so the folded
// value is stored with memcpy and lands in network order.

uint64_t csum_add(uint64_t sum, const uint8_t* p, size_t n);
uint16_t csum_fold(uint64_t sum);
/// The pseudo-header of a TCP segment of `len` bytes (RFC 9293 3.1).
uint64_t csum_pseudo(uint32_t src, uint32_t dst, size_t len);

// ---- keyed hashing (isn.cpp) ---------------------------------------------------------

uint64_t siphash24(const uint8_t key[16], const uint8_t* msg, size_t len);

// ---- a byte ring that grows on demand --------------------------------------------------
//
// `size()` in-order bytes start at the head. The receive side also keeps
// out-of-order data at offsets past size() (the holes hold garbage), so a
// hole that fills needs no copy. The capacity doubles from 4 KiB up to
// the connection's buffer size; every byte is charged to the stack's
// memory budget.
class Ring {
 public:
  static constexpr size_t MIN_CAP = 4096;

  size_t size() const { return len_; }
  size_t capacity() const { return cap_; }
  /// Room for `need` bytes from the head, keeping the first `keep`. At
  /// most `max` bytes; false if that is not enough or the budget refuses.
  bool reserve(Stack::Impl& st, size_t need, size_t keep, size_t max);
  /// The capacity reserve() could reach now, `max` and the budget allowing.
  size_t reachable(const Stack::Impl& st, size_t max) const;
  void put(size_t off, const uint8_t* src, size_t n);
  void get(size_t off, uint8_t* dst, size_t n) const;
  void append(size_t n) { len_ += n; }
  void consume(size_t n)
  {
    head_ += n;
    if (head_ >= cap_)
      head_ -= cap_;
    len_ -= n;
  }
  /// Give the memory back (the ring must hold nothing the caller needs).
  void release(Stack::Impl& st);

 private:
  uint8_t* buf_ = nullptr;
  size_t cap_ = 0, head_ = 0, len_ = 0;
};

/// A half-open range of sequence numbers.
struct Range {
  uint32_t begin, end;
};

// ---- the TCB -------------------------------------------------------------------------

struct Connection::Impl {
  Impl(Connection& conn, Stack::Impl& stack) : c(conn), st(&stack) {}
  ~Impl();

  Connection& c;
  Stack::Impl* st;                // null once the stack is gone
  Impl* all_prev = nullptr;       // every TCB of the stack, for its destructor
  uint64_t id = 0;                // creation order: ties between timers go by it
  Impl* all_next = nullptr;

  // -- sequence space (RFC 9293 3.3.1) --
  uint32_t iss = 0, irs = 0;
  uint32_t snd_una = 0, snd_nxt = 0;
  uint32_t snd_max = 0;           // the highest sequence number sent, plus one
  uint32_t snd_end = 0;           // after the last byte written (the FIN's number)
  uint32_t snd_wl1 = 0, snd_wl2 = 0;
  uint32_t max_snd_wnd = 0;       // largest window the peer offered
  uint32_t rcv_nxt = 0;
  uint32_t rcv_adv = 0;           // the right edge of the window we offered
  uint32_t syn_wnd = 0;           // the window our SYN offered
  bool syn_acked = false;         // our SYN is acknowledged: data starts at snd_una
  uint32_t last_ack_sent = 0;     // RCV.NXT as last sent (RFC 7323 4.3)
  uint8_t snd_wscale = 0, rcv_wscale = 0;

  // -- options offered in our SYN, and what was negotiated --
  bool offer_ws = false, offer_ts = false, offer_sack = false;
  bool ts_ok = false, sack_ok = false;
  uint16_t adv_mss = DEFAULT_MSS; // the MSS we announced
  uint16_t peer_mss = DEFAULT_MSS;
  uint32_t ts_recent = 0;
  uint64_t ts_recent_ns = 0;      // when ts_recent was set (PAWS's 24 days)
  uint32_t ts_offset = 0;         // added to our timestamp clock (RFC 7323 5.4)

  // -- buffers --
  Ring sndq;                      // [snd_una, snd_end) once the SYN is acknowledged
  Ring rcvq;                      // unread in-order data, then out-of-order data
  std::vector<Range> ooo;         // out-of-order ranges above rcv_nxt, ordered
  uint32_t sack_recent[MAX_SACK] = {};  // where the latest out-of-order segments began
  uint8_t n_recent = 0;
  bool fin_ooo = false;           // a FIN came before the data in front of it
  uint32_t fin_ooo_seq = 0;
  uint32_t rcv_mss = DEFAULT_MSS; // the largest segment seen (delayed ACK's "full-sized")

  // -- what the owner did, and where the handshake came from --
  bool passive = false;           // made by a listener
  bool app_closed = false;        // close(): orphaned, data that arrives gets a RST
  bool wr_shut = false;           // shutdown_write() or close()
  bool fin_rcvd = false;
  bool more = false;              // the last write() said MSG_MORE
  bool push = false;              // uncorked: send what is held, Nagle or not
  bool syn_rexmit = false;        // the SYN or SYN-ACK timer expired
  bool syn_rtt_ok = true;         // the handshake's RTT can be measured (Karn)
  bool was_unsent = false;        // unsent data existed (EV_SENT on reaching none)

  // -- congestion control (RFC 5681, RFC 3465, RFC 6582, RFC 6675) --
  uint32_t ssthresh = 0xFFFFFFFFu;
  uint32_t abc_bytes = 0;         // bytes acknowledged towards the next CA increase
  uint32_t recover = 0;           // RFC 6582's "recover", RFC 6675's RecoveryPoint
  bool in_recovery = false;
  bool rexmit_una = false;        // a partial ACK: the segment at snd_una goes next
  uint32_t dupacks = 0;
  uint64_t last_send_ns = 0;      // restart after idle (RFC 5681 4.1)
  std::vector<Range> sacked;      // the scoreboard: what the peer SACKed above snd_una
  uint32_t high_rxt = 0;          // retransmitted up to here in this recovery
  std::vector<std::pair<uint32_t, uint64_t>> rxt_log;   // (end, when) of each retransmission
  size_t rxt_head = 0;            // entries before this one are settled
  uint32_t again_cur = 0, again_end = 0;  // holes here are retransmitted again
  uint32_t pipe_est = 0;          // pipe, kept up to date while sending in recovery

  // -- round-trip time (RFC 6298) --
  bool rtt_valid = false;
  uint64_t rttvar_ns = 0, rto_ns = 0;
  bool rtt_timing = false;        // timing one segment (when timestamps are off)
  uint32_t rtt_seq = 0;
  uint64_t rtt_start = 0;
  unsigned backoff = 0;           // consecutive RTOs, or SYN retransmissions
  uint64_t progress_ns = 0;       // last forward progress (TCP_USER_TIMEOUT)
  uint64_t last_recv_ns = 0;      // keepalive's idle time

  // -- timers: absolute monotonic ns, 0 = off --
  uint64_t t_rto = 0, t_persist = 0, t_delack = 0, t_keep = 0, t_wait = 0;
  uint64_t scheduled = 0;         // the key in the stack's timer set
  unsigned persist_backoff = 0, probes_out = 0, keep_probes = 0;

  // -- acknowledgments --
  bool ack_now = false;
  uint32_t unacked_bytes = 0;     // in-order bytes received since our last ACK
  uint64_t challenge_start = 0;   // RFC 5961 7: challenge ACKs per interval
  unsigned challenge_count = 0;
  uint64_t last_oow_ack = 0;      // ACKs to out-of-window ACKs, rate-limited

  // -- errors and events --
  int soft_error = 0;             // from ICMP (RFC 5927)
  unsigned events = 0;
  bool queued = false;            // in the stack's list of connections with events
  bool in_table = false;

  // ---- connection.cpp ----
  /// Set up a new TCB: ISS, offers, timers; from the SYN of a passive open.
  void start(const Segment* syn, const uint32_t* min_iss);
  uint32_t rcvbuf() const;
  uint32_t sndbuf() const;
  bool synchronized() const;
  void post(unsigned ev);
  /// To CLOSED: timers off, out of the tables; EV_ERROR when `err`.
  void to_closed(int err);
  void to_time_wait();
  /// Free what a connection that sends nothing more does not need.
  void trim_memory();
  void reset_and_close(int err);

  // ---- input.cpp ----
  void input(const Segment& s);
  void input_syn_sent(const Segment& s);
  bool check_sequence(const Segment& s);
  bool process_rst(const Segment& s);
  bool process_ack(const Segment& s);
  void process_text(uint32_t seq, const uint8_t* data, uint32_t len, bool fin);
  void process_fin();
  bool fast_path(const Segment& s);
  void enter_established();
  void negotiate(const Segment& syn);

  // ---- receive.cpp ----
  uint32_t rcv_space() const;
  uint16_t window_field();
  bool store(uint32_t seq, const uint8_t* data, uint32_t len);
  bool add_ooo(uint32_t seq, uint32_t end);
  void merge_ooo();
  size_t sack_blocks(uint32_t out[][2], size_t max) const;
  void after_read();
  void data_ack(uint32_t len);

  // ---- output.cpp ----
  void output();
  void send_data(uint32_t seq, uint32_t len, bool fin);
  void send_syn(bool rexmit = false);
  void send_ack();
  void send_rst();
  void send_probe();
  void send_challenge_ack();
  size_t build_options(uint8_t* o, uint8_t flags);
  uint32_t ts_now() const;
  bool transmit(uint32_t seq, uint8_t flags, uint32_t len, size_t sq_off);

  // ---- congestion.cpp ----
  void new_ack(uint32_t acked, uint32_t flight_before);
  void dup_ack();
  void enter_recovery();
  void update_scoreboard(const Segment& s);
  uint32_t sacked_between(uint32_t a, uint32_t b) const;
  uint32_t lost_edge() const;
  uint32_t pipe() const;
  bool next_hole(uint32_t from, uint32_t limit, uint32_t& seq, uint32_t& len) const;
  void check_lost_rexmits();
  void reset_recovery_log();
  size_t first_above(uint32_t seq) const;
  void rexmit(uint32_t seq, uint32_t len);
  void sack_output();
  void rtt_sample(uint64_t r_ns);
  void set_rto();
  uint32_t initial_cwnd() const;
  uint32_t flight() const { return snd_nxt - snd_una; }
  /// The sequence number of the send buffer's first byte.
  uint32_t data_una() const { return syn_acked ? snd_una : iss + 1; }
  uint32_t seg_max() const;
  void send_head(bool move_nxt);
  void data_output(bool recovery);
  bool reopen_ok(const Segment& s) const;
  void ack_out_of_window(const Segment& s);

  // ---- timers.cpp ----
  void on_timer();
  void on_rto();
  void on_persist();
  void on_keepalive();
  void arm_rto();
  void arm_keepalive();
  uint64_t earliest() const;
  uint64_t persist_interval() const;
};

// ---- the stack's tables ----------------------------------------------------------------

/// A connection's addresses as the demultiplexer sees them.
struct Tuple {
  uint32_t laddr, raddr;
  uint16_t lport, rport;
  bool operator==(const Tuple& o) const
  {
    return laddr == o.laddr && raddr == o.raddr && lport == o.lport && rport == o.rport;
  }
};

struct Tuple_hash {
  uint64_t k0 = 0, k1 = 0;       // secret: an attacker cannot aim at one bucket
  size_t operator()(const Tuple& t) const
  {
    uint64_t x = (uint64_t(t.laddr) << 32 | t.raddr) ^ k0;
    uint64_t y = (uint64_t(t.lport) << 16 | t.rport) ^ k1;
    x = (x ^ (x >> 31)) * 0x9E3779B97F4A7C15ull + y;
    x = (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9ull;
    return size_t(x ^ (x >> 32));
  }
};

/// Listeners and reservations by (port, address): all of one port in a row.
inline uint64_t port_key(uint16_t port, uint32_t addr) { return uint64_t(port) << 32 | addr; }

struct Stack::Impl {
  explicit Impl(Stack& stack);

  Stack& s;
  uint64_t now = 0;               // the clock, read once per entry point
  int depth = 0;                  // entry points running (handlers call back in)
  uint8_t secret[16] = {};        // RFC 6528's key
  uint64_t reported = 0;          // the deadline the host last heard of

  std::unordered_map<Tuple, std::shared_ptr<Connection>, Tuple_hash> conns;
  Connection* last = nullptr;     // the connection the last segment went to
  std::map<uint64_t, Listener*> listeners;
  std::set<uint64_t> reserved;
  std::unordered_map<uint16_t, uint32_t> port_use;   // connections per local port
  std::unordered_map<uint64_t, uint32_t> ep_use;     // ... per local (port, address)
  /// Timers by deadline, then by creation: the same inputs always run the
  /// same way, whatever the addresses of the TCBs.
  struct Timer_order {
    bool operator()(const std::pair<uint64_t, Connection::Impl*>& a,
                    const std::pair<uint64_t, Connection::Impl*>& b) const
    {
      return a.first != b.first ? a.first < b.first : a.second->id < b.second->id;
    }
  };
  std::set<std::pair<uint64_t, Connection::Impl*>, Timer_order> timers;
  uint64_t next_id = 0;
  std::vector<std::shared_ptr<Connection>> ready;    // connections with events
  std::vector<std::weak_ptr<Listener>> accept_ready; // one per established child
  std::vector<std::weak_ptr<Connection>> time_wait;  // oldest first, for recycling
  size_t tw_head = 0;
  Connection::Impl* all = nullptr;   // every TCB
  std::vector<std::shared_ptr<Connection>> delivering;

  Stack_stats& stats() { return s.stats_; }
  const Config& cfg() const { return s.config_; }
  Host& host() { return s.host_; }

  // ---- stack.cpp ----
  void finish();
  void deliver();
  void schedule(Connection::Impl& t);
  void unschedule(Connection::Impl& t);
  bool mem_take(size_t n);
  void mem_give(size_t n);
  size_t mem_headroom() const;
  bool under_pressure() const;
  bool can_open();
  void add(const std::shared_ptr<Connection>& c);
  void remove(Connection& c);
  bool port_busy(uint16_t port, uint32_t addr, bool reuse_addr) const;
  bool pick_port(uint32_t laddr, const Endpoint* remote, uint16_t& port);
  uint32_t random32();
  void passive_open(Listener& l, uint32_t src, uint32_t dst, uint16_t sport, const Segment& s,
                    const uint32_t* min_iss);
  void reset_for(uint32_t src, uint32_t dst, const uint8_t* hdr, const Segment& s);
  void dispatch(uint32_t src, uint32_t dst, const uint8_t* hdr, const Segment& s);
  Listener* find_listener(uint16_t port, uint32_t addr) const;

  // ---- isn.cpp ----
  uint32_t isn(const Tuple& t) const;
  uint32_t ts_offset(const Tuple& t) const;
};

/// One segment on its way to Host::transmit: header and options from
/// here, payload from a send buffer, checksum computed over the result.
struct Emit final : Segment_writer {
  uint32_t src = 0, dst = 0;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t wnd = 0;
  const uint8_t* opt = nullptr;
  size_t optlen = 0;
  const Ring* payload = nullptr;
  size_t offset = 0, len = 0;
  void write(uint8_t* out) override;
  /// Hand it to the host; false if it could not be sent.
  bool send(Stack::Impl& st);
};

/// Holds an entry point open: the clock is read once, and events and the
/// host's deadline are delivered when the outermost one returns.
class Entry {
 public:
  explicit Entry(Stack::Impl& st) : st_(st)
  {
    if (st_.depth++ == 0)
      st_.now = st_.s.host().now_ns();
  }
  ~Entry()
  {
    if (--st_.depth == 0)
      st_.finish();
  }
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

 private:
  Stack::Impl& st_;
};

}  // namespace ukbase::tcp
