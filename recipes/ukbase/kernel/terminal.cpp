// Terminal (kernel/terminal.hpp): command lines over a TCP connection.
#include <kernel/terminal.hpp>

#include <map>

namespace {

std::map<std::string, TerminalProgram>& programs()
{
  static std::map<std::string, TerminalProgram> registry;
  return registry;
}

int help(Terminal& term, const std::vector<std::string>&)
{
  for (auto& [name, program] : programs())
    term.write("%s \t-- %s\r\n", name.c_str(), program.desc.c_str());
  return 0;
}

void register_basics()
{
  static bool done = false;
  if (done)
    return;
  done = true;
  Terminal::register_program("help", {"List available commands", help});
  Terminal::register_program("?", {"List available commands", help});
  Terminal::register_program("exit", {"Close the terminal",
                                      [](Terminal& term, const std::vector<std::string>&) {
                                        term.close();
                                        return 0;
                                      }});
}

/// "cmd a b :rest of the line" -> cmd, {a, b, rest of the line}
std::vector<std::string> split(const std::string& line, std::string& command)
{
  std::vector<std::string> args;
  size_t pos = line.find(' ');
  command = line.substr(0, pos);
  while (pos != std::string::npos) {
    size_t start = pos + 1;
    if (start < line.size() && line[start] == ':') {
      args.push_back(line.substr(start + 1));
      break;
    }
    pos = line.find(' ', start);
    std::string word = line.substr(start, pos == std::string::npos ? pos : pos - start);
    if (!word.empty())
      args.push_back(std::move(word));
  }
  return args;
}

}  // namespace

void Terminal::register_program(std::string name, TerminalProgram program)
{
  programs().insert_or_assign(std::move(name), std::move(program));
}

Terminal::Terminal(Connection_ptr conn) : conn_(std::move(conn))
{
  register_basics();
  conn_->on_read(1024, [this](net::tcp::buffer_t buf) {
    read(reinterpret_cast<const char*>(buf->data()), buf->size());
  });
  conn_->write("\r\n> Banana Terminal v2 <\r\n(ukbase; type help)\r\n");
  prompt();
}

void Terminal::read(const char* data, size_t len)
{
  for (size_t i = 0; i < len; i++) {
    auto c = static_cast<unsigned char>(data[i]);
    if (telnet_) {        // IAC cmd [option]: WILL/WONT/DO/DONT take an option
      telnet_ = (telnet_ == 2 && c >= 251 && c <= 254) ? 1 : 0;
      continue;
    }
    if (c == 255) {
      telnet_ = 2;
    } else if (c == CR) {
      cr_ = true;
    } else if (c == LF) {
      cr_ = false;
      std::string line;
      line.swap(line_);
      exec(line);
      prompt();
    } else if (c != NUL) {
      if (cr_)
        line_.push_back(CR);
      cr_ = false;
      line_.push_back(static_cast<char>(c));
    }
  }
}

int Terminal::exec(const std::string& line)
{
  std::string command;
  auto args = split(line, command);
  if (command.empty())
    return -1;
  auto it = programs().find(command);
  if (it == programs().end()) {
    write("No such command: '%s'\r\n", command.c_str());
    return -1;
  }
  int status = it->second.main(*this, args);
  if (status)
    write("%s returned: %d\r\n", command.c_str(), status);
  return status;
}

void Terminal::close() { conn_->close(); }

void Terminal::prompt() { conn_->write("$ "); }
