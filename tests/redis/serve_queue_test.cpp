// The job queue over HTTP end to end: the real `redkit serve` binary on both stores. Enqueue
// (single, duplicate ids, bulk), status, stats, pause and resume, the dead list with retry and
// delete; HTTP workers that reserve, heartbeat, ack, fail and release, with a short lease
// re-delivered to a second worker whose predecessor's ack then gets 409; a waiting reserve
// ended by an enqueue, and one ended by SIGTERM; bad input; API keys; the queue metrics; and, on
// Redis, jobs shared with the C++ library and one subscription for the workers of many queues.
#ifdef REDKIT_TEST_CLI
#include "support/redis_server.hpp"
#include "support/serve_process.hpp"

#include <redkit/job_queue.hpp>
#include <redkit/store.hpp>

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

namespace redkit::test {
namespace {

using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using response = bhttp::response<bhttp::string_body>;
using steady = std::chrono::steady_clock;

class ServeQueue : public serve_test {};

json::object object_of(const response& r) { return body_json(r).as_object(); }

/// The jobs of a reserve's reply.
json::array reserved(const response& r) {
  EXPECT_EQ(r.result_int(), 200u) << r.body();
  return body_json(r).at("jobs").as_array();
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

/// A reserve on `queue` waiting up to `wait_ms`, from a client of its own, given 200 ms to
/// start waiting; the test checks it has not answered yet.
std::future<response> waiting_reserve(std::uint16_t port, std::string queue, int wait_ms) {
  auto f = std::async(std::launch::async, [port, queue = std::move(queue), wait_ms] {
    client w(port);
    return post(w, "/v1/queues/" + queue + "/reserve",
                R"({"wait_ms":)" + std::to_string(wait_ms) + "}");
  });
  std::this_thread::sleep_for(200ms);
  return f;
}

TEST_P(ServeQueue, EnqueueStatusStatsPauseAndResume) {
  serve_process srv(store_args());
  client c(srv.port());
  auto r = post(c, "/v1/queues/mail/jobs",
                R"({"type":"send","payload":{"to":"a@b.c","n":[1,2]},"id":"j1","priority":2})");
  ASSERT_EQ(r.result_int(), 201u) << r.body();
  EXPECT_EQ(r[bhttp::field::content_type], "application/json");
  EXPECT_EQ(body_json(r), json::parse(R"({"id":"j1","created":true,"state":"pending"})"));
  r = post(c, "/v1/queues/mail/jobs", R"({"type":"send","payload":1,"id":"j1"})");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(body_json(r), json::parse(R"({"id":"j1","created":false,"state":"pending"})"));
  r = post(c, "/v1/queues/mail/jobs", R"({"type":"send","delay_ms":60000,"max_attempts":5})");
  ASSERT_EQ(r.result_int(), 201u);
  EXPECT_EQ(object_of(r).at("state"), "delayed");
  const auto generated = str(object_of(r).at("id"));
  EXPECT_FALSE(generated.empty());
  r = post(c, "/v1/queues/mail/jobs", R"({"type":"send","run_at":1,"id":"past"})");
  EXPECT_EQ(object_of(r).at("state"), "pending") << "a run_at in the past is now";

  r = post(c, "/v1/queues/mail/jobs/bulk",
           R"({"jobs":[{"type":"a","id":"b1","priority":0},{"type":"b","payload":"x","id":"j1"},)"
           R"({"type":"c","id":"b3","delay_ms":60000}]})");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r), json::parse(R"({"jobs":[{"id":"b1","created":true,"state":"pending"},)"
                                      R"({"id":"j1","created":false,"state":"pending"},)"
                                      R"({"id":"b3","created":true,"state":"delayed"}]})"));

