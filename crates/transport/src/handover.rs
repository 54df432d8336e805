//! Handing a verified webhook delivery to the application, at least once.
//!
//! Both services' receivers share this one design:
//!
//! 1. room is reserved in the application's bounded channel (503 when it
//!    is full, so that the sender delivers again later);
//! 2. the delivery is claimed in the [`DedupeStore`] (a repeat of a
//!    confirmed delivery is answered 200 and not handed over again);
//! 3. the event goes to the application as a [`Delivered`], which the
//!    application [confirms](Delivered::confirm) once it has acted on it;
//! 4. the sender gets 200 only after that confirmation. Dropping the
//!    event unconfirmed releases the claim and answers 503, so the
//!    sender's next delivery is acted on; no confirmation within the
//!    receiver's patience also answers 503, and a confirmation that comes
//!    later still marks the delivery done (the repeat then gets 200).
//!
//! A receiver that crashes between the claim and the confirmation leaves
//! a claim that lapses after the store's lease: the event is redelivered,
//! never lost, and acted on once by whoever confirms it first.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::dedupe::{Claim, ClaimToken, DedupeStore};

/// How long a receiver waits, by default, for the application to confirm
/// an event before answering 503: 10 s. The event stays with the
/// application; a later confirmation still counts.
pub const DEFAULT_CONFIRM_WITHIN: Duration = Duration::from_secs(10);

/// A verified, first delivery of a webhook event, handed to the
/// application. Call [`Delivered::confirm`] once the event has been acted
/// on (stored, queued, answered): only then does the sender hear 200.
/// Dropping it unconfirmed tells the sender to deliver it again.
///
/// It dereferences to the event.
#[must_use = "an event that is not confirmed is delivered again"]
#[derive(Debug)]
pub struct Delivered<T> {
    event: T,
    ack: Option<oneshot::Sender<()>>,
}

impl<T> Delivered<T> {
    /// An event and the receiver side of its confirmation. Receivers
    /// outside this crate make them with [`hand_over`].
    fn new(event: T) -> (Self, oneshot::Receiver<()>) {
        let (ack, acked) = oneshot::channel();
        (
            Delivered {
                event,
                ack: Some(ack),
            },
            acked,
        )
    }

    /// An event that needs no confirmation (counted as acted on when
    /// handed over), for receivers that cannot wait for one.
    #[doc(hidden)]
    pub fn unconfirmed(event: T) -> Self {
        Delivered { event, ack: None }
    }

    /// The event.
    pub fn event(&self) -> &T {
        &self.event
    }

    /// Confirms that the event was acted on, and returns it. The receiver
    /// then answers 200 and every later delivery of the same event is
    /// recognised as a repeat.
    pub fn confirm(mut self) -> T {
        if let Some(ack) = self.ack.take() {
            let _ = ack.send(());
        }
        self.event
    }

    /// Gives the event back without confirming it: the sender is told to
    /// deliver it again (what dropping it does too).
    pub fn reject(self) -> T {
        self.event
    }
}

impl<T> std::ops::Deref for Delivered<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.event
    }
}

/// How a hand-over ended, and what the receiver answers.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandOver {
    /// The application confirmed the event: 200.
    Confirmed,
    /// Confirmed before, by this receiver or one sharing its store: 200.
    Repeat,
    /// The application dropped its channel: nobody can act on the event.
    Closed,
    /// Not acted on (yet): 503, and the sender delivers it again. Says why.
    Again(&'static str),
    /// The shared store cannot be reached: 503.
    Unavailable(String),
}

