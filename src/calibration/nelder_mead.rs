//! Nelder–Mead simplex minimization (Lagarias et al. 1998 coefficients:
//! reflection 1, expansion 2, contraction 1/2, shrink 1/2), deterministic.

/// Result of a minimization.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub evaluations: usize,
    pub iterations: usize,
    pub converged: bool,
}

/// Minimize `f` from `x0` with initial steps `step` (one per coordinate).
/// Stops when the simplex's function values span less than `ftol` (absolute)
/// or after `max_evaluations`.
pub fn minimize(
    f: &mut dyn FnMut(&[f64]) -> f64,
    x0: &[f64],
    step: &[f64],
    ftol: f64,
    max_evaluations: usize,
) -> Minimum {
    let n = x0.len();
    let mut evals = 0;
    let mut eval = |x: &[f64], evals: &mut usize| {
        *evals += 1;
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut simplex: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
    simplex.push(x0.to_vec());
    for i in 0..n {
        let mut x = x0.to_vec();
        x[i] += step[i];
        simplex.push(x);
    }
    let mut values: Vec<f64> = simplex.iter().map(|x| eval(x, &mut evals)).collect();
    let mut iterations = 0;
    let mut converged = false;
    while evals < max_evaluations {
        // order
        let mut idx: Vec<usize> = (0..=n).collect();
        idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        simplex = idx.iter().map(|&i| simplex[i].clone()).collect();
        values = idx.iter().map(|&i| values[i]).collect();
        if (values[n] - values[0]).abs() <= ftol {
            converged = true;
            break;
        }
        iterations += 1;
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|x| x[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |c: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + c * (simplex[n][j] - centroid[j]))
                .collect()
        };
        let xr = along(-1.0);
        let fr = eval(&xr, &mut evals);
        if fr < values[0] {
            let xe = along(-2.0);
            let fe = eval(&xe, &mut evals);
            if fe < fr {
                simplex[n] = xe;
                values[n] = fe;
            } else {
                simplex[n] = xr;
                values[n] = fr;
            }
        } else if fr < values[n - 1] {
            simplex[n] = xr;
            values[n] = fr;
        } else {
            let (xc, fc) = if fr < values[n] {
                let x = along(-0.5);
                let v = eval(&x, &mut evals);
                (x, v)
            } else {
                let x = along(0.5);
                let v = eval(&x, &mut evals);
                (x, v)
            };
            if fc < values[n].min(fr) {
                simplex[n] = xc;
                values[n] = fc;
            } else {
                // shrink towards the best
                for i in 1..=n {
                    for j in 0..n {
                        simplex[i][j] = simplex[0][j] + 0.5 * (simplex[i][j] - simplex[0][j]);
                    }
                    values[i] = eval(&simplex[i].clone(), &mut evals);
                }
            }
        }
    }
    let best = (0..=n)
        .min_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0);
    Minimum {
        x: simplex[best].clone(),
        value: values[best],
        evaluations: evals,
        iterations,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_the_rosenbrock_function() {
        let mut f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = minimize(&mut f, &[-1.2, 1.0], &[0.5, 0.5], 1e-14, 5000);
        assert!(m.converged);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-4 && (m.x[1] - 1.0).abs() < 1e-4,
            "{m:?}"
        );
    }

    #[test]
    fn finds_the_minimum_of_a_quadratic_in_five_dimensions() {
        let mut f = |x: &[f64]| {
            x.iter()
                .enumerate()
                .map(|(i, v)| (i as f64 + 1.0) * (v - i as f64).powi(2))
                .sum::<f64>()
        };
        let m = minimize(&mut f, &[0.0; 5], &[1.0; 5], 1e-16, 20000);
        for (i, v) in m.x.iter().enumerate() {
            assert!((v - i as f64).abs() < 1e-5, "{m:?}");
        }
    }
}
