// The TCP engine (RFC 9293): connections, listeners, timers, congestion
// control. Portable C++17 with no kernel headers, so that the same code
// runs in the kernel and in host-native tests (test/tcp/): everything it
// needs from its surroundings (a clock, random bytes, a way to send an IP
// packet, routes) comes through `Host`.
//
// Above it sit the two APIs services use, both in kernel/net/: POSIX
// sockets (socket.cpp) and IncludeOS's net::tcp (includeos/). They own
// connections through shared_ptr and learn what happened through
// `Handler::tcp_event`. Below it sits IPv4 (interface.cpp), which calls
// `Stack::input` for every TCP segment to one of our addresses and sends
// what the engine gives `Host::transmit`.
//
// Single-threaded: every call happens on the one CPU, from the event loop
// or from a system call that runs it. Handlers are called only at the end
// of the engine's own entry points (input, on_timer, and the Connection
// calls below), never in the middle of processing a segment, and they may
// call back into the engine (write, close, connect, ...): the connection
// is kept alive for the duration of the callback.
//
// Memory: every byte of every send, receive and out-of-order buffer is
// counted against Config::memory_limit. A connection's buffers grow on
// demand up to its rcvbuf/sndbuf. When the budget is spent, new
// connections are refused (a SYN gets no SYN-ACK, connect() answers
// ENOBUFS), arriving data that does not fit is dropped (the peer
// retransmits it) and write() accepts less; established connections are
// never corrupted or torn down for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace ukbase::tcp {

// ---- addresses --------------------------------------------------------------

/// An IPv4 address and port, both in host byte order.
struct Endpoint {
  uint32_t addr = 0;
  uint16_t port = 0;

  bool operator==(const Endpoint& o) const { return addr == o.addr && port == o.port; }
  bool operator!=(const Endpoint& o) const { return !(*this == o); }
  bool operator<(const Endpoint& o) const
  {
    return addr != o.addr ? addr < o.addr : port < o.port;
  }
};

// ---- what the engine needs from its surroundings -----------------------------

/// Writes a segment (TCP header and payload, `len` bytes as given to
/// Host::transmit) into memory the host provides.
class Segment_writer {
 public:
  virtual void write(uint8_t* out) = 0;

 protected:
  ~Segment_writer() = default;
};

class Host {
 public:
  /// Monotonic nanoseconds.
  virtual uint64_t now_ns() = 0;
  /// Random bytes (ISN secret, ephemeral ports, jitter).
  virtual void random(void* buf, size_t len) = 0;
  /// Send an IPv4 packet of protocol 6 from `src` to `dst` whose payload,
  /// `len` bytes, `w` writes (the engine fills in the TCP checksum
  /// itself). False if it could not be sent (no buffer, no route): the
  /// engine treats it as lost on the wire.
  virtual bool transmit(uint32_t src, uint32_t dst, size_t len, Segment_writer& w) = 0;
  /// The address to send from to reach `dst`; 0 when there is no route
  /// (connect() then fails with ENETUNREACH).
  virtual uint32_t source_for(uint32_t dst) = 0;
  /// The largest segment payload towards `dst` from `src` (MTU - 40).
  virtual uint16_t mss_for(uint32_t src, uint32_t dst) = 0;
  /// True if `addr` is one of our addresses (bind() to anything else
  /// fails with EADDRNOTAVAIL; 0 is always accepted: any address).
  virtual bool is_local(uint32_t addr) = 0;
  /// The engine's earliest timer deadline changed (0: none); the host
  /// calls Stack::on_timer() once the monotonic clock reaches it.
  virtual void deadline_changed(uint64_t deadline_ns) = 0;
  /// A diagnostic line (" [ TCP ] ..." on the kernel console).
  virtual void log(const char* line) { (void)line; }

 protected:
  ~Host() = default;
};

// ---- settings ---------------------------------------------------------------