  r = c.request("GET", "/v1/queues/mail/jobs/j1");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  auto st = object_of(r);
  EXPECT_EQ(st.at("id"), "j1");
  EXPECT_EQ(st.at("type"), "send");
  EXPECT_EQ(st.at("state"), "pending");
  EXPECT_EQ(st.at("attempts"), 0);
  EXPECT_EQ(st.at("max_attempts"), 3);
  EXPECT_TRUE(st.at("last_error").is_null());
  EXPECT_GT(st.at("created").as_int64(), 1'600'000'000'000);
  EXPECT_EQ(object_of(c.request("GET", "/v1/queues/mail/jobs/" + generated)).at("max_attempts"), 5);
  expect_problem(c.request("GET", "/v1/queues/mail/jobs/nope"), 404);

  r = c.request("GET", "/v1/queues/mail/stats");
  ASSERT_EQ(r.result_int(), 200u);
  EXPECT_EQ(body_json(r), json::parse(R"({"pending":3,"delayed":2,"active":0,"dead":0,)"
                                      R"("completed":0,"failed":0,"paused":false})"));

  // Paused: reserves lease nothing; resumed: in priority order.
  r = c.request("POST", "/v1/queues/mail/pause");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r), json::parse(R"({"paused":true})"));
  EXPECT_EQ(object_of(c.request("GET", "/v1/queues/mail/stats")).at("paused"), true);
  EXPECT_TRUE(reserved(post(c, "/v1/queues/mail/reserve", R"({"count":5})")).empty());
  r = post(c, "/v1/queues/mail/resume", "{}");
  EXPECT_EQ(body_json(r), json::parse(R"({"paused":false})"));
  const auto jobs = reserved(post(c, "/v1/queues/mail/reserve", R"({"count":5})"));
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].at("id"), "past");  // priority 0, enqueued first
  EXPECT_EQ(jobs[1].at("id"), "b1");
  EXPECT_EQ(jobs[2].at("id"), "j1");
  EXPECT_EQ(jobs[2].at("payload"), json::parse(R"({"to":"a@b.c","n":[1,2]})"));
  EXPECT_TRUE(jobs[1].at("payload").is_null()) << "no payload is null";
  EXPECT_EQ(object_of(c.request("GET", "/v1/queues/mail/jobs/j1")).at("state"), "active");
  EXPECT_EQ(object_of(c.request("GET", "/v1/queues/other/stats")).at("pending"), 0)
      << "queues are separate";
}

