// The os:: API.
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <expects>
#include <os>

#include "kernel/arch.h"
#include "kernel/backtrace.h"
#include "kernel/boot.h"
#include "kernel/clock.h"
#include "kernel/kprint.h"
#include "kernel/loop.hpp"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/service.h"
#include "kernel/version.h"

namespace {

bool shutdown_flag = false;
bool timestamps = false;
bool at_line_start = true;       // of standard output, for timestamps

// Created on first use (stdout drivers register from global constructors
// that run before this file's) and never destroyed: musl flushes stdio
// after every destructor and atexit handler has run.
std::vector<os::print_func>& stdout_handlers()
{
  static auto* handlers = new std::vector<os::print_func>;
  return *handlers;
}

void to_handlers(const char* str, size_t len)
{
  for (auto& handler : stdout_handlers())
    handler(str, len);
}

void print_timestamp()
{
  uint64_t ns = clock_realtime_ns();
  time_t secs = static_cast<time_t>(ns / 1000000000u);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  size_t n = strftime(buf, sizeof buf, "[%Y-%m-%dT%H:%M:%SZ] ", &tm);
  to_handlers(buf, n);
}

void backtrace_to_stdout(const char* s, size_t len) { os::print(s, len); }

static_assert(sizeof(os::Module) == sizeof(boot_module), "os::Module is the kernel's boot_module");

}  // namespace

bool ukbase::shutdown_requested() noexcept { return shutdown_flag; }

namespace os {

void shutdown() noexcept { shutdown_flag = true; }
bool is_running() noexcept { return !shutdown_flag; }
const char* cmdline_args() noexcept { return boot_info.args ? boot_info.args : ""; }
void panic(const char* why) noexcept { kernel_panic(why); }
uint64_t nanos_since_boot() noexcept { return clock_monotonic_ns(); }

uint64_t cycles_since_boot() noexcept
{
  return clock_monotonic_ns() * (clock_tsc_hz() / 1000000) / 1000;
}

Panic_action panic_action() noexcept { return static_cast<Panic_action>(kernel_panic_action()); }

void set_panic_action(Panic_action action) noexcept
{
  kernel_set_panic_action(static_cast<int>(action));
}

void on_panic(on_panic_func handler) { kernel_on_panic(handler); }

void halt() noexcept { arch_idle(ukbase::timers_next_deadline()); }

void reboot() noexcept
{
  kline_break();
  kprint("     [ Kernel ] Rebooting\n");
  arch_reboot();
}

__attribute__((noinline)) void print_backtrace() noexcept
{
  os::print("\n", 1);
  backtrace_print(__builtin_frame_address(0), backtrace_to_stdout);
}

__attribute__((noinline)) void print_backtrace(void (*print_func)(const char*, size_t)) noexcept
{
  print_func("\n", 1);
  backtrace_print(__builtin_frame_address(0), print_func);
}

size_t total_memuse() noexcept { return memory_in_use(); }

Span_mods modules()
{
  return Span_mods(reinterpret_cast<Module*>(boot_info.modules), boot_info.module_count);
}

void add_stdout(print_func func) { stdout_handlers().push_back(std::move(func)); }

void print(const char* str, size_t len)
{
  if (!timestamps) {
    if (len)
      at_line_start = str[len - 1] == '\n';
    to_handlers(str, len);
    return;
  }
  while (len) {
    if (at_line_start)
      print_timestamp();
    const char* nl = static_cast<const char*>(std::memchr(str, '\n', len));
    size_t n = nl ? static_cast<size_t>(nl - str) + 1 : len;
    to_handlers(str, n);
    at_line_start = nl != nullptr;
    str += n;
    len -= n;
  }
}

void print_timestamps(bool enabled) { timestamps = enabled; }

namespace {
uint32_t blocking_level, highest_blocking_level;
}

void block()
{
  // Handlers run inside see a level of one more (IncludeOS's count of
  // nested os::block() calls).
  if (++blocking_level > highest_blocking_level)
    highest_blocking_level = blocking_level;
  arch_idle(ukbase::timers_next_deadline());
  Events::process();
  ukbase::timers_run_expired();
  --blocking_level;
}

const char* version() noexcept { return UKBASE_VERSION_STRING; }
const char* arch() noexcept { return "x86_64"; }

}  // namespace os

extern "C" uint32_t os_get_blocking_level() { return os::blocking_level; }
extern "C" uint32_t os_get_highest_blocking_level() { return os::highest_blocking_level; }

// <expects>: what a failed Expects/Ensures does (IncludeOS's texts).
void os::detail::contract_failed(const char* what, const char* condition, const char* file,
                                 int line, const char* func, const char* message) noexcept
{
  static bool failing = false;
  if (failing) {
    kline_break();
    kprint("Fatal Expects/Ensures recursion (libc not initialized?)\n");
    kprintf("Condition was '%s' @ %s:%s\n", condition, file, func);
    arch_poweroff();
  }
  failing = true;
  const char* sep = message ? ": " : "";
  if (arch_get_tls_base())        // the C library is up
    std::fprintf(stderr, "%s:%d:%s: %s%s%s\n", file, line, func, what, sep, message ? message : "");
  else
    kprintf("%s:%d:%s: %s%s%s\n", file, line, func, what, sep, message ? message : "");
  std::string reason = message ? std::string(message) : std::string(what) + ": " + condition;
  kernel_panic(reason.c_str());
}

// write(1|2, ...) from the system-call layer.
extern "C" void __ukbase_stdout_write(const char* s, unsigned long len)
{
  os::print(s, len);
}

// IncludeOS's direct serial output (<kprint>): COM1, no stdout handlers.
extern "C" void __serial_print1(const char* cstr) { kprint(cstr); }
extern "C" void __serial_print(const char* str, size_t len) { kwrite(str, len); }
