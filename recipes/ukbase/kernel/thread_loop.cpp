// Threads and the event loop (the C++ side of kernel/thread.c), and
// IncludeOS's <kernel/threads.hpp>.
#include <cstddef>
#include <cstdint>

#include <asm/prctl.h>
#include <sched.h>

#include <kernel/threads.hpp>
#include <os>

#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/fd.hpp"
#include "kernel/loop.hpp"
#include "kernel/service.h"
#include "kernel/syscall.h"
#include "kernel/thread.h"

// kernel::Thread is how a service sees the kernel's record.
static_assert(offsetof(kernel::Thread, tid) == offsetof(thread_info, tid));
static_assert(offsetof(kernel::Thread, parent) == offsetof(thread_info, parent));
static_assert(offsetof(kernel::Thread, my_tls) == offsetof(thread_info, tls));
static_assert(offsetof(kernel::Thread, my_stack) == offsetof(thread_info, stack));
static_assert(offsetof(kernel::Thread, clear_tid) == offsetof(thread_info, clear_tid));
static_assert(sizeof(kernel::Thread) == sizeof(thread_info));
static_assert(offsetof(thread, info) == 0);

extern "C" void thread_poll_events(void)
{
  Events::process();
  ukbase::timers_run_expired();
  if (ukbase::shutdown_requested())
    kernel_stop();
}

extern "C" void thread_block_once(uint64_t deadline) { ukbase::block_once(deadline); }

namespace {
Timers::id_t kick = Timers::UNUSED_ID;
}

extern "C" void thread_timer_stop(void)
{
  if (kick != Timers::UNUSED_ID)
    Timers::stop(kick);
  kick = Timers::UNUSED_ID;
}

extern "C" void thread_timer_set(uint64_t when)
{
  thread_timer_stop();
  uint64_t now = clock_monotonic_ns();
  kick = ukbase::kernel_oneshot(when > now ? when - now : 0, [] {
    kick = Timers::UNUSED_ID;
    thread_kicked();
  });
}

namespace kernel {

Thread* get_thread() { return reinterpret_cast<Thread*>(thread_current()); }

Thread* get_thread(long tid) { return reinterpret_cast<Thread*>(thread_find(tid)); }

long get_last_thread_id() noexcept { return thread_last_id(); }

void* get_thread_area() { return reinterpret_cast<void*>(arch_get_tls_base()); }

void set_thread_area(void* area)
{
  sys_arch_prctl(ARCH_SET_FS, reinterpret_cast<uint64_t>(area));
}

}  // namespace kernel

extern "C" void __thread_yield() { sched_yield(); }
