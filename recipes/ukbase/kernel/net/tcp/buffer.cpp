// Byte rings for the send and receive buffers, and the stack's memory
// budget they are charged to.
#include <new>

#include "internal.hpp"

namespace ukbase::tcp {

bool Ring::reserve(Stack::Impl& st, size_t need, size_t keep, size_t max)
{
  if (need <= cap_)
    return true;
  if (need > max)
    return false;
  size_t cap = cap_ ? cap_ : MIN_CAP;
  while (cap < need)
    cap *= 2;                            // doubling: each byte is copied O(1) times
  if (cap > max)
    cap = max;
  if (!st.mem_take(cap - cap_))
    return false;
  auto* fresh = new (std::nothrow) uint8_t[cap];
  if (!fresh) {
    st.mem_give(cap - cap_);
    return false;
  }
  if (keep)
    get(0, fresh, keep);
  delete[] buf_;
  buf_ = fresh;
  cap_ = cap;
  head_ = 0;
  return true;
}

size_t Ring::reachable(const Stack::Impl& st, size_t max) const
{
  // The same steps reserve() would take: MIN_CAP, doubling, capped at max.
  size_t room = st.mem_headroom();
  size_t best = cap_;
  for (size_t cap = cap_ ? cap_ * 2 : MIN_CAP; best < max; cap *= 2) {
    size_t c = cap > max ? max : cap;
    if (c - cap_ > room)
      break;
    best = c;
  }
  return best;
}

void Ring::put(size_t off, const uint8_t* src, size_t n)
{
  if (!n)
    return;
  size_t pos = head_ + off;
  if (pos >= cap_)
    pos -= cap_;
  size_t first = cap_ - pos < n ? cap_ - pos : n;
  std::memcpy(buf_ + pos, src, first);
  if (n > first)
    std::memcpy(buf_, src + first, n - first);
}

void Ring::get(size_t off, uint8_t* dst, size_t n) const
{
  if (!n)
    return;
  size_t pos = head_ + off;
  if (pos >= cap_)
    pos -= cap_;
  size_t first = cap_ - pos < n ? cap_ - pos : n;
  std::memcpy(dst, buf_ + pos, first);
  if (n > first)
    std::memcpy(dst + first, buf_, n - first);
}

void Ring::release(Stack::Impl& st)
{
  if (buf_) {
    delete[] buf_;
    st.mem_give(cap_);
  }
  buf_ = nullptr;
  cap_ = head_ = len_ = 0;
}

// ---- the budget ---------------------------------------------------------------------

bool Stack::Impl::mem_take(size_t n)
{
  if (s.memory_used_ + n > s.config_.memory_limit)
    return false;
  s.memory_used_ += n;
  return true;
}

void Stack::Impl::mem_give(size_t n) { s.memory_used_ -= n; }

size_t Stack::Impl::mem_headroom() const
{
  uint64_t limit = s.config_.memory_limit;
  return s.memory_used_ >= limit ? 0 : size_t(limit - s.memory_used_);
}

bool Stack::Impl::under_pressure() const
{
  return s.memory_used_ > s.config_.memory_limit / 2;
}

}  // namespace ukbase::tcp