/// Stack-wide settings. Durations in nanoseconds.
struct Config {
  uint64_t memory_limit = 32u << 20;       // all buffers of all connections
  uint32_t max_connections = 4096;         // TCBs, TIME-WAIT included
  uint32_t default_rcvbuf = 256u << 10;    // per connection, SO_RCVBUF's default
  uint32_t default_sndbuf = 256u << 10;
  uint32_t max_buf = 4u << 20;             // SO_RCVBUF/SO_SNDBUF are capped here
  uint64_t msl_ns = 30ull * 1000000000;    // TIME-WAIT lasts 2 MSL
  uint64_t rto_initial_ns = 1000000000;    // RFC 6298 2.1
  uint64_t rto_min_ns = 200000000;         // as Linux (RFC 6298 2.4 allows it)
  uint64_t rto_max_ns = 60ull * 1000000000;
  unsigned syn_retries = 6;                // SYN / SYN-ACK retransmissions
  unsigned data_retries = 15;              // then ETIMEDOUT (as Linux tcp_retries2)
  uint64_t delayed_ack_ns = 40000000;      // RFC 5681 4.2: at most 500 ms
  bool window_scaling = true;              // RFC 7323
  bool timestamps = true;                  // RFC 7323
  bool sack = true;                        // RFC 2018
  unsigned initial_window_segments = 10;   // RFC 6928
  unsigned syn_backlog = 256;              // half-open connections per listener, at most
};

/// Per-connection settings (setsockopt, IncludeOS's set_* calls). A
/// listener's options are inherited by the connections it accepts.
struct Options {
  bool nodelay = false;                    // true: Nagle off (TCP_NODELAY)
  bool delayed_ack = true;                 // false: ACK every segment at once
  bool keepalive = false;                  // SO_KEEPALIVE
  uint32_t keepidle_s = 7200;              // TCP_KEEPIDLE
  uint32_t keepintvl_s = 75;               // TCP_KEEPINTVL
  uint32_t keepcnt = 9;                    // TCP_KEEPCNT
  uint32_t rcvbuf = 0;                     // 0: Config::default_rcvbuf
  uint32_t sndbuf = 0;                     // 0: Config::default_sndbuf
  uint64_t user_timeout_ns = 0;            // TCP_USER_TIMEOUT; 0: data_retries decides
  bool cork = false;                       // TCP_CORK: only full segments until uncorked
};

// ---- states and events -------------------------------------------------------

enum class State : uint8_t {
  CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2,
  CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT,
};

/// RFC 9293's names: "ESTABLISHED", "FIN-WAIT-1", "TIME-WAIT", ...
const char* state_name(State s);

/// What Handler::tcp_event reports, as a bit mask.
enum Event : unsigned {
  EV_CONNECTED = 1u << 0,   // the handshake completed (connect() or accept queue)
  EV_READABLE = 1u << 1,    // new in-order data to read
  EV_WRITABLE = 1u << 2,    // room in the send buffer grew (data was acknowledged)
  EV_FIN = 1u << 3,         // the peer closed its side: EOF once readable() is 0
  EV_ERROR = 1u << 4,       // reset, refused or timed out: error() says which
  EV_CLOSED = 1u << 5,      // the connection reached CLOSED (after EV_ERROR, or normally)
  EV_SENT = 1u << 6,        // everything written so far has been sent at least once
};

class Connection;
class Listener;

class Handler {
 public:
  virtual void tcp_event(Connection& c, unsigned events) = 0;

 protected:
  ~Handler() = default;
};

class Listener_handler {
 public:
  /// A connection completed its handshake and waits in the accept queue.
  virtual void tcp_accept_ready(Listener& l) = 0;

 protected:
  ~Listener_handler() = default;
};

// ---- counters -----------------------------------------------------------------

struct Connection_stats {
  uint64_t bytes_sent = 0;        // payload, first transmissions
  uint64_t bytes_received = 0;    // in-order payload
  uint64_t bytes_acked = 0;       // payload the peer acknowledged
  uint64_t segments_sent = 0, segments_received = 0;
  uint64_t retransmits = 0, fast_retransmits = 0, timeouts = 0;
  uint64_t dup_acks = 0, out_of_order = 0, zero_window_probes = 0;
};

struct Stack_stats {
  uint64_t segments_in = 0, segments_out = 0;
  uint64_t bad_checksum = 0, malformed = 0;
  uint64_t resets_sent = 0, resets_received = 0;
  uint64_t refused_no_listener = 0;      // SYN to a closed port: RST
  uint64_t refused_backlog = 0;          // SYN dropped: SYN queue or accept queue full
  uint64_t refused_memory = 0;           // SYN dropped / connect failed: memory or TCB limit
  uint64_t dropped_no_memory = 0;        // data segments dropped for want of buffer memory
  uint64_t challenge_acks = 0;           // RFC 5961
  uint64_t active_opens = 0, passive_opens = 0;
  uint64_t retransmits = 0, timeouts = 0;
};

// ---- a connection ---------------------------------------------------------------

class Stack;

