//! The Sobol' low-discrepancy sequence (Bratley and Fox 1988, Gray-code
//! order, Joe and Kuo 2008 direction numbers), unscrambled: the same points
//! as `scipy.stats.qmc.Sobol(d, scramble=False)`, point 0 being the origin.

use super::SensitivityError;
use super::sobol_directions::{DIRECTIONS, MAX_DIMS};

/// Bits of each coordinate (the sequence repeats after 2^32 points).
const BITS: usize = 32;

/// A Sobol' sequence in a fixed number of dimensions.
#[derive(Debug, Clone)]
pub struct SobolSequence {
    /// Direction numbers `v_k` (k = 1..32 at index k - 1) per dimension.
    directions: Vec<[u32; BITS]>,
    /// Current point as integers (coordinate times 2^32).
    x: Vec<u32>,
    /// Index of the current point.
    index: u64,
}

impl SobolSequence {
    /// The sequence in `dims` dimensions, positioned at point 0 (the origin).
    pub fn new(dims: usize) -> Result<SobolSequence, SensitivityError> {
        if dims == 0 {
            return Err(SensitivityError::NoInputs);
        }
        if dims > MAX_DIMS {
            return Err(SensitivityError::TooManyInputs {
                inputs: dims,
                dims,
                max: MAX_DIMS,
            });
        }
        let directions = DIRECTIONS[..dims]
            .iter()
            .map(|&(poly, m)| direction_numbers(poly, &m))
            .collect();
        Ok(SobolSequence {
            directions,
            x: vec![0; dims],
            index: 0,
        })
    }

    pub fn dims(&self) -> usize {
        self.x.len()
    }

    /// Write the current point into `out` (length `dims`) and move on.
    pub fn next_into(&mut self, out: &mut [f64]) {
        const SCALE: f64 = 1.0 / 4_294_967_296.0;
        for (o, &xi) in out.iter_mut().zip(&self.x) {
            *o = xi as f64 * SCALE;
        }
        // Gray code: the next point flips the direction of the lowest zero
        // bit of the index
        let c = self.index.trailing_ones() as usize;
        if c < BITS {
            for (xi, v) in self.x.iter_mut().zip(&self.directions) {
                *xi ^= v[c];
            }
        }
        self.index += 1;
    }

    /// Skip `n` points.
    pub fn skip(&mut self, n: u64) {
        let mut tmp = vec![0.0; self.dims()];
        for _ in 0..n {
            self.next_into(&mut tmp);
        }
    }
}

/// `v_k = m_k 2^(32 - k)` for the first `s` (the polynomial's degree), then
/// the recurrence `v_k = a_1 v_(k-1) ^ ... ^ a_(s-1) v_(k-s+1) ^ v_(k-s) ^
/// (v_(k-s) >> s)`.
fn direction_numbers(poly: u32, m: &[u32]) -> [u32; BITS] {
    let mut v = [0u32; BITS];
    let s = (31 - poly.leading_zeros()) as usize;
    if s == 0 {
        // the first dimension: van der Corput in base 2
        for (k, vk) in v.iter_mut().enumerate() {
            *vk = 1u32 << (BITS - 1 - k);
        }
        return v;
    }
    let a = (poly >> 1) & ((1u32 << (s - 1)) - 1);
    for k in 0..BITS {
        v[k] = if k < s {
            m[k] << (BITS - 1 - k)
        } else {
            let mut x = v[k - s] ^ (v[k - s] >> s);
            for i in 1..s {
                if (a >> (s - 1 - i)) & 1 == 1 {
                    x ^= v[k - i];
                }
            }
            x
        };
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_points_of_two_dimensions() {
        let mut s = SobolSequence::new(2).unwrap();
        let mut p = [0.0; 2];
        let expect = [
            [0.0, 0.0],
            [0.5, 0.5],
            [0.75, 0.25],
            [0.25, 0.75],
            [0.375, 0.375],
            [0.875, 0.875],
        ];
        for e in expect {
            s.next_into(&mut p);
            assert_eq!(p, e);
        }
    }

    #[test]
    fn refuses_zero_and_too_many_dimensions() {
        assert_eq!(
            SobolSequence::new(0).unwrap_err(),
            SensitivityError::NoInputs
        );
        assert!(SobolSequence::new(MAX_DIMS + 1).is_err());
    }
}
