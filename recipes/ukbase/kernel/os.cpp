// The os:: API.
#include <vector>

#include <os>

#include "kernel/arch.h"
#include "kernel/boot.h"
#include "kernel/clock.h"
#include "kernel/loop.hpp"
#include "kernel/panic.h"
#include "kernel/service.h"

namespace {

bool shutdown_flag = false;

// Created on first use (stdout drivers register from global constructors
// that run before this file's) and never destroyed: musl flushes stdio
// after every destructor and atexit handler has run.
std::vector<os::print_func>& stdout_handlers()
{
  static auto* handlers = new std::vector<os::print_func>;
  return *handlers;
}

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

void add_stdout(print_func func) { stdout_handlers().push_back(std::move(func)); }

void print(const char* str, size_t len)
{
  for (auto& handler : stdout_handlers())
    handler(str, len);
}

void block()
{
  arch_idle(ukbase::timers_next_deadline());
  Events::process();
  ukbase::timers_run_expired();
}

const char* version() noexcept { return "ukbase 0.1.0"; }
const char* arch() noexcept { return "x86_64"; }

}  // namespace os

// write(1|2, ...) from the system-call layer.
extern "C" void __ukbase_stdout_write(const char* s, unsigned long len)
{
  os::print(s, len);
}
