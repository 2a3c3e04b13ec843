/// Why a call returned no reply value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No answer: the request or the reply was lost, the end is disabled or unconnected,
    /// the server is missing or was deleted or cut off during the call, or the network was
    /// cleaned up. Go's `Call` returns false.
    #[error("labrpc: no reply")]
    NoReply,
    /// The server has no service of that name.
    #[error("labrpc: unknown service `{service}` in `{call}`; the server offers {offered:?}")]
    UnknownService {
        call: String,
        service: String,
        offered: Vec<String>,
    },
    /// The service has no method of that name.
    #[error(
        "labrpc: unknown method `{method}` in `{call}`; service `{service}` offers {offered:?}"
    )]
    UnknownMethod {
        call: String,
        service: String,
        method: String,
        offered: Vec<String>,
    },
    /// The arguments could not be encoded.
    #[error("labrpc: cannot encode the arguments of `{call}`: {source}")]
    EncodeArgs { call: String, source: labgob::Error },
    /// The handler could not decode the arguments as its argument type.
    #[error("labrpc: `{call}` cannot decode its arguments: {source}")]
    DecodeArgs { call: String, source: labgob::Error },
    /// The handler's reply could not be encoded.
    #[error("labrpc: `{call}` cannot encode its reply: {source}")]
    EncodeReply { call: String, source: labgob::Error },
    /// The caller could not decode the reply as the reply type it asked for.
    #[error("labrpc: cannot decode the reply of `{call}`: {source}")]
    DecodeReply { call: String, source: labgob::Error },
}

impl CallError {
    /// True for the network's silence (Go's `false`), as opposed to a programming error.
    pub fn is_no_reply(&self) -> bool {
        matches!(self, CallError::NoReply)
    }

    /// True for a mistake in the program (unknown names, wrong types), which Go's labrpc
    /// treats as fatal; see [`Network::on_programming_error`](crate::Network::on_programming_error).
    pub fn is_programming_error(&self) -> bool {
        !self.is_no_reply()
    }
}
