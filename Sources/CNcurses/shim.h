#pragma once
// Wide-character ncurses (ncursesw): the _XOPEN_SOURCE_EXTENDED define exposes the wide API (cchar_t, *_wch).
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncursesw/curses.h>
