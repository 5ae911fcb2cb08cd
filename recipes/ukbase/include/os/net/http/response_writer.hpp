// Writing a server's response, as IncludeOS's net/http/response_writer.hpp:
// what a Request_handler gets with each request.
//
//   server.on_request([](http::Request_ptr req, http::Response_writer_ptr rw) {
//     rw->header().set_field(http::header::Content_Type, "text/plain");
//     rw->write("hello");                 // status line, fields, body
//   });
//
// * write(data) sends the status line and fields first (with
//   Content-Length: the data's size, unless one is set), then the data;
//   more write()s may follow up to the Content-Length set (more throws
//   Response_writer_error).
// * write_header(code) sends the status line and fields now. Without a
//   Content-Length (and without Transfer-Encoding) the body that follows
//   ends with the connection: "Connection: close" is added.
// * write() sends the response as it stands (its body, if any).
// * end() (also when the writer is destroyed) finishes the response: one
//   whose header was not sent yet is sent as it stands (IncludeOS sends
//   nothing then), and the connection goes on to the next request or
//   closes (not kept alive, or fewer bytes written than promised).
//
// For a HEAD request only the status line and fields go out: the body
// written is counted (for Content-Length) but not sent.
//
// The writer may be kept and used later (an answer from a timer); the
// connection's next request waits until it ends. If the connection is
// gone by then, writes go nowhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <net/http/connection.hpp>
#include <net/http/response.hpp>

namespace http {

class Response_writer_error : public std::runtime_error {
  using base = std::runtime_error;

 public:
  using base::base;
};

class Response_writer;
using Response_writer_ptr = std::unique_ptr<Response_writer>;

class Response_writer {
 public:
  using buffer_t = net::tcp::buffer_t;

  Response_writer(Response_ptr res, Connection& conn);
  Response_writer(const Response_writer&) = delete;
  Response_writer& operator=(const Response_writer&) = delete;
  ~Response_writer();

  Header& header() { return response_->header(); }
  const Header& header() const { return response_->header(); }
  /// The status the response is sent with (200 unless set).
  void set_status_code(status_t code) { response_->set_status_code(code); }

  /// Write data (the status line and fields first, if not sent yet).
  void write(std::string data);
  /// The same without a copy.
  void write(net::tcp::buffer_t buffer);
  /// Send the status line and fields now; throws if already sent.
  void write_header(status_t code);
  /// Send the response as it stands: fields and body, or what is left.
  void write();

  void set_response(Response_ptr res);
  Response& response() { return *response_; }
  const Response& response() const { return *response_; }
  Response_ptr& response_ptr() { return response_; }
  Connection& connection() { return connection_; }

  /// Whether the status line and fields have gone out.
  bool header_sent() const noexcept { return header_sent_; }

  /// The response is complete (see above). Called by the destructor.
  void end();

 private:
  friend class Server;
  void pre_write(size_t len);
  void send(const std::string& data);
  bool connected() const noexcept { return !alive_.expired() && !connection_.released(); }

  Response_ptr response_;
  Connection& connection_;
  std::weak_ptr<bool> alive_;
  bool header_sent_ = false;
  bool ended_ = false;
  bool head_only_ = false;       // the answer to a HEAD request: no body
  size_t written_ = 0;           // body bytes written
  size_t allowed_ = SIZE_MAX;    // the Content-Length sent, or no limit
};

}  // namespace http
