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
    /// The modes the tester ran under.
    pub checks: bool,
    pub strict: bool,
}

/// A fresh secret for one run: 128 bits from the kernel, as hex.
pub fn token() -> Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot read /dev/urandom for a run's token")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The run's verdict from what the channel carried. The channel must carry exactly one
/// line, with the run's token, a verdict for `test`: anything else fails the run, with
/// why. A line without the token is a forgery (the tester writes none), a refusal is the
/// tester's report of a `run_test` call that may not give a verdict (before `main`, on a
/// thread of its own, a second one), and a second verdict means a second test ran.
/// `Ok(None)`: the channel was empty.
pub fn read(channel: &str, token: &str, test: &str) -> Result<Option<Verdict>, String> {
    let lines: Vec<&str> = channel.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut tokened = Vec::new();
    let mut forged = 0;
    for line in &lines {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(value) if value["token"].as_str() == Some(token) => tokened.push((line, value)),
            _ => forged += 1,
        }
    }
    if forged > 0 {
        return Err(format!(
            "the verdict channel carried {forged} line(s) without this run's token"
        ));
    }
    let mut verdicts = Vec::new();
    for (line, value) in &tokened {
        if value["outcome"].as_str() == Some("refused") {
            let why = value["message"].as_str().unwrap_or("no reason given");
            return Err(format!("the tester refused a verdict: {why}"));
        }
        verdicts.push(parse(value).map_err(|e| format!("a malformed verdict ({e:#}): {line}"))?);
    }
    match verdicts.len() {
        0 => Ok(None),
        1 => {
            let verdict = verdicts.remove(0);
            if verdict.test == test {
                Ok(Some(verdict))
            } else {
                Err(format!(
                    "a verdict for {:?}, not for {test:?}",
                    verdict.test
                ))
            }
        }
        n => Err(format!("{n} verdicts on the channel, one expected")),
    }
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
        checks: value["checks"]
            .as_bool()
            .context("no true or false `checks`")?,
        strict: value["strict"]
            .as_bool()
            .context("no true or false `strict`")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"token":"abc","test":"t_2A","outcome":"passed","message":"","seconds":3.5,"peers":3,"rpcs":58,"bytes":1152,"commands":0,"warnings":1,"checks":true,"strict":false}"#;

    #[test]
    fn one_line_with_the_token_is_the_verdict() {
        let verdict = read(&format!("{LINE}\n"), "abc", "t_2A")
            .expect("accepted")
            .expect("found");
        assert!(verdict.passed && verdict.checks && !verdict.strict);
        assert_eq!((verdict.peers, verdict.rpcs, verdict.warnings), (3, 58, 1));
        assert_eq!(read("", "abc", "t_2A"), Ok(None));
    }

    #[test]
    fn anything_else_on_the_channel_fails_the_run() {
        let forged = LINE.replace("abc", "guess");
        let refused = LINE.replace(
            r#""outcome":"passed","message":"""#,
            r#""outcome":"refused","message":"early""#,
        );
        let fails = |channel: &str, test: &str| read(channel, "abc", test).expect_err(channel);
        assert!(fails(&format!("{forged}\n{LINE}"), "t_2A").contains("1 line(s) without"));
        assert!(fails(&format!("not json\n{LINE}"), "t_2A").contains("without this run's token"));
        assert!(fails(&format!("{LINE}\n{LINE}"), "t_2A").contains("2 verdicts"));
        assert!(fails(&format!("{refused}\n{LINE}"), "t_2A").ends_with("refused a verdict: early"));
        assert!(fails(LINE, "other_2A").contains("a verdict for \"t_2A\""));
        let bad = LINE.replace(r#""rpcs":58"#, r#""rpcs":"many""#);
        assert!(fails(&bad, "t_2A").contains("rpcs"));
    }

    #[test]
    fn tokens_differ() {
        let (a, b) = (token().expect("a"), token().expect("b"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
