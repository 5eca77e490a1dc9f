# Reference values for tests/test_epi.c, computed with R and epiR.
#
#   Rscript tests/epi_reference.R > tests/data/epi_reference.csv
#
# Needs R (4.2.2 here) and epiR (2.0.57 here); the test suite reads only
# the CSV this writes, so neither is needed to run the tests.
#
# Each measure comes from epiR::epi.2by2 (method "cohort.count", or
# "cohort.time" for rates) where epiR computes it correctly; from a
# copy of fisher.test's own code with a tight root tolerance for the
# conditional MLE odds ratio (fisher.test stops at about 1e-4; its own
# values are kept too); and from a formula written out below where epiR
# is wrong, silently adds 0.5, or stops (docs/epi.md). Where a formula and
# epiR both apply, the script checks that they agree before writing.
#
# The sample tables are those of
#   crampstat analyze --survey sample-data/survey.csv.gz \
#     --exercise sample-data/exercise.csv.gz --format json [--by sex]
# (exposed cases a and non-cases b, unexposed c and d; exposure hours).
#
# Output, one record per line (NA = undefined, Inf = infinite):
#   table,CASE,a,b,c,d           a 2x2 table of counts
#   time,CASE,a,t1,c,t0          events and person-time (hours)
#   stratum,CASE,I,a,b,c,d       stratum I (from 0) of a stratified case
#   ref,CASE,MEASURE,v1,v2,v3    expected values: est,lo,hi; for tests
#                                stat,df,p; crude_adj: rr,or,NA;
#                                nnt_kind: kind (0 none, 1 benefit, 2 harm)

suppressMessages(library(epiR))

level <- 0.95
z <- qnorm(1 - (1 - level) / 2)
num <- function(x) ifelse(is.na(x) & !is.nan(x), "NA",
                   ifelse(is.nan(x), "NA",
                   ifelse(is.infinite(x), ifelse(x > 0, "Inf", "-Inf"),
                          sprintf("%.17g", x))))
out <- function(...) cat(paste(..., sep = ","), "\n", sep = "")
cnt <- function(x) sprintf("%.0f", x)
ref <- function(case, measure, v) {
  v <- c(v, rep(NA, 3 - length(v)))
  out("ref", case, measure, num(v[1]), num(v[2]), num(v[3]))
}
same <- function(x, y, what, tol = 1e-12) {
  ok <- (is.na(x) & is.na(y)) | (!is.na(x) & !is.na(y) &
        (x == y | abs(x - y) <= tol * pmax(abs(x), abs(y))))
  if (!all(ok))
    stop(sprintf("%s: %s against %s", what, paste(x, collapse = " "),
                 paste(y, collapse = " ")))
}
q3 <- function(df) as.numeric(unlist(df[1, 1:3]))
epi <- function(dat, method, units = 1)
  suppressWarnings(epi.2by2(dat, method = method, conf.level = level,
                            units = units)$massoc.detail)

# ---- Conditional MLE odds ratio: fisher.test's code, tight tolerance -----

# The body of stats::fisher.test for a 2x2 table (R 4.2.2), with only the
# uniroot tolerance changed from its default .Machine$double.eps^0.25.
exact_or <- function(a, b, c, d, tol = 1e-15) {
  m <- a + c; n <- b + d; k <- a + b; x <- a
  lo <- max(0, k - n); hi <- min(k, m)
  if (lo == hi) return(c(NA, NA, NA))   # a zero margin: see docs/epi.md
  support <- lo:hi
  logdc <- dhyper(support, m, n, k, log = TRUE)
  dnhyper <- function(ncp) {
    d <- logdc + log(ncp) * support
    d <- exp(d - max(d))
    d / sum(d)
  }
  mnhyper <- function(ncp) {
    if (ncp == 0) return(lo)
    if (ncp == Inf) return(hi)
    sum(support * dnhyper(ncp))
  }
  pnhyper <- function(q, ncp, upper.tail = FALSE) {
    if (ncp == 1)
      return(if (upper.tail) phyper(x - 1, m, n, k, lower.tail = FALSE)
             else phyper(x, m, n, k))
    if (ncp == 0) return(as.numeric(if (upper.tail) q <= lo else q >= lo))
    if (ncp == Inf) return(as.numeric(if (upper.tail) q <= hi else q >= hi))
    sum(dnhyper(ncp)[if (upper.tail) support >= q else support <= q])
  }
  root <- function(f, iv) uniroot(f, iv, tol = tol, maxiter = 10000)$root
  mle <- function(x) {
    if (x == lo) return(0)
    if (x == hi) return(Inf)
    mu <- mnhyper(1)
    if (mu > x) root(function(t) mnhyper(t) - x, c(0, 1))
    else if (mu < x) 1 / root(function(t) mnhyper(1 / t) - x,
                              c(.Machine$double.eps, 1))
    else 1
  }
  ncp.U <- function(x, alpha) {
    if (x == hi) return(Inf)
    p <- pnhyper(x, 1)
    if (p < alpha) root(function(t) pnhyper(x, t) - alpha, c(0, 1))
    else if (p > alpha) 1 / root(function(t) pnhyper(x, 1 / t) - alpha,
                                 c(.Machine$double.eps, 1))
    else 1
  }
  ncp.L <- function(x, alpha) {
    if (x == lo) return(0)
    p <- pnhyper(x, 1, upper.tail = TRUE)
    if (p > alpha) root(function(t) pnhyper(x, t, upper.tail = TRUE) - alpha,
                        c(0, 1))
    else if (p < alpha) 1 / root(function(t) pnhyper(x, 1 / t,
                                   upper.tail = TRUE) - alpha,
                                 c(.Machine$double.eps, 1))
    else 1
  }
  alpha <- (1 - level) / 2
  c(mle(x), ncp.L(x, alpha), ncp.U(x, alpha))
}

