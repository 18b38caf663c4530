// The routing costs between PIDs (RFC 7285 §6.1, §11.2.3) and what a request may do with
// them: read them in numerical mode, or as ordinal ranks (§6.1.2: 1 is the most preferred;
// equal costs share a rank, and the next rank skips as many places, "1, 1, 3"), and keep
// only those that satisfy the request's constraints (§11.3.2.3: "le 10", all must hold).
// A pair with no cost is absent from every answer, as the RFC allows.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace p2pls::alto {

enum class CostMode { numerical, ordinal };

inline constexpr std::string_view kRoutingCost = "routingcost";

std::string_view cost_mode_name(CostMode mode);
std::optional<CostMode> parse_cost_mode(std::string_view name);

// Costs from PID index to PID index (the network map's order).
class CostTable {
  public:
    explicit CostTable(std::size_t pids = 0) : pids_(pids), costs_(pids * pids) {}

    [[nodiscard]] std::size_t pids() const noexcept { return pids_; }
    void set(std::size_t src, std::size_t dst, double cost) { costs_[src * pids_ + dst] = cost; }
    [[nodiscard]] std::optional<double> get(std::size_t src, std::size_t dst) const {
        return costs_[src * pids_ + dst];
    }

  private:
    std::size_t pids_;
    std::vector<std::optional<double>> costs_;
};

// The ordinal ranks of `costs` (one row: one source, its destinations), absent stays absent.
std::vector<std::optional<double>> ordinal_ranks(const std::vector<std::optional<double>>& costs);

struct Constraint {
    enum class Op { lt, le, gt, ge, eq };
    Op op = Op::le;
    double value = 0;

    [[nodiscard]] bool holds(double cost) const;
};

// "le 10", "gt 0.5": an operator, one space, a decimal number. nullopt for anything else.
std::optional<Constraint> parse_constraint(std::string_view text);

// The row in the request's mode with the constraints applied (absent where they fail).
std::vector<std::optional<double>> answer_row(std::vector<std::optional<double>> numerical,
                                              CostMode mode,
                                              const std::vector<Constraint>& constraints);

}  // namespace p2pls::alto
