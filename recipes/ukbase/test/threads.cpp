// ukbase selftest: threads (pthreads, std::thread), cooperative on one CPU
// as on IncludeOS. Each check prints "[test] <name> ok" or
// "[test] <name> FAILED: <what>"; the selftest (test/threads.py) looks for
// every ok line, in order, and for no FAILED. The last check returns from
// Service::start() into the event loop, where a thread shuts the service
// down.
//
// The argument "abort-main" instead calls abort() in the main thread while
// another thread waits: a panic, as without threads.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <kernel/threads.hpp>
#include <os>

namespace {

int failures = 0;

void check(bool ok, const std::string& name, const std::string& detail = "")
{
  if (ok) {
    std::printf("[test] %s ok\n", name.c_str());
  } else {
    failures++;
    std::printf("[test] %s FAILED: %s\n", name.c_str(), detail.c_str());
  }
}

long gettid_() { return syscall(SYS_gettid); }

template <class T>
std::string join_list(const std::vector<T>& v)
{
  std::string s;
  for (const auto& x : v)
    s += (s.empty() ? "" : " ") + std::to_string(x);
  return s;
}

uint64_t now_ms()
{
  return (uint64_t)std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ---- sched_yield alone, clone's refusals ----

void alone_and_clone()
{
  uint64_t t0 = now_ms();
  int r = sched_yield();
  check(r == 0 && now_ms() - t0 < 50 && gettid_() == 1 && getpid() == 1,
        "sched_yield alone returns at once, the main thread is tid 1",
        "sched_yield " + std::to_string(r) + ", gettid " + std::to_string(gettid_()));

  errno = 0;
  long fork_like = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  int fork_errno = errno;
  errno = 0;
  long no_sighand = syscall(SYS_clone, CLONE_VM | CLONE_THREAD, 0, 0, 0, 0);
  int no_sighand_errno = errno;
  errno = 0;
  long own_files = syscall(SYS_clone, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, 0, 0, 0, 0);
  int own_files_errno = errno;
  check(fork_like == -1 && fork_errno == ENOSYS && no_sighand == -1 && no_sighand_errno == EINVAL
            && own_files == -1 && own_files_errno == EINVAL,
        "clone refuses a new process (ENOSYS) and threads it cannot make (EINVAL)",
        std::to_string(fork_errno) + " " + std::to_string(no_sighand_errno) + " "
            + std::to_string(own_files_errno));
}

// ---- pthread_create / join, running at once ----

// What ran in which order: n when thread n starts, -n when its first
// yield returns, 100 + n when pthread_create of thread n returns.
std::vector<int> events;

void* square(void* p)
{
  int n = *static_cast<int*>(p);
  events.push_back(n);
  sched_yield();
  events.push_back(-n);
  return reinterpret_cast<void*>(static_cast<intptr_t>(n * n));
}

void create_join()
{
  pthread_t t[4];
  int args[4] = {1, 2, 3, 4};
  for (int i = 0; i < 4; i++) {
    if (pthread_create(&t[i], nullptr, square, &args[i]) != 0) {
      check(false, "pthread_create", "failed");
      return;
    }
    events.push_back(101 + i);
  }
  bool at_once = events == std::vector<int>{1, 101, 2, 102, 3, 103, 4, 104};
  std::vector<long> results;
  for (auto& th : t) {
    void* r = nullptr;
    int err = pthread_join(th, &r);
    results.push_back(err ? -err : static_cast<long>(reinterpret_cast<intptr_t>(r)));
  }
  check(at_once, "a new thread runs at once, pthread_create returns when it yields",
        "events " + join_list(events));
  check(results == std::vector<long>{1, 4, 9, 16},
        "pthread_join returns each thread's result: " + join_list(results), join_list(results));
}

// ---- round-robin ----

std::string rr_log;

void* rr_thread(void* p)
{
  char c = static_cast<char>(reinterpret_cast<intptr_t>(p));
  for (int i = 0; i < 3; i++) {
    rr_log += c;
    sched_yield();
  }
  return nullptr;
}

void round_robin()
{
  pthread_t t[3];
  for (int i = 0; i < 3; i++)
    pthread_create(&t[i], nullptr, rr_thread, reinterpret_cast<void*>(static_cast<intptr_t>('A' + i)));
  for (auto& th : t)
    pthread_join(th, nullptr);
  check(rr_log == "ABCABCABC", "sched_yield goes round-robin: " + rr_log, rr_log);
}

// ---- a contended mutex ----

pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
long counter = 0;
int contended = 0;

void* count_up(void*)
{
  for (int i = 0; i < 200; i++) {
    if (pthread_mutex_trylock(&counter_lock) == EBUSY) {
      contended++;
      pthread_mutex_lock(&counter_lock);
    }
    long c = counter;
    sched_yield();               // inside the lock: the others must wait for it
    counter = c + 1;
    pthread_mutex_unlock(&counter_lock);
  }
  return nullptr;
}

void mutex()
{
  pthread_t t[5];
  for (auto& th : t)
    pthread_create(&th, nullptr, count_up, nullptr);
  for (auto& th : t)
    pthread_join(th, nullptr);
  check(counter == 1000 && contended > 0,
        "a mutex contended by 5 threads: 1000 increments, " + std::string(contended > 0 ? "contended" : "never contended"),
        "counter " + std::to_string(counter) + ", contended " + std::to_string(contended));
}

// ---- condition variables ----

void condition_variable()
{
  std::mutex mu;
  std::condition_variable cv;
  std::deque<int> queue;
  bool done = false;
  int waits = 0, sum = 0;
  std::vector<int> got;
  std::thread consumer([&] {
    std::unique_lock<std::mutex> lk(mu);
    for (;;) {
      while (queue.empty() && !done) {
        waits++;
        cv.wait(lk);
      }
      if (queue.empty())
        break;
      got.push_back(queue.front());
      sum += queue.front();
      queue.pop_front();
    }
  });
  for (int i = 1; i <= 10; i++) {
    {
      std::lock_guard<std::mutex> g(mu);
      queue.push_back(i);
    }
    cv.notify_one();
    if (i % 2 == 0)
      std::this_thread::yield();
  }
  {
    std::lock_guard<std::mutex> g(mu);
    done = true;
  }
  cv.notify_all();
  consumer.join();
  check(sum == 55 && got == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10} && waits > 1,
        "a condition variable hands 10 items over in order",
        "sum " + std::to_string(sum) + ", got " + join_list(got) + ", waits " + std::to_string(waits));

  // notify_all with several waiters (musl hands them over to the mutex
  // with FUTEX_REQUEUE).
  bool go = false;
  int woke = 0;
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; i++) {
    waiters.emplace_back([&] {
      std::unique_lock<std::mutex> lk(mu);
      cv.wait(lk, [&] { return go; });
      woke++;
      lk.unlock();
      std::this_thread::yield();
    });
  }
  {
    std::lock_guard<std::mutex> g(mu);
    go = true;
    cv.notify_all();
  }
  for (auto& w : waiters)
    w.join();
  check(woke == 4, "notify_all wakes 4 waiting threads", "woke " + std::to_string(woke));

