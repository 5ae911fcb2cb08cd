// http::Client_connection: one request and its response at a time on a
// TCP connection of a Basic_client.
#include <net/http/basic_client.hpp>

#include <expects>

#include "parse.hpp"

namespace http {

namespace {

// Fields a received response may have (beyond them they are dropped).
constexpr size_t RESPONSE_FIELD_LIMIT = 100;
// The most a response's head may take.
constexpr size_t MAX_HEAD = 64 << 10;

}  // namespace

Client_connection::Client_connection(Basic_client& client, TCP_conn conn)
    : Connection(std::move(conn)), client_(client), redirect_(Basic_client::default_follow_redirect)
{
  tcpconn_->on_read(0, [this](buffer_t buf) { recv_response(std::move(buf)); });
  tcpconn_->on_disconnect([this](TCP_conn, net::tcp::Connection::Disconnect why) {
    peer_closed(why != net::tcp::Connection::Disconnect::CLOSING);
  });
  tcpconn_->on_close([this] {
    peer_closed(true);
    close();
  });
}

Client_connection::~Client_connection()
{
  stop_timer();
  if (tcpconn_) {
    tcpconn_->reset_callbacks();
    shutdown();
  }
}

void Client_connection::send(Request_ptr req, Response_handler on_res, int redirects,
                             timeout_duration timeout)
{
  Expects(available());
  Expects(on_res != nullptr);
  req_ = std::move(req);
  on_response_ = std::move(on_res);
  timeout_dur_ = timeout;
  redirect_ = redirects;
  reset_reading();
  start_timer();
  if (tcpconn_->is_connected()) {
    send_request();
  } else if (tcpconn_->is_state(net::tcp::Connection::SynSent::instance())) {
    tcpconn_->on_connect([this](TCP_conn conn) {
      if (conn)
        send_request();
      else
        peer_closed(true);            // refused, unreachable, timed out
    });
  } else {
    peer_closed(true);
  }
}

void Client_connection::send_request()
{
  keep_alive_ = !detail::has_token(req_->header().value(header::Connection), "close");
  tcpconn_->write(req_->to_string());
}

void Client_connection::reset_reading()
{
  res_.reset();
  inbuf_.clear();
  body_.clear();
  head_read_ = false;
  received_ = false;
  framing_ = detail::Framing::none;
  body_length_ = chunk_pos_ = 0;
}

// ---- the response -------------------------------------------------------------------------------

void Client_connection::recv_response(buffer_t buf)
{
  if (!buf || buf->empty())
    return;
  if (!on_response_) {
    keep_alive_ = false;              // nothing was asked: the connection is out of step
    return;
  }
  received_ = true;
  inbuf_.append(reinterpret_cast<const char*>(buf->data()), buf->size());
  if (timer_ != Timers::UNUSED_ID) {
    stop_timer();
    start_timer();
  }
  read_response();
}

void Client_connection::read_response()
{
  using detail::Framing;
  while (!head_read_) {
    size_t head = detail::head_length(inbuf_);
    if (!head) {
      if (inbuf_.size() > MAX_HEAD)
        end_response(Error::INVALID);
      return;
    }
    res_ = std::make_unique<Response>(std::string{}, RESPONSE_FIELD_LIMIT, false);
    Framing framing;
    if (!detail::read_response_head(std::string_view(inbuf_).substr(0, head), *res_, framing)) {
      end_response(Error::INVALID);
      return;
    }
    inbuf_.erase(0, head);
    status_t code = res_->status_code();
    if (is_informational(code) && code != Switching_Protocols) {
      res_.reset();                   // 100 Continue and the like: the response follows
      continue;
    }
    // Responses without a body (RFC 9112 6.3).
    if (req_->method() == HEAD || is_informational(code) || code == No_Content || code == Not_Modified)
      framing.kind = Framing::none;
    head_read_ = true;
    framing_ = framing.kind;
    body_length_ = framing.length;
    if (framing_ == Framing::until_close)
      keep_alive_ = false;
    if (detail::has_token(res_->header().value(header::Connection), "close"))
      keep_alive_ = false;
  }
  switch (framing_) {
  case Framing::none:
    // After a 101 the bytes that follow are the upgraded protocol's.
    if (res_->status_code() == Switching_Protocols) {
      unread_ = std::move(inbuf_);
      inbuf_.clear();
    }
    end_response();
    return;
  case Framing::by_length:
    if (inbuf_.size() >= body_length_) {
      res_->set_body(inbuf_.substr(0, body_length_));
      end_response();
    }
    return;
  case Framing::chunked: {
    int r = detail::decode_chunked(inbuf_, chunk_pos_, body_);
    if (r < 0) {
      end_response(Error::INVALID);
    } else if (r > 0) {
      res_->set_body(std::move(body_));
      end_response();
    }
    return;
  }
  case Framing::until_close:
    return;                           // peer_closed() ends it
  }
}

void Client_connection::end_response(Error err)
{
  stop_timer();
  if (!on_response_) {
    end();
    return;
  }
  if (err) {
    keep_alive_ = false;              // whatever comes later belongs to no request
  } else if (can_redirect(res_)) {
    uri::URI location{res_->header().value(header::Location)};
    if (location.is_valid()) {
      redirect(std::move(location));
      end();
      return;
    }
  }
  auto callback = std::move(on_response_);
  on_response_ = nullptr;
  Response_ptr res = std::move(res_);
  reset_reading();
  // The callback may send another request (on this connection, if it is
  // kept alive) or destroy the client.
  auto alive = lifetime();
  callback(err, std::move(res), *this);
  if (!alive.expired() && !on_response_)
    end();                            // unless the callback sent the next request here
}

void Client_connection::timeout_request() { end_response(Error::TIMEOUT); }

void Client_connection::start_timer()
{
  if (timeout_dur_ <= timeout_duration::zero())
    return;
  timer_ = Timers::oneshot(timeout_dur_, [this](Timers::id_t) {
    timer_ = Timers::UNUSED_ID;
    timeout_request();
  });
}

void Client_connection::stop_timer()
{
  if (timer_ != Timers::UNUSED_ID) {
    Timers::stop(timer_);
    timer_ = Timers::UNUSED_ID;
  }
}

bool Client_connection::can_redirect(const Response_ptr& res) const
{
  return redirect_ > 0 && res && is_redirection(res->status_code())
         && res->header().has_field(header::Location);
}

void Client_connection::redirect(uri::URI location)
{
  Basic_client::Options options;
  options.timeout = timeout_dur_;
  options.follow_redirect = redirect_ - 1;
  auto callback = std::move(on_response_);
  on_response_ = nullptr;
  Response_ptr res = std::move(res_);
  Request_ptr req = std::move(req_);
  reset_reading();
  keep_alive_ = false;
  try {
    if (location.host().empty()) {
      // A path on the same server.
      std::string target(location.path().empty() ? "/" : location.path());
      if (!location.query().empty())
        target += "?" + std::string(location.query());
      req->set_uri(URI{target});
      client_.send(std::move(req), peer_, std::move(callback), false, options);
    } else {
      Basic_client::populate_from_url(*req, location);
      client_.send(std::move(req), location, std::move(callback), options);
    }
  } catch (const Client_error&) {
    // Somewhere this client cannot go (https): the redirect is the answer.
    if (callback)
      callback(Error::NONE, std::move(res), *this);
  }
}

// ---- the connection going away ------------------------------------------------------------------

// The server closed (or reset, or never accepted) the connection.
void Client_connection::peer_closed(bool reset)
{
  keep_alive_ = false;
  closed_ = true;
  auto alive = lifetime();
  if (on_response_) {
    if (!reset && head_read_ && framing_ == detail::Framing::until_close) {
      res_->set_body(std::move(inbuf_));
      end_response();
    } else if (!reset && !received_) {
      end_response(Error::NO_REPLY);
    } else {
      end_response(Error::CLOSING);
    }
  }
  if (alive.expired())
    return;                           // the callback destroyed the client
  if (tcpconn_) {
    shutdown();
    if (tcpconn_ && (tcpconn_->is_closing() || tcpconn_->is_closed()))
      close();
  }
}

void Client_connection::close()
{
  if (removed_)
    return;
  removed_ = true;
  closed_ = true;
  stop_timer();
  client_.close(*this);
}

}  // namespace http
