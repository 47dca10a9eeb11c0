#ifndef DYNO_MALLOC_COUNTER_H
#define DYNO_MALLOC_COUNTER_H
#include <stdint.h>
// Counting is off until switched on; the Swift side finds these with dlsym (only the dyno executable links them).
void dyno_malloc_counting(int on);
uint64_t dyno_malloc_thread_count(void);
uint64_t dyno_malloc_total_count(void);
#endif