  // Timed waits, while another thread exists (it waits for its release).
  bool release = false;
  std::thread sleeper([&] {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return release; });
  });
  uint64_t t0 = now_ms();
  bool timed_out;
  {
    std::unique_lock<std::mutex> lk(mu);
    timed_out = cv.wait_for(lk, std::chrono::milliseconds(30)) == std::cv_status::timeout;
  }
  uint64_t took = now_ms() - t0;
  {
    std::lock_guard<std::mutex> g(mu);
    release = true;
  }
  cv.notify_all();
  sleeper.join();
  check(timed_out && took >= 30 && took < 1000, "the main thread's timed wait times out after 30 ms",
        "timed out " + std::to_string(timed_out) + " after " + std::to_string(took) + " ms");

  // A thread's timed wait ends on time while the main thread waits for it.
  bool thread_timed_out = false;
  uint64_t thread_took = 0;
  std::thread timed([&] {
    std::unique_lock<std::mutex> lk(mu);
    uint64_t s = now_ms();
    thread_timed_out = cv.wait_for(lk, std::chrono::milliseconds(20)) == std::cv_status::timeout;
    thread_took = now_ms() - s;
  });
  timed.join();
  check(thread_timed_out && thread_took >= 20 && thread_took < 1000,
        "a thread's timed wait times out after 20 ms while main joins it",
        "timed out " + std::to_string(thread_timed_out) + " after " + std::to_string(thread_took) + " ms");
}