TEST_P(ServeQueue, HttpWorkerReservesHeartbeatsAndAcks) {
  serve_process srv(store_args());
  client c(srv.port());
  ASSERT_EQ(post(c, "/v1/queues/w/jobs", R"({"type":"t","payload":[1],"id":"a","timeout_ms":500})")
                .result_int(),
            201u);
  ASSERT_EQ(post(c, "/v1/queues/w/jobs", R"({"type":"t","payload":"two","id":"b"})").result_int(),
            201u);
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto jobs = reserved(post(c, "/v1/queues/w/reserve", R"({"count":10,"lease_ms":5000})"));
  ASSERT_EQ(jobs.size(), 2u);
  const auto& a = jobs[0].as_object();
  EXPECT_EQ(a.at("id"), "a");
  EXPECT_EQ(a.at("type"), "t");
  EXPECT_EQ(a.at("payload"), json::parse("[1]"));
  EXPECT_EQ(a.at("attempt"), 1);
  EXPECT_EQ(a.at("max_attempts"), 3);
  EXPECT_EQ(a.at("timeout_ms"), 500);
  EXPECT_EQ(jobs[1].at("payload"), "two");
  EXPECT_EQ(jobs[1].at("timeout_ms"), 0);
  const auto token = str(a.at("token"));
  const auto expires = a.at("lease_expires_at").as_int64();
  EXPECT_GE(expires, before + 5000);
  EXPECT_LE(expires, before + 5000 + 5000);
  EXPECT_EQ(object_of(c.request("GET", "/v1/queues/w/jobs/a")).at("state"), "active");

  std::this_thread::sleep_for(20ms);
  auto r =
      post(c, "/v1/queues/w/jobs/a/heartbeat", R"({"token":")" + token + R"(","lease_ms":8000})");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(object_of(r).at("id"), "a");
  EXPECT_GT(object_of(r).at("lease_expires_at").as_int64(), expires);
  expect_problem(post(c, "/v1/queues/w/jobs/a/heartbeat", R"({"token":"wrong"})"), 409);

  r = post(c, "/v1/queues/w/jobs/a/ack", R"({"token":")" + token + R"("})");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r), json::parse(R"({"id":"a","outcome":"completed"})"));
  expect_problem(post(c, "/v1/queues/w/jobs/a/ack", R"({"token":")" + token + R"("})"), 409);
  // Released: pending again, the attempt not counted.
  r = post(c, "/v1/queues/w/jobs/b/release", R"({"token":")" + token + R"("})");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r), json::parse(R"({"id":"b","outcome":"released"})"));
  auto st = object_of(c.request("GET", "/v1/queues/w/jobs/b"));
  EXPECT_EQ(st.at("state"), "pending");
  EXPECT_EQ(st.at("attempts"), 0);
  const auto again = reserved(post(c, "/v1/queues/w/reserve", "{}"));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].at("attempt"), 1);
  EXPECT_EQ(post(c, "/v1/queues/w/jobs/b/ack", R"({"token":")" + str(again[0].at("token")) + "\"}")
                .result_int(),
            200u);
  EXPECT_EQ(body_json(c.request("GET", "/v1/queues/w/stats")),
            json::parse(R"({"pending":0,"delayed":0,"active":0,"dead":0,)"
                        R"("completed":2,"failed":0,"paused":false})"));

  // A waiting reserve returns as soon as a job is enqueued.
  auto waiting = waiting_reserve(srv.port(), "w", 4000);
  EXPECT_EQ(waiting.wait_for(0ms), std::future_status::timeout) << "returned before the enqueue";
  const auto t0 = steady::now();
  ASSERT_EQ(post(c, "/v1/queues/w/jobs", R"({"type":"t","id":"late"})").result_int(), 201u);
  const auto woken = reserved(waiting.get());
  EXPECT_LT(steady::now() - t0, 2500ms) << "not woken by the enqueue";
  ASSERT_EQ(woken.size(), 1u);
  EXPECT_EQ(woken[0].at("id"), "late");
  // With nothing to take, a wait runs out and answers no jobs.
  const auto t1 = steady::now();
  EXPECT_TRUE(reserved(post(c, "/v1/queues/w/reserve", R"({"wait_ms":150})")).empty());
  EXPECT_GE(steady::now() - t1, 150ms);
}

TEST_P(ServeQueue, SigtermEndsAWaitingReserveAtOnce) {
  serve_process srv(store_args());
  client c(srv.port());
  ASSERT_TRUE(reserved(post(c, "/v1/queues/w/reserve", "{}")).empty());  // the queue exists
  auto waiting = waiting_reserve(srv.port(), "w", 20000);
  ASSERT_EQ(waiting.wait_for(0ms), std::future_status::timeout) << "returned before the signal";
  const auto t0 = steady::now();
  srv.signal(SIGTERM);
  ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready) << "still waiting after SIGTERM";
  const auto r = waiting.get();
  EXPECT_TRUE(reserved(r).empty());
  EXPECT_FALSE(r.keep_alive());
  EXPECT_EQ(srv.wait_exit(5s), 0);
  // Well inside the default 10 s grace period, which would otherwise have cut the wait.
  EXPECT_LT(steady::now() - t0, 3s);
}

