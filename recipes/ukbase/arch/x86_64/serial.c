/*
 * COM1 (16550 UART at 0x3F8): the kernel console, and what the
 * default_stdout driver writes service output to. Lines end in "\n" only.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch.h"
#include "x86/cpu.h"
#include "x86/io.h"
#include "x86/serial.h"

#define COM1          0x3F8
#define UART_DATA     0
#define UART_IER      1
#define UART_FCR      2
#define UART_LCR      3
#define UART_MCR      4
#define UART_LSR      5
#define LSR_THR_EMPTY 0x20
#define LCR_DLAB      0x80

static int serial_ready;
static char last_char;          /* unknown at boot: firmware may have written */

void serial_init(void)
{
  outb(COM1 + UART_IER, 0x00);          /* no UART interrupts */
  outb(COM1 + UART_LCR, LCR_DLAB);
  outb(COM1 + UART_DATA, 1);            /* divisor 1: 115200 baud */
  outb(COM1 + UART_IER, 0);
  outb(COM1 + UART_LCR, 0x03);          /* 8N1 */
  outb(COM1 + UART_FCR, 0xC7);          /* FIFO on, cleared */
  outb(COM1 + UART_MCR, 0x03);          /* DTR, RTS */
  serial_ready = 1;
}

static inline void serial_putc(char c)
{
  /* Bounded wait: with no UART present the status reads 0xFF anyway. */
  for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & LSR_THR_EMPTY); i++)
    cpu_relax();
  outb(COM1 + UART_DATA, (uint8_t)c);
}

void arch_serial_write(const char* s, size_t len)
{
  if (!serial_ready)
    serial_init();
  /* Interrupts off so a line written from one context is not split. */
  uint64_t flags = irq_save();
  for (size_t i = 0; i < len; i++)
    serial_putc(s[i]);
  if (len)
    last_char = s[len - 1];
  irq_restore(flags);
}

void arch_console_write(const char* s, size_t len)
{
  arch_serial_write(s, len);
}

int arch_console_at_line_start(void)
{
  return last_char == '\n';
}
