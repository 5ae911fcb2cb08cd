// ukbase selftest: the POSIX descriptor, socket and waiting calls a Linux
// program makes, with the errno values it expects. Booted with QEMU user
// networking; the command line gives the host's ports (test/devices.py):
//   posix <open port> <closed port>
// where <open port> is a TCP server on the host that sends "hello\n" and
// then reads until EOF, and nothing listens on <closed port>. Every check
// prints "[posix] ok <what>" or "[posix] FAIL <what>: <detail>".
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

namespace {

int failures = 0;

void check(bool ok, const char* what, const char* detail = "")
{
  if (ok)
    std::printf("[posix] ok %s\n", what);
  else {
    std::printf("[posix] FAIL %s: %s (errno %d %s)\n", what, detail, errno, std::strerror(errno));
    failures++;
  }
}

// The call failed with exactly this errno.
bool fails_with(long r, int err)
{
  return r < 0 && errno == err;
}

double now()
{
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

sockaddr_in host(uint16_t port)
{
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "10.0.2.2", &a.sin_addr);
  return a;
}

void descriptors()
{
  int p[2];
  errno = 0;
  check(close(STDOUT_FILENO) == -1 && errno == EBADF,
        "close(1) fails with EBADF: the console stays open, as on IncludeOS");
  check(write(STDOUT_FILENO, "", 0) == 0 && fcntl(STDOUT_FILENO, F_GETFD) == 0,
        "descriptor 1 after close(1)");
  check(pipe(p) == 0, "pipe");
  check(write(p[1], "abc", 3) == 3, "pipe: write");
  int n = 0;
  check(ioctl(p[0], FIONREAD, &n) == 0 && n == 3, "pipe: FIONREAD");
  char buf[16];
  check(read(p[0], buf, sizeof buf) == 3 && std::memcmp(buf, "abc", 3) == 0, "pipe: read");
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  check(fails_with(read(p[0], buf, sizeof buf), EAGAIN), "pipe: empty and O_NONBLOCK: EAGAIN");
  check((fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0, "fcntl F_GETFL shows O_NONBLOCK");
  int d = dup(p[1]);
  check(d > 2, "dup");
  close(p[1]);
  check(write(d, "x", 1) == 1, "a dup keeps the pipe open");
  close(d);
  check(read(p[0], buf, 1) == 1 && read(p[0], buf, 1) == 0, "pipe: end of file once every writer closed");
  int q[2];
  pipe(q);
  close(q[0]);
  check(fails_with(write(q[1], "x", 1), EPIPE), "pipe: no reader: EPIPE, and the service goes on");
  close(q[1]);
  close(p[0]);
  check(fails_with(close(p[0]), EBADF), "close twice: EBADF");
  check(fails_with(read(999, buf, 1), EBADF), "read on a descriptor never opened: EBADF");
  check(dup2(1, 50) == 50 && write(50, "", 0) == 0 && close(50) == 0, "dup2 onto a chosen number");
}

void eventfd_and_epoll()
{
  int e = eventfd(0, EFD_NONBLOCK);
  check(e >= 0, "eventfd");
  uint64_t v = 0;
  check(fails_with(read(e, &v, 8), EAGAIN), "eventfd: zero count: EAGAIN");
  v = 5;
  write(e, &v, 8);
  v = 2;
  write(e, &v, 8);
  check(read(e, &v, 8) == 8 && v == 7, "eventfd: writes add up");

  int ep = epoll_create1(EPOLL_CLOEXEC);
  check(ep >= 0, "epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 42;
  check(epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev) == 0, "epoll_ctl ADD");
  check(fails_with(epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev), EEXIST), "epoll_ctl ADD twice: EEXIST");
  epoll_event out[4];
  check(epoll_wait(ep, out, 4, 0) == 0, "epoll_wait: nothing ready");
  v = 1;
  write(e, &v, 8);
  int r = epoll_wait(ep, out, 4, 0);
  check(r == 1 && out[0].data.u64 == 42 && (out[0].events & EPOLLIN), "epoll_wait: ready, with its data");
  check(epoll_wait(ep, out, 4, 0) == 1, "level-triggered: still ready until read");
  read(e, &v, 8);
  check(epoll_wait(ep, out, 4, 0) == 0, "level-triggered: not ready once read");
  ev.events = EPOLLIN | EPOLLET;
  epoll_ctl(ep, EPOLL_CTL_MOD, e, &ev);
  write(e, &v, 8);
  check(epoll_wait(ep, out, 4, 0) == 1 && epoll_wait(ep, out, 4, 0) == 0,
        "edge-triggered: reported once per change");
  write(e, &v, 8);
  check(epoll_wait(ep, out, 4, 0) == 1, "edge-triggered: a new change reports again");
  read(e, &v, 8);
  ev.events = EPOLLIN | EPOLLONESHOT;
  epoll_ctl(ep, EPOLL_CTL_MOD, e, &ev);
  write(e, &v, 8);
  check(epoll_wait(ep, out, 4, 0) == 1 && epoll_wait(ep, out, 4, 0) == 0, "one-shot: disarmed once reported");
  epoll_ctl(ep, EPOLL_CTL_MOD, e, &ev);
  check(epoll_wait(ep, out, 4, 0) == 1, "one-shot: rearmed by EPOLL_CTL_MOD");
  double t0 = now();
  read(e, &v, 8);
  check(epoll_wait(ep, out, 4, 50) == 0 && now() - t0 >= 0.045, "epoll_wait: the timeout is waited");
  close(e);
  check(epoll_wait(ep, out, 4, 0) == 0, "a closed descriptor leaves the epoll set");
  int f = open("/", O_RDONLY | O_DIRECTORY);
  check(f < 0 || fails_with(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM), "epoll of a folder: EPERM");
  if (f >= 0)
    close(f);
  close(ep);

  int p[2];
  pipe(p);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(p[0], &rd);
  timeval tv{0, 20000};
  check(select(p[0] + 1, &rd, nullptr, nullptr, &tv) == 0, "select: times out");
  write(p[1], "x", 1);
  FD_SET(p[0], &rd);
  tv = {1, 0};
  check(select(p[0] + 1, &rd, nullptr, nullptr, &tv) == 1 && FD_ISSET(p[0], &rd), "select: readable");
  pollfd pf{p[0], POLLIN, 0};
  check(poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN), "poll: readable");
  close(p[1]);
  read(p[0], &v, 1);
  check(poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP), "poll: POLLHUP once the writer is gone");
  close(p[0]);
  pollfd bad{1000, POLLIN, 0};
  check(poll(&bad, 1, 0) == 1 && bad.revents == POLLNVAL, "poll: POLLNVAL for a closed descriptor");
}

