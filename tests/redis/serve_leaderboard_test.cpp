// `redkit serve` end to end, leaderboards: /v1/leaderboards updates with each op, top, page,
// players, around, ranks, count and removal, a board configured in the TOML file (ascending,
// max_size, a daily period), pagination edges, bad paths, bodies and query parameters, metrics,
// and stored names that are not UTF-8, on both stores.
#ifdef REDKIT_TEST_CLI
#include "support/redis_server.hpp"
#include "support/serve_process.hpp"

#include <redkit/error.hpp>
#include <redkit/http_leaderboard_api.hpp>
#include <redkit/leaderboard.hpp>
#include <redkit/store.hpp>

#include <boost/json.hpp>

#include <fmt/chrono.h>
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace redkit::test {
namespace {

using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;
using response = bhttp::response<bhttp::string_body>;

/// A 200 JSON answer's body.
boost::json::object ok_json(const response& r) {
  EXPECT_EQ(r.result_int(), 200u) << r.body();
  EXPECT_EQ(r[bhttp::field::content_type], "application/json");
  return body_json(r).as_object();
}

boost::json::object score(client& c, std::string_view board, std::string_view body) {
  return ok_json(
      c.request("POST", "/v1/leaderboards/" + std::string(board) + "/scores", json_type, body));
}

boost::json::object get(client& c, std::string_view target) {
  return ok_json(c.request("GET", target));
}

/// The player ids of a list of entries, checking their ranks run from `first`.
std::vector<std::string> ids_of(const boost::json::value& entries, std::uint64_t first) {
  std::vector<std::string> out;
  for (const auto& e : entries.as_array()) {
    EXPECT_EQ(e.at("rank").as_int64(), static_cast<std::int64_t>(first + out.size()));
    out.emplace_back(e.at("player").at("id").as_string());
  }
  return out;
}

std::string today_utc() {
  return fmt::format("{:%Y-%m-%d}",
                     std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()));
}

class ServeLeaderboard : public serve_test {};

TEST_P(ServeLeaderboard, UpdatesWithEachOp) {
  serve_process srv(store_args());
  client c(srv.port());
  auto r =
      score(c, "game", R"({"player":{"id":"ann","name":"Ann","avatar":"ann.png"},"score":100})");
  const auto& first = r.at("results").as_array();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].at("period"), "all_time");
  EXPECT_EQ(first[0].at("score"), 100);
  EXPECT_EQ(first[0].at("rank"), 1);
  EXPECT_TRUE(first[0].at("previous_rank").is_null());
  r = score(c, "game", R"({"player":{"id":"bob","name":"Bob"},"score":200,"op":"set"})");
  EXPECT_EQ(r.at("results").at(0).at("rank"), 1);
  // best keeps the better score; incr and decr add and subtract.
  r = score(c, "game",
            R"({"player":{"id":"ann","name":"Ann","avatar":"ann.png"},"score":150,"op":"best"})");
  EXPECT_EQ(r.at("results").at(0).at("score"), 150);
  r = score(c, "game",
            R"({"player":{"id":"ann","name":"Ann","avatar":"ann.png"},"score":120,"op":"best"})");
  EXPECT_EQ(r.at("results").at(0).at("score"), 150);
  EXPECT_EQ(r.at("results").at(0).at("rank"), 2);
  EXPECT_EQ(r.at("results").at(0).at("previous_rank"), 2);
  // A player given by id alone keeps its stored name and avatar.
  r = score(c, "game", R"({"player":{"id":"ann"},"score":100,"op":"incr"})");
  EXPECT_EQ(r.at("results").at(0).at("score"), 250);
  EXPECT_EQ(r.at("results").at(0).at("rank"), 1);
  EXPECT_EQ(r.at("results").at(0).at("previous_rank"), 2);
  r = score(c, "game", R"({"player":{"id":"ann"},"score":39.5,"op":"decr"})");
  EXPECT_EQ(r.at("results").at(0).at("score"), 210.5);
  r = score(c, "game", R"({"player":{"id":"cy"},"score":-7,"op":"incr"})");
  EXPECT_EQ(r.at("results").at(0).at("score"), -7);
  EXPECT_EQ(r.at("results").at(0).at("rank"), 3);
  const auto top = get(c, "/v1/leaderboards/game/top");
  const auto& entries = top.at("entries").as_array();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(ids_of(top.at("entries"), 1), (std::vector<std::string>{"ann", "bob", "cy"}));
  EXPECT_EQ(entries[0].at("player").at("name"), "Ann");
  EXPECT_EQ(entries[0].at("player").at("avatar"), "ann.png");
  EXPECT_EQ(entries[0].at("score"), 210.5);
  EXPECT_EQ(entries[1].at("player").at("name"), "Bob");
  EXPECT_FALSE(entries[1].at("player").as_object().contains("avatar"));
  EXPECT_EQ(entries[2].at("player").at("name"), "Player cy");
  // set with a name replaces the stored info.
  score(c, "game", R"({"player":{"id":"ann","name":"Anna"},"score":1})");
  const auto after = get(c, "/v1/leaderboards/game/top?n=1");
  EXPECT_EQ(after.at("entries").at(0).at("player").at("id"), "bob");
  EXPECT_EQ(get(c, "/v1/leaderboards/game/top").at("entries").at(1).at("player").at("name"),
            "Anna");
  // A score that would become infinite is refused, and nothing changes.
  score(c, "big", R"({"player":{"id":"x"},"score":1e308})");
  const auto inf = c.request("POST", "/v1/leaderboards/big/scores", json_type,
                             R"({"player":{"id":"x"},"score":1e308,"op":"incr"})");
  expect_problem(inf, 400);
  EXPECT_EQ(get(c, "/v1/leaderboards/big/players/x").at("score"), 1e308);
}