TEST_P(ServeQueue, ExpiredLeaseIsRedeliveredAndTheFirstWorkersAckGets409) {
  serve_process srv(store_args());
  client first(srv.port());
  client second(srv.port());
  ASSERT_EQ(post(first, "/v1/queues/x/jobs", R"({"type":"t","id":"j"})").result_int(), 201u);
  const auto a = reserved(post(first, "/v1/queues/x/reserve", R"({"lease_ms":200})"));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(reserved(post(second, "/v1/queues/x/reserve", "{}")).empty()) << "still leased";
  std::this_thread::sleep_for(300ms);
  const auto b = reserved(post(second, "/v1/queues/x/reserve", R"({"lease_ms":10000})"));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].at("id"), "j");
  EXPECT_EQ(b[0].at("attempt"), 2);
  EXPECT_NE(b[0].at("token"), a[0].at("token"));

  const std::string old = R"({"token":")" + str(a[0].at("token")) + "\"}";
  auto r = post(first, "/v1/queues/x/jobs/j/ack", old);
  expect_problem(r, 409);
  EXPECT_NE(std::string(object_of(r).at("detail").as_string()).find("lease"), std::string::npos);
  expect_problem(post(first, "/v1/queues/x/jobs/j/heartbeat", old), 409);
  expect_problem(post(first, "/v1/queues/x/jobs/j/release", old), 409);
  expect_problem(post(first, "/v1/queues/x/jobs/j/fail",
                      R"({"token":")" + str(a[0].at("token")) + R"(","error":"late"})"),
                 409);
  EXPECT_EQ(object_of(first.request("GET", "/v1/queues/x/jobs/j")).at("state"), "active");
  EXPECT_EQ(post(second, "/v1/queues/x/jobs/j/ack", R"({"token":")" + str(b[0].at("token")) + "\"}")
                .result_int(),
            200u);
  const auto s = object_of(first.request("GET", "/v1/queues/x/stats"));
  EXPECT_EQ(s.at("completed"), 1);
  EXPECT_EQ(s.at("failed"), 0);
}

