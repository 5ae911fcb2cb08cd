// What went wrong with a client request, as IncludeOS's net/http/error.hpp:
// the first argument of a Response_handler; false when all went well.
#pragma once

#include <string>

namespace http {

class Error {
 public:
  enum Code {
    NONE,
    RESOLVE_HOST,   // the host name did not resolve
    NO_REPLY,       // nothing came back
    INVALID,        // what came back was not an HTTP response
    TIMEOUT,        // no (whole) response within the timeout
    CLOSING         // the connection closed (or never opened) before the response
  };

  Error(Code code = NONE) : code_(code) {}

  /// True if this is an error.
  operator bool() const { return code_ != NONE; }
  Code code() const { return code_; }
  bool timeout() const { return code_ == TIMEOUT; }

  std::string to_string() const
  {
    switch (code_) {
    case NONE: return "No error";
    case RESOLVE_HOST: return "Unable to resolve host";
    case NO_REPLY: return "No reply";
    case TIMEOUT: return "Request timed out";
    case CLOSING: return "Connection closing";
    default: return "General error";
    }
  }

 private:
  Code code_;
};

}  // namespace http
