// Lua 5.1 scripting for the engine, with Redis 7.0's semantics (see scripting.hpp).
//
// Redis 7.0 makes the globals table and every table reachable from it read-only with a patch
// to its own copy of Lua. Debian's stock Lua has no such patch, so the engine builds the same
// behaviour from metatables: scripts see `_G` as an empty proxy whose reads fall through to the
// real globals (a missing name raises Redis's "nonexistent global variable" error) and whose
// writes raise Redis's "Attempt to modify a readonly table"; the library tables (string, math,
// table, coroutine, redis) are proxies too. The raw functions that could bypass a metatable
// (rawset, rawget, next, pairs, setmetatable, getmetatable) see through or refuse proxies.
//
// Lua errors are longjmps: no C++ object with a destructor may be alive in a frame that a Lua
// error can cross. The C functions below therefore do their C++ work in helpers that return
// before they raise, and everything the engine calls into Lua goes through lua_pcall.
#include "engine/scripting.hpp"

#include "engine/engine.hpp"

#include <openssl/evp.h>
#include <lua.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace redkit::engine {

namespace {

constexpr const char* readonly_table = "Attempt to modify a readonly table";
constexpr int max_reply_depth = 1000;

void hex_sha1(const char* data, std::size_t size, char out[41]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(data, size, md, &md_len, EVP_sha1(), nullptr);
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < 20; ++i) {
    out[i * 2] = digits[md[i] >> 4];
    out[i * 2 + 1] = digits[md[i] & 0xF];
  }
  out[40] = '\0';
}

// Redis writes error and status texts with C-string functions (cut at a NUL) and replaces CR and
// LF with spaces so that they stay one protocol line.
std::string protocol_line(std::string_view s) {
  std::string out(s.substr(0, s.find('\0')));
  for (char& ch : out) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  return out;
}

resp::reply error_line(std::string_view s) { return resp::reply::make_error(protocol_line(s)); }

// (long long) of a Lua number as x86-64 computes it: NaN and out-of-range values give INT64_MIN.
std::int64_t number_to_integer(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<std::int64_t>(d);
}

std::string format_17g(double d) {
  char buf[64];
  // Integral values below 2^53 print as their digits under %.17g: to_chars is the same text at
  // a fraction of the cost (scripts pass timestamps and counts as numbers all the time).
  // -0.0 is left to printf, which writes "-0".
  if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0 && !(d == 0 && std::signbit(d))) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(d));
    return std::string(buf, end);
  }
  const int n = std::snprintf(buf, sizeof buf, "%.17g", d);
  return std::string(buf, static_cast<std::size_t>(n));
}

// Redis's sdssplitargs (used on the shebang line): words, "double quoted" with escapes, or
// 'single quoted'. False on unbalanced quotes.
bool split_args(std::string_view line, std::vector<std::string>& out) {
  line = line.substr(0, line.find('\0'));
  const auto at = [&](std::size_t i) { return i < line.size() ? line[i] : '\0'; };
  const auto is_hex = [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; };
  const auto hex_value = [](char ch) {
    return std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0' : std::tolower(ch) - 'a' + 10;
  };
  std::size_t p = 0;
  while (true) {
    while (at(p) != '\0' && std::isspace(static_cast<unsigned char>(at(p)))) ++p;
    if (at(p) == '\0') return true;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    std::string current;
    while (!done) {
      const char ch = at(p);
      if (in_double) {
        if (ch == '\\' && at(p + 1) == 'x' && is_hex(at(p + 2)) && is_hex(at(p + 3))) {
          current += static_cast<char>(hex_value(at(p + 2)) * 16 + hex_value(at(p + 3)));
          p += 3;
        } else if (ch == '\\' && at(p + 1) != '\0') {
          ++p;
          switch (at(p)) {
            case 'n':
              current += '\n';
              break;
            case 'r':
              current += '\r';
              break;
            case 't':
              current += '\t';
              break;
            case 'b':
              current += '\b';
              break;
            case 'a':
              current += '\a';
              break;
            default:
              current += at(p);
              break;
          }
        } else if (ch == '"') {
          if (at(p + 1) != '\0' && !std::isspace(static_cast<unsigned char>(at(p + 1)))) {
            return false;
          }
          done = true;
        } else if (ch == '\0') {
          return false;
        } else {
          current += ch;
        }
      } else if (in_single) {
        if (ch == '\\' && at(p + 1) == '\'') {
          ++p;
          current += '\'';
        } else if (ch == '\'') {
          if (at(p + 1) != '\0' && !std::isspace(static_cast<unsigned char>(at(p + 1)))) {
            return false;
          }
          done = true;
        } else if (ch == '\0') {
          return false;
        } else {
          current += ch;
        }
      } else {
        switch (ch) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            current += ch;
            break;
        }
      }
      if (at(p) != '\0') ++p;
    }
    out.push_back(std::move(current));
  }
}

// Feeds lua_load a space and then the text: a chunk that starts with a space is never taken for
// precompiled bytecode, which Redis's Lua refuses (stock Lua would load it, unchecked).
struct text_reader {
  const char* data;
  std::size_t size;
  int stage;
};

const char* read_text(lua_State* /*L*/, void* ud, std::size_t* size) {
  auto* r = static_cast<text_reader*>(ud);
  switch (r->stage++) {
    case 0:
      *size = 1;
      return " ";
    case 1:
      *size = r->size;
      return r->data;
    default:
      *size = 0;
      return nullptr;
  }
}

