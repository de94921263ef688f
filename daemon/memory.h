/*
 * The process's allocation policy, set once at the start of main() by
 * presslined and by pressline (whose `worker` and `process` commands run
 * the stages), before any thread starts.
 */
#ifndef PL_MEMORY_H
#define PL_MEMORY_H

/* Allocations of PL_MMAP_THRESHOLD bytes or more get pages of their own
 * (mmap), which go back to the system the moment they are freed. glibc's
 * default threshold rises to the size of the largest such block freed so
 * far (up to 32 MB): after one 10 MB article, every later document copy and
 * token array of a few MB lands in the threads' arenas, and freeing them
 * leaves those arenas fragmented, so malloc_trim can give back only part
 * (the daemon's resident size stayed 70 MB above where it was; with a fixed
 * threshold it comes back within 3 MB). */
#define PL_MMAP_THRESHOLD (1024 * 1024)

/* Fixes the threshold (mallopt); does nothing outside glibc. */
void pl_memory_policy(void);

#endif
