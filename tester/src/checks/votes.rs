//! One vote per term.

use crate::inspection::Inspection;

/// Proves that an instance casts at most one vote per term: once a peer shows a vote in a
/// term, every later look at the same instance in that term shows the same vote.
///
/// Sound: Figure 2 sets `votedFor` only when it is null (or already the candidate), and
/// clears it only when `currentTerm` moves on. Looks at a peer reach the checks in the
/// order they were taken (each holds the peer's turn, see [`super::monitor::look`]), and
/// each is taken under the peer's lock, so a later look shows a later state, however the
/// threads run. Only one instance is compared with itself: a restarted instance may have
/// lost a vote it never persisted, and so never sent, and vote again (that is legal; a
/// vote that *was* sent and then forgotten shows as two leaders of one term instead).
pub(crate) struct Votes {
    /// Each peer's instance, term and vote at its last look.
    last: Vec<Option<(u64, u64, Option<usize>)>>,
}

impl Votes {
    pub(crate) fn new(n: usize) -> Self {
        Votes {
            last: vec![None; n],
        }
    }

    pub(crate) fn observe(
        &mut self,
        peer: usize,
        instance: u64,
        now: &Inspection,
    ) -> Result<(), String> {
        let previous = self.last[peer].replace((instance, now.term, now.voted_for));
        let Some((old_instance, old_term, Some(old_vote))) = previous else {
            return Ok(());
        };
        if old_instance != instance || old_term != now.term || now.voted_for == Some(old_vote) {
            return Ok(());
        }
        let now_vote = match now.voted_for {
            Some(vote) => format!("now shows a vote for server {vote}"),
            None => "now shows no vote".to_owned(),
        };
        Err(format!(
            "one vote per term: server {peer} voted for server {old_vote} in term {}, and {now_vote} \
             in the same term (without a restart): votedFor may change only when the term does",
            now.term
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspection::{LogTerms, Role};

    fn look(term: u64, voted_for: Option<usize>) -> Inspection {
        Inspection {
            term,
            role: Role::Follower,
            commit_index: 0,
            voted_for,
            log: LogTerms::default(),
        }
    }

    #[test]
    fn a_vote_may_change_with_the_term_or_the_instance_only() {
        let mut votes = Votes::new(3);
        assert!(votes.observe(0, 1, &look(1, None)).is_ok());
        assert!(votes.observe(0, 1, &look(1, Some(1))).is_ok());
        assert!(votes.observe(0, 1, &look(1, Some(1))).is_ok());
        assert!(votes.observe(0, 1, &look(2, None)).is_ok());
        assert!(votes.observe(0, 1, &look(2, Some(2))).is_ok());
        // A restart that lost an unsent vote.
        assert!(votes.observe(0, 2, &look(2, Some(1))).is_ok());
        let error = votes.observe(0, 2, &look(2, Some(2))).unwrap_err();
        assert!(
            error.contains("server 0 voted for server 1 in term 2"),
            "{error}"
        );
        assert!(votes.observe(1, 1, &look(3, Some(1))).is_ok());
        assert!(votes.observe(1, 1, &look(3, None)).is_err());
    }
}
