/*
 * Threads, cooperative on one CPU, with IncludeOS's semantics: a thread
 * runs until it yields, waits or exits. A new thread runs at once, and
 * its creator is the next to run (pthread_create returns when the child
 * first yields, waits or ends); sched_yield goes round-robin through the
 * run queue; a futex wait lets others run until a wake or its timeout;
 * SYS_exit of a thread other than the main one ends only that thread.
 *
 * "At once" is at the creator's next system call rather than inside
 * clone(): musl's pthread_create holds its thread list lock across
 * clone() and makes a system call right after releasing it (restoring
 * its signal mask), so the child starts without finding the lock taken
 * (which it needs to create or end threads itself), and pthread_create
 * still returns only after the child yielded, waited or ended.
 *
 * Every live thread but the running one is in the run queue, marked with
 * what it does when it runs again (kernel/thread.h): its own code
 * (ready), a check of what it waits for in the kernel (waiting), or a
 * turn of the event loop (loop). A waiting thread only gets the CPU when
 * it has work: its futex was woken, its deadline passed, or, for waits
 * on descriptors, something ran since it last checked (`progress`). When
 * no queued thread has work, the waiting thread that runs halts the CPU
 * in the event loop (devices and timers are served from whichever thread
 * halts), and hands over after the next event.
 *
 * The event loop itself (event_loop(), os::block()) yields through a
 * kernel timer that fires at once whenever threads other than loops are
 * queued (the kick, kernel/thread_loop.cpp): a waiting thread, which
 * turns the event loop too while it waits, takes over the halting.
 * Device waits inside a driver call (wait.hpp) do not yield: drivers are
 * not entered twice.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>

#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/kprint.h"
#include "kernel/memory.h"
#include "kernel/service.h"
#include "kernel/syscall.h"
#include "kernel/thread.h"

extern char boot_stack_top[];

/* musl's thread exit; linked whenever the service creates threads. */
extern void pthread_exit(void* result) __attribute__((weak, noreturn));
#define PTHREAD_CANCELED_ ((void*)-1)

_Static_assert(sizeof(struct thread) <= KPAGE_SIZE, "a thread record is one page");

static struct thread main_thread = {
  .info = { .tid = 1, .stack = boot_stack_top },
};
static struct thread* current = &main_thread;
static struct thread *queue_head, *queue_tail;
static struct thread* dead;                /* ended: freed by the next thread to run */
static struct thread* futex_waiters;       /* in the order they started waiting */
static int live = 1;
static long last_tid = 1;
static uint64_t progress;                  /* threads ran or the event loop turned */
static uint64_t kick_at;                   /* the kick timer's time; 0: not armed */
static struct thread* starting;            /* created, to run at its creator's next system call */
int thread_start_pending;

/* ---- the run queue ---- */

static void enqueue(struct thread* t, int at_front)
{
  t->queued = 1;
  if (at_front) {
    t->prev = 0;
    t->next = queue_head;
    if (queue_head)
      queue_head->prev = t;
    else
      queue_tail = t;
    queue_head = t;
  } else {
    t->next = 0;
    t->prev = queue_tail;
    if (queue_tail)
      queue_tail->next = t;
    else
      queue_head = t;
    queue_tail = t;
  }
}

static void dequeue(struct thread* t)
{
  if (!t->queued)
    return;
  if (t->prev)
    t->prev->next = t->next;
  else
    queue_head = t->next;
  if (t->next)
    t->next->prev = t->prev;
  else
    queue_tail = t->prev;
  t->prev = t->next = 0;
  t->queued = 0;
}

/* Whether a queued thread has something to do: a ready one always, a
 * waiting one when its wait may be over. A loop's turn comes when a
 * thread yields, ends or blocks with nothing else left to run. */
static int has_work(const struct thread* t, uint64_t now)
{
  switch (t->kind) {
  case THREAD_READY:
    return 1;
  case THREAD_WAITING:
    if (t->deadline && t->deadline <= now)
      return 1;
    return t->polls ? t->seen != progress : t->woken;
  default:
    return 0;
  }
}