// ---- thread_local ----

thread_local int tl_value = 7;
thread_local std::string tl_name = "initial";

struct Tl_seen {
  int first;
  std::string first_name;
  bool kept;
  const void* addr;
};

void thread_locals()
{
  tl_value = 1;
  tl_name = "main";
  std::vector<Tl_seen> seen(3);
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; i++) {
    ts.emplace_back([i, &seen] {
      Tl_seen& s = seen[i];
      s.first = tl_value;
      s.first_name = tl_name;
      tl_value = 100 + i;
      tl_name = "thread " + std::to_string(i);
      std::this_thread::yield();              // the others set theirs meanwhile
      s.kept = tl_value == 100 + i && tl_name == "thread " + std::to_string(i);
      s.addr = &tl_value;
    });
  }
  for (auto& t : ts)
    t.join();
  std::set<const void*> addrs{&tl_value};
  bool ok = tl_value == 1 && tl_name == "main";
  std::string detail;
  for (auto& s : seen) {
    ok &= s.first == 7 && s.first_name == "initial" && s.kept;
    addrs.insert(s.addr);
    detail += std::to_string(s.first) + "/" + s.first_name + "/" + std::to_string(s.kept) + " ";
  }
  ok &= addrs.size() == 4;
  check(ok, "thread_local: each thread has its own, initialised", detail + "main " + std::to_string(tl_value));
}

// ---- std::thread with arguments ----

void std_thread()
{
  std::string out;
  std::thread::id inner;
  std::thread t(
      [&inner](int a, long long b, std::string c, std::string& o) {
        inner = std::this_thread::get_id();
        o = c + ":" + std::to_string(a + b);
      },
      1, 2LL, std::string("test"), std::ref(out));
  bool joinable = t.joinable();
  t.join();
  check(out == "test:3" && joinable && !t.joinable() && inner != std::this_thread::get_id()
            && std::thread::hardware_concurrency() == 1,
        "std::thread with arguments, join", "out '" + out + "'");
}

// ---- 20 levels of nested threads ----

constexpr int MAX_DEPTH = 20;
long level_tid[MAX_DEPTH + 1], level_parent[MAX_DEPTH + 1];
int deepest = 0;

void* nest(void* p)
{
  int depth = static_cast<int>(reinterpret_cast<intptr_t>(p));
  kernel::Thread* self = kernel::get_thread();
  level_tid[depth] = self->tid;
  level_parent[depth] = self->parent ? self->parent->tid : 0;
  if (depth > deepest)
    deepest = depth;
  long sum = depth;
  if (depth < MAX_DEPTH) {
    pthread_t t;
    if (pthread_create(&t, nullptr, nest, reinterpret_cast<void*>(static_cast<intptr_t>(depth + 1))))
      return reinterpret_cast<void*>(static_cast<intptr_t>(-1000));
    sched_yield();
    void* r = nullptr;
    pthread_join(t, &r);
    sum += static_cast<long>(reinterpret_cast<intptr_t>(r));
  } else {
    sched_yield();
  }
  return reinterpret_cast<void*>(static_cast<intptr_t>(sum));
}

void nested()
{
  pthread_t t;
  void* r = nullptr;
  pthread_create(&t, nullptr, nest, reinterpret_cast<void*>(static_cast<intptr_t>(1)));
  pthread_join(t, &r);
  long sum = static_cast<long>(reinterpret_cast<intptr_t>(r));
  std::set<long> tids;
  bool parents = level_parent[1] == 1;
  for (int d = 1; d <= MAX_DEPTH; d++) {
    tids.insert(level_tid[d]);
    if (d > 1)
      parents &= level_parent[d] == level_tid[d - 1];
  }
  check(deepest == MAX_DEPTH && sum == MAX_DEPTH * (MAX_DEPTH + 1) / 2 && tids.size() == MAX_DEPTH
            && !tids.count(1) && parents,
        "20 levels of nested pthread_create, sched_yield at each",
        "deepest " + std::to_string(deepest) + ", sum " + std::to_string(sum) + ", "
            + std::to_string(tids.size()) + " tids, parents " + std::to_string(parents));
}

