// Engine commands: the scripting family (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT), with
// Redis 7.0's argument checks, their order and their error texts. The Lua side is scripting.cpp;
// a script with a registered native (native_scripts.hpp) runs that instead of its Lua.
#include "engine/engine.hpp"
#include "engine/native_scripts.hpp"
#include "engine/scripting.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace redkit::engine {
namespace {

constexpr std::string_view noscript_error = "NOSCRIPT No matching script. Please use EVAL.";
constexpr std::string_view too_many_keys =
    "ERR Number of keys can't be greater than number of args";
constexpr std::string_view negative_keys = "ERR Number of keys can't be negative";
constexpr std::string_view write_flag_ro =
    "ERR Can not execute a script with write flag using *_ro command.";

/// The engine's Lua state, created on first use.
scripting& lua(state& st) {
  if (!st.lua) st.lua = std::make_unique<scripting>();
  return *st.lua;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

bool over_memory(const context& c) {
  return c.st.opts.max_memory != 0 &&
         c.st.used_memory > static_cast<std::int64_t>(c.st.opts.max_memory);
}

// Runs a native with the clock standing still, as scripting::run does for Lua.
std::optional<resp::reply> run_native(context& c, native_script native,
                                      std::span<const std::string_view> keys,
                                      std::span<const std::string_view> args) {
  struct frozen_clock {
    state& st;
    bool real_clock;
    explicit frozen_clock(state& s) : st(s), real_clock(!s.manual_clock) {
      if (!real_clock) return;
      const std::int64_t us = st.now_us();
      st.manual_clock = true;
      st.manual_now_ms = us / 1000;
      st.manual_now_us_rest = us % 1000;
    }
    ~frozen_clock() {
      if (real_clock) st.manual_clock = false;
    }
    frozen_clock(const frozen_clock&) = delete;
    frozen_clock& operator=(const frozen_clock&) = delete;
  };
  const frozen_clock clock(c.st);
  return native(c, keys, args);
}

// EVAL / EVALSHA / EVAL_RO / EVALSHA_RO script numkeys [key ...] [arg ...].
resp::reply eval_generic(context& c, bool by_sha, bool read_only) {
  scripting& s = lua(c.st);
  const std::string_view first = c.arg(1);

  std::string body_sha;
  char sha_buf[40];
  std::string_view sha;
  const scripting::script* script = nullptr;
  const bool sha_length_ok = !by_sha || first.size() == 40;
  if (by_sha) {
    if (sha_length_ok) {
      // Clients send the lower case SHA1s that SCRIPT LOAD returns: fold only on a miss.
      sha = first;
      script = s.find(sha);
      if (script == nullptr) {
        for (std::size_t i = 0; i < 40; ++i) sha_buf[i] = ascii_lower(first[i]);
        sha = std::string_view(sha_buf, 40);
        script = s.find(sha);
      }
    }
  } else {
    body_sha = scripting::sha1hex(first);
    sha = body_sha;
    script = s.find(sha);
  }

  // Redis derives EVAL's command flags from the script's shebang before it runs the command: a
  // script that declares flags and neither allow-oom nor no-writes is refused when over
  // maxmemory.
  unsigned flags = scripting::compat;
  if (script != nullptr) {
    flags = script->flags;
  } else if (!by_sha) {
    std::size_t length = 0;
    std::string ignored;
    if (!scripting::parse_shebang(first, flags, length, ignored)) flags = scripting::compat;
  }
  if ((flags & scripting::compat) == 0 &&
      (flags & (scripting::allow_oom | scripting::no_writes)) == 0 && over_memory(c)) {
    return context::error(err::oom);
  }

  if (!sha_length_ok) return context::error(noscript_error);
  std::int64_t numkeys = 0;
  if (!context::parse_int(c.arg(2), numkeys)) return context::error(err::not_integer);
  const auto available = static_cast<std::int64_t>(c.argc()) - 3;
  if (numkeys > available) return context::error(too_many_keys);
  if (numkeys < 0) return context::error(negative_keys);

  if (script == nullptr) {
    if (by_sha) return context::error(noscript_error);
    resp::reply error;
    script = s.load(first, body_sha, error);
    if (script == nullptr) return error;
    sha = body_sha;
  }
  if ((script->flags & scripting::compat) == 0 && (script->flags & scripting::no_writes) == 0 &&
      read_only) {
    return context::error(write_flag_ro);
  }

  const auto keys = c.argv.subspan(3, static_cast<std::size_t>(numkeys));
  const auto args = c.argv.subspan(3 + static_cast<std::size_t>(numkeys));
  // A native replaces the Lua only where no redis.call could be refused (read-only runs, OOM).
  if (c.st.opts.native_scripts && !read_only && (script->flags & scripting::no_writes) == 0 &&
      !over_memory(c)) {
    if (const native_script native = find_native_script(sha)) {
      if (auto reply = run_native(c, native, keys, args)) return std::move(*reply);
    }
  }
  return s.run(c, sha, *script, keys, args, read_only);
}

resp::reply eval(context& c) { return eval_generic(c, false, false); }
resp::reply evalsha(context& c) { return eval_generic(c, true, false); }
resp::reply eval_ro(context& c) { return eval_generic(c, false, true); }
resp::reply evalsha_ro(context& c) { return eval_generic(c, true, true); }

resp::reply subcommand_arity_error(std::string_view sub) {
  return context::error("ERR wrong number of arguments for 'script|" + lower(sub) + "' command");
}

resp::reply script_help() {
  static constexpr std::array<std::string_view, 17> lines{
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help.",
  };
  std::vector<resp::reply> out;
  out.reserve(lines.size());
  for (auto line : lines) out.push_back(context::simple(line));
  return context::array(std::move(out));
}

// SCRIPT LOAD | EXISTS | FLUSH | KILL | DEBUG | HELP.
resp::reply script(context& c) {
  const std::string_view sub = c.arg(1);
  const std::size_t argc = c.argc();
  if (iequals(sub, "load")) {
    if (argc != 3) return subcommand_arity_error(sub);
    std::string sha;
    resp::reply error;
    if (lua(c.st).load(c.arg(2), sha, error) == nullptr) return error;
    return context::bulk(sha);
  }
  if (iequals(sub, "exists")) {
    if (argc < 3) return subcommand_arity_error(sub);
    std::vector<resp::reply> out;
    out.reserve(argc - 2);
    for (std::size_t i = 2; i < argc; ++i) {
      const bool found = c.st.lua && c.st.lua->find(lower(c.arg(i))) != nullptr;
      out.push_back(context::integer(found ? 1 : 0));
    }
    return context::array(std::move(out));
  }
  if (iequals(sub, "flush")) {
    if (argc == 3 && !iequals(c.arg(2), "sync") && !iequals(c.arg(2), "async")) {
      return context::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    }
    if (argc > 3) return context::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    if (c.st.lua) c.st.lua->flush();
    return context::ok();
  }
  if (iequals(sub, "kill")) {
    if (argc != 2) return subcommand_arity_error(sub);
    // A script holds the engine lock from start to end: none can be running now.
    return context::error("NOTBUSY No scripts in execution right now.");
  }
  if (iequals(sub, "debug")) {
    if (argc != 3) return subcommand_arity_error(sub);
    if (iequals(c.arg(2), "no")) return context::ok();
    if (iequals(c.arg(2), "yes") || iequals(c.arg(2), "sync")) {
      return context::error("ERR SCRIPT DEBUG is not supported by the embedded engine");
    }
    return context::error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
  }
  if (iequals(sub, "help")) {
    if (argc != 2) return subcommand_arity_error(sub);
    return script_help();
  }
  std::string name(c.arg(0));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  std::string text = "ERR unknown subcommand '";
  text.append(sub.substr(0, 128));
  text += "'. Try " + name + " HELP.";
  for (char& ch : text) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  return context::error(text);
}

constexpr std::array commands{
    command_spec{"eval", -3, cmd_noscript, eval},
    command_spec{"evalsha", -3, cmd_noscript, evalsha},
    command_spec{"eval_ro", -3, cmd_noscript | cmd_readonly, eval_ro},
    command_spec{"evalsha_ro", -3, cmd_noscript | cmd_readonly, evalsha_ro},
    command_spec{"script", -2, cmd_noscript, script},
};

}  // namespace

std::span<const command_spec> scripting_commands() { return commands; }

}  // namespace redkit::engine
