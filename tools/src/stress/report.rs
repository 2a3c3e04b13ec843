//! What is printed of failing runs: where they are kept, and how to replay them.

use crate::stress::build::Target;
use crate::stress::runner::Outcome;

pub fn failure_line(outcome: &Outcome) -> String {
    let seed = outcome
        .job
        .seed
        .map(|s| format!(" seed {s}"))
        .unwrap_or_default();
    format!(
        "FAIL {} run {}{seed}: {} ({})",
        outcome.job.test,
        outcome.job.run,
        outcome.failure.as_deref().unwrap_or("no panic message"),
        outcome
            .kept
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    )
}

/// The failing runs, each with the command that replays it from its seed, as built from
/// `targets[i]` for a run of binary i.
pub fn report_failures(targets: &[Target], failed: &[Outcome]) {
    if failed.is_empty() {
        println!("\nno failures");
        return;
    }
    println!("\n{} failing run(s):", failed.len());
    for outcome in failed {
        println!("  {}", failure_line(outcome));
        if let (Some(seed), Some(target)) = (outcome.job.seed, targets.get(outcome.job.binary)) {
            println!(
                "    replay: {}",
                target.replay_command(&outcome.job.test, seed)
            );
        }
        if let Some((log, same)) = &outcome.replay {
            let verdict = if *same {
                "replayed with LAB_LOG=debug, failed the same way"
            } else {
                "replayed with LAB_LOG=debug, but did NOT fail the same way"
            };
            println!("    {verdict}: {}", log.display());
            println!(
                "    read it: cargo run -q -p lab-tools --bin logs -- {}",
                log.display()
            );
        }
    }
}