TEST_P(ServeLeaderboard, ReadsPagesRanksAndRemovals) {
  serve_process srv(store_args());
  client c(srv.port());
  for (int i = 1; i <= 25; ++i) {  // p1 has 10 points ... p25 has 250
    score(c, "b",
          fmt::format(R"({{"player":{{"id":"p{}","name":"P{}"}},"score":{}}})", i, i, 10 * i));
  }
  score(c, "b", R"({"player":{"id":"a/b c","name":"Slash"},"score":5})");  // 26th, last
  auto j = get(c, "/v1/leaderboards/b/top?n=3");
  EXPECT_EQ(ids_of(j.at("entries"), 1), (std::vector<std::string>{"p25", "p24", "p23"}));
  EXPECT_EQ(j.at("entries").at(0).at("score"), 250);
  EXPECT_EQ(get(c, "/v1/leaderboards/b/top").at("entries").as_array().size(), 10u);
  // Pages: the second of 10, the last (partial), one past the end (empty), all in one.
  j = get(c, "/v1/leaderboards/b/page?page=2&size=10");
  EXPECT_EQ(j.at("total"), 26);
  EXPECT_EQ(j.at("page"), 2);
  EXPECT_EQ(j.at("size"), 10);
  const auto second = ids_of(j.at("entries"), 11);
  ASSERT_EQ(second.size(), 10u);
  EXPECT_EQ(second.front(), "p15");
  EXPECT_EQ(second.back(), "p6");
  j = get(c, "/v1/leaderboards/b/page?page=3&size=10");
  EXPECT_EQ(ids_of(j.at("entries"), 21),
            (std::vector<std::string>{"p5", "p4", "p3", "p2", "p1", "a/b c"}));
  j = get(c, "/v1/leaderboards/b/page?page=4&size=10");
  EXPECT_TRUE(j.at("entries").as_array().empty());
  EXPECT_EQ(j.at("total"), 26);
  EXPECT_EQ(get(c, "/v1/leaderboards/b/page?size=1000").at("entries").as_array().size(), 26u);
  EXPECT_EQ(get(c, "/v1/leaderboards/b/page").at("size"), 20);
  // One player: rank, score, total, percentile; ids are percent-decoded.
  j = get(c, "/v1/leaderboards/b/players/p25");
  EXPECT_EQ(j.at("id"), "p25");
  EXPECT_EQ(j.at("rank"), 1);
  EXPECT_EQ(j.at("score"), 250);
  EXPECT_EQ(j.at("total"), 26);
  EXPECT_EQ(j.at("percentile"), 100);
  EXPECT_EQ(get(c, "/v1/leaderboards/b/players/a%2Fb%20c").at("percentile"), 0);
  EXPECT_EQ(get(c, "/v1/leaderboards/b/players/p1").at("percentile"), 4);  // 100 × 1 / 25
  expect_problem(c.request("GET", "/v1/leaderboards/b/players/nobody"), 404);
  // Around: cut by the bottom, or filled from above.
  j = get(c, "/v1/leaderboards/b/players/p1/around?range=2");
  EXPECT_EQ(ids_of(j.at("entries"), 23), (std::vector<std::string>{"p3", "p2", "p1", "a/b c"}));
  j = get(c, "/v1/leaderboards/b/players/p1/around?range=2&fill=true");
  EXPECT_EQ(ids_of(j.at("entries"), 22),
            (std::vector<std::string>{"p4", "p3", "p2", "p1", "a/b c"}));
  j = get(c, "/v1/leaderboards/b/players/a%2Fb%20c/around?range=1&fill=1");
  EXPECT_EQ(ids_of(j.at("entries"), 24), (std::vector<std::string>{"p2", "p1", "a/b c"}));
  j = get(c, "/v1/leaderboards/b/players/p25/around?range=1&fill=false");
  EXPECT_EQ(ids_of(j.at("entries"), 1), (std::vector<std::string>{"p25", "p24"}));
  j = get(c, "/v1/leaderboards/b/players/p10/around?range=0");
  EXPECT_EQ(ids_of(j.at("entries"), 16), (std::vector<std::string>{"p10"}));
  EXPECT_EQ(get(c, "/v1/leaderboards/b/players/p10/around").at("entries").as_array().size(), 11u);
  expect_problem(c.request("GET", "/v1/leaderboards/b/players/nobody/around"), 404);
  // Several ranks at once, in the order asked, absent ones with a null rank.
  j = ok_json(c.request("POST", "/v1/leaderboards/b/ranks", json_type,
                        R"({"players":["p1","nobody","p24"]})"));
  const auto& results = j.at("results").as_array();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].at("id"), "p1");
  EXPECT_EQ(results[0].at("rank"), 25);
  EXPECT_EQ(results[0].at("score"), 10);
  EXPECT_EQ(results[0].at("total"), 26);
  EXPECT_EQ(results[1].at("id"), "nobody");
  EXPECT_TRUE(results[1].at("rank").is_null());
  EXPECT_EQ(results[2].at("rank"), 2);
  // Count and remove.
  EXPECT_EQ(get(c, "/v1/leaderboards/b/count").at("count"), 26);
  EXPECT_EQ(ok_json(c.request("DELETE", "/v1/leaderboards/b/players/p25")).at("removed"), true);
  EXPECT_EQ(ok_json(c.request("DELETE", "/v1/leaderboards/b/players/p25")).at("removed"), false);
  EXPECT_EQ(get(c, "/v1/leaderboards/b/count").at("count"), 25);
  EXPECT_EQ(get(c, "/v1/leaderboards/b/top?n=1").at("entries").at(0).at("player").at("id"), "p24");
  expect_problem(c.request("GET", "/v1/leaderboards/b/players/p25"), 404);
  // An unused board is empty.
  EXPECT_EQ(get(c, "/v1/leaderboards/empty/count").at("count"), 0);
  EXPECT_TRUE(get(c, "/v1/leaderboards/empty/top").at("entries").as_array().empty());
}

