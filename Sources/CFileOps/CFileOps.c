// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include "CFileOps.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

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
