//! One module per subcommand.

pub mod cache;
pub mod export;
pub mod generate;
pub mod run;
pub mod show;
