"""Independent reference implementation of the hfsim patient model.

Written from ``docs/model.md`` only (sections 1-8, "Integration" and the
parameter table, whose defaults are parsed from the document itself). It does
not import or mirror the Rust code; it is the second program of the
double-programming check (``tests/model_double_programming.rs``).

Units as in the document: time in days, cells in 1e6 cells per kg, D-dimer in
mg/L FEU, volumes in mL, ejection fractions as fractions inside the equations
and in % in the observables.

Interpretations of points the document leaves open are marked ``AMBIGUITY``
and collected in ``README.md``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

LN2 = math.log(2.0)
DOC = Path(__file__).resolve().parents[2] / "docs" / "model.md"

# ----------------------------------------------------------------- states
STATE_NAMES = [
    "L", "H", "D", "X", "G", "Gm",
    "P1", "P2", "P3", "M1", "M2", "M3",
    "I", "C", "J", "B", "Ab", "Q", "R",
    "yL", "zL", "yR", "zR",
    "Lambda_HFH", "Lambda_death", "Lambda_SAE",
]
N = len(STATE_NAMES)
assert N == 26
(L_, H_, D_, X_, G_, GM_, P1_, P2_, P3_, M1_, M2_, M3_, I_, C_, J_, B_, AB_, Q_, R_,
 YL_, ZL_, YR_, ZR_, HHFH_, HDEATH_, HSAE_) = range(N)

GDMT_CLASSES = ["arni", "acei_arb", "beta_blocker", "mra", "sglt2i"]
ROUTES = ["intravenous", "intracoronary", "transendocardial", "epicardial_patch"]

OBSERVABLE_NAMES = [
    "lvef_percent", "lvedv_ml", "lvesv_ml", "rvef_percent", "rvedv_ml", "rvesv_ml",
    "tapse_mm", "ntprobnp_ng_per_l", "six_minute_walk_m", "ddimer_mg_per_l", "inr",
    "antibody", "rv_signal", "lv_signal",
]


def default_parameters(doc: Path = DOC) -> dict[str, float]:
    """Defaults from the parameter table of docs/model.md (section "Parameters")."""
    text = doc.read_text(encoding="utf-8")
    section = text[text.index("## Parameters"):]
    params: dict[str, float] = {}
    for line in section.splitlines():
        m = re.match(r"^\| `([a-z0-9_]+)` \| [^|]* \| ([^|]+) \|", line)
        if m:
            params[m.group(1)] = float(m.group(2).strip())
    if len(params) < 100:
        raise RuntimeError(f"parsed only {len(params)} parameters from {doc}")
    return params


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def logistic(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def log1m_logistic(z: float) -> float:
    """ln(1 - logistic(z)) = -ln(1 + e^z), computed stably."""
    return -float(np.logaddexp(0.0, z))


def psi(k: float, mu: float, t: float) -> float:
    """Lagged response of section 5.

    psi_k(t) = 1 - (k e^{-mu t} - mu e^{-k t}) / (k - mu), and
    1 - e^{-k t}(1 + k t) if k = mu. Rewritten as
    1 - e^{-mu t} (1 + mu t q((k - mu) t)), q(x) = (1 - e^{-x}) / x, q(0) = 1,
    which is algebraically identical and has no cancellation near k = mu.
    """
    x = (k - mu) * t
    q = 1.0 if x == 0.0 else -math.expm1(-x) / x
    return 1.0 - math.exp(-mu * t) * (1.0 + mu * t * q)


def bounded_share(A: float, Psi: float, delta0: float, rho: float) -> float:
    """Share sigma of GDMT's full effect A realised within the room (docs/model.md section 6).

    sigma = D(sigma) (1 - exp(-A / D(sigma))) / A with D(sigma) = rho max(0, delta0 + sigma Psi);
    sigma = 1 when A <= 0. Iterated from sigma = 1 to the fixed point.
    AMBIGUITY (section 6): D(sigma) = 0 (no room) is read as the limit D (1 - e^{-A/D}) -> 0, sigma = 0.
    AMBIGUITY (section 6): "iterated from sigma = 1" is read as iterated to convergence (the fixed point),
    not a fixed number of iterations.
    """
    if A <= 0.0:
        return 1.0

    def step(sig: float) -> float:
        D = rho * max(0.0, delta0 + sig * Psi)
        if D <= 0.0:
            return 0.0
        return -D * math.expm1(-A / D) / A

    sig = 1.0
    for _ in range(10_000):
        nxt = step(sig)
        if abs(nxt - sig) <= 1e-15:
            return nxt
        sig = nxt
    raise RuntimeError(f"bounded_share did not converge (A {A}, Psi {Psi}, delta0 {delta0}, rho {rho})")


# ---------------------------------------------------------------- inputs
@dataclass
class Baseline:
    age: float = 65.0
    nyha_iii: bool = False
    ischaemic: bool = True
    lvef_percent: float = 30.0
    lvedv_ml: float = 200.0
    rvedv_ml: float = 170.0
    tapse_mm: float = 16.0
    ntprobnp: float = 1500.0
    six_minute_walk_m: float = 380.0
    ddimer: float = 0.5
    anticoagulant: str = "none"  # none | vka | noac
    # days on each class at enrolment, in GDMT_CLASSES order; None = not taken
    gdmt_days_on: list = field(default_factory=lambda: [None] * 5)

    def to_json(self) -> dict:
        return {
            "age": self.age, "nyha_iii": self.nyha_iii, "ischaemic": self.ischaemic,
            "lvef_percent": self.lvef_percent, "lvedv_ml": self.lvedv_ml, "rvedv_ml": self.rvedv_ml,
            "tapse_mm": self.tapse_mm, "ntprobnp": self.ntprobnp,
            "six_minute_walk_m": self.six_minute_walk_m, "ddimer": self.ddimer,
            "anticoagulant": self.anticoagulant, "gdmt_days_on": list(self.gdmt_days_on),
        }


@dataclass
class Regimen:
    route: str = "intravenous"
    dose_cells_per_kg: float = 1e6
    dose_days: list = field(default_factory=lambda: [0.0])
    infusion_duration_days: float = 1.0 / 24.0
    premedication: str = "none"  # none | methylprednisolone
    heparin: bool = False
    donor: str = "allogeneic"  # allogeneic | autologous
    immunosuppression: bool = False

    def to_json(self) -> dict:
        return {
            "route": self.route, "dose_cells_per_kg": self.dose_cells_per_kg,
            "dose_days": list(self.dose_days), "infusion_duration_days": self.infusion_duration_days,
            "premedication": self.premedication, "heparin": self.heparin, "donor": self.donor,
            "immunosuppression": self.immunosuppression,
        }


# ------------------------------------------------------------------ model
class PatientModel:
    """Constants of one patient, the right-hand side, doses and observables."""

    def __init__(self, p: dict[str, float], b: Baseline, r: Regimen):
        if r.route not in ROUTES:
            raise ValueError(f"unknown route {r.route}")
        self.p, self.b, self.r = p, b, r
        methyl = r.premedication == "methylprednisolone"
        anticoag = b.anticoagulant in ("vka", "noac")
        heparin = r.heparin

        # --- section 1: delivery fractions by route
        if r.route == "intravenous":
            E = p["iv_lung_extraction_fraction"] * ((1.0 - p["heparin_extraction_reduction"]) if heparin else 1.0)
            FH = (1.0 - E) * p["iv_heart_homing_fraction"]
            FG = 0.0
            self.infusion = True
        elif r.route == "intracoronary":
            E, FH, FG = p["ic_lung_fraction"], p["ic_heart_retention_fraction"], 0.0
            self.infusion = True
        elif r.route == "transendocardial":
            E, FH, FG = p["te_lung_fraction"], p["te_heart_retention_fraction"], 0.0
            self.infusion = False
        else:
            E, FH, FG = 0.0, 0.0, p["patch_engraftment_fraction"]
            self.infusion = False
        total = E + FH + FG
        if total > 1.0:
            E, FH, FG = E / total, FH / total, FG / total
        self.E, self.FH, self.FG = E, FH, FG
        self.FD = 1.0 - E - FH - FG
        # AMBIGUITY (section 1): beta of the transendocardial route uses F_H after any rescaling.
        if r.route in ("intravenous", "intracoronary"):
            self.beta = 1.0
        elif r.route == "transendocardial":
            self.beta = 1.0 - FH
        else:
            self.beta = 0.0
        # "infusion over infusion_duration (0 = bolus)"; injections and implantation are boluses.
        self.duration = max(r.infusion_duration_days, 0.0) if self.infusion else 0.0

        # --- section 3: share of cell-induced coagulation left active
        # AMBIGUITY (section 3): the heparin factor applies whenever the regimen gives heparin,
        # for the whole follow-up (u is a patient constant), like the VKA/NOAC factor.
        self.u = (1.0 - p["vka_noac_inhibition"] if anticoag else 1.0) * (1.0 - p["heparin_inhibition"] if heparin else 1.0)
        self.sigma = p["ibmir_susceptibility"]

        # --- section 1: rates
        self.kL = LN2 / p["lung_cell_half_life_days"] * (1.0 + p["ibmir_lung_clearance_increase"] * self.u * self.beta)
        self.kH = LN2 / p["heart_cell_half_life_days"]
        self.kD = LN2 / p["debris_half_life_days"]
        self.kmat = LN2 / p["patch_maturation_half_life_days"]
        rho = 1.0 if r.immunosuppression else p["patch_rejection_factor"]
        self.kloss = LN2 / p["patch_graft_loss_half_life_days"] * rho
        self.kmloss = LN2 / p["patch_mature_loss_half_life_days"] * rho

        # --- section 2: paracrine
        self.m = (1.0 - p["methylprednisolone_paracrine_damping"]) if methyl else 1.0
        self.k = p["paracrine_transit_rate_per_day"]
        self.phi = p["lung_to_lv_signal_fraction"]
        self.phiG = p["patch_paracrine_fraction"]
        # structural alternatives (docs/model.md section 2): durable repair
        durable = p.get("repair_durability", 0.0) >= 0.5
        self.kQ = 0.0 if durable else LN2 / p["rv_repair_half_life_days"]
        self.kR = 0.0 if durable else LN2 / p["lv_repair_half_life_days"]
        self.linear_exposure = p.get("repair_exposure_response", 0.0) >= 0.5

        # --- section 3: coagulation
        self.aI = p["ibmir_ddimer_gain"] * self.u * self.sigma * self.beta
        self.aC_unit = p["sustained_ddimer_gain"] * self.u * self.sigma * self.beta
        self.kI = LN2 / p["ibmir_half_life_days"]
        self.kC = LN2 / p["sustained_procoag_half_life_days"]

        # --- section 4: immune
        self.gamma = (p["immune_priming_gain"] * p["immunogenicity"]
                      * (1.0 if r.donor == "allogeneic" else 0.0)
                      * ((1.0 - p["methylprednisolone_immune_damping"]) if methyl else 1.0)
                      * ((1.0 - p["immunosuppression_immune_damping"]) if r.immunosuppression else 1.0))
        self.kAb = LN2 / p["antibody_half_life_days"]

        # --- section 5: GDMT
        s = p["gdmt_response"] * (p["gdmt_ischaemic_response_factor"] if b.ischaemic else 1.0)
        self.mu = 1.0 / p["gdmt_time_constant_days"]
        # AMBIGUITY (section 5): every class in the history contributes, ARNI and ACEi/ARB alike.
        self.gdmt_terms = []  # (s a_ef, s a_edv, t_on)
        for cls, t_on in zip(GDMT_CLASSES, b.gdmt_days_on):
            if t_on is None:
                continue
            self.gdmt_terms.append((s * p[f"{cls}_logit_ef_effect"], s * p[f"{cls}_log_edv_effect"], float(t_on)))

        # --- section 6: remodelling
        self.kLV = LN2 / p["lv_remodelling_half_life_days"]
        self.kRV = LN2 / p["rv_remodelling_half_life_days"]
        self.pi_ef = p["lv_progression_logit_ef_per_year"] / 365.25
        self.pi_edv = p["lv_progression_log_edv_per_year"] / 365.25
        self.pi_rv = p["rv_progression_log_edv_per_year"] / 365.25
        c0 = p["rv_gdmt_coupling"]
        rho_L = p["lv_recoverable_fraction"]
        rho_R = p["rv_recoverable_fraction"]
        zN_L = logit(p["lv_normal_ef"])
        yN_L = math.log(p["lv_normal_edv_ml"])
        zN_R = logit(p["rv_normal_ef"])
        yN_R = math.log(p["rv_normal_edv_ml"])

        yL0 = math.log(b.lvedv_ml)
        zL0 = logit(b.lvef_percent / 100.0)
        yR0 = math.log(b.rvedv_ml)
        rvef0 = p["rvef_at_tapse_17mm"] + (b.tapse_mm - 17.0) / p["tapse_per_rvef_point_mm"] / 100.0
        rvef0 = min(max(rvef0, 0.10), 0.75)
        zR0 = logit(rvef0)
        self.yL0, self.zL0, self.yR0, self.zR0, self.rvef0 = yL0, zL0, yR0, zR0, rvef0

        # Room to improve. Full (unbounded) GDMT effects A and their realised parts at day 0,
        # Psi_k = sum_g s a_g psi_k(t_on,g), on the LV and RV remodelling rates.
        A_ef = sum(aef for aef, _, _ in self.gdmt_terms)
        A_edv = sum(aedv for _, aedv, _ in self.gdmt_terms)
        Psi_ef_LV = sum(aef * psi(self.kLV, self.mu, ton) for aef, _, ton in self.gdmt_terms)
        Psi_edv_LV = sum(aedv * psi(self.kLV, self.mu, ton) for _, aedv, ton in self.gdmt_terms)
        Psi_ef_RV = sum(aef * psi(self.kRV, self.mu, ton) for aef, _, ton in self.gdmt_terms)
        self.A_ef, self.A_edv = A_ef, A_edv
        self.sigma_ef = bounded_share(A_ef, Psi_ef_LV, zN_L - zL0 - self.pi_ef / self.kLV, rho_L)
        self.sigma_edv = bounded_share(-A_edv, -Psi_edv_LV, yL0 - yN_L + self.pi_edv / self.kLV, rho_L)
        self.sigma_rv = bounded_share(c0 * self.sigma_ef * A_ef, c0 * self.sigma_ef * Psi_ef_RV, zN_R - zR0, rho_R)
        self.c = c0 * self.sigma_rv
        # From here on every class effect is scaled by its share (sigma_ef on logit EF, sigma_edv on ln EDV).
        self.gdmt_terms = [(self.sigma_ef * aef, self.sigma_edv * aedv, ton) for aef, aedv, ton in self.gdmt_terms]

        # Untreated references and recoverable deficits ("rooms").
        self.yL_u = yL0 - sum(aedv * psi(self.kLV, self.mu, ton) for _, aedv, ton in self.gdmt_terms) + self.pi_edv / self.kLV
        self.zL_u = zL0 - sum(aef * psi(self.kLV, self.mu, ton) for aef, _, ton in self.gdmt_terms) + self.pi_ef / self.kLV
        self.yR_u = yR0 + self.pi_rv / self.kRV
        self.zR_u = zR0 - self.c * sum(aef * psi(self.kRV, self.mu, ton) for aef, _, ton in self.gdmt_terms)
        self.D_ef = rho_L * max(0.0, zN_L - self.zL_u)
        self.D_edv = rho_L * max(0.0, self.yL_u - yN_L)
        self.D_rvef = rho_R * max(0.0, zN_R - self.zR_u)
        self.D_rvedv = rho_R * max(0.0, self.yR_u - yN_R)
        # injury's room: how far the untreated LV is from the floor (section 6)
        self.W_inj = max(0.0, self.zL_u - logit(p["lv_injury_floor_ef"]))

        # --- section 7: biomarker baselines
        self.tapse_max = p["tapse_max_mm"]
        self.tapse_p0 = min(max(b.tapse_mm / self.tapse_max, 0.01), 0.99)
        self.lvef0 = logistic(zL0)
        self.ln_lvesv0 = yL0 + log1m_logistic(zL0)
        self.ln_ntprobnp0 = math.log(b.ntprobnp)

        # --- section 8: hazards
        self.anticoag = anticoag
        self.nyha_term = p["hazard_log_hr_nyha_iii"] if b.nyha_iii else 0.0
        self.age_term = p["hazard_log_hr_per_decade_age"] * (b.age - 60.0) / 10.0

        # --- section 4: dose amount in 1e6 cells/kg
        self.dose = r.dose_cells_per_kg / 1e6

    # ------------------------------------------------------------ state
    def initial_state(self) -> np.ndarray:
        y = np.zeros(N)
        y[YL_], y[ZL_], y[YR_], y[ZR_] = self.yL0, self.zL0, self.yR0, self.zR0
        return y

    def bounded_injury(self, J: float) -> float:
        """J_b = W (1 - exp(-J / W)), 0 when W = 0 (docs/model.md section 6)."""
        if self.W_inj <= 0.0:
            return 0.0
        return -self.W_inj * math.expm1(-J / self.W_inj)

    def gdmt(self, t: float) -> tuple[float, float]:
        s_ef = s_edv = 0.0
        for aef, aedv, ton in self.gdmt_terms:
            f = -math.expm1(-self.mu * (t + ton))
            s_ef += aef * f
            s_edv += aedv * f
        return s_ef, s_edv

    def ln_ntprobnp(self, y) -> float:
        ln_lvesv = y[YL_] + log1m_logistic(y[ZL_])
        return (self.ln_ntprobnp0 + self.p["ntprobnp_lvesv_elasticity"] * (ln_lvesv - self.ln_lvesv0)
                + self.p["ntprobnp_rvedv_elasticity"] * (y[YR_] - self.yR0))

    # ------------------------------------------------------------- doses
    def dose_amounts(self, y) -> dict[str, float]:
        """Amounts delivered by one dose given in state ``y`` (section 4 and 3)."""
        d = self.dose
        ab = max(y[AB_], 0.0)
        v = 1.0 / (1.0 + ab / self.p["antibody_lysis_ab50"])
        viable, lysed = d * v, d * (1.0 - v)
        aC = self.aC_unit * (self.p["sustained_ddimer_base_fraction"] + self.p["sustained_antibody_amplification"] * ab)
        return {"viable": viable, "lysed": lysed, "acute": self.aI * viable, "sustained": aC * viable}

    def apply_bolus(self, y, a) -> None:
        y[L_] += self.E * a["viable"]
        y[H_] += self.FH * a["viable"]
        y[G_] += self.FG * a["viable"]
        y[D_] += self.FD * a["viable"] + a["lysed"]
        y[I_] += a["acute"]
        y[C_] += a["sustained"]

    # --------------------------------------------------------------- rhs
    def rhs(self, t: float, y, rates: dict[str, float]) -> np.ndarray:
        p = self.p
        r, rx = rates["viable"], rates["lysed"]
        dy = np.zeros(N)
        L, H, D, G, Gm = y[L_], y[H_], y[D_], y[G_], y[GM_]
        # section 1
        dy[L_] = self.E * r - self.kL * L
        dy[H_] = self.FH * r - self.kH * H
        dy[G_] = self.FG * r - (self.kmat + self.kloss) * G
        dy[GM_] = self.kmat * G - self.kmloss * Gm
        dy[D_] = self.FD * r + rx + self.kL * L + self.kH * H + self.kloss * G + self.kmloss * Gm - self.kD * D
        dy[X_] = self.kD * D
        # section 2
        k, m = self.k, self.m
        dy[P1_] = m * L - k * y[P1_]
        dy[P2_] = k * (y[P1_] - y[P2_])
        dy[P3_] = k * (y[P2_] - y[P3_])
        dy[M1_] = m * (H + self.phi * L + self.phiG * G) - k * y[M1_]
        dy[M2_] = k * (y[M1_] - y[M2_])
        dy[M3_] = k * (y[M2_] - y[M3_])
        s_rv, s_lv = k * y[P3_], k * y[M3_]
        C = y[C_]
        def h(x: float) -> float:
            # exposure-response: Emax, or linear up to the ceiling
            return x / (1.0 + x ** 4) ** 0.25 if self.linear_exposure else x / (1.0 + x)
        g_rv = p["rv_repair_emax_per_day"] * h(s_rv / p["rv_signal_ec50"]) if s_rv > 0.0 else 0.0
        g_lv = (p["lv_repair_emax_per_day"] * h(s_lv / p["lv_signal_ec50"])
                / (1.0 + max(C, 0.0) / p["ddimer_lv_attenuation_c50_mg_per_l"])) if s_lv > 0.0 else 0.0
        dy[Q_] = g_rv * (1.0 - y[Q_]) - self.kQ * y[Q_]
        dy[R_] = g_lv * (1.0 - y[R_]) - self.kR * y[R_]
        # section 3
        dy[I_] = rates["acute"] - self.kI * y[I_]
        dy[C_] = rates["sustained"] - self.kC * C
        dy[J_] = p["microvascular_injury_rate"] * C
        # section 4
        tau = p["immune_delay_days"]
        dy[B_] = self.gamma * (L + H + G) - y[B_] / tau
        dy[AB_] = y[B_] / tau - self.kAb * y[AB_]
        # sections 5 and 6 (G_ef, G_edv: GDMT set points with the bounded shares)
        g_ef, g_edv = self.gdmt(t)
        yL_set = self.yL_u + g_edv + self.pi_edv * t - p["lv_repair_edv_fraction"] * y[R_] * max(0.0, self.D_edv + g_edv)
        zL_set = (self.zL_u + g_ef + self.pi_ef * t + p["lv_repair_ef_fraction"] * y[R_] * max(0.0, self.D_ef - g_ef)
                  - self.bounded_injury(y[J_]) + p["patch_contractility_gain"] * Gm)
        yR_set = self.yR_u + self.pi_rv * t - p["rv_repair_edv_fraction"] * y[Q_] * self.D_rvedv
        zR_set = (self.zR_u + self.c * g_ef
                  + p["rv_repair_ef_fraction"] * y[Q_] * max(0.0, self.D_rvef - self.c * g_ef))
        dy[YL_] = self.kLV * (yL_set - y[YL_])
        dy[ZL_] = self.kLV * (zL_set - y[ZL_])
        dy[YR_] = self.kRV * (yR_set - y[YR_])
        dy[ZR_] = self.kRV * (zR_set - y[ZR_])
        # section 8
        lvef_pct = 100.0 * logistic(y[ZL_])
        lp = (p["hazard_log_hr_per_lvef_point"] * (lvef_pct - 30.0)
              + p["hazard_log_hr_per_ln_ntprobnp"] * (self.ln_ntprobnp(y) - math.log(1500.0)) + self.nyha_term)
        dy[HHFH_] = p["hfh_rate_per_year"] / 365.25 * math.exp(lp)
        dy[HDEATH_] = p["death_rate_per_year"] / 365.25 * math.exp(lp + self.age_term)
        dy[HSAE_] = (p["sae_rate_per_year"] / 365.25 * (p["sae_anticoagulant_hr"] if self.anticoag else 1.0)
                     + p["sae_thrombotic_rate_per_mg_l_year"] / 365.25 * (max(y[I_], 0.0) + max(C, 0.0)))
        return dy

    # -------------------------------------------------------- observables
    def observables(self, t: float, y) -> dict[str, float]:
        p = self.p
        lvef = logistic(y[ZL_])
        rvef = logistic(y[ZR_])
        lvedv = math.exp(y[YL_])
        rvedv = math.exp(y[YR_])
        e = p["ddimer_enrolment_excess"]
        dd_stable = self.b.ddimer / (1.0 + e)
        ddimer = (dd_stable * (1.0 + e * math.exp(-LN2 * t / p["ddimer_enrolment_half_life_days"]))
                  + max(y[I_], 0.0) + max(y[C_], 0.0)
                  + p["ddimer_injury_gain"] * max(y[J_], 0.0))
        inr_a = {"none": p["inr_none"], "vka": p["inr_vka"], "noac": p["inr_noac"]}[self.b.anticoagulant]
        inr = max(0.5, inr_a - p["inr_procoagulant_slope"] * max(y[C_], 0.0))
        tmax, p0 = self.tapse_max, self.tapse_p0
        tapse = tmax * logistic(logit(p0) + p["tapse_per_rvef_point_mm"] * 100.0 * (rvef - self.rvef0)
                                / (tmax * p0 * (1.0 - p0)))
        walk = max(0.0, self.b.six_minute_walk_m + p["walk_per_lvef_point_m"] * 100.0 * (lvef - self.lvef0)
                   + p["walk_per_rvef_point_m"] * 100.0 * (rvef - self.rvef0))
        return {
            "lvef_percent": 100.0 * lvef,
            "lvedv_ml": lvedv,
            "lvesv_ml": lvedv * (1.0 - lvef),
            "rvef_percent": 100.0 * rvef,
            "rvedv_ml": rvedv,
            "rvesv_ml": rvedv * (1.0 - rvef),
            "tapse_mm": tapse,
            # the observable has the assay floor; the hazards (rhs) use the unfloored value
            "ntprobnp_ng_per_l": math.hypot(math.exp(self.ln_ntprobnp(y)), p["ntprobnp_floor_ng_per_l"]),
            "six_minute_walk_m": walk,
            "ddimer_mg_per_l": ddimer,
            "inr": inr,
            "antibody": y[AB_],
            "rv_signal": self.k * y[P3_],
            "lv_signal": self.k * y[M3_],
        }


# ------------------------------------------------------------- simulation
ZERO_RATES = {"viable": 0.0, "lysed": 0.0, "acute": 0.0, "sustained": 0.0}


def simulate(model: PatientModel, sample_days, end_day: float, method: str = "Radau",
             rtol: float = 1e-11, atol: float = 1e-13, exact_stops: bool = False) -> dict:
    """Integrate piecewise between dose starts and infusion ends (section "Integration").

    Returns the state at each sample day (observations at a dose day are taken
    before the dose) and the cumulative hazards at days 0, 1, ..., floor(end).
    With ``exact_stops`` the integration is also restarted at every requested
    day instead of reading the solver's dense output (used to check the
    interpolation error of the reference itself).
    """
    sample_days = [min(max(float(t), 0.0), end_day) for t in sample_days]
    n_grid = int(math.floor(end_day)) + 1
    targets = sorted([(t, "s", i) for i, t in enumerate(sample_days)] + [(float(d), "g", d) for d in range(n_grid)],
                     key=lambda x: x[0])
    bounds = []
    if model.dose > 0.0:
        for d in model.r.dose_days:
            d = float(d)
            if 0.0 <= d < end_day:
                bounds.append((d, 1, "dose"))
                if model.duration > 0.0:
                    bounds.append((min(d + model.duration, end_day), 0, "infusion_end"))
    bounds.append((end_day, 2, "end"))
    bounds.sort(key=lambda x: (x[0], x[1]))

    samples = [None] * len(sample_days)
    grid = [None] * n_grid

    def record(target, y):
        if target[1] == "s":
            samples[target[2]] = np.array(y, dtype=float)
        else:
            grid[target[2]] = [float(y[HHFH_]), float(y[HDEATH_]), float(y[HSAE_])]

    y = model.initial_state()
    t = 0.0
    rates = dict(ZERO_RATES)
    nxt = 0
    while nxt < len(targets) and targets[nxt][0] <= t:
        record(targets[nxt], y)
        nxt += 1
    nfev = 0
    for tb, _, kind in bounds:
        if tb > t:
            first = nxt
            while nxt < len(targets) and targets[nxt][0] <= tb:
                nxt += 1
            seg_targets = targets[first:nxt]
            fun = (lambda tt, yy, rr=dict(rates): model.rhs(tt, yy, rr))
            if exact_stops:
                stops = sorted({x[0] for x in seg_targets if x[0] < tb})
                t0 = t
                for ts in stops + [tb]:
                    if ts > t0:
                        sol = solve_ivp(fun, (t0, ts), y, method=method, rtol=rtol, atol=atol)
                        if not sol.success:
                            raise RuntimeError(sol.message)
                        nfev += sol.nfev
                        y = sol.y[:, -1].copy()
                        t0 = ts
                    for tg in seg_targets:
                        if tg[0] == ts:
                            record(tg, y)
            else:
                # t_eval at the requested days of this segment plus its end (the state carried on)
                t_eval = sorted({x[0] for x in seg_targets} | {tb})
                sol = solve_ivp(fun, (t, tb), y, method=method, rtol=rtol, atol=atol, t_eval=t_eval)
                if not sol.success:
                    raise RuntimeError(sol.message)
                nfev += sol.nfev
                at = {tt: sol.y[:, j].copy() for j, tt in enumerate(sol.t)}
                for tg in seg_targets:
                    record(tg, at[tg[0]])
                y = at[tb]
            t = tb
        if kind == "dose":
            amounts = model.dose_amounts(y)
            if model.duration > 0.0:
                rates = {key: val / model.duration for key, val in amounts.items()}
            else:
                y = y.copy()
                model.apply_bolus(y, amounts)
        elif kind == "infusion_end":
            rates = dict(ZERO_RATES)
    return {"samples": samples, "hazard_grid": grid, "final_state": y, "nfev": nfev}
