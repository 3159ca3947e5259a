// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include "CFileOps.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <sys/syscall.h>
#include <linux/aio_abi.h>

int cfileops_punch_hole(int fd, int64_t offset, int64_t length) {
#ifdef FALLOC_FL_PUNCH_HOLE
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0) return 0;
  return -errno;
#else
  (void)fd; (void)offset; (void)length;
  return -EOPNOTSUPP;
#endif
}

int cfileops_allocate(int fd, int64_t offset, int64_t length) {
  if (fallocate(fd, 0, offset, length) == 0) return 0;
  return -errno;
}

int64_t cfileops_seek_data(int fd, int64_t offset) {
  off_t r = lseek(fd, (off_t)offset, SEEK_DATA);
  return r < 0 ? -(int64_t)errno : (int64_t)r;
}

int64_t cfileops_seek_hole(int fd, int64_t offset) {
  off_t r = lseek(fd, (off_t)offset, SEEK_HOLE);
  return r < 0 ? -(int64_t)errno : (int64_t)r;
}

int cfileops_direct_flag(void) {
#ifdef O_DIRECT
  return O_DIRECT;
#else
  return 0;
#endif
}

int cfileops_aio_setup(unsigned depth, uint64_t *context) {
  aio_context_t ctx = 0;
  if (syscall(SYS_io_setup, depth, &ctx) < 0) return -errno;
  *context = (uint64_t)ctx;
  return 0;
}

int cfileops_aio_destroy(uint64_t context) {
  if (syscall(SYS_io_destroy, (aio_context_t)context) < 0) return -errno;
  return 0;
}

int cfileops_aio_submit(uint64_t context, const cfileops_aio_request *requests, int n) {
  // The kernel copies the control blocks during io_submit, so they may live on the stack.
  struct iocb cbs[64];
  struct iocb *list[64];
  if (n < 0 || n > 64) return -EINVAL;
  for (int i = 0; i < n; i++) {
    memset(&cbs[i], 0, sizeof cbs[i]);
    cbs[i].aio_data = requests[i].data;
    cbs[i].aio_lio_opcode = requests[i].is_write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
    cbs[i].aio_fildes = (uint32_t)requests[i].fd;
    cbs[i].aio_buf = (uint64_t)(uintptr_t)requests[i].buffer;
    cbs[i].aio_nbytes = requests[i].count;
    cbs[i].aio_offset = requests[i].offset;
    list[i] = &cbs[i];
  }
  int done = 0;
  while (done < n) {
    long r = syscall(SYS_io_submit, (aio_context_t)context, (long)(n - done), list + done);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return done > 0 ? done : -errno;
    if (r == 0) return done > 0 ? done : -EAGAIN;
    done += (int)r;
  }
  return done;
}

int cfileops_aio_getevents(uint64_t context, int min, int max, cfileops_aio_event *events) {
  struct io_event raw[64];
  if (max > 64) max = 64;
  if (min > max) min = max;
  for (;;) {
    long n = syscall(SYS_io_getevents, (aio_context_t)context, (long)min, (long)max, raw, NULL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    for (long i = 0; i < n; i++) {
      events[i].data = raw[i].data;
      events[i].res = raw[i].res;
    }
    return (int)n;
  }
}
