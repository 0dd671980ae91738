// The script registry: embedded scripts (generated table) and scripts made at run time.
#include <redkit/error.hpp>
#include <redkit/script.hpp>

#include "script_table.hpp"

#include <openssl/sha.h>

#include <string>

namespace redkit {

script::script(std::string name, std::string source, std::string sha1)
    : name_(std::move(name)), source_(std::move(source)), sha1_(std::move(sha1)) {}

script script::make(std::string name, std::string source) {
  auto sha = sha1_hex(source);
  return script(std::move(name), std::move(source), std::move(sha));
}

const std::vector<script>& script::all_embedded() {
  static const std::vector<script> all = [] {
    std::vector<script> v;
    v.reserve(detail::embedded_script_count);
    for (std::size_t i = 0; i < detail::embedded_script_count; ++i) {
      const auto& e = detail::embedded_scripts[i];
      v.push_back(script(e.name, e.source, e.sha1));
    }
    return v;
  }();
  return all;
}

const script& script::embedded(std::string_view name) {
  for (const auto& s : all_embedded()) {
    if (s.name() == name) return s;
  }
  throw error(make_error_code(errc::invalid_argument),
              "no embedded script named '" + std::string(name) + "'");
}

std::string sha1_hex(std::string_view data) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(std::size_t{2} * SHA_DIGEST_LENGTH, '0');
  for (std::size_t i = 0; i < SHA_DIGEST_LENGTH; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace redkit
