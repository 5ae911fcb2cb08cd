// The HTTP API's common names, as IncludeOS's net/http/common.hpp.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <delegate>
#include <uri>

namespace http {

using URI = uri::URI;

/// Header fields to add to a message, in order: {{"Accept", "text/plain"}, ...}.
using Header_set = std::vector<std::pair<std::string, std::string>>;

class Request;
using Request_ptr = std::unique_ptr<Request>;

class Response;
using Response_ptr = std::unique_ptr<Response>;

class Server;
using Server_ptr = std::unique_ptr<Server>;

}  // namespace http
