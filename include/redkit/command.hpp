// A Redis command, encoded to RESP once when it is built, ready to be written as is.
// Thread-safety: a plain value type.
#pragma once

#include <redkit/resp.hpp>

#include <charconv>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace redkit {

/// One command: its name and arguments, already encoded as a RESP array of bulk strings.
///
///   command set{"SET", key, value, "PX", 1500};
///
/// Arguments may be anything convertible to std::string_view (binary-safe) or integers.
class command {
 public:
  command() = default;

  template <typename... Args>
  explicit command(std::string_view name, const Args&... args) {
    start(1 + sizeof...(Args));
    append_arg(name);
    name_len_ = name.size();
    name_off_ = wire_.size() - 2 - name_len_;
    (append_arg(args), ...);
  }

  /// Builds a command from a name and a run-time list of arguments.
  static command from(std::string_view name, const std::vector<std::string>& args);
  static command from(std::string_view name, std::span<const std::string_view> args);

  /// The encoded bytes.
  std::string_view wire() const noexcept { return wire_; }
  /// The name and arguments, decoded from the encoded bytes (views into this command).
  std::vector<std::string_view> args() const;
  /// The command's name as given (for error messages: never the arguments).
  std::string_view name() const noexcept {
    return std::string_view(wire_).substr(name_off_, name_len_);
  }
  bool empty() const noexcept { return wire_.empty(); }

 private:
  void start(std::size_t argc);
  void append_arg(std::string_view arg);
  template <std::integral I>
  void append_arg(I value) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    append_arg(std::string_view(buf, static_cast<std::size_t>(end - buf)));
  }
  void append_arg(const char* s) { append_arg(std::string_view(s)); }
  void append_arg(const std::string& s) { append_arg(std::string_view(s)); }

  std::string wire_;
  std::size_t name_off_ = 0;
  std::size_t name_len_ = 0;
};

}  // namespace redkit
