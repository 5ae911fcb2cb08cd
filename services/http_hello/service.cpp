// http_hello: an HTTP/1.1 server on POSIX sockets and one epoll loop.
//
// Plain POSIX C++17 and nothing of the unikernel's own API, so that this
// very file also builds and runs as a Linux program (bench/tcp.py measures
// the unikernel against it):
//
//   g++ -O2 -std=c++17 -o http_hello service.cpp
//   ./http_hello --port 8080 --root services/http_hello/memdisk
//
// In the unikernel the same options come from [vm] cmdline, and the files
// from the memdisk (/memdisk).
//
// One thread, one epoll loop, every socket non-blocking. Each connection
// keeps what it has received (a request may arrive in pieces, several may
// arrive at once: pipelining) and an ordered queue of what it still has
// to send (bytes, or a range of a file sent with sendfile), so responses
// leave in the order of the requests, whatever the peer reads. A
// connection with a lot queued is not read from until it drains.
//
// Routes (GET and HEAD):
//   /          a small page
//   /hello     "Hello, world!" (the benchmark's target)
//   /big       big.txt from the root, with its CRC-32 in X-Content-CRC32
//   /<file>    any other file under the root
//   /stats     counters, one "name value" per line
//   /shutdown  answers, then the service ends and prints its counters
// and POST /upload, which counts and discards its body (bulk transfers
// towards the server). Other methods get 405, unknown paths 404, requests
// that are not HTTP 400.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

// ---------------------------------------------------------------------------
// Settings and counters

struct Options {
  int port = 80;
  std::string root = "/memdisk";
};

// What /stats shows and what is printed at the end.
struct Counters {
  uint64_t requests = 0;         // requests answered (any status)
  uint64_t status_2xx = 0, status_4xx = 0, status_5xx = 0;
  uint64_t connections = 0;      // accepted in all
  uint64_t open = 0;             // open now
  uint64_t max_open = 0;
  uint64_t bytes_in = 0;         // received, headers and bodies
  uint64_t bytes_out = 0;        // sent, headers and bodies
  uint64_t uploaded = 0;         // body bytes of POST /upload
  uint64_t wakeups = 0;          // epoll_wait calls that returned events
  uint64_t busy_ns = 0;          // time spent handling them (outside epoll_wait)
  uint64_t send_ns = 0;          // of which in send and sendfile
  uint64_t recv_ns = 0;          // of which in recv
};

Options options;
Counters counters;

uint64_t now_ns()
{
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// ---------------------------------------------------------------------------
// CRC-32 (the one of zlib and Python's zlib.crc32), for /big's checksum.

uint32_t crc32_update(uint32_t crc, const unsigned char* p, size_t n)
{
  static uint32_t table[256];
  if (table[1] == 0) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
  }
  crc = ~crc;
  while (n--)
    crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// The big file's path, size and CRC-32, read once at start with open/read.
struct BigFile {
  std::string path;
  off_t size = -1;               // -1: there is none
  uint32_t crc = 0;
};
BigFile big;

void load_big_file()
{
  big.path = options.root + "/big.txt";
  int fd = open(big.path.c_str(), O_RDONLY);
  if (fd < 0)
    return;
  std::vector<unsigned char> buf(64 * 1024);
  off_t size = 0;
  uint32_t crc = 0;
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    crc = crc32_update(crc, buf.data(), size_t(n));
    size += n;
  }
  close(fd);
  big.size = size;
  big.crc = crc;
}

// ---------------------------------------------------------------------------
// Connections

constexpr size_t READ_CHUNK = 64 * 1024;      // one recv
constexpr size_t MAX_HEADER = 16 * 1024;      // request line and headers
constexpr size_t OUT_LIMIT = 256 * 1024;      // queued output above which we stop reading
constexpr size_t FILE_CHUNK = 256 * 1024;     // one sendfile

// Something to send: bytes, or `left` bytes of an open file from `offset`.
struct Chunk {
  std::string data;
  size_t sent = 0;               // of data
  int file = -1;
  off_t offset = 0;
  size_t left = 0;
};

struct Connection {
  int fd = -1;
  std::string in;                // received, not yet parsed
  size_t scanned = 0;            // bytes of `in` known to hold no end of headers
  std::deque<Chunk> out;
  size_t queued = 0;             // bytes in `out` still to send
  uint32_t interest = 0;         // the epoll events asked for now

