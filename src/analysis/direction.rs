//! Which direction favours treatment, margins, and on which scale an effect
//! is summarised.
//!
//! Every endpoint says whether a lower or a higher value favours treatment
//! ([`Favourable`]). A rejection is then *favourable* or *harmful* by the
//! direction of the observed effect ([`Direction`] of the test statistic
//! about its null value); a one-sided test rejects only in the direction of
//! its alternative. A margin shifts the null hypothesis of a one-sided test
//! from "no difference" to "difference = margin" (non-inferiority when the
//! margin lies on the harmful side of 0, super-superiority when it lies on
//! the favourable side); for ratio endpoints it is on the log scale.

use super::Alternative;
use serde::Serialize;

/// Which values of the endpoint favour treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Favourable {
    /// Lower values (smaller volumes, fewer events, lower NT-proBNP).
    Lower,
    /// Higher values (higher EF, TAPSE, walk distance; a win ratio above 1).
    Higher,
}

impl Favourable {
    pub fn key(&self) -> &'static str {
        match self {
            Favourable::Lower => "lower",
            Favourable::Higher => "higher",
        }
    }

    /// The one-sided alternative pointing the favourable way.
    pub fn alternative(&self) -> Alternative {
        match self {
            Favourable::Lower => Alternative::Less,
            Favourable::Higher => Alternative::Greater,
        }
    }
}

/// Which way an observed effect lies from the null value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Treatment lower than control (difference < 0, ratio < 1).
    Lower,
    /// Treatment higher than control.
    Higher,
}

impl Direction {
    /// The direction of a statistic `x` about its null value `null`;
    /// `None` exactly at the null (or for NaN).
    pub fn of(x: f64, null: f64) -> Option<Direction> {
        if x < null {
            Some(Direction::Lower)
        } else if x > null {
            Some(Direction::Higher)
        } else {
            None
        }
    }

    /// The direction a one-sided alternative rejects in.
    pub fn of_alternative(alt: Alternative) -> Option<Direction> {
        match alt {
            Alternative::TwoSided => None,
            Alternative::Greater => Some(Direction::Higher),
            Alternative::Less => Some(Direction::Lower),
        }
    }

    /// Whether this direction favours treatment.
    pub fn is_favourable(&self, f: Favourable) -> bool {
        matches!(
            (self, f),
            (Direction::Lower, Favourable::Lower) | (Direction::Higher, Favourable::Higher)
        )
    }
}

/// Whether an endpoint measures benefit or harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointRole {
    /// Benefit: power against the usual 80% target.
    Efficacy,
    /// Harm (adverse events, D-dimer): the chance of detecting a difference,
    /// drawn without a power target.
    Safety,
}

impl EndpointRole {
    pub fn key(&self) -> &'static str {
        match self {
            EndpointRole::Efficacy => "efficacy",
            EndpointRole::Safety => "safety",
        }
    }
}

/// The scale on which an endpoint's estimated effect is summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectScale {
    /// A difference (means, proportions, coefficients): arithmetic mean and
    /// SD over replicates; no effect = 0.
    Difference,
    /// A ratio (hazard, rate, win ratio): summarised on the log scale
    /// (geometric mean, SD of the log, median); no effect = 1. Written
    /// `"log"` in summary.json.
    #[serde(rename = "log")]
    Ratio,
}

impl EffectScale {
    /// The value meaning "no effect".
    pub fn null(&self) -> f64 {
        match self {
            EffectScale::Difference => 0.0,
            EffectScale::Ratio => 1.0,
        }
    }

    /// The value accumulated for an estimate (its log for ratios; `None`
    /// when that is not finite, e.g. a ratio of 0 or infinity).
    pub fn summarised(&self, estimate: f64) -> Option<f64> {
        let v = match self {
            EffectScale::Difference => estimate,
            EffectScale::Ratio => estimate.ln(),
        };
        v.is_finite().then_some(v)
    }

    /// Back from the summary scale to the estimate's scale.
    pub fn display(&self, summarised: f64) -> f64 {
        match self {
            EffectScale::Difference => summarised,
            EffectScale::Ratio => summarised.exp(),
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            EffectScale::Difference => "difference",
            EffectScale::Ratio => "log",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_follow_the_null_value_and_the_alternative() {
        assert_eq!(Direction::of(-0.1, 0.0), Some(Direction::Lower));
        assert_eq!(Direction::of(1.2, 1.0), Some(Direction::Higher));
        assert_eq!(Direction::of(1.0, 1.0), None);
        assert_eq!(Direction::of(f64::NAN, 0.0), None);
        assert_eq!(
            Direction::of_alternative(Alternative::Less),
            Some(Direction::Lower)
        );
        assert!(Direction::Lower.is_favourable(Favourable::Lower));
        assert!(!Direction::Higher.is_favourable(Favourable::Lower));
        assert_eq!(Favourable::Higher.alternative(), Alternative::Greater);
    }

    #[test]
    fn ratios_are_summarised_on_the_log_scale() {
        let s = EffectScale::Ratio;
        assert_eq!(s.summarised(1.0), Some(0.0));
        assert_eq!(s.summarised(0.0), None);
        assert_eq!(s.summarised(f64::INFINITY), None);
        assert!((s.display(s.summarised(0.8).unwrap()) - 0.8).abs() < 1e-15);
        assert_eq!(EffectScale::Difference.summarised(-3.0), Some(-3.0));
    }
}
