// The engine core: clock, keyspace operations, reply shapes, argument parsing, dispatch.
#include "engine/engine.hpp"

#include "engine/pubsub.hpp"
#include "engine/scripting.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace redkit::engine {

// ---------------------------------------------------------------------------------------------
// state

state::state() = default;
state::~state() {
  memory_scope scope(used_memory);
  keys.clear();
  expiries.clear();
}

std::int64_t state::now_us() const {
  if (manual_clock) return manual_now_ms * 1000 + manual_now_us_rest;
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t state::now_ms() const {
  if (manual_clock) return manual_now_ms;
  return now_us() / 1000;
}

// ---------------------------------------------------------------------------------------------
// context: keyspace

entry* context::find(std::string_view key) {
  auto* slot = find_slot(key);
  return slot != nullptr ? &slot->second : nullptr;
}

string_map<entry>::value_type* context::find_slot(std::string_view key) {
  auto it = st.keys.find(key);
  if (it == st.keys.end()) return nullptr;
  const auto at = it->second.expire_at_ms;
  if (at != 0 && at <= st.now_ms()) {
    st.expiries.erase(it->second.expiry_node);
    st.keys.erase(it);
    ++st.expired_keys;
    return nullptr;
  }
  return &*it;
}

void context::set_string(std::string_view key, std::string_view value, bool keep_ttl) {
  auto it = st.keys.find(key);
  if (it == st.keys.end()) {
    it = st.keys.try_emplace(to_m(key)).first;
  } else if (!keep_ttl && it->second.expire_at_ms != 0) {
    st.expiries.erase(it->second.expiry_node);
    it->second.expire_at_ms = 0;
  }
  it->second.value.emplace<mstring>(to_m(value));
}

void context::put(std::string_view key, entry e) {
  remove(key);
  const auto at = e.expire_at_ms;
  auto it = st.keys.try_emplace(to_m(key), std::move(e)).first;
  if (at != 0) it->second.expiry_node = st.expiries.emplace(at, it->first).first;
}

bool context::remove(std::string_view key) {
  auto it = st.keys.find(key);
  if (it == st.keys.end()) return false;
  const auto at = it->second.expire_at_ms;
  const bool live = at == 0 || at > st.now_ms();
  if (at != 0) st.expiries.erase(it->second.expiry_node);
  st.keys.erase(it);
  if (!live) ++st.expired_keys;
  return live;
}

void context::set_expire(std::string_view key, std::int64_t at_ms) {
  auto it = st.keys.find(key);
  if (it == st.keys.end()) return;
  move_expiry(st, it->first, it->second, at_ms);
}

void move_expiry(state& st, const mstring& key, entry& e, std::int64_t at_ms) {
  auto& index = st.expiries;
  if (e.expire_at_ms == at_ms) return;  // removing and adding it back changes nothing
  if (e.expire_at_ms != 0 && at_ms > e.expire_at_ms) {
    // A later deadline leaves the node filed early; the sweep re-files it when it comes due
    // (every TTL-refreshing write would otherwise re-sort the index).
    e.expire_at_ms = at_ms;
    return;
  }
  if (e.expire_at_ms != 0 && at_ms != 0) {
    // Move the node: no allocation, and the same bytes as freeing one and making another.
    auto node = index.extract(e.expiry_node);
    node.value().first = at_ms;
    e.expiry_node = index.insert(index.end(), std::move(node));  // times mostly grow
  } else if (e.expire_at_ms != 0) {
    index.erase(e.expiry_node);
  } else {
    e.expiry_node = index.emplace_hint(index.end(), at_ms, key);
  }
  e.expire_at_ms = at_ms;
}

resp::reply context::invalid_expire() const {
  std::string name(arg(0));
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return error("ERR invalid expire time in '" + name + "' command");
}

void context::remove_if_empty(std::string_view key) {
  auto it = st.keys.find(key);
  if (it == st.keys.end()) return;
  const bool empty = std::visit(
      [](const auto& v) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, mstring>) {
          return false;
        } else {
          return v.empty();
        }
      },
      it->second.value);
  if (empty) remove(key);
}

void context::flush() {
  st.expiries.clear();
  // Swap rather than clear(): clear() keeps the bucket array, and a flushed engine
  // should give its memory back, as Redis does.
  string_map<entry>().swap(st.keys);
}

// ---------------------------------------------------------------------------------------------
// context: replies

resp::reply context::arity_error() const {
  std::string name(argv[0]);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return error("ERR wrong number of arguments for '" + name + "' command");
}

std::string context::format_double(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, "%.17g", v);
  return std::string(buf, static_cast<std::size_t>(n));
}

resp::reply context::dbl(double v) const {
  if (resp3) return resp::reply::make_double(v);
  return bulk(format_double(v));
}