TEST_P(ServeQueue, FailRetriesThenDeadListRetryAndDelete) {
  serve_process srv(store_args());
  client c(srv.port());
  ASSERT_EQ(
      post(c, "/v1/queues/f/jobs", R"({"type":"t","payload":{"k":"v"},"id":"j","max_attempts":2})")
          .result_int(),
      201u);
  ASSERT_EQ(post(c, "/v1/queues/f/jobs", R"({"type":"t","id":"k","max_attempts":1})").result_int(),
            201u);
  const auto fail = [&](const std::string& id, const json::value& job, const std::string& extra) {
    return post(c, "/v1/queues/f/jobs/" + id + "/fail",
                R"({"token":")" + str(job.at("token")) + R"(","error":"boom")" + extra + "}");
  };
  auto jobs = reserved(post(c, "/v1/queues/f/reserve", R"({"count":2})"));
  ASSERT_EQ(jobs.size(), 2u);
  auto r = fail("j", jobs[0], R"(,"retry_delay_ms":0)");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r), json::parse(R"({"id":"j","outcome":"retried"})"));
  r = fail("k", jobs[1], "");
  EXPECT_EQ(body_json(r), json::parse(R"({"id":"k","outcome":"dead"})")) << "its only attempt";
  auto st = object_of(c.request("GET", "/v1/queues/f/jobs/j"));
  EXPECT_EQ(st.at("state"), "pending") << "a retry due now is pending at once";
  EXPECT_EQ(st.at("attempts"), 1);
  EXPECT_EQ(st.at("last_error"), "boom");

  jobs = reserved(post(c, "/v1/queues/f/reserve", "{}"));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].at("attempt"), 2);
  EXPECT_EQ(body_json(fail("j", jobs[0], "")), json::parse(R"({"id":"j","outcome":"dead"})"));

  r = c.request("GET", "/v1/queues/f/dead?offset=0&count=10");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  const auto dead = object_of(r).at("jobs").as_array();
  ASSERT_EQ(dead.size(), 2u);
  // (oldest death first; both may have died in the same millisecond)
  const auto& dj = dead[0].at("id") == "j" ? dead[0] : dead[1];
  EXPECT_EQ(dj.at("id"), "j");
  EXPECT_EQ((dead[0].at("id") == "j" ? dead[1] : dead[0]).at("id"), "k");
  EXPECT_LE(dead[0].at("died").as_int64(), dead[1].at("died").as_int64());
  EXPECT_EQ(dj.at("type"), "t");
  EXPECT_EQ(dj.at("payload"), json::parse(R"({"k":"v"})"));
  EXPECT_EQ(dj.at("attempts"), 2);
  EXPECT_EQ(dj.at("max_attempts"), 2);
  EXPECT_EQ(dj.at("last_error"), "boom");
  EXPECT_GE(dj.at("died").as_int64(), dj.at("created").as_int64());
  EXPECT_EQ(object_of(c.request("GET", "/v1/queues/f/dead?offset=1")).at("jobs").as_array().size(),
            1u);
  EXPECT_EQ(object_of(c.request("GET", "/v1/queues/f/stats")).at("failed"), 3);

  // Retry one: pending with its attempts reset; delete one by id, then all.
  r = post(c, "/v1/queues/f/dead/retry", R"({"ids":["j"]})");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r), json::parse(R"({"retried":1})"));
  st = object_of(c.request("GET", "/v1/queues/f/jobs/j"));
  EXPECT_EQ(st.at("state"), "pending");
  EXPECT_EQ(st.at("attempts"), 0);
  r = c.request("DELETE", "/v1/queues/f/dead", json_type, R"({"ids":["nope"]})");
  EXPECT_EQ(body_json(r), json::parse(R"({"deleted":0})"));
  jobs = reserved(post(c, "/v1/queues/f/reserve", "{}"));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].at("attempt"), 1);
  // (no retry_delay_ms: the backoff's, 1 s for a first attempt)
  EXPECT_EQ(body_json(fail("j", jobs[0], "")), json::parse(R"({"id":"j","outcome":"retried"})"));
  EXPECT_EQ(object_of(c.request("GET", "/v1/queues/f/stats")).at("delayed"), 1);
  EXPECT_EQ(object_of(c.request("GET", "/v1/queues/f/jobs/j")).at("state"), "failed");
  EXPECT_TRUE(reserved(post(c, "/v1/queues/f/reserve", "{}")).empty()) << "retried too soon";
  r = c.request("DELETE", "/v1/queues/f/dead");
  ASSERT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(body_json(r), json::parse(R"({"deleted":1})"));
  EXPECT_EQ(object_of(c.request("GET", "/v1/queues/f/dead")).at("jobs").as_array().size(), 0u);
  r = post(c, "/v1/queues/f/dead/retry", "{}");
  EXPECT_EQ(body_json(r), json::parse(R"({"retried":0})"));
}

