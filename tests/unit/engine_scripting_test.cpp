// Tests of the engine's Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, the redis.*
// API, conversions, errors, read-only globals). Unless a test says otherwise, every expected reply
// was produced by a real redis-server 7.0.15 given the same commands in the same order on an empty
// server (fresh process for math.random), then compared with the engine's.
#include "engine/scripting.hpp"
#include "engine_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace redkit::engine {
namespace {

using namespace std::string_literals;

// One line per reply, with its RESP type: +"status" -"error" :int $"bulk" nil *[..] %[..] ~[..]
// ,double #t/#f (big =fmt:"verbatim"; bytes outside printable ASCII as \xHH.
std::string quote(const std::string& s) {
  std::string o = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      o += '\\';
      o += static_cast<char>(ch);
    } else if (ch < 32 || ch >= 127) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", ch);
      o += b;
    } else {
      o += static_cast<char>(ch);
    }
  }
  return o + "\"";
}

std::string canon(const resp::reply& r) {
  using resp::type;
  switch (r.type) {
    case type::null:
      return "nil";
    case type::simple_string:
      return "+" + quote(r.string);
    case type::simple_error:
    case type::bulk_error:
      return "-" + quote(r.string);
    case type::integer:
      return ":" + std::to_string(r.integer);
    case type::bulk_string:
      return "$" + quote(r.string);
    case type::verbatim_string:
      return "=" + r.format + ":" + quote(r.string);
    case type::double_: {
      char b[64];
      std::snprintf(b, sizeof b, "%.17g", r.number);
      return std::string(",") + b;
    }
    case type::boolean:
      return r.integer != 0 ? "#t" : "#f";
    case type::big_number:
      return "(" + r.string;
    default:
      break;
  }
  std::string o = r.type == type::map ? "%[" : r.type == type::set ? "~[" : "*[";
  for (std::size_t i = 0; i < r.elements.size(); ++i) {
    if (i != 0) o += ",";
    o += canon(r.elements[i]);
  }
  return o + "]";
}

struct step {
  std::vector<std::string> args;
  std::string expected;
};

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + quote(a);
  return out;
}

resp::reply exec(engine& e, const std::vector<std::string>& args, bool resp3 = false) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  return e.execute(argv, resp3);
}

// Runs `steps` in order on `e`, checking each reply.
void check(engine& e, const std::vector<step>& steps, bool resp3 = false) {
  for (const auto& s : steps) {
    EXPECT_EQ(canon(exec(e, s.args, resp3)), s.expected) << joined(s.args);
  }
}

void check(const std::vector<step>& steps, bool resp3 = false) {
  engine e;
  check(e, steps, resp3);
}

std::size_t cached_scripts(engine& e) {
  return e.with_state([](state& st) { return st.lua ? st.lua->size() : 0; });
}

