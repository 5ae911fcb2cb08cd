// A TCP connection, as IncludeOS's net/tcp/connection.hpp:
// net::tcp::Connection, handed out as Connection_ptr (a shared_ptr) by
// TCP::connect() and a Listener's on_connect.
//
//   tcp.listen(80).on_connect([](tcp::Connection_ptr conn) {
//     conn->on_read(1024, [conn](tcp::buffer_t buf) { conn->write(buf); });   // echo
//     conn->on_disconnect([](tcp::Connection_ptr c, tcp::Connection::Disconnect) { c->close(); });
//   });
//
// Events, all run by the event loop:
// * on_read(n, cb): cb(buffer) as soon as data arrives, in buffers of at
//   most n bytes. Data that arrives before on_read is set waits (it is
//   delivered once it is). on_data(cb) is the pull form: cb() when data
//   is there, read_next() takes it.
// * on_write(cb): cb(n) once per write() request when all its n bytes
//   have been sent.
// * on_disconnect(cb): the peer closed its side (Disconnect::CLOSING),
//   reset the connection (RESET) or refused it (REFUSED). The default
//   handler calls close().
// * on_close(cb): once, when the connection is gone (TIME-WAIT over, our
//   FIN acknowledged in LAST-ACK, reset, abort). Every callback is
//   dropped after it, so callbacks may hold the Connection_ptr.
//
// write() queues without a limit (IncludeOS's rule: the service owns that
// memory); the queue is fed into the TCP engine as its send buffer frees
// up. close() is graceful: the FIN follows the queued data, and reading
// goes on until the peer closes too.
//
// The TCP engine underneath is ukbase's (kernel/net/tcp), shared with the
// POSIX socket API; IPv4 only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <delegate>
#include <net/inet_common.hpp>
#include <net/socket.hpp>
#include <net/tcp/common.hpp>
#include <net/tcp/tcp_errors.hpp>

namespace net {
class TCP;
}

namespace net::tcp {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Tuple = std::pair<Socket, Socket>;   // (local, remote)
  using Byte = uint8_t;

  class State;
  class Closed;
  class Listen;
  class SynSent;
  class SynReceived;
  class Established;
  class FinWait1;
  class FinWait2;
  class CloseWait;
  class Closing;
  class LastAck;
  class TimeWait;

  /// Why on_disconnect runs.
  struct Disconnect {
    enum Reason { CLOSING, REFUSED, RESET };
    Reason reason;

    explicit Disconnect(Reason r) : reason(r) {}
    operator Reason() const noexcept { return reason; }
    operator std::string() const noexcept { return to_string(); }
    bool operator==(const Disconnect& o) const noexcept { return reason == o.reason; }
    std::string to_string() const noexcept
    {
      switch (reason) {
      case CLOSING: return "Connection closing";
      case REFUSED: return "Connection refused";
      case RESET: return "Connection reset";
      default: return "Unknown reason";
      }
    }
  };

  enum class Drop_reason { NA, SEQ_OUT_OF_ORDER, ACK_NOT_SET, ACK_OUT_OF_ORDER, RCV_WND_ZERO, RST };

  /// `self` is null when an outgoing connection failed.
  using ConnectCallback = delegate<void(Connection_ptr self)>;
  using ReadCallback = delegate<void(buffer_t)>;
  using DataCallback = delegate<void()>;
  using DisconnectCallback = delegate<void(Connection_ptr self, Disconnect)>;
  using CloseCallback = delegate<void()>;
  using WriteCallback = delegate<void(size_t)>;

