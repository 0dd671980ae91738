// /v1/queues: the job queue over HTTP (producers and HTTP workers), and its /metrics text.
#include <redkit/http_queue.hpp>
#include <redkit/job_queue.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "http/json_text.hpp"
#include "http/request_fields.hpp"
#include "script_reply.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <atomic>
#include <map>
#include <mutex>

namespace redkit::http {

namespace {

namespace rq = redkit::queue;
namespace json = boost::json;
using detail::bad_request;
using detail::json_string;
using detail::only_fields;
using detail::optional_int;
using detail::query_params;
using detail::required_string;

constexpr std::size_t max_queue_names = 64;
constexpr std::size_t max_bulk = 1000;
constexpr std::int64_t max_reserve = 100;
constexpr std::int64_t max_wait_ms = 20000;  // below the server's 30 s handler limit
constexpr std::int64_t min_lease_ms = 100;
constexpr std::int64_t max_lease_ms = 86'400'000;
constexpr std::size_t max_error_bytes = 8192;

/// The body as an object, or an empty one when there is no body.
json::object optional_body(const request& req) {
  if (req.body().empty()) return {};
  return json_object_body(req);
}

/// A job of an enqueue body (`where`: "" or "jobs[i].").
rq::job_spec job_of(const json::object& o, std::string_view where) {
  only_fields(
      o, {"type", "payload", "priority", "max_attempts", "delay_ms", "run_at", "id", "timeout_ms"},
      where);
  rq::job_spec j;
  j.type = required_string(o, "type", where, 1, 200);
  const auto* payload = o.if_contains("payload");
  j.payload = payload ? json::serialize(*payload) : "null";
  auto& jo = j.options;
  jo.priority =
      static_cast<std::uint32_t>(optional_int(o, "priority", 0, 1048575, where).value_or(0));
  jo.max_attempts =
      static_cast<std::uint32_t>(optional_int(o, "max_attempts", 1, 1000, where).value_or(3));
  const auto delay = optional_int(o, "delay_ms", 0, 366LL * 86'400'000, where);
  const auto run_at = optional_int(o, "run_at", 0, 253'402'300'799'999LL, where);
  if (delay && run_at) {
    bad_request(fmt::format("{}delay_ms and {}run_at exclude each other", where, where));
  }
  if (delay) jo.delay = std::chrono::milliseconds(*delay);
  if (run_at) jo.run_at = rq::clock::time_point(std::chrono::milliseconds(*run_at));
  jo.id = detail::optional_string(o, "id", where, 1, 200).value_or("");
  jo.timeout =
      std::chrono::milliseconds(optional_int(o, "timeout_ms", 0, max_lease_ms, where).value_or(0));
  return j;
}

/// A stored payload as JSON: itself when it is JSON text (as the API stores it), else a string
/// of its bytes (a payload a C++ producer stored).
json::value payload_json(const std::string& payload) {
  boost::system::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec) return json::string(payload);
  return v;
}

json::object enqueued_json(const rq::enqueued& e) {
  json::object o;
  o["id"] = e.id;
  o["created"] = e.created;
  o["state"] = rq::to_string(e.state);
  return o;
}

/// One subscription for the notifications of every queue HTTP workers use. When a queue joins,
/// a subscription to all their channels replaces the last one, opened before it closes so no
/// message is missed (at most 64 queues: at most 64 replacements).
class queue_notifier {
 public:
  explicit queue_notifier(std::shared_ptr<store> s) : store_(std::move(s)) {}
  ~queue_notifier() {
    std::lock_guard lock(sub_mu_);
    if (sub_) sub_->close();
  }

  /// Listens on `lc`'s channel from now on, and notifies it of each message (blocking: it
  /// subscribes). If the subscription fails, the old one stays and `lc`'s waiting reserves
  /// look at the queue every lease_options::poll; the next queue to join tries again.
  void add(const std::shared_ptr<rq::lease_client>& lc) {
    std::lock_guard lock(sub_mu_);
    std::vector<std::string> channels;
    {
      std::lock_guard map_lock(clients_->mu);
      clients_->by_channel[lc->channel()] = lc;
      for (const auto& [channel, client] : clients_->by_channel) channels.push_back(channel);
    }
    const auto clients = clients_;
    try {
      auto next = store_->subscribe(
          std::move(channels), {}, [clients](message m) { clients->notify(m.channel); },
          // a lost or resumed subscription may have missed a message: every waiter looks
          [clients](bool) { clients->notify({}); });
      if (sub_) sub_->close();
      sub_ = std::move(next);
    } catch (const std::exception&) {
    }
  }