# ---- Formulas, written out ------------------------------------------------

# Jewell's PAF interval (epiR's PAFRisk.strata.wald).
paf_jewell <- function(a, b, c, d) {
  n <- a + b + c + d
  p <- (a * d - b * c) / ((a + c) * (c + d))
  v <- (b + p * (a + d)) / (n * c)
  c(p, 1 - exp(log(1 - p) + z * sqrt(v)), 1 - exp(log(1 - p) - z * sqrt(v)))
}
# Population attributable risk, Wald (epiR's PARisk.strata.wald).
par_wald <- function(a, b, c, d) {
  n <- a + b + c + d; m1 <- a + c; n0 <- c + d
  p <- m1 / n - c / n0
  se <- sqrt(m1 * (n - m1) / n^3 + c * (n0 - c) / n0^3)
  c(p, p - z * se, p + z * se)
}
rd_wald <- function(a, b, c, d) {
  n1 <- a + b; n0 <- c + d
  p <- a / n1 - c / n0
  se <- sqrt(a * b / n1^3 + c * d / n0^3)
  c(p, p - z * se, p + z * se)
}
# Number needed to treat in crampstat's convention (include/crampstat/epi.h):
# 1/|RD|, limits signed positive for the estimate's kind.
nnt <- function(rd) {
  if (is.na(rd[1]) || rd[1] == 0) return(list(v = c(NA, NA, NA), kind = 0))
  kind <- if (rd[1] > 0) 2 else 1
  if (is.na(rd[2])) return(list(v = c(1 / abs(rd[1]), NA, NA), kind = kind))
  s <- sign(rd[1])
  far <- max(s * rd[2], s * rd[3]); near <- min(s * rd[2], s * rd[3])
  list(v = c(1 / abs(rd[1]), 1 / far, if (near == 0) Inf else 1 / near),
       kind = kind)
}
rr_katz <- function(a, b, c, d) {
  p <- (a / (a + b)) / (c / (c + d))
  se <- sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
  c(p, p * exp(-z * se), p * exp(z * se))
}
or_woolf <- function(a, b, c, d) {
  p <- a * d / (b * c)
  se <- sqrt(1 / a + 1 / b + 1 / c + 1 / d)
  c(p, p * exp(-z * se), p * exp(z * se))
}
# Rates: exposed a events in t1, unexposed c in t0, per `per` time units.
ard <- function(a, t1, c, t0, per) {
  p <- (a / t1 - c / t0) * per
  se <- sqrt(a / t1^2 + c / t0^2) * per
  c(p, p - z * se, p + z * se)
}
af_rate <- function(a, t1, c, t0) {
  irr <- (a / t1) / (c / t0)
  l <- t0 / t1 * a / (c + 1) / qf((1 - level) / 2, 2 * (c + 1), 2 * a,
                                  lower.tail = FALSE)
  u <- t0 / t1 * (a + 1) / c * qf((1 - level) / 2, 2 * (a + 1), 2 * c,
                                  lower.tail = FALSE)
  c((irr - 1) / irr, (l - 1) / l, (u - 1) / u)
}
par_rate <- function(a, t1, c, t0, per) {
  p <- ((a + c) / (t1 + t0) - c / t0) * per
  se <- sqrt((a + c) / (t1 + t0)^2 + c / t0^2) * per
  c(p, p - z * se, p + z * se)
}
pois <- function(k, t) c(k / t, qchisq((1 - level) / 2, 2 * k) / 2 / t,
                         qchisq(1 - (1 - level) / 2, 2 * k + 2) / 2 / t)
