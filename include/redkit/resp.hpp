// RESP2/RESP3 codec, sans-io: the reply value, a command encoder and an incremental parser.
// Bytes in, replies out; nothing here touches a socket.
// Thread-safety: `reply` is a plain value; a `parser` is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

namespace redkit::resp {

/// The kind of a reply. RESP2 null bulk strings and null arrays both parse as `null`.
enum class type : std::uint8_t {
  null,             ///< `_` (RESP3) or `$-1` / `*-1` (RESP2).
  simple_string,    ///< `+OK`
  simple_error,     ///< `-ERR ...`
  integer,          ///< `:42`
  bulk_string,      ///< `$3\r\nfoo`
  array,            ///< `*2 ...`
  double_,          ///< `,3.14` (also `inf`, `-inf`, `nan`)
  boolean,          ///< `#t` / `#f`
  big_number,       ///< `(1234...` kept as its decimal text
  bulk_error,       ///< `!21\r\nSYNTAX invalid syntax`
  verbatim_string,  ///< `=15\r\ntxt:Some string`; the format goes in `format`
  map,              ///< `%2 ...`; `elements` holds key0, value0, key1, value1, ...
  set,              ///< `~3 ...`
  push,             ///< `>3 ...` out-of-band data (pub/sub messages, invalidations)
};

/// Name of a reply type for messages ("bulk_string", ...).
std::string_view to_string(type t) noexcept;

/// One parsed reply. A plain value type: copyable, movable, comparable.
struct reply {
  resp::type type = resp::type::null;
  /// Payload of simple/bulk strings and errors, verbatim strings (without the format) and
  /// big numbers (decimal text).
  std::string string;
  /// Value of `integer`; 1 or 0 for `boolean`.
  std::int64_t integer = 0;
  /// Value of `double_`.
  double number = 0;
  /// Three-letter format of a verbatim string ("txt", "mkd").
  std::string format;
  /// Children of array, set, push; flattened key/value pairs of a map.
  std::vector<reply> elements;
  /// RESP3 attributes (`|`) that preceded this reply, as a map reply; null when none came.
  std::shared_ptr<const reply> attributes;

  // User-provided, so that `reply()` and `emplace_back()` do not first zero all 128 bytes (what
  // value-initialization does to a class with an implicit default constructor).
  reply() noexcept {}  // NOLINT(modernize-use-equals-default)

  bool is_null() const noexcept { return type == resp::type::null; }
  bool is_error() const noexcept {
    return type == resp::type::simple_error || type == resp::type::bulk_error;
  }
  bool is_string() const noexcept {
    return type == resp::type::simple_string || type == resp::type::bulk_string ||
           type == resp::type::verbatim_string;
  }
  bool is_aggregate() const noexcept {
    return type == resp::type::array || type == resp::type::map || type == resp::type::set ||
           type == resp::type::push;
  }

  /// Equality of type and content (attributes are ignored).
  friend bool operator==(const reply& a, const reply& b) noexcept;

  // Constructors for tests and the engine.
  static reply make_null() { return {}; }
  static reply make_simple(std::string s);
  static reply make_error(std::string s);
  static reply make_integer(std::int64_t v);
  static reply make_bulk(std::string s);
  static reply make_double(double v);
  static reply make_boolean(bool v);
  static reply make_array(std::vector<reply> elements);
};

/// Renders a reply in a readable form similar to redis-cli, for tests and the CLI.
std::string to_display(const reply& r);

/// Appends one command as a RESP array of bulk strings (binary-safe) to `out`.
void encode_command(std::string& out, std::span<const std::string_view> args);
void encode_command(std::string& out, std::initializer_list<std::string_view> args);

/// Parser maxima: a hostile or broken server cannot make the client allocate without bound.
struct parser_limits {
  /// Deepest nesting of aggregates (an array inside an array is depth 2). Default 64.
  std::size_t max_depth = 64;
  /// Longest bulk string, bulk error or verbatim string in bytes. Default 512 MiB (Redis's
  /// proto-max-bulk-len).
  std::size_t max_bulk_length = std::size_t{512} * 1024 * 1024;
  /// Most elements one aggregate may announce. Default 2^32 - 1 (Redis's limit).
  std::size_t max_elements = 0xFFFFFFFFULL;
};

/// Incremental RESP2/RESP3 parser. Feed it bytes in any split; it yields the same replies.
///
/// Usage:
///   while (!input.empty()) {
///     input.remove_prefix(p.parse(input));
///     if (p.failed()) break;              // p.error() says why; the parser stays failed
///     if (!p.has_reply()) break;          // needs more bytes
///     handle(p.take());
///   }
class parser {
 public:
  explicit parser(parser_limits limits = {});
  ~parser();
  parser(parser&&) noexcept;
  parser& operator=(parser&&) noexcept;

  /// Consumes bytes from `data` until one complete reply is ready or the input runs out, and
  /// returns how many bytes it consumed. Bytes it consumed are never needed again (partial
  /// bulk payloads are copied into the reply under construction). Consumes nothing while a
  /// reply is ready and not yet taken, or after a failure.
  std::size_t parse(std::string_view data);

  /// A complete reply is ready for `take()`.
  bool has_reply() const noexcept;
  /// Moves the ready reply out. Precondition: `has_reply()`.
  reply take();

  /// The input was malformed or exceeded a limit. The parser stays failed until `reset()`.
  bool failed() const noexcept;
  /// `errc::protocol_error` or `errc::limit_exceeded` once failed; empty otherwise.
  boost::system::error_code error() const noexcept;

  /// Drops all state (partial reply, ready reply, failure), e.g. after a reconnect.
  void reset() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace redkit::resp
