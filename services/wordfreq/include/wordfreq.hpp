// Shared by the sources of the wordfreq service.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace wordfreq {

struct Count {
  std::string word;
  std::size_t times;
};

// Lower-cased words of `text` and how often each occurs.
std::map<std::string, std::size_t> count_words(const std::string& text);

// The `n` most frequent words, most frequent first, ties in alphabetical order.
std::vector<Count> most_frequent(const std::map<std::string, std::size_t>& counts, std::size_t n);

struct Options {
  std::size_t top = 5;
};

// Parses "--top N"; throws std::invalid_argument on anything else.
Options parse_options(const std::vector<std::string>& args);

}  // namespace wordfreq