  // A request body being read (POST /upload counts it; any other is
  // discarded), and the response to send once it is all in.
  uint64_t body_left = 0;
  bool body_counts = false;
  std::string pending_response;
  bool pending_close = false;

  bool close_after = false;      // close once `out` is sent
  bool peer_done = false;        // the peer will send nothing more (FIN)
};

int epoll_fd = -1;
int listen_fd = -1;
std::unordered_map<int, std::unique_ptr<Connection>> connections;
bool shutdown_requested = false;

void close_file_chunks(Connection& c)
{
  for (auto& chunk : c.out)
    if (chunk.file >= 0)
      close(chunk.file);
  c.out.clear();
  c.queued = 0;
}

void drop(Connection& c)
{
  close_file_chunks(c);
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  counters.open--;
  connections.erase(c.fd);       // destroys c
}

// Ask epoll for what the connection can use now: input unless it has too
// much queued (or is done reading), output while anything is queued.
void update_interest(Connection& c)
{
  uint32_t want = 0;
  if (!c.peer_done && !c.close_after && c.queued < OUT_LIMIT && !shutdown_requested)
    want |= EPOLLIN;
  if (!c.out.empty())
    want |= EPOLLOUT;
  if (want == c.interest)
    return;
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = c.fd;
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
  c.interest = want;
}

void queue_bytes(Connection& c, std::string bytes)
{
  if (bytes.empty())
    return;
  c.queued += bytes.size();
  // Small responses to pipelined requests go out in one send.
  if (!c.out.empty() && c.out.back().file < 0 && c.out.back().data.size() < 64 * 1024) {
    c.out.back().data += bytes;
    return;
  }
  Chunk chunk;
  chunk.data = std::move(bytes);
  c.out.push_back(std::move(chunk));
}

void queue_file(Connection& c, int file, size_t size)
{
  Chunk chunk;
  chunk.file = file;
  chunk.left = size;
  c.queued += size;
  c.out.push_back(std::move(chunk));
}

// sendfile, or pread and send where the platform cannot sendfile to a socket.
bool use_sendfile = true;

ssize_t send_file_chunk(Connection& c, Chunk& chunk)
{
  size_t n = std::min(chunk.left, FILE_CHUNK);
  if (use_sendfile) {
    off_t offset = chunk.offset;
    ssize_t sent = sendfile(c.fd, chunk.file, &offset, n);
    if (sent >= 0 || (errno != EINVAL && errno != ENOSYS))
      return sent;
    use_sendfile = false;
    std::printf("http_hello: sendfile unavailable (%s), using pread and send\n", std::strerror(errno));
  }
  static std::vector<char> buf(FILE_CHUNK);
  ssize_t got = pread(chunk.file, buf.data(), n, chunk.offset);
  if (got <= 0)
    return got < 0 ? -1 : 0;
  return send(c.fd, buf.data(), size_t(got), 0);
}

// Sends what is queued until the socket is full. False: the connection is
// gone (the peer reset it, or went away).
bool flush(Connection& c)
{
  while (!c.out.empty()) {
    Chunk& chunk = c.out.front();
    ssize_t sent;
    uint64_t start = now_ns();
    if (chunk.file < 0)
      sent = send(c.fd, chunk.data.data() + chunk.sent, chunk.data.size() - chunk.sent, 0);
    else
      sent = send_file_chunk(c, chunk);
    counters.send_ns += now_ns() - start;
    if (sent < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return true;             // full: EPOLLOUT tells when to go on
      drop(c);                   // EPIPE, ECONNRESET, ...
      return false;
    }
    if (sent == 0 && chunk.file >= 0) {   // the file is shorter than it was
      drop(c);
      return false;
    }
    counters.bytes_out += uint64_t(sent);
    c.queued -= size_t(sent);
    if (chunk.file < 0) {
      chunk.sent += size_t(sent);
      if (chunk.sent < chunk.data.size())
        continue;
    } else {
      chunk.offset += sent;
      chunk.left -= size_t(sent);
      if (chunk.left > 0)
        continue;
      close(chunk.file);
    }
    c.out.pop_front();
  }
  return true;
}

// ---------------------------------------------------------------------------
// Requests and responses

const char* reason(int status)
{
  switch (status) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 411: return "Length Required";
  case 413: return "Content Too Large";
  case 431: return "Request Header Fields Too Large";
  case 501: return "Not Implemented";
  case 505: return "HTTP Version Not Supported";
  default: return "Unknown";
  }
}

