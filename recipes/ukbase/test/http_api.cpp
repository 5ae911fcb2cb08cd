// ukbase selftest: IncludeOS's HTTP API (<http>: http::Server,
// http::Basic_client, requests, responses, uri::URI).
//
// eth0 (QEMU user networking) serves the host on port 80. eth1 and eth2
// (two NICs on one QEMU hub) are 10.0.3.1 and 10.0.3.2: a server on eth2
// port 8080 and a client on eth1 test each other inside the guest (the
// stack has no loopback), and a client on eth0 fetches a file from the
// host's HTTP server at 10.0.2.2:<hostport> (cmdline "hostport=N").
//
// Each guest check prints "[http] PASS name" or "[http] FAIL name: why",
// then "[http] guest checks: N passed, M failed". GET /shutdown ends the
// service.
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <http>
#include <net/interfaces>
#include <os>
#include <service>
#include <timers>

using namespace std::chrono_literals;

namespace {

// ---- the server's routes ----------------------------------------------------------------

std::vector<http::Response_writer_ptr> parked;   // requests never answered (client timeouts)
http::Server* host_server = nullptr;

void handle(http::Request_ptr req, http::Response_writer_ptr rw)
{
  using namespace http;
  const std::string path(req->uri().path());
  const bool get = req->method() == GET;
  if ((get || req->method() == HEAD) && path == "/") {
    rw->header().set_field(header::Content_Type, "text/plain");
    rw->write("hello from ukbase\n");
  } else if (get && path == "/hello") {
    rw->header().set_field(header::Content_Type, "text/plain");
    rw->write("hello " + std::string(req->query_value("name")) + "\n");
  } else if (req->method() == POST && path == "/echo") {
    std::string type(req->header().value(header::Content_Type));
    rw->header().set_field(header::Content_Type, type.empty() ? "application/octet-stream" : type);
    rw->write(std::string(req->body()));
  } else if (get && path == "/peer") {
    rw->write(rw->connection().peer().to_string());
  } else if (get && path == "/clients") {
    rw->write(std::to_string(host_server ? host_server->connected_clients() : 0));
  } else if (get && path == "/later") {
    // Answered from a timer: a pipelined request behind it waits.
    std::shared_ptr<Response_writer> w{std::move(rw)};
    Timers::oneshot(100ms, [w](Timers::id_t) { w->write("later\n"); });
  } else if (get && path == "/chunked") {
    rw->header().set_field(header::Transfer_Encoding, "chunked");
    rw->write(std::string("5\r\nhello\r\n7\r\n chunks\r\n0\r\n\r\n"));
  } else if (get && path == "/until-close") {
    rw->write_header(OK);
    rw->write("until the connection closes");
  } else if (get && path == "/never") {
    parked.push_back(std::move(rw));
  } else if (get && path == "/shutdown") {
    rw->write("bye\n");
    Timers::oneshot(200ms, [](Timers::id_t) { os::shutdown(); });
  } else {
    rw->write_header(Not_Found);
  }
}

// ---- a sequence of asynchronous checks -----------------------------------------------------

using Done = std::function<void(bool ok, std::string why)>;
struct Check {
  const char* name;
  std::function<void(Done)> run;
};

std::vector<Check> checks;
size_t next_check = 0;
int passed = 0, failed = 0;
unsigned generation = 0;               // which check a callback or watchdog belongs to

void run_next();

void report(unsigned gen, const char* name, bool ok, const std::string& why)
{
  if (gen != generation)
    return;                            // late: the watchdog already reported it
  generation++;
  if (ok) {
    passed++;
    std::printf("[http] PASS %s\n", name);
  } else {
    failed++;
    std::printf("[http] FAIL %s: %s\n", name, why.c_str());
  }
  Timers::oneshot(0ms, [](Timers::id_t) { run_next(); });
}

void run_next()
{
  if (next_check == checks.size()) {
    parked.clear();                    // their clients timed out long ago
    std::printf("[http] guest checks: %d passed, %d failed\n", passed, failed);
    return;
  }
  Check& c = checks[next_check++];
  unsigned gen = generation;
  const char* name = c.name;
  Timers::oneshot(10s, [gen, name](Timers::id_t) { report(gen, name, false, "no answer in 10 s"); });
  try {
    c.run([gen, name](bool ok, std::string why) { report(gen, name, ok, why); });
  } catch (const std::exception& e) {
    report(gen, name, false, std::string("threw: ") + e.what());
  }
}

std::string describe(const http::Error& err, const http::Response_ptr& res)
{
  if (err)
    return "error: " + err.to_string();
  if (!res)
    return "no response";
  return "got " + std::to_string(res->status_code()) + " \"" + std::string(res->body()) + "\"";
}

// A GET whose response must be `code` with body `body`.
Check expect_get(const char* name, http::Basic_client& client, std::string url, http::status_t code,
                 std::string body, std::string type = "")
{
  return {name, [&client, url, code, body, type](Done done) {
            client.get(url, {}, [=](http::Error err, http::Response_ptr res, http::Connection&) {
              bool ok = !err && res && res->status_code() == code && res->body() == body
                        && (type.empty() || res->header().value(http::header::Content_Type) == type);
              done(ok, describe(err, res));
            });
          }};
}

// ---- checks without the network ----------------------------------------------------------------

std::string parse_checks()
{
  using namespace http;
  Request r{"GET /a/b?x=1&name=J%20S HTTP/1.1\r\nHost: h\r\nX-Many: 1\r\nx-many: 2\r\n\r\n"};
  if (r.method() != GET || r.uri().path() != "/a/b" || r.query_value("name") != "J S"
      || r.header().value("host") != "h" || r.header().size() != 3 || r.version() != Version(1, 1))
    return "request: " + r.to_string();
  Request c{"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"};
  if (c.body() != "abcde" || c.method() != POST)
    return "chunked request body: \"" + std::string(c.body()) + "\"";
  bool threw = false;
  try {
    Request bad{"GET / HTTP/1.1\r\nBroken header\r\n\r\n"};
    (void)bad;
  } catch (const Request_error&) {
    threw = true;
  }
  if (!threw)
    return "a malformed request did not throw Request_error";
  Response s{"HTTP/1.0 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"};
  if (s.status_code() != Not_Found || s.body() != "nope" || s.version() != Version(1, 0))
    return "response: " + s.to_string();
  Response o;
  o.set_status_code(Created);
  o.header().set_field(header::Content_Type, "text/plain");
  o.set_body("x");
  if (o.to_string() != "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\n\r\nx")
    return "Response::to_string: " + o.to_string();
  if (method::str(DELETE) != "DELETE" || method::code("PATCH") != PATCH || method::code("FOO") != INVALID
      || code_description(Not_Found) != "Not Found")
    return "methods and status codes";
  uri::URI u{"http://user:pw@example.com:8080/p/q?k=v%21&e#frag"};
  if (u.scheme() != "http" || u.userinfo() != "user:pw" || u.host() != "example.com" || u.port() != 8080
      || u.path() != "/p/q" || u.query() != "k=v%21&e" || u.query("k") != "v!" || u.fragment() != "frag"
      || u.host_is_ip4() || !(u == uri::URI{u.to_string()}) || !uri::URI{"http://10.0.0.1/"}.host_is_ip4()
      || uri::URI{"/x"}.port() != 0xFFFF || !u.is_valid() || !(uri::URI{"/"} == "/"))
    return "uri::URI parts of " + u.to_string();
  return "";
}

// ---- the checks ------------------------------------------------------------------------------------

std::unique_ptr<http::Server> guest_server;
std::unique_ptr<http::Basic_client> guest_client;   // eth1 -> eth2's server
std::unique_ptr<http::Basic_client> host_client;    // eth0 -> the host

void add_checks(int hostport)
{
  using namespace http;
  auto& client = *guest_client;
  const std::string base = "http://10.0.3.2:8080";

  checks.push_back({"requests, responses and URIs parse and print", [](Done done) {
                      std::string why = parse_checks();
                      done(why.empty(), why);
                    }});
  checks.push_back(expect_get("GET / (body and Content-Type)", client, base + "/", OK,
                              "hello from ukbase\n", "text/plain"));
  checks.push_back(expect_get("GET with a query", client, base + "/hello?name=ukbase%20os", OK,
                              "hello ukbase os\n"));
  checks.push_back({"POST echoed", [&client, base](Done done) {
                      client.post(base + "/echo", {{"Content-Type", "application/x-test"}}, "ping-123",
                                  [done](Error err, Response_ptr res, Connection&) {
                                    done(!err && res && res->body() == "ping-123"
                                             && res->header().value(header::Content_Type) == "application/x-test",
                                         describe(err, res));
                                  });
                    }});
  checks.push_back({"HEAD: the fields without the body", [&client, base](Done done) {
                      client.request(HEAD, URI{base + "/"}, {}, [done](Error err, Response_ptr res, Connection&) {
                        done(!err && res && res->status_code() == OK && res->body().empty()
                                 && res->header().value(header::Content_Length) == "18",
                             describe(err, res));
                      });
                    }});
  checks.push_back(expect_get("404 from the handler", client, base + "/missing", Not_Found, ""));
  checks.push_back(expect_get("a chunked response", client, base + "/chunked", OK, "hello chunks"));
  checks.push_back(expect_get("a response until the connection closes", client, base + "/until-close", OK,
                              "until the connection closes"));
  checks.push_back({"a chunked request body", [&client](Done done) {
                      auto req = client.create_request(POST);
                      req->set_uri(URI{"/echo"});
                      req->header().set_field(header::Transfer_Encoding, "chunked");
                      req->set_body("4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n");
                      client.send(std::move(req), net::Socket{net::ip4::Addr{10, 0, 3, 2}, 8080},
                                  [done](Error err, Response_ptr res, Connection&) {
                                    done(!err && res && res->body() == "abcdefg", describe(err, res));
                                  });
                    }});
  checks.push_back({"keep-alive: two requests on one connection", [&client](Done done) {
                      const net::Socket server{net::ip4::Addr{10, 0, 3, 2}, 8080};
                      auto req = client.create_request(GET);
                      req->set_uri(URI{"/peer"});
                      req->header().set_field(header::Connection, "keep-alive");
                      client.send(std::move(req), server, [&client, done, server](Error err, Response_ptr res,
                                                                                  Connection& conn) {
                        if (err || !res)
                          return done(false, "first: " + describe(err, res));
                        std::string first(res->body());
                        uint16_t port = conn.local_port();
                        auto again = client.create_request(GET);
                        again->set_uri(URI{"/peer"});
                        client.send(std::move(again), server, [done, first, port](Error err, Response_ptr res,
                                                                                  Connection& conn) {
                          bool ok = !err && res && res->body() == first && conn.local_port() == port
                                    && first == "10.0.3.1:" + std::to_string(port);
                          done(ok, "first \"" + first + "\" from port " + std::to_string(port) + ", second "
                                       + describe(err, res) + " from port " + std::to_string(conn.local_port()));
                        });
                      });
                    }});
  checks.push_back({"Options::timeout", [&client, base](Done done) {
                      Basic_client::Options opt;
                      opt.timeout = 300ms;
                      client.get(base + "/never", {}, [done](Error err, Response_ptr res, Connection&) {
                        done(err.code() == Error::TIMEOUT && err.timeout(), describe(err, res));
                      }, opt);
                    }});
  checks.push_back({"a refused connection", [&client](Done done) {
                      client.get("http://10.0.3.2:9/", {}, [done](Error err, Response_ptr res, Connection&) {
                        done(err && !res, describe(err, res));
                      });
                    }});
  checks.push_back({"an https URL throws Client_error", [&client](Done done) {
                      try {
                        client.get("https://10.0.3.2/", {}, [](Error, Response_ptr, Connection&) {});
                      } catch (const Client_error& e) {
                        return done(true, "");
                      }
                      done(false, "no exception");
                    }});
  checks.push_back({"an unknown host name: RESOLVE_HOST", [](Done done) {
                      host_client->get("http://no-such-host.invalid/", {},
                                       [done](Error err, Response_ptr res, Connection&) {
                                         done(err.code() == Error::RESOLVE_HOST, describe(err, res));
                                       });
                    }});
  if (hostport)
    checks.push_back(expect_get("GET from the host's server", *host_client,
                                "http://10.0.2.2:" + std::to_string(hostport) + "/hello.txt", OK,
                                "greetings from the host\n"));
  else
    checks.push_back({"GET from the host's server", [](Done done) { done(false, "no hostport= given"); }});
}

int hostport_arg()
{
  std::string args = os::cmdline_args();
  size_t at = args.find("hostport=");
  return at == std::string::npos ? 0 : std::atoi(args.c_str() + at + 9);
}

}  // namespace

void Service::start()
{
  auto& eth0 = net::Interfaces::get(0);
  static http::Server server{eth0.tcp()};
  host_server = &server;
  server.on_request(handle);
  server.listen(80);

  if (net::Interfaces::get().size() < 3) {
    std::printf("[http] FAIL: eth1 and eth2 are missing\n");
    return;
  }
  auto& eth1 = net::Interfaces::get(1);
  auto& eth2 = net::Interfaces::get(2);
  eth1.network_config({10, 0, 3, 1}, {255, 255, 255, 0}, {0, 0, 0, 0});
  eth2.network_config({10, 0, 3, 2}, {255, 255, 255, 0}, {0, 0, 0, 0});
  guest_server = std::make_unique<http::Server>(eth2.tcp(), handle);
  guest_server->listen(8080);
  guest_client = std::make_unique<http::Basic_client>(eth1.tcp());
  host_client = std::make_unique<http::Basic_client>(eth0.tcp());

  add_checks(hostport_arg());
  run_next();
}
