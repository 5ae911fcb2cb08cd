// A listening port, as IncludeOS's net/tcp/listener.hpp: what
// TCP::listen() returns.
//
//   tcp.listen(8080)
//      .on_accept([](net::Socket remote) { return remote.address() != banned; })
//      .on_connect([](tcp::Connection_ptr conn) { ... });
//
// on_connect runs with each connection once its handshake is complete.
// on_accept, the filter, runs at that moment too (not at the SYN, as on
// IncludeOS): a connection it refuses is reset and never reaches
// on_connect.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include <delegate>
#include <net/socket.hpp>
#include <net/tcp/common.hpp>
#include <net/tcp/connection.hpp>

namespace net {
class TCP;
}

namespace net::tcp {

class Listener {
 public:
  using AcceptCallback = delegate<bool(Socket)>;
  using ConnectCallback = Connection::ConnectCallback;
  using CloseCallback = delegate<void(Listener&)>;
  using SynQueue = std::deque<Connection_ptr>;

  Listener(TCP& host, Socket local, ConnectCallback cb = nullptr, bool ipv6_only = false);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  /// Filter connections by their remote end (default: accept all).
  Listener& on_accept(AcceptCallback cb);
  /// Each established connection.
  Listener& on_connect(ConnectCallback cb);
  /// Runs when the listener closes.
  Listener& on_close(CloseCallback cb);

  const Socket& local() const noexcept { return local_; }
  port_t port() const noexcept { return local_.port(); }
  /// Connections that finished their handshake and wait for on_connect
  /// (the engine keeps half-open ones to itself).
  size_t syn_queue_size() const;
  const SynQueue& syn_queue() const noexcept { return syn_queue_; }
  bool syn_queue_full() const;

  /// "[0.0.0.0:80] SynQueue (0) "
  std::string to_string() const;

  /// Stop listening: the port is free again. Established connections
  /// live on.
  void close();
  bool is_closed() const noexcept;

  // -- for the stack --
  struct Impl;
  Impl& impl() noexcept { return *impl_; }

 private:
  TCP& host_;
  Socket local_;
  SynQueue syn_queue_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace net::tcp
