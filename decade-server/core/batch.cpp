// POST /v1/batch: many operations of mixed kinds in one request, all results in one
// response. Ops run in order; a Remote Get from another server suspends the batch until
// its fetch comes back, so at most one fetch per batch is out at a time.
#include <algorithm>

#include "decade-module/core/requests.hpp"
#include "decade-server/core/api_internal.hpp"

namespace p2pls::decade_server {
namespace {

void fill(decade_api::OperationResult& out, const OpResult& r) {
    out.set_status(r.status);
    out.set_error(r.error);
    if (r.data) {
        out.set_data(*r.data);
    }
    if (r.locker_status) {
        *out.mutable_locker_status() = *r.locker_status;
    }
}

// Object bytes the answer may still carry. Bounded memory per response: the core refuses
// an object that does not fit with 413 before it reads or charges anything, and the caller
// asks again for the rest.
std::uint64_t room(const ApiConfig& config, const BatchProgress& batch) {
    return config.max_batch_response_bytes -
           std::min(batch.response_bytes, config.max_batch_response_bytes);
}

// Adds one op's result to the answer.
void record(BatchProgress& batch, const OpResult& r) {
    if (r.ok() && r.data) {
        batch.response_bytes += r.data->size();
        batch.egress_bytes[r.locker] += r.data->size();
    }
    fill(*batch.response.add_results(), r);
}

ApiStep run(ServerCore& core, const ApiConfig& config, std::shared_ptr<PendingRequest> pending,
            UnixSeconds now) {
    BatchProgress& batch = *pending->batch;
    const std::string_view client_id = pending->client_id;
    for (; batch.next < batch.request.ops_size(); ++batch.next) {
        auto& operation = *batch.request.mutable_ops(batch.next);
        OpResult r;
        switch (operation.op_case()) {
            case decade_api::Operation::kGet: {
                const auto& g = operation.get();
                r = core.get({g.token(), client_id}, g.locker(), g.name(), now,
                             room(config, batch));
                break;
            }
            case decade_api::Operation::kPut: {
                auto* p = operation.mutable_put();
                r = core.put({p->token(), client_id}, p->locker(), p->name(),
                             std::move(*p->mutable_data()),
                             p->ttl_s() == 0 ? std::nullopt : std::optional(p->ttl_s()), now);
                break;
            }
            case decade_api::Operation::kDel: {
                const auto& d = operation.del();
                r = core.remove({d.token(), client_id}, d.locker(), d.name(), now);
                break;
            }
            case decade_api::Operation::kStatus: {
                const auto& s = operation.status();
                r = core.status({s.token(), client_id}, s.locker(), now);
                break;
            }
            case decade_api::Operation::kRemoteGet: {
                const auto& op = operation.remote_get();
                RemoteGetStep step =
                    core.begin_remote_get({op.token(), client_id}, op, now, room(config, batch));
                if (auto* fetch = std::get_if<RemoteFetch>(&step)) {
                    return FetchAndResume{std::move(*fetch), std::move(pending)};
                }
                r = std::get<OpResult>(std::move(step));
                if (r.ok()) {
                    r.locker = op.locker();
                }
                break;
            }
            default:
                r = error_result(HttpErrc::bad_request, "empty operation");
        }
        record(batch, r);
    }
    ApiResponse out;
    out.content_type = decade::kProtobufType;
    out.body = batch.response.SerializeAsString();
    for (const auto& [locker, bytes] : batch.egress_bytes) {
        out.egress.push_back({locker, bytes});
    }
    return out;
}

}  // namespace

ApiStep start_batch(ServerCore& core, const ApiConfig& config, std::string body,
                    std::string client_id, UnixSeconds now) {
    auto pending = std::make_shared<PendingRequest>();
    pending->client_id = std::move(client_id);
    pending->batch = std::make_unique<BatchProgress>();
    decade_api::BatchRequest& batch = pending->batch->request;
    if (!batch.ParseFromString(body)) {
        return error_response(HttpErrc::bad_body, "body is not a BatchRequest");
    }
    if (static_cast<std::size_t>(batch.ops_size()) > config.max_batch_ops) {
        return error_response(HttpErrc::batch_too_large,
                              "at most " + std::to_string(config.max_batch_ops) + " operations");
    }
    // Remote Gets wait on other servers: a few per batch, so that one batch cannot hold a
    // slot for minutes.
    const auto remote_gets =
        std::count_if(batch.ops().begin(), batch.ops().end(),
                      [](const decade_api::Operation& op) { return op.has_remote_get(); });
    if (static_cast<std::size_t>(remote_gets) > config.max_batch_remote_gets) {
        return error_response(
            HttpErrc::batch_too_large,
            "at most " + std::to_string(config.max_batch_remote_gets) + " remote gets per batch");
    }
    return run(core, config, std::move(pending), now);
}

ApiStep resume_batch(ServerCore& core, const ApiConfig& config,
                     std::shared_ptr<PendingRequest> pending, FetchOutcome fetched,
                     UnixSeconds now) {
    BatchProgress& batch = *pending->batch;
    const auto& op = batch.request.ops(batch.next).remote_get();
    OpResult r = core.finish_remote_get({op.token(), pending->client_id}, op, fetched, now,
                                        room(config, batch));
    if (r.ok()) {
        r.locker = op.locker();
    }
    record(batch, r);
    ++batch.next;
    return run(core, config, std::move(pending), now);
}

}  // namespace p2pls::decade_server
