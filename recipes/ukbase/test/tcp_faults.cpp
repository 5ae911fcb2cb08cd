// ukbase selftest: TCP through a faulty link (test/faults.py drives it).
// A plain POSIX server: each connection starts with a 16-byte request
//
//   "UKTF" mode(1) reserved(3) seed(4, big endian) length(4, big endian)
//
// and then, by mode:
//   'U'  the peer sends `length` bytes of stream(seed); every byte is
//        checked in place; the answer is "OK <length>\n" or "BAD <offset>\n"
//   'D'  we send `length` bytes of stream(seed), then close
//   'B'  both at once (poll), then "OK <length>\n" after our part
//   'C'  we connect out to the peer's address, port `seed`, and send
//        `length` bytes of stream(port) there (an active open through the
//        same link), then answer "OK <length>\n" here
//   'Q'  print the counters and end the service
// stream(seed) is the byte pattern of test/faults.py: 256-byte chunks,
// chunk c being (k * 151 + h(c)) & 255 for k = 0..255, with h a hash of
// the chunk number and the seed; wrong, lost, repeated or reordered bytes
// all show at their offset.
#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <os>

namespace {

uint8_t stream_byte(uint32_t seed, uint64_t i)
{
  uint64_t c = i >> 8;
  uint32_t h = static_cast<uint32_t>((c * 2654435761u) >> 16) ^ seed ^ static_cast<uint32_t>(c >> 24);
  return static_cast<uint8_t>(((i & 255) * 151 + (h & 255)) & 255);
}

void fill(uint8_t* out, size_t n, uint32_t seed, uint64_t at)
{
  for (size_t k = 0; k < n; k++)
    out[k] = stream_byte(seed, at + k);
}

bool read_all(int fd, void* buf, size_t n)
{
  auto* p = static_cast<uint8_t*>(buf);
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r <= 0)
      return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool write_all(int fd, const void* buf, size_t n)
{
  auto* p = static_cast<const uint8_t*>(buf);
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w <= 0)
      return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void answer(int fd, const char* fmt, unsigned long long v)
{
  char line[64];
  int n = std::snprintf(line, sizeof line, fmt, v);
  write_all(fd, line, static_cast<size_t>(n));
}

unsigned retransmits(int fd)
{
  struct tcp_info info;
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
    return 0;
  return info.tcpi_total_retrans;
}

// Receive and check; returns the offset of the first wrong byte, or -1.
long long receive(int fd, uint32_t seed, uint64_t length, uint64_t& got)
{
  uint8_t buf[16384];
  got = 0;
  while (got < length) {
    size_t want = length - got < sizeof buf ? static_cast<size_t>(length - got) : sizeof buf;
    ssize_t r = read(fd, buf, want);
    if (r <= 0)
      return static_cast<long long>(got);
    for (ssize_t k = 0; k < r; k++)
      if (buf[k] != stream_byte(seed, got + static_cast<uint64_t>(k)))
        return static_cast<long long>(got + static_cast<uint64_t>(k));
    got += static_cast<uint64_t>(r);
  }
  return -1;
}

bool send_stream(int fd, uint32_t seed, uint64_t length)
{
  uint8_t buf[16384];
  for (uint64_t at = 0; at < length;) {
    size_t n = length - at < sizeof buf ? static_cast<size_t>(length - at) : sizeof buf;
    fill(buf, n, seed, at);
    if (!write_all(fd, buf, n))
      return false;
    at += n;
  }
  return true;
}

// Both directions at once on one connection, with poll.
bool both(int fd, uint32_t seed, uint64_t length)
{
  uint8_t out[16384], in[16384];
  uint64_t sent = 0, got = 0;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  size_t pending = 0, pending_at = 0;
  while (sent < length || got < length) {
    struct pollfd p{fd, static_cast<short>((got < length ? POLLIN : 0) | (sent < length ? POLLOUT : 0)), 0};
    if (poll(&p, 1, 30000) <= 0)
      return false;
    if (p.revents & POLLIN) {
      ssize_t r = read(fd, in, sizeof in);
      if (r < 0 && errno == EAGAIN)
        r = 0;
      else if (r <= 0)
        return false;
      for (ssize_t k = 0; k < r; k++)
        if (in[k] != stream_byte(seed ^ 0x5A5A5A5A, got + static_cast<uint64_t>(k))) {
          std::printf("faults: both: wrong byte at %llu\n", static_cast<unsigned long long>(got + k));
          return false;
        }
      got += static_cast<uint64_t>(r);
    }
    if ((p.revents & POLLOUT) && sent < length) {
      if (!pending) {
        pending = length - sent < sizeof out ? static_cast<size_t>(length - sent) : sizeof out;
        pending_at = 0;
        fill(out, pending, seed, sent);
      }
      ssize_t w = write(fd, out + pending_at, pending - pending_at);
      if (w < 0 && errno != EAGAIN)
        return false;
      if (w > 0) {
        pending_at += static_cast<size_t>(w);
        if (pending_at == pending) {
          sent += pending;
          pending = 0;
        }
      }
    }
    if (p.revents & (POLLERR | POLLHUP) && !(p.revents & POLLIN))
      return false;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return true;
}

bool connect_out(int control, uint16_t port, uint64_t length)
{
  struct sockaddr_in peer;
  socklen_t len = sizeof peer;
  if (getpeername(control, reinterpret_cast<sockaddr*>(&peer), &len) != 0)
    return false;
  peer.sin_port = htons(port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) {
    std::printf("faults: connect out to port %u: %s\n", port, std::strerror(errno));
    return false;
  }
  bool ok = send_stream(fd, port, length);
  std::printf("faults: C %llu bytes sent to port %u, %u retransmits\n",
              static_cast<unsigned long long>(length), port, retransmits(fd));
  close(fd);
  return ok;
}

}  // namespace

int main()
{
  int server = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(9000);
  if (bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(server, 16) != 0) {
    std::printf("faults: cannot listen: %s\n", std::strerror(errno));
    return 1;
  }
  std::printf("faults: listening on port 9000\n");
  unsigned connections = 0, failures = 0;
  for (;;) {
    int fd = accept(server, nullptr, nullptr);
    if (fd < 0) {
      std::printf("faults: accept: %s\n", std::strerror(errno));
      return 1;
    }
    connections++;
    uint8_t h[16];
    if (!read_all(fd, h, sizeof h) || std::memcmp(h, "UKTF", 4) != 0) {
      std::printf("faults: connection %u: bad request\n", connections);
      failures++;
      close(fd);
      continue;
    }
    char mode = static_cast<char>(h[4]);
    uint32_t seed = static_cast<uint32_t>(h[8]) << 24 | h[9] << 16 | h[10] << 8 | h[11];
    uint64_t length = static_cast<uint32_t>(h[12]) << 24 | h[13] << 16 | h[14] << 8 | h[15];
    bool ok = true;
    switch (mode) {
    case 'U': {
      uint64_t got;
      long long bad = receive(fd, seed, length, got);
      ok = bad < 0;
      if (ok)
        answer(fd, "OK %llu\n", length);
      else
        answer(fd, "BAD %llu\n", static_cast<unsigned long long>(bad));
      std::printf("faults: U %llu bytes %s, %u retransmits\n", static_cast<unsigned long long>(got),
                  ok ? "intact" : "WRONG", retransmits(fd));
      break;
    }
    case 'D':
      ok = send_stream(fd, seed, length);
      std::printf("faults: D %llu bytes sent, %u retransmits\n", static_cast<unsigned long long>(length),
                  retransmits(fd));
      break;
    case 'B':
      ok = both(fd, seed, length);
      if (ok)
        answer(fd, "OK %llu\n", length);
      std::printf("faults: B %llu bytes each way %s, %u retransmits\n",
                  static_cast<unsigned long long>(length), ok ? "intact" : "FAILED", retransmits(fd));
      break;
    case 'C':
      ok = connect_out(fd, static_cast<uint16_t>(seed), length);
      answer(fd, ok ? "OK %llu\n" : "BAD %llu\n", length);
      break;
    case 'Q':
      std::printf("faults: %u connections, %u failed\n", connections, failures);
      close(fd);
      close(server);
      return failures ? 1 : 0;
    default:
      ok = false;
    }
    if (!ok)
      failures++;
    close(fd);
  }
}