 private:
  struct client_map {
    std::mutex mu;
    std::map<std::string, std::weak_ptr<rq::lease_client>> by_channel;

    /// Notifies the client of `channel`, or every client for an empty one.
    void notify(const std::string& channel) {
      std::lock_guard lock(mu);
      for (const auto& [name, weak] : by_channel) {
        if (!channel.empty() && name != channel) continue;
        if (auto lc = weak.lock()) lc->notify();
      }
    }
  };

  std::shared_ptr<store> store_;
  std::mutex sub_mu_;  // one subscription change at a time
  std::shared_ptr<subscription> sub_;
  // Shared with the subscription's handlers, which run on the store's thread.
  std::shared_ptr<client_map> clients_ = std::make_shared<client_map>();
};

/// One queue this server has touched, with its HTTP-worker counters.
struct queue_entry {
  std::string name;
  std::shared_ptr<rq::queue> q;
  std::atomic<std::uint64_t> reserved{0}, acked{0}, failed{0}, released{0}, lost{0};

  /// The lease client, made on first use (then `made` is set: its notifications are the
  /// caller's to arrange).
  std::shared_ptr<rq::lease_client> leases(const std::shared_ptr<store>& s,
                                           const rq::lease_options& o, bool& made) {
    std::lock_guard lock(mu_);
    if (!leases_) {
      leases_ = std::make_shared<rq::lease_client>(s, name, o);
      made = true;
    }
    return leases_;
  }

  /// The lease client if one was made, else nullptr.
  std::shared_ptr<rq::lease_client> made_leases() {
    std::lock_guard lock(mu_);
    return leases_;
  }

 private:
  std::mutex mu_;
  std::shared_ptr<rq::lease_client> leases_;
};

/// The queues by name, made on first use.
class queue_registry {
 public:
  queue_registry(std::shared_ptr<store> s, queue_api_options o)
      : store_(std::move(s)), opts_(o), notifier_(store_) {
    qo_.timeout = opts_.store_timeout;
    lo_.queue = qo_;
    lo_.subscribe = false;  // notifier_ listens for all of them
  }

  std::shared_ptr<queue_entry> get(const std::string& name) {
    std::lock_guard lock(mu_);
    if (auto it = queues_.find(name); it != queues_.end()) return it->second;
    if (queues_.size() >= max_queue_names) {
      bad_request(fmt::format("at most {} queue names", max_queue_names));
    }
    auto e = std::make_shared<queue_entry>();
    e->name = name;
    e->q = std::make_shared<rq::queue>(store_, name, qo_);  // validates the name (→ 400)
    queues_.emplace(name, e);
    return e;
  }

  std::shared_ptr<rq::lease_client> leases(queue_entry& e) {
    bool made = false;
    auto lc = e.leases(store_, lo_, made);
    if (made) {
      notifier_.add(lc);
      // (made before stop_waiting set the flag: it finds this client; after: the flag is seen)
      if (stopping_) lc->stop_waiting();
    }
    return lc;
  }

  milliseconds default_lease() const { return opts_.default_lease; }

  /// Ends the waiting reserves, and no reserve waits from then on (shutdown).
  void stop_waiting() {
    stopping_ = true;
    std::lock_guard lock(mu_);
    for (const auto& [name, e] : queues_) {
      if (auto lc = e->made_leases()) lc->stop_waiting();
    }
  }

