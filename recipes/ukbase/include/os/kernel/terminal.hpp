// A command line over a TCP connection (telnet), as IncludeOS's
// kernel/terminal.hpp (<terminal>):
//
//   Terminal::register_program("netstat", {"Print network connections",
//     [&inet](Terminal& term, const std::vector<std::string>& args) -> int {
//       term.write("%s\r\n", inet.tcp().status().c_str());
//       return 0;
//     }});
//   inet.tcp().listen(23, [](auto conn) { term = std::make_unique<Terminal>(conn); });
//
// A Terminal greets its client ("> Banana Terminal v2 <", IncludeOS's name
// for it) and shows the prompt "$ ". Each line (ended by CR LF) is a
// command and its arguments, split at spaces; an argument after " :" is
// the rest of the line. Telnet commands (IAC ...) are read and ignored.
// Programs are registered for every terminal; "help", "?" and "exit" are
// there from the start.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <delegate>
#include <net/tcp/connection.hpp>

class Terminal;

struct TerminalProgram {
  using main_func = delegate<int(Terminal&, const std::vector<std::string>&)>;

  TerminalProgram(std::string description, main_func func)
      : desc(std::move(description)), main(std::move(func))
  {
  }

  std::string desc;
  main_func main;
};

class Terminal {
 public:
  using Connection_ptr = net::tcp::Connection_ptr;
  enum { NUL = 0, BELL = 7, BS = 8, HTAB = 9, LF = 10, VTAB = 11, FF = 12, CR = 13 };

  explicit Terminal(Connection_ptr conn);

  /// printf to the client.
  template <typename... Args>
  void write(const char* format, Args&&... args)
  {
    int n = std::snprintf(nullptr, 0, format, args...);
    if (n <= 0)
      return;
    std::string text(static_cast<size_t>(n) + 1, '\0');
    std::snprintf(text.data(), text.size(), format, args...);
    text.resize(static_cast<size_t>(n));
    conn_->write(text);
  }

  /// Run one command line; the program's status, or -1 when there is none.
  int exec(const std::string& line);
  void close();

  static void register_program(std::string name, TerminalProgram program);

 private:
  void read(const char* data, size_t len);
  void prompt();

  Connection_ptr conn_;
  std::string line_;
  bool cr_ = false;
  int telnet_ = 0;     // bytes of a telnet command still to skip
};
