// redkit's error model: one error-code enum registered as a boost::system category, the
// exception every failing call throws, and the table that maps Redis error replies to codes.
// Thread-safety: everything here is immutable or per-object; safe to use from any thread.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace redkit {

/// Every failure redkit reports. Codes from `server_error` on come from Redis error replies.
enum class errc {
  // Client side and transport.
  invalid_url = 1,   ///< A store URL could not be parsed or names an unknown scheme.
  invalid_argument,  ///< A caller passed an argument redkit rejects before sending anything.
  connect_failed,    ///< The TCP, unix-socket or TLS connection could not be established.
  connection_lost,   ///< The connection closed or failed while the request was in flight.
  not_connected,     ///< Fail-fast mode: the store is down and the request was not sent.
  timeout,           ///< The request or the connect attempt passed its deadline.
  protocol_error,    ///< The peer sent bytes that are not valid RESP.
  limit_exceeded,    ///< A reply exceeded the parser limits (nesting depth or bulk length).
  unexpected_reply,  ///< A reply had a type or shape the caller did not expect.
  auth_failed,       ///< AUTH/HELLO was refused: wrong user name or password.
  shutting_down,     ///< The client or store was closed while the request waited.
  // Redis error replies (the prefix of the message selects the code).
  server_error,     ///< A generic `ERR` reply or an unknown error prefix.
  wrong_type,       ///< `WRONGTYPE`: operation against a key holding the wrong kind of value.
  no_script,        ///< `NOSCRIPT`: no script with that SHA is cached on the server.
  busy,             ///< `BUSY`: a script is running too long and blocks the server.
  moved,            ///< `MOVED`: the key's slot lives on another Cluster node.
  ask,              ///< `ASK`: the key's slot is migrating; ask another node once.
  try_again,        ///< `TRYAGAIN`: multi-key request during slot migration.
  cluster_down,     ///< `CLUSTERDOWN`: the Cluster cannot serve the slot.
  loading,          ///< `LOADING`: the server is loading its dataset into memory.
  read_only,        ///< `READONLY`: a write was sent to a read-only replica.
  master_down,      ///< `MASTERDOWN`: the replica lost its master and refuses stale reads.
  no_auth,          ///< `NOAUTH`: the server requires authentication.
  wrong_pass,       ///< `WRONGPASS`: the user name or password is wrong.
  no_perm,          ///< `NOPERM`: the ACL user may not run this command or touch this key.
  out_of_memory,    ///< `OOM`: the server is over `maxmemory` and refuses writes.
  exec_abort,       ///< `EXECABORT`: a transaction was discarded because of earlier errors.
  no_replicas,      ///< `NOREPLICAS`: not enough good replicas to accept writes.
  misconf,          ///< `MISCONF`: the server cannot persist and refuses writes.
  busy_key,         ///< `BUSYKEY`: the target key already exists.
  unknown_command,  ///< `ERR unknown command`: the server does not know the command.
  script_error,     ///< An error raised while running a Lua script (`ERR ... script: ...`).
};

/// The category of `redkit::errc`; its name is "redkit".
const boost::system::error_category& category() noexcept;

/// Makes `e` an error_code of redkit's category (found by ADL).
inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

/// Maps a Redis error reply (e.g. "WRONGTYPE Operation against...") to its code.
/// Unknown prefixes give `errc::server_error`.
errc classify_server_error(std::string_view message) noexcept;

/// The exception thrown by every blocking call and every awaitable that fails.
/// `code()` is the classified code; `what()` carries the server's message (if any) and the
/// command's name, never its arguments.
class error : public boost::system::system_error {
 public:
  error(boost::system::error_code code, const std::string& what);
  explicit error(boost::system::error_code code);
  /// The message alone (system_error would append the code's text and number).
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

/// Builds the error for a Redis error reply to `command` (e.g. "WRONGTYPE ... [in GET]").
error server_error(std::string_view message, std::string_view command);

}  // namespace redkit

template <>
struct boost::system::is_error_code_enum<redkit::errc> : std::true_type {};
