// IncludeOS's DNS resolver (<net/dns/client.hpp>): A queries over UDP
// (RFC 1035 4.1), the answer parsed with its compressed names (4.1.4).
#include <cstring>

#include <net/inet.hpp>

#include "../stack.hpp"
#include "kernel/clock.h"

namespace net::dns {

namespace {

uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p)
{
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// A (possibly compressed) name at `pos`: its text, and where the bytes
// after it start. False if it runs off the message or loops.
bool read_name(const uint8_t* msg, size_t len, size_t pos, std::string& name, size_t& next)
{
  name.clear();
  bool jumped = false;
  for (int hops = 0; hops < 64; hops++) {
    if (pos >= len)
      return false;
    uint8_t n = msg[pos];
    if (n == 0) {
      if (!jumped)
        next = pos + 1;
      return true;
    }
    if ((n & 0xC0) == 0xC0) {           // a pointer to an earlier name
      if (pos + 1 >= len)
        return false;
      if (!jumped)
        next = pos + 2;
      jumped = true;
      pos = size_t(n & 0x3F) << 8 | msg[pos + 1];
      continue;
    }
    if ((n & 0xC0) || pos + 1 + n > len)
      return false;
    if (!name.empty())
      name += '.';
    name.append(reinterpret_cast<const char*>(msg + pos + 1), n);
    pos += 1 + n;
  }
  return false;
}

}  // namespace

bool Response::parse(const uint8_t* msg, size_t len, uint16_t id)
{
  if (len < 12 || get16(msg) != id || !(msg[2] & 0x80))     // not our answer
    return false;
  rcode = msg[3] & 0x0F;
  unsigned qd = get16(msg + 4), counts[3] = {get16(msg + 6), get16(msg + 8), get16(msg + 10)};
  std::vector<Record>* lists[3] = {&answers, &auth, &addit};
  size_t pos = 12;
  std::string name;
  for (unsigned q = 0; q < qd; q++) {
    if (!read_name(msg, len, pos, name, pos) || pos + 4 > len)
      return false;
    pos += 4;                           // QTYPE, QCLASS
  }
  for (int section = 0; section < 3; section++)
    for (unsigned k = 0; k < counts[section]; k++) {
      Record r;
      if (!read_name(msg, len, pos, r.name, pos) || pos + 10 > len)
        return false;
      r.rtype = static_cast<Record_type>(get16(msg + pos));
      r.rclass = static_cast<Class>(get16(msg + pos + 2));
      r.ttl = get32(msg + pos + 4);
      r.data_len = get16(msg + pos + 8);
      pos += 10;
      if (pos + r.data_len > len)
        return false;
      if (r.rtype == Record_type::CNAME || r.rtype == Record_type::NS
          || r.rtype == Record_type::PTR) {
        size_t after;
        if (!read_name(msg, len, pos, r.rdata, after))
          return false;
      } else {
        r.rdata.assign(reinterpret_cast<const char*>(msg + pos), r.data_len);
      }
      pos += r.data_len;
      lists[section]->push_back(std::move(r));
    }
  return true;
}

// ---- the resolver -----------------------------------------------------------------------

struct Client::Query {
  uint16_t id;
  std::string hostname;
  Resolve_handler handler;
  udp::Socket* socket = nullptr;
  Timers::id_t timer = Timers::UNUSED_ID;
  uint64_t deadline_ns;
  std::vector<uint8_t> message;
  ip4::Addr server;
};

Client::Client(Stack& stack) : stack_(stack) {}

Client::~Client()
{
  for (auto& [id, q] : queries_)
    if (q->timer != Timers::UNUSED_ID)
      Timers::stop(q->timer);
}

void Client::flush_cache() { cache_.clear(); }

void Client::resolve(Address server, const std::string& hostname, Resolve_handler func,
                     std::chrono::milliseconds timeout, bool force)
{
  if (!func)
    return;
  if (hostname.empty()) {
    func(nullptr, Error(Error::Type::general_IO, "No hostname"));
    return;
  }
  // An address already: the answer is itself.
  try {
    ip4::Addr a(hostname);
    auto res = std::make_unique<Response>();
    Record r;
    r.name = hostname;
    r.rtype = Record_type::A;
    r.data_len = 4;
    r.rdata = {char(a.part(3)), char(a.part(2)), char(a.part(1)), char(a.part(0))};
    res->answers.push_back(std::move(r));
    func(std::move(res), Error());
    return;
  } catch (const ip4::Invalid_address&) {
  }
  uint64_t now = clock_monotonic_ns();
  auto cached = cache_.find(hostname);
  if (cached != cache_.end()) {
    if (!force && cached->second.expires_ns > now) {
      func(std::make_unique<Response>(*cached->second.response), Error());
      return;
    }
    cache_.erase(cached);
  }
  if (!server.is_v4() || server.is_any()) {
    func(nullptr, Error(Error::Type::ifdown, "No DNS server (IPv4 only)"));
    return;
  }

  // The query: a header asking for recursion, then QNAME, QTYPE A, QCLASS IN.
  auto q = std::make_unique<Query>();
  uint16_t id;
  do
    ukbase::net::random_bytes(&id, sizeof id);
  while (queries_.count(id));
  q->id = id;
  q->hostname = hostname;
  q->handler = std::move(func);
  q->server = server.v4();
  q->deadline_ns = now + static_cast<uint64_t>(timeout.count()) * 1000000;
  std::vector<uint8_t>& m = q->message;
  m = {uint8_t(id >> 8), uint8_t(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start <= hostname.size()) {
    size_t dot = hostname.find('.', start);
    size_t n = (dot == std::string::npos ? hostname.size() : dot) - start;
    if (n == 0 && dot == std::string::npos)
      break;                            // "example.com." ends with the root
    if (n == 0 || n > 63) {
      q->handler(nullptr, Error(Error::Type::general_IO, "Invalid hostname"));
      return;
    }
    m.push_back(uint8_t(n));
    m.insert(m.end(), hostname.begin() + long(start), hostname.begin() + long(start + n));
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  m.insert(m.end(), {0, 0, 1, 0, 1});

  try {
    q->socket = &stack_.udp().bind();
  } catch (const std::exception&) {
    q->handler(nullptr, Error(Error::Type::general_IO, "No UDP port for the query"));
    return;
  }
  q->socket->on_read([this, id](udp::addr_t from, udp::port_t port, const char* data, size_t len) {
    auto it = queries_.find(id);
    if (it == queries_.end() || !from.is_v4() || from.v4() != it->second->server
        || port != SERVICE_PORT)
      return;
    auto res = std::make_unique<Response>();
    if (!res->parse(reinterpret_cast<const uint8_t*>(data), len, id))
      return;
    finish(id, std::move(res), Error());
  });
  queries_[id] = std::move(q);
  ask(id);
}

// Send the query, and again after every second without an answer, until
// the deadline.
void Client::ask(uint16_t id)
{
  auto it = queries_.find(id);
  if (it == queries_.end())
    return;
  Query& q = *it->second;
  q.timer = Timers::UNUSED_ID;
  uint64_t now = clock_monotonic_ns();
  if (now >= q.deadline_ns) {
    finish(id, nullptr, Error(Error::Type::timeout, "Request timed out"));
    return;
  }
  q.socket->sendto(q.server, SERVICE_PORT, q.message.data(), q.message.size());
  uint64_t wait = std::min<uint64_t>(1000000000, q.deadline_ns - now);
  q.timer = Timers::oneshot(std::chrono::nanoseconds(wait), [this, id](Timers::id_t) { ask(id); });
}

void Client::finish(uint16_t id, Response_ptr res, const Error& err)
{
  auto it = queries_.find(id);
  if (it == queries_.end())
    return;
  std::unique_ptr<Query> q = std::move(it->second);
  queries_.erase(it);
  if (q->timer != Timers::UNUSED_ID)
    Timers::stop(q->timer);
  if (q->socket)
    q->socket->close();               // safe from its own on_read
  if (res && res->has_addr() && cache_ttl_.count() > 0) {
    uint32_t ttl = static_cast<uint32_t>(cache_ttl_.count());
    for (auto& r : res->answers)
      if (r.is_addr() && r.ttl < ttl)
        ttl = r.ttl;
    if (ttl)
      cache_[q->hostname] = Cached{std::make_shared<const Response>(*res),
                                   clock_monotonic_ns() + uint64_t(ttl) * 1000000000};
  }
  q->handler(std::move(res), err);
}

}  // namespace net::dns
