//! Endpoint keys for the heart-failure endpoints: direction (`favourable`),
//! `role`, `margin`. Read by `spec::read_endpoint`, checked here into
//! [`EndpointOptions`] so that `spec.rs` and `validate.rs` only call in.

use super::error::IssueKind;
use super::reader::{Issues, Reader};
use super::spec::{BinaryKind, EndpointSpec, Measure, TestKind};
use crate::analysis::Alternative;
use crate::analysis::direction::{EffectScale, EndpointRole, Favourable};
use crate::model::observation::Quantity;
use serde::Serialize;

/// The keys this module reads in an `[[endpoints]]` table.
pub const KEYS: &[&str] = &["favourable", "role", "margin"];

pub const FAVOURABLE: &[(&str, Favourable)] =
    &[("lower", Favourable::Lower), ("higher", Favourable::Higher)];
pub const ROLES: &[(&str, EndpointRole)] = &[
    ("efficacy", EndpointRole::Efficacy),
    ("safety", EndpointRole::Safety),
];

/// The new endpoint keys as written.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct EndpointOptionsSpec {
    pub favourable: Option<Favourable>,
    pub role: Option<EndpointRole>,
    /// Null value of a one-sided test (endpoint units; log scale for ratios).
    pub margin: Option<f64>,
}

/// Read the keys of [`KEYS`] from an endpoint table.
pub fn read(t: &Reader) -> EndpointOptionsSpec {
    EndpointOptionsSpec {
        favourable: t.choice("favourable", FAVOURABLE),
        role: t.choice("role", ROLES),
        margin: t.f64("margin"),
    }
}

/// The checked options of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EndpointOptions {
    pub favourable: Favourable,
    pub role: EndpointRole,
    pub margin: Option<f64>,
    pub effect_scale: EffectScale,
}

/// Which direction favours treatment when the file does not say.
pub fn default_favourable(measure: &Measure) -> Favourable {
    match measure {
        Measure::Continuous { quantity, .. } => match quantity {
            Quantity::Lvef | Quantity::Rvef | Quantity::Tapse | Quantity::SixMinuteWalk => {
                Favourable::Higher
            }
            Quantity::Lvedv
            | Quantity::Lvesv
            | Quantity::Rvedv
            | Quantity::Rvesv
            | Quantity::NtProbnp
            | Quantity::DDimer
            | Quantity::Inr => Favourable::Lower,
        },
        Measure::Event { .. } | Measure::Binary { .. } => Favourable::Lower,
    }
}

/// Whether an endpoint measures harm when the file does not say.
pub fn default_role(measure: &Measure) -> EndpointRole {
    match measure {
        Measure::Continuous {
            quantity: Quantity::DDimer | Quantity::Inr,
            ..
        } => EndpointRole::Safety,
        Measure::Event {
            event: super::spec::EventKind::SeriousAdverseEvent,
        } => EndpointRole::Safety,
        Measure::Binary {
            outcome: BinaryKind::AnaPositive | BinaryKind::DDimerAboveUln,
        } => EndpointRole::Safety,
        _ => EndpointRole::Efficacy,
    }
}

/// The scale of a test's estimate.
pub fn effect_scale(test: TestKind) -> EffectScale {
    match test {
        TestKind::Logrank => EffectScale::Ratio,
        _ => EffectScale::Difference,
    }
}

/// Tests that accept a margin (a shifted null hypothesis).
pub const MARGIN_TESTS: &[TestKind] = &[
    TestKind::Welch,
    TestKind::Student,
    TestKind::Wilcoxon,
    TestKind::Ancova,
    TestKind::Logrank,
];

fn err(issues: &Issues, kind: IssueKind, path: String, msg: impl Into<String>) {
    issues
        .borrow_mut()
        .push(super::error::Issue::new(kind, path, msg));
}

/// Check the options of endpoint `e` (at `path`, e.g. `endpoints[3]`).
pub fn validate(e: &EndpointSpec, path: &str, issues: &Issues) -> EndpointOptions {
    let o = &e.options;
    let favourable = o
        .favourable
        .unwrap_or_else(|| default_favourable(&e.measure));
    let role = o.role.unwrap_or_else(|| default_role(&e.measure));
    let one_sided = e.alternative != Alternative::TwoSided;
    if one_sided && role == EndpointRole::Efficacy && e.alternative != favourable.alternative() {
        err(
            issues,
            IssueKind::Inconsistent,
            format!("{path}.alternative"),
            format!(
                "a one-sided efficacy test points the favourable way: favourable = \"{}\" goes with alternative = \"{}\" (set `favourable`, or `role = \"safety\"` to test for harm)",
                favourable.key(),
                match favourable.alternative() {
                    Alternative::Less => "less",
                    _ => "greater",
                }
            ),
        );
    }
    if let Some(m) = o.margin {
        if !m.is_finite() {
            err(
                issues,
                IssueKind::OutOfRange,
                format!("{path}.margin"),
                format!("must be a finite number (got {m})"),
            );
        }
        if !one_sided {
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.margin"),
                "a margin is the null value of a one-sided test: set alternative = \"less\" or \"greater\"",
            );
        }
        if !MARGIN_TESTS.contains(&e.test) {
            let names: Vec<&str> = MARGIN_TESTS.iter().map(|t| t.key()).collect();
            err(
                issues,
                IssueKind::Inconsistent,
                format!("{path}.margin"),
                format!(
                    "test \"{}\" has no margin; margins work with {}",
                    e.test.key(),
                    names.join(", ")
                ),
            );
        }
    }
    EndpointOptions {
        favourable,
        role,
        margin: o.margin,
        effect_scale: effect_scale(e.test),
    }
}
