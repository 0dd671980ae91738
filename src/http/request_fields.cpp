// See request_fields.hpp.
#include "http/request_fields.hpp"

#include <redkit/http_api.hpp>

#include <boost/json/value.hpp>

#include "http/json_text.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

namespace redkit::http::detail {

namespace json = boost::json;

namespace {

[[noreturn]] void bad_field(std::string_view where, std::string_view name, std::string_view what) {
  bad_request(fmt::format("{}{} {}", where, name, what));
}

/// "a, b, c", or "none" for an empty list.
std::string listed(std::initializer_list<std::string_view> names) {
  std::string out;
  for (const auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out.empty() ? "none" : out;
}

/// How many `noun` [min, max] allows, e.g. "1 to 200 bytes", "at most 16 bytes", "bytes".
std::string count_of(std::size_t min, std::size_t max, std::string_view noun) {
  if (max == unbounded)
    return min == 0 ? std::string(noun) : fmt::format("at least {} {}", min, noun);
  if (min == 0) return fmt::format("at most {} {}", max, noun);
  return fmt::format("{} to {} {}", min, max, noun);
}

std::string string_rule(std::size_t min_bytes, std::size_t max_bytes) {
  if (min_bytes == 0 && max_bytes == unbounded) return "must be a string";
  return "must be a string of " + count_of(min_bytes, max_bytes, "bytes");
}

/// `v` as a string of [min_bytes, max_bytes] bytes; 400 naming `label` otherwise.
std::string string_of(const json::value& v, std::string_view where, std::string_view label,
                      std::size_t min_bytes, std::size_t max_bytes) {
  const auto* s = v.if_string();
  if (!s || s->size() < min_bytes || s->size() > max_bytes) {
    bad_field(where, label, string_rule(min_bytes, max_bytes));
  }
  return std::string(s->data(), s->size());
}

const json::array& array_of(const json::value& v, std::string_view where, std::string_view name,
                            std::size_t min_items, std::size_t max_items, std::string_view noun) {
  const auto* arr = v.if_array();
  if (!arr || arr->size() < min_items || arr->size() > max_items) {
    bad_field(where, name, "must be an array of " + count_of(min_items, max_items, noun));
  }
  return *arr;
}

}  // namespace

void bad_request(const std::string& detail) {
  throw problem_error(bhttp::status::bad_request, detail);
}

void only_fields(const json::object& o, std::initializer_list<std::string_view> allowed,
                 std::string_view where) {
  for (const auto& [k, v] : o) {
    const std::string_view key(k.data(), k.size());
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      bad_request(fmt::format("unknown field {}{} (expected {})", where, key, listed(allowed)));
    }
  }
}

std::optional<std::string> optional_string(const json::object& o, std::string_view name,
                                           std::string_view where, std::size_t min_bytes,
                                           std::size_t max_bytes) {
  const auto* v = o.if_contains(name);
  if (!v) return std::nullopt;
  return string_of(*v, where, name, min_bytes, max_bytes);
}

std::string required_string(const json::object& o, std::string_view name, std::string_view where,
                            std::size_t min_bytes, std::size_t max_bytes) {
  auto s = optional_string(o, name, where, min_bytes, max_bytes);
  if (!s) bad_field(where, name, "is required");
  return std::move(*s);
}

std::optional<std::int64_t> optional_int(const json::object& o, std::string_view name,
                                         std::int64_t min, std::int64_t max,
                                         std::string_view where) {
  const auto* v = o.if_contains(name);
  if (!v) return std::nullopt;
  std::optional<std::int64_t> n;
  if (const auto* i = v->if_int64()) n = *i;
  if (const auto* u = v->if_uint64(); u && *u <= static_cast<std::uint64_t>(max)) {
    n = static_cast<std::int64_t>(*u);
  }
  if (!n || *n < min || *n > max) {
    if (max == std::numeric_limits<std::int64_t>::max()) {
      bad_field(where, name, fmt::format("must be an integer >= {}", min));
    }
    bad_field(where, name, fmt::format("must be an integer from {} to {}", min, max));
  }
  return n;
}

std::int64_t required_int(const json::object& o, std::string_view name, std::int64_t min,
                          std::int64_t max, std::string_view where) {
  const auto n = optional_int(o, name, min, max, where);
  if (!n) bad_field(where, name, "is required");
  return *n;
}

std::optional<bool> optional_bool(const json::object& o, std::string_view name,
                                  std::string_view where) {
  const auto* v = o.if_contains(name);
  if (!v) return std::nullopt;
  if (!v->is_bool()) bad_field(where, name, "must be true or false");
  return v->get_bool();
}

const json::object& required_object(const json::object& o, std::string_view name,
                                    std::string_view where) {
  const auto* v = o.if_contains(name);
  if (!v) bad_field(where, name, "is required");
  const auto* obj = v->if_object();
  if (!obj) bad_field(where, name, "must be an object");
  return *obj;
}

std::optional<std::vector<std::string>> optional_strings(
    const json::object& o, std::string_view name, std::string_view where, std::size_t min_items,
    std::size_t max_items, std::size_t min_bytes, std::size_t max_bytes) {
  const auto* v = o.if_contains(name);
  if (!v) return std::nullopt;
  const auto& arr = array_of(*v, where, name, min_items, max_items, "strings");
  std::vector<std::string> out;
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    out.push_back(string_of(arr[i], where, fmt::format("{}[{}]", name, i), min_bytes, max_bytes));
  }
  return out;
}

