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

read_cases <- function(name) fromJSON(file.path(out_dir, name), simplifyVector = FALSE)$cases
num <- function(v) vapply(v, function(x) if (is.character(x)) as.numeric(sub("inf", "Inf", x)) else as.numeric(x), 0.0)
fin <- function(x) if (is.finite(x)) x else if (is.nan(x)) "nan" else if (x > 0) "inf" else "-inf"

# ---- negative binomial (MASS::glm.nb) ----------------------------------------
# The maximum likelihood over theta, found robustly: the profile
# log-likelihood of log theta on a grid (-14..14, step 0.25; each point a GLM
# at fixed theta, epsilon 1e-10), refined by Brent (tol 1e-12), then
# polished by MASS::theta.ml (eps 1e-11) alternating with the GLM while the
# log-likelihood does not fall. glm.nb alone is not used: on small samples it
# can run theta off to infinity although an interior maximum is higher, and
# the Poisson score at alpha = 0 being <= 0 does not exclude an interior
# maximum (the profile need not be concave). The Poisson fit (theta = Inf) is
# the reference when its log-likelihood is at least as high (a boundary
# maximum) or when theta runs past the grid. An arm without events has rate
# 0: its log-likelihood is 0 and theta comes from the other arm alone.
nb_fit <- function(y, x, off) {
  form <- if (is.null(x)) y ~ 1 + offset(off) else y ~ x + offset(off)
  pois <- glm(form, family = poisson, control = glm.control(epsilon = 1e-15, maxit = 200))
  pois_ll <- sum(dpois(y, fitted(pois), log = TRUE))
  at <- function(th, eps = 1e-15) {
    g <- glm(form, family = negative.binomial(th), start = coef(pois),
             control = glm.control(epsilon = eps, maxit = 100))
    list(model = g, loglik = sum(dnbinom(y, size = th, mu = fitted(g), log = TRUE)))
  }
  prof <- function(lt, eps = 1e-15) tryCatch(suppressWarnings(at(exp(lt), eps)$loglik), error = function(e) -Inf)
  grid <- seq(-14, 14, by = 0.25)
  ll_grid <- vapply(grid, prof, 0.0, eps = 1e-10)
  g <- grid[which.max(ll_grid)]
  o <- optimize(prof, g + c(-0.25, 0.25), maximum = TRUE, tol = 1e-12)
  th <- exp(o$maximum)
  ll <- o$objective
  for (i in 1:50) {
    th_new <- tryCatch(suppressWarnings(theta.ml(y, fitted(at(th)$model), limit = 500, eps = 1e-11)),
                       error = function(e) NA)
    if (!is.finite(th_new) || th_new <= 0) break
    ll_new <- prof(log(th_new))
    if (ll_new < ll - 1e-12) break
    done <- abs(th_new - th) < 1e-13 * th
    th <- th_new; ll <- ll_new
    if (done) break
  }
  if (pois_ll >= ll - 1e-12 || th > exp(13.5)) {
    return(list(model = pois, theta = Inf, loglik = pois_ll, poisson = TRUE))
  }
  fit <- at(th)
  list(model = fit$model, theta = th, loglik = fit$loglik, poisson = FALSE)
}

negbin <- function() {
  suppressMessages(library(MASS))
  cases <- read_cases("negbin.json")
  res <- lapply(cases, function(cs) {
    yt <- num(cs$treatment$count); ft <- num(cs$treatment$exposure)
    yc <- num(cs$control$count); fc <- num(cs$control$exposure)
    if (sum(yt) + sum(yc) == 0) return(list(label = cs$label))
    y <- c(yt, yc); x <- c(rep(1, length(yt)), rep(0, length(yc))); off <- log(c(ft, fc))
    null <- nb_fit(y, NULL, off)
    if (sum(yt) == 0 || sum(yc) == 0) {
      # the arm with events alone carries the likelihood and theta
      keep <- if (sum(yt) == 0) x == 0 else x == 1
      full <- nb_fit(y[keep], NULL, off[keep])
      lr <- 2 * (full$loglik - null$loglik)
      return(list(label = cs$label, alpha = if (full$poisson) 0 else 1 / full$theta,
                  log_likelihood = full$loglik, log_likelihood_null = null$loglik,
                  alpha_null = if (null$poisson) 0 else 1 / null$theta,
                  lr_statistic = lr, lr_p_two_sided = pchisq(lr, 1, lower.tail = FALSE),
                  log_rate_ratio = if (sum(yt) == 0) "-inf" else "inf"))
    }
    full <- nb_fit(y, x, off)
    co <- summary(full$model, dispersion = 1)$coefficients
    lr <- 2 * (full$loglik - null$loglik)
    list(label = cs$label,
         log_rate_ratio = co[2, 1], se = co[2, 2],
         wald_p_two_sided = 2 * pnorm(-abs(co[2, 1] / co[2, 2])),
         alpha = if (full$poisson) 0 else 1 / full$theta,
         alpha_null = if (null$poisson) 0 else 1 / null$theta,
         log_likelihood = full$loglik, log_likelihood_null = null$loglik,
         lr_statistic = lr, lr_p_two_sided = pchisq(lr, 1, lower.tail = FALSE))
  })
  write_json_file(list(reference = paste("MASS", packageVersion("MASS"), "glm.nb (polished); R", getRversion()),
                       cases = res), "negbin.r.json")
}

