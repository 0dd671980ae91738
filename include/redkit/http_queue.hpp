// The job queue API of `redkit serve` under /v1/queues: producers enqueue and manage jobs, and
// HTTP workers in any language lease, renew and settle them with the C++ worker's guarantees
// (queue::lease_client).
// Thread-safety: add_queue_api runs once, before the server starts; the handlers and the
// metrics function it makes may run on any thread.
#pragma once

#include <redkit/http_api.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <string>

namespace redkit::http {

struct queue_api_options {
  /// The lease of a reserve or heartbeat that names none (lease_ms). Default 30 s.
  milliseconds default_lease{30000};
  /// Deadline of each store call. Default 2 s.
  milliseconds store_timeout{2000};
};

/// The queue API, on queues named in the path (at most 64 names, created on first use; names
/// and job ids are percent-decoded):
/// - `POST /v1/queues/{name}/jobs` {type, payload?, priority?, max_attempts?, delay_ms?,
///   run_at?, id?, timeout_ms?} → 201 {id, created, state} (200 with created false when the id
///   is already pending, delayed, active or failed); `POST .../jobs/bulk` {jobs: [...]} (at most
///   1000, atomic) → 200 {jobs: [{id, created, state}]};
/// - `GET .../jobs/{id}` → the job's state (404 unknown); `GET .../stats`;
///   `GET .../dead?offset=&count=`; `POST .../dead/retry` {ids?} → {retried};
///   `DELETE .../dead` {ids?} → {deleted} (no ids: all); `POST .../pause`, `.../resume`;
/// - HTTP workers: `POST .../reserve` {count?, lease_ms?, wait_ms?} → {jobs: [{id, type,
///   payload, attempt, max_attempts, created, timeout_ms, token, lease_expires_at}]};
///   `POST .../jobs/{id}/heartbeat` {token, lease_ms?} → {id, lease_expires_at}, `.../ack`
///   {token} → {id, outcome: completed}, `.../fail` {token, error, retry_delay_ms?} → {id,
///   outcome: retried | dead}, `.../release` {token} → {id, outcome: released}; a lost lease
///   (the token no longer holds the job) answers 409.
/// Payloads are JSON values, stored as their serialization. Bad input answers 400 naming the
/// field, unknown fields included. Returns what /metrics adds for the queues this server has
/// touched (an awaitable: one stats read per queue, at once, each within the store timeout;
/// a failed read shows as redkit_queue_stats_failed 1).
std::function<asio::awaitable<std::string>()> add_queue_api(router& r, std::shared_ptr<store> s,
                                                            const api_keys& keys,
                                                            queue_api_options o = {});

}  // namespace redkit::http
