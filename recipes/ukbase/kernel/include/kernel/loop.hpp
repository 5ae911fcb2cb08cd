// Internal: the event loop and the pieces it drives (C++ side of libos).
#pragma once
#include <cstdint>
#include <functional>

namespace ukbase {

/// Run events and timers until os::shutdown() has been called.
void event_loop();

/// Run the timers whose deadline has passed.
void timers_run_expired();

/// Monotonic ns of the earliest timer, 0 if there is none.
uint64_t timers_next_deadline();

bool shutdown_requested() noexcept;

/// A periodic timer of the kernel's own (polling a device): it runs as
/// Timers::periodic's do and Timers::stop(id) ends it, but it does not
/// count in Timers::active(), which is about the service's timers.
int32_t kernel_periodic(uint64_t period_ns, std::function<void()> handler);
/// A one-shot timer of the kernel's own (not in Timers::active()).
int32_t kernel_oneshot(uint64_t delay_ns, std::function<void()> handler);

}  // namespace ukbase