void socket_errors()
{
  check(fails_with(socket(AF_INET6, SOCK_DGRAM, 0), EAFNOSUPPORT), "UDP over IPv6: EAFNOSUPPORT");
  int s6 = socket(AF_INET6, SOCK_STREAM, 0);
  int domain = 0;
  socklen_t dlen = sizeof domain;
  check(s6 >= 0 && getsockopt(s6, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 && domain == AF_INET6,
        "socket(AF_INET6, SOCK_STREAM): SO_DOMAIN is AF_INET6");
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  check(fails_with(bind(s6, (sockaddr*)&v4, sizeof v4), EINVAL), "an IPv6 socket: bind(sockaddr_in) EINVAL");
  sockaddr_in6 loop6{};
  loop6.sin6_family = AF_INET6;
  loop6.sin6_port = htons(9);
  loop6.sin6_addr.s6_addr[15] = 1;
  check(fails_with(connect(s6, (sockaddr*)&loop6, sizeof loop6), ECONNREFUSED), "connect([::1]): ECONNREFUSED");
  close(s6);
  check(fails_with(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPROTONOSUPPORT), "raw socket: EPROTONOSUPPORT");
  check(fails_with(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT), "TCP with UDP: EPROTONOSUPPORT");
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  check(s >= 0 && (fcntl(s, F_GETFL) & O_NONBLOCK) && (fcntl(s, F_GETFD) & FD_CLOEXEC),
        "SOCK_NONBLOCK | SOCK_CLOEXEC");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(7777);
  check(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0, "bind");
  check(fails_with(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), EINVAL), "bind twice: EINVAL");
  int t = socket(AF_INET, SOCK_STREAM, 0);
  check(fails_with(bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a), EADDRINUSE), "the same port: EADDRINUSE");
  check(fails_with(bind(t, reinterpret_cast<sockaddr*>(&a), 1), EINVAL), "a short address: EINVAL");
  sockaddr_in other = a;
  inet_pton(AF_INET, "192.0.2.1", &other.sin_addr);
  other.sin_port = htons(7778);
  check(fails_with(bind(t, reinterpret_cast<sockaddr*>(&other), sizeof other), EADDRNOTAVAIL),
        "someone else's address: EADDRNOTAVAIL");
  check(listen(s, 4) == 0, "listen");
  check(fails_with(accept(s, nullptr, nullptr), EAGAIN), "accept, nothing waiting, O_NONBLOCK: EAGAIN");
  int yes = 1, got = 0;
  socklen_t len = sizeof got;
  check(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &got, &len) == 0 && got == 1, "SO_ACCEPTCONN");
  check(fails_with(send(t, "x", 1, 0), EPIPE), "send on a socket never connected: EPIPE");
  char c;
  check(fails_with(recv(t, &c, 1, 0), ENOTCONN), "recv on a socket never connected: ENOTCONN");
  check(setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes) == 0
        && getsockopt(t, IPPROTO_TCP, TCP_NODELAY, &got, &len) == 0 && got == 1, "TCP_NODELAY set and read back");
  check(fails_with(setsockopt(t, SOL_SOCKET, 12345, &yes, sizeof yes), ENOPROTOOPT), "an unknown option: ENOPROTOOPT");
  sockaddr_in name{};
  len = sizeof name;
  check(getsockname(s, reinterpret_cast<sockaddr*>(&name), &len) == 0 && ntohs(name.sin_port) == 7777,
        "getsockname of a listener");
  len = sizeof name;
  check(fails_with(getpeername(s, reinterpret_cast<sockaddr*>(&name), &len), ENOTCONN), "getpeername of a listener: ENOTCONN");
  close(s);
  check(bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0, "the port is free again once closed");
  close(t);
  check(fails_with(shutdown(1, SHUT_RDWR), ENOTSOCK), "shutdown of the console: ENOTSOCK");

  // Out of descriptors: EMFILE, and everything works again once some close.
  int opened[1100];
  int n = 0;
  while (n < 1100 && (opened[n] = socket(AF_INET, SOCK_DGRAM, 0)) >= 0)
    n++;
  check(n > 1000 && n < 1100 && errno == EMFILE, "out of descriptors: EMFILE");
  for (int i = 0; i < n; i++)
    close(opened[i]);
  int again = socket(AF_INET, SOCK_STREAM, 0);
  check(again >= 0 && again < 10, "descriptors are reused once closed");
  close(again);
}