TEST_P(ServeLeaderboard, AConfiguredBoardKeepsItsOptions) {
  const auto path = testing::TempDir() + "redkit_lb_" + std::to_string(getpid()) + ".toml";
  std::ofstream(path) << R"(
[leaderboards.race]
order = "ascending"
tie_break = "earliest"
max_size = 3
periods = ["all_time", "daily"]
max_per_call = 5
retention = "2d"
week_start = 0
)";
  serve_process srv(store_args({"--config", path}));
  client c(srv.port());
  const auto day_before = today_utc();
  for (const auto& [id, time] :
       std::vector<std::pair<std::string, int>>{{"a", 30}, {"b", 10}, {"c", 20}}) {
    const auto r =
        score(c, "race", fmt::format(R"({{"player":{{"id":"{}"}},"score":{}}})", id, time));
    ASSERT_EQ(r.at("results").as_array().size(), 2u);
    EXPECT_EQ(r.at("results").at(0).at("period"), "all_time");
    EXPECT_EQ(r.at("results").at(1).at("period"), "daily");
  }
  // Full: a slower time does not make it, on either period; a faster one pushes the slowest out.
  auto r = score(c, "race", R"({"player":{"id":"slow"},"score":40})");
  EXPECT_TRUE(r.at("results").at(0).at("rank").is_null());
  EXPECT_TRUE(r.at("results").at(1).at("rank").is_null());
  r = score(c, "race", R"({"player":{"id":"fast"},"score":5})");
  EXPECT_EQ(r.at("results").at(0).at("rank"), 1);
  EXPECT_EQ(r.at("results").at(1).at("rank"), 1);
  // Ties: whoever got there first ranks first.
  score(c, "race", R"({"player":{"id":"0tie"},"score":10})");
  const auto day_after = today_utc();
  EXPECT_EQ(ids_of(get(c, "/v1/leaderboards/race/top").at("entries"), 1),
            (std::vector<std::string>{"fast", "b", "0tie"}));
  EXPECT_EQ(ids_of(get(c, "/v1/leaderboards/race/top?period=daily").at("entries"), 1),
            (std::vector<std::string>{"fast", "b", "0tie"}));
  EXPECT_EQ(get(c, "/v1/leaderboards/race/count?period=daily").at("count"), 3);
  // The day's board by date (the test may straddle midnight: then one of the two days has it).
  const auto by_day = [&](const std::string& day) {
    return get(c, "/v1/leaderboards/race/count?period=daily&day=" + day).at("count").as_int64();
  };
  EXPECT_EQ(by_day(day_before) + (day_after != day_before ? by_day(day_after) : 0), 3);
  EXPECT_EQ(by_day("2001-02-03"), 0);
  // Its max_per_call bounds every read; its periods are the only ones.
  expect_problem(c.request("GET", "/v1/leaderboards/race/top?n=6"), 400);
  expect_problem(c.request("GET", "/v1/leaderboards/race/page?size=6"), 400);
  expect_problem(c.request("GET", "/v1/leaderboards/race/players/b/around?range=3"), 400);
  EXPECT_EQ(get(c, "/v1/leaderboards/race/page?size=5").at("entries").as_array().size(), 3u);
  const auto weekly = c.request("GET", "/v1/leaderboards/race/top?period=weekly");
  expect_problem(weekly, 400);
  EXPECT_NE(body_json(weekly).at("detail").as_string().find("period"), std::string::npos);
  // Boards made on first use have the defaults: all-time only, descending.
  expect_problem(c.request("GET", "/v1/leaderboards/other/top?period=daily"), 400);
  score(c, "other", R"({"player":{"id":"x"},"score":1})");
  score(c, "other", R"({"player":{"id":"y"},"score":2})");
  EXPECT_EQ(get(c, "/v1/leaderboards/other/top").at("entries").at(0).at("player").at("id"), "y");
  std::remove(path.c_str());
}

