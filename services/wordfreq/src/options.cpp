#include <wordfreq.hpp>

#include <stdexcept>

namespace wordfreq {

Options parse_options(const std::vector<std::string>& args)
{
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--top")
      throw std::invalid_argument("unknown option " + args[i]);
    if (i + 1 == args.size())
      throw std::invalid_argument("--top wants a number");
    const std::string& value = args[++i];
    std::size_t used = 0;
    unsigned long top = 0;
    try {
      top = std::stoul(value, &used);
    } catch (const std::exception&) {
      throw std::invalid_argument("--top wants a number, not '" + value + "'");
    }
    if (used != value.size() || top == 0)
      throw std::invalid_argument("--top wants a number, not '" + value + "'");
    options.top = top;
  }
  return options;
}

}  // namespace wordfreq
