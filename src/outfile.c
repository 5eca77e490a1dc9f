/* Output files that appear whole (outfile.h): the commands' -o files and
 * gen's data sets. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <crampstat/outfile.h>

/* The named temporary files in existence, for the signal handler: a run
 * killed by SIGINT or SIGTERM removes them before dying. An unnamed file
 * (O_TMPFILE) has a name only between linking it and renaming it into
 * place. A few at once: gen writes two. */
#define SLOTS 4
static volatile sig_atomic_t active[SLOTS];   /* names[i] exists on disk */
static char names[SLOTS][CS_OUTFILE_PATH + 32];
static int in_use[SLOTS];                     /* slot taken by an open file */

static void on_signal(int sig)
{
    for (int i = 0; i < SLOTS; i++)
        if (active[i])
            unlink(names[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void arm(cs_outfile *o)
{
    memcpy(names[o->slot], o->tmp, sizeof names[o->slot]);
    atomic_signal_fence(memory_order_seq_cst);   /* the name before the flag */
    active[o->slot] = 1;
}

static void disarm(cs_outfile *o)
{
    active[o->slot] = 0;
}

static void release(cs_outfile *o)
{
    disarm(o);
    in_use[o->slot] = 0;
}

/* Clean up on SIGINT, SIGTERM and SIGHUP, but leave a signal ignored
 * (nohup, a background job) ignored. */
static void install(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction sa, old;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
}

/* An unnamed file in the directory of path (its first dirlen bytes),
 * which a SIGKILL leaves no trace of: O_TMPFILE, where the file system
 * has it, and where /proc/self/fd lets linkat give it a name at the end.
 * -1 when not (the caller falls back to a named temporary file). */
static int open_unnamed(const char *path, size_t dirlen)
{
#ifdef O_TMPFILE
    char dir[CS_OUTFILE_PATH], proc[64];
    const char *no = getenv("CRAMPSTAT_NO_TMPFILE");
    int fd;

    if ((no && *no && strcmp(no, "0") != 0) || dirlen >= sizeof dir)
        return -1;
    if (dirlen == 0)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)dirlen, path);
    fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (access(proc, F_OK) != 0) {
        close(fd);
        return -1;
    }
    return fd;
#else
    (void)path;
    (void)dirlen;
    return -1;
#endif
}

/* The process's umask, read without changing it (/proc/self/status,
 * Linux 4.7 on): setting it to read it back would leave a moment in which
 * another thread's new file takes no mask. Elsewhere, that moment. */
static mode_t current_umask(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[128];
    unsigned m;
    mode_t u;

    if (f) {
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Umask: %o", &m) == 1) {
                fclose(f);
                return (mode_t)(m & 0777);
            }
        fclose(f);
    }
    u = umask(0);
    umask(u);
    return u;
}

/* The mode the output gets: what "> FILE" would leave. A file that is
 * there keeps its permission bits; a new one has 0666 less the umask, as
 * open(2) creates it. (The temporary starts at 0600, mkstemp's, and an
 * unnamed one at whatever O_TMPFILE gave, so the mode is always set.) */
static mode_t output_mode(const char *path)
{
    struct stat st;

    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        return st.st_mode & 0777;
    return 0666 & ~current_umask();
}

int cs_outfile_open(cs_outfile *o, const char *path, cs_error *err)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    static int installed;
    int slot;

    memset(o, 0, sizeof *o);
    o->fd = -1;
    if (strlen(path) + 16 >= sizeof o->path)
        return cs_error_at(err, CS_EUSAGE, (cs_pos){ path, 0, 0 },
                           "output path too long");
    for (slot = 0; slot < SLOTS && in_use[slot]; slot++)
        ;
    if (slot == SLOTS)
        return cs_error_at(err, CS_EUSAGE, (cs_pos){ path, 0, 0 },
                           "too many output files at once");
    o->slot = slot;
    in_use[slot] = 1;
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%.*s.%s.XXXXXX", (int)dirlen, path,
             path + dirlen);
    if ((o->fd = open_unnamed(path, dirlen)) >= 0) {
        o->unnamed = 1;
    } else {
        if ((o->fd = mkstemp(o->tmp)) < 0) {
            int e = errno;
            in_use[slot] = 0;
            return cs_error_at(err, CS_EIO, (cs_pos){ path, 0, 0 },
                               "cannot create a temporary file beside it: %s",
                               strerror(e));
        }
        arm(o);
    }
    fchmod(o->fd, output_mode(path));
    if (!installed) {
        install();
        installed = 1;
    }
    return CS_OK;
}

/* Give the finished unnamed file its name: link it under a fresh
 * temporary name beside it, then rename that over the path (linkat
 * cannot replace a file). 0, or with errno -1 when it cannot be linked,
 * -2 when the link cannot be renamed. */
static int link_unnamed(cs_outfile *o)
{
    char proc[64];
    size_t n = strlen(o->tmp) - 6;  /* the XXXXXX */
    struct timespec ts;

    snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->fd);
    clock_gettime(CLOCK_REALTIME, &ts);
    for (unsigned i = 0; i < 100; i++) {
        unsigned long x = ((unsigned long)ts.tv_nsec ^
                           ((unsigned long)getpid() << 8)) + i * 7919u;
        snprintf(o->tmp + n, 7, "%06lx", x & 0xffffff);
        arm(o);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, o->tmp, AT_SYMLINK_FOLLOW) == 0)
            return rename(o->tmp, o->path) == 0 ? 0 : -2;
        disarm(o);
        if (errno != EEXIST)
            return -1;
    }
    return -1;
}

int cs_outfile_commit(cs_outfile *o, cs_error *err)
{
    const char *what = NULL;
    int e = 0;

    if (fsync(o->fd) < 0 && errno != EINVAL) {
        what = "write failed";
        e = errno;
    } else if (o->unnamed) {
        int rc = link_unnamed(o);
        e = errno;
        if (rc < 0)
            what = rc == -1 ? "cannot link the finished output into place"
                            : "cannot rename the finished output into place";
    }
    if (close(o->fd) < 0 && !what) {
        what = "write failed";
        e = errno;
    }
    o->fd = -1;
    if (!what && !o->unnamed && rename(o->tmp, o->path) < 0) {
        what = "cannot rename the finished output into place";
        e = errno;
    }
    if (what && active[o->slot])
        unlink(o->tmp);
    release(o);
    if (what)
        return cs_error_at(err, CS_EIO, (cs_pos){ o->path, 0, 0 }, "%s: %s",
                           what, strerror(e));
    return CS_OK;
}

void cs_outfile_discard(cs_outfile *o)
{
    if (o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    if (active[o->slot])
        unlink(o->tmp);
    release(o);
}
