// http::Header, Message, Request, Response and the status codes' phrases.
#include <net/http/request.hpp>
#include <net/http/response.hpp>

#include <algorithm>
#include <cctype>

#include "parse.hpp"

namespace http {

// ---- Header ---------------------------------------------------------------------------------

namespace {

bool same_name(std::string_view a, std::string_view b)
{
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// The fields as they go on the wire, without the empty line after them.
std::string field_lines(const Header& h)
{
  std::string s;
  for (auto& f : h) {
    s += f.first;
    s += ": ";
    s += f.second;
    s += "\r\n";
  }
  return s;
}

}  // namespace

bool Header::add_field(std::string field, std::string value)
{
  if (field.empty() || fields_.size() >= limit_)
    return false;
  fields_.emplace_back(std::move(field), std::move(value));
  return true;
}

bool Header::set_field(std::string field, std::string value)
{
  if (field.empty() || value.empty())
    return false;
  for (auto& f : fields_) {
    if (same_name(f.first, field)) {
      f.second = std::move(value);
      return true;
    }
  }
  return add_field(std::move(field), std::move(value));
}

std::string_view Header::value(std::string_view field) const noexcept
{
  auto it = find(field);
  return it != fields_.cend() ? std::string_view(it->second) : std::string_view{};
}

void Header::erase(std::string_view field) noexcept
{
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                               [field](const auto& f) { return same_name(f.first, field); }),
                fields_.end());
}

size_t Header::content_length() const noexcept
{
  std::string_view v = value(header::Content_Length);
  size_t n = 0;
  if (v.empty() || v.size() > 19)
    return 0;
  for (char c : v) {
    if (c < '0' || c > '9')
      return 0;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return n;
}

std::string Header::to_string() const
{
  return fields_.empty() ? std::string{} : field_lines(*this) + "\r\n";
}

Header::Const_iterator Header::find(std::string_view field) const noexcept
{
  if (field.empty())
    return fields_.cend();
  return std::find_if(fields_.cbegin(), fields_.cend(),
                      [field](const auto& f) { return same_name(f.first, field); });
}

// ---- Message --------------------------------------------------------------------------------

Message& Message::add_body(const std::string& message_body)
{
  if (!message_body.empty())
    message_body_ = message_body;
  return *this;
}

Message& Message::set_body(std::string message_body)
{
  message_body_ = std::move(message_body);
  return *this;
}

Message& Message::add_chunk(const std::string& chunk)
{
  message_body_ += chunk;
  return *this;
}

Message& Message::clear_body() noexcept
{
  message_body_.clear();
  return *this;
}

Message& Message::reset() noexcept
{
  header_fields_.clear();
  headers_complete_ = false;
  return clear_body();
}

// The empty line is always written: a message whose fields are empty is
// still a whole message (IncludeOS leaves it out, and such a response
// does not parse).
std::string Message::to_string() const { return field_lines(header_fields_) + "\r\n" + message_body_; }

Message& operator<<(Message& message, const Header_set& headers)
{
  for (auto& f : headers)
    message.header().add_field(f.first, f.second);
  return message;
}

// ---- reading whole messages (Request/Response::parse) ---------------------------------------

namespace {

// The body after a parsed head, as its framing says; false if malformed.
bool read_body(std::string_view rest, const detail::Framing& f, Message& msg)
{
  switch (f.kind) {
  case detail::Framing::chunked: {
    std::string body;
    size_t pos = 0;
    if (detail::decode_chunked(rest, pos, body) < 0)
      return false;
    msg.set_body(std::move(body));
    return true;
  }
  case detail::Framing::by_length:
    msg.set_body(std::string(rest.substr(0, f.length)));
    return true;
  case detail::Framing::until_close:
    msg.set_body(std::string(rest));
    return true;
  case detail::Framing::none:
    return true;
  }
  return true;
}

}  // namespace

// ---- Request ---------------------------------------------------------------------------------

Request::Request(std::string request, const std::size_t limit, const bool parse)
    : Message(limit), request_(std::move(request))
{
  if (parse)
    this->parse();
}

Request& Request::parse()
{
  soft_reset();
  std::string_view in(request_);
  in.remove_prefix(detail::leading_blank_lines(in));
  size_t head = detail::head_length(in);
  if (!head)
    return *this;                       // not all there yet
  detail::Framing framing;
  if (detail::read_request_head(in.substr(0, head), *this, framing) != OK
      || !read_body(in.substr(head), framing, *this)) {
    set_headers_complete(false);
    throw Request_error("Invalid request: " + request_);
  }
  return *this;
}

std::string_view Request::post_value(std::string_view name) const noexcept
{
  if (method_ != POST || name.empty())
    return {};
  std::string_view b = body();
  while (!b.empty()) {
    size_t amp = b.find('&');
    std::string_view item = b.substr(0, amp);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos && item.substr(0, eq) == name)
      return item.substr(eq + 1);
    if (amp == std::string_view::npos)
      break;
    b = b.substr(amp + 1);
  }
  return {};
}

