// One connection of an http::Basic_client, as IncludeOS's
// net/http/client_connection.hpp: sends a request, reads its response
// (by Content-Length, chunked, or until the server closes) and calls the
// Response_handler once, with the response or an Error.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include <delegate>
#include <net/http/common.hpp>
#include <net/http/connection.hpp>
#include <net/http/error.hpp>
#include <timers>

namespace http {

class Basic_client;

class Client_connection : public Connection {
 public:
  using Response_handler = delegate<void(Error, Response_ptr, Connection&)>;
  using timeout_duration = std::chrono::milliseconds;

  explicit Client_connection(Basic_client& client, TCP_conn conn);
  ~Client_connection() override;

  /// Free for another request (kept alive, nothing outstanding).
  bool available() const noexcept { return on_response_ == nullptr && keep_alive_ && !closed_; }
  bool occupied() const noexcept { return !available(); }
  /// What came after a 101 Switching Protocols response.
  std::string take_unread() override { return std::exchange(unread_, std::string{}); }

  /// Send `req` (once connected); `on_res` gets the response. `redirects`:
  /// how many 3xx Locations to follow; `timeout` 0: wait for ever.
  void send(Request_ptr req, Response_handler on_res, int redirects,
            timeout_duration timeout = timeout_duration::zero());

 private:
  friend class Basic_client;

  void send_request();
  void recv_response(buffer_t buf);
  void read_response();
  void end_response(Error err = Error::NONE);
  void timeout_request();
  void start_timer();
  void stop_timer();
  bool can_redirect(const Response_ptr& res) const;
  void redirect(uri::URI location);
  void peer_closed(bool reset);
  void close() override;
  void reset_reading();

  Basic_client& client_;
  Request_ptr req_;
  Response_ptr res_;
  Response_handler on_response_;
  Timers::id_t timer_ = Timers::UNUSED_ID;
  timeout_duration timeout_dur_{0};
  int redirect_ = 0;

  std::string inbuf_;            // received, not yet read
  bool head_read_ = false;
  int framing_ = 0;              // detail::Framing::Kind of the body
  size_t body_length_ = 0;
  size_t chunk_pos_ = 0;
  std::string body_;
  std::string unread_;           // what followed a 101 response
  bool received_ = false;        // any byte of this response came
  bool closed_ = false;          // the server closed, or the connection failed
  bool removed_ = false;
};

}  // namespace http
