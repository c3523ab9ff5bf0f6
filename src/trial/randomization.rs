//! Treatment allocation.
//!
//! Simple randomization draws each patient's arm independently with
//! probability proportional to the allocation weights. Permuted blocks fill
//! each block with the weights' proportions and shuffle it (Fisher–Yates);
//! with stratification every stratum (combination of yes/no covariates) has
//! its own sequence of blocks, as an interactive response system would.

use crate::rng::StreamRng;
use crate::scenario::spec::Randomization;
use rand::RngExt;

/// Arm of each patient (0 = control, 1 = treatment), in enrolment order.
/// `strata[i]` is patient i's stratum id (any number; 0 if unstratified).
pub fn allocate(
    strata: &[u32],
    weights: [u64; 2],
    method: Randomization,
    rng: &mut StreamRng,
) -> Vec<u8> {
    let total = (weights[0] + weights[1]) as f64;
    match method {
        Randomization::Simple => strata
            .iter()
            .map(|_| u8::from(rng.random::<f64>() * total >= weights[0] as f64))
            .collect(),
        Randomization::PermutedBlock { block_size } => {
            let reps = (block_size / (weights[0] + weights[1])).max(1);
            let mut queues: Vec<(u32, Vec<u8>)> = Vec::new();
            let mut out = Vec::with_capacity(strata.len());
            for &s in strata {
                let q = match queues.iter().position(|(id, _)| *id == s) {
                    Some(i) => i,
                    None => {
                        queues.push((s, Vec::new()));
                        queues.len() - 1
                    }
                };
                if queues[q].1.is_empty() {
                    let mut block: Vec<u8> = std::iter::repeat_n(0u8, (weights[0] * reps) as usize)
                        .chain(std::iter::repeat_n(1u8, (weights[1] * reps) as usize))
                        .collect();
                    for i in (1..block.len()).rev() {
                        let j = rng.random_range(0..=i);
                        block.swap(i, j);
                    }
                    block.reverse(); // popped from the end: keep the shuffled order
                    queues[q].1 = block;
                }
                out.push(queues[q].1.pop().expect("non-empty block"));
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{DesignSlot, Purpose, StreamKey, TRIAL_LEVEL};

    fn rng(seed: u64) -> StreamRng {
        StreamKey {
            seed,
            design: DesignSlot::Shared,
            replicate: 0,
            patient: TRIAL_LEVEL,
            purpose: Purpose::Randomization,
        }
        .rng()
    }

    #[test]
    fn permuted_blocks_balance_every_complete_block() {
        let strata = vec![0u32; 40];
        let arms = allocate(
            &strata,
            [1, 1],
            Randomization::PermutedBlock { block_size: 10 },
            &mut rng(1),
        );
        for block in arms.chunks(10) {
            assert_eq!(block.iter().filter(|&&a| a == 1).count(), 5);
        }
        let arms = allocate(
            &[0u32; 30],
            [1, 2],
            Randomization::PermutedBlock { block_size: 6 },
            &mut rng(2),
        );
        assert_eq!(arms.iter().filter(|&&a| a == 1).count(), 20);
    }

    #[test]
    fn strata_are_balanced_separately() {
        let strata: Vec<u32> = (0..80).map(|i| (i % 3 == 0) as u32).collect();
        let arms = allocate(
            &strata,
            [1, 1],
            Randomization::PermutedBlock { block_size: 4 },
            &mut rng(3),
        );
        for s in 0..2 {
            let idx: Vec<usize> = (0..80).filter(|&i| strata[i] == s).collect();
            let n = idx.len() - idx.len() % 4;
            let treated = idx[..n].iter().filter(|&&i| arms[i] == 1).count();
            assert_eq!(treated, n / 2);
        }
    }

    #[test]
    fn simple_randomization_follows_the_weights() {
        let arms = allocate(
            &vec![0u32; 30_000],
            [1, 2],
            Randomization::Simple,
            &mut rng(4),
        );
        let share = arms.iter().filter(|&&a| a == 1).count() as f64 / 30_000.0;
        // SE = sqrt(2/9 / 30000) = 0.0027; allow 4 SE
        assert!((share - 2.0 / 3.0).abs() < 0.011, "{share}");
    }
}
