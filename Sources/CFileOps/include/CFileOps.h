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

#endif
