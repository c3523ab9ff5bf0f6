# Reference values for the heart-failure endpoints (issue 15), from R.
#
# R 4.2.2 (Debian bookworm) with the Debian packages r-cran-rpact 3.3.4,
# r-cran-mass 7.3-58.2, r-cran-survival 3.5-3, r-cran-nlme 3.1-162,
# r-cran-emmeans 1.8.4 and r-cran-jsonlite. Run from the repository root via
# scripts/hf_endpoint_fixtures/generate.sh, which installs them; this script
# reads the data sets written by generate.py (tests/fixtures/hf_endpoints/
# *.inputs.json) and writes the R results beside them (*.r.json).

suppressMessages({
  library(jsonlite)
  library(rpact)
})

out_dir <- "tests/fixtures/hf_endpoints"
write_json_file <- function(x, name) {
  path <- file.path(out_dir, name)
  writeLines(toJSON(x, digits = NA, auto_unbox = TRUE, null = "null", na = "null"), path)
  cat("wrote", path, "\n")
}

# ---- non-inferiority power (rpact) -------------------------------------------
rpact_power <- function() {
  p <- getPowerMeans(thetaH0 = -5, alternative = 0, stDev = 10,
                     maxNumberOfSubjects = 200, sided = 1, alpha = 0.025)
  write_json_file(list(
    reference = "rpact 3.3.4 getPowerMeans(thetaH0 = -5, alternative = 0, stDev = 10, maxNumberOfSubjects = 200, sided = 1, alpha = 0.025)",
    power = p$overallReject
  ), "rpact_power.json")
}

args <- commandArgs(trailingOnly = TRUE)
what <- if (length(args)) args else c("rpact")
for (w in what) {
  switch(w,
    rpact = rpact_power(),
    stop("unknown fixture ", w))
}
