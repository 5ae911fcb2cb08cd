// default_stdout: standard output and standard error on the serial port
// (COM1). Registered by a global constructor; linker.ld runs the
// constructors of drivers/stdout archives before all others.
#include <cstddef>

#include <os>

extern "C" void arch_serial_write(const char* s, size_t len);   // libarch

namespace {

struct DefaultStdout {
  DefaultStdout()
  {
    os::add_stdout([](const char* s, size_t len) { arch_serial_write(s, len); });
  }
};

DefaultStdout default_stdout;

}  // namespace