std::string header(int status, uint64_t length, const char* type, bool closing,
                   const std::string& extra = "")
{
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  h += "Server: http_hello\r\n";
  h += "Content-Length: " + std::to_string(length) + "\r\n";
  if (length > 0 || type[0])
    h += std::string("Content-Type: ") + type + "\r\n";
  h += closing ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
  h += extra;
  h += "\r\n";
  return h;
}

void count_status(int status)
{
  counters.requests++;
  if (status < 300)
    counters.status_2xx++;
  else if (status < 500)
    counters.status_4xx++;
  else
    counters.status_5xx++;
}

// A whole response held in memory; HEAD gets the same header, no body.
std::string response(int status, const std::string& body, const char* type, bool closing,
                     bool head = false, const std::string& extra = "")
{
  count_status(status);
  std::string r = header(status, body.size(), type, closing, extra);
  if (!head)
    r += body;
  return r;
}

struct Request {
  std::string_view method, target, version;
  bool http10 = false;
  bool keep_alive = true;
  bool has_host = false;
  bool has_length = false;
  uint64_t length = 0;
  bool chunked = false;
};

bool is_token_char(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         std::strchr("!#$%&'*+-.^_`|~", ch) != nullptr;
}

bool is_token(std::string_view s)
{
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

bool iequals(std::string_view a, std::string_view b)
{
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::tolower((unsigned char)a[i]) != std::tolower((unsigned char)b[i]))
      return false;
  return true;
}

std::string_view trim(std::string_view s)
{
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Parses the request line and headers (`text` ends before the empty line;
// lines end in CRLF or a lone LF). Returns 0, or the status to answer with.
int parse(std::string_view text, Request& req)
{
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos)
      break;
    text.remove_prefix(nl + 1);
  }
  if (lines.empty())
    return 400;

  // method SP request-target SP HTTP-version
  std::string_view line = lines[0];
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return 400;
  req.method = line.substr(0, sp1);
  req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  req.version = line.substr(sp2 + 1);
  if (!is_token(req.method) || req.target.empty())
    return 400;
  for (char ch : req.target)
    if ((unsigned char)ch <= ' ' || ch == 0x7f)
      return 400;
  if (req.version == "HTTP/1.1")
    req.http10 = false;
  else if (req.version == "HTTP/1.0")
    req.http10 = true;
  else if (req.version.size() == 8 && req.version.substr(0, 5) == "HTTP/" &&
           std::isdigit((unsigned char)req.version[5]) && req.version[6] == '.' &&
           std::isdigit((unsigned char)req.version[7]))
    return 505;
  else
    return 400;
  req.keep_alive = !req.http10;

  for (size_t i = 1; i < lines.size(); i++) {
    std::string_view h = lines[i];
    if (h.empty() || h.front() == ' ' || h.front() == '\t')
      return 400;                // obsolete line folding is refused (RFC 9112 5.2)
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || !is_token(h.substr(0, colon)))
      return 400;                // includes whitespace before the colon
    std::string_view name = h.substr(0, colon), value = trim(h.substr(colon + 1));
    if (iequals(name, "host")) {
      if (req.has_host)
        return 400;
      req.has_host = true;
    } else if (iequals(name, "connection")) {
      // A comma-separated list of options.
      while (!value.empty()) {
        size_t comma = value.find(',');
        std::string_view option = trim(value.substr(0, comma));
        if (iequals(option, "close"))
          req.keep_alive = false;
        else if (iequals(option, "keep-alive") && req.http10)
          req.keep_alive = true;
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      }
    } else if (iequals(name, "content-length")) {
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), [](char ch) { return std::isdigit((unsigned char)ch); }))
        return 400;
      uint64_t length = std::strtoull(std::string(value).c_str(), nullptr, 10);
      if (req.has_length && length != req.length)
        return 400;
      req.has_length = true;
      req.length = length;
    } else if (iequals(name, "transfer-encoding")) {
      req.chunked = true;
    }
  }
  if (!req.http10 && !req.has_host)
    return 400;                  // HTTP/1.1 requires Host (RFC 9112 3.2)
  if (req.chunked)
    return req.has_length ? 400 : 501;
  return 0;
}

