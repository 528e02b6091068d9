//! One module per subcommand.

pub mod cache;
pub mod discriminate;
pub mod export;
pub mod generate;
pub mod report;
pub mod run;
pub mod show;
pub mod sweep;
