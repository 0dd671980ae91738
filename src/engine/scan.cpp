// SCAN-family cursor and option parsing, and the reply shape (see scan.hpp for the design).
#include "engine/scan.hpp"

#include "engine/glob.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>

namespace redkit::engine {
namespace {}  // namespace

bool scan_parse_cursor(std::string_view s, std::uint64_t& out) noexcept {
  // As Redis's parseScanCursorOrReply: strtoul over a C string (so it stops at a NUL byte).
  const std::string buf(s);
  if (!buf.empty() && std::isspace(static_cast<unsigned char>(buf[0]))) return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(buf.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  out = v;
  return true;
}

bool scan_options::matches(std::string_view element) const noexcept {
  if (!pattern || *pattern == "*") return true;
  return glob_match(*pattern, element);
}

std::optional<resp::reply> scan_parse_options(const context& c, std::size_t first, bool allow_type,
                                              scan_options& out) {
  for (std::size_t i = first; i < c.argc();) {
    const auto opt = c.arg(i);
    const bool has_value = i + 1 < c.argc();
    if (iequals(opt, "count") && has_value) {
      std::int64_t n = 0;
      if (!context::parse_int(c.arg(i + 1), n)) return context::error(err::not_integer);
      if (n < 1) return context::error(err::syntax);
      out.count = static_cast<std::size_t>(n);
    } else if (iequals(opt, "match") && has_value) {
      out.pattern = c.arg(i + 1);
    } else if (iequals(opt, "type") && allow_type && has_value) {
      out.type = c.arg(i + 1);
    } else {
      return context::error(err::syntax);
    }
    i += 2;
  }
  return std::nullopt;
}

resp::reply scan_reply(std::uint64_t cursor, std::vector<resp::reply> elements) {
  return context::array(
      {context::bulk(std::to_string(cursor)), context::array(std::move(elements))});
}

}  // namespace redkit::engine
