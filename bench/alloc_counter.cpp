#include "bench/alloc_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace p2pls {
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

std::uint64_t heap_allocations() noexcept {
    return g_allocations.load(std::memory_order_relaxed);
}

}  // namespace p2pls

// Replacing the plain forms is enough: the array and nothrow forms call these.
void* operator new(std::size_t size) {
    p2pls::g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
