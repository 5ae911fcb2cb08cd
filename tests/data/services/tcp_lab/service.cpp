// tcp_lab: one poll() loop serving several small TCP protocols, one per
// port, for the end-to-end tests:
//   7   echo: everything back; our side closes after the peer's FIN
//       (so a half-closed peer still gets all its echoes)
//   9   sink: after the peer's FIN, "<bytes> <crc32 hex>\n", then close
//   19  source: the peer sends an 8-byte big-endian count N; we send N
//       pseudo-random bytes, then their CRC-32 (4 bytes, big endian), close
//   13  reset: after one line, SO_LINGER 0 and close: the peer sees a RST
//   99  quit: print the counters and end the service
#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

uint32_t crc_table[256];

void crc_init()
{
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

uint32_t crc_update(uint32_t crc, const uint8_t* p, size_t n)
{
  crc = ~crc;
  while (n--)
    crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

enum Kind { ECHO, SINK, SOURCE, RESET, QUIT, LISTENER };

struct Conn {
  Kind kind;
  std::vector<uint8_t> out;       // waiting to be sent
  size_t out_at = 0;
  uint64_t bytes = 0;             // received (sink) or still to generate (source)
  uint32_t crc = 0;
  uint64_t rng = 0x9E3779B97F4A7C15ull;
  std::string line;               // source: the count so far; reset: the line
  bool peer_done = false;         // the peer's FIN arrived
  bool have_count = false;
};

std::map<int, Conn> conns;
uint64_t accepted = 0, echoed = 0, sunk = 0, sourced = 0, resets = 0;

int listen_on(uint16_t port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) || listen(fd, 128)) {
    std::printf("tcp_lab: port %u: %s\n", port, std::strerror(errno));
    return -1;
  }
  return fd;
}

void finish(int fd)
{
  close(fd);
  conns.erase(fd);
}

// Refill a source connection's output with the next pseudo-random bytes.
void generate(Conn& c)
{
  size_t n = c.bytes < 65536 ? static_cast<size_t>(c.bytes) : 65536;
  c.out.resize(n);
  for (size_t i = 0; i < n; i++) {
    c.rng ^= c.rng << 13;
    c.rng ^= c.rng >> 7;
    c.rng ^= c.rng << 17;
    c.out[i] = static_cast<uint8_t>(c.rng >> 32);
  }
  c.crc = crc_update(c.crc, c.out.data(), n);
  c.bytes -= n;
  c.out_at = 0;
  if (!c.bytes) {                 // the trailer
    for (int k = 3; k >= 0; k--)
      c.out.push_back(static_cast<uint8_t>(c.crc >> (8 * k)));
  }
}

// Send what is waiting; false when the connection is gone.
bool flush(int fd, Conn& c)
{
  for (;;) {
    if (c.out_at == c.out.size()) {
      c.out.clear();
      c.out_at = 0;
      if (c.kind == SOURCE && c.have_count && c.bytes)
        generate(c);
      else
        return true;
    }
    ssize_t n = send(fd, c.out.data() + c.out_at, c.out.size() - c.out_at, 0);
    if (n < 0)
      return errno == EAGAIN;
    c.out_at += static_cast<size_t>(n);
    if (c.kind == SOURCE)
      sourced += static_cast<uint64_t>(n);
  }
}

void readable(int fd, Conn& c)
{
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno != EAGAIN)
        finish(fd);
      return;
    }
    if (n == 0) {
      c.peer_done = true;
      if (c.kind == SINK) {
        char line[64];
        int len = std::snprintf(line, sizeof line, "%llu %08x\n",
                                static_cast<unsigned long long>(c.bytes), c.crc);
        c.out.insert(c.out.end(), line, line + len);
      }
      return;
    }
    switch (c.kind) {
    case ECHO:
      c.out.insert(c.out.end(), buf, buf + n);
      echoed += static_cast<uint64_t>(n);
      if (!flush(fd, c))
        return finish(fd);
      break;
    case SINK:
      c.bytes += static_cast<uint64_t>(n);
      c.crc = crc_update(c.crc, buf, static_cast<size_t>(n));
      sunk += static_cast<uint64_t>(n);
      break;
    case SOURCE:
      for (ssize_t i = 0; i < n && !c.have_count; i++) {
        c.line.push_back(static_cast<char>(buf[i]));
        if (c.line.size() == 8) {
          for (unsigned char ch : c.line)
            c.bytes = c.bytes << 8 | ch;
          c.have_count = true;
          if (!c.bytes)
            generate(c);
        }
      }
      break;
    case RESET:
      c.line.append(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
      if (c.line.find('\n') != std::string::npos) {
        linger l{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        resets++;
        return finish(fd);
      }
      break;
    default:
      break;
    }
  }
}

}  // namespace

int main()
{
  crc_init();
  const struct { uint16_t port; Kind kind; } ports[] = {
      {7, ECHO}, {9, SINK}, {19, SOURCE}, {13, RESET}, {99, QUIT}};
  std::map<int, Kind> listeners;
  for (auto& p : ports) {
    int fd = listen_on(p.port);
    if (fd < 0)
      return 1;
    listeners[fd] = p.kind;
  }
  std::printf("tcp_lab: listening on 7 9 19 13 99\n");
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    for (auto& [fd, kind] : listeners)
      fds.push_back(pollfd{fd, POLLIN, 0});
    for (auto& [fd, c] : conns) {
      short ev = c.peer_done ? 0 : POLLIN;
      if (c.out_at < c.out.size() || (c.kind == SOURCE && c.have_count && c.bytes))
        ev |= POLLOUT;
      fds.push_back(pollfd{fd, ev, 0});
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      std::printf("tcp_lab: poll: %s\n", std::strerror(errno));
      return 1;
    }
    for (auto& p : fds) {
      if (!p.revents)
        continue;
      auto l = listeners.find(p.fd);
      if (l != listeners.end()) {
        for (;;) {
          int c = accept4(p.fd, nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0)
            break;
          accepted++;
          if (l->second == QUIT) {
            std::printf("tcp_lab: %llu connections, %llu bytes echoed, %llu sunk, %llu sourced, "
                        "%llu resets\n", static_cast<unsigned long long>(accepted),
                        static_cast<unsigned long long>(echoed), static_cast<unsigned long long>(sunk),
                        static_cast<unsigned long long>(sourced), static_cast<unsigned long long>(resets));
            close(c);
            return 0;
          }
          conns[c].kind = l->second;
        }
        continue;
      }
      auto it = conns.find(p.fd);
      if (it == conns.end())
        continue;
      Conn& c = it->second;
      if (p.revents & (POLLIN | POLLHUP | POLLERR))
        readable(p.fd, c);
      if ((it = conns.find(p.fd)) == conns.end())
        continue;
      if (!flush(p.fd, c)) {
        finish(p.fd);
        continue;
      }
      // Done: everything sent and (for the kinds that wait for it) the
      // peer's side closed.
      bool sent = c.out_at == c.out.size() && !(c.kind == SOURCE && (!c.have_count || c.bytes));
      if (sent && (c.peer_done || (c.kind == SOURCE && c.have_count)))
        finish(p.fd);
    }
  }
}
