// Interrupt events and the event loop.
#include <array>

#include <os>

#include "kernel/arch.h"
#include "kernel/loop.hpp"

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
