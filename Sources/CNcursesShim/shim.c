#include "CNcursesShim.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <ncursesw/term.h>

WINDOW *dyno_stdscr(void) { return stdscr; }
void dyno_getmaxyx(WINDOW *win, int *rows, int *cols) { int y, x; getmaxyx(win, y, x); *rows = y; *cols = x; }
int dyno_color_pair(int n) { return (int)COLOR_PAIR(n); }
int dyno_attr_bold(void) { return (int)A_BOLD; }
int dyno_attr_dim(void) { return (int)A_DIM; }
int dyno_attr_reverse(void) { return (int)A_REVERSE; }
int dyno_attr_underline(void) { return (int)A_UNDERLINE; }
int dyno_err(void) { return ERR; }
int dyno_colors(void) { return COLORS; }
SCREEN *dyno_newterm(void) { return newterm(NULL, stdout, stdin); }

void dyno_put(WINDOW *win, int y, int x, const char *utf8, int attrs, short pair) {
    wattr_set(win, (attr_t)attrs, pair, NULL);
    // The bottom-right cell makes waddstr return ERR (the cursor cannot advance); the text is still drawn.
    mvwaddstr(win, y, x, utf8);
    wattr_set(win, A_NORMAL, 0, NULL);
}

// MARK: - fatal-signal terminal restore

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP };
#define FATAL_COUNT (int)(sizeof(fatal_signals) / sizeof(fatal_signals[0]))
static struct sigaction previous_fatal[FATAL_COUNT];
static volatile sig_atomic_t guard_installed = 0;
static struct termios saved_termios;
static int have_termios = 0;
static int saved_stderr = -1;
static int capture = -1;
// Escape strings copied from terminfo at install time (a signal handler must not call into terminfo).
static char restore_sequence[256];
static size_t restore_length = 0;

static void append_cap(const char *name) {
    char *cap = tigetstr((char *)name);
    if (cap == NULL || cap == (char *)-1) return;
    size_t n = strlen(cap);
    if (restore_length + n >= sizeof(restore_sequence)) return;
    memcpy(restore_sequence + restore_length, cap, n);
    restore_length += n;
}

static void write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return;
        p += w; n -= (size_t)w;
    }
}

void dyno_terminal_replay_stderr(void) {
    if (saved_stderr < 0) return;
    dup2(saved_stderr, STDERR_FILENO);
    if (capture >= 0 && lseek(capture, 0, SEEK_SET) == 0) {
        char buffer[4096];
        ssize_t n;
        while ((n = read(capture, buffer, sizeof buffer)) > 0) write_all(STDERR_FILENO, buffer, (size_t)n);
    }
    saved_stderr = -1;
    capture = -1;
}

static void fatal_handler(int sig) {
    // 1. Restore the terminal: attributes, cursor, leave the alternate screen, then the tty modes.
    write_all(STDOUT_FILENO, restore_sequence, restore_length);
    write_all(STDOUT_FILENO, "\r\n", 2);
    if (have_termios) tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    // 2. Give stderr back and replay what was written there while the console owned the screen
    //    (the Swift runtime prints "Fatal error: ..." before it traps).
    dyno_terminal_replay_stderr();
    // 3. Let the previous handler (Swift's backtracer, or the default action) do its job.
    for (int i = 0; i < FATAL_COUNT; i++) {
        if (fatal_signals[i] == sig) sigaction(sig, &previous_fatal[i], NULL);
    }
    guard_installed = 0;
    raise(sig);
}

void dyno_terminal_save_modes(void) {
    have_termios = tcgetattr(STDIN_FILENO, &saved_termios) == 0;
}

void dyno_terminal_guard_install(int saved_stderr_fd, int capture_fd) {
    if (guard_installed) return;
    restore_length = 0;
    append_cap("sgr0");
    append_cap("cnorm");
    append_cap("rmcup");
    saved_stderr = saved_stderr_fd;
    capture = capture_fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = fatal_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    for (int i = 0; i < FATAL_COUNT; i++) sigaction(fatal_signals[i], &action, &previous_fatal[i]);
    guard_installed = 1;
}

void dyno_terminal_guard_remove(void) {
    // The caller replays and closes the descriptors itself from here on.
    saved_stderr = -1;
    capture = -1;
    if (!guard_installed) return;
    for (int i = 0; i < FATAL_COUNT; i++) sigaction(fatal_signals[i], &previous_fatal[i], NULL);
    guard_installed = 0;
}

void dyno_terminal_signals_reset(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTSTP);
    sigaddset(&set, SIGCONT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    struct sigaction current;
    if (sigaction(SIGWINCH, NULL, &current) == 0 && current.sa_handler == SIG_IGN) signal(SIGWINCH, SIG_DFL);
}

// MARK: - quit signals

static const int quit_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define QUIT_COUNT (int)(sizeof(quit_signals) / sizeof(quit_signals[0]))
static struct sigaction previous_quit[QUIT_COUNT];
static volatile sig_atomic_t quit_received = 0;
static int quit_installed = 0;

static void quit_handler(int sig) { quit_received = sig; }

void dyno_quit_signals_install(void) {
    if (quit_installed) return;
    quit_received = 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = quit_handler;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a blocking read returns EINTR so the loop notices at once.
    for (int i = 0; i < QUIT_COUNT; i++) sigaction(quit_signals[i], &action, &previous_quit[i]);
    quit_installed = 1;
}

void dyno_quit_signals_remove(void) {
    if (!quit_installed) return;
    for (int i = 0; i < QUIT_COUNT; i++) sigaction(quit_signals[i], &previous_quit[i], NULL);
    quit_installed = 0;
}

int dyno_quit_signal_received(void) { return quit_received; }
