// Config::get(): the [build] config JSON linked into the kernel.
#include <config>

extern "C" char _CONFIG_JSON_START_[], _CONFIG_JSON_END_[];

const Config& Config::get() noexcept
{
  static const Config config(_CONFIG_JSON_START_, _CONFIG_JSON_END_);
  return config;
}