  /// A connection object that is not (yet) a connection: CLOSED. The
  /// stack makes the real ones (TCP::connect, Listener).
  Connection(TCP& host, Socket local, Socket remote, ConnectCallback cb = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // -- callbacks (each returns *this, for chaining) --
  Connection& on_connect(ConnectCallback cb);
  /// Data in buffers of at most `recv_bufsz` bytes (0: as it comes).
  Connection& on_read(size_t recv_bufsz, ReadCallback cb);
  /// The pull model: cb() when data is waiting; read_next() takes it.
  /// Not used while an on_read callback is set.
  Connection& on_data(DataCallback cb);
  Connection& on_disconnect(DisconnectCallback cb);
  Connection& on_close(CloseCallback cb);
  Connection& on_write(WriteCallback cb);
  /// Replace the read callback, keeping the buffer size.
  Connection& set_on_read_callback(ReadCallback cb);

  /// The data waiting (at most one on_read buffer's size), or null.
  buffer_t read_next();
  /// Bytes waiting to be read.
  size_t next_size();

  // -- sending --
  /// Queue `buffer` (not copied). Ignored unless is_writable(); throws
  /// TCP_error for an empty buffer.
  void write(buffer_t buffer);
  /// Queue a copy of `n` bytes.
  void write(const void* buf, size_t n);
  void write(const std::string& str) { write(str.data(), str.size()); }

  /// Graceful close: FIN after the queued data; reading goes on.
  void close();
  /// Reset now (RST), then on_close.
  void abort();

  // -- state --
  const State& state() const noexcept;
  const State& prev_state() const noexcept;
  bool is_state(const State& s) const noexcept { return &state() == &s; }
  /// state().to_string() == name ("ESTABLISHED", "FIN-WAIT-1", ...)
  bool is_state(const std::string& name) const noexcept;
  bool is_listening() const noexcept;
  bool is_connected() const noexcept;
  bool is_writable() const noexcept;
  bool is_readable() const noexcept;
  bool is_closing() const noexcept;
  bool is_closed() const noexcept;
  /// Not known to the stack (a failed or never started connection).
  bool is_queued() const noexcept { return false; }
  bool can_send() const noexcept { return is_writable(); }

  /// Bytes written but not yet sent (queued here and in the engine).
  uint32_t sendq_size() const noexcept;
  /// Room in the engine's send buffer.
  uint32_t sendq_remaining() const noexcept;
  /// Bytes received and not yet read.
  size_t readq_size() const;
  size_t bytes_sacked() const noexcept { return 0; }

  const Socket& local() const noexcept { return local_; }
  const Socket& remote() const noexcept { return remote_; }
  port_t local_port() const noexcept { return local_.port(); }
  Tuple tuple() const noexcept { return {local_, remote_}; }
  Protocol ipv() const noexcept { return Protocol::IPv4; }
  TCP& host() noexcept { return host_; }

  /// "10.0.0.44:8081 10.0.0.1:40000 (ESTABLISHED)"
  std::string to_string() const noexcept;

  /// Drop every callback (and what they hold).
  void reset_callbacks();
  void release_memory() {}
  void set_remote(Socket remote) { remote_ = remote; }

  // -- for the stack --
  struct Impl;
  Impl& impl() noexcept { return *impl_; }

 private:
  TCP& host_;
  Socket local_, remote_;
  std::unique_ptr<Impl> impl_;
};

// ---- states (connection_states.hpp on IncludeOS) -------------------------------

/// A connection's state, RFC 9293's names. Each state is one object:
/// compare with is_state(Connection::Established::instance()) or by name.
class Connection::State {
 public:
  enum Result { CLOSED = -1, OK = 0 };

  virtual std::string to_string() const = 0;
  virtual bool is_connected() const { return false; }
  virtual bool is_writable() const { return false; }
  virtual bool is_readable() const { return false; }
  virtual bool is_closing() const { return false; }
  virtual bool is_closed() const { return false; }

  State(const State&) = delete;
  State& operator=(const State&) = delete;

 protected:
  State() = default;
  ~State() = default;
};

#define UKBASE_TCP_STATE(NAME, TEXT, BODY)                                   \
  class Connection::NAME final : public Connection::State {                  \
   public:                                                                   \
    static State& instance()                                                 \
    {                                                                        \
      static NAME s;                                                         \
      return s;                                                              \
    }                                                                        \
    std::string to_string() const override { return TEXT; }                 \
    BODY                                                                     \
   private:                                                                  \
    NAME() = default;                                                        \
  };

// Which of connected / writable / readable / closing / closed each state is.
UKBASE_TCP_STATE(Closed, "CLOSED", bool is_closed() const override { return true; })
UKBASE_TCP_STATE(Listen, "LISTENING", )
UKBASE_TCP_STATE(SynSent, "SYN-SENT", bool is_writable() const override { return true; })
UKBASE_TCP_STATE(SynReceived, "SYN-RCV", )
UKBASE_TCP_STATE(Established, "ESTABLISHED",
                 bool is_connected() const override { return true; }
                 bool is_writable() const override { return true; }
                 bool is_readable() const override { return true; })
UKBASE_TCP_STATE(FinWait1, "FIN-WAIT-1",
                 bool is_readable() const override { return true; }
                 bool is_closing() const override { return true; })
UKBASE_TCP_STATE(FinWait2, "FIN-WAIT-2",
                 bool is_readable() const override { return true; }
                 bool is_closing() const override { return true; })
UKBASE_TCP_STATE(CloseWait, "CLOSE-WAIT", bool is_writable() const override { return true; })
UKBASE_TCP_STATE(Closing, "CLOSING", bool is_closing() const override { return true; })
UKBASE_TCP_STATE(LastAck, "LAST-ACK",
                 bool is_closing() const override { return true; }
                 bool is_closed() const override { return true; })
UKBASE_TCP_STATE(TimeWait, "TIME-WAIT",
                 bool is_closing() const override { return true; }
                 bool is_closed() const override { return true; })

#undef UKBASE_TCP_STATE

inline bool Connection::is_state(const std::string& name) const noexcept
{
  return state().to_string() == name;
}
inline bool Connection::is_listening() const noexcept { return is_state(Listen::instance()); }
inline bool Connection::is_connected() const noexcept { return state().is_connected(); }
inline bool Connection::is_writable() const noexcept { return state().is_writable(); }
inline bool Connection::is_readable() const noexcept { return state().is_readable(); }
inline bool Connection::is_closing() const noexcept { return state().is_closing(); }
inline bool Connection::is_closed() const noexcept { return state().is_closed(); }

}  // namespace net::tcp
