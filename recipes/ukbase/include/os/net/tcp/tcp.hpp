// TCP on one interface, as IncludeOS's net/tcp/tcp.hpp: net::TCP, reached
// as Inet::tcp().
//
//   auto& tcp = inet.tcp();
//   tcp.listen(80).on_connect([](tcp::Connection_ptr conn) { ... });
//   tcp.connect({ip4::Addr{10, 0, 0, 1}, 8080}, [](tcp::Connection_ptr conn) {
//     if (!conn) return;                  // refused or timed out
//     conn->write("hello");
//   });
//
// Underneath is ukbase's one TCP engine (kernel/net/tcp), which the POSIX
// socket API uses too: a port either API listens on is taken for the
// other, and active_connections() counts every connection the engine
// has that is not CLOSED yet (TIME-WAIT included). Listening is on every
// address of every interface. IPv4 only: listen(port) also registers the
// IPv6 any address, as IncludeOS does (so it counts 2 in
// listening_ports()), but no IPv6 traffic arrives.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <net/inet_common.hpp>
#include <net/socket.hpp>
#include <net/tcp/common.hpp>
#include <net/tcp/connection.hpp>
#include <net/tcp/listener.hpp>
#include <net/tcp/tcp_errors.hpp>

namespace net {

class Inet;

class TCP {
 public:
  using IPStack = Inet;
  using ConnectCallback = tcp::Connection::ConnectCallback;
  using Listeners = std::map<Socket, std::shared_ptr<tcp::Listener>>;
  using Connections = std::map<tcp::Connection::Tuple, tcp::Connection_ptr>;

  explicit TCP(IPStack& stack, bool smp = false);
  ~TCP();
  TCP(const TCP&) = delete;
  TCP& operator=(const TCP&) = delete;

  // -- listening --
  /// Listen on `port` (IPv4 and the IPv6 any address). Throws TCP_error
  /// when the port is taken.
  tcp::Listener& listen(tcp::port_t port, ConnectCallback cb = nullptr, bool ipv6_only = false);
  /// Listen on `socket` (its address must be 0.0.0.0, ::, or ours).
  tcp::Listener& listen(const Socket& socket, ConnectCallback cb = nullptr);
  /// Stop the listener on `socket`; false if there is none.
  bool close(const Socket& socket);

  // -- connecting --
  /// Connect to `remote`; cb(conn) once established, cb(nullptr) if it
  /// fails (refused, timed out, no route).
  void connect(Socket remote, ConnectCallback cb);
  void connect(tcp::Address source, Socket remote, ConnectCallback cb);
  void connect(Socket local, Socket remote, ConnectCallback cb);
  /// The connection, not established yet: set its on_connect.
  tcp::Connection_ptr connect(Socket remote);
  tcp::Connection_ptr connect(tcp::Address source, Socket remote);
  tcp::Connection_ptr connect(Socket local, Socket remote);

  // -- information --
  const Listeners& listeners() const noexcept { return listeners_; }
  const Connections& connections() const noexcept { return connections_; }
  /// Listener entries: 2 per listen(port) (IPv4 and IPv6), as on IncludeOS.
  size_t listening_ports() const noexcept { return listeners_.size(); }
  /// Connections not yet CLOSED, as the engine counts them.
  size_t active_connections() const;
  bool is_bound(const Socket& socket) const;
  /// Bytes queued for sending on this interface's connections.
  size_t writeq_size() const;
  tcp::Address address() const noexcept;
  IPStack& stack() const noexcept { return stack_; }
  /// Listeners and connections, as a table.
  std::string to_string() const;
  std::string status() const { return to_string(); }
  uint16_t MSS(Protocol ipv) const;

  // -- settings (the engine's, for every connection) --
  /// TIME-WAIT lasts 2 MSL.
  void set_MSL(std::chrono::milliseconds msl);
  std::chrono::milliseconds MSL() const;
  /// The receive window: the receive buffer of new connections.
  void set_window_size(uint32_t wsize);
  void set_window_size(uint32_t wsize, uint8_t factor);
  uint32_t window_size() const noexcept { return window_size_; }
  /// Window scaling (RFC 7323) on (factor 1-14) or off (0).
  void set_wscale(uint8_t factor);
  uint8_t wscale() const noexcept { return wscale_; }
  bool uses_wscale() const noexcept { return wscale_ > 0; }
  void set_timestamps(bool on);
  bool uses_timestamps() const;
  void set_SACK(bool on) noexcept;
  bool uses_SACK() const noexcept;
  /// Delayed ACKs (RFC 5681 4.2); 0 turns them off.
  void set_DACK(std::chrono::milliseconds dack_timeout);
  std::chrono::milliseconds DACK_timeout() const;
  void set_max_syn_backlog(uint16_t limit);
  uint16_t max_syn_backlog() const noexcept { return max_syn_backlog_; }
  /// The memory all connections' buffers may use together.
  void set_total_bufsize(size_t size);
  size_t total_bufsize() const;
  /// A connection's buffers (powers of two): the engine grows them on
  /// demand up to max_bufsize.
  void set_min_bufsize(size_t size);
  void set_max_bufsize(size_t size);
  size_t min_bufsize() const noexcept { return min_bufsize_; }
  size_t max_bufsize() const noexcept { return max_bufsize_; }

  // -- for the connections and listeners --
  void add_connection(tcp::Connection_ptr conn);
  void remove_connection(tcp::Connection& conn);
  void remove_listener(tcp::Listener& listener);
  tcp::Connection_ptr retrieve_shared(tcp::Connection* conn) const;
  /// The stack got an IPv6 address: listen(port)'s listeners listen on it too.
  void address_added(const ip6::Addr& addr);

 private:
  tcp::Connection_ptr start_connect(Socket local, Socket remote);
  /// The engine listens on `addr` (any: every address) for `l`.
  bool engine_listen(tcp::Listener& l, const Addr& addr, tcp::port_t port);

  IPStack& stack_;
  Listeners listeners_;
  Connections connections_;
  uint32_t window_size_ = tcp::default_ws_window_size;
  uint8_t wscale_ = tcp::default_window_scaling;
  uint16_t max_syn_backlog_ = tcp::default_max_syn_backlog;
  size_t min_bufsize_ = tcp::default_min_bufsize;
  size_t max_bufsize_ = tcp::default_max_bufsize;
};

}  // namespace net