paf_rate <- function(a, t1, c, t0) {
  ip <- pois(a + c, t1 + t0); i0 <- pois(c, t0)
  l <- c((ip[2] - i0[2]) / ip[2], (ip[3] - i0[3]) / ip[3])
  c((ip[1] - i0[1]) / ip[1], min(l), max(l))
}
# Mantel-Haenszel risk difference; strata without both groups left out.
mh_rd <- function(s, sato = FALSE) {
  s <- s[s$a + s$b > 0 & s$c + s$d > 0, ]
  if (nrow(s) == 0) return(c(NA, NA, NA))
  n1 <- s$a + s$b; n0 <- s$c + s$d; n <- n1 + n0
  w <- n1 * n0 / n; W <- sum(w)
  rd <- sum((s$a * n0 - s$c * n1) / n) / W
  v <- if (sato) {
    P <- sum((n1^2 * s$c - n0^2 * s$a + 0.5 * n1 * n0 * (n0 - n1)) / n^2)
    Q <- sum((s$a * (n0 - s$c) + s$c * (n1 - s$a)) / (2 * n))
    (rd * P + Q) / W^2
  } else sum(w^2 * (s$a * s$b / n1^3 + s$c * s$d / n0^3)) / W^2
  c(rd, rd - z * sqrt(v), rd + z * sqrt(v))
}
# Woolf's homogeneity test over the strata where the log ratio and its
# variance are defined (and the variance is not 0).
woolf <- function(y, v) {
  ok <- is.finite(y) & is.finite(v) & v > 0
  y <- y[ok]; v <- v[ok]
  if (length(y) < 2) return(c(NA, NA, NA))
  w <- 1 / v
  st <- sum(w * (y - sum(w * y) / sum(w))^2)
  c(st, length(y) - 1, pchisq(st, length(y) - 1, lower.tail = FALSE))
}
woolf_rr <- function(s) {
  ok <- s$a > 0 & s$c > 0
  y <- ifelse(ok, log((s$a / (s$a + s$b)) / (s$c / (s$c + s$d))), NA)
  v <- ifelse(ok, s$b / (s$a * (s$a + s$b)) + s$d / (s$c * (s$c + s$d)), NA)
  woolf(y, v)
}
woolf_or <- function(s) {
  ok <- s$a > 0 & s$b > 0 & s$c > 0 & s$d > 0
  y <- ifelse(ok, log(s$a * s$d / (s$b * s$c)), NA)
  v <- ifelse(ok, 1 / s$a + 1 / s$b + 1 / s$c + 1 / s$d, NA)
  woolf(y, v)
}
mh_rr <- function(s) {
  n <- s$a + s$b + s$c + s$d
  sum(s$a * (s$c + s$d) / n) / sum(s$c * (s$a + s$b) / n)
}
mh_or <- function(s) {
  n <- s$a + s$b + s$c + s$d
  sum(s$a * s$d / n) / sum(s$b * s$c / n)
}

# ---- Cases -----------------------------------------------------------------

