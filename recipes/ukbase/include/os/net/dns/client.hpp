// A DNS resolver (RFC 1035), as IncludeOS's net/dns/client.hpp; services
// usually call Inet::resolve(), which asks the interface's DNS server.
//
//   inet.resolve("example.com", [](dns::Response_ptr res, const net::Error& err) {
//     if (res && res->has_addr()) printf("%s\n", res->get_first_addr().to_string().c_str());
//   });
//
// One A query over UDP to port 53, asked again after each second without
// an answer until the timeout (5 s by default); the handler then gets the
// response, or null and an Error (timeout, no network). A name that is
// already an address ("10.0.0.1") resolves at once. Answers are cached
// for their TTL (at most an hour); `force` asks the server anyway.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <delegate>
#include <net/addr.hpp>
#include <net/dns/dns.hpp>
#include <net/dns/response.hpp>
#include <net/error.hpp>

namespace net {
class Inet;
}

namespace net::dns {

class Client {
 public:
  using Stack = Inet;
  using Address = net::Addr;
  using Resolve_handler = delegate<void(dns::Response_ptr, const Error& err)>;
  static constexpr std::chrono::seconds DEFAULT_RESOLVE_TIMEOUT{5};
  static constexpr std::chrono::seconds DEFAULT_CACHE_TTL{3600};

  explicit Client(Stack& stack);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void resolve(Address dns_server, const std::string& hostname, Resolve_handler func,
               std::chrono::milliseconds timeout = DEFAULT_RESOLVE_TIMEOUT, bool force = false);
  void resolve(Address dns_server, const std::string& hostname, Resolve_handler func, bool force)
  {
    resolve(dns_server, hostname, std::move(func), DEFAULT_RESOLVE_TIMEOUT, force);
  }

  void flush_cache();
  void set_cache_ttl(std::chrono::seconds ttl) { cache_ttl_ = ttl; }
  bool has_cache() const noexcept { return cache_ttl_.count() > 0; }

  struct Query;

 private:
  void ask(uint16_t id);
  void finish(uint16_t id, dns::Response_ptr res, const Error& err);

  Stack& stack_;
  std::chrono::seconds cache_ttl_ = DEFAULT_CACHE_TTL;
  struct Cached {
    std::shared_ptr<const Response> response;
    uint64_t expires_ns;
  };
  std::map<std::string, Cached> cache_;
  std::map<uint16_t, std::unique_ptr<Query>> queries_;
  friend struct Query;
};

}  // namespace net::dns
