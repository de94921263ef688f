/*
 * The process's allocation policy: see memory.h.
 */
#include "memory.h"

#include <stdlib.h> /* defines __GLIBC__ on glibc */

#ifdef __GLIBC__
#include <malloc.h>
#endif

void pl_memory_policy(void)
{
#ifdef __GLIBC__
    /* Setting it also turns off glibc's dynamic adjustment of it. */
    mallopt(M_MMAP_THRESHOLD, PL_MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, PL_TRIM_THRESHOLD);
#endif
}
