// The configuration embedded in the kernel, as on IncludeOS: the JSON file
// named by [build] config (ukbuild links it as section .config, which
// linker.ld places between _CONFIG_JSON_START_ and _CONFIG_JSON_END_).
//
//   #include <config>
//   const auto& cfg = Config::get();
//   if (!cfg.empty())
//     printf("%.*s\n", (int)cfg.size(), cfg.data());
//
// The kernel reads its own part ("net": interface addresses) from it too.
#pragma once

#include <cstddef>
#include <string_view>

class Config {
 public:
  static const Config& get() noexcept;

  /// The file's bytes; followed by a NUL byte, so also a C string.
  const char* data() const noexcept { return start_; }
  std::size_t size() const noexcept { return static_cast<std::size_t>(end_ - start_); }
  bool empty() const noexcept { return start_ == end_; }

  const char* begin() const noexcept { return start_; }
  const char* end() const noexcept { return end_; }
  std::string_view view() const noexcept { return {start_, size()}; }

 private:
  Config(const char* start, const char* end) noexcept : start_(start), end_(end) {}
  const char* start_;
  const char* end_;
};
