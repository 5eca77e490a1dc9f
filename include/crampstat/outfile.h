/* An output file that appears whole or not at all: written under a
 * temporary name (or none) in its directory, and given its name only
 * when it is complete. A run that fails, or is killed by SIGINT, SIGTERM
 * or SIGHUP, leaves the old file, if any, and no temporary one. */
#ifndef CRAMPSTAT_OUTFILE_H
#define CRAMPSTAT_OUTFILE_H

#include <crampstat/error.h>

#define CS_OUTFILE_PATH 4096

typedef struct cs_outfile {
    int fd;                       /* write here */
    char path[CS_OUTFILE_PATH];   /* the name it gets */
    char tmp[CS_OUTFILE_PATH + 32];
    int unnamed;                  /* O_TMPFILE: no name until commit */
    int slot;                     /* in the signal handler's list */
} cs_outfile;

/* Open a regular file's replacement beside path, with the mode "> path"
 * would leave (the old file's permission bits, or 0666 less the umask for
 * a new one): an unnamed file (O_TMPFILE) where the file system has one,
 * else ".NAME.XXXXXX".
 * CS_EUSAGE (path too long), CS_EIO. CRAMPSTAT_NO_TMPFILE=1 in the
 * environment makes it take the named way (for testing that path). */
int cs_outfile_open(cs_outfile *o, const char *path, cs_error *err);
/* Flush to disk and give it its name, replacing the old file; closes
 * o->fd. On failure the temporary file is removed (CS_EIO). */
int cs_outfile_commit(cs_outfile *o, cs_error *err);
/* Close and remove it without naming it. */
void cs_outfile_discard(cs_outfile *o);

#endif
