// Counts the process's heap allocations: a benchmark linked with alloc_counter.cpp
// (which replaces the global operator new) reports what one iteration allocates, the
// figure a steady-state request path should keep at zero.
#pragma once

#include <cstdint>

namespace p2pls {

// operator new calls so far, in every thread.
std::uint64_t heap_allocations() noexcept;

}  // namespace p2pls
