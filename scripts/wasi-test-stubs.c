/* Debian 12's wasi-libc (2022) predates the pthread stubs later wasi-libc releases carry for
 * single-threaded builds, while Rust's std for wasm32-wasip1 (and so every test harness)
 * references these two. A wasm test never starts a thread, so they are never reached; if one
 * were, it would fail the way a non-threaded libc does. Linked only into test programs, by
 * scripts/wasm-ld. */
#include <errno.h>

int pthread_join(void *thread, void **retval) {
  (void)thread;
  (void)retval;
  return ENOSYS;
}

int pthread_detach(void *thread) {
  (void)thread;
  return ENOSYS;
}
