//! [`Generate`]: one video generation, checked before it is sent.
//!
//! The API accepts invalid values and silently discards the generation, so
//! nothing is sent until every value passes the theme's rules (offline,
//! see [`crate::values`]) and every picture URL serves a picture of an
//! accepted format and at least the minimum size, read from its first
//! bytes only.

use motionkit_models::motiondynamic::{
    GenerationRequest, GenerationStatus, GenerationValue, Theme,
};
use motionkit_transport::{Transport, redact_url};
use motionkit_validation::ThemeParameter;
use motionkit_validation::check_picture_bytes;
use motionkit_validation::{Findings, Rule, Violation, Violations};
use motionkit_validation::{Sniffed, sniff_detailed};

use crate::client::Client;
use crate::error::Error;
use crate::submit::{Submission, Via, ambiguous};
use crate::values::GenerationValues;
use crate::webhook::WebhookReceiver;

/// Bytes asked for first when reading a picture's header.
pub const PICTURE_HEADER_BYTES: usize = 64 * 1024;
/// Most bytes read from a picture whose size sits far into the file (a
/// JPEG with large metadata segments).
pub const PICTURE_HEADER_MAX_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
enum Webhook {
    /// The client's receiver.
    Default,
    /// A receiver of its own.
    Receiver(WebhookReceiver),
    /// A fixed URL.
    Url(String),
}

/// One generation to create: a theme, the user's values and where the
/// video-ready event goes.
///
/// ```
/// use motionkit_motiondynamic::{Generate, WebhookReceiver};
/// # let theme: motionkit_models::motiondynamic::Theme = motionkit_models::decode(
/// #     include_str!("../specs/examples/motiondynamic/demo_theme.json")).unwrap();
/// let receiver = WebhookReceiver::new("https://hooks.example.com/motiondynamic");
/// let generate = Generate::new(&theme)
///     .set("l3_prix_01", "12,1") // the pattern allows digits and dots only
///     .webhook(&receiver);
/// let findings = generate.validate();
/// let price = findings.errors.iter().find(|v| v.field == "l3_prix_01").unwrap();
/// assert_eq!(price.value, "12,1");
/// ```
#[derive(Debug, Clone)]
pub struct Generate {
    values: GenerationValues,
    with_parameters: bool,
    webhook: Webhook,
    fetch_pictures: bool,
}

impl Generate {
    /// A generation of `theme`, which must have been read with its
    /// parameters.
    pub fn new(theme: &Theme) -> Self {
        Generate {
            values: GenerationValues::new(theme),
            with_parameters: theme.parameters.is_some(),
            webhook: Webhook::Default,
            fetch_pictures: true,
        }
    }