count_case <- function(case, a, b, c, d) {
  out("table", case, cnt(a), cnt(b), cnt(c), cnt(d))
  dat <- as.table(matrix(c(a, b, c, d), nrow = 2, byrow = TRUE))
  full <- a > 0 && b > 0 && c > 0 && d > 0
  m <- if (full) epi(dat, "cohort.count") else NULL

  # AF among the exposed: epiR's AFRisk.strata.wald, (RR - 1) / RR with
  # the Wald (Katz) RR limits; undefined unless RR > 0.
  af <- if (a > 0 && c > 0) {
    rr <- rr_katz(a, b, c, d); (rr - 1) / rr
  } else c(NA, NA, NA)
  if (b == 0 && d == 0) af[2:3] <- NA          # Katz SE 0
  if (full) same(af, q3(m$AFRisk.strata.wald), "af_exposed")
  ref(case, "af_exposed", af)

  pf <- if (a + c > 0 && c + d > 0) paf_jewell(a, b, c, d) else c(NA, NA, NA)
  if (c == 0 && a > 0 && d > 0) pf <- c(1, NA, NA)
  if (full) same(pf, q3(m$PAFRisk.strata.wald), "paf")
  ref(case, "paf", pf)

  pr <- if (c + d > 0) par_wald(a, b, c, d) else c(NA, NA, NA)
  if (c + d > 0 && (a + c == 0 || b + d == 0)) pr[2:3] <- NA  # SE 0
  if (full) same(pr, q3(m$PARisk.strata.wald), "par")
  ref(case, "par", pr)

  rd <- if (a + b > 0 && c + d > 0) rd_wald(a, b, c, d) else c(NA, NA, NA)
  if (!is.na(rd[1]) && a * b == 0 && c * d == 0) rd[2:3] <- NA  # SE 0
  if (full) {
    same(rd, q3(m$ARisk.strata.wald), "rd")
    # epiR's NNT is 1/RD with the reciprocal limits sorted.
    same(q3(m$NNT.strata.wald), c(1 / rd[1], sort(1 / rd[2:3])), "nnt")
  }
  ref(case, "rd", rd)
  nn <- nnt(rd)
  ref(case, "nnt", nn$v)
  ref(case, "nnt_kind", nn$kind)

  ex <- exact_or(a, b, c, d)
  ref(case, "exact_or", ex)
  if (a + b > 0 && c + d > 0 && a + c > 0 && b + d > 0) {
    f <- fisher.test(matrix(c(a, b, c, d), nrow = 2, byrow = TRUE),
                     conf.level = level)
    fv <- c(f$estimate, f$conf.int)
    # The same code at its default tolerance is fisher.test.
    same(exact_or(a, b, c, d, tol = .Machine$double.eps^0.25), fv,
         "fisher.test", 0)
    if (full) same(fv, q3(m$OR.strata.mle), "epiR OR.strata.mle")
    ref(case, "exact_or_fisher_test", fv)
  }
}

time_case <- function(case, a, t1, c, t0) {
  out("time", case, cnt(a), num(t1), cnt(c), num(t0))
  per <- 1000
  m <- if (a > 0 && c > 0)
    epi(as.table(matrix(c(a, t1, c, t0), nrow = 2, byrow = TRUE)),
        "cohort.time", units = per) else NULL
  rdv <- ard(a, t1, c, t0, per)
  if (a + c == 0) rdv[2:3] <- NA
  if (!is.null(m)) same(rdv, q3(m$ARate.strata.wald), "rate difference")
  ref(case, "rate_difference", rdv)
  afv <- if (a > 0 && c > 0) af_rate(a, t1, c, t0) else c(NA, NA, NA)
  if (!is.null(m)) same(afv, q3(m$AFRate.strata.wald), "af rate", 1e-10)
  ref(case, "af_rate", afv)
  prv <- par_rate(a, t1, c, t0, per)
  if (a + c == 0) prv[2:3] <- NA
  if (!is.null(m)) same(prv, q3(m$PARate.strata.wald), "par rate")
  ref(case, "par_rate", prv)
  pfv <- if (a + c > 0) paf_rate(a, t1, c, t0) else c(NA, NA, NA)
  if (!is.null(m)) same(pfv, q3(m$PAFRate.strata.wald), "paf rate")
  ref(case, "paf_rate", pfv)
}

