//! A named set of RPC handlers, as Go's `MakeService(receiver)`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::FutureExt;
use labgob::Gob;

use crate::error::CallError;

/// What a handler produces: the encoded reply, or why there is none.
pub(crate) type HandlerResult = Result<Vec<u8>, CallError>;
/// A type-erased handler: takes the encoded arguments and the call's name.
pub(crate) type Handler =
    Arc<dyn Fn(&[u8], &str) -> BoxFuture<'static, HandlerResult> + Send + Sync>;

/// A service: methods under one name, called as `"Name.Method"`.
pub struct Service {
    name: String,
    methods: HashMap<String, Handler>,
}

impl Service {
    pub fn new(name: impl Into<String>) -> Self {
        Service {
            name: name.into(),
            methods: HashMap::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a method whose handler returns its reply at once.
    pub fn method<A, R, F>(self, name: impl Into<String>, handler: F) -> Self
    where
        A: Gob,
        R: Gob,
        F: Fn(A) -> R + Send + Sync + 'static,
    {
        self.add(name, move |args, call| {
            let reply = decode_args(args, call).and_then(|args| encode_reply(&handler(args), call));
            futures::future::ready(reply).boxed()
        })
    }

    /// Adds a method whose handler may wait (sleep, or wait for other tasks) before replying.
    pub fn async_method<A, R, F, Fut>(self, name: impl Into<String>, handler: F) -> Self
    where
        A: Gob,
        R: Gob,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
    {
        self.add(name, move |args, call| match decode_args::<A>(args, call) {
            Ok(args) => {
                let call = call.to_owned();
                handler(args)
                    .map(move |reply| encode_reply(&reply, &call))
                    .boxed()
            }
            Err(err) => futures::future::ready(Err(err)).boxed(),
        })
    }

    fn add(
        mut self,
        name: impl Into<String>,
        handler: impl Fn(&[u8], &str) -> BoxFuture<'static, HandlerResult> + Send + Sync + 'static,
    ) -> Self {
        self.methods.insert(name.into(), Arc::new(handler));
        self
    }

    pub(crate) fn handler(&self, method: &str, call: &str) -> Result<Handler, CallError> {
        self.methods
            .get(method)
            .cloned()
            .ok_or_else(|| CallError::UnknownMethod {
                call: call.to_owned(),
                service: self.name.clone(),
                method: method.to_owned(),
                offered: sorted(self.methods.keys()),
            })
    }
}

pub(crate) fn sorted<'a>(names: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut names: Vec<String> = names.cloned().collect();
    names.sort();
    names
}

fn decode_args<A: Gob>(args: &[u8], call: &str) -> Result<A, CallError> {
    labgob::decode(args).map_err(|source| CallError::DecodeArgs {
        call: call.to_owned(),
        source,
    })
}

fn encode_reply<R: Gob>(reply: &R, call: &str) -> HandlerResult {
    labgob::encode(reply).map_err(|source| CallError::EncodeReply {
        call: call.to_owned(),
        source,
    })
}
