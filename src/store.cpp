// store: opening from a URL, the blocking twins, and EVALSHA with NOSCRIPT recovery.
#include <redkit/store.hpp>

#include "engine/engine_store.hpp"
#include "net/redis_store.hpp"

#include "completion.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <cctype>

namespace redkit {

store::~store() = default;

std::shared_ptr<store> store::open(std::string_view url, store_options options) {
  return open(asio::any_io_executor{}, url, std::move(options));
}

std::shared_ptr<store> store::open(asio::any_io_executor executor, std::string_view url,
                                   store_options options) {
  auto u = parse_store_url(url);
  if (u.scheme == "memory") {
    return open_engine_store(std::move(executor), std::move(options));
  }
  return net::open_redis_store(std::move(executor), std::move(u), std::move(options));
}

namespace {

// Commands that put a connection into a mode where it no longer answers requests one by one
// (SUBSCRIBE and its kin, MONITOR): they would take over a pipelined connection.
bool is_connection_mode_command(std::string_view name) noexcept {
  static constexpr std::string_view modes[] = {"subscribe",   "psubscribe",   "ssubscribe",
                                               "unsubscribe", "punsubscribe", "sunsubscribe",
                                               "monitor",     "reset",        "quit"};
  for (auto m : modes) {
    if (m.size() == name.size() && std::equal(m.begin(), m.end(), name.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      return true;
    }
  }
  return false;
}

bool iequal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The connection is shared by every caller, so a transaction must open and close in one
// pipeline (MULTI ... EXEC or DISCARD), and WATCH, whose effect outlives the request, cannot
// be offered at all. Returns the error for `cmds`, or nothing.
std::exception_ptr transaction_error(std::span<const command> cmds) {
  bool open = false;
  for (const auto& c : cmds) {
    const auto name = c.name();
    std::string_view problem;
    if (iequal(name, "watch") || iequal(name, "unwatch")) {
      problem = " is not supported: the connection is shared (use a script)";
    } else if (iequal(name, "multi")) {
      if (open) problem = " inside a transaction";
      open = true;
    } else if (iequal(name, "exec") || iequal(name, "discard")) {
      if (!open) problem = " without MULTI in the same pipeline";
      open = false;
    }
    if (!problem.empty()) {
      return std::make_exception_ptr(
          error(make_error_code(errc::invalid_argument), std::string(name) + std::string(problem)));
    }
  }
  if (open) {
    return std::make_exception_ptr(
        error(make_error_code(errc::invalid_argument),
              "MULTI must be closed by EXEC or DISCARD in the same pipeline"));
  }
  return nullptr;
}

std::exception_ptr mode_error(std::string_view name) {
  return std::make_exception_ptr(
      error(make_error_code(errc::invalid_argument),
            std::string(name) + " would change the connection's mode: use store::subscribe"));
}

void check_blocking_allowed(bool in_io_thread, std::string_view what) {
  if (in_io_thread) {
    throw error(make_error_code(errc::invalid_argument),
                std::string("blocking store::") + std::string(what) +
                    " called on the store's own I/O thread (it would deadlock); use async_" +
                    std::string(what));
  }
}

command evalsha_command(const script& s, const std::vector<std::string>& keys,
                        const std::vector<std::string>& args) {
  std::vector<std::string_view> a;
  a.reserve(2 + keys.size() + args.size());
  const auto numkeys = std::to_string(keys.size());
  a.push_back(s.sha1());
  a.push_back(numkeys);
  a.insert(a.end(), keys.begin(), keys.end());
  a.insert(a.end(), args.begin(), args.end());
  return command::from("EVALSHA", std::span<const std::string_view>(a));
}

bool is_noscript(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const error& err) {
    return err.code() == errc::no_script;
  } catch (...) {
    return false;
  }
}

}  // namespace

void store::start_exec(command cmd, request_options opts, exec_handler handler) {
  if (is_connection_mode_command(cmd.name())) {
    return detail::post_completion(get_executor(), std::move(handler), mode_error(cmd.name()),
                                   resp::reply{});
  }
  if (auto e = transaction_error(std::span<const command>(&cmd, 1))) {
    return detail::post_completion(get_executor(), std::move(handler), e, resp::reply{});
  }
  do_exec(std::move(cmd), opts, std::move(handler));
}

void store::start_pipeline(std::vector<command> cmds, request_options opts,
                           pipeline_handler handler) {
  for (const auto& c : cmds) {
    if (is_connection_mode_command(c.name())) {
      return detail::post_completion(get_executor(), std::move(handler), mode_error(c.name()),
                                     std::vector<resp::reply>{});
    }
  }
  if (auto e = transaction_error(cmds)) {
    return detail::post_completion(get_executor(), std::move(handler), e,
                                   std::vector<resp::reply>{});
  }
  do_pipeline(std::move(cmds), opts, std::move(handler));
}

std::shared_ptr<subscription> store::subscribe(std::vector<std::string> channels,
                                               std::vector<std::string> patterns,
                                               message_handler handler,
                                               subscription_state_handler on_state) {
  if (channels.empty() && patterns.empty()) {
    throw error(make_error_code(errc::invalid_argument), "subscribe: no channel and no pattern");
  }
  return do_subscribe(std::move(channels), std::move(patterns), std::move(handler),
                      std::move(on_state));
}

resp::reply store::exec(command cmd, request_options opts) {
  check_blocking_allowed(running_in_io_thread(), "exec");
  return async_exec(std::move(cmd), opts, asio::use_future).get();
}

std::vector<resp::reply> store::pipeline(std::vector<command> cmds, request_options opts) {
  check_blocking_allowed(running_in_io_thread(), "pipeline");
  return async_pipeline(std::move(cmds), opts, asio::use_future).get();
}

resp::reply store::eval(const script& s, std::vector<std::string> keys,
                        std::vector<std::string> args, request_options opts) {
  check_blocking_allowed(running_in_io_thread(), "eval");
  return async_eval(s, std::move(keys), std::move(args), opts, asio::use_future).get();
}

void store::do_eval(const script& s, std::vector<std::string> keys, std::vector<std::string> args,
                    request_options opts, exec_handler handler) {
  auto cmd = evalsha_command(s, keys, args);
  auto ex = asio::get_associated_executor(handler, get_executor());
  // The first reply lands on the caller's executor; only NOSCRIPT takes a second round trip.
  do_exec(cmd, opts,
          asio::bind_executor(
              ex, [self = shared_from_this(), &s, cmd, opts, handler = std::move(handler)](
                      std::exception_ptr e, resp::reply r) mutable {
                if (!e || !is_noscript(e)) {
                  std::move(handler)(e, std::move(r));
                  return;
                }
                std::vector<command> retry;
                retry.emplace_back("SCRIPT", "LOAD", s.source());
                retry.push_back(std::move(cmd));
                auto ex2 = asio::get_associated_executor(handler, self->get_executor());
                self->do_pipeline(
                    std::move(retry), opts,
                    asio::bind_executor(ex2, [handler = std::move(handler), name = s.name()](
                                                 std::exception_ptr e2,
                                                 std::vector<resp::reply> rs) mutable {
                      if (e2) return std::move(handler)(e2, resp::reply{});
                      if (rs[0].is_error()) {
                        return std::move(handler)(
                            std::make_exception_ptr(server_error(rs[0].string, "SCRIPT LOAD")),
                            resp::reply{});
                      }
                      if (rs[1].is_error()) {
                        return std::move(handler)(
                            std::make_exception_ptr(server_error(rs[1].string, "EVALSHA " + name)),
                            resp::reply{});
                      }
                      std::move(handler)(nullptr, std::move(rs[1]));
                    }));
              }));
}

}  // namespace redkit
