// The PC's serial ports, as IncludeOS's hw/serial.hpp: hw::Serial.
//
//   auto& com1 = hw::Serial::port<1>();        // COM1 .. COM4 (1-based, as on IncludeOS)
//   com1.on_readline([](const std::string& line) { ... });   // each char echoed, '\r' ends a line
//   com1.on_data([](char c) { ... });
//   com1.write('x');
//
// COM1 is also the console (kernel lines, default_stdout). Receiving is
// polled, not interrupt-driven (ukbase routes no legacy IRQs: it has no
// IOAPIC support): while a handler is registered the event loop reads
// the port every 5 ms; the UART's 16-byte FIFO holds what arrives in
// between, and QEMU waits with more until there is room.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <delegate>
#include <os.hpp>

namespace hw {

class Serial {
 public:
  static constexpr uint16_t PORTS[]{0x3F8, 0x2F8, 0x3E8, 0x2E8};
  static constexpr uint8_t IRQS[]{4, 3, 15, 15};

  using on_data_handler = delegate<void(char c)>;
  using on_string_handler = delegate<void(const std::string& s)>;

  /// COM<PORT>, set up on first use.
  template <uint16_t PORT>
  static Serial& port()
  {
    static_assert(PORT >= 1 && PORT <= 4, "hw::Serial::port<N>: COM1 to COM4");
    static Serial serial{PORT};
    return serial;
  }

  /// An os::add_stdout handler writing to this port.
  os::print_func get_print_handler();

  /// Call `handler` with every character received (replaces any earlier
  /// handler; nullptr stops reading).
  void on_data(on_data_handler handler);

  /// Collect received characters, echoing each back, into a line; call
  /// `handler` with it (without the delimiter) when `delim` arrives.
  void on_readline(on_string_handler handler, char delim = '\r');

  /// Start and stop reading (on ukbase: polling) for the handlers above.
  void enable_interrupt();
  void disable_interrupt();

  /// The next received character (check received() first).
  char read();
  /// Send one character (waits for room in the transmitter).
  void write(char c);
  /// Non-zero when a received character is waiting.
  int received();
  /// Non-zero when the transmitter can take a character.
  int is_transmit_empty();

  /// 8N1 at 115200 baud, FIFO on. COM1 is the console and is set up by
  /// the kernel at boot: it is left as it is.
  void init();
  static void init(uint16_t port);

  /// Write to COM1 directly.
  static void print1(const char* cstr);
  /// Send EOT (0x04) on COM1, what IncludeOS's test runner waits for
  /// after a panic.
  static void EOT();

  Serial(const Serial&) = delete;
  Serial(Serial&&) = delete;
  Serial& operator=(const Serial&) = delete;
  Serial& operator=(Serial&&) = delete;

 private:
  explicit Serial(int port);
  void print_handler(const char* str, size_t len);
  void poll();

  uint16_t port_;
  uint8_t irq_;
  on_data_handler on_data_;
  int32_t poll_timer_ = -1;
};

}  // namespace hw