strata_case <- function(case, s) {
  for (i in seq_len(nrow(s)))
    out("stratum", case, i - 1, cnt(s$a[i]), cnt(s$b[i]), cnt(s$c[i]),
        cnt(s$d[i]))
  k <- nrow(s)
  arr <- array(as.numeric(t(as.matrix(s[, c("a", "c", "b", "d")]))),
               dim = c(2, 2, k))
  full <- all(s$a > 0 & s$b > 0 & s$c > 0 & s$d > 0)
  m <- if (full && k > 1) epi(as.table(arr), "cohort.count") else NULL
  for (i in seq_len(k)) {
    a <- s$a[i]; b <- s$b[i]; c <- s$c[i]; d <- s$d[i]
    rr <- if (a + b > 0 && c + d > 0 && a > 0 && c > 0) rr_katz(a, b, c, d)
          else c(NA, NA, NA)
    if (a + b > 0 && c + d > 0 && a == 0 && c > 0) rr <- c(0, NA, NA)
    or <- if (a + b > 0 && c + d > 0 && b > 0 && c > 0)
            (if (a > 0 && d > 0) or_woolf(a, b, c, d) else c(0, NA, NA))
          else c(NA, NA, NA)
    rd <- if (a + b > 0 && c + d > 0) rd_wald(a, b, c, d) else c(NA, NA, NA)
    if (!is.null(m)) {
      same(rr, as.numeric(m$RR.strata.wald[i, ]), "stratum rr")
      same(or, as.numeric(m$OR.strata.wald[i, ]), "stratum or")
      same(rd, as.numeric(m$ARisk.strata.wald[i, ]), "stratum rd")
    }
    ref(case, paste0("stratum_rr:", i - 1), rr)
    ref(case, paste0("stratum_or:", i - 1), or)
    ref(case, paste0("stratum_rd:", i - 1), rd)
  }
  gr <- mh_rd(s); sa <- mh_rd(s, sato = TRUE)
  if (!is.null(m)) {
    same(gr, q3(m$ARisk.mh.green), "MH RD Greenland-Robins")
    same(sa, q3(m$ARisk.mh.sato), "MH RD Sato")
  }
  ref(case, "mh_rd_gr", gr)
  ref(case, "mh_rd_sato", sa)

  # Crude (the summed table) over MH; epiR's RR.conf divides its crude
  # *score* RR, which reads the table transposed, so it is not used.
  cs <- colSums(s[, c("a", "b", "c", "d")])
  crr <- (cs[["a"]] / (cs[["a"]] + cs[["b"]])) /
         (cs[["c"]] / (cs[["c"]] + cs[["d"]]))
  cor <- cs[["a"]] * cs[["d"]] / (cs[["b"]] * cs[["c"]])
  u <- s[s$a + s$b + s$c + s$d >= 2, ]
  if (!is.null(m)) {
    same(crr, m$RR.crude.wald[1, 1], "crude rr")
    same(mh_rr(u), m$RR.mh.wald[1, 1], "mh rr")
    same(c(cor, mh_or(u)), c(m$OR.crude.wald[1, 1], m$OR.mh.wald[1, 1]),
         "crude and mh or")
  }
  ratio <- function(x, y) if (is.finite(x) && is.finite(y) && x > 0 && y > 0)
                            x / y else NA
  ref(case, "crude_adj", c(ratio(crr, mh_rr(u)), ratio(cor, mh_or(u))))

  wr <- woolf_rr(s); wo <- woolf_or(s)
  if (!is.null(m)) {
    # epiR's p is 1 - pchisq(...), good to about 1e-16 absolute only.
    same(wr[1:2], as.numeric(m$wRR.homog[1, 1:2]), "Woolf RR")
    same(wr[3] + 1, m$wRR.homog[1, 3] + 1, "Woolf RR p", 1e-15)
    # epiR adds 0.5 to every cell for the OR: the same formula on the
    # corrected cells reproduces it, which checks the formula's code.
    wc <- woolf_or(s + 0.5)
    same(wc[1:2], as.numeric(m$wOR.homog[1, 1:2]), "Woolf OR + 0.5")
    same(wc[3] + 1, m$wOR.homog[1, 3] + 1, "Woolf OR + 0.5 p", 1e-15)
  }
  ref(case, "woolf_rr", wr)
  ref(case, "woolf_or", wo)
}

cat("# Generated by tests/epi_reference.R with ", R.version.string,
    " and epiR ", as.character(packageVersion("epiR")),
    "; do not edit.\n", sep = "")

