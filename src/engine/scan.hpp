// Cursors for SCAN, HSCAN, SSCAN and ZSCAN over the engine's unordered containers (the
// keyspace, string_map, string_set): cursor parsing, option parsing and one iteration step.
//
// The guarantee is Redis's: an element present for the whole iteration (from the call with
// cursor 0 to the call that returns cursor 0) is returned at least once, possibly more than
// once; elements added or removed meanwhile may or may not be returned; the iteration ends.
//
// Design: bucket iteration with a bucket-count guard. A cursor names a position in the bucket
// order of the container:
//
//     cursor = bucket_count << 32 | next_bucket        (0: start; 0 again: done)
//
// A step visits whole buckets from `next_bucket` on. An element lives in bucket
// hash(element) % bucket_count, a pure function of the element and the bucket count, so while
// the bucket count is the one the cursor was issued for, an element present throughout sits
// either in a bucket already visited (returned) or in one still to come: inserting without a
// rehash and erasing never move other nodes. When the bucket count differs (the container
// rehashed between calls; libstdc++ only rehashes when it grows, never on erase), the old
// position means nothing in the new layout, so the step restarts at bucket 0 of the new
// layout: elements may come again (as Redis allows), none is missed, and since each rehash
// multiplies the bucket count the number of restarts is bounded and the iteration still ends.
// A cursor that names no valid position of the current layout (a stale or made-up number)
// restarts the same way. Limit: tables of 2^32 buckets or more (billions of elements) are not
// supported.
//
// A step costs O(buckets visited + elements returned): it stops once it has produced `count`
// elements or visited count*10 buckets, as Redis's SCAN does.
//
// Use (HSCAN as an example; SSCAN/ZSCAN alike, with their own container):
//
//   std::uint64_t cursor = 0;
//   if (!scan_parse_cursor(c.arg(2), cursor)) return context::error(err_invalid_cursor);
//   ... look the key up: missing -> scan_reply(0, {}); wrong type -> WRONGTYPE ...
//   scan_options opts;
//   if (auto e = scan_parse_options(c, 3, /*allow_type=*/false, opts)) return *e;
//   std::vector<resp::reply> out;
//   auto next = scan_step(h, cursor, opts.count, [&](const auto& kv) {
//     if (!opts.matches(view(kv.first))) return;
//     out.push_back(context::bulk(view(kv.first)));
//     out.push_back(context::bulk(view(kv.second)));
//   }, /*weight=*/2);
//   return scan_reply(next, std::move(out));
//
// Thread-safety: none of its own; used under the engine lock.
#pragma once

#include "engine/engine.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

namespace redkit::engine {

inline constexpr std::string_view err_invalid_cursor = "ERR invalid cursor";

/// Parses a SCAN-family cursor as Redis does (strtoul: decimal, optional sign, no leading
/// space, fits 64 bits; "" is 0). Returns false for "ERR invalid cursor".
bool scan_parse_cursor(std::string_view s, std::uint64_t& out) noexcept;

/// The options of a SCAN-family command.
struct scan_options {
  /// COUNT: elements one step aims to produce; default 10.
  std::size_t count = 10;
  /// MATCH: glob pattern; empty optional (or "*") matches everything. Default none.
  std::optional<std::string_view> pattern;
  /// TYPE (SCAN only): Redis type name, compared case-insensitively. Default none.
  std::optional<std::string_view> type;

  /// True when `element` passes MATCH.
  bool matches(std::string_view element) const noexcept;
};

/// Parses `[MATCH pattern] [COUNT n]` (and `[TYPE t]` if `allow_type`) from argument `first`
/// on, in any order, the last occurrence winning. Returns the error reply on failure
/// ("ERR syntax error", "ERR value is not an integer or out of range"), nullopt on success.
std::optional<resp::reply> scan_parse_options(const context& c, std::size_t first, bool allow_type,
                                              scan_options& out);

/// The reply of a SCAN-family command: [cursor as bulk string, [elements...]].
resp::reply scan_reply(std::uint64_t cursor, std::vector<resp::reply> elements);

namespace detail {
constexpr std::uint64_t scan_low_mask = 0xFFFFFFFFULL;

/// The bucket a cursor resumes at, or 0 when it starts (or restarts) the iteration.
constexpr std::size_t scan_start_bucket(std::uint64_t cursor, std::size_t buckets) noexcept {
  const std::uint64_t tag = cursor >> 32;
  const std::uint64_t next = cursor & scan_low_mask;
  if (tag != buckets || next == 0 || next >= buckets) return 0;
  return static_cast<std::size_t>(next);
}
}  // namespace detail

/// One step of a SCAN-family iteration over `table` (any node-based unordered map/set, e.g. the
/// keyspace, a string_map or a string_set) from `cursor`: calls `visit(element)` for every
/// element of the buckets it visits (filtering by MATCH/TYPE is up to `visit`), and returns the
/// cursor to send back (0 when the iteration is complete). `weight` is how many reply items one
/// element counts for against `count` (Redis counts a hash field and its value as 2).
template <typename Table, typename Visit>
std::uint64_t scan_step(const Table& table, std::uint64_t cursor, std::size_t count, Visit&& visit,
                        std::size_t weight = 1) {
  if (table.empty()) return 0;
  const std::size_t buckets = table.bucket_count();
  std::size_t bucket = detail::scan_start_bucket(cursor, buckets);
  const std::size_t max_buckets =
      count > std::numeric_limits<std::size_t>::max() / 10 ? count : count * 10;
  std::size_t visited = 0;
  std::size_t produced = 0;
  while (bucket < buckets && visited < max_buckets && produced < count) {
    for (auto it = table.begin(bucket), end = table.end(bucket); it != end; ++it) {
      visit(*it);
      produced += weight;
    }
    ++bucket;
    ++visited;
  }
  if (bucket >= buckets) return 0;
  return static_cast<std::uint64_t>(buckets) << 32 | static_cast<std::uint64_t>(bucket);
}

}  // namespace redkit::engine
