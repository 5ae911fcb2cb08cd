// The TCP engine's host-native test driver. One line per check; the exit
// status is non-zero if any failed.
//
//   tcp_test [-q] [--only GROUP] [--seeds N] [--bytes N] [--bulk N] [--quick]
//
// -q prints failures and the summary only; --seeds/--bytes size the
// fault-injection runs; --bulk N transfers N bytes each way without loss
// and reports the throughput.
//
// tests/test_tcp_engine.py also builds these files (and the engine's) as
// unity translation units: whatever a file keeps to itself goes in an
// anonymous namespace under a name no other file uses.
#include <cstdlib>
#include <cstring>

#include "harness.hpp"

int main(int argc, char** argv)
{
  std::string only;
  int seeds = 50;
  size_t bytes = 2000000, bulk = 64u << 20;
  bool quick = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "-q")
      tt::results().verbose = false;
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else if (a == "--seeds" && i + 1 < argc)
      seeds = std::atoi(argv[++i]);
    else if (a == "--bytes" && i + 1 < argc)
      bytes = size_t(std::atoll(argv[++i]));
    else if (a == "--bulk" && i + 1 < argc)
      bulk = size_t(std::atoll(argv[++i]));
    else if (a == "--quick")
      quick = true;
    else {
      std::fprintf(stderr, "usage: %s [-q] [--only GROUP] [--seeds N] [--bytes N] [--bulk N]\n",
                   argv[0]);
      return 2;
    }
  }
  struct Group {
    const char* name;
    std::function<void()> run;
  } groups[] = {
      {"basics", tt::test_basics},
      {"handshake", tt::test_handshake},
      {"close", tt::test_close},
      {"receive", tt::test_receive},
      {"send", tt::test_send},
      {"limits", tt::test_limits},
      {"fuzz", tt::test_fuzz},
      {"faults", [&] { tt::test_faults(seeds, bytes, quick); }},
      {"bulk", [&] { tt::test_bulk(bulk); }},
  };
  for (auto& g : groups)
    if (only.empty() || only == g.name) {
      tt::group(g.name);
      g.run();
    }
  tt::Results& r = tt::results();
  std::printf("%d passed, %d failed\n", r.passed, r.failed);
  return r.failed ? 1 : 0;
}
