// The RESP command encoder: a command is an array of bulk strings, binary-safe.
// Thread-safety: stateless; appends only to the caller's string.
#include <redkit/resp.hpp>

#include <charconv>
#include <cstring>

namespace redkit::resp {
namespace {

constexpr std::size_t decimal_digits(std::size_t v) noexcept {
  std::size_t d = 1;
  for (; v >= 10; v /= 10) ++d;
  return d;
}

/// Writes `<prefix><n>\r\n` at `p` and returns the position after it.
char* write_header(char* p, char prefix, std::size_t n) noexcept {
  *p++ = prefix;
  p = std::to_chars(p, p + 20, n).ptr;
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

}  // namespace

void encode_command(std::string& out, std::span<const std::string_view> args) {
  std::size_t total = 3 + decimal_digits(args.size());
  for (const std::string_view a : args) total += 5 + decimal_digits(a.size()) + a.size();
  const std::size_t start = out.size();
  out.resize(start + total);
  char* p = out.data() + start;
  p = write_header(p, '*', args.size());
  for (const std::string_view a : args) {
    p = write_header(p, '$', a.size());
    if (!a.empty()) std::memcpy(p, a.data(), a.size());
    p += a.size();
    *p++ = '\r';
    *p++ = '\n';
  }
}

void encode_command(std::string& out, std::initializer_list<std::string_view> args) {
  encode_command(out, std::span<const std::string_view>(args.begin(), args.size()));
}

}  // namespace redkit::resp
