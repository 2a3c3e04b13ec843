//! The apply channel, as Go's unbuffered `applyCh`: a send completes only once the tester's
//! applier has taken the message. A Raft that holds its lock while sending therefore
//! deadlocks against an applier that calls `snapshot`, as it would in Go; the tester turns
//! that into a failure naming the cause (see `Config`).

use futures::channel::{mpsc, oneshot};
use futures::StreamExt;

use crate::peer::ApplyMsg;

/// Makes a connected sender and receiver.
pub fn apply_channel() -> (ApplySender, ApplyReceiver) {
    let (tx, rx) = mpsc::unbounded();
    (ApplySender { tx }, ApplyReceiver { rx })
}

/// A message on its way, with the signal that it was taken.
struct Handoff {
    message: ApplyMsg,
    taken: oneshot::Sender<()>,
}

/// The Raft's side of the apply channel. Cheap to clone.
#[derive(Clone)]
pub struct ApplySender {
    tx: mpsc::UnboundedSender<Handoff>,
}

/// The service stopped listening: the peer was crashed or the test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the apply channel is closed: the service no longer listens")]
pub struct ApplyClosed;

impl ApplySender {
    /// Hands `message` to the service, and completes when the service has taken it.
    pub async fn send(&self, message: ApplyMsg) -> Result<(), ApplyClosed> {
        let (taken, taken_rx) = oneshot::channel();
        self.tx
            .unbounded_send(Handoff { message, taken })
            .map_err(|_| ApplyClosed)?;
        taken_rx.await.map_err(|_| ApplyClosed)
    }
}

/// The service's side of the apply channel.
pub struct ApplyReceiver {
    rx: mpsc::UnboundedReceiver<Handoff>,
}

impl ApplyReceiver {
    /// The next message, releasing its sender; `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<ApplyMsg> {
        let Handoff { message, taken } = self.rx.next().await?;
        // The sender may have given up waiting (a killed peer): nothing to release then.
        let _ = taken.send(());
        Some(message)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use lab_runtime::task::{spawn, yield_now};

    use super::*;

    fn command(index: u64) -> ApplyMsg {
        ApplyMsg::Command {
            index,
            command: vec![index as u8],
        }
    }

    #[test]
    fn a_send_completes_only_when_the_message_is_taken() {
        lab_runtime::block_on(1, async {
            let (tx, mut rx) = apply_channel();
            let sent = Arc::new(AtomicBool::new(false));
            let sender = spawn({
                let sent = sent.clone();
                async move {
                    tx.send(command(1)).await.expect("the receiver listens");
                    sent.store(true, Ordering::SeqCst);
                }
            });
            for _ in 0..100 {
                yield_now().await;
            }
            assert!(
                !sent.load(Ordering::SeqCst),
                "the send completed before a receive"
            );
            assert_eq!(rx.recv().await, Some(command(1)));
            sender.await.expect("the sender finishes");
            assert!(sent.load(Ordering::SeqCst));
        });
    }

    #[test]
    fn a_send_fails_once_the_receiver_is_gone() {
        lab_runtime::block_on(1, async {
            let (tx, rx) = apply_channel();
            drop(rx);
            assert_eq!(tx.send(command(1)).await, Err(ApplyClosed));
        });
    }
}
