// A small recursive-descent JSON reader (RFC 8259), depth-limited.
#include "kernel/json.hpp"
#include "kernel/utf8.hpp"

#include <cstdio>
#include <cstdlib>

namespace ukbase::json {

namespace {

class Parser {
 public:
  explicit Parser(std::string_view t) : t_(t) {}

  bool document(Value& v)
  {
    if (!value(v, 0))
      return false;
    ws();
    return i_ == t_.size() || fail("trailing characters");
  }
  std::string error;

 private:
  bool fail(const char* what)
  {
    if (error.empty()) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s at offset %zu", what, i_);
      error = buf;
    }
    return false;
  }
  void ws()
  {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r'))
      i_++;
  }
  bool literal(std::string_view word)
  {
    if (t_.substr(i_, word.size()) != word)
      return fail("unknown literal");
    i_ += word.size();
    return true;
  }
  bool value(Value& v, int depth)
  {
    if (depth > 64)
      return fail("nested too deeply");
    ws();
    if (i_ >= t_.size())
      return fail("unexpected end");
    char c = t_[i_];
    if (c == '{') return object(v, depth);
    if (c == '[') return array(v, depth);
    if (c == '"') { v.type = Value::String; return string(v.string); }
    if (c == 't') { v.type = Value::Bool; v.boolean = true; return literal("true"); }
    if (c == 'f') { v.type = Value::Bool; v.boolean = false; return literal("false"); }
    if (c == 'n') { v.type = Value::Null; return literal("null"); }
    return number(v);
  }
  bool number(Value& v)
  {
    size_t start = i_;
    while (i_ < t_.size() && std::string_view("+-0123456789.eE").find(t_[i_]) != std::string_view::npos)
      i_++;
    if (i_ == start)
      return fail("unexpected character");
    std::string s(t_.substr(start, i_ - start));
    char* end = nullptr;
    v.type = Value::Number;
    v.number = std::strtod(s.c_str(), &end);
    return (end && *end == 0) || fail("bad number");
  }
  bool hex4(unsigned& out)
  {
    if (i_ + 4 > t_.size())
      return fail("short \\u escape");
    out = 0;
    for (int k = 0; k < 4; k++) {
      char h = t_[i_++];
      out <<= 4;
      if (h >= '0' && h <= '9') out |= unsigned(h - '0');
      else if (h >= 'a' && h <= 'f') out |= unsigned(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') out |= unsigned(h - 'A' + 10);
      else return fail("bad \\u escape");
    }
    return true;
  }
  bool string(std::string& s)
  {
    i_++;                                     // the opening quote
    while (i_ < t_.size()) {
      char c = t_[i_++];
      if (c == '"')
        return true;
      if (c != '\\') {
        s += c;
        continue;
      }
      if (i_ >= t_.size())
        break;
      char e = t_[i_++];
      switch (e) {
      case '"': case '\\': case '/': s += e; break;
      case 'b': s += '\b'; break;
      case 'f': s += '\f'; break;
      case 'n': s += '\n'; break;
      case 'r': s += '\r'; break;
      case 't': s += '\t'; break;
      case 'u': {
        unsigned c1;
        if (!hex4(c1))
          return false;
        if (c1 >= 0xD800 && c1 < 0xDC00 && t_.substr(i_, 2) == "\\u") {
          i_ += 2;
          unsigned c2;
          if (!hex4(c2))
            return false;
          c1 = 0x10000 + ((c1 - 0xD800) << 10) + (c2 - 0xDC00);
        }
        ukbase::append_utf8(s, c1);
        break;
      }
      default:
        return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }
  bool array(Value& v, int depth)
  {
    v.type = Value::Array;
    i_++;
    ws();
    if (i_ < t_.size() && t_[i_] == ']')
      return i_++, true;
    for (;;) {
      v.items.emplace_back();
      if (!value(v.items.back(), depth + 1))
        return false;
      ws();
      if (i_ < t_.size() && t_[i_] == ',') { i_++; continue; }
      if (i_ < t_.size() && t_[i_] == ']') { i_++; return true; }
      return fail("expected , or ]");
    }
  }
  bool object(Value& v, int depth)
  {
    v.type = Value::Object;
    i_++;
    ws();
    if (i_ < t_.size() && t_[i_] == '}')
      return i_++, true;
    for (;;) {
      ws();
      if (i_ >= t_.size() || t_[i_] != '"')
        return fail("expected a member name");
      std::string key;
      if (!string(key))
        return false;
      ws();
      if (i_ >= t_.size() || t_[i_] != ':')
        return fail("expected :");
      i_++;
      v.members.emplace_back(std::move(key), Value{});
      if (!value(v.members.back().second, depth + 1))
        return false;
      ws();
      if (i_ < t_.size() && t_[i_] == ',') { i_++; continue; }
      if (i_ < t_.size() && t_[i_] == '}') { i_++; return true; }
      return fail("expected , or }");
    }
  }

  std::string_view t_;
  size_t i_ = 0;
};

}  // namespace

const Value* Value::get(std::string_view key) const
{
  if (type != Object)
    return nullptr;
  for (auto& m : members)
    if (m.first == key)
      return &m.second;
  return nullptr;
}

std::string Value::get_string(std::string_view key, std::string fallback) const
{
  const Value* v = get(key);
  return v && v->type == String ? v->string : fallback;
}

bool parse(std::string_view text, Value& out, std::string* error)
{
  Parser p(text);
  out = Value{};
  bool ok = p.document(out);
  if (!ok && error)
    *error = p.error;
  return ok;
}

}  // namespace ukbase::json
