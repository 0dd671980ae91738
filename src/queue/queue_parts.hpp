// Helpers shared by the queue's producer side (queue.cpp) and its workers (worker.cpp).
#pragma once

#include <redkit/job_queue.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::queue::detail {

error invalid(std::string_view what);
error unexpected(std::string_view what);
std::string number(std::int64_t n);
/// 128 random bits in base64url (job ids and lease tokens).
std::string random_id();
/// `<prefix>:q:{<name>}`; throws errc::invalid_argument for a bad name or options.
std::string base_of(const queue_options& o, std::string_view name);
const std::vector<resp::reply>& array_of(const resp::reply& r);
/// An integer reply, or a string holding one.
std::int64_t integer_of(const resp::reply& r);
const std::string& string_of(const resp::reply& r);
std::optional<job_state> parse_state(std::string_view s);
clock::time_point from_ms(std::int64_t ms);
/// The delay before the retry of a run that failed on `attempt` (1-based), by `b`.
std::chrono::milliseconds retry_delay(const backoff& b, std::uint32_t attempt);

/// A job's fixed fields, as scripts/queue/lib/queue.lua packs them.
struct job_data {
  std::string type;
  std::string payload;
  std::uint32_t priority = 0;
  std::uint32_t max_attempts = 1;
  std::int64_t timeout_ms = 0;
  std::int64_t created_ms = 0;
};
/// Unpacks `priority|max_attempts|timeout|created|type length|type payload`; throws
/// errc::unexpected_reply for anything else.
job_data unpack_data(std::string_view packed);

}  // namespace redkit::queue::detail
