// Engine pub/sub: subscriber bookkeeping and PUBLISH fan-out.
#include "engine/pubsub.hpp"

#include "engine/glob.hpp"

#include <algorithm>
#include <set>

namespace redkit::engine {

std::uint64_t pubsub::add(std::vector<std::string> channels, std::vector<std::string> patterns,
                          sink s) {
  const auto id = next_id_++;
  // Like Redis, subscribing twice to one channel or pattern counts once.
  std::sort(channels.begin(), channels.end());
  channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
  std::sort(patterns.begin(), patterns.end());
  patterns.erase(std::unique(patterns.begin(), patterns.end()), patterns.end());
  for (const auto& c : channels) by_channel_[c].push_back(id);
  for (const auto& p : patterns) by_pattern_.emplace_back(p, id);
  subscribers_.emplace(id, subscriber{std::move(channels), std::move(patterns), std::move(s)});
  return id;
}

void pubsub::remove(std::uint64_t id) {
  auto it = subscribers_.find(id);
  if (it == subscribers_.end()) return;
  for (const auto& c : it->second.channels) {
    auto ch = by_channel_.find(c);
    if (ch == by_channel_.end()) continue;
    std::erase(ch->second, id);
    if (ch->second.empty()) by_channel_.erase(ch);
  }
  std::erase_if(by_pattern_, [id](const auto& p) { return p.second == id; });
  subscribers_.erase(it);
}

std::size_t pubsub::publish(std::string_view channel, std::string_view payload) {
  std::size_t receivers = 0;
  if (auto ch = by_channel_.find(channel); ch != by_channel_.end()) {
    for (const auto id : ch->second) {
      subscribers_.at(id).deliver(channel, {}, payload);
      ++receivers;
    }
  }
  for (const auto& [pattern, id] : by_pattern_) {
    if (!glob_match(pattern, channel)) continue;
    subscribers_.at(id).deliver(channel, pattern, payload);
    ++receivers;
  }
  return receivers;
}

std::vector<std::string> pubsub::channels(std::optional<std::string_view> pattern) const {
  std::vector<std::string> out;
  for (const auto& [name, ids] : by_channel_) {
    if (!pattern || glob_match(*pattern, name)) out.push_back(name);
  }
  return out;
}

std::size_t pubsub::numsub(std::string_view channel) const {
  auto ch = by_channel_.find(channel);
  return ch == by_channel_.end() ? 0 : ch->second.size();
}

std::size_t pubsub::numpat() const {
  std::set<std::string_view> distinct;
  for (const auto& [pattern, id] : by_pattern_) distinct.insert(pattern);
  return distinct.size();
}

}  // namespace redkit::engine