/// One connection's TCB with its buffers. Made by the Stack (connect, or
/// a SYN to a listener); lives while the Stack or an owner holds it.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  ~Connection();

  State state() const { return state_; }
  Endpoint local() const { return local_; }
  Endpoint remote() const { return remote_; }
  /// 0, or the errno that ended the connection: ECONNREFUSED (RST to our
  /// SYN), ECONNRESET (RST later), ETIMEDOUT (retransmissions or
  /// keepalive gave up), ECONNABORTED (aborted while in an accept queue),
  /// EPIPE is not used here: writing after shutdown is the caller's check.
  int error() const { return error_; }

  void set_handler(Handler* h) { handler_ = h; }
  Handler* handler() const { return handler_; }

  // -- receiving --
  /// In-order bytes that read() would return.
  size_t readable() const;
  /// Copy up to `len` bytes out and consume them; the receive window
  /// opens again (a window update is sent when it grew enough, RFC 1122
  /// 4.2.3.3).
  size_t read(void* buf, size_t len);
  /// Copy without consuming (MSG_PEEK), starting `offset` bytes in.
  size_t peek(void* buf, size_t len, size_t offset = 0) const;
  /// The peer's FIN arrived and everything before it was received (it
  /// may not have been read yet).
  bool fin_received() const;

  // -- sending --
  /// Free room in the send buffer.
  size_t writable() const;
  /// Copy up to `len` bytes into the send buffer (at most writable());
  /// returns how many. Sends what Nagle, the windows and cork allow.
  /// `more`: the caller has more to write at once (MSG_MORE): hold a
  /// partial segment back. 0 when the connection cannot send (not
  /// synchronized yet is fine: data waits for the handshake; after
  /// shutdown_write(), close() or an error it returns 0).
  size_t write(const void* data, size_t len, bool more = false);
  /// Bytes written but not yet acknowledged (SIOCOUTQ), and of those not
  /// yet sent once.
  size_t unacked() const;
  size_t unsent() const;
  /// Send a FIN once everything written has been sent; reading goes on.
  void shutdown_write();
  /// True once shutdown_write() or close() was called.
  bool write_shut() const;
  /// Close: shutdown_write(), and the owner lets go. If unread data is
  /// waiting, or data arrives later, the peer gets a RST instead (RFC
  /// 9293 3.10.4; RFC 2525 2.17). The connection finishes (FIN-WAIT,
  /// TIME-WAIT) on its own, held by the Stack.
  void close();
  /// Send a RST (if synchronized) and go to CLOSED at once.
  void abort();

  // -- settings --
  const Options& options() const { return opts_; }
  /// Change settings; e.g. turning nodelay on sends what Nagle held back,
  /// a larger rcvbuf opens the window.
  void set_options(const Options& o);

  // -- information --
  const Connection_stats& stats() const { return stats_; }
  uint16_t mss() const { return snd_mss_; }        // what we send per segment
  uint64_t srtt_ns() const { return srtt_ns_; }
  uint32_t cwnd() const { return cwnd_; }
  uint32_t snd_wnd() const { return snd_wnd_; }
  uint32_t rcv_wnd() const;
  /// The listener this connection came from, while it sits in its accept
  /// queue (or is still in SYN-RECEIVED); null once accepted.
  Listener* listener() const { return listener_; }
  /// Bytes of buffer memory this connection holds now.
  size_t memory() const;
  std::string to_string() const;   // "10.0.2.15:80 <- 10.0.2.2:40000 ESTABLISHED"

 private:
  friend class Stack;
  friend class Listener;
  explicit Connection(Stack& stack);

  // The implementation is the engine's own business (tcp/*.cpp); these
  // are the members its public functions read.
  Stack& stack_;
  State state_ = State::CLOSED;
  Endpoint local_, remote_;
  int error_ = 0;
  Handler* handler_ = nullptr;
  Listener* listener_ = nullptr;
  Options opts_;
  Connection_stats stats_;
  uint16_t snd_mss_ = 536;
  uint64_t srtt_ns_ = 0;
  uint32_t cwnd_ = 0, snd_wnd_ = 0;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- a listener -------------------------------------------------------------------

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  ~Listener();

  Endpoint local() const { return local_; }
  /// Connections that completed the handshake, waiting for accept().
  size_t pending() const { return accept_queue_.size(); }
  /// The oldest established connection, or null. The caller owns it now
  /// (and sets its handler).
  std::shared_ptr<Connection> accept();
  unsigned backlog() const { return backlog_; }
  void set_backlog(unsigned n);
  void set_handler(Listener_handler* h) { handler_ = h; }
  /// Settings the accepted connections start with.
  Options& options() { return opts_; }
  /// Stop listening: the port is free again; connections still in the
  /// queues are reset.
  void close();
  bool closed() const { return closed_; }

 private:
  friend class Stack;
  friend class Connection;
  Listener(Stack& stack, Endpoint local, unsigned backlog);

  Stack& stack_;
  Endpoint local_;
  unsigned backlog_;
  bool closed_ = false;
  Listener_handler* handler_ = nullptr;
  Options opts_;
  std::deque<std::shared_ptr<Connection>> accept_queue_;
  std::vector<Connection*> half_open_;   // children in SYN-RECEIVED (the stack owns them)
  bool detached_ = false;                // the stack is gone
};