// Lua -> reply: numbers truncate, booleans, nil, array part up to the first nil,
// {ok=}, {err=}, {double=}, {map=}, {set=}, RESP3-only shapes seen by a RESP2 client.
TEST(EngineScripting, LuaValuesBecomeRedisReplies) {
  check({
      {{"EVAL", "return 1", "0"}, R"(:1)"},
      {{"EVAL", "return 'a'", "0"}, R"($"a")"},
      {{"EVAL", "return {1,2,{3,'x'},nil,5}", "0"}, R"(*[:1,:2,*[:3,$"x"]])"},
      {{"EVAL", "return {1,false,3}", "0"}, R"(*[:1,nil,:3])"},
      {{"EVAL", "return true", "0"}, R"(:1)"},
      {{"EVAL", "return false", "0"}, R"(nil)"},
      {{"EVAL", "return nil", "0"}, R"(nil)"},
      {{"EVAL", "return 3.99", "0"}, R"(:3)"},
      {{"EVAL", "return -3.99", "0"}, R"(:-3)"},
      {{"EVAL", "return 0/0", "0"}, R"(:-9223372036854775808)"},
      {{"EVAL", "return 1/0", "0"}, R"(:-9223372036854775808)"},
      {{"EVAL", "return -1/0", "0"}, R"(:-9223372036854775808)"},
      {{"EVAL", "return 1e30", "0"}, R"(:-9223372036854775808)"},
      {{"EVAL", "return 2^53+1", "0"}, R"(:9007199254740992)"},
      {{"EVAL", "return {ok='fine'}", "0"}, R"(+"fine")"},
      {{"EVAL", "return {ok='a\r\nb'}", "0"},
       R"(-"ERR Error compiling script (new function): user_script:1: unfinished string near ''a'")"},
      {{"EVAL", "return {err='a\r\nb'}", "0"},
       R"(-"ERR Error compiling script (new function): user_script:1: unfinished string near ''a'")"},
      {{"EVAL", "return {err='nospace'}", "0"}, R"(-"nospace")"},
      {{"EVAL", "return {ok=1}", "0"}, R"(*[])"},
      {{"EVAL", "return {err=5}", "0"}, R"(*[])"},
      {{"EVAL", "return {double=3.5}", "0"}, R"($"3.5")"},
      {{"EVAL", "return {double=1/0}", "0"}, R"($"inf")"},
      {{"EVAL", "return {big_number='123'}", "0"}, R"($"123")"},
      {{"EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"}, R"($"hi")"},
      {{"EVAL", "return {map={a=1}}", "0"}, R"(*[$"a",:1])"},
      {{"EVAL", "return {set={a=true}}", "0"}, R"(*[$"a"])"},
      {{"EVAL", "return {{err='inner'}, {ok='st'}}", "0"}, R"(*[-"inner",+"st"])"},
      {{"EVAL", "local t = {} t[1] = t return 1", "0"}, R"(:1)"},
      {{"EVAL", "return ''", "0"}, R"($"")"},
      {{"EVAL", "", "0"}, R"(nil)"},
      {{"EVAL", "return {1, 'two', {3, {4, {5}}}}", "0"}, R"(*[:1,$"two",*[:3,*[:4,*[:5]]]])"},
      {{"EVAL", "local s = 0 for i = 1, 100000 do s = s + i end return s", "0"}, R"(:5000050000)"},
      {{"EVAL", "return 9007199254740993", "0"}, R"(:9007199254740992)"},
      {{"EVAL", "return -0.0", "0"}, R"(:0)"},
      {{"EVAL", "return '1' + 1", "0"}, R"(:2)"},
  });
}

// The same scripts for a RESP3 client (HELLO 3): doubles, maps, sets, big numbers, verbatim.
TEST(EngineScripting, LuaValuesBecomeResp3Replies) {
  check(
      {
          {{"EVAL", "return 1", "0"}, R"(:1)"},
          {{"EVAL", "return 'a'", "0"}, R"($"a")"},
          {{"EVAL", "return {1,2,{3,'x'},nil,5}", "0"}, R"(*[:1,:2,*[:3,$"x"]])"},
          {{"EVAL", "return {1,false,3}", "0"}, R"(*[:1,nil,:3])"},
          {{"EVAL", "return true", "0"}, R"(:1)"},
          {{"EVAL", "return false", "0"}, R"(nil)"},
          {{"EVAL", "return nil", "0"}, R"(nil)"},
          {{"EVAL", "return 3.99", "0"}, R"(:3)"},
          {{"EVAL", "return -3.99", "0"}, R"(:-3)"},
          {{"EVAL", "return 0/0", "0"}, R"(:-9223372036854775808)"},
          {{"EVAL", "return 1/0", "0"}, R"(:-9223372036854775808)"},
          {{"EVAL", "return -1/0", "0"}, R"(:-9223372036854775808)"},
          {{"EVAL", "return 1e30", "0"}, R"(:-9223372036854775808)"},
          {{"EVAL", "return 2^53+1", "0"}, R"(:9007199254740992)"},
          {{"EVAL", "return {ok='fine'}", "0"}, R"(+"fine")"},
          {{"EVAL", "return {ok='a\r\nb'}", "0"},
           R"(-"ERR Error compiling script (new function): user_script:1: unfinished string near ''a'")"},
          {{"EVAL", "return {err='a\r\nb'}", "0"},
           R"(-"ERR Error compiling script (new function): user_script:1: unfinished string near ''a'")"},
          {{"EVAL", "return {err='nospace'}", "0"}, R"(-"nospace")"},
          {{"EVAL", "return {ok=1}", "0"}, R"(*[])"},
          {{"EVAL", "return {err=5}", "0"}, R"(*[])"},
          {{"EVAL", "return {double=3.5}", "0"}, R"(,3.5)"},
          {{"EVAL", "return {double=1/0}", "0"}, R"(,inf)"},
          {{"EVAL", "return {big_number='123'}", "0"}, R"((123)"},
          {{"EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"}, R"(=txt:"hi")"},
          {{"EVAL", "return {map={a=1}}", "0"}, R"(%[$"a",:1])"},
          {{"EVAL", "return {set={a=true}}", "0"}, R"(~[$"a"])"},
          {{"EVAL", "return {{err='inner'}, {ok='st'}}", "0"}, R"(*[-"inner",+"st"])"},
          {{"EVAL", "local t = {} t[1] = t return 1", "0"}, R"(:1)"},
          {{"EVAL", "return ''", "0"}, R"($"")"},
          {{"EVAL", "", "0"}, R"(nil)"},
          {{"EVAL", "return {1, 'two', {3, {4, {5}}}}", "0"}, R"(*[:1,$"two",*[:3,*[:4,*[:5]]]])"},
          {{"EVAL", "local s = 0 for i = 1, 100000 do s = s + i end return s", "0"},
           R"(:5000050000)"},
          {{"EVAL", "return 9007199254740993", "0"}, R"(:9007199254740992)"},
          {{"EVAL", "return -0.0", "0"}, R"(:0)"},
          {{"EVAL", "return '1' + 1", "0"}, R"(:2)"},
      },
      true);
}

// KEYS and ARGV, numkeys validation (integer, range, sign) and EVAL's arity.
TEST(EngineScripting, KeysArgvAndNumkeys) {
  check({
      {{"EVAL", "return {KEYS, ARGV}", "2", "k1", "k2", "a1", "a2"},
       R"(*[*[$"k1",$"k2"],*[$"a1",$"a2"]])"},
      {{"EVAL", "return {#KEYS, #ARGV}", "0"}, R"(*[:0,:0])"},
      {{"EVAL", "return 1", "1"}, R"(-"ERR Number of keys can't be greater than number of args")"},
      {{"EVAL", "return 1", "-1"}, R"(-"ERR Number of keys can't be negative")"},
      {{"EVAL", "return 1", "abc"}, R"(-"ERR value is not an integer or out of range")"},
      {{"EVAL", "return 1", "01"}, R"(-"ERR value is not an integer or out of range")"},
      {{"EVAL", "return 1", " 1", "x"}, R"(-"ERR value is not an integer or out of range")"},
      {{"EVAL", "return 1"}, R"(-"ERR wrong number of arguments for 'eval' command")"},
      {{"EVAL"}, R"(-"ERR wrong number of arguments for 'eval' command")"},
      {{"EVAL", "table.insert(KEYS, 'x') return KEYS", "1", "k"}, R"(*[$"k",$"x"])"},
      {{"EVAL", "KEYS[1] = 'changed' return KEYS[1]", "1", "k"}, R"($"changed")"},
      {{"EVAL", "return KEYS[1]", "1", "k"}, R"($"k")"},
  });
}

// Binary data in KEYS, ARGV and bulk replies; status and error texts end at a NUL.
TEST(EngineScripting, BinarySafeArgumentsAndReplies) {
  check({
      {{"EVAL"s, "return {ok='a\\0b'}"s, "0"s}, R"(+"a")"},
      {{"EVAL"s, "return {err='a\\0b'}"s, "0"s}, R"(-"a")"},
      {{"EVAL"s, "return ARGV[1]"s, "0"s, "a\0b"s}, R"($"a\x00b")"},
      {{"EVAL"s, "return KEYS[1]"s, "1"s, "bin\0ary"s}, R"($"bin\x00ary")"},
      {{"EVAL"s, "error('a\\0b')"s, "0"s},
       R"(-"ERR user_script:1: a script: 5f5ac4831d66dd38653b036c54cfd07d78762d8c, on @user_script:1.")"},
      {{"EVAL"s, "return redis.call('set', KEYS[1], ARGV[1])"s, "1"s, "k\0"s, "v\0\xff"s},
       R"(+"OK")"},
      {{"EVAL"s, "return redis.call('get', KEYS[1])"s, "1"s, "k\0"s}, R"($"v\x00\xff")"},
      {{"EVAL"s, "return redis.error_reply('E a\\0b')"s, "0"s}, R"(-"E a")"},
      {{"EVAL"s, "return redis.status_reply('a\\0b')"s, "0"s}, R"(+"a")"},
  });
}

// Runtime errors (error(), redis.call failures, Lua faults), compile errors, pcall forms.
TEST(EngineScripting, ErrorsAsRedisReportsThem) {
  check({
      {{"EVAL", "return +", "5"}, R"(-"ERR Number of keys can't be greater than number of args")"},
      {{"EVAL", "return +", "x"}, R"(-"ERR value is not an integer or out of range")"},
      {{"EVAL", "return +", "0"},
       R"(-"ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'")"},
      {{"EVAL", "return 1 +", "0"},
       R"(-"ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'")"},
      {{"EVAL", "x = 1", "0"},
       R"(-"ERR user_script:1: Attempt to modify a readonly table script: 34bce5f775de97f557a34088509c8bfe1ea17e52, on @user_script:1.")"},
      {{"EVAL", "return y", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: e278681ed961e2fb52881313e5c90fdd93749940, on @user_script:1.")"},
      {{"EVAL", "error('boom')", "0"},
       R"(-"ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.")"},
      {{"EVAL", "error('a\nb')", "0"},
       R"(-"ERR Error compiling script (new function): user_script:1: unfinished string near ''a'")"},
      {{"EVAL", "error({err='MY custom'})", "0"},
       R"(-"MY custom script: 784d3ae9e6566ecb57138d89d618d989007a9bc6, on @user_script:1.")"},
      {{"EVAL", "error(123)", "0"},
       R"(-"ERR user_script:1: 123 script: 11e4dc32230d2c1e720fc094a49809887ce1381a, on @user_script:1.")"},
      {{"EVAL", "error(nil)", "0"},
       R"(-"ERR nil script: c402aa49952c86c38f35fb311d54977d08f3bf01, on @user_script:1.")"},
      {{"EVAL", "error()", "0"},
       R"(-"ERR nil script: aca90d914519fdb9825352bdc0befb59f7c8510f, on @user_script:1.")"},
      {{"EVAL", "error(true)", "0"},
       R"(-"ERR true script: 4fafe2149f68a1618a3eef40aeef55f5af6951da, on @user_script:1.")"},
      {{"EVAL", "error({err=5})", "0"},
       R"(-"5 script: 58cfd935477cdbf9342fa1cc3ec8452b6a3ddc4b, on @user_script:1.")"},
      {{"EVAL", "return redis.call('nosuch')", "0"},
       R"(-"ERR Unknown Redis command called from script script: 206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.")"},
      {{"EVAL", "return redis.call('get')", "0"},
       R"(-"ERR Wrong number of args calling Redis command from script script: f187dee77f607f7cff00bbabc9df38507582c78d, on @user_script:1.")"},
      {{"SET", "s", "v"}, R"(+"OK")"},
      {{"EVAL", "return redis.call('lpush','s','a')", "0"},
       R"(-"WRONGTYPE Operation against a key holding the wrong kind of value script: 9a3e09c1ea8ae5a07defe6161592b5ae121a4da7, on @user_script:1.")"},
      {{"EVAL", "return redis.pcall('lpush','s','a')", "0"},
       R"(-"WRONGTYPE Operation against a key holding the wrong kind of value")"},
      {{"EVAL", "local t = redis.pcall('nosuch') return t['err']", "0"},
       R"($"ERR Unknown Redis command called from script")"},
      {{"EVAL", "return redis.error_reply('X y')", "0"}, R"(-"X y")"},
      {{"EVAL", "return redis.error_reply('-X y')", "0"}, R"(-"X y")"},
      {{"EVAL", "return redis.error_reply('nospace')", "0"}, R"(-"ERR nospace")"},
      {{"EVAL", "return redis.error_reply(1)", "0"}, R"(-"ERR wrong number or type of arguments")"},
      {{"EVAL", "return redis.status_reply('FINE')", "0"}, R"(+"FINE")"},
      {{"EVAL", "return redis.status_reply()", "0"}, R"(-"ERR wrong number or type of arguments")"},
      {{"EVAL", "return redis.call()", "0"},
       R"(-"ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1.")"},
      {{"EVAL", "return redis.pcall()", "0"},
       R"(-"ERR Please specify at least one argument for this redis lib call")"},
      {{"EVAL", "return redis.call('get', {})", "0"},
       R"(-"ERR Lua redis lib command arguments must be strings or integers script: 4368e88f98d93af9caf358186e5fbf273374ee91, on @user_script:1.")"},
      {{"EVAL", "return redis.pcall('get', nil)", "0"},
       R"(-"ERR Lua redis lib command arguments must be strings or integers")"},
      {{"EVAL", "return redis.call('eval','return 1','0')", "0"},
       R"(-"ERR This Redis command is not allowed from script script: 1e5046f3a9119d3dc9cf5824428b6d9fedd305d2, on @user_script:1.")"},
      {{"EVAL", "return redis.call('set','k','v')", "0"}, R"(+"OK")"},
      {{"EVAL_RO", "return redis.call('set','k','v')", "0"},
       R"(-"ERR Write commands are not allowed from read-only scripts. script: d223ed8c7345b684e8ed044ed472601f536fa58b, on @user_script:1.")"},
      {{"EVAL_RO", "return redis.pcall('set','k','v')", "0"},
       R"(-"ERR Write commands are not allowed from read-only scripts.")"},
      {{"EVAL_RO", "return redis.call('get','k')", "0"}, R"($"v")"},
      {{"EVAL_RO", "return redis.call('publish','k','v')", "0"},
       R"(-"ERR Write commands are not allowed from read-only scripts. script: 58f2b1fe349150f0a77bb63308c1a9bce97a56b5, on @user_script:1.")"},
      {{"EVAL", "return redis.call('publish','k','v')", "0"}, R"(:0)"},
      {{"EVAL", "local function f()\n  error('deep')\nend\nf()", "0"},
       R"(-"ERR user_script:2: deep script: 93f32af31bb572a60c24e11a5a8d9a1fb6c99352, on @user_script:2.")"},
      {{"EVAL", "local function f()\n  redis.call('nosuch')\nend\n\nf()", "0"},
       R"(-"ERR Unknown Redis command called from script script: e7b524eaa489d31a067a743f700d39d7c9aaaeab, on @user_script:2.")"},
      {{"EVAL", "return redis.call('incrby', 'cnt', 'x')", "0"},
       R"(-"ERR value is not an integer or out of range script: 6ea52894ef425d6dc057045a8caeb4fa9bcd78d9, on @user_script:1.")"},
      {{"EVAL", "return redis.pcall('incrby', 'cnt', 'x')", "0"},
       R"(-"ERR value is not an integer or out of range")"},
      {{"EVAL", "return redis.call('subscribe', 'x')", "0"},
       R"(-"ERR This Redis command is not allowed from script script: c243a859398a06d27716068064ba7f1b8d18b961, on @user_script:1.")"},
      {{"EVAL", "return redis.call('script', 'load', 'return 1')", "0"},
       R"(-"ERR This Redis command is not allowed from script script: a490477d6bc12575fb844107684e6cd178d473fe, on @user_script:1.")"},
      {{"EVAL", "return redis.call('evalsha', 'x', '0')", "0"},
       R"(-"ERR This Redis command is not allowed from script script: b98dfe2a90e0b92bb4bf55461aa000e89c5b1a94, on @user_script:1.")"},
      {{"EVAL", "return redis.pcall('evalsha', 'x', '0')", "0"},
       R"(-"ERR This Redis command is not allowed from script")"},
      {{"EVAL", "return 'a' + 1", "0"},
       R"(-"ERR user_script:1: attempt to perform arithmetic on a string value script: 8fd50257d5115d9d5cb9d0c337531222d8d17ec1, on @user_script:1.")"},
      {{"EVAL", "return nil .. 'x'", "0"},
       R"(-"ERR user_script:1: attempt to concatenate a nil value script: c1e665fd995974aa8a06dc6f5ddbac7aa6d0c7d6, on @user_script:1.")"},
      {{"EVAL", "local t = nil; return t.x", "0"},
       R"(-"ERR user_script:1: attempt to index local 't' (a nil value) script: e62b17c4a64e9b74a6f9be57909ea9e2d0e66784, on @user_script:1.")"},
      {{"EVAL", "return #nil", "0"},
       R"(-"ERR user_script:1: attempt to get length of a nil value script: 6d6abd31d8721234b1ee1a830316ae36ef2693e2, on @user_script:1.")"},
      {{"EVAL", "local function f() return f() end return 1", "0"}, R"(:1)"},
      {{"EVAL",
        "local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(100)",
        "0"},
       R"(:100)"},
      {{"EVAL", "local function f() f() end f()", "0"},
       R"(-"ERR user_script:1: stack overflow script: ef5b65872cb582371ecea142590f46b7afc00f55, on @user_script:1.")"},
      {{"EVAL", "return redis.call('script','nosuch')", "0"},
       R"(-"ERR Unknown Redis command called from script script: f9df04a3cc3876c30d538ba06a26312d9b0e1b44, on @user_script:1.")"},
      {{"EVAL", "return redis.call('script','load')", "0"},
       R"(-"ERR Wrong number of args calling Redis command from script script: c70e08bb6d3a6fbd994a69c73f84a225ccdc387f, on @user_script:1.")"},
      {{"EVAL", "return redis.call('script','LOAD', 'x')", "0"},
       R"(-"ERR This Redis command is not allowed from script script: 5e8bff2f35a3014d42c1d83ae6d7f9a6cf020175, on @user_script:1.")"},
      {{"EVAL", "return redis.call('pubsub','numpat','x')", "0"},
       R"(-"ERR Wrong number of args calling Redis command from script script: e7a059d845625006455cea4c223fabf4e5e02809, on @user_script:1.")"},
      {{"EVAL", "return redis.call('pubsub','NUMPAT')", "0"}, R"(:0)"},
      {{"EVAL", "return redis.call('pubsub')", "0"},
       R"(-"ERR Wrong number of args calling Redis command from script script: 745f600de004791578edf1008b48584bc73c1136, on @user_script:1.")"},
      {{"EVAL", "return redis.call('script')", "0"},
       R"(-"ERR Wrong number of args calling Redis command from script script: da3c5f1700f7211575d090ab780213944e08ddb4, on @user_script:1.")"},
      {{"EVAL", "return redis.call('pubsub', 'nosuch')", "0"},
       R"(-"ERR Unknown Redis command called from script script: 02ae2d277bd3c971768b699ef8d54701dbdac869, on @user_script:1.")"},
      {{"EVAL", "return redis.pcall('pubsub', 'channels')", "0"}, R"(*[])"},
      {{"EVAL", "return {pcall()}", "0"}, R"(*[nil,$"attempt to call a boolean value"])"},
      {{"EVAL", "return {pcall(1)}", "0"}, R"(*[nil,$"attempt to call a number value"])"},
      {{"EVAL", "return {pcall(function() return 1, 2 end)}", "0"}, R"(*[:1,:1,:2])"},
      {{"EVAL", "return {pcall(error, setmetatable({}, {}))}", "0"}, R"(*[nil,*[]])"},
  });
}

// Redis 7.0's read-only globals and library tables; the sandbox's missing functions.
TEST(EngineScripting, GlobalsAndLibrariesAreReadOnly) {
  check({
      {{"EVAL", "redis = nil", "0"},
       R"(-"ERR user_script:1: Attempt to modify a readonly table script: f3fd7dd12033660a6251e9580faba253187a8a12, on @user_script:1.")"},
      {{"EVAL", "string.x = 1", "0"},
       R"(-"ERR user_script:1: Attempt to modify a readonly table script: c3eb0a2a15b3d4790b323c4104029c1ae425a769, on @user_script:1.")"},
      {{"EVAL", "rawset(_G,'x',1)", "0"},
       R"(-"ERR Attempt to modify a readonly table script: 90860ee597073785c7a12c667667abc4495e2c78, on @user_script:1.")"},
      {{"EVAL", "setmetatable(_G, nil)", "0"},
       R"(-"ERR Attempt to modify a readonly table script: 22fdd3b51da2d4bc6703d71d651cd782d8e5a35f, on @user_script:1.")"},
      {{"EVAL", "return type(getmetatable(_G))", "0"}, R"($"table")"},
      {{"EVAL", "return type(getmetatable(_G).__index)", "0"}, R"($"function")"},
      {{"EVAL", "getmetatable('').__index.foo = 1", "0"},
       R"(-"ERR user_script:1: Attempt to modify a readonly table script: 4efc98eaab8f6b651a70d1f7569a7b2f429b449f, on @user_script:1.")"},
      {{"EVAL", "local n=0 for k,v in pairs(string) do n=n+1 end return n", "0"}, R"(:15)"},
      {{"EVAL", "local n=0 for k,v in pairs(math) do n=n+1 end return n", "0"}, R"(:31)"},
      {{"EVAL", "local n=0 for k,v in pairs(table) do n=n+1 end return n", "0"}, R"(:9)"},
      {{"EVAL", "local n=0 for k,v in pairs(redis) do n=n+1 end return n", "0"}, R"(:23)"},
      {{"EVAL", "local t={} for k,v in pairs(redis) do t[#t+1]=k end table.sort(t) return t", "0"},
       R"(*[$"LOG_DEBUG",$"LOG_NOTICE",$"LOG_VERBOSE",$"LOG_WARNING",$"REDIS_VERSION",$"REDIS_VERSION_NUM",$"REPL_ALL",$"REPL_AOF",$"REPL_NONE",$"REPL_REPLICA",$"REPL_SLAVE",$"acl_check_cmd",$"breakpoint",$"call",$"debug",$"error_reply",$"log",$"pcall",$"replicate_commands",$"set_repl",$"setresp",$"sha1hex",$"status_reply"])"},
      {{"EVAL", "return string.nosuch", "0"}, R"(nil)"},
      {{"EVAL", "KEYS = 1", "0"},
       R"(-"ERR user_script:1: Attempt to modify a readonly table script: 8726473c55e0c4527ed3b82564a764667277b20e, on @user_script:1.")"},
      {{"EVAL", "local function f() z = 1 end f()", "0"},
       R"(-"ERR user_script:1: Attempt to modify a readonly table script: 1cdbb415b77bba9a92a6760fd9d89b62695ed3e0, on @user_script:1.")"},
      {{"EVAL", "return _G.nosuch", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'nosuch' script: 434fa3e610ec2fb3c76472bda5965a75eef9cde8, on @user_script:1.")"},
      {{"EVAL", "return rawget(_G,'nosuch')", "0"}, R"(nil)"},
      {{"EVAL", "return type(rawget(_G,'redis'))", "0"}, R"($"table")"},
      {{"EVAL", "return type(getmetatable(string))", "0"}, R"($"nil")"},
      {{"EVAL", "return type(string.dump)", "0"}, R"($"function")"},
      {{"EVAL", "local f, e = loadstring(string.dump(function() return 1 end)) return e", "0"},
       R"($"[string \"\x1bLuaQ\"]:1: unexpected symbol near 'char(27)'")"},
      {{"EVAL", "return loadstring('return 5')()", "0"}, R"(:5)"},
      {{"EVAL", "return loadstring('x = 5')()", "0"},
       R"(-"ERR [string \"x = 5\"]:1: Attempt to modify a readonly table script: cfa1f75c52afdeef48d155a6965e7d5d8445a085, on x = 5:1.")"},
      {{"EVAL", "return loadstring('return nosuch')()", "0"},
       R"(-"ERR [string \"return nosuch\"]:1: Script attempted to access nonexistent global variable 'nosuch' script: b4271fbdca55dd80e4cd3cd34e6d1791867b4313, on return nosuch:1.")"},
      {{"EVAL", "return {pcall(error, 'x')}", "0"}, R"(*[nil,$"x"])"},
      {{"EVAL", "return {pcall(error, {err='E x'})}", "0"}, R"(*[nil,$"E x"])"},
      {{"EVAL", "return {pcall(redis.call, 'nosuch')}", "0"},
       R"(*[nil,$"ERR Unknown Redis command called from script"])"},
      {{"EVAL",
        "return {xpcall(function() redis.call('nosuch') end, function(e) return type(e) end)}",
        "0"},
       R"(*[nil,$"table"])"},
      {{"EVAL", "local ok, e = pcall(function() local x = nosuch end) return e", "0"},
       R"($"user_script:1: Script attempted to access nonexistent global variable 'nosuch'")"},
      {{"EVAL", "return _G == _G._G", "0"}, R"(:1)"},
      {{"EVAL", "return type(__redis__err__handler)", "0"}, R"($"function")"},
      {{"EVAL",
        "local co = coroutine.create(function() return redis.call('ping') end) return "
        "{coroutine.resume(co)}",
        "0"},
       R"(*[:1,+"PONG"])"},
      {{"EVAL", "return _VERSION", "0"}, R"($"Lua 5.1")"},
      {{"EVAL", "return tostring(1e15)..' '..tostring(0.1)", "0"}, R"($"1e+15 0.1")"},
      {{"EVAL", "return type(print)", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'print' script: 296aa29e565df267b5e30e498f3872c9f9e8e8cc, on @user_script:1.")"},
      {{"EVAL", "return type(os)", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'os' script: 88bfcb2247db0b6fa4925f3cddc3fd0651459f99, on @user_script:1.")"},
      {{"EVAL", "return type(io)", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'io' script: 918bbded8bab006be53c3db116d9c93508fc799a, on @user_script:1.")"},
      {{"EVAL", "return type(debug)", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'debug' script: 21bcbd6f0f3639ee18732cb6907e65a4859b9625, on @user_script:1.")"},
      {{"EVAL", "return type(loadfile)", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile' script: dc6fbc079d0e6ef2af8c376dda4f3d362fa30d87, on @user_script:1.")"},
      {{"EVAL", "return type(require)", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'require' script: a10ff9bcfafac54cee41502b0e65e31ab05862c3, on @user_script:1.")"},
      {{"EVAL", "return type(getfenv)", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'getfenv' script: d2c7282719af3bf866eec648f4592730ecb3a75f, on @user_script:1.")"},
      {{"EVAL", "return type(module)", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'module' script: ec1c6cc4fb3e3178e6b741a3338324a32a935d97, on @user_script:1.")"},
      {{"EVAL", "return type(package)", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'package' script: 9d2e094dbe8b2fe1613bf6e8e2abe7b98d1569b8, on @user_script:1.")"},
      {{"EVAL", "return type(newproxy)", "0"},
       R"(-"ERR user_script:1: Script attempted to access nonexistent global variable 'newproxy' script: 2db8cbf73e97a4b7d8d1a7ce472bf57302f0f369, on @user_script:1.")"},
      {{"EVAL", "return #_G", "0"}, R"(:0)"},
      {{"EVAL", "local n = 0 for k, v in next, _G do n = n + 1 end return n > 10", "0"}, R"(:1)"},
      {{"EVAL", "return rawequal(pairs({}), next)", "0"}, R"(nil)"},
      {{"EVAL", "return {pcall(setmetatable, _G, {})}", "0"},
       R"(*[nil,$"Attempt to modify a readonly table"])"},
      {{"EVAL", "return {pcall(rawset, string, 'x', 1)}", "0"},
       R"(*[nil,$"Attempt to modify a readonly table"])"},
      {{"EVAL", "local mt = getmetatable(_G) mt.__index = nil", "0"},
       R"(-"ERR user_script:1: Attempt to modify a readonly table script: f0484508561aa8182c2aa233bd4a8b1a3afeb7c4, on @user_script:1.")"},
      {{"EVAL", "return setmetatable({}, {__index = function(t, k) return k .. '!' end}).hi", "0"},
       R"($"hi!")"},
      {{"EVAL",
        "local t = setmetatable({}, {__metatable = 'locked'}) return {getmetatable(t), "
        "pcall(setmetatable, t, {})}",
        "0"},
       R"(*[$"locked",nil,$"cannot change a protected metatable"])"},
      {{"EVAL", "return coroutine.wrap(function() coroutine.yield(1) end)()", "0"}, R"(:1)"},
  });
}

// Strings' metatable is read-only too, and a failed write leaves string methods intact.
TEST(EngineScripting, StringMetatableIsReadOnly) {
  check({
      {{"EVAL", "getmetatable('').__index = nil return 1", "0"},
       R"(-"ERR user_script:1: Attempt to modify a readonly table script: 25ae685d43b673ffb5e7b16d3f30d827aa2e3cee, on @user_script:1.")"},
      {{"EVAL", "return ('x'):upper()", "0"}, R"($"X")"},
      {{"EVAL", "getmetatable('').foo = 1 return getmetatable('').foo", "0"},
       R"(-"ERR user_script:1: Attempt to modify a readonly table script: 6b1e8d336c96f082336078470fc1c49ad2e144b6, on @user_script:1.")"},
      {{"EVAL", "return getmetatable('').foo", "0"}, R"(nil)"},
      {{"EVAL", "return type(getmetatable('').__index)", "0"}, R"($"table")"},
      {{"EVAL", "return getmetatable('').__index == string", "0"}, R"(:1)"},
      {{"EVAL", "return rawequal(getmetatable('a'), getmetatable('b'))", "0"}, R"(:1)"},
      {{"EVAL", "return {pcall(setmetatable, getmetatable(''), {})}", "0"},
       R"(*[nil,$"Attempt to modify a readonly table"])"},
      {{"EVAL", "return getmetatable(1)", "0"}, R"(nil)"},
  });
}

// redis.sha1hex, log, setresp, set_repl, versions, acl_check_cmd, argument conversion to commands.
TEST(EngineScripting, RedisApi) {
  check({
      {{"EVAL", "return redis.call('set','n', 1.5)", "0"}, R"(+"OK")"},
      {{"GET", "n"}, R"($"1.5")"},
      {{"EVAL", "return redis.call('set','n', 1e20)", "0"}, R"(+"OK")"},
      {{"GET", "n"}, R"($"1e+20")"},
      {{"EVAL", "return redis.call('set','n', 0.1)", "0"}, R"(+"OK")"},
      {{"GET", "n"}, R"($"0.10000000000000001")"},
      {{"EVAL", "return redis.sha1hex('')", "0"}, R"($"da39a3ee5e6b4b0d3255bfef95601890afd80709")"},
      {{"EVAL", "return redis.sha1hex()", "0"},
       R"(-"ERR wrong number of arguments script: 3c7ce947ae74a835cc575b6ee87fb27503cb7ba4, on @user_script:1.")"},
      {{"EVAL", "return redis.sha1hex(1)", "0"}, R"($"356a192b7913b04c54574d18c28d46e6395428ab")"},
      {{"EVAL", "return redis.sha1hex({})", "0"}, R"($"da39a3ee5e6b4b0d3255bfef95601890afd80709")"},
      {{"EVAL", "return redis.log(redis.LOG_WARNING, 'hello', 'x')", "0"}, R"(nil)"},
      {{"EVAL", "return redis.log(1)", "0"},
       R"(-"ERR redis.log() requires two arguments or more. script: f5438245431406aa19fc387d93c6d03a0d5bcb0f, on @user_script:1.")"},
      {{"EVAL", "return redis.log('a', 'b')", "0"},
       R"(-"ERR First argument must be a number (log level). script: a18a496257a6e37fb1d228e7a552fc022cf3a674, on @user_script:1.")"},
      {{"EVAL", "return redis.log(10, 'b')", "0"},
       R"(-"ERR Invalid debug level. script: ca704e21fa4bba0c6b7a50cb3dfc65ed665f7874, on @user_script:1.")"},
      {{"EVAL", "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
        "0"},
       R"(*[:0,:1,:2,:3])"},
      {{"EVAL", "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}", "0"},
       R"(*[$"7.0.15",:458767])"},
      {{"EVAL", "return redis.replicate_commands()", "0"}, R"(:1)"},
      {{"EVAL", "return redis.set_repl(redis.REPL_ALL)", "0"}, R"(nil)"},
      {{"EVAL", "return redis.set_repl(99)", "0"},
       R"(-"ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE. script: fae934173b6296d6836d5d5f52e192640f8897d9, on @user_script:1.")"},
      {{"EVAL", "return redis.set_repl()", "0"},
       R"(-"ERR redis.set_repl() requires two arguments. script: 9504533b41060c143a92eb2f8878e77d33b6dc33, on @user_script:1.")"},
      {{"EVAL", "return redis.breakpoint()", "0"}, R"(nil)"},
      {{"EVAL", "return redis.debug('x')", "0"}, R"(nil)"},
      {{"EVAL", "return redis.acl_check_cmd('get','x')", "0"}, R"(:1)"},
      {{"EVAL", "return redis.acl_check_cmd('nosuch')", "0"},
       R"(-"ERR Invalid command passed to redis.acl_check_cmd() script: d2491587bab5149c93be0dce4426f7a06ba9e1a1, on @user_script:1.")"},
      {{"EVAL", "return redis.setresp(4)", "0"},
       R"(-"ERR RESP version must be 2 or 3. script: 921c0a48021d97dfd5884aeea41875972c7804d9, on @user_script:1.")"},
      {{"EVAL", "return redis.setresp()", "0"},
       R"(-"ERR redis.setresp() requires one argument. script: 76da64e28014e7c9ad76db33c3918c53d81a3d7e, on @user_script:1.")"},
      {{"EVAL", "redis.setresp(3) return {true,false}", "0"}, R"(*[:1,:0])"},
  });
}

// reply -> Lua: integers, bulk, nil -> false, arrays, status tables, RESP3 shapes after setresp(3).
TEST(EngineScripting, CommandRepliesBecomeLuaValues) {
  check({
      {{"HSET", "h", "f", "v", "g", "w"}, R"(:2)"},
      {{"HSET", "h1", "f", "v"}, R"(:1)"},
      {{"SADD", "s1", "a"}, R"(:1)"},
      {{"EVAL", "redis.setresp(3) return redis.call('hgetall','h')", "0"},
       R"(*[$"g",$"w",$"f",$"v"])"},
      {{"EVAL", "redis.setresp(3) local t = redis.call('hgetall','h') return type(t.map)", "0"},
       R"($"table")"},
      {{"EVAL", "redis.setresp(3) return redis.call('smembers','s1')", "0"}, R"(*[$"a"])"},
      {{"EVAL", "redis.setresp(3) return redis.call('get','nokey')", "0"}, R"(nil)"},
      {{"EVAL", "redis.setresp(3) return {redis.call('get','nokey'), 1}", "0"}, R"(*[])"},
      {{"EVAL", "return redis.call('hgetall','h1')", "0"}, R"(*[$"f",$"v"])"},
      {{"EVAL", "return redis.call('get','nokey')", "0"}, R"(nil)"},
      {{"EVAL", "return redis.call('Set','k', 'v')", "0"}, R"(+"OK")"},
      {{"EVAL", "return redis.call('incrby', 'cnt', 5)", "0"}, R"(:5)"},
      {{"EVAL", "return redis.call('del', 'cnt', 'nokey')", "0"}, R"(:1)"},
      {{"EVAL", "return redis.call('rpush', KEYS[1], unpack(ARGV))", "1", "L", "a", "b", "c"},
       R"(:3)"},
      {{"EVAL", "return redis.call('lrange', KEYS[1], 0, -1)", "1", "L"}, R"(*[$"a",$"b",$"c"])"},
      {{"EVAL", "return redis.call('lpop', 'nolist')", "0"}, R"(nil)"},
      {{"EVAL", "return redis.call('ping')", "0"}, R"(+"PONG")"},
      {{"EVAL", "return redis.call('ping', 'x')", "0"}, R"($"x")"},
      {{"EVAL", "return type(redis.call('ping'))", "0"}, R"($"table")"},
      {{"EVAL", "return redis.call('ping').ok", "0"}, R"($"PONG")"},
      {{"EVAL", "local r = redis.call('set', 'a', 'b') return r", "0"}, R"(+"OK")"},
      {{"EVAL", "return tostring(redis.call('exists', 'a'))", "0"}, R"($"1")"},
      {{"EVAL", "return (\"abc\"):upper()", "0"}, R"($"ABC")"},
      {{"EVAL", "return string.format('%5.2f|%d|%s', 3.14159, 42, 'x')", "0"}, R"($" 3.14|42|x")"},
      {{"EVAL", "return table.concat({1,2,3}, ',')", "0"}, R"($"1,2,3")"},
      {{"EVAL", "return tonumber('0x10')", "0"}, R"(:16)"},
      {{"EVAL", "return tonumber('  12  ')", "0"}, R"(:12)"},
      {{"EVAL", "return math.floor(-3.5)", "0"}, R"(:-4)"},
      {{"EVAL", "return select('#', 1, 2, 3)", "0"}, R"(:3)"},
      {{"EVAL", "return unpack({1,2,3})", "0"}, R"(:1)"},
      {{"EVAL", "local a = {} a.b = 1 return a.b", "0"}, R"(:1)"},
      {{"EVAL", "return {string.find('hello', 'l')}", "0"}, R"(*[:3,:3])"},
      {{"EVAL", "return string.rep('ab', 3)", "0"}, R"($"ababab")"},
      {{"EVAL", "return string.gsub('hello world', 'o', '0')", "0"}, R"($"hell0 w0rld")"},
  });
}

// EVALSHA (any case), NOSCRIPT, SCRIPT LOAD/EXISTS/FLUSH/KILL/DEBUG/HELP and their errors.
TEST(EngineScripting, ScriptCacheAndScriptCommand) {
  check({
      {{"EVALSHA", "abc", "0"}, R"(-"NOSCRIPT No matching script. Please use EVAL.")"},
      {{"EVALSHA", "abc", "5"}, R"(-"NOSCRIPT No matching script. Please use EVAL.")"},
      {{"EVALSHA", "abc", "-1"}, R"(-"NOSCRIPT No matching script. Please use EVAL.")"},
      {{"EVALSHA", "abc", "x"}, R"(-"NOSCRIPT No matching script. Please use EVAL.")"},
      {{"EVALSHA", "0000000000000000000000000000000000000000", "x"},
       R"(-"ERR value is not an integer or out of range")"},
      {{"EVALSHA", "0000000000000000000000000000000000000000", "3", "a"},
       R"(-"ERR Number of keys can't be greater than number of args")"},
      {{"EVALSHA", "0000000000000000000000000000000000000000", "0"},
       R"(-"NOSCRIPT No matching script. Please use EVAL.")"},
      {{"EVALSHA_RO", "abc", "0"}, R"(-"NOSCRIPT No matching script. Please use EVAL.")"},
      {{"EVAL_RO", "return 1", "0"}, R"(:1)"},
      {{"EVAL_RO", "return 1", "1"},
       R"(-"ERR Number of keys can't be greater than number of args")"},
      {{"SCRIPT", "LOAD", "return 1"}, R"($"e0e1f9fabfc9d4800c877a703b823ac0578ff8db")"},
      {{"EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"}, R"(:1)"},
      {{"EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"}, R"(:1)"},
      {{"EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"}, R"(:1)"},
      {{"SCRIPT", "EXISTS", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB",
        "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "nope"},
       R"(*[:1,:1,:0])"},
      {{"SCRIPT", "load", "return +"},
       R"(-"ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'")"},
      {{"SCRIPT", "LOAD"}, R"(-"ERR wrong number of arguments for 'script|load' command")"},
      {{"SCRIPT", "LOAD", "a", "b"},
       R"(-"ERR wrong number of arguments for 'script|load' command")"},
      {{"SCRIPT"}, R"(-"ERR wrong number of arguments for 'script' command")"},
      {{"SCRIPT", "foo"}, R"(-"ERR unknown subcommand 'foo'. Try SCRIPT HELP.")"},
      {{"SCRIPT", "Foo", "bar"}, R"(-"ERR unknown subcommand 'Foo'. Try SCRIPT HELP.")"},
      {{"SCRIPT", "FLUSH", "foo"}, R"(-"ERR SCRIPT FLUSH only support SYNC|ASYNC option")"},
      {{"SCRIPT", "FLUSH", "sync", "async"},
       R"(-"ERR SCRIPT FLUSH only support SYNC|ASYNC option")"},
      {{"SCRIPT", "EXISTS"}, R"(-"ERR wrong number of arguments for 'script|exists' command")"},
      {{"SCRIPT", "KILL"}, R"(-"NOTBUSY No scripts in execution right now.")"},
      {{"SCRIPT", "KILL", "x"}, R"(-"ERR wrong number of arguments for 'script|kill' command")"},
      {{"SCRIPT", "HELP"},
       "*[+\"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\",+\"DEBUG "
       "(YES|SYNC|NO)\",+\"    Set the debug mode for subsequent scripts executed.\",+\"EXISTS "
       "<sha1> [<sha1> ...]\",+\"    Return information about the existence of the scripts in the "
       "script cache.\",+\"FLUSH [ASYNC|SYNC]\",+\"    Flush the Lua scripts cache. Very dangerous "
       "on replicas.\",+\"    When called without the optional mode argument, the behavior is "
       "determined by the\",+\"    lazyfree-lazy-user-flush configuration directive. Valid modes "
       "are:\",+\"    * ASYNC: Asynchronously flush the scripts cache.\",+\"    * SYNC: "
       "Synchronously flush the scripts cache.\",+\"KILL\",+\"    Kill the currently executing Lua "
       "script.\",+\"LOAD <script>\",+\"    Load a script into the scripts cache without executing "
       "it.\",+\"HELP\",+\"    Prints this help.\"]"},
      {{"SCRIPT", "HELP", "x"}, R"(-"ERR wrong number of arguments for 'script|help' command")"},
      {{"SCRIPT", "DEBUG", "foo"}, R"(-"ERR Use SCRIPT DEBUG YES/SYNC/NO")"},
      {{"SCRIPT", "DEBUG", "no"}, R"(+"OK")"},
      {{"SCRIPT", "DEBUG"}, R"(-"ERR wrong number of arguments for 'script|debug' command")"},
      {{"EVAL", "return 'cached'", "0"}, R"($"cached")"},
      {{"SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"}, R"(*[:1])"},
      {{"SCRIPT", "FLUSH", "async"}, R"(+"OK")"},
      {{"SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"}, R"(*[:0])"},
      {{"EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"},
       R"(-"NOSCRIPT No matching script. Please use EVAL.")"},
      {{"SCRIPT", "LOAD", "return 1"}, R"($"e0e1f9fabfc9d4800c877a703b823ac0578ff8db")"},
      {{"SCRIPT", "FLUSH", "SYNC"}, R"(+"OK")"},
      {{"SCRIPT", "FLUSH"}, R"(+"OK")"},
      {{"SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"}, R"(*[:0])"},
  });
}

// #!lua shebangs and flags, EVAL_RO / EVALSHA_RO and no-writes.
TEST(EngineScripting, ShebangFlagsAndReadOnlyScripts) {
  check({
      {{"EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", "0"},
       R"(-"ERR Write commands are not allowed from read-only scripts. script: 6acb400a50fe96e33eca4e0af6e9dcfb21193726, on @user_script:2.")"},
      {{"EVAL", "#!lua\nreturn redis.call('set','a','b')", "0"}, R"(+"OK")"},
      {{"EVAL_RO", "#!lua\nreturn redis.call('get','a')", "0"},
       R"(-"ERR Can not execute a script with write flag using *_ro command.")"},
      {{"EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get','a')", "0"}, R"($"b")"},
      {{"EVAL", "#!lua flags=foo\nreturn 1", "0"},
       R"(-"ERR Unexpected flag in script shebang: foo")"},
      {{"EVAL", "#!lua foo=bar\nreturn 1", "0"}, R"(-"ERR Unknown lua shebang option: foo=bar")"},
      {{"EVAL", "#!python\nreturn 1", "0"},
       R"(-"ERR Unexpected engine in script shebang: #!python")"},
      {{"EVAL", "#!lua", "0"}, R"(-"ERR Invalid script shebang")"},
      {{"EVAL", "#! \nreturn 1", "0"}, R"(-"ERR Unexpected engine in script shebang: #!")"},
      {{"EVAL", "#!lua flags=\nreturn 1", "0"}, R"(:1)"},
      {{"EVAL", "#!lua flags=no-writes,allow-oom\nreturn 1", "0"}, R"(:1)"},
      {{"EVAL", "#!lua flags=no-writes,,allow-oom\nreturn 1", "0"},
       R"(-"ERR Unexpected flag in script shebang: ")"},
      {{"EVAL", "#!lua flags=no-writes,\nreturn 1", "0"},
       R"(-"ERR Unexpected flag in script shebang: ")"},
      {{"EVAL", "#!lua \"flags=no-writes\"\nreturn redis.call('set','a','b')", "0"},
       R"(-"ERR Write commands are not allowed from read-only scripts. script: 8a2de623da229fc94b30d8e53ac6ebea60a615be, on @user_script:2.")"},
      {{"EVAL", "#!lua \"flags=no-writes\nreturn 1", "0"},
       R"(-"ERR Invalid engine in script shebang")"},
      {{"EVAL", "#!lua 'flags=allow-oom'x\nreturn 1", "0"},
       R"(-"ERR Invalid engine in script shebang")"},
      {{"EVAL", "#!lua\nerror('x')", "0"},
       R"(-"ERR user_script:2: x script: f0363b84b71234131413165ce8dee0dbb5f9ce96, on @user_script:2.")"},
      {{"EVAL", "#!lua\nreturn 1 + ", "0"},
       R"(-"ERR Error compiling script (new function): user_script:2: unexpected symbol near '<eof>'")"},
      {{"SCRIPT", "LOAD", "#!lua flags=foo\nreturn 1"},
       R"(-"ERR Unexpected flag in script shebang: foo")"},
      {{"SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 1"},
       R"($"77f21361171213377cb083e2ffc2ae24ffdff8fb")"},
      {{"EVALSHA_RO", "ad1f34e69ca81ff9d6a19b8b4a4a4b67d37b7b63", "0"},
       R"(-"NOSCRIPT No matching script. Please use EVAL.")"},
  });
}

// math.random is Redis's redisLrand48: the same sequence as a fresh redis-server, continued
// across scripts and SCRIPT FLUSH; math.randomseed and argument errors.
TEST(EngineScripting, MathRandomFollowsRedisSequence) {
  check({
      {{"EVAL", "return {math.random(1000), math.random(1000), tostring(math.random())}", "0"},
       R"(*[:397,:841,$"0.35333609737146"])"},
      {{"EVAL", "return {math.random(1000), math.random(1000)}", "0"}, R"(*[:447,:319])"},
      {{"EVAL", "math.randomseed(42) return {math.random(1000), math.random(1000)}", "0"},
       R"(*[:745,:343])"},
      {{"EVAL", "return {math.random(5,7), math.random(0), 1}", "0"},
       R"(-"ERR user_script:1: bad argument #1 to 'random' (interval is empty) script: 282023802ad19e9c58081996740012c7fcc1d318, on @user_script:1.")"},
      {{"EVAL", "return math.random(1,2,3)", "0"},
       R"(-"ERR user_script:1: wrong number of arguments script: 5cd983b5db563301a1c7ab05351573640323e7a9, on @user_script:1.")"},
      {{"EVAL", "math.randomseed() return 1", "0"},
       R"(-"ERR user_script:1: bad argument #1 to 'randomseed' (number expected, got no value) script: 0fbee68365ca2644ef0fb8c0ed7fe71fac1f88a9, on @user_script:1.")"},
      {{"EVAL", "math.randomseed('x') return 1", "0"},
       R"(-"ERR user_script:1: bad argument #1 to 'randomseed' (number expected, got string) script: 764c96c934309e4596c94f0978dd2088bc320378, on @user_script:1.")"},
      {{"EVAL", "return math.random(-5)", "0"},
       R"(-"ERR user_script:1: bad argument #1 to 'random' (interval is empty) script: d46e7beff3ead72965594f86362ece3201716012, on @user_script:1.")"},
      {{"EVAL", "return {math.random(1000), math.random(1000)}", "0"}, R"(*[:499,:479])"},
      {{"SCRIPT", "FLUSH"}, R"(+"OK")"},
      {{"EVAL", "return {math.random(1000), math.random(1000)}", "0"}, R"(*[:691,:835])"},
  });
}

// Lua faults, assert, numbers at and past the integer range, reply-table priorities (err before
// ok before the array part), empty errors, loadstring/load chunk names and readers, error tables
// read through metatables, and the fields of redis.pcall's error tables.
TEST(EngineScripting, MoreEdgeCases) {
  check({
      {{"EVAL", "coroutine.yield(1)", "0"},
       R"(-"ERR attempt to yield across metamethod/C-call boundary script: 72ff8263a9a7024a2bb6d14fdef2014006cc8c9f, on @user_script:1.")"},
      {{"EVAL",
        "local t = {} for i = 1, 7990 do t[i] = 'a' end return redis.call('rpush', 'big', "
        "unpack(t))",
        "0"},
       R"(:7990)"},
      {{"EVAL",
        "local t = {} for i = 1, 9000 do t[i] = 'a' end return redis.call('rpush', 'big', "
        "unpack(t))",
        "0"},
       R"(-"ERR user_script:1: too many results to unpack script: 36446a5ff492a20bf3d36ef5cc9e61b473e18584, on @user_script:1.")"},
      {{"EVAL", "return #redis.call('lrange', 'big', 0, -1)", "0"}, R"(:7990)"},
      {{"EVAL", "return collectgarbage('count') > 0", "0"}, R"(:1)"},
      {{"EVAL", "return gcinfo() > 0", "0"}, R"(:1)"},
      {{"EVAL", "local ok, err = pcall(redis.call, 'incr') return err", "0"},
       R"($"ERR Wrong number of args calling Redis command from script")"},
      {{"EVAL", "return redis.call('get', 1.5)", "0"}, R"(nil)"},
      {{"EVAL", "return redis.call('set', 'num', 10) and redis.call('incrbyfloat', 'num', 0.1)",
        "0"},
       R"($"10.10000000000000001")"},
      {{"EVAL", "return tonumber(redis.call('incrbyfloat', 'num', 0.1)) * 10", "0"}, R"(:102)"},
      {{"EVAL", "return redis.call('exists', 'num') == 1", "0"}, R"(:1)"},
      {{"EVAL", "return {err = 'x', ok = 'y'}", "0"}, R"(-"x")"},
      {{"EVAL", "return {ok = 'y', 1, 2}", "0"}, R"(+"y")"},
      {{"EVAL", "return setmetatable({}, {__index = function() return 'OK' end})", "0"}, R"(*[])"},
      {{"EVAL", "local t = setmetatable({}, {__index = {err = 'hidden'}}) return t", "0"},
       R"(*[])"},
      {{"EVAL", "error(setmetatable({}, {__index = {err = 'hidden'}}))", "0"},
       R"(-"hidden script: 819fbb22a7796b72f1b744036eb9a7aca760b7eb, on @user_script:1.")"},
      {{"EVAL", "return assert(false, 'assertion msg')", "0"},
       R"(-"ERR user_script:1: assertion msg script: 133fb3f696519999f2b4c562fd13cb1b0b5611c9, on @user_script:1.")"},
      {{"EVAL", "assert(false)", "0"},
       R"(-"ERR user_script:1: assertion failed! script: 2878c2ae3cafd05c022d4f19e4b521d97df409a2, on @user_script:1.")"},
      {{"EVAL", "return string.format('%d', 'x')", "0"},
       R"(-"ERR user_script:1: bad argument #2 to 'format' (number expected, got string) script: cd4fadd5027450767b6391819f084394d5c4916f, on @user_script:1.")"},
      {{"EVAL", "return ('x'):bad()", "0"},
       R"(-"ERR user_script:1: attempt to call method 'bad' (a nil value) script: 60af801ca8aafcf91936a9a510ab2ceb6df30acc, on @user_script:1.")"},
      {{"EVAL", "local a = nil + 1", "0"},
       R"(-"ERR user_script:1: attempt to perform arithmetic on a nil value script: b077f1b8df8640265d919efadd6350982031d6bf, on @user_script:1.")"},
      {{"EVAL", "return {1, 2, 3, n = 'ignored', [5] = 5}", "0"}, R"(*[:1,:2,:3])"},
      {{"EVAL", "return {[1] = 'a', [2] = 'b', [4] = 'd'}", "0"}, R"(*[$"a",$"b"])"},
      {{"EVAL", "return tostring(nil) .. tostring(true) .. type(nil)", "0"}, R"($"niltruenil")"},
      {{"EVAL", "return string.format('%.17g', 0.1)", "0"}, R"($"0.10000000000000001")"},
      {{"EVAL", "return 1e15", "0"}, R"(:1000000000000000)"},
      {{"EVAL", "return -9223372036854775808", "0"}, R"(:-9223372036854775808)"},
      {{"EVAL", "return 9223372036854775807", "0"}, R"(:-9223372036854775808)"},
      {{"EVAL", "return {math.huge, -math.huge}", "0"},
       R"(*[:-9223372036854775808,:-9223372036854775808])"},
      {{"EVAL", "return math.pi", "0"}, R"(:3)"},
      {{"EVAL", "return {select(2, redis.call('ping'))}", "0"}, R"(*[])"},
      {{"EVAL", "local t = redis.call('ping') t.ok = 'changed' return t", "0"}, R"(+"changed")"},
      {{"EVAL", "return redis.error_reply('-')", "0"}, R"(-"ERR ")"},
      {{"EVAL", "return redis.error_reply('')", "0"}, R"(-"ERR ")"},
      {{"EVAL", "return {err = ''}", "0"}, R"(-"")"},
      {{"EVAL", "error('')", "0"},
       R"(-"ERR user_script:1:  script: 368930858d8b06664e98c921528da17b7eb3ec3b, on @user_script:1.")"},
      {{"EVAL", "error({err=''})", "0"},
       R"(-" script: 940f0d766d90ae9087b4e8454d02c9c34c51ea22, on @user_script:1.")"},
      {{"EVAL", "return redis.call('ECHO', string.rep('x', 100))", "0"},
       R"($"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")"},
      {{"EVAL", "return redis.pcall('lpush', 'num', 'x')['err']", "0"},
       R"($"WRONGTYPE Operation against a key holding the wrong kind of value")"},
      {{"EVAL",
        "local e = redis.pcall('lpush', 'num', 'x') local n = 0 for k in pairs(e) do n = n + 1 end "
        "return n",
        "0"},
       R"(:2)"},
      {{"EVAL",
        "local e = redis.pcall('nosuch') local n = 0 for k in pairs(e) do n = n + 1 end return n",
        "0"},
       R"(:2)"},
      {{"EVAL", "local e = redis.pcall() local n = 0 for k in pairs(e) do n = n + 1 end return n",
        "0"},
       R"(:1)"},
      {{"EVAL",
        "local e = redis.error_reply('x') local n = 0 for k in pairs(e) do n = n + 1 end return n",
        "0"},
       R"(:1)"},
      {{"EVAL", "return loadstring('return 1', 'mychunk')()", "0"}, R"(:1)"},
      {{"EVAL", "return loadstring('error(\"z\")', 'mychunk')()", "0"},
       R"(-"ERR [string \"mychunk\"]:1: z script: 22cfeab5eb871ee7a8ad11ade24188a7459ae660, on mychunk:1.")"},
      {{"EVAL", "return loadstring('error(\"z\")', '@mychunk')()", "0"},
       R"(-"ERR mychunk:1: z script: 043822ca607dca1c4b1e55b06a0085010662d8af, on @mychunk:1.")"},
      {{"EVAL", "return {loadstring('return +')}", "0"}, R"(*[])"},
      {{"EVAL",
        "local parts = {'return ', '42'} local i = 0 return load(function() i = i + 1 return "
        "parts[i] end)()",
        "0"},
       R"(:42)"},
      {{"EVAL", "return {load(function() return {} end)}", "0"}, R"(*[])"},
      {{"EVAL", "return {load('x')}", "0"},
       R"(-"ERR user_script:1: bad argument #1 to 'load' (function expected, got string) script: 0698cd977b58ea6315b4117887793ca20f7bd4c9, on @user_script:1.")"},
      {{"EVAL",
        "return {xpcall(function() error('q') end, function(e) return 'handled: ' .. e end)}", "0"},
       R"(*[nil,$"handled: user_script:1: q"])"},
      {{"EVAL", "return {pcall(redis.error_reply)}", "0"},
       R"(*[:1,-"ERR wrong number or type of arguments"])"},
      {{"EVAL", "return redis.call('TYPE', 'num')", "0"}, R"(+"string")"},
      {{"EVAL", "return redis.call('TYPE', 'num')['ok']", "0"}, R"($"string")"},
  });
}

// A write refused by the read-only globals leaves nothing behind for the next script, and each run
// gets fresh KEYS/ARGV. (Engine-level check of what Redis guarantees; replies from Redis.)
TEST(EngineScripting, NoStateLeaksBetweenRuns) {
  check({
      {{"EVAL", "string.trim = function(s) return s end", "0"},
       R"(-"ERR user_script:1: Attempt to modify a readonly table script: f72136915e688352411264728344b024818ea467, on @user_script:1.")"},
      {{"EVAL", "return type(string.trim)", "0"}, R"($"nil")"},
      {{"EVAL", "return {pcall(rawset, _G, 'leak', 1)}", "0"},
       R"(*[nil,$"Attempt to modify a readonly table"])"},
      {{"EVAL", "return rawget(_G, 'leak')", "0"}, "nil"},
      {{"EVAL", "table.insert(KEYS, 'extra') return #KEYS", "1", "a"}, ":2"},
      {{"EVAL", "return {#KEYS, #ARGV}", "1", "b"}, "*[:1,:0]"},
  });
}

// Engine-only: the Lua state is created once and reused; a script is compiled once per SHA-1
// (EVAL caches too); SCRIPT FLUSH empties the cache.
TEST(EngineScripting, ScriptsAreCompiledOncePerSha) {
  engine e;
  EXPECT_EQ(cached_scripts(e), 0U);
  EXPECT_EQ(canon(exec(e, {"SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"})),
            "*[:0]");
  EXPECT_EQ(canon(exec(e, {"EVAL", "return 1", "0"})), ":1");
  EXPECT_EQ(canon(exec(e, {"EVAL", "return 1", "0"})), ":1");
  EXPECT_EQ(cached_scripts(e), 1U);
  EXPECT_EQ(canon(exec(e, {"SCRIPT", "LOAD", "return 1"})),
            R"($"e0e1f9fabfc9d4800c877a703b823ac0578ff8db")");
  EXPECT_EQ(canon(exec(e, {"SCRIPT", "LOAD", "return 2"})),
            R"($"7f923f79fe76194c868d7e1d0820de36700eb649")");
  EXPECT_EQ(cached_scripts(e), 2U);
  EXPECT_EQ(
      canon(exec(e, {"EVAL", "return +", "0"})),
      R"(-"ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'")");
  EXPECT_EQ(cached_scripts(e), 2U);  // a script that does not compile is not cached
  EXPECT_EQ(canon(exec(e, {"SCRIPT", "FLUSH"})), R"(+"OK")");
  EXPECT_EQ(cached_scripts(e), 0U);
  EXPECT_EQ(canon(exec(e, {"EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"})),
            R"(-"NOSCRIPT No matching script. Please use EVAL.")");
  EXPECT_EQ(canon(exec(e, {"EVAL", "return 2", "0"})), ":2");  // a fresh state works
  EXPECT_EQ(canon(exec(e, {"EVALSHA", "7F923F79FE76194C868D7E1D0820DE36700EB649", "0"})), ":2");
  EXPECT_EQ(scripting::sha1hex("return 1"), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

// Many runs, half of them failing in different ways, leave the Lua stack balanced (a leak would
// overflow it) and the state usable.
TEST(EngineScripting, ManyRunsKeepTheStateBalanced) {
  engine e;
  for (int i = 0; i < 20000; ++i) {
    const auto n = std::to_string(i);
    switch (i % 5) {
      case 0:
        ASSERT_EQ(canon(exec(e, {"EVAL", "return redis.call('incr', KEYS[1])", "1", "c"})),
                  ":" + std::to_string(i / 5 + 1));
        break;
      case 1:
        ASSERT_EQ(exec(e, {"EVAL", "error('x')", "0"}).type, resp::type::simple_error);
        break;
      case 2:
        ASSERT_EQ(exec(e, {"EVAL", "return redis.call('nosuch')", "0"}).type,
                  resp::type::simple_error);
        break;
      case 3:
        ASSERT_EQ(canon(exec(e, {"EVAL", "return {redis.pcall('nosuch'), ARGV[1]}", "0", n})),
                  R"(*[-"ERR Unknown Redis command called from script",$")" + n + "\"]");
        break;
      default:
        ASSERT_EQ(
            canon(exec(e, {"EVAL", "local t = {} for j = 1, 50 do t[j] = j end return #t", "0"})),
            ":50");
        break;
    }
  }
  EXPECT_EQ(canon(exec(e, {"GET", "c"})), R"($"4000")");
}

// maxmemory: a script that started over the limit may not run a deny-oom command before its
// first write; after a write it may; allow-oom scripts always may; a script with a shebang and
// neither allow-oom nor no-writes is refused before it runs. (Replies from Redis with
// maxmemory 1, noeviction.)
TEST(EngineScripting, MaxMemoryAsRedis) {
  engine e;
  EXPECT_EQ(canon(exec(e, {"SET", "a", "b"})), R"(+"OK")");
  e.with_state([](state& st) { st.opts.max_memory = 1; });
  check(
      e,
      {
          {{"EVAL", "return redis.call('set','a','b')", "0"},
           R"(-"OOM command not allowed when used memory > 'maxmemory'. script: ff967d0ae0e68b4f9e360fa91c54598bc25ad9b6, on @user_script:1.")"},
          {{"EVAL", "return redis.pcall('set','a','b')", "0"},
           R"(-"OOM command not allowed when used memory > 'maxmemory'.")"},
          {{"EVAL", "redis.call('del','zz') return redis.call('set','a','b')", "0"}, R"(+"OK")"},
          {{"EVAL", "#!lua\nreturn 1", "0"},
           R"(-"OOM command not allowed when used memory > 'maxmemory'.")"},
          {{"EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','a','b')", "0"}, R"(+"OK")"},
          {{"EVAL", "#!lua flags=no-writes\nreturn redis.call('get','a')", "0"}, R"($"b")"},
          {{"EVAL", "return redis.call('get','a')", "0"}, R"($"b")"},
          {{"EVAL", "redis.call('incr','cnt') return redis.call('set','a','b')", "0"},
           R"(-"OOM command not allowed when used memory > 'maxmemory'. script: 680a84e9603dd33b47951486345b7416768981e7, on @user_script:1.")"},
          {{"SET", "x", "y"}, R"(-"OOM command not allowed when used memory > 'maxmemory'.")"},
      });
  e.with_state([](state& st) { st.opts.max_memory = 0; });
  EXPECT_EQ(canon(exec(e, {"EVAL", "return redis.call('set','a','c')", "0"})), R"(+"OK")");
}

// Expiry on the engine clock: a script sees what a command would; the clock stands still while
// a script runs (as Redis 7.0 evaluates expiry at the script's start time) and is real again
// afterwards. Engine-only: the clock is settable, and Redis's TIME keeps moving inside a script
// (two TIME calls differ by microseconds there).
TEST(EngineScripting, ExpiryAndTheClock) {
  engine e;
  e.set_time_ms(1'700'000'000'000);
  check(
      e,
      {
          {{"SET", "k", "v", "PX", "100"}, R"(+"OK")"},
          {{"EVAL", "return {redis.call('get', KEYS[1]), redis.call('pttl', KEYS[1])}", "1", "k"},
           R"(*[$"v",:100])"},
          {{"EVAL", "return redis.call('time')", "0"}, R"(*[$"1700000000",$"0"])"},
          {{"EVAL", "redis.call('set', 'p', 1) return redis.call('pexpire', 'p', 50)", "0"}, ":1"},
      });
  e.advance_ms(60);
  check(e, {
               {{"EVAL", "return {redis.call('exists', 'p'), redis.call('pttl', 'k')}", "0"},
                "*[:0,:40]"},
           });
  e.advance_ms(40);
  check(e, {{{"EVAL", "return redis.call('get', 'k')", "0"}, "nil"}});

  engine real;
  EXPECT_EQ(canon(exec(real, {"EVAL",
                              "local a = redis.call('time') local b = redis.call('time') "
                              "return a[1] == b[1] and a[2] == b[2]",
                              "0"})),
            ":1");
  EXPECT_FALSE(real.with_state([](state& st) { return st.manual_clock; }));
}

std::string read_script(const char* relative) {
  const auto here = std::filesystem::path(__FILE__).parent_path();
  std::ifstream in(here / "../.." / relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The reference sliding-window-log script (scripts/bench/sliding_log.lua) on the engine clock:
// three requests pass, the fourth is refused with the time until the oldest leaves the window,
// and the window slides.
TEST(EngineScripting, SlidingLogScript) {
  const std::string body = read_script("scripts/bench/sliding_log.lua");
  ASSERT_NE(body.find("ZREMRANGEBYSCORE"), std::string::npos) << "script not found";
  engine e;
  e.set_time_ms(1'700'000'000'000);
  const auto hit = [&](const std::string& member) {
    return canon(exec(e, {"EVAL", body, "1", "rl", "3", "1000", member}));
  };
  EXPECT_EQ(hit("a"), "*[:1,:1,:1000]");
  e.advance_ms(100);
  EXPECT_EQ(hit("b"), "*[:1,:2,:1000]");
  EXPECT_EQ(hit("c"), "*[:1,:3,:1000]");
  EXPECT_EQ(hit("d"), "*[:0,:3,:900]");
  EXPECT_EQ(canon(exec(e, {"PTTL", "rl"})), ":1000");
  e.advance_ms(901);  // "a" (t0) leaves the window
  EXPECT_EQ(hit("e"), "*[:1,:3,:1000]");
  EXPECT_EQ(canon(exec(e, {"ZRANGE", "rl", "0", "-1"})), R"(*[$"b",$"c",$"e"])");
  const std::string sha = scripting::sha1hex(body);
  // "b" (t0 + 100) is now the oldest: it leaves the window 99 ms from now.
  EXPECT_EQ(canon(exec(e, {"EVALSHA", sha, "1", "rl", "3", "1000", "f"})), "*[:0,:3,:99]");
}

}  // namespace
}  // namespace redkit::engine