const char* content_type(const std::string& path)
{
  auto ends = [&](const char* s) {
    size_t n = std::strlen(s);
    return path.size() >= n && path.compare(path.size() - n, n, s) == 0;
  };
  if (ends(".html") || ends(".htm"))
    return "text/html; charset=utf-8";
  if (ends(".txt"))
    return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::string stats_text()
{
  std::string s;
  auto line = [&](const char* name, uint64_t v) {
    s += name;
    s += ' ';
    s += std::to_string(v);
    s += '\n';
  };
  line("requests", counters.requests);
  line("status_2xx", counters.status_2xx);
  line("status_4xx", counters.status_4xx);
  line("status_5xx", counters.status_5xx);
  line("connections", counters.connections);
  line("open", counters.open);
  line("max_open", counters.max_open);
  line("bytes_in", counters.bytes_in);
  line("bytes_out", counters.bytes_out);
  line("uploaded", counters.uploaded);
  line("wakeups", counters.wakeups);
  line("busy_ns", counters.busy_ns);
  line("send_ns", counters.send_ns);
  line("recv_ns", counters.recv_ns);
  line("monotonic_ns", now_ns());   // CLOCK_MONOTONIC: since boot
  return s;
}

const char* INDEX_PAGE =
    "<!DOCTYPE html>\n"
    "<html><head><title>http_hello</title></head>\n"
    "<body><h1>http_hello</h1>\n"
    "<p>An HTTP/1.1 server on POSIX sockets and epoll.</p>\n"
    "<ul><li><a href=\"/hello\">/hello</a></li><li><a href=\"/big\">/big</a></li>"
    "<li><a href=\"/stats\">/stats</a></li></ul>\n"
    "</body></html>\n";

// Queues the response to a GET or HEAD.
void respond_get(Connection& c, std::string_view target, bool head, bool closing)
{
  std::string path(target.substr(0, target.find('?')));
  if (path == "/") {
    queue_bytes(c, response(200, INDEX_PAGE, "text/html; charset=utf-8", closing, head));
    return;
  }
  if (path == "/hello") {
    queue_bytes(c, response(200, "Hello, world!\n", "text/plain", closing, head));
    return;
  }
  if (path == "/stats") {
    queue_bytes(c, response(200, stats_text(), "text/plain", closing, head));
    return;
  }
  if (path == "/shutdown") {
    queue_bytes(c, response(200, "shutting down\n", "text/plain", true, head));
    c.close_after = true;
    shutdown_requested = true;
    return;
  }
  // A file under the root: /big is big.txt; no "..", no hidden names.
  std::string extra;
  if (path == "/big") {
    path = "/big.txt";
    if (big.size >= 0) {
      char crc[16];
      std::snprintf(crc, sizeof crc, "%08x", unsigned(big.crc));
      extra = std::string("X-Content-CRC32: ") + crc + "\r\n";
    }
  }
  if (path.find("/.") != std::string::npos || path.find("//") != std::string::npos) {
    queue_bytes(c, response(404, "not found\n", "text/plain", closing, head));
    return;
  }
  std::string file = options.root + path;
  int fd = open(file.c_str(), O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0)
      close(fd);
    queue_bytes(c, response(404, "not found\n", "text/plain", closing, head));
    return;
  }
  count_status(200);
  queue_bytes(c, header(200, uint64_t(st.st_size), content_type(file), closing, extra));
  if (head || st.st_size == 0)
    close(fd);
  else
    queue_file(c, fd, size_t(st.st_size));
}

// The body of the current request is all in: queue the response that
// waited for it (POST /upload's).
void body_done(Connection& c)
{
  if (!c.pending_response.empty())
    queue_bytes(c, std::move(c.pending_response));
  c.pending_response.clear();
  if (c.pending_close)
    c.close_after = true;
  c.pending_close = false;
}

// Takes up to `n` bytes of a request body. Returns how many it took.
size_t take_body(Connection& c, size_t n)
{
  size_t used = size_t(std::min<uint64_t>(c.body_left, n));
  if (c.body_counts)
    counters.uploaded += used;
  c.body_left -= used;
  if (c.body_left == 0)
    body_done(c);
  return used;
}

