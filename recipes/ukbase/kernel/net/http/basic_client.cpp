// http::Basic_client: requests made from URLs or hosts, sent on a
// Client_connection each (kept-alive ones are reused).
#include <net/http/basic_client.hpp>

#include <algorithm>

#include <expects>

#include "dispose.hpp"

namespace http {

Basic_client::Basic_client(TCP& tcp, Request_handler on_send) : Basic_client(tcp, std::move(on_send), false) {}

Basic_client::Basic_client(TCP& tcp, Request_handler on_send, const bool https_supported)
    : tcp_(tcp), on_send_(std::move(on_send)), supports_https(https_supported)
{
}

Basic_client::~Basic_client() { *alive_ = false; }

Request_ptr Basic_client::create_request(Method method) const
{
  auto req = std::make_unique<Request>();
  req->set_method(method);
  req->header().set_field(header::User_Agent, "IncludeOS/0.12");
  set_connection_header(*req);
  return req;
}

// ---- sending ---------------------------------------------------------------------------------

void Basic_client::send(Request_ptr req, Host host, Response_handler cb, const bool secure, Options options)
{
  Expects(cb != nullptr);
  Expects(req != nullptr);
  Client_connection& conn = secure ? get_secure_connection(host) : get_connection(host);
  auto& h = req->header();
  if (!h.has_field(header::Host))
    h.set_field(header::Host, host.to_string());
  if (!h.has_field(header::Origin))
    h.set_field(header::Origin, origin());
  if (on_send_)
    on_send_(*req, options, host);
  conn.send(std::move(req), std::move(cb), options.follow_redirect, options.timeout);
}

void Basic_client::send(Request_ptr req, URI url, Response_handler cb, Options options)
{
  Expects(url.is_valid() && "Invalid URI (missing scheme?)");
  validate_secure(url.scheme_is_secure());
  if (!req->header().has_field(header::Host))
    populate_host(*req, url);
  // The request waits in a shared holder while the host resolves (a
  // delegate must be copyable).
  auto held = std::make_shared<Request_ptr>(std::move(req));
  with_host(url, cb, [this, held, options](Host host, Response_handler cb) {
    send(std::move(*held), host, std::move(cb), false, options);
  });
}

void Basic_client::with_host(const URI& url, Response_handler cb,
                             delegate<void(Host, Response_handler)> then)
{
  const uint16_t port = url.port() != 0xFFFF ? url.port() : 80;
  if (url.host_is_ip4()) {
    then(Host{net::ip4::Addr(std::string(url.host())), port}, std::move(cb));
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  tcp_.stack().resolve(std::string(url.host()),
                       [alive, cb, then, port](net::dns::Response_ptr res, const net::Error& err) {
                         if (alive.expired())
                           return;    // the client is gone
                         net::Addr addr = !err && res ? res->get_first_addr() : net::Addr::addr_any;
                         if (addr == net::Addr::addr_any) {
                           cb(Error::RESOLVE_HOST, nullptr, Connection::empty());
                           return;
                         }
                         then(Host{addr, port}, cb);
                       });
}

// ---- making requests ---------------------------------------------------------------------------

void Basic_client::request(Method method, URI url, Header_set hfields, Response_handler cb, Options options)
{
  Expects(url.is_valid() && "Invalid URI (missing scheme?)");
  Expects(cb != nullptr);
  validate_secure(url.scheme_is_secure());
  auto req = create_request(method);
  *req << hfields;
  populate_from_url(*req, url);
  send(std::move(req), std::move(url), std::move(cb), std::move(options));
}

void Basic_client::request(Method method, Host host, std::string path, Header_set hfields,
                           Response_handler cb, const bool secure, Options options)
{
  validate_secure(secure);
  auto req = create_request(method);
  *req << hfields;
  req->set_uri(path.empty() ? URI{"/"} : URI{path});
  send(std::move(req), host, std::move(cb), secure, std::move(options));
}

void Basic_client::request(Method method, URI url, Header_set hfields, std::string data,
                           Response_handler cb, Options options)
{
  Expects(url.is_valid() && "Invalid URI (missing scheme?)");
  validate_secure(url.scheme_is_secure());
  auto req = create_request(method);
  *req << hfields;
  populate_from_url(*req, url);
  add_data(*req, data);
  send(std::move(req), std::move(url), std::move(cb), std::move(options));
}

void Basic_client::request(Method method, Host host, std::string path, Header_set hfields,
                           const std::string& data, Response_handler cb, const bool secure,
                           Options options)
{
  validate_secure(secure);
  auto req = create_request(method);
  *req << hfields;
  req->set_uri(path.empty() ? URI{"/"} : URI{path});
  add_data(*req, data);
  send(std::move(req), host, std::move(cb), secure, std::move(options));
}

void Basic_client::add_data(Request& req, const std::string& data)
{
  auto& h = req.header();
  if (!h.has_field(header::Content_Type))
    h.set_field(header::Content_Type, "text/plain");
  h.set_field(header::Content_Length, std::to_string(data.size()));
  req.set_body(data);
}

void Basic_client::populate_from_url(Request& req, const URI& url)
{
  std::string target(url.path().empty() ? "/" : url.path());
  if (!url.query().empty())
    target += "?" + std::string(url.query());
  req.set_uri(URI{target});
  req.header().erase(header::Host);
  populate_host(req, url);
}

void Basic_client::populate_host(Request& req, const URI& url)
{
  const uint16_t port = url.port();
  std::string host = url.host_is_ip6() ? "[" + std::string(url.host()) + "]" : std::string(url.host());
  if (port != 0xFFFF && port != 80)
    host += ":" + std::to_string(port);
  req.header().set_field(header::Host, host);
}

// ---- connections -------------------------------------------------------------------------------

Client_connection& Basic_client::get_connection(const Host host)
{
  auto& set = conns_[host];
  for (auto& conn : set)
    if (conn->available())
      return *conn;
  set.push_back(std::make_unique<Client_connection>(*this, tcp_.connect(host)));
  return *set.back();
}

Client_connection& Basic_client::get_secure_connection(const Host)
{
  throw Client_error("Secured connections not supported (use the HTTPS Client).");
}

void Basic_client::close(Client_connection& conn)
{
  auto it = conns_.find(conn.peer());
  if (it == conns_.end())
    return;
  auto& set = it->second;
  auto found = std::find_if(set.begin(), set.end(), [&conn](auto& c) { return c.get() == &conn; });
  if (found == set.end())
    return;
  detail::dispose(std::move(*found));
  set.erase(found);
  if (set.empty())
    conns_.erase(it);
}

}  // namespace http
