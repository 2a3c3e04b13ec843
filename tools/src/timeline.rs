//! What a log says happened to each peer over time: its role and term (from the election
//! lines), when it was cut off or crashed (from the tester's lines), and its marked events.

use crate::logline::{parse_tagged, Failure, Log, LogLine};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// A stretch of time in one role and term.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub from: f64,
    pub to: f64,
    pub role: Role,
    pub term: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    Disconnected,
    Crashed,
}

/// A stretch of time a peer was cut off or down.
#[derive(Debug, Clone, PartialEq)]
pub struct Shade {
    pub from: f64,
    pub to: f64,
    pub kind: Outage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// An RPC handled or failed (votes, labrpc, raft::rpc).
    Rpc,
    /// A command applied or committed.
    Apply,
    /// Anything else the peer logged.
    Other,
}

impl MarkKind {
    pub fn name(self) -> &'static str {
        match self {
            MarkKind::Rpc => "rpc",
            MarkKind::Apply => "apply",
            MarkKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub at: f64,
    pub kind: MarkKind,
    pub line_no: usize,
    pub text: String,
}

/// One peer's lane.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lane {
    pub spans: Vec<Span>,
    pub shades: Vec<Shade>,
    pub marks: Vec<Mark>,
}

/// A line of the tester's own (a check, an agreement) or a peer's election.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at: f64,
    pub line_no: usize,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Timeline {
    pub end: f64,
    pub lanes: Vec<Lane>,
    /// The tester's lines that name no peer: checks, agreements, the failure.
    pub checks: Vec<Event>,
    /// Each `elected leader`, as `S1 leader in T3`.
    pub elections: Vec<Event>,
    pub failure: Option<Failure>,
}

/// A peer's state while the lines are read.
#[derive(Clone, Copy)]
struct Now {
    role: Role,
    term: u64,
    since: f64,
    out: Option<(Outage, f64)>,
}

impl Timeline {
    pub fn from_log(log: &Log) -> Timeline {
        let peers = log.peers();
        let end = log
            .failure
            .as_ref()
            .map_or(log.end(), |f| f.at.max(log.end()));
        let mut timeline = Timeline {
            end,
            lanes: vec![Lane::default(); peers],
            failure: log.failure.clone(),
            ..Timeline::default()
        };
        let mut now = vec![
            Now {
                role: Role::Follower,
                term: 0,
                since: 0.0,
                out: None,
            };
            peers
        ];
        for line in &log.lines {
            match line.peer {
                Some(peer) => timeline.peer_line(&mut now[peer], peer, line),
                None if line.target == "tester" => timeline.checks.push(event(line, &line.message)),
                None => {}
            }
        }
        for (peer, state) in now.iter().enumerate() {
            let lane = &mut timeline.lanes[peer];
            // The last state shows even if it began at the very end (a leader elected just
            // before the failure).
            lane.spans.push(Span {
                from: state.since,
                to: end.max(state.since),
                role: state.role,
                term: state.term,
            });
            if let Some((kind, from)) = state.out {
                lane.shades.push(Shade {
                    from,
                    to: end,
                    kind,
                });
            }
        }
        timeline
    }

    fn peer_line(&mut self, now: &mut Now, peer: usize, line: &LogLine) {
        let lane = &mut self.lanes[peer];
        let words: Vec<&str> = line.message.split_whitespace().collect();
        let term_at = |i: usize| {
            words
                .get(i)
                .and_then(|w| parse_tagged(w.trim_end_matches(':'), 'T'))
                .map(|t| t as u64)
        };
        let rest = words.get(2..).map(|w| w.join(" ")).unwrap_or_default();
        let change = match (term_at(1), rest.as_str()) {
            (Some(term), "election timeout, standing") => Some((Role::Candidate, term)),
            (Some(term), "elected leader") => {
                self.elections
                    .push(event(line, &format!("S{peer} leader in T{term}")));
                Some((Role::Leader, term))
            }
            // `S0 T1 -> T2: newer term seen, following`
            (Some(_), r) if r.contains("newer term seen") => {
                term_at(3).map(|term| (Role::Follower, term))
            }
            _ => None,
        };
        if let Some((role, term)) = change {
            close_span(lane, now, line.at);
            (now.role, now.term, now.since) = (role, term, line.at);
            return;
        }
        if line.target == "tester" {
            // A started peer is up but cut off until the tester connects it.
            let outage = match words.get(1).copied() {
                Some("disconnected") => Some((Some(Outage::Disconnected), false)),
                Some("crashed") => Some((Some(Outage::Crashed), false)),
                Some("started") => Some((Some(Outage::Disconnected), true)),
                Some("connected") => Some((None, false)),
                _ => None,
            };
            if let Some((outage, restarts)) = outage {
                set_outage(lane, now, outage, restarts, line.at);
                if restarts {
                    // A restarted peer begins as a follower, in the term it persisted.
                    close_span(lane, now, line.at);
                    (now.role, now.since) = (Role::Follower, line.at);
                }
                return;
            }
        }
        lane.marks.push(Mark {
            at: line.at,
            kind: mark_kind(line),
            line_no: line.line_no,
            text: line.message.clone(),
        });
    }
}

