/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CGSL_SHIM_H
#define CGSL_SHIM_H
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_sort_double.h>
#include <gsl/gsl_histogram.h>
#include <gsl/gsl_rstat.h>
#include <gsl/gsl_fit.h>
/* Swift 6 rejects reads of C mutable globals such as gsl_rng_mt19937 (SE-0412): expose accessors. */
static inline const gsl_rng_type *cgsl_rng_mt19937(void) { return gsl_rng_mt19937; }
/*
 * Seeding mt19937 from more than 32 bits. gsl_rng_set() keeps only the low 32 bits of its seed, so two
 * 64-bit stream seeds that agree there would give identical streams. MT's reference init_by_array() takes
 * a key of any length, but GSL does not export it, so these helpers write GSL's private mt19937 state
 * (rng/mt.c: unsigned long mt[624]; int mti;) through a mirror struct. Swift uses them only after a runtime
 * check (type, state size, and cgsl_mt19937_init_genrand() reproducing gsl_rng_set() output) has proven
 * the layout; otherwise it falls back to gsl_rng_set().
 */
#include <stddef.h>
#include <stdint.h>
typedef struct {
  unsigned long mt[624];
  int mti;
} cgsl_mt19937_state;

static inline int cgsl_mt19937_layout_plausible(const gsl_rng *r) {
  return r != NULL && r->type == gsl_rng_mt19937 && r->type->size == sizeof(cgsl_mt19937_state);
}

/* MT reference init_genrand(); for s != 0 it equals GSL's mt_set(), which the layout check relies on. */
static inline void cgsl_mt19937_init_genrand(gsl_rng *r, uint32_t s) {
  cgsl_mt19937_state *st = (cgsl_mt19937_state *)r->state;
  st->mt[0] = s;
  for (int i = 1; i < 624; i++) {
    st->mt[i] = (1812433253UL * (st->mt[i - 1] ^ (st->mt[i - 1] >> 30)) + (unsigned long)i) & 0xffffffffUL;
  }
  st->mti = 624;
}

/* MT reference init_by_array() (Matsumoto & Nishimura, 2002-01-26). */
static inline void cgsl_mt19937_init_by_array(gsl_rng *r, const uint32_t *key, size_t length) {
  cgsl_mt19937_state *st = (cgsl_mt19937_state *)r->state;
  unsigned long *mt = st->mt;
  const size_t n = 624;
  cgsl_mt19937_init_genrand(r, 19650218UL);
  size_t i = 1, j = 0;
  for (size_t k = (n > length ? n : length); k; k--) {
    mt[i] = ((mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525UL)) + key[j] + j) & 0xffffffffUL;
    i++;
    j++;
    if (i >= n) { mt[0] = mt[n - 1]; i = 1; }
    if (j >= length) j = 0;
  }
  for (size_t k = n - 1; k; k--) {
    mt[i] = ((mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941UL)) - i) & 0xffffffffUL;
    i++;
    if (i >= n) { mt[0] = mt[n - 1]; i = 1; }
  }
  mt[0] = 0x80000000UL;
  st->mti = 624;
}
#endif