Request& Request::reset() noexcept
{
  request_.clear();
  return soft_reset();
}

Request& Request::soft_reset() noexcept
{
  Message::reset();
  return set_method(GET).set_uri(URI{"/"}).set_version(Version{1U, 1U});
}

std::string Request::to_string() const
{
  return std::string(method::str(method_)) + " " + uri_.to_string() + " " + version_.to_string() + "\r\n"
         + Message::to_string();
}

Request& Request::operator<<(const std::string& chunk)
{
  request_ += chunk;
  return *this;
}

// ---- Response ---------------------------------------------------------------------------------

Response::Response(std::string response, const std::size_t limit, const bool parse)
    : Message(limit), response_(std::move(response)), code_(OK), version_(1U, 1U)
{
  if (parse)
    this->parse();
}

Response& Response::parse()
{
  soft_reset();
  std::string_view in(response_);
  size_t head = detail::head_length(in);
  if (!head)
    return *this;
  detail::Framing framing;
  if (!detail::read_response_head(in.substr(0, head), *this, framing)
      || !read_body(in.substr(head), framing, *this)) {
    set_headers_complete(false);
    throw Response_error("Invalid response: " + response_);
  }
  return *this;
}

std::string Response::status_line() const
{
  return version_.to_string() + " " + std::to_string(static_cast<int>(code_)) + " "
         + std::string(code_description(code_));
}

Response& Response::reset() noexcept
{
  response_.clear();
  return soft_reset();
}

Response& Response::soft_reset() noexcept
{
  Message::reset();
  return set_status_code(OK);
}

std::string Response::to_string() const { return status_line() + "\r\n" + Message::to_string(); }

Response& Response::operator<<(const std::string& chunk)
{
  response_ += chunk;
  return *this;
}

// ---- status codes -------------------------------------------------------------------------------

std::string_view code_description(const status_t status_code) noexcept
{
  switch (status_code) {
  case Continue: return "Continue";
  case Switching_Protocols: return "Switching Protocols";
  case Processing: return "Processing";
  case OK: return "OK";
  case Created: return "Created";
  case Accepted: return "Accepted";
  case Non_Authoritative: return "Non-Authoritative Information";
  case No_Content: return "No Content";
  case Reset_Content: return "Reset Content";
  case Partial_Content: return "Partial Content";
  case Multi_Status: return "Multi-Status";
  case Already_Reported: return "Already Reported";
  case IM_Used: return "IM Used";
  case Multiple_Choices: return "Multiple Choices";
  case Moved_Permanently: return "Moved Permanently";
  case Found: return "Found";
  case See_Other: return "See Other";
  case Not_Modified: return "Not Modified";
  case Use_Proxy: return "Use Proxy";
  case Temporary_Redirect: return "Temporary Redirect";
  case Permanent_Redirect: return "Permanent Redirect";
  case Bad_Request: return "Bad Request";
  case Unauthorized: return "Unauthorized";
  case Payment_Required: return "Payment Required";
  case Forbidden: return "Forbidden";
  case Not_Found: return "Not Found";
  case Method_Not_Allowed: return "Method Not Allowed";
  case Not_Acceptable: return "Not Acceptable";
  case Proxy_Authentication_Required: return "Proxy Authentication Required";
  case Request_Timeout: return "Request Timeout";
  case Conflict: return "Conflict";
  case Gone: return "Gone";
  case Length_Required: return "Length Required";
  case Precondition_Failed: return "Precondition Failed";
  case Payload_Too_Large: return "Payload Too Large";
  case URI_Too_Long: return "URI Too Long";
  case Unsupported_Media_Type: return "Unsupported Media Type";
  case Range_Not_Satisfiable: return "Range Not Satisfiable";
  case Expectation_Failed: return "Expectation Failed";
  case Misdirected_Request: return "Misdirected Request";
  case Unprocessable_Entity: return "Unprocessable Entity";
  case Locked: return "Locked";
  case Failed_Dependency: return "Failed Dependency";
  case Upgrade_Required: return "Upgrade Required";
  case Precondition_Required: return "Precondition Required";
  case Too_Many_Requests: return "Too Many Requests";
  case Request_Header_Fields_Too_Large: return "Request Header Fields Too Large";
  case Internal_Server_Error: return "Internal Server Error";
  case Not_Implemented: return "Not Implemented";
  case Bad_Gateway: return "Bad Gateway";
  case Service_Unavailable: return "Service Unavailable";
  case Gateway_Timeout: return "Gateway Timeout";
  case HTTP_Version_Not_Supported: return "HTTP Version Not Supported";
  case Variant_Also_Negotiates: return "Variant Also Negotiates";
  case Insufficient_Storage: return "Insufficient Storage";
  case Loop_Detected: return "Loop Detected";
  case Not_Extended: return "Not Extended";
  case Network_Authentication_Required: return "Network Authentication Required";
  }
  return "Internal Server Error";
}

}  // namespace http
