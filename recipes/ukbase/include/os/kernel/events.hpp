// Interrupt events, delivered by the event loop (not in interrupt context).
#pragma once

#include <cstdint>
#include <functional>

class Events {
 public:
  using handler_t = std::function<void()>;
  static constexpr unsigned NUM_IRQS = 64;

  /// Run `handler` from the event loop after IRQ `irq` fired (vector 32 +
  /// irq). Drivers use this; routing the device's interrupt line to that
  /// IRQ is the driver's job.
  static void subscribe(uint8_t irq, handler_t handler);
  static void unsubscribe(uint8_t irq);

  /// Run the handlers of the IRQs that fired since the last call.
  static void process();
};
