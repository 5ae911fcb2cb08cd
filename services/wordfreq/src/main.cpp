// Counts the words of a short text, prints the most frequent ones and the
// text's checksums (from the checksum package), and shows an exception
// thrown in one source and caught in another.
#include <wordfreq.hpp>

#include <checksum/checksum.h>

#include <cstdio>
#include <iostream>
#include <os>
#include <stdexcept>

static const std::string text =
    "The unikernel is the service and the service is the kernel. "
    "The build of the unikernel is incremental: the stage that did not change "
    "is not run again, and the image boots in the time it takes to say it.";

int main(int argc, const char* argv[])
{
  std::vector<std::string> args(argv + 1, argv + argc);
  wordfreq::Options options;
  try {
    options = wordfreq::parse_options(args);
  } catch (const std::invalid_argument& err) {
    std::cout << WORDFREQ_BANNER << ": " << err.what() << "\n";
    return 2;
  }

  const auto counts = wordfreq::count_words(text);
  const auto top = wordfreq::most_frequent(counts, options.top);
  std::cout << WORDFREQ_BANNER << ": " << top.size() << " most frequent words of "
            << counts.size() << "\n";
  for (std::size_t i = 0; i < top.size(); ++i)
    std::cout << "  " << i + 1 << ". " << top[i].word << " (" << top[i].times << ")\n";

  std::printf("crc32 %08x, adler32 %08x\n", static_cast<unsigned>(checksum::crc32(text)),
              static_cast<unsigned>(checksum::adler32(text)));

  try {
    wordfreq::parse_options({"--top"});
    std::cout << "no exception?\n";
    return 1;
  } catch (const std::invalid_argument& err) {
    std::cout << "bad option caught: " << err.what() << "\n";
  }
  return 0;
}
