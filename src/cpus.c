/* The CPU time a process may use by its control groups' quota (cgroup v2
 * cpu.max, v1 cpu.cfs_quota_us over cpu.cfs_period_us): what docker
 * --cpus, systemd's CPUQuota= and Kubernetes' CPU limits set, where the
 * CPU affinity still names every CPU. The smallest quota of the
 * process's group and the groups above it holds. Read from /proc and
 * /sys under a root (the tests give a tree of their own). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* root/path opened for reading, or NULL. */
static FILE *open_under(const char *root, const char *path)
{
    char full[4096];

    if ((size_t)snprintf(full, sizeof full, "%s%s", root, path) >= sizeof full)
        return NULL;
    return fopen(full, "r");
}

int cs__read_line(const char *root, const char *path, char *buf,
                  size_t cap)
{
    FILE *f = open_under(root, path);
    int ok;

    if (!f)
        return -1;
    ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* A decimal of at most 18 digits, alone; -1 otherwise. */
static long long number(const char *s)
{
    long long v = 0;
    int n = 0;

    for (; *s >= '0' && *s <= '9' && n < 18; s++, n++)
        v = v * 10 + (*s - '0');
    return n && *s == '\0' ? v : -1;
}

/* Is word one of the comma-separated words of list? */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = list; p; p = strchr(p, ',')) {
        if (*p == ',')
            p++;
        if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0' ||
                                         p[n] == ' ' || p[n] == '\n'))
            return 1;
    }
    return 0;
}

/* The quota in thousandths of a CPU at dir (below root), or -1: v2's
 * cpu.max "QUOTA PERIOD" ("max": none), v1's two files. */
static long long quota_at(const char *root, const char *dir, int v2)
{
    char path[4096], line[128];
    long long q, p;

    if (v2) {
        char *sp;
        if ((size_t)snprintf(path, sizeof path, "%s/cpu.max", dir) >= sizeof path ||
            cs__read_line(root, path, line, sizeof line) < 0 ||
            !(sp = strchr(line, ' ')))
            return -1;
        *sp = '\0';
        q = number(line);
        p = number(sp + 1);
    } else {
        if ((size_t)snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir) >= sizeof path ||
            cs__read_line(root, path, line, sizeof line) < 0)
            return -1;
        q = number(line);             /* "-1": none */
        if ((size_t)snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir) >=
            sizeof path)
            return -1;
        p = cs__read_line(root, path, line, sizeof line) < 0 ? -1 : number(line);
    }
    if (q <= 0 || p <= 0)
        return -1;
    return q * 1000 / p;
}

/* Where the hierarchy of the cpu controller is mounted (v1: a cgroup
 * mount with "cpu" among its options; v2: the cgroup2 mount) and the
 * group it mounts as its root; 0 when found. */
static int mount_of(const char *root, int v2, char *point, size_t pcap,
                    char *mroot, size_t rcap)
{
    char line[4096];
    FILE *f = open_under(root, "/proc/self/mountinfo");
    int found = 0;

    if (!f)
        return -1;
    while (!found && fgets(line, sizeof line, f)) {
        /* ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS...] - TYPE SOURCE SUPER */
        char r[1024], pt[1024], type[64], super[1024];
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %1023s %1023s", r, pt) != 2 ||
            sscanf(dash + 3, "%63s %*s %1023s", type, super) != 2)
            continue;
        if (v2 ? strcmp(type, "cgroup2") == 0
               : strcmp(type, "cgroup") == 0 && has_word(super, "cpu")) {
            snprintf(point, pcap, "%s", pt);
            snprintf(mroot, rcap, "%s", r);
            found = 1;
        }
    }
    fclose(f);
    return found ? 0 : -1;
}

long long cs__cpu_quota_milli(const char *root)
{
    char line[4096], group[4096] = "", point[1024], mroot[1024];
    long long best = -1;
    int v2 = 0, have = 0;
    FILE *f = open_under(root, "/proc/self/cgroup");

    if (!f)
        return -1;
    /* "ID:CONTROLLERS:PATH": v1's line with cpu among its controllers
     * wins; else v2's ("0::PATH"). */
    while (fgets(line, sizeof line, f)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        c2[1 + strcspn(c2 + 1, "\n")] = '\0';
        if (c1[1] != '\0' && has_word(c1 + 1, "cpu")) {
            snprintf(group, sizeof group, "%s", c2 + 1);
            v2 = 0;
            have = 1;
            break;
        }
        if (c1[1] == '\0' && c1 == line + 1 && line[0] == '0' && !have) {
            snprintf(group, sizeof group, "%s", c2 + 1);
            v2 = 1;
            have = 1;
        }
    }
    fclose(f);
    if (!have || group[0] != '/' ||
        mount_of(root, v2, point, sizeof point, mroot, sizeof mroot) < 0)
        return -1;
    /* The group below the mount's own root (a container's mount shows
     * only its own part of the tree). */
    {
        size_t n = strlen(mroot);
        const char *rel = group;
        char dir[4096];
        if (strcmp(mroot, "/") != 0 && strncmp(group, mroot, n) == 0 &&
            (group[n] == '/' || group[n] == '\0'))
            rel = group + n;
        if ((size_t)snprintf(dir, sizeof dir, "%s%s", point,
                             strcmp(rel, "/") == 0 ? "" : rel) >= sizeof dir)
            return -1;
        /* From the group up to the mount point: the smallest quota. */
        for (;;) {
            long long q = quota_at(root, dir, v2);
            char *slash;
            if (q >= 0 && (best < 0 || q < best))
                best = q;
            if (strlen(dir) <= strlen(point) || !(slash = strrchr(dir, '/')))
                break;
            *slash = '\0';
            if (strlen(dir) < strlen(point))
                break;
        }
    }
    return best;
}
