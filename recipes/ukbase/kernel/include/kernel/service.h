/* The kernel's side of service start and stop (the C++ side is service.cpp). */
#pragma once
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

/* Entry musl calls as "main" once the C library is set up (service.cpp). */
int __ukbase_service_main(int argc, char** argv, char** envp);
/* Service::stop() (service.cpp). */
void __ukbase_service_stop(void);
/* Before power-off: let the devices finish what the service gave them,
 * such as a reply sent just before os::shutdown() (devices.cpp). */
void __ukbase_devices_stop(void);
/* Service::binary_name() (service.cpp). */
const char* __ukbase_service_binary_name(void);
/* Writes to every registered stdout handler (os.cpp). */
void __ukbase_stdout_write(const char* s, unsigned long len);

/* Run the event loop (devices, timers) until the monotonic clock reaches
 * deadline_ns: how sleeping system calls let the service go on (events.cpp). */
void kernel_sleep_until(uint64_t deadline_ns);

/* Start the C library and the service (libc_entry.c). Does not return. */
NORETURN void libc_start(void);

/* The exit path: "Service exited with status N", then kernel_stop(). */
NORETURN void kernel_exit(int status);
/* "Stopping service", Service::stop(), "Powering off", power off. */
NORETURN void kernel_stop(void);

KERNEL_END_DECLS
