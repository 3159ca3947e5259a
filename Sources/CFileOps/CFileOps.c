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

int cfileops_aio_submit(uint64_t context, int fd, int is_write, void *buffer, uint64_t count,
                        int64_t offset, uint64_t data) {
  // The kernel copies the control block during io_submit, so it may live on the stack.
  struct iocb cb;
  memset(&cb, 0, sizeof cb);
  cb.aio_data = data;
  cb.aio_lio_opcode = is_write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
  cb.aio_fildes = (uint32_t)fd;
  cb.aio_buf = (uint64_t)(uintptr_t)buffer;
  cb.aio_nbytes = count;
  cb.aio_offset = offset;
  struct iocb *list[1] = {&cb};
  for (;;) {
    long n = syscall(SYS_io_submit, (aio_context_t)context, 1L, list);
    if (n == 1) return 0;
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? -errno : -EAGAIN;
  }
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