impl HandOver {
    /// The HTTP status a receiver answers with.
    pub fn status(&self) -> reqwest::StatusCode {
        match self {
            HandOver::Confirmed | HandOver::Repeat => reqwest::StatusCode::OK,
            HandOver::Closed | HandOver::Again(_) | HandOver::Unavailable(_) => {
                reqwest::StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }
}

/// Claims `key` in `store`, hands `event` to `events` and waits up to
/// `confirm_within` for the application's confirmation (see the module
/// docs). The wait runs in a task of its own, so a sender that hangs up
/// does not cut a confirmation off from the store.
#[doc(hidden)]
pub async fn hand_over<T: Send + 'static>(
    store: &DedupeStore,
    key: &str,
    events: &mpsc::Sender<Delivered<T>>,
    event: T,
    confirm_within: Duration,
) -> HandOver {
    let permit = match events.clone().try_reserve_owned() {
        Ok(permit) => permit,
        Err(mpsc::error::TrySendError::Full(_)) => {
            return HandOver::Again("the events queue is full");
        }
        Err(mpsc::error::TrySendError::Closed(_)) => return HandOver::Closed,
    };
    let claim = match store
        .claim_within(key, DedupeStore::HAND_OVER_PATIENCE)
        .await
    {
        Ok(Claim::Fresh(claim)) => claim,
        Ok(Claim::Done) => return HandOver::Repeat,
        Ok(_) => return HandOver::Again("another receiver is handing this event over"),
        Err(e) => return HandOver::Unavailable(e.to_string()),
    };
    let (delivered, acked) = Delivered::new(event);
    permit.send(delivered);
    // Never past the claim's lease: a claim that lapsed while the
    // application still held the event would let another receiver act on
    // it too.
    let within = confirm_within.min(store.lease());
    let settle = tokio::spawn(settle(store.clone(), claim, acked, within));
    settle
        .await
        .unwrap_or(HandOver::Again("the confirmation was lost"))
}

/// Waits for the application's confirmation and records it in the store.
async fn settle(
    store: DedupeStore,
    claim: ClaimToken,
    mut acked: oneshot::Receiver<()>,
    within: Duration,
) -> HandOver {
    match tokio::time::timeout(within, &mut acked).await {
        Ok(Ok(())) => {
            confirm(&store, claim).await;
            HandOver::Confirmed
        }
        Ok(Err(_)) => {
            store.release(claim).await;
            HandOver::Again("the application dropped the event unconfirmed")
        }
        Err(_) => {
            // Answer now; keep listening until the lease ends, so that a
            // late confirmation still marks the delivery done.
            let rest = store.lease().saturating_sub(within);
            tokio::spawn(async move {
                match tokio::time::timeout(rest, acked).await {
                    Ok(Ok(())) => confirm(&store, claim).await,
                    Ok(Err(_)) => store.release(claim).await,
                    Err(_) => {}
                }
            });
            HandOver::Again("the application has not confirmed the event yet")
        }
    }
}

async fn confirm(store: &DedupeStore, claim: ClaimToken) {
    if let Err(e) = store.confirm(claim).await {
        tracing::warn!(error = %e, "webhook event confirmed but not recorded; its claim lapses");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOON: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn only_a_confirmed_event_answers_200_and_a_repeat_is_not_handed_over() {
        let store = DedupeStore::in_memory();
        let (events, mut taken) = mpsc::channel::<Delivered<u32>>(4);
        let app = tokio::spawn(async move {
            let first = taken.recv().await.unwrap();
            assert_eq!(*first, 7);
            drop(first);
            let second = taken.recv().await.unwrap();
            second.confirm();
            taken
        });
        let dropped = hand_over(&store, "k", &events, 7, SOON).await;
        assert_eq!(dropped.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
        assert!(matches!(dropped, HandOver::Again(why) if why.contains("unconfirmed")));
        assert_eq!(
            hand_over(&store, "k", &events, 7, SOON).await,
            HandOver::Confirmed
        );
        let mut taken = app.await.unwrap();
        assert_eq!(
            hand_over(&store, "k", &events, 7, SOON).await,
            HandOver::Repeat
        );
        assert!(taken.try_recv().is_err(), "a repeat is not handed over");
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_confirmation_still_marks_the_event_done() {
        let store = DedupeStore::in_memory();
        let (events, mut taken) = mpsc::channel::<Delivered<u32>>(4);
        let late = hand_over(&store, "k", &events, 1, Duration::from_secs(1)).await;
        assert!(matches!(late, HandOver::Again(why) if why.contains("not confirmed")));
        // While the application holds it, a repeat finds the claim held.
        let held = hand_over(&store, "k", &events, 1, Duration::from_secs(1)).await;
        assert!(matches!(held, HandOver::Again(why) if why.contains("another")));
        taken.recv().await.unwrap().confirm();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(
            hand_over(&store, "k", &events, 1, SOON).await,
            HandOver::Repeat
        );
    }

    #[tokio::test]
    async fn a_full_or_closed_channel_claims_nothing() {
        let store = DedupeStore::in_memory();
        let (events, taken) = mpsc::channel::<Delivered<u32>>(1);
        let _parked = events.clone().try_reserve_owned().unwrap();
        assert!(matches!(
            hand_over(&store, "k", &events, 1, SOON).await,
            HandOver::Again(why) if why.contains("full")
        ));
        drop(taken);
        assert_eq!(
            hand_over(&store, "k", &events, 1, SOON).await,
            HandOver::Closed
        );
        assert!(
            matches!(store.claim("k").await, Ok(Claim::Fresh(_))),
            "never claimed"
        );
    }
}