# (a) The sample data.
sample <- read.csv(text = '
factor,a,b,c,d,t1,t0
fatigue,1208,16038,1176,32888,19561.616666666665,35991.7
tightness,930,13245,1387,34376,14799.95,39250.1
heat,367,3690,1932,43545,4543.033333333334,49101.26666666667
dehydration,651,9430,1644,37706,11331.65,42117.933333333334
electrolyte,1072,18524,1195,27964,21344.733333333334,31475.3
medical,546,5759,1795,42075,6868.483333333334,47482.816666666666
medical_disc_injury,108,1146,2233,46688,1454.15,52897.15
medical_parkinsons,22,226,2319,47608,254.33333333333334,54096.96666666667
medical_multiple_sclerosis,13,156,2328,47678,160.56666666666666,54190.73333333333
medical_cerebral_palsy,22,185,2319,47649,274.21666666666664,54077.083333333336
medical_thyroid_disease,197,2073,2144,45761,2347.6,52003.7
medical_kidney_disease,76,762,2265,47072,970.2666666666667,53381.03333333333
medical_alcoholism,85,930,2256,46904,1033.2333333333333,53318.066666666666
medical_pregnancy,61,673,2295,47558,812.05,54009.73333333333
', colClasses = c("character", rep("numeric", 6)))
by_sex <- read.csv(text = '
factor,sex,a,b,c,d
fatigue,F,597,8095,585,15672
fatigue,M,611,7943,591,17216
tightness,F,460,6400,691,16776
tightness,M,470,6845,696,17600
heat,F,187,1813,963,21102
heat,M,180,1877,969,22443
dehydration,F,323,4713,821,18200
dehydration,M,328,4717,823,19506
electrolyte,F,541,8989,567,13434
electrolyte,M,531,9535,628,14530
medical,F,309,3226,845,19846
medical,M,237,2533,950,22229
medical_disc_injury,F,54,510,1100,22562
medical_disc_injury,M,54,636,1133,24126
medical_parkinsons,F,13,152,1141,22920
medical_parkinsons,M,9,74,1178,24688
medical_multiple_sclerosis,F,9,145,1145,22927
medical_multiple_sclerosis,M,4,11,1183,24751
medical_cerebral_palsy,F,6,56,1148,23016
medical_cerebral_palsy,M,16,129,1171,24633
medical_thyroid_disease,F,144,1416,1010,21656
medical_thyroid_disease,M,53,657,1134,24105
medical_kidney_disease,F,38,429,1116,22643
medical_kidney_disease,M,38,333,1149,24429
medical_alcoholism,F,19,150,1135,22922
medical_alcoholism,M,66,780,1121,23982
medical_pregnancy,F,61,673,1093,22399
medical_pregnancy,M,0,0,1202,25159
', colClasses = c("character", "character", rep("numeric", 4)))

for (i in seq_len(nrow(sample))) {
  r <- sample[i, ]
  count_case(r$factor, r$a, r$b, r$c, r$d)
  time_case(paste0(r$factor, "_time"), r$a, r$t1, r$c, r$t0)
}
for (f in unique(by_sex$factor))
  strata_case(paste0(f, "_by_sex"),
              by_sex[by_sex$factor == f, c("a", "b", "c", "d")])

# (b) Edge tables.
edges <- read.csv(text = '
case,a,b,c,d
small,3,1,1,3
tiny,1,2,3,4
textbook,10,20,30,40
rd_crosses_zero,12,88,10,90
rd_zero,5,5,5,5
protective,10,90,30,70
zero_a,0,10,5,5
zero_b,5,0,2,3
zero_c,2,8,0,10
zero_d,3,7,2,0
zero_a_d,0,10,4,0
no_cases,0,10,0,10
all_cases,10,0,10,0
no_exposed,0,0,5,10
no_unexposed,5,10,0,0
single,1,0,0,1
large,123456,7654321,98765,8765432
huge,2000000,30000000,1000000,45000000
skewed,1,99999,50,49950
', colClasses = c("character", rep("numeric", 4)))
for (i in seq_len(nrow(edges))) {
  r <- edges[i, ]
  count_case(r$case, r$a, r$b, r$c, r$d)
}
time_edges <- read.csv(text = '
case,a,t1,c,t0
small_time,3,10.5,1,12.25
no_unexposed_events_time,4,100,0,80
no_exposed_events_time,0,100,6,80
no_events_time,0,50,0,60
large_time,123456,7654321.5,98765,8765432.25
', colClasses = c("character", rep("numeric", 4)))
for (i in seq_len(nrow(time_edges))) {
  r <- time_edges[i, ]
  time_case(r$case, r$a, r$t1, r$c, r$t0)
}
st <- function(...) {
  v <- c(...)
  data.frame(a = v[c(TRUE, FALSE, FALSE, FALSE)],
             b = v[c(FALSE, TRUE, FALSE, FALSE)],
             c = v[c(FALSE, FALSE, TRUE, FALSE)],
             d = v[c(FALSE, FALSE, FALSE, TRUE)])
}
strata_case("single_stratum", st(20, 80, 10, 90))
strata_case("three_strata", st(20, 80, 10, 90, 15, 35, 20, 130, 4, 6, 1, 9))
strata_case("empty_exposure_row", st(20, 80, 10, 90, 0, 0, 12, 88,
                                     15, 35, 20, 130))
strata_case("zero_cells", st(0, 10, 5, 15, 6, 14, 0, 20, 8, 12, 4, 16,
                             3, 0, 2, 5))
strata_case("confounded", st(50, 450, 10, 490, 100, 100, 300, 300))
strata_case("no_usable", st(0, 0, 3, 4, 2, 3, 0, 0))
