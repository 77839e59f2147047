/* The pthread stubs that wasi-libc carries for single-threaded wasm32-wasip1 since 2023, which
 * Debian 12's wasi-libc (2022) predates. Rust's std references these (thread spawning, and so
 * libtest and rayon); without threads they fail the way the newer wasi-libc stubs do, so
 * std::thread::spawn returns an error and code that can, runs on the current thread instead.
 * Linked into every wasm32-wasip1 program and library by scripts/wasm-ld. */
#include <errno.h>
#include <stddef.h>

int pthread_create(void *thread, const void *attr, void *(*start)(void *), void *arg) {
  (void)thread;
  (void)attr;
  (void)start;
  (void)arg;
  return ENOTSUP;
}

int pthread_join(void *thread, void **retval) {
  (void)thread;
  (void)retval;
  return ESRCH;
}

int pthread_detach(void *thread) {
  (void)thread;
  return ESRCH;
}

int pthread_attr_init(void *attr) {
  (void)attr;
  return 0;
}

int pthread_attr_destroy(void *attr) {
  (void)attr;
  return 0;
}

int pthread_attr_setstacksize(void *attr, size_t size) {
  (void)attr;
  (void)size;
  return 0;
}
