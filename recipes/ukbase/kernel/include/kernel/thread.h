/*
 * Threads: cooperative, on one CPU, as IncludeOS has them (kernel/thread.c).
 *
 * A thread runs until it yields (sched_yield), waits (a futex, a blocking
 * system call, the event loop) or exits; then the next thread in the run
 * queue runs. A new thread runs at once (at its creator's next system
 * call), its creator next. Each thread's
 * saved context lives on its own stack (the kernel runs system calls on
 * the caller's stack); the record below holds that stack pointer and the
 * thread's FS base, both switched on every context switch.
 */
#pragma once
#include <stdint.h>
#include "kernel/cdefs.h"

KERNEL_BEGIN_DECLS

struct syscall_frame;

/* What <kernel/threads.hpp> shows of a thread as kernel::Thread: the same
 * members in the same order (kernel/thread_loop.cpp checks). */
struct thread_info {
  long tid;
  struct thread_info* parent;   /* its creator; the main thread once that ends */
  void* tls;                    /* thread pointer (FS base) */
  void* stack;                  /* the stack clone() gave it; the boot stack's top for main */
  int* clear_tid;               /* zeroed and woken at exit (CLONE_CHILD_CLEARTID) */
};

/* What a thread does when it runs next. */
enum thread_kind {
  THREAD_READY,      /* returns to its own code (created, yielded) */
  THREAD_WAITING,    /* re-checks what it waits for in the kernel */
  THREAD_LOOP,       /* turns the event loop (event_loop(), os::block()) */
};

struct thread {
  struct thread_info info;
  uint64_t sp;                  /* saved stack pointer while another thread runs */
  struct thread *prev, *next;   /* run queue */
  struct thread* all_next;      /* every live thread; then the threads to free */
  int queued;
  enum thread_kind kind;
  int waiting;                  /* kernel waits it is inside (nested) */
  int polls;                    /* what it waits for may change with anything that runs */
  int polled;                   /* ran the event loop once since its last check */
  uint64_t seen;                /* `progress` when it last checked */
  uint64_t deadline;            /* of its wait (monotonic ns); 0: none */
  int* futex;                   /* the futex word it waits on, NULL: none */
  uint32_t bitset;
  int woken;
  struct thread* futex_next;
};

/* System calls (syscall.c). A thread clone() made starts at its creator's
 * next system call: syscall_dispatch() calls thread_start() first when
 * thread_start_pending is set. */
long sys_clone(struct syscall_frame* f);
extern int thread_start_pending;
void thread_start(void);
long sys_exit(int status);                   /* ends the thread; main: the service */
long sys_sched_yield(void);
long sys_gettid(void);

/* The calling thread and the others. */
struct thread* thread_current(void);
struct thread* thread_find(long tid);        /* NULL: no such live thread */
long thread_last_id(void);
int thread_count(void);                      /* live threads, main included */
int thread_is_main(void);
void thread_set_tls(uint64_t base);          /* arch_prctl(ARCH_SET_FS) */
void thread_set_clear_tid(int* tidptr);      /* set_tid_address */

/* Futexes of a service with more than one thread (sys_process.c keeps the
 * answers of a lone one). deadline: monotonic ns, 0: none. */
long thread_futex_wait(int* uaddr, int val, uint32_t bitset, uint64_t deadline);
long thread_futex_wake(int* uaddr, int n, uint32_t bitset);
long thread_futex_requeue(int* uaddr, int n, int n2, int* uaddr2);

/* End the calling thread, not the main one, after abort(): one line on
 * the console, then the C library's own thread exit. */
NORETURN void thread_abort(void);

/*
 * Waiting in the kernel while other threads run. A wait loop (block_until
 * in fd.hpp, a futex wait) is:
 *
 *   thread_wait_begin();
 *   while (!done) {
 *     if (thread_wait_turn(polls, deadline)) continue;    // check again
 *     block_once(deadline); thread_waited();              // halt: nobody has work
 *   }
 *   thread_wait_end();
 *
 * thread_wait_turn() runs one turn of the event loop that does not halt,
 * or lets another thread that has something to do run; 0 when none has.
 * polls: the condition may be changed by anything that runs (a socket, a
 * pipe); else only by a futex wake or the deadline.
 */
void thread_wait_begin(void);
void thread_wait_end(void);
int thread_wait_turn(int polls, uint64_t deadline);
void thread_waited(void);

/* The kick timer fired (thread_loop.cpp): a thread turning the event loop
 * lets waiting and ready threads run. */
void thread_kicked(void);
/* First run of a new thread, from arch_thread_entry. */
void thread_entered(void);

/* kernel/thread_loop.cpp: the event loop's side. */
void thread_poll_events(void);               /* one turn of the event loop, no halt */
void thread_block_once(uint64_t deadline);   /* one turn that halts (ukbase::block_once) */
void thread_timer_set(uint64_t when);        /* the kick timer at `when` (monotonic ns) */
void thread_timer_stop(void);

KERNEL_END_DECLS
