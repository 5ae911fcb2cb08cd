// tcp_echo: a TCP echo on port 7, written against IncludeOS's own network
// API (no POSIX sockets), in the style of IncludeOS services: everything
// happens in callbacks run by the event loop, after Service::start() has
// returned.
//
// - The address comes from DHCP ([build] config: "config": "dhcp"); the
//   service listens once the interface is configured.
// - Every byte received goes back on the same connection: the buffer that
//   on_read hands over is written back as it is (no copy).
// - Each connection counts its bytes both ways; a connection silent for
//   IDLE_LIMIT is closed by a sweep timer; while any connection is open a
//   periodic timer prints the counters.
// - A connection whose first line is "shutdown" ends the service; its
//   counters are printed by Service::stop().
#include <os>
#include <info>
#include <timers>
#include <net/interfaces>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr uint16_t PORT = 7;
constexpr auto IDLE_LIMIT = 4s;          // a connection silent this long is closed
constexpr auto SWEEP_EVERY = 1s;         // how often idleness is checked
constexpr auto STATS_EVERY = 2s;         // counters printed while connections are open
constexpr auto DHCP_PATIENCE = 30s;      // give up without an address after this long

using net::tcp::Connection;
using net::tcp::Connection_ptr;

// One open connection. The TCP stack owns the connection until it is
// closed; we only watch it.
struct Peer {
  std::weak_ptr<Connection> conn;
  std::string remote;                    // "10.0.2.2:51234"
  uint64_t in = 0, out = 0;              // bytes received, bytes echoed (written)
  uint64_t last_active = 0;              // os::nanos_since_boot() of the last byte either way
  std::string head;                      // the first bytes, until a newline or 9 of them
  bool head_done = false;
  const char* why = "closed";            // why it ended, for the closing line
  bool closing = false;                  // we asked it to close
};

std::map<Connection*, Peer> peers;

struct Totals {
  uint64_t connections = 0, in = 0, out = 0, idle_closed = 0;
} totals;

Timers::id_t stats_timer = Timers::UNUSED_ID;
Timers::id_t sweep_timer = Timers::UNUSED_ID;
bool stopping = false;

uint64_t now() { return os::nanos_since_boot(); }

constexpr uint64_t ns(std::chrono::nanoseconds d) { return uint64_t(d.count()); }

void print_counters(const char* when)
{
  std::printf("tcp_echo: %s: %zu open, %llu connections, %llu bytes in, %llu bytes out\n", when,
              peers.size(), (unsigned long long)totals.connections,
              (unsigned long long)totals.in, (unsigned long long)totals.out);
}

// Closes connections that have been silent for IDLE_LIMIT; aborts those
// that were asked to close and are still there after as long again.
void sweep()
{
  uint64_t t = now();
  for (auto& [raw, p] : peers) {
    auto conn = p.conn.lock();
    if (!conn)
      continue;
    uint64_t idle = t - p.last_active;
    if (!p.closing && idle > ns(IDLE_LIMIT)) {
      std::printf("tcp_echo: %s idle for %llu s, closing it\n", p.remote.c_str(),
                  (unsigned long long)(idle / 1000000000u));
      p.why = "idle";
      p.closing = true;
      totals.idle_closed++;
      conn->close();
    } else if (p.closing && idle > 2 * ns(IDLE_LIMIT)) {
      conn->abort();
    }
  }
}

// The timers run only while there are connections.
void update_timers()
{
  if (!peers.empty() && stats_timer == Timers::UNUSED_ID) {
    stats_timer = Timers::periodic(STATS_EVERY, [](Timers::id_t) { print_counters("stats"); });
    sweep_timer = Timers::periodic(SWEEP_EVERY, [](Timers::id_t) { sweep(); });
  } else if (peers.empty() && stats_timer != Timers::UNUSED_ID) {
    Timers::stop(stats_timer);
    Timers::stop(sweep_timer);
    stats_timer = sweep_timer = Timers::UNUSED_ID;
  }
}

// "shutdown" as the first line of a connection: close every connection
// (each sends what it still has queued, then its FIN), give the FINs a
// moment, then end the service.
void begin_shutdown(const Peer& from)
{
  if (stopping)
    return;
  stopping = true;
  std::printf("tcp_echo: shutdown from %s\n", from.remote.c_str());
  for (auto& [raw, p] : peers) {
    p.why = "shutdown";
    p.closing = true;
    if (auto conn = p.conn.lock())
      conn->close();
  }
  Timers::oneshot(300ms, [](Timers::id_t) { os::shutdown(); });
}

