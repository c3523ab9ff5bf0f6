# Reference operating characteristics of a group-sequential test of two
# means for tests/sequential_pipeline.rs, from rpact 3.3.4 (R 4.2.2, Debian
# bookworm packages r-base-core and r-cran-rpact).
#
# Design: 3 looks at 1/3, 2/3, 1; O'Brien-Fleming-type alpha spending
# (one-sided alpha 0.025) with non-binding O'Brien-Fleming-type beta
# spending (beta 0.2). Endpoint: normal, SD 1, equal allocation, t-test
# (normalApproximation = FALSE, rpact's default; the normal-approximation
# values are stored too). The effect is solved so that getSampleSizeMeans
# gives exactly N = 252 patients for 80% power; getPowerMeans at N = 252
# then gives the power, per-look stopping probabilities and expected
# number of patients the simulation must reproduce.
#
# Run from the repository root:
#   Rscript scripts/sequential_fixtures/rpact_power_means.R
suppressMessages(library(rpact))
stopifnot(as.character(packageVersion("rpact")) == "3.3.4")

n_max <- 252
design <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, sided = 1,
                                   typeOfDesign = "asOF", typeBetaSpending = "bsOF",
                                   bindingFutility = FALSE)
size_at <- function(delta) getSampleSizeMeans(design, alternative = delta, stDev = 1)$maxNumberOfSubjects
delta <- uniroot(function(d) size_at(d) - n_max, c(0.2, 0.8), tol = 1e-12)$root
ss <- getSampleSizeMeans(design, alternative = delta, stDev = 1)
one <- function(normal) {
  p <- getPowerMeans(design, maxNumberOfSubjects = n_max, alternative = delta, stDev = 1,
                     normalApproximation = normal)
  list(overallReject = as.numeric(p$overallReject),
       rejectPerStage = I(as.numeric(p$rejectPerStage)),
       futilityPerStage = I(as.numeric(p$futilityPerStage)),
       earlyStop = as.numeric(p$earlyStop),
       expectedNumberOfSubjects = as.numeric(p$expectedNumberOfSubjects))
}
out <- list(
  reference = "rpact 3.3.4 getSampleSizeMeans / getPowerMeans (two groups, stDev 1)",
  r_version = R.version.string,
  design = list(kMax = 3, alpha = 0.025, beta = 0.2, typeOfDesign = "asOF",
                typeBetaSpending = "bsOF", bindingFutility = FALSE,
                informationRates = I(as.numeric(design$informationRates)),
                criticalValues = I(as.numeric(design$criticalValues)),
                futilityBounds = I(as.numeric(design$futilityBounds))),
  n_max = n_max,
  delta = delta,
  sample_size = list(maxNumberOfSubjects = as.numeric(ss$maxNumberOfSubjects),
                     expectedNumberOfSubjectsH1 = as.numeric(ss$expectedNumberOfSubjectsH1),
                     numberOfSubjects = I(as.numeric(ss$numberOfSubjects))),
  power_t = one(FALSE),
  power_normal = one(TRUE))
writeLines(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/fixtures/sequential/rpact_power_means.json")
