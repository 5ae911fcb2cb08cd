// Connection tracking, as IncludeOS's net/conntrack.hpp: the flows (TCP,
// UDP, ICMP echo) a stack's packets belong to, for packet filters and
// the NAT (net/nat/napt.hpp).
//
//   auto ct = std::make_shared<net::Conntrack>();
//   eth0.enable_conntrack(ct);              // eth0's packets are tracked
//   ... a filter gets each packet's entry: (pkt, stack, Conntrack::Entry_ptr)
//
// An entry has two tuples: `first`, what the flow's first packet looked
// like (source and destination socket; an ICMP echo's identifier is its
// "port"), and `second`, what its replies look like: the mirror of first
// until a NAT changes it. A packet matches an entry by either tuple.
// Entries are made UNCONFIRMED when a packet is first seen, confirmed
// (NEW) when one is sent on, and ESTABLISHED once a reply came. They
// expire after the timeout of their state and protocol (each packet
// starts it again); a TCP flow that saw a RST or a FIN in each direction
// gets the short `closing` one. At most maximum_entries are kept: a new
// flow past that gets no entry (nullptr).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include <net/inet_common.hpp>
#include <net/socket.hpp>

namespace net {

class PacketIP4;

class Conntrack {
 public:
  enum class State : uint8_t { UNCONFIRMED, NEW, ESTABLISHED };
  using Seconds = std::chrono::seconds;

  struct Entry {
    Entry(const Quadruple& q, Protocol p) : first(q), second(Quadruple(q).swap()), proto(p) {}

    /// No NAT changed it: second is first's mirror.
    bool is_mirrored() const noexcept { return first.is_reverse(second); }
    /// A packet with this tuple goes in first's direction (else in second's).
    bool is_original(const Quadruple& q) const noexcept { return q == first; }
    std::string to_string() const;

    Quadruple first;
    Quadruple second;
    Protocol proto;
    State state = State::UNCONFIRMED;
    uint8_t tcp_fins = 0;           // bit 0: a FIN went first's way, bit 1: second's
    bool tcp_reset = false;
    int64_t expires_ns = 0;         // the monotonic clock's
  };
  using Entry_ptr = Entry*;

  struct Timeout_settings {
    Seconds unconfirmed{10};
    Seconds confirmed{30};          // NEW: no reply yet
    Seconds tcp_established{5 * 24 * 3600};
    Seconds udp_established{180};
    Seconds icmp_established{30};
    Seconds tcp_closing{10};
  };

  Conntrack();
  explicit Conntrack(size_t max_entries);
  ~Conntrack();
  Conntrack(const Conntrack&) = delete;
  Conntrack& operator=(const Conntrack&) = delete;

  /// The tuple a packet belongs to: its addresses and ports (a TCP or UDP
  /// header's, an ICMP echo's identifier for both; 0 otherwise).
  static Quadruple get_quadruple(const PacketIP4& pkt);

  /// The packet's entry, made (UNCONFIRMED) when the flow is new; its
  /// state and timeout follow the packet. nullptr when the table is full.
  Entry_ptr in(const PacketIP4& pkt);
  /// in(), and an UNCONFIRMED entry becomes NEW: the packet is sent on.
  Entry_ptr confirm(const PacketIP4& pkt);
  Entry_ptr confirm(const Quadruple& q, Protocol proto);
  /// An UNCONFIRMED entry becomes NEW (nullptr stays nullptr).
  Entry_ptr confirm(Entry_ptr entry);
  /// The entry with this tuple (either of its two), or nullptr.
  Entry_ptr get(const Quadruple& q, Protocol proto) const;
  Entry_ptr get(const PacketIP4& pkt) const;
  /// The entry `old` names now answers to `now` instead (a NAT changed
  /// one of its tuples); false if `now` belongs to another entry.
  bool update_entry(Protocol proto, const Quadruple& old, const Quadruple& now);
  /// Forget an entry (both tuples).
  void remove(Entry_ptr entry);
  /// Forget the entries whose time is up (also done every 10 seconds).
  void remove_expired();
  size_t number_of_entries() const noexcept { return entries_; }

  size_t maximum_entries;
  Timeout_settings timeout;

 private:
  struct Key {
    Quadruple q;
    Protocol proto;
    bool operator==(const Key& o) const noexcept { return proto == o.proto && q == o.q; }
  };
  struct Key_hash {
    size_t operator()(const Key& k) const noexcept
    {
      return std::hash<Quadruple>{}(k.q) * 7 + static_cast<size_t>(k.proto);
    }
  };
  Entry_ptr track(const Quadruple& q, Protocol proto, const PacketIP4* pkt);
  void touch(Entry& e, const Quadruple& q, const PacketIP4* pkt);
  void schedule_flush();

  // Both tuples of an entry map to it; it lives while either does.
  std::unordered_map<Key, std::shared_ptr<Entry>, Key_hash> table_;
  size_t entries_ = 0;
  bool flush_timer_ = false;
  std::shared_ptr<bool> alive_;     // the flush timer checks it after a Conntrack is gone
};

}  // namespace net