TEST_P(ServeQueue, BadInputAnswers400NamingTheField) {
  serve_process srv(store_args());
  client c(srv.port());
  const auto detail_of = [&](const std::string& path, const std::string& body) {
    const auto r = post(c, path, body);
    expect_problem(r, 400);
    return std::string(object_of(r).at("detail").as_string());
  };
  const auto names = [&](const std::string& path, const std::string& body,
                         const std::string& field) {
    const auto d = detail_of(path, body);
    EXPECT_NE(d.find(field), std::string::npos) << body << " → " << d;
  };
  const std::string jobs = "/v1/queues/q/jobs";
  names(jobs, R"({"type":"t",)", "malformed JSON");
  names(jobs, "[1]", "object");
  names(jobs, R"({"payload":1})", "type");
  names(jobs, R"({"type":""})", "type");
  names(jobs, R"({"type":7})", "type");
  names(jobs, R"({"type":"t","priority":-1})", "priority");
  names(jobs, R"({"type":"t","priority":2000000})", "priority");
  names(jobs, R"({"type":"t","max_attempts":0})", "max_attempts");
  names(jobs, R"({"type":"t","delay_ms":1.5})", "delay_ms");
  names(jobs, R"({"type":"t","delay_ms":1,"run_at":5})", "run_at");
  names(jobs, R"({"type":"t","id":""})", "id");
  names(jobs, R"({"type":"t","timeout_ms":"5"})", "timeout_ms");
  names(jobs, R"({"type":"t","colour":"red"})", "unknown field colour");
  names(jobs + "/bulk", R"({"jobs":[]})", "jobs");
  names(jobs + "/bulk", R"({"jobs":[{"type":"t"},{"type":"t","x":1}]})", "jobs[1].x");
  names(jobs + "/bulk", R"({"jobs":[{"type":"t"},3]})", "jobs[1]");
  names(jobs + "/bulk", R"({"jobs":[{"type":"t"}],"more":1})", "more");
  std::string many = R"({"jobs":[)";
  for (int i = 0; i < 1001; ++i) many += std::string(i ? "," : "") + R"({"type":"t"})";
  names(jobs + "/bulk", many + "]}", "jobs");
  names("/v1/queues/q/reserve", R"({"count":0})", "count");
  names("/v1/queues/q/reserve", R"({"count":101})", "count");
  names("/v1/queues/q/reserve", R"({"wait_ms":30000})", "wait_ms");
  names("/v1/queues/q/reserve", R"({"lease_ms":10})", "lease_ms");
  names("/v1/queues/q/reserve", R"({"lease":10})", "unknown field lease");
  names("/v1/queues/q/jobs/j/ack", "{}", "token");
  names("/v1/queues/q/jobs/j/ack", R"({"token":5})", "token");
  names("/v1/queues/q/jobs/j/ack", R"({"token":"t","extra":1})", "extra");
  names("/v1/queues/q/jobs/j/fail", R"({"token":"t"})", "error");
  names("/v1/queues/q/jobs/j/fail", R"({"token":"t","error":"e","retry_delay_ms":-1})",
        "retry_delay_ms");
  names("/v1/queues/q/jobs/j/heartbeat", R"({"token":"t","lease_ms":"1s"})", "lease_ms");
  names("/v1/queues/q/dead/retry", R"({"ids":[]})", "ids");
  names("/v1/queues/q/dead/retry", R"({"ids":"j"})", "ids");
  names("/v1/queues/q/pause", R"({"now":true})", "now");
  names("/v1/queues/a%7Bb/jobs", R"({"type":"t"})", "queue name");
  expect_problem(c.request("GET", "/v1/queues/q/dead?count=0"), 400);
  expect_problem(c.request("GET", "/v1/queues/q/dead?limit=5"), 400);
  expect_problem(c.request("GET", "/v1/queues/q/stats?x=1"), 400);
  expect_problem(c.request("GET", "/v1/queues/q/jobs/%zz"), 400);
  expect_problem(c.request("POST", jobs, {}, R"({"type":"t"})"), 415);
  expect_problem(c.request("POST", "/v1/queues/q/jobs/j/ack"), 415);  // a body is required
  expect_problem(c.request("GET", "/v1/queues/q/other"), 404);
  expect_problem(c.request("GET", "/v1/queues/q/jobs/j/finish"), 404);
  expect_problem(c.request("GET", "/v1/queues/q//stats"), 404);
  auto r = c.request("GET", "/v1/queues/q/reserve");
  expect_problem(r, 405);
  EXPECT_EQ(r[bhttp::field::allow], "POST");
  r = c.request("POST", "/v1/queues/q/dead");
  expect_problem(r, 405);
  EXPECT_EQ(r[bhttp::field::allow], "GET, DELETE");
  // Nothing was stored by the bad requests, and the server is up.
  EXPECT_EQ(body_json(c.request("GET", "/v1/queues/q/stats")),
            json::parse(R"({"pending":0,"delayed":0,"active":0,"dead":0,)"
                        R"("completed":0,"failed":0,"paused":false})"));
  // At most 64 queue names (q and a{b}... only valid names count).
  for (int i = 0; i < 63; ++i) {
    ASSERT_EQ(c.request("GET", "/v1/queues/n" + std::to_string(i) + "/stats").result_int(), 200u);
  }
  names("/v1/queues/one-more/jobs", R"({"type":"t"})", "64 queue names");
}

