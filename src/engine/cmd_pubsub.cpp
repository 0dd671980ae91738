// Engine commands: pub/sub (PUBLISH, PUBSUB). Subscribing is store::subscribe's job: the
// subscribe family is registered only so that scripts get Redis's refusal.
#include "engine/engine.hpp"
#include "engine/pubsub.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>

namespace redkit::engine {
namespace {

pubsub& hub(context& c) {
  if (!c.st.channels) c.st.channels = std::make_unique<pubsub>();
  return *c.st.channels;
}

resp::reply publish(context& c) {
  return context::integer(static_cast<std::int64_t>(hub(c).publish(c.arg(1), c.arg(2))));
}

// PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT
resp::reply pubsub_cmd(context& c) {
  const auto sub = c.arg(1);
  if (iequals(sub, "channels") && c.argc() <= 3) {
    std::optional<std::string_view> pattern;
    if (c.argc() == 3) pattern = c.arg(2);
    std::vector<resp::reply> names;
    for (auto& n : hub(c).channels(pattern)) names.push_back(context::bulk(n));
    return context::array(std::move(names));
  }
  if (iequals(sub, "numsub")) {
    std::vector<resp::reply> flat;
    for (std::size_t i = 2; i < c.argc(); ++i) {
      flat.push_back(context::bulk(c.arg(i)));
      flat.push_back(context::integer(static_cast<std::int64_t>(hub(c).numsub(c.arg(i)))));
    }
    return c.map(std::move(flat));
  }
  if (iequals(sub, "numpat") && c.argc() == 2) {
    return context::integer(static_cast<std::int64_t>(hub(c).numpat()));
  }
  std::string name(sub);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  return context::error("ERR unknown subcommand or wrong number of arguments for '" + name +
                        "'. Try PUBSUB HELP.");
}

// Reached only from scripts (dispatch refuses cmd_noscript there) or a misuse of the engine.
resp::reply subscribe_family(context&) {
  return context::error("ERR use store::subscribe to subscribe");
}

constexpr std::array commands{
    command_spec{"publish", 3, cmd_pubsub, publish},
    command_spec{"pubsub", -2, cmd_pubsub, pubsub_cmd},
    command_spec{"subscribe", -2, cmd_pubsub | cmd_noscript, subscribe_family},
    command_spec{"psubscribe", -2, cmd_pubsub | cmd_noscript, subscribe_family},
    command_spec{"ssubscribe", -2, cmd_pubsub | cmd_noscript, subscribe_family},
    command_spec{"unsubscribe", -1, cmd_pubsub | cmd_noscript, subscribe_family},
    command_spec{"punsubscribe", -1, cmd_pubsub | cmd_noscript, subscribe_family},
    command_spec{"sunsubscribe", -1, cmd_pubsub | cmd_noscript, subscribe_family},
};

}  // namespace

std::span<const command_spec> pubsub_commands() { return commands; }

}  // namespace redkit::engine
