// An HTTP/1.1 server, as IncludeOS's net/http/server.hpp.
//
//   auto server = http::make_server(inet.tcp());   // or std::make_unique<http::Server>(inet.tcp())
//   server->on_request([](http::Request_ptr req, http::Response_writer_ptr rw) {
//     if (req->uri().path() != "/") { rw->write_header(http::Not_Found); return; }
//     rw->header().set_field(http::header::Content_Type, "text/plain");
//     rw->write("hello");
//   });
//   server->listen(80);   // "[ HTTP Server ] Listening on port 80 on CPU 0"
//
// Connections stay open between requests (HTTP/1.1, or HTTP/1.0 with
// "Connection: keep-alive") and may carry pipelined requests, answered in
// order. Request bodies are read by Content-Length or chunked transfer
// coding. What does not parse is answered 400 (431 for a head over 64
// KiB, 501 for a method http::Method does not name, 505 for HTTP/2 and
// the like) and the connection closed. Connections idle longer than the
// idle timeout are closed (checked every minute).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include <delegate>
#include <net/http/common.hpp>
#include <net/http/response_writer.hpp>
#include <net/http/server_connection.hpp>
#include <net/tcp/tcp.hpp>
#include <timers>

namespace http {

/// What a server calls with each request.
using Request_handler = delegate<void(Request_ptr, Response_writer_ptr)>;

class Server {
 public:
  using Request_handler = http::Request_handler;
  using TCP = net::TCP;
  using TCP_conn = net::tcp::Connection_ptr;
  using idle_duration = std::chrono::seconds;

  static constexpr size_t DEFAULT_BUFSIZE = 2048;
  static inline const idle_duration DEFAULT_IDLE_TIMEOUT{60};

  /// A server on `tcp` (an interface's). `timeout` 0: connections may
  /// idle for ever.
  explicit Server(TCP& tcp, Request_handler handler = nullptr,
                  idle_duration timeout = DEFAULT_IDLE_TIMEOUT);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  virtual ~Server();

  /// Listen on `port` (on_request must be set); throws net::TCP_error
  /// when the port is taken.
  void listen(const uint16_t port);

  void on_request(Request_handler handler) { on_request_ = std::move(handler); }
  /// A callable object the server calls by reference (it must outlive
  /// the server): one that cannot be copied into a Request_handler.
  template <typename Callable,
            typename = std::enable_if_t<!std::is_convertible_v<Callable&, Request_handler>
                                        && std::is_invocable_v<Callable&, Request_ptr, Response_writer_ptr>>>
  void on_request(Callable& handler)
  {
    on_request_ = [&handler](Request_ptr req, Response_writer_ptr rw) {
      handler(std::move(req), std::move(rw));
    };
  }

  /// Clients connected now.
  size_t connected_clients() const noexcept { return connections_.size() - free_idx_.size(); }

  /// A response with this status and no fields.
  Response_ptr create_response(status_t code = http::OK) const;

  /// ukbase has one CPU.
  int get_cpuid() const noexcept { return 0; }

 protected:
  TCP& tcp_;

  /// Listen on the port and print IncludeOS's INFO line.
  virtual void bind(const uint16_t port);
  /// A new TCP connection arrived.
  virtual void on_connect(TCP_conn conn) { connect(std::move(conn)); }
  /// Serve requests on `conn`.
  void connect(TCP_conn conn);

 private:
  friend class Server_connection;
  using Connection_set = std::vector<std::unique_ptr<Server_connection>>;
  using Index_set = std::vector<size_t>;

  void close(Server_connection& conn);
  void timeout_clients(int32_t);
  void receive(Request_ptr req, status_t code, Server_connection& conn);

  Request_handler on_request_;
  Connection_set connections_;
  Index_set free_idx_;
  Timers::id_t timer_id_ = Timers::UNUSED_ID;
  const idle_duration idle_timeout_;
  std::vector<uint16_t> ports_;      // listened on
};

template <typename = void>
inline Server_ptr make_server(Server::TCP& tcp, Server::Request_handler handler = nullptr,
                              Server::idle_duration timeout = Server::DEFAULT_IDLE_TIMEOUT)
{
  return std::make_unique<Server>(tcp, std::move(handler), timeout);
}

}  // namespace http