TEST_P(ServeQueue, ApiKeysGuardTheQueueApi) {
  auto args = store_args();
  args.insert(args.end(), {"--api-key", "0123456789abcdef-one"});
  serve_process srv(args);
  client c(srv.port());
  auto r = post(c, "/v1/queues/k/jobs", R"({"type":"t"})");
  expect_problem(r, 401);
  expect_problem(c.request("POST", "/v1/queues/k/reserve",
                           json_type + "Authorization: Bearer 0123456789abcdef-two\r\n", "{}"),
                 401);
  expect_problem(c.request("GET", "/v1/queues/k/stats"), 401);
  const std::string auth = "Authorization: Bearer 0123456789abcdef-one\r\n";
  EXPECT_EQ(
      c.request("POST", "/v1/queues/k/jobs", json_type + auth, R"({"type":"t"})").result_int(),
      201u);
  EXPECT_EQ(object_of(c.request("GET", "/v1/queues/k/stats", auth)).at("pending"), 1);
}

TEST_P(ServeQueue, MetricsShowDepthsTotalsAndHttpWorkerCounters) {
  serve_process srv(store_args());
  client c(srv.port());
  for (const auto* id : {"a", "b", "c"}) {
    post(c, "/v1/queues/m/jobs", std::string(R"({"type":"t","id":")") + id + "\"}");
  }
  post(c, "/v1/queues/m/jobs", R"({"type":"t","delay_ms":60000})");
  const auto jobs = reserved(post(c, "/v1/queues/m/reserve", R"({"count":2})"));
  ASSERT_EQ(jobs.size(), 2u);
  const auto token = str(jobs[0].at("token"));
  post(c, "/v1/queues/m/jobs/a/ack", R"({"token":")" + token + "\"}");
  post(c, "/v1/queues/m/jobs/a/ack", R"({"token":")" + token + "\"}");  // lost
  post(c, "/v1/queues/m/jobs/b/fail", R"({"token":")" + token + R"(","error":"e"})");
  const auto r = c.request("GET", "/metrics");
  ASSERT_EQ(r.result_int(), 200u);
  for (const auto* line : {
           "redkit_queue_jobs{queue=\"m\",state=\"pending\"} 1\n",
           "redkit_queue_jobs{queue=\"m\",state=\"delayed\"} 2\n",
           "redkit_queue_jobs{queue=\"m\",state=\"active\"} 0\n",
           "redkit_queue_jobs{queue=\"m\",state=\"dead\"} 0\n",
           "redkit_queue_completed_total{queue=\"m\"} 1\n",
           "redkit_queue_failed_total{queue=\"m\"} 1\n",
           "redkit_queue_paused{queue=\"m\"} 0\n",
           "redkit_queue_stats_failed{queue=\"m\"} 0\n",
           "redkit_queue_http_reserved_total{queue=\"m\"} 2\n",
           "redkit_queue_http_acked_total{queue=\"m\"} 1\n",
           "redkit_queue_http_failed_total{queue=\"m\"} 1\n",
           "redkit_queue_http_released_total{queue=\"m\"} 0\n",
           "redkit_queue_http_lost_total{queue=\"m\"} 1\n",
           "redkit_http_requests_total{route=\"/v1/queues/*\",method=\"POST\",status=\"409\"} 1\n",
       }) {
    EXPECT_NE(r.body().find(line), std::string::npos) << line << " missing from\n" << r.body();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeQueue, ::testing::Values(false, true), store_name);

