//! A webhook receiver that serves itself: [`WebhookReceiver::serve`]
//! listens on an address and serves the receiver's router there with the
//! shared bounds (`motionkit_transport::ServedRouter`: a deadline on
//! request heads, a connection cap; the router's admission, body and
//! in-flight bounds). [`WebhookReceiver::bind`] does the same for a new
//! receiver whose callback URLs start from the address it is bound to. A
//! program needs no axum of its own to receive generations.

use std::net::SocketAddr;

use motionkit_transport::{ServedRouter, bind_receiver};
use tokio::net::ToSocketAddrs;

use crate::error::Error;
use crate::webhook::WebhookReceiver;

/// A [`WebhookReceiver`] served on a local address until
/// [`ServedReceiver::shutdown`] or drop.
#[derive(Debug)]
pub struct ServedReceiver {
    receiver: WebhookReceiver,
    served: ServedRouter,
}

impl WebhookReceiver {
    /// Listens on `addr` and serves this receiver there, events channel,
    /// deduplication store and all. Its callback URLs keep the public base
    /// it was made with: put `addr` where that base points (behind a
    /// tunnel or a load balancer).
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] of kind `Io` when the address cannot be bound.
    pub async fn serve(self, addr: impl ToSocketAddrs) -> Result<ServedReceiver, Error> {
        let listener = bind_receiver(addr).await?;
        let served = ServedRouter::start(listener, self.router())?;
        Ok(ServedReceiver {
            receiver: self,
            served,
        })
    }

    /// Listens on `addr` and serves a new receiver there. Its callback URLs
    /// start with `public_base` when given (the address MotionDynamic
    /// reaches, behind a tunnel or a load balancer), else with
    /// `http://ADDR` (an unspecified address is shown as 127.0.0.1). To
    /// serve a receiver configured first (events, a shared store), use
    /// [`WebhookReceiver::serve`].
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] of kind `Io` when the address cannot be bound.
    pub async fn bind(
        addr: impl ToSocketAddrs,
        public_base: Option<&str>,
    ) -> Result<ServedReceiver, Error> {
        let listener = bind_receiver(addr).await?;
        let base = match public_base {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => match listener.local_addr() {
                Ok(local) => ServedRouter::url_of(local),
                Err(source) => {
                    return Err(Error::Transport(motionkit_transport::Error::Io {
                        context: "reading the webhook receiver's address".to_owned(),
                        source,
                        sent: motionkit_transport::Sent::NotSent,
                    }));
                }
            },
        };
        let receiver = WebhookReceiver::new(base);
        let served = ServedRouter::start(listener, receiver.router())?;
        Ok(ServedReceiver { receiver, served })
    }
}

impl ServedReceiver {
    /// The receiver, for [`Generate::webhook`](crate::Generate::webhook)
    /// and [`Submission::wait`](crate::Submission::wait).
    pub fn receiver(&self) -> &WebhookReceiver {
        &self.receiver
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.served.local_addr()
    }

    /// Stops serving and waits until the server has stopped; open
    /// connections are closed.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}

impl std::ops::Deref for ServedReceiver {
    type Target = WebhookReceiver;
    fn deref(&self) -> &WebhookReceiver {
        &self.receiver
    }
}