static struct thread* first_with_work(void)
{
  if (!queue_head)
    return 0;
  uint64_t now = clock_monotonic_ns();
  for (struct thread* t = queue_head; t; t = t->next)
    if (has_work(t, now))
      return t;
  return 0;
}

static int any_ready(void)
{
  for (struct thread* t = queue_head; t; t = t->next)
    if (t->kind == THREAD_READY)
      return 1;
  return 0;
}

static struct thread* first_not_loop(void)
{
  for (struct thread* t = queue_head; t; t = t->next)
    if (t->kind != THREAD_LOOP)
      return t;
  return 0;
}

/* The kick timer, for what the running thread does not see from where it
 * is. Outside kernel waits (its own code, or the event loop): as soon as
 * a thread other than a loop is queued, so that the event loop hands
 * over to it. Inside a wait, whose loop hands over by itself: the
 * earliest deadline of a queued waiter, so that a halt ends in time. */
static void update_kick(void)
{
  uint64_t when = 0;
  for (struct thread* t = queue_head; t; t = t->next) {
    if (t->kind == THREAD_LOOP)
      continue;
    if (!current->waiting) {
      when = 1;
      break;
    }
    if (t->kind == THREAD_WAITING && t->deadline && (!when || t->deadline < when))
      when = t->deadline;
  }
  if (when == kick_at)
    return;
  kick_at = when;
  if (when)
    thread_timer_set(when);
  else
    thread_timer_stop();
}

static void free_dead(void)
{
  while (dead) {
    struct thread* t = dead;
    dead = t->all_next;
    pages_free((uintptr_t)t, 1);
  }
}

/* What a thread does first whenever it runs again. */
static void resumed(void)
{
  free_dead();
  update_kick();
}

/* Switch to `next`; the caller has queued the current thread. Returns
 * when the current thread is switched back to. */
static void run(struct thread* next)
{
  struct thread* prev = current;
  dequeue(next);
  if (next == starting)
    starting = 0, thread_start_pending = 0;
  prev->info.tls = (void*)arch_get_tls_base();
  current = next;
  arch_set_tls_base((uint64_t)(uintptr_t)next->info.tls);
  arch_thread_switch(&prev->sp, next->sp);
  resumed();
}

void thread_entered(void) { resumed(); }

/* ---- clone, exit, yield ---- */

/* What a thread must share with its creator here (one address space, one
 * descriptor table and working folder, one set of signal handlers), and
 * what else it may ask for. */
#define THREAD_NEEDS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define THREAD_MAY (THREAD_NEEDS | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID \
                    | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED)
#define EXIT_SIGNAL_MASK 0xffu           /* CSIGNAL: ignored for threads, as Linux does */

long sys_clone(struct syscall_frame* f)
{
  uint32_t flags = (uint32_t)f->a0;      /* the legacy call's flags are 32 bits */
  uint64_t stack = f->a1;
  int* ptid = (int*)f->a2;
  int* ctid = (int*)f->a3;
  uint64_t tls = f->a4;

  /* Linux's own checks first. */
  if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
    return -EINVAL;
  if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
    return -EINVAL;
  /* A new process (fork, vfork, posix_spawn): there is only one. */
  if (!(flags & CLONE_THREAD))
    return -ENOSYS;
  /* A thread with descriptors, a working folder or namespaces of its own,
   * or on its creator's stack. */
  if ((flags & THREAD_NEEDS) != THREAD_NEEDS || (flags & ~(THREAD_MAY | EXIT_SIGNAL_MASK)) || !stack)
    return -EINVAL;

  struct thread* t = (struct thread*)pages_alloc(1, 0);
  if (!t)
    return -ENOMEM;
  mem_zero(t, sizeof *t);
  /* First, while the SSE/x87 state is still the caller's. */
  t->sp = arch_thread_context(stack, f);
  t->info.tid = ++last_tid;
  t->info.parent = &current->info;
  t->info.stack = (void*)stack;
  t->info.tls = (flags & CLONE_SETTLS) ? (void*)tls : (void*)arch_get_tls_base();
  if (flags & CLONE_CHILD_CLEARTID)
    t->info.clear_tid = ctid;
  if (flags & CLONE_PARENT_SETTID)
    *ptid = (int)t->info.tid;
  if (flags & CLONE_CHILD_SETTID)
    *ctid = (int)t->info.tid;
  t->all_next = main_thread.all_next;
  main_thread.all_next = t;
  live++;
  progress++;

  t->kind = THREAD_READY;
  enqueue(t, 1);                         /* the first to run, whatever switches next */
  starting = t;
  thread_start_pending = 1;
  update_kick();
  return t->info.tid;
}

