// hw::Serial (<hw/serial.hpp>): the 16550 UARTs at COM1-COM4. Receiving
// is polled from the event loop while a handler is registered (no legacy
// IRQ routing on ukbase).
#include <memory>

#include <hw/serial.hpp>
#include <kprint>
#include <timers>

#include "kernel/loop.hpp"
#include "x86/io.h"

extern "C" void arch_serial_write(const char* s, size_t len);   // libarch: COM1

namespace {

constexpr uint16_t UART_DATA = 0, UART_IER = 1, UART_FCR = 2, UART_LCR = 3, UART_MCR = 4,
                   UART_LSR = 5;
constexpr uint8_t LSR_DATA_READY = 0x01, LSR_THR_EMPTY = 0x20, LCR_DLAB = 0x80;
constexpr uint64_t POLL_NS = 5000000;        // 5 ms

}  // namespace

namespace hw {

Serial::Serial(int port)
    : port_(port >= 1 && port <= 4 ? PORTS[port - 1] : 0),
      irq_(port >= 1 && port <= 4 ? IRQS[port - 1] : 0)
{
  init();
}

void Serial::init(uint16_t port)
{
  if (port == PORTS[0] || port == 0)
    return;                             // COM1: the console, set up at boot
  outb(port + UART_IER, 0x00);          // no UART interrupts: polled
  outb(port + UART_LCR, LCR_DLAB);
  outb(port + UART_DATA, 1);            // divisor 1: 115200 baud
  outb(port + UART_IER, 0x00);
  outb(port + UART_LCR, 0x03);          // 8N1
  outb(port + UART_FCR, 0xC7);          // FIFO on, cleared
  outb(port + UART_MCR, 0x03);          // DTR, RTS
}

void Serial::init() { init(port_); }

int Serial::received() { return port_ ? inb(port_ + UART_LSR) & LSR_DATA_READY : 0; }

int Serial::is_transmit_empty() { return port_ ? inb(port_ + UART_LSR) & LSR_THR_EMPTY : 0; }

char Serial::read() { return port_ ? static_cast<char>(inb(port_ + UART_DATA)) : 0; }

void Serial::write(char c)
{
  if (port_ == PORTS[0]) {
    arch_serial_write(&c, 1);           // the console's own path (line tracking)
    return;
  }
  if (!port_)
    return;
  for (int i = 0; i < 100000 && !is_transmit_empty(); i++)
    __asm__ volatile("pause");
  outb(port_ + UART_DATA, static_cast<uint8_t>(c));
}

void Serial::print_handler(const char* str, size_t len)
{
  if (port_ == PORTS[0]) {
    arch_serial_write(str, len);
    return;
  }
  for (size_t i = 0; i < len; i++)
    write(str[i]);
}

os::print_func Serial::get_print_handler()
{
  return [this](const char* str, size_t len) { print_handler(str, len); };
}

void Serial::poll()
{
  // Everything the FIFO holds; a handler may replace itself meanwhile.
  for (int n = 0; n < 64 && received(); n++) {
    char c = read();
    if (on_data_)
      on_data_(c);
  }
}

void Serial::enable_interrupt()
{
  if (poll_timer_ < 0 && port_)
    poll_timer_ = ukbase::kernel_periodic(POLL_NS, [this] { poll(); });
}

void Serial::disable_interrupt()
{
  if (poll_timer_ >= 0)
    Timers::stop(poll_timer_);
  poll_timer_ = -1;
}

void Serial::on_data(on_data_handler handler)
{
  on_data_ = std::move(handler);
  if (on_data_)
    enable_interrupt();
  else
    disable_interrupt();
}

void Serial::on_readline(on_string_handler handler, char delim)
{
  auto line = std::make_shared<std::string>();
  on_data([this, handler = std::move(handler), delim, line](char c) {
    write(c);                           // echo, as IncludeOS does
    if (c == delim) {
      std::string text = std::move(*line);
      line->clear();
      if (handler)
        handler(text);
    } else {
      line->push_back(c);
    }
  });
}

void Serial::print1(const char* cstr) { kprint(cstr); }

void Serial::EOT()
{
  char eot = 0x04;
  arch_serial_write(&eot, 1);
}

}  // namespace hw
