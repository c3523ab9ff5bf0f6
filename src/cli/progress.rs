//! Progress bar (indicatif), hidden when stderr is not a terminal. It fills
//! the terminal's width, counts the whole run (a resumed run starts where
//! the checkpoint ended) and shows the rate rounded.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::time::Duration;

/// A rate for people: 3 significant digits at most, no fraction above 100.
pub fn rate(per_second: f64) -> String {
    if !per_second.is_finite() || per_second <= 0.0 {
        "-".into()
    } else if per_second >= 100.0 {
        format!("{per_second:.0}/s")
    } else if per_second >= 10.0 {
        format!("{per_second:.1}/s")
    } else {
        format!("{per_second:.2}/s")
    }
}

/// A bar over `total` replicates, `done` of them done before (in `elapsed`).
pub fn bar(total: u64, done: u64, elapsed_s: f64, hidden: bool) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(
        Some(total),
        if hidden {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    )
    .with_position(done.min(total))
    .with_elapsed(Duration::from_secs_f64(elapsed_s.max(0.0)));
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar:.cyan/blue} {pos}/{len} replicates ({rate}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&rate(s.per_sec()));
        })
        .progress_chars("=> "),
    );
    // the replicates done before are not this segment's speed
    pb.tick();
    pb.reset_eta();
    pb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_rounded() {
        assert_eq!(rate(1052.7812), "1053/s");
        assert_eq!(rate(47.349), "47.3/s");
        assert_eq!(rate(0.5), "0.50/s");
        assert_eq!(rate(0.0), "-");
    }
}
