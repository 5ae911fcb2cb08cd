// The DHCP client of one interface, as IncludeOS's net/dhcp/dh4client.hpp:
// Inet::negotiate_dhcp() makes it; Inet::dhclient() returns it.
//
// It runs the kernel's DHCP client (RFC 2131: DISCOVER, OFFER, REQUEST,
// ACK; the lease is renewed at half its time). On the ACK the interface
// is configured (Inet's on_config handlers run), then every handler
// given to on_config() runs with false; with none after the timeout,
// they run with true.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <delegate>

namespace net {

class Inet;

class DHClient {
 public:
  static constexpr std::chrono::seconds RETRY_FREQUENCY{1};
  static constexpr std::chrono::seconds RETRY_FREQUENCY_SLOW{10};

  using Stack = Inet;
  using config_func = delegate<void(bool timed_out)>;

  explicit DHClient(Stack& inet);
  DHClient() = delete;
  DHClient(const DHClient&) = delete;
  DHClient& operator=(const DHClient&) = delete;
  ~DHClient();

  /// Ask for an address; give up after `timeout` (0: keep asking). Does
  /// nothing while a negotiation runs.
  void negotiate(std::chrono::seconds timeout = std::chrono::seconds::zero());
  /// Run `handler(timed_out)` when a negotiation ends (handlers add up).
  void on_config(config_func handler);
  bool is_negotiating() const noexcept { return running_; }

 private:
  void end_negotiation(bool timed_out);

  Stack& stack_;
  std::vector<config_func> handlers_;
  bool running_ = false;
  std::shared_ptr<bool> alive_;      // the kernel's callback checks it
};

}  // namespace net