// Pushes Redis's error table {err = "<CODE> <message>"} built from "-CODE message" or from a
// plain "message" (code ERR), as luaPushErrorBuff does.
void push_error(lua_State* L, std::string_view text, bool from_command = false) {
  text = text.substr(0, text.find('\0'));
  std::string code = "ERR";
  std::string msg;
  if (!text.empty() && text[0] == '-') {
    const auto space = text.find(' ');
    if (space == std::string_view::npos) {
      msg = text.substr(1);
    } else {
      code = text.substr(1, space - 1);
      msg = text.substr(space + 1);
    }
  } else {
    msg = text;
  }
  const auto first = msg.find_first_not_of("\r\n");
  if (first == std::string::npos) {
    msg.clear();
  } else {
    msg = msg.substr(first, msg.find_last_not_of("\r\n") - first + 1);
  }
  const std::string final_msg = code + " " + msg;
  lua_newtable(L);
  lua_pushlstring(L, final_msg.data(), final_msg.size());
  lua_setfield(L, -2, "err");
  if (from_command) {
    // Redis marks errors of commands it already counted in its error stats.
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "ignore_error_stats_update");
  }
}

// Raises Redis's error table for `text`. Only trivially destructible locals may be alive in the
// caller's frame.
int raise_error(lua_State* L, const char* text) {
  push_error(L, text);
  return lua_error(L);
}

// tostring() of a non-table error value, without calling into Lua.
void push_tostring(lua_State* L, int idx) {
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
      lua_pushvalue(L, idx);
      lua_tostring(L, -1);
      break;
    case LUA_TNIL:
      lua_pushliteral(L, "nil");
      break;
    case LUA_TBOOLEAN:
      lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false");
      break;
    default:
      lua_pushfstring(L, "%s: %p", luaL_typename(L, idx), lua_topointer(L, idx));
      break;
  }
}

}  // namespace

// The C functions the Lua state calls; a friend of `scripting` for its run state.
struct lua_api {
  static scripting& self(lua_State* L) {
    return *static_cast<scripting*>(lua_touserdata(L, lua_upvalueindex(1)));
  }

  // --- read-only globals --------------------------------------------------------------------

  static int readonly_newindex(lua_State* L) { return luaL_error(L, readonly_table); }

