//! A server: services under their names, and a count of the RPCs it received.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;

use crate::error::CallError;
use crate::service::{sorted, HandlerResult, Service};

/// A server: cheap to clone; clones are the same server.
#[derive(Clone, Default)]
pub struct Server {
    inner: Arc<ServerInner>,
}

#[derive(Default)]
struct ServerInner {
    services: Mutex<HashMap<String, Arc<Service>>>,
    count: AtomicUsize,
}

impl Server {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a service, replacing one of the same name.
    pub fn add_service(&self, service: Service) {
        self.inner
            .services
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(service.name().to_owned(), Arc::new(service));
    }

    /// How many RPCs reached this server.
    pub fn count(&self) -> usize {
        self.inner.count.load(Ordering::Relaxed)
    }

    pub(crate) fn same_as(&self, other: &Server) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Counts the RPC and starts its handler; the future completes with the encoded reply.
    pub(crate) fn dispatch(
        &self,
        call: &str,
        args: &[u8],
    ) -> Result<BoxFuture<'static, HandlerResult>, CallError> {
        self.inner.count.fetch_add(1, Ordering::Relaxed);
        self.dispatch_uncounted(call, args)
    }

    /// Starts the handler without counting the RPC: for the network's copies of requests.
    pub(crate) fn dispatch_uncounted(
        &self,
        call: &str,
        args: &[u8],
    ) -> Result<BoxFuture<'static, HandlerResult>, CallError> {
        let (service_name, method) = call.rsplit_once('.').unwrap_or((call, ""));
        let service = {
            let services = self
                .inner
                .services
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            services
                .get(service_name)
                .cloned()
                .ok_or_else(|| CallError::UnknownService {
                    call: call.to_owned(),
                    service: service_name.to_owned(),
                    offered: sorted(services.keys()),
                })?
        };
        let handler = service.handler(method, call)?;
        Ok(handler(args, call))
    }
}
