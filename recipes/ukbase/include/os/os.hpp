// ukbase service API: the os:: namespace (IncludeOS compatible subset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <kernel/events.hpp>
#include <kernel/service.hpp>
#include <kernel/timers.hpp>

namespace os {

/// Ask the kernel to stop the service. Returns, as on IncludeOS: back in
/// the event loop, Service::stop() runs and the machine powers off. When
/// called from main(), returning from main() ends the service as usual.
void shutdown() noexcept;

/// False once shutdown() has been called.
bool is_running() noexcept;

/// The words given on the kernel command line (QEMU -append), without the
/// kernel image path that multiboot loaders put first.
const char* cmdline_args() noexcept;

/// Print "*** PANIC: <why>" on the console and power off.
[[noreturn]] void panic(const char* why) noexcept;

/// Monotonic nanoseconds since the kernel started (TSC based).
uint64_t nanos_since_boot() noexcept;

/// Cycles (TSC ticks) since the kernel started.
uint64_t cycles_since_boot() noexcept;

/// Where standard output and standard error go: every registered handler
/// gets every write(1|2, ...). Drivers in drivers/stdout register one from
/// a global constructor (default_stdout: the serial port).
using print_func = std::function<void(const char*, size_t)>;
void add_stdout(print_func func);

/// Write to all stdout handlers (what write(1, ...) does).
void print(const char* str, size_t len);

/// Run the event loop once: wait for an interrupt or the next timer, then
/// run what is due.
void block();

/// "ukbase <version>"
const char* version() noexcept;
/// "x86_64"
const char* arch() noexcept;

}  // namespace os
