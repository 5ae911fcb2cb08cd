// http::Response_writer: a response's status line and fields, then its
// body, written to the connection the request came on.
#include <net/http/response_writer.hpp>

#include <expects>

#include "parse.hpp"

namespace http {

namespace {

// Responses that never have a body (RFC 9110 6.4.1).
bool has_no_body(status_t code) { return is_informational(code) || code == No_Content || code == Not_Modified; }

}  // namespace

Response_writer::Response_writer(Response_ptr res, Connection& conn)
    : response_(std::move(res)), connection_(conn), alive_(conn.lifetime())
{
  Expects(response_ != nullptr);
}

Response_writer::~Response_writer() { end(); }

void Response_writer::set_response(Response_ptr res)
{
  Expects(!header_sent_ && res != nullptr);
  response_ = std::move(res);
}

void Response_writer::send(const std::string& data)
{
  if (connected() && !data.empty())
    connection_.stream()->write(data);
}

void Response_writer::write(std::string data)
{
  pre_write(data.size());
  if (!head_only_)
    send(data);
}

void Response_writer::write(net::tcp::buffer_t buffer)
{
  size_t n = buffer ? buffer->size() : 0;
  pre_write(n);
  if (connected() && n && !head_only_)
    connection_.stream()->write(std::move(buffer));
}

void Response_writer::pre_write(size_t len)
{
  if (!header_sent_) {
    // The first write says how long the body is, unless that is set.
    auto& h = response_->header();
    if (!h.has_field(header::Content_Length) && !h.has_field(header::Transfer_Encoding))
      response_->set_content_length(len);
    write_header(response_->status_code());
  }
  if (len > allowed_ - written_)
    throw Response_writer_error("Trying to write more than Content-Length allows: "
                                + std::to_string(allowed_));
  written_ += len;
}

void Response_writer::write_header(status_t code)
{
  if (header_sent_)
    throw Response_writer_error("Headers already sent.");
  response_->set_status_code(code);
  auto& h = response_->header();
  if (h.has_field(header::Content_Length)) {
    allowed_ = response_->content_length();
  } else if (has_no_body(code)) {
    allowed_ = 0;
  } else if (!h.has_field(header::Transfer_Encoding)) {
    // No length: the body ends when the connection does.
    connection_.keep_alive(false);
  }
  if (!connection_.keep_alive() && !h.has_field(header::Connection))
    h.set_field(header::Connection, "close");
  if (detail::has_token(h.value(header::Connection), "close"))
    connection_.keep_alive(false);
  header_sent_ = true;
  send(response_->status_line() + "\r\n" + h.to_string() + (h.is_empty() ? "\r\n" : ""));
}

void Response_writer::write()
{
  if (!response_->body().empty()) {
    write(std::string(response_->body()));
  } else if (!header_sent_) {
    auto& h = response_->header();
    if (!has_no_body(response_->status_code()) && !h.has_field(header::Content_Length)
        && !h.has_field(header::Transfer_Encoding))
      response_->set_content_length(0);
    write_header(response_->status_code());
  }
}

void Response_writer::end()
{
  if (ended_)
    return;
  ended_ = true;
  if (alive_.expired())
    return;                           // the connection is gone
  if (!connection_.released()) {
    if (!header_sent_) {
      try {
        write();                      // the response as it stands
      } catch (const Response_writer_error&) {
        connection_.keep_alive(false);   // a body longer than its Content-Length
      }
    }
    // A body shorter than its Content-Length leaves the client waiting
    // for the rest: close.
    if (allowed_ != SIZE_MAX && written_ < allowed_)
      connection_.keep_alive(false);
  }
  connection_.end();
}

}  // namespace http