    /// Sets a value; `key` is a layer name such as `l3_prix_01`, an output
    /// parameter's title such as `Variante`, or a parameter id in any case.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.values = self.values.set(key, value);
        self
    }

    /// Sends the video-ready event to a callback URL of its own issued by
    /// `receiver` (a clone shares its state). Without this, the client's
    /// receiver ([`crate::ClientBuilder::webhooks`]) is used.
    pub fn webhook(mut self, receiver: &WebhookReceiver) -> Self {
        self.webhook = Webhook::Receiver(receiver.clone());
        self
    }

    /// Sends the video-ready event to a fixed URL of your own.
    ///
    /// Such a URL may be shared by several generations, so after an
    /// ambiguous failure the client cannot tell whether this generation
    /// was created: it returns the error (its [`Error::sent`] says the
    /// request may have reached the server) instead of re-submitting.
    /// [`Client::wait_one`] then relies on reading the generation back.
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook = Webhook::Url(url.into());
        self
    }

    /// Whether [`Generate::send`] reads the first bytes of every picture
    /// URL to check its format and size ([`Generate::preflight`]); on by
    /// default. Turn it off when the pictures are out of this machine's
    /// reach but not of the API's, such as a CI job without internet
    /// access running against the sandbox. The URLs' syntax and extension
    /// are still checked ([`Generate::validate`]); a picture of the wrong
    /// size or format is then left to the API to refuse.
    pub fn fetch_pictures(mut self, fetch: bool) -> Self {
        self.fetch_pictures = fetch;
        self
    }

    /// The values set so far and the theme's rules.
    pub fn values(&self) -> &GenerationValues {
        &self.values
    }

    /// What this crate infers without the documents saying it fails: a
    /// missing parameter, an unknown parameter id, a picture URL whose
    /// extension is outside `accept`, a parameter type this version does
    /// not know, no webhook of its own. Reported, never blocking;
    /// [`Generate::send`] logs them.
    pub fn warnings(&self) -> Vec<Violation> {
        self.validate().warnings
    }

    /// Every finding that needs no network, at once and with its severity:
    /// every value against its parameter (lengths, pattern, colour, output
    /// layer, picture URL syntax), a theme read without its parameters,
    /// and the webhook. A callback URL is checked; without a webhook of its
    /// own ([`Generate::webhook`], [`Generate::webhook_url`]) the
    /// generation needs the client's receiver, which only the client
    /// knows: a warning here, an error from [`Generate::preflight`] and
    /// [`Generate::send`] when the client has none.
    pub fn validate(&self) -> Findings {
        self.validate_with(None)
    }

    /// [`Generate::validate`], knowing (`Some`) whether the client has a
    /// receiver.
    fn validate_with(&self, client_receiver: Option<bool>) -> Findings {
        self.resolve_with(client_receiver).0
    }

    /// [`Generate::validate_with`], and the values as they will be sent.
    fn resolve_with(&self, client_receiver: Option<bool>) -> (Findings, Vec<GenerationValue>) {
        let mut found = Findings::new();
        if !self.with_parameters {
            found.push(Violation::new(
                "parameters",
                Rule::Required,
                "",
                "a theme read with its parameters (select `parameters`)",
            ));
        }
        match (&self.webhook, client_receiver) {
            (Webhook::Url(url), _) => {
                found.extend(motionkit_validation::http_url("webhook", url).err());
            }
            (Webhook::Receiver(_), _) | (Webhook::Default, Some(true)) => {}
            (Webhook::Default, Some(false)) => found.push(no_webhook()),
            (Webhook::Default, None) => found.push(no_webhook().into_warning()),
        }
        let (values_found, values) = self.values.resolve();
        found.merge(values_found);
        (found, values)
    }

    /// Every finding before sending, the network's included: those of
    /// [`Generate::validate`] (the webhook requirement checked against
    /// `client`'s receiver), then the first bytes of every picture URL
    /// that is well-formed (`Range: bytes=0-65535`, more when the size
    /// lies further in), checked for format and minimum size, unless
    /// [`Generate::fetch_pictures`] is off. Sends nothing to the API. An
    /// unreachable picture is an error naming its URL.
    pub async fn preflight(&self, client: &Client) -> Findings {
        let mut found = self.validate_with(Some(client.webhooks().is_some()));
        if self.fetch_pictures {
            let pictures = self.picture_findings(client, &found).await;
            found.merge(pictures);
        }
        found
    }

    /// The pictures' own findings, for the fields `found` has no error on.
    async fn picture_findings(&self, client: &Client, found: &Findings) -> Findings {
        let mut pictures = Findings::new();
        for (rule, url) in self.values.pictures() {
            if found.errors.iter().any(|v| v.field == rule.layer) {
                continue;
            }
            if let Err(picture) = check_picture(client.transport(), rule, url).await {
                pictures.extend(picture);
            }
        }
        pictures
    }

    /// Checks (see [`Generate::preflight`], or only what needs no network
    /// without [`Generate::fetch_pictures`]) and creates the generation with
    /// `POST /rest/generations`. Never sends invalid values, and never
    /// sends a generation twice: after an ambiguous failure it is looked up
    /// by its unique callback URL (when reads are allowed) and adopted, or
    /// returned unconfirmed ([`Submission::confirmed`]) to be resolved by
    /// its webhook. See [`ReturnPreference`](crate::ReturnPreference) for
    /// servers that answer `201` without the row.
    ///
    /// [`Error::Discarded`] when the API accepted but discarded it.
    ///
    /// **Dropping the future** stops the call at its next await; no task
    /// keeps running. Before the `POST`, nothing exists. During it, the API
    /// may have created the generation: its callback key stays known to
    /// the receiver for [`WEBHOOK_KEY_LIFETIME`](crate::WEBHOOK_KEY_LIFETIME),
    /// so its delivery is still acknowledged and reaches
    /// [`WebhookReceiver::with_events`], but this call cannot return it,
    /// and sending again creates another generation.
    pub async fn send(&self, client: &Client) -> Result<Submission, Error> {
        self.send_via(client, Via::Rest).await
    }

    /// Like [`Generate::send`], with the GraphQL `createGeneration`
    /// mutation.
    #[cfg(feature = "graphql")]
    #[cfg_attr(docsrs, doc(cfg(feature = "graphql")))]
    pub async fn send_graphql(&self, client: &Client) -> Result<Submission, Error> {
        self.send_via(client, Via::Graphql).await
    }

    async fn send_via(&self, client: &Client, via: Via) -> Result<Submission, Error> {
        // Decided before any network: `Err(url)` is a fixed URL.
        let target: Result<WebhookReceiver, &str> = match &self.webhook {
            Webhook::Receiver(receiver) => Ok(receiver.clone()),
            Webhook::Url(url) => Err(url),
            Webhook::Default => match client.webhooks() {
                Some(receiver) => Ok(receiver.clone()),
                None => {
                    return Err(Error::Validation(self.validate_with(Some(false)).errors));
                }
            },
        };
        let (mut found, values) = self.resolve_with(Some(true));
        if found.errors.is_empty() && self.fetch_pictures {
            let pictures = self.picture_findings(client, &found).await;
            found.merge(pictures);
        }
        if !found.errors.is_empty() {
            return Err(Error::Validation(found.errors));
        }
        for warning in &found.warnings {
            tracing::warn!(warning = %warning, "sending anyway: the documents do not say this fails");
        }
        let (webhook, callback): (String, _) = match target {
            Ok(receiver) => {
                let (key, url) = receiver.issue();
                (url, Some((receiver, key)))
            }
            Err(url) => (url.to_owned(), None),
        };
        let request = GenerationRequest {
            theme_id: self.values.theme_id().to_owned(),
            webhook,
            values,
        };
        let mutation_id = callback.as_ref().map(|(_, key)| key.clone());
        let forget = |callback: &Option<(WebhookReceiver, String)>| {
            if let Some((receiver, key)) = callback {
                receiver.forget(key);
            }
        };
        let submitted = match client
            .submit(&request, via, mutation_id, callback.is_some())
            .await
        {
            Ok(submitted) => submitted,
            Err(error) => {
                // Keep the key while the generation may exist, so that its
                // delivery is still acknowledged.
                if !ambiguous(&error) {
                    forget(&callback);
                }
                return Err(error);
            }
        };
        if let Some(generation) = &submitted.generation
            && generation.status == Some(GenerationStatus::Discarded)
        {
            forget(&callback);
            return Err(Error::Discarded {
                generation_id: generation.generation_id.clone(),
            });
        }
        Ok(Submission::new(
            submitted,
            request.webhook,
            callback,
            found.warnings,
        ))
    }
}