// Parses and answers the whole requests in `c.in`, in order, while the
// output queue has room. True when it stopped for lack of room.
bool parse_requests(Connection& c)
{
  size_t pos = 0;
  bool stalled = false;
  while (!c.close_after) {
    if (c.queued >= OUT_LIMIT) {
      stalled = true;
      break;
    }
    // The rest of a request body: counted (upload) or skipped.
    if (c.body_left > 0) {
      pos += take_body(c, c.in.size() - pos);
      if (c.body_left > 0)
        break;
      continue;
    }
    // Empty lines before a request line are ignored (RFC 9112 2.2).
    while (pos < c.in.size() && (c.in[pos] == '\r' || c.in[pos] == '\n'))
      pos++;
    if (pos == c.in.size())
      break;
    // The end of the headers: an empty line, after CRLF or a lone LF.
    // Only what arrived since the last look is searched.
    size_t from = std::max(pos, c.scanned > 2 ? c.scanned - 2 : size_t(0));
    size_t end = std::string::npos, body = 0;
    for (size_t i = from; i < c.in.size(); i++) {
      if (c.in[i] != '\n')
        continue;
      if (i + 1 < c.in.size() && c.in[i + 1] == '\n') {
        end = i + 1, body = i + 2;
        break;
      }
      if (i + 2 < c.in.size() && c.in[i + 1] == '\r' && c.in[i + 2] == '\n') {
        end = i + 1, body = i + 3;
        break;
      }
    }
    if (end == std::string::npos) {
      c.scanned = c.in.size();
      if (c.in.size() - pos > MAX_HEADER) {
        queue_bytes(c, response(431, "request header too large\n", "text/plain", true));
        c.close_after = true;
      }
      break;
    }
    c.scanned = 0;
    std::string_view text(c.in.data() + pos, end - pos);
    pos = body;

    Request req;
    int status = parse(text, req);
    if (status != 0) {
      // Where the next request would start is unknown: answer and close.
      const char* why = status == 400 ? "malformed request\n" : "not supported\n";
      queue_bytes(c, response(status, why, "text/plain", true));
      c.close_after = true;
      break;
    }
    bool closing = !req.keep_alive || shutdown_requested;
    bool head = req.method == "HEAD";
    std::string path(req.target.substr(0, req.target.find('?')));
    if (req.method == "POST" && path == "/upload") {
      if (!req.has_length) {
        queue_bytes(c, response(411, "Content-Length required\n", "text/plain", true));
        c.close_after = true;
        break;
      }
      // Answered once the whole body is in.
      c.body_left = req.length;
      c.body_counts = true;
      c.pending_response = response(200, "received " + std::to_string(req.length) + " bytes\n",
                                    "text/plain", closing);
      c.pending_close = closing;
      if (c.body_left == 0)
        body_done(c);
      continue;
    }
    if ((req.method == "GET" || head) && path != "/upload") {
      respond_get(c, req.target, head, closing);
    } else {
      const char* allow = path == "/upload" ? "Allow: POST\r\n" : "Allow: GET, HEAD\r\n";
      queue_bytes(c, response(405, "method not allowed\n", "text/plain", closing, false, allow));
    }
    if (closing) {
      c.close_after = true;
      break;
    }
    // A body nobody asked for is skipped before the next request.
    c.body_left = req.length;
    c.body_counts = false;
  }
  c.in.erase(0, pos);
  c.scanned = c.scanned >= pos ? c.scanned - pos : 0;
  return stalled;
}

// Answers what can be answered and sends what can be sent; closes the
// connection when it is done. False: the connection is gone.
bool progress(Connection& c)
{
  for (;;) {
    bool stalled = parse_requests(c);
    if (!flush(c))
      return false;
    // Sending made room for the answers to requests already received.
    if (!stalled || c.queued >= OUT_LIMIT)
      break;
  }
  // Done: after a response that closes, or once the peer has finished
  // sending and everything it asked for is sent (a request it left
  // incomplete will never be answered).
  if (c.out.empty() && (c.close_after || c.peer_done)) {
    drop(c);
    return false;
  }
  update_interest(c);
  return true;
}

void on_readable(Connection& c)
{
  static std::vector<char> buf(READ_CHUNK);
  // A bounded amount per wake-up, so that one busy peer cannot starve the
  // others; level-triggered epoll reports the rest.
  for (int rounds = 0; rounds < 4 && !c.close_after && c.queued < OUT_LIMIT; rounds++) {
    uint64_t start = now_ns();
    ssize_t n = recv(c.fd, buf.data(), buf.size(), 0);
    counters.recv_ns += now_ns() - start;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      drop(c);
      return;
    }
    if (n == 0) {
      c.peer_done = true;
      break;
    }
    counters.bytes_in += uint64_t(n);
    // Upload bodies are counted straight from the receive buffer.
    size_t used = c.body_left > 0 && c.in.empty() ? take_body(c, size_t(n)) : 0;
    c.in.append(buf.data() + used, size_t(n) - used);
    if (size_t(n) < buf.size() || !c.in.empty())
      break;                     // drained, or requests to parse
  }
  progress(c);
}

