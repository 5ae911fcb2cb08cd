/*
 * The legacy 8259 PICs. Firmware leaves them mapped onto vectors 8-15,
 * where a timer tick would look like a double fault: move them to
 * 0x20-0x2F and mask every line. Interrupts are delivered through the
 * local APIC (and, later, the IOAPIC).
 */
#include "x86/io.h"
#include "x86/pic.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xA0
#define PIC2_DATA 0xA1

void pic_disable(void)
{
  outb(PIC1_CMD, 0x11);       /* ICW1: init, ICW4 follows */
  outb(PIC2_CMD, 0x11);
  outb(PIC1_DATA, 0x20);      /* ICW2: vector offsets */
  outb(PIC2_DATA, 0x28);
  outb(PIC1_DATA, 0x04);      /* ICW3: slave on IRQ2 */
  outb(PIC2_DATA, 0x02);
  outb(PIC1_DATA, 0x01);      /* ICW4: 8086 mode */
  outb(PIC2_DATA, 0x01);
  outb(PIC1_DATA, 0xFF);      /* mask everything */
  outb(PIC2_DATA, 0xFF);
}