/// Reads the first bytes of a picture and checks them against `rule`.
fn no_webhook() -> Violation {
    Violation::new(
        "webhook",
        Rule::Required,
        "",
        "a WebhookReceiver (Generate::webhook or ClientBuilder::webhooks) or a callback URL \
         (Generate::webhook_url)",
    )
}

async fn check_picture(
    transport: &Transport,
    rule: &ThemeParameter,
    url: &str,
) -> Result<(), Violations> {
    let shown = redact_url(url);
    let header = picture_header(transport, url).await.map_err(|reason| {
        Violations::from(Violation::new(
            &rule.layer,
            Rule::PictureUnreadable,
            &shown,
            format!("a downloadable picture ({reason})"),
        ))
    })?;
    check_picture_bytes(rule, &shown, &header).map(drop)
}

/// The first bytes of `url`: 64 KiB, then more while the picture's size
/// lies further in, up to [`PICTURE_HEADER_MAX_BYTES`].
async fn picture_header(transport: &Transport, url: &str) -> Result<Vec<u8>, String> {
    let mut want = PICTURE_HEADER_BYTES;
    loop {
        let response = transport
            .fetch_head(url, want as u64)
            .await
            // Transport errors are one bounded line already: kept whole.
            .map_err(|e| e.to_string())?;
        let partial = response.status().as_u16() == 206;
        let bytes = response.into_body().to_vec();
        if !partial && bytes.len() < want {
            // The whole file (the server ignored the range, and it is short).
            return Ok(bytes);
        }
        match sniff_detailed(&bytes) {
            Sniffed::NeedMoreBytes { at_least, .. }
                if bytes.len() >= want && want < PICTURE_HEADER_MAX_BYTES =>
            {
                want = at_least.max(want * 2).min(PICTURE_HEADER_MAX_BYTES);
            }
            _ => return Ok(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Theme {
        motionkit_models::decode(include_str!(
            "../specs/examples/motiondynamic/demo_theme.json"
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn nothing_is_sent_without_somewhere_to_deliver_the_video() {
        // Nothing listens on port 1: any request would fail differently.
        let client = Client::builder("http://127.0.0.1:1", "t").build().unwrap();
        let error = Generate::new(&demo())
            .set("l1_titre_01", "title")
            .send(&client)
            .await
            .unwrap_err();
        let problems = error.violations().unwrap();
        assert!(
            problems
                .iter()
                .any(|v| v.field == "webhook" && v.rule == Rule::Required),
            "{error}"
        );
        // Missing parameters are warnings: they do not block on their own.
        assert!(
            !problems.iter().any(|v| v.field == "l6_ville_01"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn every_check_reports_a_missing_webhook_before_send_does() {
        let client = Client::builder("http://127.0.0.1:1", "t").build().unwrap();
        let generate = Generate::new(&demo())
            .set("l1_titre_01", "title")
            .fetch_pictures(false);
        // Offline, the client is unknown: a warning that names the way out.
        let offline = generate.validate();
        let warning = offline.warnings.iter().find(|v| v.field == "webhook");
        assert!(
            warning.is_some_and(|v| v.limit.contains("ClientBuilder::webhooks")),
            "{offline:?}"
        );
        assert!(offline.errors.is_empty(), "{offline:?}");
        // With the client, which has no receiver: an error, as send() says.
        let found = generate.preflight(&client).await;
        assert!(
            found
                .errors
                .iter()
                .any(|v| v.field == "webhook" && v.rule == Rule::Required),
            "{found:?}"
        );
        // A callback URL of its own settles it.
        let found = generate
            .clone()
            .webhook_url("https://hooks.example.com/x")
            .preflight(&client)
            .await;
        assert!(found.iter().all(|v| v.field != "webhook"), "{found:?}");
    }

    #[test]
    fn a_theme_read_without_parameters_cannot_be_filled() {
        let mut theme = demo();
        theme.parameters = None;
        let problems = Generate::new(&theme)
            .webhook_url("not a url")
            .validate()
            .errors;
        let fields: Vec<&str> = problems.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["parameters", "webhook"]);
    }
}
