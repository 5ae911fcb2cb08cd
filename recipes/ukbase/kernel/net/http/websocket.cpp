// net::WebSocket (RFC 6455): the opening handshake on an http::Server or
// an http::Basic_client connection, then frames over the TCP connection
// the HTTP code hands over (Connection::release(), with the bytes that
// came after the handshake: take_unread()).
#include <net/ws/connector.hpp>

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include <os.hpp>

#include "parse.hpp"

namespace net {

namespace {

// Appended to a key before hashing (RFC 6455 section 1.3).
constexpr const char* WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// How long a Close we sent waits for the peer's before giving up.
constexpr auto CLOSE_TIMEOUT = std::chrono::seconds(5);
// The most of a frame's announced length reserved up front (the rest
// grows as it comes, so a large announced length costs nothing yet).
constexpr size_t RESERVE_LIMIT = 1 << 20;

// ---- SHA-1 (FIPS 180-4) and base64 (RFC 4648), for Sec-WebSocket-Accept --------------------

inline uint32_t rol(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

std::array<uint8_t, 20> sha1(const std::string& text)
{
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  // The message, a 1 bit, zeros to 56 mod 64, then its length in bits.
  std::string m = text;
  const uint64_t bits = uint64_t(text.size()) * 8;
  m.push_back(static_cast<char>(0x80));
  while (m.size() % 64 != 56)
    m.push_back('\0');
  for (int i = 7; i >= 0; i--)
    m.push_back(static_cast<char>(bits >> (8 * i)));

  for (size_t block = 0; block < m.size(); block += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++) {
      const auto* p = reinterpret_cast<const uint8_t*>(m.data() + block + 4 * i);
      w[i] = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
    }
    for (int i = 16; i < 80; i++)
      w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
      uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      const uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rol(b, 30);
      b = a;
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  std::array<uint8_t, 20> out;
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 4; j++)
      out[4 * i + j] = static_cast<uint8_t>(h[i] >> (24 - 8 * j));
  return out;
}

constexpr const char* B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const uint8_t* p, size_t n)
{
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t(p[i]) << 16;
    if (i + 1 < n)
      v |= uint32_t(p[i + 1]) << 8;
    if (i + 2 < n)
      v |= p[i + 2];
    out.push_back(B64[(v >> 18) & 63]);
    out.push_back(B64[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? B64[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? B64[v & 63] : '=');
  }
  return out;
}

// A Sec-WebSocket-Key: base64 of 16 bytes (22 characters and "==").
bool valid_key(std::string_view key)
{
  if (key.size() != 24 || key[22] != '=' || key[23] != '=')
    return false;
  for (size_t i = 0; i < 22; i++)
    if (!std::strchr(B64, key[i]) || key[i] == '\0')
      return false;
  return true;
}

// ---- UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF ---------------

bool valid_utf8(const uint8_t* p, size_t n)
{
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + len > n)
      return false;
    for (size_t j = 1; j < len; j++) {
      if ((p[i + j] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (p[i + j] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

// Close codes a peer may send (RFC 6455 section 7.4).
bool valid_close_code(uint16_t code)
{
  if (code >= 3000 && code <= 4999)
    return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

uint32_t random_key()
{
  uint32_t key = 0;
  if (getrandom(&key, sizeof key, 0) != sizeof key)
    key = static_cast<uint32_t>(os::nanos_since_boot() * 0x9E3779B97F4A7C15ull >> 32);
  return key;
}

// Why a request is not a WebSocket opening handshake (RFC 6455 section
// 4.2.1): the status to answer it with, or OK.
http::status_t check_handshake(const http::Request& req)
{
  using namespace http;
  const auto& h = req.header();
  if (req.method() != GET || req.version() < Version(1, 1)
      || !detail::has_token(h.value(header::Upgrade), "websocket")
      || !detail::has_token(h.value(header::Connection), "upgrade")
      || !valid_key(h.value("Sec-WebSocket-Key")))
    return Bad_Request;
  if (h.value("Sec-WebSocket-Version") != "13")
    return Upgrade_Required;
  return OK;
}

// Answer a request that will not become a WebSocket (the connection
// stays usable for HTTP).
void refuse(http::Response_writer& writer, http::status_t code)
{
  if (code == http::Upgrade_Required)
    writer.header().set_field("Sec-WebSocket-Version", "13");
  writer.set_status_code(code);
  writer.write();
}

}  // namespace

// ---- the handshake ---------------------------------------------------------------------------

std::string WebSocket::accept_key(const std::string& key)
{
  auto digest = sha1(key + WS_GUID);
  return base64(digest.data(), digest.size());
}

std::vector<char> WebSocket::generate_key()
{
  std::vector<char> key(16);
  for (size_t i = 0; i < key.size(); i += 4) {
    uint32_t v = random_key();
    std::memcpy(&key[i], &v, 4);
  }
  return key;
}

WebSocket_ptr WebSocket::upgrade(http::Request& req, http::Response_writer& writer)
{
  const http::status_t bad = check_handshake(req);
  if (bad != http::OK) {
    refuse(writer, bad);
    return nullptr;
  }
  auto& h = writer.header();
  h.set_field(http::header::Connection, "Upgrade");
  h.set_field(http::header::Upgrade, "websocket");
  h.set_field("Sec-WebSocket-Accept", accept_key(std::string(req.header().value("Sec-WebSocket-Key"))));
  writer.write_header(http::Switching_Protocols);
  std::string unread = writer.connection().take_unread();
  auto stream = writer.connection().release();
  // Only a connection that is still fully open (not closing) is taken.
  if (!stream || !stream->is_connected())
    return nullptr;
  return std::make_unique<WebSocket>(std::move(stream), false, std::move(unread));
}

WebSocket_ptr WebSocket::upgrade(http::Error err, http::Response& res, http::Connection& conn,
                                 const std::string& key)
{
  if (err || res.status_code() != http::Switching_Protocols)
    return nullptr;
  const auto& h = res.header();
  if (!http::detail::has_token(h.value(http::header::Upgrade), "websocket")
      || !http::detail::has_token(h.value(http::header::Connection), "upgrade")
      || h.value("Sec-WebSocket-Accept") != accept_key(key))
    return nullptr;
  std::string unread = conn.take_unread();
  auto stream = conn.release();
  if (!stream || !stream->is_connected())
    return nullptr;
  return std::make_unique<WebSocket>(std::move(stream), true, std::move(unread));
}

void WS_server_connector::on_request(http::Request_ptr req, http::Response_writer_ptr writer)
{
  const http::status_t bad = check_handshake(*req);
  if (bad != http::OK) {
    refuse(*writer, bad);
    on_connect_(nullptr);
    return;
  }
  if (on_accept_ && !on_accept_(writer->connection().peer(), std::string(req->header().value("Origin")))) {
    refuse(*writer, http::Forbidden);
    on_connect_(nullptr);
    return;
  }
  on_connect_(WebSocket::upgrade(*req, *writer));
}

http::Server::Request_handler WebSocket::create_request_handler(Connect_handler on_connect,
                                                                Accept_handler on_accept)
{
  auto connector = std::make_shared<WS_server_connector>(
      std::move(on_connect),
      [on_accept](net::Socket peer, const std::string& origin) {
        return !on_accept || on_accept(peer, origin);
      });
  return [connector](http::Request_ptr req, http::Response_writer_ptr writer) {
    connector->on_request(std::move(req), std::move(writer));
  };
}

http::Basic_client::Response_handler WebSocket::create_response_handler(Connect_handler on_connect,
                                                                        std::string key)
{
  return WS_client_connector::create_response_handler(std::move(on_connect), std::move(key));
}

void WebSocket::connect(http::Basic_client& client, uri::URI dest, Connect_handler callback)
{
  if (dest.scheme_is_secure())
    throw http::Client_error("wss:// needs TLS, which ukbase does not have");
  auto raw = generate_key();
  std::string key = base64(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
  auto req = client.create_request(http::GET);
  std::string target(dest.path().empty() ? "/" : dest.path());
  if (!dest.query().empty())
    target += "?" + std::string(dest.query());
  req->set_uri(uri::URI{target});
  auto& h = req->header();
  h.set_field(http::header::Connection, "Upgrade");
  h.set_field(http::header::Upgrade, "websocket");
  h.set_field("Sec-WebSocket-Version", "13");
  h.set_field("Sec-WebSocket-Key", key);
  client.send(std::move(req), std::move(dest),
              WS_client_connector::create_response_handler(std::move(callback), std::move(key)));
}

// ---- the connection ------------------------------------------------------------------------------

WebSocket::WebSocket(Stream_ptr stream, bool client, std::string unread)
    : stream_(std::move(stream)), clientside_(client)
{
  if (!stream_)
    throw WS_error("WebSocket without a connection");
  pending_ = std::move(unread);
  stream_->on_read(16384, [this](buffer_t buf) {
    std::weak_ptr<bool> alive = alive_;
    read_pending();
    if (!alive.expired() && buf && !buf->empty())
      read_data(buf->data(), buf->size());
  });
  stream_->on_disconnect([this](tcp::Connection_ptr, tcp::Connection::Disconnect) { stream_gone(false); });
  stream_->on_close([this] { stream_gone(true); });
  // Bytes that came with the handshake are read once the WebSocket has
  // been handed out (and its callbacks set).
  if (!pending_.empty()) {
    std::weak_ptr<bool> alive = alive_;
    Timers::oneshot(std::chrono::nanoseconds(0), [this, alive](Timers::id_t) {
      if (!alive.expired())
        read_pending();
    });
  }
}

WebSocket::~WebSocket()
{
  *alive_ = false;
  stop_ping_timer();
  if (close_timer_ != Timers::UNUSED_ID)
    Timers::stop(close_timer_);
  if (stream_) {
    stream_->reset_callbacks();
    if (!tcp_gone_) {
      // Going away without a closing handshake: say so (1001), then close.
      if (!close_sent_ && stream_->is_writable()) {
        const uint8_t code[2] = {0x03, 0xE9};
        send_frame(op_code::CLOSE, code, 2);
      }
      if (!stream_->is_closing() && !stream_->is_closed())
        stream_->close();
    }
  }
}

void WebSocket::read_pending()
{
  if (pending_.empty())
    return;
  std::string data = std::move(pending_);
  pending_.clear();
  read_data(reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

void WebSocket::read_data(const uint8_t* p, size_t n)
{
  std::weak_ptr<bool> alive = alive_;
  while (n > 0 && !alive.expired() && !failed_ && !close_received_ && !tcp_gone_) {
    if (!have_hdr_) {
      const size_t take = std::min(n, ws_header::MAX_LENGTH - hbuf_len_);
      std::memcpy(hbuf_ + hbuf_len_, p, take);
      const size_t used = hdr_.parse(hbuf_, hbuf_len_ + take);
      if (!used) {
        hbuf_len_ += take;            // the header's start; the rest follows
        p += take;
        n -= take;
        continue;
      }
      const size_t fresh = used - hbuf_len_;
      p += fresh;
      n -= fresh;
      hbuf_len_ = 0;
      have_hdr_ = true;
      frame_pos_ = 0;
      if (!frame_started())
        return;
      if (hdr_.length == 0)
        frame_complete();
      continue;
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n, hdr_.length - frame_pos_));
    std::vector<uint8_t>& into = hdr_.is_control() ? control_ : message_->data_;
    const size_t at = into.size();
    into.insert(into.end(), p, p + take);
    hdr_.masking_algorithm(reinterpret_cast<char*>(into.data() + at), take, frame_pos_);
    frame_pos_ += take;
    p += take;
    n -= take;
    if (frame_pos_ == hdr_.length)
      frame_complete();
  }
}

// A frame's header is in: is it one we may get? False when it is not
// (the connection is failed).
bool WebSocket::frame_started()
{
  const uint8_t code = hdr_.code;
  const bool data = code <= 2, control = code >= 8 && code <= 10;
  if (hdr_.rsv)
    return failure(1002, "read: Reserved bits set (no extension was negotiated)"), false;
  if (!data && !control)
    return failure(1002, "read: Reserved opcode " + std::to_string(code)), false;
  if (clientside_ && hdr_.is_masked())
    return failure(1002, "Read masked message from server"), false;
  if (!clientside_ && !hdr_.is_masked())
    return failure(1002, "Read unmasked message from client"), false;
  if (hdr_.length >> 63)
    return failure(1002, "read: Payload length out of range"), false;
  if (control) {
    if (!hdr_.is_final() || hdr_.length > 125)
      return failure(1002, "read: Fragmented or long control frame"), false;
    control_.clear();
    return true;
  }
  if (code == 0 && !message_)
    return failure(1002, "read: Continuation frame without a message"), false;
  if (code != 0 && message_)
    return failure(1002, "read: New message inside a fragmented one"), false;
  const uint64_t so_far = message_ ? message_->data_.size() : 0;
  if (max_msg_size_ && so_far + hdr_.length > max_msg_size_)
    return failure(1009, "read: Maximum message size exceeded: " + std::to_string(max_msg_size_)
                             + " bytes"),
           false;
  if (!message_)
    message_ = std::make_unique<Message>(hdr_.opcode());
  message_->data_.reserve(so_far + std::min<uint64_t>(hdr_.length, RESERVE_LIMIT));
  return true;
}

void WebSocket::frame_complete()
{
  have_hdr_ = false;
  if (!hdr_.is_control()) {
    if (hdr_.is_final())
      deliver();
    return;
  }
  std::vector<uint8_t> payload = std::move(control_);
  control_.clear();
  std::weak_ptr<bool> alive = alive_;
  switch (hdr_.opcode()) {
  case op_code::CLOSE: {
    uint16_t code = 1005;               // none given
    if (payload.size() == 1)
      return failure(1002, "read: Close frame of one byte");
    if (payload.size() >= 2) {
      code = static_cast<uint16_t>((payload[0] << 8) | payload[1]);
      if (!valid_close_code(code))
        return failure(1002, "read: Invalid close code " + std::to_string(code));
      if (!valid_utf8(payload.data() + 2, payload.size() - 2))
        return failure(1007, "read: Close reason is not UTF-8");
    }
    close_received_ = true;
    if (!close_sent_) {
      // The peer closes: answer with its code, and that is what on_close gets.
      close_sent_ = true;
      close_code_ = code;
      if (stream_->is_writable())
        send_frame(op_code::CLOSE, payload.data(), std::min<size_t>(payload.size(), 2));
    }
    if (!stream_->is_closing() && !stream_->is_closed())
      stream_->close();
    finish(close_code_);
    return;
  }
  case op_code::PING:
    if (close_sent_)
      return;
    if (!on_ping || on_ping(reinterpret_cast<const char*>(payload.data()), payload.size())) {
      if (!alive.expired() && is_alive())
        send_frame(op_code::PONG, payload.data(), payload.size());
    }
    return;
  case op_code::PONG:
    stop_ping_timer();
    if (on_pong)
      on_pong(reinterpret_cast<const char*>(payload.data()), payload.size());
    return;
  default:
    return;
  }
}

void WebSocket::deliver()
{
  Message_ptr msg = std::move(message_);
  message_ = nullptr;
  if (close_sent_)
    return;                             // we are closing: data is dropped
  if (msg->opcode() == op_code::TEXT && !valid_utf8(msg->data_.data(), msg->data_.size()))
    return failure(1007, "read: Text message is not UTF-8");
  msg->header_.set_payload(msg->data_.size());
  if (on_read)
    on_read(std::move(msg));
}

// ---- sending -------------------------------------------------------------------------------------

bool WebSocket::send_frame(op_code code, const uint8_t* data, size_t len)
{
  ws_header h;
  h.set_opcode(code);
  h.set_payload(len);
  if (clientside_)
    h.set_masked(random_key());
  auto buf = tcp::construct_buffer(ws_header::header_length(len, clientside_) + len);
  const size_t at = h.encode(buf->data());
  if (len)
    std::memcpy(buf->data() + at, data, len);
  h.masking_algorithm(reinterpret_cast<char*>(buf->data() + at), len);
  stream_->write(std::move(buf));
  return true;
}

void WebSocket::write(const char* data, size_t len, op_code code)
{
  if (code != op_code::TEXT && code != op_code::BINARY)
    throw WS_error("write: Only TEXT and BINARY messages can be written");
  if (!is_alive() || !stream_->is_writable()) {
    if (on_error)
      on_error("write: Already closed");
    return;
  }
  send_frame(code, reinterpret_cast<const uint8_t*>(data), len);
}

void WebSocket::write(buffer_t buffer, op_code code)
{
  if (code != op_code::TEXT && code != op_code::BINARY)
    throw WS_error("write: Only TEXT and BINARY messages can be written");
  if (!is_alive() || !stream_->is_writable()) {
    if (on_error)
      on_error("write: Already closed");
    return;
  }
  const size_t len = buffer ? buffer->size() : 0;
  if (clientside_ || len == 0) {
    // A client's payload is masked: a copy, not the shared buffer.
    send_frame(code, len ? buffer->data() : nullptr, len);
    return;
  }
  ws_header h;
  h.set_opcode(code);
  h.set_payload(len);
  auto head = tcp::construct_buffer(ws_header::header_length(len, false));
  h.encode(head->data());
  stream_->write(std::move(head));
  stream_->write(std::move(buffer));
}

bool WebSocket::ping(const char* data, size_t len, Timers::duration_t timeout)
{
  if (!is_alive() || !stream_->is_writable() || len > 125)
    return false;
  stop_ping_timer();
  std::weak_ptr<bool> alive = alive_;
  ping_timer_ = Timers::oneshot(timeout, [this, alive](Timers::id_t) {
    if (alive.expired())
      return;
    ping_timer_ = Timers::UNUSED_ID;
    if (on_pong_timeout)
      on_pong_timeout(*this);
    else
      close(1000);
  });
  return send_frame(op_code::PING, reinterpret_cast<const uint8_t*>(data), len);
}

void WebSocket::stop_ping_timer()
{
  if (ping_timer_ != Timers::UNUSED_ID) {
    Timers::stop(ping_timer_);
    ping_timer_ = Timers::UNUSED_ID;
  }
}

// ---- closing ------------------------------------------------------------------------------------

void WebSocket::close(uint16_t reason)
{
  if (close_sent_ || finished_ || tcp_gone_)
    return;
  close_sent_ = true;
  close_code_ = reason;
  if (stream_->is_writable()) {
    // 1005 and 1006 only ever describe a close; they are not sent.
    const uint8_t code[2] = {static_cast<uint8_t>(reason >> 8), static_cast<uint8_t>(reason)};
    const bool with_code = reason != 1005 && reason != 1006;
    send_frame(op_code::CLOSE, code, with_code ? 2 : 0);
  }
  // Our sending side closes; the peer's Close may still come (then, or
  // after CLOSE_TIMEOUT, or when the connection ends, on_close runs).
  if (!stream_->is_closing() && !stream_->is_closed())
    stream_->close();
  std::weak_ptr<bool> alive = alive_;
  close_timer_ = Timers::oneshot(CLOSE_TIMEOUT, [this, alive](Timers::id_t) {
    if (alive.expired())
      return;
    close_timer_ = Timers::UNUSED_ID;
    if (!finished_ && stream_ && !tcp_gone_)
      stream_->abort();
    finish(close_code_);
  });
}

void WebSocket::failure(uint16_t code, const std::string& reason)
{
  failed_ = true;
  message_.reset();
  std::weak_ptr<bool> alive = alive_;
  if (on_error)
    on_error(reason);
  if (alive.expired())
    return;
  if (!close_sent_ && !tcp_gone_ && stream_->is_writable()) {
    close_sent_ = true;
    close_code_ = code;
    const uint8_t c[2] = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
    send_frame(op_code::CLOSE, c, 2);
  }
  if (!tcp_gone_ && !stream_->is_closing() && !stream_->is_closed())
    stream_->close();
  finish(code);
}

// The peer closed its side of the TCP connection or reset it, or (`gone`)
// the connection is over.
void WebSocket::stream_gone(bool gone)
{
  if (gone)
    tcp_gone_ = true;
  std::weak_ptr<bool> alive = alive_;
  if (!finished_)
    finish(close_received_ || close_sent_ ? close_code_ : 1006);
  if (alive.expired())
    return;
  if (!tcp_gone_ && !stream_->is_closing() && !stream_->is_closed())
    stream_->close();                   // the peer closed: so do we
}

void WebSocket::finish(uint16_t code)
{
  if (finished_)
    return;
  finished_ = true;
  stop_ping_timer();
  if (close_timer_ != Timers::UNUSED_ID) {
    Timers::stop(close_timer_);
    close_timer_ = Timers::UNUSED_ID;
  }
  auto cb = std::move(on_close);
  on_close = nullptr;
  if (cb)
    cb(code);
}

void WebSocket::reset_callbacks()
{
  on_close = nullptr;
  on_error = nullptr;
  on_read = nullptr;
  on_ping = nullptr;
  on_pong = nullptr;
  on_pong_timeout = nullptr;
}

// ---- names ---------------------------------------------------------------------------------------

const char* WebSocket::to_string(op_code code)
{
  switch (code) {
  case op_code::CONTINUE: return "Continuation frame";
  case op_code::TEXT: return "Text frame";
  case op_code::BINARY: return "Binary frame";
  case op_code::CLOSE: return "Connection close";
  case op_code::PING: return "Ping";
  case op_code::PONG: return "Pong";
  }
  return "Reserved (unspecified)";
}

const char* WebSocket::status_code(uint16_t code)
{
  switch (code) {
  case 1000: return "Closed";
  case 1001: return "Going away";
  case 1002: return "Protocol error";
  case 1003: return "Cannot accept data";
  case 1004: return "Reserved";
  case 1005: return "Status code not present";
  case 1006: return "Connection closed abnormally";
  case 1007: return "Non UTF-8 data received";
  case 1008: return "Message violated policy";
  case 1009: return "Message too big";
  case 1010: return "Missing extension";
  case 1011: return "Internal server error";
  case 1015: return "TLS handshake failure";
  }
  return "Unknown status code";
}

}  // namespace net
