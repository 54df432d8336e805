//! The attempt loop: the rate-limit gate, credentials, one exchange per
//! attempt in its own tracing span, bounded bodies and timeouts, and the
//! classifier's verdict on whether to try again.

use std::sync::atomic::Ordering;
use std::time::Duration;

use motionkit_models::AuthKind;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::auth::Credentials;
use crate::body::Meter;
use crate::call::{Call, Failure, Timing};
use crate::classify::{Outcome, RetryDecision, classify};
use crate::client::Transport;
use crate::error::{Error, Sent};
use crate::guard::Origin;
use crate::instant::later;
use crate::limits::{MinRate, RateWatch};
use crate::mask::{Secrets, scrub_body, scrub_headers};
use crate::read::{Cap, ReadError, read_body};
use crate::response::{REQUEST_ID_HEADERS, Response, http_error};
use crate::retry::backoff_delay;
use crate::session::{login_failed, unauthorized};

/// Runs `exchange`, failing only when the meter has not moved for `stall`,
/// when it moves slower than `min_rate`, or at `deadline`.
async fn with_stall_timeout<F: Future>(
    exchange: F,
    meter: &Meter,
    stall: Duration,
    min_rate: Option<MinRate>,
    deadline: Option<Instant>,
) -> Option<F::Output> {
    tokio::pin!(exchange);
    let mut seen = meter.moved();
    let mut last_move = Instant::now();
    let mut pace = RateWatch::new(min_rate, seen);
    loop {
        let mut wake = last_move.checked_add(stall).unwrap_or_else(|| later(stall));
        if let Some(deadline) = deadline {
            wake = wake.min(deadline);
        }
        if let Some(check) = pace.next_check() {
            wake = wake.min(check);
        }
        match tokio::time::timeout_at(wake, &mut exchange).await {
            Ok(output) => return Some(output),
            Err(_) => {
                let now = Instant::now();
                let moved = meter.moved();
                if moved != seen {
                    seen = moved;
                    last_move = now;
                }
                if deadline.is_some_and(|d| now >= d)
                    || !pace.keeps_pace(moved)
                    || now.duration_since(last_move) >= stall
                {
                    return None;
                }
            }
        }
    }
}

