//! The tools offered to the model, per model family, and what the model sees of their results.
//! One concern per module: `specs` (declarations and argument parsing), `output` (command-output
//! formatting and bounding), `safe` (the known-safe command set and what an approval remembers),
//! `heredoc` (apply_patch sent through a command).

mod heredoc;
mod output;
mod safe;
pub mod shell_kind;
mod specs;

pub use heredoc::*;
pub use output::*;
pub use safe::*;
pub use specs::*;

#[cfg(test)]
mod heredoc_tests;
#[cfg(test)]
mod output_tests;
#[cfg(test)]
mod safe_tests;
#[cfg(test)]
mod specs_tests;
