//! The command that replays a failed simulated run: its seed, package, test target (when
//! cargo builds it only with features) and test.

use crate::SEED_VAR;

/// `simulation failed with seed 5; replay it with: LAB_SEED=5 RUSTFLAGS=... cargo test ...`.
pub(crate) fn hint(seed: u64) -> String {
    let test = std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .map(str::to_owned);
    let package = std::env::var("CARGO_PKG_NAME").ok();
    let package = package.map(|p| format!(" -p {p}")).unwrap_or_default();
    let target = gated_target().unwrap_or_default();
    // An ignored test runs only when asked for.
    let ignored = std::env::args().any(|arg| arg == "--ignored" || arg == "--include-ignored");
    let ignored = if ignored { " --include-ignored" } else { "" };
    let test = test
        .map(|t| format!(" -- --exact {t}{ignored}"))
        .unwrap_or_default();
    format!(
        "simulation failed with seed {seed}; replay it with:\n  \
         {SEED_VAR}={seed} RUSTFLAGS=\"--cfg madsim\" cargo test --target-dir target/sim{package}{target}{test}"
    )
}

/// ` --features F --test T` when this binary is test target `T` of the package, which
/// cargo builds only with features `F` (its `required-features`): without them the
/// command would run no test.
fn gated_target() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_str()?;
    // cargo names a test binary `<target>-<hash>`.
    let target = stem.rsplit_once('-').map_or(stem, |(target, _)| target);
    let manifest =
        std::path::Path::new(&std::env::var_os("CARGO_MANIFEST_DIR")?).join("Cargo.toml");
    let manifest = std::fs::read_to_string(manifest).ok()?;
    let features = required_features(&manifest, target)?;
    Some(format!(
        " --features {} --test {target}",
        features.join(",")
    ))
}

/// The `required-features` of `[[test]]` target `target` (named with `-` or `_`) in a
/// Cargo.toml, if it has some. Reads only the plain form cargo's own docs use.
fn required_features(manifest: &str, target: &str) -> Option<Vec<String>> {
    let sections = manifest.split("[[test]]").skip(1);
    sections.into_iter().find_map(|section| {
        // The section ends where the next table begins.
        let body: Vec<&str> = section
            .lines()
            .skip(1)
            .take_while(|line| !line.trim_start().starts_with('['))
            .collect();
        let value = |key: &str| {
            body.iter().find_map(|line| {
                let (k, v) = line.split_once('=')?;
                (k.trim() == key).then(|| v.trim().to_owned())
            })
        };
        let name = value("name")?;
        if name.trim_matches('"').replace('-', "_") != target.replace('-', "_") {
            return None;
        }
        let list = value("required-features")?;
        let features: Vec<String> = list
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .map(|f| f.trim().trim_matches('"').to_owned())
            .filter(|f| !f.is_empty())
            .collect();
        (!features.is_empty()).then_some(features)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[package]
name = "lab-tools"

[features]
broken-fixture = []

[[test]]
name = "broken_raft"
path = "tests/broken_raft.rs"
required-features = ["broken-fixture"]

[[test]]
name = "plain"
path = "tests/plain.rs"

[lints]
workspace = true
"#;

    #[test]
    fn a_test_target_behind_features_is_named_with_them() {
        assert_eq!(
            required_features(MANIFEST, "broken_raft"),
            Some(vec!["broken-fixture".to_owned()])
        );
        assert_eq!(required_features(MANIFEST, "plain"), None);
        assert_eq!(required_features(MANIFEST, "other"), None);
    }

    #[test]
    fn an_ordinary_test_target_needs_no_arguments() {
        // This binary is lab-runtime's library tests, which need no features.
        assert_eq!(gated_target(), None);
        assert!(!hint(1).contains("--test"), "{}", hint(1));
    }
}