  static int nonexistent_global(lua_State* L) {
    if (lua_gettop(L) != 2) {
      return luaL_error(L, "Wrong number of arguments to luaProtectedTableError");
    }
    if (!lua_isstring(L, -1) && !lua_isnumber(L, -1)) {
      return luaL_error(L, "Second argument to luaProtectedTableError must be a string or number");
    }
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                      lua_tostring(L, -1));
  }

  // Upvalue 1 of the wrappers below is the proxy map (proxy -> real table). Pushes the real
  // table of the value at `idx` (nil if it is no proxy) and says whether it was one.
  static bool real_of(lua_State* L, int idx) {
    lua_pushvalue(L, idx);
    lua_rawget(L, lua_upvalueindex(1));
    if (lua_isnil(L, -1)) return false;
    return true;
  }

  static void unwrap(lua_State* L, int idx) {
    if (real_of(L, idx)) {
      lua_replace(L, idx);
    } else {
      lua_pop(L, 1);
    }
  }

  static int raise_readonly(lua_State* L) {
    // Raised from inside a C function, like Redis's VM check: no position prefix.
    lua_pushstring(L, readonly_table);
    return lua_error(L);
  }

  static int next(lua_State* L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    unwrap(L, 1);
    lua_settop(L, 2);
    if (lua_next(L, 1) != 0) return 2;
    lua_pushnil(L);
    return 1;
  }

  // pairs(t) returns the global `next` (upvalue 2), which sees through proxies.
  static int pairs(lua_State* L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
  }

  static int rawget(lua_State* L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    unwrap(L, 1);
    lua_settop(L, 2);
    lua_rawget(L, 1);
    return 1;
  }

  static int rawset(lua_State* L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (real_of(L, 1)) return raise_readonly(L);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
  }

  static int setmetatable(lua_State* L) {
    const int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argcheck(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table expected");
    if (luaL_getmetafield(L, 1, "__metatable") != 0) {
      return luaL_error(L, "cannot change a protected metatable");
    }
    if (real_of(L, 1)) return raise_readonly(L);
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
  }

  // getmetatable(_G) gives a read-only stand-in of Redis's globals metatable (upvalue 3; _G is
  // upvalue 2); the library proxies have none, like Redis's library tables; strings' metatable
  // comes as a read-only proxy (upvalue 4).
  static int getmetatable(lua_State* L) {
    luaL_checkany(L, 1);
    if (lua_type(L, 1) == LUA_TSTRING) {  // the strings' metatable, read-only too
      lua_pushvalue(L, lua_upvalueindex(4));
      return 1;
    }
    if (lua_rawequal(L, 1, lua_upvalueindex(2)) != 0) {
      lua_pushvalue(L, lua_upvalueindex(3));
      return 1;
    }
    if (real_of(L, 1)) {
      lua_pushnil(L);
      return 1;
    }
    lua_pop(L, 1);
    if (lua_getmetatable(L, 1) == 0) {
      lua_pushnil(L);
      return 1;
    }
    luaL_getmetafield(L, 1, "__metatable");
    return 1;
  }

  // --- loadstring / load: source text only -------------------------------------------------

  static int load_result(lua_State* L, int status) {
    if (status == 0) return 1;
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }

  static int loadstring(lua_State* L) {
    std::size_t size = 0;
    const char* s = luaL_checklstring(L, 1, &size);
    const char* chunkname = luaL_optstring(L, 2, s);
    text_reader r{s, size, 0};
    return load_result(L, lua_load(L, read_text, &r, chunkname));
  }

  static const char* read_function(lua_State* L, void* ud, std::size_t* size) {
    auto* stage = static_cast<int*>(ud);
    if ((*stage)++ == 0) {
      *size = 1;
      return " ";
    }
    luaL_checkstack(L, 2, "too many nested functions");
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
      *size = 0;
      return nullptr;
    }
    if (lua_isstring(L, -1) != 0) {
      lua_replace(L, 3);
      return lua_tolstring(L, 3, size);
    }
    luaL_error(L, "reader function must return a string");
    return nullptr;
  }

  static int load(lua_State* L) {
    const char* chunkname = luaL_optstring(L, 2, "=(load)");
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 3);
    int stage = 0;
    return load_result(L, lua_load(L, read_function, &stage, chunkname));
  }

  // --- pcall, as Redis 7 wraps it: a table error with `err` comes back as its string ---------

  static int pcall(lua_State* L) {
    const int argc = lua_gettop(L);
    if (argc == 0) {  // what Redis's pcall() returns (it calls its own placeholder)
      lua_pushboolean(L, 0);
      lua_pushliteral(L, "attempt to call a boolean value");
      return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
      lua_remove(L, 1);
      if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        if (lua_isstring(L, -1) != 0) lua_replace(L, -2);
      }
      lua_pushboolean(L, 0);
      lua_insert(L, 1);
    }
    return lua_gettop(L);
  }

  // --- the error handler of every script run: adds where the error happened ----------------

  static int error_handler(lua_State* L) {
    lua_Debug ar;
    bool located = false;
    if (lua_getstack(L, 1, &ar) != 0) {
      lua_getinfo(L, "nSl", &ar);
      located = true;
      if (std::strcmp(ar.what, "C") == 0) {
        located = lua_getstack(L, 2, &ar) != 0 && lua_getinfo(L, "nSl", &ar) != 0;
      }
    }
    lua_settop(L, 1);
    if (!lua_istable(L, 1)) {
      lua_pushliteral(L, "ERR ");
      push_tostring(L, 1);
      lua_concat(L, 2);
      lua_newtable(L);
      lua_insert(L, -2);
      lua_setfield(L, -2, "err");
      lua_replace(L, 1);
    } else if (real_of(L, 1)) {
      lua_settop(L, 1);  // a read-only table: leave it as it is
      return 1;
    }
    lua_settop(L, 1);
    if (located) {
      lua_pushliteral(L, "source");
      lua_pushstring(L, ar.source);
      lua_rawset(L, 1);
      lua_pushliteral(L, "line");
      lua_pushinteger(L, ar.currentline);
      lua_rawset(L, 1);
    }
    return 1;
  }

  // --- redis.call / redis.pcall -------------------------------------------------------------

  enum class call_outcome { value, error, always_raise };

  // Reads the arguments (strings, or numbers as "%.17g"), like luaArgsToRedisArgv. On failure
  // leaves Redis's error table on the stack.
  static bool read_args(lua_State* L, std::vector<std::string>& args) {
    const int argc = lua_gettop(L);
    if (argc == 0) {
      push_error(L, "Please specify at least one argument for this redis lib call");
      return false;
    }
    args.reserve(static_cast<std::size_t>(argc));
    for (int j = 1; j <= argc; ++j) {
      if (lua_type(L, j) == LUA_TNUMBER) {
        args.push_back(format_17g(lua_tonumber(L, j)));
      } else if (lua_type(L, j) == LUA_TSTRING) {
        std::size_t len = 0;
        const char* s = lua_tolstring(L, j, &len);
        args.emplace_back(s, len);
      } else {
        lua_settop(L, 0);
        push_error(L, "Lua redis lib command arguments must be strings or integers");
        return false;
      }
    }
    lua_settop(L, 0);
    return true;
  }

  static bool may_replicate(const command_spec& spec) {
    return spec.name == "publish" || spec.name == "spublish" || spec.name == "pfcount";
  }

  // Redis looks up the subcommand of a container command before it checks arity; a script
  // sees "Unknown Redis command" for an unknown subcommand and the subcommand's arity.
  struct subcommand {
    std::string_view container;
    std::string_view name;
    int arity;
  };
  static constexpr subcommand subcommands[] = {
      {"pubsub", "channels", -2},      {"pubsub", "numsub", -2},      {"pubsub", "numpat", 2},
      {"pubsub", "shardchannels", -2}, {"pubsub", "shardnumsub", -2}, {"pubsub", "help", 2},
      {"script", "load", 3},           {"script", "exists", -3},      {"script", "flush", -2},
      {"script", "kill", 2},           {"script", "debug", 3},        {"script", "help", 2},
  };

  // The arity that applies to `args` (the subcommand's for a container), or 0 when the
  // subcommand is unknown.
  static int arity_of(const command_spec& spec, const std::vector<std::string>& args) {
    if (args.size() < 2 || (spec.name != "pubsub" && spec.name != "script")) return spec.arity;
    std::string sub = args[1];
    std::transform(sub.begin(), sub.end(), sub.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    for (const auto& s : subcommands) {
      if (s.container == spec.name && s.name == sub) return s.arity;
    }
    return 0;
  }

  // Converts a command's reply to Lua (redisProtocolToLuaType): RESP2 shapes unless the script
  // called redis.setresp(3).
  static void push_reply(lua_State* L, const resp::reply& r, int resp) {
    lua_checkstack(L, 4);
    switch (r.type) {
      case resp::type::null:
        if (resp == 2) {
          lua_pushboolean(L, 0);
        } else {
          lua_pushnil(L);
        }
        break;
      case resp::type::integer:
        lua_pushnumber(L, static_cast<lua_Number>(r.integer));
        break;
      case resp::type::bulk_string:
        lua_pushlstring(L, r.string.data(), r.string.size());
        break;
      case resp::type::simple_string:
        lua_newtable(L);
        lua_pushlstring(L, r.string.data(), r.string.size());
        lua_setfield(L, -2, "ok");
        break;
      case resp::type::simple_error:
      case resp::type::bulk_error:
        push_error(L, "-" + r.string, true);
        break;
      case resp::type::verbatim_string:
        lua_newtable(L);
        lua_newtable(L);
        lua_pushlstring(L, r.string.data(), r.string.size());
        lua_setfield(L, -2, "string");
        lua_pushlstring(L, r.format.data(), r.format.size());
        lua_setfield(L, -2, "format");
        lua_setfield(L, -2, "verbatim_string");
        break;
      case resp::type::double_:
        lua_newtable(L);
        lua_pushnumber(L, r.number);
        lua_setfield(L, -2, "double");
        break;
      case resp::type::boolean:
        lua_pushboolean(L, r.integer != 0 ? 1 : 0);
        break;
      case resp::type::big_number:
        lua_newtable(L);
        lua_pushlstring(L, r.string.data(), r.string.size());
        lua_setfield(L, -2, "big_number");
        break;
      case resp::type::map:
        lua_newtable(L);
        lua_newtable(L);
        for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
          push_reply(L, r.elements[i], resp);
          push_reply(L, r.elements[i + 1], resp);
          if (lua_isnil(L, -2)) {
            lua_pop(L, 2);
          } else {
            lua_rawset(L, -3);
          }
        }
        lua_setfield(L, -2, "map");
        break;
      case resp::type::set:
        lua_newtable(L);
        lua_newtable(L);
        for (const auto& e : r.elements) {
          push_reply(L, e, resp);
          if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
          } else {
            lua_pushboolean(L, 1);
            lua_rawset(L, -3);
          }
        }
        lua_setfield(L, -2, "set");
        break;
      case resp::type::array:
      case resp::type::push:
        lua_createtable(L, static_cast<int>(r.elements.size()), 0);
        for (std::size_t i = 0; i < r.elements.size(); ++i) {
          push_reply(L, r.elements[i], resp);
          lua_rawseti(L, -2, static_cast<int>(i + 1));
        }
        break;
    }
  }

  // The body of redis.call and redis.pcall; leaves one value on the stack (the reply, or an
  // error table) and says whether it is an error.
  static call_outcome do_call(lua_State* L, scripting& s) noexcept {
    auto& run = s.run_;
    if (run.ctx == nullptr) {
      push_error(L, "redis.call/pcall can only be called inside a script invocation");
      return call_outcome::always_raise;
    }
    try {
      std::vector<std::string> args;
      if (!read_args(L, args)) return call_outcome::error;
      if (run.in_call) {
        push_error(L,
                   "luaRedisGenericCommand() recursive call detected. Are you doing funny stuff "
                   "with Lua debug hooks?");
        return call_outcome::value;
      }
      const command_spec* spec = find_command(args[0]);
      const int arity = spec != nullptr ? arity_of(*spec, args) : 0;
      const char* refused = nullptr;
      const auto argc = static_cast<int>(args.size());
      state& st = run.ctx->st;
      if (spec == nullptr || arity == 0) {
        refused = "Unknown Redis command called from script";
      } else if ((arity > 0 && argc != arity) || (arity < 0 && argc < -arity)) {
        refused = "Wrong number of args calling Redis command from script";
      } else if ((spec->flags & cmd_noscript) != 0) {
        refused = "This Redis command is not allowed from script";
      } else if (run.read_only && ((spec->flags & cmd_write) != 0 || may_replicate(*spec))) {
        refused = "Write commands are not allowed from read-only scripts.";
      } else if (!run.allow_oom && st.opts.max_memory != 0 && !run.wrote && run.oom_at_start &&
                 (spec->flags & cmd_denyoom) != 0) {
        refused = "-OOM command not allowed when used memory > 'maxmemory'.";
      }
      if (refused != nullptr) {
        push_error(L, refused, true);
        return call_outcome::error;
      }
      if ((spec->flags & cmd_write) != 0) run.wrote = true;

      std::vector<std::string_view> argv(args.begin(), args.end());
      // Redis decides about maxmemory once, when the script starts (checked above); the
      // commands it then runs are not refused again.
      struct memory_limit_off {
        std::size_t& limit;
        std::size_t saved;
        explicit memory_limit_off(std::size_t& l) : limit(l), saved(l) { limit = 0; }
        ~memory_limit_off() { limit = saved; }
        memory_limit_off(const memory_limit_off&) = delete;
        memory_limit_off& operator=(const memory_limit_off&) = delete;
      };
      resp::reply reply;
      {
        memory_limit_off off(st.opts.max_memory);
        run.in_call = true;
        reply = run.ctx->call(argv, run.resp == 3);
        run.in_call = false;
      }
      push_reply(L, reply, run.resp);
      return reply.is_error() ? call_outcome::error : call_outcome::value;
    } catch (const std::exception& e) {
      run.in_call = false;
      lua_settop(L, 0);
      push_error(L, std::string("ERR ") + e.what());
      return call_outcome::error;
    } catch (...) {
      run.in_call = false;
      lua_settop(L, 0);
      push_error(L, "ERR command failed");
      return call_outcome::error;
    }
  }

  static int generic_call(lua_State* L, bool raise) {
    const call_outcome out = do_call(L, self(L));
    if (out == call_outcome::always_raise || (raise && out == call_outcome::error)) {
      return lua_error(L);
    }
    return 1;
  }

  static int call(lua_State* L) { return generic_call(L, true); }
  static int pcall_command(lua_State* L) { return generic_call(L, false); }

  // --- the rest of the redis table ---------------------------------------------------------

  static int sha1hex(lua_State* L) {
    if (lua_gettop(L) != 1) return raise_error(L, "wrong number of arguments");
    std::size_t len = 0;
    const char* s = lua_tolstring(L, 1, &len);
    char digest[41];
    hex_sha1(s != nullptr ? s : "", s != nullptr ? len : 0, digest);
    lua_pushstring(L, digest);
    return 1;
  }

  static int error_reply(lua_State* L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
      push_error(L, "wrong number or type of arguments");
      return 1;
    }
    const char* err = lua_tostring(L, -1);
    if (err[0] != '-') {
      lua_pushliteral(L, "-");
      lua_pushvalue(L, -2);
      lua_concat(L, 2);
      err = lua_tostring(L, -1);
    }
    push_error(L, err);
    return 1;
  }

  static int status_reply(lua_State* L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
      push_error(L, "wrong number or type of arguments");
      return 1;
    }
    lua_newtable(L);
    lua_pushliteral(L, "ok");
    lua_pushvalue(L, -3);
    lua_settable(L, -3);
    return 1;
  }

  // redis.log checks its arguments like Redis, then discards the message: the engine has no
  // Redis log file.
  static int log(lua_State* L) {
    const int argc = lua_gettop(L);
    if (argc < 2) return raise_error(L, "redis.log() requires two arguments or more.");
    if (lua_isnumber(L, -argc) == 0) {
      return raise_error(L, "First argument must be a number (log level).");
    }
    const auto level = static_cast<int>(lua_tonumber(L, -argc));
    if (level < 0 || level > 3) return raise_error(L, "Invalid debug level.");
    return 0;
  }

  static int setresp(lua_State* L) {
    scripting& s = self(L);
    if (s.run_.ctx == nullptr) {
      return raise_error(L, "redis.setresp can only be called inside a script invocation");
    }
    if (lua_gettop(L) != 1) return raise_error(L, "redis.setresp() requires one argument.");
    const auto resp = static_cast<int>(lua_tonumber(L, -1));
    if (resp != 2 && resp != 3) return raise_error(L, "RESP version must be 2 or 3.");
    s.run_.resp = resp;
    return 0;
  }

  static int set_repl(lua_State* L) {
    if (lua_gettop(L) != 1) return raise_error(L, "redis.set_repl() requires two arguments.");
    const auto flags = static_cast<int>(lua_tonumber(L, -1));
    if ((flags & ~3) != 0) {
      return raise_error(
          L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    }
    return 0;  // the engine does not replicate
  }

  static int replicate_commands(lua_State* L) {
    lua_pushboolean(L, 1);
    return 1;
  }

  static int breakpoint(lua_State* L) {
    lua_pushboolean(L, 0);
    return 1;
  }

  static int debug(lua_State* /*L*/) { return 0; }

  static bool acl_check(lua_State* L) noexcept {
    try {
      std::vector<std::string> args;
      if (!read_args(L, args)) return false;
      if (find_command(args[0]) == nullptr) {
        push_error(L, "Invalid command passed to redis.acl_check_cmd()");
        return false;
      }
      lua_pushboolean(L, 1);  // the engine has no ACL: every command is allowed
      return true;
    } catch (...) {
      lua_settop(L, 0);
      push_error(L, "ERR out of memory");
      return false;
    }
  }

  static int acl_check_cmd(lua_State* L) {
    if (!acl_check(L)) return lua_error(L);
    return 1;
  }

  // --- math.random / math.randomseed: Redis's redisLrand48, the same sequence everywhere ----

  static int math_random(lua_State* L) {
    scripting& s = self(L);
    const lua_Number r =
        static_cast<lua_Number>(s.next_random() % 2147483647) / static_cast<lua_Number>(2147483647);
    switch (lua_gettop(L)) {
      case 0:
        lua_pushnumber(L, r);
        break;
      case 1: {
        const int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, std::floor(r * u) + 1);
        break;
      }
      case 2: {
        const int l = luaL_checkint(L, 1);
        const int u = luaL_checkint(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushnumber(L, std::floor(r * (u - l + 1)) + l);
        break;
      }
      default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
  }

  static int math_randomseed(lua_State* L) {
    const auto seed = static_cast<std::uint32_t>(luaL_checkint(L, 1));
    self(L).rand48_ = 0x330EULL | (static_cast<std::uint64_t>(seed) << 16);
    return 0;
  }

  // --- building the state -------------------------------------------------------------------

  static void set_function(lua_State* L, const char* name, lua_CFunction f, scripting* s) {
    lua_pushlightuserdata(L, s);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, name);
  }

  static void set_number(lua_State* L, const char* name, lua_Number v) {
    lua_pushnumber(L, v);
    lua_setfield(L, -2, name);
  }

  // Replaces the table at the top of the stack by its read-only proxy, recorded in the proxy
  // map at `map`.
  static void make_proxy(lua_State* L, int map) {
    const int real = lua_gettop(L);
    lua_newtable(L);  // the proxy
    lua_newtable(L);  // its metatable
    lua_pushvalue(L, real);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_pushvalue(L, real);
    lua_rawset(L, map);
    lua_replace(L, real);
  }

  static void open_library(lua_State* L, const char* name, lua_CFunction open) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
  }

  // Builds the sandbox (run through lua_cpcall, `this` as the light userdata).
  static int init(lua_State* L) {
    auto* s = static_cast<scripting*>(lua_touserdata(L, 1));
    lua_settop(L, 0);

    // The libraries Redis loads (cjson, cmsgpack, bit and struct are not available here).
    open_library(L, "", luaopen_base);
    open_library(L, LUA_TABLIBNAME, luaopen_table);
    open_library(L, LUA_STRLIBNAME, luaopen_string);
    open_library(L, LUA_MATHLIBNAME, luaopen_math);
    lua_settop(L, 0);

    lua_pushvalue(L, LUA_GLOBALSINDEX);  // 1: the real globals
    const int globals = 1;
    for (const char* name : {"print", "dofile", "loadfile", "getfenv", "setfenv", "newproxy"}) {
      lua_pushnil(L);
      lua_setfield(L, globals, name);
    }
    lua_newtable(L);  // 2: the proxy map
    const int map = 2;

    lua_pushcfunction(L, pcall);
    lua_setfield(L, globals, "pcall");
    lua_pushcfunction(L, loadstring);
    lua_setfield(L, globals, "loadstring");
    lua_pushcfunction(L, load);
    lua_setfield(L, globals, "load");

    // redis.*
    lua_newtable(L);
    set_function(L, "call", call, s);
    set_function(L, "pcall", pcall_command, s);
    set_function(L, "log", log, s);
    set_number(L, "LOG_DEBUG", 0);
    set_number(L, "LOG_VERBOSE", 1);
    set_number(L, "LOG_NOTICE", 2);
    set_number(L, "LOG_WARNING", 3);
    lua_pushliteral(L, "7.0.15");
    lua_setfield(L, -2, "REDIS_VERSION");
    set_number(L, "REDIS_VERSION_NUM", 0x07000f);
    set_function(L, "setresp", setresp, s);
    set_function(L, "sha1hex", sha1hex, s);
    set_function(L, "error_reply", error_reply, s);
    set_function(L, "status_reply", status_reply, s);
    set_function(L, "set_repl", set_repl, s);
    set_number(L, "REPL_NONE", 0);
    set_number(L, "REPL_AOF", 1);
    set_number(L, "REPL_SLAVE", 2);
    set_number(L, "REPL_REPLICA", 2);
    set_number(L, "REPL_ALL", 3);
    set_function(L, "replicate_commands", replicate_commands, s);
    set_function(L, "breakpoint", breakpoint, s);
    set_function(L, "debug", debug, s);
    set_function(L, "acl_check_cmd", acl_check_cmd, s);
    lua_setfield(L, globals, "redis");

    lua_getfield(L, globals, "math");
    set_function(L, "random", math_random, s);
    set_function(L, "randomseed", math_randomseed, s);
    lua_pop(L, 1);

    // The library tables become read-only proxies; strings' methods go through the proxy too.
    for (const char* name : {"string", "table", "math", "coroutine", "redis"}) {
      lua_getfield(L, globals, name);
      make_proxy(L, map);
      lua_setfield(L, globals, name);
    }
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1) != 0) {
      lua_getfield(L, globals, "string");
      lua_setfield(L, -2, "__index");
      lua_pop(L, 1);
    }
    lua_pop(L, 1);

    // _G: an empty proxy of the real globals, which raise on a missing name.
    lua_pushvalue(L, globals);
    make_proxy(L, map);  // 3: the globals proxy
    const int proxy = 3;
    lua_newtable(L);
    lua_pushcfunction(L, nonexistent_global);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, globals);
    lua_pushvalue(L, proxy);
    lua_setfield(L, globals, "_G");

    // A stand-in for getmetatable(_G), read-only too.
    lua_newtable(L);
    lua_pushcfunction(L, nonexistent_global);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    make_proxy(L, map);  // 4: the stand-in
    const int standin = 4;
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_remove(L, -2);
    make_proxy(L, map);  // 5: strings' metatable
    const int string_meta = 5;

    // The raw functions, seeing through (or refusing) the proxies.
    lua_pushvalue(L, map);
    lua_pushcclosure(L, next, 1);
    lua_setfield(L, globals, "next");
    lua_pushvalue(L, map);
    lua_pushvalue(L, map);
    lua_pushcclosure(L, next, 1);  // pairs' own `next`, as in Lua's base library
    lua_pushcclosure(L, pairs, 2);
    lua_setfield(L, globals, "pairs");
    lua_pushvalue(L, map);
    lua_pushcclosure(L, rawget, 1);
    lua_setfield(L, globals, "rawget");
    lua_pushvalue(L, map);
    lua_pushcclosure(L, rawset, 1);
    lua_setfield(L, globals, "rawset");
    lua_pushvalue(L, map);
    lua_pushcclosure(L, setmetatable, 1);
    lua_setfield(L, globals, "setmetatable");
    lua_pushvalue(L, map);
    lua_pushvalue(L, proxy);
    lua_pushvalue(L, standin);
    lua_pushvalue(L, string_meta);
    lua_pushcclosure(L, getmetatable, 4);
    lua_setfield(L, globals, "getmetatable");

    lua_pushvalue(L, map);
    lua_pushcclosure(L, error_handler, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, globals, "__redis__err__handler");
    s->handler_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);

    lua_pushvalue(L, globals);
    s->globals_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);

    // From now on every function compiled in this state (scripts, loadstring) sees the proxy.
    lua_pushvalue(L, proxy);
    lua_replace(L, LUA_GLOBALSINDEX);
    lua_settop(L, 0);
    return 0;
  }

  // --- Lua value -> reply (luaReplyToRedisReply) --------------------------------------------

  static bool raw_string_field(lua_State* L, const char* name, std::string& out) {
    lua_pushstring(L, name);
    lua_rawget(L, -2);
    const bool found = lua_type(L, -1) == LUA_TSTRING;
    if (found) {
      std::size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      out.assign(s, len);
    }
    lua_pop(L, 1);
    return found;
  }

  // Converts and pops the value at the top of the stack.
  static resp::reply to_reply(lua_State* L, const context& c, int script_resp, int depth) {
    if (depth > max_reply_depth || lua_checkstack(L, 4) == 0) {
      lua_pop(L, 1);
      return resp::reply::make_error("ERR reached lua stack limit");
    }
    resp::reply out;
    switch (lua_type(L, -1)) {
      case LUA_TSTRING: {
        std::size_t len = 0;
        const char* s = lua_tolstring(L, -1, &len);
        out = resp::reply::make_bulk(std::string(s, len));
        break;
      }
      case LUA_TBOOLEAN: {
        const bool b = lua_toboolean(L, -1) != 0;
        if (script_resp == 2) {
          out = b ? resp::reply::make_integer(1) : resp::reply::make_null();
        } else {
          out = c.resp3 ? resp::reply::make_boolean(b) : resp::reply::make_integer(b ? 1 : 0);
        }
        break;
      }
      case LUA_TNUMBER:
        out = resp::reply::make_integer(number_to_integer(lua_tonumber(L, -1)));
        break;
      case LUA_TTABLE:
        out = table_to_reply(L, c, script_resp, depth);
        break;
      default:
        break;  // nil, functions, ...: null
    }
    lua_pop(L, 1);
    return out;
  }

  static resp::reply table_to_reply(lua_State* L, const context& c, int script_resp, int depth) {
    std::string s;
    if (raw_string_field(L, "err", s)) return error_line(s);
    if (raw_string_field(L, "ok", s)) return resp::reply::make_simple(protocol_line(s));

    lua_pushliteral(L, "double");
    lua_rawget(L, -2);
    if (lua_type(L, -1) == LUA_TNUMBER) {
      const double d = lua_tonumber(L, -1);
      lua_pop(L, 1);
      return c.dbl(d);
    }
    lua_pop(L, 1);

    if (raw_string_field(L, "big_number", s)) {
      auto r = resp::reply::make_bulk(protocol_line(s));
      if (c.resp3) r.type = resp::type::big_number;
      return r;
    }

    lua_pushliteral(L, "verbatim_string");
    lua_rawget(L, -2);
    if (lua_type(L, -1) == LUA_TTABLE) {
      std::string format;
      std::string text;
      if (raw_string_field(L, "format", format) && raw_string_field(L, "string", text)) {
        lua_pop(L, 1);
        auto r = resp::reply::make_bulk(std::move(text));
        if (c.resp3) {
          r.type = resp::type::verbatim_string;
          format.resize(3, ' ');
          r.format = std::move(format);
        }
        return r;
      }
    }
    lua_pop(L, 1);

    lua_pushliteral(L, "map");
    lua_rawget(L, -2);
    if (lua_type(L, -1) == LUA_TTABLE) {
      std::vector<resp::reply> flat;
      lua_pushnil(L);
      while (lua_next(L, -2) != 0) {
        lua_pushvalue(L, -2);
        flat.push_back(to_reply(L, c, script_resp, depth + 1));  // the key
        flat.push_back(to_reply(L, c, script_resp, depth + 1));  // the value
      }
      lua_pop(L, 1);
      return c.map(std::move(flat));
    }
    lua_pop(L, 1);

    lua_pushliteral(L, "set");
    lua_rawget(L, -2);
    if (lua_type(L, -1) == LUA_TTABLE) {
      std::vector<resp::reply> members;
      lua_pushnil(L);
      while (lua_next(L, -2) != 0) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        members.push_back(to_reply(L, c, script_resp, depth + 1));
      }
      lua_pop(L, 1);
      return c.set(std::move(members));
    }
    lua_pop(L, 1);

    std::vector<resp::reply> elements;
    for (int j = 1;; ++j) {
      lua_rawgeti(L, -1, j);
      if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        break;
      }
      elements.push_back(to_reply(L, c, script_resp, depth + 1));
    }
    return resp::reply::make_array(std::move(elements));
  }

  // The reply of a failed run: the error object is at the top of the stack.
  static resp::reply run_error(lua_State* L, std::string_view sha) {
    if (!lua_istable(L, -1)) {
      std::string msg = "execution failure";
      if (lua_isstring(L, -1) != 0) msg = lua_tostring(L, -1);
      return error_line("ERR Error running script " + std::string(sha) + ", " + msg.substr(0, 100) +
                        "\n");
    }
    // Redis reads the fields with lua_getfield (metamethods apply): done in protected mode,
    // falling back to raw reads if a metamethod fails.
    const int table = lua_gettop(L);
    lua_pushcfunction(L, error_fields);
    lua_pushvalue(L, table);
    if (lua_pcall(L, 1, 3, 0) != 0) {
      lua_pop(L, 1);
      for (const char* name : {"err", "source", "line"}) {
        lua_pushstring(L, name);
        lua_rawget(L, table);
      }
    }
    // Stack: error, err, source, line.
    const auto text_at = [L](int idx, std::string& out) {  // as C strings: up to a NUL
      if (lua_isstring(L, idx) == 0) return false;
      out = lua_tostring(L, idx);
      return true;
    };
    std::string msg;
    std::string source;
    std::string line;
    if (!text_at(-3, msg)) msg = "ERR unknown error";  // Redis 7.0 crashes here
    std::string text = msg;
    if (text_at(-1, line) && text_at(-2, source)) {
      text += " script: " + std::string(sha) + ", on " + source + ":" + line + ".";
    }
    lua_pop(L, 3);
    return error_line(text);
  }

  static int error_fields(lua_State* L) {
    lua_getfield(L, 1, "err");
    lua_getfield(L, 1, "source");
    lua_getfield(L, 1, "line");
    return 3;
  }
};