impl Transport {
    /// Runs `call` until success, a permanent failure, or the retry limits.
    pub(crate) async fn execute(&self, call: &Call, meter: &Meter) -> Result<Response, Error> {
        let inner = &*self.inner;
        let deadline = match call.timing {
            Timing::Api => Some(later(inner.timeouts.total)),
            Timing::Transfer => None,
        };
        let mut attempt = 0u32;
        let mut transient_failures = 0u32;
        let mut logged_in_again = false;
        let mut refreshed_token = false;
        loop {
            attempt += 1;
            if call.gated
                && let Err(refused) = inner.gate.wait(deadline).await
            {
                return Err(Error::RateLimited {
                    request: call.label.clone(),
                    retry_after: Some(refused.wait),
                    sent: Sent::NotSent,
                });
            }
            // What this attempt is sent with: a 401 is judged against
            // these, not against what a concurrent caller swapped in since.
            let used = self.auth();
            let credentials = self.credentials(call, deadline).await?;
            let result = self
                .exchange(call, &credentials, attempt, deadline, meter)
                .await?;
            let outcome = match &result {
                Ok(response) => Outcome::Response {
                    status: response.status().as_u16(),
                    retry_after: response.retry_after().map(|after| {
                        if call.gated && response.status() == StatusCode::TOO_MANY_REQUESTS {
                            inner.gate.bounded_pause(Some(after))
                        } else {
                            after
                        }
                    }),
                },
                Err(failure) => failure.outcome,
            };
            if let Ok(response) = &result {
                if response.status() == StatusCode::UNAUTHORIZED {
                    if call.auth == AuthKind::Session && !logged_in_again {
                        logged_in_again = true;
                        self.login_after_rejection(credentials.session_generation(), deadline)
                            .await
                            .map_err(|e| login_failed(&call.label, e, Sent::Sent))?;
                        if call.body.is_replayable() {
                            continue;
                        }
                        return Err(Error::Auth {
                            request: call.label.clone(),
                            message: "the session had expired; logged in again but did not \
                                      re-send the request because its body cannot be replayed; \
                                      send it again"
                                .to_owned(),
                            code: None,
                            sent: Sent::Sent,
                        });
                    }
                    if call.auth == AuthKind::Bearer
                        && !refreshed_token
                        && call.body.is_replayable()
                        && self.provided_credentials(&used)
                    {
                        refreshed_token = true;
                        continue;
                    }
                    if call.auth != AuthKind::None {
                        return Err(unauthorized(call, response));
                    }
                }
                if response.status() == StatusCode::TOO_MANY_REQUESTS && call.gated {
                    let pause = inner.gate.bounded_pause(response.retry_after());
                    inner.gate.pause(pause).await;
                    inner
                        .counters
                        .rate_limit_pauses
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        request = %call.label,
                        pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                        "HTTP 429: pausing every request of this client"
                    );
                }
            }
            match (classify(&outcome, call.idempotent).retry, result) {
                (RetryDecision::Done, Ok(response)) => return Ok(response),
                (RetryDecision::Retry { after }, result) => {
                    transient_failures += 1;
                    match self.retry_delay(call, transient_failures, after, &outcome, deadline) {
                        Some(delay) => tokio::time::sleep(delay).await,
                        None => return Err(self.final_error(call, result)),
                    }
                }
                (_, result) => return Err(self.final_error(call, result)),
            }
        }
    }

    /// How long to wait before the next attempt, or `None` to give up.
    fn retry_delay(
        &self,
        call: &Call,
        failures: u32,
        retry_after: Option<Duration>,
        outcome: &Outcome,
        deadline: Option<Instant>,
    ) -> Option<Duration> {
        let inner = &*self.inner;
        let policy = &inner.retry;
        if failures >= policy.max_attempts {
            tracing::debug!(request = %call.label, failures, "giving up: attempts exhausted");
            return None;
        }
        if !call.body.is_replayable() {
            tracing::debug!(request = %call.label, "giving up: body cannot be replayed");
            return None;
        }
        if retry_after.is_some_and(|after| after > policy.max_retry_after) {
            tracing::debug!(request = %call.label, "giving up: Retry-After beyond the cap");
            return None;
        }
        let paused_by_gate = call.gated && matches!(outcome, Outcome::Response { status: 429, .. });
        let wait = if paused_by_gate {
            retry_after.unwrap_or(inner.gate.pause_on_429)
        } else {
            retry_after.unwrap_or_else(|| backoff_delay(policy, failures))
        };
        if deadline.is_some_and(|d| later(wait) >= d) {
            tracing::debug!(request = %call.label, "giving up: the wait would pass the deadline");
            return None;
        }
        if !self.spend_retry() {
            tracing::warn!(request = %call.label, "giving up: retry budget exhausted");
            return None;
        }
        // After a 429 the gate holds every request, this one included.
        Some(if paused_by_gate { Duration::ZERO } else { wait })
    }

    /// The wait before the next try after a transfer fault (uploads and
    /// downloads resume rather than replay), or `None` to give up.
    pub(crate) fn transfer_retry_delay(
        &self,
        fault: &Result<Response, Failure>,
        faults_in_row: u32,
    ) -> Option<Duration> {
        let policy = &self.inner.retry;
        if faults_in_row >= policy.max_attempts {
            return None;
        }
        let retry_after = fault.as_ref().ok().and_then(Response::retry_after);
        if retry_after.is_some_and(|after| after > policy.max_retry_after) {
            return None;
        }
        if !self.spend_retry() {
            return None;
        }
        Some(retry_after.unwrap_or_else(|| backoff_delay(policy, faults_in_row)))
    }

    /// Takes one retry from the shared budget and counts it; false (and
    /// counted as exhausted) when the budget is empty.
    fn spend_retry(&self) -> bool {
        let inner = &*self.inner;
        if !inner.budget.try_withdraw() {
            inner
                .counters
                .budget_exhausted
                .fetch_add(1, Ordering::Relaxed);
            return false;
        }
        inner.counters.retries.fetch_add(1, Ordering::Relaxed);
        true
    }

    fn final_error(&self, call: &Call, result: Result<Response, Failure>) -> Error {
        match result {
            Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                Error::RateLimited {
                    request: call.label.clone(),
                    retry_after: if call.gated {
                        Some(self.inner.gate.bounded_pause(response.retry_after()))
                    } else {
                        response.retry_after()
                    },
                    sent: Sent::Sent,
                }
            }
            Ok(response) => http_error(&call.label, &response),
            Err(failure) => failure.into_error(&call.label),
        }
    }

    /// One attempt, in its own tracing span. `Ok(Err(_))` is a network
    /// failure the retry rules may act on; `Err(_)` ends the call.
    pub(crate) async fn exchange(
        &self,
        call: &Call,
        credentials: &Credentials,
        attempt: u32,
        deadline: Option<Instant>,
        meter: &Meter,
    ) -> Result<Result<Response, Failure>, Error> {
        let path = call
            .label
            .split_once(' ')
            .map_or(call.label.as_str(), |(_, p)| p);
        let span = tracing::info_span!(
            "http_request",
            method = %call.method,
            path = %path,
            attempt,
            status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self
            .exchange_unlogged(call, credentials, deadline, meter, started)
            .instrument(span.clone())
            .await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("elapsed_ms", elapsed_ms);
        let _entered = span.enter();
        match &result {
            Ok(Ok(response)) => {
                self.inner
                    .counters
                    .responses
                    .fetch_add(1, Ordering::Relaxed);
                span.record("status", response.status().as_u16());
                tracing::debug!(status = response.status().as_u16(), elapsed_ms, "response");
            }
            Ok(Err(failure)) => {
                tracing::debug!(outcome = ?failure.outcome, error = %failure.message, elapsed_ms, "attempt failed");
            }
            Err(error) => tracing::debug!(%error, elapsed_ms, "request not sent"),
        }
        result
    }

    /// A response as read from the network, with every secret this
    /// transport knows masked in its body and request-id headers (see
    /// `mask.rs`). `server_url` is the URL of a request to a server-given
    /// link, whose query values are secrets too.
    pub(crate) fn scrubbed(
        &self,
        status: StatusCode,
        mut headers: reqwest::header::HeaderMap,
        body: bytes::Bytes,
        server_url: Option<&url::Url>,
    ) -> Response {
        let session = self.inner.session.current();
        let url_secrets = server_url.map(Secrets::of_url);
        let secrets = self
            .inner
            .secrets
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut lists = vec![&*secrets];
        lists.extend(session.as_ref().map(|s| &s.secrets));
        lists.extend(url_secrets.as_ref());
        scrub_headers(&mut headers, &REQUEST_ID_HEADERS, &lists);
        Response::new(status, headers, scrub_body(body, &lists))
    }

    async fn exchange_unlogged(
        &self,
        call: &Call,
        credentials: &Credentials,
        deadline: Option<Instant>,
        meter: &Meter,
        started: Instant,
    ) -> Result<Result<Response, Failure>, Error> {
        let inner = &*self.inner;
        let mut headers = call.headers.clone();
        if let Credentials::Header { name, value, .. } = credentials {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(content_type) = call.body.content_type_header() {
            let value = HeaderValue::from_str(content_type)
                .map_err(|_| Error::config(format!("{}: invalid Content-Type", call.label)))?;
            headers.insert(CONTENT_TYPE, value);
        }
        let bodyless_method = matches!(
            call.method,
            reqwest::Method::GET | reqwest::Method::HEAD | reqwest::Method::DELETE
        );
        let client = match call.origin {
            None => &inner.http,
            Some(origin) => {
                if let Err(blocked) = inner.policy.check_url(&call.url, origin) {
                    return Err(Error::Refused {
                        request: call.label.clone(),
                        message: blocked.to_string(),
                        sent: Sent::NotSent,
                    });
                }
                match origin {
                    Origin::Server => &inner.server_http,
                    Origin::User => &inner.user_http,
                }
            }
        };
        let mut request = client.request(call.method.clone(), call.url.clone());
        if !(bodyless_method && call.body.is_empty()) {
            let Some(body) = call.body.for_attempt(meter).await? else {
                return Err(Error::Protocol {
                    request: call.label.clone(),
                    message: "the request body was a one-shot stream already sent once; \
                              it is not re-sent"
                        .to_owned(),
                    sent: Sent::MaybeSent,
                });
            };
            if let Some(len) = call.body.len() {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
            }
            request = request.body(body);
        }
        let request = request.headers(headers);
        let exchange = async {
            let response = request
                .send()
                .await
                .map_err(|e| Failure::from_reqwest(e, started.elapsed(), false))?;
            let status = response.status();
            let headers = response.headers().clone();
            let limits = &inner.limits;
            let cap = if let (true, Some(head)) = (status.is_success(), call.head_only) {
                Cap::Head(head)
            } else if status.is_success() {
                Cap::Whole(limits.response_bytes)
            } else {
                Cap::Head(limits.error_body_bytes)
            };
            let body = match read_body(response, cap, inner.timeouts.transfer_stall).await {
                Ok(body) => body,
                Err(ReadError::TooLarge { limit }) => {
                    return Ok(Err(Error::TooLarge {
                        request: call.label.clone(),
                        status: status.as_u16(),
                        limit,
                        what: "Limits::response_bytes",
                    }));
                }
                Err(ReadError::Idle) => {
                    let mut failure = Failure::timed_out(started.elapsed());
                    failure.sent = Sent::Sent;
                    return Err(failure);
                }
                Err(ReadError::Network(e)) => {
                    return Err(Failure::from_reqwest(e, started.elapsed(), true));
                }
            };
            let server_url = (call.origin == Some(Origin::Server)).then_some(&call.url);
            Ok(Ok(self.scrubbed(status, headers, body, server_url)))
        };
        let result = match call.timing {
            Timing::Api => {
                let mut limit = later(inner.timeouts.attempt);
                if let Some(deadline) = deadline {
                    limit = limit.min(deadline);
                }
                tokio::time::timeout_at(limit, exchange).await.ok()
            }
            Timing::Transfer => {
                let timeouts = &inner.timeouts;
                let (stall, rate) = (timeouts.transfer_stall, timeouts.transfer_min_rate);
                with_stall_timeout(exchange, meter, stall, rate, deadline).await
            }
        };
        match result {
            None => Ok(Err(Failure::timed_out(started.elapsed()))),
            Some(Ok(Ok(response))) => Ok(Ok(response)),
            Some(Ok(Err(too_large))) => Err(too_large),
            Some(Err(failure)) => Ok(Err(failure)),
        }
    }
}
