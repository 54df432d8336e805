//! A webhook receiver that serves itself: [`WebhookReceiver::serve`]
//! listens on an address and serves the receiver's router there with the
//! shared bounds (`motionkit_transport::ServedReceiver`: a deadline on
//! request heads, a connection cap; the router's admission, body and
//! in-flight bounds). [`WebhookReceiver::bind`] does the same for a new
//! receiver whose callback URLs start from the address it is bound to. A
//! program needs no axum of its own to receive generations.

use motionkit_transport::{bind_receiver, local_receiver_url};
use tokio::net::ToSocketAddrs;

use crate::error::Error;
use crate::webhook::WebhookReceiver;

/// A [`WebhookReceiver`] served on a local address until
/// [`ServedReceiver::shutdown`](motionkit_transport::ServedReceiver::shutdown)
/// or drop; it dereferences to the receiver, for
/// [`Generate::webhook`](crate::Generate::webhook) and
/// [`Submission::wait`](crate::Submission::wait).
pub type ServedReceiver = motionkit_transport::ServedReceiver<WebhookReceiver>;

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
        let router = self.router();
        Ok(ServedReceiver::start(listener, router, self)?)
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
                Ok(local) => local_receiver_url(local),
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
        let router = receiver.router();
        Ok(ServedReceiver::start(listener, router, receiver)?)
    }
}
