// Engine commands: connection and server (PING, ECHO, TIME, SELECT, INFO).
#include "engine/engine.hpp"

#include <array>
#include <string>

namespace redkit::engine {
namespace {

resp::reply ping(context& c) {
  if (c.argc() > 2) return c.arity_error();
  return c.argc() == 2 ? context::bulk(c.arg(1)) : context::simple("PONG");
}

resp::reply echo(context& c) { return context::bulk(c.arg(1)); }

// TIME: [seconds, microseconds] as bulk strings, from the engine clock.
resp::reply time(context& c) {
  const auto us = c.st.now_us();
  return context::array(
      {context::bulk(std::to_string(us / 1000000)), context::bulk(std::to_string(us % 1000000))});
}

// The engine has one database: SELECT 0 is accepted, anything else is out of range.
resp::reply select(context& c) {
  std::int64_t db = 0;
  if (!context::parse_int(c.arg(1), db)) return context::error(err::not_integer);
  if (db != 0) return context::error("ERR DB index is out of range");
  return context::ok();
}

// INFO [section]: a useful subset (server, memory, keyspace, stats) in Redis's text format.
resp::reply info(context& c) {
  std::string s;
  s += "# Server\r\nredis_version:7.0.15\r\nredkit_engine:1\r\n\r\n";
  s += "# Memory\r\nused_memory:" + std::to_string(c.st.used_memory) + "\r\n";
  s += "maxmemory:" + std::to_string(c.st.opts.max_memory) + "\r\n\r\n";
  s += "# Stats\r\nexpired_keys:" + std::to_string(c.st.expired_keys) + "\r\n";
  s += "total_commands_processed:" + std::to_string(c.st.commands_processed) + "\r\n\r\n";
  s += "# Keyspace\r\n";
  if (!c.st.keys.empty()) {
    s += "db0:keys=" + std::to_string(c.st.keys.size()) +
         ",expires=" + std::to_string(c.st.expiries.size()) + ",avg_ttl=0\r\n";
  }
  auto r = context::bulk(s);
  if (c.resp3) {
    r.type = resp::type::verbatim_string;
    r.format = "txt";
  }
  return r;
}

constexpr std::array commands{
    command_spec{"ping", -1, 0, ping}, command_spec{"echo", 2, 0, echo},
    command_spec{"time", 1, 0, time},  command_spec{"select", 2, 0, select},
    command_spec{"info", -1, 0, info},
};

}  // namespace

std::span<const command_spec> server_commands() { return commands; }

}  // namespace redkit::engine
