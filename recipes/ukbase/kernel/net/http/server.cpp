// http::Server and Server_connection: requests read off each connection
// one at a time (pipelined ones wait their turn), handed to on_request
// with a Response_writer; the next one is read when that writer ends.
#include <net/http/server.hpp>

#include <expects>
#include <info>
#include <os.hpp>
#include <smp>

#include "dispose.hpp"
#include "parse.hpp"

namespace http {

namespace {

// Fields a received request may have (beyond them they are dropped).
constexpr size_t REQUEST_FIELD_LIMIT = 100;

}  // namespace

// ---- Server ----------------------------------------------------------------------------------

Server::Server(TCP& tcp, Request_handler handler, idle_duration timeout)
    : tcp_(tcp), on_request_(std::move(handler)), idle_timeout_(timeout)
{
}

Server::~Server()
{
  if (timer_id_ != Timers::UNUSED_ID)
    Timers::stop(timer_id_);
  // Stop listening: the listener's callback points here.
  for (uint16_t port : ports_)
    tcp_.close(net::Socket{net::ip6::Addr::addr_any, port});
}

void Server::listen(const uint16_t port)
{
  Expects(on_request_ != nullptr && "on_request must be set before listen");
  bind(port);
  if (idle_timeout_ != idle_duration::zero() && timer_id_ == Timers::UNUSED_ID)
    timer_id_ = Timers::periodic(std::chrono::seconds(30), std::chrono::minutes(1),
                                 [this](Timers::id_t id) { timeout_clients(id); });
}

void Server::bind(const uint16_t port)
{
  tcp_.listen(port, [this](TCP_conn conn) { on_connect(std::move(conn)); });
  ports_.push_back(port);
  INFO("HTTP Server", "Listening on port %u on CPU %d", port, SMP::cpu_id());
}

Response_ptr Server::create_response(status_t code) const
{
  auto res = make_response();
  res->set_status_code(code);
  return res;
}

void Server::connect(TCP_conn conn)
{
  if (!free_idx_.empty()) {
    size_t idx = free_idx_.back();
    free_idx_.pop_back();
    connections_[idx] = std::make_unique<Server_connection>(*this, std::move(conn), idx);
  } else {
    size_t idx = connections_.size();
    connections_.push_back(std::make_unique<Server_connection>(*this, std::move(conn), idx));
  }
}

void Server::close(Server_connection& conn)
{
  size_t idx = conn.idx();
  if (idx >= connections_.size() || connections_[idx].get() != &conn)
    return;
  detail::dispose(std::move(connections_[idx]));
  connections_[idx] = nullptr;
  free_idx_.push_back(idx);
}

void Server::timeout_clients(int32_t)
{
  const int64_t now = static_cast<int64_t>(os::nanos_since_boot() / 1000000000);
  for (auto& conn : connections_)
    if (conn && !conn->busy() && now - conn->idle_since() > idle_timeout_.count())
      conn->timeout();
}

void Server::receive(Request_ptr req, status_t code, Server_connection& conn)
{
  auto res = create_response(code);
  // HTTP/1.0 clients close unless told the connection stays.
  if (conn.keep_alive() && req->version() < Version(1, 1))
    res->header().set_field(header::Connection, "keep-alive");
  auto writer = std::make_unique<Response_writer>(std::move(res), conn);
  writer->head_only_ = req->method() == HEAD;
  on_request_(std::move(req), std::move(writer));
}

// ---- Server_connection ------------------------------------------------------------------------

Server_connection::Server_connection(Server& server, TCP_conn conn, size_t idx, const size_t bufsize)
    : Connection(std::move(conn)), server_(server), idx_(idx)
{
  update_idle();
  tcpconn_->on_read(bufsize, [this](buffer_t buf) { recv_request(std::move(buf)); });
  tcpconn_->on_disconnect([this](TCP_conn, net::tcp::Connection::Disconnect why) {
    peer_closed(why != net::tcp::Connection::Disconnect::CLOSING);
  });
  tcpconn_->on_close([this] { close(); });
}

Server_connection::~Server_connection()
{
  if (tcpconn_) {
    tcpconn_->reset_callbacks();
    shutdown();
  }
}

int64_t Server_connection::idle_since() const noexcept
{
  return static_cast<int64_t>(idle_since_ns_ / 1000000000);
}

void Server_connection::update_idle() { idle_since_ns_ = os::nanos_since_boot(); }

void Server_connection::send(Response_ptr res)
{
  if (tcpconn_)
    tcpconn_->write(res->to_string());
}

void Server_connection::recv_request(buffer_t buf)
{
  if (done_ || !buf || buf->empty())
    return;
  inbuf_.append(reinterpret_cast<const char*>(buf->data()), buf->size());
  update_idle();
  process();
}

// Hand out the requests that are in, one at a time: a handler's writer
// that ends at once lets the loop go on to the next.
void Server_connection::process()
{
  if (processing_)
    return;
  processing_ = true;
  while (!busy_ && !done_ && !released() && read_message()) {
    busy_ = true;
    end_request(OK);
  }
  processing_ = false;
}

// Read one request from inbuf_ into req_: true when it is complete.
bool Server_connection::read_message()
{
  using detail::Framing;
  if (!head_read_) {
    inbuf_.erase(0, detail::leading_blank_lines(inbuf_));
    size_t head = detail::head_length(inbuf_);
    if (!head) {
      if (inbuf_.size() > MAX_HEAD)
        refuse(Request_Header_Fields_Too_Large);
      return false;
    }
    if (head > MAX_HEAD) {
      refuse(Request_Header_Fields_Too_Large);
      return false;
    }
    req_ = std::make_unique<Request>(std::string{}, REQUEST_FIELD_LIMIT, false);
    Framing framing;
    status_t code = detail::read_request_head(std::string_view(inbuf_).substr(0, head), *req_, framing);
    if (code != OK) {
      refuse(code);
      return false;
    }
    inbuf_.erase(0, head);
    head_read_ = true;
    framing_ = framing.kind;
    body_length_ = framing.length;
    chunk_pos_ = 0;
    body_.clear();
    continue_sent_ = false;
  }

  bool complete = false;
  if (framing_ == Framing::by_length) {
    complete = inbuf_.size() >= body_length_;
    if (complete) {
      body_.assign(inbuf_, 0, body_length_);
      inbuf_.erase(0, body_length_);
    }
  } else if (framing_ == Framing::chunked) {
    int r = detail::decode_chunked(inbuf_, chunk_pos_, body_);
    if (r < 0) {
      refuse(Bad_Request);
      return false;
    }
    complete = r > 0;
    if (complete)
      inbuf_.erase(0, chunk_pos_);
  } else {
    complete = true;
  }

  if (!complete) {
    // A client that waits for "100 Continue" before sending the body
    // (RFC 9110 10.1.1) gets it.
    if (!continue_sent_ && req_->version() >= Version(1, 1)
        && detail::has_token(req_->header().value(header::Expect), "100-continue")) {
      continue_sent_ = true;
      tcpconn_->write(std::string("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    return false;
  }
  if (!body_.empty())
    req_->set_body(std::move(body_));
  body_.clear();
  head_read_ = false;
  // HTTP/1.1 stays open unless either side says close; HTTP/1.0 only
  // when the client asks for keep-alive.
  std::string_view conn = req_->header().value(header::Connection);
  bool keep = req_->version() >= Version(1, 1) ? !detail::has_token(conn, "close")
                                               : detail::has_token(conn, "keep-alive");
  keep_alive_ = keep && !done_;
  return true;
}

// A request that cannot be served: answer with `code`, read no more,
// close once it is sent.
void Server_connection::refuse(status_t code)
{
  done_ = true;
  keep_alive_ = false;
  inbuf_.clear();
  req_.reset();
  auto res = server_.create_response(code);
  res->header().set_field(header::Connection, "close");
  res->set_content_length(0);
  send(std::move(res));
  shutdown();
}

void Server_connection::end_request(const status_t code)
{
  update_idle();
  server_.receive(std::move(req_), code, *this);
}

void Server_connection::ended()
{
  // The response to the current request is complete.
  busy_ = false;
  update_idle();
  if (!keep_alive_) {
    done_ = true;
    inbuf_.clear();
  }
  if (!processing_ && !removed_)
    process();
}

// The client closed its side (or reset the connection). A response in
// progress may still go out before our side closes too.
void Server_connection::peer_closed(bool reset)
{
  done_ = true;
  keep_alive_ = false;
  if (reset || !busy_) {
    shutdown();
    close();
  }
}

void Server_connection::close()
{
  if (removed_)
    return;
  removed_ = true;
  done_ = true;
  server_.close(*this);
}

}  // namespace http