void thread_start(void)
{
  struct thread* t = starting;
  starting = 0;
  thread_start_pending = 0;
  if (!t)
    return;
  progress++;
  current->kind = THREAD_READY;
  enqueue(current, 1);                   /* the creator runs next */
  run(t);
}

/* End the current thread (not the main one); never returns. */
NORETURN static void end_thread(void)
{
  struct thread* t = current;
  if (t->info.clear_tid) {
    /* musl's pthread_join and thread list lock wait for this. */
    *t->info.clear_tid = 0;
    thread_futex_wake(t->info.clear_tid, 1, FUTEX_BITSET_MATCH_ANY);
  }
  for (struct thread* p = &main_thread; p; p = p->all_next) {
    if (p->info.parent == &t->info)
      p->info.parent = &main_thread.info;
    if (p->all_next == t)
      p->all_next = t->all_next;
  }
  live--;
  progress++;
  /* Freed once another thread runs: a detached thread's stack is already
   * unmapped (musl's __unmapself), so nothing here may allocate memory
   * that could reuse it. */
  t->all_next = dead;
  dead = t;
  /* The main thread lives as long as the service, so someone is queued. */
  struct thread* next = first_not_loop();
  if (!next)
    next = queue_head;
  dequeue(next);
  if (next == starting)
    starting = 0, thread_start_pending = 0;
  current = next;
  arch_set_tls_base((uint64_t)(uintptr_t)next->info.tls);
  arch_thread_switch(&t->sp, next->sp);
  __builtin_unreachable();
}

long sys_exit(int status)
{
  if (current == &main_thread)
    kernel_exit(status);                 /* the main thread ends the service, as before */
  end_thread();
}

NORETURN void thread_abort(void)
{
  kline_break();
  kprintf("     [ Kernel ] thread %ld ended by abort(), the service goes on\n", current->info.tid);
  /* musl's own end of a thread: cleanup handlers, thread-specific data,
   * the thread list, a joiner woken (pthread_join returns
   * PTHREAD_CANCELED). Its system calls nest inside this one. */
  if (pthread_exit)
    pthread_exit(PTHREAD_CANCELED_);
  end_thread();
}

long sys_sched_yield(void)
{
  struct thread* next = queue_head;
  if (!next)
    return 0;
  progress++;
  current->kind = THREAD_READY;
  enqueue(current, 0);
  run(next);
  return 0;
}

/* ---- waits ---- */

void thread_wait_begin(void)
{
  current->waiting++;
  progress++;                            /* what it did before may matter to others */
}

void thread_wait_end(void)
{
  if (--current->waiting == 0) {
    current->polled = 0;
    update_kick();
  }
}

int thread_wait_turn(int polls, uint64_t deadline)
{
  struct thread* next = first_with_work();
  if (!next) {
    current->polled = 0;
    update_kick();
    return 0;
  }
  if (!current->polled && any_ready()) {
    /* Threads that keep the CPU must not stop the devices and timers:
     * one turn of the event loop (no halt), then the caller checks. */
    current->polled = 1;
    thread_poll_events();
    return 1;
  }
  current->polled = 0;
  current->kind = THREAD_WAITING;
  current->polls = polls;
  current->deadline = deadline;
  current->seen = progress;
  enqueue(current, 0);
  run(next);
  return 1;
}

