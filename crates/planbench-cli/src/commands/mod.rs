//! One module per subcommand; none imports another.

pub mod cache;
pub mod discriminate;
pub mod export;
pub mod generate;
pub mod merge;
pub mod protocol;
pub mod report;
pub mod run;
pub mod show;
pub mod study;
pub mod sweep;