# ---- LWYY (survival::coxph, counting process, robust variance) --------------
lwyy <- function() {
  suppressMessages(library(survival))
  cases <- read_cases("lwyy.json")
  res <- lapply(cases, function(cs) {
    d <- data.frame(id = num(cs$subject), arm = num(cs$treated), start = num(cs$start),
                    stop = num(cs$stop), event = num(cs$event))
    if (!is.null(cs$expect_error)) return(list(label = cs$label))
    # coxph's default control, then Newton steps from its estimate (a much
    # tighter eps makes coxph halve its steps on rounding noise of the
    # log-likelihood and stop short: seen with heavy ties)
    fit <- coxph(Surv(start, stop, event) ~ arm + cluster(id), data = d, ties = "efron")
    fit <- coxph(Surv(start, stop, event) ~ arm + cluster(id), data = d, ties = "efron",
                 init = coef(fit), control = coxph.control(iter.max = 5))
    b <- unname(coef(fit)); se <- sqrt(fit$var[1, 1])
    list(label = cs$label, log_rate_ratio = b, se_robust = se,
         se_naive = sqrt(fit$naive.var[1, 1]), log_likelihood = fit$loglik[2],
         z = b / se, p_two_sided = 2 * pnorm(-abs(b / se)))
  })
  write_json_file(list(reference = paste("survival", packageVersion("survival"),
                                         "coxph(Surv(start, stop, event) ~ arm + cluster(id), ties = efron); R", getRversion()),
                       cases = res), "lwyy.r.json")
}

# ---- MMRM (nlme::gls corSymm + varIdent, REML; emmeans Satterthwaite) -------
mmrm <- function() {
  suppressMessages({ library(nlme); library(emmeans) })
  cases <- read_cases("mmrm.json")
  res <- lapply(cases, function(cs) {
    K <- cs$n_visits
    rows <- list()
    for (i in seq_along(cs$treated)) {
      for (v in seq_len(K)) {
        y <- cs$values[[i]][[v]]
        if (!is.null(y)) rows[[length(rows) + 1]] <- data.frame(
          id = i, arm = if (cs$treated[[i]] == 1) "treatment" else "control",
          visit = paste0("v", v), k = v, baseline = num(list(cs$baseline[[i]])), change = num(list(y)))
      }
    }
    d <- do.call(rbind, rows)
    d$arm <- factor(d$arm, levels = c("control", "treatment"))
    d$visit <- factor(d$visit, levels = paste0("v", seq_len(K)))
    # natural = FALSE: apVar on the unconstrained scale of coef(modelStruct),
    # which lets emmeans use its analytical Satterthwaite gradient (with the
    # default natural scale it falls back to "appx-satterthwaite")
    fit <- tryCatch(gls(change ~ visit * arm + baseline * visit, data = d,
                        correlation = corSymm(form = ~ k | id),
                        weights = varIdent(form = ~ 1 | visit), method = "REML",
                        control = glsControl(maxIter = 500, msMaxIter = 1000, tolerance = 1e-12,
                                             msTol = 1e-14, msVerbose = FALSE, natural = FALSE)),
                    error = function(e) e)
    if (inherits(fit, "error")) return(list(label = cs$label, error = conditionMessage(fit)))
    emm <- tryCatch(emmeans(fit, ~ arm | visit, data = d, mode = "satterthwaite"),
                    error = function(e) e)
    if (inherits(emm, "error")) return(list(label = cs$label, error = conditionMessage(emm)))
    ct <- as.data.frame(summary(contrast(emm, list(treatment_minus_control = c(-1, 1)))))
    # Sigma: correlation x SDs (the varIdent weights are SD ratios to visit 1)
    cm <- corMatrix(fit$modelStruct$corStruct)[[1]]
    ids <- unique(d$id)
    full <- ids[vapply(ids, function(i) sum(d$id == i) == K, TRUE)]
    sig <- if (length(full)) unclass(getVarCov(fit, individual = as.character(full[1])))[1:K, 1:K] else NULL
    list(label = cs$label,
         estimate = ct$estimate, se = ct$SE, df = ct$df,
         t = ct$t.ratio, p_two_sided = ct$p.value,
         sigma = if (is.null(sig)) NULL else as.vector(t(sig)),
         log_likelihood = as.numeric(logLik(fit)))
  })
  write_json_file(list(reference = paste("nlme", packageVersion("nlme"), "gls(corSymm, varIdent, REML) + emmeans",
                                         packageVersion("emmeans"), "(Satterthwaite); R", getRversion()),
                       cases = res), "mmrm.r.json")
}

args <- commandArgs(trailingOnly = TRUE)
what <- if (length(args)) args else c("rpact", "negbin", "lwyy", "mmrm")
for (w in what) {
  switch(w,
    rpact = rpact_power(),
    negbin = negbin(),
    lwyy = lwyy(),
    mmrm = mmrm(),
    stop("unknown fixture ", w))
}
