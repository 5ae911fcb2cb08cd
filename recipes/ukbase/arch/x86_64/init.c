/* Bring up the x86_64 machine, in dependency order. */
#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/pci.h"
#include "x86/acpi.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/interrupts.h"
#include "x86/pic.h"

void arch_init(void)
{
  cpu_init();
  gdt_init();          /* TSS with the interrupt stacks */
  idt_init();
  pic_disable();       /* legacy PIC out of the way before IF=1 */
  lapic_init();
  syscall_init();
  acpi_init();         /* read now: the page heap may reuse the memory */
  clock_init();
  pci_init();          /* BARs assigned and decoding on before any driver */
}
