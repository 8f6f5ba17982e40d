//! Plan state: the `update_plan` tool's arguments, checked. A plan has at most one step in progress.

use crate::session::json_read::{self, opt, req, FromJson};
use crate::tools::{arg, args_object, at, parse_args};
use serde_json::{Error, Value};

// The derived readers are kept for the tests only (they read every sample both ways); the module
// reads the arguments by hand (tools::parse_args).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum StepStatus {
    Pending,
    InProgress,
    Completed,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::InProgress => "in_progress",
            StepStatus::Completed => "completed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Deserialize), serde(deny_unknown_fields))]
pub struct PlanStep {
    pub step: String,
    pub status: StepStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Deserialize), serde(deny_unknown_fields))]
pub struct PlanUpdate {
    #[cfg_attr(test, serde(default))]
    pub explanation: Option<String>,
    pub plan: Vec<PlanStep>,
}

impl FromJson for StepStatus {
    fn from_json(value: Value) -> Result<Self, Error> {
        const NAMES: &[&str] = &["pending", "in_progress", "completed"];
        const VALUES: &[StepStatus] = &[
            StepStatus::Pending,
            StepStatus::InProgress,
            StepStatus::Completed,
        ];
        Ok(VALUES[json_read::unit_variant(value, NAMES)?])
    }
}

impl FromJson for PlanUpdate {
    /// As the tools' arguments (tools::parse_args); a fault inside a step names it by its index
    /// in `plan` (`` at `plan[1].status` ``).
    fn from_json(value: Value) -> Result<Self, Error> {
        let f = &mut args_object(value, "struct PlanUpdate", &["explanation", "plan"])?;
        let explanation = arg(f, "explanation", opt, &|| "explanation".into())?;
        let steps: Vec<Value> = arg(f, "plan", req, &|| "plan".into())?;
        let mut plan = Vec::with_capacity(steps.len());
        for (i, step) in steps.into_iter().enumerate() {
            let s = &mut args_object(step, "struct PlanStep", &["step", "status"])
                .map_err(|e| at(e, &format!("plan[{i}]")))?;
            plan.push(PlanStep {
                step: arg(s, "step", req, &|| format!("plan[{i}].step"))?,
                status: arg(s, "status", req, &|| format!("plan[{i}].status"))?,
            });
        }
        Ok(PlanUpdate { explanation, plan })
    }
}

/// Parses and checks `update_plan` arguments; the error text goes back to the model.
pub fn parse_update(arguments: &str) -> Result<PlanUpdate, String> {
    let update: PlanUpdate =
        parse_args(arguments).map_err(|e| format!("failed to parse update_plan arguments: {e}"))?;
    validate(&update.plan)?;
    Ok(update)
}

pub fn validate(plan: &[PlanStep]) -> Result<(), String> {
    let in_progress = plan
        .iter()
        .filter(|s| s.status == StepStatus::InProgress)
        .count();
    if in_progress > 1 {
        return Err(format!(
            "update_plan rejected: {in_progress} steps are in_progress; at most one step may be in_progress at a time"
        ));
    }
    if let Some(empty) = plan.iter().position(|s| s.step.trim().is_empty()) {
        return Err(format!(
            "update_plan rejected: step {} has no text",
            empty + 1
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_a_plan_with_one_step_in_progress() {
        let u = parse_update(
            r#"{"explanation":"x","plan":[{"step":"a","status":"completed"},{"step":"b","status":"in_progress"},{"step":"c","status":"pending"}]}"#,
        )
        .unwrap();
        assert_eq!(u.plan.len(), 3);
        assert_eq!(u.plan[1].status, StepStatus::InProgress);
    }

    #[test]
    fn rejects_two_steps_in_progress() {
        let err = parse_update(
            r#"{"plan":[{"step":"a","status":"in_progress"},{"step":"b","status":"in_progress"}]}"#,
        )
        .unwrap_err();
        assert!(err.contains("at most one step"), "{err}");
    }

    #[test]
    fn rejects_malformed_arguments_with_the_reason() {
        assert!(parse_update("{").unwrap_err().contains("failed to parse"));
        assert!(parse_update(r#"{"plan":[{"step":"a","status":"doing"}]}"#)
            .unwrap_err()
            .contains("failed to parse"));
        assert!(parse_update(r#"{"steps":[]}"#).is_err());
    }

    proptest! {
        #[test]
        fn valid_iff_at_most_one_in_progress(statuses in proptest::collection::vec(0u8..3, 0..8)) {
            let plan: Vec<PlanStep> = statuses.iter().enumerate().map(|(i, s)| PlanStep {
                step: format!("step {i}"),
                status: match s { 0 => StepStatus::Pending, 1 => StepStatus::InProgress, _ => StepStatus::Completed },
            }).collect();
            let n = statuses.iter().filter(|s| **s == 1).count();
            prop_assert_eq!(validate(&plan).is_ok(), n <= 1);
        }
    }
}
