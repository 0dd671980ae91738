// The RESP reply value: type names, equality, constructors and the redis-cli-like rendering.
// Thread-safety: plain values; nothing shared.
#include <redkit/resp.hpp>

#include <charconv>
#include <cmath>
#include <utility>

namespace redkit::resp {

std::string_view to_string(type t) noexcept {
  switch (t) {
    case type::null:
      return "null";
    case type::simple_string:
      return "simple_string";
    case type::simple_error:
      return "simple_error";
    case type::integer:
      return "integer";
    case type::bulk_string:
      return "bulk_string";
    case type::array:
      return "array";
    case type::double_:
      return "double";
    case type::boolean:
      return "boolean";
    case type::big_number:
      return "big_number";
    case type::bulk_error:
      return "bulk_error";
    case type::verbatim_string:
      return "verbatim_string";
    case type::map:
      return "map";
    case type::set:
      return "set";
    case type::push:
      return "push";
  }
  return "unknown";
}

bool operator==(const reply& a, const reply& b) noexcept {
  if (a.type != b.type) return false;
  switch (a.type) {
    case type::null:
      return true;
    case type::simple_string:
    case type::simple_error:
    case type::bulk_string:
    case type::bulk_error:
    case type::big_number:
      return a.string == b.string;
    case type::verbatim_string:
      return a.format == b.format && a.string == b.string;
    case type::integer:
    case type::boolean:
      return a.integer == b.integer;
    case type::double_:
      return a.number == b.number || (std::isnan(a.number) && std::isnan(b.number));
    case type::array:
    case type::map:
    case type::set:
    case type::push:
      return a.elements == b.elements;
  }
  return false;
}

reply reply::make_simple(std::string s) {
  reply r;
  r.type = type::simple_string;
  r.string = std::move(s);
  return r;
}

reply reply::make_error(std::string s) {
  reply r;
  r.type = type::simple_error;
  r.string = std::move(s);
  return r;
}

reply reply::make_integer(std::int64_t v) {
  reply r;
  r.type = type::integer;
  r.integer = v;
  return r;
}

reply reply::make_bulk(std::string s) {
  reply r;
  r.type = type::bulk_string;
  r.string = std::move(s);
  return r;
}

reply reply::make_double(double v) {
  reply r;
  r.type = type::double_;
  r.number = v;
  return r;
}

reply reply::make_boolean(bool v) {
  reply r;
  r.type = type::boolean;
  r.integer = v ? 1 : 0;
  return r;
}

reply reply::make_array(std::vector<reply> elements) {
  reply r;
  r.type = type::array;
  r.elements = std::move(elements);
  return r;
}

namespace {

/// Appends `s` quoted and escaped like redis-cli (`"a\nb\x00"`).
void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default: {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) {
          out += c;
        } else {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\x";
          out += hex[u >> 4];
          out += hex[u & 0xf];
        }
      }
    }
  }
  out += '"';
}

template <typename Number>
void append_number(std::string& out, Number v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

std::string_view empty_name(type t) {
  switch (t) {
    case type::map:
      return "(empty hash)";
    case type::set:
      return "(empty set)";
    case type::push:
      return "(empty push)";
    default:
      return "(empty array)";
  }
}

/// Appends `r`; lines after the first are prefixed with `indent`.
void render(std::string& out, const reply& r, const std::string& indent) {
  switch (r.type) {
    case type::null:
      out += "(nil)";
      return;
    case type::simple_string:
      out += r.string;
      return;
    case type::simple_error:
    case type::bulk_error:
      out += "(error) ";
      out += r.string;
      return;
    case type::integer:
      out += "(integer) ";
      append_number(out, r.integer);
      return;
    case type::bulk_string:
      append_quoted(out, r.string);
      return;
    case type::verbatim_string:
      out += r.string;
      return;
    case type::double_:
      out += "(double) ";
      if (std::isnan(r.number)) {
        out += "nan";
      } else {
        append_number(out, r.number);
      }
      return;
    case type::boolean:
      out += r.integer != 0 ? "(true)" : "(false)";
      return;
    case type::big_number:
      out += "(big number) ";
      out += r.string;
      return;
    case type::array:
    case type::map:
    case type::set:
    case type::push:
      break;
  }
  if (r.elements.empty()) {
    out += empty_name(r.type);
    return;
  }
  const bool is_map = r.type == type::map;
  const std::size_t count = is_map ? r.elements.size() / 2 : r.elements.size();
  std::size_t width = 1;
  for (std::size_t c = count; c >= 10; c /= 10) ++width;
  const char separator = is_map ? '#' : r.type == type::set ? '~' : ')';
  const std::string child_indent = indent + std::string(width + 2, ' ');
  const std::size_t step = is_map ? 2 : 1;
  for (std::size_t i = 0; i < r.elements.size(); i += step) {
    if (i != 0) {
      out += '\n';
      out += indent;
    }
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, i / step + 1);
    const auto digits = static_cast<std::size_t>(end - buf);
    out.append(width - digits, ' ');
    out.append(buf, end);
    out += separator;
    out += ' ';
    render(out, r.elements[i], child_indent);
    if (is_map) {
      out += " => ";
      if (i + 1 < r.elements.size()) render(out, r.elements[i + 1], child_indent);
    }
  }
}

}  // namespace

std::string to_display(const reply& r) {
  std::string out;
  render(out, r, std::string());
  return out;
}

}  // namespace redkit::resp