// ---------------------------------------------------------------------------------------------

scripting::scripting() { open(); }

scripting::~scripting() { close(); }

void scripting::open() {
  lua_ = luaL_newstate();
  if (lua_ == nullptr) throw std::bad_alloc();
  if (lua_cpcall(lua_, lua_api::init, this) != 0) {
    close();
    throw std::bad_alloc();
  }
}

void scripting::close() noexcept {
  if (lua_ != nullptr) lua_close(lua_);
  lua_ = nullptr;
  scripts_.clear();
}

void scripting::flush() {
  close();
  open();
}

std::int32_t scripting::next_random() {
  rand48_ = (0x5DEECE66DULL * rand48_ + 0xB) & 0xFFFFFFFFFFFFULL;
  return static_cast<std::int32_t>(rand48_ >> 17);
}

std::string scripting::sha1hex(std::string_view data) {
  char out[41];
  hex_sha1(data.data(), data.size(), out);
  return std::string(out, 40);
}

bool scripting::parse_shebang(std::string_view body, unsigned& flags, std::size_t& length,
                              std::string& error) {
  flags = compat;
  length = 0;
  if (!body.starts_with("#!")) return true;
  const std::string_view text = body.substr(0, body.find('\0'));
  const auto end = text.find('\n');
  if (end == std::string_view::npos) {
    error = "Invalid script shebang";
    return false;
  }
  std::vector<std::string> parts;
  if (!split_args(text.substr(0, end), parts) || parts.empty()) {
    error = "Invalid engine in script shebang";
    return false;
  }
  if (parts[0] != "#!lua") {
    error = "Unexpected engine in script shebang: " + parts[0];
    return false;
  }
  unsigned out = 0;
  for (std::size_t j = 1; j < parts.size(); ++j) {
    const std::string_view part = parts[j];
    if (!part.starts_with("flags=")) {
      error = "Unknown lua shebang option: " + parts[j];
      return false;
    }
    std::string_view list = part.substr(6);
    while (!list.empty()) {
      const auto comma = list.find(',');
      const std::string_view name = list.substr(0, comma);
      if (name == "no-writes") {
        out |= no_writes;
      } else if (name == "allow-oom") {
        out |= allow_oom;
      } else if (name == "allow-stale") {
        out |= allow_stale;
      } else if (name == "no-cluster") {
        out |= no_cluster;
      } else if (name == "allow-cross-slot-keys") {
        out |= allow_cross_slot_keys;
      } else {
        error = "Unexpected flag in script shebang: " + std::string(name);
        return false;
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
      if (list.empty()) {  // a trailing comma leaves an empty flag, as sdssplitlen does
        error = "Unexpected flag in script shebang: ";
        return false;
      }
    }
  }
  flags = out;
  length = end;
  return true;
}

const scripting::script* scripting::find(std::string_view sha) const {
  auto it = scripts_.find(sha);
  return it == scripts_.end() ? nullptr : &it->second;
}

const scripting::script* scripting::load(std::string_view body, std::string& sha,
                                         resp::reply& error) {
  sha = sha1hex(body);
  if (auto it = scripts_.find(sha); it != scripts_.end()) return &it->second;
  unsigned flags = compat;
  std::size_t shebang = 0;
  std::string shebang_error;
  if (!parse_shebang(body, flags, shebang, shebang_error)) {
    error = error_line("ERR " + shebang_error);
    return nullptr;
  }
  // The shebang line is skipped but its newline kept, so that line numbers stay the user's.
  text_reader reader{body.data() + shebang, body.size() - shebang, 0};
  if (lua_load(lua_, read_text, &reader, "@user_script") != 0) {
    std::size_t len = 0;
    const char* msg = lua_tolstring(lua_, -1, &len);
    error = error_line("ERR Error compiling script (new function): " +
                       std::string(msg != nullptr ? msg : "", msg != nullptr ? len : 0));
    lua_pop(lua_, 1);
    return nullptr;
  }
  const int ref = luaL_ref(lua_, LUA_REGISTRYINDEX);
  return &scripts_.emplace(sha, script{ref, flags}).first->second;
}

resp::reply scripting::run(context& c, std::string_view sha, const script& s,
                           std::span<const std::string_view> keys,
                           std::span<const std::string_view> args, bool read_only) {
  lua_State* L = lua_;
  run_ = run_state{};
  run_.ctx = &c;
  run_.read_only = read_only || (s.flags & no_writes) != 0;
  run_.allow_oom = (s.flags & allow_oom) != 0;
  run_.oom_at_start = c.st.opts.max_memory != 0 &&
                      c.st.used_memory > static_cast<std::int64_t>(c.st.opts.max_memory);

  // Redis 7.0 evaluates key expiry at the time the script started, so a key cannot expire in
  // the middle of it: the engine clock stands still while the script runs.
  struct run_scope {
    scripting& self;
    state& st;
    bool real_clock;
    run_scope(scripting& s, state& state) : self(s), st(state), real_clock(!state.manual_clock) {
      if (!real_clock) return;
      const std::int64_t us = st.now_us();
      st.manual_clock = true;
      st.manual_now_ms = us / 1000;
      st.manual_now_us_rest = us % 1000;
    }
    ~run_scope() {
      self.run_.ctx = nullptr;
      if (real_clock) st.manual_clock = false;
    }
    run_scope(const run_scope&) = delete;
    run_scope& operator=(const run_scope&) = delete;
  };
  const run_scope scope(*this, c.st);

  const int base = lua_gettop(L);
  lua_checkstack(L, 8);
  lua_rawgeti(L, LUA_REGISTRYINDEX, handler_ref_);
  lua_rawgeti(L, LUA_REGISTRYINDEX, globals_ref_);
  const auto set_array = [L](const char* name, std::span<const std::string_view> items) {
    lua_pushstring(L, name);
    lua_createtable(L, static_cast<int>(items.size()), 0);
    for (std::size_t i = 0; i < items.size(); ++i) {
      lua_pushlstring(L, items[i].data(), items[i].size());
      lua_rawseti(L, -2, static_cast<int>(i + 1));
    }
    lua_rawset(L, -3);
  };
  set_array("KEYS", keys);
  set_array("ARGV", args);
  lua_pop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s.ref);

  const int status = lua_pcall(L, 0, 1, base + 1);
  resp::reply out =
      status != 0 ? lua_api::run_error(L, sha) : lua_api::to_reply(L, c, run_.resp, 0);
  lua_settop(L, base);

  // Like Redis: a small incremental GC step every 50 runs rather than a full cycle.
  if (++runs_ % 50 == 0) lua_gc(L, LUA_GCSTEP, 50);
  return out;
}

}  // namespace redkit::engine
