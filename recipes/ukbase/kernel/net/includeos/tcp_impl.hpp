// Internal to kernel/net/includeos: what IncludeOS's TCP classes keep of
// the TCP engine (kernel/net/tcp), shared by tcp.cpp and connection.cpp.
#pragma once

#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include <net/tcp/tcp.hpp>

#include "../tcp/tcp.hpp"
#include "kernel/inet.hpp"

namespace net::tcp {

namespace engine = ukbase::tcp;

/// An endpoint of the engine as a net::Socket: an IPv4 address, or the
/// handle of an IPv6 one (kernel/inet.hpp).
inline Socket to_socket(const engine::Endpoint& e)
{
  uint8_t b[16];
  if (!ukbase::net::tcp6_address(e.addr, b))
    return Socket{ip4::Addr(e.addr), e.port};
  ip6::Addr a;
  std::memcpy(&a, b, 16);
  return Socket{a, e.port};
}

/// An address as the engine knows it: IPv4's own, IPv6's handle, 0 for
/// either kind's "any".
inline uint32_t to_engine(const Addr& a)
{
  if (a.is_any())
    return 0;
  if (a.is_v4())
    return a.v4().whole;
  uint8_t b[16];
  std::memcpy(b, &a.v6(), 16);
  return ukbase::net::tcp6_handle(b);
}

struct Connection::Impl final : public engine::Handler {
  explicit Impl(Connection& c) : self(c) {}
  ~Impl();

  /// Take over an engine connection (connect, accept).
  void attach(std::shared_ptr<engine::Connection> conn, bool outgoing);
  /// The engine reports `events` (EV_* bits).
  void tcp_event(engine::Connection& c, unsigned events) override;
  /// Run `events` now, or after the callback that is running returns.
  void post(unsigned events);
  /// An outgoing connection that failed before the engine had it.
  void fail_soon();
  void schedule_reads();

  // The steps of one event round.
  void dispatch();
  void handle(unsigned events);
  void deliver_reads();
  void feed();
  void check_written();
  void signal_close();
  const State& engine_state() const;

  Connection& self;
  std::shared_ptr<engine::Connection> conn;     // null: not (or no longer) a connection
  bool outgoing = false;
  bool connected = false;       // on_connect ran (or the listener's)
  bool closed = false;          // on_close ran
  bool close_requested = false; // close() was called
  bool closed_first = false;    // ... before the peer's FIN
  bool shut = false;            // the engine was told (shutdown_write)
  bool fin_seen = false;
  bool dispatching = false;
  bool reads_scheduled = false;
  unsigned pending = 0;         // events waiting for the current round
  const State* override_state = nullptr;   // what state() says during on_disconnect
  const State* cur = nullptr;   // the state seen at the last event, and the one before
  const State* prev = nullptr;

  ConnectCallback on_connect;
  ReadCallback on_read;
  size_t read_size = 0;
  DataCallback on_data;
  DisconnectCallback on_disconnect;
  bool user_disconnect = false;
  CloseCallback on_close;
  WriteCallback on_write;

  // Writes: queued here without a limit, fed to the engine as its send
  // buffer has room. Offsets count every byte ever written.
  struct Request {
    buffer_t buf;
    size_t off;
    size_t size;
  };
  std::deque<Request> writeq;
  size_t queued = 0;                    // bytes in writeq not yet handed over
  uint64_t handed = 0;                  // bytes handed to the engine
  std::deque<std::pair<uint64_t, size_t>> in_flight;   // (end offset, size) of handed requests
};

struct Listener::Impl final : public engine::Listener_handler {
  explicit Impl(Listener& l) : self(l) {}
  ~Impl();

  void tcp_accept_ready(engine::Listener& l) override;

  Listener& self;
  /// The engine's: on the IPv4 address, the IPv6 ones, or both.
  std::vector<std::shared_ptr<engine::Listener>> listeners;
  AcceptCallback on_accept;
  ConnectCallback on_connect;
  CloseCallback on_close;
  bool closed = false;
};

/// The engine's options for the connections this TCP makes or accepts.
engine::Options connection_options(const TCP& tcp);

}  // namespace net::tcp
