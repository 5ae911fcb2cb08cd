// An HTTP/1.1 client, as IncludeOS's net/http/basic_client.hpp.
//
//   http::Basic_client client{inet.tcp()};
//   client.get("http://10.0.2.2:8000/file", {}, [](http::Error err, http::Response_ptr res,
//                                                 http::Connection&) {
//     if (!err) printf("%d %s\n", res->status_code(), std::string(res->body()).c_str());
//   });
//   client.post({ip4::Addr{10, 0, 2, 2}, 80}, "/api", {{"Accept", "text/plain"}}, "data", handler);
//
// Host names go through the interface's DNS resolver (Inet::resolve);
// numeric hosts are used as they are. Requests carry "Connection: close"
// (as on IncludeOS), so each one has a connection of its own. There is
// no TLS on ukbase: an https:// (or wss://) URL, or secure = true,
// throws Client_error. Redirects are followed only when
// Options::follow_redirect says how many.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <net/http/client_connection.hpp>
#include <net/inet.hpp>
#include <net/socket.hpp>
#include <net/tcp/tcp.hpp>

namespace http {

struct Client_error : public std::runtime_error {
  using runtime_error::runtime_error;
};

using Response_handler = Client_connection::Response_handler;

class Basic_client {
 public:
  using TCP = net::TCP;
  using Host = net::Socket;
  using Response_handler = Client_connection::Response_handler;
  struct Options;
  /// Called with each request right before it is sent.
  using Request_handler = delegate<void(Request&, Options&, const Host)>;
  using Connection_set = std::vector<std::unique_ptr<Client_connection>>;
  using Connection_mapset = std::map<Host, Connection_set>;
  using timeout_duration = Client_connection::timeout_duration;

  static inline const timeout_duration DEFAULT_TIMEOUT{std::chrono::seconds(5)};
  static inline int default_follow_redirect = 0;

  struct Options {
    /// For the whole response (restarted as data comes); 0: no limit.
    timeout_duration timeout{DEFAULT_TIMEOUT};
    /// How many redirects (3xx with a Location) to follow.
    int follow_redirect{default_follow_redirect};

    Options() noexcept {}
  };

  explicit Basic_client(TCP& tcp, Request_handler on_send = nullptr);
  Basic_client(const Basic_client&) = delete;
  Basic_client& operator=(const Basic_client&) = delete;
  virtual ~Basic_client();

  /// A request with User-Agent and Connection set.
  Request_ptr create_request(Method method = GET) const;

  // -- sending a request made with create_request() --
  /// To `host`; Host and Origin are filled in unless set.
  void send(Request_ptr req, Host host, Response_handler cb, const bool secure = false,
            Options options = {});
  void send(Request_ptr req, Host host, Response_handler cb, Options options)
  {
    send(std::move(req), host, std::move(cb), false, std::move(options));
  }
  /// To the host (and port, 80 by default) of `url`; the request's own
  /// URI is what goes in its request line.
  void send(Request_ptr req, URI url, Response_handler cb, Options options = {});

  // -- making and sending one --
  void request(Method method, URI url, Header_set hfields, Response_handler cb, Options options = {});
  void request(Method method, std::string url, Header_set hfields, Response_handler cb,
               Options options = {})
  {
    request(method, URI{url}, std::move(hfields), std::move(cb), std::move(options));
  }
  void request(Method method, Host host, std::string path, Header_set hfields, Response_handler cb,
               const bool secure = false, Options options = {});
  void request(Method method, Host host, std::string path, Header_set hfields, Response_handler cb,
               Options options)
  {
    request(method, host, std::move(path), std::move(hfields), std::move(cb), false, std::move(options));
  }
  /// With a body (Content-Type text/plain unless set).
  void request(Method method, URI url, Header_set hfields, std::string data, Response_handler cb,
               Options options = {});
  void request(Method method, std::string url, Header_set hfields, std::string data,
               Response_handler cb, Options options = {})
  {
    request(method, URI{url}, std::move(hfields), std::move(data), std::move(cb), std::move(options));
  }
  void request(Method method, Host host, std::string path, Header_set hfields, const std::string& data,
               Response_handler cb, const bool secure = false, Options options = {});
  void request(Method method, Host host, std::string path, Header_set hfields, const std::string& data,
               Response_handler cb, Options options)
  {
    request(method, host, std::move(path), std::move(hfields), data, std::move(cb), false,
            std::move(options));
  }

  void get(URI url, Header_set hfields, Response_handler cb, Options options = {})
  {
    request(GET, std::move(url), std::move(hfields), std::move(cb), std::move(options));
  }
  void get(Host host, std::string path, Header_set hfields, Response_handler cb,
           const bool secure = false, Options options = {})
  {
    request(GET, host, std::move(path), std::move(hfields), std::move(cb), secure, std::move(options));
  }
  void get(Host host, std::string path, Header_set hfields, Response_handler cb, Options options)
  {
    request(GET, host, std::move(path), std::move(hfields), std::move(cb), false, std::move(options));
  }
  void post(URI url, Header_set hfields, std::string data, Response_handler cb, Options options = {})
  {
    request(POST, std::move(url), std::move(hfields), std::move(data), std::move(cb), std::move(options));
  }
  void post(Host host, std::string path, Header_set hfields, const std::string& data,
            Response_handler cb, const bool secure = false, Options options = {})
  {
    request(POST, host, std::move(path), std::move(hfields), data, std::move(cb), secure,
            std::move(options));
  }
  void post(Host host, std::string path, Header_set hfields, const std::string& data,
            Response_handler cb, Options options)
  {
    request(POST, host, std::move(path), std::move(hfields), data, std::move(cb), false,
            std::move(options));
  }

  void on_send(Request_handler cb) { on_send_ = std::move(cb); }

  /// What goes in Origin: the interface's address.
  std::string origin() const { return tcp_.stack().ip_addr().to_string(); }

 protected:
  TCP& tcp_;
  Connection_mapset conns_;

  explicit Basic_client(TCP& tcp, Request_handler on_send, const bool https_supported);
  /// A TLS connection: none on ukbase (throws Client_error).
  virtual Client_connection& get_secure_connection(const Host host);

 private:
  friend class Client_connection;
  using ResolveCallback = net::Inet::resolve_func;

  /// The host of `url` as an address (resolved if need be), then `then`
  /// with it; `cb` hears of a host that does not resolve.
  void with_host(const URI& url, Response_handler cb, delegate<void(Host, Response_handler)> then);
  void set_connection_header(Request& req) const
  {
    req.header().set_field(header::Connection, keep_alive_ ? "keep-alive" : "close");
  }
  /// The request line's URI and Host from `url`.
  static void populate_from_url(Request& req, const URI& url);
  /// Host from `url`: "host", or "host:port" for a port other than 80.
  static void populate_host(Request& req, const URI& url);
  /// The body, its Content-Length (and Content-Type unless set).
  void add_data(Request& req, const std::string& data);
  Client_connection& get_connection(const Host host);
  void close(Client_connection& conn);
  void validate_secure(const bool secure) const
  {
    if (secure && !supports_https)
      throw Client_error("Secured connections not supported with Basic_client (use the HTTPS Client).");
  }

  Request_handler on_send_;
  bool keep_alive_ = false;
  const bool supports_https;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace http
