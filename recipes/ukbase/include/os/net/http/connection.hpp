// One HTTP connection over a TCP connection, as IncludeOS's
// net/http/connection.hpp: what Server_connection and Client_connection
// share, and what a Response_handler is given.
//
// IncludeOS hands its connections around as net::Stream; ukbase has no
// Stream abstraction, so stream() (and tcp(), the older name) is the
// tcp::Connection_ptr itself, which offers the same write/close/on_read
// calls, and release() hands that out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <net/http/request.hpp>
#include <net/http/response.hpp>
#include <net/socket.hpp>
#include <net/tcp/connection.hpp>

namespace http {

class Connection {
 public:
  using TCP_conn = net::tcp::Connection_ptr;
  using Stream = net::tcp::Connection;
  using Stream_ptr = TCP_conn;
  using Peer = net::Socket;
  using buffer_t = net::tcp::buffer_t;

  /// Over an existing TCP connection.
  explicit Connection(TCP_conn tcpconn, bool keep_alive = true);
  /// A new TCP connection to `addr`.
  template <typename TCP>
  explicit Connection(TCP& tcp, Peer addr) : Connection(tcp.connect(addr))
  {
  }
  /// No connection at all (see empty()).
  explicit Connection() noexcept;

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = default;
  Connection& operator=(Connection&&) = default;
  virtual ~Connection();

  uint16_t local_port() const noexcept { return tcpconn_ ? tcpconn_->local_port() : 0; }
  Peer peer() const noexcept { return peer_; }

  /// Close it: it was idle, or too slow.
  void timeout();

  const TCP_conn& stream() const noexcept { return tcpconn_; }
  const TCP_conn& tcp() const noexcept { return tcpconn_; }

  /// Close the TCP connection (gracefully) unless it is closing already.
  void shutdown();
  /// Hand out the TCP connection, its callbacks cleared: this connection
  /// is of no further use (a protocol upgrade takes it over).
  TCP_conn release();
  bool released() const noexcept { return tcpconn_ == nullptr; }
  /// Bytes received after the last message and not read as HTTP, handed
  /// out once: after a protocol upgrade, the new protocol's first data.
  virtual std::string take_unread() { return {}; }

  /// The connection given to a Response_handler when there is none
  /// (the host did not resolve).
  static Connection& empty() noexcept
  {
    static Connection c;
    return c;
  }

  bool keep_alive() const noexcept { return keep_alive_; }
  void keep_alive(bool keep_alive) noexcept { keep_alive_ = keep_alive; }

  /// One message exchange is over: close unless kept alive.
  void end();

  /// Expires when this connection is destroyed.
  std::weak_ptr<bool> lifetime() const noexcept { return alive_; }

 protected:
  TCP_conn tcpconn_;
  bool keep_alive_;
  Peer peer_;

  /// The connection is done with (released, or closed).
  virtual void close() {}
  /// end() ran on a connection that was not released.
  virtual void ended() {}

 private:
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace http
