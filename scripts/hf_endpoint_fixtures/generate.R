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
# glm.nb, then polished: theta.ml at eps 1e-11 alternating with the GLM at
# that theta (epsilon 1e-15) until theta moves by < 1e-13 relative. Data
# that are not overdispersed (sum((y - mu)^2 - y) <= 0 at the Poisson fit)
# have no finite theta (glm.nb runs theta off to infinity): the reference is
# then the Poisson GLM, the limit. An arm without events has rate 0: its
# log-likelihood is 0 and theta comes from the other arm alone.
nb_fit <- function(y, x, off) {
  form <- if (is.null(x)) y ~ 1 + offset(off) else y ~ x + offset(off)
  pois <- glm(form, family = poisson, control = glm.control(epsilon = 1e-15, maxit = 200))
  mu <- fitted(pois)
  if (sum((y - mu)^2 - y) <= 0) {
    return(list(model = pois, theta = Inf, loglik = sum(dpois(y, mu, log = TRUE)), poisson = TRUE))
  }
  at <- function(th, start) {
    g <- glm(form, family = negative.binomial(th), start = start,
             control = glm.control(epsilon = 1e-15, maxit = 500))
    list(model = g, loglik = sum(dnbinom(y, size = th, mu = fitted(g), log = TRUE)))
  }
  m <- tryCatch(suppressWarnings(glm.nb(form, control = glm.control(epsilon = 1e-15, maxit = 200))),
                error = function(e) NULL)
  start <- if (is.null(m)) coef(pois) else coef(m)
  th <- if (!is.null(m) && is.finite(m$theta)) m$theta else 1
  # polish: theta.ml (Newton on the theta score) alternating with the GLM
  ok <- TRUE
  for (i in 1:50) {
    th_new <- tryCatch(suppressWarnings(theta.ml(y, fitted(at(th, start)$model), limit = 500, eps = 1e-11)),
                       error = function(e) NA)
    if (!is.finite(th_new) || th_new <= 0) { ok <- FALSE; break }
    done <- abs(th_new - th) < 1e-13 * th
    th <- th_new
    if (done) break
  }
  # the profile likelihood of a small sample may have several maxima: take
  # the best of the polished fit and a grid over log theta (-14..14, step
  # 0.5) refined by Brent, then polish again from there
  prof <- function(lt) tryCatch(at(exp(lt), start)$loglik, error = function(e) -Inf)
  grid <- seq(-14, 14, by = 0.5)
  ll_grid <- vapply(grid, prof, 0.0)
  g <- grid[which.max(ll_grid)]
  o <- optimize(prof, g + c(-0.5, 0.5), maximum = TRUE, tol = 1e-12)
  if (!ok || o$objective > at(th, start)$loglik + 1e-9) {
    th <- exp(o$maximum)
    for (i in 1:50) {
      th_new <- tryCatch(suppressWarnings(theta.ml(y, fitted(at(th, start)$model), limit = 500, eps = 1e-11)),
                         error = function(e) NA)
      if (!is.finite(th_new) || th_new <= 0 || at(th_new, start)$loglik < at(th, start)$loglik - 1e-12) break
      done <- abs(th_new - th) < 1e-13 * th
      th <- th_new
      if (done) break
    }
  }
  # the Poisson limit may still be best (a boundary maximum)
  if (sum(dpois(y, mu, log = TRUE)) > at(th, start)$loglik + 1e-12) {
    return(list(model = pois, theta = Inf, loglik = sum(dpois(y, mu, log = TRUE)), poisson = TRUE))
  }
  fit <- at(th, start)
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
