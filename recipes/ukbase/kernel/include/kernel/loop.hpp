// Internal: the event loop and the pieces it drives (C++ side of libos).
#pragma once
#include <cstdint>

namespace ukbase {

/// Run events and timers until os::shutdown() has been called.
void event_loop();

/// Run the timers whose deadline has passed.
void timers_run_expired();

/// Monotonic ns of the earliest timer, 0 if there is none.
uint64_t timers_next_deadline();

bool shutdown_requested() noexcept;

}  // namespace ukbase
