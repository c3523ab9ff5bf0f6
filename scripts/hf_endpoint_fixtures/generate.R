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
# Finally the profile score equation is solved in log theta (see nb_fit).
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
  # theta.ml alternates with the GLM and can stop while the coupling of
  # theta and beta still moves the maximum (seen at large n: alpha 2-6e-6
  # short): solve the profile score equation instead, d l_p / d theta =
  # sum[digamma(y + theta) - digamma(theta) + log(theta) + 1 - log(mu + theta)
  # - (y + theta) / (mu + theta)] at beta(theta) refitted (envelope theorem),
  # by Brent's root finder in log theta (tol 1e-15) from a bracket around the
  # estimate; kept when the log-likelihood does not fall.
  pscore <- function(lt) {
    t <- exp(lt)
    mu <- fitted(suppressWarnings(at(t)$model))
    sum(digamma(y + t) - digamma(t) + log(t) + 1 - log(mu + t) - (y + t) / (mu + t)) * t
  }
  if (th < exp(13)) {
    lt <- log(th); s0 <- pscore(lt)
    if (is.finite(s0) && s0 != 0) {
      w <- 1e-6; br <- NULL
      for (i in 1:30) {
        lo <- lt - w; hi <- lt + w
        sl <- pscore(lo); sh <- pscore(hi)
        if (is.finite(sl) && is.finite(sh) && sl > 0 && sh < 0) { br <- c(lo, hi); break }
        w <- w * 4
      }
      if (!is.null(br)) {
        r <- uniroot(pscore, br, f.lower = sl, f.upper = sh, tol = 1e-15, maxiter = 200)
        ll_root <- prof(r$root)
        if (ll_root >= ll - 1e-12 * abs(ll)) { th <- exp(r$root); ll <- max(ll, ll_root) }
      }
    }
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

# ---- MMRM (REML by Newton steps from nlme::gls; exact Satterthwaite) --------
# emmeans 1.8.4 on a gls fit ("satterthwaite" mode, gls_grad) takes the
# covariance of the variance parameters from nlme's apVar, a finite-
# difference Hessian (fdHess) of the REML log-likelihood on nlme's
# unconstrained scale, and the derivatives of Var(beta) from numDeriv: both
# approximations, off by up to a factor of thousands where Sigma is nearly
# singular, and by ~1% even with complete data, where the exact answer is
# known (visit 1 of a monotone-dropout data set: n - 3). The reference is
# therefore computed here from the definitions, with dense matrices:
#   theta = the K(K+1)/2 distinct elements of Sigma (V is linear in theta,
#     V_j = dV/dtheta_j has 1 at the (visit a, visit b) and (b, a) cells of
#     each patient);
#   REML l(theta) = -1/2 [ln|V| + r'V^-1 r + ln|X'V^-1 X|] (without the
#     constant -(N-p)/2 ln 2 pi), P = V^-1 - V^-1 X M X'V^-1, M = (X'V^-1X)^-1;
#   score_j = -1/2 tr(P V_j) + 1/2 y'P V_j P y;
#   observed information I_jl = y'P V_j P V_l P y - 1/2 tr(P V_j P V_l)
#     (exact: the second derivatives of V vanish);
#   start: gls' REML estimate (corSymm + varIdent, natural = FALSE), then
#     Newton steps with I until no element of Sigma moves by 1e-13 of its
#     scale (step halving keeps Sigma positive definite and l rising);
#   effect at visit v: tau_v = beta[3(v-1)+2], phi = M[c, c],
#     d phi / d theta_j = (M X'V^-1 V_j V^-1 X M)[c, c],
#     df = 2 phi^2 / (grad' I^-1 grad).
# Cross-check on the data sets with at most 400 observations: I against the
# numDeriv (2016.8-1.1) Jacobian of the score and grad against the numDeriv
# gradient of phi; the df from both agree with the analytic ones (largest
# relative difference written to the fixture). Emmeans' df is kept beside
# ours (df_emmeans), for the record. A data set whose information is not
# positive definite at the maximum or whose score does not vanish (a REML
# maximum on the boundary or not identified) is marked identified = false.
mmrm_design <- function(cs) {
  K <- cs$n_visits
  id <- integer(); vis <- integer(); y <- numeric()
  for (i in seq_along(cs$treated)) for (v in seq_len(K)) {
    yi <- cs$values[[i]][[v]]
    if (!is.null(yi)) { id <- c(id, i); vis <- c(vis, v); y <- c(y, as.numeric(yi)) }
  }
  tr <- vapply(cs$treated, as.numeric, 0)[id]; b <- vapply(cs$baseline, as.numeric, 0)[id]
  X <- matrix(0, length(y), 3 * K)
  for (r in seq_along(y)) X[r, 3 * (vis[r] - 1) + 1:3] <- c(1, tr[r], b[r])
  pairs <- do.call(rbind, lapply(1:K, function(a) cbind(a, a:K)))
  same <- outer(id, id, "==")
  Vj <- lapply(seq_len(nrow(pairs)), function(j) {
    a <- pairs[j, 1]; b <- pairs[j, 2]
    Matrix::Matrix(same & (outer(vis == a, vis == b) | outer(vis == b, vis == a)) * 1, sparse = TRUE)
  })
  list(K = K, id = id, vis = vis, y = y, X = X, pairs = pairs, Vj = Vj)
}
mmrm_sigma <- function(th, D) {
  S <- matrix(0, D$K, D$K)
  for (j in seq_len(nrow(D$pairs))) { a <- D$pairs[j, 1]; b <- D$pairs[j, 2]; S[a, b] <- S[b, a] <- th[j] }
  S
}
mmrm_theta <- function(S, D) apply(D$pairs, 1, function(p) S[p[1], p[2]])
mmrm_reml <- function(th, D, full = FALSE) {
  S <- mmrm_sigma(th, D)
  blocks <- list(); ldet <- 0
  for (i in unique(D$id)) {
    r <- which(D$id == i); Si <- S[D$vis[r], D$vis[r], drop = FALSE]
    ch <- tryCatch(chol(Si), error = function(e) NULL)
    if (is.null(ch)) return(list(ll = -Inf))
    ldet <- ldet + 2 * sum(log(diag(ch)))
    blocks[[length(blocks) + 1]] <- chol2inv(ch)
  }
  Vi <- Matrix::bdiag(blocks)   # rows are grouped by patient, in order
  ViX <- as.matrix(Vi %*% D$X)
  chx <- tryCatch(chol(crossprod(D$X, ViX)), error = function(e) NULL)
  if (is.null(chx)) return(list(ll = -Inf))
  M <- chol2inv(chx)
  beta <- drop(M %*% crossprod(ViX, D$y))
  res <- D$y - drop(D$X %*% beta)
  ll <- -0.5 * (ldet + sum(res * as.vector(Vi %*% res)) + 2 * sum(log(diag(chx))))
  out <- list(ll = ll, beta = beta, M = M, S = S)
  if (full) {
    P <- as.matrix(Vi) - ViX %*% M %*% t(ViX)
    Py <- drop(P %*% D$y)
    q <- length(D$Vj)
    PV <- lapply(D$Vj, function(V) as.matrix(P %*% V))
    VPV <- lapply(PV, t)   # (P V_j)' = V_j P
    VPy <- lapply(D$Vj, function(V) as.vector(V %*% Py))
    PVPy <- lapply(VPy, function(v) drop(P %*% v))
    out$score <- vapply(1:q, function(j) -0.5 * sum(diag(PV[[j]])) + 0.5 * sum(Py * VPy[[j]]), 0)
    info <- matrix(0, q, q)
    for (j in 1:q) for (l in j:q)
      info[j, l] <- info[l, j] <- sum(VPy[[j]] * PVPy[[l]]) - 0.5 * sum(PV[[j]] * VPV[[l]])
    out$info <- info
    VXM <- ViX %*% M
    out$dM <- lapply(D$Vj, function(V) as.matrix(t(VXM) %*% V %*% VXM))
  }
  out
}
mmrm_polish <- function(th, D, maxit = 100) {
  f <- mmrm_reml(th, D, TRUE)
  if (!is.finite(f$ll)) return(f)
  for (it in 1:maxit) {
    step <- tryCatch(solve(f$info, f$score), error = function(e) NULL)
    if (is.null(step) || any(!is.finite(step))) break
    h <- 1; ok <- FALSE
    for (k in 1:60) {
      g <- mmrm_reml(th + h * step, D, FALSE)
      if (is.finite(g$ll) && g$ll >= f$ll - 1e-12 * abs(f$ll)) { ok <- TRUE; break }
      h <- h / 2
    }
    if (!ok) break
    th <- th + h * step
    f <- mmrm_reml(th, D, TRUE)
    scale <- sqrt(abs(outer(diag(f$S), diag(f$S))))[D$pairs]
    if (max(abs(h * step) / scale) < 1e-13) break
  }
  f$theta <- th
  f
}
mmrm_df <- function(f, v, info = f$info, g = NULL) {
  c <- 3 * (v - 1) + 2
  if (is.null(g)) g <- vapply(f$dM, function(m) m[c, c], 0)
  2 * f$M[c, c]^2 / sum(g * solve(info, g))
}

mmrm <- function() {
  suppressMessages({ library(nlme); library(emmeans); library(Matrix); library(numDeriv) })
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
    fit <- tryCatch(gls(change ~ visit * arm + baseline * visit, data = d,
                        correlation = corSymm(form = ~ k | id),
                        weights = varIdent(form = ~ 1 | visit), method = "REML",
                        control = glsControl(maxIter = 500, msMaxIter = 1000, tolerance = 1e-12,
                                             msTol = 1e-14, msVerbose = FALSE, natural = FALSE)),
                    error = function(e) e)
    if (inherits(fit, "error")) return(list(label = cs$label, error = conditionMessage(fit)))
    emm <- tryCatch(emmeans(fit, ~ arm | visit, data = d, mode = "satterthwaite"),
                    error = function(e) e)
    df_emm <- if (inherits(emm, "error")) NULL else
      as.data.frame(summary(contrast(emm, list(treatment_minus_control = c(-1, 1)))))$df
    # gls' Sigma: sigma^2 x the varIdent SD ratios x the correlation
    sds <- fit$sigma * coef(fit$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)[paste0("v", 1:K)]
    R <- diag(K); R[lower.tri(R)] <- coef(fit$modelStruct$corStruct, unconstrained = FALSE)
    R[upper.tri(R)] <- t(R)[upper.tri(R)]
    S_gls <- diag(sds) %*% R %*% diag(sds)
    D <- mmrm_design(cs)
    f <- mmrm_polish(mmrm_theta(S_gls, D), D)
    if (!is.finite(f$ll)) return(list(label = cs$label, error = "gls' Sigma not positive definite"))
    ll_gls <- mmrm_reml(mmrm_theta(S_gls, D), D)$ll
    ev <- min(eigen(f$info, symmetric = TRUE, only.values = TRUE)$values)
    scale <- sqrt(abs(outer(diag(f$S), diag(f$S))))[D$pairs]
    score_rel <- max(abs(f$score) * scale) / max(1, abs(f$ll))
    identified <- ev > 0 && score_rel < 1e-8
    est <- f$beta[3 * (1:K) - 1]
    se <- sqrt(diag(f$M)[3 * (1:K) - 1])
    df <- if (identified) vapply(1:K, function(v) mmrm_df(f, v), 0) else rep(NA, K)
    check <- NULL
    if (identified && length(D$y) <= 400) {
      J <- numDeriv::jacobian(function(t) mmrm_reml(t, D, TRUE)$score, f$theta)
      df_nd <- vapply(1:K, function(v) {
        c <- 3 * (v - 1) + 2
        g <- numDeriv::grad(function(t) mmrm_reml(t, D)$M[c, c], f$theta)
        mmrm_df(f, v, info = -(J + t(J)) / 2, g = g)
      }, 0)
      check <- max(abs(df_nd - df) / df)
    }
    list(label = cs$label,
         estimate = est, se = se, df = if (identified) df else NULL,
         t = est / se, p_two_sided = if (identified) 2 * pt(-abs(est / se), df) else NULL,
         sigma = as.vector(t(f$S)), log_likelihood = f$ll,
         log_likelihood_gls = ll_gls, identified = identified,
         min_information_eigenvalue = ev, score_relative = score_rel,
         df_numderiv_relative_difference = check,
         df_emmeans = df_emm)
  })
  write_json_file(list(reference = paste("REML by Newton steps from nlme", packageVersion("nlme"),
                                         "gls(corSymm, varIdent, REML); exact Satterthwaite df from the observed information (numDeriv",
                                         packageVersion("numDeriv"), "cross-check); emmeans", packageVersion("emmeans"),
                                         "df beside it; R", getRversion()),
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
