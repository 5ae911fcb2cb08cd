// Timers run by the event loop (a subset of IncludeOS's Timers).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

class Timers {
 public:
  using id_t = int32_t;
  using duration_t = std::chrono::nanoseconds;
  using handler_t = std::function<void(id_t)>;

  /// An id no timer has: a "no timer" value for a service's variables.
  static constexpr id_t UNUSED_ID = -1;

  /// Call `handler` once, `when` from now. Returns the timer's id.
  static id_t oneshot(duration_t when, handler_t handler);

  /// Call `handler` `when` from now, then every `period`.
  static id_t periodic(duration_t when, duration_t period, handler_t handler);
  static id_t periodic(duration_t period, handler_t handler)
  {
    return periodic(period, period, std::move(handler));
  }

  /// Cancel a timer (also from inside its own handler).
  static void stop(id_t id);

  /// Number of timers still scheduled.
  static size_t active();
};