  asio::awaitable<std::string> prometheus() {
    std::vector<std::shared_ptr<queue_entry>> all;
    {
      std::lock_guard lock(mu_);
      for (const auto& [name, e] : queues_) all.push_back(e);
    }
    if (all.empty()) co_return std::string();
    // Every read at once, each within the store timeout.
    using op =
        decltype(asio::co_spawn(store_->get_executor(), all[0]->q->async_stats(), asio::deferred));
    std::vector<op> ops;
    for (const auto& e : all) {
      ops.push_back(asio::co_spawn(store_->get_executor(), e->q->async_stats(), asio::deferred));
    }
    auto [order, errors, stats] =
        co_await asio::experimental::make_parallel_group(std::move(ops))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    std::string out;
    const auto family = [&](const char* metric, const char* type, const char* help) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", metric, help, metric, type);
    };
    const auto each_read = [&](const char* metric, auto value) {
      for (std::size_t i = 0; i < all.size(); ++i) {
        if (!errors[i])
          out += fmt::format("{}{{queue={}}} {}\n", metric, json_string(all[i]->name),
                             value(stats[i]));
      }
    };
    family("redkit_queue_jobs", "gauge", "Jobs by state, read at scrape time.");
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (errors[i]) continue;
      const auto label = json_string(all[i]->name);
      const auto& s = stats[i];
      for (const auto& [state, n] :
           {std::pair{"pending", s.pending}, std::pair{"delayed", s.delayed},
            std::pair{"active", s.active}, std::pair{"dead", s.dead}}) {
        out += fmt::format("redkit_queue_jobs{{queue={},state=\"{}\"}} {}\n", label, state, n);
      }
    }
    family("redkit_queue_completed_total", "counter", "Runs completed since the queue began.");
    each_read("redkit_queue_completed_total", [](const rq::queue_stats& s) { return s.completed; });
    family("redkit_queue_failed_total", "counter",
           "Runs failed (retried or dead) since the queue began.");
    each_read("redkit_queue_failed_total", [](const rq::queue_stats& s) { return s.failed; });
    family("redkit_queue_paused", "gauge", "1 while the queue is paused.");
    each_read("redkit_queue_paused", [](const rq::queue_stats& s) { return s.paused ? 1 : 0; });
    family("redkit_queue_stats_failed", "gauge", "1 when this scrape could not read the queue.");
    for (std::size_t i = 0; i < all.size(); ++i) {
      out += fmt::format("redkit_queue_stats_failed{{queue={}}} {}\n", json_string(all[i]->name),
                         errors[i] ? 1 : 0);
    }
    const auto counter = [&](const char* metric, const char* help, auto value) {
      family(metric, "counter", help);
      for (const auto& e : all) {
        out += fmt::format("{}{{queue={}}} {}\n", metric, json_string(e->name), value(*e));
      }
    };
    counter("redkit_queue_http_reserved_total", "Jobs leased to HTTP workers by this server.",
            [](const queue_entry& e) { return e.reserved.load(); });
    counter("redkit_queue_http_acked_total", "Runs HTTP workers completed.",
            [](const queue_entry& e) { return e.acked.load(); });
    counter("redkit_queue_http_failed_total", "Runs HTTP workers failed.",
            [](const queue_entry& e) { return e.failed.load(); });
    counter("redkit_queue_http_released_total", "Jobs HTTP workers gave back.",
            [](const queue_entry& e) { return e.released.load(); });
    counter("redkit_queue_http_lost_total", "HTTP worker calls refused because the lease was lost.",
            [](const queue_entry& e) { return e.lost.load(); });
    co_return out;
  }

 private:
  std::shared_ptr<store> store_;
  queue_api_options opts_;
  rq::queue_options qo_;
  rq::lease_options lo_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<queue_entry>> queues_;
  std::atomic<bool> stopping_{false};
  queue_notifier notifier_;  // last: its subscription closes first
};

/// The routes under /v1/queues/{name}/.
enum class route_kind {
  enqueue,
  bulk,
  status,
  stats,
  dead_list,
  dead_delete,
  dead_retry,
  pause,
  resume,
  reserve,
  heartbeat,
  ack,
  fail,
  release,
};

struct queue_path {
  std::string name;
  std::optional<route_kind> kind;  ///< nothing: the path has no route for this method
  std::string id;                  ///< the job id (status and lease calls)
  std::string allow;               ///< the path's methods
};