resp::reply context::map(std::vector<resp::reply> flat) const {
  auto r = array(std::move(flat));
  if (resp3) r.type = resp::type::map;
  return r;
}

resp::reply context::set(std::vector<resp::reply> members) const {
  auto r = array(std::move(members));
  if (resp3) r.type = resp::type::set;
  return r;
}

// ---------------------------------------------------------------------------------------------
// context: parsing

bool context::parse_int(std::string_view s, std::int64_t& out) noexcept {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    out = 0;
    return true;
  }
  std::size_t i = s[0] == '-' ? 1 : 0;
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;  // no leading zeros, no '+'
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

bool context::parse_double(std::string_view s, double& out) noexcept {
  if (s.empty() || s.size() > 5000) return false;
  if (std::isspace(static_cast<unsigned char>(s.front())) ||
      std::isspace(static_cast<unsigned char>(s.back()))) {
    return false;
  }
  std::string buf(s);  // strtod needs a terminator
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(v)) return false;
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)) return false;
  out = v;
  return true;
}

resp::reply context::call(std::span<const std::string_view> args, bool reply_resp3) {
  return dispatch(st, args, reply_resp3, true);
}

// ---------------------------------------------------------------------------------------------
// command table and dispatch

namespace {

// The command table as open addressing over a power-of-two array, hashed (FNV-1a) while the
// name is lower-cased: a lookup is one pass over the name and, mostly, one probe. Every command
// and every redis.call of a script goes through it.
class command_table {
 public:
  static constexpr std::size_t max_name = 32;

  command_table() {
    for (auto family :
         {string_commands(), key_commands(), hash_commands(), set_commands(), zset_commands(),
          list_commands(), pubsub_commands(), scripting_commands(), server_commands()}) {
      for (const auto& spec : family) add(&spec);
    }
  }

  const command_spec* find(std::string_view name) const noexcept {
    if (name.size() > max_name) return nullptr;
    char lower[max_name];
    std::uint32_t h = fnv_basis;
    for (std::size_t i = 0; i < name.size(); ++i) {
      lower[i] = ascii_lower(name[i]);
      h = fnv_step(h, lower[i]);
    }
    const std::string_view key(lower, name.size());
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const command_spec* spec = slots_[i];
      if (spec == nullptr || spec->name == key) return spec;
    }
  }

 private:
  static constexpr std::size_t size = 1024;  // load below 1/4 with Redis's ~240 commands
  static constexpr std::size_t mask = size - 1;
  static constexpr std::uint32_t fnv_basis = 2166136261U;
  static constexpr std::uint32_t fnv_prime = 16777619U;
  static constexpr std::uint32_t fnv_step(std::uint32_t h, char c) noexcept {
    return (h ^ static_cast<unsigned char>(c)) * fnv_prime;
  }

  void add(const command_spec* spec) {
    std::uint32_t h = fnv_basis;
    for (const char ch : spec->name) h = fnv_step(h, ch);
    std::size_t i = h & mask;
    while (slots_[i] != nullptr) {
      if (slots_[i]->name == spec->name) return;  // first registration wins
      i = (i + 1) & mask;
    }
    slots_[i] = spec;
  }

  std::array<const command_spec*, size> slots_{};
};

const command_table& commands() {
  static const command_table table;
  return table;
}

