//! The verdict a run sends on the private channel, and the secret token it must carry.

use std::io::Read;

use anyhow::{Context, Result};

/// What the tester reported of one test, from the line that carries the run's token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    pub test: String,
    pub passed: bool,
    pub message: String,
    pub seconds: f64,
    pub peers: u64,
    pub rpcs: u64,
    pub bytes: u64,
    pub commands: u64,
    pub warnings: u64,
}

/// A fresh secret for one run: 128 bits from the kernel, as hex.
pub fn token() -> Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot read /dev/urandom for a run's token")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The verdict for `test` in what the channel carried: the first line that is JSON with
/// `token` and names `test`. Lines without the token are ignored; a line with the token that
/// does not parse is an error (the tester writes only well-formed lines).
pub fn find(channel: &str, token: &str, test: &str) -> Result<Option<Verdict>> {
    for line in channel.lines() {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if value["token"].as_str() != Some(token) {
            continue;
        }
        let verdict = parse(&value).with_context(|| format!("a malformed verdict: {line}"))?;
        if verdict.test == test {
            return Ok(Some(verdict));
        }
    }
    Ok(None)
}

/// How many non-empty lines of the channel do not carry `token`: forgeries, or noise.
pub fn untokened_lines(channel: &str, token: &str) -> usize {
    channel
        .lines()
        .filter(|line| !line.trim().is_empty())
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .map_or(true, |value| value["token"].as_str() != Some(token))
        })
        .count()
}

fn parse(value: &serde_json::Value) -> Result<Verdict> {
    let text = |key: &str| -> Result<String> {
        value[key]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no text `{key}`"))
    };
    let number = |key: &str| -> Result<u64> {
        value[key]
            .as_u64()
            .with_context(|| format!("no whole number `{key}`"))
    };
    let passed = match text("outcome")?.as_str() {
        "passed" => true,
        "failed" => false,
        other => anyhow::bail!("an outcome that is neither passed nor failed: {other}"),
    };
    Ok(Verdict {
        test: text("test")?,
        passed,
        message: text("message")?,
        seconds: value["seconds"].as_f64().context("no number `seconds`")?,
        peers: number("peers")?,
        rpcs: number("rpcs")?,
        bytes: number("bytes")?,
        commands: number("commands")?,
        warnings: number("warnings")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"token":"abc","test":"t_2A","outcome":"passed","message":"","seconds":3.5,"peers":3,"rpcs":58,"bytes":1152,"commands":0,"warnings":1}"#;

    #[test]
    fn only_the_line_with_the_token_counts() {
        let forged = LINE.replace("abc", "guess");
        let channel = format!("{forged}\nnot json\n{LINE}\n");
        let verdict = find(&channel, "abc", "t_2A")
            .expect("parses")
            .expect("found");
        assert!(verdict.passed);
        assert_eq!((verdict.peers, verdict.rpcs, verdict.warnings), (3, 58, 1));
        assert_eq!(find(&forged, "abc", "t_2A").expect("parses"), None);
        assert_eq!(find(LINE, "abc", "other_2A").expect("parses"), None);
        assert_eq!(untokened_lines(&channel, "abc"), 2);
    }

    #[test]
    fn a_token_line_that_is_malformed_is_an_error() {
        let bad = LINE.replace(r#""rpcs":58"#, r#""rpcs":"many""#);
        let error = find(&bad, "abc", "t_2A").expect_err("malformed");
        assert!(format!("{error:#}").contains("rpcs"), "{error:#}");
    }

    #[test]
    fn tokens_differ() {
        let (a, b) = (token().expect("a"), token().expect("b"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
