/*
 * 8254 PIT channel 0 as a reference clock. Its counter is read by latching
 * (no IRQ, no port 0x61 gate, which microvm lacks). Used only at boot to
 * calibrate the TSC and the LAPIC timer.
 */
#include <stdint.h>

#include "x86/io.h"
#include "x86/pit.h"

#define PIT_CH0  0x40
#define PIT_CMD  0x43

void pit_start_countdown(void)
{
  outb(PIT_CMD, 0x34);        /* channel 0, lobyte/hibyte, mode 2, binary */
  outb(PIT_CH0, 0xFF);
  outb(PIT_CH0, 0xFF);
}

uint16_t pit_read(void)
{
  outb(PIT_CMD, 0x00);        /* latch channel 0 */
  uint8_t lo = inb(PIT_CH0);
  uint8_t hi = inb(PIT_CH0);
  return (uint16_t)(lo | (hi << 8));
}

void pit_stop(void)
{
  /* Mode 0 (interrupt on terminal count) fires once and then stays quiet,
   * unlike the periodic mode firmware leaves it in. */
  outb(PIT_CMD, 0x30);
  outb(PIT_CH0, 0x01);
  outb(PIT_CH0, 0x00);
}
