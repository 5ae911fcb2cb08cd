// Interrupt events and the event loop.
#include <array>

#include <os>

#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/fd.hpp"
#include "kernel/loop.hpp"
#include "kernel/service.h"

namespace {
std::array<Events::handler_t, Events::NUM_IRQS> subscribers;
}

void Events::subscribe(uint8_t irq, handler_t handler)
{
  if (irq < NUM_IRQS)
    subscribers[irq] = std::move(handler);
}

void Events::unsubscribe(uint8_t irq)
{
  if (irq < NUM_IRQS)
    subscribers[irq] = nullptr;
}

void Events::process()
{
  uint64_t pending = arch_take_pending_irqs();
  while (pending) {
    unsigned irq = static_cast<unsigned>(__builtin_ctzll(pending));
    pending &= pending - 1;
    if (subscribers[irq])
      subscribers[irq]();
  }
}

void ukbase::event_loop()
{
  // Interrupt handlers only mark IRQs pending; their work, and timers,
  // run here. Halt in between: with nothing scheduled, the CPU sleeps
  // until an interrupt.
  while (!ukbase::shutdown_requested()) {
    Events::process();
    ukbase::timers_run_expired();
    if (ukbase::shutdown_requested())
      break;
    arch_idle(ukbase::timers_next_deadline());
  }
}

uint64_t ukbase::monotonic_now() { return clock_monotonic_ns(); }

void ukbase::block_once(uint64_t deadline_ns)
{
  // The same turn as the event loop's, from inside a system call: halt
  // until an interrupt, the next timer or the caller's deadline, then
  // run what is due. Shutting down from here is what the event loop
  // would do once the blocked call returned to it.
  uint64_t next = ukbase::timers_next_deadline();
  if (deadline_ns && (!next || deadline_ns < next))
    next = deadline_ns;
  arch_idle(next);
  Events::process();
  ukbase::timers_run_expired();
  if (ukbase::shutdown_requested())
    kernel_stop();
}

extern "C" void kernel_sleep_until(uint64_t deadline_ns)
{
  ukbase::block_until([] { return false; }, deadline_ns ? deadline_ns : 1);
}
