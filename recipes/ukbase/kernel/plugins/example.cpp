// example ([platform] plugins = ["example"]): a plugin that shows how
// plugins work, with the names IncludeOS's example plugin has (its
// kernel/plugin_init test reads them). Its global constructor registers
// it; the kernel runs it at the end of the boot sequence, before the
// service's own constructors.
#include <expects>
#include <os>

bool example_plugin_registered = false;
bool example_plugin_run = false;

namespace {

void example_plugin()
{
  INFO("Example plugin", "initializing");
  Expects(example_plugin_registered);
  example_plugin_run = true;
}

struct Register {
  Register()
  {
    os::register_plugin(example_plugin, "Example plugin");
    example_plugin_registered = true;
    INFO("Example", "plugin registered");
  }
} register_example;

}  // namespace
