//! The sandbox worker of planbench's GSM8K task: runs Python programs sent by its parent on
//! stdin (see `planbench_tasks::gsm8k::sandbox`). Not meant to be started by hand.

use std::process::ExitCode;

// Counts every allocation so that monty can enforce its memory budget.
#[global_allocator]
static ALLOCATOR: monty_alloc::LimitedAllocator = monty_alloc::LimitedAllocator;

fn main() -> ExitCode {
    planbench_tasks::gsm8k::worker_main()
}
