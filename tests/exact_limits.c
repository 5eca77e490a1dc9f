/* The C side of tests/exact_limits_check.py: every exact limit of
 * src/stats.c for a stream of (k, n) pairs, to be compared with scipy.
 *
 * Input, one pair a line: "k n t1 t0" (k <= n counts, t1 and t0 > 0
 * exposure times). Output, one line each, in the same order:
 *   cp_notes cp_lo cp_hi  pois_notes pois_lo pois_hi
 *   rr_notes rr_est rr_lo rr_hi
 * where cp is cs_stats_clopper_pearson(k, n), pois is
 * cs_stats_poisson_rate(k events in 1 time unit, per 1): the Garwood
 * limits of the expected count themselves, and rr is
 * cs_stats_rate_ratio_exact(a = k in t1, c = n - k in t0). All at the 95%
 * level; numbers as %.17g (NaN as "nan", infinity as "inf").
 * Exit 0, or 65 (EX_DATAERR) on a line that is not four such fields. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include <crampstat/stats.h>

int main(void)
{
    char line[256];
    unsigned long lineno = 0;

    gsl_set_error_handler_off();
    while (fgets(line, sizeof line, stdin) != NULL) {
        uint64_t k, n;
        double t1, t0;
        cs_ci cp, pois, rr;
        uint32_t ncp, npois, nrr;

        lineno++;
        if (sscanf(line, "%" SCNu64 " %" SCNu64 " %lf %lf", &k, &n, &t1, &t0)
            != 4 || k > n) {
            fprintf(stderr, "exact_limits: <stdin>:%lu: want \"k n t1 t0\" "
                    "with k <= n\n", lineno);
            return 65;
        }
        ncp = cs_stats_clopper_pearson(&cp, k, n, 0.95);
        npois = cs_stats_poisson_rate(&pois, k, 1.0, 1.0, 0.95);
        nrr = cs_stats_rate_ratio_exact(&rr, k, t1, n - k, t0, 0.95);
        printf("%" PRIu32 " %.17g %.17g %" PRIu32 " %.17g %.17g %" PRIu32
               " %.17g %.17g %.17g\n", ncp, cp.lo, cp.hi, npois, pois.lo,
               pois.hi, nrr, rr.est, rr.lo, rr.hi);
    }
    if (ferror(stdin) || fflush(stdout) != 0) {
        fprintf(stderr, "exact_limits: I/O error\n");
        return 74;
    }
    return 0;
}
