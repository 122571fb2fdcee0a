// Touches N GiB of fresh anonymous memory (one write per 4 KB page, 16 threads), 8 GiB at a time, printing
// the rate of each piece: a fresh VM's guest pages are backed by the host on first touch.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
typedef struct { char* p; size_t n; } Job;
static void* run(void* a) { Job* j = a; for (size_t o = 0; o < j->n; o += 4096) j->p[o] = 1; return 0; }
int main(int argc, char** argv) {
  size_t gib = atol(argv[1]), piece = 8ull << 30; int T = 16;
  char* p = mmap(0, gib << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  for (size_t off = 0; off < (gib << 30); off += piece) {
    double t = now(); pthread_t th[16]; Job j[16];
    for (int i = 0; i < T; ++i) { j[i].p = p + off + piece / T * i; j[i].n = piece / T; pthread_create(&th[i], 0, run, &j[i]); }
    for (int i = 0; i < T; ++i) pthread_join(th[i], 0);
    printf("touch %zu-%zu GiB: %.2f s (%.1f GB/s)\n", off >> 30, (off + piece) >> 30, now() - t, piece / 1e9 / (now() - t));
  }
  munmap(p, gib << 30);
  return 0;
}