// ---- ids ----

struct Ids {
  long gettid, kernel_tid, lookup_tid, parent_tid;
};

void ids()
{
  kernel::Thread* main_thread = kernel::get_thread();
  bool main_ok = main_thread->tid == 1 && kernel::get_tid() == 1 && main_thread->parent == nullptr
                 && kernel::get_thread(1) == main_thread
                 && main_thread->my_tls == kernel::get_thread_area() && main_thread->my_stack != nullptr;
  std::vector<Ids> seen(4);
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; i++) {
    ts.emplace_back([i, &seen] {
      kernel::Thread* self = kernel::get_thread();
      seen[i] = {gettid_(), self->tid, kernel::get_thread(self->tid) == self ? self->tid : -1,
                 self->parent ? self->parent->tid : 0};
      std::this_thread::yield();
    });
  }
  for (auto& t : ts)
    t.join();
  std::set<long> distinct{1};
  bool ok = main_ok;
  std::string detail;
  for (auto& s : seen) {
    ok &= s.gettid == s.kernel_tid && s.lookup_tid == s.gettid && s.parent_tid == 1
          && s.gettid <= kernel::get_last_thread_id() && !kernel::get_thread(s.gettid);
    distinct.insert(s.gettid);
    detail += std::to_string(s.gettid) + "/" + std::to_string(s.kernel_tid) + " ";
  }
  ok &= distinct.size() == 5;
  check(ok, "gettid() and kernel::get_thread()->tid agree, distinct per thread",
        detail + "main " + std::to_string(main_ok));
}

// ---- waiting in the kernel lets other threads run ----

std::atomic<bool> spin_stop{false};
std::atomic<long> spins{0};

void* spinner(void*)
{
  while (!spin_stop) {
    spins++;
    sched_yield();
  }
  return nullptr;
}