TEST_P(ServeLeaderboard, BadInputAnswers400NamingTheParameterOrField) {
  serve_process srv(store_args());
  client c(srv.port());
  score(c, "q", R"({"player":{"id":"p"},"score":1})");
  const auto expect_bad = [&](const response& r, std::string_view name) {
    expect_problem(r, 400);
    const auto detail = std::string(body_json(r).at("detail").as_string());
    EXPECT_NE(detail.find(name), std::string::npos) << detail;
  };
  for (const auto& [target, name] : std::vector<std::pair<std::string, std::string>>{
           {"top?n=0", "n"},
           {"top?n=1001", "n"},
           {"top?n=abc", "n"},
           {"top?n=", "n"},
           {"top?n=-1", "n"},
           {"page?page=0", "page"},
           {"page?page=x", "page"},
           {"page?size=0", "size"},
           {"page?size=1001", "size"},
           {"top?period=yearly", "period"},
           {"top?period=daily", "period"},
           {"count?day=2024-01-01", "day"},  // all_time has no days
           {"top?colour=red", "colour"},
           {"top?n=1&n=2", "\"n\" is given twice"},
           {"count?n=1", "unknown query parameter \"n\""},
           {"players/p/around?range=501", "range"},
           {"players/p/around?fill=maybe", "fill"},
           {"players/p?n=3", "\"n\""},
       }) {
    expect_bad(c.request("GET", "/v1/leaderboards/q/" + target), name);
  }
  const auto post_scores = [&](std::string_view body) {
    return c.request("POST", "/v1/leaderboards/q/scores", json_type, body);
  };
  for (const auto& [body, name] : std::vector<std::pair<std::string, std::string>>{
           {R"({"score":1})", "player"},
           {R"({"player":"p","score":1})", "player"},
           {R"({"player":{"name":"x"},"score":1})", "player.id"},
           {R"({"player":{"id":""},"score":1})", "player.id"},
           {R"({"player":{"id":"a\u0000b"},"score":1})", "player.id"},
           {R"({"player":{"id":7},"score":1})", "player.id"},
           {R"({"player":{"id":"p","name":3},"score":1})", "player.name"},
           {R"({"player":{"id":"p","avatar":false},"score":1})", "player.avatar"},
           {R"({"player":{"id":"p","level":3},"score":1})", "player.level"},
           {R"({"player":{"id":"p"}})", "score"},
           {R"({"player":{"id":"p"},"score":"1"})", "score"},
           {R"({"player":{"id":"p"},"score":1,"op":"mul"})", "op"},
           {R"({"player":{"id":"p"},"score":1,"extra":1})", "extra"},
       }) {
    expect_bad(post_scores(body), name);
  }
  expect_bad(post_scores(R"({"player":{"id":")" + std::string(257, 'x') + R"("},"score":1})"),
             "player.id");
  expect_problem(post_scores(R"({"player":)"), 400);
  expect_bad(c.request("POST", "/v1/leaderboards/q/scores?x=1", json_type,
                       R"({"player":{"id":"p"},"score":1})"),
             "\"x\"");
  expect_problem(c.request("POST", "/v1/leaderboards/q/scores", {}, R"({"score":1})"), 415);
  for (const auto* body : {R"({"players":"p"})", R"({"players":[]})", R"({"players":[1]})",
                           R"({"players":["p"],"x":1})"}) {
    expect_problem(c.request("POST", "/v1/leaderboards/q/ranks", json_type, body), 400);
  }
  expect_bad(c.request("POST", "/v1/leaderboards/q/ranks?period=weekly", json_type,
                       R"({"players":["p"]})"),
             "period");
  for (const auto* day : {"2024-02-30", "2024-1-01", "20240101", "2024-01-01x", "yesterday"}) {
    expect_bad(c.request("GET", std::string("/v1/leaderboards/q/count?day=") + day), "day");
  }
  // Paths and methods.
  expect_problem(c.request("GET", "/v1/leaderboards/q/unknown"), 404);
  expect_problem(c.request("GET", "/v1/leaderboards/q"), 404);
  expect_problem(c.request("GET", "/v1/leaderboards/q/top/"), 404);
  expect_problem(c.request("GET", "/v1/leaderboards/q/players/p/near"), 404);
  expect_problem(c.request("GET", "/v1/leaderboards/q//top"), 404);
  auto r = c.request("GET", "/v1/leaderboards/q/scores");
  expect_problem(r, 405);
  EXPECT_EQ(r[bhttp::field::allow], "POST");
  r = c.request("POST", "/v1/leaderboards/q/players/p", json_type, "{}");
  expect_problem(r, 405);
  EXPECT_EQ(r[bhttp::field::allow], "GET, DELETE");
  expect_problem(c.request("PUT", "/v1/leaderboards/q/top"), 405);
  expect_bad(c.request("GET", "/v1/leaderboards/a%7Bb/top"), "board name");
  expect_bad(c.request("GET", "/v1/leaderboards/a%0Ab/top"), "board name");
  expect_bad(c.request("GET", "/v1/leaderboards/" + std::string(201, 'n') + "/top"), "board name");
  expect_bad(c.request("GET", "/v1/leaderboards/q/players/%FF"), "UTF-8");
  expect_bad(c.request("GET", "/v1/leaderboards/%FF/top"), "UTF-8");
  expect_bad(c.request("GET", "/v1/leaderboards/q/players/%zz"), "percent");
  // Nothing above changed the board.
  EXPECT_EQ(get(c, "/v1/leaderboards/q/count").at("count"), 1);
  EXPECT_EQ(get(c, "/v1/leaderboards/q/players/p").at("score"), 1);
}