/// The route of `rest` (the path after /v1/queues/) for `method`; throws 404 for an unknown
/// path.
queue_path parse_queue_path(std::string_view rest, bhttp::verb method) {
  std::vector<std::string_view> seg;
  for (std::size_t at = 0;;) {
    const auto slash = rest.find('/', at);
    seg.push_back(rest.substr(at, slash == std::string_view::npos ? slash : slash - at));
    if (slash == std::string_view::npos) break;
    at = slash + 1;
  }
  const auto not_found = [&] {
    return problem_error(bhttp::status::not_found,
                         fmt::format("no queue route /v1/queues/{}", std::string(rest)));
  };
  for (const auto s : seg) {
    if (s.empty()) throw not_found();
  }
  queue_path p;
  p.name = percent_decode(seg[0]);
  const auto is = [&](std::size_t i, std::string_view s) { return seg.size() > i && seg[i] == s; };
  std::optional<route_kind> get, post, del;  // the route of each method
  if (seg.size() == 2 && is(1, "jobs")) {
    post = route_kind::enqueue;
  } else if (seg.size() == 3 && is(1, "jobs")) {
    get = route_kind::status;
    if (seg[2] == "bulk") post = route_kind::bulk;
    p.id = percent_decode(seg[2]);
  } else if (seg.size() == 4 && is(1, "jobs")) {
    p.id = percent_decode(seg[2]);
    if (seg[3] == "heartbeat") post = route_kind::heartbeat;
    if (seg[3] == "ack") post = route_kind::ack;
    if (seg[3] == "fail") post = route_kind::fail;
    if (seg[3] == "release") post = route_kind::release;
    if (!post) throw not_found();
  } else if (seg.size() == 2 && is(1, "stats")) {
    get = route_kind::stats;
  } else if (seg.size() == 2 && is(1, "dead")) {
    get = route_kind::dead_list;
    del = route_kind::dead_delete;
  } else if (seg.size() == 3 && is(1, "dead") && is(2, "retry")) {
    post = route_kind::dead_retry;
  } else if (seg.size() == 2 && is(1, "pause")) {
    post = route_kind::pause;
  } else if (seg.size() == 2 && is(1, "resume")) {
    post = route_kind::resume;
  } else if (seg.size() == 2 && is(1, "reserve")) {
    post = route_kind::reserve;
  } else {
    throw not_found();
  }
  std::vector<std::string_view> allow;
  if (get) allow.emplace_back("GET");
  if (post) allow.emplace_back("POST");
  if (del) allow.emplace_back("DELETE");
  p.allow = fmt::format("{}", fmt::join(allow, ", "));
  p.kind = method == bhttp::verb::get ? get : method == bhttp::verb::post ? post : del;
  return p;
}

response json_ok(const request& req, const json::value& v,
                 bhttp::status status = bhttp::status::ok) {
  return json_response(status, json::serialize(v), req.version());
}

problem_error lease_lost(const std::string& id) {
  return problem_error(bhttp::status::conflict,
                       fmt::format("the lease of job {} is lost: it ended and the job was leased "
                                   "again, or the job was settled",
                                   json_string(id)));
}

asio::awaitable<response> enqueue(const request& req, std::shared_ptr<queue_entry> e) {
  const auto body = json_object_body(req);
  auto spec = job_of(body, "");
  std::vector<rq::job_spec> jobs;
  jobs.push_back(std::move(spec));
  const auto out = co_await e->q->async_enqueue_bulk(std::move(jobs));
  co_return json_ok(req, enqueued_json(out.at(0)),
                    out.at(0).created ? bhttp::status::created : bhttp::status::ok);
}

asio::awaitable<response> enqueue_bulk(const request& req, std::shared_ptr<queue_entry> e) {
  const auto body = json_object_body(req);
  only_fields(body, {"jobs"});
  const auto list = detail::required_objects(body, "jobs", 1, max_bulk);
  std::vector<rq::job_spec> jobs;
  for (std::size_t i = 0; i < list.size(); ++i) {
    jobs.push_back(job_of(*list[i], fmt::format("jobs[{}].", i)));
  }
  const auto out = co_await e->q->async_enqueue_bulk(std::move(jobs));
  json::array arr;
  for (const auto& x : out) arr.push_back(enqueued_json(x));
  json::object res;
  res["jobs"] = std::move(arr);
  co_return json_ok(req, res);
}

asio::awaitable<response> status(const request& req, std::shared_ptr<queue_entry> e,
                                 std::string id) {
  query_params(req.target(), {});
  if (id.size() > 200) bad_request("the job id must be 1 to 200 bytes");
  const auto st = co_await e->q->async_status(id);
  if (!st) co_return problem(bhttp::status::not_found, "no job " + json_string(id), req.version());
  json::object o;
  o["id"] = st->id;
  o["type"] = st->type;
  o["state"] = rq::to_string(st->state);
  o["attempts"] = st->attempts;
  o["max_attempts"] = st->max_attempts;
  if (st->last_error.empty()) {
    o["last_error"] = nullptr;
  } else {
    o["last_error"] = st->last_error;
  }
  o["created"] = redkit::detail::unix_ms(st->created);
  co_return json_ok(req, o);
}

