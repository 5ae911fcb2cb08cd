// ukbase service API: the os:: namespace (IncludeOS compatible subset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <delegate>
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

/// Report a fatal error as IncludeOS does ("\x15\x07\t**** PANIC ****",
/// "CPU: 0, Reason: <why>", memory figures, a backtrace, EOT), call the
/// on_panic handler, then do the panic action (default: power off).
[[noreturn]] void panic(const char* why) noexcept;

/// What a panic ends in. ukbase powers off by default (QEMU then exits
/// by itself), where IncludeOS halts.
enum class Panic_action { halt, reboot, shutdown };
Panic_action panic_action() noexcept;
void set_panic_action(Panic_action action) noexcept;

/// Called once by a panic, after its report and before the panic action.
typedef void (*on_panic_func)(const char* why);
void on_panic(on_panic_func handler);

/// True once the boot sequence is over: devices and plugins are up and
/// the service's own constructors run (then Service::start()).
bool is_booted() noexcept;

/// Halt the CPU until the next interrupt (or the next timer).
void halt() noexcept;

/// Reset the machine (the chipset's reset control, the keyboard
/// controller, else a triple fault). Under QEMU with -no-reboot, which
/// ukbuild uses, QEMU exits.
void reboot() noexcept;

/// Print the call chain of the caller, one frame a line, as IncludeOS
/// does ("[N] 0x<function> + 0x<offset>: <function name>"): to standard
/// output, or through print_func.
void print_backtrace() noexcept;
void print_backtrace(void (*print_func)(const char*, size_t)) noexcept;

/// Bytes of RAM in use: the kernel image, multiboot modules and the
/// symbol table, and the heap's pages in use.
size_t total_memuse() noexcept;

/// A multiboot module (QEMU: -initrd "file args,file2"), as IncludeOS
/// lays it out: where its contents are, and `params`, a char* (as an
/// integer) to its command line: the file name and its arguments.
struct Module {
  uint32_t mod_start;
  uint32_t mod_end;
  uint32_t params;
  uint32_t pad;
};

/// A view of contiguous elements: what IncludeOS's gsl::span offers for
/// modules() (range-for, size(), [i]), without GSL.
template <typename T>
class Span {
 public:
  constexpr Span() noexcept = default;
  constexpr Span(T* data, size_t size) noexcept : data_(data), size_(size) {}
  constexpr T* data() const noexcept { return data_; }
  constexpr size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr T& operator[](size_t i) const noexcept { return data_[i]; }
  constexpr T* begin() const noexcept { return data_; }
  constexpr T* end() const noexcept { return data_ + size_; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};
using Span_mods = Span<Module>;

/// The multiboot modules the loader gave (empty if none). Their contents
/// stay where the loader put them; the page heap starts after them.
Span_mods modules();

/// A function run once at boot, after the drivers are up and before the
/// service's own constructors and Service::start(). Plugins register
/// from their global constructors; one registered later runs at once.
using Plugin = delegate<void()>;
void register_plugin(Plugin plugin, const char* name);

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

/// Start every line of standard output with "[<UTC time, ISO 8601>] ".
void print_timestamps(bool enabled);

/// Run the event loop once: wait for an interrupt or the next timer, then
/// run what is due. extern "C" os_get_blocking_level() is how many
/// block() calls are running (handlers run inside one see 1), and
/// os_get_highest_blocking_level() the most there were at once.
void block();

/// "ukbase <version>"
const char* version() noexcept;
/// "x86_64"
const char* arch() noexcept;

}  // namespace os
