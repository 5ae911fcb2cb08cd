// HTTP to WebSocket, as IncludeOS's net/ws/connector.hpp.
//
//   net::WS_server_connector ws{on_connect, on_accept};   // on_accept optional
//   server.on_request(ws);                 // ws must outlive the server
//
// The server connector upgrades every request it gets: a valid
// handshake (GET, HTTP/1.1, "Upgrade: websocket", "Connection: Upgrade",
// a Sec-WebSocket-Key of 16 bytes, Sec-WebSocket-Version 13) from a
// client on_accept(peer, origin) takes is answered 101 and on_connect
// gets the WebSocket; otherwise the answer is 403 (refused), 426 (another
// version) or 400, and on_connect gets nullptr.
//
// The client connector checks a Basic_client's response to a handshake
// request: on_connect gets the WebSocket, or nullptr (not a 101, or a
// wrong Sec-WebSocket-Accept). WebSocket::connect() does all of that.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <net/ws/websocket.hpp>

namespace net {

class WS_connector {
 public:
  using ConnectCallback = delegate<void(WebSocket_ptr)>;

 protected:
  ConnectCallback on_connect_;

  WS_connector(ConnectCallback on_connect) : on_connect_(std::move(on_connect)) {}
};  // < WS_connector

class WS_server_connector : public WS_connector {
 public:
  using AcceptCallback = delegate<bool(net::Socket peer, const std::string& origin)>;
  using Request_handler = delegate<void(http::Request_ptr, http::Response_writer_ptr)>;

  WS_server_connector(ConnectCallback on_connect, AcceptCallback on_accept = nullptr)
      : WS_connector(std::move(on_connect)), on_accept_(std::move(on_accept))
  {
  }

  Request_handler create_request_handler() { return {this, &WS_server_connector::on_request}; }
  operator Request_handler() { return create_request_handler(); }

  /// Upgrade `req` (see above); on_connect hears how it went.
  void on_request(http::Request_ptr req, http::Response_writer_ptr writer);

 private:
  AcceptCallback on_accept_;
};  // < WS_server_connector

class WS_client_connector : public WS_connector {
 public:
  using Response_handler = delegate<void(http::Error, http::Response_ptr, http::Connection&)>;

  WS_client_connector(ConnectCallback on_connect) : WS_connector(std::move(on_connect)) {}
  /// For the request sent with Sec-WebSocket-Key `key`.
  WS_client_connector(ConnectCallback on_connect, std::string key)
      : WS_connector(std::move(on_connect)), key_(std::move(key))
  {
  }

  /// A response handler owning a connector of its own.
  static Response_handler create_response_handler(ConnectCallback cb, std::string key)
  {
    auto ptr = std::make_shared<WS_client_connector>(std::move(cb), std::move(key));
    return [ptr](http::Error err, http::Response_ptr res, http::Connection& conn) {
      ptr->on_response(err, std::move(res), conn);
    };
  }
  Response_handler create_response_handler(std::string key)
  {
    return create_response_handler(on_connect_, std::move(key));
  }
  /// A response handler for this connector (which must outlive the request).
  Response_handler create_response_handler() { return {this, &WS_client_connector::on_response}; }

  void on_response(http::Error err, http::Response_ptr res, http::Connection& conn)
  {
    WebSocket_ptr ws;
    if (res)
      ws = WebSocket::upgrade(err, *res, conn, key_);
    on_connect_(std::move(ws));
  }

 private:
  std::string key_;
};  // < WS_client_connector

}  // namespace net