// Redis 7's text: "ERR unknown command 'x', with args beginning with: 'a' 'b' ".
resp::reply unknown_command(std::span<const std::string_view> argv) {
  std::string args;
  for (std::size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
    const auto room = 128 - args.size();
    args += '\'';
    args.append(argv[i].substr(0, room));
    args += "' ";
  }
  std::string msg = "ERR unknown command '";
  msg.append(argv[0].substr(0, 128));
  msg += "', with args beginning with: ";
  msg += args;
  return resp::reply::make_error(std::move(msg));
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

const command_spec* find_command(std::string_view name) { return commands().find(name); }

resp::reply dispatch(state& st, std::span<const std::string_view> argv, bool resp3,
                     bool in_script) {
  if (argv.empty()) return resp::reply::make_error("ERR empty command");
  const command_spec* spec = find_command(argv[0]);
  if (spec == nullptr) return unknown_command(argv);
  context ctx(st, argv, resp3, in_script);
  const auto argc = static_cast<int>(argv.size());
  if ((spec->arity > 0 && argc != spec->arity) || (spec->arity < 0 && argc < -spec->arity)) {
    return ctx.arity_error();
  }
  if (in_script && (spec->flags & cmd_noscript)) {
    return resp::reply::make_error("ERR This Redis command is not allowed from script");
  }
  if ((spec->flags & cmd_denyoom) && st.opts.max_memory != 0 &&
      st.used_memory > static_cast<std::int64_t>(st.opts.max_memory)) {
    return resp::reply::make_error(std::string(err::oom));
  }
  ++st.commands_processed;
  return spec->run(ctx);
}

// ---------------------------------------------------------------------------------------------
// engine

engine::engine(options opts) { st_.opts = opts; }

engine::~engine() = default;

resp::reply engine::execute(std::span<const std::string_view> argv, bool resp3) {
  std::lock_guard lock(mu_);
  memory_scope scope(st_.used_memory);
  return dispatch(st_, argv, resp3, false);
}

std::vector<resp::reply> engine::execute_all(
    std::span<const std::vector<std::string_view>> commands, bool resp3) {
  std::vector<resp::reply> out;
  out.reserve(commands.size());
  std::lock_guard lock(mu_);
  memory_scope scope(st_.used_memory);
  // The transaction being queued, if any: indices into `commands`. `aborted`: a command was
  // refused while queued (unknown, wrong arity); as on Redis, EXEC then runs nothing.
  std::optional<std::vector<std::size_t>> queued;
  bool aborted = false;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const auto& argv = commands[i];
    const auto name = argv.empty() ? std::string_view() : argv[0];
    if (iequals(name, "multi") && argv.size() == 1) {
      if (queued) {
        out.push_back(resp::reply::make_error("ERR MULTI calls can not be nested"));
      } else {
        queued.emplace();
        out.push_back(resp::reply::make_simple("OK"));
      }
    } else if (iequals(name, "exec") && argv.size() == 1) {
      if (!queued) {
        out.push_back(resp::reply::make_error("ERR EXEC without MULTI"));
        continue;
      }
      if (aborted) {
        out.push_back(
            resp::reply::make_error("EXECABORT Transaction discarded because of previous errors."));
      } else {
        std::vector<resp::reply> replies;
        for (const auto j : *queued) replies.push_back(dispatch(st_, commands[j], resp3, false));
        out.push_back(resp::reply::make_array(std::move(replies)));
      }
      queued.reset();
      aborted = false;
    } else if (iequals(name, "discard") && argv.size() == 1) {
      out.push_back(queued ? resp::reply::make_simple("OK")
                           : resp::reply::make_error("ERR DISCARD without MULTI"));
      queued.reset();
      aborted = false;
    } else if (queued) {
      const command_spec* spec = argv.empty() ? nullptr : find_command(name);
      const auto argc = static_cast<int>(argv.size());
      if (spec == nullptr || (spec->arity > 0 && argc != spec->arity) ||
          (spec->arity < 0 && argc < -spec->arity)) {
        // Refused when queued, as Redis does: dispatch() answers these errors without running.
        out.push_back(dispatch(st_, argv, resp3, false));
        aborted = true;
        continue;
      }
      queued->push_back(i);
      out.push_back(resp::reply::make_simple("QUEUED"));
    } else {
      out.push_back(dispatch(st_, argv, resp3, false));
    }
  }
  return out;
}

void engine::set_time_ms(std::int64_t ms) {
  std::lock_guard lock(mu_);
  st_.manual_clock = true;
  st_.manual_now_ms = ms;
  st_.manual_now_us_rest = 0;
}

void engine::advance_ms(std::int64_t ms) {
  std::lock_guard lock(mu_);
  if (!st_.manual_clock) {
    const auto us = st_.now_us();
    st_.manual_clock = true;
    st_.manual_now_ms = us / 1000;
    st_.manual_now_us_rest = us % 1000;
  }
  st_.manual_now_ms += ms;
}

void engine::use_real_time() {
  std::lock_guard lock(mu_);
  st_.manual_clock = false;
}

std::int64_t engine::now_ms() const {
  std::lock_guard lock(mu_);
  return st_.now_ms();
}

std::size_t engine::sweep_expired(std::size_t budget) {
  std::lock_guard lock(mu_);
  memory_scope scope(st_.used_memory);
  const auto now = st_.now_ms();
  std::size_t deleted = 0;
  while (deleted < budget && !st_.expiries.empty()) {
    auto first = st_.expiries.begin();
    if (first->first > now) break;
    auto key = st_.keys.find(first->second);
    if (auto& e = key->second; e.expire_at_ms > now) {
      // Filed early (its deadline moved later): re-file it at its deadline, once per move.
      auto node = st_.expiries.extract(first);
      node.value().first = e.expire_at_ms;
      e.expiry_node = st_.expiries.insert(std::move(node)).position;
      continue;
    }
    st_.keys.erase(key);
    st_.expiries.erase(first);
    ++st_.expired_keys;
    ++deleted;
  }
  return deleted;
}

std::int64_t engine::used_memory() const {
  std::lock_guard lock(mu_);
  return st_.used_memory;
}

std::size_t engine::key_count() const {
  std::lock_guard lock(mu_);
  return st_.keys.size();
}

}  // namespace redkit::engine
