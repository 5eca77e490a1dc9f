/* Memory for the few tables that grow as the input is read and reach
 * megabytes: the survey's waves, participants and wave text (a cs_buf
 * made by cs_buf_init_grown), and the participants and per-participant
 * entries of the cluster-robust and dose-response sums.
 *
 * realloc grows a large block by moving it (mremap). On the virtual
 * machines this was measured on, the first touch of each page of a moved
 * block then costs about 5 us: reading a 32 MB table once after its last
 * doubling took 40 ms instead of 1 ms. Here a block is a reservation of
 * address space whose pages are taken only as they are first written, so
 * it grows where it is; past its first 2 MiB it may ask for huge pages
 * (cs_grow_huge_pages), one fault for 512 pages. A block that outgrows
 * its reservation (1 GiB) moves once into one twice as large.
 *
 * The block is malloc's instead, grown by realloc, where reserving would
 * do harm or no reservation can be had: under a limit of the address
 * space (ulimit -v), with vm.overcommit_memory 2, in a build with
 * AddressSanitizer, and when CRAMPSTAT_GROW=malloc is set in the
 * environment (for valgrind): those tools then see each block's exact
 * bounds. */
#ifndef CRAMPSTAT_GROW_H
#define CRAMPSTAT_GROW_H

#include <stddef.h>

/* As realloc: p is NULL or a block from here; NULL when out of memory
 * (p is then left as it was). The bytes beyond the old size are not
 * set. */
void *cs_grow_realloc(void *p, size_t n);
void cs_grow_free(void *p);

/* Whether large tables ask the kernel for huge pages (1) or keep its
 * default pages (0): for the reservations here, past their first 2 MiB,
 * and the id set's tables of 4 MiB and more. Neither is faster everywhere.
 * A huge page takes one fault where small pages take 512 and spares the
 * TLB when a table is read at random; but where the kernel reports free
 * blocks of 2 MiB to a hypervisor that takes them back (a virtio balloon
 * with free page reporting), a fresh huge page is 2 MiB that the host must
 * find and clear anew, while small pages mostly come from memory it still
 * holds. On one such host (docs/performance-log.md, rounds 28 and 34), runs
 * started on an idle machine spent 0.29 s of system time clearing huge
 * pages where small ones took 0.09 s, and `analyze` of sessions grouped
 * by participant took 1.20 times the wall time with huge pages.
 * So the default is small pages where such a balloon is found in /sys, and
 * huge pages elsewhere; CRAMPSTAT_HUGEPAGES=off or =on chooses instead.
 * The environment is read at each new table, so a test may set it; /sys
 * once. */
int cs_grow_huge_pages(void);

/* For tests: the same with a reservation of reserve bytes; and whether p
 * lies in a reservation (1) or is malloc's (0). */
void *cs__grow_realloc_reserve(void *p, size_t n, size_t reserve);
int cs__grow_reserved(const void *p);

/* For tests: whether the sysfs tree at sys (normally "/sys") has a virtio
 * balloon that reports free pages to its host (1) or not (0). */
int cs__grow_free_pages_reported(const char *sys);

#endif
