//! The sending side: an end that calls methods on the server it is connected to.

use std::sync::Arc;

use labgob::Gob;

use crate::error::CallError;
use crate::network::NetworkInner;

/// One end of the network, from which calls are sent. Cheap to clone; clones are the same
/// end.
#[derive(Clone)]
pub struct ClientEnd {
    name: Arc<str>,
    network: Arc<NetworkInner>,
}

impl std::fmt::Debug for ClientEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientEnd")
            .field("name", &self.name)
            .finish()
    }
}

impl ClientEnd {
    pub(crate) fn new(name: Arc<str>, network: Arc<NetworkInner>) -> Self {
        ClientEnd { name, network }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Calls `"Service.Method"` with `args` and waits for the reply, or for
    /// [`CallError::NoReply`] when the network lost the request or the reply, or the server
    /// is unreachable, or is deleted or cut off from this end before it replies. As in Go, a
    /// handler that never returns, on a server that stays connected, makes the call wait
    /// for ever. Programming errors are returned and also reported to the network's
    /// [`on_programming_error`](crate::Network::on_programming_error) hook.
    pub async fn call<A: Gob, R: Gob>(&self, call: &str, args: &A) -> Result<R, CallError> {
        let args = labgob::encode(args)
            .map_err(|source| CallError::EncodeArgs {
                call: call.to_owned(),
                source,
            })
            .inspect_err(|err| self.network.report(err))?;
        let reply = self
            .network
            .send(&self.name, call, args)
            .ok_or(CallError::NoReply)?
            .await
            .unwrap_or(Err(CallError::NoReply))?;
        labgob::decode(&reply)
            .map_err(|source| CallError::DecodeReply {
                call: call.to_owned(),
                source,
            })
            .inspect_err(|err| self.network.report(err))
    }
}
