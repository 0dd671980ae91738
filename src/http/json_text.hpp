// A JSON string literal of some text, for the server's hand-built JSON bodies and log lines.
#pragma once

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <string>
#include <string_view>

namespace redkit::http::detail {

/// `s` as a quoted, escaped JSON string.
inline std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

}  // namespace redkit::http::detail
