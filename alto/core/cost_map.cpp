#include "alto/core/cost_map.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace p2pls::alto {

std::string_view cost_mode_name(CostMode mode) {
    return mode == CostMode::numerical ? "numerical" : "ordinal";
}

std::optional<CostMode> parse_cost_mode(std::string_view name) {
    if (name == "numerical") {
        return CostMode::numerical;
    }
    if (name == "ordinal") {
        return CostMode::ordinal;
    }
    return std::nullopt;
}

std::vector<std::optional<double>> ordinal_ranks(const std::vector<std::optional<double>>& costs) {
    std::vector<double> sorted;
    for (const auto& c : costs) {
        if (c) {
            sorted.push_back(*c);
        }
    }
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::optional<double>> ranks(costs.size());
    for (std::size_t i = 0; i < costs.size(); ++i) {
        if (costs[i]) {
            // One plus the number of strictly cheaper destinations.
            const auto cheaper = std::lower_bound(sorted.begin(), sorted.end(), *costs[i]);
            ranks[i] = static_cast<double>(cheaper - sorted.begin() + 1);
        }
    }
    return ranks;
}

bool Constraint::holds(double cost) const {
    switch (op) {
        case Op::lt:
            return cost < value;
        case Op::le:
            return cost <= value;
        case Op::gt:
            return cost > value;
        case Op::ge:
            return cost >= value;
        case Op::eq:
            return cost == value;
    }
    return false;
}

std::optional<Constraint> parse_constraint(std::string_view text) {
    if (text.size() < 4 || text[2] != ' ') {
        return std::nullopt;
    }
    Constraint c;
    const auto op = text.substr(0, 2);
    if (op == "lt") {
        c.op = Constraint::Op::lt;
    } else if (op == "le") {
        c.op = Constraint::Op::le;
    } else if (op == "gt") {
        c.op = Constraint::Op::gt;
    } else if (op == "ge") {
        c.op = Constraint::Op::ge;
    } else if (op == "eq") {
        c.op = Constraint::Op::eq;
    } else {
        return std::nullopt;
    }
    const auto number = text.substr(3);
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), c.value,
                                           std::chars_format::fixed);
    if (ec != std::errc{} || end != number.data() + number.size() || !std::isfinite(c.value)) {
        return std::nullopt;
    }
    return c;
}

std::vector<std::optional<double>> answer_row(std::vector<std::optional<double>> numerical,
                                              CostMode mode,
                                              const std::vector<Constraint>& constraints) {
    auto row = mode == CostMode::ordinal ? ordinal_ranks(numerical) : std::move(numerical);
    for (auto& cost : row) {
        if (cost && !std::all_of(constraints.begin(), constraints.end(),
                                 [&](const Constraint& c) { return c.holds(*cost); })) {
            cost.reset();
        }
    }
    return row;
}

}  // namespace p2pls::alto
