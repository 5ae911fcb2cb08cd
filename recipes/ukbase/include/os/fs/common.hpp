// IncludeOS's file system vocabulary (fs/common.hpp): errors, buffers,
// the callback types, directory listings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <delegate>
#include <pmr>

#if __has_include(<common>)
#include <common>     // IncludeOS's fs headers bring Expects, LIKELY, ... along
#endif

namespace fs {

class Dirent;
class File_system;
class Path;
struct List;

/// A shared byte buffer (data(), size()), as the block devices hand out.
using buffer_t = os::mem::buf_ptr;

/// A new buffer: construct_buffer(1024) is 1024 zero bytes;
/// construct_buffer(first, last) copies a range.
template <typename... Args>
buffer_t construct_buffer(Args&&... args)
{
  return std::make_shared<os::mem::buffer>(std::forward<Args>(args)...);
}

using dirvector = std::vector<Dirent>;
using Dirvec_ptr = std::shared_ptr<dirvector>;
using Path_ptr = std::shared_ptr<Path>;

enum Enttype { FILE, DIR, VOLUME_ID, SYM_LINK, INVALID_ENTITY };

/// The outcome of a file system call: true when it is an error.
///
///   if (err) printf("%s\n", err.to_string().c_str());   // "No such entry: /x not found"
struct error_t {
  enum token_t { NO_ERR = 0, E_IO, E_MNT, E_NOENT, E_NOTDIR, E_NOTFILE };

  error_t(const token_t tk, const std::string& reason) : token_(tk), reason_(reason) {}

  /// "No error", "General I/O error", "Mounting filesystem failed",
  /// "No such entry", "Not a directory", "Not a file"
  const std::string& token() const noexcept;
  token_t code() const noexcept { return token_; }
  /// What went wrong, in words ("/x not found").
  const std::string& reason() const noexcept { return reason_; }
  /// token() + ": " + reason()
  std::string to_string() const;

  /// true if this is an error
  operator bool() const noexcept { return token_ != NO_ERR; }

 private:
  token_t token_;
  std::string reason_;
};

/// {NO_ERR, ""}
extern error_t no_error;

/// What a synchronous read gives: an error and the data.
///
///   auto buf = fs.read_file("/motd.txt");
///   if (buf) puts(buf.to_string().c_str());
struct Buffer {
  Buffer(const error_t& e, buffer_t b) : err_(e), buf_(std::move(b)) {}

  /// There is data and no error.
  bool is_valid() const noexcept { return buf_ != nullptr && !err_; }
  operator bool() const noexcept { return is_valid(); }

  error_t error() const noexcept { return err_; }
  buffer_t& get() noexcept { return buf_; }
  const buffer_t& get() const noexcept { return buf_; }

  const uint8_t* data() const noexcept { return buf_ ? buf_->data() : nullptr; }
  uint8_t* data() noexcept { return buf_ ? buf_->data() : nullptr; }
  size_t size() const noexcept { return buf_ ? buf_->size() : 0; }
  /// The bytes as a string ("" when there are none).
  std::string to_string() const
  {
    return buf_ ? std::string(reinterpret_cast<const char*>(buf_->data()), buf_->size()) : std::string();
  }

 private:
  error_t err_;
  buffer_t buf_;
};

using on_init_func = delegate<void(error_t, File_system&)>;
using on_ls_func = delegate<void(error_t, Dirvec_ptr)>;
using on_read_func = delegate<void(error_t, buffer_t)>;
using on_stat_func = delegate<void(error_t, Dirent)>;

}  // namespace fs
