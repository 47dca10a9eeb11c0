#pragma once
// What Swift cannot import from curses.h (function-like macros such as COLOR_PAIR, A_BOLD, getmaxyx, stdscr) and
// the async-signal-safe parts of terminal hygiene (signal handlers must not run Swift code).
#include "../../CNcurses/shim.h"

/// The standard screen (a macro in ncurses builds with reentrant support).
WINDOW *dyno_stdscr(void);
/// getmaxyx(win, *rows, *cols).
void dyno_getmaxyx(WINDOW *win, int *rows, int *cols);
/// COLOR_PAIR(n).
int dyno_color_pair(int n);
/// Attribute bits: A_BOLD, A_DIM, A_REVERSE, A_UNDERLINE.
int dyno_attr_bold(void);
int dyno_attr_dim(void);
int dyno_attr_reverse(void);
int dyno_attr_underline(void);
/// ERR.
int dyno_err(void);
/// COLORS (the number of colours the terminal has, after start_color).
int dyno_colors(void);
/// newterm(NULL, stdout, stdin): NULL when the terminal type is unknown (unlike initscr, which exits).
SCREEN *dyno_newterm(void);
/// Writes `utf8` at (y, x) with the attributes `attrs` (A_* bits) and colour pair `pair`; clips at the right edge.
void dyno_put(WINDOW *win, int y, int x, const char *utf8, int attrs, short pair);

/// Saves the tty modes of stdin as the shell had them; call before newterm (which already changes them).
void dyno_terminal_save_modes(void);
/// Saves terminfo's rmcup/cnorm/sgr0 strings and installs handlers for
/// fatal signals (SEGV, BUS, ILL, FPE, ABRT, TRAP) that, in order: restore the terminal with async-signal-safe
/// writes and the tty modes saved by dyno_terminal_save_modes, point fd 2 back at `saved_stderr_fd`, copy what was written to `capture_fd` (stderr during the console)
/// to it, reinstall the previous handler and re-raise. Call after setupterm/newterm, before the first draw.
/// `saved_stderr_fd` / `capture_fd` may be -1 (nothing to copy).
void dyno_terminal_guard_install(int saved_stderr_fd, int capture_fd);
/// Puts the previous fatal-signal handlers back (after a normal endwin) and forgets the stderr descriptors.
void dyno_terminal_guard_remove(void);
/// For an exit() while the console is up (atexit, after endwin): points fd 2 back at the saved stderr and
/// replays what was captured, once.
void dyno_terminal_replay_stderr(void);

/// Unblocks SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGTSTP and SIGCONT in the calling thread and resets an ignored
/// SIGWINCH to the default, so ncurses sees resizes even when dyno was started by a process that blocks or
/// ignores signals (a parent's mask and ignored dispositions survive exec). Call before newterm.
void dyno_terminal_signals_reset(void);
/// Installs handlers for SIGINT, SIGTERM and SIGHUP that only record the signal number.
void dyno_quit_signals_install(void);
/// Restores the previous SIGINT/SIGTERM/SIGHUP handlers.
void dyno_quit_signals_remove(void);
/// The last quit signal received since install (0: none).
int dyno_quit_signal_received(void);
