//! Exact solution of linear systems `x' = A x` by the matrix exponential.
//!
//! Scaling and squaring with a Taylor series: `A` is scaled by `2^-s` until
//! its 1-norm is at most 1/2, the series is summed to machine precision and
//! the result squared `s` times. Matrices here are small (the linear
//! sub-systems of the model), so this simple method is accurate to about
//! `1e-14` relative and fast enough; it is also the oracle for the linear
//! parts in tests.

/// `exp(A)` for an `N x N` matrix (row major).
pub fn expm<const N: usize>(a: &[[f64; N]; N]) -> [[f64; N]; N] {
    let norm = (0..N)
        .map(|j| (0..N).map(|i| a[i][j].abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let mut s = 0u32;
    if norm > 0.5 {
        s = (norm / 0.5).log2().ceil() as u32;
    }
    let scale = 0.5f64.powi(s as i32);
    let mut b = [[0.0; N]; N];
    for i in 0..N {
        for j in 0..N {
            b[i][j] = a[i][j] * scale;
        }
    }
    // Taylor series: sum_k B^k / k!
    let mut result = identity::<N>();
    let mut term = identity::<N>();
    for k in 1..=30 {
        term = matmul(&term, &b);
        let inv = 1.0 / k as f64;
        let mut largest: f64 = 0.0;
        for i in 0..N {
            for j in 0..N {
                term[i][j] *= inv;
                result[i][j] += term[i][j];
                largest = largest.max(term[i][j].abs());
            }
        }
        if largest < 1e-18 {
            break;
        }
    }
    for _ in 0..s {
        result = matmul(&result, &result);
    }
    result
}

pub fn identity<const N: usize>() -> [[f64; N]; N] {
    let mut m = [[0.0; N]; N];
    for (i, row) in m.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    m
}

pub fn matmul<const N: usize>(a: &[[f64; N]; N], b: &[[f64; N]; N]) -> [[f64; N]; N] {
    let mut c = [[0.0; N]; N];
    for i in 0..N {
        for k in 0..N {
            let aik = a[i][k];
            if aik == 0.0 {
                continue;
            }
            for j in 0..N {
                c[i][j] += aik * b[k][j];
            }
        }
    }
    c
}

pub fn matvec<const N: usize>(a: &[[f64; N]; N], x: &[f64; N]) -> [f64; N] {
    let mut y = [0.0; N];
    for i in 0..N {
        y[i] = (0..N).map(|j| a[i][j] * x[j]).sum();
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_of_a_diagonal_matrix_is_elementwise() {
        let a = [[-0.5, 0.0], [0.0, 3.0]];
        let e = expm(&a);
        assert!((e[0][0] - (-0.5f64).exp()).abs() < 1e-15);
        assert!((e[1][1] - 3.0f64.exp()).abs() < 1e-13 * 3.0f64.exp());
        assert_eq!(e[0][1], 0.0);
    }

    /// Erlang chain x1' = -k x1, x2' = k x1 - k x2: x2(t) = k t e^{-kt} x1(0).
    #[test]
    fn exponential_of_a_transit_chain_matches_the_erlang_solution() {
        let (k, t) = (0.14, 21.0);
        let a = [
            [-k * t, 0.0, 0.0],
            [k * t, -k * t, 0.0],
            [0.0, k * t, -k * t],
        ];
        let e = expm(&a);
        let kt: f64 = k * t;
        assert!((e[1][0] - kt * (-kt).exp()).abs() < 1e-14);
        assert!((e[2][0] - kt * kt / 2.0 * (-kt).exp()).abs() < 1e-14);
    }
}
