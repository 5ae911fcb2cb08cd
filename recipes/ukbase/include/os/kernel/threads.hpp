// IncludeOS's thread API (<kernel/threads.hpp>) on ukbase.
//
// Threads are pthreads and std::threads, cooperative on one CPU as on
// IncludeOS: a thread runs until it yields (sched_yield), waits (a mutex,
// a condition variable, a blocking system call) or exits. A new thread
// runs at once, and its creator runs next; sched_yield goes round-robin.
// An uncaught exception or abort() in a thread other than the main one
// ends only that thread (one line on the console names it); in the main
// thread it is a panic.
//
// Differences from IncludeOS: kernel::get_thread() is a call (IncludeOS
// reads it from its patched C library's thread structure); Thread holds
// the members below only; the main thread's id is 1 (its gettid() and
// getpid()), new threads count on from 2. There is no ThreadManager: no
// thread migration between CPUs, there being one.
#pragma once

namespace kernel {

/// The kernel's record of a thread; valid while the thread lives.
struct Thread {
  long tid;            ///< its id: gettid() in it
  Thread* parent;      ///< its creator; the main thread once the creator ended; main: nullptr
  void* my_tls;        ///< its thread pointer (FS base)
  void* my_stack;      ///< the stack it was created on (main: the top of the boot stack)
  void* clear_tid;     ///< zeroed and woken when it exits (CLONE_CHILD_CLEARTID)
};

/// The calling thread.
Thread* get_thread();
/// A live thread by id, or nullptr.
Thread* get_thread(long tid);

inline long get_tid() { return get_thread()->tid; }

/// The highest thread id handed out so far.
long get_last_thread_id() noexcept;

/// The calling thread's thread pointer (FS base), and setting it
/// (arch_prctl(ARCH_SET_FS)).
void* get_thread_area();
void set_thread_area(void* area);

}  // namespace kernel

extern "C" {
/// sched_yield() under IncludeOS's name.
void __thread_yield();
}
