/* Whether two sessions read from the same text are the same: the name of
 * the first field that differs, or NULL. Strings by their bytes, doubles
 * bit for bit (NaN, the sign of zero and the last bit all count), the
 * rest by value; the borrowed pointers and canon_cells are not compared.
 * Include after string.h and crampstat/schema.h. */
#ifndef CS_TESTS_SESSION_DIFF_H
#define CS_TESTS_SESSION_DIFF_H

static inline int cs_test_same_str(cs_str a, cs_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline int cs_test_same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static inline const char *cs_test_session_diff(const cs_session *a,
                                               const cs_session *b)
{
    if (!cs_test_same_str(a->participant_id, b->participant_id))
        return "participant_id";
    if (!cs_test_same_str(a->session_id, b->session_id))
        return "session_id";
    if (!cs_test_same_str(a->activity, b->activity))
        return "activity";
    if (memcmp(&a->start, &b->start, sizeof a->start) != 0)
        return "start";
    if (a->day != b->day)
        return "day";
    if (!cs_test_same_bits(a->duration_min, b->duration_min))
        return "duration_min";
    if (a->duration_mmin != b->duration_mmin)
        return "duration_mmin";
    if (a->intensity_rpe != b->intensity_rpe)
        return "intensity_rpe";
    if (!cs_test_same_bits(a->temp_c, b->temp_c))
        return "temp_c";
    if (!cs_test_same_bits(a->humidity_pct, b->humidity_pct))
        return "humidity_pct";
    if (!cs_test_same_bits(a->fluid_ml, b->fluid_ml))
        return "fluid_ml";
    if (!cs_test_same_bits(a->warmup_min, b->warmup_min))
        return "warmup_min";
    if (a->stretched != b->stretched)
        return "stretched";
    if (a->cramp != b->cramp)
        return "cramp";
    if (a->cramp_muscle != b->cramp_muscle)
        return "cramp_muscle";
    return NULL;
}

#endif