TEST(ServeQueueRedis, HttpWorkersOfManyQueuesShareOneSubscription) {
  redis_server redis;
  serve_process srv({"--store", redis.url()});
  client c(srv.port());
  const std::vector<std::string> names{"q1", "q2", "q3", "q4"};
  for (const auto& n : names) {  // each queue's first reserve joins it to the notifications
    EXPECT_TRUE(reserved(post(c, "/v1/queues/" + n + "/reserve", "{}")).empty());
  }
  // Subscribed connections: redkit's one, to every queue's channel.
  auto s = store::open(redis.url());
  const auto list = s->exec(command{"CLIENT", "LIST"}).string;
  std::size_t subscribers = 0;
  for (std::size_t at = 0; (at = list.find(" sub=", at)) != std::string::npos; ++at) {
    const auto n = std::stoul(list.substr(at + 5));
    if (n > 0) {
      ++subscribers;
      EXPECT_EQ(n, names.size()) << list;
    }
  }
  EXPECT_EQ(subscribers, 1u) << list;
  // And an enqueue on any of them still ends its waiting reserve at once.
  for (const auto& n : {std::string("q1"), std::string("q4")}) {
    auto waiting = waiting_reserve(srv.port(), n, 10000);
    ASSERT_EQ(waiting.wait_for(0ms), std::future_status::timeout);
    const auto t0 = steady::now();
    ASSERT_EQ(post(c, "/v1/queues/" + n + "/jobs", R"({"type":"t"})").result_int(), 201u);
    EXPECT_EQ(reserved(waiting.get()).size(), 1u);
    // (without the notification, the 1 s poll step begun 200 ms before would end it at 800 ms)
    EXPECT_LT(steady::now() - t0, 500ms) << n << ": not woken by its enqueue";
  }
  s->close();
}

TEST(ServeQueueRedis, JobsAreSharedWithTheLibraryAndAFailingStoreIsReported) {
  redis_server redis;
  serve_process srv({"--store", redis.url(), "--store-timeout-ms", "300"});
  client c(srv.port());
  ASSERT_EQ(post(c, "/v1/queues/shared/jobs",
                 R"({"type":"email","payload":{"to":"a@b.c"},"id":"h1","max_attempts":4})")
                .result_int(),
            201u);
  auto s = store::open(redis.url());
  queue::queue q(s, "shared");
  const auto st = q.status("h1");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->type, "email");
  EXPECT_EQ(st->state, queue::job_state::pending);
  EXPECT_EQ(st->max_attempts, 4u);
  // The library sees the payload as its JSON text.
  queue::lease_client lc(s, "shared");
  const auto leased = lc.reserve(1, std::chrono::milliseconds(5000));
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(leased[0].payload, R"({"to":"a@b.c"})");
  EXPECT_TRUE(lc.ack("h1", leased[0].token));

  // A C++ producer's payload that is not JSON comes back as a string.
  queue::job_options jo;
  jo.id = "c1";
  q.enqueue("raw", "not json", jo);
  const auto jobs = reserved(post(c, "/v1/queues/shared/reserve", "{}"));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].at("payload"), "not json");
  EXPECT_EQ(jobs[0].at("type"), "raw");
  // And the HTTP worker's ack is seen by the library.
  EXPECT_EQ(
      post(c, "/v1/queues/shared/jobs/c1/ack", R"({"token":")" + str(jobs[0].at("token")) + "\"}")
          .result_int(),
      200u);
  EXPECT_EQ(q.stats().completed, 2u);
  s->close();

  // With Redis gone, the scrape still answers and reports the failed read.
  redis.kill();
  const auto r = c.request("GET", "/metrics");
  ASSERT_EQ(r.result_int(), 200u);
  EXPECT_NE(r.body().find("redkit_queue_stats_failed{queue=\"shared\"} 1\n"), std::string::npos)
      << r.body();
  EXPECT_EQ(r.body().find("redkit_queue_jobs{queue=\"shared\""), std::string::npos);
  EXPECT_NE(r.body().find("redkit_queue_http_acked_total{queue=\"shared\"} 1\n"),
            std::string::npos);
  // And a call that needs the store answers 503.
  expect_problem(post(c, "/v1/queues/shared/jobs", R"({"type":"t"})"), 503);
  expect_problem(post(c, "/v1/queues/shared/reserve", "{}"), 503);
}

}  // namespace
}  // namespace redkit::test
#endif