fn event(line: &LogLine, text: &str) -> Event {
    Event {
        at: line.at,
        line_no: line.line_no,
        text: text.to_owned(),
    }
}

fn close_span(lane: &mut Lane, now: &Now, to: f64) {
    if to > now.since {
        lane.spans.push(Span {
            from: now.since,
            to,
            role: now.role,
            term: now.term,
        });
    }
}

/// Ends the current outage, if any, and starts `outage`. Until the peer restarts, a crash
/// outranks a disconnection: the tester disconnects a peer as it crashes it.
fn set_outage(lane: &mut Lane, now: &mut Now, outage: Option<Outage>, restart: bool, at: f64) {
    if let (Some((Outage::Crashed, _)), Some(Outage::Disconnected), false) =
        (now.out, outage, restart)
    {
        return;
    }
    if now.out.map(|(kind, _)| kind) == outage && outage.is_some() {
        return;
    }
    if let Some((kind, from)) = now.out.take() {
        if at > from {
            lane.shades.push(Shade { from, to: at, kind });
        }
    }
    now.out = outage.map(|kind| (kind, at));
}

fn mark_kind(line: &LogLine) -> MarkKind {
    let message = &line.message;
    if line.target.starts_with("labrpc")
        || line.target == "raft::rpc"
        || message.contains("vote for")
        || message.contains(" -> S")
    {
        MarkKind::Rpc
    } else if line.target.ends_with("apply")
        || message.contains("applied")
        || message.contains("commit")
    {
        MarkKind::Apply
    } else {
        MarkKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline(text: &str) -> Timeline {
        Timeline::from_log(&Log::parse(text))
    }

    #[test]
    fn elections_make_role_spans() {
        let t = timeline(
            "   0.300000 DEBUG raft::election   S1 T1: election timeout, standing\n\
             \x20  0.300000 DEBUG raft::election   S0 T0 -> T1: newer term seen, following\n\
             \x20  0.300001 DEBUG raft::election   S0 T1: vote for S1 in T1: granted\n\
             \x20  0.300002 DEBUG raft::election   S1 T1: elected leader\n\
             \x20  1.000000 INFO  tester           check_one_leader: S1 in T1\n",
        );
        assert_eq!(t.lanes.len(), 2);
        let roles: Vec<(Role, u64)> = t.lanes[1].spans.iter().map(|s| (s.role, s.term)).collect();
        assert_eq!(
            roles,
            [(Role::Follower, 0), (Role::Candidate, 1), (Role::Leader, 1)]
        );
        assert_eq!(t.lanes[1].spans[2].to, 1.0);
        assert_eq!(t.lanes[0].marks.len(), 1);
        assert_eq!(t.lanes[0].marks[0].kind, MarkKind::Rpc);
        assert_eq!(t.elections[0].text, "S1 leader in T1");
        assert_eq!(t.checks[0].text, "check_one_leader: S1 in T1");
    }

    #[test]
    fn outages_are_shaded_and_a_crash_is_not_cut_short_by_its_disconnection() {
        let t = timeline(
            "   1.000000 INFO  tester           S0 disconnected\n\
             \x20  2.000000 INFO  tester           S0 connected\n\
             \x20  3.000000 INFO  tester           S0 crashed\n\
             \x20  3.000000 INFO  tester           S0 disconnected\n\
             \x20  4.000000 INFO  tester           S0 started\n\
             \x20  5.000000 INFO  tester           S0 connected\n",
        );
        let shades: Vec<(f64, f64, Outage)> = t.lanes[0]
            .shades
            .iter()
            .map(|s| (s.from, s.to, s.kind))
            .collect();
        assert_eq!(
            shades,
            [
                (1.0, 2.0, Outage::Disconnected),
                (3.0, 4.0, Outage::Crashed),
                (4.0, 5.0, Outage::Disconnected),
            ]
        );
    }
}