void thread_waited(void) { progress++; }

void thread_kicked(void)
{
  kick_at = 0;
  if (current->waiting)
    return;                              /* its wait loop hands over by itself */
  struct thread* next = first_not_loop();
  if (!next)
    return;
  progress++;
  current->kind = THREAD_LOOP;
  enqueue(current, 0);
  run(next);
}

/* ---- futexes ---- */

static void futex_unlink(struct thread* t)
{
  for (struct thread** pp = &futex_waiters; *pp; pp = &(*pp)->futex_next) {
    if (*pp == t) {
      *pp = t->futex_next;
      t->futex_next = 0;
      return;
    }
  }
}

long thread_futex_wait(int* uaddr, int val, uint32_t bitset, uint64_t deadline)
{
  if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val)
    return -EAGAIN;
  struct thread* self = current;
  self->futex = uaddr;
  self->bitset = bitset;
  self->woken = 0;
  self->futex_next = 0;
  struct thread** pp = &futex_waiters;
  while (*pp)
    pp = &(*pp)->futex_next;
  *pp = self;

  long r = 0;
  thread_wait_begin();
  while (!self->woken) {
    if (live == 1) {
      /* Alone now: nobody is left to wake it (a lone thread's answer). */
      r = *uaddr != val ? -EAGAIN : -ETIMEDOUT;
      break;
    }
    if (deadline && clock_monotonic_ns() >= deadline) {
      r = -ETIMEDOUT;
      break;
    }
    if (thread_wait_turn(0, deadline))
      continue;
    thread_block_once(deadline);
    thread_waited();
  }
  thread_wait_end();
  if (!self->woken)
    futex_unlink(self);
  self->futex = 0;
  return r;
}

long thread_futex_wake(int* uaddr, int n, uint32_t bitset)
{
  if (n <= 0)
    n = 1;                               /* as Linux: at least one */
  long woken = 0;
  struct thread** pp = &futex_waiters;
  while (*pp && woken < n) {
    struct thread* t = *pp;
    if (t->futex == uaddr && (t->bitset & bitset)) {
      *pp = t->futex_next;
      t->futex_next = 0;
      t->futex = 0;
      t->woken = 1;
      woken++;
    } else {
      pp = &t->futex_next;
    }
  }
  return woken;
}

long thread_futex_requeue(int* uaddr, int n, int n2, int* uaddr2)
{
  long woken = 0, moved = 0;
  struct thread** pp = &futex_waiters;
  while (*pp) {
    struct thread* t = *pp;
    if (t->futex != uaddr) {
      pp = &t->futex_next;
      continue;
    }
    if (woken < n) {
      *pp = t->futex_next;
      t->futex_next = 0;
      t->futex = 0;
      t->woken = 1;
      woken++;
      continue;
    }
    if (moved >= n2)
      break;
    t->futex = uaddr2;                   /* waits on, for the other word */
    moved++;
    pp = &t->futex_next;
  }
  return woken + moved;                  /* as Linux counts */
}

/* ---- ids and records ---- */

long sys_gettid(void) { return current->info.tid; }

struct thread* thread_current(void)
{
  current->info.tls = (void*)arch_get_tls_base();
  return current;
}

struct thread* thread_find(long tid)
{
  for (struct thread* p = &main_thread; p; p = p->all_next)
    if (p->info.tid == tid)
      return p == current ? thread_current() : p;
  return 0;
}

long thread_last_id(void) { return last_tid; }
int thread_count(void) { return live; }
int thread_is_main(void) { return current == &main_thread; }
void thread_set_tls(uint64_t base) { current->info.tls = (void*)base; }
void thread_set_clear_tid(int* tidptr) { current->info.clear_tid = tidptr; }
