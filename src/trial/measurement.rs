//! What can be measured, slot by slot.
//!
//! Every (quantity, modality) pair the model can measure has a slot; a
//! patient's measurements are stored per visit and slot (NaN = not
//! measured). Deviates are drawn for every slot of every visit, in this order,
//! whether or not the visit measures it, so that the same patient gets the
//! same measurement error in every arm and design (common random numbers).

use crate::model::Observables;
use crate::model::observation::{Modality, Quantity};

/// The measurable (quantity, modality) pairs.
pub const SLOTS: [(Quantity, Modality); 14] = [
    (Quantity::Lvef, Modality::Mri),
    (Quantity::Lvedv, Modality::Mri),
    (Quantity::Lvesv, Modality::Mri),
    (Quantity::Rvef, Modality::Mri),
    (Quantity::Rvedv, Modality::Mri),
    (Quantity::Rvesv, Modality::Mri),
    (Quantity::Lvef, Modality::Echo),
    (Quantity::Lvedv, Modality::Echo),
    (Quantity::Lvesv, Modality::Echo),
    (Quantity::Tapse, Modality::Echo),
    (Quantity::NtProbnp, Modality::Lab),
    (Quantity::DDimer, Modality::Lab),
    (Quantity::Inr, Modality::Lab),
    (Quantity::SixMinuteWalk, Modality::WalkTest),
];

pub const N_SLOTS: usize = SLOTS.len();

/// Slot of a pair (None if not measurable).
pub fn slot(q: Quantity, m: Modality) -> Option<usize> {
    SLOTS.iter().position(|&(sq, sm)| sq == q && sm == m)
}

/// Index of a modality in `Modality::ALL`.
pub fn modality_index(m: Modality) -> usize {
    Modality::ALL
        .iter()
        .position(|&x| x == m)
        .expect("every modality is listed")
}

/// The true value of a quantity.
#[inline]
pub fn true_value(q: Quantity, o: &Observables) -> f64 {
    match q {
        Quantity::Lvef => o.lvef_percent,
        Quantity::Lvedv => o.lvedv_ml,
        Quantity::Lvesv => o.lvesv_ml,
        Quantity::Rvef => o.rvef_percent,
        Quantity::Rvedv => o.rvedv_ml,
        Quantity::Rvesv => o.rvesv_ml,
        Quantity::Tapse => o.tapse_mm,
        Quantity::NtProbnp => o.ntprobnp_ng_per_l,
        Quantity::DDimer => o.ddimer_mg_per_l,
        Quantity::Inr => o.inr,
        Quantity::SixMinuteWalk => o.six_minute_walk_m,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_cover_every_supported_pair_once() {
        let mut n = 0;
        for q in Quantity::ALL {
            for m in q.modalities() {
                assert!(slot(q, *m).is_some(), "{q:?} {m:?}");
                n += 1;
            }
        }
        assert_eq!(n, N_SLOTS);
    }
}
