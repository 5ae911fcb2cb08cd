/*
 * The kernel's main line: bring the machine up, start the C library and
 * the service; and the way out (exit status, Service::stop(), power-off).
 */
#include <stdint.h>

#include "kernel/arch.h"
#include "kernel/backtrace.h"
#include "kernel/boot.h"
#include "kernel/clock.h"
#include "kernel/kprint.h"
#include "kernel/memory.h"
#include "kernel/service.h"
#include "kernel/version.h"

void kernel_main(void)
{
  arch_init();
  symbols_init();      /* before the heap, which must leave the table be */
  memory_init();
  arch_protect_kernel();
  kline_break();
  kprintf("     [ Kernel ] " UKBASE_VERSION_STRING ": %lu MiB heap, TSC %lu MHz, booted by %s\n",
          (unsigned long)(memory_heap_bytes() >> 20),
          (unsigned long)(clock_tsc_hz() / 1000000),
          boot_info.loader[0] ? boot_info.loader : "multiboot");
  arch_irq_enable();
  libc_start();
}

void kernel_exit(int status)
{
  arch_irq_disable();
  kline_break();
  kprintf("Service exited with status %d\n", status);
  kernel_stop();
}

void kernel_stop(void)
{
  static int stopping;
  kline_break();
  if (!stopping++) {
    kprint("     [ Kernel ] Stopping service\n");
    __ukbase_service_stop();
    __ukbase_devices_stop();
  }
  kline_break();
  kprint("     [ Kernel ] Powering off\n");
  arch_poweroff();
}
