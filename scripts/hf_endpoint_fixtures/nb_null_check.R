# The negative binomial tests of the null scenario through R (issue 15).
# Reads patients.csv and tests.csv of
#   hfsim run tests/fixtures/null_hf_endpoints.toml -r N --export-replicates N -o DIR
# (an endpoint with test = "negative_binomial" writes per patient its
# hospitalization count as `value` and its follow-up as `time_days`) and
# refits each replicate: count ~ arm + offset(log follow-up) and the null
# model count ~ 1 + offset(...) with MASS::glm.nb; Wald p from summary(),
# LR p from anova() of the two fits. Prints the rejection rates at
# alpha = 0.05 of R and of hfsim and in how many replicates the decisions
# differ. R 4.2.2, MASS 7.3-58.2.
# Usage: Rscript scripts/hf_endpoint_fixtures/nb_null_check.R DIR [WALD_ENDPOINT LR_ENDPOINT]
suppressMessages(library(MASS))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
wald_ep <- if (length(args) > 1) args[2] else "hfh_negative_binomial"
lr_ep <- if (length(args) > 2) args[3] else "hfh_negative_binomial_lr"
pt <- read.csv(file.path(dir, "patients.csv"))
pt <- pt[pt$endpoint == wald_ep, ]
tests <- read.csv(file.path(dir, "tests.csv"))
by_rep <- split(pt, pt$replicate)
res <- t(vapply(by_rep, function(d) {
  d$arm <- factor(d$arm, levels = c("placebo", "msc"))
  f1 <- tryCatch(suppressWarnings(glm.nb(value ~ arm + offset(log(time_days)), data = d)), error = function(e) NULL)
  f0 <- tryCatch(suppressWarnings(glm.nb(value ~ 1 + offset(log(time_days)), data = d)), error = function(e) NULL)
  if (is.null(f1) || is.null(f0)) return(c(NA, NA, NA))
  c(summary(f1)$coefficients[2, 4], anova(f0, f1)[2, "Pr(Chi)"], 1 / f1$theta)
}, c(0, 0, 0)))
reps <- as.integer(names(by_rep))
ours <- function(ep) { t <- tests[tests$endpoint == ep, ]; t$p_value[match(reps, t$replicate)] }
w <- ours(wald_ep); l <- ours(lr_ep)
ok <- is.finite(res[, 1]) & is.finite(res[, 2]) & is.finite(w) & is.finite(l)
cat(sprintf("%d replicates (%d fitted by R and hfsim); mean count %.3f, median 1/theta %.3f\n",
            length(reps), sum(ok), mean(pt$value), median(res[ok, 3])))
line <- function(what, r, o) cat(sprintf("%-5s R rejects %.4f, hfsim %.4f; decisions differ in %d; median |p difference| %.1e\n",
  what, mean(r < 0.05), mean(o < 0.05), sum((r < 0.05) != (o < 0.05)), median(abs(r - o))))
line("Wald", res[ok, 1], w[ok])
line("LR", res[ok, 2], l[ok])
