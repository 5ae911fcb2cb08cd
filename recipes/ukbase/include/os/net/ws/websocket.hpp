// WebSockets (RFC 6455), as IncludeOS's net/ws/websocket.hpp.
//
//   // a server: an http::Server's requests upgraded (see net/ws/connector.hpp)
//   net::WS_server_connector ws{[](net::WebSocket_ptr ws) {
//     if (!ws) return;                      // refused, or not a WebSocket request
//     ws->on_read = [w = ws.get()](net::WebSocket::Message_ptr msg) {
//       w->write(msg->data(), msg->size(), msg->opcode());   // echo
//     };
//     ws->on_close = [](uint16_t code) { printf("closed %u\n", code); };
//     keep(std::move(ws));
//   }};
//   server.on_request(ws);
//
//   // a client
//   net::WebSocket::connect(client, "ws://10.0.2.2:8001/", [](net::WebSocket_ptr ws) {
//     if (ws) ws->write("hello");
//   });
//
// * Messages: on_read gets each whole TEXT or BINARY message, its
//   fragments (continuation frames) put together. TEXT must be UTF-8
//   (else the connection closes with 1007); a message over
//   set_max_message_size() closes it with 1009 (0: no limit, the
//   default, as on IncludeOS).
// * Frames from a client must be masked and frames from a server must
//   not be; a frame breaking the rules (reserved bits, unknown opcodes,
//   a fragmented or long control frame, a continuation of nothing)
//   closes the connection with 1002. on_error hears why, first.
// * Pings are answered with a pong carrying their data (unless on_ping
//   returns false); ping(timeout) sends one and calls on_pong_timeout
//   (default: close(1000)) if no pong comes within `timeout`.
// * Closing: close(code) sends a Close frame and closes the TCP
//   connection's sending side; a Close from the peer is answered with
//   its own status code. on_close runs once, when the WebSocket is over:
//   with the code of the peer's Close (1005 when it had none) or the one
//   we closed with, or 1006 when the TCP connection ended without a
//   Close. is_alive() is false from the first Close on.
// * Client frames are masked with a fresh random key each (getrandom).
//
// The WebSocket may be destroyed in any of its callbacks. Where ukbase
// differs from IncludeOS: on_close gets the real status code (IncludeOS
// always says 1000); a refused on_accept is answered 403 (IncludeOS:
// 401); a client may write a shared buffer (it is copied to be masked);
// no LiveUpdate serialisation; wss:// throws http::Client_error (no TLS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <delegate>
#include <net/http/basic_client.hpp>
#include <net/http/server.hpp>
#include <net/tcp/connection.hpp>
#include <net/ws/header.hpp>
#include <smp>        // as on IncludeOS, whose network headers bring in SMP::Array and PER_CPU
#include <timers>
#include <util/uri.hpp>

namespace net {

struct WS_error : public std::runtime_error {
  using base = std::runtime_error;
  using base::base;
};

class WebSocket {
 public:
  /// IncludeOS's net::Stream is ukbase's TCP connection.
  using Stream_ptr = tcp::Connection_ptr;
  using buffer_t = tcp::buffer_t;

  /// One whole message: its data (unmasked, fragments joined) and opcode.
  class Message {
   public:
    using Data = std::vector<uint8_t>;
    using Data_it = Data::iterator;
    using Data_cit = Data::const_iterator;

    Message(op_code code, Data data = {}) : data_(std::move(data))
    {
      header_.set_opcode(code);
      header_.set_payload(data_.size());
    }

    Data extract_vector() noexcept { return std::move(data_); }
    std::shared_ptr<Data> extract_shared_vector() { return std::make_shared<Data>(std::move(data_)); }
    std::string as_text() const { return std::string(data(), size()); }

    size_t size() const noexcept { return data_.size(); }
    const char* data() const noexcept { return reinterpret_cast<const char*>(data_.data()); }
    char* data() noexcept { return reinterpret_cast<char*>(data_.data()); }
    Data_it begin() noexcept { return data_.begin(); }
    Data_it end() noexcept { return data_.end(); }
    Data_cit cbegin() const noexcept { return data_.cbegin(); }
    Data_cit cend() const noexcept { return data_.cend(); }

    /// Messages are handed out complete.
    bool is_complete() const noexcept { return true; }
    op_code opcode() const noexcept { return header_.opcode(); }
    /// A header describing the whole message: final, unmasked, its size.
    const ws_header& header() const noexcept { return header_; }
    /// Data is unmasked as it arrives: nothing to do.
    void unmask() noexcept {}

   private:
    friend class WebSocket;
    Data data_;
    ws_header header_;
  };  // < class Message

  using Message_ptr = std::unique_ptr<Message>;
  using WebSocket_ptr = std::unique_ptr<WebSocket>;
  /// The handshake is done (a WebSocket), or failed (nullptr).
  using Connect_handler = delegate<void(WebSocket_ptr)>;
  /// Whether to take a client (its address, its Origin field).
  using Accept_handler = delegate<bool(net::Socket, std::string)>;
  typedef delegate<void(Message_ptr)> read_func;
  typedef delegate<void(uint16_t)> close_func;
  typedef delegate<void(std::string)> error_func;
  /// Return false to send no pong.
  typedef delegate<bool(const char* data, size_t len)> ping_func;
  typedef delegate<void(const char* data, size_t len)> pong_func;
  typedef delegate<void(WebSocket& ws)> pong_timeout_func;

