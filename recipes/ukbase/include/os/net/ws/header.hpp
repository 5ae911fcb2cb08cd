// WebSocket frame headers (RFC 6455 section 5.2), as IncludeOS's
// net/ws/header.hpp names them: net::op_code and net::ws_header.
//
//   net::ws_header h;
//   size_t n = h.parse(bytes, len);     // 0: more bytes needed
//   h.is_final(); h.opcode(); h.is_masked(); h.data_length(); h.header_length();
//
// ukbase's ws_header is the decoded form of a frame's header (not a view
// laid over the wire bytes, as IncludeOS's is): parse() reads one from
// bytes received, encode() writes one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace net {

enum class op_code : uint8_t {
  CONTINUE = 0,
  TEXT = 1,
  BINARY = 2,
  CLOSE = 8,
  PING = 9,
  PONG = 10
};  // < op_code

struct ws_header {
  bool fin = true;
  uint8_t rsv = 0;               // RSV1-3 (no extension is negotiated: must be 0)
  uint8_t code = 0;              // the opcode as sent (4 bits)
  bool masked = false;
  uint8_t mask[4] = {0, 0, 0, 0};
  uint64_t length = 0;           // payload bytes
  uint8_t hdr_len = 2;           // bytes the header took

  /// The most a header takes: 2 + 8 (64-bit length) + 4 (mask key).
  static constexpr size_t MAX_LENGTH = 14;

  bool is_final() const noexcept { return fin; }
  void set_final() noexcept { fin = true; }
  op_code opcode() const noexcept { return static_cast<op_code>(code); }
  void set_opcode(op_code c) noexcept { code = static_cast<uint8_t>(c); }
  bool is_control() const noexcept { return code & 0x8; }
  bool is_masked() const noexcept { return masked; }
  void set_masked(uint32_t key) noexcept
  {
    masked = true;
    std::memcpy(mask, &key, 4);
  }
  size_t mask_length() const noexcept { return masked ? 4 : 0; }
  size_t data_length() const noexcept { return static_cast<size_t>(length); }
  void set_payload(size_t len) noexcept { length = len; }
  /// 126: a 16-bit length follows; 127: a 64-bit one.
  bool is_ext() const noexcept { return length > 125 && length <= 0xFFFF; }
  bool is_ext2() const noexcept { return length > 0xFFFF; }
  uint16_t header_length() const noexcept { return hdr_len; }
  /// The header a frame of `len` payload bytes needs (with a mask key
  /// when a client sends it).
  static size_t header_length(size_t len, bool client) noexcept
  {
    return 2 + (len > 0xFFFF ? 8 : len > 125 ? 2 : 0) + (client ? 4 : 0);
  }

  /// Read a header from the first `len` bytes: the bytes it took, or 0
  /// if they do not hold all of it yet.
  size_t parse(const uint8_t* p, size_t len) noexcept
  {
    if (len < 2)
      return 0;
    size_t need = 2 + ((p[1] & 0x7F) == 126 ? 2 : (p[1] & 0x7F) == 127 ? 8 : 0) + ((p[1] & 0x80) ? 4 : 0);
    if (len < need)
      return 0;
    fin = p[0] & 0x80;
    rsv = (p[0] >> 4) & 0x7;
    code = p[0] & 0x0F;
    masked = p[1] & 0x80;
    size_t at = 2;
    length = p[1] & 0x7F;
    if (length == 126) {
      length = (uint64_t(p[2]) << 8) | p[3];
      at = 4;
    } else if (length == 127) {
      length = 0;
      for (int i = 0; i < 8; i++)
        length = (length << 8) | p[2 + i];
      at = 10;
    }
    if (masked) {
      std::memcpy(mask, p + at, 4);
      at += 4;
    }
    hdr_len = static_cast<uint8_t>(at);
    return at;
  }

  /// Write the header (header_length(length, masked) bytes) to `out`;
  /// returns the bytes written.
  size_t encode(uint8_t* out) noexcept
  {
    out[0] = static_cast<uint8_t>((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (code & 0x0F));
    size_t at = 2;
    if (length > 0xFFFF) {
      out[1] = 127;
      for (int i = 0; i < 8; i++)
        out[2 + i] = static_cast<uint8_t>(length >> (56 - 8 * i));
      at = 10;
    } else if (length > 125) {
      out[1] = 126;
      out[2] = static_cast<uint8_t>(length >> 8);
      out[3] = static_cast<uint8_t>(length);
      at = 4;
    } else {
      out[1] = static_cast<uint8_t>(length);
    }
    if (masked) {
      out[1] |= 0x80;
      std::memcpy(out + at, mask, 4);
      at += 4;
    }
    hdr_len = static_cast<uint8_t>(at);
    return at;
  }

  /// XOR `n` payload bytes with the mask key; `offset` is where they
  /// start in the payload (the key repeats every 4 bytes).
  void masking_algorithm(char* data, size_t n, size_t offset = 0) const noexcept
  {
    if (!masked)
      return;
    for (size_t i = 0; i < n; i++)
      data[i] = static_cast<char>(data[i] ^ mask[(offset + i) & 3]);
  }
};  // < struct ws_header

}  // namespace net
