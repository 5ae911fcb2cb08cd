// The harness: checks, the simulated host, the raw peer's own segment
// builder and parser, and the fixture's handshake helpers.
#include "harness.hpp"

#include <cstring>

namespace tt {

Results& results()
{
  static Results r;
  return r;
}

void group(const char* name) { results().group = name; }

void check(bool ok, const char* what) { check(ok, what, "true", "false"); }

void check(bool ok, const char* what, const std::string& expected, const std::string& got)
{
  Results& r = results();
  if (ok) {
    r.passed++;
    if (r.verbose)
      std::printf("ok   %s: %s\n", r.group.c_str(), what);
  } else {
    r.failed++;
    std::printf("FAIL %s: %s: expected %s, got %s\n", r.group.c_str(), what, expected.c_str(),
                got.c_str());
  }
  std::fflush(stdout);
}

void check_num(const char* what, bool ok, const char* rel, uint64_t expected, uint64_t got,
               bool is_signed)
{
  auto str = [&](uint64_t v) {
    return is_signed ? std::to_string(int64_t(v)) : std::to_string(v);
  };
  check(ok, what, ok ? std::string() : rel + str(expected), ok ? std::string() : str(got));
}

void check_eq(const char* what, const char* expected, const char* got)
{
  check(std::strcmp(expected, got) == 0, what, expected, got);
}

std::string ip(uint32_t a)
{
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "."
         + std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

static bool little_endian()
{
  const uint16_t one = 1;
  uint8_t b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

void fill_pattern(uint8_t* p, size_t n, uint64_t stream, uint64_t from)
{
  static const bool le = little_endian();
  while (n && ((from & 7) || !le)) {
    *p++ = pattern(stream, from++);
    n--;
  }
  for (; n >= 8; n -= 8, p += 8, from += 8) {
    uint64_t w = pattern_word(stream, from >> 3);
    std::memcpy(p, &w, 8);
  }
  for (; n; n--)
    *p++ = pattern(stream, from++);
}

bool check_pattern(const uint8_t* p, size_t n, uint64_t stream, uint64_t from)
{
  static const bool le = little_endian();
  while (n && ((from & 7) || !le)) {
    if (*p++ != pattern(stream, from++))
      return false;
    n--;
  }
  for (; n >= 8; n -= 8, p += 8, from += 8) {
    uint64_t w = pattern_word(stream, from >> 3), got;
    std::memcpy(&got, p, 8);
    if (got != w)
      return false;
  }
  for (; n; n--)
    if (*p++ != pattern(stream, from++))
      return false;
  return true;
}

std::vector<uint8_t> bytes_of(uint64_t stream, uint64_t from, size_t n)
{
  std::vector<uint8_t> v(n);
  fill_pattern(v.data(), n, stream, from);
  return v;
}

// ---- the simulated host ------------------------------------------------------------------

void Sim_host::random(void* buf, size_t len)
{
  auto* p = static_cast<uint8_t*>(buf);
  for (size_t i = 0; i < len; i++)
    p[i] = uint8_t(rng());
}

bool Sim_host::transmit(uint32_t src, uint32_t dst, size_t len, Segment_writer& w)
{
  if (fail_transmit)
    return false;
  Packet p{src, dst, std::vector<uint8_t>(len)};
  w.write(p.bytes.data());
  if (sink)
    sink(std::move(p));
  else
    out.push_back(std::move(p));
  return true;
}

// ---- segments ------------------------------------------------------------------------------

static uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t* p)
{
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
static void wr16(std::vector<uint8_t>& v, uint16_t x)
{
  v.push_back(uint8_t(x >> 8));
  v.push_back(uint8_t(x));
}
static void wr32(std::vector<uint8_t>& v, uint32_t x)
{
  wr16(v, uint16_t(x >> 16));
  wr16(v, uint16_t(x));
}

uint16_t ref_checksum(uint32_t src, uint32_t dst, const uint8_t* p, size_t len)
{
  uint32_t sum = (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF) + 6 + uint32_t(len);
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += uint32_t(p[i]) << 8 | p[i + 1];
  if (len & 1)
    sum += uint32_t(p[len - 1]) << 8;
  while (sum >> 16)
    sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(~sum);
}

Seg parse(const Packet& p)
{
  Seg s;
  const std::vector<uint8_t>& b = p.bytes;
  if (b.size() < 20) {
    s.checksum_ok = false;
    return s;
  }
  s.sport = be16(&b[0]);
  s.dport = be16(&b[2]);
  s.seq = be32(&b[4]);
  s.ack = be32(&b[8]);
  s.header_len = size_t(b[12] >> 4) * 4;
  s.flags = b[13];
  s.wnd = be16(&b[14]);
  s.checksum_ok = ref_checksum(p.src, p.dst, b.data(), b.size()) == 0;
  size_t i = 20;
  while (i < s.header_len && i < b.size()) {
    uint8_t kind = b[i];
    if (kind == 0)
      break;
    if (kind == 1) {
      i++;
      continue;
    }
    uint8_t len = b[i + 1];
    if (len < 2)
      break;
    if (kind == 2)
      s.mss = be16(&b[i + 2]);
    else if (kind == 3)
      s.ws = b[i + 2];
    else if (kind == 4)
      s.sack_ok = true;
    else if (kind == 8) {
      s.ts = true;
      s.tsval = be32(&b[i + 2]);
      s.tsecr = be32(&b[i + 6]);
    } else if (kind == 5) {
      for (size_t k = i + 2; k + 8 <= size_t(i + len); k += 8)
        s.sacks.push_back({be32(&b[k]), be32(&b[k + 4])});
    }
    i += len;
  }
  if (s.header_len <= b.size())
    s.data.assign(b.begin() + long(s.header_len), b.end());
  return s;
}

std::vector<uint8_t> build(const Seg& s, uint32_t src, uint32_t dst)
{
  std::vector<uint8_t> opt;
  if (s.mss >= 0) {
    opt.push_back(2), opt.push_back(4);
    wr16(opt, uint16_t(s.mss));
  }
  if (s.sack_ok)
    opt.insert(opt.end(), {1, 1, 4, 2});
  if (s.ts) {
    opt.insert(opt.end(), {1, 1, 8, 10});
    wr32(opt, s.tsval);
    wr32(opt, s.tsecr);
  }
  if (s.ws >= 0)
    opt.insert(opt.end(), {1, 3, 3, uint8_t(s.ws)});
  if (!s.sacks.empty()) {
    opt.insert(opt.end(), {1, 1, 5, uint8_t(2 + 8 * s.sacks.size())});
    for (auto& b : s.sacks) {
      wr32(opt, b.first);
      wr32(opt, b.second);
    }
  }
  while (opt.size() % 4)
    opt.push_back(0);
  std::vector<uint8_t> v;
  wr16(v, s.sport);
  wr16(v, s.dport);
  wr32(v, s.seq);
  wr32(v, s.ack);
  v.push_back(uint8_t((20 + opt.size()) / 4 << 4));
  v.push_back(s.flags);
  wr16(v, s.wnd);
  wr16(v, 0);
  wr16(v, 0);
  v.insert(v.end(), opt.begin(), opt.end());
  v.insert(v.end(), s.data.begin(), s.data.end());
  uint16_t sum = ref_checksum(src, dst, v.data(), v.size());
  v[16] = uint8_t(sum >> 8);
  v[17] = uint8_t(sum);
  return v;
}

std::string Seg::str() const
{
  std::string f;
  const char* names = "FSRPAU";
  for (int i = 0; i < 6; i++)
    if (flags & (1 << i))
      f += names[i];
  std::string s = std::to_string(sport) + ">" + std::to_string(dport) + " [" + f + "] seq "
                  + std::to_string(seq) + " ack " + std::to_string(ack) + " wnd "
                  + std::to_string(wnd) + " len " + std::to_string(data.size());
  for (auto& b : sacks)
    s += " sack " + std::to_string(b.first) + "-" + std::to_string(b.second);
  return s;
}

// ---- the fixture -----------------------------------------------------------------------------

Fixture::Fixture(Config c, uint64_t seed) : host(clock, LOCAL, seed), cfg(c)
{
  stack.reset(new Stack(host, cfg));
}

void Fixture::advance(uint64_t ns)
{
  uint64_t target = clock + ns;
  int guard = 0;
  while (host.deadline && host.deadline <= target) {
    if (host.deadline > clock)
      clock = host.deadline;
    stack->on_timer();
    if (++guard > 1000000) {
      check(false, "timers settle", "deadlines in the future", "a deadline that keeps firing");
      break;
    }
  }
  clock = target;
}

std::vector<Seg> Fixture::take()
{
  std::vector<Seg> v;
  for (auto& p : host.out) {
    Seg s = parse(p);
    if (s.ts)
      last_tsval = s.tsval;
    v.push_back(std::move(s));
  }
  host.out.clear();
  return v;
}

Seg Fixture::take_one(const char* what)
{
  std::vector<Seg> v = take();
  std::string got;
  for (auto& s : v)
    got += (got.empty() ? "" : "; ") + s.str();
  check(v.size() == 1, (std::string(what) + ": one segment").c_str(), "1 segment",
        std::to_string(v.size()) + " (" + got + ")");
  return v.empty() ? Seg() : v.back();
}

void Fixture::send(const Seg& s)
{
  std::vector<uint8_t> b = build(s, PEER, LOCAL);
  stack->input(PEER, LOCAL, b.data(), b.size(), false);
}

void Fixture::send_raw(const std::vector<uint8_t>& b, bool checksum_ok)
{
  stack->input(PEER, LOCAL, b.data(), b.size(), checksum_ok);
}

Seg Fixture::peer_seg(uint8_t flags, const std::vector<uint8_t>& data) const
{
  Seg s;
  s.sport = peer_port;
  s.dport = eng_port;
  s.seq = peer_nxt;
  s.ack = eng_nxt;
  s.flags = flags;
  s.wnd = 65535;
  s.data = data;
  if (use_ts) {
    s.ts = true;
    s.tsval = peer_ts;
    s.tsecr = last_tsval;
  }
  return s;
}

std::shared_ptr<Connection> Fixture::open_active(Recorder& rec, uint16_t pport, uint32_t peer_isn,
                                                 bool ws, bool ts, bool sack, uint16_t peer_mss,
                                                 const Options& opts)
{
  int err = -1;
  auto c = stack->connect(Endpoint{0, 0}, Endpoint{PEER, pport}, opts, &rec, err);
  check(c && err == 0, "connect() succeeds", "a connection, err 0", std::to_string(err));
  Seg syn = take_one("the SYN");
  eng_port = syn.sport;
  peer_port = pport;
  Seg sa;
  sa.sport = pport;
  sa.dport = eng_port;
  sa.seq = peer_isn;
  sa.ack = syn.seq + 1;
  sa.flags = F_SYN | F_ACK;
  sa.mss = peer_mss;
  if (ws)
    sa.ws = 0;
  if (ts) {
    sa.ts = true;
    sa.tsval = peer_ts;
    sa.tsecr = syn.tsval;
  }
  sa.sack_ok = sack;
  send(sa);
  take_one("the ACK of the SYN-ACK");
  peer_nxt = peer_isn + 1;
  eng_nxt = syn.seq + 1;
  use_ts = ts && syn.ts;
  eng_ws = ws && syn.ws >= 0 ? syn.ws : 0;
  return c;
}

std::shared_ptr<Connection> Fixture::open_passive(Recorder& rec, std::shared_ptr<Listener>& l,
                                                  uint16_t port, uint16_t pport, uint32_t peer_isn,
                                                  bool ws, bool ts, bool sack, uint16_t peer_mss)
{
  if (!l) {
    int err = -1;
    Endpoint ep{0, port};
    l = stack->listen(ep, 16, err);
    check(l && err == 0, "listen()", "a listener", std::to_string(err));
  }
  Seg syn;
  syn.sport = pport;
  syn.dport = port;
  syn.seq = peer_isn;
  syn.flags = F_SYN;
  syn.mss = peer_mss;
  if (ws)
    syn.ws = 0;
  if (ts) {
    syn.ts = true;
    syn.tsval = peer_ts;
  }
  syn.sack_ok = sack;
  send(syn);
  Seg sa = take_one("the SYN-ACK");
  Seg ack;
  ack.sport = pport;
  ack.dport = port;
  ack.seq = peer_isn + 1;
  ack.ack = sa.seq + 1;
  ack.flags = F_ACK;
  if (ts && sa.ts) {
    ack.ts = true;
    ack.tsval = peer_ts;
    ack.tsecr = sa.tsval;
  }
  send(ack);
  auto c = l->accept();
  check(c != nullptr, "accept() returns the connection");
  if (c)
    c->set_handler(&rec);
  eng_port = port;
  peer_port = pport;
  peer_nxt = peer_isn + 1;
  eng_nxt = sa.seq + 1;
  use_ts = ts && sa.ts;
  eng_ws = ws && sa.ws >= 0 ? sa.ws : 0;
  return c;
}

}  // namespace tt
