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

/* Free memory at the top of an arena is given back to the system only
 * beyond PL_TRIM_THRESHOLD bytes. Fixing the mmap threshold also fixes
 * glibc's trim threshold at its 128 KB default, and every article
 * allocates and frees blocks of that size (its document copies, its
 * tokens) on each stage's thread: each free shrank the arena (madvise,
 * 3.5 calls an article in the default pipeline) and the next article
 * faulted the pages back in, a third of the daemon's system time. An
 * arena keeps up to this much instead; an article over 1 MB is still
 * followed by malloc_trim (worker.c, broker.c). */
#define PL_TRIM_THRESHOLD (4 * 1024 * 1024)

/* Fixes the threshold (mallopt); does nothing outside glibc. */
void pl_memory_policy(void);

#endif
