#pragma once
#include <sqlite3.h>

/// `sqlite3_config` is variadic, which Swift cannot call: one fixed-argument wrapper per setting we use.
/// Memory statistics off (`SQLITE_CONFIG_MEMSTATUS`, 0): with them on, every `sqlite3_malloc`/`sqlite3_free` of
/// every connection takes one process-wide mutex. Must run before the first `sqlite3_open*` (SQLITE_MISUSE after).
static inline int dyno_sqlite3_config_memstatus_off(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