void on_accept()
{
  for (;;) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
        std::printf("http_hello: accept: %s\n", std::strerror(errno));
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   // best effort
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->interest = EPOLLIN;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      std::printf("http_hello: epoll_ctl: %s\n", std::strerror(errno));
      close(fd);
      continue;
    }
    counters.connections++;
    counters.open++;
    counters.max_open = std::max(counters.max_open, counters.open);
    connections[fd] = std::move(c);
  }
}

bool parse_options(int argc, const char* argv[])
{
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      options.port = std::atoi(argv[++i]);
      if (options.port <= 0 || options.port > 65535)
        return false;
    } else if (arg == "--root" && i + 1 < argc) {
      options.root = argv[++i];
      while (options.root.size() > 1 && options.root.back() == '/')
        options.root.pop_back();
    } else {
      return false;
    }
  }
  return true;
}

void print_counters()
{
  std::printf("http_hello: %llu requests (%llu 2xx, %llu 4xx, %llu 5xx), %llu connections "
              "(at most %llu at once), %llu bytes in, %llu bytes out, %llu uploaded\n",
              (unsigned long long)counters.requests, (unsigned long long)counters.status_2xx,
              (unsigned long long)counters.status_4xx, (unsigned long long)counters.status_5xx,
              (unsigned long long)counters.connections, (unsigned long long)counters.max_open,
              (unsigned long long)counters.bytes_in, (unsigned long long)counters.bytes_out,
              (unsigned long long)counters.uploaded);
}

}  // namespace

int main(int argc, const char* argv[])
{
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (!parse_options(argc, argv)) {
    std::printf("usage: http_hello [--port N] [--root DIR]\n");
    return 2;
  }
  // A peer gone mid-send is an error from send (EPIPE), not a signal.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);
  load_big_file();

  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd < 0) {
    std::printf("http_hello: socket: %s\n", std::strerror(errno));
    return 1;
  }
  int one = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(options.port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd, 128) != 0) {
    std::printf("http_hello: port %d: %s\n", options.port, std::strerror(errno));
    return 1;
  }
  fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);

  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd;
  if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev) != 0) {
    std::printf("http_hello: epoll: %s\n", std::strerror(errno));
    return 1;
  }

  if (big.size >= 0)
    std::printf("http_hello: /big is %s, %lld bytes, crc32 %08x\n", big.path.c_str(),
                (long long)big.size, unsigned(big.crc));
  else
    std::printf("http_hello: no big.txt under %s\n", options.root.c_str());
  std::printf("http_hello: listening on port %d, root %s\n", options.port, options.root.c_str());

  // The loop. After /shutdown: no new connections or requests; what is
  // queued still goes out, for at most two seconds.
  std::vector<epoll_event> events(256);
  uint64_t stop_deadline = 0;
  for (;;) {
    if (shutdown_requested) {
      if (listen_fd >= 0) {
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
        close(listen_fd);
        listen_fd = -1;
        stop_deadline = now_ns() + 2000000000ull;
        for (auto& [fd, c] : connections)
          update_interest(*c);
      }
      bool idle = std::all_of(connections.begin(), connections.end(),
                              [](auto& kv) { return kv.second->out.empty(); });
      if (idle || now_ns() > stop_deadline)
        break;
    }
    int n = epoll_wait(epoll_fd, events.data(), int(events.size()), shutdown_requested ? 100 : -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      std::printf("http_hello: epoll_wait: %s\n", std::strerror(errno));
      return 1;
    }
    if (n == 0)
      continue;
    uint64_t start = now_ns();
    counters.wakeups++;
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == listen_fd) {
        on_accept();
        continue;
      }
      auto it = connections.find(fd);
      if (it == connections.end())
        continue;                // dropped earlier in this round
      Connection& c = *it->second;
      uint32_t e = events[i].events;
      if ((e & EPOLLERR) && !(e & EPOLLIN)) {
        drop(c);
        continue;
      }
      if ((e & EPOLLIN) || ((e & EPOLLHUP) && !c.peer_done))
        on_readable(c);
      else if (e & EPOLLOUT)
        progress(c);
    }
    counters.busy_ns += now_ns() - start;
  }

  while (!connections.empty())
    drop(*connections.begin()->second);
  if (listen_fd >= 0)
    close(listen_fd);
  close(epoll_fd);
  print_counters();
  return 0;
}
