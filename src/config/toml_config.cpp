// The TOML config file's shared reading (see toml_config.hpp). config::read_policy is in
// src/rate_limit/policy.cpp, next to the policy checks it uses.
#include "config/toml_config.hpp"

#include <redkit/error.hpp>

#include <fmt/core.h>

#include <fstream>
#include <iterator>
#include <system_error>

namespace redkit::config {
namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw error(make_error_code(errc::invalid_argument), message);
}

}  // namespace

void fail_at(std::string_view kind, const std::string& source, const toml::source_region& where,
             std::string_view what) {
  std::string message(kind);
  if (!source.empty()) message += ' ' + source + ',';
  message += fmt::format(" line {}, column {}: {}", where.begin.line, where.begin.column, what);
  invalid(message);
}

toml::table parse(std::string_view text, std::string_view kind, const std::string& source) {
  try {
    return source.empty() ? toml::parse(text) : toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    fail_at(kind, source, e.source(), e.description());
  }
}

std::string read_file(const std::filesystem::path& file, std::string_view kind) {
  const auto where = std::string(kind) + ' ' + file.string();
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) invalid(where + ": is a directory");
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const bool exists = std::filesystem::exists(file, ec);
    invalid(where + (exists ? ": cannot be read" : ": does not exist"));
  }
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) invalid(where + ": cannot be read");
  return text;
}

}  // namespace redkit::config
