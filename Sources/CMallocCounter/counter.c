// A malloc counter for `dyno bench` (allocations per operation) and mallocs-per-request measurements: the dyno
// executable defines malloc, calloc and realloc itself, so every allocation of the process (Swift runtime,
// Foundation, SQLite) comes through here, and forwards to glibc's own implementation (__libc_malloc & co.).
//
// Off by default: then the cost is one relaxed load and a branch per allocation. When on, each allocation adds one
// to a thread-local count (what a benchmark on its own thread reads) and one to a process-wide atomic count.
// free() is glibc's and untouched. posix_memalign/aligned_alloc (used by Swift only for over-aligned types) are
// not counted. Only the executable links this target: the test bundles keep the plain system malloc.
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "CMallocCounter.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);

static atomic_int counting;
static atomic_uint_fast64_t total;
static __thread uint64_t thread_count;

static inline void count_one(void) {
    if (atomic_load_explicit(&counting, memory_order_relaxed)) {
        thread_count += 1;
        atomic_fetch_add_explicit(&total, 1, memory_order_relaxed);
    }
}

void *malloc(size_t size) { count_one(); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { count_one(); return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { count_one(); return __libc_realloc(pointer, size); }

void dyno_malloc_counting(int on) { atomic_store_explicit(&counting, on, memory_order_relaxed); }
uint64_t dyno_malloc_thread_count(void) { return thread_count; }
uint64_t dyno_malloc_total_count(void) { return atomic_load_explicit(&total, memory_order_relaxed); }