// Keeps the first line (up to 9 bytes) of a connection's stream.
// True when it is "shutdown".
bool first_line_is_shutdown(Peer& p, const uint8_t* data, size_t n)
{
  if (p.head_done)
    return false;
  for (size_t i = 0; i < n && !p.head_done; i++) {
    char ch = char(data[i]);
    if (ch == '\n' || ch == '\r')
      p.head_done = true;
    else
      p.head += ch;
    if (p.head.size() >= 9)
      p.head_done = true;
  }
  return p.head_done && p.head == "shutdown";
}

// A connection is over: its line, and it is forgotten.
void finish(std::map<Connection*, Peer>::iterator it)
{
  const Peer& p = it->second;
  std::printf("tcp_echo: %s done (%s): %llu bytes in, %llu bytes out\n", p.remote.c_str(), p.why,
              (unsigned long long)p.in, (unsigned long long)p.out);
  peers.erase(it);
  update_timers();
}

void on_connect(Connection_ptr conn)
{
  if (stopping) {
    conn->abort();
    return;
  }
  Connection* raw = conn.get();
  Peer& p = peers[raw];
  p.conn = conn;
  p.remote = conn->remote().to_string();
  p.last_active = now();
  totals.connections++;
  update_timers();

  conn->on_read(64 * 1024, [raw](net::tcp::buffer_t buf) {
    auto it = peers.find(raw);
    if (it == peers.end())
      return;
    Peer& p = it->second;
    p.in += buf->size();
    totals.in += buf->size();
    p.last_active = now();
    bool shutdown = first_line_is_shutdown(p, buf->data(), buf->size());
    if (auto conn = p.conn.lock())
      conn->write(buf);                  // the same buffer goes back
    if (shutdown)
      begin_shutdown(p);
  });

  conn->on_write([raw](size_t n) {
    auto it = peers.find(raw);
    if (it == peers.end())
      return;
    it->second.out += n;
    totals.out += n;
    it->second.last_active = now();
  });

  // The peer sent its FIN (or a reset). If we had not closed yet, what it
  // sent before is still being echoed: close() sends our FIN after all of
  // it, and the connection ends when that FIN is acknowledged (on_close).
  // If we had closed first, nothing more will pass: it is done now (its
  // on_close comes only after TIME-WAIT).
  conn->on_disconnect([raw](Connection_ptr self, Connection::Disconnect reason) {
    auto it = peers.find(raw);
    if (it != peers.end()) {
      if (it->second.closing) {
        finish(it);
      } else {
        it->second.why = reason == Connection::Disconnect::CLOSING ? "peer closed" : "reset";
        it->second.closing = true;
      }
    }
    self->close();
  });

  conn->on_close([raw] {
    auto it = peers.find(raw);
    if (it != peers.end())
      finish(it);
  });
}

void start_listening(net::Inet& inet)
{
  inet.tcp().listen(PORT).on_connect(on_connect);
  INFO("tcp_echo", "Listening on %s port %u", inet.ip_addr().str().c_str(), unsigned(PORT));
}

}  // namespace

void Service::start()
{
  net::Inet* inet;
  try {
    inet = &net::Interfaces::get(0);
  } catch (const std::exception& e) {
    std::printf("tcp_echo: no network interface (is \"virtionet\" in [platform] drivers?): %s\n",
                e.what());
    os::shutdown();
    return;
  }
  if (inet->is_configured()) {
    start_listening(*inet);
    return;
  }
  // DHCP (config.json) is still under way: listen once it has answered.
  INFO("tcp_echo", "Waiting for an address on %s", inet->ifname().c_str());
  inet->on_config([](net::Inet& configured) { start_listening(configured); });
  Timers::oneshot(DHCP_PATIENCE, [](Timers::id_t) {
    if (!net::Interfaces::get(0).is_configured()) {
      std::printf("tcp_echo: no address from DHCP, giving up\n");
      os::shutdown();
    }
  });
}

void Service::stop()
{
  print_counters("stopped");
  std::printf("tcp_echo: idle connections closed: %llu\n", (unsigned long long)totals.idle_closed);
}
