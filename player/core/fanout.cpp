#include "player/core/fanout.hpp"

namespace p2pls::player {

Fanout::Fanout(FanoutLimits limits) : limits_(limits) {}

std::optional<ClientId> Fanout::add_client() {
    if (clients_.size() >= limits_.max_clients) {
        ++refused_total_;
        return std::nullopt;
    }
    const ClientId id = next_id_++;
    Client& c = clients_[id];
    if (newest_) {
        // Starting one chunk behind live gives the viewer a picture at once.
        c.queue.push_back(newest_);
        c.bytes = newest_->size();
    }
    return id;
}

void Fanout::remove_client(ClientId id) {
    clients_.erase(id);
}

void Fanout::on_chunk(Payload payload) {
    if (!payload || payload->empty()) {
        return;
    }
    newest_ = payload;
    for (auto it = clients_.begin(); it != clients_.end();) {
        Client& c = it->second;
        c.queue.push_back(payload);
        c.bytes += payload->size();
        if (c.queue.size() > limits_.max_queued_chunks || c.bytes > limits_.max_queued_bytes) {
            dropped_.push_back(it->first);
            ++dropped_total_;
            it = clients_.erase(it);
        } else {
            ++it;
        }
    }
}

Payload Fanout::front(ClientId id) const {
    const auto it = clients_.find(id);
    if (it == clients_.end() || it->second.queue.empty()) {
        return nullptr;
    }
    return it->second.queue.front();
}

void Fanout::pop(ClientId id) {
    const auto it = clients_.find(id);
    if (it == clients_.end() || it->second.queue.empty()) {
        return;
    }
    it->second.bytes -= it->second.queue.front()->size();
    it->second.queue.pop_front();
}

std::vector<ClientId> Fanout::take_dropped() {
    std::vector<ClientId> out;
    out.swap(dropped_);
    return out;
}

std::size_t Fanout::queued_chunks(ClientId id) const {
    const auto it = clients_.find(id);
    return it == clients_.end() ? 0 : it->second.queue.size();
}

std::size_t Fanout::queued_bytes(ClientId id) const {
    const auto it = clients_.find(id);
    return it == clients_.end() ? 0 : it->second.bytes;
}

}  // namespace p2pls::player