TEST_P(ServeLeaderboard, MetricsCountUpdatesReadsAndRemovals) {
  serve_process srv(store_args());
  client c(srv.port());
  score(c, "m", R"({"player":{"id":"p"},"score":1})");
  score(c, "m", R"({"player":{"id":"q"},"score":2})");
  get(c, "/v1/leaderboards/m/top");
  get(c, "/v1/leaderboards/m/top?n=1");
  get(c, "/v1/leaderboards/m/players/p/around");
  get(c, "/v1/leaderboards/m/count");
  c.request("DELETE", "/v1/leaderboards/m/players/p");
  expect_problem(c.request("GET", "/v1/leaderboards/m/top?n=0"), 400);  // not a read
  const auto text = c.request("GET", "/metrics").body();
  for (const auto* line :
       {"redkit_leaderboard_updates_total{board=\"m\"} 2\n",
        "redkit_leaderboard_reads_total{board=\"m\",kind=\"top\"} 2\n",
        "redkit_leaderboard_reads_total{board=\"m\",kind=\"around\"} 1\n",
        "redkit_leaderboard_reads_total{board=\"m\",kind=\"count\"} 1\n",
        "redkit_leaderboard_reads_total{board=\"m\",kind=\"page\"} 0\n",
        "redkit_leaderboard_removes_total{board=\"m\"} 1\n", "redkit_leaderboard_boards 1\n",
        "redkit_http_requests_total{route=\"/v1/leaderboards/*\",method=\"GET\","
        "status=\"400\"} 1\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;
  }
}

TEST_P(ServeLeaderboard, ApiKeysGuardTheLeaderboardApi) {
  serve_process srv(store_args({"--api-key", "0123456789abcdef-key"}));
  client c(srv.port());
  expect_problem(c.request("GET", "/v1/leaderboards/g/top"), 401);
  expect_problem(c.request("POST", "/v1/leaderboards/g/scores", json_type,
                           R"({"player":{"id":"p"},"score":1})"),
                 401);
  const auto r = c.request("GET", "/v1/leaderboards/g/count",
                           "Authorization: Bearer 0123456789abcdef-key\r\n");
  EXPECT_EQ(r.result_int(), 200u) << r.body();
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeLeaderboard, ::testing::Values(false, true), store_name);

TEST(ServeLeaderboardRedis, StoredNamesThatAreNotUtf8StillGiveValidJson) {
  redis_server redis;
  serve_process srv({"--store", redis.url()});
  // Another client of the same Redis stores bytes the JSON API would refuse.
  leaderboard::board b(store::open(redis.url()), "bytes");
  b.update({.id = "p\xff", .name = "Bob\xc3(\"\x01", .avatar = "\xed\xa0\x80"}, 3);
  client c(srv.port());
  const auto r = c.request("GET", "/v1/leaderboards/bytes/top");
  ASSERT_EQ(r.result_int(), 200u);
  boost::system::error_code ec;
  const auto j = boost::json::parse(r.body(), ec);  // validates UTF-8
  ASSERT_FALSE(ec) << r.body();
  const auto& player = j.at("entries").at(0).at("player");
  EXPECT_EQ(player.at("id"), "p\xef\xbf\xbd");
  EXPECT_EQ(player.at("name"), "Bob\xef\xbf\xbd(\"\x01");
  EXPECT_EQ(player.at("avatar"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(ServeLeaderboardConfig, ErrorsNameTheKey) {
  const auto error_of = [](std::string_view text) -> std::string {
    try {
      http::load_leaderboards_toml(text, "f.toml");
    } catch (const error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument);
      return e.what();
    }
    return {};
  };
  const auto has = [](const std::string& message, std::string_view part) {
    EXPECT_NE(message.find(part), std::string::npos) << message;
  };
  has(error_of("[leaderboards.a]\ncolour = 1\n"), "unknown key leaderboards.a.colour");
  has(error_of("[leaderboards.a]\norder = \"up\"\n"), "leaderboards.a.order");
  has(error_of("[leaderboards.a]\ntie_break = 1\n"), "leaderboards.a.tie_break");
  has(error_of("[leaderboards.a]\nmax_size = -1\n"), "leaderboards.a.max_size");
  has(error_of("[leaderboards.a]\nperiods = []\n"), "leaderboards.a.periods");
  has(error_of("[leaderboards.a]\nperiods = [\"yearly\"]\n"), "leaderboards.a.periods");
  has(error_of("[leaderboards.a]\nperiods = [\"daily\", \"daily\"]\n"), "twice");
  has(error_of("[leaderboards.a]\nweek_start = 7\n"), "leaderboards.a.week_start");
  has(error_of("[leaderboards.a]\nretention = \"soon\"\n"), "leaderboards.a.retention");
  has(error_of("[leaderboards.a]\nmax_per_call = 0\n"), "leaderboards.a.max_per_call");
  has(error_of("[leaderboards.a]\nmax_per_call = 10001\n"), "leaderboards.a.max_per_call");
  has(error_of("[leaderboards]\n\"a{b\" = {}\n"), "board name");
  has(error_of("leaderboards = 3\n"), "'leaderboards' must be a table");
  has(error_of("[leaderboards.a]\norder = \"up\"\n"), "f.toml, line 2");
  const auto ok = http::load_leaderboards_toml(
      "[server]\nport = 1\n[leaderboards.w]\nperiods = [\"weekly\"]\nretention = \"30d\"\n"
      "[leaderboards.plain]\n");
  ASSERT_EQ(ok.size(), 2u);
  EXPECT_EQ(ok.at("w").periods, std::vector<leaderboard::period>{leaderboard::period::weekly});
  EXPECT_EQ(ok.at("w").retention, std::chrono::hours(24 * 30));
  EXPECT_EQ(ok.at("plain").max_size, 1000u);
  EXPECT_EQ(ok.at("plain").order, leaderboard::order::descending);
}

}  // namespace
}  // namespace redkit::test
#endif
