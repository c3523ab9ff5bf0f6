# Reference values for the Bayesian decision rules of src/sequential/bayes.rs
# (R 4.2.2, base R only: pnorm, pbeta, dbeta, integrate).
#
# Writes tests/fixtures/sequential/bayes_reference.json:
# * normal: the conjugate posterior probability P(theta > d) for a normal
#   prior N(m0, s0^2) (or a flat prior) and an estimate with standard error,
#   by its closed form, and independently by integrating prior x likelihood
#   (the two agree to about 1e-10; the closed form is the reference);
# * normal_predictive: the predictive probability that the final posterior
#   probability reaches the success level, by integrating over the
#   predictive distribution of the final estimate;
# * beta: P(p_X - p_Y > d) for beta posteriors, by integrate();
# * beta_predictive: the predictive probability of success after m_x and
#   m_y more patients, by the full double sum over the future outcomes
#   (beta-binomial weights, each final posterior probability by integrate()).
#
# Run from the repository root:
#   Rscript scripts/sequential_fixtures/bayes_reference.R
set.seed(20261201)

post <- function(m0, s0, est, se) {
  if (is.na(s0)) return(c(est, se))
  tau <- 1 / s0^2 + 1 / se^2
  c((m0 / s0^2 + est / se^2) / tau, sqrt(1 / tau))
}

normal <- list()
for (i in 1:60) {
  flat <- i %% 5 == 0
  m0 <- round(rnorm(1, 0, 1), 3); s0 <- if (flat) NA else round(exp(rnorm(1, 0, 1)), 3)
  est <- round(rnorm(1, 0.3, 1), 4); se <- round(exp(rnorm(1, -1, 0.7)), 4)
  d <- round(rnorm(1, 0, 0.5), 3)
  p <- post(m0, s0, est, se)
  closed <- pnorm(d, p[1], p[2], lower.tail = FALSE)
  # prior x likelihood, numerically, on the posterior's range
  f <- function(th) (if (flat) 1 else dnorm(th, m0, s0)) * dnorm(est, th, se)
  lo <- p[1] - 40 * p[2]; hi <- p[1] + 40 * p[2]
  num <- integrate(f, max(d, lo), hi, rel.tol = 1e-13, subdivisions = 1000)$value /
    integrate(f, lo, hi, rel.tol = 1e-13, subdivisions = 1000)$value
  normal[[i]] <- list(prior_mean = m0, prior_sd = if (flat) NULL else s0, estimate = est,
                      se = se, threshold = d, probability = closed, numerical = num)
}

normal_predictive <- list()
for (i in 1:30) {
  flat <- i %% 4 == 0
  m0 <- round(rnorm(1, 0, 0.5), 3); s0 <- if (flat) NA else round(exp(rnorm(1, 0, 0.7)), 3)
  se <- round(exp(rnorm(1, -1, 0.4)), 4); est <- round(rnorm(1, 0.2, 2 * se), 4)
  ratio <- round(runif(1, 1.2, 4), 3)
  d <- round(rnorm(1, 0, 0.2), 3); gamma <- c(0.9, 0.95, 0.975, 0.99)[1 + i %% 4]
  info_now <- 1 / se^2; info_final <- ratio * info_now; rem <- info_final - info_now
  p <- post(m0, s0, est, se)
  # success of a final estimate e (information info_final)
  success <- function(e) {
    q <- post(m0, s0, e, sqrt(1 / info_final))
    pnorm(d, q[1], q[2], lower.tail = FALSE) >= gamma
  }
  # the future estimate's predictive density: N(p[1], p[2]^2 + 1/rem)
  sd_f <- sqrt(p[2]^2 + 1 / rem)
  final_of <- function(f) (info_now * est + rem * f) / info_final
  # success is monotone in the future estimate: find the cut, then the tail
  cut <- uniroot(function(f) {
    q <- post(m0, s0, final_of(f), sqrt(1 / info_final))
    pnorm(d, q[1], q[2], lower.tail = FALSE) - gamma
  }, c(p[1] - 60 * sd_f, p[1] + 60 * sd_f), tol = 1e-14)$root
  ppos <- integrate(function(f) dnorm(f, p[1], sd_f), cut, Inf, rel.tol = 1e-13)$value
  normal_predictive[[i]] <- list(prior_mean = m0, prior_sd = if (flat) NULL else s0,
                                 estimate = est, se = se, info_final = info_final,
                                 threshold = d, success = gamma, probability = ppos)
}

pdiff <- function(ax, bx, ay, by, d) {
  if (d >= 1) return(0)
  if (d <= -1) return(1)
  lo <- max(0, -d); hi <- min(1, 1 - d)
  below <- if (d < 0) pbeta(-d, ay, by) else 0
  below + integrate(function(p) dbeta(p, ay, by) * pbeta(p + d, ax, bx, lower.tail = FALSE),
                    lo, hi, rel.tol = 1e-13, subdivisions = 2000)$value
}

beta <- list()
for (i in 1:40) {
  nx <- sample(5:60, 1); ny <- sample(5:60, 1)
  a0 <- c(1, 0.5, 2)[1 + i %% 3]; b0 <- c(1, 0.5, 3)[1 + i %% 3]
  x <- rbinom(1, nx, runif(1, 0.1, 0.7)); y <- rbinom(1, ny, runif(1, 0.1, 0.7))
  d <- round(runif(1, -0.2, 0.2), 3)
  ax <- a0 + x; bx <- b0 + nx - x; ay <- a0 + y; by <- b0 + ny - y
  beta[[i]] <- list(ax = ax, bx = bx, ay = ay, by = by, threshold = d,
                    probability = pdiff(ax, bx, ay, by, d))
}

bb <- function(m, a, b) sapply(0:m, function(k) exp(lchoose(m, k) + lbeta(a + k, b + m - k) - lbeta(a, b)))
beta_predictive <- list()
for (i in 1:8) {
  ax <- 1 + sample(2:10, 1); bx <- 1 + sample(4:12, 1)
  ay <- 1 + sample(1:8, 1); by <- 1 + sample(4:12, 1)
  mx <- sample(6:14, 1); my <- sample(6:14, 1)
  d <- c(0, 0.05, -0.05, 0.1)[1 + i %% 4]; gamma <- c(0.9, 0.95)[1 + i %% 2]
  px <- bb(mx, ax, bx); py <- bb(my, ay, by)
  total <- 0
  for (u in 0:mx) for (v in 0:my) {
    if (pdiff(ax + u, bx + mx - u, ay + v, by + my - v, d) >= gamma) total <- total + px[u + 1] * py[v + 1]
  }
  beta_predictive[[i]] <- list(ax = ax, bx = bx, ay = ay, by = by, m_x = mx, m_y = my,
                               threshold = d, success = gamma, probability = total)
}

out <- list(reference = "R 4.2.2 base: pnorm, pbeta, dbeta, integrate", r_version = R.version.string,
            normal = normal, normal_predictive = normal_predictive, beta = beta,
            beta_predictive = beta_predictive)
writeLines(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"),
           "tests/fixtures/sequential/bayes_reference.json")
cat("max |closed - numerical| (normal):",
    max(sapply(normal, function(x) abs(x$probability - x$numerical))), "\n")
