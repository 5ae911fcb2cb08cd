#include <wordfreq.hpp>

#include <algorithm>
#include <cctype>

namespace wordfreq {

std::map<std::string, std::size_t> count_words(const std::string& text)
{
  std::map<std::string, std::size_t> counts;
  std::string word;
  for (char c : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      ++counts[word];
      word.clear();
    }
  }
  return counts;
}

std::vector<Count> most_frequent(const std::map<std::string, std::size_t>& counts, std::size_t n)
{
  std::vector<Count> all;
  for (const auto& [word, times] : counts)
    all.push_back({word, times});
  std::stable_sort(all.begin(), all.end(),
                   [](const Count& a, const Count& b) { return a.times > b.times; });
  if (all.size() > n)
    all.resize(n);
  return all;
}

}  // namespace wordfreq