asio::awaitable<response> stats(const request& req, std::shared_ptr<queue_entry> e) {
  query_params(req.target(), {});
  const auto s = co_await e->q->async_stats();
  json::object o;
  o["pending"] = s.pending;
  o["delayed"] = s.delayed;
  o["active"] = s.active;
  o["dead"] = s.dead;
  o["completed"] = s.completed;
  o["failed"] = s.failed;
  o["paused"] = s.paused;
  co_return json_ok(req, o);
}

asio::awaitable<response> dead_list(const request& req, std::shared_ptr<queue_entry> e) {
  const query_params q(req.target(), {"offset", "count"});
  const auto offset = static_cast<std::size_t>(q.integer("offset", 0, 1'000'000'000, 0));
  const auto count = static_cast<std::size_t>(q.integer("count", 1, 1000, 100));
  const auto dead = co_await e->q->async_dead(offset, count);
  json::array arr;
  for (const auto& d : dead) {
    json::object o;
    o["id"] = d.id;
    o["type"] = d.type;
    o["payload"] = payload_json(d.payload);
    o["attempts"] = d.attempts;
    o["max_attempts"] = d.max_attempts;
    o["last_error"] = d.last_error;
    o["created"] = redkit::detail::unix_ms(d.created);
    o["died"] = redkit::detail::unix_ms(d.died);
    arr.push_back(std::move(o));
  }
  json::object res;
  res["jobs"] = std::move(arr);
  res["offset"] = offset;
  res["count"] = count;
  co_return json_ok(req, res);
}

asio::awaitable<response> dead_op(const request& req, std::shared_ptr<queue_entry> e, bool retry) {
  const auto body = optional_body(req);
  only_fields(body, {"ids"});
  auto ids = detail::optional_strings(body, "ids", {}, 1, 10000, 1, 200)
                 .value_or(std::vector<std::string>{});
  std::size_t n = 0;
  if (retry) {
    n = co_await e->q->async_retry_dead(std::move(ids));
  } else {
    n = co_await e->q->async_delete_dead(std::move(ids));
  }
  json::object o;
  o[retry ? "retried" : "deleted"] = n;
  co_return json_ok(req, o);
}

asio::awaitable<response> set_paused(const request& req, std::shared_ptr<queue_entry> e,
                                     bool paused) {
  only_fields(optional_body(req), {});
  if (paused) {
    co_await e->q->async_pause();
  } else {
    co_await e->q->async_resume();
  }
  json::object o;
  o["paused"] = paused;
  co_return json_ok(req, o);
}

asio::awaitable<response> reserve(const request& req, std::shared_ptr<queue_registry> reg,
                                  std::shared_ptr<queue_entry> e) {
  const auto body = optional_body(req);
  only_fields(body, {"count", "lease_ms", "wait_ms"});
  const auto count = static_cast<unsigned>(optional_int(body, "count", 1, max_reserve).value_or(1));
  const auto lease = milliseconds(optional_int(body, "lease_ms", min_lease_ms, max_lease_ms)
                                      .value_or(reg->default_lease().count()));
  const auto wait = milliseconds(optional_int(body, "wait_ms", 0, max_wait_ms).value_or(0));
  auto lc = reg->leases(*e);
  const auto jobs = co_await lc->async_reserve(count, lease, wait);
  e->reserved += jobs.size();
  json::array arr;
  for (const auto& j : jobs) {
    json::object o;
    o["id"] = j.id;
    o["type"] = j.type;
    o["payload"] = payload_json(j.payload);
    o["attempt"] = j.attempt;
    o["max_attempts"] = j.max_attempts;
    o["created"] = redkit::detail::unix_ms(j.created);
    o["timeout_ms"] = j.timeout.count();
    o["token"] = j.token;
    o["lease_expires_at"] = redkit::detail::unix_ms(j.lease_end);
    arr.push_back(std::move(o));
  }
  json::object res;
  res["jobs"] = std::move(arr);
  co_return json_ok(req, res);
}

asio::awaitable<response> lease_call(const request& req, std::shared_ptr<queue_registry> reg,
                                     std::shared_ptr<queue_entry> e, route_kind kind,
                                     std::string id) {
  const auto body = json_object_body(req);
  if (id.size() > 200) bad_request("the job id must be 1 to 200 bytes");
  json::object o;
  o["id"] = id;
  auto lc = reg->leases(*e);
  bool held = false;
  switch (kind) {
    case route_kind::heartbeat: {
      only_fields(body, {"token", "lease_ms"});
      auto token = required_string(body, "token", {}, 1, 200);
      const auto lease = milliseconds(optional_int(body, "lease_ms", min_lease_ms, max_lease_ms)
                                          .value_or(reg->default_lease().count()));
      const auto end = co_await lc->async_heartbeat(id, std::move(token), lease);
      held = end.has_value();
      if (end) o["lease_expires_at"] = redkit::detail::unix_ms(*end);
      break;
    }
    case route_kind::ack: {
      only_fields(body, {"token"});
      auto token = required_string(body, "token", {}, 1, 200);
      held = co_await lc->async_ack(id, std::move(token));
      if (held) ++e->acked;
      o["outcome"] = "completed";
      break;
    }
    case route_kind::fail: {
      only_fields(body, {"token", "error", "retry_delay_ms"});
      auto token = required_string(body, "token", {}, 1, 200);
      auto error = required_string(body, "error", {}, 1, max_error_bytes);
      std::optional<milliseconds> delay;
      if (auto d = optional_int(body, "retry_delay_ms", 0, 366LL * 86'400'000)) {
        delay = milliseconds(*d);
      }
      const auto outcome = co_await lc->async_fail(id, std::move(token), std::move(error), delay);
      held = outcome != rq::fail_outcome::lost;
      if (held) ++e->failed;
      o["outcome"] = outcome == rq::fail_outcome::dead ? "dead" : "retried";
      break;
    }
    default: {
      only_fields(body, {"token"});
      auto token = required_string(body, "token", {}, 1, 200);
      held = co_await lc->async_release(id, std::move(token));
      if (held) ++e->released;
      o["outcome"] = "released";
      break;
    }
  }
  if (!held) {
    ++e->lost;
    throw lease_lost(id);
  }
  co_return json_ok(req, o);
}

/// A response that is ready.
asio::awaitable<response> ready(response res) { co_return res; }

/// The handler of one request (not a coroutine: it picks the one that answers).
asio::awaitable<response> handle(const std::shared_ptr<queue_registry>& reg, const request& req,
                                 request_context& ctx) {
  const auto p = parse_queue_path(ctx.path_rest, req.method());
  if (!p.kind) {
    auto res =
        problem(bhttp::status::method_not_allowed,
                fmt::format("/v1/queues/{} accepts {}", ctx.path_rest, p.allow), req.version());
    res.set(bhttp::field::allow, p.allow);
    return ready(std::move(res));
  }
  auto e = reg->get(p.name);
  switch (*p.kind) {
    case route_kind::enqueue:
      return enqueue(req, e);
    case route_kind::bulk:
      return enqueue_bulk(req, e);
    case route_kind::status:
      return status(req, e, p.id);
    case route_kind::stats:
      return stats(req, e);
    case route_kind::dead_list:
      return dead_list(req, e);
    case route_kind::dead_delete:
      return dead_op(req, e, false);
    case route_kind::dead_retry:
      return dead_op(req, e, true);
    case route_kind::pause:
      return set_paused(req, e, true);
    case route_kind::resume:
      return set_paused(req, e, false);
    case route_kind::reserve:
      return reserve(req, reg, e);
    default:
      return lease_call(req, reg, e, *p.kind, p.id);
  }
}

}  // namespace

std::function<asio::awaitable<std::string>()> add_queue_api(router& r, std::shared_ptr<store> s,
                                                            const api_keys& keys,
                                                            queue_api_options o) {
  auto reg = std::make_shared<queue_registry>(std::move(s), o);
  const auto h =
      keys.guard([reg](const request& req, request_context& ctx) { return handle(reg, req, ctx); });
  for (const auto method : {bhttp::verb::get, bhttp::verb::post, bhttp::verb::delete_}) {
    r.add_prefix(method, "/v1/queues/", h);
  }
  r.on_stop([reg] { reg->stop_waiting(); });  // long polls answer at once at shutdown
  return [reg] { return reg->prometheus(); };
}

}  // namespace redkit::http
