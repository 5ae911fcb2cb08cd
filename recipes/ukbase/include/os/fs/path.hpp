// A path as a list of names (IncludeOS's fs/path.hpp).
//
//   fs::Path p{"usr", "local", "bin"};      // or fs::Path{"/usr/local/bin"}
//   p.to_string();                          // "/usr/local/bin/" (always a closing '/')
//   p.pop_back().to_string();               // "/usr/local/"
//   for (auto& name : p) ...                // "usr", "local"
//
// Splitting drops empty names and "."; ".." is kept as a name (the file
// system resolves it, as IncludeOS's does).
#pragma once

#include <deque>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace fs {

class Path {
 public:
  struct Err_invalid_path : public std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  using iterator = std::deque<std::string>::iterator;
  using const_iterator = std::deque<std::string>::const_iterator;

  /// "/": no names.
  Path() = default;
  Path(const std::string& path);
  Path(const char* path) : Path(std::string(path ? path : "")) {}
  /// Each element split and appended: {"usr", "local/bin"} is /usr/local/bin/.
  Path(std::initializer_list<std::string> parts);

  size_t size() const noexcept { return stack_.size(); }
  bool empty() const noexcept { return stack_.empty(); }
  const std::string& operator[](int i) const { return stack_.at(static_cast<size_t>(i)); }
  /// 0, or -EINVAL when the text had an empty name ("a//b").
  int state() const noexcept { return state_; }

  Path& operator=(const std::string& path);
  /// Append the names of `path` (a leading '/' starts over at the root).
  Path& operator+=(const std::string& path);
  Path operator+(const std::string& path) const;

  bool operator==(const Path& other) const { return stack_ == other.stack_; }
  bool operator!=(const Path& other) const { return !(*this == other); }
  bool operator==(const std::string& other) const { return *this == Path(other); }
  bool operator!=(const std::string& other) const { return !(*this == other); }

  iterator begin() { return stack_.begin(); }
  iterator end() { return stack_.end(); }
  const_iterator begin() const { return stack_.cbegin(); }
  const_iterator end() const { return stack_.cend(); }

  /// The first and last names; throw Err_invalid_path on an empty path.
  std::string front() const;
  std::string back() const;
  Path& pop_front();
  Path& pop_back();
  /// The parent: pop_back(), except at the root.
  Path& up();

  /// "/" + the names joined by '/' + "/"; "/" when empty.
  std::string to_string() const;

 private:
  void add(const std::string& path);

  std::deque<std::string> stack_;
  int state_ = 0;
};

}  // namespace fs
