# Reference boundaries for src/sequential/boundaries.rs from rpact 3.3.4
# (R 4.2.2, Debian bookworm packages r-base-core and r-cran-rpact).
#
# Writes tests/fixtures/sequential/rpact_boundaries.json: for each design of
# a grid (classical O'Brien-Fleming and Pocock, alpha spending asOF, asP,
# asHSD, asKD, with and without beta spending bsOF, bsP, bsHSD, binding and
# non-binding, equal and unequal spacing, 1 to 5 looks, several alpha and
# beta) the inputs and rpact's critical values, cumulative alpha spent,
# futility bounds, cumulative beta spent, power, shift (drift squared),
# inflation factor and average sample numbers. The Rust tests read the JSON
# and need no R.
#
# Run from the repository root:
#   Rscript scripts/sequential_fixtures/rpact_boundaries.R
suppressMessages(library(rpact))
stopifnot(as.character(packageVersion("rpact")) == "3.3.4")

designs <- list()
add <- function(kMax, alpha, beta, type, informationRates = NULL, gammaA = NA,
                betaSpending = "none", gammaB = NA, binding = FALSE) {
  if (is.null(informationRates)) informationRates <- (1:kMax) / kMax
  designs[[length(designs) + 1]] <<- list(
    kMax = kMax, alpha = alpha, beta = beta, typeOfDesign = type,
    informationRates = informationRates, gammaA = gammaA,
    typeBetaSpending = betaSpending, gammaB = gammaB, bindingFutility = binding)
}

# Efficacy only.
for (k in 1:5) for (a in c(0.025, 0.05, 0.01)) {
  for (type in c("OF", "P", "asOF", "asP")) if (k > 1 || type == "asOF") add(k, a, 0.2, type)
}
for (k in c(2, 3, 4)) for (g in c(-4, -2, 1)) add(k, 0.025, 0.2, "asHSD", gammaA = g)
for (k in c(3, 5)) for (rho in c(2, 3)) add(k, 0.025, 0.1, "asKD", gammaA = rho)
for (ir in list(c(0.3, 0.7, 1), c(0.25, 0.5, 1), c(0.5, 0.75, 1), c(0.2, 0.45, 0.8, 1))) {
  for (type in c("OF", "P", "asOF", "asP")) add(length(ir), 0.025, 0.2, type, ir)
  add(length(ir), 0.025, 0.2, "asHSD", ir, gammaA = -3)
}
# Beta spending.
for (binding in c(FALSE, TRUE)) {
  for (k in c(2, 3, 4)) for (b in c(0.2, 0.1)) {
    add(k, 0.025, b, "asOF", betaSpending = "bsOF", binding = binding)
    add(k, 0.025, b, "asP", betaSpending = "bsP", binding = binding)
    add(k, 0.025, b, "asOF", betaSpending = "bsHSD", gammaB = -2, binding = binding)
    add(k, 0.025, b, "asHSD", gammaA = -4, betaSpending = "bsHSD", gammaB = 1, binding = binding)
  }
  add(2, 0.025, 0.2, "asOF", c(0.5, 1), betaSpending = "bsOF", binding = binding)
  add(3, 0.025, 0.2, "asOF", c(0.3, 0.7, 1), betaSpending = "bsOF", binding = binding)
  add(3, 0.05, 0.2, "asP", c(0.4, 0.6, 1), betaSpending = "bsOF", binding = binding)
  add(3, 0.025, 0.2, "asKD", gammaA = 3, betaSpending = "bsKD", gammaB = 2, binding = binding)
}

num <- function(x) if (is.null(x) || length(x) == 0) NULL else I(as.numeric(x))
out <- list()
for (d in designs) {
  args <- list(kMax = d$kMax, alpha = d$alpha, beta = d$beta, sided = 1,
               typeOfDesign = d$typeOfDesign, informationRates = d$informationRates)
  if (!is.na(d$gammaA)) args$gammaA <- d$gammaA
  if (d$typeBetaSpending != "none") {
    args$typeBetaSpending <- d$typeBetaSpending
    args$bindingFutility <- d$bindingFutility
    if (!is.na(d$gammaB)) args$gammaB <- d$gammaB
  }
  if (d$kMax == 1) args$informationRates <- NULL
  res <- tryCatch({
    des <- do.call(getDesignGroupSequential, args)
    ch <- getDesignCharacteristics(des)
    r <- d
    r$informationRates <- I(d$informationRates)
    r$criticalValues <- num(des$criticalValues)
    r$alphaSpent <- num(des$alphaSpent)
    r$stageLevels <- num(des$stageLevels)
    fb <- num(des$futilityBounds)
    r$futilityBounds <- if (d$typeBetaSpending == "none") NULL else fb
    r$betaSpent <- if (d$typeBetaSpending == "none") NULL else num(des$betaSpent)
    r$power <- num(ch$power)
    r$shift <- num(ch$shift)
    r$inflationFactor <- num(ch$inflationFactor)
    r$averageSampleNumber0 <- num(ch$averageSampleNumber0)
    r$averageSampleNumber01 <- num(ch$averageSampleNumber01)
    r$averageSampleNumber1 <- num(ch$averageSampleNumber1)
    r
  }, error = function(e) NULL)
  if (!is.null(res)) out[[length(out) + 1]] <- res
}
cat(length(out), "of", length(designs), "designs computed\n")
meta <- list(reference = "rpact 3.3.4 getDesignGroupSequential / getDesignCharacteristics, sided = 1",
             r_version = R.version.string, designs = out)
dir.create("tests/fixtures/sequential", showWarnings = FALSE, recursive = TRUE)
writeLines(jsonlite::toJSON(meta, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"),
           "tests/fixtures/sequential/rpact_boundaries.json")
