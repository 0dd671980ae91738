// around_batcher: concurrent around() reads of a board go to the store together, in one
// around.lua call per board period (the script takes several players). On Redis a script
// call costs more than an around's own commands and the conversion of its reply; batched,
// the store spends ~10% less per read. Each read is still one atomic snapshot.
// Thread-safety: safe from any thread; completions run on each caller's executor.
#pragma once

#include <redkit/resp.hpp>
#include <redkit/script.hpp>
#include <redkit/store.hpp>

#include "batch_queue.hpp"
#include "completion.hpp"
#include "script_reply.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace redkit::detail {

class around_batcher : public std::enable_shared_from_this<around_batcher> {
 public:
  /// A read's part of the reply: n, the n values {member, score, ...}, the first rank (-1:
  /// absent player), as around.lua gives it per player.
  using signature = void(std::exception_ptr, std::vector<resp::reply>);

  /// `order`: around.lua's ARGV[1]. At most `max_batch` reads per call, `max_in_flight`
  /// calls out.
  around_batcher(std::shared_ptr<store> s, const script& around, std::string order,
                 std::chrono::milliseconds timeout, std::size_t max_batch, unsigned max_in_flight)
      : store_(std::move(s)),
        around_(around),
        order_(std::move(order)),
        timeout_(timeout),
        queue_(max_batch, max_in_flight) {}

  /// Reads around `id` on the board whose keys are `scores` and `players`.
  template <typename Token = boost::asio::use_awaitable_t<>>
  auto async_read(std::string scores, std::string players, std::string id, std::string range,
                  bool fill, Token&& token = {}) {
    return boost::asio::async_initiate<Token, signature>(
        [this](auto h, std::string s, std::string p, std::string i, std::string r, bool f) {
          submit(entry{std::move(s), std::move(p), std::move(i), std::move(r), f,
                       handler(std::move(h))});
        },
        token, std::move(scores), std::move(players), std::move(id), std::move(range), fill);
  }

 private:
  using handler = boost::asio::any_completion_handler<signature>;
  struct entry {
    std::string scores, players, id, range;
    bool fill;
    handler done;
  };
  static_assert(std::is_nothrow_move_constructible_v<entry>);

  void submit(entry e) {
    if (auto batch = queue_.submit(std::move(e)); !batch.empty()) send(std::move(batch));
  }

  /// One call per board period in the batch (nearly always one); the next batch goes when all
  /// of them have ended.
  void send(std::vector<entry> batch) {
    // Grouped by move construction only: any_completion_handler's assignment (what a sort
    // would use) wraps the handler in another, recursively.
    std::vector<std::vector<entry>> calls;
    for (auto& e : batch) {
      auto it = std::find_if(calls.begin(), calls.end(),
                             [&](const auto& c) { return c.front().scores == e.scores; });
      if (it == calls.end()) it = calls.emplace(calls.end());
      it->push_back(std::move(e));
    }
    auto left = std::make_shared<std::atomic<std::size_t>>(calls.size());
    for (auto& call : calls) {
      std::vector<std::string> keys{call.front().scores, call.front().players};
      std::vector<std::string> args{order_};
      args.reserve(1 + 3 * call.size());
      for (const auto& e : call) {
        args.push_back(e.id);
        args.push_back(e.range);
        args.emplace_back(e.fill ? "1" : "0");
      }
      auto pending = std::make_shared<std::vector<entry>>(std::move(call));
      store_->async_eval(
          around_, std::move(keys), std::move(args), request_options{timeout_},
          [self = shared_from_this(), pending, left](std::exception_ptr e, resp::reply r) {
            self->finish(*pending, e, std::move(r));
            if (left->fetch_sub(1) == 1) {
              if (auto next = self->queue_.finished(); !next.empty()) self->send(std::move(next));
            }
          });
    }
  }

  /// Hands each read its part of the reply (or the call's error).
  static void finish(std::vector<entry>& call, std::exception_ptr e, resp::reply r) {
    std::vector<std::vector<resp::reply>> parts;
    if (!e) {
      try {
        reply_array(r, "leaderboard");  // an array, or it throws
        auto& all = r.elements;
        std::size_t at = 0;
        parts.reserve(call.size());
        for (std::size_t i = 0; i < call.size(); ++i) {
          if (all.size() - at < 2) throw malformed();  // n and the first rank, at least
          const auto n = reply_integer(all[at], "leaderboard");
          if (n < 0 || static_cast<std::size_t>(n) > all.size() - at - 2) throw malformed();
          const auto end = at + static_cast<std::size_t>(n) + 2;
          parts.emplace_back(
              std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(at)),
              std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end)));
          at = end;
        }
        if (at != all.size()) throw malformed();
      } catch (...) {
        e = std::current_exception();
      }
    }
    for (std::size_t i = 0; i < call.size(); ++i) {
      dispatch_completion(std::move(call[i].done), e,
                          e ? std::vector<resp::reply>{} : std::move(parts[i]));
    }
  }

  static error malformed() {
    return pattern_error(errc::unexpected_reply, "leaderboard",
                         "unexpected reply from leaderboard/around");
  }

  const std::shared_ptr<store> store_;
  const script& around_;
  const std::string order_;
  const std::chrono::milliseconds timeout_;
  batch_queue<entry> queue_;
};

}  // namespace redkit::detail