std::vector<std::string> required_strings(const json::object& o, std::string_view name,
                                          std::string_view where, std::size_t min_items,
                                          std::size_t max_items, std::size_t min_bytes,
                                          std::size_t max_bytes) {
  auto out = optional_strings(o, name, where, min_items, max_items, min_bytes, max_bytes);
  if (!out) bad_field(where, name, "is required");
  return std::move(*out);
}

std::vector<const json::object*> required_objects(const json::object& o, std::string_view name,
                                                  std::size_t min_items, std::size_t max_items,
                                                  std::string_view where) {
  const auto* v = o.if_contains(name);
  if (!v) bad_field(where, name, "is required");
  const auto& arr = array_of(*v, where, name, min_items, max_items, "objects");
  std::vector<const json::object*> out;
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const auto* obj = arr[i].if_object();
    if (!obj) bad_field(where, fmt::format("{}[{}]", name, i), "must be an object");
    out.push_back(obj);
  }
  return out;
}

query_params::query_params(std::string_view target,
                           std::initializer_list<std::string_view> allowed) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return;
  auto rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    auto name = percent_decode(item.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::string() : percent_decode(item.substr(eq + 1));
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      bad_request(fmt::format("unknown query parameter {} (expected {})", json_string(name),
                              listed(allowed)));
    }
    if (values_.contains(name)) {
      bad_request(fmt::format("query parameter {} is given twice", json_string(name)));
    }
    values_.emplace(std::move(name), std::move(value));
  }
}

const std::string* query_params::find(std::string_view name) const {
  const auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

std::int64_t query_params::integer(std::string_view name, std::int64_t min, std::int64_t max,
                                   std::int64_t fallback) const {
  const auto* s = find(name);
  if (!s) return fallback;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
  if (s->empty() || ec != std::errc() || end != s->data() + s->size() || n < min || n > max) {
    bad_request(fmt::format("{} must be an integer from {} to {}", name, min, max));
  }
  return n;
}

bool query_params::boolean(std::string_view name, bool fallback) const {
  const auto* s = find(name);
  if (!s) return fallback;
  if (*s == "true" || *s == "1") return true;
  if (*s == "false" || *s == "0") return false;
  bad_request(fmt::format("{} must be true or false", name));
}

}  // namespace redkit::http::detail
