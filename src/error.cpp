// redkit's error category, the Redis-error-prefix table and the exception type.
#include <redkit/error.hpp>

#include <array>
#include <string>
#include <utility>

namespace redkit {
namespace {

class redkit_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "redkit"; }

  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::invalid_url:
        return "invalid store URL";
      case errc::invalid_argument:
        return "invalid argument";
      case errc::connect_failed:
        return "could not connect to the store";
      case errc::connection_lost:
        return "connection to the store lost";
      case errc::not_connected:
        return "store not connected (fail-fast)";
      case errc::timeout:
        return "request timed out";
      case errc::protocol_error:
        return "RESP protocol error";
      case errc::limit_exceeded:
        return "reply exceeds parser limits";
      case errc::unexpected_reply:
        return "unexpected reply type";
      case errc::auth_failed:
        return "authentication failed";
      case errc::shutting_down:
        return "store is closed";
      case errc::server_error:
        return "server error";
      case errc::wrong_type:
        return "wrong type of value for the operation";
      case errc::no_script:
        return "no script with this SHA on the server";
      case errc::busy:
        return "server busy running a script";
      case errc::moved:
        return "slot moved to another node";
      case errc::ask:
        return "slot migrating, ask another node";
      case errc::try_again:
        return "try again (slot migration)";
      case errc::cluster_down:
        return "cluster down";
      case errc::loading:
        return "server loading its dataset";
      case errc::read_only:
        return "write sent to a read-only replica";
      case errc::master_down:
        return "replica lost its master";
      case errc::no_auth:
        return "authentication required";
      case errc::wrong_pass:
        return "wrong user name or password";
      case errc::no_perm:
        return "no permission";
      case errc::out_of_memory:
        return "server out of memory";
      case errc::exec_abort:
        return "transaction aborted";
      case errc::no_replicas:
        return "not enough replicas";
      case errc::misconf:
        return "server cannot persist";
      case errc::busy_key:
        return "target key exists";
      case errc::unknown_command:
        return "unknown command";
      case errc::script_error:
        return "error in Lua script";
    }
    return "unknown redkit error";
  }
};

// Redis error prefixes (the first word of the message) and their codes.
constexpr std::array<std::pair<std::string_view, errc>, 19> prefix_table{{
    {"WRONGTYPE", errc::wrong_type},
    {"NOSCRIPT", errc::no_script},
    {"BUSY", errc::busy},
    {"MOVED", errc::moved},
    {"ASK", errc::ask},
    {"TRYAGAIN", errc::try_again},
    {"CLUSTERDOWN", errc::cluster_down},
    {"LOADING", errc::loading},
    {"READONLY", errc::read_only},
    {"MASTERDOWN", errc::master_down},
    {"NOAUTH", errc::no_auth},
    {"WRONGPASS", errc::wrong_pass},
    {"NOPERM", errc::no_perm},
    {"OOM", errc::out_of_memory},
    {"EXECABORT", errc::exec_abort},
    {"NOREPLICAS", errc::no_replicas},
    {"MISCONF", errc::misconf},
    {"BUSYKEY", errc::busy_key},
    {"UNKILLABLE", errc::busy},
}};

}  // namespace

const boost::system::error_category& category() noexcept {
  static const redkit_category instance;
  return instance;
}

errc classify_server_error(std::string_view message) noexcept {
  const auto space = message.find(' ');
  const auto prefix = message.substr(0, space);
  for (const auto& [p, code] : prefix_table) {
    if (prefix == p) return code;
  }
  if (prefix == "ERR") {
    const auto rest = message.substr(space == std::string_view::npos ? message.size() : space + 1);
    if (rest.starts_with("unknown command")) return errc::unknown_command;
    // Redis 7: "ERR user_script:1: ..." / "ERR Error running script ..."; Redis 6: "ERR Error ...".
    if (rest.starts_with("user_script:") || rest.starts_with("Error running script") ||
        rest.find("script:") != std::string_view::npos) {
      return errc::script_error;
    }
  }
  return errc::server_error;
}

error::error(boost::system::error_code code, const std::string& what)
    : boost::system::system_error(code, what), what_(what.empty() ? code.message() : what) {}

error::error(boost::system::error_code code)
    : boost::system::system_error(code), what_(code.message()) {}

error server_error(std::string_view message, std::string_view command) {
  std::string what(message);
  what += " [in ";
  what += command;
  what += ']';
  return error(make_error_code(classify_server_error(message)), what);
}

}  // namespace redkit
