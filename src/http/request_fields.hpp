// Strict reading of the /v1 and /auth request fields and query parameters, shared by every
// handler: each failure is a problem_error 400 whose detail names the field with its path
// (`where`, e.g. "policies[0]." or "user.") and says what it must be.
// Thread-safety: pure functions; a query_params is immutable once made.
#pragma once

#include <redkit/http_server.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::http::detail {

/// No bound on a size.
inline constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

/// Throws problem_error 400 with `detail`.
[[noreturn]] void bad_request(const std::string& detail);

/// Throws 400 naming the first field of `o` not in `allowed`, with the allowed list.
void only_fields(const boost::json::object& o, std::initializer_list<std::string_view> allowed,
                 std::string_view where = {});

/// The string field `name` of `min_bytes` to `max_bytes` bytes, or nothing when absent.
std::optional<std::string> optional_string(const boost::json::object& o, std::string_view name,
                                           std::string_view where = {}, std::size_t min_bytes = 0,
                                           std::size_t max_bytes = unbounded);
/// As optional_string, and 400 when absent.
std::string required_string(const boost::json::object& o, std::string_view name,
                            std::string_view where = {}, std::size_t min_bytes = 0,
                            std::size_t max_bytes = unbounded);

/// The integer field `name` in [min, max] (a JSON int64 or uint64, not a fraction), or nothing
/// when absent.
std::optional<std::int64_t> optional_int(const boost::json::object& o, std::string_view name,
                                         std::int64_t min, std::int64_t max,
                                         std::string_view where = {});
/// As optional_int, and 400 when absent.
std::int64_t required_int(const boost::json::object& o, std::string_view name, std::int64_t min,
                          std::int64_t max, std::string_view where = {});

/// The boolean field `name`, or nothing when absent.
std::optional<bool> optional_bool(const boost::json::object& o, std::string_view name,
                                  std::string_view where = {});

/// The object field `name`; 400 when absent or not an object.
const boost::json::object& required_object(const boost::json::object& o, std::string_view name,
                                           std::string_view where = {});

/// The array field `name` of `min_items` to `max_items` strings, each of `min_bytes` to
/// `max_bytes` bytes, or nothing when absent.
std::optional<std::vector<std::string>> optional_strings(
    const boost::json::object& o, std::string_view name, std::string_view where = {},
    std::size_t min_items = 0, std::size_t max_items = unbounded, std::size_t min_bytes = 0,
    std::size_t max_bytes = unbounded);
/// As optional_strings, and 400 when absent.
std::vector<std::string> required_strings(const boost::json::object& o, std::string_view name,
                                          std::string_view where = {}, std::size_t min_items = 0,
                                          std::size_t max_items = unbounded,
                                          std::size_t min_bytes = 0,
                                          std::size_t max_bytes = unbounded);

/// The array field `name` of `min_items` to `max_items` objects; 400 when absent or not that.
std::vector<const boost::json::object*> required_objects(const boost::json::object& o,
                                                         std::string_view name,
                                                         std::size_t min_items,
                                                         std::size_t max_items,
                                                         std::string_view where = {});

/// The query parameters of a request target: each one allowed, given at most once, its name and
/// value percent-decoded.
class query_params {
 public:
  /// Parses the query of `target` (after '?'); throws 400 for a name not in `allowed` (with the
  /// allowed list) or given twice.
  query_params(std::string_view target, std::initializer_list<std::string_view> allowed);

  /// The value of `name`, or nullptr when absent.
  const std::string* find(std::string_view name) const;
  /// `name` as an integer in [min, max], or `fallback` when absent.
  std::int64_t integer(std::string_view name, std::int64_t min, std::int64_t max,
                       std::int64_t fallback) const;
  /// `name` as true/1 or false/0, or `fallback` when absent.
  bool boolean(std::string_view name, bool fallback) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace redkit::http::detail
