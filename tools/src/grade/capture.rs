//! A child's output, read from a pipe and kept within a cap: its head and its tail, the
//! middle elided, so that a Raft that logs without end cannot fill the disk or the memory.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// What was kept of one stream of output.
#[derive(Debug, Default)]
pub struct Captured {
    pub head: Vec<u8>,
    pub tail: VecDeque<u8>,
    /// Everything the child wrote, kept or not.
    pub total: u64,
    /// Whether a process outside the run's group still held the output open when the
    /// grader stopped waiting for it.
    pub still_open: bool,
}

impl Captured {
    /// The kept text, with a line saying how much of the middle was left out.
    pub fn text(&self) -> String {
        let kept = (self.head.len() + self.tail.len()) as u64;
        let mut out = String::from_utf8_lossy(&self.head).into_owned();
        if self.total > kept {
            out.push_str(&format!(
                "\n[... {} bytes of output elided by the grader ...]\n",
                self.total - kept
            ));
        }
        let (a, b) = self.tail.as_slices();
        out.push_str(&String::from_utf8_lossy(&[a, b].concat()));
        if self.still_open {
            out.push_str(
                "\n[the grader stopped reading: a process outside the run's group still held \
                 its output open]\n",
            );
        }
        out
    }
}

/// Reads `source` to its end into `into`, keeping at most `cap` bytes (half head, half
/// tail), and counting every byte in `written` as it comes, for the grader's output limit.
/// `into` is kept up to date, so that the grader can stop waiting for the end.
pub fn read_capped(mut source: impl Read, cap: usize, written: &AtomicU64, into: &Mutex<Captured>) {
    let head_cap = cap / 2;
    let tail_cap = cap - head_cap;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match source.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            // The pipe broke: what was read so far is what there is.
            Err(_) => break,
        };
        let mut captured = into.lock().unwrap_or_else(PoisonError::into_inner);
        captured.total += n as u64;
        written.fetch_add(n as u64, Ordering::Relaxed);
        let mut chunk = &buffer[..n];
        let room = head_cap - captured.head.len();
        if room > 0 {
            let take = room.min(chunk.len());
            captured.head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
        }
        if chunk.len() >= tail_cap {
            captured.tail.clear();
            captured.tail.extend(&chunk[chunk.len() - tail_cap..]);
        } else {
            let over = (captured.tail.len() + chunk.len()).saturating_sub(tail_cap);
            captured.tail.drain(..over);
            captured.tail.extend(chunk);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(text: &[u8], cap: usize, written: &AtomicU64) -> Captured {
        let into = Mutex::new(Captured::default());
        read_capped(text, cap, written, &into);
        into.into_inner().expect("not poisoned")
    }

    #[test]
    fn output_past_the_cap_keeps_its_head_and_tail() {
        let text: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let written = AtomicU64::new(0);
        let captured = capture(&text, 1000, &written);
        assert_eq!(captured.total, 100_000);
        assert_eq!(written.load(Ordering::Relaxed), 100_000);
        assert_eq!(captured.head, text[..500]);
        assert_eq!(
            captured.tail.iter().copied().collect::<Vec<_>>(),
            text[99_500..]
        );
        assert!(captured
            .text()
            .contains("[... 99000 bytes of output elided"));
    }

    #[test]
    fn short_output_is_kept_whole() {
        let captured = capture(b"hello\n", 1000, &AtomicU64::new(0));
        assert_eq!(captured.text(), "hello\n");
    }
}