  /// The server side of a handshake: answers `req` (101, or 400/426 for
  /// a request that is not a WebSocket handshake) and takes the
  /// connection. nullptr when it failed.
  static WebSocket_ptr upgrade(http::Request& req, http::Response_writer& writer);
  /// The client side: `res` answered a request with Sec-WebSocket-Key
  /// `key`. nullptr unless it is a 101 with the right Sec-WebSocket-Accept.
  static WebSocket_ptr upgrade(http::Error err, http::Response& res, http::Connection& conn,
                               const std::string& key);
  /// 16 random bytes (a key is their base64).
  static std::vector<char> generate_key();
  /// Sec-WebSocket-Accept for a key: base64(SHA-1(key + the RFC's GUID)).
  static std::string accept_key(const std::string& key);

  /// Open a WebSocket to `dest` (ws://host[:port]/path) through `client`;
  /// `callback` gets it, or nullptr. wss:// throws http::Client_error.
  static void connect(http::Basic_client& client, uri::URI dest, Connect_handler callback);

  /// A request handler for an http::Server that upgrades its requests.
  static http::Server::Request_handler create_request_handler(Connect_handler on_connect,
                                                              Accept_handler on_accept = nullptr);
  /// A response handler for an http::Basic_client request with WebSocket key `key`.
  static http::Basic_client::Response_handler create_response_handler(Connect_handler on_connect,
                                                                      std::string key);

  /// A message of one frame (TEXT or BINARY; anything else throws WS_error).
  void write(const char* buffer, size_t len, op_code = op_code::TEXT);
  void write(buffer_t buffer, op_code = op_code::TEXT);
  void write(const std::string& text) { write(text.data(), text.size(), op_code::TEXT); }

  /// Send a ping; without a pong within `timeout`, on_pong_timeout runs.
  bool ping(const char* buffer, size_t len, Timers::duration_t timeout);
  bool ping(Timers::duration_t timeout) { return ping(nullptr, 0, timeout); }

  /// Start the closing handshake with status `reason`.
  void close(uint16_t reason = 1000);

  void reset_callbacks();

  close_func on_close = nullptr;
  error_func on_error = nullptr;
  read_func on_read = nullptr;
  ping_func on_ping = nullptr;     // null: always answer
  pong_func on_pong = nullptr;
  pong_timeout_func on_pong_timeout = nullptr;

  /// Open: neither side has sent a Close, the connection is up.
  bool is_alive() const noexcept
  {
    return stream_ != nullptr && !close_sent_ && !close_received_ && !tcp_gone_;
  }
  bool is_client() const noexcept { return clientside_; }
  const Stream_ptr& get_connection() const noexcept { return stream_; }

  static const char* to_string(op_code code);
  /// What a close status code means.
  static const char* status_code(uint16_t code);
  /// The TCP connection's description ("closed" once it is gone).
  std::string to_string() const { return stream_ ? stream_->to_string() : std::string("closed"); }
  int get_cpuid() const noexcept { return 0; }

  /// The largest message taken, in bytes; 0: no limit.
  void set_max_message_size(uint32_t sz) noexcept { max_msg_size_ = sz; }

  /// Over a connection that finished an HTTP upgrade; `client`: we are
  /// the client side. `unread`: bytes that came after the handshake.
  WebSocket(Stream_ptr stream, bool client, std::string unread = {});
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;
  ~WebSocket();

 private:
  void read_pending();
  void read_data(const uint8_t* data, size_t len);
  bool frame_started();
  void frame_complete();
  void deliver();
  bool send_frame(op_code code, const uint8_t* data, size_t len);
  void failure(uint16_t code, const std::string& reason);
  void finish(uint16_t code);
  void stream_gone(bool gone);
  void stop_ping_timer();

  Stream_ptr stream_;
  bool clientside_;
  uint32_t max_msg_size_ = 0;
  bool close_sent_ = false;
  bool close_received_ = false;
  bool finished_ = false;              // on_close has run
  bool failed_ = false;                // a protocol error: nothing more is read
  bool tcp_gone_ = false;              // the TCP connection is closed
  uint16_t close_code_ = 1005;         // what on_close is called with
  Timers::id_t ping_timer_ = Timers::UNUSED_ID;
  Timers::id_t close_timer_ = Timers::UNUSED_ID;

  // The frame being read: its header (once all of it came), the header
  // bytes so far, and how much of its payload has come.
  ws_header hdr_;
  bool have_hdr_ = false;
  uint8_t hbuf_[ws_header::MAX_LENGTH];
  size_t hbuf_len_ = 0;
  uint64_t frame_pos_ = 0;
  std::vector<uint8_t> control_;        // a control frame's payload
  Message_ptr message_;                 // a data message being put together
  std::string pending_;                 // received with the handshake, not read yet
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};
using WebSocket_ptr = WebSocket::WebSocket_ptr;

}  // namespace net
