// Helpers shared by the queue's producer side (queue.cpp) and its workers (worker.cpp).
#pragma once

#include <redkit/job_queue.hpp>

#include <chrono>
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

/// cycle.lua's first arguments: lease up to `n` jobs for `lease` under `token`, with the
/// queue's dead cap and completed-job retention; `settlements` settlements follow.
std::vector<std::string> cycle_args(const queue_options& o, unsigned n,
                                    std::chrono::milliseconds lease, std::string token,
                                    std::size_t settlements);
/// The leased job at `at` in cycle.lua's reply (id, packed data, attempts); `timeout` gets the
/// job's own run limit (0: none).
job leased_from_cycle(const std::vector<resp::reply>& reply, std::size_t at,
                      std::chrono::milliseconds& timeout);

}  // namespace redkit::queue::detail
