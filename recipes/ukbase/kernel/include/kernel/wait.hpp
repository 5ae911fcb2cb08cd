// Internal: waiting for a device without spinning.
#pragma once
#include <cstdint>

#include "kernel/arch.h"
#include "kernel/clock.h"

namespace ukbase {

/// Wait until done() is true or timeout_ns passed; true if done. The CPU
/// halts in between and wakes on any interrupt (the device's MSI-X, for
/// one), with a 1 ms tick as a safety net. Interrupts are off while done()
/// is checked, so a wake-up between the check and the halt is not lost.
/// Usable from system calls and from the event loop alike.
template <class Done>
bool wait_for(Done done, uint64_t timeout_ns)
{
  uint64_t state = arch_irq_save();
  uint64_t deadline = clock_monotonic_ns() + timeout_ns;
  bool ok;
  while (!(ok = done())) {
    uint64_t now = clock_monotonic_ns();
    if (now >= deadline)
      break;
    uint64_t tick = now + 1000000;
    arch_wait_until(tick < deadline ? tick : deadline);
  }
  arch_irq_restore(state);
  return ok;
}

}  // namespace ukbase
