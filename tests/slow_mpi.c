/* Preloaded (LD_PRELOAD) by tests/test_interpreter_exit.py into data-parallel programs that exit
 * while a daemon thread trains (issue 13). It does two things:
 *
 * - It makes MPI slow, as ThreadSanitizer's timing did: every MPI_Test stays inside MPI for
 *   SLOW_MPI_US microseconds, testing again and again, so that a training thread spends nearly all
 *   its time inside an MPI call.
 * - It checks the rule whose breach crashed such programs: MPI_Finalize (which mpi4py calls at the
 *   very end of interpreter exit) must not run while another thread is inside an MPI call. Under
 *   MPICH that overlap ended 7 of 15 two-rank runs (MPI_Test kept 0.2 s inside MPICH) with SIGSEGV,
 *   SIGABRT or "after finalizing MPICH"; here it ends the process with status 86 and a message every
 *   time it happens, not by chance.
 *
 * Build: cc -shared -fPIC -o slow_mpi.so slow_mpi.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kOverlap = 86 };

static atomic_int threads_in_test;
static atomic_int finalizing;

struct Lookup {
  const char* name;
  void* found;
};

static int look_in(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  struct Lookup* lookup = data;
  if (!info->dlpi_name || !info->dlpi_name[0]) return 0;
  void* library = dlopen(info->dlpi_name, RTLD_NOLOAD | RTLD_LAZY);
  if (!library) return 0;
  lookup->found = dlsym(library, lookup->name);
  dlclose(library);
  return lookup->found != NULL;
}

/* The MPI library's own entry point: mpi4py loads the library privately (RTLD_LOCAL), out of
 * RTLD_NEXT's reach, so every loaded object is searched. */
static void* mpi_function(const char* name) {
  struct Lookup lookup = {name, dlsym(RTLD_NEXT, name)};
  if (!lookup.found) dl_iterate_phdr(look_in, &lookup);
  if (!lookup.found) {
    fprintf(stderr, "slow_mpi: %s not found in any loaded library\n", name);
    _exit(2);
  }
  return lookup.found;
}

static void overlap(const char* what) {
  fprintf(stderr, "slow_mpi: %s\n", what);
  fflush(stderr);
  _exit(kOverlap);
}

static double now(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return time.tv_sec + 1e-9 * time.tv_nsec;
}

int MPI_Test(void* request, int* flag, void* status) {
  static int (*test)(void*, int*, void*);
  if (!test) test = (int (*)(void*, int*, void*))mpi_function("PMPI_Test");
  atomic_fetch_add(&threads_in_test, 1);
  if (atomic_load(&finalizing)) overlap("MPI_Test called while MPI_Finalize runs");
  const char* us = getenv("SLOW_MPI_US");
  const double until = now() + 1e-6 * (us ? atoi(us) : 300000);
  const int result = test(request, flag, status);
  /* A completed request is now MPI_REQUEST_NULL, whose tests complete at once. */
  int scratch;
  while (now() < until) test(request, &scratch, status);
  atomic_fetch_sub(&threads_in_test, 1);
  return result;
}

int MPI_Finalize(void) {
  static int (*finalize)(void);
  if (!finalize) finalize = (int (*)(void))mpi_function("PMPI_Finalize");
  atomic_store(&finalizing, 1);
  if (atomic_load(&threads_in_test) > 0) overlap("MPI_Finalize called while another thread is inside MPI_Test");
  return finalize();
}
