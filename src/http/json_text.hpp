// Text helpers for the server's hand-built JSON bodies and log lines: JSON string literals,
// UTF-8 validation, and base64 for byte values that are not text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace redkit::http::detail {

/// `s` as a quoted, escaped JSON string. JSON text is UTF-8: a byte of `s` that is not part of
/// well-formed UTF-8 becomes U+FFFD (use base64_encode for bytes that must survive).
std::string json_string(std::string_view s);
/// As json_string, for `s` already known to be well-formed UTF-8 (not checked again).
std::string json_string_of_utf8(std::string_view s);

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
/// U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

/// `bytes` in standard base64 (RFC 4648 §4, with padding).
std::string base64_encode(std::string_view bytes);
/// The bytes `text` (standard base64, padding optional) holds; nothing if it is not base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace redkit::http::detail