// ---- the stack -----------------------------------------------------------------------

class Stack {
 public:
  Stack(Host& host, const Config& config = Config());
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  Host& host() { return host_; }
  const Config& config() const { return config_; }
  /// Settings may change at run time (IncludeOS's set_MSL, ...).
  Config& config() { return config_; }

  // -- ports (what POSIX bind() does before listen()/connect()) --
  /// Reserve a local endpoint (port 0: pick an ephemeral one, which is
  /// written back). Errors: EADDRINUSE (a listener, a bound endpoint or,
  /// unless `reuse_addr`, any connection uses that port on that
  /// address), EADDRNOTAVAIL (not one of our addresses). An address of 0
  /// is every address.
  int reserve(Endpoint& local, bool reuse_addr);
  /// Give back what reserve() took (listen() and connect() take over a
  /// reservation they were given: release it only if neither was called).
  void release(const Endpoint& local);

  // -- opening --
  /// Listen on `local` (port 0: an ephemeral one, written back).
  /// `reserved`: the caller already holds the reservation (bind()).
  /// Errors through `err`: EADDRINUSE, EADDRNOTAVAIL. Null on error.
  std::shared_ptr<Listener> listen(Endpoint& local, unsigned backlog, int& err,
                                   bool reserved = false, bool reuse_addr = false);
  /// Open a connection to `remote` (active open: SYN-SENT). `local`: the
  /// address 0 means the route's source address, port 0 an ephemeral
  /// port. Errors: EADDRINUSE (the 4-tuple exists), EADDRNOTAVAIL (no
  /// free ephemeral port), ENETUNREACH (no route), ENOBUFS (memory or TCB
  /// limit), EINVAL (remote port 0 or address 0). EV_CONNECTED or
  /// EV_ERROR (ECONNREFUSED, ETIMEDOUT) follow through `handler`.
  std::shared_ptr<Connection> connect(Endpoint local, Endpoint remote, const Options& opts,
                                      Handler* handler, int& err, bool reserved = false);

  // -- from IPv4 --
  /// A TCP segment (header and payload, `len` bytes) from `src` to `dst`,
  /// one of our addresses. The checksum is checked here unless
  /// `checksum_ok` (a NIC that verified it).
  void input(uint32_t src, uint32_t dst, const uint8_t* segment, size_t len,
             bool checksum_ok = false);
  /// ICMP destination unreachable / time exceeded about a segment we
  /// sent (`quoted`: its first bytes: IP header + 8 TCP bytes), RFC 5927:
  /// soft errors only, except "fragmentation needed" (lowers the MSS).
  void icmp_error(uint8_t type, uint8_t code, uint32_t next_mtu, const uint8_t* quoted,
                  size_t len);

  // -- time --
  /// Run the timers that are due (retransmission, persist, delayed ACK,
  /// keepalive, TIME-WAIT, SYN-RECEIVED expiry).
  void on_timer();
  /// The earliest pending deadline (monotonic ns), 0 if none.
  uint64_t next_deadline() const;

  // -- information --
  /// Connections not yet CLOSED (TIME-WAIT included), listeners not counted.
  size_t active_connections() const;
  /// Listeners open.
  size_t open_ports() const;
  /// Buffer memory in use, and the most that may be.
  size_t memory_used() const { return memory_used_; }
  const Stack_stats& stats() const { return stats_; }
  /// Every connection, for diagnostics ("netstat").
  std::vector<std::shared_ptr<Connection>> connections() const;
  /// Every address a connection, listener or reservation refers to
  /// (unsorted, with repeats).
  std::vector<uint32_t> addresses_in_use() const;

 private:
  friend class Connection;
  friend class Listener;
  friend class Ring;                 // the engine's own helpers (internal.hpp)
  friend class Entry;
  friend struct Emit;
  Host& host_;
  Config config_;
  Stack_stats stats_;
  size_t memory_used_ = 0;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ukbase::tcp
