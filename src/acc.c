/* The registry of accumulators (acc.h). Its order is the order in which
 * a session reaches them, their sections are written, and their numbers
 * go into the report model: an accumulator comes after those it builds
 * on (its needs). A new accumulator is one line here. */
#include <string.h>
#include <crampstat/acc.h>

extern const cs_acc_kind cs_acc_sessions, cs_acc_factors, cs_acc_logistic,
    cs_acc_cluster, cs_acc_dose, cs_acc_period, cs_acc_calories;

const cs_acc_kind *const cs_acc_registry[] = {
    &cs_acc_sessions,     /* aggregate.c: rules, outcome, rows, inputs */
    &cs_acc_factors,      /* factors.c: counts per stratum and factor */
    &cs_acc_logistic,     /* logistic.c: covariate patterns */
    &cs_acc_cluster,      /* cluster.c: per-participant sums */
    &cs_acc_dose,         /* dose.c: dose-response bands */
    &cs_acc_period,       /* period.c: sessions per day */
    &cs_acc_calories,     /* calories.c: calorie goals, cramp link */
};
const size_t cs_acc_count = sizeof cs_acc_registry / sizeof cs_acc_registry[0];

/* cs_agg.have holds a bit for each, and the reports (report.c) a slot. */
_Static_assert(sizeof cs_acc_registry / sizeof cs_acc_registry[0] <=
               CS_ACC_MAX, "more accumulators than CS_ACC_MAX");

int cs_acc_find(cs_str name)
{
    for (size_t i = 0; i < cs_acc_count; i++)
        if (cs_str_eq(name, cs_acc_registry[i]->name))
            return (int)i;
    return -1;
}