void* pipe_reader(void* p)
{
  int fd = *static_cast<int*>(p);
  static char buf[16];
  long n = read(fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  return reinterpret_cast<void*>(n);
}

void blocking()
{
  pthread_t t;
  pthread_create(&t, nullptr, spinner, nullptr);
  long before = spins;
  usleep(20000);
  long after_sleep = spins;
  os::block();
  long after_block = spins;
  spin_stop = true;
  pthread_join(t, nullptr);
  check(after_sleep > before && after_block > after_sleep,
        "a sleeping main thread and os::block() let a thread run",
        std::to_string(before) + " " + std::to_string(after_sleep) + " " + std::to_string(after_block));

  int fds[2];
  if (pipe(fds) != 0) {
    check(false, "pipe", std::strerror(errno));
    return;
  }
  pthread_t reader;
  pthread_create(&reader, nullptr, pipe_reader, &fds[0]);
  bool waited = pthread_tryjoin_np(reader, nullptr) == EBUSY;
  (void)!write(fds[1], "hello", 5);
  void* n = nullptr;
  pthread_join(reader, &n);
  close(fds[0]);
  close(fds[1]);
  check(waited && reinterpret_cast<intptr_t>(n) == 5,
        "a thread blocked in read() lets main run, and reads what main writes",
        "waited " + std::to_string(waited) + ", read " + std::to_string(reinterpret_cast<intptr_t>(n)));

  // The descriptor closed while a thread is blocked on it: the blocked
  // read keeps its pipe end, as on Linux, and reads what comes later
  // (the heap freed by close is reused meanwhile).
  if (pipe(fds) != 0) {
    check(false, "pipe", std::strerror(errno));
    return;
  }
  int read_end = fds[0];
  pthread_create(&reader, nullptr, pipe_reader, &read_end);
  sched_yield();
  close(fds[0]);
  std::vector<std::string> churn;
  for (int i = 0; i < 256; i++)
    churn.emplace_back(static_cast<size_t>(16 + i % 200), '\xAB');
  long wrote = write(fds[1], "later", 5);
  n = nullptr;
  bool joined = false;
  for (int i = 0; i < 100 && !joined; i++)
    joined = pthread_tryjoin_np(reader, &n) == 0 || (usleep(10000), false);
  if (!joined)
    pthread_detach(reader);               // still blocked: leave it
  close(fds[1]);
  check(wrote == 5 && joined && reinterpret_cast<intptr_t>(n) == 5,
        "a descriptor closed while a thread reads it: the read still gets what is written",
        "wrote " + std::to_string(wrote) + (joined ? ", read " : ", still blocked after 1 s, ")
            + std::to_string(reinterpret_cast<intptr_t>(n)));
}

// ---- detached threads free their memory ----

std::atomic<int> detached_done{0};
std::vector<long> detached_tids;

void* detached(void*)
{
  detached_tids.push_back(gettid_());
  sched_yield();
  detached_done++;
  return nullptr;
}

unsigned long free_ram()
{
  struct sysinfo si;
  sysinfo(&si);
  return si.freeram;
}

void detached_threads()
{
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  detached_tids.reserve(16);
  auto round = [&](int n) {
    detached_done = 0;
    detached_tids.clear();
    for (int i = 0; i < n; i++) {
      pthread_t t;
      pthread_create(&t, &attr, detached, nullptr);
    }
    for (int i = 0; i < 1000 && detached_done < n; i++)
      sched_yield();
    sched_yield();                // the last one ends
  };
  round(2);                       // the allocator's own first use
  unsigned long before = free_ram();
  round(8);
  unsigned long after = free_ram();
  bool gone = true;
  for (long tid : detached_tids)
    gone &= kernel::get_thread(tid) == nullptr;
  long diff = static_cast<long>(before) - static_cast<long>(after);
  check(detached_done == 8 && gone && diff < 4096,        // not one page kept
        "8 detached threads end and their stacks and records are freed",
        std::to_string(detached_done.load()) + " done, gone " + std::to_string(gone) + ", "
            + std::to_string(diff) + " bytes less free");
  pthread_attr_destroy(&attr);
}

// ---- an exception out of a thread ----

long thrower_tid = 0;

void* thrower(void*)
{
  thrower_tid = gettid_();
  std::printf("[test] thread %ld throws\n", thrower_tid);
  throw std::runtime_error("thrown out of a thread");
}

void exception_in_thread()
{
  pthread_t t;
  pthread_create(&t, nullptr, thrower, nullptr);
  void* r = nullptr;
  int err = pthread_join(t, &r);
  check(err == 0 && r == PTHREAD_CANCELED && thrower_tid > 1 && !kernel::get_thread(thrower_tid),
        "an exception thrown out of thread " + std::to_string(thrower_tid) + " ended only that thread",
        "join " + std::to_string(err) + ", result " + std::to_string(reinterpret_cast<intptr_t>(r)));
}

// ---- the event loop ----

bool start_returned = false;

void* after_start(void*)
{
  while (!start_returned)
    sched_yield();
  std::printf("[test] a thread ran while the main thread is in the event loop\n");
  os::shutdown();
  return nullptr;
}

void abort_in_main()
{
  static std::mutex mu;
  static std::condition_variable cv;
  std::thread([] {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk);
  }).detach();
  std::printf("[test] aborting in the main thread\n");
  std::abort();
}

__attribute__((noinline)) void panicking_thread_body()
{
  std::printf("[test] panicking in thread %ld\n", gettid_());
  os::panic("panic requested in a thread");
}

void* panicking_thread(void*)
{
  panicking_thread_body();
  return nullptr;
}

void panic_in_thread()
{
  pthread_t t;
  pthread_create(&t, nullptr, panicking_thread, nullptr);
  pthread_join(t, nullptr);
}

}  // namespace

void Service::start()
{
  if (std::string(os::cmdline_args()).find("abort-main") != std::string::npos)
    abort_in_main();
  if (std::string(os::cmdline_args()).find("panic-thread") != std::string::npos)
    panic_in_thread();
  alone_and_clone();
  create_join();
  round_robin();
  mutex();
  condition_variable();
  thread_locals();
  std_thread();
  nested();
  ids();
  blocking();
  detached_threads();
  exception_in_thread();
  std::printf("[test] all thread checks done, %d failed\n", failures);

  pthread_t t;
  pthread_create(&t, nullptr, after_start, nullptr);
  pthread_detach(t);
  start_returned = true;
  std::printf("[test] Service::start returns into the event loop\n");
}

void Service::stop()
{
  std::printf("[test] Service::stop ran\n");
}