void tcp_to_host(uint16_t open_port, uint16_t closed_port)
{
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  char port_text[8];
  std::snprintf(port_text, sizeof port_text, "%u", open_port);
  check(getaddrinfo("10.0.2.2", port_text, &hints, &res) == 0 && res, "getaddrinfo of a numeric address");

  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in closed = host(closed_port);
  check(fails_with(connect(s, reinterpret_cast<sockaddr*>(&closed), sizeof closed), ECONNREFUSED),
        "connect to a closed port: ECONNREFUSED");
  close(s);

  s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  check(res && fails_with(connect(s, res->ai_addr, res->ai_addrlen), EINPROGRESS), "non-blocking connect: EINPROGRESS");
  pollfd pf{s, POLLOUT, 0};
  check(poll(&pf, 1, 10000) == 1 && (pf.revents & POLLOUT), "poll: writable once connected");
  int err = -1;
  socklen_t len = sizeof err;
  check(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0, "SO_ERROR 0 after a successful connect");
  if (res)
    check(fails_with(connect(s, res->ai_addr, res->ai_addrlen), EISCONN), "connect again: EISCONN");
  char buf[64];
  pf.events = POLLIN;
  check(poll(&pf, 1, 10000) == 1 && recv(s, buf, sizeof buf, 0) == 6 && std::memcmp(buf, "hello\n", 6) == 0,
        "recv what the host sent");
  check(fails_with(recv(s, buf, sizeof buf, 0), EAGAIN), "recv with nothing there, O_NONBLOCK: EAGAIN");
  int flags = fcntl(s, F_GETFL);
  fcntl(s, F_SETFL, flags & ~O_NONBLOCK);
  timeval tv{0, 200000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  double t0 = now();
  long r = recv(s, buf, sizeof buf, 0);
  double waited = now() - t0;
  check(fails_with(r, EAGAIN) && waited >= 0.18 && waited < 2, "SO_RCVTIMEO: EAGAIN after the timeout");
  sockaddr_in peer{};
  len = sizeof peer;
  check(getpeername(s, reinterpret_cast<sockaddr*>(&peer), &len) == 0 && peer.sin_port == htons(open_port),
        "getpeername");
  // "bye": the host resets the connection. recv says so once, then
  // writes answer EPIPE, without killing the service (no SIGPIPE).
  check(send(s, "bye\n", 4, 0) == 4, "send");
  check(fails_with(recv(s, buf, sizeof buf, 0), ECONNRESET), "recv after the host's RST: ECONNRESET");
  check(fails_with(send(s, "x", 1, 0), EPIPE), "send after the RST: EPIPE");
  close(s);

  // "fin": the host closes; we read end of file, and can still write
  // (half-close) until we shut our side down.
  s = socket(AF_INET, SOCK_STREAM, 0);
  check(res && connect(s, res->ai_addr, res->ai_addrlen) == 0, "blocking connect");
  check(recv(s, buf, 6, MSG_WAITALL) == 6, "recv MSG_WAITALL");
  check(send(s, "fin\n", 4, 0) == 4, "send");
  check(recv(s, buf, sizeof buf, 0) == 0, "end of file once the host closed");
  pollfd hup{s, POLLIN | POLLRDHUP, 0};
  check(poll(&hup, 1, 0) == 1 && (hup.revents & POLLRDHUP), "poll: POLLRDHUP after the peer's FIN");
  check(shutdown(s, SHUT_WR) == -1 && errno == ENOTCONN, "shutdown once everything was read: ENOTCONN "
        "(IncludeOS's answer), the FIN goes out all the same");
  check(fails_with(send(s, "x", 1, 0), EPIPE), "send after shutdown(SHUT_WR): EPIPE");
  close(s);
  freeaddrinfo(res);
}

void udp()
{
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  check(fails_with(send(u, "x", 1, 0), EDESTADDRREQ), "UDP send, not connected: EDESTADDRREQ");
  sockaddr_in bcast{};
  bcast.sin_family = AF_INET;
  bcast.sin_port = htons(9);
  bcast.sin_addr.s_addr = INADDR_BROADCAST;
  check(fails_with(sendto(u, "x", 1, 0, reinterpret_cast<sockaddr*>(&bcast), sizeof bcast), EACCES),
        "broadcast without SO_BROADCAST: EACCES");
  char big[65508];
  sockaddr_in h = host(9);
  check(fails_with(sendto(u, big, sizeof big, 0, reinterpret_cast<sockaddr*>(&h), sizeof h), EMSGSIZE),
        "a datagram over 65507 bytes: EMSGSIZE");
  close(u);
}

}  // namespace

int main(int argc, char** argv)
{
  if (argc < 3) {
    std::printf("usage: posix <open port> <closed port>\n");
    return 2;
  }
  descriptors();
  eventfd_and_epoll();
  socket_errors();
  tcp_to_host(static_cast<uint16_t>(std::atoi(argv[1])), static_cast<uint16_t>(std::atoi(argv[2])));
  udp();
  std::printf("[posix] %d failed\n", failures);
  return failures ? 1 : 0;
}
