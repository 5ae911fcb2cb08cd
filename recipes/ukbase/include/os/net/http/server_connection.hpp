// One client of an http::Server, as IncludeOS's
// net/http/server_connection.hpp: reads its requests (pipelined ones
// one after the other), hands each to the server, and keeps the
// connection open between them unless the client or a response says
// otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include <net/http/connection.hpp>
#include <net/http/status_codes.hpp>

namespace http {

class Server;

class Server_connection : public Connection {
 public:
  static constexpr size_t DEFAULT_BUFSIZE = 1460;
  /// The most a request's head may take (beyond it: 431).
  static constexpr size_t MAX_HEAD = 64 << 10;

  explicit Server_connection(Server& server, TCP_conn conn, size_t idx,
                             const size_t bufsize = DEFAULT_BUFSIZE);
  ~Server_connection() override;

  /// Write a whole response.
  void send(Response_ptr res);

  size_t idx() const noexcept { return idx_; }
  /// When it last received or answered, in seconds since boot.
  int64_t idle_since() const noexcept;
  /// A request was handed out and its response has not ended.
  bool busy() const noexcept { return busy_; }
  /// What came after the current request (an upgrade's first data).
  std::string take_unread() override { return std::exchange(inbuf_, std::string{}); }

 private:
  friend class Server;

  void recv_request(buffer_t buf);
  void process();
  bool read_message();
  void refuse(status_t code);
  void end_request(status_t code = OK);
  void peer_closed(bool reset);
  void close() override;
  void ended() override;
  void update_idle();

  Server& server_;
  Request_ptr req_;
  size_t idx_;
  uint64_t idle_since_ns_ = 0;

  std::string inbuf_;            // received, not yet read
  bool head_read_ = false;       // req_ has its head; the body is being read
  int framing_ = 0;              // detail::Framing::Kind of req_'s body
  size_t body_length_ = 0;
  size_t chunk_pos_ = 0;
  std::string body_;
  bool continue_sent_ = false;
  bool busy_ = false;
  bool processing_ = false;
  bool done_ = false;            // no more requests (refused one, peer closed, closing)
  bool removed_ = false;
};

}  // namespace http
