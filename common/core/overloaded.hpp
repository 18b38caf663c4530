// A visitor made of lambdas, one per alternative, for std::visit. Dispatching a variant
// of actions through it with no catch-all means that a new alternative nobody handles
// is a compile error, not a silently dropped effect.
#pragma once

namespace p2pls {

template <class... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace p2pls
