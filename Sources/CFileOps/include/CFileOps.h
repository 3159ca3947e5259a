// SPDX-License-Identifier: GPL-3.0-or-later
// The few Linux file calls Glibc does not surface to Swift cleanly.
#ifndef CFILEOPS_H
#define CFILEOPS_H
#include <stdint.h>

/// Deallocate [offset, offset+length) of an open file, keeping its size (FALLOC_FL_PUNCH_HOLE).
/// Returns 0 or -errno.
int cfileops_punch_hole(int fd, int64_t offset, int64_t length);

/// Allocate storage for [offset, offset+length) of an open file, growing it if needed (fallocate mode 0):
/// fails with -ENOSPC when the filesystem cannot hold it. Returns 0 or -errno.
int cfileops_allocate(int fd, int64_t offset, int64_t length);

/// Next offset >= `offset` that holds data (SEEK_DATA). Returns the offset, or -errno
/// (-ENXIO when there is no data after `offset`).
int64_t cfileops_seek_data(int fd, int64_t offset);

/// Next hole at or after `offset` (SEEK_HOLE); end of file counts as a hole. Returns the offset or -errno.
int64_t cfileops_seek_hole(int fd, int64_t offset);

/// The O_DIRECT open flag (Glibc hides it from Swift behind _GNU_SOURCE); 0 where there is none.
int cfileops_direct_flag(void);

/// One completed Linux native AIO request: the caller's tag and the result (bytes moved, or -errno).
typedef struct {
  uint64_t data;
  int64_t res;
} cfileops_aio_event;

/// Linux native AIO (io_setup, io_submit, io_getevents, io_destroy: the kernel interface libaio wraps
/// and tapdisk drives its images with), called as system calls so no library is needed.
/// A context for `depth` requests in flight; 0 or -errno.
int cfileops_aio_setup(unsigned depth, uint64_t *context);
/// Frees the context (waiting for what is still in flight); 0 or -errno.
int cfileops_aio_destroy(uint64_t context);
/// One pread (`is_write` 0) or pwrite of `count` bytes at `offset` through `buffer` (aligned for
/// O_DIRECT), tagged `data`.
typedef struct {
  uint64_t data;
  void *buffer;
  uint64_t count;
  int64_t offset;
  int32_t fd;
  int32_t is_write;
} cfileops_aio_request;

/// Submits `n` requests (at most 64) in one io_submit call, as tapdisk submits what one turn of its
/// event loop queued. The count submitted (the first ones; fewer than `n` only on an error), or
/// -errno when none was (-EAGAIN: the context is full).
int cfileops_aio_submit(uint64_t context, const cfileops_aio_request *requests, int n);
/// Waits for at least `min` completions and returns up to `max` of them in `events` (count or -errno;
/// an interrupted wait is retried).
int cfileops_aio_getevents(uint64_t context, int min, int max, cfileops_aio_event *events);

#endif
