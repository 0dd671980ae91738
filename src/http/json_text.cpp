// UTF-8 validation and base64 (libsodium) for the server's JSON bodies.
#include "http/json_text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <sodium.h>

namespace redkit::http::detail {
namespace {

/// The length of the well-formed UTF-8 sequence at the start of `s`, or 0.
std::size_t utf8_sequence(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned c = p[0];
  if (c < 0x80) return 1;
  std::size_t extra = 0;
  unsigned cp = 0, min = 0;
  if ((c & 0xE0) == 0xC0) {
    extra = 1, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    extra = 2, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    extra = 3, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() <= extra) return 0;
  for (std::size_t i = 1; i <= extra; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return extra + 1;
}

}  // namespace

bool valid_utf8(std::string_view s) noexcept {
  while (!s.empty()) {
    const auto n = utf8_sequence(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

std::string json_string_of_utf8(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

std::string json_string(std::string_view s) {
  if (valid_utf8(s)) return json_string_of_utf8(s);
  std::string text;
  text.reserve(s.size() + 8);
  while (!s.empty()) {
    const auto n = utf8_sequence(s);
    if (n == 0) {
      text += "\xEF\xBF\xBD";  // U+FFFD
      s.remove_prefix(1);
    } else {
      text.append(s.data(), n);
      s.remove_prefix(n);
    }
  }
  return json_string_of_utf8(text);
}

std::string base64_encode(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the NUL
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t n = 0;
  const char* end = nullptr;
  // ORIGINAL_NO_PADDING refuses '='; strip the padding first so both forms are accepted.
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &n, &end,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(n);
  return out;
}

}  // namespace redkit::http::detail
