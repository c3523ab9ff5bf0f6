//! Bounds recomputed at observed information fractions, memoized per
//! thread: many replicates see the same fractions (information-timed looks
//! always do), and the bounds are a pure function of the design and the
//! fractions, so the cache changes no result.

use super::boundaries::{Boundaries, GroupSequential};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

type Bounds = Rc<Vec<(f64, Option<f64>)>>;

thread_local! {
    static CACHE: RefCell<HashMap<String, Bounds>> = RefCell::new(HashMap::new());
}

const CAPACITY: usize = 4096;

/// [`GroupSequential::bounds_at`], memoized.
pub fn bounds_at(
    design: &GroupSequential,
    planned: &Boundaries,
    fractions: &[f64],
    look_numbers: &[usize],
) -> Bounds {
    let key = format!("{design:?}|{fractions:?}|{look_numbers:?}");
    if let Some(b) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return b;
    }
    let b = Rc::new(design.bounds_at(planned, fractions, look_numbers));
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CAPACITY {
            c.clear();
        }
        c.insert(key, b.clone());
    });
    b
}
